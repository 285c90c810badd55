"""Any drawing, scan or photo of a digit -> the 28x28 array the model expects.

MNIST digits are white on black, scaled so that the longer side of the ink is 20 px, and
placed in a 28x28 frame by centre of mass. People draw black on white, anywhere on an
800x800 canvas, with a hairline or a 50 px brush. `preprocess` bridges the two:

1. find the ink, whatever the polarity, transparency or background colour;
2. crop to the ink's bounding box;
3. redraw it at a fixed working resolution with a MNIST-like stroke width
   (hairlines are thickened, marker strokes thinned);
4. scale the longer side to 20 px and centre it by mass in 28x28.

The same function serves the app, the evaluation and the tests, so they cannot drift apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import ExifTags, Image, ImageOps

from digits import IMAGE_SIZE
from digits.images import MAX_SIDE, as_image, flatten_sketch, is_sketch

DIGIT_BOX = 20
WORK_SIZE = 80  # the resolution at which strokes are measured and redrawn
# Stroke width at WORK_SIZE that MNIST's digits have by the same measure (median over the
# training set; see tests/test_preprocess.py), so redrawn strokes look like MNIST's.
TARGET_STROKE = 10.8
MIN_CONTRAST = 0.1  # ink must differ from the background by this much (of 0..1)
GRAIN = 0.2  # of the strongest ink: fainter than this is paper grain or noise, dropped
# An image already framed as MNIST frames a digit: 28x28, the ink's longer side within these
# (px; 20 in 99.9 % of MNIST's test digits, 17 at least), its centre of mass this near the frame's
# centre (at most 1.6 px from it in MNIST's test set).
FRAMED_SIDES = (16, DIGIT_BOX)
FRAMED_OFF_CENTRE = 2.0
# An enlarged image's ink: at least this share of it grey (a tenth to nine tenths of full ink)
# more than a pixel inside the grey: MNIST's test digits enlarged 3.6 to 28 times, 0.037 at the
# 0.1th percentile. A canvas's strokes, hairlines to 50 px, are solid but for anti-aliased edges
# a pixel wide: 0 (tests/test_preprocess.py).
FRAMED_GREY = 0.02


class EmptyImageError(ValueError):
    """The image holds no ink: nothing to read."""


class DrawingRefused(ValueError):
    """The ink cannot be a digit or a number (thousands of separate marks, dozens of digits):
    refused before the work of reading it. The message says why, for the person who drew it."""


def _grey(image: Image.Image) -> Image.Image:
    """8-bit grey levels for any PIL mode; 16-bit and float images are stretched to 0..255."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(image, dtype=np.float64)
        low, high = values.min(), values.max()
        stretched = (values - low) * (255.0 / (high - low)) if high > low else np.zeros_like(values)
        return Image.fromarray(np.round(stretched).astype(np.uint8))
    return image.convert("L")


def ink_image(image: Image.Image, *, grain: float = GRAIN) -> Image.Image:
    """How much each pixel is ink, as an 8-bit image (0: none, 255: full ink), whatever the
    polarity and background; levels within ``grain`` of the background are paper.

    Transparent images are laid on whichever of black or white contrasts with their opaque
    pixels; the background is then the median of the border, and ink is what differs from
    it. Whole-image work stays in Pillow's 8-bit operations: this runs on every request, on
    800x800 canvases.
    """
    if image.getexif().get(ExifTags.Base.Orientation, 1) != 1:  # a photo taken on its side
        image = ImageOps.exif_transpose(image)  # a copy, so only when there is something to turn
    if max(image.size) > MAX_SIDE:
        image = image.reduce(int(np.ceil(max(image.size) / MAX_SIDE)))
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")  # a browser's canvas: no copy
        alpha = rgba.getchannel("A")
        grey = rgba.convert("L")
        if alpha.getextrema()[0] < 128:
            weights = np.asarray(alpha, dtype=np.float64)
            opaque_level = float((np.asarray(grey) * weights).sum() / max(weights.sum(), 1.0)) / 255
            backdrop = Image.new("L", grey.size, 0 if opaque_level > 0.5 else 255)
            grey = Image.composite(grey, backdrop, alpha)
    else:
        grey = _grey(image)
    width, height = grey.size
    edges = ((0, 0, width, 1), (0, height - 1, width, height), (0, 0, 1, height), (width - 1, 0, width, height))
    border = np.concatenate([np.asarray(grey.crop(edge)).ravel() for edge in edges])
    background = int(round(float(np.median(border))))
    darkest, lightest = grey.getextrema()
    peak = max(background - darkest, lightest - background)  # the most any pixel differs from it
    if peak < MIN_CONTRAST * 255:
        return Image.new("L", grey.size, 0)
    # How far each level is from the background, scaled so the darkest stroke is full ink, with
    # faint texture such as paper grain dropped: one table, one pass over the image.
    levels = np.clip((np.abs(np.arange(256) - background) / peak - grain) / (1.0 - grain), 0.0, 1.0)
    return grey.point(np.round(255 * levels).astype(int).tolist())


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask: twice the area over the boundary length."""
    area = int(mask.sum())
    if area == 0:
        return 0.0
    # Interior pixels have ink on all four sides; those on the mask's edge have paper beyond it.
    interior = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    boundary = area - int(interior.sum())
    return 2.0 * area / max(boundary, 1)


def bounding_box(mask: np.ndarray) -> tuple[slice, slice] | None:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def work_mask(ink: np.ndarray, *, by_height: bool = False) -> np.ndarray:
    """Binary mask of the ink with its longer side (or, ``by_height``, its height) WORK_SIZE px;
    thin lines survive."""
    extent = ink.shape[0] if by_height else max(ink.shape)
    factor = int(np.ceil(extent / WORK_SIZE))
    if factor > 1:  # max-pool first, so a hairline on a big canvas is not averaged away
        ink = max_pool(ink, factor)
    scale = WORK_SIZE / (ink.shape[0] if by_height else max(ink.shape))
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
    resized = Image.fromarray(ink.astype(np.float32), mode="F").resize(size, Image.BILINEAR)
    return np.asarray(resized) > 0.5


def max_pool(image: np.ndarray, factor: int) -> np.ndarray:
    """The largest value in each ``factor`` x ``factor`` block (the last ones may be cut short):
    rows, then columns, one strided maximum per offset. The same numbers as a reshape's
    ``max(axis=(1, 3))`` of the image padded with paper to whole blocks, 10 to 30 times sooner
    (numpy reduces short strided axes slowly: 1 ms for a digit 300 px tall)."""
    rows = image[::factor].copy()
    for offset in range(1, factor):
        part = image[offset::factor]  # one row fewer where the last block is cut short
        np.maximum(rows[: len(part)], part, out=rows[: len(part)])
    pooled = rows[:, ::factor].copy()
    for offset in range(1, factor):
        part = rows[:, offset::factor]
        np.maximum(pooled[:, : part.shape[1]], part, out=pooled[:, : part.shape[1]])
    return pooled


def _morph(mask: np.ndarray, steps: int) -> np.ndarray:
    """Dilate (steps > 0) or erode (steps < 0) by one pixel per step, with a 3x3 square: the
    mask padded by ``abs(steps) + 1``, then each step along the rows and along the columns (a
    square's max or min is separable). Twenty times faster than Pillow's 3x3 rank filter
    applied ``steps`` times, and the same pixels (tests/test_preprocess.py)."""
    margin = abs(steps) + 1
    out = np.zeros((mask.shape[0] + 2 * margin, mask.shape[1] + 2 * margin), bool)
    out[margin:-margin, margin:-margin] = mask
    combine = np.logical_or if steps > 0 else np.logical_and
    for _ in range(abs(steps)):  # along the columns...
        before = out.copy()
        combine(out[1:], before[:-1], out=out[1:])
        combine(out[:-1], before[1:], out=out[:-1])
    for _ in range(abs(steps)):  # ...and along the rows
        before = out.copy()
        combine(out[:, 1:], before[:, :-1], out=out[:, 1:])
        combine(out[:, :-1], before[:, 1:], out=out[:, :-1])
    return out


def normalize_strokes(mask: np.ndarray) -> np.ndarray:
    """Thicken or thin a WORK_SIZE mask towards TARGET_STROKE, never erasing the digit."""
    steps = round((TARGET_STROKE - stroke_width(mask)) / 2)
    if steps >= 0:
        return _morph(mask, steps)
    area = mask.sum()
    for step in range(steps, 0):  # thin as far as wanted while half the ink remains
        thinner = _morph(mask, step)
        if thinner.sum() >= 0.35 * area:
            return thinner
    return mask


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """The row and column of ``image``'s centre of mass (it must hold some ink)."""
    total = image.sum()
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def center_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place ``digit`` (at most 20x20) in 28x28 with its centre of mass at the centre."""
    com_row, com_col = centre_of_mass(digit)
    top = int(round(IMAGE_SIZE / 2 - com_row - 0.5))
    left = int(round(IMAGE_SIZE / 2 - com_col - 0.5))
    frame = np.zeros((IMAGE_SIZE + 2 * DIGIT_BOX, IMAGE_SIZE + 2 * DIGIT_BOX), np.float32)
    height, width = digit.shape
    frame[top + DIGIT_BOX : top + DIGIT_BOX + height, left + DIGIT_BOX : left + DIGIT_BOX + width] = digit
    return frame[DIGIT_BOX:-DIGIT_BOX, DIGIT_BOX:-DIGIT_BOX]


def turned(image: np.ndarray, degrees: float) -> np.ndarray:
    """A 28x28 image turned ``degrees`` anticlockwise about its centre (bilinear; paper comes in at
    the corners)."""
    return np.asarray(Image.fromarray(np.asarray(image, np.float32), mode="F").rotate(degrees, Image.BILINEAR))


def preprocess_ink(ink: np.ndarray) -> np.ndarray:
    """28x28 float32 in 0..1 (1 = ink) from an ink map; raises EmptyImageError."""
    box = bounding_box(ink > 0)
    if box is None:
        raise EmptyImageError("no ink found: draw a digit")
    mask = normalize_strokes(work_mask(ink[box]))
    box = bounding_box(mask)
    if box is None:
        raise EmptyImageError("no ink found: draw a digit")
    mask = mask[box]
    scale = DIGIT_BOX / max(mask.shape)
    size = (max(1, round(mask.shape[1] * scale)), max(1, round(mask.shape[0] * scale)))
    digit = Image.fromarray(mask.astype(np.float32), mode="F").resize(size, Image.BOX)
    return center_by_mass(np.clip(np.asarray(digit), 0.0, 1.0))


def digit_image(ink: np.ndarray) -> np.ndarray | None:
    """``preprocess_ink``'s 28x28 image of ``ink``; None where it finds no ink there (a faint
    sliver that preprocessing erases)."""
    try:
        return preprocess_ink(ink)
    except EmptyImageError:
        return None


def drawing_image(value: Any) -> Image.Image:
    """The image of a drawing, image or file, decoded and checked.

    Raises:
        EmptyImageError: there is no image (``None`` or an empty sketchpad).
        ImageError: the input is not an image, or is corrupt or too large.
    """
    if value is None:
        raise EmptyImageError("no image: draw a digit")
    image = flatten_sketch(value) if is_sketch(value) else as_image(value)
    if image is None:
        raise EmptyImageError("no image: draw a digit")
    return image


def drawing_ink(value: Any) -> Image.Image:
    """The ink of a drawing, image or file as an 8-bit map (see ``ink_image``), uncropped;
    raises as ``drawing_image`` does."""
    return ink_image(drawing_image(value))


def as_framed(
    image: Image.Image, ink: Image.Image | None = None, box: tuple[int, int, int, int] | None = None
) -> np.ndarray | None:
    """The 28x28 array the model reads, if ``image`` is already framed as MNIST frames a digit
    (see FRAMED_SIDES), at 28x28 or enlarged to any square; else None. ``ink`` and ``box``: the
    image's ``ink_image`` and its box, if found already (most drawings are passed over on them).

    Such an image, an MNIST digit, one enlarged or ``preprocess``'s own output, is read as it
    is, with its grey levels and its own stroke widths: redrawing it as ``preprocess`` redraws a
    drawing loses both, and with them a few digits in a thousand of MNIST's test set (and five
    in a thousand enlarged). An enlarged one is reduced to 28x28 by area; a drawing on a canvas,
    its strokes solid but for a pixel at their edges (FRAMED_GREY), is not framed.
    """
    side = image.size[0]
    if image.size[1] != side or side < IMAGE_SIZE:
        return None
    if side > IMAGE_SIZE:
        ink = ink if ink is not None else ink_image(image)
        if not _may_be_enlarged(ink, box or ink.getbbox()):
            return None
    ink = ink_image(image, grain=0.0)
    if side > IMAGE_SIZE:
        ink = ink.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BOX)
    seen = np.asarray(ink, dtype=np.float32) / 255.0
    inked = bounding_box(seen > GRAIN)
    if inked is None:
        return None
    longer = max(seen[inked].shape)
    centre = (IMAGE_SIZE - 1) / 2
    off_centre = np.hypot(*(np.array(centre_of_mass(seen)) - centre))
    return seen if FRAMED_SIDES[0] <= longer <= FRAMED_SIDES[1] and off_centre <= FRAMED_OFF_CENTRE else None


def _may_be_enlarged(ink: Image.Image, box: tuple[int, int, int, int] | None) -> bool:
    """Whether a square image's ``ink`` (in ``box``) may be a framed digit enlarged: the box's
    longer side near FRAMED_SIDES' share of the image's, its middle near the image's (a loose
    test, before the work of reducing), and its levels graded as an enlarged image's are
    (FRAMED_GREY), not a canvas's solid strokes, which are redrawn as the networks learnt them."""
    if box is None:
        return False
    scale = IMAGE_SIZE / ink.width
    longer = max(box[2] - box[0], box[3] - box[1]) * scale
    middle = np.array([box[0] + box[2], box[1] + box[3]]) / 2 * scale
    near = np.abs(middle - IMAGE_SIZE / 2).max() <= 2 * FRAMED_OFF_CENTRE + 1
    if not (FRAMED_SIDES[0] - 2 <= longer <= FRAMED_SIDES[1] + 1 and near):
        return False
    levels = np.asarray(ink.crop(box))
    grey, enough = (levels > 0.1 * 255) & (levels < 0.9 * 255), FRAMED_GREY * np.count_nonzero(levels)
    return np.count_nonzero(grey) >= enough and np.count_nonzero(_morph(grey, -1)) >= enough


def crop_ink(ink: Image.Image) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The ink's bounding box as floats 0..1, and that box (x0, y0, x1, y1).

    Cropping happens before leaving 8-bit Pillow: the digit is a small part of a canvas.
    """
    box = ink.getbbox()
    if box is None:
        raise EmptyImageError("no ink found: draw a digit")
    return np.asarray(ink.crop(box), dtype=np.float32) / 255.0, box


def preprocess(value: Any) -> np.ndarray:
    """The 28x28 float32 array (0..1, white digit on black) the model reads.

    Args:
        value: a Sketchpad value ``{background, layers, composite}``, a PIL image, a numpy
            array, a file path or the bytes of an image file.

    Raises:
        EmptyImageError: there is no ink to read (``None``, blank or uniform image).
        ImageError: the input is not an image, or is corrupt or too large.
    """
    return preprocess_ink(crop_ink(drawing_ink(value))[0])
