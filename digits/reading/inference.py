"""The networks' outputs: class probabilities for 28x28 images, and frame-by-frame probabilities
for a number's line.

The Keras models are converted once, when they are loaded, to LiteRT (TensorFlow Lite) and run
by its interpreter, which is made for exactly this: small batches on a CPU. One digit takes
about 0.5 ms there, against 3.2 ms through a traced ``tf.function`` (and tens of ms through
``model.predict``, which sets up an input pipeline per call); the same outputs to 1e-6.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence

import keras
import numpy as np
from ai_edge_litert.interpreter import Interpreter

from digits import IMAGE_SIZE, NUM_CLASSES
from digits.reading.sequence import FRAME, LINE_HEIGHT, padded_width

# Images per interpreter call: the interpreter keeps memory for its largest batch (about 0.2 MB
# an image for the digit network), and larger batches are no faster on a CPU.
CHUNK_SIZE = 64
# A network keeps an interpreter for each shape of input it was called with last, while their
# inputs add up to at most this many numbers: a pair of lines at each width to 192 columns, or a
# batch of 64 digits and a few smaller. Each interpreter holds its own copy of the weights and
# memory that grows with its input: keeping one for every width of line the sequence networks
# may meet took 75 MB more than no interpreter kept; within this budget, 11 MB.
MAX_KEPT_INPUTS = 2**16


class LiteModel:
    """A Keras model converted to LiteRT, called by one thread at a time, for inputs of any
    batch size (and width, for the sequence network).

    An interpreter is set up for one shape of input, and setting it up for another costs more
    than a small call (0.3 to 1 ms for a line): so it keeps an interpreter for each of the shapes
    it was called with last, up to MAX_KEPT_INPUTS numbers of input in all. Shapes are few: lines
    come in a dozen widths (``padded_width``), two at a time, and digits in batches of 1 to 16.
    """

    def __init__(self, model: keras.Model, *, threads: int | None = None) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.tflite")
            model.export(path, format="litert", verbose=False)
            with open(path, "rb") as file:
                self._content = file.read()
        self._threads = threads or os.cpu_count() or 1
        # The input's and output's places are the model's, the same in every interpreter of it.
        details = Interpreter(model_content=self._content)
        self._input, self._output = details.get_input_details()[0]["index"], details.get_output_details()[0]["index"]
        self._interpreters: OrderedDict[tuple[int, ...], Interpreter] = OrderedDict()  # the last used last
        self._lock = threading.Lock()  # an interpreter must not be called from two threads at once

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        inputs = np.ascontiguousarray(inputs, dtype=np.float32)
        with self._lock:
            interpreter = self._interpreters.pop(inputs.shape, None)
            if interpreter is None:
                interpreter = self._interpreter(inputs.shape)
            self._interpreters[inputs.shape] = interpreter  # the last used, last
            while len(self._interpreters) > 1 and sum(map(math.prod, self._interpreters)) > MAX_KEPT_INPUTS:
                self._interpreters.popitem(last=False)
            interpreter.set_tensor(self._input, inputs)
            interpreter.invoke()
            return interpreter.get_tensor(self._output)  # a copy

    def _interpreter(self, shape: tuple[int, ...]) -> Interpreter:
        interpreter = Interpreter(model_content=self._content, num_threads=self._threads)
        interpreter.resize_tensor_input(self._input, shape)
        interpreter.allocate_tensors()
        return interpreter


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
    """The sequence network: lines of any width -> frame-by-frame probabilities."""

    def __init__(self, model: keras.Model) -> None:
        self._call = LiteModel(model)

    def probabilities(self, lines: Sequence[np.ndarray]) -> list[np.ndarray]:
        """(LINE_HEIGHT, width) floats in 0..1 -> for each line its (ceil(width / FRAME), 11)
        probabilities (10 digits, then blank).

        The lines are read in one call, each padded with paper to the next of LINE_WIDTHS beyond
        the widest, as the network learnt: a dozen shapes of input for a given count of lines.
        """
        lines = [np.asarray(line, np.float32) for line in lines]
        batch = np.zeros((len(lines), LINE_HEIGHT, padded_width(max(line.shape[1] for line in lines)), 1), np.float32)
        for row, line in enumerate(lines):
            batch[row, :, : line.shape[1], 0] = line
        return [frames[: -(-line.shape[1] // FRAME)] for line, frames in zip(lines, self._call(batch), strict=True)]

    def warm_up(self) -> None:
        self.probabilities([np.zeros((LINE_HEIGHT, 64), np.float32)])
