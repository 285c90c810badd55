"""What the app adds to Gradio: component subclasses, how a reading is shown, the page's CSS and JS,
and the guard on what strangers may send the server."""

from pathlib import Path

UI_DIR = Path(__file__).resolve().parent
CSS = (UI_DIR / "page.css").read_text()
JS = (UI_DIR / "page.js").read_text()  # a function Gradio runs once the page has loaded
