"""The reader: the one way from an image to an answer, for the app, the benchmarks and the tests.

Preprocessing, the model, and an honest verdict. A drawing with several digits side by side is
read as a number: ``segment`` splits the ink, and each digit goes through the same
preprocessing and model as a lone one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import keras
import numpy as np
from PIL import Image

from digits.reading.explain import occlusion_map, overlay, to_drawing
from digits.reading.inference import Predictor
from digits.reading.preprocess import EmptyImageError, bounding_box, crop_ink, drawing_ink, preprocess_ink
from digits.reading.segment import Part, segment

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

    status: str  # "digit", "uncertain", "number" or "empty"
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


class LoadedModel(Protocol):
    """What the reader needs of a model that was found (see ``digits.storage.resolver``)."""

    model: keras.Model
    path: Path
    sha256: str


class DigitReader:
    """Reads images with the model that ``load_model`` gives, fetched on first use.

    Args:
        load_model: finds the model (it may download or train one); called once.
    """

    def __init__(self, load_model: Callable[[], LoadedModel]) -> None:
        self._load_model = load_model
        self._lock = threading.Lock()
        self._predictor: Predictor | None = None
        self.loaded: LoadedModel | None = None

    def load(self) -> LoadedModel:
        """Find and warm up the model (once; later calls return at once)."""
        with self._lock:
            if self.loaded is None:
                loaded = self._load_model()
                predictor = Predictor(loaded.model)
                predictor.warm_up()
                self._predictor, self.loaded = predictor, loaded
        return self.loaded

    @property
    def model_id(self) -> str:
        """The model file's name and the start of its SHA-256, to tell models apart."""
        loaded = self.load()
        return f"{loaded.path.name}@{loaded.sha256[:12]}"

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """The model's (N, 10) probabilities for (N, 28, 28) preprocessed images."""
        self.load()
        return self._predictor.probabilities(images)

    def read(self, value: Any) -> Reading:
        """The reading of one input: a sketchpad value, an image or an image file.

        One digit is read from all the ink, as it always was; several side by side are read
        one by one, as a number.

        Raises:
            ImageError: the input is not an image, or is damaged or too large.
        """
        try:
            ink = drawing_ink(value)
            crop, box = crop_ink(ink)
        except EmptyImageError:
            return Reading("empty", PROMPT)
        margin = max(MARGIN, round(MARGIN_SHARE * (box[3] - box[1])))
        around = (
            max(box[0] - margin, 0), max(box[1] - margin, 0),
            min(box[2] + margin, ink.width), min(box[3] + margin, ink.height),
        )  # fmt: skip
        where = {"box": box, "drawing": np.asarray(ink.crop(around)), "origin": around[:2]}
        # A part so faint that preprocessing finds no ink in it (an anti-aliased sliver) is no digit.
        parts = [part for part in segment(crop, self._surety) if _seen(part.ink) is not None]
        if len(parts) <= 1:
            seen = _seen(crop)
            if seen is None:
                return Reading("empty", PROMPT)
            return verdict(self.probabilities(seen[np.newaxis])[0], seen, **where)
        seen = np.stack([_seen(part.ink) for part in parts])
        readings = [
            verdict(probabilities, image, box=_moved(part.box, box[0], box[1]))  # crop -> drawing
            for part, probabilities, image in zip(parts, self.probabilities(seen), seen, strict=True)
        ]
        return number_verdict(readings, **where)

    def explain(self, reading: Reading) -> Image.Image | None:
        """The drawing with where each digit's evidence came from in red (see digits.explain)."""
        digits = reading.parts or ((reading,) if reading.seen is not None else ())
        if reading.drawing is None or not digits:
            return None
        heat = np.zeros(reading.drawing.shape, np.float32)
        for part in digits:
            local = occlusion_map(self.probabilities, part.seen, part.digit)
            np.maximum(heat, to_drawing(local, part.seen, reading.in_drawing(part.box), heat.shape), out=heat)
        return overlay(reading.drawing, heat)

    def _surety(self, parts: list[Part]) -> list[float]:
        """How surely the model reads each part; a part with no ink left is read with surety 0."""
        images = [_seen(part.ink) for part in parts]
        readable = [image for image in images if image is not None]
        sure = iter(self.probabilities(np.stack(readable)).max(axis=1) if readable else [])
        return [0.0 if image is None else float(next(sure)) for image in images]


def _seen(ink: np.ndarray) -> np.ndarray | None:
    """The 28x28 image the model reads for ``ink``; None if preprocessing finds no ink in it."""
    try:
        return preprocess_ink(ink)
    except EmptyImageError:
        return None


def _moved(box: Box, dx: int, dy: int) -> Box:
    return box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy
