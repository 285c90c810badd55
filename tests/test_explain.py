"""The "why this digit" view: an occlusion map from the same model, laid over the drawing."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import PROJECT_DIR

from digits.reading.explain import occlusion_map, to_drawing
from digits.reading.preprocess import preprocess

EXAMPLES = sorted((PROJECT_DIR / "examples").glob("*.png"))


@pytest.mark.parametrize("example", EXAMPLES[::4], ids=lambda path: path.stem)
def test_the_map_points_at_ink_the_reading_rests_on(reader, example):
    seen = preprocess(example)
    probabilities = reader.probabilities
    digit = int(probabilities(seen[np.newaxis])[0].argmax())
    heat = occlusion_map(probabilities, seen, digit)
    assert heat.max() == pytest.approx(1.0)
    assert not heat[seen <= 0.05].any(), "evidence off the ink"
    # Blanking the hottest ink lowers P(digit) more than blanking as much of the coolest ink.
    ink = np.flatnonzero(seen.ravel() > 0.05)
    order = ink[np.argsort(heat.ravel()[ink])]
    count = len(ink) // 4
    hot, cold = seen.copy().ravel(), seen.copy().ravel()
    hot[order[-count:]] = 0
    cold[order[:count]] = 0
    p_hot, p_cold = probabilities(np.stack([hot, cold]).reshape(2, 28, 28))[:, digit]
    assert p_hot < p_cold


def test_the_map_lands_on_the_digit_in_the_drawing():
    seen = np.zeros((28, 28), np.float32)
    seen[4:24, 10:18] = 1
    heat = np.zeros_like(seen)
    heat[4:24, 10:18] = 1
    placed = to_drawing(heat, seen, (300, 100, 380, 500), (800, 800))
    assert placed[100:500, 300:380].min() > 0.9
    assert placed.sum() == pytest.approx(placed[100:500, 300:380].sum())


def test_explain_draws_over_a_number_and_a_digit(reader, mnist):
    from digits.learning.evaluation import compose_number

    number = reader.read(compose_number([mnist.x_test[0], mnist.x_test[1]], np.random.default_rng(4), "apart"))
    digit = reader.read(EXAMPLES[0])
    for reading in (number, digit):
        picture = np.asarray(reader.explain(reading).convert("RGB")).astype(int)
        red = (picture[..., 0] - picture[..., 1] > 80).sum()
        assert red > 50, "no evidence drawn"
    assert reader.explain(reader.read(None)) is None
