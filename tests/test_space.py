"""The Space's packaging agrees with itself: front matter, requirements and files."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import re
import sys

import yaml
from conftest import PROJECT_DIR
from packaging.requirements import Requirement

from digits.learning.recipes import PAGE_NUMBER_RECIPE, NumberRecipe, Recipe
from digits.settings import DIGIT_MODEL, MODELS_DIR, NUMBER_MODEL, PAGE_NUMBER_MODEL

README = (PROJECT_DIR / "README.md").read_text()


def front_matter() -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", README, re.S)
    assert match, "README.md must start with a YAML front matter block"
    return yaml.safe_load(match.group(1))


def canonical(name: str) -> str:
    """A package's name as pip compares them: gradio[mcp] is gradio, huggingface_hub huggingface-hub."""
    return re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()


def requirement_lines(file: str) -> list[str]:
    """A requirements file's lines that name a package (not -r and -c, the files it reads)."""
    lines = [line.strip() for line in (PROJECT_DIR / file).read_text().splitlines()]
    return [line for line in lines if line.split("#")[0] and not line.startswith("-")]


def pinned(file: str = "requirements.txt") -> dict[str, str]:
    """The packages a requirements file names, each with the version it pins (none unpinned)."""
    pins = {}
    for line in requirement_lines(file):
        name, _, version = line.split("#")[0].strip().partition("==")
        assert version, f"{file}: {line!r} is not pinned with =="
        pins[canonical(name)] = version
    return pins


def test_front_matter_matches_requirements_and_files():
    meta = front_matter()
    assert meta["sdk"] == "gradio"
    assert str(meta["sdk_version"]) == pinned()["gradio"]
    assert str(meta["python_version"]) == "3.11"
    assert (PROJECT_DIR / meta["app_file"]).is_file()
    assert meta["license"] == "mit" and "MIT License" in (PROJECT_DIR / "LICENSE").read_text()
    assert len(meta["short_description"]) <= 60
    for key in ("title", "emoji", "colorFrom", "colorTo"):
        assert meta[key]
    assert "ylecun/mnist" in meta["datasets"]


def test_runtime_dependencies_are_all_pinned():
    assert {"gradio", "tensorflow-cpu", "numpy", "pillow", "huggingface-hub"} <= set(pinned())


def test_the_lock_pins_what_the_requirements_pin():
    locked = pinned("constraints.txt")
    assert "-c constraints.txt" in (PROJECT_DIR / "requirements-dev.txt").read_text()
    for file in ("requirements.txt", "requirements-dev.txt"):
        for name, version in pinned(file).items():
            assert locked.get(name) == version, f"{file} pins {name}=={version}: run python scripts/lock.py"
    assert {"fastapi", "uvicorn", "starlette", "pydantic-core", "cryptography"} <= set(locked)


def test_a_space_installs_the_locked_set():
    """requirements.txt, which a Space installs alone, pins everything the app's packages pull in
    (their requirements as installed here, for this platform), so that a Space built later
    installs the set the tests pass with, not whatever was released since."""
    pins = pinned()
    wanted = [Requirement(line.split("#")[0]) for line in requirement_lines("requirements.txt")]
    pulled_in, queue, seen = set(), [(canonical(req.name), frozenset(req.extras)) for req in wanted], set()
    while queue:
        name, extras = queue.pop()
        if (name, extras) in seen or name not in pins:
            continue
        seen.add((name, extras))
        for needed in map(Requirement, importlib.metadata.requires(name) or []):
            if needed.marker is None or any(needed.marker.evaluate({"extra": extra}) for extra in {"", *extras}):
                pulled_in.add(canonical(needed.name))
                queue.append((canonical(needed.name), frozenset(needed.extras)))
    unpinned = sorted(pulled_in - set(pins))
    assert not unpinned, f"requirements.txt leaves {unpinned} unpinned: run python scripts/lock.py"
    assert {"fastapi", "uvicorn", "pydantic-core", "cryptography"} <= set(pins)


def test_the_tests_run_with_the_locked_set():
    """Every package the lock pins is installed at its version: the set the tests pass with is
    the one a fresh machine installs."""
    installed = {canonical(dist.metadata["Name"]): dist.version for dist in importlib.metadata.distributions()}
    locked = pinned("constraints.txt")
    assert not {
        name: (version, installed.get(name)) for name, version in locked.items() if installed.get(name) != version
    }


def test_binary_files_go_through_lfs():
    attributes = (PROJECT_DIR / ".gitattributes").read_text()
    for pattern in ("*.h5", "*.png"):
        assert re.search(rf"^{re.escape(pattern)} filter=lfs diff=lfs merge=lfs -text$", attributes, re.M)


def test_shipped_model_and_metadata_exist(shipped_model):
    assert shipped_model.stat().st_size < 5_000_000
    assert shipped_model.with_suffix(".json").is_file()


def with_defaults(recorded: dict, default: dict) -> dict:
    """``recorded`` with what it lacks of ``default``, at every depth."""
    filled = default | recorded
    return {
        key: with_defaults(value, default.get(key, {})) if isinstance(value, dict) else value
        for key, value in filled.items()
    }


def made_by(recorded: dict, recipe) -> bool:
    """Whether a file's recorded recipe is ``recipe``, as its JSON holds it (tuples as lists). A
    setting added since the file was trained is not in its JSON and counts as its default, which
    keeps the training as it was (a new kind of drawing, say, off by default); so a changed default
    ships with a model trained by it."""
    default = json.loads(json.dumps(dataclasses.asdict(recipe)))
    return with_defaults(recorded, default) == default


def test_the_shipped_digit_model_was_made_by_its_recipe():
    """The file is what ``python train.py`` makes with the recipe in digits/learning/recipes.py (the
    output path aside), every network of it, and its metadata says so."""
    recipe = Recipe()
    metadata = json.loads((MODELS_DIR / DIGIT_MODEL).with_suffix(".json").read_text())
    assert made_by(metadata["recipe"], recipe)
    import train

    where = {"data_dir": None, "pen_dir": None, "output": None}  # folders differ between machines
    assert metadata["arguments"] | where == vars(train.parse_args([])) | where  # no flag but those
    assert [network["seed"] for network in metadata["networks"]] == [recipe.seed + n for n in range(recipe.members)]
    assert all(len(network["history"]["loss"]) == recipe.epochs for network in metadata["networks"])
    assert metadata["data"]["pen"]["held_out_writers"] > 0 and "UNIPEN" in metadata["data"]["pen"]["credit"]


def test_the_shipped_sequence_networks_were_made_by_their_recipes():
    """Each file is what ``train.py --model number`` or ``--model number-page`` makes, with the
    recipe in digits/learning/recipes.py, and its metadata says so."""
    for name, model, recipe in (
        (NUMBER_MODEL, "number", NumberRecipe()),
        (PAGE_NUMBER_MODEL, "number-page", PAGE_NUMBER_RECIPE),
    ):
        metadata = json.loads((MODELS_DIR / name).with_suffix(".json").read_text())
        assert made_by(metadata["recipe"], recipe), name
        assert metadata["arguments"]["model"] == model and metadata["epochs_run"] == recipe.epochs
        assert metadata["evaluation"]["held_out_numbers"]["real, as written"] > 0.85


def test_deploy_sends_what_the_space_runs_and_nothing_else():
    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    from deploy_space import files_to_send

    sent = set(files_to_send())
    assert {"app.py", "ui/components.py", "ui/page.css", "ui/page.js", "requirements.txt", "README.md"} <= sent
    models = ("digit_cnn", "number_ctc", "number_ctc_page")
    assert {f"models/{model}.{suffix}" for model in models for suffix in ("h5", "json")} <= sent
    assert {"digits/__init__.py", "digits/reading/preprocess.py", "digits/storage/resolver.py"} <= sent
    assert {"examples/3_thin.png", "examples/numbers/2025.png"} <= sent
    assert not [name for name in sent if name.startswith(("tests/", "bench/", ".ci/", ".venv/"))]
    assert not [name for name in sent if name.endswith((".pyi", ".pyc", ".lock")) or "baseline" in name]
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):  # the README's pictures go with it
        assert image in sent, image
