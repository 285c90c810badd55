"""examples/embed.html in real Chromium: the web component and the iframe both show the app,
and the embedded app reads a digit drawn on it."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import PROJECT_DIR, draw_with_mouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page_server():
    """examples/ served on 127.0.0.1, as any static host would serve the embedding page."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(PROJECT_DIR / "examples"))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_embedded_app_renders_and_answers(browser, served_app, page_server):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{page_server}/embed.html?src={served_app.rstrip('/')}")
    component = page.locator("gradio-app")
    component.get_by_text("Draw a digit (0-9)").first.wait_for(timeout=30_000)
    draw_with_mouse(page, 7, left=250, top=150, height=460, root=component)
    component.locator("#verdict").get_by_text("7", exact=True).first.wait_for(timeout=20_000)
    frame = page.frame_locator("#frame")
    frame.get_by_text("Digit reader").first.wait_for(timeout=30_000)
    page.close()


def test_embed_page_without_src_says_what_to_do(browser, page_server):
    page = browser.new_page()
    page.goto(f"{page_server}/embed.html")
    page.get_by_text("Add ?src=URL").wait_for(timeout=5_000)
    page.close()
