"""Real pen handwriting: UNIPEN's isolated digits as trajectories, split by writer.

``train.npz`` (see its README) holds, for each digit, the strokes a pen drew on a tablet: lists
of (x, y) points, y pointing down, in each tablet's own units. Writers from 17 sites in the US,
Europe and elsewhere wrote them, so their styles are not MNIST's: crossed 7s, 1s with a flag,
open 4s, 9s with curved tails.

Digits of one writer look alike, so the held-out part is chosen by writer: a writer is held out
when the SHA-256 of their name, salted with this project's own string, falls in the held-out
share, a rule that does not move when the data or the code around it changes. (Unsalted, the
hash cannot split this folder: its lowest value over its 194 writers is 0.30, as if the writers
kept apart from it had been chosen by that very rule.)
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

PEN_FILE = "train.npz"
HELD_OUT_SHARE = 0.2  # of the writers, kept out of training to measure on
HELD_OUT_SALT = "digit-reader held-out writers:"
VALIDATION_SALT = "digit-reader validation writers:"  # a second, independent split of the rest
Strokes = list[np.ndarray]  # one digit: its strokes, each an (n, 2) float array of x, y


class PenDataError(ValueError):
    """The pen data is missing or not in the expected format."""


@dataclass(frozen=True)
class PenDigits:
    """Digits as pen strokes, with who wrote them and where."""

    strokes: list[Strokes]
    labels: np.ndarray  # (N,) int
    writers: np.ndarray  # (N,) writer names, e.g. "apb/Cyndi_Iwata"
    contributors: np.ndarray  # (N,) site codes, e.g. "apb"
    sources: np.ndarray  # (N,) index of the original file; digits of one file share a frame
    order: np.ndarray  # (N,) position in that file, in writing order
    source: str  # where it was loaded from
    sha256: str  # of the file

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices: np.ndarray) -> PenDigits:
        indices = np.asarray(indices)
        return PenDigits(
            [self.strokes[i] for i in indices], self.labels[indices], self.writers[indices],
            self.contributors[indices], self.sources[indices], self.order[indices], self.source, self.sha256,
        )  # fmt: skip


def load_pen_digits(folder: str | Path | None) -> PenDigits:
    """Load ``folder/train.npz``.

    Raises:
        PenDataError: no folder given, the file is missing, or its arrays do not fit together.
    """
    if folder is None:
        raise PenDataError(
            "no pen data: point --pen-dir or UNIPEN_DIR at the folder holding UNIPEN's train.npz "
            "(or pass --pen-dir '' to train on MNIST alone)"
        )
    path = Path(folder) / PEN_FILE
    try:
        raw = path.read_bytes()
        with np.load(path, allow_pickle=False) as arrays:
            points, stroke_start, sample_start = arrays["points"], arrays["stroke_start"], arrays["sample_start"]
            labels = arrays["label"].astype(np.int64)
            writers = arrays["writer_names"][arrays["writer"]]
            contributors = arrays["contributor_names"][arrays["contributor"]]
            sources, order = arrays["source"].astype(np.int64), arrays["order"].astype(np.int64)
    except FileNotFoundError as error:
        raise PenDataError(f"{path} not found: point --pen-dir or UNIPEN_DIR at UNIPEN's folder") from error
    except (OSError, KeyError, ValueError, IndexError) as error:
        raise PenDataError(f"{path}: not UNIPEN's train.npz ({error})") from error
    count = len(labels)
    if len(sample_start) != count + 1 or sample_start[-1] > len(stroke_start) - 1 or stroke_start[-1] != len(points):
        raise PenDataError(f"{path}: its strokes and samples do not add up")
    if labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
        raise PenDataError(f"{path}: a label is not a digit")
    strokes = [
        [points[stroke_start[s] : stroke_start[s + 1]].astype(np.float32) for s in range(sample_start[i], sample_start[i + 1])]
        for i in range(count)
    ]  # fmt: skip
    logger.info("pen digits from %s: %d digits, %d writers", path, count, len(set(writers)))
    return PenDigits(strokes, labels, writers, contributors, sources, order, str(path), hashlib.sha256(raw).hexdigest())


def writer_share(writer: str, salt: str) -> float:
    """Where ``writer`` falls in [0, 1) by the SHA-256 of their salted name: fixed, and
    independent from one salt to another."""
    return int.from_bytes(hashlib.sha256(f"{salt}{writer}".encode()).digest()[:8], "big") / 2**64


def split_writers(pen: PenDigits, share: float, salt: str = VALIDATION_SALT) -> tuple[PenDigits, PenDigits]:
    """(the other writers' digits, the digits of about ``share`` of the writers): no writer is in both."""
    chosen = np.array([writer_share(writer, salt) < share for writer in pen.writers], dtype=bool)
    return pen.subset(np.flatnonzero(~chosen)), pen.subset(np.flatnonzero(chosen))


def split_by_writer(pen: PenDigits) -> tuple[PenDigits, PenDigits]:
    """(training writers' digits, held-out writers' digits): the held-out writers are never
    trained on, only measured on (bench/accuracy.py)."""
    return split_writers(pen, HELD_OUT_SHARE, HELD_OUT_SALT)
