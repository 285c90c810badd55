"""The reader: the one way from an image to an answer, for the app, the benchmarks and the tests.

Preprocessing, the models, and an honest verdict. A drawing that is one piece of ink, no wider
than a digit, is a lone digit: the digit network reads it, whole. Anything else may be a number,
and is read two ways. Piece by piece: its pieces of ink (``segment``) that are no wider than a
digit are read by the digit network one by one (unless it is unsure and the sequence networks
find two digits there, a 1 touching its neighbour), and each wider piece, digits that touch or
overlap, by the sequence networks, which read it as a line and say where each digit lies
(``sequence``). And whole: all the ink as one line. Where the two readings differ, the one
likelier to both kinds of network wins. There are two sequence networks, trained alike but
with different brushes, and each reading is weighed by both: together they read more numbers
right than either alone. Without a sequence network (or with ``numbers="segments"``),
wide pieces are cut into digits by ``segment`` and each is read like a lone one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import keras
import numpy as np
from PIL import Image

from digits.reading.explain import occlusion_map, overlay, to_drawing
from digits.reading.inference import Predictor, SequencePredictor
from digits.reading.preprocess import (
    DrawingRefused,
    EmptyImageError,
    as_framed,
    bounding_box,
    crop_ink,
    drawing_image,
    ink_image,
    preprocess_ink,
    turned,
)
from digits.reading.segment import SPLIT_WIDER_THAN, SURE_WHOLE, Part, segment
from digits.reading.sequence import BLANK, Line, Symbol, Views, preprocess_lines, spans

# Below this top probability the answer is "uncertain" (bench/uncertainty.py: how often that
# fires on real digits and on scribbles). On the held-out pen writers, 0.5 instead of 0.6 read
# 0.16 % more of their digits right and flagged 1 % fewer scribbles (69 % instead of 70 %).
UNCERTAIN_BELOW = 0.5
# A wide shape that fills more of its box than this is a blob, not a digit...
BLOB_FILL = 0.6
# ...and a digit of a number, more than this: people draw numbers smaller for the brush than lone
# digits, and a small digit's loops fill. Of the held-out writers' digits in numbers (8
# renderings, the page's brush) that 0.6 marked "?", 14 of 16 were read right, filling 60-67 % of
# their box; of the pieces of scribbles read as numbers that it marks, 111 of 116 fill over 68 %.
NUMBER_BLOB_FILL = 0.68
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
PROMPT = "Draw a digit (0-9) to see what the model reads."
# A reading keeps the ink around what it read, for the boxes, the "why" view and corrections:
# the ink's box and this share of its height around it (at least MARGIN pixels), reduced to at
# most KEPT_SIDE pixels a side (100 KB at most), not the whole canvas at full size (640 KB, or
# 2.5 MB for a photo), which each session of the page would hold.
MARGIN = 8
MARGIN_SHARE = 1 / 8
KEPT_SIDE = 320
MAX_DIGITS = 16  # a longer number is refused
# Ink whose longer side is less than this share of the image's is a dot or a speck, not a
# digit anyone drew (24 px of the 800 px canvas); its reading is shown but marked uncertain.
MIN_INK_SHARE = 0.03
TOO_SMALL = "That is too small to read: draw the digit larger."
BLOB = "That looks like a blob or a scribble, not a digit."
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
# Where the two readings of one wide piece of ink (piece by piece, and as one line) disagree and
# one of them is a single digit, that one wins unless the sequence networks find the other
# e**ONE_DIGIT_ODDS times likelier: they learnt numbers, and read some lone wide digits
# (0, 5) as two. With 0 instead of 10, three times as many lone digits came back as two
# (bench/number_reading.py counts them). Pieces side by side get no such odds: a writer's "11",
# two flagged 1s apart, came back as a 7. A piece no wider than a digit, beside others, that the
# digit network is unsure of gets the same odds against the sequence networks' two digits in it.
# Unsure, there, is under SURE_WHOLE: a 1 and a 2 that touch in one piece were read as a 0 at 56
# to 97 %. On the number bench's real numbers (24 drawings of each), the rule read 5 more right
# (all the same "123456") and none fewer; a 6-digit number took 1.10 times as long as without it
# (medians of 144 drawings, each read both ways in turn; under 0.9 instead: 1.01 times, the
# bench's drawings read alike, but the 0 at 92 % stays a 0). At most MAX_DIGITS pieces are read
# so: 16 pieces of scribble, each unsure, took 142 ms rather than 60 (a slow hour's medians).
ONE_DIGIT_ODDS = 10.0
# Each sequence network reads each line at these widths, relative to ``preprocess_line``'s, and
# every reading is weighed by its mean log-likelihood over them all. Drawn with the page's brush,
# people's numbers come out wider for their height than the lines it learnt from (0.88 of the height a
# digit against 0.78, medians), and it reads them better a little squeezed: on 8 renderings
# of the held-out writers' 328 real numbers, 1.0 alone read 94.8 % of those whose digits stand
# apart and 81.1 % of those that touch; (1.0, 0.85) 95.3 and 82.7 %, for 1-3 ms more a number.
SQUEEZES = (1.0, 0.85)
# Each digit read in a line joins two opinions: the sequence networks' p_s, where they read it,
# and the digit network's p_d, on the ink in its columns, as p_s**w * p_d**(1 - w). Where those
# columns are cut through ink (the digit touches a neighbour), the digit network sees bits of the
# neighbour too, and the sequence networks weigh more. On numbers composed of the held-out
# writers' digits, touching, 800 drawings: 0.5 everywhere read 45.6 % right, 0.8 where cut 60.7 %
# (0.9: 61.5 %); their real numbers (bench/number_reading.py, 8 renderings) 94.0 -> 94.4 %,
# 78.8 -> 81.1 % of those that touch; the validation writers' 96.5 % either way. Scribbles read as
# numbers get fewer "?" (bench/uncertainty.py: 67.6 -> 67.0 % marked unsure).
SEQUENCE_WEIGHT = 0.5
SEQUENCE_WEIGHT_CUT = 0.8
# Readings of one line that differ (each view's best path; the line read piece by piece) are
# weighed by the sequence networks' mean log-likelihood of their digits plus DIGIT_WEIGHT times
# the digit network's log-probability of each digit in its own ink: the digit network reads a
# digit better than the sequence networks do in a line. On 8 renderings of the held-out writers'
# real numbers (the likeliest view's path alone, against the piece-by-piece reading): 0.5 read
# 94.5 % right, 1.0 94.7 %, 2.0 95.1 %, 3.0 94.9 %; numbers of MNIST test digits and lone digits
# as they were (bench/number_reading.py's drawings).
DIGIT_WEIGHT = 2.0


Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the drawing's pixels


@dataclass(frozen=True)
class Reading:
    """What the app says about one image: a digit, a number of several, or why neither."""

    status: str  # "digit", "uncertain", "number" or "empty"
    message: str
    probabilities: np.ndarray | None = None  # (10,), for one digit
    seen: np.ndarray | None = None  # the 28x28 image the model read, for one digit
    box: Box | None = None  # where the digit (or the number) is in the drawing
    parts: tuple[Reading, ...] = ()  # a number's digits, left to right
    drawing: np.ndarray | None = None  # the ink map around ``box`` (uint8, 255 = ink; None: not kept)...
    origin: tuple[int, int] = (0, 0)  # ...whose top left corner is here in the drawing...
    scale: float = 1.0  # ...reduced by this factor

    @property
    def digit(self) -> int | None:
        return None if self.probabilities is None else int(self.probabilities.argmax())

    @property
    def confidence(self) -> float | None:
        return None if self.probabilities is None else float(self.probabilities.max())

    def in_drawing(self, box: Box) -> Box:
        """``box``, from the whole drawing's pixels to those of ``drawing``."""
        x0, y0, x1, y1 = _moved(box, -self.origin[0], -self.origin[1])
        return (
            int(x0 * self.scale),
            int(y0 * self.scale),
            int(np.ceil(x1 * self.scale)),
            int(np.ceil(y1 * self.scale)),
        )

    @property
    def text(self) -> str:
        """The digits read, left to right ("?" for one the model is unsure of); "" if none."""
        if self.parts:
            return "".join(part.text for part in self.parts)
        if self.status == "digit":
            return str(self.digit)
        return "?" if self.status == "uncertain" else ""


def is_blob(seen: np.ndarray, *, fill: float = BLOB_FILL) -> bool:
    """A filled (more than ``fill`` of its box), roughly round shape: a smudge or scribble rather
    than a digit."""
    mask = seen > 0.5
    box = bounding_box(mask)
    if box is None:
        return False
    rows, cols = box
    height, width = rows.stop - rows.start, cols.stop - cols.start
    return width / height > 0.65 and mask.sum() / (height * width) > fill


def verdict(probabilities: np.ndarray, seen: np.ndarray, *, blob_fill: float = BLOB_FILL, **where: Any) -> Reading:
    digit, confidence = int(probabilities.argmax()), float(probabilities.max())
    if is_blob(seen, fill=blob_fill):
        return Reading("uncertain", BLOB, probabilities, seen, **where)
    if confidence < UNCERTAIN_BELOW:
        message = f"Not sure: maybe {digit} ({confidence:.0%})."
        return Reading("uncertain", message, probabilities, seen, **where)
    return Reading("digit", f"{digit} ({confidence:.0%} sure)", probabilities, seen, **where)


def digit_verdict(probabilities: np.ndarray, seen: np.ndarray, box: Box) -> Reading:
    """The verdict on one digit of a number (a blob only past NUMBER_BLOB_FILL)."""
    return verdict(probabilities, seen, blob_fill=NUMBER_BLOB_FILL, box=box)


def number_verdict(parts: list[Reading], **where: Any) -> Reading:
    """The reading of several digits side by side."""
    text = "".join(part.text for part in parts)
    unsure = [position for position, part in enumerate(parts, 1) if part.status != "digit"]
    if unsure:
        which = ", ".join(_ordinal(position) for position in unsure)
        message = f"Read {text}: not sure of the {which} digit{'s' if len(unsure) > 1 else ''}."
    else:
        message = f"Read {text}: " + ", ".join(f"{part.digit} ({part.confidence:.0%})" for part in parts) + "."
    return Reading("number", message, parts=tuple(parts), **where)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


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
        whole = None  # (seen, probabilities): all the ink read as one digit, once it has been
        if len(groups) == 1 and _width(groups[0].box) <= SPLIT_WIDER_THAN * _height(groups[0].box):
            number = None  # one piece of ink no wider than tall: a lone digit
        elif not self._sequences:
            number = self._read_cut(crop, box)
        else:
            number, whole = self._read_number(crop, box, groups)
        if number:
            return number_verdict(number, **where)
        whole = whole or self._whole(crop)
        if whole is None:
            return Reading("empty", PROMPT)
        seen, probabilities, side = *whole, max(_width(box), _height(box))
        small = side < SMALL_BLOB_SHARE * max(ink.size)  # for the brush: its loops may have filled in
        if not small:
            probabilities = self._lone_digit(crop, probabilities)
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
        seen = _seen(crop)
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

    def _lone_digit(self, crop: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
        """A lone digit's probabilities: the digit network's (``probabilities``), joined, where they
        are under LINE_OPINION_BELOW, with the sequence networks' reading of the ink as a line of
        one digit (a weighted geometric mean, LINE_OPINION_WEIGHT theirs, or SEQUENCE_WEIGHT where
        the two read one of DISPUTED_PAIRS)."""
        if not self._sequences or float(probabilities.max()) >= LINE_OPINION_BELOW:
            return probabilities
        views = self._views(crop)
        one_digit = np.array([views.log_likelihood(str(digit)) for digit in range(len(probabilities))])
        sequence = np.exp(one_digit - one_digit.max())  # given one digit, each digit's probability
        disputed = {int(sequence.argmax()), int(probabilities.argmax())} in DISPUTED_PAIRS
        return _joined(sequence / sequence.sum(), probabilities, SEQUENCE_WEIGHT if disputed else LINE_OPINION_WEIGHT)

    def _read_number(
        self, crop: np.ndarray, box: Box, groups: list[Part]
    ) -> tuple[list[Reading] | None, tuple[np.ndarray, np.ndarray] | None]:
        """The digits of ink that may be a number (None: it is one digit), and the whole ink as
        one digit if that was read on the way.

        It is read two ways: piece by piece (``_read_groups``; one wide piece that the digit
        network reads whole with near certainty is one digit, a wide 0 or 5), and all the ink as
        one line (``_read_line``). Where the two agree, a digit is unsure only if both readings
        are (``_surer``). Where they disagree, the reading likelier to both kinds of network
        wins: the sequence networks' likelihood of its digits for the whole line, read at each of
        SQUEEZES' widths (``Views.log_likelihood``), times the digit network's probability of
        each digit in its own ink, to the power DIGIT_WEIGHT. For one wide piece, the line's
        reading and one digit are weighed by the sequence networks alone, with ONE_DIGIT_ODDS in
        favour of one digit: they learnt numbers, and may read a lone wide digit as two.
        """
        images = _Images(self.probabilities)  # a digit that both readings find is preprocessed and read once
        views = self._views(crop)
        as_line = self._read_line(crop, box, images, views)
        whole = None
        if len(groups) == 1:
            whole = self._whole(crop)
            if whole is None or float(whole[1].max()) < SURE_WHOLE or not as_line:
                return as_line, whole
            return (as_line if _more_than_one(views, as_line, whole[1]) else None), whole
        by_pieces = self._read_groups(groups, box, images)
        if _digits(by_pieces) == _digits(as_line):
            if not by_pieces:
                return None, whole
            return [_surer(piece, line) for piece, line in zip(by_pieces, as_line, strict=True)], whole

        def likelihood(digits: list[Reading] | None) -> float:
            nonlocal whole
            if digits:
                return _likelihood(digits, views, images)
            whole = whole or self._whole(crop)
            if whole is None:
                return -np.inf
            return _joint_likelihood(views, str(whole[1].argmax()), whole[1].max(keepdims=True))

        best = max((by_pieces, as_line), key=likelihood)
        return (_blobs_whole(best, by_pieces) if best is as_line and by_pieces else best), whole

    def _read_groups(self, groups: list[Part], box: Box, images: _Images) -> list[Reading] | None:
        """The digits of a number, from its pieces of ink (``segment``, uncut): a piece no wider
        than a digit is a digit, read by the digit network (or two that touch, ``_read_narrow``);
        a wider one, digits that touch or overlap, is read by the sequence networks (or as one
        digit, if they find one). None when that makes one digit in all."""
        found: list[Reading | tuple[np.ndarray, Box, np.ndarray]] = []  # readings, or (image, box, ink) to read
        for group in groups:
            where = _moved(group.box, box[0], box[1])  # crop -> drawing
            digits = (
                self._read_line(group.ink, where, images, self._views(group.ink))
                if _width(group.box) > SPLIT_WIDER_THAN * _height(group.box)
                else None
            )
            if digits:
                found.extend(digits)
            elif (seen := images(group.ink, where)) is not None:  # a faint sliver preprocessing erases is no digit
                found.append((seen, where, group.ink))
            _refuse_past_max(found)
        if len(found) <= 1:
            return None
        lone = [item for item in found if isinstance(item, tuple)]
        read = iter(images.probabilities([seen for seen, *_ in lone]) if lone else [])
        digits: list[Reading] = []
        for item in found:
            if isinstance(item, tuple):
                seen, where, ink = item
                probabilities = next(read)
                digits.extend(
                    self._read_narrow(ink, where, images, probabilities) or [digit_verdict(probabilities, seen, where)]
                )
            else:
                digits.append(item)
        _refuse_past_max(digits)
        return digits

    def _read_narrow(
        self, ink: np.ndarray, box: Box, images: _Images, probabilities: np.ndarray
    ) -> list[Reading] | None:
        """The digits in a piece no wider than a digit, beside others, if it holds two that touch
        (a 1 and its neighbour, together no wider than a digit); None for one digit. Where the
        digit network is unsure of one digit (under SURE_WHOLE: ``probabilities``, its reading of
        the piece), the sequence networks read the piece as a line, and their reading wins if
        they find it e**ONE_DIGIT_ODDS times likelier than the digit network's one digit."""
        if float(probabilities.max()) >= SURE_WHOLE:
            return None
        views = self._views(ink)
        digits = self._read_line(ink, box, images, views)
        return digits if digits and _more_than_one(views, digits, probabilities) else None

    def _views(self, crop: np.ndarray) -> Views:
        """The ink as the sequence networks' lines, one per squeeze, and each network's (frames, 11)
        outputs for each line: a view per network and width, the first network's first."""
        lines = preprocess_lines(crop, SQUEEZES)
        pictures = [line.image for line in lines]  # each network reads all the widths in one call
        frames = tuple(frame for network in self._sequences for frame in network.probabilities(pictures))
        return Views(lines * len(self._sequences), frames)

    def _read_line(self, crop: np.ndarray, box: Box, images: _Images, views: Views) -> list[Reading] | None:
        """The digits the sequence networks read in the ink (``views``: ``_views``'s), each with
        its box; None for one.

        Where the views' best paths differ, each is read (``_read_path``) and the likeliest to
        both kinds of network wins (``_likelihood``); where the likeliest to the sequence networks
        is one digit, it is one.
        """
        readings = [self._read_path(crop, box, images, *reading) for reading in views.readings()]
        if not readings[0]:
            return None
        readings = [reading for reading in readings if reading]
        if len(readings) == 1:
            return readings[0]
        return max(readings, key=lambda digits: _likelihood(digits, views, images))

    def _read_path(
        self, crop: np.ndarray, box: Box, images: _Images, line: Line, frames: np.ndarray, symbols: list[Symbol]
    ) -> list[Reading] | None:
        """The digits of one of the sequence networks' paths (``symbols``, read in ``frames`` of
        ``line``), each with its box; None for one.

        Each digit's probabilities join two opinions: the sequence network's, where it read the
        digit, and the digit network's, on the ink in that digit's columns (a weighted geometric
        mean: SEQUENCE_WEIGHT, or SEQUENCE_WEIGHT_CUT where the columns are cut through ink): on
        held-out writers' numbers that read more digits right than either alone.
        """
        if len(symbols) <= 1:
            return None
        _refuse_past_max(symbols)
        sequence, seen, boxes, weights = [], [], [], []
        for symbol, (left, right) in zip(symbols, spans(symbols, line, crop), strict=True):
            cell = crop[:, left:right]
            tight = bounding_box(cell > 0)
            if tight is None:  # the network placed a digit where there is no ink: read whole
                return None
            rows, cols = tight
            where = (box[0] + left + cols.start, box[1] + rows.start, box[0] + left + cols.stop, box[1] + rows.stop)
            image = images(cell[tight], where)
            if image is None:
                return None
            at = symbol.first + int(frames[symbol.first : symbol.last + 1, symbol.digit].argmax())
            sequence.append(frames[at, :BLANK] / max(float(frames[at, :BLANK].sum()), 1e-9))  # given a digit here
            seen.append(image)
            boxes.append(where)
            cut = _cut_through(crop, left) or _cut_through(crop, right)
            weights.append(SEQUENCE_WEIGHT_CUT if cut else SEQUENCE_WEIGHT)
        joint = _joined(np.stack(sequence), images.probabilities(seen), np.array(weights)[:, np.newaxis])
        return [digit_verdict(p, image, where) for p, image, where in zip(joint, seen, boxes, strict=True)]

    def _read_cut(self, crop: np.ndarray, box: Box) -> list[Reading] | None:
        """The digits ``segment`` cuts the ink into, each read like a lone one; None for one."""
        # A part so faint that preprocessing finds no ink in it (an anti-aliased sliver) is no digit.
        parts = [part for part in segment(crop, self._surety) if _seen(part.ink) is not None]
        if len(parts) <= 1:
            return None
        _refuse_past_max(parts)
        seen = np.stack([_seen(part.ink) for part in parts])
        return [
            digit_verdict(probabilities, image, _moved(part.box, box[0], box[1]))  # crop -> drawing
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
        images = [_seen(part.ink) for part in parts]
        readable = [image for image in images if image is not None]
        sure = iter(self.probabilities(np.stack(readable)).max(axis=1) if readable else [])
        return [0.0 if image is None else float(next(sure)) for image in images]


class _Images:
    """The 28x28 images of one drawing's pieces of ink, and the digit network's reading of each,
    each made once: a digit that a number's two readings both find, with the same ink in the
    same box, is preprocessed and read once."""

    def __init__(self, probabilities: Callable[[np.ndarray], np.ndarray]) -> None:
        self._probabilities = probabilities
        self._made: dict[Box, tuple[np.ndarray, np.ndarray | None]] = {}
        self._read: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # id(image): the image, its probabilities

    def __call__(self, ink: np.ndarray, box: Box) -> np.ndarray | None:
        made = self._made.get(box)
        if made is None or not np.array_equal(made[0], ink):
            made = self._made[box] = (ink, _seen(ink))
        return made[1]

    def probabilities(self, images: list[np.ndarray]) -> np.ndarray:
        """The digit network's (N, 10) probabilities for N images this made, in one call for
        those it has not read yet."""
        unread = list({id(image): image for image in images if id(image) not in self._read}.values())
        if unread:
            for image, probabilities in zip(unread, self._probabilities(np.stack(unread)), strict=True):
                self._read[id(image)] = (image, probabilities)
        return np.stack([self._read[id(image)][1] for image in images])


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
    if framed is None or (redrawn := _seen(crop)) is None or is_blob(redrawn):
        return None
    return framed


def _seen(ink: np.ndarray) -> np.ndarray | None:
    """The 28x28 image the model reads for ``ink``; None if preprocessing finds no ink in it."""
    try:
        return preprocess_ink(ink)
    except EmptyImageError:
        return None


def _cut_through(ink: np.ndarray, column: int) -> bool:
    """Whether a cut before ``column`` of ``ink`` (2-D, 0 = paper) parts ink that touches."""
    return 0 < column < ink.shape[1] and bool(((ink[:, column - 1] > 0) & (ink[:, column] > 0)).any())


def _likelihood(digits: list[Reading], views: Views, images: _Images) -> float:
    """``_joint_likelihood`` of a reading's digits, each read by the digit network in its own ink."""
    probabilities = images.probabilities([digit.seen for digit in digits])
    return _joint_likelihood(views, _digits(digits), probabilities[np.arange(len(digits)), [d.digit for d in digits]])


def _more_than_one(views: Views, digits: list[Reading], probabilities: np.ndarray) -> bool:
    """Whether the sequence networks (``views``) find ``digits`` e**ONE_DIGIT_ODDS times likelier
    than the one digit the digit network reads in the same ink (``probabilities``)."""
    one_digit = views.log_likelihood(str(probabilities.argmax())) + ONE_DIGIT_ODDS
    return views.log_likelihood(_digits(digits)) > one_digit


def _refuse_past_max(digits: list) -> None:
    if len(digits) > MAX_DIGITS:
        raise DrawingRefused(f"That is more than {MAX_DIGITS} digits: write a shorter number.")


def _joined(sequence: np.ndarray, digit: np.ndarray, weight: float | np.ndarray) -> np.ndarray:
    """The sequence networks' and the digit network's probabilities of the same digits (rows of
    ten) joined: their weighted geometric mean, the sequence networks' weighing ``weight``."""
    joint = sequence**weight * digit ** (1 - weight)
    return joint / joint.sum(axis=-1, keepdims=True)


def _joint_likelihood(views: Views, digits: str, read: np.ndarray) -> float:
    """How likely ``digits`` are to both kinds of network: the sequence networks' log-likelihood of
    them for the whole line (``views``) plus DIGIT_WEIGHT times the digit network's log-probability
    of each digit in its own ink (``read``, one per digit)."""
    return views.log_likelihood(digits) + DIGIT_WEIGHT * float(np.log(np.maximum(read, 1e-9)).sum())


def _surer(piece: Reading, line: Reading) -> Reading:
    """A digit that both readings of a number found, read the same: unsure only if both are. The
    piece's reading (the digit network on its own ink), unless only the line's is sure: then the
    line's probabilities (both kinds of network), on the piece's ink and box. On the held-out
    writers' real numbers (bench/number_reading.py), against the piece's reading alone: 7 of
    2,624 drawings read right that had a digit both read alike marked "?" (a "67?901", four
    times), one "?" became a wrong digit; scribbles are marked unsure as often."""
    if piece.status == "digit" or line.status != "digit":
        return piece
    return digit_verdict(line.probabilities, piece.seen, piece.box)


def _blobs_whole(line: list[Reading] | None, pieces: list[Reading]) -> list[Reading] | None:
    """The line's reading, but where it reads two or more digits inside a piece that stands apart
    and is a blob (a dense scribble), that piece, unsure: the sequence networks may read a filled
    square as "11", the bars of solid ink they see in its columns."""
    if not line:
        return line
    kept: list[Reading] = []
    for piece in pieces:
        if piece.message != BLOB:
            continue
        inside = [_centre_in(digit.box, piece.box) for digit in line]
        if sum(inside) >= 2:
            kept.append(piece)
            line = [digit for digit, within in zip(line, inside, strict=True) if not within]
    return sorted(line + kept, key=lambda digit: digit.box[0]) if kept else line


def _centre_in(box: Box, within: Box) -> bool:
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return within[0] <= x <= within[2] and within[1] <= y <= within[3]


def _digits(digits: list[Reading] | None) -> str:
    """The digits' likeliest values ("" for None), whether or not the model is sure of them."""
    return "".join(str(digit.digit) for digit in digits or ())


def _width(box: Box) -> int:
    return box[2] - box[0]


def _height(box: Box) -> int:
    return box[3] - box[1]


def _moved(box: Box, dx: int, dy: int) -> Box:
    return box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy
