"""Model files (written atomically), the Hub, finding a model to serve, and saved corrections."""
