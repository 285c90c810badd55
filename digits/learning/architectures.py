"""The CNNs: the baseline the project started from and ours, each built by one function."""

from __future__ import annotations

import keras
from keras import layers

from digits import IMAGE_SIZE, NUM_CLASSES
from digits.learning.recipes import ARCHITECTURES

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)
# Batch normalisation's running statistics follow the last ~10 batches rather than Keras's
# default ~100: the same at the end of a long run, and right after a short one too.
BN_MOMENTUM = 0.9


def build_baseline_model() -> keras.Model:
    """The CNN the project started from: two conv/pool stages, Dense 128, softmax."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="baseline",
    )


def _conv_block(x, filters: int, kernel_size: int):
    x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.ReLU()(x)
    return layers.MaxPooling2D()(x)


def build_robust_model(*, dropout_rate: float = 0.4) -> keras.Model:
    """Ours: three conv/BN/pool stages and a BN dense head (about 243k parameters).

    Sized so that a full augmented training run fits in 15 minutes on two CPU cores.
    """
    inputs = keras.Input(shape=INPUT_SHAPE)
    x = _conv_block(inputs, 32, 5)
    x = _conv_block(x, 64, 3)
    x = _conv_block(x, 128, 3)
    x = layers.Flatten()(x)
    x = layers.Dense(128, use_bias=False)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(dropout_rate)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="robust")


def build_model(arch: str, *, dropout_rate: float = 0.4) -> keras.Model:
    """Build ``arch`` ("robust" or "baseline"); raises ValueError for any other name."""
    if arch == "baseline":
        return build_baseline_model()
    if arch == "robust":
        return build_robust_model(dropout_rate=dropout_rate)
    raise ValueError(f"unknown architecture {arch!r}; choose from {', '.join(ARCHITECTURES)}")
