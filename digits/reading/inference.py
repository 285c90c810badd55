"""The networks' outputs: class probabilities for 28x28 images, and frame-by-frame probabilities
for a number's line.

The Keras models are converted once, when they are loaded, to LiteRT (TensorFlow Lite) and run
by its interpreter, which is made for exactly this: small batches on a CPU. One digit takes
about 0.5 ms there, against 3.2 ms through a traced ``tf.function`` (and tens of ms through
``model.predict``, which sets up an input pipeline per call); the same outputs to 1e-6.
"""

from __future__ import annotations

import os
import tempfile
import threading

import keras
import numpy as np
from ai_edge_litert.interpreter import Interpreter

from digits import IMAGE_SIZE, NUM_CLASSES
from digits.reading.sequence import LINE_HEIGHT

# Images per interpreter call: the interpreter keeps memory for its largest batch (about 0.2 MB
# an image for the digit network), and larger batches are no faster on a CPU.
CHUNK_SIZE = 64


class LiteModel:
    """A Keras model converted to LiteRT, called by one thread at a time, for inputs of any
    batch size (and width, for the sequence network)."""

    def __init__(self, model: keras.Model, *, threads: int | None = None) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.tflite")
            model.export(path, format="litert", verbose=False)
            with open(path, "rb") as file:
                content = file.read()
        self._interpreter = Interpreter(model_content=content, num_threads=threads or os.cpu_count() or 1)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._shape: tuple[int, ...] | None = None
        self._lock = threading.Lock()  # an interpreter must not be called from two threads at once

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        inputs = np.ascontiguousarray(inputs, dtype=np.float32)
        with self._lock:
            if inputs.shape != self._shape:
                self._interpreter.resize_tensor_input(self._input, inputs.shape)
                self._interpreter.allocate_tensors()
                self._shape = inputs.shape
            self._interpreter.set_tensor(self._input, inputs)
            self._interpreter.invoke()
            return self._interpreter.get_tensor(self._output)  # a copy


class Predictor:
    """The digit network: (N, 28, 28) images -> (N, 10) probabilities."""

    def __init__(self, model: keras.Model, *, chunk_size: int = CHUNK_SIZE) -> None:
        self.chunk_size = chunk_size
        self._call = LiteModel(model)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, 28, 28) or (N, 28, 28, 1) floats in 0..1 -> (N, 10) probabilities."""
        images = np.asarray(images, dtype=np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 1)
        chunks = [
            self._call(images[start : start + self.chunk_size]) for start in range(0, len(images), self.chunk_size)
        ]
        return np.concatenate(chunks) if chunks else np.zeros((0, NUM_CLASSES), np.float32)

    def warm_up(self) -> None:
        """Run once, so the first request does not pay for setting up."""
        self.probabilities(np.zeros((1, IMAGE_SIZE, IMAGE_SIZE), np.float32))


class SequencePredictor:
    """The sequence network: a line of any width -> frame-by-frame probabilities."""

    def __init__(self, model: keras.Model) -> None:
        self._call = LiteModel(model)

    def probabilities(self, line: np.ndarray) -> np.ndarray:
        """(LINE_HEIGHT, width) floats in 0..1 -> (frames, 11) probabilities (10 digits, then blank)."""
        return self._call(np.asarray(line, np.float32)[np.newaxis, :, :, np.newaxis])[0]

    def warm_up(self) -> None:
        self.probabilities(np.zeros((LINE_HEIGHT, 64), np.float32))
