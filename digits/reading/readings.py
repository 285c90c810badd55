"""What the reader answers: a ``Reading`` (a digit, a number of several, or why neither), the
verdict on the digit network's probabilities for one digit (sure, unsure, or a blob), and the
longest number it reads (MAX_DIGITS)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from digits.reading.preprocess import DrawingRefused, bounding_box

# Below this top probability the answer is "uncertain" (bench/uncertainty.py: how often that
# fires on real digits and on scribbles). On the held-out pen writers, 0.5 instead of 0.6 read
# 0.16 % more of their digits right and flagged 1 % fewer scribbles (69 % instead of 70 %).
UNCERTAIN_BELOW = 0.5
# A wide shape that fills more of its box than this is a blob, not a digit...
BLOB_FILL = 0.6
# ...and a digit of a number, more than this: people draw numbers smaller for the brush than lone
# digits, and a small digit's loops fill. Of the held-out writers' digits in numbers (8
# renderings, the page's brush) that 0.6 marked "?", 14 of 16 were read right, filling 60-67 % of
# their box; of the pieces of scribbles read as numbers that it marks, 111 of 116 fill over 68 %.
NUMBER_BLOB_FILL = 0.68
PROMPT = "Draw a digit (0-9) to see what the model reads."
BLOB = "That looks like a blob or a scribble, not a digit."
MAX_DIGITS = 16  # a longer number is refused


Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the drawing's pixels


@dataclass(frozen=True)
class Reading:
    """What the app says about one image: a digit, a number of several, or why neither."""

    status: str  # "digit", "uncertain", "number", "empty", or "refused" (the page's: ``message`` says why)
    message: str
    probabilities: np.ndarray | None = None  # (10,), for one digit
    seen: np.ndarray | None = None  # the 28x28 image the model read, for one digit
    box: Box | None = None  # where the digit (or the number) is in the drawing
    parts: tuple[Reading, ...] = ()  # a number's digits, left to right
    drawing: np.ndarray | None = None  # the ink map around ``box`` (uint8, 255 = ink; None: not kept)...
    origin: tuple[int, int] = (0, 0)  # ...whose top left corner is here in the drawing...
    scale: float = 1.0  # ...reduced by this factor

    @property
    def digit(self) -> int | None:
        return None if self.probabilities is None else int(self.probabilities.argmax())

    @property
    def confidence(self) -> float | None:
        return None if self.probabilities is None else float(self.probabilities.max())

    def in_drawing(self, box: Box) -> Box:
        """``box``, from the whole drawing's pixels to those of ``drawing``."""
        x0, y0, x1, y1 = moved(box, -self.origin[0], -self.origin[1])
        return (
            int(x0 * self.scale),
            int(y0 * self.scale),
            int(np.ceil(x1 * self.scale)),
            int(np.ceil(y1 * self.scale)),
        )

    @property
    def text(self) -> str:
        """The digits read, left to right ("?" for one the model is unsure of); "" if none."""
        if self.parts:
            return "".join(part.text for part in self.parts)
        if self.status == "digit":
            return str(self.digit)
        return "?" if self.status == "uncertain" else ""


def is_blob(seen: np.ndarray, *, fill: float = BLOB_FILL) -> bool:
    """A filled (more than ``fill`` of its box), roughly round shape: a smudge or scribble rather
    than a digit."""
    mask = seen > 0.5
    box = bounding_box(mask)
    if box is None:
        return False
    rows, cols = box
    height, width = rows.stop - rows.start, cols.stop - cols.start
    return width / height > 0.65 and mask.sum() / (height * width) > fill


def verdict(probabilities: np.ndarray, seen: np.ndarray, *, blob_fill: float = BLOB_FILL, **where: Any) -> Reading:
    digit, confidence = int(probabilities.argmax()), float(probabilities.max())
    if is_blob(seen, fill=blob_fill):
        return Reading("uncertain", BLOB, probabilities, seen, **where)
    if confidence < UNCERTAIN_BELOW:
        message = f"Not sure: maybe {digit} ({confidence:.0%})."
        return Reading("uncertain", message, probabilities, seen, **where)
    return Reading("digit", f"{digit} ({confidence:.0%} sure)", probabilities, seen, **where)


def digit_verdict(probabilities: np.ndarray, seen: np.ndarray, box: Box) -> Reading:
    """The verdict on one digit of a number (a blob only past NUMBER_BLOB_FILL)."""
    return verdict(probabilities, seen, blob_fill=NUMBER_BLOB_FILL, box=box)


def number_verdict(parts: list[Reading], **where: Any) -> Reading:
    """The reading of several digits side by side."""
    text = "".join(part.text for part in parts)
    unsure = [position for position, part in enumerate(parts, 1) if part.status != "digit"]
    if unsure:
        which = ", ".join(_ordinal(position) for position in unsure)
        message = f"Read {text}: not sure of the {which} digit{'s' if len(unsure) > 1 else ''}."
    else:
        message = f"Read {text}: " + ", ".join(f"{part.digit} ({part.confidence:.0%})" for part in parts) + "."
    return Reading("number", message, parts=tuple(parts), **where)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def refuse_past_max(digits: list) -> None:
    """Refuse a reading of more than MAX_DIGITS digits (``DrawingRefused``)."""
    if len(digits) > MAX_DIGITS:
        raise DrawingRefused(f"That is more than {MAX_DIGITS} digits: write a shorter number.")


def box_width(box: Box) -> int:
    return box[2] - box[0]


def box_height(box: Box) -> int:
    return box[3] - box[1]


def moved(box: Box, dx: int, dy: int) -> Box:
    return box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy
