"""Numbers to learn from (``digits.learning.numbers``): composed numbers' styles, spacing and slope."""

from __future__ import annotations

import numpy as np
import pytest

from digits.learning.numbers import Number, NumberSource
from digits.learning.recipes import NumberRecipe, Recipe
from digits.learning.strokes import bounds, normalize
from digits.learning.styles import is_plain


@pytest.mark.parametrize("share", [0.0, 0.25, 1.0])
def test_composed_numbers_write_their_share_of_digits_in_a_style(pen, share):
    """A 7's styles add a bar (and a tick): the share of the sevens drawn in one stroke that come
    out with more strokes is the recipe's share."""
    source = NumberSource(pen, np.zeros((0, 28, 28), np.uint8), np.zeros(0, int), NumberRecipe(style_share=share))
    rng = np.random.default_rng(0)
    plain = [i for i in np.flatnonzero(pen.labels == 7) if len(pen.strokes[i]) == 1][:400]
    styled = [len(source.pen_digit(i, rng)) > 1 for i in plain]
    assert len(plain) == 400
    assert np.mean(styled) == pytest.approx(share, abs=0.06)


def test_composed_numbers_write_only_the_styles_their_recipe_names(pen):
    """With every digit in a style but only the flagged 1 named, no 7 takes a bar."""
    recipe = NumberRecipe(style_share=1.0, styles=["1 with a flag"])
    source = NumberSource(pen, np.zeros((0, 28, 28), np.uint8), np.zeros(0, int), recipe)
    rng = np.random.default_rng(0)
    plain = [i for i in np.flatnonzero(pen.labels == 7) if len(pen.strokes[i]) == 1][:100]
    assert len(plain) == 100 and all(len(source.pen_digit(i, rng)) == 1 for i in plain)


def test_the_sequence_networks_learn_a_1_with_a_long_low_flag_the_digit_network_does_not(pen):
    """The number recipe draws the digit recipe's styles and the 1 with a long, low flag, which a
    digit recipe refuses: every plain 1 written so reaches a third of its height to the left."""
    assert NumberRecipe().styles == [*Recipe().styles, "1 with a long, low flag"]
    with pytest.raises(ValueError, match="no trained writing style"):
        Recipe(styles=["1 with a long, low flag"])
    with pytest.raises(ValueError, match="no trained writing style"):
        NumberRecipe(styles=["tall 6 with a tiny loop"])  # learnt by neither kind of network
    recipe = NumberRecipe(style_share=1.0, styles=["1 with a long, low flag"])
    source = NumberSource(pen, np.zeros((0, 28, 28), np.uint8), np.zeros(0, int), recipe)
    rng = np.random.default_rng(0)
    ones = [
        i for i in np.flatnonzero(pen.labels == 1) if is_plain("1 with a long, low flag", normalize(pen.strokes[i]))
    ][:100]
    widths = [np.subtract(*bounds(normalize(source.pen_digit(i, rng)))[::-1]) for i in ones]
    assert len(ones) == 100 and min(width / height for width, height in widths) > 0.3


def test_a_number_turned_by_positive_degrees_rises_to_the_right():
    number = Number([[np.array([[1.0, 0.0], [2.0, 0.0]], np.float32)]], "1")
    assert number.turned(90).digits[0][0] == pytest.approx(np.array([[0.0, -1.0], [0.0, -2.0]]), abs=1e-6)
    assert number.turned(0).strokes[0] == pytest.approx(number.strokes[0])


def test_numbers_to_learn_from_slope_as_the_recipe_says(pen):
    """The same random number drawn with and without the recipe's slope is the same number
    turned; the angles it is turned by spread as the recipe says."""
    no_mnist = np.zeros((0, 28, 28), np.uint8), np.zeros(0, int)
    level = NumberSource(pen, *no_mnist, NumberRecipe(slope=0.0))
    sloping = NumberSource(pen, *no_mnist, NumberRecipe(slope=4.0))
    angles = []
    for seed in range(300):
        flat = level.number(np.random.default_rng(seed))
        turned = sloping.number(np.random.default_rng(seed))
        assert turned.text == flat.text
        points, moved = np.concatenate(flat.strokes), np.concatenate(turned.strokes)
        far = np.argmax(np.linalg.norm(points, axis=1))
        cross = points[far, 0] * moved[far, 1] - points[far, 1] * moved[far, 0]
        angle = -np.degrees(np.arctan2(cross, points[far] @ moved[far]))
        assert moved == pytest.approx(np.concatenate(flat.turned(angle).strokes), abs=1e-3)
        angles.append(angle)
    assert np.std(angles) == pytest.approx(4.0, abs=0.5)
    assert abs(np.mean(angles)) < 0.6
