"""The page in real Chromium: draw a digit with the mouse on a desktop and with a finger on a
phone, see the prediction and the chart; the drawings the page and a stock Sketchpad send are the
benchmarks' drawings of the same strokes.

SCREENSHOT_DIR=docs python -m pytest tests/test_browser.py   # README's pictures
"""

from __future__ import annotations

import base64
import io
import os
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    ANSWER_MS,
    PROJECT_DIR,
    canvas_paths,
    draw_paths_with_mouse,
    draw_with_mouse,
    draw_with_touch,
    on_screen,
)
from PIL import Image
from playwright.sync_api import Page, expect

from digits.learning.drawing import CANVAS_SIZE, MAX_BRUSH, sketch_of_paths
from digits.learning.renders import PAGE_BRUSH

pytestmark = pytest.mark.slow
VIEWPORTS = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
    "phone held sideways": {"width": 844, "height": 390},
}
# Keeps each drawing the page sends in window.sentDrawings: the editor uploads its composite, a
# PNG, as the value changes, with fetch (Gradio's client), before the reading is asked for.
RECORD_SENT_DRAWINGS = """
window.sentDrawings = [];
const send = window.fetch;
window.fetch = (input, init) => {
  if (init && init.body instanceof FormData)
    for (const file of init.body.getAll("files")) if (file.name === "composite.png") window.sentDrawings.push(file);
  return send(input, init);
};
"""


def screenshot_path(tmp_path: Path, name: str) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


@pytest.fixture
def open_app(browser, served_app):
    """Opens the page on one of VIEWPORTS (a phone's with touch, as a phone has) in a browser
    context of its own, ready to draw on; the contexts are closed after the test, failed or not."""
    contexts = []

    def open_page(viewport: str, *, scheme: str = "light", record: bool = False) -> Page:
        phone = viewport.startswith("phone")
        context = browser.new_context(
            viewport=VIEWPORTS[viewport],
            has_touch=phone,
            is_mobile=phone,
            device_scale_factor=2 if phone else 1,
            color_scheme=scheme,
        )
        contexts.append(context)
        page = context.new_page()
        if record:
            page.add_init_script(RECORD_SENT_DRAWINGS)
        page.goto(served_app + ("?__theme=dark" if scheme == "dark" else ""))
        page.get_by_text("Draw a digit (0-9)").filter(visible=True).first.wait_for()
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_draw_a_digit_with_the_mouse_and_see_it_read(open_app, tmp_path):
    page = open_app("desktop")
    draw_with_mouse(page, 3, left=220, top=140, height=460)
    page.locator("#verdict").get_by_text("3", exact=True).first.wait_for(timeout=ANSWER_MS)
    page.get_by_text("sure)").first.wait_for(timeout=ANSWER_MS)  # the sentence under the verdict
    page.locator("#seen img").first.wait_for(timeout=ANSWER_MS)  # the 28x28 image the model saw
    page.locator(".vega-embed, canvas.marks, svg.marks").first.wait_for(timeout=ANSWER_MS)  # the bar chart
    expect(page.locator("#quick-verdict")).to_be_hidden()  # the one-line reading is for phones
    assert page.get_by_text("Error").count() == 0
    page.screenshot(path=str(screenshot_path(tmp_path, "screenshot.png")), full_page=True)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_page_sends_a_drawing_as_the_benchmarks_draw_one(open_app, viewport):
    """The benchmarks, and the training, draw the page's drawings in Python: strokes PAGE_BRUSH px
    wide, round and hard, straight from point to point, black on an opaque white 800x800 canvas
    (digits.learning.drawing). The page must send just that, drawn with a mouse or a finger, or
    their figures for the page's brush measure another drawing."""
    page = open_app(viewport, record=True)
    where = {"left": 220, "top": 140, "height": 460}
    if viewport == "phone":
        draw_with_touch(page, 3, **where)
        expect(page.locator("#quick-verdict")).to_contain_text("3", timeout=ANSWER_MS)
    else:
        draw_with_mouse(page, 3, **where)
        page.locator("#verdict").get_by_text("3", exact=True).first.wait_for(timeout=ANSWER_MS)
    assert_drawn_alike(last_sent_drawing(page), canvas_paths(3, **where), brush=PAGE_BRUSH)


def test_a_stock_sketchpad_sends_a_drawing_as_the_benchmarks_draw_one(browser):
    """The drawings the benchmarks (and the training) make "as the stock sketchpad sends them",
    strokes MAX_BRUSH px wide on an opaque white 800x800 canvas, are what Gradio's own Sketchpad
    sends, at the version pinned: a page made of one, as anyone's Space may be."""
    import gradio as gr

    with gr.Blocks() as stock:
        sketchpad = gr.Sketchpad(canvas_size=(CANVAS_SIZE, CANVAS_SIZE), elem_id="sketchpad")
        sketchpad.change(lambda value: None, sketchpad)  # a listener, for the page to send its drawing
    _, url, _ = stock.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=None, quiet=True)
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    try:
        page = context.new_page()
        page.add_init_script(RECORD_SENT_DRAWINGS)
        page.goto(url)
        page.get_by_role("button", name="Brush").click()  # a stock sketchpad opens with no tool chosen
        paths = [[(150.0, 300.0), (400.0, 330.0), (650.0, 300.0)], [(400.0, 450.0), (420.0, 650.0)]]
        draw_paths_with_mouse(page, on_screen(page, paths))
        page.wait_for_function("window.sentDrawings.length > 0", timeout=ANSWER_MS)
        assert_drawn_alike(last_sent_drawing(page), paths, brush=MAX_BRUSH)
    finally:
        context.close()
        stock.close()


def assert_drawn_alike(sent: Image.Image, paths: list, *, brush: float) -> None:
    """``sent`` is ``paths`` (in the 800x800 image's pixels) as digits.learning.drawing draws them
    with ``brush``: opaque, 800x800, the same ink. The pointer's positions reach the editor in the
    screen's pixels, each two or three of the image's at its zoom: the two may be a pixel or two
    apart."""
    pixels = np.asarray(sent)
    assert pixels.shape == (CANVAS_SIZE, CANVAS_SIZE, 4) and (pixels[..., 3] == 255).all()
    ink = pixels[..., :3].mean(axis=2) < 128
    drawn = np.asarray(sketch_of_paths(paths, brush=brush).convert("L")) < 128
    assert 0.95 < ink.sum() / drawn.sum() < 1.05  # as wide a brush
    shifts = [np.roll(ink, (down, right), axis=(0, 1)) for down in range(-3, 4) for right in range(-3, 4)]
    assert max((shifted & drawn).sum() / (shifted | drawn).sum() for shifted in shifts) > 0.9  # the same strokes


def last_sent_drawing(page: Page) -> Image.Image:
    """The last drawing the page sent (see RECORD_SENT_DRAWINGS), once it has sent no other for 2 s."""
    before, count = -1, page.evaluate("window.sentDrawings.length")
    while count != before:
        time.sleep(2)
        before, count = count, page.evaluate("window.sentDrawings.length")
    data = page.evaluate("""async () => {
        const reader = new FileReader();
        return await new Promise(done => { reader.onload = () => done(reader.result); reader.readAsDataURL(window.sentDrawings.at(-1)); });
    }""")  # fmt: skip
    return Image.open(io.BytesIO(base64.b64decode(data.split(",", 1)[1])))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_draw_a_digit_with_a_finger_on_a_phone_and_see_it_at_once(open_app, tmp_path, scheme):
    phone = VIEWPORTS["phone"]
    page = open_app("phone", scheme=scheme)
    canvas = page.locator("#sketchpad canvas").first.bounding_box()
    assert canvas["width"] >= 0.9 * phone["width"]  # the drawing area takes the screen's width
    draw_with_touch(page, 7, left=220, top=160, height=460)
    quick = page.locator("#quick-verdict")
    expect(quick).to_contain_text("7", timeout=ANSWER_MS)
    expect(quick).to_contain_text("sure")
    box = quick.bounding_box()  # where it is now, right after drawing, without scrolling
    assert box["y"] >= 0 and box["y"] + box["height"] <= phone["height"], box
    assert page.evaluate("document.documentElement.scrollWidth") <= phone["width"] + 1  # nothing too wide
    assert page.get_by_text("Error").count() == 0
    page.screenshot(path=str(screenshot_path(tmp_path, f"phone-{scheme}.png")))


def test_a_phone_held_sideways_has_the_whole_drawing_area_in_sight(open_app, tmp_path):
    """Held sideways, a phone is wide enough for the desktop's two columns but not as tall as their
    560 px drawing area: the area is no taller than the screen, so a finger reaches all of it at
    once, and the reading beside it is in sight after drawing."""
    screen = VIEWPORTS["phone held sideways"]
    page = open_app("phone held sideways")
    draw_with_touch(page, 4, left=220, top=160, height=460)  # scrolls the drawing area into view
    area = page.locator("#sketchpad").bounding_box()
    assert area["y"] >= 0 and area["y"] + area["height"] <= screen["height"] + 1, area  # +1: subpixel layout
    sentence = page.get_by_text("sure)").first  # the sentence under the verdict: "4 (99% sure)"
    expect(sentence).to_contain_text("4", timeout=ANSWER_MS)
    box = sentence.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= screen["height"], box
    assert page.get_by_text("Error").count() == 0
    page.screenshot(path=str(screenshot_path(tmp_path, "phone-sideways.png")))


def test_an_example_loads_into_the_sketchpad_and_is_read(open_app):
    page = open_app("desktop")
    examples = page.locator(".gallery-item")  # in file order: 0_bold, 0_thin, 1_bold, ...
    examples.nth(15).click()  # 7_thin
    page.locator("#verdict").get_by_text("7", exact=True).first.wait_for(timeout=ANSWER_MS)
    page.get_by_role("button", name="Clear", exact=True).click()
    page.get_by_text("Draw a digit (0-9)").filter(visible=True).first.wait_for(timeout=ANSWER_MS)
    expect(page.locator("#verdict").get_by_text("7", exact=True)).to_have_count(0)
    expect(page.locator("#verdict")).not_to_contain_text("Draw a digit")  # said once, under it, as at first


def test_a_photo_is_read_once_and_a_file_that_is_none_says_so_in_its_place(open_app, monkeypatch, tmp_path):
    """Gradio's Image fires "change" twice for a file put in place of another: each photo was read
    twice. And a file the reader refused left the reading before it on the page, beside an error."""
    import app

    reads, read = [], app.reader.read
    monkeypatch.setattr(app.reader, "read", lambda value, **options: reads.append(value) or read(value, **options))
    page = open_app("desktop")
    page.get_by_role("tab", name="Upload a photo").click()
    files = page.locator("#upload input[type=file]")
    for digit, name in [("3", "3_thin.png"), ("5", "5_bold.png")]:  # the second in place of the first
        files.set_input_files(PROJECT_DIR / "examples" / name)
        page.locator("#verdict").get_by_text(digit, exact=True).first.wait_for(timeout=ANSWER_MS)
    time.sleep(3)  # for a second reading to start, were there one
    assert len(reads) == 2, reads
    junk = tmp_path / "photo.png"
    junk.write_bytes(b"not an image at all")
    files.set_input_files(junk)
    page.get_by_text("That file is not a readable image").filter(visible=True).first.wait_for(timeout=ANSWER_MS)
    expect(page.get_by_text("5 (100% sure)")).to_have_count(0)  # the reading before is gone...
    expect(page.locator("#verdict")).not_to_contain_text("5")  # ...its verdict too
    assert len(reads) == 3


def test_draw_a_number_see_why_and_save_a_correction(open_app, corrections_dir, tmp_path):
    page = open_app("desktop")
    draw_with_mouse(page, 4, left=120, top=250, height=300)
    draw_with_mouse(page, 2, left=480, top=250, height=300)
    page.locator("#verdict").get_by_text("42", exact=True).first.wait_for(timeout=ANSWER_MS)
    page.get_by_text("Read 42").first.wait_for(timeout=ANSWER_MS)
    page.locator("#boxes img").first.wait_for(timeout=ANSWER_MS)  # the drawing with each digit's box
    expect(page.locator("#seen")).to_be_hidden()
    page.get_by_label("Show why").check()
    page.locator("#why img").first.wait_for(timeout=ANSWER_MS)
    page.screenshot(path=str(tmp_path / "number.png"), full_page=True)
    page.get_by_text("Wrong? Tell it the right answer").click()
    page.get_by_label("It was").fill("43")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Saved as 43").first.wait_for(timeout=ANSWER_MS)
    from digits.storage.corrections import records

    saved = records(corrections_dir)
    assert (saved[-1].label, saved[-1].predicted, saved[-1].verdict) == ("43", "42", None)
    assert page.get_by_text("Error").count() == 0
