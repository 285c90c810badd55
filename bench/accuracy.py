"""The baseline recipe vs ours, side by side, on MNIST and on real pen handwriting.

    python bench/accuracy.py [--sketch-count 10000] [--pen-count 0 (all)] [--models A.h5 B.h5]

Rows:
- MNIST test: the model alone on MNIST's own 28x28 images, and the same images through the app;
  then enlarged to 280x280 (Pillow's default resampling), black on white, as a program may
  send them.
- Sketchpad-style MNIST test digits: redrawn off centre, at any size, with 2-50 px brushes.
- Held-out pen writers: UNIPEN digits of the writers no model here was trained on (a fifth of
  them, chosen by a salted hash of the name; digits.learning.pen), drawn as the stock sketchpad
  sends a drawing: an opaque white 800x800 canvas, hard 50 px black strokes, anywhere, from
  150 to 700 px tall. Then the same with the page's own 36 px brush, and with the stock brush
  from fewer points (every k-th point of the pen's path, about each of SPARSE_POINTS a digit, at
  the same sizes and places: a tablet that samples ten times a second, a quick finger on a
  phone), and as one path, the pen's lifts drawn too, kept to each of JOINED_POINTS points
  spaced evenly along it (as UCI's pen digits give theirs: 8 such points a digit); and drawn
  WIDER times as wide, and turned by TURN degrees each way. The worst writer and the mean of
  the writers' shares (each writer counts once; one draws far more digits than most), and each
  writing style made from those writers' strokes (digits.learning.styles: those trained on, then
  those only measured), drawn the same way. Then each held-out row's interval: the writers drawn
  again with replacement, each with all their digits, the middle 95% of the shares so read (a
  writer's digits fail together, and one wrote more than a quarter of them).

"Through the app" means the app's reader, as /predict uses it, on the PNG a browser sends:
preprocessing, segmenting and the verdict. A digit counts as read only when the answer is that
digit: "uncertain", or two digits, count as wrong.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

from digits.learning.drawing import render_sketch  # noqa: E402
from digits.learning.evaluation import writer_interval  # noqa: E402
from digits.learning.mnist import load_mnist  # noqa: E402
from digits.learning.pen import load_pen_digits, split_by_writer  # noqa: E402
from digits.learning.renders import sketch_lone_digit, style_strokes  # noqa: E402
from digits.learning.strokes import decimate, joined, turned  # noqa: E402
from digits.learning.styles import EVERY_STYLE  # noqa: E402
from digits.reading.reader import DigitReader  # noqa: E402
from digits.reading.readings import Reading  # noqa: E402
from digits.settings import BASELINE_MODEL, DIGIT_MODEL, MODELS_DIR, Settings  # noqa: E402
from digits.storage.files import read_metadata  # noqa: E402
from digits.storage.resolver import from_files  # noqa: E402

MODELS = {"baseline recipe": MODELS_DIR / BASELINE_MODEL, "ours": MODELS_DIR / DIGIT_MODEL}
SPARSE_POINTS = (10, 8, 6)  # a digit's points, pen sampled sparsely (the held-out writers' median: 39)
JOINED_POINTS = (16, 8)  # a digit's points spaced evenly along one path, the pen's lifts drawn too
WIDER = 1.5  # times as wide as written, as tall: as a finger on a square canvas may draw
TURN = 15  # degrees, each way: a page or a phone held at a slant
LEVEL = 0.95  # each held-out row's interval: where that share falls for 95% of sets of writers drawn again


def png(image: Image.Image) -> bytes:
    """The image as the PNG file a browser or a client uploads (and small enough to keep 10,000)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def pen_drawings(strokes: list, brush: float, seed: int) -> list[bytes]:
    """Each digit's strokes drawn as the sketchpad sends them, as PNG files."""
    rng = np.random.default_rng(seed)
    return [png(sketch_lone_digit(digit, rng, brush=brush)) for digit in strokes]


def read_all(reader: DigitReader, images: list) -> list[Reading]:
    return [reader.read(image) for image in images]


def right(readings: list[Reading], labels) -> np.ndarray:
    return np.array([reading.text == str(label) for reading, label in zip(readings, labels, strict=True)])


def columns(paths: list[Path]) -> dict[str, Path]:
    """Each model's column name: its file's stem, or its path as given where two stems are the same
    (a model beside a retrained one of the same name)."""
    stems = [path.stem for path in paths]
    return {path.stem if stems.count(path.stem) == 1 else str(path): path for path in paths}


def model_call_ms(reader: DigitReader, image: np.ndarray, repeats: int = 500) -> float:
    """The median time of one image's call to the digit network, as the reader makes it."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        reader.probabilities(image)
        times.append(time.perf_counter() - started)
    return 1000 * float(np.median(times))


def main() -> None:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=settings.mnist_dir, help="MNIST IDX folder ($MNIST_DIR)")
    parser.add_argument("--pen-dir", type=Path, default=settings.unipen_dir, help="UNIPEN folder ($UNIPEN_DIR)")
    parser.add_argument("--sketch-count", type=int, default=10_000, help="MNIST test digits to redraw (0: skip)")
    parser.add_argument("--mnist-count", type=int, default=10_000, help="MNIST test digits through the app")
    parser.add_argument("--pen-count", type=int, default=0, help="held-out pen digits to draw (0: all)")
    parser.add_argument("--style-count", type=int, default=200, help="drawings of each writing style")
    parser.add_argument(
        "--models", type=Path, nargs="+", help="digit model files to compare (default: baseline and ours)"
    )
    parser.add_argument(
        "--number-models", type=Path, nargs="*", default=settings.number_model_paths,
        help="the sequence networks read with each digit model but the baseline's (none: numbers are cut)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers to this JSON file")
    args = parser.parse_args()
    models = columns(args.models) if args.models else MODELS

    mnist = load_mnist(args.data_dir)
    _, held_out = split_by_writer(load_pen_digits(args.pen_dir))
    if args.pen_count:
        held_out = held_out.subset(np.random.default_rng(0).permutation(len(held_out))[: args.pen_count])
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    sketches = [png(render_sketch(digit, rng)) for digit in mnist.x_test[: args.sketch_count]]
    mnist_images = [png(Image.fromarray(image)) for image in mnist.x_test[: args.mnist_count]]
    enlarged = [
        png(ImageOps.invert(Image.fromarray(image)).resize((280, 280))) for image in mnist.x_test[: args.mnist_count]
    ]
    pen_50 = pen_drawings(held_out.strokes, 50, seed=1)
    pen_36 = pen_drawings(held_out.strokes, 36, seed=2)
    # The held-out writers from fewer points, wider and turned, at the same sizes and places: each
    # row's key, its label, its drawings.
    changed = {
        **{
            f"pen_sparse_{total}": (
                f"held-out pen writers, about {total} points a digit, 50 px",
                pen_drawings([decimate(digit, total=total) for digit in held_out.strokes], 50, seed=5),
            )
            for total in SPARSE_POINTS
        },
        **{
            f"pen_joined_{points}": (
                f"held-out pen writers, one path, lifts too, {points} points evenly along it, 50 px",
                pen_drawings([joined(digit, points=points) for digit in held_out.strokes], 50, seed=5),
            )
            for points in JOINED_POINTS
        },
        "pen_wider": (
            f"held-out pen writers, drawn {WIDER} times as wide, 50 px",
            pen_drawings(
                [[stroke * np.float32([WIDER, 1]) for stroke in digit] for digit in held_out.strokes], 50, seed=5
            ),
        ),
        **{
            f"pen_turned_{degrees}": (
                f"held-out pen writers, turned {abs(degrees)}° {'anti' if degrees > 0 else ''}clockwise, 50 px",
                pen_drawings([turned(digit, degrees) for digit in held_out.strokes], 50, seed=5),
            )
            for degrees in (TURN, -TURN)
        },
    }
    style_digits, style_labels, style_names = style_strokes(
        held_out, per_style=args.style_count, seed=3, styles=EVERY_STYLE
    )
    styled = pen_drawings(style_digits, 50, seed=4)
    print(f"drew the test sets in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    rows, styles, worst, intervals = {}, {}, {}, {}
    raw = mnist.x_test.astype(np.float32) / 255.0
    for name, path in models.items():
        numbers = () if path.name == BASELINE_MODEL else [number for number in args.number_models if number.exists()]
        reader = DigitReader(lambda path=path, numbers=numbers: from_files(path, *numbers))
        metadata = read_metadata(path)
        pen_readings = read_all(reader, pen_50)
        pen_right = right(pen_readings, held_out.labels)
        held_out_right = {
            "pen_50": pen_right,
            "pen_36": right(read_all(reader, pen_36), held_out.labels),
            **{key: right(read_all(reader, drawings), held_out.labels) for key, (_, drawings) in changed.items()},
        }
        intervals[name] = {key: writer_interval(r, held_out.writers, level=LEVEL) for key, r in held_out_right.items()}
        by_writer = {w: pen_right[held_out.writers == w].mean() for w in set(held_out.writers)}
        worst[name] = min(by_writer, key=by_writer.get)
        styled_right = right(read_all(reader, styled), style_labels)
        styles[name] = {s: float(styled_right[np.array(style_names) == s].mean()) for s in dict.fromkeys(style_names)}
        rows[name] = {
            "mnist_test": float((reader.probabilities(raw).argmax(1) == mnist.y_test).mean()),
            "mnist_test_app": float(right(read_all(reader, mnist_images), mnist.y_test[: len(mnist_images)]).mean())
            if mnist_images
            else None,
            "mnist_enlarged_app": float(right(read_all(reader, enlarged), mnist.y_test[: len(enlarged)]).mean())
            if enlarged
            else None,
            "sketch": float(right(read_all(reader, sketches), mnist.y_test[: len(sketches)]).mean())
            if sketches
            else None,
            **{key: float(r.mean()) for key, r in held_out_right.items()},
            "pen_50_uncertain": float(np.mean([r.status == "uncertain" for r in pen_readings])),
            "pen_50_split": float(np.mean([bool(r.parts) for r in pen_readings])),
            "worst_writer": float(by_writer[worst[name]]),
            "writer_mean": float(np.mean(list(by_writer.values()))),
            "model_call_ms": model_call_ms(reader, raw[:1]),
            "parameters": int(reader.load().digit.model.count_params()),
            "size_mb": path.stat().st_size / 1e6,
            "training_seconds": metadata.get("training_seconds"),
            "epochs": metadata.get("epochs_run"),
        }

    writers = len(set(held_out.writers))
    print(f"\n| | {' | '.join(rows)} |\n|---|{'---|' * len(rows)}")
    lines = [
        ("MNIST test, the model alone (10,000)", "mnist_test", "{:.2%}"),
        (f"MNIST test through the app ({args.mnist_count:,})", "mnist_test_app", "{:.2%}"),
        ("  the same enlarged to 280x280, black on white", "mnist_enlarged_app", "{:.2%}"),
        (f"Sketchpad-style MNIST test digits through the app ({args.sketch_count:,})", "sketch", "{:.2%}"),
        (f"held-out pen writers, 50 px brush ({len(held_out):,} digits, {writers} writers)", "pen_50", "{:.2%}"),
        ("  of which read as uncertain", "pen_50_uncertain", "{:.2%}"),
        ("  of which read as two digits or more", "pen_50_split", "{:.2%}"),
        ("held-out pen writers, the page's 36 px brush", "pen_36", "{:.2%}"),
        *[(label, key, "{:.2%}") for key, (label, _) in changed.items()],
        ("the worst held-out writer, 50 px", "worst_writer", "{:.2%}"),
        ("  the mean of the writers' shares, 50 px", "writer_mean", "{:.2%}"),
        ("one image's model call, median ms", "model_call_ms", "{:.2f}"),
        ("parameters", "parameters", "{:,}"),
        ("model file (MB)", "size_mb", "{:.1f}"),
        ("training time (s, 2 CPU cores)", "training_seconds", "{:.0f}"),
        ("epochs", "epochs", "{}"),
    ]
    for title, key, fmt in lines:
        cells = [fmt.format(row[key]) if row[key] is not None else "n/a" for row in rows.values()]
        print(f"| {title} | {' | '.join(cells)} |")
    print(f"\n{LEVEL:.0%} intervals of the held-out rows, the writers drawn again (digits.learning.evaluation):\n")
    print(f"| | {' | '.join(rows)} |\n|---|{'---|' * len(rows)}")
    for title, key, _ in lines:
        if key in next(iter(intervals.values())):
            cells = [f"{low:.2%} to {high:.2%}" for low, high in (intervals[name][key] for name in rows)]
            print(f"| {title} | {' | '.join(cells)} |")
    print(f"\nwriting styles, made from the held-out writers' digits, 50 px ({args.style_count} each):\n")
    print(f"| style | {' | '.join(rows)} |\n|---|{'---|' * len(rows)}")
    for style in next(iter(styles.values())):
        print(f"| {style} | {' | '.join(f'{styles[name][style]:.1%}' for name in rows)} |")
    if args.json:
        args.json.write_text(
            json.dumps({"rows": rows, "intervals": intervals, "styles": styles, "worst_writer": worst}, indent=2) + "\n"
        )


if __name__ == "__main__":
    main()
