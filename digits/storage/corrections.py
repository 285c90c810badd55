"""Drawings the model misread, saved with the right answer, reviewed, then trained on.

Anyone can save one, so saving is bounded: each client (address) at most ``per_hour`` an hour,
the folder at most ``max_count`` drawings and ``max_bytes`` of images, the same drawing with
the same answer only once. Nothing saved is trained on until someone has accepted it
(``scripts/review_corrections.py``); ``train.py --extra-data`` reads only accepted ones.

Each run of the app saves into a folder of its own, so that pushing to the Hub (with
``huggingface_hub.CommitScheduler``, every few minutes) adds to what is there and never replaces
it. Each run's folder is an "imagefolder" dataset, which the Hub's viewer reads as it is:

    corrections/
      <run>/metadata.jsonl   one JSON object per drawing: file_name, label, predicted,
                             confidence, model, saved_at
      <run>/images/<sha256>.png   the drawing's ink map, 8-bit grey, 0 paper .. 255 ink, at most
                             320 px a side
      reviews.jsonl          the reviewer's verdicts: {"image": "<run>/images/<sha256>.png",
                             "verdict": "accepted" or "rejected", "at"}; the latest one counts
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from digits import IMAGE_SIZE
from digits.reading.preprocess import preprocess_ink
from digits.reading.readings import Reading
from digits.reading.segment import segment

logger = logging.getLogger(__name__)
METADATA = "metadata.jsonl"
REVIEWS = "reviews.jsonl"
MAX_DIGITS = 12  # the longest correction accepted
VERDICTS = ("accepted", "rejected")


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


@dataclass(frozen=True)
class Record:
    """One saved drawing: where its image is (relative to the corrections folder) and what was said."""

    image: str
    label: str
    predicted: str
    verdict: str | None  # None: not reviewed yet


def records(folder: str | Path) -> list[Record]:
    """Every drawing saved in ``folder``, oldest run first, with its latest review.

    A line cut short (a save interrupted) is skipped.
    """
    folder = Path(folder)
    verdicts: dict[str, str] = {}
    for review in _lines(folder / REVIEWS):
        verdicts[review.get("image", "")] = review.get("verdict")
    found = []
    for metadata in sorted(folder.glob(f"*/{METADATA}")):
        run = metadata.parent.name
        for entry in _lines(metadata):
            if "file_name" in entry and "label" in entry:
                image = f"{run}/{entry['file_name']}"
                found.append(Record(image, str(entry["label"]), str(entry.get("predicted", "")), verdicts.get(image)))
    return found


def _lines(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:  # a line cut short by a crash mid-write
            logger.warning("skipping a damaged line in %s", path)
    return entries


def review(folder: str | Path, image: str, verdict: str) -> None:
    """Record the reviewer's ``verdict`` ("accepted" or "rejected") on one saved image."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}")
    with open(Path(folder) / REVIEWS, "a", encoding="utf-8") as file:
        file.write(json.dumps({"image": image, "verdict": verdict, "at": _now()}) + "\n")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class CorrectionStore:
    """Saves drawings with the answer someone typed, within bounds (see the module's docstring).

    Args:
        folder: where to save; this run's folder is made inside it on the first save.
        model_id: says which model misread (recorded with each drawing).
        hub_repo, hub_token: a Hub dataset repo to push this run's folder to, and a token that
            can write to it; without both, drawings stay in the folder.
        every: minutes between pushes.
        per_hour: saves allowed per client in any hour.
        max_count, max_bytes: the most drawings, and bytes of images, the folder may hold.
        clock: the time in seconds (tests pass their own).
    """

    def __init__(
        self,
        folder: str | Path,
        *,
        model_id: Callable[[], str] = str,
        hub_repo: str = "",
        hub_token: str | None = None,
        every: float = 5,
        per_hour: int = 20,
        max_count: int = 5000,
        max_bytes: int = 200_000_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = Path(folder)
        self.model_id, self.hub_repo, self.hub_token, self.every = model_id, hub_repo, hub_token, every
        self.per_hour, self.max_count, self.max_bytes, self.clock = per_hour, max_count, max_bytes, clock
        self.run = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.scheduler = None
        self._lock = threading.Lock()
        self._started = False
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._seen: set[tuple[str, str]] = set()  # (image file name, label) already saved
        self._count = self._bytes = 0

    @property
    def run_folder(self) -> Path:
        return self.folder / self.run

    def _start(self) -> None:
        """Take stock of the folder and make this run's (first save only, so that nothing touches
        the disk or the network before someone saves); with a Hub repo and a token, push it."""
        for record in records(self.folder):
            self._seen.add((Path(record.image).name, record.label))
            self._count += 1
        self._bytes = sum(path.stat().st_size for path in self.folder.glob("*/images/*.png"))
        (self.run_folder / "images").mkdir(parents=True, exist_ok=True)
        self._started = True
        if self.hub_repo and self.hub_token:
            from huggingface_hub import CommitScheduler

            try:
                self.scheduler = CommitScheduler(
                    repo_id=self.hub_repo, repo_type="dataset", folder_path=self.run_folder, path_in_repo=self.run,
                    every=self.every, token=self.hub_token, private=True,
                )  # fmt: skip
            except Exception as error:  # the Hub is optional: keep saving locally
                logger.warning("corrections stay local: cannot use Hub dataset %s (%s)", self.hub_repo, error)

    def save(self, reading: Reading | None, text: str | None, *, client: str = "") -> int:
        """Save ``reading``'s drawing with the answer typed; returns how many the folder holds.

        Raises:
            ValueError: no answer, not digits, nothing drawn, already saved, too many from this
                client this hour, or the folder is full (the message says which).
        """
        label = parse_label(text)
        if reading is None or reading.drawing is None:
            raise ValueError("Draw something first: there is nothing to save.")
        buffer = io.BytesIO()
        Image.fromarray(reading.drawing).save(buffer, format="PNG", optimize=True)  # the ink read
        png = buffer.getvalue()
        name = f"images/{hashlib.sha256(png).hexdigest()[:32]}.png"
        with self._lock:
            if not self._started:
                self._start()
            now, recent = self.clock(), self._recent[client]
            while recent and recent[0] <= now - 3600:
                recent.popleft()
            if len(recent) >= self.per_hour:
                raise ValueError(f"Thank you! That is {self.per_hour} saves this hour: please try again later.")
            if (Path(name).name, label) in self._seen:
                raise ValueError("That drawing is already saved with that answer.")
            if self._count >= self.max_count or self._bytes + len(png) > self.max_bytes:
                raise ValueError("The collection of corrections is full for now: thank you all the same.")
            record = {
                "file_name": name,
                "label": label,
                "predicted": reading.text,
                "confidence": None if reading.confidence is None else round(reading.confidence, 4),
                "model": self.model_id(),
                "saved_at": _now(),
            }
            with self.scheduler.lock if self.scheduler else nullcontext():
                temporary = self.run_folder / f".{uuid.uuid4().hex}.tmp"
                temporary.write_bytes(png)
                os.replace(temporary, self.run_folder / name)  # the image is whole before it is listed
                with open(self.run_folder / METADATA, "a", encoding="utf-8") as file:
                    file.write(json.dumps(record) + "\n")
            recent.append(now)
            self._seen.add((Path(name).name, label))
            self._count += 1
            self._bytes += len(png)
            return self._count


@dataclass(frozen=True)
class Corrections:
    images: np.ndarray  # (N, 28, 28) float32, through the app's preprocessing
    labels: np.ndarray  # (N,) int
    skipped: int  # accepted records that could not be used (unreadable, or digits miscounted)
    pending: int  # records not reviewed yet, left out


def load_corrections(folder: str | Path) -> Corrections:
    """Every accepted saved digit in ``folder`` as a training example.

    A number's drawing is split into its pieces of ink as the app does, but without the
    model to cut digits that touch: it is used when it splits into as many digits as its
    label has, and skipped otherwise.

    Raises:
        FileNotFoundError: ``folder`` holds no corrections.
    """
    folder = Path(folder)
    if not any(folder.glob(f"*/{METADATA}")):
        raise FileNotFoundError(f"no */{METADATA} in {folder}: is it a corrections folder?")
    images, labels, skipped, pending = [], [], 0, 0
    for record in records(folder):
        if record.verdict != "accepted":
            pending += record.verdict is None
            continue
        try:
            label = parse_label(record.label)
            with Image.open(folder / record.image) as image:
                ink = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
            parts = [ink] if len(label) == 1 else [part.ink for part in segment(ink)]
            if len(parts) != len(label):
                raise ValueError(f"{len(parts)} digits found for label {label}")
            images.extend(preprocess_ink(part) for part in parts)
            labels.extend(int(digit) for digit in label)
        except (OSError, ValueError) as error:  # a lost file, a miscounted number
            logger.warning("skipping %s: %s", record.image, error)
            skipped += 1
    stacked = np.stack(images) if images else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    return Corrections(stacked, np.array(labels, dtype=np.int64), skipped, pending)
