"""How a model was made and what it scored: the JSON beside the .h5, and its model card."""

from __future__ import annotations

import dataclasses
import datetime
import platform
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from digits.learning.mnist import Mnist
from digits.learning.pen import PenDigits, split_by_writer
from digits.learning.recipes import NumberRecipe, Recipe
from digits.settings import MODEL_FILES, SEQUENCE_KINDS

UNIPEN_CREDIT = (
    "UNIPEN (train_r01_v07, category 1a, isolated digits): I. Guyon, L. Schomaker, R. Plamondon, "
    'M. Liberman, S. Janet, "UNIPEN project of on-line data exchange and recognizer benchmarks", '
    "ICPR 1994; Unipen Consortium (1999), Zenodo, doi:10.5281/zenodo.1195803, CC BY 4.0"
)
MNIST_CREDIT = "MNIST: Yann LeCun, Corinna Cortes and Christopher J. C. Burges, CC BY-SA 3.0"


def build_metadata(
    model: keras.Model,
    recipe: Recipe,
    mnist: Mnist,
    pen: PenDigits | None,
    summary: dict[str, Any],
    *,
    evaluation: dict[str, Any] | None,
    arguments: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything needed to tell how a digit model file came to be and how good it is.

    Args:
        pen: the pen data the training writers were taken from (all of it: the split by writer
            is fixed, see ``digits.learning.pen``), or None.
    """
    return {"architecture": recipe.arch, **_common(model, recipe, mnist, pen, summary, evaluation, arguments)}


def build_number_metadata(
    model: keras.Model,
    recipe: NumberRecipe,
    mnist: Mnist,
    pen: PenDigits,
    summary: dict[str, Any],
    *,
    evaluation: dict[str, Any] | None = None,
    arguments: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The same for the sequence model, which reads numbers."""
    return {"architecture": "number_ctc", **_common(model, recipe, mnist, pen, summary, evaluation, arguments)}


def _common(model, recipe, mnist: Mnist, pen: PenDigits | None, summary, evaluation, arguments) -> dict[str, Any]:
    data = {"mnist": {"source": mnist.source, "sha256": mnist.checksums, "credit": MNIST_CREDIT}}
    if pen is not None:
        training, held_out = split_by_writer(pen)
        data["pen"] = {
            "source": pen.source, "sha256": pen.sha256, "credit": UNIPEN_CREDIT, "digits": len(pen),
            "writers": len(set(pen.writers)), "training_writers": len(set(training.writers)),
            "held_out_writers": len(set(held_out.writers)), "held_out_digits": len(held_out),
        }  # fmt: skip
    return {
        "recipe": dataclasses.asdict(recipe),
        "arguments": arguments or {},
        "parameters": int(model.count_params()),
        "trained_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        **{key: value for key, value in summary.items() if key != "history"},
        "history": summary.get("history", {}),
        "evaluation": evaluation,
        "data": data,
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
        },
    }


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f} %"


def _networks(metadata: dict[str, Any]) -> str:
    members = metadata["recipe"].get("members", 1)
    what = f"architecture `{metadata['architecture']}`"
    if members == 1:
        return f"A small Keras CNN ({metadata['parameters']:,} parameters, {what})"
    return (
        f"The average of {members} small Keras CNNs ({what}, each trained from its own seed; "
        f"{metadata['parameters']:,} parameters in all)"
    )


def model_card(metadata: dict[str, Any], *, repo_id: str) -> str:
    """A Hub model card written from the metadata, so the two cannot disagree: the digit model's,
    or the sequence model's."""
    if metadata.get("architecture") == "number_ctc":
        return _number_card(metadata, repo_id=repo_id)
    evaluation = metadata.get("evaluation") or {}
    mnist = evaluation.get("mnist_test", {}).get("accuracy")
    preprocessed = evaluation.get("mnist_test_preprocessed", {}).get("accuracy")
    sketch = evaluation.get("sketch", {})
    pen_scores = evaluation.get("pen_held_out", {})
    styles = evaluation.get("pen_held_out_styles", {})
    recipe = metadata["recipe"]
    pen_data = metadata.get("data", {}).get("pen")
    per_class = evaluation.get("mnist_test", {}).get("per_class_accuracy", {})
    per_class_rows = "\n".join(f"| {digit} | {_percent(a)} |" for digit, a in per_class.items())
    style_rows = "".join(
        f"| {name} | {style['count']} | {_percent(style['accuracy'])} |\n" for name, style in styles.items()
    )
    style_table = (
        "Writing styles, made from the held-out writers' digits:\n\n| style | drawings | accuracy |\n|---|---|---|\n"
        f"{style_rows}\n"
        if styles
        else ""
    )
    pen_rows = (
        f"| {pen_scores['count']:,} pen digits of {pen_scores['writers']} held-out UNIPEN writers, each drawn once "
        "as in training (strokes varied as another hand would, brushes from a hairline to 50 px, small to the "
        f"whole canvas) | {_percent(pen_scores['accuracy'])} (worst writer: {_percent(pen_scores['worst_writer_accuracy'])}) |"
        if pen_scores
        else ""
    )
    trained_on = _trained_on(metadata, recipe, pen_data)
    alone = (
        "\nEach figure is the model's alone, on the image its preprocessing makes. The app's README gives what\n"
        "the app reads of the same writers' digits drawn as the stock sketchpad sends them, where it also\n"
        "looks again at a digit the model is unsure of and asks its sequence networks\n"
        "(`python bench/accuracy.py`).\n\n"
        if pen_scores
        else ""
    )
    credits = [f"- {MNIST_CREDIT}."] + ([f"- {UNIPEN_CREDIT}."] if pen_data else [])
    return f"""---
license: mit
library_name: keras
pipeline_tag: image-classification
datasets:
- ylecun/mnist
tags:
- mnist
- unipen
- handwritten-digits
- keras
model-index:
- name: {repo_id}
  results:
  - task:
      type: image-classification
    dataset:
      name: MNIST (test)
      type: ylecun/mnist
      split: test
    metrics:
    - type: accuracy
      value: {mnist if mnist is not None else 0}
---

# {repo_id}

{_networks(metadata)}
that reads one handwritten digit, 0-9, drawn on a canvas or photographed, after the
preprocessing of the app it was trained for (crop to the ink, normalise the stroke width,
scale to 20 px and centre by mass in 28x28).

## Intended use
Reading a single digit drawn with a mouse, a finger or a pen, as in the companion Gradio app;
teaching how a small model is trained, served and tested.

## Out-of-scope uses
Anything with consequences: cheques, forms, postal codes or identity documents. Letters,
and digits from scripts other than Western Arabic numerals.

## Training data
{trained_on}

## Metrics
| test set | accuracy |
|---|---|
| MNIST test (10,000 images) | {_percent(mnist)} |
| MNIST test through the app's preprocessing | {_percent(preprocessed)} |
| {sketch.get("count", 0):,} MNIST test digits redrawn as Sketchpad drawings | {_percent(sketch.get("accuracy"))} |
{pen_rows}
{alone}{style_table}Per-class accuracy on MNIST test:

| digit | accuracy |
|---|---|
{per_class_rows}

## Training recipe
{recipe["epochs"]} epochs{" for each network" if recipe.get("members", 1) > 1 else ""}, batch {recipe["batch_size"]}, Adam at {recipe["learning_rate"]}{" with cosine decay" if recipe.get("cosine_decay") else ""},
dropout {recipe["dropout_rate"]},
{"canvas-like augmentation of MNIST (rotation, scale, shear, shift, stroke weight)" if recipe["augment"] else "no augmentation"},
{int(100 * recipe["validation_fraction"])} % of MNIST's training set held out for validation,
seed {", ".join(str(recipe["seed"] + member) for member in range(recipe.get("members", 1)))}.
Trained in {metadata.get("training_seconds", 0):.0f} s on CPU with TensorFlow {metadata["versions"]["tensorflow"]}.

## Limitations
Writers the data does not cover well (children, other scripts' numerals, digits written with
a very thick brush at a small size, where loops fill) are read less well. The model always
answers one of ten digits; the app reports low-confidence answers as uncertain.

## Data
{chr(10).join(credits)}
"""


def _trained_on(metadata: dict[str, Any], recipe: dict[str, Any], pen_data: dict[str, Any] | None) -> str:
    """The model card's account of the examples a digit model learnt from: the metadata's
    ``data_counts`` (older models' metadata has only the MNIST images' counts)."""
    counts = metadata.get("data_counts") or {
        "mnist_train": metadata.get("train_images"), "mnist_validation": metadata.get("validation_images")
    }  # fmt: skip
    mnist = (
        f"{counts['mnist_train']:,} of MNIST's 60,000 training images ({counts['mnist_validation']:,} kept to "
        "watch training by)"
        if counts.get("mnist_train") is not None and counts.get("mnist_validation") is not None
        else "MNIST's 60,000 training images"
    )
    if not pen_data:
        return f"{mnist}."
    if "pen_train_digits" in counts:
        pen = (
            f"{counts['pen_train_digits']:,} pen digits of {counts['pen_train_writers']} UNIPEN writers "
            f"({counts['pen_validation_digits']:,} of {counts['pen_validation_writers']} more kept to watch "
            "training by)"
        )
    else:
        pen = (
            f"{pen_data['digits'] - pen_data['held_out_digits']:,} pen digits of {pen_data['training_writers']} "
            "UNIPEN writers (some kept for validation)"
        )
    spread = recipe.get("spread") or {}
    sparse = (
        f" ({spread['sparse_share']:.0%} of the drawings from a few points of their path, straight between: "
        f"every k-th point, {spread['sparse_points'][0]:g} to {spread['sparse_points'][1]:g} a digit, or, "
        f"{spread['joined_share']:.0%} of those, {spread['joined_points'][0]} to {spread['joined_points'][1]} "
        "points evenly along one path through the pen's lifts)"
        if spread.get("sparse_share")
        else ""
    )
    return (
        f"{mnist} and {pen}, each drawn {recipe['pen_variants']} times as people draw on a sketchpad{sparse}, plus "
        f"{recipe['style_count']:,} drawings of each writing style that neither set holds enough of (crossed "
        f"7s, flagged 1s, slashed 0s, open 4s, hooked 9s). {pen_data['held_out_writers']} UNIPEN writers are "
        "held out and never trained on."
    )


def _number_card(metadata: dict[str, Any], *, repo_id: str) -> str:
    recipe = metadata["recipe"]
    counts = metadata.get("data_counts", {})
    scores = (metadata.get("evaluation") or {}).get("held_out_numbers", {})
    sizes = (metadata.get("evaluation") or {}).get("held_out_number_counts", {})
    rows = "\n".join(f"| {name} | {sizes.get(name, 0):,} | {_percent(value)} |" for name, value in scores.items())
    kind = (metadata.get("arguments") or {}).get("model", "number")
    spread = recipe.get("spread", {})
    brushes = (
        f"{spread['page_brush_share']:.0%} of them with the app's 36 px brush, {spread['stock_brush_share']:.0%} "
        "with a stock sketchpad's 50 px, the rest with brushes from a hairline to 50 px"
        if {"page_brush_share", "stock_brush_share"} <= spread.keys()
        else "brushes from a hairline to 50 px"
    )
    sloped = (
        f" Each line is turned by an angle drawn from N(0, {recipe['slope']}°), as a finger on a phone slopes it."
        if recipe.get("slope")
        else ""
    )
    which = {"number": "the first.", "number-page": "the second (`train.py --model number-page`)."}
    sibling = (
        "The app reads each number with two such networks, trained alike but for their brushes, and weighs "
        f"every reading by both; this is {which[kind]}"
        if kind in SEQUENCE_KINDS
        else ""
    )
    return f"""---
license: mit
library_name: keras
datasets:
- ylecun/mnist
tags:
- unipen
- handwritten-digits
- ctc
- keras
---

# {repo_id}: the number reader (`{MODEL_FILES.get(kind, MODEL_FILES["number"])}`)

A small convolutional network ({metadata["parameters"]:,} parameters) that reads a handwritten
number of any length from its ink, height-normalised to 32 px and of any width, and emits the
digits with CTC: no cutting into digits, so digits that touch or overlap are read too. It is
trained for the companion Gradio app, whose digit model reads lone digits. {sibling}

## Training data
{counts.get("lines", 0):,} numbers of 1 to {recipe["max_length"]} digits, drawn as on a sketchpad
({brushes}): stretches of the real numbers UNIPEN's training writers wrote,
spaced as they wrote them ({counts.get("real_numbers", 0):,} numbers), and numbers composed of one
writer's digits, or of MNIST training digits, from clearly apart to overlapping by a third of
a digit.{sloped} UNIPEN's held-out writers are never trained on.

## Metrics
Held-out writers' numbers, drawn with the app's 36 px brush, read whole and right:

| set | numbers | accuracy |
|---|---|---|
{rows}

## Training recipe
{recipe["epochs"]} epochs, batch {recipe["batch_size"]}, Adam at {recipe["learning_rate"]} with cosine
decay, dropout {recipe["dropout_rate"]}, seed {recipe["seed"]}. Trained in
{metadata.get("training_seconds", 0):.0f} s on CPU with TensorFlow {metadata["versions"]["tensorflow"]}.

## Data
- {MNIST_CREDIT}.
- {UNIPEN_CREDIT}.
"""
