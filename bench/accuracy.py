"""Seed recipe vs ours, side by side: MNIST test, the same through the app's preprocessing,
and MNIST test digits redrawn as Sketchpad drawings (off centre, any size, 2-50 px brushes).

    python bench/accuracy.py --data-dir ../shared/data/mnist [--sketch-count 10000]

Both models read the drawings through the app's one preprocessing function.
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

import numpy as np  # noqa: E402

from digits.data import load_mnist  # noqa: E402
from digits.evaluation import sketch_set  # noqa: E402
from digits.inference import Predictor  # noqa: E402
from digits.settings import PROJECT_DIR  # noqa: E402
from digits.store import load_model, read_metadata  # noqa: E402
from digits.training import preprocess_all  # noqa: E402

MODELS = {"seed recipe": PROJECT_DIR / "models" / "seed_cnn.h5", "ours": PROJECT_DIR / "models" / "mnist_cnn.h5"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("MNIST_DIR"), help="MNIST IDX folder")
    parser.add_argument("--sketch-count", type=int, default=10_000, help="test digits to redraw as drawings")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers to this JSON file")
    args = parser.parse_args()

    mnist = load_mnist(args.data_dir)
    started = time.perf_counter()
    drawn = sketch_set(mnist.x_test[: args.sketch_count])
    print(f"drew and preprocessed {len(drawn)} test digits in {time.perf_counter() - started:.0f} s")
    redrawn = preprocess_all(mnist.x_test)
    raw = mnist.x_test.astype(np.float32) / 255.0
    y_sketch = mnist.y_test[: args.sketch_count]

    rows = {}
    for name, path in MODELS.items():
        predictor = Predictor(load_model(path))
        metadata = read_metadata(path)
        rows[name] = {
            "mnist_test": float((predictor.probabilities(raw).argmax(1) == mnist.y_test).mean()),
            "mnist_test_preprocessed": float((predictor.probabilities(redrawn).argmax(1) == mnist.y_test).mean()),
            "sketch": float((predictor.probabilities(drawn).argmax(1) == y_sketch).mean()),
            "parameters": int(predictor.model.count_params()),
            "size_mb": path.stat().st_size / 1e6,
            "training_seconds": metadata.get("training_seconds"),
            "epochs": metadata.get("epochs_run"),
        }

    print(f"\n| | {' | '.join(rows)} |\n|---|{'---|' * len(rows)}")
    lines = [
        ("MNIST test accuracy (10,000)", "mnist_test", "{:.2%}"),
        ("MNIST test through the app's preprocessing", "mnist_test_preprocessed", "{:.2%}"),
        (f"Sketchpad-style drawings ({args.sketch_count:,} test digits)", "sketch", "{:.2%}"),
        ("parameters", "parameters", "{:,}"),
        ("model file (MB)", "size_mb", "{:.1f}"),
        ("training time (s, 2 CPU cores)", "training_seconds", "{:.0f}"),
        ("epochs", "epochs", "{}"),
    ]
    for title, key, fmt in lines:
        print(
            f"| {title} | "
            + " | ".join(fmt.format(row[key]) if row[key] is not None else "n/a" for row in rows.values())
            + " |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
