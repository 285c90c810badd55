"""Pen digits drawn as people draw on the sketchpad, then read through the app's preprocessing.

A drawing of a digit is its strokes, changed as another hand would change them
(``strokes.augment``), some kept to a few points of their path as a pen sampled seldom gives them
(``strokes.decimate``, or points along one path through the pen's lifts, ``strokes.joined``), placed
at any size from small to most of the canvas, and drawn with a round hard brush from a hairline to
the stock sketchpad's 50 px; what the model learns from is that drawing after the one serving
preprocessing (``preprocess_ink``), exactly as the app would see it. Only the ink is drawn, not
the rest of the 800x800 canvas: the pixels are the same.

Drawing is CPU work outside TensorFlow, so pools of drawings are made before training, in
worker processes, each from its own seed: the same seed gives the same pool.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from digits import IMAGE_SIZE
from digits.learning.drawing import MAX_BRUSH, ink_of_paths, sketch_of_paths
from digits.learning.pen import PenDigits
from digits.learning.strokes import Strokes, augment, decimate, joined, normalize, random_placement
from digits.learning.styles import STYLES, is_plain, styled
from digits.reading.preprocess import preprocess_ink

PAGE_BRUSH = 36  # the app's own page draws with this brush
# How tall the benchmarks and tests draw a lone pen digit on the 800 px canvas (px, uniformly):
# from a small digit to most of the canvas.
LONE_DIGIT_HEIGHTS = (150, 700)
# ...and a writer's number, with the page's brush: from a line of small digits to two fifths of it.
NUMBER_HEIGHTS = (100, 320)


@dataclass(frozen=True)
class Spread:
    """How drawings vary: sizes (px tall, drawn log-uniformly), brushes (px wide), and how many of
    them are drawn from a few points of their path, straight between (``sparse_share``)."""

    min_height: float = 80
    max_height: float = 720
    stock_brush_share: float = 0.35  # drawn with the stock sketchpad's 50 px brush
    page_brush_share: float = 0.15  # drawn with the page's 36 px brush; the rest from a hairline to 50 px
    min_brush: float = 1.5
    augment_strength: float = 1.0
    sparse_share: float = 0.0  # drawn from every k-th point of their path (``decimate``)
    sparse_points: tuple[float, float] = (6, 18)  # about how many points are left a digit, drawn uniformly
    joined_share: float = 0.0  # of those, drawn as one path, lifts and all, from points spaced evenly (``joined``)
    joined_points: tuple[int, int] = (8, 16)  # how many, drawn uniformly

    def brush(self, rng: np.random.Generator) -> float:
        pick = rng.random()
        if pick < self.stock_brush_share:
            return float(MAX_BRUSH)
        if pick < self.stock_brush_share + self.page_brush_share:
            return float(PAGE_BRUSH)
        return float(np.exp(rng.uniform(np.log(self.min_brush), np.log(MAX_BRUSH))))

    def height(self, rng: np.random.Generator) -> float:
        return float(np.exp(rng.uniform(np.log(self.min_height), np.log(self.max_height))))


def draw(strokes: Strokes, rng: np.random.Generator, spread: Spread) -> np.ndarray:
    """One random drawing of unit ``strokes``, as the model reads it: 28x28 floats in 0..1."""
    changed = augment(strokes, rng, strength=spread.augment_strength)
    if spread.sparse_share and rng.random() < spread.sparse_share:  # no draw from rng otherwise
        if spread.joined_share and rng.random() < spread.joined_share:
            changed = joined(changed, points=int(rng.integers(spread.joined_points[0], spread.joined_points[1] + 1)))
        else:
            changed = decimate(changed, total=rng.uniform(*spread.sparse_points))
    brush = spread.brush(rng)
    paths = random_placement(changed, rng, height=spread.height(rng), brush=brush)
    return preprocess_ink(ink_of_paths(paths, brush=brush))


def sketch(strokes: Strokes, rng: np.random.Generator, *, height: float, brush: float) -> Image.Image:
    """Pen strokes as the sketchpad sends them: ``height`` px tall (less where the canvas is too
    small), anywhere on an opaque white 800x800 canvas, in black with a round ``brush``."""
    paths = random_placement(normalize(strokes), rng, height=height, brush=brush)
    return sketch_of_paths(paths, brush=brush)


def sketch_lone_digit(strokes: Strokes, rng: np.random.Generator, *, brush: float = MAX_BRUSH) -> Image.Image:
    """Pen strokes sketched (``sketch``) as the benchmarks and tests measure a writer's lone digit:
    at a height drawn from LONE_DIGIT_HEIGHTS, with the stock 50 px brush unless told."""
    return sketch(strokes, rng, height=rng.uniform(*LONE_DIGIT_HEIGHTS), brush=brush)


def sketch_number(strokes: Strokes, rng: np.random.Generator) -> Image.Image:
    """A number's pen strokes sketched (``sketch``) as the benchmarks and tests measure a writer's
    number: at a height drawn from NUMBER_HEIGHTS, with the page's 36 px brush."""
    return sketch(strokes, rng, height=rng.uniform(*NUMBER_HEIGHTS), brush=PAGE_BRUSH)


def _draw_many(job: tuple[list[Strokes], int, Spread]) -> np.ndarray:
    strokes, seed, spread = job
    rng = np.random.default_rng(seed)
    images = np.empty((len(strokes), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    for index, digit in enumerate(strokes):
        images[index] = np.round(255 * draw(digit, rng, spread))
    return images


def draw_all(strokes: list[Strokes], *, seed: int, spread: Spread, workers: int = 2) -> np.ndarray:
    """Each of ``strokes`` drawn once: (N, 28, 28) uint8, in the same order, the same for a seed."""
    chunk = 500
    jobs = [(strokes[start : start + chunk], seed * 100_003 + start, spread) for start in range(0, len(strokes), chunk)]
    if workers <= 1 or len(jobs) == 1:
        parts = [_draw_many(job) for job in jobs]
    else:  # spawn: the workers need no TensorFlow, and must not inherit its threads
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            parts = pool.map(_draw_many, jobs)
    return np.concatenate(parts) if parts else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)


def pen_pool(
    pen: PenDigits, *, variants: int, seed: int, spread: Spread, workers: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Every pen digit drawn ``variants`` times: (N * variants, 28, 28) uint8 and the labels."""
    unit = [normalize(strokes) for strokes in pen.strokes]
    images = draw_all(unit * variants, seed=seed, spread=spread, workers=workers)
    return images, np.tile(pen.labels, variants)


def style_strokes(
    pen: PenDigits, *, per_style: int, seed: int, styles: Mapping[str, tuple] = STYLES
) -> tuple[list[Strokes], np.ndarray, list[str]]:
    """``per_style`` digits of each style in ``styles`` (those trained on, unless told), made from
    ``pen``'s plain digits of its kind: their unit strokes, labels and style names."""
    rng = np.random.default_rng(seed)
    strokes, labels, names = [], [], []
    for name, (digit, _) in styles.items():
        candidates = [i for i in np.flatnonzero(pen.labels == digit) if is_plain(name, pen.strokes[i])]
        for index in rng.choice(candidates, per_style, replace=len(candidates) < per_style):
            strokes.append(styled(name, pen.strokes[index], rng))
            labels.append(digit)
            names.append(name)
    return strokes, np.array(labels, dtype=np.int64), names


def style_pool(
    pen: PenDigits, *, names: Sequence[str], per_style: int, seed: int, spread: Spread, workers: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """``per_style`` drawings of each style named (of STYLES): (N, 28, 28) uint8 and the labels."""
    styles = {name: STYLES[name] for name in names}
    strokes, labels, _ = style_strokes(pen, per_style=per_style, seed=seed, styles=styles)
    return draw_all(strokes, seed=seed + 1, spread=spread, workers=workers), labels
