"""This app, page and all, with its reader answering one reading it made at start-up: what
Gradio costs for the app's own page and events, without the reading.

The comparison point for bench/latency.py: the floor (bench/floor_app.py) is the stock
sketchpad, which decodes every uploaded image before its function runs; this app hands the
file over undecoded (ui.components.RawSketchpad) and its reader decodes it. So this server's
figure less the app's is the reading's cost, decoding included.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import app  # noqa: E402

SKETCH = {"background": None, "layers": [], "composite": str(app.PROJECT_DIR / "examples" / "3_bold.png")}

if __name__ == "__main__":
    reading = app.reader.read(SKETCH)
    app.reader.read = lambda value, **options: reading
    app.launch()
