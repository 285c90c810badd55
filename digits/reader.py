"""Read digits: preprocessing, one compiled model call, and an honest verdict.

A drawing with several digits side by side is read as a number: ``digits.segment`` splits
the ink, and each digit goes through the same preprocessing and model as a lone one.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from digits.explain import occlusion_map, overlay, to_drawing
from digits.inference import Predictor
from digits.preprocess import EmptyImageError, bounding_box, crop_ink, drawing_ink, preprocess_ink
from digits.segment import Part, segment
from digits.settings import Settings
from digits.store import ResolvedModel, resolve_model

# Below this top probability the answer is "uncertain" (see bench/uncertainty.py for how
# often that fires on real digits and on scribbles).
UNCERTAIN_BELOW = 0.6
# A wide shape that fills more of its box than this is a blob, not a digit.
BLOB_FILL = 0.6
PROMPT = "Draw a digit (0-9) to see what the model reads."
# A reading keeps the ink around what it read, for the boxes, the "why" view and corrections:
# the ink's box and this share of its height around it (at least MARGIN pixels), not the
# whole canvas, which would cost each session 640 KB.
MARGIN = 8
MARGIN_SHARE = 1 / 8


Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the drawing's pixels


@dataclass(frozen=True)
class Reading:
    """What the app says about one image: a digit, a number of several, or why neither."""

    status: str  # "digit", "uncertain", "number", "empty" or "error"
    message: str
    probabilities: np.ndarray | None = None  # (10,), for one digit
    seen: np.ndarray | None = None  # the 28x28 image the model read, for one digit
    box: Box | None = None  # where the digit (or the number) is in the drawing
    parts: tuple[Reading, ...] = ()  # a number's digits, left to right
    drawing: np.ndarray | None = None  # the ink map around ``box`` (uint8, 255 = ink)...
    origin: tuple[int, int] = (0, 0)  # ...whose top left corner is here in the drawing

    @property
    def digit(self) -> int | None:
        return None if self.probabilities is None else int(self.probabilities.argmax())

    @property
    def confidence(self) -> float | None:
        return None if self.probabilities is None else float(self.probabilities.max())

    def in_drawing(self, box: Box) -> Box:
        """``box``, from the whole drawing's pixels to those of ``drawing``."""
        return _moved(box, -self.origin[0], -self.origin[1])

    @property
    def text(self) -> str:
        """The digits read, left to right ("?" for one the model is unsure of); "" if none."""
        if self.parts:
            return "".join(part.text for part in self.parts)
        if self.status == "digit":
            return str(self.digit)
        return "?" if self.status == "uncertain" else ""


def is_blob(seen: np.ndarray) -> bool:
    """A filled, roughly round shape: a smudge or scribble rather than a digit."""
    mask = seen > 0.5
    box = bounding_box(mask)
    if box is None:
        return False
    rows, cols = box
    height, width = rows.stop - rows.start, cols.stop - cols.start
    return width / height > 0.65 and mask.sum() / (height * width) > BLOB_FILL


def verdict(probabilities: np.ndarray, seen: np.ndarray, **where: Any) -> Reading:
    digit, confidence = int(probabilities.argmax()), float(probabilities.max())
    if is_blob(seen):
        message = "That looks like a blob or a scribble, not a digit."
        return Reading("uncertain", message, probabilities, seen, **where)
    if confidence < UNCERTAIN_BELOW:
        message = f"Not sure: maybe {digit} ({confidence:.0%})."
        return Reading("uncertain", message, probabilities, seen, **where)
    return Reading("digit", f"{digit} ({confidence:.0%} sure)", probabilities, seen, **where)


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


class DigitReader:
    """Finds the model on first use, then reads images with one compiled model call each."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._predictor: Predictor | None = None
        self.resolved: ResolvedModel | None = None
        self._model_id: str | None = None

    def load(self) -> ResolvedModel:
        """Resolve and warm up the model (once; later calls return at once)."""
        with self._lock:
            if self.resolved is None:
                resolved = resolve_model(self.settings)
                predictor = Predictor(resolved.model)
                predictor.warm_up()
                self._predictor, self.resolved = predictor, resolved
        return self.resolved

    def read(self, value: Any) -> Reading:
        """The reading of one input: a sketchpad value, an image or an image file.

        One digit is read from all the ink, as it always was; several side by side are read
        one by one, as a number.
        """
        self.load()
        try:
            ink = drawing_ink(value)
            crop, box = crop_ink(ink)
        except EmptyImageError:
            return Reading("empty", PROMPT)
        except ValueError as error:
            return Reading("error", f"Could not read that image: {error}")
        margin = max(MARGIN, round(MARGIN_SHARE * (box[3] - box[1])))
        around = (
            max(box[0] - margin, 0), max(box[1] - margin, 0),
            min(box[2] + margin, ink.width), min(box[3] + margin, ink.height),
        )  # fmt: skip
        where = {"box": box, "drawing": np.asarray(ink.crop(around)), "origin": around[:2]}
        parts = segment(crop, self._surety)
        if len(parts) <= 1:
            seen = preprocess_ink(crop)
            return verdict(self._predictor.probabilities(seen[np.newaxis])[0], seen, **where)
        seen = np.stack([preprocess_ink(part.ink) for part in parts])
        readings = [
            verdict(probabilities, image, box=_moved(part.box, box[0], box[1]))  # crop -> drawing
            for part, probabilities, image in zip(parts, self._predictor.probabilities(seen), seen, strict=True)
        ]
        return number_verdict(readings, **where)

    def model_id(self) -> str:
        """The model file's name and the start of its SHA-256, to tell models apart."""
        if self._model_id is None:  # the model does not change once loaded
            resolved = self.load()
            digest = hashlib.sha256(resolved.path.read_bytes()).hexdigest()[:12]
            self._model_id = f"{resolved.path.name}@{digest}"
        return self._model_id

    def explain(self, reading: Reading) -> Image.Image | None:
        """The drawing with where each digit's evidence came from in red (see digits.explain)."""
        digits = reading.parts or ((reading,) if reading.seen is not None else ())
        if reading.drawing is None or not digits:
            return None
        self.load()
        heat = np.zeros(reading.drawing.shape, np.float32)
        for part in digits:
            local = occlusion_map(self._predictor.probabilities, part.seen, part.digit)
            np.maximum(heat, to_drawing(local, part.seen, reading.in_drawing(part.box), heat.shape), out=heat)
        return overlay(reading.drawing, heat)

    def _surety(self, parts: list[Part]) -> list[float]:
        images = np.stack([preprocess_ink(part.ink) for part in parts])
        return list(self._predictor.probabilities(images).max(axis=1))


def _moved(box: Box, dx: int, dy: int) -> Box:
    return box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy
