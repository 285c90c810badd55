"""Numbers: the reader with the sequence network beside the reader that cuts, side by side.

    python bench/number_reading.py [--count 200] [--pen-count 200] [--singles 2000] [--renderings 1]
                                   [--json out.json]
    python bench/number_reading.py --number-models models/number_ctc.h5 other.h5   # another pair

(Not "numbers.py": that name would hide the standard library's numbers module.)

Every image goes through ``DigitReader.read`` as the app's ``/read_number`` does, from the image
the page sends (800x800, black on opaque white). A number is right only when every digit is,
and no digit is missing or extra. Three readers, with the same digit network:

- "cuts": ``numbers="segments"``, the reader before the sequence networks (``segment`` cuts the
  ink into digits, the digit network reads each);
- "one network": the app's reader with its first sequence network alone (``number_ctc.h5``);
- "app": the app's reader, with both sequence networks (``--number-models``: with those).

The sets:

- Real numbers of UNIPEN's held-out writers (a fifth of them, never trained on:
  ``digits.learning.pen.split_by_writer``), rebuilt as they wrote and spaced them
  (``digits.learning.numbers.real_numbers``; stretches of 2 to 6 digits), drawn with the page's
  36 px brush, 100 to 320 px tall, anywhere on the canvas (``--renderings`` times each, at
  new sizes and places: there are only 328; with ``--slope``, each turned a little). "touching":
  some two digits' ink touches on the canvas, which depends on the drawing's size as much as on
  the writer. A few writers draw most of the drawings that touch, so each writer's share read
  right is also averaged over writers. The drawings that touch are also split by height: under
  SMALL px tall, the page's brush is a quarter of the number's height or more and fills its loops.
  Each number is drawn several times, so after the tables: how many numbers the drawings that
  touch are of, and each reader's misread ones (by writer too); and, with ``--renderings`` of
  2 * ROUND or more, the share of those that touch read right in each round of ROUND drawings of
  every number (whole rounds only), which shows how much one round's share owes to its drawings.
- Numbers composed of one held-out writer's digits, 2 to 6 of them side by side at each of the
  spacings the sequence networks learn (``digits.learning.numbers.SPACINGS``: apart, touching,
  overlapping by up to a third of a digit), drawn as the real numbers are (``--pen-count`` of
  each): thirty-eight writers' digits where the real numbers that touch are nine writers'.
- Composed numbers: MNIST test digits (the first 5,000, never trained on) side by side at three
  spacings (``digits.learning.evaluation.compose_number``), 2 to 6 digits.
- Lone digits: MNIST test digits drawn as sketches (``render_sketch``) and the held-out writers'
  pen digits with the stock 50 px brush: the share read as two digits or more.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from digits.learning.drawing import CANVAS_SIZE, draw_paths, render_sketch, sketch_of_paths  # noqa: E402
from digits.learning.evaluation import SPACINGS, compose_number  # noqa: E402
from digits.learning.mnist import load_mnist  # noqa: E402
from digits.learning.numbers import SPACINGS as NUMBER_SPACINGS  # noqa: E402
from digits.learning.numbers import Number, one_writers_number, real_numbers, windows  # noqa: E402
from digits.learning.pen import load_pen_digits, split_by_writer  # noqa: E402
from digits.learning.renders import NUMBER_HEIGHTS, PAGE_BRUSH, sketch_lone_digit  # noqa: E402
from digits.learning.strokes import normalize, random_placement  # noqa: E402
from digits.reading.preprocess import drawing_ink  # noqa: E402
from digits.reading.reader import DigitReader  # noqa: E402
from digits.settings import Settings  # noqa: E402
from digits.storage.resolver import from_files  # noqa: E402

MNIST_HELD_OUT = 5000
ROUND = 8  # drawings of every number in one round (the bench's rounds: --renderings / ROUND)
SMALL = 150  # px: a number drawn less tall has the page's 36 px brush a quarter of its height or more


def draw_number(number: Number, rng: np.random.Generator, height: float) -> tuple[Image.Image, bool]:
    """``number`` on the canvas as the page draws it, ``height`` px tall, and whether any two of
    its digits touch."""
    strokes = normalize(number.strokes)
    paths = random_placement(strokes, rng, height=height, brush=PAGE_BRUSH)
    masks, start = [], 0
    for digit in number.digits:
        ink = Image.new("1", (CANVAS_SIZE, CANVAS_SIZE), 0)
        draw_paths(ImageDraw.Draw(ink), paths[start : start + len(digit)], brush=PAGE_BRUSH, fill=1)
        masks.append(np.asarray(ink))
        start += len(digit)
    touching = any((a & b).any() for i, a in enumerate(masks) for b in masks[i + 1 :])
    return sketch_of_paths(paths, brush=PAGE_BRUSH), touching


def misses_by_number(
    numbers: list[Number], drawn: list[int], outcomes: list[dict[str, bool]], readers: list[str], results: dict
) -> None:
    """How many numbers the drawings that touch are of, and the misread ones: each number is drawn
    several times, and a number one reader cannot read is misread in most of its drawings. Then
    each writer's drawings that touch, and each reader's misreads among them."""
    times_drawn = Counter(drawn)
    by_writer = Counter(numbers[index].writer for index in drawn)  # drawings that touch, by writer
    print(
        f"\nreal numbers whose digits touch: {len(drawn)} drawings of {len(times_drawn)} numbers by {len(by_writer)} writers"
    )
    misread_by_writer: dict[str, Counter] = {}
    for reader in readers:
        misses = Counter(index for index, outcome in zip(drawn, outcomes, strict=True) if not outcome[reader])
        misread_by_writer[reader] = Counter()
        for index, count in misses.items():
            misread_by_writer[reader][numbers[index].writer] += count
        always = [index for index, count in misses.items() if count == times_drawn[index]]
        found = {
            "drawings": misses.total(), "numbers": len(misses), "writers": len(misread_by_writer[reader]),
            "numbers_misread_in_every_drawing": len(always),
            "their_drawings": sum(misses[index] for index in always),
        }  # fmt: skip
        results[reader]["real, some digits touch, misread"] = found
        print(
            f"- {reader}: {found['drawings']} misread, of {found['numbers']} numbers by {found['writers']} writers; "
            f"{len(always)} numbers misread in every drawing that touches ({found['their_drawings']} drawings)"
        )
    # By writer: a few writers draw most of the drawings that touch, and make most of the misreads.
    print(f"\n| writer | drawings that touch | {' | '.join(f'{reader}: misread' for reader in readers)} |")
    print(f"|---|---:|{'---:|' * len(readers)}")
    for writer, count in by_writer.most_common():
        for reader in readers:
            results[reader].setdefault("real, some digits touch, by writer", {})[writer] = {
                "drawings": count, "misread": misread_by_writer[reader][writer],
            }  # fmt: skip
        print(f"| {writer} | {count} | {' | '.join(str(misread_by_writer[reader][writer]) for reader in readers)} |")


def rounds_of_touching(by_round: dict[int, list[dict[str, bool]]], readers: list[str], results: dict) -> None:
    """The share of the drawings that touch read right in each round of ROUND drawings of every
    number: whether a drawing touches, and how, is as much the drawing's as the writer's, so one
    round's share moves with the drawings alone, and the rounds show by how much."""
    if len(by_round) < 2:
        return
    rounds = sorted(by_round)
    print(f"\nreal, some digits touch, each round of {ROUND} drawings of every number (drawings that touch):")
    for reader in readers:
        shares = [float(np.mean([o[reader] for o in by_round[r]])) for r in rounds]
        counts = [len(by_round[r]) for r in rounds]
        results[reader][f"real, some digits touch, by round of {ROUND}"] = {"counts": counts, "accuracy": shares}
        cells = ", ".join(f"{share:.1%} ({count})" for share, count in zip(shares, counts, strict=True))
        print(f"- {reader}: {cells}")


def main() -> None:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=settings.mnist_dir, help="MNIST IDX folder ($MNIST_DIR)")
    parser.add_argument("--pen-dir", type=Path, default=settings.unipen_dir, help="UNIPEN folder ($UNIPEN_DIR)")
    parser.add_argument(
        "--count", type=int, default=200, help="composed numbers per spacing (a fifth of them of each length, 2 to 6)"
    )
    parser.add_argument(
        "--pen-count", type=int, default=200,
        help="numbers composed of a held-out writer's digits per spacing (a fifth of them of each length, 2 to 6)",
    )  # fmt: skip
    parser.add_argument("--real", type=int, default=0, help="real numbers to read (0: all the held-out writers')")
    parser.add_argument(
        "--renderings", type=int, default=1, help="drawings of each real number (each at its own size and place)"
    )
    parser.add_argument("--singles", type=int, default=2000, help="lone digits of each kind")
    parser.add_argument(
        "--slope", type=float, default=0.0,
        help="turn each drawing of a real number by an angle drawn within this many degrees either way "
        "(people writing with a finger slope their lines); 0: as written",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    parser.add_argument("--digit-model", type=Path, default=settings.digit_model_path, help="the digit network's file")
    parser.add_argument(
        "--number-models", type=Path, nargs="+", default=settings.number_model_paths,
        help="the sequence networks' files: 'app' reads with them all, 'one network' with the first",
    )  # fmt: skip
    args = parser.parse_args()

    missing = [path for path in (args.digit_model, *args.number_models) if not path.exists()]
    if missing:
        sys.exit(f"no model at {missing[0]}: train it with python train.py (--model number, number-page)")

    def load(numbers: int = len(args.number_models)):
        return from_files(args.digit_model, *args.number_models[:numbers])

    readers = {
        "cuts": DigitReader(load, numbers="segments"), "one network": DigitReader(lambda: load(1)),
        "app": DigitReader(load),
    }  # fmt: skip
    for reader in readers.values():
        reader.load()
    names = list(readers)
    results: dict = {name: {} for name in names}
    times: dict = {name: {} for name in names}

    def read(image: Image.Image, truth: str, key: str) -> dict[str, bool]:
        """Each reader's reading of ``image`` (and the time it took, the ink's finding included)."""
        outcome = {}
        for name, reader in readers.items():
            started = time.perf_counter()
            reading = reader.read(image)
            times[name].setdefault(key, []).append(1000 * (time.perf_counter() - started))
            outcome[name] = reading.text == truth
        return outcome

    def tally(name: str, outcomes: list[dict[str, bool]]) -> None:
        for reader in names:
            results[reader][name] = {
                "count": len(outcomes),
                "accuracy": float(np.mean([o[reader] for o in outcomes])) if outcomes else None,
            }

    def tally_writers(name: str, by_writer: dict[str, list[dict[str, bool]]]) -> None:
        """Each writer's share read right, averaged: a few writers draw most of the drawings
        whose digits touch, and the pooled share is as much theirs as the reader's."""
        for reader in names:
            results[reader][f"{name}, mean of {len(by_writer)} writers' shares"] = {
                "count": sum(len(outcomes) for outcomes in by_writer.values()),
                "accuracy": float(np.mean([np.mean([o[reader] for o in outcomes]) for outcomes in by_writer.values()])),
                "writers": len(by_writer),
            }

    # Each part draws from its own random stream, so that the size of one (--count, --renderings)
    # does not change which drawings another part reads.
    rng = np.random.default_rng(0)
    print(f"| set | drawings | {' | '.join(names)} |\n|---|---:|{'---:|' * len(names)}")

    def row(name: str) -> None:
        count = results[names[0]][name]["count"]
        shares = [results[reader][name]["accuracy"] for reader in names]
        cells = " | ".join("–" if share is None else f"{share:.1%}" for share in shares)  # none drawn
        print(f"| {name} | {count:,} | {cells} |", flush=True)

    # Real numbers, as the held-out writers spaced them.
    _, held_out = split_by_writer(load_pen_digits(args.pen_dir))
    numbers = windows(real_numbers(held_out))
    if args.real:
        numbers = [numbers[i] for i in np.random.default_rng(1).permutation(len(numbers))[: args.real]]
    by_kind: dict[str, list] = {"apart": [], "touching": []}
    small, large = f"under {SMALL} px tall", f"{SMALL} px tall or more"
    touching_by_height: dict[str, list] = {small: [], large: []}
    by_length: dict[int, list] = {}
    by_writer: dict[str, dict[str, list]] = {"all": {}, "touching": {}}
    touching_numbers: list[int] = []  # which number each drawing that touches is (its index)
    # The drawings that touch, by round: a round is ROUND drawings of every number (its k-th
    # drawings, k // ROUND the round's index), as one run of --renderings ROUND would draw them.
    # Whole rounds only: with --renderings 20, the last four drawings of each are in none.
    touching_by_round: dict[int, list] = {}
    whole_rounds = args.renderings // ROUND
    angles = np.random.default_rng(4)  # its own stream: with --slope 0 the drawings are as without it
    for index, number in enumerate(numbers):
        for rendering in range(args.renderings):
            height = rng.uniform(*NUMBER_HEIGHTS)
            turn = angles.uniform(-args.slope, args.slope)
            image, touching = draw_number(number.turned(turn) if args.slope else number, rng, height)
            outcome = read(image, number.text, f"real {len(number.text)}")
            by_kind["touching" if touching else "apart"].append(outcome)
            if touching:
                touching_numbers.append(index)
                if rendering // ROUND < whole_rounds:
                    touching_by_round.setdefault(rendering // ROUND, []).append(outcome)
                touching_by_height[small if height < SMALL else large].append(outcome)
            by_length.setdefault(len(number.text), []).append(outcome)
            for kind in ("all", "touching") if touching else ("all",):
                by_writer[kind].setdefault(number.writer, []).append(outcome)
    tally("real numbers, all", [o for kind in by_kind.values() for o in kind])
    tally_writers("real numbers, all", by_writer["all"])
    tally("real, no digits touch", by_kind["apart"])
    tally("real, some digits touch", by_kind["touching"])
    tally_writers("real, some digits touch", by_writer["touching"])
    for name, outcomes in touching_by_height.items():
        tally(f"real, some digits touch, {name}", outcomes)
    for length in sorted(by_length):
        tally(f"real, {length} digits", by_length[length])
    for name in results[names[0]]:
        row(name)

    # Composed of one held-out writer's digits, drawn as the real numbers are.
    rng = np.random.default_rng(5)
    for spacing, gaps in NUMBER_SPACINGS.items():
        outcomes = []
        for length in range(2, 7):
            for _ in range(args.pen_count // 5):
                number = one_writers_number(held_out, length, rng, spacing=gaps)
                image, _ = draw_number(number, rng, rng.uniform(*NUMBER_HEIGHTS))
                outcomes.append(read(image, number.text, f"pen composed {length}"))
        tally(f"pen composed, {spacing}", outcomes)
        row(f"pen composed, {spacing}")

    # Composed of MNIST test digits.
    mnist = load_mnist(args.data_dir)
    x, y = mnist.x_test[:MNIST_HELD_OUT], mnist.y_test[:MNIST_HELD_OUT]
    rng = np.random.default_rng(2)
    for spacing in SPACINGS:
        outcomes = []
        for length in range(2, 7):
            for _ in range(args.count // 5):
                picks = rng.integers(0, len(x), length)
                image = compose_number([x[i] for i in picks], rng, spacing)
                outcomes.append(read(image, "".join(str(y[i]) for i in picks), f"composed {length}"))
        tally(f"MNIST composed, {spacing}", outcomes)
        row(f"MNIST composed, {spacing}")

    # Lone digits: read as one digit, not split.
    rng = np.random.default_rng(3)
    for name, images in (
        ("MNIST test, sketched", (render_sketch(digit, rng) for digit in x[: args.singles])),
        (
            "held-out pen digits, 50 px",
            (sketch_lone_digit(s, rng) for s in held_out.strokes[: args.singles]),
        ),
    ):
        split = {reader: 0 for reader in names}
        count = 0
        for image in images:
            started = time.perf_counter()
            drawing_ink(image)
            for reader_name in names:
                times[reader_name].setdefault("finding the ink alone", []).append(
                    1000 * (time.perf_counter() - started)
                )
            count += 1
            for reader_name, reader in readers.items():
                started = time.perf_counter()
                reading = reader.read(image)
                times[reader_name].setdefault("lone digit", []).append(1000 * (time.perf_counter() - started))
                split[reader_name] += len(reading.parts) > 1
        if not count:  # --singles 0
            continue
        for reader in names:
            results[reader][f"lone digits read as two or more: {name}"] = {
                "count": count,
                "share": split[reader] / count,
            }
        cells = " | ".join(f"{split[reader] / count:.2%}" for reader in names)
        print(f"| lone digits read as two or more: {name} | {count:,} | {cells} |", flush=True)

    medians = {name: {key: float(np.median(ms)) for key, ms in sorted(spent.items())} for name, spent in times.items()}
    print("\nmedian ms per reading of an 800x800 drawing, finding its ink included:")
    keys = sorted(medians[names[0]])
    print(f"| | {' | '.join(names)} |\n|---|{'---:|' * len(names)}")
    for key in keys:
        print(f"| {key} | {' | '.join(f'{medians[name][key]:.1f}' for name in names)} |")
    misses_by_number(numbers, touching_numbers, by_kind["touching"], names, results)
    rounds_of_touching(touching_by_round, names, results)
    if args.json:
        args.json.write_text(json.dumps({"accuracy": results, "median_ms": medians}, indent=2) + "\n")


if __name__ == "__main__":
    main()
