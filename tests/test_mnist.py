"""Reading MNIST's IDX files: good ones gzipped and raw, and each way a file can be wrong."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from conftest import run_python, write_idx

from digits.learning.mnist import IMAGES_MAGIC, LABELS_MAGIC, MnistError, load_mnist, read_idx


class TestReadIdx:
    @pytest.mark.parametrize("name", ["images.idx", "images.idx.gz"])
    def test_reads_images_raw_and_gzipped(self, tmp_path, name):
        images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
        path = write_idx(tmp_path / name, images)
        np.testing.assert_array_equal(read_idx(path, expected_magic=IMAGES_MAGIC), images)

    def test_reads_labels(self, tmp_path):
        labels = np.arange(10, dtype=np.uint8)
        path = write_idx(tmp_path / "labels.idx", labels)
        np.testing.assert_array_equal(read_idx(path, expected_magic=LABELS_MAGIC), labels)

    def test_truncated_file_names_the_file(self, tmp_path):
        path = write_idx(tmp_path / "images.idx", np.zeros((4, 28, 28), np.uint8))
        path.write_bytes(path.read_bytes()[:-100])
        with pytest.raises(MnistError, match=r"images\.idx.*truncated"):
            read_idx(path, expected_magic=IMAGES_MAGIC)

    def test_truncated_gzip_is_an_error(self, tmp_path):
        path = write_idx(tmp_path / "images.idx.gz", np.zeros((4, 28, 28), np.uint8))
        path.write_bytes(path.read_bytes()[:20])
        with pytest.raises(MnistError, match="images.idx.gz"):
            read_idx(path, expected_magic=IMAGES_MAGIC)

    def test_wrong_magic(self, tmp_path):
        path = write_idx(tmp_path / "labels.idx", np.zeros(3, np.uint8))
        with pytest.raises(MnistError, match="magic number 0x00000801, expected 0x00000803"):
            read_idx(path, expected_magic=IMAGES_MAGIC)

    def test_not_gzip_despite_name(self, tmp_path):
        path = tmp_path / "images.idx.gz"
        path.write_bytes(b"this is not gzip at all")
        with pytest.raises(MnistError, match="cannot read"):
            read_idx(path, expected_magic=IMAGES_MAGIC)

    def test_too_short(self, tmp_path):
        path = tmp_path / "x.idx"
        path.write_bytes(b"\x00\x00")
        with pytest.raises(MnistError, match="too short"):
            read_idx(path, expected_magic=IMAGES_MAGIC)


class TestLoadMnist:
    def test_missing_file_is_named(self, tmp_path):
        with pytest.raises(MnistError, match="missing train-images-idx3-ubyte"):
            load_mnist(tmp_path)

    def test_images_and_labels_must_agree(self, tmp_path, mnist):
        write_idx(tmp_path / "train-images-idx3-ubyte", mnist.x_train[:10])
        write_idx(tmp_path / "train-labels-idx1-ubyte", mnist.y_train[:9])
        with pytest.raises(MnistError, match="10 images but 9 labels"):
            load_mnist(tmp_path)

    def test_real_mnist_shapes_and_checksums(self, mnist):
        assert mnist.x_train.shape == (60_000, 28, 28) and mnist.x_test.shape == (10_000, 28, 28)
        assert set(np.unique(mnist.y_test)) == set(range(10))
        assert len(mnist.checksums) == 4 and all(len(s) == 64 for s in mnist.checksums.values())

    def test_failed_download_says_how_to_use_local_files(self, tmp_path):
        """Keras's real download code, in a fresh process whose Keras cache is empty and whose
        HTTPS goes through a proxy on a loopback port where nothing listens: it fails
        whether or not this machine has internet, and the error points to the fix."""
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        script = (
            "from digits.learning.mnist import MnistError, load_mnist\n"
            "try:\n    load_mnist(None)\nexcept MnistError as error:\n    print('MnistError:', error)\n"
        )
        proxy = f"http://127.0.0.1:{port}"
        env = {"KERAS_HOME": str(tmp_path), "HTTPS_PROXY": proxy, "https_proxy": proxy, "NO_PROXY": ""}
        output = run_python("-c", script, env=env).stdout
        assert "Downloading data from https://" in output  # Keras's own download code ran...
        assert "MnistError: could not download MNIST" in output and "Connection refused" in output  # ...to the proxy
        assert "--data-dir or MNIST_DIR" in output
        assert not list(tmp_path.rglob("*.npz"))
