"""The reader: the one way from an image to an answer, for the app, the benchmarks and the tests.

Preprocessing, the models, and an honest verdict (``readings``). A drawing that is one piece of
ink, no wider than a digit, is a lone digit: the digit network reads it, whole, and where it is
unsure, looks again and asks the sequence networks. Anything else may be a number, read by a
``NumberReader``: piece by piece and as a line, with both kinds of network. Without a sequence
network (or with ``numbers="segments"``), wide pieces are cut into digits by ``segment`` and each
is read like a lone one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import keras
import numpy as np
from PIL import Image

from digits.reading.explain import occlusion_map, overlay, to_drawing
from digits.reading.inference import Predictor, SequencePredictor
from digits.reading.number_reader import SEQUENCE_WEIGHT, NumberReader, joined
from digits.reading.preprocess import (
    EmptyImageError,
    as_framed,
    crop_ink,
    digit_image,
    drawing_image,
    ink_image,
    turned,
)
from digits.reading.readings import (
    BLOB,
    PROMPT,
    Box,
    Reading,
    box_height,
    box_width,
    digit_verdict,
    is_blob,
    moved,
    number_verdict,
    refuse_past_max,
    verdict,
)
from digits.reading.segment import SPLIT_WIDER_THAN, Part, segment

# A lone digit that the digit network reads at under SECOND_LOOK_BELOW is read again, turned by
# each of SECOND_LOOK_TURNS degrees, and the three readings averaged (test-time augmentation). On
# the 10 validation writers' lone digits (the networks learnt from neither; 8 drawings of each,
# 8,296 images), of the 140 read wrong or unsure, turns of 8 degrees each way read 18 right, 1 %
# of the digits looked at twice; turns of 5 degrees, 13; one-pixel shifts, 7; looking again at
# those under 0.9 rather than 0.6, 14. Only a lone digit: the weighing of a number's readings is
# set for the network's own (the same turns for every image the digit network reads, a number's
# pieces and columns too, read 6 fewer of the number bench's real numbers: docs/experiments.md).
SECOND_LOOK_BELOW = 0.6
SECOND_LOOK_TURNS = (8.0, -8.0)
# A lone digit that the digit network reads at under LINE_OPINION_BELOW is read by the sequence
# networks too, as a line of one digit, and the two opinions joined, theirs weighing
# LINE_OPINION_WEIGHT: they learnt from other drawings (whole lines, and a 1 with a long, low
# flag, which the digit network does not learn). On the 10 validation writers' lone digits (8
# drawings of each with the 50 px brush, one with 36 px and one with 8 px; 10,370 images, 432 of
# them under 0.9), 18 were read right that the digit network alone read wrong and 9 wrong that it
# read right; with a weight of 0.5, as a line's digits are joined, 23 and 37 (one writer's 8s read
# as 3s). Their digits drawn in the styles only measured: 11 more right of 1,400, the 1 with a
# long, low flag 66 -> 75 of 100 (the digit network reads those at 0.6 to 0.9: a bound of 0.6
# gains none of them). Read so, a lone digit takes 1.6 times as long (6.6 ms against 4.1, medians,
# decoded), for 2 % of the held-out writers' digits. Not a digit drawn under SMALL_BLOB_SHARE of
# the image's side, whose loops a fat brush may have filled: the sequence networks learnt lines
# drawn with open loops, and of 1,000 held-out digits drawn 80 px tall with the stock 50 px brush
# (bench/sizes.py), joined they read 33 fewer right (36 lost, 3 gained).
LINE_OPINION_BELOW = 0.9
LINE_OPINION_WEIGHT = 0.25
# ...but where one reads a 1 and the other a 7, theirs weighs as in a line (SEQUENCE_WEIGHT): that
# is the long, low flag they learnt and the digit network did not. On the same validation images,
# 2 of the 8,296 drawn with the 50 px brush read wrong that were read right (two 7s read as 1),
# none of the other 2,074 changed, and the long, low flag 75 -> 84 of 100; a weight of 0.4, none
# lost and 80; 0.6, 4 lost and 85.
DISPUTED_PAIRS = ({1, 7},)
# A reading keeps the ink around what it read, for the boxes, the "why" view and corrections:
# the ink's box and this share of its height around it (at least MARGIN pixels), reduced to at
# most KEPT_SIDE pixels a side (100 KB at most), not the whole canvas at full size (640 KB, or
# 2.5 MB for a photo), which each session of the page would hold.
MARGIN = 8
MARGIN_SHARE = 1 / 8
KEPT_SIDE = 320
# Ink whose longer side is less than this share of the image's is a dot or a speck, not a
# digit anyone drew (24 px of the 800 px canvas); its reading is shown but marked uncertain.
MIN_INK_SHARE = 0.03
TOO_SMALL = "That is too small to read: draw the digit larger."
# A blob whose ink is less than this share of the image's side (160 px of the 800 px canvas) is
# as likely a digit drawn small for its brush, its loops filled in: with the stock 50 px brush,
# 12 % of the held-out writers' digits drawn 80 px tall come out blobs (bench/sizes.py), and the
# digit network reads 97 of those 115 right, 110 of them at 50 % or more. So it is read as the
# digit the network sees, and the answer says to draw larger to be sure; unsure, it says why.
# What that gives up: a scribble that small is read as a digit too (bench/uncertainty.py: 68.4 ->
# 66.8 % of scribbles marked unsure); a small filled disc is what a 0 drawn with that brush is.
SMALL_BLOB_SHARE = 0.2
FILLED_IN = "That is too small for the brush: its loops filled in. Draw the digit larger."
SMALL_FOR_THE_BRUSH = "but drawn small for the brush: its loops may have filled in. Draw it larger to be sure."


class LoadedModel(Protocol):
    """What the reader needs of a model that was found (see ``digits.storage.resolver``)."""

    model: keras.Model
    path: Path
    sha256: str


class LoadedModels(Protocol):
    digit: LoadedModel  # 28x28 -> 10 digits
    numbers: tuple[LoadedModel, ...]  # each: a line -> a digit sequence (CTC); none: numbers are cut


class DigitReader:
    """Reads images with the models that ``load_models`` gives, fetched on first use.

    Args:
        load_models: finds the models (it may download or train them); called once.
        numbers: "sequence" reads numbers with the sequence networks when there are any;
            "segments" always cuts them into digits (the reader before the sequence network).
    """

    def __init__(self, load_models: Callable[[], LoadedModels], *, numbers: str = "sequence") -> None:
        if numbers not in ("sequence", "segments"):
            raise ValueError(f"numbers must be 'sequence' or 'segments', not {numbers!r}")
        self._load_models = load_models
        self.numbers = numbers
        self._lock = threading.Lock()
        self._predictor: Predictor | None = None
        self._sequences: tuple[SequencePredictor, ...] = ()
        self.loaded: LoadedModels | None = None

    def load(self) -> LoadedModels:
        """Find and warm up the models (once; later calls return at once)."""
        with self._lock:
            if self.loaded is None:
                loaded = self._load_models()
                predictor = Predictor(loaded.digit.model)
                predictor.warm_up()
                if self.numbers == "sequence":
                    self._sequences = tuple(SequencePredictor(number.model) for number in loaded.numbers)
                    for sequence in self._sequences:
                        sequence.warm_up()
                self._predictor, self.loaded = predictor, loaded
        return self.loaded

    @property
    def model_id(self) -> str:
        """The model files' names and the starts of their SHA-256, to tell models apart."""
        loaded = self.load()
        models = [loaded.digit, *(loaded.numbers if self._sequences else ())]
        return "+".join(f"{model.path.name}@{model.sha256[:12]}" for model in models)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """The model's (N, 10) probabilities for (N, 28, 28) preprocessed images."""
        self.load()
        return self._predictor.probabilities(images)

    def read(self, value: Any, *, keep_drawing: bool = True) -> Reading:
        """The reading of one input: a sketchpad value, an image or an image file.

        One digit is read from all the ink, as it always was; several side by side are read
        one by one, as a number. With ``keep_drawing=False`` the reading keeps no ink (its
        ``drawing`` is None): an API caller gets the digits and their boxes, and nothing it
        does not ask for is made.

        Raises:
            ImageError: the input is not an image, or is damaged or too large.
            DrawingRefused: the ink cannot be a digit or a number (too many marks or digits).
        """
        try:
            image = drawing_image(value)
            ink = ink_image(image)
            crop, box = crop_ink(ink)
        except EmptyImageError:
            return Reading("empty", PROMPT)
        where = {"box": box, **(_kept(ink, box) if keep_drawing else {})}
        self.load()
        if (framed := _framed(image, ink, crop, box)) is not None:
            return verdict(self._alone(framed), framed, blob_fill=1.0, **where)
        groups = segment(crop)
        numbers = self._number_reader() if self._sequences else None
        whole = None  # (seen, probabilities): all the ink read as one digit, once it has been
        if len(groups) == 1 and box_width(groups[0].box) <= SPLIT_WIDER_THAN * box_height(groups[0].box):
            number = None  # one piece of ink no wider than tall: a lone digit
        elif numbers is None:
            number = self._read_cut(crop, box)
        else:
            number, whole = numbers.read(crop, box, groups)
        if number:
            return number_verdict(number, **where)
        whole = whole or self._whole(crop)
        if whole is None:
            return Reading("empty", PROMPT)
        seen, probabilities, side = *whole, max(box_width(box), box_height(box))
        small = side < SMALL_BLOB_SHARE * max(ink.size)  # for the brush: its loops may have filled in
        if not small:
            probabilities = self._lone_digit(crop, probabilities, numbers)
        reading = verdict(probabilities, seen, **where)
        if reading.message == BLOB and small:
            reading = verdict(probabilities, seen, blob_fill=1.0, **where)  # no fill makes it a blob
            note = f"{reading.message}, {SMALL_FOR_THE_BRUSH}" if reading.status == "digit" else FILLED_IN
            reading = replace(reading, message=note)
        if reading.status == "digit" and side < MIN_INK_SHARE * max(ink.size):
            return replace(reading, status="uncertain", message=TOO_SMALL)
        return reading

    def _whole(self, crop: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """All the ink as one digit: the image the digit network reads and its probabilities;
        None if preprocessing finds no ink."""
        seen = digit_image(crop)
        return None if seen is None else (seen, self._alone(seen))

    def _alone(self, seen: np.ndarray) -> np.ndarray:
        """The digit network's probabilities for one 28x28 image read as a lone digit: where it is
        unsure (under SECOND_LOOK_BELOW), the mean of its readings of the image as it is and turned
        by each of SECOND_LOOK_TURNS."""
        probabilities = self.probabilities(seen[np.newaxis])[0]
        if probabilities.max() >= SECOND_LOOK_BELOW:
            return probabilities
        again = self.probabilities(np.stack([turned(seen, degrees) for degrees in SECOND_LOOK_TURNS]))
        return np.mean([probabilities, *again], axis=0)

    def _lone_digit(self, crop: np.ndarray, probabilities: np.ndarray, numbers: NumberReader | None) -> np.ndarray:
        """A lone digit's probabilities: the digit network's (``probabilities``), joined, where they
        are under LINE_OPINION_BELOW, with the sequence networks' reading of the ink as a line of
        one digit (a weighted geometric mean, LINE_OPINION_WEIGHT theirs, or SEQUENCE_WEIGHT where
        the two read one of DISPUTED_PAIRS). ``numbers``: the drawing's NumberReader (None: there are
        no sequence networks), which may have read the same ink as a number already."""
        if numbers is None or float(probabilities.max()) >= LINE_OPINION_BELOW:
            return probabilities
        sequence = numbers.one_digit(crop)
        disputed = {int(sequence.argmax()), int(probabilities.argmax())} in DISPUTED_PAIRS
        return joined(sequence, probabilities, SEQUENCE_WEIGHT if disputed else LINE_OPINION_WEIGHT)

    def _number_reader(self) -> NumberReader:
        """A reader of this drawing's ink as a number (one for each drawing: see NumberReader)."""
        return NumberReader(self.probabilities, self._sequences, self._whole)

    def _read_cut(self, crop: np.ndarray, box: Box) -> list[Reading] | None:
        """The digits ``segment`` cuts the ink into, each read like a lone one; None for one."""
        # A part so faint that preprocessing finds no ink in it (an anti-aliased sliver) is no digit.
        readable = [
            (part, image) for part in segment(crop, self._surety) if (image := digit_image(part.ink)) is not None
        ]
        if len(readable) <= 1:
            return None
        refuse_past_max(readable)
        parts, images = zip(*readable, strict=True)
        seen = np.stack(images)
        return [
            digit_verdict(probabilities, image, moved(part.box, box[0], box[1]))  # crop -> drawing
            for part, probabilities, image in zip(parts, self.probabilities(seen), seen, strict=True)
        ]

    def explain(self, reading: Reading) -> Image.Image | None:
        """The drawing with where each digit's evidence came from in red (see digits.explain)."""
        digits = reading.parts or ((reading,) if reading.seen is not None else ())
        if reading.drawing is None or not digits:
            return None
        heat = np.zeros(reading.drawing.shape, np.float32)
        for part in digits:
            local = occlusion_map(self.probabilities, part.seen, part.digit)
            np.maximum(heat, to_drawing(local, part.seen, reading.in_drawing(part.box), heat.shape), out=heat)
        return overlay(reading.drawing, heat)

    def _surety(self, parts: list[Part]) -> list[float]:
        """How surely the model reads each part; a part with no ink left is read with surety 0."""
        images = [digit_image(part.ink) for part in parts]
        readable = [image for image in images if image is not None]
        sure = iter(self.probabilities(np.stack(readable)).max(axis=1) if readable else [])
        return [0.0 if image is None else float(next(sure)) for image in images]


def _kept(ink: Image.Image, box: Box) -> dict[str, Any]:
    """What a reading keeps of the ink (``Reading.drawing``, ``origin`` and ``scale``): the ink's
    box and a margin around it, reduced to at most KEPT_SIDE pixels a side."""
    margin = max(MARGIN, round(MARGIN_SHARE * (box[3] - box[1])))
    around = (
        max(box[0] - margin, 0), max(box[1] - margin, 0),
        min(box[2] + margin, ink.width), min(box[3] + margin, ink.height),
    )  # fmt: skip
    kept = ink.crop(around)
    scale = min(1.0, KEPT_SIDE / max(kept.size))
    if scale < 1:
        kept = kept.resize((max(1, round(kept.width * scale)), max(1, round(kept.height * scale))), Image.BOX)
    return {"drawing": np.asarray(kept), "origin": around[:2], "scale": scale}


def _framed(image: Image.Image, ink: Image.Image, crop: np.ndarray, box: Box) -> np.ndarray | None:
    """``image`` as the digit network reads it if it is one digit as MNIST frames it (an MNIST
    image or one enlarged, see ``as_framed``; ``ink``, its ink in ``box``), to be read as it is
    and not as a blob; None if it is not, or if it is a blob once redrawn as a drawing is (the
    blob rule's measure: MNIST's own strokes, thicker than redrawn ones, fill 0.6 % of its test
    digits' boxes past BLOB_FILL)."""
    framed = as_framed(image, ink, box)
    if framed is None or (redrawn := digit_image(crop)) is None or is_blob(redrawn):
        return None
    return framed
