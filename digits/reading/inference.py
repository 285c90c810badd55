"""The networks' outputs through compiled calls: class probabilities for 28x28 images, and
frame-by-frame probabilities for a number's line.

``model.predict`` sets up a whole input pipeline per call (tens of ms); a traced
``tf.function`` answers a small batch in about a millisecond.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from digits import IMAGE_SIZE, NUM_CLASSES
from digits.reading.sequence import LINE_HEIGHT


class Predictor:
    """Wraps a model with one traced function for any batch size."""

    def __init__(self, model: keras.Model, *, chunk_size: int = 1024) -> None:
        self.model = model
        self.chunk_size = chunk_size
        spec = tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 1], tf.float32)
        self._call = tf.function(lambda x: model(x, training=False), input_signature=[spec])

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, 28, 28) or (N, 28, 28, 1) floats in 0..1 -> (N, 10) probabilities."""
        images = np.asarray(images, dtype=np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 1)
        chunks = [
            self._call(tf.constant(images[start : start + self.chunk_size])).numpy()
            for start in range(0, len(images), self.chunk_size)
        ]
        return np.concatenate(chunks) if chunks else np.zeros((0, NUM_CLASSES), np.float32)

    def warm_up(self) -> None:
        """Trace and run once, so the first request does not pay for it."""
        self.probabilities(np.zeros((1, IMAGE_SIZE, IMAGE_SIZE), np.float32))


class SequencePredictor:
    """Wraps the sequence network with one traced function for a line of any width."""

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        spec = tf.TensorSpec([1, LINE_HEIGHT, None, 1], tf.float32)
        self._call = tf.function(lambda x: model(x, training=False), input_signature=[spec])

    def probabilities(self, line: np.ndarray) -> np.ndarray:
        """(LINE_HEIGHT, width) floats in 0..1 -> (frames, 11) probabilities (10 digits, then blank)."""
        return self._call(tf.constant(np.asarray(line, np.float32)[np.newaxis, :, :, np.newaxis])).numpy()[0]

    def warm_up(self) -> None:
        self.probabilities(np.zeros((LINE_HEIGHT, 64), np.float32))
