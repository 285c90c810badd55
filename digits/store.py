"""The model file: atomic writes, metadata beside it, and finding a model to serve.

A model is looked for, in order: the cached ``.h5`` -> a download from the Hugging Face
Hub -> a short training run. Whatever is found is cached for the next start.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
from filelock import FileLock

from digits.settings import Settings

logger = logging.getLogger(__name__)


class ModelLoadError(RuntimeError):
    """A model file is missing, truncated or not a Keras model."""


class NoModelError(RuntimeError):
    """No source could provide a model."""


@dataclass(frozen=True)
class ResolvedModel:
    model: keras.Model
    path: Path
    source: str  # "cache", "hub" or "trained"
    seconds: float


def metadata_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def _atomic_write(path: Path, write) -> None:
    """Write via a temporary file in the same folder, then rename: no half files, ever."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    try:
        write(temporary)
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes files private; a model file is not
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def save_model(model: keras.Model, path: Path, metadata: dict[str, Any] | None = None) -> None:
    """Save ``model`` as ``.h5`` atomically, and its metadata as JSON beside it."""
    # The optimizer's state is for resuming training, which serving never does.
    _atomic_write(path, lambda name: model.save(name, include_optimizer=False))
    if metadata is not None:
        text = json.dumps(metadata, indent=2) + "\n"
        _atomic_write(metadata_path(path), lambda name: Path(name).write_text(text))


def load_model(path: Path) -> keras.Model:
    """Load an ``.h5`` model for inference; raises ModelLoadError if it will not load."""
    if not path.is_file():
        raise ModelLoadError(f"{path}: no such file")
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as error:  # h5py and Keras raise many types for a damaged file
        raise ModelLoadError(f"{path}: not a loadable Keras model ({error})") from error
    if tuple(model.input_shape[1:]) != (28, 28, 1) or model.output_shape[-1] != 10:
        raise ModelLoadError(f"{path}: model maps {model.input_shape} -> {model.output_shape}")
    return model


def read_metadata(model_path: Path) -> dict[str, Any]:
    try:
        return json.loads(metadata_path(model_path).read_text())
    except (OSError, ValueError):
        return {}


def _writable_cache_path(model_path: Path) -> Path:
    folder = model_path.parent
    folder_ok = folder.is_dir() and os.access(folder, os.W_OK)
    parent_ok = not folder.exists() and folder.parent.is_dir() and os.access(folder.parent, os.W_OK)
    if folder_ok or parent_ok:
        return model_path
    cache_home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache_home / "digits" / model_path.name


def _quarantine(path: Path, error: Exception) -> None:
    aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
    logger.warning("cached model %s does not load (%s); moving it to %s", path, error, aside)
    try:
        os.replace(path, aside)
    except OSError as move_error:
        logger.warning("could not move %s aside: %s", path, move_error)


def _from_cache(paths: list[Path]) -> tuple[keras.Model, Path] | None:
    for path in paths:
        if not path.exists():
            continue
        try:
            return load_model(path), path
        except ModelLoadError as error:
            _quarantine(path, error)
    return None


def _from_hub(settings: Settings, cache_path: Path) -> keras.Model | None:
    if not settings.hub_repo:
        logger.info("DIGITS_HUB_REPO is not set; skipping the Hub")
        return None
    from digits.hub import HubDownloadError, download_model

    try:
        with tempfile.TemporaryDirectory() as folder:
            downloaded = download_model(settings, Path(folder))
            model = load_model(downloaded)  # a wrong or partial file never reaches the cache
            _atomic_write(cache_path, lambda name: os.replace(downloaded, name))
        return model
    except (HubDownloadError, ModelLoadError) as error:
        logger.warning("Hub download from %s failed: %s", settings.hub_repo, error)
        return None


def _by_training(settings: Settings, cache_path: Path) -> keras.Model:
    from digits.data import load_mnist
    from digits.metadata import build_metadata
    from digits.training import QUICK_RECIPE, train

    logger.info("training a model with the quick recipe (a few minutes)")
    mnist = load_mnist(settings.mnist_dir)
    model, summary = train(QUICK_RECIPE, mnist, verbose=2)
    save_model(model, cache_path, build_metadata(model, QUICK_RECIPE, mnist, summary, evaluation=None))
    return model


def resolve_model(settings: Settings) -> ResolvedModel:
    """Find a model to serve: cache -> Hub -> training; cache what was found.

    A lock beside the cache file makes concurrent starts wait for one another, so they all
    end up with the same model.

    Raises:
        NoModelError: no source gave a model (and training is disabled or failed).
    """
    started = time.perf_counter()
    cache_path = _writable_cache_path(settings.model_path)
    candidates = list(dict.fromkeys([settings.model_path, cache_path]))
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_path) + ".lock"):
        found = _from_cache(candidates)
        if found is not None:
            model, path, source = *found, "cache"
        else:
            model, path, source = _from_hub(settings, cache_path), cache_path, "hub"
            if model is None:
                if not settings.allow_training:
                    raise NoModelError("no cached model, no Hub model, and training is disabled")
                model, source = _by_training(settings, cache_path), "trained"
    seconds = time.perf_counter() - started
    logger.info("model from %s (%s) in %.1f s", source, path, seconds)
    return ResolvedModel(model=model, path=path, source=source, seconds=seconds)
