"""Render digits the way the Sketchpad sends them, to measure the model on drawings.

A MNIST digit is thinned to its centre line (Zhang-Suen), and that line is drawn again with a
round, hard-edged brush on a white 800x800 canvas: at any size and position, with strokes from
a hairline up to the stock Sketchpad's 50 px brush, which fills the loops of a small digit (the
app's page sets a 36 px brush).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

CANVAS_SIZE = 800
MAX_BRUSH = 50  # the stock Sketchpad's brush: radius 25 ("auto"), whatever the canvas size (tests/test_browser.py)


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning: the one-pixel centre line of a binary mask."""
    image = np.pad(mask.astype(np.uint8), 1)
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            p2, p3, p4 = image[:-2, 1:-1], image[:-2, 2:], image[1:-1, 2:]
            p5, p6, p7 = image[2:, 2:], image[2:, 1:-1], image[2:, :-2]
            p8, p9 = image[1:-1, :-2], image[:-2, :-2]
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            neighbours = sum(r.astype(np.int32) for r in ring[:8])
            transitions = sum(((ring[i] == 0) & (ring[i + 1] == 1)).astype(np.int32) for i in range(8))
            if step == 0:
                side = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                side = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            remove = (image[1:-1, 1:-1] == 1) & (neighbours >= 2) & (neighbours <= 6)
            remove &= (transitions == 1) & side
            if remove.any():
                image[1:-1, 1:-1][remove] = 0
                changed = True
    return image[1:-1, 1:-1].astype(bool)


def centre_line(digit: np.ndarray, *, upsample: int = 4) -> np.ndarray:
    """The centre line of a 28x28 digit (0..1 or 0..255) as (row, col) points, in 28-px units."""
    digit = np.asarray(digit, dtype=np.float32)
    digit = digit / 255.0 if digit.max() > 1 else digit
    size = 28 * upsample
    big = Image.fromarray(digit, mode="F").resize((size, size), Image.BILINEAR)
    skeleton = thin(np.asarray(big) > 0.4)
    return np.argwhere(skeleton).astype(np.float32) / upsample


def centre_line_strokes(points: np.ndarray) -> list[np.ndarray]:
    """Pen strokes that trace centre-line ``points`` (row, col): a short stroke (x, y) from each
    point to each neighbour after it, and a dot for a point with none."""
    rows, cols = points[:, 0], points[:, 1]
    step = 1.5 / 4  # neighbours on the upsampled centre line are at most sqrt(2) px apart
    strokes = []
    for i in range(len(points)):
        near = np.flatnonzero((np.abs(rows - rows[i]) <= step) & (np.abs(cols - cols[i]) <= step))
        after = near[near > i]
        ends = [(cols[j], rows[j]) for j in after] if len(after) else [(cols[i], rows[i])]
        strokes.extend(np.array([(cols[i], rows[i]), end], np.float32) for end in ends)
    return strokes


def draw_strokes(
    points: np.ndarray,
    *,
    brush: float,
    height: float,
    center: tuple[float, float],
    canvas_size: int = CANVAS_SIZE,
) -> Image.Image:
    """Draw centre-line ``points`` black on white, ``height`` px tall around ``center`` (x, y)."""
    rows, cols = points[:, 0], points[:, 1]
    scale = height / max(rows.max() - rows.min(), cols.max() - cols.min(), 1.0)
    offset = np.array(center) - np.array([cols.min() + cols.max(), rows.min() + rows.max()]) / 2 * scale
    paths = [stroke * scale + offset for stroke in centre_line_strokes(points)]
    return sketch_of_paths(paths, brush=brush, canvas_size=canvas_size)


def render_sketch(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """One 28x28 MNIST digit as a random Sketchpad drawing (opaque, black on white).

    Sizes from 100 to 640 px, anywhere on the canvas, brushes from 2 px to 50 px; a third of
    the drawings use the 50 px brush, the stock Sketchpad's.
    """
    points = centre_line(digit)
    height = float(rng.uniform(100, 640))
    brush = MAX_BRUSH if rng.random() < 1 / 3 else float(rng.uniform(2, MAX_BRUSH))
    margin = height / 2 + brush
    center = (
        float(rng.uniform(margin, CANVAS_SIZE - margin)),
        float(rng.uniform(margin, CANVAS_SIZE - margin)),
    )
    return draw_strokes(points, brush=brush, height=height, center=center)


# Pen strokes for each digit, as people draw them, in a unit box (x right, y down).
# Used for the app's examples and to drive the mouse in the browser test.
DIGIT_STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [[(0.5, 0.0), (0.2, 0.12), (0.08, 0.5), (0.22, 0.9), (0.5, 1.0), (0.8, 0.88), (0.92, 0.5), (0.78, 0.1), (0.48, 0.02)]],
    1: [[(0.3, 0.2), (0.55, 0.0), (0.55, 1.0)]],
    2: [[(0.12, 0.25), (0.45, 0.0), (0.82, 0.12), (0.8, 0.42), (0.1, 1.0), (0.95, 0.98)]],
    3: [[(0.12, 0.12), (0.5, 0.0), (0.85, 0.18), (0.75, 0.4), (0.42, 0.5), (0.82, 0.62), (0.88, 0.85), (0.5, 1.0), (0.1, 0.88)]],
    4: [[(0.6, 0.0), (0.08, 0.66), (0.95, 0.66)], [(0.7, 0.3), (0.7, 1.0)]],
    5: [[(0.85, 0.02), (0.25, 0.0), (0.18, 0.45), (0.55, 0.38), (0.86, 0.6), (0.8, 0.88), (0.45, 1.0), (0.1, 0.88)]],
    6: [[(0.75, 0.0), (0.35, 0.25), (0.15, 0.62), (0.22, 0.92), (0.52, 1.0), (0.8, 0.84), (0.78, 0.6), (0.5, 0.5), (0.2, 0.66)]],
    7: [[(0.05, 0.05), (0.95, 0.05), (0.4, 1.0)]],
    8: [[(0.5, 0.48), (0.2, 0.3), (0.28, 0.05), (0.52, 0.0), (0.75, 0.06), (0.8, 0.28), (0.5, 0.48),
         (0.18, 0.72), (0.3, 0.96), (0.5, 1.0), (0.72, 0.96), (0.84, 0.72), (0.5, 0.48)]],
    9: [[(0.8, 0.18), (0.5, 0.0), (0.2, 0.12), (0.18, 0.38), (0.5, 0.48), (0.8, 0.32), (0.8, 0.18), (0.76, 0.6), (0.7, 1.0)]],
}  # fmt: skip


def smooth(stroke, *, steps: int = 8) -> np.ndarray:
    """A Catmull-Rom curve through a stroke's points, ``steps`` samples per segment: how a hand
    joins them."""
    stroke = np.asarray(stroke, dtype=np.float32)
    if len(stroke) < 3:
        return stroke
    padded = np.concatenate([stroke[:1], stroke, stroke[-1:]])
    p0, p1, p2, p3 = padded[:-3], padded[1:-2], padded[2:-1], padded[3:]  # each segment p1 -> p2
    t = np.linspace(0, 1, steps, endpoint=False, dtype=np.float32)[:, None, None]
    curve = 0.5 * (
        2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (3 * p1 - p0 - 3 * p2 + p3) * t**3
    )  # (steps, segments, 2)
    return np.concatenate([curve.transpose(1, 0, 2).reshape(-1, 2), stroke[-1:]])


def stroke_paths(digit: int, *, left: float, top: float, height: float) -> list[list[tuple[float, float]]]:
    """The digit's strokes in canvas pixels: ``height`` px tall, 0.6 as wide, from (left, top)."""
    width = 0.6 * height
    return [
        [(float(left + x * width), float(top + y * height)) for x, y in smooth(stroke)]
        for stroke in DIGIT_STROKES[digit]
    ]


def draw_paths(draw: ImageDraw.ImageDraw, paths, *, brush: float, fill) -> None:
    """Pen paths with a round, hard-edged brush, as the sketchpad draws them: every pixel within
    half the brush of a path, as straight segments with a disc at each point, which makes the
    round joins and ends.

    Every point, not only where a path turns sharply: straight segments alone leave a sliver
    open on the outer side of each turn, from the path to the stroke's edge, where it is half
    the brush times the turn wide (a 50 px brush turning 0.05 radians: 1.2 px), and a pen's path
    turns a little at almost every point. (Pillow's own round joins, ``joint="curve"``, draw a
    pie slice per point in Python: ten times slower on the long paths of a number.)
    """
    width, radius = max(1, round(brush)), brush / 2
    for path in paths:
        points = np.asarray(path, dtype=np.float64).reshape(-1, 2)
        if len(points) > 1:
            draw.line([tuple(point) for point in points], fill=fill, width=width)
        for x, y in points:
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=fill)


def sketch_of_paths(paths, *, brush: float, canvas_size: int = CANVAS_SIZE) -> Image.Image:
    """``paths`` (in canvas pixels) as the Sketchpad sends a drawing: black on an opaque white canvas."""
    canvas = Image.new("RGB", (canvas_size, canvas_size), "white")
    draw_paths(ImageDraw.Draw(canvas), paths, brush=brush, fill="black")
    return canvas


def ink_of_paths(paths, *, brush: float) -> np.ndarray:
    """The ink map (0..1) that the app finds in ``sketch_of_paths``, cropped to the ink: the same
    pixels, drawn without the rest of the canvas (for training, where only the ink matters)."""
    points = np.concatenate([np.asarray(path, dtype=np.float64) for path in paths])
    margin = brush / 2 + 2
    low = np.floor(points.min(axis=0) - margin)
    size = np.ceil(points.max(axis=0) + margin - low).astype(int) + 1
    image = Image.new("L", (int(size[0]), int(size[1])), 0)
    draw_paths(ImageDraw.Draw(image), [np.asarray(path) - low for path in paths], brush=brush, fill=255)
    box = image.getbbox()
    return np.asarray(image.crop(box), dtype=np.float32) / 255.0


def draw_digit(digit: int, *, left: float, top: float, height: float, brush: float) -> Image.Image:
    """A drawing of ``digit`` as the Sketchpad would send it: black round strokes on white."""
    return sketch_of_paths(stroke_paths(digit, left=left, top=top, height=height), brush=brush)
