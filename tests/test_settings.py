"""Settings: every environment variable read once, with its default; the token never shown."""

from __future__ import annotations

from pathlib import Path

from digits.settings import MODELS_DIR, PROJECT_DIR, Settings


def test_defaults_with_no_environment():
    settings = Settings.from_env({})
    assert settings.model_dir == MODELS_DIR and settings.digit_model_path.parent == MODELS_DIR
    assert settings.corrections_dir == PROJECT_DIR / "corrections"
    assert (settings.hub_repo, settings.hub_revision, settings.hub_sha256) == ("", "main", {})
    assert settings.allow_training and not settings.mcp_server and settings.hf_token is None
    assert settings.mnist_dir is None and settings.unipen_dir is None


def test_each_variable_is_read():
    env = {
        "DIGITS_MODEL_DIR": "/m", "DIGITS_HUB_REPO": "me/r", "DIGITS_HUB_REVISION": "a" * 40,
        "DIGITS_HUB_DIGIT_SHA256": "AB" * 32, "DIGITS_HUB_NUMBER_PAGE_SHA256": "CD" * 32, "DIGITS_HUB_TIMEOUT": "3", "MNIST_DIR": "/mn", "UNIPEN_DIR": "/u",
        "DIGITS_ALLOW_TRAINING": "0", "DIGITS_MAX_FILE_SIZE": "1mb", "DIGITS_MCP": "1", "DIGITS_CORRECTIONS_DIR": "/c",
        "DIGITS_CORRECTIONS_REPO": "me/d", "DIGITS_CORRECTIONS_PER_HOUR": "3", "DIGITS_CORRECTIONS_MAX": "9",
        "DIGITS_CORRECTIONS_MAX_MB": "1.5", "HF_TOKEN": "hf_x", "XDG_CACHE_HOME": "/cache",
    }  # fmt: skip
    settings = Settings.from_env(env)
    assert settings.model_dir == Path("/m") and settings.number_model_path == Path("/m/number_ctc.h5")
    assert settings.number_model_paths == (Path("/m/number_ctc.h5"), Path("/m/number_ctc_page.h5"))
    assert settings.hub_sha256 == {"digit": "ab" * 32, "number-page": "cd" * 32} and settings.hub_timeout == 3.0
    assert (settings.mnist_dir, settings.unipen_dir) == (Path("/mn"), Path("/u"))
    assert not settings.allow_training and settings.mcp_server and settings.max_file_size == "1mb"
    assert (settings.corrections_per_hour, settings.corrections_max, settings.corrections_max_mb) == (3, 9, 1.5)
    assert settings.user_cache_dir == Path("/cache/digits") and settings.hf_token == "hf_x"


def test_the_token_is_never_printed():
    settings = Settings.from_env({"HF_TOKEN": "hf_secret_value"})
    assert "hf_secret_value" not in repr(settings) and "hf_secret_value" not in str(settings)
    assert "hf_secret_value" not in f"{settings!r} {settings}"
