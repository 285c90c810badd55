"""The Hugging Face Hub: download the model for the app, publish it from train.py."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx2
from huggingface_hub import CommitOperationAdd, HfApi, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import HfHubHTTPError, HFValidationError, LocalEntryNotFoundError

from digits.metadata import model_card
from digits.settings import Settings
from digits.store import metadata_path, read_metadata

logger = logging.getLogger(__name__)


class HubDownloadError(RuntimeError):
    """The Hub could not be reached, refused, or did not have the file."""


def download_model(settings: Settings, folder: Path) -> Path:
    """Download ``settings.hub_filename`` from ``settings.hub_repo`` into ``folder``.

    Raises:
        HubDownloadError: unreachable, timed out, an HTTP error, or no such file.
    """
    logger.info(
        "downloading %s from the Hub repo %s@%s",
        settings.hub_filename, settings.hub_repo, settings.hub_revision,
    )  # fmt: skip
    url = hf_hub_url(settings.hub_repo, settings.hub_filename, revision=settings.hub_revision)
    try:
        # One quick look first, without retries: when nothing is cached locally, hf_hub_download
        # retries a failing or silent Hub for minutes (5 retries, 60 s timeouts), which would
        # hold up the app's start when the next source could serve at once.
        get_hf_file_metadata(url, timeout=settings.hub_timeout)
        path = hf_hub_download(
            repo_id=settings.hub_repo,
            filename=settings.hub_filename,
            revision=settings.hub_revision,
            local_dir=folder,
            etag_timeout=settings.hub_timeout,
        )
    except (HfHubHTTPError, HFValidationError, LocalEntryNotFoundError, httpx2.HTTPError, OSError) as error:
        raise HubDownloadError(f"{type(error).__name__}: {error}") from error
    return Path(path)


def push_model(model_path: Path, *, repo_id: str, token: str | None = None) -> str:
    """Publish the .h5, its metadata and a model card built from that metadata.

    Returns:
        The URL of the commit.
    """
    metadata = read_metadata(model_path)
    if not metadata:
        raise ValueError(f"{metadata_path(model_path)}: no metadata to publish with the model")
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", exist_ok=True)
    card = model_card(metadata, repo_id=repo_id).encode()
    operations = [
        (model_path, model_path.name),
        (metadata_path(model_path), metadata_path(model_path).name),
        (card, "README.md"),
    ]
    commit = api.create_commit(
        repo_id=repo_id,
        operations=[CommitOperationAdd(path_in_repo=name, path_or_fileobj=content) for content, name in operations],
        commit_message=f"Upload {model_path.name} ({metadata.get('architecture')})",
    )
    return commit.commit_url
