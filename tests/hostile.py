"""What an anonymous client can send a public Space, built in code: one probe per way the app
was once taken down (issue #13's table). Shared by tests/test_hostile.py, which checks each is
answered or refused within its bound, and bench/hostile.py, which prints the time and memory
each costs the server.
"""

from __future__ import annotations

import io
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

import httpx
import numpy as np
from http_api import PageSession, browser_drawing, predict
from PIL import Image, ImageDraw

from digits.learning.drawing import draw_digit


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def dot_grid(count: int, *, size: int = 800, dot: int = 6) -> bytes:
    """A canvas of ``count`` separate dots in a square grid: a few KB of PNG."""
    side = int(np.ceil(np.sqrt(count)))
    step = (size - 40) / side
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for index in range(count):
        x, y = 20 + (index % side) * step, 20 + (index // side) * step
        draw.ellipse([x, y, x + dot, y + dot], fill=0)
    return png(image)


def digit_png(digit: int = 3, *, left: float = 200, brush: float = 30) -> bytes:
    return png(draw_digit(digit, left=left, top=150, height=450, brush=brush))


def dashes(count: int = 32) -> list[bytes]:
    """Canvases with one dash each, from a little wider than tall to 200 times: lines of every width
    the sequence networks read (LINE_WIDTHS: 11 of the 12), so each keeps as many interpreters as it may."""
    images = []
    for aspect in np.geomspace(1.1, 200, count):
        image = Image.new("L", (800, 800), 255)
        height = max(4.0, 760 / aspect)
        ImageDraw.Draw(image).rectangle([20, 400 - height / 2, 20 + height * aspect, 400 + height / 2], fill=0)
        images.append(png(image))
    return images


def huge_photo(side: int = 6000) -> bytes:
    """The largest photo an API caller may send: a digit on a 36 MP page, a PNG of a few hundred KB."""
    image = Image.new("L", (side, side), 235)
    small = draw_digit(4, left=200, top=150, height=450, brush=30).convert("L")
    image.paste(small.resize((side // 2, side // 2)), (side // 4, side // 4))
    return png(image)


# --- the probes: each returns what the server answered, for the caller to judge ---------------


def send_image(http: httpx.Client, url: str, data: bytes, *, api_name: str = "predict") -> dict | str:
    """One image to /predict (as the composite) or /predict_image: the answer, or the error's text."""
    try:
        return predict(http, url, data, api_name=api_name)
    except RuntimeError as error:
        return str(error)


def blob_with_index(http: httpx.Client, url: str, index: int) -> httpx.Response:
    """A one-byte blob posted to the sketchpad's accept_blobs as layer ``index``."""
    page = PageSession(http, url)
    return page.post_blob("layer", b"x", blob_id=uuid.uuid4().hex[:10], index=index)


def many_layers(http: httpx.Client, url: str, *, layers: int = 8) -> dict | str:
    """A sketchpad value with ``layers`` layers and no composite, all one 50 KB file."""
    noise = np.random.default_rng(0).integers(0, 256, (160, 160), dtype=np.uint8)
    data = png(Image.fromarray(noise).convert("RGBA").resize((800, 800)))
    uploaded = http.post(f"{url}/gradio_api/upload", files=[("files", ("layer.png", data, "image/png"))])
    uploaded.raise_for_status()
    file = {"path": uploaded.json()[0], "meta": {"_type": "gradio.FileData"}}
    value = {"background": None, "layers": [file] * layers, "composite": None}
    call = http.post(f"{url}/gradio_api/call/predict", json={"data": [value]})
    call.raise_for_status()
    with http.stream("GET", f"{url}/gradio_api/call/predict/{call.json()['event_id']}") as stream:
        lines = list(stream.iter_lines())
    return "\n".join(lines)


def api_calls(http: httpx.Client, url: str, count: int) -> int:
    """``count`` calls to /predict, each a new session as a script's are; how many succeeded."""
    drawing = digit_png()
    return sum(isinstance(predict(http, url, drawing), dict) for _ in range(count))


def saves(http: httpx.Client, url: str, count: int, *, distinct: bool = True) -> list[str]:
    """``count`` "Wrong? Tell it the right answer" saves from one client, through the page's own
    (hidden) events: each draws, then saves. What each save answered (its message or error)."""
    page = PageSession(http, url)
    save = page.dependency("save_correction")
    answers = []
    for index in range(count):
        drawing = digit_png(index % 10, left=100 + (index * 7 if distinct else 0) % 300)
        page.draw(browser_drawing(drawing))
        message = page.run(save, [None, str((index + 1) % 10)])
        output = message.get("output", {})
        answers.append(str(output.get("data", [""])[0]) if message.get("success") else str(output.get("error")))
    return answers


def deep_links(http: httpx.Client, url: str, count: int) -> list[int]:
    """``count`` drawings in one page session, each followed by a request for a deep link to the
    session (``/gradio_api/deep_link``, a route Gradio serves to everyone, which wrote a copy of the
    page's configuration, about 60 KB, to the server's disk for each new state, never deleted):
    the status of each."""
    page = PageSession(http, url)
    statuses = []
    for index in range(count):
        page.draw(browser_drawing(digit_png(index % 10, left=100 + index % 300)))
        answer = http.get(f"{page.url}{page.api_prefix}/deep_link", params={"session_hash": page.session_hash})
        statuses.append(answer.status_code)
    return statuses


def screen_recording(http: httpx.Client, url: str, size: int = 100_000) -> int:
    """A "video" posted to ``/gradio_api/process_recording``, the route Gradio's screen recorder
    uses, which runs ffmpeg on it where ffmpeg is installed: the status answered."""
    files = {"video": ("recording.mp4", bytes(size), "video/mp4")}
    return http.post(f"{url.rstrip('/')}/gradio_api/process_recording", files=files).status_code


def large_call(http: httpx.Client, url: str, size: int, *, declared: bool = True) -> httpx.Response:
    """A call to /predict whose JSON body is ``size`` bytes (its length declared, or sent in
    chunks without one), as Gradio read whole into memory and queued: the answer."""
    body = b'{"data": ["' + b"x" * (size - 15) + b'"]}'
    chunks = (body[start : start + 65536] for start in range(0, len(body), 65536))
    return http.post(
        f"{url.rstrip('/')}/gradio_api/call/predict",
        content=body if declared else chunks,
        headers={"content-type": "application/json"},
    )


def upload(http: httpx.Client, url: str, sizes: list[int]) -> httpx.Response:
    """One upload of files of these sizes (bytes of noise): the answer."""
    rng = np.random.default_rng(0)
    files = [("files", (f"{index}.bin", rng.bytes(size))) for index, size in enumerate(sizes)]
    return http.post(f"{url.rstrip('/')}/gradio_api/upload", files=files)


def cut_off_uploads(url: str, count: int, *, client: str | None = None) -> None:
    """``count`` uploads whose sender leaves partway through, as a page closed, or a phone losing
    its signal, mid-upload does: the headers promise 100 KB of files, 10 KB come, and the
    connection closes. ``client``: the address a proxy on loopback would name (X-Forwarded-For)."""
    where = urlsplit(url)
    part = b'--cut\r\nContent-Disposition: form-data; name="files"; filename="composite.png"\r\n\r\n'
    head = (
        f"POST /gradio_api/upload HTTP/1.1\r\nHost: {where.netloc}\r\nContent-Length: 100000\r\n"
        "Content-Type: multipart/form-data; boundary=cut\r\n" + (f"X-Forwarded-For: {client}\r\n" if client else "")
    )
    for _ in range(count):
        with socket.create_connection((where.hostname, where.port)) as connection:
            connection.sendall(head.encode() + b"\r\n" + part + bytes(10_000))


def made_up_sessions(http: httpx.Client, url: str, count: int) -> list[int]:
    """``count`` requests to the sketchpad's server functions, each naming a new session id and
    a function that does not exist: Gradio made each a session before refusing it. The status
    of each."""
    body = {"component_id": PageSession(http, url).sketchpad, "fn_name": "no_such_function", "data": None}
    endpoint = f"{url.rstrip('/')}/gradio_api/component_server"
    return [http.post(endpoint, json=body | {"session_hash": uuid.uuid4().hex}).status_code for _ in range(count)]


@contextmanager
def open_streams(url: str, count: int, *, client: str | None = None) -> Iterator[list[int]]:
    """``count`` heartbeat streams (``/gradio_api/heartbeat/{session}``, which Gradio keeps open
    for as long as the client does), each for a new session, held open inside the ``with``: the
    status of each. ``client``: the address a proxy on loopback would name (X-Forwarded-For)."""
    headers = {"x-forwarded-for": client} if client else {}
    with ExitStack() as streams:
        http = streams.enter_context(httpx.Client(timeout=30, limits=httpx.Limits(max_connections=None)))
        yield [
            streams.enter_context(
                http.stream("GET", f"{url.rstrip('/')}/gradio_api/heartbeat/{uuid.uuid4().hex}", headers=headers)
            ).status_code
            for _ in range(count)
        ]


def slow_then_ordinary(http_factory, url: str, *, slow: int = 4, ordinary: int = 4) -> list[dict | str]:
    """``slow`` of the slowest inputs the app accepts, at once, then ``ordinary`` drawings:
    what the ordinary ones were answered."""
    photo, drawing = huge_photo(), digit_png()

    def send(data: bytes, api_name: str) -> dict | str:
        with http_factory() as http:
            return send_image(http, url, data, api_name=api_name)

    with ThreadPoolExecutor(slow + ordinary) as pool:
        slow_ones = [pool.submit(send, photo, "predict_image") for _ in range(slow)]
        ordinary_ones = [pool.submit(send, drawing, "predict") for _ in range(ordinary)]
        results = [future.result() for future in ordinary_ones]
        for future in slow_ones:
            future.result()
    return results
