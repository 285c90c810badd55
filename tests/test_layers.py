"""The code's shape: dependencies run one way, the core has no UI, the command line starts fast."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from conftest import PROJECT_DIR

# The core's layers, bottom up: a module may import from its own layer and those before it.
LAYERS = [{"digits", "digits.settings", "digits.images"}, {"digits.reading"}, {"digits.learning"}, {"digits.storage"}]


def layer_of(module: str) -> int:
    for index, layer in enumerate(LAYERS):
        if module in layer or any(module.startswith(f"{name}.") for name in layer if name != "digits"):
            return index
    raise AssertionError(f"{module} is in no layer")


def core_modules() -> dict[str, set[str]]:
    """Each module of the core package and the core modules it imports (at any depth in the file)."""
    graph = {}
    for path in sorted((PROJECT_DIR / "digits").rglob("*.py")):
        parts = path.relative_to(PROJECT_DIR).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("digits"):
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names if alias.name.startswith("digits")}
        graph[name] = imported
    return graph


def test_core_modules_import_only_from_their_layer_or_below():
    wrong = [
        f"{module} ({layer_of(module)}) imports {other} ({layer_of(other)})"
        for module, imports in core_modules().items()
        for other in imports
        if layer_of(other) > layer_of(module)
    ]
    assert not wrong, wrong


def test_no_import_cycles():
    graph = core_modules()
    visiting, done = set(), set()

    def visit(module: str, path: list[str]) -> None:
        if module in done:
            return
        assert module not in visiting, " -> ".join([*path, module])
        visiting.add(module)
        for other in graph.get(module, ()):
            visit(other, [*path, module])
        visiting.discard(module)
        done.add(module)

    for module in graph:
        visit(module, [])


def test_the_core_imports_no_gradio():
    """Every core module, imported in a fresh process, brings no Gradio with it."""
    names = sorted(core_modules())
    script = "import sys\n" + "".join(f"import {name}\n" for name in names) + "print('gradio' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("script", ["train.py"])
def test_help_imports_no_tensorflow(script):
    """What makes ``--help`` answer at once (about 0.1 s; importing TensorFlow takes seconds)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", script, "--help"], cwd=PROJECT_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0 and "usage:" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert not {"tensorflow", "keras", "gradio"} & imported, sorted({"tensorflow", "keras", "gradio"} & imported)
