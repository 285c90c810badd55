"""Pen handwriting: reading UNIPEN's trajectories, and splitting them by writer."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from conftest import write_pen_file

from digits.learning.pen import (
    HELD_OUT_SALT,
    PenDataError,
    load_pen_digits,
    split_by_writer,
    split_writers,
    writer_share,
)


def test_reads_strokes_labels_and_writers(tiny_pen_dir):
    pen = load_pen_digits(tiny_pen_dir)
    assert len(pen) == 200 and len(pen.strokes) == 200
    assert set(pen.writers) == {f"tst/writer{w}" for w in range(10)}
    assert all(stroke.ndim == 2 and stroke.shape[1] == 2 for digit in pen.strokes for stroke in digit)
    four = pen.strokes[int(np.flatnonzero(pen.labels == 4)[0])]
    assert len(four) == 2  # a 4 is drawn in two strokes in digits/learning/drawing.py
    assert len(pen.sha256) == 64


def test_a_missing_folder_or_file_says_how_to_find_it(tmp_path):
    with pytest.raises(PenDataError, match="UNIPEN_DIR"):
        load_pen_digits(None)
    with pytest.raises(PenDataError, match="train.npz not found"):
        load_pen_digits(tmp_path)


def test_a_file_whose_arrays_do_not_add_up_is_refused(tmp_path):
    path = write_pen_file(tmp_path / "train.npz", writers=2, per_writer=3)
    arrays = dict(np.load(path))
    arrays["stroke_start"] = arrays["stroke_start"][:-2]
    np.savez(path, **arrays)
    with pytest.raises(PenDataError, match="do not add up"):
        load_pen_digits(tmp_path)
    (tmp_path / "train.npz").write_bytes(b"not a numpy file")
    with pytest.raises(PenDataError, match="not UNIPEN's train.npz"):
        load_pen_digits(tmp_path)


def test_no_writer_is_on_both_sides_of_a_split(tiny_pen_dir):
    pen = load_pen_digits(tiny_pen_dir)
    training, held_out = split_by_writer(pen)
    assert set(held_out.writers) == {"tst/writer8"}
    assert not set(training.writers) & set(held_out.writers)
    assert len(training) + len(held_out) == len(pen)
    rest, validation = split_writers(training, 0.1)
    assert set(validation.writers) == {"tst/writer2", "tst/writer7"}
    assert not set(rest.writers) & set(validation.writers)


def test_the_real_pen_data_splits_about_a_fifth_of_its_writers(pen):
    training, held_out = split_by_writer(pen)
    writers = len(set(pen.writers))
    assert 0.12 * writers <= len(set(held_out.writers)) <= 0.28 * writers
    assert not set(training.writers) & set(held_out.writers)


def test_the_held_out_rule_is_not_the_unsalted_hash(pen):
    """This folder's writers all hash, unsalted, to 0.30 or more: writers below were kept apart
    from it by that very rule. A split by the unsalted hash would hold out nobody."""
    unsalted = [int.from_bytes(hashlib.sha256(w.encode()).digest()[:8], "big") / 2**64 for w in set(pen.writers)]
    assert min(unsalted) >= 0.3
    salted = [writer_share(w, HELD_OUT_SALT) for w in set(pen.writers)]
    assert min(salted) < 0.05
