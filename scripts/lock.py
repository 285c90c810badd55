"""Pin every package the tests install, so that a fresh machine installs the set CI passed with.

    python scripts/lock.py    # writes constraints.txt: run it after changing a pin, then the tests

``requirements.txt`` pins what the app itself needs (what a Space installs) and
``requirements-dev.txt`` adds what the tests need; neither pins what those pull in (fastapi,
uvicorn, cryptography, ...), which pip would otherwise take at their newest on each fresh
machine. ``requirements-dev.txt`` reads ``constraints.txt``, which pins all of them: the versions
pip chooses for the two files today, with this Python, found without installing anything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
REQUIREMENTS = PROJECT_DIR / "requirements-dev.txt"
CONSTRAINTS = PROJECT_DIR / "constraints.txt"
HEADER = """\
# Every package the tests install, pinned: requirements-dev.txt reads this file, so that a fresh
# machine installs the set the tests last passed with. Written by `python scripts/lock.py`; run it
# after changing a pin in requirements.txt or requirements-dev.txt. (A Space installs
# requirements.txt alone, which pins the app's own dependencies.)
"""


def unconstrained(requirements: Path, folder: Path) -> Path:
    """``requirements`` copied into ``folder``, without its constraints; files it reads by full path."""
    lines = []
    for line in requirements.read_text().splitlines():
        option, _, argument = line.partition(" ")
        if option in ("-c", "--constraint"):
            continue
        if option in ("-r", "--requirement"):
            line = f"{option} {requirements.parent / argument.split('#')[0].strip()}"
        lines.append(line)
    copy = folder / requirements.name
    copy.write_text("\n".join(lines) + "\n")
    return copy


def resolve(requirements: Path) -> dict[str, str]:
    """The name and version of every package pip would install for ``requirements`` afresh."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        pip = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"]
        subprocess.run(
            [*pip, "--report", str(report), "-r", str(unconstrained(requirements, Path(folder)))], check=True
        )
        chosen = json.loads(report.read_text())["install"]
    return {item["metadata"]["name"]: item["metadata"]["version"] for item in chosen}


def main() -> None:
    pins = resolve(REQUIREMENTS)
    lines = [f"{name}=={version}" for name, version in sorted(pins.items(), key=lambda pin: pin[0].lower())]
    temporary = CONSTRAINTS.with_suffix(".tmp")
    temporary.write_text(HEADER + "\n".join(lines) + "\n")
    temporary.replace(CONSTRAINTS)
    print(f"{CONSTRAINTS.name}: {len(lines)} packages")


if __name__ == "__main__":
    main()
