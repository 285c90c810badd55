"""How long the app takes to decode the PNG of a drawing it is sent, against Pillow alone.

    python bench/decoding.py [--rounds 50]

The 20 digits in ``examples/`` (800x800 canvases): as they are stored (RGB, the PNGs
``bench/latency.py`` sends) and as a browser's sketchpad sends a drawing (RGBA, opaque; encoded
here by Pillow). Each file is decoded by Pillow (``Image.open`` and ``load``) and by
``digits.images.open_image``, the app's way in (libspng for a plain PNG), the two taking turns
file by file; both must give the same pixels. Medians over every file and round, ms.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from digits.images import open_image  # noqa: E402
from digits.settings import PROJECT_DIR  # noqa: E402


def pillow(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def as_rgba(data: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=50, help="times each file is decoded each way")
    args = parser.parse_args()

    stored = [path.read_bytes() for path in sorted((PROJECT_DIR / "examples").glob("*.png"))]
    kinds = {"RGB, as stored in examples/": stored, "RGBA, as a browser sends it": [as_rgba(data) for data in stored]}
    ways = {"Pillow": pillow, "open_image": open_image}
    print("| PNG, 800x800 | Pillow, median ms | open_image, median ms | Pillow / open_image |")
    print("|---|---|---|---|")
    for kind, files in kinds.items():
        for data in files:
            theirs, ours = pillow(data), open_image(data)
            if ours.mode != theirs.mode or not np.array_equal(np.asarray(ours), np.asarray(theirs)):
                raise SystemExit(f"{kind}: open_image's pixels are not Pillow's")
        spent: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.rounds):
            for data in files:
                for name, decode in ways.items():
                    started = time.perf_counter()
                    decode(data)
                    spent[name].append(1000 * (time.perf_counter() - started))
        medians = {name: statistics.median(ms) for name, ms in spent.items()}
        print(
            f"| {kind} | {medians['Pillow']:.2f} | {medians['open_image']:.2f} "
            f"| {medians['Pillow'] / medians['open_image']:.2f}x |"
        )


if __name__ == "__main__":
    main()
