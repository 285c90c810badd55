"""How a plain app serves: resize the composite to 28x28 and call model.predict per request.

The comparison point for bench/latency.py: the same model, without this app's preprocessing
and compiled call.
"""

import sys
from pathlib import Path

import gradio as gr
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from digits.settings import Settings  # noqa: E402
from digits.storage.files import load_model  # noqa: E402

model = load_model(Settings.from_env().digit_model_path)


def predict(sketch):
    grey = np.asarray(sketch["composite"].convert("L").resize((28, 28)), dtype=np.float32)
    probabilities = model.predict((255 - grey)[None, ..., None] / 255.0, verbose=0)[0]
    return {str(digit): float(p) for digit, p in enumerate(probabilities)}


with gr.Blocks() as demo:
    sketchpad = gr.Sketchpad(type="pil", image_mode="RGBA", canvas_size=(800, 800))
    label = gr.Label()
    sketchpad.change(predict, sketchpad, label, api_name="predict", concurrency_limit=2)

if __name__ == "__main__":
    demo.queue(max_size=64).launch()
