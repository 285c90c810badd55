"""Shared fixtures: MNIST, small IDX files, a tiny real model, and the app served for real."""

from __future__ import annotations

import gzip
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHIPPED_MODEL = PROJECT_DIR / "models" / "mnist_cnn.h5"
sys.path.insert(0, str(PROJECT_DIR))


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    folder = Path(os.environ.get("MNIST_DIR", PROJECT_DIR.parent / "shared" / "data" / "mnist"))
    if not (folder / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST IDX files not found in {folder}; set MNIST_DIR")
    return folder


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    from digits.data import load_mnist

    return load_mnist(mnist_dir)


def write_idx(path: Path, array: np.ndarray, *, magic: int | None = None) -> Path:
    """Write ``array`` (uint8) as an IDX file; gzipped when ``path`` ends in .gz."""
    magic = magic if magic is not None else (0x0803 if array.ndim == 3 else 0x0801)
    payload = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
    return path


@pytest.fixture(scope="session")
def tiny_mnist_dir(tmp_path_factory, mnist) -> Path:
    """A small MNIST in IDX files written by the test: 600 training and 200 test images."""
    folder = tmp_path_factory.mktemp("tiny_mnist")
    write_idx(folder / "train-images-idx3-ubyte.gz", mnist.x_train[:600])
    write_idx(folder / "train-labels-idx1-ubyte.gz", mnist.y_train[:600])
    write_idx(folder / "t10k-images-idx3-ubyte", mnist.x_test[:200])
    write_idx(folder / "t10k-labels-idx1-ubyte", mnist.y_test[:200])
    return folder


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory, tiny_mnist_dir) -> Path:
    """A real model trained by train.py for one epoch on the tiny MNIST."""
    output = tmp_path_factory.mktemp("tiny_model") / "tiny.h5"
    run_python(
        "train.py", "--data-dir", str(tiny_mnist_dir), "--epochs", "1", "--sketch-count", "20",
        "--output", str(output),
    )  # fmt: skip
    return output


def run_python(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a Python command in the project folder, failing the test with its output."""
    result = subprocess.run(
        [sys.executable, *args], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})},
    )  # fmt: skip
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="session")
def shipped_model() -> Path:
    assert SHIPPED_MODEL.is_file(), "models/mnist_cnn.h5 is missing: run python train.py"
    return SHIPPED_MODEL


@pytest.fixture(scope="session")
def reader(shipped_model):
    """The app's DigitReader on the shipped model, loaded once."""
    from digits.reader import DigitReader
    from digits.settings import Settings

    reader = DigitReader(Settings.from_env({"DIGITS_MODEL_PATH": str(shipped_model)}))
    reader.load()
    return reader


@pytest.fixture(scope="session")
def corrections_dir(tmp_path_factory) -> Path:
    """Where the served app saves "that's wrong" drawings (set before app is imported)."""
    folder = tmp_path_factory.mktemp("corrections")
    os.environ["DIGITS_CORRECTIONS_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def served_app(shipped_model, corrections_dir):
    """The real app, launched on 127.0.0.1 with the shipped model, as `python app.py` does."""
    import app

    assert app.settings.corrections_dir == corrections_dir, "app was imported before the corrections folder was set"

    app.reader.load()
    _, url, _ = app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=None, quiet=True)
    yield url
    app.demo.close()


@pytest.fixture(scope="session")
def client(served_app):
    from gradio_client import Client

    return Client(served_app, verbose=False)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium not found: apt-get install chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def draw_with_mouse(page, digit: int, *, left: float, top: float, height: float, root=None) -> None:
    """Draw ``digit``'s pen strokes on the sketchpad with real mouse events.

    ``left``, ``top`` and ``height`` are in the 800x800 image's pixels. The editor shows that
    image centred in its canvas element, scaled by the zoom it displays ("36%").
    """
    import re

    from digits.sketch import CANVAS_SIZE, stroke_paths

    scope = root or page
    canvas = scope.locator("#sketchpad canvas").first
    canvas.wait_for(state="visible")
    canvas.scroll_into_view_if_needed()
    zoom = scope.locator("#sketchpad").get_by_text(re.compile(r"^\d+%$")).first.inner_text()
    box = canvas.bounding_box()
    scale = int(zoom.rstrip("%")) / 100
    x0 = box["x"] + box["width"] / 2 - CANVAS_SIZE * scale / 2
    y0 = box["y"] + box["height"] / 2 - CANVAS_SIZE * scale / 2
    for path in stroke_paths(digit, left=left, top=top, height=height):
        points = [(x0 + x * scale, y0 + y * scale) for x, y in path]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=2)
        page.mouse.up()
