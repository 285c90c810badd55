"""Render digits the way the Sketchpad sends them, to measure the model on drawings.

A MNIST digit is thinned to its centre line (Zhang-Suen), and that line is drawn again with a
round, hard-edged brush on a white 800x800 canvas: at any size and position, with strokes from
a hairline up to the Sketchpad's fixed 50 px brush, which fills the loops of a small digit.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

CANVAS_SIZE = 800
MAX_BRUSH = 50  # Gradio's "auto" Sketchpad brush: a fixed 25 px radius


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
    xs = (cols - (cols.min() + cols.max()) / 2) * scale + center[0]
    ys = (rows - (rows.min() + rows.max()) / 2) * scale + center[1]
    canvas = Image.new("RGB", (canvas_size, canvas_size), "white")
    draw = ImageDraw.Draw(canvas)
    radius = brush / 2
    step = 1.5 / 4  # neighbours on the upsampled centre line are at most sqrt(2) px apart
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        near = np.flatnonzero((np.abs(rows - rows[i]) <= step) & (np.abs(cols - cols[i]) <= step))
        for j in near[near > i]:
            draw.line([(x, y), (xs[j], ys[j])], fill="black", width=max(1, round(brush)))
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill="black")
    return canvas


def render_sketch(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """One 28x28 MNIST digit as a random Sketchpad drawing (opaque, black on white).

    Sizes from 100 to 640 px, anywhere on the canvas, brushes from 2 px to 50 px; a third of
    the drawings use the 50 px brush, the Sketchpad's default.
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
