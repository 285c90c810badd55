"""Finding the model: cache -> Hub -> training, with faults at each step.

Each resolution runs in a fresh process, as an app start does, so that huggingface_hub reads
HF_ENDPOINT (pointing at a loopback FakeHub) the way it does in production.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import PROJECT_DIR, subprocess_env
from hub_server import FakeHub

from digits.settings import DIGIT_MODEL, NUMBER_MODEL, PAGE_NUMBER_MODEL
from digits.storage.files import ModelLoadError, load_model, save_model

RESOLVE = """
import json, logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
from digits.settings import Settings
from digits.storage.resolver import resolve_model
resolved = resolve_model(Settings.from_env(), sys.argv[1])
print(json.dumps(None if resolved is None else {"source": resolved.source, "path": str(resolved.path)}))
"""


def start_resolve(env: dict[str, str], kind: str = "digit") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", RESOLVE, kind], cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=subprocess_env({"HF_HUB_DISABLE_TELEMETRY": "1", **env}),
    )  # fmt: skip


def resolve(env: dict[str, str], kind: str = "digit") -> tuple[int, dict | None, str]:
    process = start_resolve(env, kind)
    stdout, stderr = process.communicate(timeout=300)
    result = json.loads(stdout.strip().splitlines()[-1]) if process.returncode == 0 else {}
    return process.returncode, result, stderr


def hub_env(hub: FakeHub, model_path, **extra: str) -> dict[str, str]:
    return {
        "HF_ENDPOINT": hub.url, "DIGITS_HUB_REPO": "tester/digits", "DIGITS_MODEL_DIR": str(model_path.parent),
        "DIGITS_HUB_TIMEOUT": "2", "HF_HUB_DOWNLOAD_TIMEOUT": "2", "HF_HUB_ETAG_TIMEOUT": "2",
        "HF_HOME": str(model_path.parent / "hf_home"), **extra,
    }  # fmt: skip


class TestSaveAndLoad:
    def test_round_trip_with_metadata(self, tmp_path, tiny_model_path):
        model = load_model(tiny_model_path)
        path = tmp_path / "copy.h5"
        save_model(model, path, {"note": "hello"})
        again = load_model(path)
        batch = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
        np.testing.assert_allclose(again(batch).numpy(), model(batch).numpy(), atol=1e-6)
        assert json.loads(path.with_suffix(".json").read_text()) == {"note": "hello"}
        assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.h5", "copy.json"]  # no temp files left

    @pytest.mark.parametrize("content", [b"", b"not a model", b"\x89HDF\r\n\x1a\n" + b"\x00" * 100])
    def test_damaged_files_raise(self, tmp_path, content):
        path = tmp_path / "bad.h5"
        path.write_bytes(content)
        with pytest.raises(ModelLoadError, match="bad.h5"):
            load_model(path)

    def test_truncated_model_raises(self, tmp_path, tiny_model_path):
        path = tmp_path / "cut.h5"
        path.write_bytes(tiny_model_path.read_bytes()[:50_000])
        with pytest.raises(ModelLoadError):
            load_model(path)

    def test_saved_files_are_readable_by_all_whatever_the_umask(self, tmp_path, tiny_model_path):
        """The mode is set on the file; the process-wide umask, which other threads use, is not touched."""
        model = load_model(tiny_model_path)
        path = tmp_path / "shared.h5"
        old = os.umask(0o077)
        try:
            save_model(model, path, {"note": "hello"})
            assert os.umask(0o077) == 0o077  # still what this test set
        finally:
            os.umask(old)
        for written in (path, path.with_suffix(".json")):
            assert stat.S_IMODE(written.stat().st_mode) == 0o644, written


class TestResolve:
    def test_cached_model_is_used(self, tmp_path, tiny_model_path):
        cached = tmp_path / DIGIT_MODEL
        shutil.copy(tiny_model_path, cached)
        code, result, log = resolve({"DIGITS_MODEL_DIR": str(tmp_path)})
        assert code == 0, log
        assert result == {"source": "cache", "path": str(cached)}
        assert "model from cache" in log

    def test_corrupt_cache_is_moved_aside_and_hub_used(self, tmp_path, tiny_model_path):
        cached = tmp_path / DIGIT_MODEL
        cached.write_bytes(tiny_model_path.read_bytes()[:30_000])
        with FakeHub({DIGIT_MODEL: tiny_model_path}) as hub:
            code, result, log = resolve(hub_env(hub, cached))
        assert code == 0, log
        assert result["source"] == "hub" and "does not load" in log
        assert len(list(tmp_path.glob(f"{DIGIT_MODEL}.corrupt-*"))) == 1
        assert cached.read_bytes() == tiny_model_path.read_bytes()  # the Hub's file is now the cache
        load_model(cached)

    @pytest.mark.parametrize("mode", ["error", "missing", "hang", "wrong"])
    def test_failing_hub_falls_through_and_keeps_nothing(self, tmp_path, tiny_model_path, mode):
        cached = tmp_path / DIGIT_MODEL
        with FakeHub({DIGIT_MODEL: tiny_model_path}, mode=mode) as hub:
            code, _, log = resolve(hub_env(hub, cached, DIGITS_ALLOW_TRAINING="0"))
            assert hub.requests, "the Hub was never asked"
        assert code != 0 and "NoModelError" in log
        assert f"Hub download of {DIGIT_MODEL} from tester/digits failed" in log
        assert not cached.exists()  # nothing partial or wrong became the cache
        assert not [p for p in tmp_path.iterdir() if p.suffix != ".lock"]  # the lock file may stay

    @pytest.mark.parametrize("pinned", ["right", "wrong"])
    def test_a_pinned_download_must_have_its_sha256(self, tmp_path, tiny_model_path, pinned):
        cached = tmp_path / DIGIT_MODEL
        digest = hashlib.sha256(tiny_model_path.read_bytes()).hexdigest()
        with FakeHub({DIGIT_MODEL: tiny_model_path}) as hub:
            env = hub_env(
                hub, cached, DIGITS_ALLOW_TRAINING="0", DIGITS_HUB_REVISION="a" * 40,
                DIGITS_HUB_DIGIT_SHA256=digest if pinned == "right" else "0" * 64,
            )  # fmt: skip
            code, result, log = resolve(env)
        assert f"/tester/digits/resolve/{'a' * 40}/{DIGIT_MODEL}" in " ".join(hub.requests)  # at the pinned commit
        if pinned == "right":
            assert code == 0 and result["source"] == "hub", log
            assert cached.read_bytes() == tiny_model_path.read_bytes()
        else:
            assert code != 0 and f"not the pinned {'0' * 64}" in log
            assert not cached.exists()

    def test_the_download_waits_beside_the_cache_not_in_the_temp_folder(self, tmp_path, tiny_model_path):
        """A temp folder on another file system once made the last move fail ("Invalid
        cross-device link"): while the file comes, it is in a folder beside the cache."""
        cached = tmp_path / DIGIT_MODEL
        seen = set()
        with FakeHub({DIGIT_MODEL: tiny_model_path}, mode="slow") as hub:
            process = start_resolve(hub_env(hub, cached, DIGITS_ALLOW_TRAINING="0"))
            while process.poll() is None:
                seen |= {path.name for path in tmp_path.glob(f".{Path(DIGIT_MODEL).stem}-download-*")}
                time.sleep(0.05)
            stdout, stderr = process.communicate()
        assert process.returncode == 0 and '"source": "hub"' in stdout, stderr
        assert seen, "no download folder beside the cache"
        assert not list(tmp_path.glob(".*download*"))  # and gone once done

    def test_stale_temporary_files_are_cleaned_at_start(self, tmp_path, tiny_model_path):
        shutil.copy(tiny_model_path, tmp_path / DIGIT_MODEL)
        stale = [
            tmp_path / f".{Path(DIGIT_MODEL).stem}-x1y2.tmp.h5",
            tmp_path / f".{Path(DIGIT_MODEL).stem}-download-z",
        ]
        stale[0].write_bytes(b"half a model")
        stale[1].mkdir()
        fresh = tmp_path / f".{Path(DIGIT_MODEL).stem}-now.tmp.h5"  # a train.py saving right now
        fresh.write_bytes(b"being written")
        for path in stale:
            os.utime(path, (time.time() - 3600, time.time() - 3600))
        code, _, log = resolve({"DIGITS_MODEL_DIR": str(tmp_path)})
        assert code == 0, log
        assert not any(path.exists() for path in stale) and fresh.exists()

    def test_weights_load_only_into_a_network_this_code_builds(self, tmp_path):
        """A Keras file of another network (here one with a Lambda layer, which would run code)
        is refused, whatever it maps; nothing in it runs."""
        inputs = keras.Input((28, 28, 1))
        outputs = keras.layers.Dense(10, activation="softmax")(
            keras.layers.Flatten()(keras.layers.Lambda(lambda x: x * 2)(inputs))
        )
        other = tmp_path / DIGIT_MODEL
        keras.Model(inputs, outputs).save(other)
        with pytest.raises(ModelLoadError, match="not the weights of a digit network") as refused:
            load_model(other)
        # One shape's reason and the others' names, not each shape's reason (1,400 characters).
        assert str(refused.value).count("Layer count mismatch") == 1 and len(str(refused.value)) < 400

    def test_unwritable_model_folder_caches_in_the_user_cache(self, tmp_path, tiny_model_path):
        blocker = tmp_path / "app"
        blocker.write_text("a file where the model folder would go: nothing can be written below it")
        wanted = blocker / "models" / DIGIT_MODEL
        user_cache = tmp_path / "user-cache" / "digits" / DIGIT_MODEL
        with FakeHub({DIGIT_MODEL: tiny_model_path}) as hub:
            env = hub_env(
                hub, wanted, DIGITS_ALLOW_TRAINING="0", XDG_CACHE_HOME=str(tmp_path / "user-cache"),
                HF_HOME=str(tmp_path / "hf_home"),
            )  # fmt: skip
            first = resolve(env)
            second = resolve(env)
        assert first[0] == 0, first[2]
        assert first[1] == {"source": "hub", "path": str(user_cache)}
        assert second[1] == {"source": "cache", "path": str(user_cache)}  # found there on the next start
        assert hub.downloads == 1

    def test_no_cache_no_hub_trains_with_quick_recipe(self, tmp_path, tiny_mnist_dir):
        cached = tmp_path / DIGIT_MODEL
        with FakeHub({}, mode="error") as hub:
            code, result, log = resolve(hub_env(hub, cached, MNIST_DIR=str(tiny_mnist_dir)))
        assert code == 0, log
        assert result == {"source": "trained", "path": str(cached)}
        assert "training a digit model with the quick recipe" in log
        load_model(cached)
        metadata = json.loads(cached.with_suffix(".json").read_text())
        assert metadata["recipe"]["epochs"] == 3 and metadata["data_counts"]["mnist_train"] > 0

    def test_the_number_model_comes_from_the_hub_like_the_digit_model(self, tmp_path, tiny_number_model_path):
        cached = tmp_path / NUMBER_MODEL
        with FakeHub({NUMBER_MODEL: tiny_number_model_path}) as hub:
            code, result, log = resolve(hub_env(hub, cached, DIGITS_ALLOW_TRAINING="0"), "number")
            assert f"/tester/digits/resolve/main/{NUMBER_MODEL}" in " ".join(hub.requests)
        assert code == 0, log
        assert result == {"source": "hub", "path": str(cached)}
        assert cached.read_bytes() == tiny_number_model_path.read_bytes()
        load_model(cached, "number")

    def test_without_a_number_model_numbers_are_cut(self, tmp_path):
        """No cache, no Hub, no training: the app still starts, and cuts numbers into digits."""
        code, result, log = resolve({"DIGITS_MODEL_DIR": str(tmp_path), "DIGITS_ALLOW_TRAINING": "0"}, "number")
        assert code == 0, log
        assert result is None and "numbers will be cut into digits" in log

    @pytest.mark.parametrize("pinned", ["right", "wrong"])
    def test_the_second_sequence_network_comes_from_the_hub_checked_like_the_others(
        self, tmp_path, tiny_number_model_path, pinned
    ):
        cached = tmp_path / PAGE_NUMBER_MODEL
        digest = hashlib.sha256(tiny_number_model_path.read_bytes()).hexdigest()
        with FakeHub({PAGE_NUMBER_MODEL: tiny_number_model_path}) as hub:
            env = hub_env(
                hub, cached, DIGITS_ALLOW_TRAINING="0",
                DIGITS_HUB_NUMBER_PAGE_SHA256=digest if pinned == "right" else "0" * 64,
            )  # fmt: skip
            code, result, log = resolve(env, "number-page")
            assert f"/tester/digits/resolve/main/{PAGE_NUMBER_MODEL}" in " ".join(hub.requests)
        assert code == 0, log
        if pinned == "right":
            assert result == {"source": "hub", "path": str(cached)}
            load_model(cached, "number-page")
        else:
            assert result is None and "numbers are read by one sequence network" in log
            assert not cached.exists()

    def test_the_second_sequence_network_is_never_trained_at_start(self, tmp_path, tiny_mnist_dir, tiny_pen_dir):
        """The data to train it is there, and training is allowed: still, start-up does not train it."""
        env = {"DIGITS_MODEL_DIR": str(tmp_path), "MNIST_DIR": str(tiny_mnist_dir), "UNIPEN_DIR": str(tiny_pen_dir)}
        code, result, log = resolve(env, "number-page")
        assert code == 0, log
        assert result is None and "never trained at start-up" in log
        assert list(tmp_path.glob("*.h5")) == []

    def test_two_processes_starting_together_share_one_model(self, tmp_path, tiny_model_path):
        cached = tmp_path / DIGIT_MODEL
        with FakeHub({DIGIT_MODEL: tiny_model_path}) as hub:
            env = hub_env(hub, cached, DIGITS_ALLOW_TRAINING="0")
            processes = [start_resolve(env) for _ in range(2)]
            outputs = [process.communicate(timeout=300) for process in processes]
        for process, (_, stderr) in zip(processes, outputs, strict=True):
            assert process.returncode == 0, stderr
        sources = sorted(json.loads(stdout.strip().splitlines()[-1])["source"] for stdout, _ in outputs)
        assert sources == ["cache", "hub"]  # one downloaded; the other waited and read the cache
        assert hub.downloads == 1
        assert cached.read_bytes() == tiny_model_path.read_bytes()


KILL_DURING_SAVE = """
import sys
from pathlib import Path
from digits.storage.files import load_model, save_model
model = load_model(Path(sys.argv[1]))
print("ready", flush=True)
while True:
    save_model(model, Path(sys.argv[2]))
"""


def test_killing_a_save_never_breaks_the_model_file(tmp_path, tiny_model_path):
    """SIGKILL a process that saves in a loop, at several moments: the file always loads."""
    target = tmp_path / "model.h5"
    shutil.copy(tiny_model_path, target)
    rng = np.random.default_rng(0)
    for _ in range(3):
        process = subprocess.Popen(
            [sys.executable, "-c", KILL_DURING_SAVE, str(tiny_model_path), str(target)],
            cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )  # fmt: skip
        assert process.stdout.readline().strip() == "ready"
        import time

        time.sleep(float(rng.uniform(0.05, 0.6)))
        process.kill()
        process.wait()
        load_model(target)  # intact, whatever moment the kill hit
