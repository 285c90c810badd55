"""Split a drawing of several digits into one ink map per digit, left to right.

1. Find the connected pieces of ink, at a reduced resolution (a gap of a few canvas pixels
   is no gap; a pen's stray dot is dropped).
2. Merge pieces that share most of their columns (the two strokes of a 4, a 5's flag, a 7's
   bar) or sit one above the other (a 1 drawn with a break). Digits in a number sit side
   by side, so strokes stacked over one another belong together.
3. A group wider than a digit may be digits that touch or overlap. It gets cut at the
   columns with least ink, and the model decides: the cuts whose pieces it reads most
   surely win, and reading the group whole is one of the choices (see ``choose_cuts``).

Only geometry lives here; ``digits.reading.reader`` brings the model.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from digits.reading.preprocess import DrawingRefused, bounding_box

SEGMENT_SIZE = 200  # the longer side of the ink at which pieces are found
# Bounds on the work one drawing may cost: a number of a dozen digits has a few hundred runs of
# ink per 200 px and a few dozen pieces; a canvas of dots or hatching has thousands.
MAX_RUNS = 6000
MAX_PIECES = 48  # pieces that are not specks
SPECK = 0.03  # a piece with less ink than this share of the largest one is a stray mark
MERGE_OVERLAP = 0.5  # pieces sharing this share of the narrower one's columns are one digit
# So are pieces one above the other (sharing at most this share of the shorter one's rows)
# within NEAR of each other side to side: the halves of a slanted 1 drawn with a break.
STACKED = 0.3
# A group less tall than this share of the tallest is part of its neighbour (a detached flag
# or tail) when it is within NEAR of it, as a share of the tallest height; else it is dropped.
STRAY_HEIGHT = 0.4
NEAR = 0.3
SPLIT_WIDER_THAN = 1.0  # a group wider than its height times this may hold several digits
MAX_CUTS = 6  # candidate cut columns tried per wide group
MIN_PART = 0.2  # a part cut from a group is at least this wide, as a share of the height
# Costs, in units of log-probability, that keep cutting honest: a part wider than it is tall
# (few single digits are: 3 % of MNIST's are 1.2 times as wide) and each extra part.
WIDE_FROM = 1.0  # width/height above which a part pays WIDE_COST
WIDE_COST = 3.0  # per unit of width/height above WIDE_FROM
PART_COST = 1.0
# A group the model reads whole this surely is cut only where a cut crosses one stroke, as
# where two digits touch (cutting through a wide 2, 5 or 0 crosses two or three), and only
# into parts it reads at least SURE_PART surely.
SURE_WHOLE = 0.999
SURE_PART = 0.99


@dataclass(frozen=True)
class Part:
    """One digit's ink: a float map (0..1) and its box (x0, y0, x1, y1) in the drawing."""

    ink: np.ndarray
    box: tuple[int, int, int, int]


def label_pieces(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of a binary mask: a label image (0 = background) and the count,
    numbered in the order of their first pixel, row by row.

    Runs of ink in each row are joined with the runs they touch in the row above; the runs a
    run touches are a range of them, found by binary search. Components follow by hooking each
    joined pair's larger root under the smaller, then jumping pointers to the roots, until every
    pair agrees: each round at least halves the trees in a component, so a few rounds of array
    work stand for a loop over every run.

    Raises:
        DrawingRefused: more than MAX_RUNS runs (before any of the per-run work).
    """
    height, width = mask.shape
    padded = np.zeros((height, width + 2), np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    run_rows, run_starts = np.nonzero(edges == 1)
    if len(run_rows) > MAX_RUNS:
        raise DrawingRefused("That is too busy to be a digit or a number: thousands of separate strokes.")
    run_ends = np.nonzero(edges == -1)[1]  # exclusive; row-major order matches the starts
    count = len(run_rows)
    # Runs as (row, column) keys in one line: a run touches those of the row above that end at
    # or after its start and start at or before its end (diagonals count).
    stride = width + 2
    starts, ends = run_rows * stride + run_starts, run_rows * stride + run_ends
    first = np.searchsorted(ends, starts - stride, side="left")
    after = np.searchsorted(starts, ends - stride, side="right")
    touching = np.maximum(after - first, 0)
    below = np.repeat(np.arange(count), touching)
    above = np.repeat(first, touching) + np.arange(touching.sum()) - np.repeat(np.cumsum(touching) - touching, touching)
    root = np.arange(count)
    while not np.array_equal(lower := root[below], upper := root[above]):
        np.minimum.at(root, np.maximum(lower, upper), np.minimum(lower, upper))
        while not np.array_equal(root, root[root]):
            root = root[root]
    _, run_labels = np.unique(root, return_inverse=True)  # each component's first run is its root
    lengths = run_ends - run_starts
    pixels = np.repeat(run_rows * width + run_starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    labels = np.zeros(height * width, np.int32)
    labels[pixels] = np.repeat(run_labels + 1, lengths)
    return labels.reshape(height, width), int(run_labels.max(initial=-1)) + 1


def _columns(mask: np.ndarray) -> tuple[int, int]:
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(cols[-1]) + 1


def _height(mask: np.ndarray) -> int:
    rows = np.flatnonzero(mask.any(axis=1))
    return int(rows[-1] + 1 - rows[0]) if rows.size else 0


@dataclass
class _Group:
    """Pieces taken together: their labels and the box around them (x0, y0, x1, y1), exclusive."""

    labels: list[int]
    box: tuple[int, int, int, int]

    def __or__(self, other: _Group) -> _Group:
        a, b = self.box, other.box
        box = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
        return _Group(self.labels + other.labels, box)

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


def _boxes(labels: np.ndarray, count: int) -> np.ndarray:
    """(count, 4) boxes x0, y0, x1, y1 (exclusive) of labels 1..count, in one pass over the image."""
    rows, cols = np.nonzero(labels)
    which = labels[rows, cols] - 1
    boxes = np.empty((count, 4), np.int64)
    boxes[:, :2] = np.iinfo(np.int64).max
    boxes[:, 2:] = -1
    np.minimum.at(boxes[:, 0], which, cols)
    np.minimum.at(boxes[:, 1], which, rows)
    np.maximum.at(boxes[:, 2], which, cols + 1)
    np.maximum.at(boxes[:, 3], which, rows + 1)
    return boxes


def group_pieces(labels: np.ndarray, count: int) -> list[np.ndarray]:
    """Masks of the digit candidates, left to right: specks dropped, stacked pieces merged.

    The merging works on the pieces' boxes; only the groups found are made into masks.

    Raises:
        DrawingRefused: more than MAX_PIECES pieces that are not specks.
    """
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    keep = [label for label in range(count) if areas[label] >= SPECK * areas.max()]
    if len(keep) > MAX_PIECES:
        raise DrawingRefused(
            f"That is too many separate marks ({len(keep)}) to be a digit or a number: draw one digit, or a number."
        )
    boxes = _boxes(labels, count)
    groups = [_Group([label + 1], tuple(int(v) for v in boxes[label])) for label in keep]
    merged = True
    while merged and len(groups) > 1:
        merged = False
        tallest = max(group.height for group in groups)
        for first, second in itertools.combinations(range(len(groups)), 2):
            (a0, c0, a1, c1), (b0, d0, b1, d1) = groups[first].box, groups[second].box
            shared = min(a1, b1) - max(a0, b0)
            stacked = min(c1, d1) - max(c0, d0) <= STACKED * min(c1 - c0, d1 - d0) and -shared <= NEAR * tallest
            if shared >= MERGE_OVERLAP * min(a1 - a0, b1 - b0) or stacked:
                groups[first] = groups[first] | groups.pop(second)
                merged = True
                break
    groups.sort(key=lambda group: group.box[0])
    tallest = max((group.height for group in groups), default=0)
    digits = [group for group in groups if group.height >= STRAY_HEIGHT * tallest]
    for stray in (group for group in groups if group.height < STRAY_HEIGHT * tallest):
        left, right = stray.box[0], stray.box[2]
        gap, nearest = min(
            (max(digit.box[0] - right, left - digit.box[2]), index) for index, digit in enumerate(digits)
        )
        if gap <= NEAR * tallest:  # a detached flag or tail; strays only join digits
            digits[nearest] = digits[nearest] | stray
    return [np.isin(labels, group.labels) for group in digits]


def cut_candidates(mask: np.ndarray) -> list[int]:
    """Columns of a wide group where a cut crosses least ink, at most MAX_CUTS of them."""
    x0, x1 = _columns(mask)
    margin = max(1, int(MIN_PART * _height(mask)))
    profile = mask[:, x0:x1].sum(axis=0).astype(np.float64)
    profile = np.convolve(profile, np.ones(3) / 3, mode="same")  # ignore one-column dips
    inner = range(margin, len(profile) - margin)
    minima = [x for x in inner if profile[x] <= profile[x - 1] and profile[x] <= profile[x + 1]]
    chosen: list[int] = []
    for x in sorted(minima, key=lambda x: profile[x]):
        if all(abs(x - other) >= margin for other in chosen):
            chosen.append(x)
        if len(chosen) == MAX_CUTS:
            break
    return sorted(x0 + x for x in chosen)


def strokes_crossed(column: np.ndarray) -> int:
    """How many separate strokes a column of the mask passes through: its runs of ink, a run
    that starts in the top row included."""
    ink = column.astype(bool)
    return int(ink[0]) + int(np.count_nonzero(ink[1:] & ~ink[:-1]))


def choose_cuts(
    mask: np.ndarray, cuts: list[int], surety: Callable[[list[tuple[int, int]]], list[float]]
) -> list[tuple[int, int]]:
    """The column spans that split a group into the digits the model reads most surely.

    Every span between two candidate cuts (or the group's edges) is read once; then the
    split whose spans' probabilities multiply highest wins. Reading the group whole is one
    candidate, so a wide 0 or a long-tailed 7 stays whole unless its halves read better;
    and when the model is all but certain of the whole, only cuts through a single stroke,
    into parts it is sure of, may split it (``SURE_WHOLE``).
    """
    x0, x1 = _columns(mask)
    min_width = MIN_PART * _height(mask)
    edges = [x0, *cuts, x1]
    spans = [(a, b) for a, b in itertools.combinations(edges, 2) if b - a >= min_width]
    sure = dict(zip(spans, surety(spans), strict=True))
    if sure[(x0, x1)] >= SURE_WHOLE:
        through_one = {x0, x1} | {x for x in cuts if strokes_crossed(mask[:, x]) <= 1}
        sure = {
            (a, b): value
            for (a, b), value in sure.items()
            if (a, b) == (x0, x1) or ({a, b} <= through_one and value >= SURE_PART)
        }
    score = {
        (a, b): np.log(max(value, 1e-9))
        - WIDE_COST * max(0.0, (b - a) / max(_height(mask[:, a:b]), 1) - WIDE_FROM)
        - PART_COST
        for (a, b), value in sure.items()
    }
    best: dict[int, tuple[float, list[tuple[int, int]]]] = {x0: (0.0, [])}
    for end in edges[1:]:
        options = [
            (best[start][0] + score[(start, end)], [*best[start][1], (start, end)])
            for start in edges
            if start in best and (start, end) in score
        ]
        if options:
            best[end] = max(options, key=lambda option: option[0])
    return best[x1][1] if x1 in best else [(x0, x1)]


def segment(ink: np.ndarray, surety: Callable[[list[Part]], list[float]] | None = None) -> list[Part]:
    """The digits in an ink map (2-D, 0 = paper), left to right.

    Args:
        ink: how much each pixel is ink, 0..1 or 0..255, cropped or not.
        surety: reads parts and says how sure the model is of each (its top probability);
            without it, groups are never cut.
    """
    ink = np.asarray(ink, dtype=np.float32)
    ink = ink / 255.0 if ink.max() > 1 else ink
    factor = max(1, int(np.ceil(max(ink.shape) / SEGMENT_SIZE)))
    small = Image.fromarray(ink, mode="F").reduce(factor) if factor > 1 else Image.fromarray(ink, mode="F")
    labels, count = label_pieces(np.asarray(small) > 0)
    parts: list[Part] = []
    for group in group_pieces(labels, count):
        x0, x1 = _columns(group)
        spans = [(x0, x1)]
        if surety is not None and x1 - x0 > SPLIT_WIDER_THAN * _height(group):
            cuts = cut_candidates(group)
            if cuts:

                def read_spans(candidates, group=group):
                    return surety([_part(ink, group, factor, span) for span in candidates])

                spans = choose_cuts(group, cuts, read_spans)
        parts.extend(_part(ink, group, factor, span) for span in spans)
    return [part for part in parts if part.ink.any()]


def _part(ink: np.ndarray, group: np.ndarray, factor: int, span: tuple[int, int]) -> Part:
    """The full-resolution ink of ``group`` between columns ``span`` (reduced units)."""
    window = np.zeros_like(group)
    window[:, span[0] : span[1]] = group[:, span[0] : span[1]]
    rows = np.flatnonzero(window.any(axis=1))
    if rows.size == 0:
        return Part(np.zeros((1, 1), np.float32), (0, 0, 0, 0))
    top, bottom = int(rows[0]) * factor, (int(rows[-1]) + 1) * factor
    left, right = span[0] * factor, span[1] * factor
    cell = window[rows[0] : rows[-1] + 1, span[0] : span[1]]
    keep = np.repeat(np.repeat(cell, factor, axis=0), factor, axis=1)
    crop = ink[top:bottom, left:right]
    crop = crop * keep[: crop.shape[0], : crop.shape[1]]
    tight = bounding_box(crop > 0)  # the reduced grid is coarser than the ink
    if tight is None:
        return Part(np.zeros((1, 1), np.float32), (0, 0, 0, 0))
    rows, cols = tight
    return Part(crop[tight], (left + cols.start, top + rows.start, left + cols.stop, top + rows.stop))
