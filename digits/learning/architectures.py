"""The CNNs: the baseline the project started from and ours, each built by one function."""

from __future__ import annotations

import keras
from keras import layers

from digits import IMAGE_SIZE, NUM_CLASSES
from digits.learning.recipes import ARCHITECTURES
from digits.reading.sequence import FRAME, LINE_HEIGHT

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


def _conv(x, filters: int, kernel_size: int | tuple[int, int], padding: str = "same"):
    x = layers.Conv2D(filters, kernel_size, padding=padding, use_bias=False)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    return layers.ReLU()(x)


def _conv_block(x, filters: int, kernel_size: int):
    return layers.MaxPooling2D()(_conv(x, filters, kernel_size))


def _head(x, units: int, dropout_rate: float):
    x = layers.Flatten()(x)
    x = layers.Dense(units, use_bias=False)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(dropout_rate)(x)
    return layers.Dense(NUM_CLASSES, activation="softmax")(x)


def build_small_model(*, dropout_rate: float = 0.4) -> keras.Model:
    """Three conv/BN/pool stages and a BN dense head (243k parameters): the MNIST-only model's
    network, trained in minutes (the app's fallback)."""
    inputs = keras.Input(shape=INPUT_SHAPE)
    x = _conv_block(inputs, 32, 5)
    x = _conv_block(x, 64, 3)
    x = _conv_block(x, 128, 3)
    return keras.Model(inputs, _head(x, 128, dropout_rate), name="small")


def build_robust_model(*, dropout_rate: float = 0.4) -> keras.Model:
    """Ours: the small network with a second convolution at 7x7 and a head twice as wide (540k
    parameters), for the variety of real writers' styles; a full run fits in an hour on two
    CPU cores; served through LiteRT, one image's call takes about 0.5 ms."""
    inputs = keras.Input(shape=INPUT_SHAPE)
    x = _conv_block(inputs, 32, 5)
    x = _conv_block(x, 64, 3)
    x = _conv(x, 128, 3)
    x = _conv_block(x, 128, 3)
    return keras.Model(inputs, _head(x, 256, dropout_rate), name="robust")


def build_number_model(*, dropout_rate: float = 0.25) -> keras.Model:
    """The sequence reader: a line LINE_HEIGHT px tall and of any width -> for every FRAME
    columns, the probabilities of the ten digits and of CTC's blank (no recurrence: digits
    carry little context).

    Height is pooled away (32 -> 16 -> 8 -> 4 -> 1) and width halved once, with few channels
    while the rows are many (a line costs about 5 ms a training step on two cores, half what
    twice the channels cost); then 1-D convolutions along the frames, dilated 1, 2 and 4, widen
    each frame's view to about 50 columns, some three digits of the line.
    """
    inputs = keras.Input(shape=(LINE_HEIGHT, None, 1))
    x = layers.MaxPooling2D((2, FRAME))(_conv(inputs, 16, 3))
    x = layers.MaxPooling2D((2, 1))(_conv(x, 32, 3))
    x = _conv(x, 64, 3)
    x = layers.MaxPooling2D((2, 1))(_conv(x, 64, 3))
    x = _conv(x, 128, (LINE_HEIGHT // 8, 1), padding="valid")  # the last 4 rows -> 1
    x = layers.Reshape((-1, 128))(x)  # (frames, features)
    for dilation in (1, 2, 4):
        x = layers.Conv1D(128, 3, padding="same", dilation_rate=dilation, activation="relu")(x)
    x = layers.Dropout(dropout_rate)(x)
    outputs = layers.Dense(NUM_CLASSES + 1, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="number_ctc")


def average(networks: list[keras.Model], *, arch: str) -> keras.Model:
    """One model whose answer is the mean of ``networks``' probabilities (an ensemble of them), named
    for their architecture and number (e.g. ``robust_x2``); each network keeps its weights."""
    inputs = keras.Input(shape=INPUT_SHAPE)
    for number, network in enumerate(networks, 1):
        network.name = f"{network.name}_{number}"  # layer names in one model must differ
    outputs = layers.Average()([network(inputs) for network in networks])
    return keras.Model(inputs, outputs, name=f"{arch}_x{len(networks)}")


def build_model(arch: str, *, dropout_rate: float = 0.4, members: int = 1) -> keras.Model:
    """Build ``arch`` (one of ARCHITECTURES), or the average of ``members`` such networks;
    raises ValueError for any other name."""
    if members > 1:
        return average([build_model(arch, dropout_rate=dropout_rate) for _ in range(members)], arch=arch)
    if arch == "baseline":
        return build_baseline_model()
    if arch == "small":
        return build_small_model(dropout_rate=dropout_rate)
    if arch == "robust":
        return build_robust_model(dropout_rate=dropout_rate)
    raise ValueError(f"unknown architecture {arch!r}; choose from {', '.join(ARCHITECTURES)}")
