"""Why the model read what it read: an occlusion map, laid over the drawing.

Each patch of the 28x28 image is blanked in turn, and the drop in the log-probability of
the digit read is where the evidence came from. It uses the same model, in one batch of 145
images (about 20 ms on two CPU cores); the plain prediction never waits for it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from digits import IMAGE_SIZE
from digits.reading.preprocess import bounding_box

PATCH = 6
STRIDE = 2
VIEW_SIZE = 420  # the longer side of the picture shown


def occlusion_map(probabilities: Callable[[np.ndarray], np.ndarray], seen: np.ndarray, digit: int) -> np.ndarray:
    """(28, 28) in 0..1: how much blanking each pixel's patches lowers P(digit); 0 off the ink."""
    starts = range(0, IMAGE_SIZE - PATCH + 1, STRIDE)
    corners = [(row, col) for row in starts for col in starts]
    batch = np.repeat(seen[np.newaxis], len(corners) + 1, axis=0)
    for image, (row, col) in zip(batch[1:], corners, strict=True):
        image[row : row + PATCH, col : col + PATCH] = 0.0
    # Log-probabilities: a sure reading (p = 0.9999) still shows which ink it rests on.
    scores = np.log(np.maximum(probabilities(batch)[:, digit], 1e-12))
    drop = np.maximum(scores[0] - scores[1:], 0.0)
    heat, cover = np.zeros_like(seen), np.zeros_like(seen)
    for value, (row, col) in zip(drop, corners, strict=True):
        heat[row : row + PATCH, col : col + PATCH] += value
        cover[row : row + PATCH, col : col + PATCH] += 1
    heat = heat / np.maximum(cover, 1) * (seen > 0.05)
    return heat / heat.max() if heat.max() > 0 else heat


def to_drawing(
    heat: np.ndarray, seen: np.ndarray, box: tuple[int, int, int, int], shape: tuple[int, int]
) -> np.ndarray:
    """The 28x28 ``heat`` laid back where its digit is in the drawing (``box``, x0 y0 x1 y1).

    Preprocessing scales and centres the ink's bounding box; the inverse maps the box of the
    28x28 image's ink onto the drawing's.
    """
    out = np.zeros(shape, np.float32)
    where = bounding_box(seen > 0.05)
    if where is None or box[2] <= box[0] or box[3] <= box[1]:
        return out
    rows, cols = where
    crop = Image.fromarray(heat[rows, cols].astype(np.float32), mode="F")
    out[box[1] : box[3], box[0] : box[2]] = np.asarray(crop.resize((box[2] - box[0], box[3] - box[1]), Image.BILINEAR))
    return out


def overlay(drawing: np.ndarray, heat: np.ndarray) -> Image.Image:
    """The drawing in grey with ``heat`` in red over it, VIEW_SIZE pixels on its longer side."""
    ink = drawing.astype(np.float32) / 255.0
    paper = 1.0 - 0.55 * ink  # the strokes in grey, so the colour reads on top of them
    strength = np.clip(heat, 0, 1)[..., None] * (ink[..., None] > 0.1)
    red = np.array([0.86, 0.15, 0.12], np.float32)
    rgb = paper[..., None] * (1 - strength) + red * strength
    image = Image.fromarray((rgb * 255).astype(np.uint8))
    scale = VIEW_SIZE / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
