"""Every awkward input to both endpoints through the real API: a clear message or a sensible
answer, never a stack trace, and the server answers normally afterwards."""

from __future__ import annotations

import pytest
from bad_inputs import CORPUS, DIGIT, classify
from gradio_client import handle_file
from gradio_client.exceptions import AppError

GENERIC = ("Could not preprocess", "Traceback", "Exception", "/tmp/")


def send(client, tmp_path, name: str, api_name: str) -> tuple[dict | None, str | None]:
    build, _ = CORPUS[name]
    file = None
    if build is not None:
        path = tmp_path / "input.png"
        path.write_bytes(build())
        file = handle_file(str(path))
    value = {"background": None, "layers": [], "composite": file} if api_name == "/predict" else file
    try:
        return client.predict(value, api_name=api_name), None
    except AppError as error:
        return None, str(error)


@pytest.mark.parametrize("api_name", ["/predict", "/predict_image"])
@pytest.mark.parametrize("name", CORPUS)
def test_bad_input_gets_a_clear_answer(client, tmp_path, name, api_name):
    result, error = send(client, tmp_path, name, api_name)
    kind = classify(result, error)
    expected = CORPUS[name][1]
    if error is not None:
        assert error and not any(text in error for text in GENERIC), error
    if name.startswith(("10000x10000", "decompression bomb")):
        assert "too large" in error, error
    if expected == "sensible-or-error":  # refused, or read without a confident wrong digit
        assert kind in ("error", "prompt", "uncertain", "digit"), (result, error)
    else:
        assert kind == expected, (result, error)


def test_server_still_reads_a_digit_after_the_corpus(client, tmp_path):
    from bad_inputs import digit_drawing

    path = tmp_path / "digit.png"
    digit_drawing().save(path)
    for api_name, value in (
        ("/predict", {"background": None, "layers": [], "composite": handle_file(str(path))}),
        ("/predict_image", handle_file(str(path))),
    ):
        assert client.predict(value, api_name=api_name)["label"] == str(DIGIT)
