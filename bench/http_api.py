"""Gradio's HTTP API as a browser or curl uses it: upload the drawing, call, read the result."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from PIL import Image

PROJECT_DIR = Path(__file__).resolve().parent.parent


def browser_drawing(composite: bytes) -> dict[str, bytes]:
    """The three PNGs the browser's sketchpad sends for one drawing: an opaque white
    background, the ink alone on a transparent layer, and the composite."""
    image = Image.open(io.BytesIO(composite)).convert("L")
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    layer.putalpha(image.point(lambda level: 255 if level < 128 else 0))
    files = {"background": Image.new("RGB", image.size, "white"), "layer": layer}
    encoded = {}
    for name, picture in files.items():
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        encoded[name] = buffer.getvalue()
    return {**encoded, "composite": composite}


def predict(http: httpx.Client, url: str, drawing: bytes | dict[str, bytes], *, api_name: str = "predict") -> dict:
    """One request: upload the drawing, call ``api_name``, return its result.

    ``drawing`` is one PNG (sent as the composite alone, as API callers may) or the three
    files of ``browser_drawing`` (sent as the browser sends them).

    Raises:
        RuntimeError: the app answered with an error event.
    """
    parts = drawing if isinstance(drawing, dict) else {"composite": drawing}
    uploaded = http.post(
        f"{url}/gradio_api/upload",
        files=[("files", (f"{name}.png", data, "image/png")) for name, data in parts.items()],
    )
    uploaded.raise_for_status()
    files = {
        name: {"path": path, "meta": {"_type": "gradio.FileData"}}
        for name, path in zip(parts, uploaded.json(), strict=True)
    }
    if api_name == "predict":
        value = {"background": files.get("background"), "layers": [files["layer"]] if "layer" in files else [],
                 "composite": files["composite"]}  # fmt: skip
    else:
        value = files["composite"]
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
