"""How often the app says it is unsure: on drawn digits (should be rare) and on scribbles and
blobs that are not digits (should be often). Every drawing goes through the app's reader, numbers
included: a scribble read as "4?" counts as unsure, one read as "47" does not.

    python bench/uncertainty.py [--count 2000]

The digits: MNIST test digits drawn as sketches, and the held-out UNIPEN writers' pen digits
(digits.learning.pen.split_by_writer) drawn as the stock sketchpad sends them (50 px brush,
150 to 700 px tall).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from digits.learning.drawing import render_sketch  # noqa: E402
from digits.learning.mnist import load_mnist  # noqa: E402
from digits.learning.pen import load_pen_digits, split_by_writer  # noqa: E402
from digits.learning.renders import sketch_lone_digit  # noqa: E402
from digits.reading.reader import DigitReader  # noqa: E402
from digits.reading.readings import Reading  # noqa: E402
from digits.settings import Settings  # noqa: E402
from digits.storage.resolver import from_files  # noqa: E402


def unsure(reading: Reading) -> bool:
    """The app did not claim a digit: it said "uncertain", or "?" for some digit of a number."""
    return reading.status == "uncertain" or "?" in reading.text


def scribble(rng: np.random.Generator) -> Image.Image:
    """Not a digit: a random zig-zag, a filled blob, a spiral or a hatch."""
    image = Image.new("RGB", (800, 800), "white")
    draw = ImageDraw.Draw(image)
    kind = rng.integers(4)
    width = int(rng.uniform(6, 50))
    if kind == 0:
        points = [tuple(p) for p in rng.uniform(150, 650, (int(rng.integers(6, 14)), 2))]
        draw.line(points, fill="black", width=width, joint="curve")
    elif kind == 1:
        x, y, r = rng.uniform(250, 550), rng.uniform(250, 550), rng.uniform(60, 200)
        draw.ellipse([x - r, y - r * rng.uniform(0.7, 1.3), x + r, y + r], fill="black")
    elif kind == 2:
        angles = np.linspace(0, rng.uniform(4, 8) * np.pi, 200)
        radii = np.linspace(10, rng.uniform(120, 250), 200)
        draw.line([(400 + r * np.cos(a), 400 + r * np.sin(a)) for a, r in zip(angles, radii, strict=True)],
                  fill="black", width=width)  # fmt: skip
    else:
        for offset in range(0, 300, int(rng.uniform(25, 60))):
            draw.line([(250 + offset, 250), (250, 250 + offset)], fill="black", width=width)
            draw.line([(550 - offset, 550), (550, 550 - offset)], fill="black", width=width)
    return image


def report(name: str, readings: list[Reading], labels) -> None:
    flagged = np.array([unsure(r) for r in readings])
    wrong = np.array([r.text != str(label) for r, label in zip(readings, labels, strict=True)])
    print(f"{name}: {len(readings)}")
    print(f"  marked unsure: {flagged.mean():.2%}")
    print(
        f"  not read as their digit: {wrong.mean():.2%}; of those, marked unsure: {(wrong & flagged).sum() / max(wrong.sum(), 1):.0%}"
    )
    print(f"  read as another answer without a doubt: {(wrong & ~flagged).mean():.2%}")


def main() -> None:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=settings.mnist_dir, help="MNIST IDX folder ($MNIST_DIR)")
    parser.add_argument("--pen-dir", type=Path, default=settings.unipen_dir, help="UNIPEN folder ($UNIPEN_DIR)")
    parser.add_argument("--count", type=int, default=2000, help="drawn test digits, and scribbles, to try")
    args = parser.parse_args()
    reader = DigitReader(lambda: from_files(settings.digit_model_path, *settings.number_model_paths))

    mnist = load_mnist(args.data_dir)
    rng = np.random.default_rng(0)
    drawn = [reader.read(render_sketch(digit, rng)) for digit in mnist.x_test[: args.count]]
    report("drawn MNIST test digits", drawn, mnist.y_test[: args.count])

    _, held_out = split_by_writer(load_pen_digits(args.pen_dir))
    rng = np.random.default_rng(1)
    pen = [reader.read(sketch_lone_digit(digit, rng)) for digit in held_out.strokes]
    report("held-out writers' pen digits, 50 px", pen, held_out.labels)

    rng = np.random.default_rng(7)
    scribbles = [reader.read(scribble(rng)) for _ in range(args.count)]
    print(f"scribbles and blobs: {args.count}\n  marked unsure: {np.mean([unsure(r) for r in scribbles]):.2%}")


if __name__ == "__main__":
    main()
