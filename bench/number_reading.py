"""Numbers: sequence accuracy for 2-6 digits, the cost of segmenting, and the "why" view.

    python bench/number_reading.py --data-dir ../shared/data/mnist [--count 200]

(Not "numbers.py": that name would hide the standard library's numbers module.)

Numbers are composed of held-out MNIST test digits (the first 5,000; the segmentation's
costs were tuned on compositions of the other 5,000), written side by side at uneven sizes
(x0.8-1.2) on a wandering baseline, at three spacings (digits.evaluation.SPACINGS), then
read by the app's DigitReader from the 800x800 canvas image. A number is right only when
every digit is, and no digit is missing or extra.
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

from digits.learning.drawing import render_sketch  # noqa: E402
from digits.learning.evaluation import SPACINGS, compose_number  # noqa: E402
from digits.learning.mnist import load_mnist  # noqa: E402
from digits.reading.preprocess import preprocess  # noqa: E402
from digits.reading.reader import DigitReader, verdict  # noqa: E402
from digits.settings import Settings  # noqa: E402
from digits.storage.resolver import from_files  # noqa: E402

HELD_OUT = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Settings.from_env().mnist_dir, help="MNIST IDX folder")
    parser.add_argument("--count", type=int, default=200, help="numbers per length and spacing")
    parser.add_argument(
        "--singles", type=int, default=2000, help="single drawn digits to compare with the one-digit path"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers to this JSON file")
    args = parser.parse_args()

    mnist = load_mnist(args.data_dir)
    x, y = mnist.x_test[:HELD_OUT], mnist.y_test[:HELD_OUT]
    settings = Settings.from_env()
    reader = DigitReader(lambda: from_files(settings.digit_model_path, settings.number_model_path))
    reader.load()
    rng = np.random.default_rng(0)

    results: dict = {"sequence_accuracy": {}, "digit_count_right": {}}
    print(f"| digits | {' | '.join(SPACINGS)} |\n|---|{'---|' * len(SPACINGS)}")
    read_ms, why_ms = [], []
    for length in range(2, 7):
        cells = []
        for spacing in SPACINGS:
            right = counted = 0
            for _ in range(args.count):
                picks = rng.integers(0, len(x), length)
                image = compose_number([x[i] for i in picks], rng, spacing)
                started = time.perf_counter()
                reading = reader.read(image)
                read_ms.append((length, 1000 * (time.perf_counter() - started)))
                if len(why_ms) < 200:
                    started = time.perf_counter()
                    reader.explain(reading)
                    why_ms.append(1000 * (time.perf_counter() - started))
                right += reading.text == "".join(str(y[i]) for i in picks)
                counted += len(reading.parts) == length
            results["sequence_accuracy"][f"{length}/{spacing}"] = right / args.count
            results["digit_count_right"][f"{length}/{spacing}"] = counted / args.count
            cells.append(f"{right / args.count:.1%}")
        print(f"| {length} | {' | '.join(cells)} |")

    # A lone digit: the reading with segmentation against the one-digit path it replaced.
    same, plain_ms, segmented_ms = 0, [], []
    for image in (render_sketch(digit, rng) for digit in x[: args.singles]):
        started = time.perf_counter()
        seen = preprocess(image)
        before = verdict(reader.probabilities(seen[np.newaxis])[0], seen)
        plain_ms.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        now = reader.read(image)
        segmented_ms.append(1000 * (time.perf_counter() - started))
        same += (now.text, now.parts) == (before.text, ())
    results["single_digit_same_as_before"] = same / args.singles
    results["single_digit_ms"] = {
        "one_digit_path": float(np.median(plain_ms)),
        "with_segmentation": float(np.median(segmented_ms)),
    }
    results["why_ms_median"] = float(np.median(why_ms))
    by_length = {n: float(np.median([ms for length, ms in read_ms if length == n])) for n in range(2, 7)}
    results["number_read_ms_median"] = by_length

    print(f"\nlone drawn digits ({args.singles:,}) read as before: {same / args.singles:.2%}")
    print(
        f"one digit, median ms: {np.median(plain_ms):.1f} one-digit path, {np.median(segmented_ms):.1f} with segmentation "
        f"({np.median(segmented_ms) / np.median(plain_ms):.2f}x)"
    )
    print("number, median ms by length: " + ", ".join(f"{n}: {ms:.0f}" for n, ms in by_length.items()))
    print(f"why view (occlusion map + overlay), median ms: {np.median(why_ms):.0f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
