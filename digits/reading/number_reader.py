"""Reading ink that may be a number: with the digit network, piece by piece, and with the sequence
networks, as a line; the likelier reading to both kinds of network wins.

Its pieces of ink (``segment``) that are no wider than a digit are read by the digit network one
by one (unless it is unsure and the sequence networks find two digits there, a 1 touching its
neighbour), and each wider piece, digits that touch or overlap, by the sequence networks, which
read it as a line and say where each digit lies (``sequence``). And whole: all the ink as one
line. Where the two readings differ, the one likelier to both kinds of network wins. There are
two sequence networks, trained alike but with different brushes, and each reading is weighed by
both: together they read more numbers right than either alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from digits import NUM_CLASSES
from digits.reading.inference import SequencePredictor
from digits.reading.preprocess import bounding_box, digit_image
from digits.reading.readings import (
    BLOB,
    Box,
    Reading,
    box_height,
    box_width,
    digit_verdict,
    moved,
    refuse_past_max,
)
from digits.reading.segment import SPLIT_WIDER_THAN, SURE_WHOLE, Part
from digits.reading.sequence import BLANK, Line, Symbol, Views, preprocess_lines, spans

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


class NumberReader:
    """Reads one drawing's ink that may be a number (``read``), with the digit network
    (``probabilities``: (N, 28, 28) images -> (N, 10)) and the sequence networks (``sequences``);
    ``whole`` is the digit network's reading of ink as one lone digit (the image it reads and
    its probabilities; None if preprocessing finds no ink). Each digit of the drawing's readings
    is preprocessed and read once (``_Images``), and each array of ink's lines by the sequence
    networks once (``views``): make one for each drawing."""

    def __init__(
        self,
        probabilities: Callable[[np.ndarray], np.ndarray],
        sequences: Sequence[SequencePredictor],
        whole: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray] | None],
    ) -> None:
        self._sequences = sequences
        self._whole = whole
        self._images = _Images(probabilities)
        self._views: dict[int, tuple[np.ndarray, Views]] = {}  # id(ink): the ink, its views

    def read(
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
        views = self.views(crop)
        as_line = self._read_line(crop, box, views)
        whole = None
        if len(groups) == 1:
            whole = self._whole(crop)
            if whole is None or float(whole[1].max()) < SURE_WHOLE or not as_line:
                return as_line, whole
            return (as_line if _more_than_one(views, as_line, whole[1]) else None), whole
        by_pieces = self._read_groups(groups, box)
        if _digits(by_pieces) == _digits(as_line):
            if not by_pieces:
                return None, whole
            return [_surer(piece, line) for piece, line in zip(by_pieces, as_line, strict=True)], whole

        def likelihood(digits: list[Reading] | None) -> float:
            nonlocal whole
            if digits:
                return _likelihood(digits, views, self._images)
            whole = whole or self._whole(crop)
            if whole is None:
                return -np.inf
            return _joint_likelihood(views, str(whole[1].argmax()), whole[1].max(keepdims=True))

        best = max((by_pieces, as_line), key=likelihood)
        return (_blobs_whole(best, by_pieces) if best is as_line and by_pieces else best), whole

    def one_digit(self, crop: np.ndarray) -> np.ndarray:
        """The sequence networks' probability of each digit for the ink, given that it is one
        digit: their likelihood of each as a line of one digit, normalised over the ten."""
        views = self.views(crop)
        one_digit = np.array([views.log_likelihood(str(digit)) for digit in range(NUM_CLASSES)])
        sequence = np.exp(one_digit - one_digit.max())
        return sequence / sequence.sum()

    def _read_groups(self, groups: list[Part], box: Box) -> list[Reading] | None:
        """The digits of a number, from its pieces of ink (``segment``, uncut): a piece no wider
        than a digit is a digit, read by the digit network (or two that touch, ``_read_narrow``);
        a wider one, digits that touch or overlap, is read by the sequence networks (or as one
        digit, if they find one). None when that makes one digit in all."""
        found: list[Reading | tuple[np.ndarray, Box, np.ndarray]] = []  # readings, or (image, box, ink) to read
        for group in groups:
            where = moved(group.box, box[0], box[1])  # crop -> drawing
            digits = (
                self._read_line(group.ink, where, self.views(group.ink))
                if box_width(group.box) > SPLIT_WIDER_THAN * box_height(group.box)
                else None
            )
            if digits:
                found.extend(digits)
            # A faint sliver that preprocessing erases is no digit.
            elif (seen := self._images(group.ink, where)) is not None:
                found.append((seen, where, group.ink))
            refuse_past_max(found)
        if len(found) <= 1:
            return None
        lone = [item for item in found if isinstance(item, tuple)]
        read = iter(self._images.probabilities([seen for seen, *_ in lone]) if lone else [])
        digits: list[Reading] = []
        for item in found:
            if isinstance(item, tuple):
                seen, where, ink = item
                probabilities = next(read)
                digits.extend(
                    self._read_narrow(ink, where, probabilities) or [digit_verdict(probabilities, seen, where)]
                )
            else:
                digits.append(item)
        refuse_past_max(digits)
        return digits

    def _read_narrow(self, ink: np.ndarray, box: Box, probabilities: np.ndarray) -> list[Reading] | None:
        """The digits in a piece no wider than a digit, beside others, if it holds two that touch
        (a 1 and its neighbour, together no wider than a digit); None for one digit. Where the
        digit network is unsure of one digit (under SURE_WHOLE: ``probabilities``, its reading of
        the piece), the sequence networks read the piece as a line, and their reading wins if
        they find it e**ONE_DIGIT_ODDS times likelier than the digit network's one digit."""
        if float(probabilities.max()) >= SURE_WHOLE:
            return None
        views = self.views(ink)
        digits = self._read_line(ink, box, views)
        return digits if digits and _more_than_one(views, digits, probabilities) else None

    def views(self, crop: np.ndarray) -> Views:
        """The ink as the sequence networks' lines, one per squeeze, and each network's (frames, 11)
        outputs for each line: a view per network and width, the first network's first. Worked out
        once for each array of ink: a lone digit's is read as a number, then as a line of one digit."""
        known = self._views.get(id(crop))
        if known is not None and known[0] is crop:
            return known[1]
        lines = preprocess_lines(crop, SQUEEZES)
        pictures = [line.image for line in lines]  # each network reads all the widths in one call
        frames = tuple(frame for network in self._sequences for frame in network.probabilities(pictures))
        views = Views(lines * len(self._sequences), frames)
        self._views[id(crop)] = (crop, views)  # the array kept too, so that its id is not reused
        return views

    def _read_line(self, crop: np.ndarray, box: Box, views: Views) -> list[Reading] | None:
        """The digits the sequence networks read in the ink (``views``: ``views``'s), each with
        its box; None for one.

        Where the views' best paths differ, each is read (``_read_path``) and the likeliest to
        both kinds of network wins (``_likelihood``); where the likeliest to the sequence networks
        is one digit, it is one.
        """
        readings = [self._read_path(crop, box, *reading) for reading in views.readings()]
        if not readings[0]:
            return None
        readings = [reading for reading in readings if reading]
        if len(readings) == 1:
            return readings[0]
        return max(readings, key=lambda digits: _likelihood(digits, views, self._images))

    def _read_path(
        self, crop: np.ndarray, box: Box, line: Line, frames: np.ndarray, symbols: list[Symbol]
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
        refuse_past_max(symbols)
        sequence, seen, boxes, weights = [], [], [], []
        for symbol, (left, right) in zip(symbols, spans(symbols, line, crop), strict=True):
            cell = crop[:, left:right]
            tight = bounding_box(cell > 0)
            if tight is None:  # the network placed a digit where there is no ink: read whole
                return None
            rows, cols = tight
            where = (box[0] + left + cols.start, box[1] + rows.start, box[0] + left + cols.stop, box[1] + rows.stop)
            image = self._images(cell[tight], where)
            if image is None:
                return None
            at = symbol.first + int(frames[symbol.first : symbol.last + 1, symbol.digit].argmax())
            sequence.append(frames[at, :BLANK] / max(float(frames[at, :BLANK].sum()), 1e-9))  # given a digit here
            seen.append(image)
            boxes.append(where)
            cut = _cut_through(crop, left) or _cut_through(crop, right)
            weights.append(SEQUENCE_WEIGHT_CUT if cut else SEQUENCE_WEIGHT)
        joint = joined(np.stack(sequence), self._images.probabilities(seen), np.array(weights)[:, np.newaxis])
        return [digit_verdict(p, image, where) for p, image, where in zip(joint, seen, boxes, strict=True)]


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
            made = self._made[box] = (ink, digit_image(ink))
        return made[1]

    def probabilities(self, images: list[np.ndarray]) -> np.ndarray:
        """The digit network's (N, 10) probabilities for N images this made, in one call for
        those it has not read yet."""
        unread = list({id(image): image for image in images if id(image) not in self._read}.values())
        if unread:
            for image, probabilities in zip(unread, self._probabilities(np.stack(unread)), strict=True):
                self._read[id(image)] = (image, probabilities)
        return np.stack([self._read[id(image)][1] for image in images])


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


def joined(sequence: np.ndarray, digit: np.ndarray, weight: float | np.ndarray) -> np.ndarray:
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
