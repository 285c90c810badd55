"""One preprocessing for every input: the same digit, however it arrives, reads the same."""

from __future__ import annotations

import io

import numpy as np
import pytest
from bad_inputs import png
from PIL import Image, ImageOps, PngImagePlugin

from digits.images import ImageError, open_image
from digits.learning.drawing import draw_digit, sketch_of_paths, stroke_paths
from digits.reading import preprocess as pre
from digits.reading.preprocess import EmptyImageError, preprocess


def drawing(digit: int = 3, *, brush: float = 24, height: float = 420, left: float = 120, top: float = 160):
    return draw_digit(digit, left=left, top=top, height=height, brush=brush)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return preprocess(drawing())


def ink_layer(image: Image.Image, color=(0, 0, 0)) -> Image.Image:
    """The strokes alone on a transparent layer, as the browser sends layers[0]."""
    alpha = ImageOps.invert(image.convert("L"))
    layer = Image.new("RGBA", image.size, (*color, 0))
    layer.putalpha(alpha)
    return layer


class TestOutput:
    def test_shape_range_and_mnist_framing(self, reference):
        assert reference.shape == (28, 28) and reference.dtype == np.float32
        assert reference.min() >= 0.0 and reference.max() <= 1.0
        rows, cols = np.nonzero(reference > 0.05)
        assert max(np.ptp(rows), np.ptp(cols)) + 1 in (19, 20, 21)  # longer side scaled to 20 px
        mass = reference.sum()
        com = ((np.indices(reference.shape) * reference).sum(axis=(1, 2))) / mass
        assert np.all(np.abs(com - 13.5) <= 1.0)  # centred by mass, as MNIST is

    def test_position_and_size_do_not_matter(self, reference):
        moved = preprocess(drawing(height=200, left=560, top=20))
        assert similarity(moved, reference) > 0.85

    def test_hairline_and_marker_look_alike(self, reference):
        hairline = preprocess(drawing(brush=2, height=600, left=50, top=50))
        marker = preprocess(drawing(brush=50, height=520))
        for image in (hairline, marker):
            assert similarity(image, reference) > 0.8
            assert 0.6 < image.sum() / reference.sum() < 1.6

    @pytest.mark.parametrize("steps", [-6, -1, 1, 4])
    def test_strokes_grow_and_shrink_as_with_a_square_brush(self, steps):
        """The oracle: Pillow's 3x3 max (min) filter, applied ``steps`` times to the padded mask."""
        from PIL import ImageFilter

        mask = np.random.default_rng(steps + 10).random((40, 90)) < 0.35
        image = Image.fromarray(np.pad(mask, abs(steps) + 1).astype(np.uint8) * 255)
        for _ in range(abs(steps)):
            image = image.filter(ImageFilter.MaxFilter(3) if steps > 0 else ImageFilter.MinFilter(3))
        np.testing.assert_array_equal(pre._morph(mask, steps), np.asarray(image) > 127)

    @pytest.mark.parametrize("factor, shape", [(2, (7, 9)), (3, (300, 200)), (10, (801, 597))])
    def test_max_pooling_keeps_each_blocks_largest_value(self, factor, shape):
        """The oracle: the largest value of each block, one block at a time (zeros past the edge)."""
        image = np.random.default_rng(factor).random(shape).astype(np.float32)
        rows, cols = -(-shape[0] // factor), -(-shape[1] // factor)
        expected = np.array(
            [
                [image[i * factor : (i + 1) * factor, j * factor : (j + 1) * factor].max() for j in range(cols)]
                for i in range(rows)
            ]
        )
        np.testing.assert_array_equal(pre.max_pool(image, factor), expected)


class TestInputForms:
    def test_white_on_black(self, reference):
        assert similarity(preprocess(ImageOps.invert(drawing())), reference) > 0.97

    def test_grey_background_and_colour_ink(self, reference):
        grey = np.asarray(drawing().convert("L"), dtype=np.float32)
        coloured = np.stack([np.where(grey < 128, c, 200) for c in (30, 60, 160)], axis=-1).astype(np.uint8)
        assert similarity(preprocess(Image.fromarray(coloured)), reference) > 0.97

    def test_transparent_strokes_black_or_white(self, reference):
        assert similarity(preprocess(ink_layer(drawing())), reference) > 0.97
        assert similarity(preprocess(ink_layer(drawing(), color=(255, 255, 255))), reference) > 0.97

    def test_sketchpad_value_forms(self, reference):
        image = drawing()
        white = Image.new("RGBA", image.size, "white")
        forms = [
            {"background": white, "layers": [ink_layer(image)], "composite": image.convert("RGBA")},
            {"background": None, "layers": [], "composite": image},
            {"background": white, "layers": [ink_layer(image)], "composite": None},
            {"background": None, "layers": [ink_layer(image)], "composite": None},
            {"background": image, "layers": [], "composite": None},  # an example loaded as background
        ]
        for form in forms:
            assert similarity(preprocess(form), reference) > 0.97, form

    def test_numpy_arrays(self, reference):
        array = np.asarray(drawing())
        assert similarity(preprocess(array), reference) > 0.97
        assert similarity(preprocess(array.astype(np.float32) / 255), reference) > 0.97

    @pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F"])
    def test_every_pil_mode(self, reference, mode):
        image = drawing()
        if mode == "I;16":
            converted = Image.fromarray(np.asarray(image.convert("L"), np.uint16) * 257)
        elif mode == "P":
            converted = image.convert("P")
            converted.info["transparency"] = 255  # palette index 255 (white) is transparent
        else:
            converted = image.convert(mode)
        buffer = io.BytesIO()
        converted.save(buffer, format="TIFF" if mode in ("I;16", "I", "F", "CMYK") else "PNG")
        assert similarity(preprocess(buffer.getvalue()), reference) > 0.95

    @pytest.mark.parametrize("format", ["JPEG", "PNG"])
    def test_exif_rotation_is_honoured(self, reference, format):
        rotated = drawing().rotate(-90, expand=True)  # stored turned clockwise...
        exif = Image.Exif()
        exif[0x0112] = 8  # ...with the EXIF orientation that says "turn 90 degrees back to view"
        buffer = io.BytesIO()
        rotated.save(buffer, format=format, exif=exif, **({"quality": 95} if format == "JPEG" else {}))
        assert similarity(preprocess(buffer.getvalue()), reference) > 0.95

    def test_animated_gif_reads_the_first_frame(self, reference):
        frames = [drawing().convert("P"), drawing(digit=7).convert("P")]
        buffer = io.BytesIO()
        frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
        assert similarity(preprocess(buffer.getvalue()), reference) > 0.95


class TestNothingToRead:
    @pytest.mark.parametrize(
        "value",
        [
            None,
            Image.new("RGB", (800, 800), "white"),
            Image.new("RGB", (800, 800), "black"),
            Image.new("RGBA", (800, 800), (0, 0, 0, 0)),
            {"background": None, "layers": [], "composite": None},
        ],
        ids=["none", "white", "black", "transparent", "empty-sketch"],
    )
    def test_blank_inputs_are_empty(self, value):
        with pytest.raises(EmptyImageError):
            preprocess(value)

    def test_faint_texture_is_not_ink(self):
        noise = np.random.default_rng(0).integers(245, 256, (300, 300), dtype=np.uint8)
        with pytest.raises(EmptyImageError):
            preprocess(Image.fromarray(noise))


class TestPlainPng:
    """A plain PNG, as a canvas sends, is decoded by libspng rather than Pillow (digits.images)."""

    @pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
    def test_the_same_pixels_as_pillow_decodes(self, mode):
        pixels = np.array(drawing().convert("RGBA"))
        # noise, whose rows Pillow's encoder filters by sub, up and Paeth (flat rows: none)
        pixels[100:300, 50:750] = np.random.default_rng(0).integers(0, 256, (200, 700, 4))
        data = png(Image.fromarray(pixels).convert(mode))
        ours, pillows = open_image(data), Image.open(io.BytesIO(data))
        assert not isinstance(ours, PngImagePlugin.PngImageFile)  # not decoded by Pillow
        assert ours.mode == pillows.mode == mode and np.array_equal(np.asarray(ours), np.asarray(pillows))

    def test_what_pillow_makes_more_of_is_left_to_pillow(self):
        image = drawing()
        exif = Image.Exif()
        exif[0x0112] = 8
        kinds = {
            "a transparent colour": png(image, transparency=(255, 255, 255)),
            "EXIF": png(image, exif=exif),
            "an animation": png(image, save_all=True, append_images=[drawing(7)]),
            "grey and alpha": png(image.convert("LA")),
            "16 bits": png(Image.fromarray(np.asarray(image.convert("L"), np.uint16) * 257)),
        }
        for kind, data in kinds.items():
            assert isinstance(open_image(data), PngImagePlugin.PngImageFile), kind
        assert open_image(kinds["a transparent colour"]).info["transparency"] == (255, 255, 255)


class TestBadFiles:
    def test_corrupt_bytes(self):
        buffer = io.BytesIO()
        drawing().save(buffer, format="PNG")
        with pytest.raises(ImageError, match="not a readable image"):
            open_image(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    def test_text_file(self):
        with pytest.raises(ImageError, match="not a readable image: not an image format Pillow recognises"):
            open_image(b"hello, I am not a picture")

    def test_decompression_bomb_is_refused_before_decoding(self):
        buffer = io.BytesIO()
        Image.new("1", (20_000, 20_000)).save(buffer, format="PNG")  # 400 MP in a few kB
        assert len(buffer.getvalue()) < 200_000
        with pytest.raises(ImageError, match="too large"):
            open_image(buffer.getvalue())

    @pytest.mark.parametrize("size", [(3, 10_000), (10_000, 3), (1, 1600)])
    def test_a_line_of_extreme_aspect_ratio_is_a_stroke_in_the_frame(self, size):
        """A one-stroke image thousands of times longer than wide: its longer side fills the
        20 px box, centred, as a 1 (or a dash) would."""
        image = Image.new("L", size, 255)
        image.paste(0, (0, 0, size[0], size[1]))  # all ink, on a white border added below
        framed = ImageOps.expand(image, border=4, fill=255)
        result = preprocess(framed)
        rows, cols = np.nonzero(result > 0.05)
        long_side, short_side = (rows, cols) if size[1] > size[0] else (cols, rows)
        assert np.ptp(long_side) + 1 in (19, 20, 21)
        assert np.ptp(short_side) + 1 <= 6
        assert abs(long_side.mean() - 13.5) <= 1.0


def test_target_stroke_is_mnist_median(mnist):
    """TARGET_STROKE is MNIST's own median stroke width, measured the same way."""
    widths = []
    for image in mnist.x_train[:2000]:
        ink = image.astype(np.float32) / 255
        box = pre.bounding_box(ink > 0)
        widths.append(pre.stroke_width(pre.work_mask(ink[box])))
    assert abs(np.median(widths) - pre.TARGET_STROKE) < 0.5


def test_mnist_digits_are_framed_and_kept_as_they_are(mnist):
    """An MNIST digit is already framed as MNIST frames one: ``as_framed`` gives it back as it
    is, grey levels and all, white on black or black on white, and enlarged too. Moved off its
    centre, made small, or small on a larger canvas, it is framed no longer and is redrawn as
    any drawing is."""
    for image in mnist.x_test[:500]:
        framed = pre.as_framed(Image.fromarray(image))
        assert framed is not None
        np.testing.assert_allclose(framed, image / image.max(), atol=1 / 255)
        inverted = pre.as_framed(ImageOps.invert(Image.fromarray(image)))
        np.testing.assert_allclose(inverted, framed, atol=1 / 255)
        enlarged = pre.as_framed(ImageOps.invert(Image.fromarray(image)).resize((280, 280), Image.NEAREST))
        np.testing.assert_allclose(enlarged, framed, atol=1 / 255)
        assert pre.as_framed(Image.fromarray(image).resize((100, 100), Image.BICUBIC)) is not None
    image = mnist.x_test[0]
    moved = np.zeros_like(image)
    moved[:, 4:] = image[:, :-4]
    small = np.zeros_like(image)
    small[9:19, 9:19] = np.asarray(Image.fromarray(image[4:24, 4:24]).resize((10, 10)))
    assert pre.as_framed(Image.fromarray(moved)) is None
    assert pre.as_framed(Image.fromarray(small)) is None
    assert pre.as_framed(ImageOps.expand(Image.fromarray(image), border=14)) is None
    assert pre.as_framed(ImageOps.expand(Image.fromarray(image), border=14).resize((280, 280))) is None


@pytest.mark.parametrize("brush", [3, 12, 50])
@pytest.mark.parametrize("smooth", [False, True])
def test_a_digit_drawn_large_in_the_middle_of_a_canvas_is_not_framed(brush, smooth):
    """A drawing on a canvas, its ink where an enlarged MNIST digit's would be, is redrawn as the
    networks learnt drawings, not reduced as an enlarged image: its strokes are solid, edges
    anti-aliased or not (``smooth``: drawn 4 times larger and reduced, as a browser smooths
    them), hairlines too."""
    scale = 4 if smooth else 1
    paths = stroke_paths(3, left=260 * scale, top=130 * scale, height=500 * scale)
    image = sketch_of_paths(paths, brush=brush * scale, canvas_size=800 * scale).resize((800, 800), Image.BOX)
    ink = pre.ink_image(image)
    box = ink.getbbox()
    reduced = pre.ink_image(image, grain=0.0).resize((28, 28), Image.BOX)
    assert pre.FRAMED_SIDES[0] <= max(box[2] - box[0], box[3] - box[1]) / 800 * 28 <= pre.FRAMED_SIDES[1]
    assert pre.as_framed(image) is None
    assert pre.as_framed(image, ink, box) is None
    if brush == 50:  # all that keeps it out is that its strokes are solid
        assert pre.as_framed(reduced) is not None
