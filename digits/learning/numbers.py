"""Numbers as pen strokes: real ones, rebuilt from the pen data as their writers spaced them, and
numbers composed from single digits, for the sequence reader to learn from and be measured on.

In UNIPEN's files, digits that follow each other keep the places their writer put them (but for
the sites that wrote one digit per box: see ``BOXED``), so consecutive digits written left to
right on one line are a number as someone really wrote it, spacing and all.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass

import numpy as np

from digits.learning.drawing import centre_line, centre_line_strokes, ink_of_paths
from digits.learning.pen import PenDigits
from digits.learning.recipes import NumberRecipe
from digits.learning.renders import Spread
from digits.learning.strokes import Strokes, augment, bounds, normalize, random_placement, turned
from digits.learning.styles import EVERY_STYLE, is_plain, styled
from digits.reading.sequence import preprocess_line

BOXED = {"aga", "imp", "tos", "ibm"}  # one digit per box: where digits sit means nothing
SPACE = 1.0  # a gap wider than this share of the digits' height is a space between two numbers
# Gaps between composed digits, as shares of the digits' height (negative: they overlap).
SPACINGS = {"apart": (0.1, 0.6), "touching": (-0.08, 0.05), "overlapping": (-0.33, -0.08)}
# The thickest brush a number is drawn with, as a share of its height: the page's 36 px brush on a
# two-digit number 100 px tall is 0.36, and its loops are filled, but people do draw that small.
MAX_BRUSH_SHARE = 0.35


@dataclass(frozen=True)
class Number:
    """A number: each digit's strokes, all in one frame (y down), and the digits it reads."""

    digits: list[Strokes]
    text: str
    writer: str = ""

    @property
    def strokes(self) -> Strokes:
        return [stroke for digit in self.digits for stroke in digit]

    def window(self, start: int, length: int) -> Number:
        """Digits ``start`` to ``start + length``, where they are."""
        return Number(self.digits[start : start + length], self.text[start : start + length], self.writer)

    def turned(self, degrees: float) -> Number:
        """Turned ``degrees`` about the origin (positive: its right end rises on the canvas)."""
        return Number([turned(digit, degrees) for digit in self.digits], self.text, self.writer)


def real_numbers(pen: PenDigits) -> list[Number]:
    """Every run of two or more digits written left to right on one line, as written."""
    numbers = []
    for source in np.unique(pen.sources):
        indices = np.flatnonzero(pen.sources == source)
        if pen.contributors[indices[0]] in BOXED:
            continue
        indices = indices[np.argsort(pen.order[indices])]
        run = [indices[0]]
        for previous, current in zip(indices[:-1], indices[1:], strict=True):
            (a0, a1), (b0, b1) = bounds(pen.strokes[previous]), bounds(pen.strokes[current])
            height = max(a1[1] - a0[1], b1[1] - b0[1], 1e-6)
            gap = b0[0] - a1[0]
            shared_rows = min(a1[1], b1[1]) - max(a0[1], b0[1])
            if -0.5 * height < gap < SPACE * height and shared_rows > 0.3 * height and b0[0] > a0[0]:
                run.append(current)
                continue
            numbers.extend(_as_number(pen, run))
            run = [current]
        numbers.extend(_as_number(pen, run))
    return numbers


def _as_number(pen: PenDigits, run: list[int]) -> list[Number]:
    if len(run) < 2:
        return []
    text = "".join(str(pen.labels[index]) for index in run)
    return [Number([pen.strokes[index] for index in run], text, str(pen.writers[run[0]]))]


def windows(numbers: list[Number], *, shortest: int = 2, longest: int = 6) -> list[Number]:
    """The numbers, those longer than ``longest`` cut into consecutive stretches of at most that
    many digits (a last stretch shorter than ``shortest`` joins the one before it)."""
    cut = []
    for number in numbers:
        length = len(number.text)
        if length <= longest:
            cut.append(number)
            continue
        starts = list(range(0, length, longest))
        if length - starts[-1] < shortest:
            starts.pop()
        ends = [*starts[1:], length]
        cut.extend(number.window(start, end - start) for start, end in zip(starts, ends, strict=True))
    return [number for number in cut if shortest <= len(number.text)]


def compose(
    digits: list[Strokes], text: str, rng: np.random.Generator, *, spacing: tuple[float, float], strength: float = 0.5
) -> Number:
    """Digits (any strokes) written side by side as a person writes a number: each changed a
    little (``augment``), of uneven sizes (x0.85-1.15), on a wandering baseline, with gaps drawn
    from ``spacing`` (shares of the height; negative: overlapping)."""
    placed, left = [], 0.0
    for strokes in digits:
        unit = augment(normalize(strokes), rng, strength=strength)
        size = rng.uniform(0.85, 1.15)
        low, high = bounds(unit)
        shift = np.array([left - low[0] * size, rng.normal(0, 0.06)])
        placed.append([(stroke * size + shift).astype(np.float32) for stroke in unit])
        left += (high[0] - low[0]) * size + rng.uniform(*spacing)
    return Number(placed, text)


def one_writers_number(
    pen: PenDigits, length: int, rng: np.random.Generator, *, spacing: tuple[float, float]
) -> Number:
    """``length`` digits of one writer (a writer picked as often as they wrote digits of ``pen``),
    ``compose``d at ``spacing``: a number as that writer might have written it."""
    own = np.flatnonzero(pen.writers == pen.writers[rng.integers(len(pen.writers))])
    picks = rng.choice(own, length)
    return compose([pen.strokes[i] for i in picks], "".join(str(pen.labels[i]) for i in picks), rng, spacing=spacing)


def draw_line(number: Number, rng: np.random.Generator, spread: Spread) -> np.ndarray:
    """A number drawn on the sketchpad, as the sequence network reads it: (32, width) uint8.

    Like any drawing (``renders``: any size, a hairline to a 50 px brush), but never with a
    brush thicker than MAX_BRUSH_SHARE of the number's height, where its digits would be blots."""
    height = spread.height(rng)
    brush = min(spread.brush(rng), MAX_BRUSH_SHARE * height)
    paths = random_placement(normalize(number.strokes), rng, height=height, brush=brush)
    return np.round(255 * preprocess_line(ink_of_paths(paths, brush=brush)).image).astype(np.uint8)


LENGTH_WEIGHTS = np.array([0.06, 0.14, 0.15, 0.15, 0.14, 0.13, 0.12, 0.11])  # 1 to 8 digits


class NumberSource:
    """Draws random numbers: real stretches, one writer's digits composed, or MNIST digits."""

    def __init__(self, pen: PenDigits, mnist_digits: np.ndarray, mnist_labels: np.ndarray, recipe: NumberRecipe):
        self.recipe = recipe
        self.real = [number for number in real_numbers(pen) if len(number.text) >= 2]
        self.by_writer: dict[str, np.ndarray] = {}
        for writer in np.unique(pen.writers):
            self.by_writer[str(writer)] = np.flatnonzero(pen.writers == writer)
        self.writers = sorted(self.by_writer)
        self.pen = pen
        self.mnist_digits, self.mnist_labels = mnist_digits, mnist_labels
        self._centre_lines: dict[int, list[np.ndarray]] = {}  # MNIST digit -> its strokes, made once

    def mnist_strokes(self, index: int) -> list[np.ndarray]:
        if index not in self._centre_lines:
            self._centre_lines[index] = centre_line_strokes(centre_line(self.mnist_digits[index]))
        return self._centre_lines[index]

    def number(self, rng: np.random.Generator) -> Number:
        """A random number, real or composed, its line turned by the recipe's ``slope``."""
        number = self._level_number(rng)
        return number.turned(rng.normal(0, self.recipe.slope)) if self.recipe.slope else number

    def _level_number(self, rng: np.random.Generator) -> Number:
        length = int(rng.choice(np.arange(1, self.recipe.max_length + 1), p=LENGTH_WEIGHTS / LENGTH_WEIGHTS.sum()))
        pick = rng.random()
        if pick < self.recipe.real_share and length >= 2:
            fitting = [number for number in self.real if len(number.text) >= length]
            if fitting:
                number = fitting[rng.integers(len(fitting))]
                start = int(rng.integers(len(number.text) - length + 1))
                return number.window(start, length)
        weights = self.recipe.spacing_weights
        spacing = SPACINGS[rng.choice(list(weights), p=np.array(list(weights.values())) / sum(weights.values()))]
        if pick > 1 - self.recipe.mnist_share and len(self.mnist_labels):
            picks = rng.integers(len(self.mnist_labels), size=length)
            digits = [self.mnist_strokes(i) for i in picks]
            return compose(
                digits, "".join(str(self.mnist_labels[i]) for i in picks), rng, spacing=spacing, strength=0.3
            )
        own = self.by_writer[self.writers[rng.integers(len(self.writers))]]
        picks = own[rng.integers(len(own), size=length)]
        digits = [self.pen_digit(i, rng) for i in picks]
        return compose(digits, "".join(str(self.pen.labels[i]) for i in picks), rng, spacing=spacing)

    def pen_digit(self, index: int, rng: np.random.Generator) -> Strokes:
        """The pen digit's strokes; with chance ``style_share``, written in one of its styles
        (of the recipe's ``styles``) that it can take: a crossed 7, a flagged 1, a slashed 0..."""
        strokes, digit = self.pen.strokes[index], int(self.pen.labels[index])
        if self.recipe.style_share == 0 or rng.random() >= self.recipe.style_share:
            return strokes
        unit = normalize(strokes)
        fitting = [name for name in self.recipe.styles if EVERY_STYLE[name][0] == digit and is_plain(name, unit)]
        return styled(fitting[rng.integers(len(fitting))], strokes, rng) if fitting else strokes


def _draw_lines(job: tuple[NumberSource, int, int]) -> list[tuple[np.ndarray, str]]:
    source, count, seed = job
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(count):
        number = source.number(rng)
        lines.append((draw_line(number, rng, source.recipe.spread), number.text))
    return lines


def draw_lines(source: NumberSource, count: int, *, seed: int, workers: int = 2) -> list[tuple[np.ndarray, str]]:
    """``count`` random numbers drawn as lines, with their digits; the same for a seed."""
    chunk = 1000
    jobs = [(source, min(chunk, count - start), seed * 100_003 + start) for start in range(0, count, chunk)]
    if workers <= 1 or len(jobs) == 1:
        parts = [_draw_lines(job) for job in jobs]
    else:  # spawn: the workers need no TensorFlow, and must not inherit its threads
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            parts = pool.map(_draw_lines, jobs)
    return [line for part in parts for line in part]
