"""Pin every package the app and the tests install, so that a Space built later, or a fresh
machine, installs the set CI passed with.

    python scripts/lock.py    # after changing a pin: writes both lists below, then run the tests

``requirements.txt`` begins with the pins of what the app itself names, and
``requirements-dev.txt`` names what the tests add; neither names what those pull in (fastapi,
uvicorn, cryptography, ...), which pip would otherwise take at their newest on each machine. This
script asks pip (without installing anything) which versions it would choose for them today, with
this Python, and writes:

- ``constraints.txt``: every package the tests install, which ``requirements-dev.txt`` reads;
- the end of ``requirements.txt``, below ``PULLED_IN``: the app's share of that set, the same
  versions, since a Space installs ``requirements.txt`` alone (and by itself: a file it reads
  would not be there).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
REQUIREMENTS = PROJECT_DIR / "requirements.txt"
DEV_REQUIREMENTS = PROJECT_DIR / "requirements-dev.txt"
CONSTRAINTS = PROJECT_DIR / "constraints.txt"
HEADER = """\
# Every package the tests install, pinned: requirements-dev.txt reads this file, so that a fresh
# machine installs the set the tests last passed with. Written by `python scripts/lock.py`; run it
# after changing a pin in requirements.txt or requirements-dev.txt. (requirements.txt ends with
# the app's share of this set, which a Space installs.)
"""
# The line in requirements.txt below which this script writes: everything above it is the app's own.
PULLED_IN = "# What those pull in, pinned too, so that a Space built later installs this same set."
PULLED_IN_NOTE = "# Written by `python scripts/lock.py` from the pins above: change those, then run it.\n"


def own_pins(requirements: Path) -> str:
    """A requirements file's own lines: all of it above ``PULLED_IN``."""
    return requirements.read_text().split(PULLED_IN)[0].rstrip("\n") + "\n"


def canonical(name: str) -> str:
    """A package's name as pip compares them: gradio[mcp] is gradio, huggingface_hub huggingface-hub."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\[=<>~! ]", name.strip(), maxsplit=1)[0]).lower()


def resolve(requirements: Path, *options: str) -> dict[str, str]:
    """The name and version of every package pip would install for ``requirements`` afresh."""
    report = requirements.with_name(f"{requirements.stem}-report.json")
    pip = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"]
    subprocess.run([*pip, "--report", str(report), "-r", str(requirements), *options], check=True)
    chosen = json.loads(report.read_text())["install"]
    return {item["metadata"]["name"]: item["metadata"]["version"] for item in chosen}


def pin_lines(pins: dict[str, str]) -> list[str]:
    return [f"{name}=={version}" for name, version in sorted(pins.items(), key=lambda pin: pin[0].lower())]


def write(path: Path, text: str) -> None:
    """``text`` in place of ``path``'s, whole or not at all."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    temporary.replace(path)


def main() -> None:
    app_own = own_pins(REQUIREMENTS)
    with tempfile.TemporaryDirectory() as folder:
        # Copies side by side, so that requirements-dev.txt's "-r requirements.txt" reads the
        # app's own pins alone, and without the constraints being written.
        runtime, dev = Path(folder) / REQUIREMENTS.name, Path(folder) / DEV_REQUIREMENTS.name
        runtime.write_text(app_own)
        dev_lines = DEV_REQUIREMENTS.read_text().splitlines()
        dev.write_text("".join(f"{line}\n" for line in dev_lines if not line.startswith(("-c ", "--constraint "))))
        everything = resolve(dev)
        constraints = Path(folder) / CONSTRAINTS.name
        constraints.write_text("\n".join(pin_lines(everything)) + "\n")
        app = resolve(runtime, "-c", str(constraints))
    named = {canonical(line) for line in app_own.splitlines() if line.strip() and not line.startswith(("#", "-"))}
    pulled_in = pin_lines({name: version for name, version in app.items() if canonical(name) not in named})
    write(CONSTRAINTS, HEADER + "\n".join(pin_lines(everything)) + "\n")
    write(REQUIREMENTS, f"{app_own}\n{PULLED_IN}\n{PULLED_IN_NOTE}" + "\n".join(pulled_in) + "\n")
    print(f"{CONSTRAINTS.name}: {len(everything)} packages; {REQUIREMENTS.name}: {len(app)}, {len(named)} named")


if __name__ == "__main__":
    main()
