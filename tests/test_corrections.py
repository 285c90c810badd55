"""Learning from mistakes: saving corrections, their folder format, the Hub, and training."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from conftest import PROJECT_DIR, run_python
from hub_server import FakeHub
from PIL import Image

from digits.storage.corrections import METADATA, CorrectionStore, load_corrections, parse_label

EXAMPLES = sorted((PROJECT_DIR / "examples").glob("*.png"))


def saved(folder) -> list[dict]:
    return [json.loads(line) for line in (folder / METADATA).read_text().splitlines()]


@pytest.mark.parametrize("text, label", [("7", "7"), (" 4 2 ", "42"), ("2025", "2025")])
def test_labels_are_digits(text, label):
    assert parse_label(text) == label


@pytest.mark.parametrize("text", ["", "  ", "seven", "4.2", "٣", "1" * 13, None])
def test_other_labels_are_refused_with_a_reason(text):
    with pytest.raises(ValueError, match="(Type|not a number|At most)"):
        parse_label(text)


def test_a_correction_is_saved_in_the_folder_format(reader, tmp_path):
    log = CorrectionStore(tmp_path, model_id=lambda: "test-model")
    reading = reader.read(EXAMPLES[0])
    assert log.save(reading, "1") == 1
    (record,) = saved(tmp_path)
    assert record["label"] == "1" and record["predicted"] == reading.text and record["model"] == "test-model"
    assert record["confidence"] == pytest.approx(reading.confidence, abs=1e-4)
    image = Image.open(tmp_path / record["file_name"])
    assert image.mode == "L"
    expected = reading.drawing  # the ink map as the app read it, with a margin of paper
    np.testing.assert_array_equal(np.asarray(image), expected)
    assert expected.max() == 255 and expected[0].max() == 0 and expected[:, 0].max() == 0
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []


def test_nothing_to_save_is_refused(tmp_path, reader):
    log = CorrectionStore(tmp_path)
    with pytest.raises(ValueError, match="Draw something"):
        log.save(reader.read(None), "3")
    with pytest.raises(ValueError, match="Type"):
        log.save(reader.read(EXAMPLES[0]), "")
    assert not (tmp_path / METADATA).exists()


def test_concurrent_saves_all_land(reader, tmp_path):
    log = CorrectionStore(tmp_path)
    reading = reader.read(EXAMPLES[3])
    threads = [threading.Thread(target=log.save, args=(reading, str(i % 10))) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = saved(tmp_path)
    assert len(records) == 16 and len({r["file_name"] for r in records}) == 16
    assert all((tmp_path / r["file_name"]).is_file() for r in records)


def test_load_corrections_reads_digits_and_numbers_and_skips_what_it_cannot(reader, tmp_path, mnist):
    from digits.learning.evaluation import compose_number

    log = CorrectionStore(tmp_path)
    log.save(reader.read(EXAMPLES[0]), "0")
    number = reader.read(compose_number([mnist.x_test[0], mnist.x_test[1]], np.random.default_rng(4), "apart"))
    log.save(number, "72")
    log.save(number, "123")  # three digits said, two drawn: skipped
    with open(tmp_path / METADATA, "a") as file:
        file.write('{"file_name": "images/gone.png", "lab')  # a save cut short
    loaded = load_corrections(tmp_path)
    assert loaded.labels.tolist() == [0, 7, 2]
    assert loaded.images.shape == (3, 28, 28) and loaded.images.max() <= 1
    assert loaded.skipped == 2
    probabilities = reader.probabilities(loaded.images)
    assert probabilities.argmax(axis=1).tolist()[1:] == [7, 2]  # the same digits the app read


def test_corrections_go_to_a_hub_dataset_with_scheduled_commits(reader, tmp_path, monkeypatch):
    with FakeHub({}) as hub:
        monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub.url)
        log = CorrectionStore(tmp_path, hub_repo="someone/digit-fixes", hub_token="hf_fake", every=60)
        assert log.scheduler is None and not hub.requests  # nothing happens before the first save
        log.save(reader.read(EXAMPLES[5]), "2")
        assert log.scheduler is not None
        log.scheduler.trigger().result(timeout=30)
        log.scheduler.stop()
    assert "POST /api/repos/create" in hub.requests
    pushed = {path: content for commit in hub.commits for path, content in commit.items()}
    (record,) = saved(tmp_path)
    assert pushed[METADATA] == (tmp_path / METADATA).read_bytes()
    assert pushed[record["file_name"]] == (tmp_path / record["file_name"]).read_bytes()


def test_an_unreachable_hub_keeps_corrections_local(reader, tmp_path, monkeypatch):
    with FakeHub({}, mode="error") as hub:
        monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub.url)
        log = CorrectionStore(tmp_path, hub_repo="someone/digit-fixes", hub_token="hf_fake")
        assert log.save(reader.read(EXAMPLES[5]), "2") == 1
    assert log.scheduler is None


def test_train_py_learns_from_extra_data(reader, tmp_path, tiny_mnist_dir):
    folder = tmp_path / "corrections"
    log = CorrectionStore(folder)
    for example in EXAMPLES[:4]:
        log.save(reader.read(example), example.name[0])
    output = tmp_path / "with_extra.h5"
    result = run_python(
        "train.py", "--data-dir", str(tiny_mnist_dir), "--epochs", "1", "--sketch-count", "0",
        "--extra-data", str(folder), "--extra-repeat", "100", "--output", str(output),
    )  # fmt: skip
    assert "extra data: 4 digits" in result.stdout
    metadata = json.loads(output.with_suffix(".json").read_text())
    assert metadata["data_counts"]["extra_images"] == 4 and metadata["arguments"]["extra_data"] == str(folder)
    assert metadata["recipe"]["extra_repeat"] == 100
    assert metadata["steps_run"] == metadata["schedule_steps"]  # the schedule counts the corrections too


def test_train_py_refuses_a_folder_that_is_not_one(tmp_path, tiny_mnist_dir):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "train.py", "--data-dir", str(tiny_mnist_dir), "--extra-data", str(tmp_path)],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2 and "metadata.jsonl not found" in result.stderr
