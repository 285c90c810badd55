"""How a seed-style app serves: resize the composite to 28x28 and call model.predict per request."""

import sys
from pathlib import Path

import gradio as gr
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from digits.store import load_model  # noqa: E402

model = load_model(Path(__file__).resolve().parent.parent / "models" / "mnist_cnn.h5")


def predict(sketch):
    grey = np.asarray(sketch["composite"].convert("L").resize((28, 28)), dtype=np.float32)
    probabilities = model.predict((255 - grey)[None, ..., None] / 255.0, verbose=0)[0]
    return {str(digit): float(p) for digit, p in enumerate(probabilities)}


with gr.Blocks() as demo:
    sketchpad = gr.Sketchpad(type="pil", image_mode="RGBA", canvas_size=(800, 800))
    label = gr.Label()
    sketchpad.change(predict, sketchpad, label, api_name="predict", concurrency_limit=4)

if __name__ == "__main__":
    demo.queue(max_size=64).launch()
