"""Read digits: preprocessing, one compiled model call, and an honest verdict."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from digits.inference import Predictor
from digits.preprocess import EmptyImageError, bounding_box, preprocess
from digits.settings import Settings
from digits.store import ResolvedModel, resolve_model

# Below this top probability the answer is "uncertain" (see bench/uncertainty.py for how
# often that fires on real digits and on scribbles).
UNCERTAIN_BELOW = 0.6
# A wide shape that fills more of its box than this is a blob, not a digit.
BLOB_FILL = 0.6
PROMPT = "Draw a digit (0-9) to see what the model reads."


@dataclass(frozen=True)
class Reading:
    """What the app says about one image."""

    status: str  # "digit", "uncertain", "empty" or "error"
    message: str
    probabilities: np.ndarray | None = None  # (10,)
    seen: np.ndarray | None = None  # the 28x28 image the model read

    @property
    def digit(self) -> int | None:
        return None if self.probabilities is None else int(self.probabilities.argmax())


def is_blob(seen: np.ndarray) -> bool:
    """A filled, roughly round shape: a smudge or scribble rather than a digit."""
    mask = seen > 0.5
    box = bounding_box(mask)
    if box is None:
        return False
    rows, cols = box
    height, width = rows.stop - rows.start, cols.stop - cols.start
    return width / height > 0.65 and mask.sum() / (height * width) > BLOB_FILL


def verdict(probabilities: np.ndarray, seen: np.ndarray) -> Reading:
    digit, confidence = int(probabilities.argmax()), float(probabilities.max())
    if is_blob(seen):
        message = "That looks like a blob or a scribble, not a digit."
        return Reading("uncertain", message, probabilities, seen)
    if confidence < UNCERTAIN_BELOW:
        message = f"Not sure: maybe {digit} ({confidence:.0%})."
        return Reading("uncertain", message, probabilities, seen)
    return Reading("digit", f"{digit} ({confidence:.0%} sure)", probabilities, seen)


class DigitReader:
    """Finds the model on first use, then reads images with one compiled model call each."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._predictor: Predictor | None = None
        self.resolved: ResolvedModel | None = None

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
        """The reading of one input: a sketchpad value, an image or an image file."""
        self.load()
        try:
            image = preprocess(value)
        except EmptyImageError:
            return Reading("empty", PROMPT)
        except ValueError as error:
            return Reading("error", f"Could not read that image: {error}")
        return verdict(self._predictor.probabilities(image[np.newaxis])[0], image)
