"""The sequence reader: a number's ink as a line, CTC decoding, where each digit lies, and the
sequence network trained end to end by train.py."""

from __future__ import annotations

import dataclasses
import itertools
import json

import numpy as np
import pytest

from digits.learning.metadata import model_card
from digits.learning.recipes import PAGE_NUMBER_RECIPE, NumberRecipe
from digits.reading.sequence import (
    BLANK,
    FRAME,
    LINE_HEIGHT,
    LINE_INK_HEIGHT,
    LINE_MARGIN,
    Views,
    best_path,
    log_likelihood,
    log_likelihoods,
    preprocess_line,
    spans,
)
from digits.storage.files import load_model


def frames_for(path: list[int], sure: float = 0.9) -> np.ndarray:
    """Frame probabilities whose most likely class in each frame follows ``path``."""
    frames = np.full((len(path), BLANK + 1), (1 - sure) / BLANK, np.float32)
    frames[np.arange(len(path)), path] = sure
    return frames


class TestBestPath:
    def test_repeats_merge_blanks_drop_and_a_blank_splits_a_doubled_digit(self):
        _ = BLANK
        symbols = best_path(frames_for([_, 4, 4, _, _, 2, _, 2, 2, _]))
        assert [symbol.digit for symbol in symbols] == [4, 2, 2]
        assert [(symbol.first, symbol.last) for symbol in symbols] == [(1, 2), (5, 5), (7, 8)]
        assert symbols[0].centre == (1 + 2 + 1) / 2 * FRAME

    def test_only_blanks_is_no_digit(self):
        assert best_path(frames_for([BLANK] * 6)) == []

    def test_confidence_is_the_highest_probability_of_the_digit_in_its_frames(self):
        frames = frames_for([BLANK, 7, 7, BLANK])
        frames[2, 7] = 0.97
        assert best_path(frames)[0].confidence == pytest.approx(0.97)


class TestLikelihood:
    @staticmethod
    def random_frames(count: int, seed: int) -> np.ndarray:
        logits = np.random.default_rng(seed).normal(size=(count, BLANK + 1))
        return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)

    @pytest.mark.parametrize("digits", ["", "7", "12", "11", "303"])
    def test_it_sums_every_path_that_reads_as_the_digits(self, digits):
        """The oracle: all 11**5 paths of five frames, each collapsed as ``best_path`` does."""
        frames = self.random_frames(5, seed=len(digits))
        paths = np.array(list(itertools.product(range(BLANK + 1), repeat=len(frames))))
        total = 0.0
        for path in paths:
            read = "".join(str(k) for k, _ in itertools.groupby(path) if k != BLANK)
            if read == digits:
                total += np.prod(frames[np.arange(len(frames)), path])
        assert log_likelihood(frames, digits) == pytest.approx(np.log(total), rel=1e-9)

    def test_it_is_the_loss_the_network_was_trained_with(self):
        """TensorFlow's CTC loss (number_training.py's) is minus this, for lines too long for the
        oracle."""
        import tensorflow as tf

        for digits, count in (("4455", 12), ("90210", 40), ("1", 30)):
            frames = self.random_frames(count, seed=count).astype(np.float32)
            loss = tf.nn.ctc_loss(
                labels=tf.constant([[int(d) for d in digits]]), logits=tf.math.log(frames[np.newaxis]),
                label_length=[len(digits)], logit_length=[count], logits_time_major=False, blank_index=BLANK,
            )  # fmt: skip
            assert log_likelihood(frames, digits) == pytest.approx(-float(loss[0]), rel=1e-4)

    def test_a_line_too_short_for_the_digits_cannot_read_as_them(self):
        assert log_likelihood(self.random_frames(2, seed=0), "11") == -np.inf  # 1, blank, 1: three frames
        # ...nor when read beside a longer line, whose length it is given for the work
        short, longer = self.random_frames(2, seed=0), self.random_frames(9, seed=1)
        both = log_likelihoods([short, longer], "11")
        assert both[0] == -np.inf and both[1] == pytest.approx(log_likelihood(longer, "11"), rel=1e-12)


class TestLine:
    def test_the_ink_is_centred_at_a_fixed_height_and_keeps_its_proportions(self):
        ink = np.zeros((300, 900), np.float32)
        ink[50:250, 100:120] = 1  # a 1 ...
        ink[50:250, 680:700] = 1  # ... and another, 200 px tall and 600 px apart, outside to outside
        line = preprocess_line(ink)
        rows = np.flatnonzero(line.image.any(axis=1))
        cols = np.flatnonzero(line.image.any(axis=0))
        assert line.image.shape[0] == LINE_HEIGHT and line.image.dtype == np.float32
        top = (LINE_HEIGHT - LINE_INK_HEIGHT) // 2
        assert rows[0] >= top - 1 and rows[-1] <= top + LINE_INK_HEIGHT
        assert cols[0] == LINE_MARGIN and line.image.shape[1] - 1 - cols[-1] in (LINE_MARGIN, LINE_MARGIN + 1)
        assert line.image.shape[1] % FRAME == 0  # the network reads whole frames
        # As wide as the ink for its height, give or take what the strokes were thickened by.
        assert line.image.shape[1] - 2 * LINE_MARGIN == pytest.approx(600 * LINE_INK_HEIGHT / 200, abs=4)
        # Line columns map back to the ink's, within the few pixels strokes are thickened by.
        assert line.to_ink(cols[0]) == pytest.approx(100, abs=8)
        assert line.to_ink(cols[-1] + 1) == pytest.approx(700, abs=8)

    def test_a_squeezed_line_is_narrower_and_still_maps_back_to_the_ink(self):
        ink = np.zeros((300, 900), np.float32)
        ink[50:250, 100:120] = ink[50:250, 680:700] = 1
        wide, narrow = preprocess_line(ink), preprocess_line(ink, squeeze=0.85)
        assert narrow.image.shape[0] == LINE_HEIGHT
        assert narrow.image.shape[1] - 2 * LINE_MARGIN == pytest.approx(
            0.85 * (wide.image.shape[1] - 2 * LINE_MARGIN), abs=2
        )
        cols = np.flatnonzero(narrow.image.any(axis=0))
        assert narrow.to_ink(cols[0]) == pytest.approx(100, abs=8)
        assert narrow.to_ink(cols[-1] + 1) == pytest.approx(700, abs=8)

    def test_the_digits_columns_meet_where_the_ink_is_thinnest_wherever_the_spikes_fall(self):
        """CTC's spikes say the order and spacing of the digits, not quite where they are (the
        shipped network places them a third of a digit early): the columns follow the ink."""
        ink = np.zeros((100, 400), np.float32)
        ink[10:90, 20:30] = ink[10:90, 120:130] = ink[10:20, 20:130] = 1  # a box-like 0...
        ink[10:90, 300:310] = 1  # ...a 1 beside it...
        ink[50:54, 130:300] = 0.5  # ...and a stroke between them, thinnest at column 200
        ink[50:51, 195:205] = 0.5
        ink[51:54, 195:205] = 0
        line = preprocess_line(ink)
        early = line.to_ink(0)  # both spikes in the line's first frames, far left of the ink
        symbols = best_path(frames_for([0, BLANK, BLANK, 1] + [BLANK] * 40))
        assert line.to_ink(symbols[-1].centre) < 200 and early < 20
        (left, middle), (middle_again, right) = spans(symbols, line, ink)
        assert left == 0 and right == 400 and middle == middle_again
        assert 195 <= middle < 205, middle


class TestViews:
    """The same ink read at several widths: each reading is weighed by all of them."""

    @staticmethod
    def views(*frames: np.ndarray) -> Views:
        line = preprocess_line(np.ones((10, 10), np.float32))
        return Views(tuple(line for _ in frames), frames)

    def test_a_reading_is_weighed_by_its_mean_log_likelihood(self):
        one, other = TestLikelihood.random_frames(6, seed=1), TestLikelihood.random_frames(9, seed=2)
        expected = (log_likelihood(one, "42") + log_likelihood(other, "42")) / 2
        assert self.views(one, other).log_likelihood("42") == pytest.approx(expected)

    def test_each_views_best_path_is_a_reading_the_likeliest_over_all_views_first(self):
        _ = BLANK
        unsure = frames_for([_, 1, _, _], sure=0.4)  # a 1, and maybe a 7 after it...
        unsure[2, 7] = 0.35
        sure = frames_for([_, 1, 7, _])  # ...which the other view is sure of
        assert [s.digit for s in best_path(unsure)] == [1]
        views = self.views(unsure, sure)
        assert views.log_likelihood("17") > views.log_likelihood("1")
        (line, frames, symbols), other = views.readings()
        assert [s.digit for s in symbols] == [1, 7] and frames is sure and line is views.lines[1]
        assert [s.digit for s in other[2]] == [1] and other[1] is unsure

    def test_where_views_agree_there_is_one_reading_the_first_views(self):
        first, second = frames_for([BLANK, 3, BLANK]), frames_for([3, 3, BLANK])
        (reading,) = self.views(first, second).readings()
        assert reading[1] is first


def test_train_py_makes_the_second_network_with_its_own_recipe():
    import train

    recipe = train.recipe_from_args(train.parse_args(["--model", "number-page"]))
    assert recipe == PAGE_NUMBER_RECIPE and recipe != NumberRecipe()
    assert (
        train.recipe_from_args(train.parse_args(["--model", "number", "--epochs", "2"])).spread == NumberRecipe().spread
    )


@pytest.mark.slow
class TestTraining:
    def test_train_py_makes_a_sequence_model_with_its_metadata(self, tiny_number_model_path):
        model = load_model(tiny_number_model_path, "number")
        for width in (40, 136):  # any width: a frame for every FRAME columns
            frames = model(np.zeros((1, LINE_HEIGHT, width, 1), np.float32)).numpy()
            assert frames.shape == (1, width // FRAME, BLANK + 1)
            np.testing.assert_allclose(frames.sum(axis=-1), 1, atol=1e-4)
        metadata = json.loads(tiny_number_model_path.with_suffix(".json").read_text())
        assert metadata["architecture"] == "number_ctc" and metadata["recipe"]["lines"] == 200
        assert metadata["data_counts"]["lines"] == 200 and metadata["data_counts"]["validation_lines"] == 40
        assert set(metadata["evaluation"]["held_out_numbers"]) >= {"composed, apart", "composed, touching"}
        assert metadata["data"]["pen"]["held_out_writers"] >= 1  # writers kept out, and said so

    def test_a_digit_model_will_not_load_as_a_sequence_model(self, tiny_model_path):
        from digits.storage.files import ModelLoadError

        with pytest.raises(ModelLoadError):
            load_model(tiny_model_path, "number")

    def test_the_second_networks_card_names_its_file_and_its_brushes(self, tiny_number_model_path):
        metadata = json.loads(tiny_number_model_path.with_suffix(".json").read_text())
        # What train.py --model number-page records:
        metadata["arguments"]["model"] = "number-page"
        metadata["recipe"]["spread"] = dataclasses.asdict(PAGE_NUMBER_RECIPE.spread)
        card = model_card(metadata, repo_id="tester/digits")
        assert "the number reader (`number_ctc_page.h5`)" in card and "this is the second" in card
        assert "45% of them with the app's 36 px brush, 25% with a stock sketchpad's 50 px" in card
        assert f"Each line is turned by an angle drawn from N(0, {metadata['recipe']['slope']}°)" in card

    def test_its_model_card_credits_both_data_sets(self, tiny_number_model_path):
        metadata = json.loads(tiny_number_model_path.with_suffix(".json").read_text())
        card = model_card(metadata, repo_id="tester/digits")
        assert "the number reader (`number_ctc.h5`)" in card and "| composed, touching |" in card
        assert "UNIPEN" in card and "MNIST" in card and "CC BY 4.0" in card
