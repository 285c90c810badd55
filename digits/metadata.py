"""How a model was made and what it scored: the JSON beside the .h5, and its model card."""

from __future__ import annotations

import dataclasses
import datetime
import platform
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from digits.data import Mnist
from digits.training import Recipe


def build_metadata(
    model: keras.Model,
    recipe: Recipe,
    mnist: Mnist,
    summary: dict[str, Any],
    *,
    evaluation: dict[str, Any] | None,
    arguments: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything needed to tell how a model file came to be and how good it is."""
    return {
        "architecture": recipe.arch,
        "recipe": dataclasses.asdict(recipe),
        "arguments": arguments or {},
        "parameters": int(model.count_params()),
        "trained_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        **{key: value for key, value in summary.items() if key != "history"},
        "history": summary.get("history", {}),
        "evaluation": evaluation,
        "data": {"source": mnist.source, "sha256": mnist.checksums},
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
        },
    }


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f} %"


def model_card(metadata: dict[str, Any], *, repo_id: str) -> str:
    """A Hub model card (README.md) written from the metadata, so the two cannot disagree."""
    evaluation = metadata.get("evaluation") or {}
    mnist = evaluation.get("mnist_test", {}).get("accuracy")
    preprocessed = evaluation.get("mnist_test_preprocessed", {}).get("accuracy")
    sketch = evaluation.get("sketch", {})
    recipe = metadata["recipe"]
    per_class = evaluation.get("mnist_test", {}).get("per_class_accuracy", {})
    per_class_rows = "\n".join(f"| {digit} | {_percent(a)} |" for digit, a in per_class.items())
    return f"""---
license: mit
library_name: keras
pipeline_tag: image-classification
datasets:
- ylecun/mnist
tags:
- mnist
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

A small Keras CNN ({metadata["parameters"]:,} parameters, architecture `{metadata["architecture"]}`)
that reads one handwritten digit, 0-9, drawn on a canvas or photographed, after the
preprocessing of the app it was trained for (crop to the ink, normalise the stroke width,
scale to 20 px and centre by mass in 28x28).

## Intended use
Reading a single digit drawn with a mouse, a finger or a pen, as in the companion Gradio app;
teaching how a small model is trained, served and tested.

## Out-of-scope uses
Anything with consequences: cheques, forms, postal codes or identity documents. Letters,
several digits at once, and digits from scripts other than Western Arabic numerals.

## Metrics
| test set | accuracy |
|---|---|
| MNIST test (10,000 images) | {_percent(mnist)} |
| MNIST test through the app's preprocessing | {_percent(preprocessed)} |
| {sketch.get("count", 0):,} MNIST test digits redrawn as Sketchpad drawings | {_percent(sketch.get("accuracy"))} |

Per-class accuracy on MNIST test:

| digit | accuracy |
|---|---|
{per_class_rows}

## Training recipe
{recipe["epochs"]} epochs, batch {recipe["batch_size"]}, Adam at {recipe["learning_rate"]}
{"with cosine decay" if recipe["arch"] != "seed" else ""}, dropout {recipe["dropout_rate"]},
{"canvas-like augmentation (rotation, scale, shear, shift, stroke weight)" if recipe["augment"] else "no augmentation"},
{int(100 * recipe["validation_fraction"])} % of the training set held out for validation, seed {recipe["seed"]}.
Trained in {metadata.get("training_seconds", 0):.0f} s on CPU with TensorFlow {metadata["versions"]["tensorflow"]}.

## Limitations
Trained on MNIST only: 250 American writers from the early 1990s. Digits written in other
styles (a crossed 7, a 1 with a long flag, a closed 4) are read less well. The model always
answers one of ten digits; the app reports low-confidence answers as uncertain.

## Data
MNIST, by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, CC BY-SA 3.0.
"""
