"""Pen strokes: normalised, changed the ways hands differ, and placed on the canvas.

Augmentation happens to the pen's path, before anything is drawn, so that a slanted or warped
digit is still drawn with a round brush of even width, as a person would draw it: slant,
rotation, aspect, a smooth elastic warp of the whole path, and a tremor on each point. Strokes
keep their order.
"""

from __future__ import annotations

import numpy as np

from digits.learning.drawing import CANVAS_SIZE, smooth

Strokes = list[np.ndarray]  # one digit (or number): its strokes, each an (n, 2) float array of x, y


def bounds(strokes: Strokes) -> tuple[np.ndarray, np.ndarray]:
    """The strokes' (min x, min y) and (max x, max y)."""
    points = np.concatenate(strokes)
    return points.min(axis=0), points.max(axis=0)


def normalize(strokes: Strokes) -> Strokes:
    """The strokes centred on their box and 1 unit tall, y down.

    A dash or another flat shape has little height; its scale comes from its width instead (at
    most 2 units wide), so that it is not blown up into a huge line.
    """
    low, high = bounds(strokes)
    width, height = high - low
    scale = max(height, width / 2, 1e-6)
    centre = (low + high) / 2
    return [((stroke - centre) / scale).astype(np.float32) for stroke in strokes]


def elastic(rng: np.random.Generator, amplitude: float, components: int = 3):
    """A smooth random displacement field over the unit digit: a few long waves per axis."""
    frequencies = rng.uniform(0.4, 1.6, (2, components, 2)) * rng.choice([-1, 1], (2, components, 2))
    phases = rng.uniform(0, 2 * np.pi, (2, components))
    weights = rng.normal(0, amplitude / np.sqrt(components), (2, components))

    def displace(points: np.ndarray) -> np.ndarray:
        waves = np.sin(2 * np.pi * np.einsum("nd,acd->nac", points, frequencies) + phases)  # (n, axis, k)
        return points + (waves * weights).sum(axis=2)

    return displace


def decimate(strokes: Strokes, *, total: float) -> Strokes:
    """The strokes as a pen sampled less often would have given them: every k-th point of each
    stroke, its ends kept, k such that about ``total`` points are left (the points are regular in
    time, so a slow part of a stroke keeps more of them). Drawn, they are straight between points,
    as a tablet sampling ten times a second or a quick finger on a phone draws."""
    k = max(1.0, sum(len(stroke) for stroke in strokes) / total)
    kept = []
    for stroke in strokes:
        index = np.unique(np.r_[np.round(np.arange(0, len(stroke), k)).astype(int), len(stroke) - 1])
        kept.append(stroke[np.clip(index, 0, len(stroke) - 1)])
    return kept


def joined(strokes: Strokes, *, points: int) -> Strokes:
    """The strokes as one path, the pen's lifts drawn too, kept to ``points`` points spaced evenly
    along it (UCI's pen digits give theirs so: 8 points a digit, from a tablet's path)."""
    path = np.concatenate([np.asarray(stroke, np.float64) for stroke in strokes])
    along = np.r_[0.0, np.cumsum(np.hypot(*np.diff(path, axis=0).T))]
    if along[-1] == 0:
        return [path[:1].astype(np.float32)]
    at = np.linspace(0.0, along[-1], points)
    return [np.stack([np.interp(at, along, path[:, 0]), np.interp(at, along, path[:, 1])], axis=1).astype(np.float32)]


def turned(strokes: Strokes, degrees: float) -> Strokes:
    """The strokes turned ``degrees`` about the origin: positive, anticlockwise as the canvas shows
    them (a line's right end rises)."""
    angle = np.radians(-degrees)  # the canvas's y axis points down
    matrix = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    return [stroke @ matrix.T for stroke in strokes]


def augment(strokes: Strokes, rng: np.random.Generator, *, strength: float = 1.0) -> Strokes:
    """The strokes as another hand might have drawn them, still 1 unit tall and centred.

    Args:
        strength: 0 leaves the shape as it is; 1 is the training recipe's spread.
    """
    angle = rng.normal(0, 0.10 * strength)  # radians
    shear = rng.normal(0, 0.18 * strength)  # slant: x moves with y
    aspect = np.exp(rng.normal(0, 0.15 * strength))  # width / height
    cos, sin = np.cos(angle), np.sin(angle)
    matrix = np.array([[cos, -sin], [sin, cos]]) @ np.array([[aspect, -shear], [0.0, 1.0]])
    warp = elastic(rng, 0.035 * strength)
    tremor = abs(rng.normal(0, 0.004 * strength))
    changed = []
    for stroke in strokes:
        points = smooth(stroke, steps=4) if rng.random() < 0.5 else stroke
        points = warp(points @ matrix.T)
        changed.append(points + rng.normal(0, tremor, points.shape))
    return normalize(changed)


def random_placement(
    strokes: Strokes, rng: np.random.Generator, *, height: float, brush: float, canvas_size: int = CANVAS_SIZE
) -> Strokes:
    """Unit strokes ``height`` px tall (less if that would not fit), anywhere on the canvas."""
    low, high = bounds(strokes)
    extent = high - low
    room = canvas_size - brush - 2
    scale = min(height / max(extent[1], 1e-6), room / max(extent[0], 1e-6), room / max(extent[1], 1e-6))
    size = extent * scale
    corner = [rng.uniform(brush / 2 + 1, max(brush / 2 + 1, canvas_size - brush / 2 - 1 - s)) for s in size]
    return [(stroke - low) * scale + corner for stroke in strokes]
