"""A drawing's pieces of ink (``digits.reading.segment``): pieces found, grouped, strays dropped, cut."""

from __future__ import annotations

import numpy as np

from digits.learning.evaluation import compose_number
from digits.reading.segment import label_pieces, segment, strokes_crossed


def test_label_pieces_joins_diagonal_neighbours_and_keeps_gaps():
    mask = np.zeros((6, 8), bool)
    mask[0, 0] = mask[1, 1] = mask[2, 2] = True  # a diagonal line: one piece
    mask[0:3, 5:7] = True  # a block two columns away: another
    labels, count = label_pieces(mask)
    assert count == 2
    assert labels[0, 0] == labels[2, 2] != labels[0, 5]
    assert (labels > 0).sum() == mask.sum()


def test_a_column_through_a_ring_crosses_two_strokes_from_the_top_row_down():
    ring = np.zeros((40, 40), bool)
    ring[:, 10:30] = True
    ring[6:34, 14:26] = False  # a 0 cropped to its ink: its top edge is the crop's first row
    assert strokes_crossed(ring[:, 20]) == 2
    assert strokes_crossed(ring[:, 12]) == 1 and strokes_crossed(ring[:, 35]) == 0


def test_segment_keeps_a_two_stroke_digit_whole_and_drops_a_speck():
    ink = np.zeros((200, 300), np.float32)
    ink[20:100, 40:50] = 1  # a 5's body, in one stroke...
    ink[95:105, 40:120] = 1
    ink[100:180, 110:120] = 1
    ink[170:180, 40:120] = 1
    ink[5:12, 55:130] = 1  # ...and its flag, a second stroke that does not touch it
    ink[100:103, 250:253] = 1  # a stray dot far to the right
    parts = segment(ink)
    assert len(parts) == 1
    assert parts[0].box == (40, 5, 130, 180)


def test_segment_keeps_a_slanted_one_drawn_with_a_break_whole():
    ink = np.zeros((200, 200), np.float32)
    for row in range(20, 180):
        if not 98 <= row < 104:  # the pen lifted halfway down
            ink[row, 120 - row // 2 : 128 - row // 2] = 1
    parts = segment(ink)
    assert len(parts) == 1
    assert parts[0].box == (31, 20, 118, 180)


def test_segment_joins_strays_to_digits_not_to_each_other():
    """Two short marks side by side, nearer each other than the digit: the first used to be
    joined to the second and then lost from the list (StopIteration on a real drawing)."""
    ink = np.zeros((120, 120), np.float32)
    ink[10:110, 10:20] = 1  # a 1
    ink[50:56, 40:46] = 1  # a short mark within reach of it...
    ink[50:56, 50:56] = 1  # ...and one beside that, nearer the first mark than the 1 is
    parts = segment(ink)
    assert len(parts) == 1
    assert parts[0].box == (10, 10, 56, 110)


def test_segment_finds_digits_left_to_right(mnist):
    rng = np.random.default_rng(0)
    image = compose_number([mnist.x_test[i] for i in range(4)], rng, "apart")
    ink = 255 - np.asarray(image.convert("L"))
    parts = segment(ink)
    assert len(parts) == 4
    lefts = [part.box[0] for part in parts]
    assert lefts == sorted(lefts)
    for part in parts:  # each box holds its part's ink, and nothing outside its box is kept
        x0, y0, x1, y1 = part.box
        assert part.ink.shape == (y1 - y0, x1 - x0) and part.ink.any()
