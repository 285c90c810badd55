"""Draw a digit, and a small CNN reads it: a Gradio Blocks app for Hugging Face Spaces.

python app.py        # then open http://127.0.0.1:7860
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from digits.corrections import CorrectionLog
from digits.reader import PROMPT, DigitReader, Reading
from digits.settings import PROJECT_DIR, Settings
from widgets import GuardedImage, GuardedSketchpad, Verdict

logger = logging.getLogger("app")
settings = Settings.from_env()
reader = DigitReader(settings)  # finds the model on first use, not at import
corrections = CorrectionLog(model=reader.model_id, hub_repo=settings.corrections_repo, hub_token=settings.hf_token)
# The digits 0-9 (bold and thin), then numbers.
EXAMPLES = [
    str(path) for folder in ("examples", "examples/numbers") for path in sorted((PROJECT_DIR / folder).glob("*.png"))
]
CONCURRENCY_LIMIT = 4  # preprocessing is ~5 ms of mostly GIL-free work; the model call ~1 ms
DIGITS = [str(digit) for digit in range(10)]
EMPTY_CHART = pd.DataFrame({"digit": DIGITS, "probability": [0.0] * 10})


def label_value(reading: Reading) -> Any:
    """The gr.Label value: the verdict, with all ten confidences when there are any."""
    if reading.status == "number":
        return Verdict.with_label(reading.text, {})
    if reading.probabilities is None:
        return reading.message
    confidences = {digit: float(p) for digit, p in zip(DIGITS, reading.probabilities, strict=True)}
    if reading.status == "digit":
        return confidences
    return Verdict.with_label("uncertain", confidences)


def read(value: Any) -> tuple[Any, Reading]:
    reading = reader.read(value)
    if reading.status == "error":
        raise gr.Error(reading.message)
    return label_value(reading), reading


def predict(sketch: dict | None) -> tuple[Any, Reading]:
    """Read the digit drawn on the sketchpad (several side by side are read as a number).

    Args:
        sketch: the Sketchpad value: background, layers and composite images.
    Returns:
        The digit with confidences for all ten, "uncertain" with them, the number read
        (e.g. "42"), or a prompt to draw.
    """
    return read(sketch)


def read_number(sketch: dict | None) -> dict:
    """Read a number drawn on the sketchpad as digits side by side, each on its own.

    Args:
        sketch: the Sketchpad value: background, layers and composite images.
    Returns:
        {"number": "2025" ("?" for a digit the model is unsure of; "" if none),
        "status", "message", "digits": [{"digit", "confidence", "status",
        "box": [x0, y0, x1, y1] in canvas pixels}, ...] left to right}.
    """
    reading = reader.read(sketch)
    if reading.status == "error":
        raise gr.Error(reading.message)
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


def predict_image(image: str | None) -> tuple[Any, Reading]:
    """Read the digit in a photo or scan (dark ink on light paper, or the reverse).

    Args:
        image: an image file of one digit.
    Returns:
        The digit with confidences for all ten, "uncertain" with them, or a prompt.
    """
    return read(Path(image) if image else None)


def show_details(reading: Reading | None) -> tuple[Any, ...]:
    """The page's extras: a sentence; for one digit the bar chart and the 28x28 image the
    model saw, for a number each digit's box on the drawing."""
    if reading is not None and reading.status == "number":
        boxes = [(reading.in_drawing(part.box), f"{part.text} · {part.confidence:.0%}") for part in reading.parts]
        drawing = Image.fromarray(255 - reading.drawing)
        return (
            f"**{reading.message}**", gr.update(visible=False), gr.update(visible=False),
            gr.update(value=(drawing, boxes), visible=True),
        )  # fmt: skip
    hide_boxes = gr.update(value=None, visible=False)
    if reading is None or reading.probabilities is None:
        message = reading.message if reading else PROMPT
        return message, gr.update(value=EMPTY_CHART, visible=True), gr.update(value=None, visible=True), hide_boxes
    chart = pd.DataFrame({"digit": DIGITS, "probability": reading.probabilities.round(4)})
    seen = Image.fromarray((reading.seen * 255).astype(np.uint8)).resize((224, 224), Image.NEAREST)
    return (
        f"**{reading.message}**",
        gr.update(value=chart, visible=True),
        gr.update(value=seen, visible=True),
        hide_boxes,
    )


def show_why(reading: Reading | None, wanted: bool) -> Any:
    """Where the evidence came from, when asked for (see digits.explain)."""
    if not wanted:
        return gr.update(value=None, visible=False)
    picture = reader.explain(reading) if reading is not None else None
    return gr.update(value=picture, visible=True)


def save_correction(reading: Reading | None, text: str) -> tuple[str, Any]:
    """Save the drawing with the answer typed, for `train.py --extra-data`."""
    try:
        count = corrections.flag([reading, text])
    except ValueError as error:
        raise gr.Error(str(error)) from error
    return f"Saved as {text.strip()}, thank you ({count} saved so far).", gr.update(value="")


# The verdict shows the digit large; all ten probabilities are in the bar chart, in digit
# order, so the Label's own list (which the API still returns in full) is hidden on the page.
CSS = """
#verdict .output-class { font-size: 4rem !important; }
#verdict .confidence-set { display: none; }
#seen img { image-rendering: pixelated; }
"""

# Gradio's sketchpad opens with no tool selected ("select the draw tool to start"). Select the
# brush whenever no tool is, so people can draw at once; a tool they pick themselves is kept.
SELECT_BRUSH = """
() => {
  const selectBrush = () => {
    const editor = document.querySelector("#sketchpad");
    const brush = editor && editor.querySelector(".toolbar-wrap button");
    if (brush && !editor.querySelector("button.highlight")) brush.click();
  };
  new MutationObserver(selectBrush).observe(document.body, { childList: true, subtree: true });
  selectBrush();
}
"""

with gr.Blocks(title="Digit reader") as demo:
    gr.Markdown(
        "# ✍️ Digit reader\nDraw a digit from 0 to 9, or a number with its digits side by side, and a small CNN "
        "trained on MNIST reads it as you draw."
    )
    reading_state = gr.State()
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            with gr.Tab("Draw"):
                sketchpad = GuardedSketchpad(
                    label="Draw a digit",
                    elem_id="sketchpad",
                    type="pil",
                    image_mode="RGBA",
                    canvas_size=(800, 800),
                    height=560,
                    brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=18),
                    layers=False,
                )
                clear = gr.Button("Clear", variant="secondary")
                examples = gr.Examples(
                    EXAMPLES, inputs=sketchpad, label="Examples: click one, then draw over it",
                    examples_per_page=len(EXAMPLES),
                )  # fmt: skip
            with gr.Tab("Upload a photo"):
                upload = GuardedImage(label="Photo or scan of one digit", type="filepath", image_mode=None)
        with gr.Column(scale=2, min_width=280):
            verdict = Verdict(label="Prediction", elem_id="verdict")
            status = gr.Markdown(PROMPT)
            chart = gr.BarPlot(
                EMPTY_CHART, x="digit", y="probability", y_lim=[0, 1], label="Probability of each digit",
                sort=DIGITS, height=220,
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
        quiet = {"show_progress": "hidden", "api_visibility": "private"}
        return (
            trigger(fn, inputs=inputs, outputs=[verdict, reading_state], show_progress="hidden", **options)
            .then(show_details, inputs=reading_state, outputs=[status, chart, seen, boxes], **quiet)
            .then(show_why, inputs=[reading_state, why_wanted], outputs=why, **quiet)
        )

    show_reading(
        sketchpad.change, predict, sketchpad, api_name="predict", trigger_mode="always_last",
        concurrency_limit=CONCURRENCY_LIMIT,
    )  # fmt: skip
    show_reading(upload.change, predict_image, upload, api_name="predict_image", concurrency_limit=CONCURRENCY_LIMIT)
    # The editor does not fire .change when its value is set by an example or by Clear.
    show_reading(examples.load_input_event.then, predict, sketchpad, api_visibility="private")
    show_reading(
        clear.click(lambda: None, outputs=sketchpad, api_visibility="private").then, predict, sketchpad,
        api_visibility="private",
    )  # fmt: skip
    why_wanted.change(show_why, inputs=[reading_state, why_wanted], outputs=why, api_visibility="private")
    gr.on(
        [save.click, right_answer.submit], save_correction, inputs=[reading_state, right_answer],
        outputs=[saved, right_answer], api_visibility="private",
    )  # fmt: skip
    # An API-only endpoint: the page reads numbers through /predict's event.
    gr.on(
        [], read_number, inputs=sketchpad, outputs=number, api_name="read_number", concurrency_limit=CONCURRENCY_LIMIT
    )


def launch(**overrides: Any):
    """Serve the app as deployed; tests pass overrides such as ``prevent_thread_lock``."""
    if settings.mcp_server and importlib.util.find_spec("mcp") is None:
        raise SystemExit("DIGITS_MCP=1 needs Gradio's MCP extra: pip install 'gradio[mcp]==6.31.0'")
    corrections.setup([], settings.corrections_dir)
    options = {
        "css": CSS,
        "js": SELECT_BRUSH,
        "theme": gr.themes.Soft(),
        "max_file_size": settings.max_file_size,
        "mcp_server": settings.mcp_server,
        "show_error": True,
    }
    return demo.queue(max_size=64).launch(**(options | overrides))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    resolved = reader.load()  # before serving, so the first visitor does not wait
    logger.info("serving %s (from %s)", resolved.path, resolved.source)
    launch()


if __name__ == "__main__":
    main()
