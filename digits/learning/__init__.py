"""Data sets, drawing them as the sketchpad does, the networks, recipes, training and scores."""
