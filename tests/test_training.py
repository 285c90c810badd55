"""Training: the seed's CNN exactly, augmentation, a real short run (run again, the same weights),
scores and the card."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import train_tiny_model

from digits.learning.architectures import build_model
from digits.learning.evaluation import evaluate, writer_interval
from digits.learning.metadata import model_card
from digits.learning.recipes import Recipe
from digits.learning.training import augment_batch
from digits.settings import DIGIT_MODEL, MODELS_DIR
from digits.storage.files import load_model, save_model


class TestModels:
    def test_baseline_model_is_the_starting_cnn(self):
        model = build_model("baseline")
        kinds = [type(layer).__name__ for layer in model.layers]
        assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
        # 320 + 18,496 + 1600*128+128 + 1,290: the starting CNN's parameter count
        assert model.count_params() == 225_034

    def test_the_shipped_model_stays_within_its_budget(self):
        model = build_model("robust", members=Recipe().members)  # issue #11: about 3 M parameters at most
        assert model.output_shape == (None, 10) and model.count_params() <= 3_000_000

    def test_an_average_of_networks_answers_their_mean(self, tmp_path):
        """Two networks averaged: the model's probabilities are the mean of each network's, and
        the weights saved come back into the network this code builds for a file of two."""
        model = build_model("small", members=2)
        first, second = (layer for layer in model.layers if isinstance(layer, keras.Model))
        images = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
        answers = [network(images).numpy() for network in (first, second)]
        assert not np.allclose(answers[0], answers[1])  # two networks, not one twice
        np.testing.assert_allclose(model(images).numpy(), (answers[0] + answers[1]) / 2, rtol=1e-5)
        assert model.count_params() == 2 * build_model("small").count_params()
        save_model(model, tmp_path / "pair.h5")
        loaded = load_model(tmp_path / "pair.h5")
        assert loaded.name == "small_x2"
        np.testing.assert_allclose(loaded(images).numpy(), model(images).numpy(), rtol=1e-5)

    def test_the_quick_network_is_small(self):
        model = build_model("small")
        assert model.output_shape == (None, 10) and model.count_params() < 300_000

    def test_unknown_architecture(self):
        with pytest.raises(ValueError, match="unknown architecture 'vgg'"):
            build_model("vgg")


class TestAugmentation:
    def test_keeps_shape_and_keeps_the_digit(self, mnist):
        keras.utils.set_random_seed(0)  # augmentation draws from the global generators; other tests move them
        images = tf.constant((mnist.x_train[:64] / 255.0).astype("float32")[..., None])
        augmented = augment_batch(images).numpy()
        assert augmented.shape == (64, 28, 28, 1)
        assert not np.allclose(augmented, images.numpy())
        ink_before, ink_after = images.numpy().sum(axis=(1, 2, 3)), augmented.sum(axis=(1, 2, 3))
        assert np.all(ink_after > 0.3 * ink_before)  # no digit pushed out of the frame


def test_evaluate_against_a_hand_count():
    labels = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 2, 0])
    scores = evaluate(np.eye(10)[predicted], labels)
    assert scores["accuracy"] == round(4 / 6, 5)
    assert scores["per_class_accuracy"]["0"] == 0.5 and scores["per_class_accuracy"]["2"] == round(2 / 3, 5)
    assert scores["confusion_matrix"][2][0] == 1 and sum(map(sum, scores["confusion_matrix"])) == 6


class TestWriterInterval:
    WRITERS = np.repeat([f"w{n}" for n in range(20)], 50)  # 20 writers, 50 digits each

    def test_misreads_of_one_writer_leave_more_doubt_than_the_same_misreads_spread(self):
        """40 misreads in 1,000 digits either way; by the digit alone the two would look alike."""
        one_writer, spread = np.ones(1000, bool), np.ones(1000, bool)
        one_writer[:40] = False
        spread[np.arange(20) * 50] = spread[np.arange(20) * 50 + 1] = False  # two of each writer's
        low, high = writer_interval(one_writer, self.WRITERS)
        assert low < 0.93 and high == 1.0  # that writer drawn several times, or not at all
        assert writer_interval(spread, self.WRITERS) == pytest.approx((0.96, 0.96))  # every set of writers: 96%

    def test_the_interval_holds_the_share_read_and_narrows_with_the_level(self):
        right = np.random.default_rng(0).random(1000) < np.repeat(np.linspace(0.8, 1.0, 20), 50)
        low, high = writer_interval(right, self.WRITERS)
        narrow_low, narrow_high = writer_interval(right, self.WRITERS, level=0.5)
        assert 0 < low < narrow_low < right.mean() < narrow_high < high < 1

    def test_a_writer_weighs_by_the_digits_written(self):
        """The share pooled over digits, as the tables give it: a writer of 900 digits, all read,
        beside nine of 10 each, none read, reads 0.9 at the middle, not the writers' mean 0.1."""
        writers = np.array(["big"] * 900 + [f"w{n}" for n in range(9) for _ in range(10)])
        right = np.array([True] * 900 + [False] * 90)
        low, high = writer_interval(right, writers, level=0.01)
        assert 0.85 < low <= high < 0.95


def test_short_training_run_end_to_end(tiny_model_path):
    """train.py on 1,000 drawn digits for two epochs writes a model and metadata that load,
    and the model has learnt: it reads held-out drawn digits far better than chance (10 %)."""
    model = load_model(tiny_model_path)
    probabilities = model(np.zeros((5, 28, 28, 1), "float32")).numpy()
    assert probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    metadata = json.loads(tiny_model_path.with_suffix(".json").read_text())
    assert metadata["architecture"] == "robust" and metadata["epochs_run"] == 2
    # The recipe's two networks, each from its own seed, averaged into the one model.
    assert metadata["recipe"]["members"] == 2 and model.name == "robust_x2"
    assert [network["seed"] for network in metadata["networks"]] == [1234, 1235]
    assert metadata["arguments"]["epochs"] == 2 and metadata["parameters"] == model.count_params()
    assert len(metadata["data"]["mnist"]["sha256"]) == 4 and "LeCun" in metadata["data"]["mnist"]["credit"]
    evaluation = metadata["evaluation"]
    assert evaluation["mnist_test"]["accuracy"] >= 0.8, evaluation["mnist_test"]
    assert evaluation["sketch"]["count"] == 20
    confusion = np.array(evaluation["mnist_test"]["confusion_matrix"])
    assert confusion.shape == (10, 10) and confusion.sum() == 200
    assert confusion.trace() / 200 == evaluation["mnist_test"]["accuracy"]


def test_train_py_run_again_gives_the_same_weights(tiny_model_path, tiny_mnist_dir, tmp_path):
    """The seeds fix the drawings and the order of examples, and train.py turns on TensorFlow's op
    determinism: a second run with the same arguments, in another process, writes the same two
    networks, bit for bit."""
    again = load_model(train_tiny_model(tiny_mnist_dir, tmp_path / "again.h5")).get_weights()
    first = load_model(tiny_model_path).get_weights()
    assert len(again) == len(first) > 0
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))


def test_the_learning_rate_schedule_spans_every_step_run(tiny_model_path):
    """Cosine decay reaches its floor on the last step, not before: its length counts every
    training example, corrections included (see test_corrections for a run with them)."""
    metadata = json.loads(tiny_model_path.with_suffix(".json").read_text())
    assert metadata["steps_run"] == metadata["schedule_steps"] > 0
    assert [network["steps_run"] for network in metadata["networks"]] == [metadata["schedule_steps"]] * 2


def test_model_card_is_built_from_metadata(tiny_model_path):
    metadata = json.loads(tiny_model_path.with_suffix(".json").read_text())
    card = model_card(metadata, repo_id="tester/digits")
    accuracy = metadata["evaluation"]["mnist_test"]["accuracy"]
    assert card.startswith("---\nlicense: mit")
    assert f"{100 * accuracy:.2f} %" in card and f"value: {accuracy}" in card
    assert "The average of 2 small Keras CNNs" in card and "seed 1234, 1235." in card
    for section in ("## Intended use", "## Out-of-scope uses", "## Metrics", "## Training recipe", "## Limitations"):
        assert section in card
    counts = metadata["data_counts"]  # MNIST alone: no pen rows, no styles, and what was kept aside said
    assert f"{counts['mnist_train']:,} of MNIST's 60,000 training images ({counts['mnist_validation']:,} kept" in card
    assert "UNIPEN writers" not in card.split("## Data")[0] and "Writing styles" not in card


def test_the_shipped_models_card_says_what_its_pen_figures_are():
    """The held-out writers' figure in the card is the model's alone, on drawings varied as in
    training, not the app's reading of the sketchpad's drawings (README): the card says so, and
    counts the pen digits learnt from and kept aside as the metadata does."""
    metadata = json.loads((MODELS_DIR / DIGIT_MODEL).with_suffix(".json").read_text())
    card = model_card(metadata, repo_id="tester/digits")
    counts, held_out = metadata["data_counts"], metadata["evaluation"]["pen_held_out"]
    assert f"{counts['pen_train_digits']:,} pen digits of {counts['pen_train_writers']} UNIPEN writers" in card
    assert f"| {held_out['count']:,} pen digits of {held_out['writers']} held-out UNIPEN writers, each drawn" in card
    assert "Each figure is the model's alone" in card and "`python bench/accuracy.py`" in card
    assert "| crossed 7 | " in card
