"""Training the sequence reader: numbers drawn as on the sketchpad (``numbers.NumberSource``,
drawn before training in worker processes), read whole, learnt with CTC."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator

import keras
import numpy as np
import tensorflow as tf

from digits.learning.architectures import build_number_model
from digits.learning.mnist import Mnist
from digits.learning.numbers import NumberSource, draw_lines
from digits.learning.pen import PenDigits, split_writers
from digits.learning.recipes import NumberRecipe
from digits.reading.sequence import BLANK, FRAME, LINE_HEIGHT, LINE_WIDTHS, best_path, padded_width

logger = logging.getLogger(__name__)


def _dataset(
    lines: list[tuple[np.ndarray, str]], batch_size: int, *, shuffle: bool, max_length: int
) -> tf.data.Dataset:
    """Batches of ((images, widths), (labels, lengths)). Each line is padded to the next width in
    LINE_WIDTHS (as the reader pads it) and batched with lines of that width, and labels to
    ``max_length``: training sees a dozen shapes of batch, not one per width."""

    def generate() -> Iterator:
        order = np.random.permutation(len(lines)) if shuffle else range(len(lines))
        for index in order:
            image, text = lines[index]
            padded = padded_width(image.shape[1])
            labels = np.full(max_length, BLANK, np.int32)
            labels[: len(text)] = [int(c) for c in text]
            yield np.pad(image, ((0, 0), (0, padded - image.shape[1])))[..., None], image.shape[1], labels, len(text)

    signature = (
        tf.TensorSpec([LINE_HEIGHT, None, 1], tf.uint8), tf.TensorSpec([], tf.int32),
        tf.TensorSpec([max_length], tf.int32), tf.TensorSpec([], tf.int32),
    )  # fmt: skip
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature).bucket_by_sequence_length(
        lambda image, width, label, length: tf.shape(image)[1],
        bucket_boundaries=[width + 1 for width in LINE_WIDTHS[:-1]],
        bucket_batch_sizes=[batch_size] * len(LINE_WIDTHS),
    )
    return dataset.map(
        lambda image, width, label, length: ((tf.cast(image, tf.float32) / 255, width), (label, length))
    ).prefetch(tf.data.AUTOTUNE)


class CTCTrainer(keras.Model):
    """Trains ``network`` with the CTC loss over each line's real width."""

    def __init__(self, network: keras.Model) -> None:
        super().__init__()
        self.network = network
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, inputs, training=False):
        return self.network(inputs, training=training)

    def ctc_loss(self, data, training: bool):
        (images, widths), (labels, lengths) = data
        probabilities = self.network(images, training=training)
        frames = tf.cast(tf.math.ceil(widths / FRAME), tf.int32)
        # Sparse labels use TensorFlow's compiled CTC kernel; dense ones a slow loop over frames.
        mask = tf.sequence_mask(lengths, tf.shape(labels)[1])
        sparse = tf.SparseTensor(tf.where(mask), tf.boolean_mask(labels, mask), tf.cast(tf.shape(labels), tf.int64))
        losses = tf.nn.ctc_loss(
            labels=sparse, logits=tf.math.log(probabilities + 1e-8), label_length=None, logit_length=frames,
            logits_time_major=False, blank_index=BLANK,
        )  # fmt: skip
        return tf.reduce_mean(losses / tf.cast(tf.maximum(lengths, 1), tf.float32))

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss = self.ctc_loss(data, training=True)
        gradients = tape.gradient(loss, self.network.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.network.trainable_weights, strict=True))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker]


def sequence_accuracy(network: keras.Model, lines: list[tuple[np.ndarray, str]]) -> float:
    """Share of ``lines`` whose best path is exactly their number."""
    right = 0
    for image, text in lines:
        probabilities = network(image[None, ..., None].astype(np.float32) / 255, training=False)[0].numpy()
        right += "".join(str(symbol.digit) for symbol in best_path(probabilities)) == text
    return right / max(len(lines), 1)


class SequenceScores(keras.callbacks.Callback):
    def __init__(self, network: keras.Model, lines: list[tuple[np.ndarray, str]]) -> None:
        super().__init__()
        self.network, self.lines = network, lines
        self.history: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        accuracy = round(sequence_accuracy(self.network, self.lines), 5)
        self.history.append(accuracy)
        logger.info("epoch %d: validation numbers read right %.2f %%", epoch + 1, 100 * accuracy)


def train_numbers(recipe: NumberRecipe, pen: PenDigits, mnist: Mnist, *, verbose: int = 1) -> tuple[keras.Model, dict]:
    """Fit the sequence reader; returns it and a summary of the run.

    Args:
        pen: the training writers' pen digits (never the held-out writers'); a share of these
            writers is kept for validation.
        mnist: MNIST; numbers are composed from its training digits only.
    """
    keras.utils.set_random_seed(recipe.seed)
    started = time.perf_counter()
    pen_train, pen_val = split_writers(pen, recipe.pen_validation_share)
    digits, labels = mnist.x_train[: recipe.mnist_digits], mnist.y_train[: recipe.mnist_digits]
    training_source = NumberSource(pen_train, digits, labels, recipe)
    validation_source = NumberSource(pen_val, digits[:0], labels[:0], recipe)
    logger.info("drawing %d numbers to learn from and %d to validate on", recipe.lines, recipe.validation_lines)
    lines = draw_lines(training_source, recipe.lines, seed=recipe.seed)
    validation = draw_lines(validation_source, recipe.validation_lines, seed=recipe.seed + 1)
    network = build_number_model(dropout_rate=recipe.dropout_rate)
    trainer = CTCTrainer(network)
    steps = recipe.epochs * math.ceil(len(lines) / recipe.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(recipe.learning_rate, steps, alpha=0.01)
    trainer.compile(optimizer=keras.optimizers.Adam(schedule, clipnorm=5.0))
    scores = SequenceScores(network, validation[:500])
    history = trainer.fit(
        _dataset(lines, recipe.batch_size, shuffle=True, max_length=recipe.max_length), epochs=recipe.epochs, callbacks=[scores], verbose=verbose,
        shuffle=False,  # the data set shuffles itself
    )  # fmt: skip
    seconds = time.perf_counter() - started
    logger.info("trained the sequence reader for %d epochs in %.0f s", recipe.epochs, seconds)
    summary = {
        "epochs_run": len(history.history["loss"]),
        "training_seconds": round(seconds, 1),
        "data_counts": {
            "lines": len(lines),
            "validation_lines": len(validation),
            "pen_train_writers": len(set(pen_train.writers)),
            "pen_validation_writers": len(set(pen_val.writers)),
            "real_numbers": len(training_source.real),
        },  # fmt: skip
        "history": {
            "loss": [round(float(v), 5) for v in history.history["loss"]],
            "val_sequence_accuracy": scores.history,
        },
        "validation_sequence_accuracy": sequence_accuracy(network, validation),
    }
    return network, summary
