"""The page in real Chromium: draw a digit with the mouse, see the prediction and the chart.

SCREENSHOT_PATH=docs/screenshot.png python -m pytest tests/test_browser.py   # README's picture
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from digits.sketch import CANVAS_SIZE, stroke_paths

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium not found: apt-get install chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def draw_with_mouse(page, digit: int, *, left: float, top: float, height: float) -> None:
    """Draw ``digit``'s pen strokes on the sketchpad canvas with real mouse events."""
    canvas = page.locator("canvas").first
    canvas.wait_for(state="visible")
    box = canvas.bounding_box()
    scale = box["width"] / CANVAS_SIZE
    for path in stroke_paths(digit, left=left, top=top, height=height):
        points = [(box["x"] + x * scale, box["y"] + y * scale) for x, y in path]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=2)
        page.mouse.up()


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_draw_a_digit_and_see_it_read(browser, served_app, tmp_path, viewport):
    page = browser.new_page(viewport=viewport)
    page.goto(served_app)
    page.get_by_text("Draw a digit (0-9)").first.wait_for()
    draw_with_mouse(page, 3, left=220, top=140, height=460)
    verdict = page.locator("#verdict")
    verdict.get_by_text("3", exact=True).first.wait_for(timeout=20_000)
    page.get_by_text("sure)").first.wait_for(timeout=10_000)  # the sentence under the verdict
    assert page.locator("#seen img").count() == 1  # the 28x28 image the model saw
    chart = page.locator(".vega-embed, canvas.marks, svg.marks").first  # the bar chart rendered
    chart.wait_for(state="visible", timeout=10_000)
    assert not page.get_by_text("Error").count()
    screenshot = Path(os.environ.get("SCREENSHOT_PATH", tmp_path / "page.png"))
    if viewport["width"] > 1000 or "SCREENSHOT_PATH" not in os.environ:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    page.close()
