"""Every environment variable the app and its scripts read, each read here once, with its default.

Also where things are: the project folder and the model files' names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_DIR / "models"
DIGIT_MODEL = "digit_cnn.h5"  # the shipped digit reader
NUMBER_MODEL = "number_ctc.h5"  # the shipped sequence reader, for numbers...
PAGE_NUMBER_MODEL = "number_ctc_page.h5"  # ...and its sibling, trained with more of the page's brush
BASELINE_MODEL = "baseline_cnn.h5"  # the starting point's CNN and recipe, for comparison
MODEL_FILES = {"digit": DIGIT_MODEL, "number": NUMBER_MODEL, "number-page": PAGE_NUMBER_MODEL}  # the app's, by kind
SEQUENCE_KINDS = ("number", "number-page")  # the sequence networks' kinds, the first first


def _sha256_variable(kind: str) -> str:
    return f"DIGITS_HUB_{kind.upper().replace('-', '_')}_SHA256"


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


@dataclass(frozen=True)
class Settings:
    model_dir: Path  # DIGITS_MODEL_DIR: the cached model files (both), read first and written on a miss
    user_cache_dir: Path  # XDG_CACHE_HOME/digits: where models are cached when model_dir is read-only
    hub_repo: str  # DIGITS_HUB_REPO: Hub model repo to download from; empty = skip the Hub
    hub_revision: str  # DIGITS_HUB_REVISION: a commit (pinned), or a branch or tag
    # DIGITS_HUB_DIGIT_SHA256, DIGITS_HUB_NUMBER_SHA256, DIGITS_HUB_NUMBER_PAGE_SHA256: what each file must hash to
    hub_sha256: dict[str, str]
    hub_timeout: float  # DIGITS_HUB_TIMEOUT: seconds to wait for the Hub to answer
    mnist_dir: Path | None  # MNIST_DIR: the four IDX files; unset = keras.datasets download
    unipen_dir: Path | None  # UNIPEN_DIR: the pen trajectories (train.npz); unset = not found
    allow_training: bool  # DIGITS_ALLOW_TRAINING: train when no model can be found (1/0)
    max_file_size: str  # DIGITS_MAX_FILE_SIZE: largest upload Gradio accepts
    mcp_server: bool  # DIGITS_MCP: also serve the reading endpoints as MCP tools (1/0)
    corrections_dir: Path  # DIGITS_CORRECTIONS_DIR: where "that's wrong" drawings are saved
    corrections_repo: str  # DIGITS_CORRECTIONS_REPO: Hub dataset to push them to (needs HF_TOKEN)
    corrections_per_hour: int  # DIGITS_CORRECTIONS_PER_HOUR: saves allowed per client in an hour
    corrections_max: int  # DIGITS_CORRECTIONS_MAX: drawings the folder may hold
    corrections_max_mb: float  # DIGITS_CORRECTIONS_MAX_MB: megabytes of images it may hold
    hf_token: str | None = field(default=None, repr=False)  # HF_TOKEN: never printed

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            model_dir=Path(env.get("DIGITS_MODEL_DIR") or MODELS_DIR),
            user_cache_dir=Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "digits",
            hub_repo=env.get("DIGITS_HUB_REPO", ""),
            hub_revision=env.get("DIGITS_HUB_REVISION", "main"),
            hub_sha256={
                kind: env[_sha256_variable(kind)].lower() for kind in MODEL_FILES if env.get(_sha256_variable(kind))
            },
            hub_timeout=float(env.get("DIGITS_HUB_TIMEOUT", "10")),
            mnist_dir=_path(env.get("MNIST_DIR")),
            unipen_dir=_path(env.get("UNIPEN_DIR")),
            allow_training=env.get("DIGITS_ALLOW_TRAINING", "1") != "0",
            max_file_size=env.get("DIGITS_MAX_FILE_SIZE", "10mb"),
            mcp_server=env.get("DIGITS_MCP", "0") == "1",
            corrections_dir=Path(env.get("DIGITS_CORRECTIONS_DIR") or PROJECT_DIR / "corrections"),
            corrections_repo=env.get("DIGITS_CORRECTIONS_REPO", ""),
            corrections_per_hour=int(env.get("DIGITS_CORRECTIONS_PER_HOUR", "20")),
            corrections_max=int(env.get("DIGITS_CORRECTIONS_MAX", "5000")),
            corrections_max_mb=float(env.get("DIGITS_CORRECTIONS_MAX_MB", "200")),
            hf_token=env.get("HF_TOKEN") or None,
        )

    @property
    def digit_model_path(self) -> Path:
        return self.model_dir / DIGIT_MODEL

    @property
    def number_model_path(self) -> Path:
        return self.model_dir / NUMBER_MODEL

    @property
    def number_model_paths(self) -> tuple[Path, ...]:
        """The sequence networks' files, the first first."""
        return tuple(self.model_dir / MODEL_FILES[kind] for kind in SEQUENCE_KINDS)
