"""The Hugging Face Hub: download a model file for the app, publish one from train.py."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx2
from huggingface_hub import CommitOperationAdd, HfApi, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import HfHubHTTPError, HFValidationError, LocalEntryNotFoundError

from digits.storage.files import file_sha256, metadata_path

logger = logging.getLogger(__name__)


class HubDownloadError(RuntimeError):
    """The Hub could not be reached, refused, or did not have the file."""


def download_file(
    repo_id: str, filename: str, *, revision: str, folder: Path, timeout: float, sha256: str | None = None
) -> Path:
    """Download ``filename`` from the model repo ``repo_id`` at ``revision`` into ``folder``.

    Args:
        revision: a commit pins the file; a branch or tag takes whatever it points at now.
        sha256: when given, the file must hash to it.

    Raises:
        HubDownloadError: unreachable, timed out, an HTTP error, no such file, or another file
            than the one pinned by ``sha256``.
    """
    logger.info("downloading %s from the Hub repo %s@%s", filename, repo_id, revision)
    try:
        # One quick look first, without retries: when nothing is cached locally, hf_hub_download
        # retries a failing or silent Hub for minutes (5 retries, 60 s timeouts), which would
        # hold up the app's start when the next source could serve at once.
        get_hf_file_metadata(hf_hub_url(repo_id, filename, revision=revision), timeout=timeout)
        path = hf_hub_download(
            repo_id=repo_id, filename=filename, revision=revision, local_dir=folder, etag_timeout=timeout
        )
    except (HfHubHTTPError, HFValidationError, LocalEntryNotFoundError, httpx2.HTTPError, OSError) as error:
        raise HubDownloadError(f"{type(error).__name__}: {error}") from error
    if sha256 is not None:
        found = file_sha256(Path(path))
        if found != sha256:
            raise HubDownloadError(f"{filename} at {revision} has SHA-256 {found}, not the pinned {sha256}")
    return Path(path)


def push_model(
    model_path: Path, *, repo_id: str, card: str, card_name: str = "README.md", token: str | None = None
) -> str:
    """Publish the .h5, the metadata beside it and a model card (``card_name``) to a model repo.

    Returns:
        The URL of the commit.
    """
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", exist_ok=True)
    operations = [
        CommitOperationAdd(path_in_repo=model_path.name, path_or_fileobj=model_path),
        CommitOperationAdd(path_in_repo=metadata_path(model_path).name, path_or_fileobj=metadata_path(model_path)),
        CommitOperationAdd(path_in_repo=card_name, path_or_fileobj=card.encode()),
    ]
    commit = api.create_commit(repo_id=repo_id, operations=operations, commit_message=f"Upload {model_path.name}")
    return commit.commit_url
