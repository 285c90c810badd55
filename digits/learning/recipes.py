"""Recipes: everything that decides how a model is trained, as plain data.

Kept apart from the training code so that ``train.py --help`` can show the defaults without
importing TensorFlow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass, field

from digits.learning.renders import Spread
from digits.learning.styles import NUMBER_STYLES, STYLES

ARCHITECTURES = ("robust", "small", "baseline")
MAX_MEMBERS = 4  # networks a digit model may average (the loader tries each count up to this)


def _check_styles(names: list[str], trained: Collection[str]) -> None:
    """Refuse, before any training, a style not among those its kind of network learns
    (``trained``): a misspelt name, or one only measured (MEASURED_ONLY, for the digit network);
    a recipe that trains on one moves it to the list that kind learns."""
    if unknown := [name for name in names if name not in trained]:
        raise ValueError(f"no trained writing style named {', '.join(map(repr, unknown))}")


@dataclass(frozen=True)
class Recipe:
    """How a model is trained. The defaults are the shipped model's recipe."""

    arch: str = "robust"
    # Networks trained, each from its own seed (seed, seed + 1...), and averaged into the one
    # model: two read a little more than one (docs/experiments.md), for twice the training time.
    members: int = 2
    epochs: int = 14  # 12 read fewer MNIST digits once a share of the drawings was sparse (docs/experiments.md)
    batch_size: int = 128
    learning_rate: float = 3e-3
    cosine_decay: bool = True  # anneal the learning rate to 1 % of its start over the run
    validation_fraction: float = 0.05  # of MNIST's training set, kept to watch training by
    dropout_rate: float = 0.4
    augment: bool = True
    # Train on MNIST as the app's preprocessing redraws it, mixed with MNIST as it is, so
    # the model knows both the served distribution and MNIST's own.
    preprocessed_fraction: float = 0.5
    seed: int = 1234
    limit: int | None = None  # use only the first N training images (quick runs, tests)
    extra_repeat: int = 10  # times each extra example (an accepted correction) is shown per epoch
    # Real pen handwriting (UNIPEN's training writers), drawn as people draw on the sketchpad.
    pen_share: float = 0.5  # of each epoch's examples; 0: MNIST alone
    pen_variants: int = 10  # drawings made of each pen digit before training
    style_count: int = 1200  # drawings of each style below
    # The writing styles drawn (names in digits.learning.styles.STYLES): crossed 7s, flagged 1s...
    styles: list[str] = field(default_factory=lambda: list(STYLES))
    # Of the training writers, kept to watch training by. Few: every writer trained on is a style
    # the model has seen, and the held-out writers (bench/accuracy.py) are the measure.
    pen_validation_share: float = 0.05
    # Sizes and brushes of the drawings; 40% drawn from a few points of their path, as a pen that
    # reports where it is seldom gives them (every k-th point) or as UCI's pen digits give theirs
    # (half of those: one path through the pen's lifts, points evenly along it; docs/experiments.md).
    spread: Spread = field(default_factory=lambda: Spread(sparse_share=0.4, joined_share=0.5))

    def __post_init__(self) -> None:
        _check_styles(self.styles, STYLES)


# The CNN and recipe the project started from, kept to measure against.
BASELINE_RECIPE = Recipe(
    arch="baseline", members=1, epochs=10, batch_size=32, learning_rate=1e-3, cosine_decay=False,
    validation_fraction=0.2, augment=False, preprocessed_fraction=0.0, pen_share=0.0,
)  # fmt: skip
# What the app trains when it finds no model at all: minutes, not an hour.
QUICK_RECIPE = dataclasses.replace(
    Recipe(), arch="small", members=1, epochs=3, limit=20_000, pen_variants=2, style_count=300
)


@dataclass(frozen=True)
class NumberRecipe:
    """How the sequence reader is trained. The defaults are the shipped model's recipe."""

    epochs: int = 7
    batch_size: int = 32
    learning_rate: float = 2e-3  # Adam, with cosine decay to 1 % over the run
    dropout_rate: float = 0.25
    lines: int = 40_000  # numbers drawn before training, each read once per epoch
    real_share: float = 0.3  # of them, stretches of real numbers as their writers spaced them
    mnist_share: float = 0.1  # composed of MNIST digits (the rest: of one pen writer's digits)
    mnist_digits: int = 3_000  # the first MNIST training digits, whose centre lines make those
    # Of the pen digits composed into numbers, the share written in one of the styles the digit
    # network learns too (digits.learning.styles: crossed 7s, flagged 1s, slashed 0s...), or in
    # the one more the sequence networks learn (a 1 with a long, low flag: NUMBER_STYLES).
    style_share: float = 0.25
    styles: list[str] = field(default_factory=lambda: list(NUMBER_STYLES))  # those it picks among
    # How the composed numbers' digits are spaced (digits.learning.numbers.SPACINGS). The app reads
    # digits that stand apart with the digit network, so the sequence network learns mostly
    # digits that touch.
    spacing_weights: dict[str, float] = field(
        default_factory=lambda: {"apart": 0.35, "touching": 0.4, "overlapping": 0.25}
    )
    max_length: int = 8  # digits in a number, from 1
    # Each number's line is turned by an angle drawn from N(0, slope) degrees: people writing with
    # a finger on a phone rarely keep it level, and digits that touch on a sloping line are the
    # hardest to read (README, "Numbers").
    slope: float = 4.0
    pen_validation_share: float = 0.1  # of the training writers, kept for validation
    validation_lines: int = 2_000
    spread: Spread = field(default_factory=lambda: Spread(min_height=40, max_height=320))
    seed: int = 1234

    def __post_init__(self) -> None:
        _check_styles(self.styles, NUMBER_STYLES)


# The app reads each number with two sequence networks and weighs every reading by both
# (digits.reading.reader): the one above, and this one, trained on more lines drawn with the
# page's own 36 px brush (45 % of them against 15 %; the stock 50 px brush 25 % against 35 %).
# Together they read more of the held-out writers' numbers than the first alone (README, "Numbers").
PAGE_NUMBER_RECIPE = dataclasses.replace(
    NumberRecipe(), spread=Spread(min_height=40, max_height=320, stock_brush_share=0.25, page_brush_share=0.45)
)
QUICK_NUMBER_RECIPE = dataclasses.replace(NumberRecipe(), epochs=3, lines=4_000, validation_lines=300)
