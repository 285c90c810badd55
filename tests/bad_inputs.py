"""A corpus of awkward inputs, built in code: blank canvases, dots, extreme sizes, bombs,
corrupt files, impostors and every PIL mode. Shared by tests/test_bad_inputs.py and
bench/bad_inputs.py."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from digits.learning.drawing import draw_digit

DIGIT = 3


def png(image: Image.Image, format: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def digit_drawing() -> Image.Image:
    return draw_digit(DIGIT, left=180, top=140, height=460, brush=28)


def dot() -> bytes:
    image = Image.new("RGB", (800, 800), "white")
    ImageDraw.Draw(image).ellipse([400, 400, 410, 410], fill="black")
    return png(image)


def exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 8
    return png(digit_drawing().rotate(-90, expand=True), "JPEG", exif=exif, quality=92)


def animated_gif() -> bytes:
    frames = [digit_drawing().convert("P"), draw_digit(7, left=200, top=150, height=450, brush=28).convert("P")]
    return png(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=200)


def mode(name: str) -> Callable[[], bytes]:
    def build() -> bytes:
        image = digit_drawing()
        if name == "I;16":
            return png(Image.fromarray(np.asarray(image.convert("L"), np.uint16) * 257))
        if name == "P+transparency":
            converted = image.convert("P")
            return png(converted, transparency=converted.getpixel((0, 0)))
        if name in ("CMYK", "F"):
            return png(image.convert(name), "TIFF")
        return png(image.convert(name))

    return build


def corrupt_png() -> bytes:
    data = png(digit_drawing())
    return data[: len(data) // 3]


def corrupt_jpeg() -> bytes:
    data = png(digit_drawing(), "JPEG")
    return data[:200] + bytes(np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8)) + data[-2:]


# name -> (builder of the file's bytes, or None for "no file at all"; what a good answer is)
# Expectations: "digit" (reads DIGIT), "prompt" (asks for a drawing), "uncertain",
# "error" (a clear message), or "sensible-or-error" (any of those, but never another digit).
CORPUS: dict[str, tuple[Callable[[], bytes] | None, str]] = {
    "None / missing composite": (None, "prompt"),
    "all-white canvas": (lambda: png(Image.new("RGB", (800, 800), "white")), "prompt"),
    "all-black canvas": (lambda: png(Image.new("RGB", (800, 800), "black")), "prompt"),
    "fully transparent canvas": (lambda: png(Image.new("RGBA", (800, 800), (0, 0, 0, 0))), "prompt"),
    "a single dot": (dot, "uncertain"),
    "1x1 image": (lambda: png(Image.new("L", (1, 1), 0)), "prompt"),
    "1x10000 image": (lambda: png(Image.new("L", (1, 10_000), 255)), "prompt"),
    "10000x10000 image": (lambda: png(Image.new("1", (10_000, 10_000), 1)), "error"),
    "decompression bomb (30000x30000)": (lambda: png(Image.new("1", (30_000, 30_000), 0)), "error"),
    "corrupt PNG": (corrupt_png, "error"),
    "corrupt JPEG": (corrupt_jpeg, "sensible-or-error"),
    "text file named .png": (lambda: b"This is a text file, not a picture.\n" * 20, "error"),
    **{f"mode {name}": (mode(name), "digit") for name in ["1", "L", "LA", "P+transparency", "RGB", "RGBA", "CMYK", "I;16", "F"]},
    "EXIF-rotated photo": (exif_rotated, "digit"),
    "animated GIF": (animated_gif, "digit"),
}  # fmt: skip


def classify(result: dict | None, error: str | None) -> str:
    """What kind of answer the app gave."""
    if error is not None:
        return "error"
    if not result.get("confidences"):
        return "prompt"
    if result["label"] == "uncertain":
        return "uncertain"
    return "digit" if result["label"] == str(DIGIT) else f"digit {result['label']}"
