"""How the size of a drawing, against its brush, changes what the app reads.

    python bench/sizes.py [--count 1000] [--heights 80 110 150 250 450 700]

The held-out writers' pen digits (UNIPEN's, never trained on: ``digits.learning.pen``) drawn as
the sketchpad sends them, anywhere on an opaque white 800x800 canvas, at each height (of the pen's
path: the brush adds its width), with the stock 50 px brush and the page's own 36 px, and read
through ``DigitReader.read`` as ``/predict`` reads them. Each drawing is read right, or it is not
and why: marked a blob (``reader.is_blob``: filled, roundish), unsure (below
``UNCERTAIN_BELOW``), another digit, or split into several. The same digits, placed by the same
random numbers, at every height and brush.

``bench/accuracy.py`` draws digits 150 to 700 px tall; people drawing "at any size" draw smaller
too, and a small digit drawn with a fat brush fills its loops.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from digits.learning.drawing import MAX_BRUSH  # noqa: E402
from digits.learning.pen import load_pen_digits, split_by_writer  # noqa: E402
from digits.learning.renders import PAGE_BRUSH, sketch  # noqa: E402
from digits.reading.reader import DigitReader  # noqa: E402
from digits.reading.readings import Reading, is_blob  # noqa: E402
from digits.settings import Settings  # noqa: E402
from digits.storage.resolver import from_files  # noqa: E402

OUTCOMES = ("right", "a blob", "unsure", "another digit", "split")


def outcome(reading: Reading, label: int) -> str:
    if reading.text == str(label):
        return "right"
    if reading.parts:
        return "split"
    if reading.status == "uncertain":
        return "a blob" if reading.seen is not None and is_blob(reading.seen) else "unsure"
    return "another digit"


def main() -> None:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pen-dir", type=Path, default=settings.unipen_dir, help="UNIPEN folder ($UNIPEN_DIR)")
    parser.add_argument("--count", type=int, default=1000, help="held-out pen digits (0: all)")
    parser.add_argument("--heights", type=float, nargs="+", default=[80, 110, 150, 250, 450, 700], help="px")
    args = parser.parse_args()

    reader = DigitReader(lambda: from_files(settings.digit_model_path, *settings.number_model_paths))
    reader.load()
    _, held_out = split_by_writer(load_pen_digits(args.pen_dir))
    count = args.count or len(held_out)
    strokes, labels = held_out.strokes[:count], held_out.labels[:count]
    print(f"{count:,} held-out pen digits at each height, read by {reader.model_id}\n")
    print(f"| brush | height (px) | {' | '.join(OUTCOMES)} |\n|---|---:|{'---:|' * len(OUTCOMES)}")
    for brush in (MAX_BRUSH, PAGE_BRUSH):
        for height in args.heights:
            rng = np.random.default_rng(7)  # the same random numbers at every height and brush
            found = [outcome(reader.read(sketch(digit, rng, height=height, brush=brush)), label)
                     for digit, label in zip(strokes, labels, strict=True)]  # fmt: skip
            shares = " | ".join(f"{found.count(name) / count:.1%}" for name in OUTCOMES)
            print(f"| {brush:.0f} px | {height:.0f} | {shares} |", flush=True)


if __name__ == "__main__":
    main()
