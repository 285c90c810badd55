"""Pen strokes: normalising, augmenting, placing, drawing, and the writing styles."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from digits.learning.drawing import CANVAS_SIZE, DIGIT_STROKES, ink_of_paths, sketch_of_paths, smooth
from digits.learning.recipes import Recipe
from digits.learning.renders import Spread, draw, draw_all, style_pool, style_strokes
from digits.learning.strokes import augment, bounds, decimate, joined, normalize, random_placement
from digits.learning.styles import EVERY_STYLE, MEASURED_ONLY, STYLES, is_plain, styled
from digits.reading.preprocess import crop_ink, drawing_ink


def unit(digit: int) -> list[np.ndarray]:
    return normalize([smooth(stroke) * 300 for stroke in DIGIT_STROKES[digit]])


def test_normalize_centres_and_makes_one_unit_tall():
    low, high = bounds(unit(3))
    assert high[1] - low[1] == pytest.approx(1.0)
    np.testing.assert_allclose((low + high) / 2, 0, atol=1e-6)


def test_a_flat_stroke_is_not_blown_up():
    dash = normalize([np.array([[0, 0], [100, 1]], np.float32)])
    low, high = bounds(dash)
    assert high[0] - low[0] == pytest.approx(2.0)  # at most twice as wide as it is tall


def test_smooth_passes_through_every_point():
    stroke = np.array([[0, 0], [1, 2], [3, 1], [4, 4]], np.float32)
    curve = smooth(stroke, steps=4)
    assert len(curve) == 3 * 4 + 1
    np.testing.assert_allclose(curve[::4], stroke, atol=1e-6)


def test_augment_changes_the_shape_but_keeps_it_a_unit_digit():
    rng = np.random.default_rng(0)
    original = unit(7)
    changed = augment(original, rng)
    low, high = bounds(changed)
    assert high[1] - low[1] == pytest.approx(1.0) and len(changed) == len(original)
    assert not np.allclose(np.concatenate(changed)[: len(original[0])], original[0], atol=0.02)
    same = augment(original, rng, strength=0.0)  # only the optional smoothing: through the same points
    assert any(
        np.allclose(stroke[:: 4 if len(stroke) > len(o) else 1], o, atol=1e-5)
        for stroke, o in zip(same, original, strict=True)
    )


def test_decimate_keeps_every_kth_point_and_each_strokes_ends():
    strokes = [np.stack([np.arange(90.0), np.zeros(90)], 1), np.stack([np.zeros(30), np.arange(30.0)], 1)]
    sparse = decimate(strokes, total=12)
    assert [len(stroke) for stroke in sparse] == [10, 4]  # every 10th point from the first, and the last
    for stroke, kept in zip(strokes, sparse, strict=True):
        np.testing.assert_array_equal(kept[[0, -1]], stroke[[0, -1]])
        assert (np.diff(kept[:, 0] + kept[:, 1]) > 0).all()  # in the pen's order, none twice
    assert decimate(strokes, total=1000)[0].shape == strokes[0].shape  # never more points than drawn


def test_joined_is_one_path_through_the_pens_lifts_with_points_evenly_along_it():
    """Down 2, a lift 1 to the right, up 2: one path 5 long, 11 points half a unit apart along it,
    one of them on the lift."""
    strokes = [np.array([[0.0, 0.0], [0.0, 2.0]]), np.array([[1.0, 2.0], [1.0, 0.0]])]
    path = joined(strokes, points=11)
    assert len(path) == 1
    down, up = [[0, y / 2] for y in range(5)], [[1, 2 - y / 2] for y in range(5)]
    np.testing.assert_allclose(path[0], [*down, [0.5, 2], *up], atol=1e-6)
    assert joined([np.array([[0.5, 0.5]] * 3)], points=8)[0].tolist() == [[0.5, 0.5]]  # a dot stays a dot


def test_a_drawing_from_a_few_points_of_its_path_is_straight_between_them():
    """``Spread.sparse_share`` of the drawings keep a few points of their path: every k-th of each
    stroke (a 0 kept to its first, middle and last points is a line there and back, ink where its
    hole was) or, ``joined_share`` of them, points along one path through the pen's lifts (two bars,
    one over the other, become a Z: ink between them)."""
    zero = unit(0)
    bars = normalize([np.array([[0, 0], [100, 0], [200, 0], [300, 0]]), np.array([[0, 300], [300, 300]])])
    middle = (slice(12, 16), slice(12, 16))  # of the 28x28 image, centred on the ink's mass
    for strokes, sparse, joined_share, hole in (
        (zero, 0.0, 0.0, True),
        (zero, 1.0, 0.0, False),
        (bars, 1.0, 0.0, True),
        (bars, 1.0, 1.0, False),
    ):
        spread = Spread(
            400,
            400,
            stock_brush_share=0,
            page_brush_share=1,
            sparse_share=sparse,
            sparse_points=(2, 2),
            joined_share=joined_share,
            joined_points=(4, 8),
        )
        rng = np.random.default_rng(0)
        for _ in range(20):
            assert (draw(strokes, rng, spread)[middle].mean() < 0.1) == hole


def test_random_placement_keeps_the_brush_on_the_canvas():
    rng = np.random.default_rng(1)
    for _ in range(50):
        brush = rng.uniform(2, 50)
        paths = random_placement(unit(int(rng.integers(10))), rng, height=rng.uniform(100, 1500), brush=brush)
        low, high = bounds(paths)
        assert (low >= brush / 2).all() and (high <= CANVAS_SIZE - brush / 2).all()


@pytest.mark.parametrize("brush", [1.5, 12, 50])
def test_training_drawings_are_the_pixels_the_app_finds_on_the_canvas(brush):
    """ink_of_paths draws only the ink, for speed; it must be exactly the ink the app crops from
    the whole 800x800 sketch."""
    paths = random_placement(unit(8), np.random.default_rng(2), height=420, brush=brush)
    from_canvas, _ = crop_ink(drawing_ink(sketch_of_paths(paths, brush=brush)))
    np.testing.assert_array_equal(ink_of_paths(paths, brush=brush), from_canvas)


@pytest.mark.parametrize("brush", [8, 36, 50])
def test_a_path_is_drawn_as_a_round_brush_draws_it(brush):
    """The ink is every pixel within half the brush of the path, as a canvas strokes it with round
    joins: none missing where the path turns a little at each point (a pen's arc), nor where it
    turns back (a zigzag); none beyond. Within two pixels of the edge either way, Pillow's lines
    and discs each round in their own way."""
    turns = np.linspace(0, 1.6 * np.pi, 80)
    arc = np.stack([400 + 250 * np.cos(turns), 400 + 250 * np.sin(turns)], axis=1)
    zigzag = np.array([[100, 700], [300, 600], [140, 560], [420, 500], [110, 460]], float)
    rows, cols = np.mgrid[0:CANVAS_SIZE, 0:CANVAS_SIZE] + 0.5  # pixels' centres
    for path in (arc, zigzag):
        ink = np.asarray(sketch_of_paths([path], brush=brush).convert("L")) < 128
        distance = np.full(ink.shape, np.inf)  # from each pixel's centre to the path
        for (x0, y0), (x1, y1) in zip(path[:-1], path[1:], strict=True):
            along = np.clip(
                ((cols - x0) * (x1 - x0) + (rows - y0) * (y1 - y0)) / ((x1 - x0) ** 2 + (y1 - y0) ** 2), 0, 1
            )
            distance = np.minimum(distance, np.hypot(cols - x0 - along * (x1 - x0), rows - y0 - along * (y1 - y0)))
        assert ink[distance <= brush / 2 - 2].all()
        assert not ink[distance >= brush / 2 + 2].any()


def test_drawing_in_worker_processes_gives_the_same_pool_as_here():
    strokes = [unit(digit) for digit in range(10)] * 120  # three chunks of 500 or fewer
    spread = Spread()
    here = draw_all(strokes, seed=5, spread=spread, workers=1)
    assert here.shape == (1200, 28, 28) and here.dtype == np.uint8
    np.testing.assert_array_equal(draw_all(strokes, seed=5, spread=spread, workers=2), here)
    assert not np.array_equal(draw_all(strokes[:500], seed=6, spread=spread, workers=1), here[:500])


class TestStyles:
    """Each style adds what its writers add, and only to a digit that lacks it."""

    def strokes_of(self, name: str) -> list[np.ndarray]:
        digit, _ = STYLES[name]
        return styled(name, unit(digit), np.random.default_rng(3))

    @staticmethod
    def crossings(stroke: np.ndarray, other: list[np.ndarray]) -> int:
        """How many separate times ``stroke`` meets the ink of ``other`` (drawn 3 px wide at 200 px tall)."""
        paths = [(s - bounds(other + [stroke])[0]) * 200 + 10 for s in [*other, stroke]]
        ink = ink_of_paths(paths[:-1], brush=3) > 0
        mask = np.zeros((400, 400), bool)
        mask[: ink.shape[0], : ink.shape[1]] = ink
        line = paths[-1]
        samples = np.concatenate([np.linspace(a, b, 20) for a, b in zip(line[:-1], line[1:], strict=True)])
        low = np.floor(np.concatenate(paths[:-1]).min(axis=0) - 3.5)
        hits = [
            mask[int(y - low[1]), int(x - low[0])] if 0 <= y - low[1] < 400 and 0 <= x - low[0] < 400 else False
            for x, y in samples
        ]
        runs = np.diff(np.concatenate([[0], np.array(hits, int)]))
        return int(np.sum(runs == 1))

    @pytest.mark.parametrize("name, meets", [("crossed 7", 1), ("slashed 0 (Ø)", 2), ("0 crossed like θ", 2)])
    def test_a_stroke_across(self, name, meets):
        """A bar through a 7's stem meets it once; a slash or a bar through a 0 meets its ring
        on both sides."""
        strokes = self.strokes_of(name)
        assert len(strokes) == len(DIGIT_STROKES[STYLES[name][0]]) + 1
        assert self.crossings(strokes[-1], strokes[:-1]) == meets

    @pytest.mark.parametrize("name", ["1 with a flag", "1 with a flag and a foot"])
    def test_a_flag_from_the_top_to_the_left(self, name):
        strokes = self.strokes_of(name)
        flag = strokes[0]
        assert flag[0, 0] < flag[-1, 0] and flag[0, 1] > flag[-1, 1]  # drawn up and right, to the top
        width, height = bounds(strokes)[1] - bounds(strokes)[0]
        assert width > 0.2 * height
        if "foot" in name:
            foot = strokes[-1]
            assert abs(foot[-1, 1] - foot[0, 1]) < 0.1 and foot[:, 1].min() > 0.4  # flat, at the bottom

    def test_a_long_low_flag_ends_where_a_sevens_bar_might(self):
        """Its flag is drawn up to the top of the stem from 0.3 to 0.6 of the height to the left
        and 0.1 to 0.3 of it down: longer and flatter than a flag's usual 0.3 to 0.65 down."""
        rng = np.random.default_rng(4)
        for _ in range(20):
            one = styled("1 with a long, low flag", unit(1), rng)
            (_, top), (_, bottom) = bounds(one)
            flag, stem = one[0], np.concatenate(one[1:])
            start, end = flag[0], flag[-1]
            height = bottom - top
            assert np.allclose(end, stem[np.argmin(stem[:, 1])])  # to the top of the stem
            assert 0.29 < (end[0] - start[0]) / height < 0.61 and 0.09 < (start[1] - end[1]) / height < 0.31

    def test_a_hooked_nine_turns_back_left(self):
        strokes = self.strokes_of("9 with a curved tail")
        tail = strokes[-1]
        assert tail[-1, 0] < tail[-8, 0]

    def test_a_tiny_loop_six_has_its_loop_at_the_foot_of_a_long_stem(self):
        """The template 6's loop starts halfway down and it is two thirds as wide as tall; the
        style's loop takes at most the bottom third, and it is at most half as wide as tall."""
        rng = np.random.default_rng(4)
        for _ in range(20):
            six = styled("tall 6 with a tiny loop", unit(6), rng)
            (left, top), (right, bottom) = bounds(six)
            points = np.concatenate(six)
            after_the_bottom = points[np.argmax(points[:, 1]) :]
            assert (after_the_bottom[:, 1].min() - top) / (bottom - top) > 0.65  # the loop closes low
            assert right - left < 0.55 * (bottom - top)

    def test_a_curled_seven_begins_below_its_bar_and_turns_up_into_it(self):
        """The pen starts a tenth to two fifths of the height below the bar's left end and goes
        round by the left, up into it; a 7 begun anywhere but its top left takes no curl."""
        rng = np.random.default_rng(4)
        name = "7 with a curl at the start of its bar"
        assert is_plain(name, unit(7)) and not is_plain(name, [unit(7)[0][::-1]])
        for _ in range(20):
            seven = styled(name, unit(7), rng)
            (_, top), (_, bottom) = bounds(seven)
            height = bottom - top
            curl, bar = seven[0][:9], seven[0][9]  # the curl's points, then the bar's left end
            assert len(seven) == 1 and curl[0, 1] - bar[1] > 0.09 * height  # begun below the bar
            assert curl[:, 0].min() < bar[0] - 0.08 * height  # round by the left
            assert curl[:, 1].max() - bar[1] < 0.45 * height  # a curl, not a second stem

    def test_an_open_four_does_not_close_at_the_top(self):
        rng = np.random.default_rng(4)
        for _ in range(20):
            four = styled("open-topped 4", None, rng)
            ink = ink_of_paths([(s - bounds(four)[0]) * 100 + 5 for s in four], brush=2) > 0
            top = ink[: ink.shape[0] // 4]
            columns = np.flatnonzero(top.any(axis=0))
            assert np.diff(columns).max() > 3, "the two strokes meet at the top"

    def test_only_a_plain_digit_takes_a_style(self):
        one = normalize([np.array([[0.5, 0.0], [0.52, 0.5], [0.5, 1.0]], np.float32)])  # a bar, no flag
        flagged = styled("1 with a flag", one, np.random.default_rng(3))
        assert is_plain("1 with a flag", one) and not is_plain("1 with a flag", flagged)
        seven = unit(7)
        assert is_plain("crossed 7", seven) and not is_plain("crossed 7", self.strokes_of("crossed 7"))


def test_training_draws_the_styles_its_recipe_names(pen):
    """A digit recipe names the styles of STYLES (no 6 among them) and training draws those it
    names and no others; the bench asks for the styles only measured too."""
    assert Recipe().styles == list(STYLES)
    _, labels = style_pool(pen, names=Recipe().styles, per_style=2, seed=0, spread=Spread(), workers=1)
    assert len(labels) == 2 * len(STYLES) and 6 not in labels
    _, labels = style_pool(pen, names=["1 with a flag"], per_style=3, seed=0, spread=Spread(), workers=1)
    assert labels.tolist() == [1, 1, 1]
    _, labels, names = style_strokes(pen, per_style=2, seed=0, styles=EVERY_STYLE)
    assert set(names) == set(STYLES) | set(MEASURED_ONLY)
    assert [int(labels[names.index(name)]) for name in MEASURED_ONLY] == [d for d, _ in MEASURED_ONLY.values()]
    for name in ("crossed 7s", *MEASURED_ONLY):  # refused when the recipe is made, not mid-training
        with pytest.raises(ValueError, match="no trained writing style"):
            Recipe(styles=["crossed 7", name])


def test_every_style_can_be_drawn_and_read_as_an_image():
    rng = np.random.default_rng(5)
    for name, (digit, _) in EVERY_STYLE.items():
        strokes = styled(name, unit(digit), rng)
        paths = random_placement(strokes, rng, height=300, brush=20)
        image = sketch_of_paths(paths, brush=20)
        assert isinstance(image, Image.Image) and crop_ink(drawing_ink(image))[0].any()
