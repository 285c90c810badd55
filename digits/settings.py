"""Deploy-time settings: every environment variable the app reads, each with its default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODEL_FILENAME = "mnist_cnn.h5"


@dataclass(frozen=True)
class Settings:
    model_path: Path  # DIGITS_MODEL_PATH: the cached .h5, read first and written on a miss
    hub_repo: str  # DIGITS_HUB_REPO: Hub model repo to download from; empty = skip the Hub
    hub_filename: str  # DIGITS_HUB_FILENAME
    hub_revision: str  # DIGITS_HUB_REVISION: branch, tag or commit
    hub_timeout: float  # DIGITS_HUB_TIMEOUT: seconds to wait for the Hub to answer
    mnist_dir: Path | None  # MNIST_DIR: IDX files for the training fallback; unset = download
    allow_training: bool  # DIGITS_ALLOW_TRAINING: train when no model can be found (1/0)
    max_file_size: str  # DIGITS_MAX_FILE_SIZE: largest upload Gradio accepts
    mcp_server: bool  # DIGITS_MCP: also serve the endpoints as MCP tools (1/0)
    corrections_dir: Path  # DIGITS_CORRECTIONS_DIR: where "that's wrong" drawings are saved
    corrections_repo: str  # DIGITS_CORRECTIONS_REPO: Hub dataset to push them to (needs HF_TOKEN)
    hf_token: str | None  # HF_TOKEN

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        mnist_dir = env.get("MNIST_DIR")
        return cls(
            model_path=Path(env.get("DIGITS_MODEL_PATH", PROJECT_DIR / "models" / MODEL_FILENAME)),
            hub_repo=env.get("DIGITS_HUB_REPO", ""),
            hub_filename=env.get("DIGITS_HUB_FILENAME", MODEL_FILENAME),
            hub_revision=env.get("DIGITS_HUB_REVISION", "main"),
            hub_timeout=float(env.get("DIGITS_HUB_TIMEOUT", "10")),
            mnist_dir=Path(mnist_dir) if mnist_dir else None,
            allow_training=env.get("DIGITS_ALLOW_TRAINING", "1") != "0",
            max_file_size=env.get("DIGITS_MAX_FILE_SIZE", "10mb"),
            mcp_server=env.get("DIGITS_MCP", "0") == "1",
            corrections_dir=Path(env.get("DIGITS_CORRECTIONS_DIR", PROJECT_DIR / "corrections")),
            corrections_repo=env.get("DIGITS_CORRECTIONS_REPO", ""),
            hf_token=env.get("HF_TOKEN") or None,
        )
