"""The served networks: LiteRT's outputs are the Keras models' outputs, for any batch and width,
from any number of threads."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from digits.reading.inference import MAX_KEPT_INPUTS, Predictor, SequencePredictor
from digits.reading.sequence import BLANK, FRAME, LINE_HEIGHT, padded_width
from digits.settings import MODELS_DIR, NUMBER_MODEL
from digits.storage.files import load_model


@pytest.fixture(scope="module")
def digit_model(shipped_model):
    return load_model(shipped_model)


@pytest.fixture(scope="module")
def digits_seen(mnist):
    """MNIST test digits as the network sees them (scaled to 0..1)."""
    return mnist.x_test[:300].astype(np.float32) / 255.0, mnist.y_test[:300]


def test_digit_probabilities_are_the_keras_models(digit_model, digits_seen):
    images, labels = digits_seen
    predictor = Predictor(digit_model, chunk_size=64)
    expected = digit_model(images[..., np.newaxis], training=False).numpy()
    for count in (1, 2, 63, 64, 65, 300):  # a batch of one, within one chunk, across chunks
        got = predictor.probabilities(images[:count])
        assert got.shape == (count, 10)
        np.testing.assert_allclose(got, expected[:count], atol=1e-5)
    assert (predictor.probabilities(images).argmax(axis=1) == labels).mean() > 0.97
    assert predictor.probabilities(np.zeros((0, 28, 28), np.float32)).shape == (0, 10)


def test_one_predictor_answers_many_threads_at_once(digit_model, digits_seen):
    images, _ = digits_seen
    predictor = Predictor(digit_model)
    expected = predictor.probabilities(images)
    sizes = [1, 3, 1, 7, 2, 1, 5, 1] * 8  # each call resizes the interpreter's input
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda size: predictor.probabilities(images[:size]), sizes))
    for size, answer in zip(sizes, answers, strict=True):
        np.testing.assert_allclose(answer, expected[:size], atol=1e-5)


def test_sequence_frames_are_the_keras_models_for_lines_padded_as_it_learnt():
    model = load_model(MODELS_DIR / NUMBER_MODEL, "number")
    predictor = SequencePredictor(model)
    generator = np.random.default_rng(0)

    def line(width: int) -> np.ndarray:
        return (generator.random((LINE_HEIGHT, width)) > 0.8).astype(np.float32)

    for lines in ([line(40)], [line(173)], [line(400), line(340)], [line(64), line(44)]):
        width = padded_width(max(line.shape[1] for line in lines))  # 48, 192, 448, 64
        padded = np.zeros((len(lines), LINE_HEIGHT, width, 1), np.float32)
        for row, image in enumerate(lines):
            padded[row, :, : image.shape[1], 0] = image
        expected = model(padded, training=False).numpy()
        got = predictor.probabilities(lines)
        for image, frames, keras_frames in zip(lines, got, expected, strict=True):
            assert frames.shape == (-(-image.shape[1] // FRAME), BLANK + 1)  # 173 columns: 87 frames
            np.testing.assert_allclose(frames, keras_frames[: len(frames)], atol=1e-5)


def test_interpreters_are_kept_within_their_budget_and_all_answer_right(digit_model, digits_seen):
    images, _ = digits_seen
    expected = Predictor(digit_model).probabilities(images)
    predictor = Predictor(digit_model)
    kept = predictor._call._interpreters
    for size in [1, 2, 64, 20, 1]:  # 64 and 20 images are more than the budget: the oldest go
        np.testing.assert_allclose(predictor.probabilities(images[:size]), expected[:size], atol=1e-5)
        assert sum(math.prod(shape) for shape in kept) <= MAX_KEPT_INPUTS
    assert list(kept) == [(20, 28, 28, 1), (1, 28, 28, 1)]  # the last used, oldest first
