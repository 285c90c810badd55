"""Read digits: preprocessing, one compiled model call per batch, and an honest verdict."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from digits.inference import Predictor
from digits.preprocess import EmptyImageError, preprocess
from digits.settings import Settings
from digits.store import ResolvedModel, resolve_model

logger = logging.getLogger(__name__)

# Below this top probability the answer is "uncertain" (see bench/uncertainty.py for how
# often that fires on real digits and on scribbles).
UNCERTAIN_BELOW = 0.6
# A wide shape that fills more of its box than this is a blob, not a digit.
BLOB_FILL = 0.6


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
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return False
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
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
    """Finds the model on first use, then reads batches of images with one model call."""

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

    def read_many(self, values: list[Any]) -> list[Reading]:
        """Readings for many inputs (sketchpad values, images or files), in order."""
        self.load()
        readings: list[Reading | None] = []
        images, slots = [], []
        for value in values:
            try:
                image = preprocess(value)
            except EmptyImageError:
                readings.append(Reading("empty", "Draw a digit (0-9) to see what the model reads."))
                continue
            except ValueError as error:
                readings.append(Reading("error", f"Could not read that image: {error}"))
                continue
            slots.append(len(readings))
            readings.append(None)
            images.append(image)
        if images:
            probabilities = self._predictor.probabilities(np.stack(images))
            for slot, image, row in zip(slots, images, probabilities, strict=True):
                readings[slot] = verdict(row, image)
        return readings

    def read(self, value: Any) -> Reading:
        return self.read_many([value])[0]
