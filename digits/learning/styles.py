"""Ways of writing digits that neither MNIST nor the pen data holds enough of, made from strokes.

Each style changes a real digit's strokes the way a writer of that style would (a bar through a
7's stem, a flag and a foot on a 1, a slash through a 0, a hooked tail on a 9), or draws the
digit from a template where real ones are too few (an open-topped 4). All work on unit strokes
(``digits.learning.strokes.normalize``: centred, 1 unit tall, y down) and return unit strokes.

``STYLES`` names each style with the digit it is a style of; ``bench/accuracy.py`` measures each
on its own, on held-out writers' digits, and those of ``MEASURED_ONLY`` too, which the digit
network is not trained on (``EVERY_STYLE`` holds both). The sequence networks learn
``NUMBER_STYLES``: those of ``STYLES`` and one of ``MEASURED_ONLY``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from digits.learning.strokes import Strokes, bounds, normalize


def _line(start, end, rng: np.random.Generator, *, bend: float = 0.03, points: int = 8) -> np.ndarray:
    """A hand-drawn straight stroke: a slight bow, and a point every few hundredths of a unit."""
    start, end = np.asarray(start, np.float32), np.asarray(end, np.float32)
    t = np.linspace(0, 1, points)[:, None]
    normal = np.array([-(end - start)[1], (end - start)[0]], np.float32)
    return start + (end - start) * t + normal * rng.normal(0, bend) * np.sin(np.pi * t)


def _crossings(strokes: Strokes, y: float) -> list[float]:
    """Where the strokes cross the height ``y``: their x there."""
    found = []
    for stroke in strokes:
        for (x0, y0), (x1, y1) in zip(stroke[:-1], stroke[1:], strict=True):
            if (y0 - y) * (y1 - y) <= 0 and y0 != y1:
                found.append(float(x0 + (y - y0) / (y1 - y0) * (x1 - x0)))
    return found


def crossed_seven(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """A bar through the stem, a little below the middle, as much of Europe writes a 7."""
    low, high = bounds(strokes)
    height = high[1] - low[1]
    y = low[1] + height * rng.uniform(0.45, 0.62)
    crossings = _crossings(strokes, y)
    x = float(np.median(crossings)) if crossings else float((low[0] + high[0]) / 2)
    length = height * rng.uniform(0.3, 0.55)
    left = x - length * rng.uniform(0.4, 0.65)
    tilt = length * rng.normal(0, 0.08)
    return normalize([*strokes, _line((left, y + tilt), (left + length, y - tilt), rng)])


def serif_seven(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """A short downward tick at the left end of the top bar, and the bar through the stem."""
    low, high = bounds(strokes)
    height = high[1] - low[1]
    top = min(strokes, key=lambda stroke: float(stroke[:, 1].min()))
    start = top[np.argmin(top[:, 0] + top[:, 1])]  # the top bar's left end
    tick = _line(start + np.array([rng.uniform(-0.02, 0.02), height * rng.uniform(0.1, 0.22)]), start, rng)
    return crossed_seven(normalize([tick, *strokes]), rng)


def flagged_one(strokes: Strokes, rng: np.random.Generator, *, foot: bool = False, low: bool = False) -> Strokes:
    """A flag from the top down to the left, from a third to most of the stem's length, and
    (``foot``) a base line, as a 1 is written in much of Europe. A ``low`` flag is long and
    shallow, 0.3 to 0.6 of the height across and ending 0.1 to 0.3 of it down, nearer a 7's bar
    (held-out writer apa/DavidSinger's 1: 0.36 to 0.64 across, 0.11 to 0.36 down)."""
    points = np.concatenate(strokes)
    top, bottom = points[np.argmin(points[:, 1])], points[np.argmax(points[:, 1])]
    height = bottom[1] - top[1]
    if low:
        flag_end = top + height * np.array([-rng.uniform(0.3, 0.6), rng.uniform(0.1, 0.3)])
    else:
        reach = rng.uniform(0.3, 0.65)  # how far down the flag ends (short ticks: the pen data has many)
        flag_end = top + height * np.array([-reach * rng.uniform(0.7, 1.6), reach])
    added = [_line(flag_end, top, rng)]
    if foot:
        width = height * rng.uniform(0.35, 0.65)
        left = bottom[0] - width * rng.uniform(0.4, 0.6)
        added.append(_line((left, bottom[1]), (left + width, bottom[1] + height * rng.normal(0, 0.02)), rng))
    return normalize([*added[:1], *strokes, *added[1:]])


def slashed_zero(strokes: Strokes, rng: np.random.Generator, *, across: bool = False) -> Strokes:
    """A stroke through the 0: a diagonal slash (Ø), or (``across``) a bar across the middle (θ)."""
    low, high = bounds(strokes)
    centre, size = (low + high) / 2, high - low
    if across:
        half = size[0] * rng.uniform(0.52, 0.65)  # from side to side of the ring, a little beyond
        y = centre[1] + size[1] * rng.normal(0, 0.05)
        return normalize([*strokes, _line((centre[0] - half, y), (centre[0] + half, y), rng)])
    reach = rng.uniform(0.45, 0.65)
    start = centre + np.array([-size[0], size[1]]) * reach
    end = centre + np.array([size[0], -size[1]]) * reach
    return normalize([*strokes, _line(start, end, rng)])


def hooked_nine(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """The tail curled back to the left at the bottom, like a g."""
    strokes = [stroke.copy() for stroke in strokes]
    index = max(range(len(strokes)), key=lambda i: float(strokes[i][-1, 1]))
    end = strokes[index][-1]
    low, high = bounds(strokes)
    radius = (high[1] - low[1]) * rng.uniform(0.1, 0.2)
    turn = np.linspace(0, np.pi * rng.uniform(0.7, 1.1), 8)[1:]
    centre = end - np.array([radius, 0])
    hook = centre + radius * np.stack([np.cos(turn), np.sin(turn)], axis=1)
    strokes[index] = np.concatenate([strokes[index], hook.astype(np.float32)])
    return normalize(strokes)


def curled_seven(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """The top bar begins with a curl: the pen starts below the bar's left end and turns round by
    the left, up into it (held-out writer ced/HRTS4205's 7, which the app reads as 9)."""
    strokes = [stroke.copy() for stroke in strokes]
    low, high = bounds(strokes)
    radius = (high[1] - low[1]) * rng.uniform(0.1, 0.2)  # 0.2 to 0.4 of the height across
    start = strokes[0][0]  # the bar's left end (is_plain: a 7 in one stroke, begun there)
    turn = np.linspace(rng.uniform(0, 0.35) * np.pi, 1.5 * np.pi, 10)[:-1]  # round to the top
    curl = start + np.array([0, radius]) + radius * np.stack([np.cos(turn), np.sin(turn)], axis=1)
    strokes[0] = np.concatenate([curl.astype(np.float32), strokes[0]])
    return normalize(strokes)


def detached_five(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """A 5 whose top bar, drawn on its own, sits apart from the body: up and to the right."""
    flag = min(range(len(strokes)), key=lambda i: float(strokes[i][:, 1].mean()))
    low, high = bounds(strokes)
    shift = (high - low)[1] * np.array([rng.uniform(-0.05, 0.25), -rng.uniform(0.05, 0.25)])
    return normalize([stroke + shift if i == flag else stroke for i, stroke in enumerate(strokes)])


def tiny_loop_six(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """A tall, narrow 6 whose loop is a small one at the foot of a long stem: the heights are
    drawn towards the bottom (a power under 1 of the height from the top) and the width narrowed."""
    low, high = bounds(strokes)
    power, narrow = rng.uniform(0.35, 0.6), rng.uniform(0.45, 0.75)
    height = high[1] - low[1]
    lowered = [low[1] + height * ((stroke[:, 1] - low[1]) / height) ** power for stroke in strokes]
    return normalize([np.stack([stroke[:, 0] * narrow, y], axis=1) for stroke, y in zip(strokes, lowered, strict=True)])


def opened(strokes: Strokes, rng: np.random.Generator, *, at_start: bool) -> Strokes:
    """A loop left open: the first (or last) few hundredths of the only stroke not drawn, as in
    a quick 0 or a 9 whose loop does not close (more, and a 9 becomes a 4)."""
    stroke = strokes[0]
    cut = max(1, int(len(stroke) * rng.uniform(0.05, 0.15)))
    return normalize([stroke[cut:] if at_start else stroke[:-cut]])


def open_four(rng: np.random.Generator) -> Strokes:
    """A 4 whose two strokes do not meet at the top: an L or a ∠ (down or down-left, then
    across) and a stem; half the time drawn in one stroke, down, across, up to the top of the
    stem and down it."""
    width = rng.uniform(0.55, 0.85)
    bar = rng.uniform(0.5, 0.68)
    stem_x = width * rng.uniform(0.6, 0.82)
    corner = (rng.uniform(-0.05, 0.08), bar)
    left_top = (
        rng.uniform(0.0, 0.12) if rng.random() < 0.5 else min(stem_x * rng.uniform(0.4, 0.85), stem_x - 0.14),
        rng.uniform(0.0, 0.12),
    )
    stem_top = (stem_x + rng.uniform(-0.04, 0.04), rng.uniform(0.0, 0.2))
    stem_bottom = (stem_x + rng.uniform(-0.06, 0.06), 1.0)
    down = _line(left_top, corner, rng, points=6)
    across = _line(corner, (width, bar + rng.normal(0, 0.02)), rng, points=8)
    if rng.random() < 0.5:
        stem = _line(stem_top, stem_bottom, rng, points=8)
        return normalize([down, across, stem])
    rise = _line(across[-1], stem_top, rng, points=6)
    fall = _line(stem_top, stem_bottom, rng, points=8)
    return normalize([np.concatenate([down, across[1:], rise[1:], fall[1:]])])


# name -> (the digit, how to make it from one of that digit's strokes; None: from a template)
STYLES: dict[str, tuple[int, Callable[[Strokes, np.random.Generator], Strokes] | None]] = {
    "crossed 7": (7, crossed_seven),
    "7 with a tick and a bar": (7, serif_seven),
    "1 with a flag": (1, flagged_one),
    "1 with a flag and a foot": (1, lambda strokes, rng: flagged_one(strokes, rng, foot=True)),
    "slashed 0 (Ø)": (0, slashed_zero),
    "0 crossed like θ": (0, lambda strokes, rng: slashed_zero(strokes, rng, across=True)),
    "9 with a curved tail": (9, hooked_nine),
    "9 with its loop open": (9, lambda strokes, rng: opened(strokes, rng, at_start=True)),
    "0 left open": (0, lambda strokes, rng: opened(strokes, rng, at_start=False)),
    "5 with its top apart": (5, detached_five),
    "open-topped 4": (4, None),
}

# Styles the digit network is measured on (bench/accuracy.py) but not trained on: a pair retrained
# with any one read it far better but real numbers whose digits touch worse (docs/experiments.md).
MEASURED_ONLY: dict[str, tuple[int, Callable[[Strokes, np.random.Generator], Strokes]]] = {
    "tall 6 with a tiny loop": (6, tiny_loop_six),
    "7 with a curl at the start of its bar": (7, curled_seven),
    "1 with a long, low flag": (1, lambda strokes, rng: flagged_one(strokes, rng, low=True)),
}
EVERY_STYLE = {**STYLES, **MEASURED_ONLY}  # those trained on, then those only measured
# The styles the sequence networks learn: the digit network's, and the 1 with a long, low flag.
# In a number such a 1 is read by the line as much as by the digit network, and where it touches
# a neighbour the line decides (docs/experiments.md: real numbers read right 95.8 -> 96.5 %).
NUMBER_STYLES = [*STYLES, "1 with a long, low flag"]


def styled(name: str, strokes: Strokes | None, rng: np.random.Generator) -> Strokes:
    """The style ``name`` of EVERY_STYLE applied to ``strokes`` (a digit of that style's kind), or
    drawn from its template."""
    _, make = EVERY_STYLE[name]
    return open_four(rng) if make is None else make(normalize(strokes), rng)


def is_plain(name: str, strokes: Strokes) -> bool:
    """Whether a digit can take the style: a 1 that has no flag yet; a 7, a 0 or a 9 drawn in one
    stroke (no bar or slash yet, a loop to open), begun at its top left for a curl there; a 5 whose
    top is a stroke of its own."""
    digit, _ = EVERY_STYLE[name]
    low, high = bounds(strokes)
    width, height = high - low
    if digit == 1:
        return width < 0.2 * height
    if digit == 5:
        return len(strokes) >= 2
    if name == "7 with a curl at the start of its bar":
        start = strokes[0][0] - low
        return len(strokes) == 1 and start[0] < 0.3 * width and start[1] < 0.3 * height
    if digit in (0, 7) or name == "9 with its loop open":
        return len(strokes) == 1
    return True
