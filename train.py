"""Train the app's networks and save each as .h5 with a JSON file of how it was made and what it scored.

Both learn from MNIST and from real pen handwriting (UNIPEN's training writers, drawn as people
draw on the sketchpad); a fifth of UNIPEN's writers are held out and only measured on.

python train.py                            # the shipped digit model (robust recipe)
python train.py --model number             # the shipped sequence model, which reads numbers
python train.py --model number-page        # its sibling (more of the page's brush); the app reads with both
python train.py --arch baseline            # the CNN and recipe the project started from
python train.py --members 1                # one digit network rather than the average of two (half the time)
python train.py --epochs 1 --limit 500 --output /tmp/tiny.h5   # a quick check
python train.py --extra-data corrections   # also learn from accepted corrections
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path

from digits.learning.recipes import (
    ARCHITECTURES,
    BASELINE_RECIPE,
    MAX_MEMBERS,
    PAGE_NUMBER_RECIPE,
    NumberRecipe,
    Recipe,
)
from digits.settings import (
    BASELINE_MODEL,
    DIGIT_MODEL,
    MODEL_FILES,
    MODELS_DIR,
    NUMBER_MODEL,
    PAGE_NUMBER_MODEL,
    SEQUENCE_KINDS,
    Settings,
)

RECIPES = {
    "robust": Recipe(), "small": dataclasses.replace(Recipe(), arch="small"), "baseline": BASELINE_RECIPE,
    "number": NumberRecipe(), "number-page": PAGE_NUMBER_RECIPE,
}  # fmt: skip


def _defaults(field: str) -> str:
    return ", ".join(f"{name}: {getattr(recipe, field)}" for name, recipe in RECIPES.items() if hasattr(recipe, field))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model", choices=["digit", *SEQUENCE_KINDS], default="digit",
        help="digit: the network that reads one digit (default); number: the sequence network that reads numbers; "
        "number-page: its sibling, trained with more of the page's 36 px brush (the app reads numbers with both)",
    )  # fmt: skip
    parser.add_argument(
        "--arch", choices=ARCHITECTURES, default="robust",
        help="robust: ours (default); small: a network of half the size; baseline: the CNN and recipe the "
        "project started from",
    )  # fmt: skip
    parser.add_argument(
        "--members", type=int, choices=range(1, MAX_MEMBERS + 1), metavar=f"1-{MAX_MEMBERS}",
        help=f"digit networks trained, each from its own seed, and averaged into the model ({_defaults('members')})",
    )  # fmt: skip
    parser.add_argument(
        "--data-dir", type=Path, default=settings.mnist_dir,
        help="folder with the four MNIST IDX files (.gz or raw); default: $MNIST_DIR, else download with keras",
    )  # fmt: skip
    parser.add_argument(
        "--pen-dir", type=lambda text: Path(text) if text else None, default=settings.unipen_dir,
        help="folder with UNIPEN's train.npz (pen trajectories); default: $UNIPEN_DIR; '' to train on MNIST alone",
    )  # fmt: skip
    parser.add_argument(
        "--pen-share",
        type=float,
        help=f"share of each epoch's examples that are pen drawings ({_defaults('pen_share')})",
    )
    parser.add_argument(
        "--pen-variants", type=int, help=f"drawings made of each training pen digit ({_defaults('pen_variants')})"
    )
    parser.add_argument(
        "--style-count", type=int,
        help=f"drawings of each writing style (crossed 7s, flagged 1s...) ({_defaults('style_count')})",
    )  # fmt: skip
    parser.add_argument(
        "--output", type=Path, default=None,
        help=f"the .h5 to write (default: models/{DIGIT_MODEL}, models/{NUMBER_MODEL} for --model number, "
        f"models/{PAGE_NUMBER_MODEL} for number-page, models/{BASELINE_MODEL} for --arch baseline); its .json "
        "goes beside it",
    )  # fmt: skip
    parser.add_argument("--epochs", type=int, help=f"passes over the training set ({_defaults('epochs')})")
    parser.add_argument("--batch-size", type=int, help=f"images per step ({_defaults('batch_size')})")
    parser.add_argument(
        "--learning-rate", type=float, help=f"Adam's initial learning rate ({_defaults('learning_rate')})"
    )
    parser.add_argument(
        "--validation-fraction", type=float,
        help=f"share of the training set held out for validation ({_defaults('validation_fraction')})",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=int, help=f"random seed for weights, split and augmentation ({_defaults('seed')})"
    )
    parser.add_argument("--limit", type=int, help="train on the first N training images only (default: all)")
    parser.add_argument("--lines", type=int, help=f"numbers drawn to learn from ({_defaults('lines')})")
    parser.add_argument(
        "--validation-lines", type=int, help=f"numbers drawn to validate on ({_defaults('validation_lines')})"
    )
    parser.add_argument(
        "--sketch-count", type=int, default=2000,
        help="MNIST test digits to redraw as Sketchpad drawings for the sketch score (0: skip)",
    )  # fmt: skip
    parser.add_argument(
        "--score-count", type=int, default=300,
        help="with a sequence model: held-out writers' numbers composed at each spacing for the scores",
    )  # fmt: skip
    parser.add_argument(
        "--extra-data", type=Path, metavar="FOLDER",
        help="also train on the accepted corrections in this folder (see scripts/review_corrections.py)",
    )  # fmt: skip
    parser.add_argument(
        "--extra-repeat", type=int, help=f"times each extra drawing is shown per epoch ({_defaults('extra_repeat')})"
    )
    parser.add_argument(
        "--push-to-hub", metavar="REPO_ID",
        help="publish the .h5, metadata and a model card to this Hub model repo (needs HF_TOKEN)",
    )  # fmt: skip
    return parser.parse_args(argv)


def recipe_from_args(args: argparse.Namespace) -> Recipe | NumberRecipe:
    overrides = {
        "epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
        "validation_fraction": args.validation_fraction, "seed": args.seed, "limit": args.limit,
        "extra_repeat": args.extra_repeat, "pen_share": args.pen_share, "pen_variants": args.pen_variants,
        "style_count": args.style_count, "members": args.members, "lines": args.lines,
        "validation_lines": args.validation_lines,
    }  # fmt: skip
    base = RECIPES[args.model if args.model in SEQUENCE_KINDS else args.arch]
    fields = {field.name for field in dataclasses.fields(base)}
    recipe = dataclasses.replace(base, **{k: v for k, v in overrides.items() if v is not None and k in fields})
    return (
        recipe
        if args.pen_dir is not None or args.model in SEQUENCE_KINDS
        else dataclasses.replace(recipe, pen_share=0.0)
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    # TensorFlow is imported here, once the arguments are known to be good.
    import tensorflow as tf

    from digits.learning.mnist import MnistError, load_mnist
    from digits.learning.pen import PenDataError, load_pen_digits

    # The same arguments give the same weights (on the same machine and versions). Otherwise the
    # input pipeline's random changes, made on parallel threads, and some kernels' sums come in
    # whatever order their threads finish, and two runs differ from the first epoch on. An epoch
    # takes as long either way (docs/experiments.md).
    tf.config.experimental.enable_op_determinism()

    recipe = recipe_from_args(args)
    try:
        mnist = load_mnist(args.data_dir)
        pen = load_pen_digits(args.pen_dir) if getattr(recipe, "pen_share", 1) > 0 else None
    except (MnistError, PenDataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.model in SEQUENCE_KINDS:
        output, metadata = train_number_model(args, recipe, mnist, pen)
    else:
        trained = train_digit_model(args, recipe, mnist, pen)
        if trained is None:
            return 2
        output, metadata = trained
    print(f"saved {output} ({output.stat().st_size / 1e6:.1f} MB) and {output.with_suffix('.json').name}")
    if args.push_to_hub:
        from digits.learning.metadata import model_card
        from digits.storage.hub import push_model

        card = model_card(metadata, repo_id=args.push_to_hub)
        # One repo holds both models; its README.md is the digit model's card.
        card_name = "README.md" if args.model == "digit" else f"{output.stem}.md"
        commit = push_model(
            output, repo_id=args.push_to_hub, card=card, card_name=card_name, token=Settings.from_env().hf_token
        )
        print("pushed:", commit)
    return 0


def _verbose() -> int:
    return 1 if sys.stdout.isatty() else 2  # a progress bar on a terminal, a line per epoch in a log


def _arguments(args: argparse.Namespace) -> dict:
    return {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}


def train_number_model(args, recipe: NumberRecipe, mnist, pen) -> tuple[Path, dict]:
    from digits.learning.evaluation import score_numbers
    from digits.learning.metadata import build_number_metadata
    from digits.learning.number_training import train_numbers
    from digits.learning.pen import split_by_writer
    from digits.storage.files import save_model

    training_writers, held_out = split_by_writer(pen)
    model, summary = train_numbers(recipe, training_writers, mnist, verbose=_verbose())
    scores = score_numbers(model, held_out, composed=args.score_count)
    for name, accuracy in scores["held_out_numbers"].items():
        print(f"held-out writers' numbers, {name}: {100 * accuracy:.2f} % read whole and right")
    metadata = build_number_metadata(model, recipe, mnist, pen, summary, evaluation=scores, arguments=_arguments(args))
    output = args.output or MODELS_DIR / MODEL_FILES[args.model]
    save_model(model, output, metadata)
    return output, metadata


def train_digit_model(args, recipe: Recipe, mnist, pen) -> tuple[Path, dict] | None:
    from digits.learning.evaluation import score, score_pen
    from digits.learning.metadata import build_metadata
    from digits.learning.pen import split_by_writer
    from digits.learning.training import train
    from digits.reading.inference import Predictor
    from digits.storage.files import save_model

    output = args.output or MODELS_DIR / (BASELINE_MODEL if args.arch == "baseline" else DIGIT_MODEL)
    pen_train, pen_held_out = split_by_writer(pen) if pen is not None else (None, None)
    extra = None
    if args.extra_data is not None:
        from digits.storage.corrections import load_corrections

        try:
            corrections = load_corrections(args.extra_data)
        except FileNotFoundError as error:
            print(f"error: {error}", file=sys.stderr)
            return None
        print(
            f"extra data: {len(corrections.labels)} digits accepted in {args.extra_data} ({corrections.skipped} "
            f"unusable, {corrections.pending} not reviewed yet)"
        )
        extra = (corrections.images, corrections.labels)
    model, summary = train(recipe, mnist, pen_train, extra=extra, verbose=_verbose())
    probabilities = Predictor(model).probabilities
    scores = score(probabilities, mnist.x_test, mnist.y_test, sketch_count=args.sketch_count)
    if pen_held_out is not None:
        scores |= score_pen(probabilities, pen_held_out, spread=recipe.spread)
        print(f"held-out writers' pen digits, drawn: {100 * scores['pen_held_out']['accuracy']:.2f} %")
        for name, style in scores["pen_held_out_styles"].items():
            print(f"  {name}: {100 * style['accuracy']:.2f} %")
    print(f"\nMNIST test accuracy: {100 * scores['mnist_test']['accuracy']:.2f} %")
    print(f"  through the app's preprocessing: {100 * scores['mnist_test_preprocessed']['accuracy']:.2f} %")
    if "sketch" in scores:
        print(f"  {args.sketch_count} test digits as Sketchpad drawings: {100 * scores['sketch']['accuracy']:.2f} %")
    print("per-class accuracy:", scores["mnist_test"]["per_class_accuracy"])
    print("confusion matrix (rows: true digit, columns: predicted):")
    for digit, row in enumerate(scores["mnist_test"]["confusion_matrix"]):
        print(f"  {digit}: " + " ".join(f"{count:5d}" for count in row))
    metadata = build_metadata(model, recipe, mnist, pen, summary, evaluation=scores, arguments=_arguments(args))
    save_model(model, output, metadata)
    return output, metadata


if __name__ == "__main__":
    sys.exit(main())
