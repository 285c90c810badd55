"""Training: canvas-like augmentation, the input pipeline, and the fit."""

from __future__ import annotations

import dataclasses
import logging
import math
import time

import keras
import numpy as np
import tensorflow as tf

from digits import IMAGE_SIZE, NUM_CLASSES
from digits.learning.architectures import average, build_model
from digits.learning.mnist import Mnist, preprocess_all
from digits.learning.pen import PenDigits, split_writers
from digits.learning.recipes import Recipe
from digits.learning.renders import pen_pool, style_pool

logger = logging.getLogger(__name__)


def augment_batch(images: tf.Tensor) -> tf.Tensor:
    """Random canvas-like changes: rotation, scale, aspect, shear, shift, stroke weight."""
    batch = tf.shape(images)[0]

    def uniform(low: float, high: float) -> tf.Tensor:
        return tf.random.uniform([batch], low, high)

    angle, shear = uniform(-0.2, 0.2), uniform(-0.25, 0.25)
    scale_x, scale_y = uniform(0.85, 1.15), uniform(0.85, 1.15)
    shift_x, shift_y = uniform(-2.0, 2.0), uniform(-2.0, 2.0)
    cos, sin = tf.cos(angle), tf.sin(angle)
    # Output->input map: inverse of rotate(angle) . shear . scale, about the centre.
    a0, a1 = cos / scale_x, (sin + shear * cos) / scale_x
    b0, b1 = -sin / scale_y, (cos - shear * sin) / scale_y
    center = (IMAGE_SIZE - 1) / 2
    transforms = tf.stack(
        [a0, a1, center - a0 * center - a1 * center + shift_x,
         b0, b1, center - b0 * center - b1 * center + shift_y,
         tf.zeros([batch]), tf.zeros([batch])], axis=1,
    )  # fmt: skip
    images = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=[IMAGE_SIZE, IMAGE_SIZE],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT",
    )  # fmt: skip
    # Stroke weight: bold (a marker, loops filling up), slightly bold, or thin.
    bold = tf.nn.max_pool2d(images, 3, 1, "SAME")
    bolder = tf.nn.max_pool2d(bold, 3, 1, "SAME")
    thin = -tf.nn.max_pool2d(-images, 2, 1, "SAME")
    pick = tf.random.uniform([batch, 1, 1, 1])
    images = tf.where(pick < 0.06, bolder, tf.where(pick < 0.26, bold, images))
    return tf.where(pick > 0.88, thin, images)


def _examples(images: np.ndarray, labels: np.ndarray, *, augment: bool) -> tf.data.Dataset:
    """(image, one-hot label, whether to augment) from uint8 or float images, shuffled, forever."""
    scale = 1 / 255 if images.dtype == np.uint8 else 1.0
    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
    return (
        dataset.shuffle(len(images), reshuffle_each_iteration=True)
        .repeat()
        .map(
            lambda image, label: (
                tf.reshape(tf.cast(image, tf.float32) * scale, [IMAGE_SIZE, IMAGE_SIZE, 1]),
                tf.one_hot(label, NUM_CLASSES),
                augment,
            ),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    )


def _mnist_examples(raw: np.ndarray, redrawn: np.ndarray, labels: np.ndarray, recipe: Recipe) -> tf.data.Dataset:
    """MNIST as it is or as the app's preprocessing redraws it (``preprocessed_fraction``), to be
    augmented like a canvas."""
    dataset = tf.data.Dataset.from_tensor_slices((raw, redrawn, labels.astype(np.int32)))

    def choose(raw_image, redrawn_image, label):
        use_redrawn = tf.random.uniform([]) < recipe.preprocessed_fraction
        image = tf.cast(tf.where(use_redrawn, redrawn_image, raw_image), tf.float32) / 255
        return tf.reshape(image, [IMAGE_SIZE, IMAGE_SIZE, 1]), tf.one_hot(label, NUM_CLASSES), recipe.augment

    return dataset.shuffle(len(raw), reshuffle_each_iteration=True).repeat().map(choose, tf.data.AUTOTUNE)


def _mix(parts: list[tuple[tf.data.Dataset, int]], recipe: Recipe) -> tf.data.Dataset:
    """Batches drawn from each part in proportion to its count per epoch; each image marked for
    augmentation is augmented."""
    datasets = [dataset for dataset, count in parts if count]
    weights = [count for _, count in parts if count]
    mixed = tf.data.Dataset.sample_from_datasets(
        datasets, weights=[w / sum(weights) for w in weights], seed=recipe.seed
    )

    def augment(images, labels, marked):
        return tf.where(marked[:, None, None, None], augment_batch(images), images), labels

    return mixed.batch(recipe.batch_size).map(augment, tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


class EpochScores(keras.callbacks.Callback):
    """Accuracy on each validation set after every epoch, logged and kept for the metadata."""

    def __init__(self, sets: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        super().__init__()
        self.sets = {name: (_as_float(images), labels) for name, (images, labels) in sets.items() if len(labels)}
        self.history: dict[str, list[float]] = {f"val_{name}_accuracy": [] for name in self.sets}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        line = []
        for name, (images, labels) in self.sets.items():
            predicted = self.model.predict(images, batch_size=1024, verbose=0).argmax(axis=1)
            accuracy = round(float((predicted == labels).mean()), 5)
            self.history[f"val_{name}_accuracy"].append(accuracy)
            line.append(f"{name} {100 * accuracy:.2f} %")
        logger.info("epoch %d validation: %s", epoch + 1, ", ".join(line))


def _as_float(images: np.ndarray) -> np.ndarray:
    scale = 1 / 255 if images.dtype == np.uint8 else 1.0
    return (images.astype(np.float32) * scale).reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 1)


def train(
    recipe: Recipe,
    mnist: Mnist,
    pen: PenDigits | None = None,
    *,
    extra: tuple[np.ndarray, np.ndarray] | None = None,
    verbose: int = 1,
) -> tuple[keras.Model, dict]:
    """Fit a model with ``recipe``; returns it and a summary of the run.

    With ``recipe.members`` above 1, that many networks are fitted one after the other, each with
    its own seed (so its own weights, drawings and order of examples), and averaged into one model.

    Args:
        mnist: MNIST; its test set is never seen here.
        pen: pen digits to draw and learn from (only the training writers': the held-out ones
            must not be passed). A share of their writers is kept for validation.
        extra: more training examples, already through the app's preprocessing: (N, 28, 28)
            floats and (N,) labels, such as accepted corrections. They are only trained on.
    """
    if recipe.members == 1:
        return _fit(recipe, mnist, pen, extra=extra, verbose=verbose)
    networks, runs = [], []
    for seed in range(recipe.seed, recipe.seed + recipe.members):
        logger.info("network %d of %d", seed - recipe.seed + 1, recipe.members)
        network, run = _fit(dataclasses.replace(recipe, members=1, seed=seed), mnist, pen, extra=extra, verbose=verbose)
        networks.append(network)
        runs.append({"seed": seed, **run})
    shared = ("epochs_run", "steps_run", "schedule_steps", "examples_per_epoch", "data_counts")  # each network's
    summary = {
        **{key: runs[0][key] for key in shared},
        "training_seconds": round(sum(run["training_seconds"] for run in runs), 1),
        "networks": [{key: run[key] for key in ("seed", "steps_run", "training_seconds", "history")} for run in runs],
    }
    return average(networks, arch=recipe.arch), summary


def _fit(
    recipe: Recipe, mnist: Mnist, pen: PenDigits | None, *, extra: tuple[np.ndarray, np.ndarray] | None, verbose: int
) -> tuple[keras.Model, dict]:
    """One network fitted with ``recipe`` (see ``train``)."""
    keras.utils.set_random_seed(recipe.seed)
    started = time.perf_counter()
    x_all, y_all = mnist.x_train, mnist.y_train
    if recipe.limit is not None:
        x_all, y_all = x_all[: recipe.limit], y_all[: recipe.limit]
    order = np.random.default_rng(recipe.seed).permutation(len(x_all))
    n_val = int(len(x_all) * recipe.validation_fraction)
    val_idx, train_idx = order[:n_val], order[n_val:]
    if recipe.preprocessed_fraction > 0:
        logger.info("redrawing %d MNIST images with the app's preprocessing", len(x_all))
        redrawn = np.round(255 * preprocess_all(x_all)).astype(np.uint8)
    else:
        redrawn = x_all
    parts = [(_mnist_examples(x_all[train_idx], redrawn[train_idx], y_all[train_idx], recipe), len(train_idx))]
    validation = {"mnist": (np.concatenate([x_all[val_idx], redrawn[val_idx]]), np.tile(y_all[val_idx], 2))}

    counts = {"mnist_train": len(train_idx), "mnist_validation": n_val}
    if pen is not None and recipe.pen_share > 0:
        pen_train, pen_val = split_writers(pen, recipe.pen_validation_share)
        spread = recipe.spread
        logger.info(
            "drawing %d pen digits %d times each, and %d of each style",
            len(pen_train),
            recipe.pen_variants,
            recipe.style_count,
        )
        drawn, drawn_labels = pen_pool(pen_train, variants=recipe.pen_variants, seed=recipe.seed, spread=spread)
        styles, style_labels = style_pool(
            pen_train, names=recipe.styles, per_style=recipe.style_count, seed=recipe.seed, spread=spread
        )
        images, labels = np.concatenate([drawn, styles]), np.concatenate([drawn_labels, style_labels])
        per_epoch = round(len(train_idx) * recipe.pen_share / (1 - recipe.pen_share))
        parts.append((_examples(images, labels, augment=False), per_epoch))
        validation["pen"] = pen_pool(pen_val, variants=2, seed=recipe.seed + 1, spread=spread)
        counts |= {
            "pen_train_digits": len(pen_train), "pen_train_writers": len(set(pen_train.writers)),
            "pen_validation_digits": len(pen_val), "pen_validation_writers": len(set(pen_val.writers)),
            "pen_drawings": len(drawn), "style_drawings": len(styles), "pen_per_epoch": per_epoch,
        }  # fmt: skip
    n_extra = 0 if extra is None else len(extra[0])
    if n_extra:
        parts.append(
            (_examples(extra[0].astype(np.float32), np.asarray(extra[1]), augment=False), n_extra * recipe.extra_repeat)
        )
    counts["extra_images"] = n_extra

    per_epoch = sum(count for _, count in parts)
    steps_per_epoch = math.ceil(per_epoch / recipe.batch_size)
    steps = recipe.epochs * steps_per_epoch  # every part counted, corrections included
    learning_rate = (
        keras.optimizers.schedules.CosineDecay(recipe.learning_rate, steps, alpha=0.01)
        if recipe.cosine_decay else recipe.learning_rate
    )  # fmt: skip
    model = build_model(recipe.arch, dropout_rate=recipe.dropout_rate)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="categorical_crossentropy", metrics=["accuracy"])
    scores = EpochScores(validation)
    history = model.fit(
        _mix(parts, recipe),
        epochs=recipe.epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=[scores],
        verbose=verbose,
        shuffle=False,  # the data set shuffles itself
    )
    seconds = time.perf_counter() - started
    logger.info("trained %s for %d epochs in %.0f s", recipe.arch, recipe.epochs, seconds)
    summary = {
        "epochs_run": len(history.history["loss"]),
        "steps_run": int(model.optimizer.iterations.numpy()),
        "schedule_steps": steps if recipe.cosine_decay else None,
        "training_seconds": round(seconds, 1),
        "examples_per_epoch": per_epoch,
        "data_counts": counts,
        "history": {key: [round(float(v), 5) for v in values] for key, values in history.history.items()}
        | scores.history,
    }
    return model, summary
