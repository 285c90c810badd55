"""Finding a model to serve: the cached file -> a download from the Hub -> a short training run.

Whatever is found is cached for the next start. This is the one module that knows all three
sources; the training code is imported only when nothing else gave a model.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import keras
from filelock import FileLock

from digits.settings import DIGIT_MODEL, Settings
from digits.storage.files import ModelLoadError, atomic_write, file_sha256, load_model, save_model
from digits.storage.hub import HubDownloadError, download_file

logger = logging.getLogger(__name__)


class NoModelError(RuntimeError):
    """No source could provide a model."""


@dataclass(frozen=True)
class ResolvedModel:
    model: keras.Model
    path: Path
    source: str  # "cache", "hub" or "trained"
    seconds: float
    sha256: str  # of the model file, to tell models apart


def writable_cache_path(model_path: Path, user_cache_dir: Path) -> Path:
    """``model_path`` if its folder can be written, else the same name in the user's cache."""
    folder = model_path.parent
    folder_ok = folder.is_dir() and os.access(folder, os.W_OK)
    parent_ok = not folder.exists() and folder.parent.is_dir() and os.access(folder.parent, os.W_OK)
    return model_path if folder_ok or parent_ok else user_cache_dir / model_path.name


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
    try:
        with tempfile.TemporaryDirectory() as folder:
            downloaded = download_file(
                settings.hub_repo, DIGIT_MODEL, revision=settings.hub_revision, folder=Path(folder),
                timeout=settings.hub_timeout,
            )  # fmt: skip
            model = load_model(downloaded)  # a wrong or partial file never reaches the cache
            atomic_write(cache_path, lambda name: os.replace(downloaded, name))
        return model
    except (HubDownloadError, ModelLoadError) as error:
        logger.warning("Hub download from %s failed: %s", settings.hub_repo, error)
        return None


def _by_training(settings: Settings, cache_path: Path) -> keras.Model:
    from digits.learning.metadata import build_metadata
    from digits.learning.mnist import load_mnist
    from digits.learning.recipes import QUICK_RECIPE
    from digits.learning.training import train

    logger.info("training a model with the quick recipe (a few minutes)")
    mnist = load_mnist(settings.mnist_dir)
    pen = None
    if settings.unipen_dir is not None:
        from digits.learning.pen import PenDataError, load_pen_digits, split_by_writer

        try:
            pen = load_pen_digits(settings.unipen_dir)
        except PenDataError as error:
            logger.warning("training on MNIST alone: %s", error)
    recipe = QUICK_RECIPE if pen is not None else dataclasses.replace(QUICK_RECIPE, pen_share=0.0)
    model, summary = train(recipe, mnist, split_by_writer(pen)[0] if pen is not None else None, verbose=2)
    save_model(model, cache_path, build_metadata(model, recipe, mnist, pen, summary, evaluation=None))
    return model


def from_file(path: Path) -> ResolvedModel:
    """A given model file, as the resolver would describe it (for benchmarks and comparisons).

    Raises:
        ModelLoadError: the file is missing or not a digit model.
    """
    started = time.perf_counter()
    model = load_model(path)
    return ResolvedModel(model, path, "file", time.perf_counter() - started, file_sha256(path))


def resolve_model(settings: Settings) -> ResolvedModel:
    """Find a model to serve: cache -> Hub -> training; cache what was found.

    A lock beside the cache file makes concurrent starts wait for one another, so they all
    end up with the same model.

    Raises:
        NoModelError: no source gave a model (and training is disabled).
    """
    started = time.perf_counter()
    cache_path = writable_cache_path(settings.digit_model_path, settings.user_cache_dir)
    candidates = list(dict.fromkeys([settings.digit_model_path, cache_path]))
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
    return ResolvedModel(model=model, path=path, source=source, seconds=seconds, sha256=file_sha256(path))
