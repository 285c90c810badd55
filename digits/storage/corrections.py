"""Drawings the model misread, saved with the right answer, to train on later.

``CorrectionStore`` writes them to a folder; with a Hub dataset repo and a token it also pushes
that folder with ``huggingface_hub.CommitScheduler``. The folder is an
"imagefolder" dataset, so ``datasets.load_dataset("imagefolder", data_dir=...)`` and the
Hub's viewer read it as it is:

    corrections/
      metadata.jsonl      one JSON object per drawing: file_name, label, predicted,
                          confidence, model, saved_at
      images/<id>.png     the drawing's ink map, 8-bit grey: 0 paper .. 255 ink

``train.py --extra-data FOLDER`` reads it back with ``load_corrections``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from digits import IMAGE_SIZE
from digits.reading.preprocess import preprocess_ink
from digits.reading.segment import segment

if TYPE_CHECKING:  # the reader brings TensorFlow, which reading the folder back does not need
    from digits.reading.reader import Reading

logger = logging.getLogger(__name__)
METADATA = "metadata.jsonl"
MAX_DIGITS = 12  # the longest correction accepted


def parse_label(text: str | None) -> str:
    """The digits someone typed as the right answer; ValueError with the reason if none."""
    label = "".join((text or "").split())
    if not label:
        raise ValueError("Type the digit (or number) you drew, then save.")
    if not label.isascii() or not label.isdigit():
        raise ValueError(f"{text!r} is not a number: type only the digits 0-9.")
    if len(label) > MAX_DIGITS:
        raise ValueError(f"At most {MAX_DIGITS} digits, please.")
    return label


class CorrectionStore:
    """Saves drawings with the answer someone typed, in a folder (see the module's docstring).

    Args:
        folder: where to save; created on the first save.
        model_id: says which model misread (recorded with each drawing).
        hub_repo, hub_token: a Hub dataset repo to push the folder to, and a token that can
            write to it; without both, drawings stay in the folder.
        every: minutes between pushes.
    """

    def __init__(
        self,
        folder: str | Path,
        *,
        model_id: Callable[[], str] = str,
        hub_repo: str = "",
        hub_token: str | None = None,
        every: float = 5,
    ) -> None:
        self.folder = Path(folder)
        self.model_id, self.hub_repo, self.hub_token, self.every = model_id, hub_repo, hub_token, every
        self.scheduler = None
        self._lock = threading.Lock()
        self._started = False

    def _start(self) -> None:
        """Create the folder and, with a Hub repo and a token, start pushing it (first save only,
        so that nothing touches the disk or the network before someone saves)."""
        (self.folder / "images").mkdir(parents=True, exist_ok=True)
        self._started = True
        if self.hub_repo and self.hub_token:
            from huggingface_hub import CommitScheduler

            try:
                self.scheduler = CommitScheduler(
                    repo_id=self.hub_repo, repo_type="dataset", folder_path=self.folder, every=self.every,
                    token=self.hub_token, private=True,
                )  # fmt: skip
            except Exception as error:  # the Hub is optional: keep saving locally
                logger.warning("corrections stay local: cannot use Hub dataset %s (%s)", self.hub_repo, error)

    def save(self, reading: Reading | None, text: str | None) -> int:
        """Save ``reading``'s drawing with the answer typed; returns how many the folder holds.

        Raises:
            ValueError: no answer, not digits, or nothing was drawn (the message says which).
        """
        label = parse_label(text)
        if reading is None or reading.drawing is None:
            raise ValueError("Draw something first: there is nothing to save.")
        name = f"images/{uuid.uuid4().hex}.png"
        record = {
            "file_name": name,
            "label": label,
            "predicted": reading.text,
            "confidence": None if reading.confidence is None else round(reading.confidence, 4),
            "model": self.model_id(),
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        ink = Image.fromarray(reading.drawing)  # the ink read, with a margin of paper
        with self._lock:
            if not self._started:
                self._start()
            with self.scheduler.lock if self.scheduler else nullcontext():
                temporary = self.folder / f".{uuid.uuid4().hex}.tmp"
                ink.save(temporary, format="PNG")
                os.replace(temporary, self.folder / name)  # the image is whole before it is listed
                with open(self.folder / METADATA, "a+", encoding="utf-8") as file:
                    file.write(json.dumps(record) + "\n")
                    file.seek(0)
                    return sum(1 for _ in file)


@dataclass(frozen=True)
class Corrections:
    images: np.ndarray  # (N, 28, 28) float32, through the app's preprocessing
    labels: np.ndarray  # (N,) int
    skipped: int  # records that could not be used (unreadable, or digits miscounted)


def load_corrections(folder: str | Path) -> Corrections:
    """Every saved digit in ``folder`` as a training example.

    A number's drawing is split into its pieces of ink as the app does, but without the
    model to cut digits that touch: it is used when it splits into as many digits as its
    label has, and skipped otherwise.
    """
    folder = Path(folder)
    path = folder / METADATA
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: is {folder} a corrections folder?")
    images, labels, skipped = [], [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            label = parse_label(record["label"])
            with Image.open(folder / record["file_name"]) as image:
                ink = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
            parts = [ink] if len(label) == 1 else [part.ink for part in segment(ink)]
            if len(parts) != len(label):
                raise ValueError(f"{len(parts)} digits found for label {label}")
            images.extend(preprocess_ink(part) for part in parts)
            labels.extend(int(digit) for digit in label)
        except (OSError, ValueError, KeyError, TypeError) as error:  # a torn last line, a lost file
            logger.warning("skipping a correction in %s: %s", folder, error)
            skipped += 1
    stacked = np.stack(images) if images else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    return Corrections(stacked, np.array(labels, dtype=np.int64), skipped)
