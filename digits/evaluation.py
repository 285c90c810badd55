"""Scores a model on MNIST's test set, as given and as Sketchpad drawings."""

from __future__ import annotations

import numpy as np

from digits.inference import Predictor
from digits.preprocess import preprocess
from digits.sketch import render_sketch
from digits.training import evaluate, preprocess_all


def sketch_set(images: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """MNIST test digits drawn as Sketchpad drawings, then through the app's preprocessing."""
    rng = np.random.default_rng(seed)
    return np.stack([preprocess(render_sketch(image, rng)) for image in images])


def score(
    predictor: Predictor,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    sketch_count: int = 2000,
    preprocess_inputs: bool = True,
) -> dict:
    """Test-set scores: MNIST as given, MNIST through the app's preprocessing, drawings.

    Args:
        preprocess_inputs: score MNIST "as given" through the app's preprocessing too (the
            robust recipe); the seed recipe reads raw MNIST.
        sketch_count: how many test digits to draw (the first N, with a fixed seed).
    """
    raw = x_test.astype(np.float32) / 255.0
    scores = {"mnist_test": evaluate(predictor.probabilities(raw), y_test)}
    scores["mnist_test_preprocessed"] = {
        "accuracy": evaluate(predictor.probabilities(preprocess_all(x_test)), y_test)["accuracy"]
    }
    if sketch_count:
        drawn = sketch_set(x_test[:sketch_count])
        sketch = evaluate(predictor.probabilities(drawn), y_test[:sketch_count])
        scores["sketch"] = {"count": sketch_count, **sketch}
    return scores
