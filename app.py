"""Draw a digit or a number, and small networks read it: a Gradio Blocks app for Hugging Face Spaces.

python app.py        # then open http://127.0.0.1:7860
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import os
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from digits.images import ImageError, is_sketch
from digits.reading.preprocess import DrawingRefused
from digits.reading.reader import DigitReader
from digits.reading.readings import PROMPT, Reading
from digits.settings import PROJECT_DIR, Settings
from digits.storage.corrections import CorrectionStore
from digits.storage.resolver import resolve_models
from ui import CSS, JS
from ui.components import RawImage, RawSketchpad, Verdict
from ui.guard import RequestGuard, client_address
from ui.sessions import use_lean_sessions
from ui.views import EMPTY_CHART, details, headline, label_value, number_json, page_verdict

logger = logging.getLogger("app")
use_lean_sessions()  # sessions keep no copy of the page, and readings outlast empty sessions (ui/sessions.py)
settings = Settings.from_env()
reader = DigitReader(lambda: resolve_models(settings))  # finds the models on first use, not at import
corrections = CorrectionStore(
    settings.corrections_dir, model_id=lambda: reader.model_id, hub_repo=settings.corrections_repo,
    hub_token=settings.hf_token, per_hour=settings.corrections_per_hour, max_count=settings.corrections_max,
    max_bytes=int(settings.corrections_max_mb * 1e6),
)  # fmt: skip
# The digits 0-9 (bold and thin), then numbers.
EXAMPLES = [
    str(path) for folder in ("examples", "examples/numbers") for path in sorted((PROJECT_DIR / folder).glob("*.png"))
]
# Every event that runs a model shares one limit, sized for the two cores of a free Space.
MODEL_EVENTS = {"concurrency_id": "model", "concurrency_limit": 2}
SESSION_MINUTES = 30  # how long the page keeps a visitor's last reading (for "why" and "wrong?")
# Gradio sums up its last events (up to 10,000, for the figures on the API page) in a pandas
# table after every event unless told otherwise: 5 ms of CPU once 400 events are kept, 19 ms
# once 10,000 are, for each of the three events a stroke on the page sets off. Every
# ANALYTICS_EVERY events is often enough for those figures (bench/load.py: the difference).
ANALYTICS_EVERY = 1000
# Said to an API caller whose sketch holds no image at all: most often an image file sent where
# the sketch's value goes, which Gradio reads as a sketch with nothing in it.
NO_IMAGE = (
    ' (That sketch holds no image: send the drawing as its "composite", {"background": null, "layers": [],'
    ' "composite": <the image>}, or a photo of one digit to /predict_image.)'
)


def read(value: Any) -> Reading:
    """The reader's answer to an API call; an input it cannot or will not read becomes an error
    for its sender. It keeps no drawing: only the page needs one (for its boxes, "why", "wrong?")."""
    try:
        return reader.read(value, keep_drawing=False)
    except (ImageError, DrawingRefused) as error:
        raise _refusal(error) from error


def _refusal(error: Exception) -> gr.Error:
    """An input refused, said to its sender; not a fault of the server's, so nothing in its log
    (Gradio prints the traceback of every other error: some 60 lines for each junk file sent)."""
    return gr.Error(str(error), print_exception=False)


def answer(value: Any, request: gr.Request | None) -> Reading:
    """``read`` for an API call, which then leaves no session behind.

    Gradio keeps a session for every call it serves, and names one after the event for a call
    that brings none (a plain HTTP call), until ``state_session_capacity`` sessions push out the
    oldest, page visitors' readings among them. An API call keeps nothing in its session, so an
    empty one goes when the call ends; a session that holds state (a page's, called by hand) stays.
    """
    try:
        reading = read(value)
        if reading.status == "empty" and is_sketch(value) and not _holds_an_image(value):
            return dataclasses.replace(reading, message=reading.message + NO_IMAGE)
        return reading
    finally:
        if request is not None and request.session_hash is not None:
            demo.state_holder.drop_if_empty(request.session_hash)  # a StatefulFirstHolder (ui/sessions.py)


def _holds_an_image(sketch: dict) -> bool:
    return any((sketch.get("composite"), sketch.get("background"), *(sketch.get("layers") or [])))


# The docstrings of the three reading endpoints are what agents (MCP) and the API page read: Gradio
# takes each line of Args as it stands (a line that runs on is dropped) and joins the lines of
# Returns with commas. So each argument on one line, and each line of Returns a whole part.
def predict(sketch: dict | None, request: gr.Request) -> Any:
    """Read the digit drawn on a sketchpad (several side by side are read as a number), dark ink on
    a light background or the reverse.

    Args:
        sketch: the Sketchpad value {"background", "layers", "composite"}; the composite alone is enough.
    Returns:
        {"label": the digit read; "uncertain"; the number read (e.g. "42"); or a prompt to draw
        "confidences": [{"label": "0".."9", "confidence"}, ...] for a single digit}.
    """
    return label_value(answer(sketch, request))


def predict_image(image: str | bytes | None, request: gr.Request) -> Any:
    """Read the digit in a photo or scan (dark ink on light paper, or the reverse).

    Args:
        image: an image file of one digit; a digit framed as MNIST's are, 28x28 or enlarged, is read as it is.
    Returns:
        {"label": the digit read, "uncertain" or a prompt, "confidences": all ten digits'}.
    """
    return label_value(answer(image, request))


def read_number(sketch: dict | None, request: gr.Request) -> dict:
    """Read a number drawn on a sketchpad, digit by digit, with where each digit is.

    Args:
        sketch: the Sketchpad value {"background", "layers", "composite"}; the composite alone is enough.
    Returns:
        {"number": "2025" ("?" for a digit it is unsure of; "" if none), "status", "message"
        "digits": [{"digit", "confidence", "status", "box": [x0, y0, x1, y1] in pixels}, ...] left to right}.
    """
    return number_json(answer(sketch, request))


def show(value: Any) -> tuple[Any, str, Reading]:
    """The page's reading: the verdict, its one-line form (shown above the canvas on phones), and
    the reading kept for the details, "why" and "wrong?". What the reader will not read (a file
    that is no image, thousands of specks) is said in the reading's place, so that the reading
    before it is not left on the page as if it were this one's."""
    try:
        reading = reader.read(value, keep_drawing=True)
    except (ImageError, DrawingRefused) as error:
        reading = Reading("refused", str(error))
    return page_verdict(reading), headline(reading), reading


def show_why(reading: Reading | None, wanted: bool) -> Any:
    """Where the evidence came from, when asked for (see digits.reading.explain)."""
    if not wanted:
        return gr.update(value=None, visible=False)
    picture = reader.explain(reading) if reading is not None else None
    return gr.update(value=picture, visible=True)


def save_correction(reading: Reading | None, text: str, request: gr.Request) -> tuple[str, Any]:
    """Save the drawing with the answer typed, to be reviewed for training the next model."""
    try:
        count = corrections.save(reading, text, client=_client(request))
    except ValueError as error:
        raise _refusal(error) from error
    return f"Saved as {text.strip()}, thank you ({count} saved so far).", gr.update(value="")


def _client(request: gr.Request) -> str:
    """Who sent a request, as RequestGuard counts them: behind a Space's proxy, the address it names."""
    if request.request is not None:
        return client_address(request.request.scope)
    return request.client.host if request.client else ""


with gr.Blocks(title="Digit reader", delete_cache=(600, 3600)) as demo:
    gr.Markdown(
        "# ✍️ Digit reader\nDraw a digit from 0 to 9, or a number, and small networks trained on MNIST and on "
        "real pen handwriting read it as you draw."
    )
    reading_state = gr.State(time_to_live=SESSION_MINUTES * 60)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            with gr.Tab("Draw"):
                quick = gr.Markdown(PROMPT, elem_id="quick-verdict")  # on phones only (ui/page.css)
                sketchpad = RawSketchpad(
                    label="Draw a digit", elem_id="sketchpad", type="pil", image_mode="RGBA", canvas_size=(800, 800),
                    height=560, brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=18), layers=False,
                )  # fmt: skip
                clear = gr.Button("Clear", variant="secondary")
                examples = gr.Examples(
                    EXAMPLES, inputs=sketchpad, label="Examples: click one, then draw over it",
                    examples_per_page=len(EXAMPLES), elem_id="examples",
                )  # fmt: skip
            with gr.Tab("Upload a photo"):
                upload = RawImage(
                    label="Photo or scan of one digit", type="filepath", image_mode=None, elem_id="upload"
                )
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
                saved = gr.Markdown("Saved drawings are reviewed, then used to train the next model.")
    number = gr.JSON(label="Number", visible=False)  # named for the API page and gradio_client

    # The page's own events: they keep the reading in the visitor's session, for the details.
    def show_reading(trigger, inputs, **options):
        """Read ``inputs`` on ``trigger``, then fill in the details, then (if asked) why."""
        private = {"show_progress": "hidden", "api_visibility": "private"}
        return (
            trigger(show, inputs=inputs, outputs=[verdict, quick, reading_state], **MODEL_EVENTS, **private, **options)
            .then(details, inputs=reading_state, outputs=[status, chart, seen, boxes], **private)
            .then(show_why, inputs=[reading_state, why_wanted], outputs=why, **MODEL_EVENTS, **private)
        )  # fmt: skip

    show_reading(sketchpad.change, sketchpad, trigger_mode="always_last")
    # "input", not "change": Gradio's Image fires "change" twice for a file put in place of another.
    show_reading(upload.input, upload)
    # The editor does not fire .change when its value is set by an example or by Clear.
    show_reading(examples.load_input_event.then, sketchpad)
    show_reading(clear.click(lambda: None, outputs=sketchpad, api_visibility="private").then, sketchpad)
    why_wanted.change(
        show_why, inputs=[reading_state, why_wanted], outputs=why, api_visibility="private", **MODEL_EVENTS
    )
    gr.on(
        [save.click, right_answer.submit], save_correction, inputs=[reading_state, right_answer],
        outputs=[saved, right_answer], api_visibility="private", concurrency_limit=1,
    )  # fmt: skip
    # The public API: each call stands alone and keeps nothing in a session.
    gr.on([], predict, inputs=sketchpad, outputs=verdict, api_name="predict", **MODEL_EVENTS)
    gr.on([], predict_image, inputs=upload, outputs=verdict, api_name="predict_image", **MODEL_EVENTS)
    gr.on([], read_number, inputs=sketchpad, outputs=number, api_name="read_number", **MODEL_EVENTS)


def launch(**overrides: Any):
    """Serve the app as deployed; tests pass overrides such as ``prevent_thread_lock``."""
    if settings.mcp_server and importlib.util.find_spec("mcp") is None:
        raise SystemExit("DIGITS_MCP=1 needs Gradio's MCP extra: pip install -r requirements.txt")
    options = {
        "css": CSS, "js": JS, "theme": gr.themes.Soft(), "max_file_size": settings.max_file_size,
        "mcp_server": settings.mcp_server,
        "show_error": False,  # unexpected errors stay in the log; gr.Error messages still reach people
        "state_session_capacity": 2000,  # sessions whose reading is kept (about 100 KB each)
        # No run history: the page reads on every stroke, so the browser would keep dozens of
        # drawings per visit, on shared computers too; "Wrong?" is how a drawing is kept.
        "run_history": False, "footer_links": ["api", "gradio", "settings"],
        # Routes the app does not offer are refused, and every request's body is bounded (ui/guard.py).
        "app_kwargs": {"middleware": [Middleware(RequestGuard, blocks=demo)]},
    }  # fmt: skip
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(ANALYTICS_EVERY))  # read by demo.queue()
    # Formatting events (the details, Clear, loading an example) run without a limit; a few
    # hundred waiting readings are at most a few seconds of work, each bounded (digits.reading).
    return demo.queue(max_size=256, default_concurrency_limit=None).launch(**(options | overrides))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    reader.load()  # before serving, so the first visitor does not wait
    logger.info("serving %s", reader.model_id)
    launch()


if __name__ == "__main__":
    main()
