"""Agents: `DIGITS_MCP=1 python app.py`, called through a real MCP client (the `mcp` SDK) over
streamable HTTP, as an agent calls a Space. Images go in as data URLs (base64): Gradio's MCP
server fetches http(s) URLs itself, and refuses loopback ones."""

from __future__ import annotations

import ast
import base64
import concurrent.futures
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import anyio
import pytest
from conftest import PROJECT_DIR
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client
from PIL import Image, ImageDraw

from digits.learning.drawing import draw_digit, draw_paths, stroke_paths

READING_TOOLS = {"predict", "predict_image", "read_number"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def mcp_url(shipped_model, tmp_path_factory):
    """The app started as a Space starts it, with MCP on; its MCP address."""
    port = free_port()
    env = os.environ | {
        "DIGITS_MCP": "1", "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
        "DIGITS_MODEL_DIR": str(shipped_model.parent), "DIGITS_ALLOW_TRAINING": "0",
        "DIGITS_CORRECTIONS_DIR": str(tmp_path_factory.mktemp("mcp-corrections")),
    }  # fmt: skip
    log = tmp_path_factory.mktemp("mcp-log") / "app.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT_DIR, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/gradio_api/info", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the app did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/gradio_api/mcp/"
    finally:
        process.terminate()
        process.wait(timeout=30)


def data_url(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def number_image(text: str) -> Image.Image:
    canvas = Image.new("RGB", (800, 800), "white")
    draw = ImageDraw.Draw(canvas)
    for position, digit in enumerate(text):
        paths = stroke_paths(int(digit), left=120 + 150 * position, top=300, height=180)
        draw_paths(draw, paths, brush=24, fill="black")
    return canvas


def session_call(url: str, work):
    """Run ``work(session)`` in a fresh MCP session on ``url``; its result."""

    async def run():
        async with streamablehttp_client(url) as (read, write, _), ClientSession(read, write) as session:
            await session.initialize()
            return await work(session)

    # Its own thread: a sync Playwright fixture earlier in the session keeps an event loop
    # running in the main thread, where anyio.run refuses to start.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, run).result(timeout=120)


def list_tools(url: str) -> dict:
    """The tools an agent finds on ``url``, by name."""

    async def work(session):
        return (await session.list_tools()).tools

    return {tool.name: tool for tool in session_call(url, work)}


def call(url: str, tool: str, arguments: dict) -> dict:
    async def work(session):
        return await session.call_tool(tool, arguments)

    result = session_call(url, work)
    assert not result.isError, result.content
    texts = [item.text for item in result.content if item.type == "text"]
    return ast.literal_eval(texts[0])  # Gradio's MCP server answers with the text of a Python dict


def test_an_agent_sees_the_reading_tools_and_only_those(mcp_url):
    tools = list_tools(mcp_url)
    assert set(tools) >= READING_TOOLS
    assert set(tools) - READING_TOOLS <= {"upload_file_to_gradio"}  # not show, details, save_correction...
    assert "Read the digit drawn on a sketchpad" in tools["predict"].description
    assert "Read a number" in tools["read_number"].description
    assert "sketch" in tools["read_number"].inputSchema["properties"]
    assert "image" in tools["predict_image"].inputSchema["properties"]


def test_an_agent_reads_each_tools_description_whole(mcp_url):
    """What an agent reads of a tool comes from its function's docstring, which Gradio takes apart:
    each line of Args as it stands, the lines of Returns joined by commas. Each argument's
    description is a whole sentence, and the answer's parts are joined without doubled commas."""

    tools = list_tools(mcp_url)
    for name in READING_TOOLS:
        for argument, schema in tools[name].inputSchema["properties"].items():
            assert schema["description"].endswith("."), (name, argument, schema["description"])
        assert ",," not in tools[name].description, tools[name].description
    assert '"message", "digits": [{"digit"' in tools["read_number"].description
    assert tools["read_number"].description.endswith("left to right}.")


def test_an_agent_reads_a_digit_drawn_and_a_digit_photographed(mcp_url):
    seven = data_url(draw_digit(7, left=250, top=200, height=400, brush=36))
    drawn = call(mcp_url, "predict", {"sketch": {"composite": seven}})
    assert drawn["label"] == "7"
    photographed = call(mcp_url, "predict_image", {"image": seven})
    assert photographed["label"] == "7"


def test_an_agent_reads_a_number(mcp_url):
    sketch = {"composite": data_url(number_image("205"))}
    result = call(mcp_url, "read_number", {"sketch": sketch})
    assert result["number"] == "205"
    assert [d["digit"] for d in result["digits"]] == [2, 0, 5]


def test_the_readme_mcp_snippet(mcp_url):
    readme = (PROJECT_DIR / "README.md").read_text()
    (snippet,) = [code for code in re.findall(r"```python\n(.*?)```", readme, re.S) if "streamablehttp_client" in code]
    script = snippet.replace("http://127.0.0.1:7860/gradio_api/mcp/", mcp_url)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'number': '2025'" in result.stdout, result.stdout
