"""The baseline recipe vs ours, side by side: MNIST test, the same through the app, and MNIST
test digits redrawn as Sketchpad drawings (off centre, any size, 2-50 px brushes).

    python bench/accuracy.py --data-dir ../shared/data/mnist [--sketch-count 10000]

"Through the app" means the app's reader, as /predict uses it: preprocessing, segmenting and the
verdict; a digit counts as read only when the answer is that digit ("uncertain", or two digits,
count as wrong). "The model alone" is the network on MNIST's own 28x28 images.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import io  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from digits.learning.drawing import render_sketch  # noqa: E402
from digits.learning.mnist import load_mnist  # noqa: E402
from digits.reading.reader import DigitReader  # noqa: E402
from digits.settings import BASELINE_MODEL, DIGIT_MODEL, MODELS_DIR, Settings  # noqa: E402
from digits.storage.files import read_metadata  # noqa: E402
from digits.storage.resolver import from_file  # noqa: E402

MODELS = {"baseline recipe": MODELS_DIR / BASELINE_MODEL, "ours": MODELS_DIR / DIGIT_MODEL}


def png(image: Image.Image) -> bytes:
    """The image as the PNG file a browser or a client uploads (and small enough to keep 10,000)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def read_right(reader: DigitReader, images, labels) -> float:
    """Share of ``images`` the app reads as exactly their label."""
    return float(np.mean([reader.read(image).text == str(label) for image, label in zip(images, labels, strict=True)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Settings.from_env().mnist_dir, help="MNIST IDX folder")
    parser.add_argument("--sketch-count", type=int, default=10_000, help="test digits to redraw as drawings")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers to this JSON file")
    args = parser.parse_args()

    mnist = load_mnist(args.data_dir)
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    drawings = [png(render_sketch(digit, rng)) for digit in mnist.x_test[: args.sketch_count]]
    print(f"drew {len(drawings)} test digits in {time.perf_counter() - started:.0f} s")
    mnist_images = [png(Image.fromarray(image)) for image in mnist.x_test]  # white on black, as MNIST is
    raw = mnist.x_test.astype(np.float32) / 255.0

    rows = {}
    for name, path in MODELS.items():
        reader = DigitReader(lambda path=path: from_file(path))
        metadata = read_metadata(path)
        rows[name] = {
            "mnist_test": float((reader.probabilities(raw).argmax(1) == mnist.y_test).mean()),
            "mnist_test_app": read_right(reader, mnist_images, mnist.y_test),
            "sketch": read_right(reader, drawings, mnist.y_test[: args.sketch_count]),
            "parameters": int(reader.load().model.count_params()),
            "size_mb": path.stat().st_size / 1e6,
            "training_seconds": metadata.get("training_seconds"),
            "epochs": metadata.get("epochs_run"),
        }

    print(f"\n| | {' | '.join(rows)} |\n|---|{'---|' * len(rows)}")
    lines = [
        ("MNIST test, the model alone (10,000)", "mnist_test", "{:.2%}"),
        ("MNIST test through the app", "mnist_test_app", "{:.2%}"),
        (f"Sketchpad-style drawings through the app ({args.sketch_count:,} test digits)", "sketch", "{:.2%}"),
        ("parameters", "parameters", "{:,}"),
        ("model file (MB)", "size_mb", "{:.1f}"),
        ("training time (s, 2 CPU cores)", "training_seconds", "{:.0f}"),
        ("epochs", "epochs", "{}"),
    ]
    for title, key, fmt in lines:
        cells = [fmt.format(row[key]) if row[key] is not None else "n/a" for row in rows.values()]
        print(f"| {title} | {' | '.join(cells)} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
