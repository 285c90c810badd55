"""Training and evaluation: recipes, canvas-like augmentation, fit, test-set scores."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from digits.data import Mnist
from digits.model import NUM_CLASSES, build_model
from digits.preprocess import preprocess_ink

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipe:
    """Everything that decides how a model is trained. Defaults: the shipped model's."""

    arch: str = "robust"
    epochs: int = 24
    batch_size: int = 128
    learning_rate: float = 3e-3
    validation_fraction: float = 0.1
    dropout_rate: float = 0.4
    augment: bool = True
    # Train on MNIST as the app's preprocessing redraws it, mixed with MNIST as it is, so
    # the model knows both the served distribution and MNIST's own.
    preprocessed_fraction: float = 0.5
    seed: int = 1234
    limit: int | None = None  # use only the first N training images (quick runs, tests)
    extra_repeat: int = 10  # times each extra example (a saved correction) is shown per epoch


SEED_RECIPE = Recipe(
    arch="seed", epochs=10, batch_size=32, learning_rate=1e-3, validation_fraction=0.2,
    augment=False, preprocessed_fraction=0.0,
)  # fmt: skip
QUICK_RECIPE = dataclasses.replace(Recipe(), epochs=3, limit=20_000)  # the app's fallback


def preprocess_all(images: np.ndarray) -> np.ndarray:
    """Run MNIST images (uint8, 0 = background) through the app's preprocessing."""
    return np.stack([preprocess_ink(image.astype(np.float32) / 255.0) for image in images])


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
    center = 13.5
    transforms = tf.stack(
        [a0, a1, center - a0 * center - a1 * center + shift_x,
         b0, b1, center - b0 * center - b1 * center + shift_y,
         tf.zeros([batch]), tf.zeros([batch])], axis=1,
    )  # fmt: skip
    images = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=[28, 28],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT",
    )  # fmt: skip
    # Stroke weight: bold (a marker, loops filling up), slightly bold, or thin.
    bold = tf.nn.max_pool2d(images, 3, 1, "SAME")
    bolder = tf.nn.max_pool2d(bold, 3, 1, "SAME")
    thin = -tf.nn.max_pool2d(-images, 2, 1, "SAME")
    pick = tf.random.uniform([batch, 1, 1, 1])
    images = tf.where(pick < 0.06, bolder, tf.where(pick < 0.26, bold, images))
    return tf.where(pick > 0.88, thin, images)


def _dataset(raw: np.ndarray, redrawn: np.ndarray, labels: np.ndarray, recipe: Recipe):
    one_hot = keras.utils.to_categorical(labels, NUM_CLASSES)
    dataset = tf.data.Dataset.from_tensor_slices((raw, redrawn, one_hot))
    dataset = dataset.shuffle(len(raw), seed=recipe.seed, reshuffle_each_iteration=True)

    def choose(raw_image, redrawn_image, label):
        use_redrawn = tf.random.uniform([]) < recipe.preprocessed_fraction
        return tf.where(use_redrawn, redrawn_image, raw_image), label

    dataset = dataset.map(choose, num_parallel_calls=tf.data.AUTOTUNE).batch(recipe.batch_size)
    if recipe.augment:
        dataset = dataset.map(lambda x, y: (augment_batch(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def prepare(images: np.ndarray) -> np.ndarray:
    """uint8 MNIST images -> float32 (N, 28, 28, 1) in 0..1."""
    return (images.astype(np.float32) / 255.0)[..., None]


def train(
    recipe: Recipe, mnist: Mnist, *, extra: tuple[np.ndarray, np.ndarray] | None = None, verbose: int = 1
) -> tuple[keras.Model, dict]:
    """Fit a model with ``recipe``; returns it and a summary of the run.

    Args:
        extra: more training examples, already through the app's preprocessing: (N, 28, 28)
            floats and (N,) labels, such as saved corrections. They are only trained on.

    The validation split is taken from the training set; the test set is never seen here.
    """
    keras.utils.set_random_seed(recipe.seed)
    x_all, y_all = mnist.x_train, mnist.y_train
    if recipe.limit is not None:
        x_all, y_all = x_all[: recipe.limit], y_all[: recipe.limit]
    order = np.random.default_rng(recipe.seed).permutation(len(x_all))
    n_val = int(len(x_all) * recipe.validation_fraction)
    val_idx, train_idx = order[:n_val], order[n_val:]

    started = time.perf_counter()
    raw = prepare(x_all)
    if recipe.preprocessed_fraction > 0:
        logger.info("redrawing %d training images with the app's preprocessing", len(x_all))
        redrawn = preprocess_all(x_all)[..., None]
    else:
        redrawn = raw
    x_train, y_train = raw[train_idx], y_all[train_idx]
    redrawn_train = redrawn[train_idx]
    n_extra = 0 if extra is None else len(extra[0])
    if n_extra:
        images = np.repeat(extra[0].reshape(-1, 28, 28, 1).astype(np.float32), recipe.extra_repeat, axis=0)
        labels = np.repeat(np.asarray(extra[1]), recipe.extra_repeat)
        x_train, redrawn_train = np.concatenate([x_train, images]), np.concatenate([redrawn_train, images])
        y_train = np.concatenate([y_train, labels])
    train_set = _dataset(x_train, redrawn_train, y_train, recipe)
    # Validate on both forms, so model selection sees the served distribution too.
    x_val = np.concatenate([raw[val_idx], redrawn[val_idx]]) if n_val else None
    y_val = np.concatenate([y_all[val_idx]] * 2) if n_val else None

    model = build_model(recipe.arch, dropout_rate=recipe.dropout_rate)
    steps = recipe.epochs * math.ceil(len(train_idx) / recipe.batch_size)
    learning_rate = (
        keras.optimizers.schedules.CosineDecay(recipe.learning_rate, steps, alpha=0.01)
        if recipe.arch != "seed" else recipe.learning_rate
    )  # fmt: skip
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    validation = (x_val, keras.utils.to_categorical(y_val, NUM_CLASSES)) if n_val else None
    history = model.fit(train_set, epochs=recipe.epochs, validation_data=validation, verbose=verbose)
    seconds = time.perf_counter() - started
    logger.info("trained %s for %d epochs in %.0f s", recipe.arch, recipe.epochs, seconds)
    summary = {
        "epochs_run": len(history.history["loss"]),
        "training_seconds": round(seconds, 1),
        "train_images": len(train_idx),
        "extra_images": n_extra,
        "validation_images": n_val,
        "history": {key: [round(float(v), 5) for v in values] for key, values in history.history.items()},
    }
    return model, summary


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
