"""Gradio's HTTP API as a browser or curl uses it: upload the drawing, call, read the result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

PROJECT_DIR = Path(__file__).resolve().parent.parent


def predict(http: httpx.Client, url: str, image: bytes, *, api_name: str = "predict") -> dict:
    """One request: upload ``image`` as the sketchpad's composite, call ``api_name``, return its result.

    Raises:
        RuntimeError: the app answered with an error event.
    """
    uploaded = http.post(f"{url}/gradio_api/upload", files={"files": ("drawing.png", image, "image/png")})
    uploaded.raise_for_status()
    file = {"path": uploaded.json()[0], "meta": {"_type": "gradio.FileData"}}
    value = {"background": None, "layers": [], "composite": file} if api_name == "predict" else file
    call = http.post(f"{url}/gradio_api/call/{api_name}", json={"data": [value]})
    call.raise_for_status()
    event_id = call.json()["event_id"]
    event = None
    with http.stream("GET", f"{url}/gradio_api/call/{api_name}/{event_id}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event in ("complete", "error"):
                data = json.loads(line[6:]) if line[6:] != "null" else None
                if event == "error":
                    raise RuntimeError(f"app error: {data}")
                return data[0]
    raise RuntimeError("the event stream ended without a result")


def start_server(script: str, port: int, *, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``python script`` on 127.0.0.1:port and wait until it serves."""
    process = subprocess.Popen(
        [sys.executable, script], cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
             "TF_CPP_MIN_LOG_LEVEL": "2", "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})},
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{script} exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/gradio_api/info", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"{script} did not start within 180 s")
