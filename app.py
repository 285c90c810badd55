"""Draw a digit, and a small CNN reads it: a Gradio Blocks app for Hugging Face Spaces.

python app.py        # then open http://127.0.0.1:7860
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

import gradio as gr

from digits.images import ImageError
from digits.reading.reader import PROMPT, DigitReader, Reading
from digits.settings import PROJECT_DIR, Settings
from digits.storage.corrections import CorrectionStore
from digits.storage.resolver import resolve_model
from ui import CSS, JS
from ui.components import RawImage, RawSketchpad, Verdict
from ui.views import EMPTY_CHART, details, label_value

logger = logging.getLogger("app")
settings = Settings.from_env()
reader = DigitReader(lambda: resolve_model(settings))  # finds the model on first use, not at import
corrections = CorrectionStore(
    settings.corrections_dir, model_id=lambda: reader.model_id, hub_repo=settings.corrections_repo,
    hub_token=settings.hf_token,
)  # fmt: skip
# The digits 0-9 (bold and thin), then numbers.
EXAMPLES = [
    str(path) for folder in ("examples", "examples/numbers") for path in sorted((PROJECT_DIR / folder).glob("*.png"))
]
# Every event that runs the model shares one limit, sized for the two cores of a free Space:
# a reading is ~5 ms of preprocessing (partly outside the GIL) and ~1 ms of model call.
MODEL_EVENTS = {"concurrency_id": "model", "concurrency_limit": 2}


def read(value: Any) -> Reading:
    """The reader's answer; a file it cannot read becomes a message for the person who sent it."""
    try:
        return reader.read(value)
    except ImageError as error:
        raise gr.Error(str(error)) from error


def predict(sketch: dict | None) -> tuple[Any, Reading]:
    """Read the digit drawn on the sketchpad (several side by side are read as a number).

    Args:
        sketch: the Sketchpad value: background, layers and composite images.
    Returns:
        The digit with confidences for all ten, "uncertain" with them, the number read
        (e.g. "42"), or a prompt to draw.
    """
    reading = read(sketch)
    return label_value(reading), reading


def read_number(sketch: dict | None) -> dict:
    """Read a number drawn on the sketchpad as digits side by side, each on its own.

    Args:
        sketch: the Sketchpad value: background, layers and composite images.
    Returns:
        {"number": "2025" ("?" for a digit the model is unsure of; "" if none),
        "status", "message", "digits": [{"digit", "confidence", "status",
        "box": [x0, y0, x1, y1] in canvas pixels}, ...] left to right}.
    """
    reading = read(sketch)
    digits = reading.parts or ((reading,) if reading.probabilities is not None else ())
    return {
        "number": reading.text,
        "status": reading.status,
        "message": reading.message,
        "digits": [
            {"digit": part.digit, "confidence": round(part.confidence, 4), "status": part.status, "box": list(part.box)}
            for part in digits
        ],
    }


def predict_image(image: str | bytes | None) -> tuple[Any, Reading]:
    """Read the digit in a photo or scan (dark ink on light paper, or the reverse).

    Args:
        image: an image file of one digit.
    Returns:
        The digit with confidences for all ten, "uncertain" with them, or a prompt.
    """
    reading = read(image)
    return label_value(reading), reading


def show_why(reading: Reading | None, wanted: bool) -> Any:
    """Where the evidence came from, when asked for (see digits.reading.explain)."""
    if not wanted:
        return gr.update(value=None, visible=False)
    picture = reader.explain(reading) if reading is not None else None
    return gr.update(value=picture, visible=True)


def save_correction(reading: Reading | None, text: str) -> tuple[str, Any]:
    """Save the drawing with the answer typed, for `train.py --extra-data`."""
    try:
        count = corrections.save(reading, text)
    except ValueError as error:
        raise gr.Error(str(error)) from error
    return f"Saved as {text.strip()}, thank you ({count} saved so far).", gr.update(value="")


with gr.Blocks(title="Digit reader") as demo:
    gr.Markdown(
        "# ✍️ Digit reader\nDraw a digit from 0 to 9, or a number with its digits side by side, and a small CNN "
        "trained on MNIST reads it as you draw."
    )
    reading_state = gr.State()
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            with gr.Tab("Draw"):
                sketchpad = RawSketchpad(
                    label="Draw a digit", elem_id="sketchpad", type="pil", image_mode="RGBA", canvas_size=(800, 800),
                    height=560, brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=18), layers=False,
                )  # fmt: skip
                clear = gr.Button("Clear", variant="secondary")
                examples = gr.Examples(
                    EXAMPLES, inputs=sketchpad, label="Examples: click one, then draw over it",
                    examples_per_page=len(EXAMPLES),
                )  # fmt: skip
            with gr.Tab("Upload a photo"):
                upload = RawImage(label="Photo or scan of one digit", type="filepath", image_mode=None)
        with gr.Column(scale=2, min_width=280):
            verdict = Verdict(label="Prediction", elem_id="verdict")
            status = gr.Markdown(PROMPT)
            chart = gr.BarPlot(
                EMPTY_CHART, x="digit", y="probability", y_lim=[0, 1], label="Probability of each digit",
                sort=list(EMPTY_CHART["digit"]), height=220,
            )  # fmt: skip
            seen = gr.Image(label="What the model sees (28x28)", elem_id="seen", interactive=False, height=224)
            boxes = gr.AnnotatedImage(label="Digits found", elem_id="boxes", visible=False, height=260)
            why_wanted = gr.Checkbox(label="Show why: where the evidence for each digit came from", value=False)
            why = gr.Image(
                label="Why this digit (red: the ink it rests on)", elem_id="why", interactive=False, visible=False
            )
            with gr.Accordion("Wrong? Tell it the right answer", open=False):
                with gr.Row():
                    right_answer = gr.Textbox(label="It was", placeholder="e.g. 7 or 42", max_lines=1, scale=2)
                    save = gr.Button("Save", scale=1)
                saved = gr.Markdown("Saved drawings are used by `train.py --extra-data` to train the next model.")
    number = gr.JSON(visible=False)

    def show_reading(trigger, fn, inputs, **options):
        """Run ``fn`` on ``trigger``, then fill in the details, then (if asked) why."""
        private = {"show_progress": "hidden", "api_visibility": "private"}
        return (
            trigger(fn, inputs=inputs, outputs=[verdict, reading_state], show_progress="hidden", **MODEL_EVENTS,
                    **options)
            .then(details, inputs=reading_state, outputs=[status, chart, seen, boxes], **private)
            .then(show_why, inputs=[reading_state, why_wanted], outputs=why, **MODEL_EVENTS, **private)
        )  # fmt: skip

    show_reading(sketchpad.change, predict, sketchpad, api_name="predict", trigger_mode="always_last")
    show_reading(upload.change, predict_image, upload, api_name="predict_image")
    # The editor does not fire .change when its value is set by an example or by Clear.
    show_reading(examples.load_input_event.then, predict, sketchpad, api_visibility="private")
    cleared = clear.click(lambda: None, outputs=sketchpad, api_visibility="private")
    show_reading(cleared.then, predict, sketchpad, api_visibility="private")
    why_wanted.change(
        show_why, inputs=[reading_state, why_wanted], outputs=why, api_visibility="private", **MODEL_EVENTS
    )
    gr.on(
        [save.click, right_answer.submit], save_correction, inputs=[reading_state, right_answer],
        outputs=[saved, right_answer], api_visibility="private", concurrency_limit=1,
    )  # fmt: skip
    # An API-only endpoint: the page reads numbers through /predict's event.
    gr.on([], read_number, inputs=sketchpad, outputs=number, api_name="read_number", **MODEL_EVENTS)


def launch(**overrides: Any):
    """Serve the app as deployed; tests pass overrides such as ``prevent_thread_lock``."""
    if settings.mcp_server and importlib.util.find_spec("mcp") is None:
        raise SystemExit("DIGITS_MCP=1 needs Gradio's MCP extra: pip install 'gradio[mcp]==6.31.0'")
    options = {
        "css": CSS, "js": JS, "theme": gr.themes.Soft(), "max_file_size": settings.max_file_size,
        "mcp_server": settings.mcp_server, "show_error": True,
    }  # fmt: skip
    # Events that only format (the details, Clear, loading an example) run without a limit.
    return demo.queue(max_size=64, default_concurrency_limit=None).launch(**(options | overrides))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    resolved = reader.load()  # before serving, so the first visitor does not wait
    logger.info("serving %s", resolved.path)
    launch()


if __name__ == "__main__":
    main()
