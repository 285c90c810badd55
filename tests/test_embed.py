"""examples/embed.html in real Chromium: the web component and the iframe both show the app,
and the embedded app reads a digit drawn on it."""

from __future__ import annotations

import functools
import re
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import ANSWER_MS, PROJECT_DIR, draw_with_mouse
from test_space import pinned

pytestmark = pytest.mark.slow


class StaticHandler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")  # as a CDN does; module scripts need it
        super().end_headers()

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


def serve_folder(folder):
    """``folder`` served on 127.0.0.1, as a static host or a CDN would serve it."""
    handler = functools.partial(StaticHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def page_server(tmp_path_factory):
    """A site serving embed.html and, beside it, the web component's script and assets from the
    installed gradio package: the same build Gradio's CDN serves for this version, which this
    machine cannot reach (the page takes a script from its own site, the app's, or the CDN)."""
    import gradio

    site = tmp_path_factory.mktemp("site")
    shutil.copy(PROJECT_DIR / "examples" / "embed.html", site / "embed.html")
    (site / "frontend").symlink_to(Path(gradio.__file__).parent / "templates" / "frontend")
    server = serve_folder(site)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def web_component_script(page_server):
    return f"{page_server}/frontend/gradio.js"


def test_embed_page_uses_the_pinned_gradio_version():
    page = (PROJECT_DIR / "examples" / "embed.html").read_text()
    assert re.search(r'GRADIO_VERSION = "([^"]+)"', page).group(1) == pinned()["gradio"]


def test_embedded_app_renders_and_answers(browser, served_app, page_server, web_component_script):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{page_server}/embed.html?src={served_app.rstrip('/')}&js={web_component_script}")
    component = page.locator("gradio-app")
    component.get_by_text("Draw a digit (0-9)").filter(visible=True).first.wait_for(timeout=30_000)
    draw_with_mouse(page, 7, left=250, top=150, height=460, root=component)
    component.locator("#verdict").get_by_text("7", exact=True).first.wait_for(timeout=ANSWER_MS)
    frame = page.frame_locator("#frame")
    frame.get_by_text("Digit reader").first.wait_for(timeout=30_000)
    page.close()


def test_embed_page_without_src_says_what_to_do(browser, page_server):
    page = browser.new_page()
    page.goto(f"{page_server}/embed.html")
    page.get_by_text("Add ?src=URL").wait_for(timeout=5_000)
    page.close()


@pytest.mark.parametrize(
    "query, refusal",
    [
        ("src=javascript:alert(document.domain)", "must be an http or https address"),
        ("src=data:text/html,<script>alert(1)</script>", "must be an http or https address"),
        ("src=http://127.0.0.1:9/&js=http://evil.invalid/gradio.js", "must be Gradio's script"),
        ("src=http://127.0.0.1:9/&js=javascript:alert(1)", "must be Gradio's script"),
    ],
)
def test_embed_page_refuses_other_addresses_and_scripts(browser, page_server, query, refusal):
    page = browser.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{page_server}/embed.html?{query}")
    page.get_by_text(refusal).wait_for(timeout=5_000)
    assert page.locator("#frame").get_attribute("src") is None
    assert page.locator("gradio-app").count() == 0
    others = [url for url in requested if not url.startswith(f"{page_server}/embed.html")]  # the page itself
    assert not [url for url in others if "evil" in url or url.startswith(("javascript:", "data:"))]
    page.close()
