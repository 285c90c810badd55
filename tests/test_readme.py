"""README's snippets run against the real app, so they cannot rot: the Python client code and
the curl commands are taken from README.md as written, with only the server's address changed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from conftest import PROJECT_DIR

README = (PROJECT_DIR / "README.md").read_text()
DOCUMENTED_URL = "http://127.0.0.1:7860"


def blocks(language: str, containing: str) -> list[str]:
    found = [code for code in re.findall(rf"```{language}\n(.*?)```", README, re.S) if containing in code]
    assert found, f"README has no {language} block with {containing!r}"
    return found


def run(command: list[str], served_app: str) -> str:
    command = [part.replace(DOCUMENTED_URL, served_app.rstrip("/")) for part in command]
    result = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("index", range(len(blocks("python", "gradio_client"))))
def test_python_client_snippets(served_app, index):
    output = run([sys.executable, "-c", blocks("python", "gradio_client")[index]], served_app)
    for expected in re.findall(r"# prints: (.+)", blocks("python", "gradio_client")[index]):
        assert expected.strip() in output, output


def test_curl_snippet(served_app):
    script = blocks("bash", "curl -s")[0]
    output = run(["bash", "-euo", "pipefail", "-c", script], served_app)
    assert '"label": "3"' in output.replace("'", '"'), output


def test_ci_runs_the_readme_test_command_verbatim():
    two_commands = blocks("bash", "python app.py")[0].splitlines()
    run_app, run_tests = (line.split("#")[0].strip() for line in two_commands if line.strip())
    assert run_app.endswith("python app.py")
    assert run_tests.endswith("python -m pytest")
    assert run_tests in (PROJECT_DIR / ".ci" / "run").read_text().splitlines()


JS_FOLDER = PROJECT_DIR / "tests" / "js"  # the pinned @gradio/client; examples/ links to the project's


@pytest.fixture(scope="module")
def node_modules():
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.fail("Node and npm are needed: apt-get install nodejs npm (see .ci/run)")
    if not (JS_FOLDER / "node_modules" / "@gradio" / "client").is_dir():
        installed = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=JS_FOLDER, capture_output=True, text=True
        )
        assert installed.returncode == 0, installed.stderr[-3000:]


def test_javascript_snippet(served_app, node_modules):
    script = blocks("js", "@gradio/client")[0].replace(DOCUMENTED_URL, served_app.rstrip("/"))
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script], cwd=JS_FOLDER, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    expected = re.findall(r"// prints: (.+)", script)
    assert expected and result.stdout.split() == expected, result.stdout
