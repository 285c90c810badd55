"""The app through its real HTTP API, with gradio_client, as programs use it."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from conftest import PROJECT_DIR
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image, ImageDraw

from digits.learning.drawing import draw_digit
from digits.learning.evaluation import compose_number
from digits.reading.reader import FILLED_IN, SMALL_FOR_THE_BRUSH, TOO_SMALL
from digits.reading.readings import BLOB

EXAMPLES = sorted((PROJECT_DIR / "examples").glob("*.png"))


def sketch(path: Path | None) -> dict:
    """The Sketchpad value as an API caller sends it: only the composite."""
    return {"background": None, "layers": [], "composite": handle_file(str(path)) if path else None}


def save(image: Image.Image, path: Path) -> Path:
    image.save(path)
    return path


def confidences(result: dict) -> dict[str, float]:
    return {c["label"]: c["confidence"] for c in result["confidences"]}


def test_there_is_an_example_per_digit():
    assert sorted({path.name[0] for path in EXAMPLES}) == list("0123456789")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_each_example_predicts_its_label(client, example):
    for api_name, value in (("/predict", sketch(example)), ("/predict_image", handle_file(str(example)))):
        result = client.predict(value, api_name=api_name)
        assert result["label"] == example.name[0], (api_name, result)
        assert len(result["confidences"]) == 10
        assert abs(sum(confidences(result).values()) - 1) < 1e-3


def test_example_sent_as_background_like_the_browser(client):
    example = EXAMPLES[0]
    value = {"background": handle_file(str(example)), "layers": [], "composite": None}
    assert client.predict(value, api_name="/predict")["label"] == example.name[0]


def test_transparent_layer_only(client, tmp_path):
    strokes = draw_digit(7, left=300, top=200, height=360, brush=30).convert("L")
    layer = Image.new("RGBA", strokes.size, (0, 0, 0, 0))
    layer.putalpha(Image.eval(strokes, lambda v: 255 - v))
    value = {"background": None, "layers": [handle_file(str(save(layer, tmp_path / "layer.png")))], "composite": None}
    assert client.predict(value, api_name="/predict")["label"] == "7"


@pytest.mark.parametrize("value", [None, "white", "black", "transparent"])
def test_nothing_to_read_is_a_prompt_not_an_error(client, tmp_path, value):
    colours = {"white": (255, 255, 255, 255), "black": (0, 0, 0, 255), "transparent": (0, 0, 0, 0)}
    path = save(Image.new("RGBA", (800, 800), colours[value]), tmp_path / "blank.png") if value else None
    result = client.predict(sketch(path), api_name="/predict")
    assert result["label"].startswith("Draw a digit") and not result.get("confidences")
    assert ("holds no image" in result["label"]) == (value is None)  # a blank drawing is still a drawing


@pytest.mark.parametrize("api_name", ["/predict", "/read_number"])
def test_an_image_sent_as_a_sketch_is_told_how_to_send_it(client, api_name):
    """gradio_client sends a file given for a sketch as it is, which Gradio reads as a sketch
    with no image in it: once answered "Draw a digit" and nothing more."""
    result = client.predict(handle_file(str(EXAMPLES[0])), api_name=api_name)
    message = result["label"] if api_name == "/predict" else result["message"]
    assert message.startswith("Draw a digit") and '"composite"' in message and "/predict_image" in message


def test_a_blob_is_uncertain(client, tmp_path):
    blob = Image.new("RGB", (800, 800), "white")
    ImageDraw.Draw(blob).ellipse([250, 250, 550, 550], fill="black")
    result = client.predict(sketch(save(blob, tmp_path / "blob.png")), api_name="/predict")
    assert result["label"] == "uncertain" and len(result["confidences"]) == 10


def test_a_dot_is_too_small_to_be_a_digit_but_a_small_digit_is_read(reader):
    dot = Image.new("RGB", (800, 800), "white")
    ImageDraw.Draw(dot).ellipse([400, 400, 410, 410], fill="black")
    reading = reader.read(dot)
    assert (reading.status, reading.message) == ("uncertain", TOO_SMALL) and reading.probabilities is not None
    small = reader.read(draw_digit(3, left=300, top=300, height=40, brush=6))  # 40 px of 800
    assert small.text == "3"


def test_a_small_blob_is_read_as_a_digit_drawn_small_and_a_large_one_is_a_blob(reader):
    """A filled shape 100 px across on the 800 px canvas is what a digit drawn small with the stock
    50 px brush becomes (bench/sizes.py): a 0 drawn so is just that, and it is read, with a word
    to draw larger. One 300 px across is a blob or a scribble."""
    for across in (100, 150):
        drawing = Image.new("RGB", (800, 800), "white")
        ImageDraw.Draw(drawing).ellipse([350, 350, 350 + across, 350 + across], fill="black")
        reading = reader.read(drawing)
        assert (reading.status, reading.text) == ("digit", "0"), across
        assert reading.message.endswith(SMALL_FOR_THE_BRUSH), reading.message
    drawing = Image.new("RGB", (800, 800), "white")
    ImageDraw.Draw(drawing).ellipse([350, 350, 650, 650], fill="black")
    reading = reader.read(drawing)
    assert (reading.status, reading.message) == ("uncertain", BLOB)
    assert reading.probabilities is not None  # its chart is still shown


def test_a_small_blob_unsure_of_its_digit_is_told_why(reader):
    """A small tangle drawn with the stock 50 px brush, a blob that the network reads below 50 %,
    stays unsure and is told that it is small for the brush, not that it is a scribble."""
    tangle = [(394, 399), (428, 424), (383, 417), (445, 443), (438, 393), (447, 386), (402, 379), (415, 428)]
    drawing = Image.new("RGB", (800, 800), "white")
    ImageDraw.Draw(drawing).line(tangle, fill="black", width=50, joint="curve")
    reading = reader.read(drawing)
    assert (reading.status, reading.message) == ("uncertain", FILLED_IN), reading.message


def test_read_number_endpoint(client, mnist, tmp_path):
    rng = np.random.default_rng(2)
    path = tmp_path / "number.png"
    compose_number([mnist.x_test[i] for i in (3, 4)], rng, "apart").save(path)
    result = client.predict(sketch(path), api_name="/read_number")
    expected = "".join(str(d) for d in mnist.y_test[3:5])
    assert result["number"] == expected and result["status"] == "number"
    assert [d["digit"] for d in result["digits"]] == [int(c) for c in expected]
    assert all(len(d["box"]) == 4 and d["box"][0] < d["box"][2] for d in result["digits"])
    # /predict, which the page uses, says the number too
    assert client.predict(sketch(path), api_name="/predict")["label"] == expected


def test_read_number_with_one_digit_and_with_nothing(client, tmp_path):
    one = client.predict(sketch(EXAMPLES[14]), api_name="/read_number")
    assert one["number"] == EXAMPLES[14].name[0] and one["status"] == "digit" and len(one["digits"]) == 1
    blank = tmp_path / "blank.png"
    Image.new("RGB", (800, 800), "white").save(blank)
    empty = client.predict(sketch(blank), api_name="/read_number")
    assert empty == {"number": "", "status": "empty", "message": empty["message"], "digits": []}
    assert "Draw" in empty["message"]


@pytest.mark.parametrize("api_name", ["/predict", "/predict_image"])
def test_corrupt_file_gives_a_clear_error_and_server_keeps_serving(client, tmp_path, api_name, capfd):
    buffer = io.BytesIO()
    draw_digit(2, left=100, top=100, height=400, brush=20).save(buffer, format="PNG")
    broken = tmp_path / "broken.png"
    broken.write_bytes(buffer.getvalue()[:2000])
    value = sketch(broken) if api_name == "/predict" else handle_file(str(broken))
    capfd.readouterr()
    with pytest.raises(AppError, match="^That file is not a readable image: "):
        client.predict(value, api_name=api_name)
    assert "Traceback" not in capfd.readouterr().err  # a refusal, not a fault: the server's log stays quiet
    assert client.predict(sketch(EXAMPLES[4]), api_name="/predict")["label"] == EXAMPLES[4].name[0]


def test_api_is_documented(client):
    info = client.view_api(print_info=False, return_format="dict")
    endpoints = info["named_endpoints"]
    assert set(endpoints) == {"/predict", "/predict_image", "/read_number"}
    assert [p["parameter_name"] for p in endpoints["/predict"]["parameters"]] == ["sketch"]
    assert [p["parameter_name"] for p in endpoints["/predict_image"]["parameters"]] == ["image"]
    assert len(endpoints["/predict"]["returns"]) == 1  # only the gr.Label; page extras stay private
    # What gradio_client and the API page call each answer (a component without a label: "value_28").
    assert [r["label"] for e in endpoints.values() for r in e["returns"]] == ["Prediction", "Prediction", "Number"]


def test_every_event_that_runs_the_model_shares_one_limit(served_app):
    """One limit for all reading, sized for two cores; events that only format run freely."""
    import app

    model_events = {"predict", "predict_image", "read_number", "show_why"}
    seen = set()
    for block_fn in app.demo.fns.values():
        name = block_fn.fn.__name__ if block_fn.fn else None
        if name in model_events:
            seen.add(name)
            assert (block_fn.concurrency_id, block_fn.concurrency_limit) == ("model", 2), name
        elif name == "details" or name == "<lambda>" or block_fn.name == "load_example":
            assert block_fn.concurrency_limit in (None, "default"), name
            assert block_fn.concurrency_id != "model"
    assert seen == model_events
    assert app.demo._queue.default_concurrency_limit is None


def test_the_page_keeps_no_run_history(served_app):
    import httpx

    config = httpx.get(served_app.rstrip("/") + "/config", timeout=10).json()
    assert config["run_history"] is False and "runs" not in config["footer_links"]


def test_sessions_keep_no_copy_of_the_page(served_app):
    """Each new session, a plain HTTP call's too, began with a copy of the configuration of every
    block on the page (3.2 ms of the server's event loop), read only for deep links, which the
    app refuses. A page's session still keeps its reading, and reads the same."""
    import httpx
    from http_api import PageSession, browser_drawing

    import app
    from digits.reading.readings import Reading

    with httpx.Client(timeout=30) as http:
        page = PageSession(http, served_app)
        done = page.draw(browser_drawing(EXAMPLES[7].read_bytes()))
    assert done["output"]["data"][0]["label"] == "3"
    session = app.demo.state_holder.session_data[page.session_hash]
    assert session.config_values == {}
    assert [type(value) for value in session.state_data.values()] == [Reading]


def test_api_calls_leave_no_session_behind(served_app):
    """Gradio keeps a session for each plain HTTP call; thousands of calls would push the page
    visitors' readings out of the sessions kept."""
    import httpx
    from http_api import predict

    import app

    drawing = EXAMPLES[7].read_bytes()
    before = set(app.demo.state_holder.session_data)
    with httpx.Client(timeout=30) as http:
        for api_name in ("predict", "predict_image", "read_number") * 3:
            assert predict(http, served_app.rstrip("/"), drawing, api_name=api_name)
        with pytest.raises(RuntimeError):  # a refused input leaves none either
            predict(http, served_app.rstrip("/"), b"not an image", api_name="predict")
    assert set(app.demo.state_holder.session_data) <= before
