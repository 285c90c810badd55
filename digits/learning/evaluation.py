"""Scores: accuracy and confusion, MNIST's test set as given and as Sketchpad drawings, numbers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from digits import NUM_CLASSES
from digits.learning.drawing import CANVAS_SIZE, render_sketch
from digits.learning.mnist import preprocess_all
from digits.learning.numbers import SPACINGS as NUMBER_SPACINGS
from digits.learning.numbers import compose, draw_line, real_numbers, windows
from digits.learning.pen import PenDigits
from digits.learning.renders import Spread, draw_all, pen_pool, style_strokes
from digits.reading.preprocess import bounding_box, preprocess


def evaluate(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy, per-class accuracy and confusion matrix (rows: true, columns: predicted)."""
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return {
        "accuracy": round(float((predicted == labels).mean()), 5),
        "per_class_accuracy": {str(digit): round(float(a), 5) for digit, a in enumerate(per_class)},
        "confusion_matrix": confusion.tolist(),
    }


def writer_interval(
    right: np.ndarray, writers: np.ndarray, *, level: float = 0.95, resamples: int = 10_000, seed: int = 0
) -> tuple[float, float]:
    """Where the share read right might fall for another set of as many writers: the writers drawn
    again with replacement, each with all of their digits, ``resamples`` times (a bootstrap over
    writers), and the middle ``level`` of the shares read right that gives.

    A writer's digits fail together (a style, a habit), so drawing digits again one by one would
    claim too narrow an interval, most of all where one writer wrote a quarter of the set.
    """
    names, index = np.unique(writers, return_inverse=True)
    right_by_writer = np.bincount(index, weights=right.astype(float), minlength=len(names))
    count_by_writer = np.bincount(index, minlength=len(names))
    picks = np.random.default_rng(seed).integers(len(names), size=(resamples, len(names)))
    shares = right_by_writer[picks].sum(axis=1) / count_by_writer[picks].sum(axis=1)
    low, high = np.quantile(shares, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def sketch_set(images: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """MNIST test digits drawn as Sketchpad drawings, then through the app's preprocessing."""
    rng = np.random.default_rng(seed)
    return np.stack([preprocess(render_sketch(image, rng)) for image in images])


def score(
    probabilities: Callable[[np.ndarray], np.ndarray],
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    sketch_count: int = 2000,
) -> dict:
    """Test-set scores: MNIST as given, MNIST through the app's preprocessing, drawings.

    Args:
        probabilities: the model, from (N, 28, 28) images to (N, 10) probabilities.
        sketch_count: how many test digits to draw (the first N, with a fixed seed).
    """
    raw = x_test.astype(np.float32) / 255.0
    scores = {"mnist_test": evaluate(probabilities(raw), y_test)}
    scores["mnist_test_preprocessed"] = {
        "accuracy": evaluate(probabilities(preprocess_all(x_test)), y_test)["accuracy"]
    }
    if sketch_count:
        drawn = sketch_set(x_test[:sketch_count])
        sketch = evaluate(probabilities(drawn), y_test[:sketch_count])
        scores["sketch"] = {"count": sketch_count, **sketch}
    return scores


def score_pen(
    probabilities: Callable[[np.ndarray], np.ndarray], held_out: PenDigits, *, spread: Spread, style_count: int = 300
) -> dict:
    """Scores on held-out writers' pen digits, each drawn once as in training (fixed seeds):
    accuracy, the worst writer's, and each writing style's (made from their digits)."""
    drawn, labels = pen_pool(held_out, variants=1, seed=0, spread=spread)
    scores = evaluate(probabilities(drawn.astype(np.float32) / 255), labels)
    right = probabilities(drawn.astype(np.float32) / 255).argmax(axis=1) == labels
    by_writer = {writer: float(right[held_out.writers == writer].mean()) for writer in set(held_out.writers)}
    worst = min(by_writer, key=by_writer.get)
    strokes, style_labels, names = style_strokes(held_out, per_style=style_count, seed=1)
    styled = draw_all(strokes, seed=2, spread=spread).astype(np.float32) / 255
    styled_right = probabilities(styled).argmax(axis=1) == style_labels
    names = np.array(names)
    return {
        "pen_held_out": {
            "count": len(labels), "writers": len(by_writer), "worst_writer": worst,
            "worst_writer_accuracy": round(by_writer[worst], 5), **scores,
        },
        "pen_held_out_styles": {
            name: {"count": int((names == name).sum()), "accuracy": round(float(styled_right[names == name].mean()), 5)}
            for name in dict.fromkeys(names)
        },
    }  # fmt: skip


# The page's brush, numbers 100 to 320 px tall: as people write numbers on the page.
PAGE_NUMBERS = Spread(min_height=100, max_height=320, stock_brush_share=0.0, page_brush_share=1.0)


def score_numbers(model, held_out: PenDigits, *, composed: int = 300) -> dict:
    """The sequence network alone, on held-out writers' numbers drawn with the page's brush: their
    real numbers as they spaced them (stretches of 2 to 6 digits), and numbers composed of their
    digits at each spacing. Shares read whole and right."""
    from digits.reading.inference import SequencePredictor  # TensorFlow, only when scoring
    from digits.reading.sequence import best_path

    predictor = SequencePredictor(model)
    rng = np.random.default_rng(0)
    sets = {"real, as written": windows(real_numbers(held_out))}
    for spacing, gaps in NUMBER_SPACINGS.items():
        numbers = []
        for _ in range(composed):
            picks = rng.integers(len(held_out), size=int(rng.integers(2, 7)))
            text = "".join(str(held_out.labels[i]) for i in picks)
            numbers.append(compose([held_out.strokes[i] for i in picks], text, rng, spacing=gaps))
        sets[f"composed, {spacing}"] = numbers
    accuracy = {}
    for name, numbers in sets.items():
        right = 0
        for number in numbers:
            line = draw_line(number, rng, PAGE_NUMBERS).astype(np.float32) / 255
            right += "".join(str(s.digit) for s in best_path(predictor.probabilities([line])[0])) == number.text
        accuracy[name] = round(right / max(len(numbers), 1), 5)
    return {"held_out_numbers": accuracy, "held_out_number_counts": {name: len(n) for name, n in sets.items()}}


# How far apart the digits of a composed number are: the gap between neighbours' boxes, as a
# share of the digits' height (negative: the boxes overlap).
SPACINGS = {"apart": (0.1, 0.4), "touching": (-0.05, 0.0), "overlapping": (-0.12, -0.05)}


def compose_number(digits: list[np.ndarray], rng: np.random.Generator, spacing: str = "apart") -> Image.Image:
    """MNIST digits (28x28 uint8) written side by side on a white 800x800 canvas, in black.

    Like a person writing a number: uneven sizes (x0.8-1.2), a wandering baseline, gaps
    from ``SPACINGS[spacing]``; upscaled to a pen's hard edge, anywhere on the canvas.
    """
    low, high = SPACINGS[spacing]
    scale = 4  # compose at 4x MNIST's resolution, then fit the canvas
    pieces = []
    for digit in digits:
        crop = digit[bounding_box(digit > 0)].astype(np.float32) / 255
        size = scale * rng.uniform(0.8, 1.2)
        shape = (max(1, round(crop.shape[1] * size)), max(1, round(crop.shape[0] * size)))
        pieces.append(np.asarray(Image.fromarray(crop, mode="F").resize(shape, Image.BILINEAR)))
    height = 20 * scale
    lefts, left = [], 0
    for piece in pieces:
        lefts.append(left)
        left += piece.shape[1] + round(rng.uniform(low, high) * height)
    tops = [round(height * 0.6 + rng.uniform(-0.1, 0.1) * height - piece.shape[0] / 2) for piece in pieces]
    shift = min(tops)
    width = max(x + piece.shape[1] for x, piece in zip(lefts, pieces, strict=True)) - min(lefts)
    number = np.zeros((max(t - shift + p.shape[0] for t, p in zip(tops, pieces, strict=True)), width), np.float32)
    for x, top, piece in zip(lefts, tops, pieces, strict=True):
        x -= min(lefts)
        region = number[top - shift : top - shift + piece.shape[0], x : x + piece.shape[1]]
        np.maximum(region, piece, out=region)
    fit = min(rng.uniform(0.5, 2.0), 0.9 * CANVAS_SIZE / number.shape[1], 0.9 * CANVAS_SIZE / number.shape[0])
    size = (max(1, round(number.shape[1] * fit)), max(1, round(number.shape[0] * fit)))
    ink = np.asarray(Image.fromarray(number, mode="F").resize(size, Image.BILINEAR)) > 0.35
    canvas = np.full((CANVAS_SIZE, CANVAS_SIZE), 255, np.uint8)
    top = rng.integers(0, CANVAS_SIZE - size[1] + 1)
    left = rng.integers(0, CANVAS_SIZE - size[0] + 1)
    canvas[top : top + size[1], left : left + size[0]][ink] = 0
    return Image.fromarray(canvas).convert("RGB")
