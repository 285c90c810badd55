"""Where bytes become pixels: every image the app reads is opened here, and refused here.

A file that is not an image, is cut short, or is too large raises ``ImageError`` with a
message meant for the person who sent it; the app shows that message and keeps serving.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyspng
from PIL import Image

MAX_PIXELS = 40_000_000  # larger images are refused before their pixels are decoded
# A sketch is the page's 800x800 canvas; an API caller may send other sizes, but not photos'.
SKETCH_MAX_PIXELS = 1600 * 1600
MAX_LAYERS = 1  # the page's sketchpad has one ink layer
MAX_SIDE = 1600  # JPEGs decode at a reduced scale beyond this; other images are reduced after
# What Pillow raises for a damaged or truncated file, depending on the format and the damage.
DAMAGED = (OSError, SyntaxError, ValueError, TypeError, EOFError, IndexError, struct.error, ZeroDivisionError)
# A plain PNG, the kind a canvas sends, is decoded by libspng (pyspng) rather than Pillow: the
# same pixels in under half the time (bench/decoding.py). Plain: 8 bits a channel, grey, RGB or
# RGBA (IHDR's bit depth and colour type -> Pillow's mode; libspng makes no grey with alpha), not
# interlaced, no larger than a sketch, and without the chunks by which Pillow makes more of the
# pixels than they hold: a transparent colour, the frames of an animation, EXIF (or XMP, in a text
# chunk) that may turn them. A file that holds any of those names, even by chance within its
# compressed pixels, or that libspng refuses, is Pillow's to decode (and to say what is wrong).
PLAIN_PNG = {b"\x08\x00": "L", b"\x08\x02": "RGB", b"\x08\x06": "RGBA"}
NOT_PLAIN_CHUNKS = (b"tRNS", b"acTL", b"eXIf", b"tEXt", b"zTXt", b"iTXt")
PLAIN_PNG_MAX_BYTES = 16_000_000  # read whole for libspng; uploads are 10 MB at most (DIGITS_MAX_FILE_SIZE)


class ImageError(ValueError):
    """An input that cannot be read as an image: not one, damaged, or too large."""


def _describe(error: Exception) -> str:
    """What went wrong, without the server's temporary paths that PIL puts in its messages."""
    if isinstance(error, Image.UnidentifiedImageError):
        return "not an image format Pillow recognises"
    text = str(error).rstrip(".")
    return text if text and "/" not in text else type(error).__name__


def open_image(source: str | Path | bytes, *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open and decode an image file; its size is checked before any pixel is decoded.

    Args:
        source: a path, or the bytes of an image file.
        max_pixels: larger images are refused.

    Raises:
        ImageError: not an image, corrupt, or more than ``max_pixels`` pixels.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():  # the size is checked here, against our own limit
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream)
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError(f"That image is {width}x{height}: more than {max_pixels:,} pixels is too large.")
            if (plain := _plain_png(image)) is not None:
                image.close()
                return plain
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)  # animated GIF/WebP/TIFF: read the first frame
            image.draft("L", (MAX_SIDE, MAX_SIDE))
            image.load()
    except ImageError:
        raise
    except Image.DecompressionBombError as error:
        raise ImageError(f"That image has far more than {MAX_PIXELS:,} pixels: too large.") from error
    except DAMAGED as error:
        raise ImageError(f"That file is not a readable image: {_describe(error)}.") from error
    return image


def _plain_png(image: Image.Image) -> Image.Image | None:
    """``image`` (opened, its size checked, not yet decoded) decoded by libspng if it is a
    plain PNG (see PLAIN_PNG); None for Pillow to decode it."""
    if image.format != "PNG" or image.width * image.height > SKETCH_MAX_PIXELS:
        return None
    image.fp.seek(0)
    data = image.fp.read(PLAIN_PNG_MAX_BYTES + 1)
    if (
        len(data) > PLAIN_PNG_MAX_BYTES
        or data[12:16] != b"IHDR"
        or PLAIN_PNG.get(data[24:26]) != image.mode
        or data[28] != 0  # interlaced
        or any(name in data for name in NOT_PLAIN_CHUNKS)
    ):
        return None
    try:
        return Image.fromarray(pyspng.load(data, format=image.mode))
    except RuntimeError:  # damaged
        return None


def as_image(value: Any, *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """A PIL image from an image, an array (0..1 or 0..255), a path, bytes, a data: URL, or
    Gradio file data; one of more than ``max_pixels`` pixels is refused (ImageError)."""
    if isinstance(value, Image.Image):
        if value.width * value.height > max_pixels:
            raise ImageError(
                f"That image is {value.width}x{value.height}: more than {max_pixels:,} pixels is too large."
            )
        return value
    if isinstance(value, np.ndarray):
        array = value
        if array.dtype != np.uint8:
            array = np.clip(array * (255 if array.max() <= 1 else 1), 0, 255).astype(np.uint8)
        return Image.fromarray(array.squeeze())
    if isinstance(value, str) and value.startswith("data:"):
        return open_image(_data_url_bytes(value), max_pixels=max_pixels)
    if isinstance(value, (str, Path, bytes)):
        return open_image(value, max_pixels=max_pixels)
    if isinstance(value, dict) and value.get("path"):  # Gradio's FileData, as a dict
        return open_image(value["path"], max_pixels=max_pixels)
    raise ImageError(f"Expected an image, got {type(value).__name__}.")


def _data_url_bytes(url: str) -> bytes:
    """The bytes of a ``data:[<type>];base64,<data>`` URL."""
    header, _, data = url.partition(",")
    if not header.endswith(";base64"):
        raise ImageError("That data: URL is not base64-encoded.")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ImageError("That data: URL is not valid base64.") from error


def is_sketch(value: Any) -> bool:
    """A Sketchpad/ImageEditor value ``{background, layers, composite}`` rather than one image."""
    return isinstance(value, dict) and "path" not in value


def flatten_sketch(value: dict[str, Any]) -> Image.Image | None:
    """One image from a Sketchpad value ``{background, layers, composite}``; None if empty.

    The composite is what the browser shows, so it wins. Without one (API callers may send
    only layers), the layers are laid over the background, which may itself be missing.

    Raises:
        ImageError: more than MAX_LAYERS layers, an image of more than SKETCH_MAX_PIXELS
            pixels, or a file that is not an image (checked before anything is decoded).
    """
    composite = value.get("composite")
    if composite is not None:
        return as_image(composite, max_pixels=SKETCH_MAX_PIXELS)
    background = value.get("background")
    given = [layer for layer in value.get("layers") or [] if layer is not None]
    if len(given) > MAX_LAYERS:
        raise ImageError(f"That sketch has {len(given)} layers: the sketchpad has {MAX_LAYERS}.")
    layers = [as_image(layer, max_pixels=SKETCH_MAX_PIXELS) for layer in given]
    if background is None and not layers:
        return None
    base = as_image(background, max_pixels=SKETCH_MAX_PIXELS) if background is not None else None
    size = base.size if base is not None else layers[0].size
    canvas = base.convert("RGBA") if base is not None else Image.new("RGBA", size, (0, 0, 0, 0))
    for layer in layers:
        layer = layer.convert("RGBA")
        if layer.size != size:
            layer = layer.resize(size)
        canvas.alpha_composite(layer)
    return canvas
