"""Finding the models to serve: the cached file -> a download from the Hub -> a short training run.

Three models: the digit network (``digit_cnn.h5``) and two sequence networks that read numbers
together (``number_ctc.h5``, and ``number_ctc_page.h5``, its sibling trained with more of the
page's brush). Each is looked for the same way, and whatever is found is cached for the next
start. Without a digit model the app cannot serve; without the first sequence network it still
reads numbers, by cutting them into digits; without the second it reads them with the first
alone. Training, the last resort, makes the digit model and the first sequence network only:
start-up stays as short as it can be.

This is the one module that knows all three sources; the training code is imported only when
nothing else gave a model.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import keras
from filelock import FileLock

from digits.settings import MODEL_FILES, Settings
from digits.storage.files import ModelLoadError, atomic_write, file_sha256, load_model, save_model
from digits.storage.hub import HubDownloadError, download_file

logger = logging.getLogger(__name__)


class NoModelError(RuntimeError):
    """No source could provide the digit model."""


@dataclass(frozen=True)
class ResolvedModel:
    model: keras.Model
    path: Path
    source: str  # "cache", "hub", "trained" or "file"
    seconds: float
    sha256: str  # of the model file, to tell models apart


@dataclass(frozen=True)
class ResolvedModels:
    digit: ResolvedModel
    numbers: tuple[ResolvedModel, ...]  # the sequence networks; none: numbers are cut into digits


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


def _clean_stale(cache_path: Path, *, older_than: float = 60) -> None:
    """Remove what an interrupted write or download of ``cache_path`` left beside it: called under
    its lock, so no app is writing it; ``older_than`` seconds spare a train.py saving right now."""
    for leftover in cache_path.parent.glob(f".{cache_path.stem}-*"):
        if time.time() - leftover.stat().st_mtime < older_than:
            continue
        logger.info("removing %s, left by an interrupted write", leftover)
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def _from_cache(paths: list[Path], kind: str) -> tuple[keras.Model, Path] | None:
    for path in paths:
        if not path.exists():
            continue
        try:
            return load_model(path, kind), path
        except ModelLoadError as error:
            _quarantine(path, error)
    return None


def _from_hub(settings: Settings, kind: str, cache_path: Path) -> keras.Model | None:
    if not settings.hub_repo:
        logger.info("DIGITS_HUB_REPO is not set; skipping the Hub")
        return None
    try:
        # Beside the cache, so that moving the file into place is a rename on one file system.
        with tempfile.TemporaryDirectory(dir=cache_path.parent, prefix=f".{cache_path.stem}-download-") as folder:
            downloaded = download_file(
                settings.hub_repo, MODEL_FILES[kind], revision=settings.hub_revision, folder=Path(folder),
                timeout=settings.hub_timeout, sha256=settings.hub_sha256.get(kind),
            )  # fmt: skip
            model = load_model(downloaded, kind)  # a wrong or partial file never reaches the cache
            atomic_write(cache_path, lambda name: os.replace(downloaded, name))
        return model
    except (HubDownloadError, ModelLoadError) as error:
        logger.warning("Hub download of %s from %s failed: %s", MODEL_FILES[kind], settings.hub_repo, error)
        return None


def _by_training(settings: Settings, kind: str, cache_path: Path) -> keras.Model | None:
    """A model trained with the quick recipe, or None when the data it needs is missing."""
    from digits.learning.metadata import build_metadata, build_number_metadata
    from digits.learning.mnist import load_mnist
    from digits.learning.pen import PenDataError, load_pen_digits, split_by_writer
    from digits.learning.recipes import QUICK_NUMBER_RECIPE, QUICK_RECIPE

    logger.info("training a %s model with the quick recipe (a few minutes)", kind)
    mnist = load_mnist(settings.mnist_dir)
    try:
        pen = load_pen_digits(settings.unipen_dir)
    except PenDataError as error:
        logger.warning("no pen data (%s)", error)
        pen = None
    training_writers = split_by_writer(pen)[0] if pen is not None else None
    if kind == "number":
        if pen is None:
            return None
        from digits.learning.number_training import train_numbers

        model, summary = train_numbers(QUICK_NUMBER_RECIPE, training_writers, mnist, verbose=2)
        save_model(model, cache_path, build_number_metadata(model, QUICK_NUMBER_RECIPE, mnist, pen, summary))
        return model
    from digits.learning.training import train

    recipe = QUICK_RECIPE if pen is not None else dataclasses.replace(QUICK_RECIPE, pen_share=0.0)
    model, summary = train(recipe, mnist, training_writers, verbose=2)
    save_model(model, cache_path, build_metadata(model, recipe, mnist, pen, summary, evaluation=None))
    return model


def _train_or_not(settings: Settings, kind: str, cache_path: Path) -> keras.Model | None:
    """The digit model trained, or its data's error raised; the first number model trained, or
    None when its data cannot be had (the app then cuts numbers into digits); the second, None."""
    if kind == "digit":
        return _by_training(settings, kind, cache_path)
    if kind != "number":
        logger.info("a %s model is never trained at start-up", kind)
        return None
    from digits.learning.mnist import MnistError
    from digits.learning.pen import PenDataError

    try:
        return _by_training(settings, kind, cache_path)
    except (MnistError, PenDataError) as error:
        logger.warning("cannot train a number model: %s", error)
        return None


def resolve_model(settings: Settings, kind: str = "digit") -> ResolvedModel | None:
    """Find the ``kind`` model (``MODEL_FILES``' keys): cache -> Hub -> training; cache what was found.

    A lock beside the cache file makes concurrent starts wait for one another, so they all
    end up with the same model.

    Returns:
        The model, or None for a sequence network that no source could give.

    Raises:
        NoModelError: no source gave a digit model (and training is disabled or impossible).
    """
    started = time.perf_counter()
    wanted = settings.model_dir / MODEL_FILES[kind]
    cache_path = writable_cache_path(wanted, settings.user_cache_dir)
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_path) + ".lock"):
        _clean_stale(cache_path)
        found = _from_cache(list(dict.fromkeys([wanted, cache_path])), kind)
        if found is not None:
            model, path, source = *found, "cache"
        else:
            model, path, source = _from_hub(settings, kind, cache_path), cache_path, "hub"
            if model is None and settings.allow_training:
                model, source = _train_or_not(settings, kind, cache_path), "trained"
    if model is None:
        if kind == "digit":
            raise NoModelError("no cached model, no Hub model, and training is disabled")
        without = "numbers will be cut into digits" if kind == "number" else "numbers are read by one sequence network"
        logger.warning("no %s model: %s", kind, without)
        return None
    seconds = time.perf_counter() - started
    logger.info("%s model from %s (%s) in %.1f s", kind, source, path, seconds)
    return ResolvedModel(model=model, path=path, source=source, seconds=seconds, sha256=file_sha256(path))


def resolve_models(settings: Settings) -> ResolvedModels:
    """The digit model and the sequence networks found (see ``resolve_model``): the second only
    beside the first (the two weigh every reading together; it is not the reader's alone)."""
    digit, number = resolve_model(settings, "digit"), resolve_model(settings, "number")
    if number is None:
        return ResolvedModels(digit, ())
    page = resolve_model(settings, "number-page")
    return ResolvedModels(digit, (number,) if page is None else (number, page))


def from_files(digit: Path, *numbers: Path) -> ResolvedModels:
    """Given model files (the digit model's, then the sequence networks'), as the resolver would
    describe them (for benchmarks and comparisons).

    Raises:
        ModelLoadError: a file is missing or not a model of its kind.
    """

    def one(path: Path, kind: str) -> ResolvedModel:
        started = time.perf_counter()
        model = load_model(path, kind)
        return ResolvedModel(model, path, "file", time.perf_counter() - started, file_sha256(path))

    return ResolvedModels(one(digit, "digit"), tuple(one(number, "number") for number in numbers))
