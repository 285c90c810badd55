"""Upload this folder to a Hugging Face Space with huggingface_hub.

    python scripts/deploy_space.py --repo-id OWNER/digit-reader            # needs HF_TOKEN
    python scripts/deploy_space.py --repo-id OWNER/digit-reader --dry-run  # list what would go

Sends what the Space runs (app, UI, package, shipped model, examples, README, requirements,
licence); leaves out tests, benchmarks, CI, scripts, the baseline model and local caches.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from digits.settings import MODEL_FILES, PROJECT_DIR, Settings  # noqa: E402

SENT = [
    "app.py", "ui/*.py", "ui/page.css", "ui/page.js", "digits/*.py",
    *(f"models/{name}" for model in MODEL_FILES.values() for name in (model, f"{Path(model).stem}.json")),
    "examples/*.png", "examples/numbers/*.png", "examples/embed.html", "docs/*.png",
    "README.md", "requirements.txt", "LICENSE", ".gitattributes",
]  # fmt: skip


def files_to_send() -> list[str]:
    """Project files matching SENT, as paths relative to the project folder."""
    found = []
    for path in sorted(PROJECT_DIR.rglob("*")):
        relative = path.relative_to(PROJECT_DIR).as_posix()
        if path.is_file() and any(fnmatch.fnmatch(relative, pattern) for pattern in SENT):
            found.append(relative)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo-id", required=True, help="the Space, as OWNER/NAME")
    parser.add_argument("--dry-run", action="store_true", help="list the files that would be sent, send nothing")
    args = parser.parse_args()
    files = files_to_send()
    for name in files:
        print(name)
    print(f"{len(files)} files for {args.repo_id}")
    if args.dry_run:
        return 0
    from huggingface_hub import HfApi

    api = HfApi(token=Settings.from_env().hf_token)
    api.create_repo(args.repo_id, repo_type="space", space_sdk="gradio", exist_ok=True)
    commit = api.upload_folder(
        repo_id=args.repo_id, repo_type="space", folder_path=PROJECT_DIR, allow_patterns=files,
        commit_message="Deploy the digit reader",
    )  # fmt: skip
    print("deployed:", commit.commit_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
