"""Reading a number whole: its ink as a line of fixed height, a network that emits a digit
sequence with CTC, and where in the ink each digit it emitted lies.

The line is made as a lone digit's 28x28 image is (``preprocess``): crop to the ink, redraw it
with MNIST's stroke width at the working size, then scale. Only the height is fixed: LINE_HEIGHT
pixels with the ink LINE_INK_HEIGHT tall in the middle; the width follows the ink. The network
gives, for every FRAME columns of the line, the probability of each digit and of "no new digit"
(CTC's blank); the best path, with repeats merged and blanks dropped, is the number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from digits import NUM_CLASSES
from digits.reading.preprocess import EmptyImageError, bounding_box, normalize_strokes, work_mask

LINE_HEIGHT = 32
LINE_INK_HEIGHT = 24  # the ink's height in the line: a margin of 4 px above and below
LINE_MARGIN = 8  # px of paper before and after the ink
FRAME = 2  # columns of the line per output frame of the network
BLANK = NUM_CLASSES  # CTC's blank is the class after the ten digits
MAX_LINE_WIDTH = 1024  # a longer line (some 60 digits) is squeezed to this width
# A line is read padded with paper to the next of these widths, as the networks learnt
# (``digits.learning.number_training`` batches lines of one padded width): a dozen shapes of
# input for the interpreter, not one per drawing.
LINE_WIDTHS = (48, 64, 80, 96, 128, 160, 192, 256, 320, 448, 640, MAX_LINE_WIDTH)


def padded_width(width: int) -> int:
    """The width a line of ``width`` columns is padded to (LINE_WIDTHS)."""
    return next(padded for padded in LINE_WIDTHS if padded >= width)


@dataclass(frozen=True)
class Line:
    """A number's ink as the sequence network reads it, and how to map it back."""

    image: np.ndarray  # (LINE_HEIGHT, width) floats in 0..1, 1 = ink
    scale: float  # line columns per ink column
    offset: float  # where the ink's column 0 falls in the line

    def to_ink(self, column: float) -> float:
        """A column of the line as a column of the ink it was made from."""
        return (column - self.offset) / self.scale


def preprocess_line(ink: np.ndarray, *, squeeze: float = 1.0) -> Line:
    """The line the sequence network reads, from a number's ink map (2-D, 0 = paper), its
    width scaled by ``squeeze`` beyond what the height's scaling makes it.

    Raises:
        EmptyImageError: there is no ink.
    """
    return preprocess_lines(ink, (squeeze,))[0]


def preprocess_lines(ink: np.ndarray, squeezes: tuple[float, ...]) -> tuple[Line, ...]:
    """``preprocess_line`` for each of ``squeezes``, the strokes redrawn once."""
    ink = np.asarray(ink, dtype=np.float32)
    box = bounding_box(ink > 0)
    if box is None:
        raise EmptyImageError("no ink found: draw a number")
    cropped = ink[box]
    mask = normalize_strokes(work_mask(cropped, by_height=True))
    inner = bounding_box(mask)
    if inner is None:
        raise EmptyImageError("no ink found: draw a number")
    mask = Image.fromarray(mask[inner].astype(np.float32), mode="F")
    top = (LINE_HEIGHT - LINE_INK_HEIGHT) // 2
    lines = []
    for squeeze in squeezes:
        width = min(
            max(1, round(mask.width * LINE_INK_HEIGHT / mask.height * squeeze)), MAX_LINE_WIDTH - 2 * LINE_MARGIN
        )
        drawn = mask.resize((width, LINE_INK_HEIGHT), Image.BOX)
        total = width + 2 * LINE_MARGIN
        image = np.zeros((LINE_HEIGHT, total + -total % FRAME), np.float32)  # whole frames: no column left unread
        image[top : top + LINE_INK_HEIGHT, LINE_MARGIN : LINE_MARGIN + width] = np.clip(np.asarray(drawn), 0, 1)
        # The line's ink spans the ink's columns, give or take the few pixels a stroke was
        # thickened or thinned by: close enough to place a digit's box.
        scale = width / cropped.shape[1]
        lines.append(Line(image, scale=scale, offset=LINE_MARGIN - box[1].start * scale))
    return tuple(lines)


@dataclass(frozen=True)
class Views:
    """A number's ink as lines of several widths (``preprocess_line``'s squeezes), and a
    sequence network's frames for each: one view per line (a line may recur, read by another
    network)."""

    lines: tuple[Line, ...]
    frames: tuple[np.ndarray, ...]
    # Each reading's score, worked out once (about 1 ms for six digits).
    _scores: dict[str, float] = field(default_factory=dict, init=False, repr=False, compare=False)

    def log_likelihood(self, digits: str) -> float:
        """``log_likelihood`` of ``digits``, averaged over the views."""
        if digits not in self._scores:
            self._scores[digits] = float(np.mean(log_likelihoods(self.frames, digits)))
        return self._scores[digits]

    def readings(self) -> list[tuple[Line, np.ndarray, list[Symbol]]]:
        """The views' best paths, each with its line and frames, the likeliest over all views
        first; where several views read the same, only the first of them."""
        found: dict[str, tuple[Line, np.ndarray, list[Symbol]]] = {}
        for line, frames in zip(self.lines, self.frames, strict=True):
            path = best_path(frames)
            found.setdefault("".join(str(symbol.digit) for symbol in path), (line, frames, path))
        texts = list(found)
        if len(texts) > 1:  # where all views agree, nothing is weighed
            texts.sort(key=self.log_likelihood, reverse=True)
        return [found[text] for text in texts]


@dataclass(frozen=True)
class Symbol:
    """One digit of a decoded sequence: which, how sure, and the frames it was read in."""

    digit: int
    confidence: float  # its highest probability in those frames
    first: int
    last: int  # frames, inclusive

    @property
    def centre(self) -> float:
        return (self.first + self.last + 1) / 2 * FRAME  # in line columns


def best_path(probabilities: np.ndarray) -> list[Symbol]:
    """Greedy CTC decoding of (frames, 11) probabilities: the most likely class in each frame,
    repeats merged, blanks dropped."""
    best = probabilities.argmax(axis=1)
    symbols, start = [], 0
    for frame in range(1, len(best) + 1):
        if frame == len(best) or best[frame] != best[start]:
            if best[start] != BLANK:
                confidence = float(probabilities[start:frame, best[start]].max())
                symbols.append(Symbol(int(best[start]), confidence, start, frame - 1))
            start = frame
    return symbols


def log_likelihood(probabilities: np.ndarray, digits: str) -> float:
    """log P(``digits`` | the frames): CTC's probability of the digit string, summed over every
    path of frames that reads as it (the forward algorithm of Graves et al., 2006).

    ``best_path`` gives the likeliest path; this scores any reading, so that readings found
    other ways (piece by piece) can be weighed by the same network.
    """
    return float(log_likelihoods([probabilities], digits)[0])


def log_likelihoods(views: Sequence[np.ndarray], digits: str) -> np.ndarray:
    """``log_likelihood`` of ``digits`` under each of several (frames, 11) probabilities, which
    may have different numbers of frames, worked out together. The shorter ones are lengthened
    with frames that are blank for certain, which leaves every reading's probability as it was."""
    length = max(len(frames) for frames in views)
    log_p = np.zeros((len(views), length, BLANK + 1))
    log_p[:, :, :BLANK] = -np.inf
    for view, frames in enumerate(views):
        log_p[view, : len(frames)] = np.log(np.maximum(np.asarray(frames, np.float64), 1e-30))
    if not digits:
        return log_p[:, :, BLANK].sum(axis=1)
    states = [BLANK]  # blank, digit, blank, digit, ..., blank
    for digit in digits:
        states += [int(digit), BLANK]
    states = np.array(states)
    emitted = log_p[:, :, states]  # (views, frames, states)
    # A path may skip the blank between two different digits, never between two equal ones.
    skip_cost = np.full(len(states), -np.inf)
    skip_cost[3::2] = np.where(states[3::2] != states[1:-2:2], 0.0, -np.inf)
    alpha = np.full((len(views), len(states)), -np.inf)
    alpha[:, :2] = emitted[:, 0, :2]
    step, skip = np.full_like(alpha, -np.inf), np.full_like(alpha, -np.inf)  # alpha shifted by one state, by two
    for frame in range(1, length):
        step[:, 1:], skip[:, 2:] = alpha[:, :-1], alpha[:, :-2]
        alpha = np.logaddexp(np.logaddexp(alpha, step), skip + skip_cost) + emitted[:, frame]
    return np.logaddexp(alpha[:, -1], alpha[:, -2])


def spans(symbols: list[Symbol], line: Line, ink: np.ndarray) -> list[tuple[int, int]]:
    """Each symbol's columns in ``ink`` (the 2-D map the line was made from), left to right.

    CTC places each digit's spike somewhere in the digit's frames, and a network that sees
    some three digits at once places it early, by a like amount for every digit (a third of a
    digit's width for the shipped one). So the spikes give the digits' order and spacing, and
    the ink their place: the spikes are shifted together until their mean falls in the middle
    of the ink, and each boundary, halfway between two digits, moves to the column with the
    least ink within a quarter of the ink's height, where the two digits meet.
    """
    height, width = ink.shape
    centres = np.array([line.to_ink(symbol.centre) for symbol in symbols])
    centres += width / 2 - centres.mean()
    column_ink = (ink > 0).sum(axis=0)
    reach = max(1, round(height / 4))
    edges = [0]
    for middle in (centres[:-1] + centres[1:]) / 2:
        low, high = max(edges[-1] + 1, round(middle) - reach), min(width - 1, round(middle) + reach)
        edges.append(low + int(np.argmin(column_ink[low : high + 1])) if low <= high else min(round(middle), width))
    edges.append(width)
    return list(zip(edges[:-1], edges[1:], strict=True))
