"""Model files: written atomically with their metadata beside them, read back with checks."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras

from digits import IMAGE_SIZE, NUM_CLASSES

FILE_MODE = 0o644  # model files and metadata are meant to be read by anyone


class ModelLoadError(RuntimeError):
    """A model file is missing, truncated or not a Keras model of the expected shape."""


def metadata_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Write ``path`` through ``write(temporary_name)`` in the same folder, then rename it into
    place: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(handle)
    try:
        write(temporary)
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, FILE_MODE)  # mkstemp makes files private
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def save_model(model: keras.Model, path: Path, metadata: dict[str, Any] | None = None) -> None:
    """Save ``model`` as ``.h5`` atomically, and its metadata as JSON beside it."""
    # The optimizer's state is for resuming training, which serving never does.
    atomic_write(path, lambda name: model.save(name, include_optimizer=False))
    if metadata is not None:
        text = json.dumps(metadata, indent=2) + "\n"
        atomic_write(metadata_path(path), lambda name: Path(name).write_text(text))


def load_model(path: Path) -> keras.Model:
    """Load an ``.h5`` digit model for inference.

    Raises:
        ModelLoadError: the file is missing, damaged, or not a 28x28 -> 10 classes model.
    """
    if not path.is_file():
        raise ModelLoadError(f"{path}: no such file")
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as error:  # h5py and Keras raise many types for a damaged file
        raise ModelLoadError(f"{path}: not a loadable Keras model ({error})") from error
    if tuple(model.input_shape[1:]) != (IMAGE_SIZE, IMAGE_SIZE, 1) or model.output_shape[-1] != NUM_CLASSES:
        raise ModelLoadError(f"{path}: model maps {model.input_shape} -> {model.output_shape}")
    return model


def read_metadata(model_path: Path) -> dict[str, Any]:
    """The JSON beside a model file; {} if there is none or it is unreadable."""
    try:
        return json.loads(metadata_path(model_path).read_text())
    except (OSError, ValueError):
        return {}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
