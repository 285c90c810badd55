"""How a reading is shown: the verdict label, the sentence, the chart, the 28x28 view, the boxes."""

from __future__ import annotations

from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from digits.reading.readings import PROMPT, Reading
from ui.components import Verdict

DIGITS = [str(digit) for digit in range(10)]
EMPTY_CHART = pd.DataFrame({"digit": DIGITS, "probability": [0.0] * 10})
SEEN_SIZE = 224  # the 28x28 image, 8 times larger, in sharp pixels


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


def page_verdict(reading: Reading) -> Any:
    """The page's verdict: ``label_value``'s, or none where no digit was read (an empty canvas, a
    file refused): the sentence under it says why, in the page's own type, not the verdict's."""
    if reading.status != "number" and reading.probabilities is None:
        return None
    return label_value(reading)


def headline(reading: Reading) -> str:
    """The reading in one short line, for just above the canvas on a phone: "**7** · 98 % sure"."""
    if reading.status == "number":
        unsure = sum(part.status != "digit" for part in reading.parts)
        return f"**{reading.text}**" + (f" · {unsure} digit{'s' if unsure > 1 else ''} unsure" if unsure else "")
    if reading.probabilities is None:
        return reading.message
    if reading.status == "uncertain":
        return f"**?** · maybe {reading.digit} ({reading.confidence:.0%})"
    return f"**{reading.digit}** · {reading.confidence:.0%} sure"


def details(reading: Reading | None) -> tuple[Any, Any, Any, Any]:
    """The sentence, the bar chart, the 28x28 image the model saw and the boxes view.

    One digit shows its chart and its 28x28 image; a number shows each digit's box instead.
    """
    hide_boxes = gr.update(value=None, visible=False)
    if reading is not None and reading.status == "number":
        boxes = [(reading.in_drawing(part.box), f"{part.text} · {part.confidence:.0%}") for part in reading.parts]
        drawing = Image.fromarray(255 - reading.drawing)
        hidden = gr.update(visible=False)
        return f"**{reading.message}**", hidden, hidden, gr.update(value=(drawing, boxes), visible=True)
    if reading is None or reading.probabilities is None:
        message = reading.message if reading else PROMPT
        return message, gr.update(value=EMPTY_CHART, visible=True), gr.update(value=None, visible=True), hide_boxes
    chart = pd.DataFrame({"digit": DIGITS, "probability": reading.probabilities.round(4)})
    seen = Image.fromarray((reading.seen * 255).astype(np.uint8)).resize((SEEN_SIZE, SEEN_SIZE), Image.NEAREST)
    return (
        f"**{reading.message}**",
        gr.update(value=chart, visible=True),
        gr.update(value=seen, visible=True),
        hide_boxes,
    )


def number_json(reading: Reading) -> dict:
    """The /read_number answer: the number read, and each digit with its confidence and box."""
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
