"""The floor: the same Sketchpad and endpoint name, answering a constant. Whatever time this
takes is Gradio's own (upload, queue, events), which no model can go below."""

import gradio as gr

with gr.Blocks() as demo:
    sketchpad = gr.Sketchpad(type="pil", image_mode="RGBA", canvas_size=(800, 800))
    label = gr.Label()
    sketchpad.change(lambda sketch: {"0": 1.0}, sketchpad, label, api_name="predict", concurrency_limit=2)

if __name__ == "__main__":
    demo.queue(max_size=64).launch()
