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

from digits.learning.architectures import build_model, build_number_model
from digits.learning.recipes import ARCHITECTURES, MAX_MEMBERS

# The networks this code builds for each kind of model; a file's weights go into one of them.
BUILDERS = {
    "digit": [
        lambda arch=arch, members=members: build_model(arch, members=members)
        for members in range(1, MAX_MEMBERS + 1)
        for arch in ARCHITECTURES
    ],
    "number": [build_number_model],
    "number-page": [build_number_model],  # the same network, trained otherwise
}

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


def load_model(path: Path, kind: str = "digit") -> keras.Model:
    """Load a ``kind`` (a key of BUILDERS) model from an ``.h5`` file, for inference.

    Only the weights are read, into a network this code builds (see BUILDERS): whatever else
    the file says (its layers, any code in them) is never run.

    Raises:
        ModelLoadError: the file is missing, damaged, or not the weights of such a network.
    """
    if not path.is_file():
        raise ModelLoadError(f"{path}: no such file")
    errors = []
    for build in BUILDERS[kind]:
        model = build()
        try:
            model.load_weights(path)
            return model
        except Exception as error:  # h5py and Keras raise many types for a damaged or other file
            errors.append((model.name, error))
    # The first shape's reason, the others by name: for a file of another kind each says the same.
    (name, error), others = errors[0], [other for other, _ in errors[1:]]
    tried = f"; nor {', '.join(others)}" if others else ""
    raise ModelLoadError(f"{path}: not the weights of a {kind} network ({name}: {error}{tried})")


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
