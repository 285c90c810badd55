"""Write the app's example drawings: two per digit, thin and bold, off centre.

    python examples/make_examples.py

Each is an 800x800 Sketchpad-style drawing of the pen strokes in digits/learning/drawing.py:
one with a thin pen, drawn large; one with the Sketchpad's 50 px brush, drawn small (its loops
fill up).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from digits.learning.drawing import CANVAS_SIZE, draw_digit  # noqa: E402

EXAMPLES_DIR = Path(__file__).resolve().parent


def main() -> None:
    rng = np.random.default_rng(2026)
    for digit in range(10):
        for style, height_range, brush in (("thin", (380, 560), 12), ("bold", (200, 300), 50)):
            height = float(rng.uniform(*height_range))
            width = 0.6 * height
            left = float(rng.uniform(brush, CANVAS_SIZE - width - brush))
            top = float(rng.uniform(brush, CANVAS_SIZE - height - brush))
            image = draw_digit(digit, left=left, top=top, height=height, brush=brush)
            image.save(EXAMPLES_DIR / f"{digit}_{style}.png", optimize=True)
    print(f"wrote 20 examples to {EXAMPLES_DIR}")
    # A number, for the /read_number endpoint: four digits side by side, one pen.
    number = Image.new("L", (CANVAS_SIZE, CANVAS_SIZE), 255)
    for place, digit in enumerate((2, 0, 2, 5)):
        drawn = draw_digit(digit, left=70 + 175 * place, top=280, height=230, brush=14).convert("L")
        number = ImageChops.darker(number, drawn)
    (EXAMPLES_DIR / "numbers").mkdir(exist_ok=True)
    number.convert("RGB").save(EXAMPLES_DIR / "numbers" / "2025.png", optimize=True)


if __name__ == "__main__":
    main()
