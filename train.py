"""Train a digit CNN on MNIST and save it as .h5 with a JSON file of how it was made.

python train.py                          # the shipped model (robust recipe)
python train.py --arch seed              # the seed's baseline, for comparison
python train.py --epochs 1 --limit 500 --output /tmp/tiny.h5   # a quick check
python train.py --extra-data corrections # also learn from drawings saved as misread
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from pathlib import Path

from digits.settings import MODEL_FILENAME, PROJECT_DIR


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from digits.training import SEED_RECIPE, Recipe

    robust = Recipe()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--arch",
        choices=["robust", "seed"],
        default="robust",
        help="robust: ours (default); seed: the seed's CNN and recipe, exactly",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=os.environ.get("MNIST_DIR"),
        help="folder with the four MNIST IDX files (.gz or raw); default: $MNIST_DIR, "
        "else download with keras.datasets.mnist",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"where to write the .h5 (default: models/{MODEL_FILENAME}, or "
        "models/seed_cnn.h5 for --arch seed); the .json goes beside it",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"passes over the training set (robust: {robust.epochs}, seed: {SEED_RECIPE.epochs})",
    )
    parser.add_argument("--batch-size", type=int, default=None, help="images per step (robust: 128, seed: 32)")
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="Adam's initial learning rate (robust: 3e-3 with cosine decay; seed: 1e-3)",
    )
    parser.add_argument(
        "--validation-fraction",
        type=float,
        default=None,
        help="share of the training set held out for validation (robust: 0.1, seed: 0.2)",
    )
    parser.add_argument("--seed", type=int, default=robust.seed, help="random seed for weights, split and augmentation")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N training images only")
    parser.add_argument(
        "--sketch-count",
        type=int,
        default=2000,
        help="MNIST test digits to redraw as Sketchpad drawings for the sketch score (0: skip)",
    )
    parser.add_argument(
        "--extra-data",
        type=Path,
        default=None,
        metavar="FOLDER",
        help="also train on the drawings saved with the app's \"that's wrong\" button (a corrections "
        f"folder), each shown --extra-repeat times per epoch (default {robust.extra_repeat})",
    )
    parser.add_argument("--extra-repeat", type=int, default=None, help="times each extra drawing is shown per epoch")
    parser.add_argument(
        "--push-to-hub",
        metavar="REPO_ID",
        default=None,
        help="publish the .h5, metadata and a model card to this Hub model repo (needs HF_TOKEN)",
    )
    return parser.parse_args(argv)


def recipe_from_args(args: argparse.Namespace):
    from digits.training import SEED_RECIPE, Recipe

    base = SEED_RECIPE if args.arch == "seed" else Recipe()
    overrides = {
        "epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
        "validation_fraction": args.validation_fraction, "seed": args.seed, "limit": args.limit,
        "extra_repeat": args.extra_repeat,
    }  # fmt: skip
    return dataclasses.replace(base, **{k: v for k, v in overrides.items() if v is not None})


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    from digits.data import MnistError, load_mnist
    from digits.evaluation import score
    from digits.inference import Predictor
    from digits.metadata import build_metadata
    from digits.store import save_model
    from digits.training import train

    recipe = recipe_from_args(args)
    default_name = MODEL_FILENAME if args.arch == "robust" else "seed_cnn.h5"
    output = args.output or PROJECT_DIR / "models" / default_name
    try:
        mnist = load_mnist(args.data_dir)
    except MnistError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    extra = None
    if args.extra_data is not None:
        from digits.corrections import load_corrections

        try:
            corrections = load_corrections(args.extra_data)
        except FileNotFoundError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"extra data: {len(corrections.labels)} digits from {args.extra_data} ({corrections.skipped} skipped)")
        extra = (corrections.images, corrections.labels)
    model, summary = train(recipe, mnist, extra=extra)
    scores = score(Predictor(model), mnist.x_test, mnist.y_test, sketch_count=args.sketch_count)
    print(f"\nMNIST test accuracy: {100 * scores['mnist_test']['accuracy']:.2f} %")
    print(f"  through the app's preprocessing: {100 * scores['mnist_test_preprocessed']['accuracy']:.2f} %")
    if "sketch" in scores:
        print(f"  {args.sketch_count} test digits as Sketchpad drawings: {100 * scores['sketch']['accuracy']:.2f} %")
    print("per-class accuracy:", scores["mnist_test"]["per_class_accuracy"])
    print("confusion matrix (rows: true digit, columns: predicted):")
    for digit, row in enumerate(scores["mnist_test"]["confusion_matrix"]):
        print(f"  {digit}: " + " ".join(f"{count:5d}" for count in row))
    arguments = {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}
    metadata = build_metadata(model, recipe, mnist, summary, evaluation=scores, arguments=arguments)
    save_model(model, output, metadata)
    print(f"saved {output} ({output.stat().st_size / 1e6:.1f} MB) and {output.with_suffix('.json').name}")
    if args.push_to_hub:
        from digits.hub import push_model

        print("pushed:", push_model(output, repo_id=args.push_to_hub, token=os.environ.get("HF_TOKEN")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
