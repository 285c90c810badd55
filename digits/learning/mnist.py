"""MNIST from the four official IDX files (gzipped or raw), or from the Keras download.

IDX is big-endian: a 4-byte magic number (0x00000803 for images, 0x00000801 for labels),
then one 4-byte size per dimension, then unsigned bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits import IMAGE_SIZE
from digits.reading.preprocess import preprocess_ink

logger = logging.getLogger(__name__)

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class MnistError(ValueError):
    """An MNIST file is missing, truncated or not in IDX format."""


@dataclass(frozen=True)
class Mnist:
    """MNIST as uint8 arrays: images (N, 28, 28) with 0 = background, labels (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    checksums: dict[str, str]


def read_idx(path: Path, *, expected_magic: int) -> np.ndarray:
    """Read one IDX file, gzipped (``.gz``) or raw, and check it is complete.

    Raises:
        MnistError: the file is unreadable, has the wrong magic number, or is truncated.
    """
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise MnistError(f"{path}: cannot read ({error})") from error
    if len(raw) < 8:
        raise MnistError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    (magic,) = struct.unpack(">I", raw[:4])
    if magic != expected_magic:
        raise MnistError(f"{path}: magic number {magic:#010x}, expected {expected_magic:#010x}")
    ndim = magic & 0xFF
    header_size = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    expected_bytes = header_size + int(np.prod(shape))
    if len(raw) != expected_bytes:
        raise MnistError(f"{path}: {len(raw)} bytes, expected {expected_bytes} for shape {shape} (truncated?)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)


def _find(data_dir: Path, name: str) -> Path:
    for candidate in (data_dir / f"{name}.gz", data_dir / name):
        if candidate.is_file():
            return candidate
    raise MnistError(f"{data_dir}: missing {name}.gz (or {name})")


def load_split(data_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """Images, labels and the files' SHA-256 sums for ``split`` ("train" or "test")."""
    images_name, labels_name = SPLIT_FILES[split]
    images_path, labels_path = _find(data_dir, images_name), _find(data_dir, labels_name)
    images = read_idx(images_path, expected_magic=IMAGES_MAGIC)
    labels = read_idx(labels_path, expected_magic=LABELS_MAGIC)
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise MnistError(f"{images_path}: images are {images.shape[1:]}, expected 28x28")
    if len(images) != len(labels):
        raise MnistError(f"{images_path}: {len(images)} images but {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise MnistError(f"{labels_path}: label {labels.max()} is not a digit")
    checksums = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in (images_path, labels_path)}
    return images, labels, checksums


def load_mnist(data_dir: str | Path | None = None) -> Mnist:
    """Load MNIST from ``data_dir``, or download it with Keras when no folder is given.

    Raises:
        MnistError: a local file is missing or malformed, or the download failed.
    """
    if data_dir is not None:
        data_dir = Path(data_dir)
        x_train, y_train, train_sums = load_split(data_dir, "train")
        x_test, y_test, test_sums = load_split(data_dir, "test")
        logger.info("MNIST from %s: %d train, %d test", data_dir, len(x_train), len(x_test))
        return Mnist(x_train, y_train, x_test, y_test, str(data_dir), train_sums | test_sums)
    import keras  # imported here so that reading IDX files needs no TensorFlow

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # the download raises several types; all mean "no data"
        raise MnistError(
            f"could not download MNIST ({error}); point --data-dir or MNIST_DIR at a folder holding the four IDX files"
        ) from error
    return Mnist(x_train, y_train, x_test, y_test, "keras.datasets.mnist", {})


def preprocess_all(images: np.ndarray) -> np.ndarray:
    """Run MNIST images (uint8, 0 = background) through the app's preprocessing."""
    return np.stack([preprocess_ink(image.astype(np.float32) / 255.0) for image in images])
