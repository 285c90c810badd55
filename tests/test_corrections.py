"""Learning from mistakes: saving corrections within bounds, reviewing them, the Hub, training."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import pytest
from conftest import PROJECT_DIR, run_python
from hub_server import FakeHub
from PIL import Image

from digits.storage.corrections import METADATA, CorrectionStore, load_corrections, parse_label, records, review

EXAMPLES = sorted((PROJECT_DIR / "examples").glob("*.png"))


def saved(store: CorrectionStore) -> list[dict]:
    return [json.loads(line) for line in (store.run_folder / METADATA).read_text().splitlines()]


def distinct_readings(reader, count: int):
    """``count`` readings of different drawings (examples, and numbers made of two of them)."""
    readings = [reader.read(example) for example in EXAMPLES]
    return readings[:count]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("text, label", [("7", "7"), (" 4 2 ", "42"), ("2025", "2025")])
def test_labels_are_digits(text, label):
    assert parse_label(text) == label


@pytest.mark.parametrize("text", ["", "  ", "seven", "4.2", "٣", "1" * 13, None])
def test_other_labels_are_refused_with_a_reason(text):
    with pytest.raises(ValueError, match="(Type|not a number|At most)"):
        parse_label(text)


def test_a_correction_is_saved_in_its_runs_folder(reader, tmp_path):
    store = CorrectionStore(tmp_path, model_id=lambda: "test-model")
    assert not list(tmp_path.iterdir()), "nothing is written before the first save"
    reading = reader.read(EXAMPLES[0])
    assert store.save(reading, "1") == 1
    (record,) = saved(store)
    assert record["label"] == "1" and record["predicted"] == reading.text and record["model"] == "test-model"
    assert record["confidence"] == pytest.approx(reading.confidence, abs=1e-4)
    image = Image.open(store.run_folder / record["file_name"])
    assert image.mode == "L" and max(image.size) <= 320
    np.testing.assert_array_equal(np.asarray(image), reading.drawing)  # the ink map the app read
    assert [path.name for path in store.run_folder.iterdir() if path.name.startswith(".")] == []
    assert [r.verdict for r in records(tmp_path)] == [None]  # waiting for review


def test_nothing_to_save_is_refused(tmp_path, reader):
    store = CorrectionStore(tmp_path)
    with pytest.raises(ValueError, match="Draw something"):
        store.save(reader.read(None), "3")
    with pytest.raises(ValueError, match="Type"):
        store.save(reader.read(EXAMPLES[0]), "")
    assert not records(tmp_path)


def test_the_same_drawing_with_the_same_answer_is_saved_once(reader, tmp_path):
    store = CorrectionStore(tmp_path)
    reading = reader.read(EXAMPLES[2])
    store.save(reading, "1")
    with pytest.raises(ValueError, match="already saved"):
        store.save(reading, "1")
    assert store.save(reading, "7") == 2  # another answer is another correction
    again = CorrectionStore(tmp_path)  # after a restart too
    with pytest.raises(ValueError, match="already saved"):
        again.save(reading, "7")


def test_each_client_may_save_a_few_an_hour(reader, tmp_path):
    clock = Clock()
    store = CorrectionStore(tmp_path, per_hour=3, clock=clock)
    readings = distinct_readings(reader, 6)
    for reading in readings[:3]:
        store.save(reading, "5", client="10.0.0.1")
    with pytest.raises(ValueError, match="3 saves this hour"):
        store.save(readings[3], "5", client="10.0.0.1")
    assert store.save(readings[3], "5", client="10.0.0.2") == 4  # someone else may
    clock.now += 3601
    assert store.save(readings[4], "5", client="10.0.0.1") == 5  # and the first again, an hour on


def test_the_folder_holds_at_most_so_many(reader, tmp_path):
    readings = distinct_readings(reader, 4)
    store = CorrectionStore(tmp_path, max_count=2)
    store.save(readings[0], "1")
    store.save(readings[1], "1")
    with pytest.raises(ValueError, match="full"):
        store.save(readings[2], "1")
    small = CorrectionStore(tmp_path / "small", max_bytes=1)
    with pytest.raises(ValueError, match="full"):
        small.save(readings[3], "1")


def test_concurrent_saves_all_land(reader, tmp_path):
    store = CorrectionStore(tmp_path)
    readings = distinct_readings(reader, 16)
    threads = [threading.Thread(target=store.save, args=(reading, "4")) for reading in readings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = saved(store)
    assert len(entries) == 16 and len({entry["file_name"] for entry in entries}) == 16
    assert all((store.run_folder / entry["file_name"]).is_file() for entry in entries)


def test_only_accepted_corrections_are_trained_on(reader, tmp_path, mnist):
    from digits.learning.evaluation import compose_number

    store = CorrectionStore(tmp_path)
    store.save(reader.read(EXAMPLES[0]), "0")
    number = reader.read(compose_number([mnist.x_test[0], mnist.x_test[1]], np.random.default_rng(4), "apart"))
    store.save(number, "72")
    store.save(number, "123")  # three digits said, two drawn: unusable
    store.save(reader.read(EXAMPLES[5]), "9")  # rejected by the reviewer
    store.save(reader.read(EXAMPLES[7]), "3")  # not reviewed
    with open(store.run_folder / METADATA, "a") as file:
        file.write('{"file_name": "images/gone.png", "lab')  # a save cut short
    by_label = {record.label: record for record in records(tmp_path)}
    for label in ("0", "72", "123"):
        review(tmp_path, by_label[label].image, "accepted")
    review(tmp_path, by_label["9"].image, "rejected")
    loaded = load_corrections(tmp_path)
    assert loaded.labels.tolist() == [0, 7, 2]
    assert loaded.images.shape == (3, 28, 28) and loaded.images.max() <= 1
    assert (loaded.skipped, loaded.pending) == (1, 1)
    assert reader.probabilities(loaded.images).argmax(axis=1).tolist()[1:] == [7, 2]  # as the app read them


def test_the_review_command_lists_draws_and_accepts(reader, tmp_path):
    store = CorrectionStore(tmp_path)
    store.save(reader.read(EXAMPLES[0]), "0")
    store.save(reader.read(EXAMPLES[4]), "2")
    listing = run_python("scripts/review_corrections.py", "--folder", str(tmp_path)).stdout
    assert "2 waiting, 0 accepted, 0 rejected" in listing
    ids = [line.split()[0] for line in listing.splitlines() if "typed" in line]
    assert len(ids) == 2 and (tmp_path / "pending.png").is_file()
    assert Image.open(tmp_path / "pending.png").size[0] > 300
    run_python("scripts/review_corrections.py", "accept", ids[0], "--folder", str(tmp_path))
    run_python("scripts/review_corrections.py", "reject", ids[1], "--folder", str(tmp_path))
    assert sorted(str(r.verdict) for r in records(tmp_path)) == ["accepted", "rejected"]
    assert load_corrections(tmp_path).labels.tolist() == [0]
    wrong = subprocess.run(
        [sys.executable, "scripts/review_corrections.py", "accept", "nosuchid", "--folder", str(tmp_path)],
        cwd=PROJECT_DIR, capture_output=True, text=True,
    )  # fmt: skip
    assert wrong.returncode == 2 and "no saved drawing with id nosuchid" in wrong.stderr


def test_each_run_pushes_its_own_folder_to_the_hub(reader, tmp_path, monkeypatch):
    """A restart adds a folder to the dataset; it never replaces the last run's files."""
    with FakeHub({}) as hub:
        monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub.url)
        runs = []
        for example, label in ((EXAMPLES[5], "2"), (EXAMPLES[6], "4")):
            commits = len(hub.commits)
            store = CorrectionStore(tmp_path, hub_repo="someone/digit-fixes", hub_token="hf_fake", every=60)
            assert store.scheduler is None and len(hub.commits) == commits  # nothing before the first save
            store.save(reader.read(example), label)
            store.scheduler.trigger().result(timeout=30)
            store.scheduler.stop()
            runs.append(store)
    assert "POST /api/repos/create" in hub.requests
    pushed = {path: content for commit in hub.commits for path, content in commit.items()}
    for store in runs:
        (entry,) = saved(store)
        assert pushed[f"{store.run}/{METADATA}"] == (store.run_folder / METADATA).read_bytes()
        assert pushed[f"{store.run}/{entry['file_name']}"] == (store.run_folder / entry["file_name"]).read_bytes()
    assert runs[0].run != runs[1].run


def test_an_unreachable_hub_keeps_corrections_local(reader, tmp_path, monkeypatch):
    with FakeHub({}, mode="error") as hub:
        monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub.url)
        store = CorrectionStore(tmp_path, hub_repo="someone/digit-fixes", hub_token="hf_fake")
        assert store.save(reader.read(EXAMPLES[5]), "2") == 1
    assert store.scheduler is None


def test_train_py_learns_from_accepted_extra_data(reader, tmp_path, tiny_mnist_dir):
    folder = tmp_path / "corrections"
    store = CorrectionStore(folder)
    for example in EXAMPLES[:5]:
        store.save(reader.read(example), example.name[0])
    for record in records(folder)[:4]:
        review(folder, record.image, "accepted")
    output = tmp_path / "with_extra.h5"
    result = run_python(
        "train.py", "--data-dir", str(tiny_mnist_dir), "--pen-dir", "", "--epochs", "1", "--sketch-count", "0",
        "--extra-data", str(folder), "--extra-repeat", "100", "--output", str(output),
    )  # fmt: skip
    assert "extra data: 4 digits accepted" in result.stdout and "1 not reviewed yet" in result.stdout
    metadata = json.loads(output.with_suffix(".json").read_text())
    assert metadata["data_counts"]["extra_images"] == 4 and metadata["arguments"]["extra_data"] == str(folder)
    assert metadata["recipe"]["extra_repeat"] == 100
    assert metadata["steps_run"] == metadata["schedule_steps"]  # the schedule counts the corrections too


def test_train_py_refuses_a_folder_that_is_not_one(tmp_path, tiny_mnist_dir):
    result = subprocess.run(
        [sys.executable, "train.py", "--data-dir", str(tiny_mnist_dir), "--pen-dir", "", "--extra-data", str(tmp_path)],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2 and "is it a corrections folder?" in result.stderr
