"""Training: the seed's CNN exactly, augmentation, a real short run, scores and the card."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from digits.metadata import model_card
from digits.model import build_model
from digits.store import load_model
from digits.training import augment_batch, evaluate


class TestModels:
    def test_seed_model_is_the_seeds_cnn(self):
        model = build_model("seed")
        kinds = [type(layer).__name__ for layer in model.layers]
        assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
        # 320 + 18,496 + 1600*128+128 + 1,290: the seed's parameter count
        assert model.count_params() == 225_034

    def test_robust_model_is_small(self):
        model = build_model("robust")
        assert model.output_shape == (None, 10) and model.count_params() < 400_000

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


def test_short_training_run_end_to_end(tiny_model_path):
    """train.py on 600 images for one epoch writes a model and metadata that load and predict."""
    model = load_model(tiny_model_path)
    probabilities = model(np.zeros((5, 28, 28, 1), "float32")).numpy()
    assert probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    metadata = json.loads(tiny_model_path.with_suffix(".json").read_text())
    assert metadata["architecture"] == "robust" and metadata["epochs_run"] == 1
    assert metadata["arguments"]["epochs"] == 1 and metadata["parameters"] == model.count_params()
    assert len(metadata["data"]["sha256"]) == 4
    evaluation = metadata["evaluation"]
    assert 0 <= evaluation["mnist_test"]["accuracy"] <= 1 and evaluation["sketch"]["count"] == 20
    assert len(evaluation["mnist_test"]["confusion_matrix"]) == 10
    assert sum(map(sum, evaluation["mnist_test"]["confusion_matrix"])) == 200


def test_model_card_is_built_from_metadata(tiny_model_path):
    metadata = json.loads(tiny_model_path.with_suffix(".json").read_text())
    card = model_card(metadata, repo_id="tester/digits")
    accuracy = metadata["evaluation"]["mnist_test"]["accuracy"]
    assert card.startswith("---\nlicense: mit")
    assert f"{100 * accuracy:.2f} %" in card and f"value: {accuracy}" in card
    for section in ("## Intended use", "## Out-of-scope uses", "## Metrics", "## Training recipe", "## Limitations"):
        assert section in card
