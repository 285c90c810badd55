"""Shared fixtures: the data sets, a tiny data set and model made here, and the app served for real."""

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
from filelock import FileLock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from digits.settings import DIGIT_MODEL, MODELS_DIR, PROJECT_DIR  # noqa: E402

SHIPPED_MODEL = MODELS_DIR / DIGIT_MODEL
SHARED_DATA = PROJECT_DIR.parent / "shared" / "data"


def data_folder(variable: str, default: Path, marker: str) -> Path:
    """A data set's folder: ``$variable``, else ``default``. Missing, it skips the test on a
    developer's machine and fails it on CI (``CI`` set), where it must be there."""
    folder = Path(os.environ.get(variable) or default)
    if not (folder / marker).exists():
        message = f"{marker} not found in {folder}; set {variable}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    return data_folder("MNIST_DIR", SHARED_DATA / "mnist", "t10k-images-idx3-ubyte.gz")


@pytest.fixture(scope="session")
def unipen_dir() -> Path:
    return data_folder("UNIPEN_DIR", SHARED_DATA / "unipen", "train.npz")


@pytest.fixture(scope="session")
def pen(unipen_dir):
    from digits.learning.pen import load_pen_digits

    return load_pen_digits(unipen_dir)


def write_pen_file(path: Path, *, writers: int = 10, per_writer: int = 20, seed: int = 0) -> Path:
    """A small pen data set in UNIPEN's train.npz format, made here: each writer draws digits from
    the pen strokes in digits/learning/drawing.py with their own slant and a tremor, in tablet
    units (about 300 tall). Writers are named tst/writer0..; with 10, writer8 is held out."""
    from digits.learning.drawing import DIGIT_STROKES, smooth

    rng = np.random.default_rng(seed)
    points, stroke_start, sample_start, labels, writer_of = [], [0], [0], [], []
    for writer in range(writers):
        slant = rng.uniform(-0.3, 0.3)
        for _ in range(per_writer):
            label = int(rng.integers(10))
            for stroke in DIGIT_STROKES[label]:
                xy = np.array(smooth(stroke), np.float32)
                xy[:, 0] += slant * (1 - xy[:, 1])
                xy = xy * 300 + rng.normal(0, 3, xy.shape)
                points.append(xy.astype(np.float32))
                stroke_start.append(stroke_start[-1] + len(xy))
            sample_start.append(len(stroke_start) - 1)
            labels.append(label)
            writer_of.append(writer)
    count = len(labels)
    np.savez(
        path, points=np.concatenate(points), stroke_start=np.array(stroke_start), sample_start=np.array(sample_start),
        label=np.array(labels, np.uint8), writer=np.array(writer_of, np.int32), contributor=np.zeros(count, np.int32),
        source=np.array(writer_of, np.int32), order=np.arange(count, dtype=np.int32) % per_writer,
        index=np.arange(count, dtype=np.int32), streams=np.zeros((count, 2), np.int32),
        writer_names=np.array([f"tst/writer{w}" for w in range(writers)]), contributor_names=np.array(["tst"]),
        source_names=np.array([f"tst/data/writer{w}.dat" for w in range(writers)]),
    )  # fmt: skip
    return path


def made_once(tmp_path_factory, name: str, make) -> Path:
    """A folder that ``make(folder)`` fills once per test run, shared by pytest-xdist's workers
    (as its documentation advises): the first worker to ask makes it, holding a lock, and the
    others wait for it instead of making their own (a tiny training run is 20-40 s of CPU)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    folder = root / name
    with FileLock(f"{folder}.lock"):
        if not (folder / ".made").exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            folder.mkdir()
            make(folder)
            (folder / ".made").touch()
    return folder


@pytest.fixture(scope="session")
def tiny_pen_dir(tmp_path_factory) -> Path:
    return made_once(tmp_path_factory, "tiny_pen", lambda folder: write_pen_file(folder / "train.npz"))


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    from digits.learning.mnist import load_mnist

    return load_mnist(mnist_dir)


def write_idx(path: Path, array: np.ndarray, *, magic: int | None = None) -> Path:
    """Write ``array`` (uint8) as an IDX file; gzipped when ``path`` ends in .gz."""
    magic = magic if magic is not None else (0x0803 if array.ndim == 3 else 0x0801)
    payload = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
    return path


def drawn_digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` digits drawn from the pen strokes in digits/learning/drawing.py, each moved,
    stretched and given its own pen width, as 28x28 MNIST-like images (uint8, 0 = paper)."""
    from PIL import Image, ImageDraw

    from digits.learning.drawing import stroke_paths
    from digits.reading.preprocess import preprocess_ink

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count)
    images = []
    for label in labels:
        canvas = Image.new("L", (120, 120), 0)
        draw = ImageDraw.Draw(canvas)
        left, top, height = rng.uniform(5, 30), rng.uniform(5, 15), rng.uniform(70, 100)
        for path in stroke_paths(int(label), left=left, top=top, height=height):
            wobbly = [(x + rng.normal(0, 1.5), y + rng.normal(0, 1.5)) for x, y in path]
            draw.line(wobbly, fill=255, width=int(rng.integers(4, 14)), joint="curve")
        ink = np.asarray(canvas, dtype=np.float32) / 255
        images.append(np.round(255 * preprocess_ink(ink)).astype(np.uint8))
    return np.stack(images), labels.astype(np.uint8)


@pytest.fixture(scope="session")
def tiny_mnist_dir(tmp_path_factory) -> Path:
    """A small MNIST-format data set made here, in IDX files: 1,000 training and 200 test
    images of digits drawn from pen strokes (gzipped and raw, as MNIST comes either way)."""

    def make(folder: Path) -> None:
        x_train, y_train = drawn_digits(1000, seed=1)
        x_test, y_test = drawn_digits(200, seed=2)
        write_idx(folder / "train-images-idx3-ubyte.gz", x_train)
        write_idx(folder / "train-labels-idx1-ubyte.gz", y_train)
        write_idx(folder / "t10k-images-idx3-ubyte", x_test)
        write_idx(folder / "t10k-labels-idx1-ubyte", y_test)

    return made_once(tmp_path_factory, "tiny_mnist", make)


def train_tiny_model(mnist_dir: Path, output: Path) -> Path:
    """A real model trained by train.py for two epochs (58 steps) on the tiny data set, at ``output``."""
    run_python(
        "train.py", "--data-dir", str(mnist_dir), "--epochs", "2", "--batch-size", "32", "--sketch-count", "20",
        "--output", str(output),
    )  # fmt: skip
    return output


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory, tiny_mnist_dir) -> Path:
    """``train_tiny_model``'s model, made once for the test run."""

    def make(folder: Path) -> None:
        train_tiny_model(tiny_mnist_dir, folder / "tiny.h5")

    return made_once(tmp_path_factory, "tiny_model", make) / "tiny.h5"


# Where a developer's shell points the scripts at the real data sets; a test's command gets only
# the data it names, so that it runs the same on every machine (train.py would otherwise draw all
# of UNIPEN for a two-epoch check).
DATA_VARIABLES = ("MNIST_DIR", "UNIPEN_DIR")


def subprocess_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without DATA_VARIABLES, plus ``env``."""
    inherited = {key: value for key, value in os.environ.items() if key not in DATA_VARIABLES}
    return {**inherited, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}


@pytest.fixture(scope="session")
def tiny_number_model_path(tmp_path_factory, tiny_mnist_dir, tiny_pen_dir) -> Path:
    """A real sequence model trained by ``train.py --model number`` for one epoch on 200 numbers
    drawn from the tiny data sets."""

    def make(folder: Path) -> None:
        run_python(
            "train.py", "--model", "number", "--data-dir", str(tiny_mnist_dir), "--pen-dir", str(tiny_pen_dir),
            "--lines", "200", "--validation-lines", "40", "--epochs", "1", "--score-count", "20",
            "--output", str(folder / "number_ctc.h5"),
        )  # fmt: skip

    return made_once(tmp_path_factory, "tiny_number_model", make) / "number_ctc.h5"


def run_python(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a Python command in the project folder, failing the test with its output."""
    result = subprocess.run(
        [sys.executable, *args], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=timeout,
        env=subprocess_env(env),
    )  # fmt: skip
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="session")
def shipped_model() -> Path:
    assert SHIPPED_MODEL.is_file(), f"{SHIPPED_MODEL} is missing: run python train.py"
    return SHIPPED_MODEL


@pytest.fixture(scope="session")
def reader(shipped_model):
    """A DigitReader on the shipped model, found as the app finds it, loaded once."""
    from digits.reading.reader import DigitReader
    from digits.settings import Settings
    from digits.storage.resolver import resolve_models

    settings = Settings.from_env({"DIGITS_MODEL_DIR": str(shipped_model.parent), "DIGITS_ALLOW_TRAINING": "0"})
    reader = DigitReader(lambda: resolve_models(settings))
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
# How long a browser test waits for the page to show the server's answer: the benchmarks measure
# speed (bench/latency.py), these tests that the answer comes. The page's editor draws on the CPU
# (SwiftShader, below), on the same two cores as the server and the other tests; with both cores
# busy, a number's reading was seen to reach the page more than 35 s after its last stroke.
ANSWER_MS = 120_000
# No GPU here: WebGL (the sketchpad's editor draws with it) runs on SwiftShader through ANGLE,
# which redraws the canvas in about 0.3 s a pointer event where --disable-gpu's path takes 0.65 s.
# "Unsafe" because it exposes SwiftShader to whatever page is open; these open only the app's own.
CHROMIUM_ARGS = [
    "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
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


def screen_paths(page, digit: int, *, left: float, top: float, height: float, root=None) -> list[list[tuple]]:
    """``digit``'s pen strokes in the page's pixels, where the sketchpad shows them (``left``,
    ``top`` and ``height`` in the 800x800 image's pixels)."""
    return on_screen(page, canvas_paths(digit, left=left, top=top, height=height), root=root)


def canvas_paths(digit: int, *, left: float, top: float, height: float) -> list[list[tuple]]:
    """The points that ``screen_paths`` gives, in the 800x800 image's pixels."""
    from digits.learning.drawing import stroke_paths

    return [sparse(path, POINTS_PER_STROKE) for path in stroke_paths(digit, left=left, top=top, height=height)]


def on_screen(page, paths: list, *, root=None) -> list[list[tuple]]:
    """``paths`` in the 800x800 image's pixels, in the page's pixels where the sketchpad shows
    them: the editor shows the image centred in its canvas element, scaled by the zoom it
    displays ("36%")."""
    import re

    from digits.learning.drawing import CANVAS_SIZE

    scope = root or page
    canvas = scope.locator("#sketchpad canvas").first
    canvas.wait_for(state="visible")
    canvas.scroll_into_view_if_needed()
    zoom = scope.locator("#sketchpad").get_by_text(re.compile(r"^\d+%$")).first.inner_text()
    box = canvas.bounding_box()
    scale = int(zoom.rstrip("%")) / 100
    x0 = box["x"] + box["width"] / 2 - CANVAS_SIZE * scale / 2
    y0 = box["y"] + box["height"] / 2 - CANVAS_SIZE * scale / 2
    return [[(x0 + x * scale, y0 + y * scale) for x, y in path] for path in paths]


# Each pointer event makes the editor redraw its canvas, which software WebGL (no GPU here)
# takes a large part of a second to do: a stroke is drawn through this many points at most
# (eight: every digit of stroke_paths is still read as itself, checked for 2, 3, 4, 5, 7 and 8),
# and smoothly when the screenshots are for README (SCREENSHOT_DIR set).
POINTS_PER_STROKE = 32 if os.environ.get("SCREENSHOT_DIR") else 8


def sparse(path: list, most: int) -> list:
    """At most ``most`` points of ``path``, evenly along it, its ends kept."""
    return [path[i] for i in np.linspace(0, len(path) - 1, min(len(path), most)).round().astype(int)]


def draw_with_mouse(page, digit: int, *, left: float, top: float, height: float, root=None) -> None:
    """Draw ``digit``'s pen strokes on the sketchpad with real mouse events."""
    draw_paths_with_mouse(page, screen_paths(page, digit, left=left, top=top, height=height, root=root))


def draw_paths_with_mouse(page, paths: list) -> None:
    """Draw ``paths`` (in the page's pixels) with real mouse events, a stroke for each."""
    for points in paths:
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def draw_with_touch(page, digit: int, *, left: float, top: float, height: float) -> None:
    """Draw ``digit`` with a finger: touch events sent through the Chrome DevTools Protocol, as
    a touch screen sends them (the page must come from a context with ``has_touch``)."""
    session = page.context.new_cdp_session(page)
    for points in screen_paths(page, digit, left=left, top=top, height=height):
        for kind, point in [("touchStart", points[0]), *(("touchMove", p) for p in points[1:])]:
            session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": point[0], "y": point[1]}]})
        session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    session.detach()
