"""The app's HTTP protocols, spoken by hand: Gradio's API as curl uses it (upload, call, read the
result) and the page's own protocol as a browser tab speaks it (``PageSession``).

Used by the tests and by the benchmarks (bench/ puts tests/ on its path).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from digits.settings import PROJECT_DIR  # noqa: E402


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
    if api_name == "predict_image":
        value = files["composite"]
    else:  # a sketchpad's value, for /predict and /read_number
        value = {"background": files.get("background"), "layers": [files["layer"]] if "layer" in files else [],
                 "composite": files["composite"]}  # fmt: skip
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


class PageSession:
    """One browser tab of the app, speaking the page's own protocol over HTTP.

    For each drawing the page posts the editor's images (background, ink layer, composite) to
    the sketchpad's ``accept_blobs`` server function under one id, joins the queue for the
    sketchpad's change event with that id, and, as each event completes, joins the queue for
    the events chained after it (the details, then the "why" view). ``draw`` does all of that.
    """

    def __init__(self, http: httpx.Client, url: str, *, elem_id: str = "sketchpad") -> None:
        self.http, self.url = http, url.rstrip("/")
        self.session_hash = uuid.uuid4().hex[:11]
        config = http.get(f"{self.url}/config").json()
        self.api_prefix = config.get("api_prefix", "/gradio_api")
        components = {component["id"]: component for component in config["components"]}
        self.sketchpad = next(i for i, c in components.items() if c["props"].get("elem_id") == elem_id)
        self.dependencies = config["dependencies"]
        self.change = next(
            d["id"] for d in self.dependencies if [self.sketchpad, "change"] in [list(t) for t in d["targets"]]
        )
        self.stateful = {i for i, c in components.items() if c["type"] == "state"}
        self.values = {i: c["props"].get("value") for i, c in components.items()}

    def dependency(self, api_name: str) -> int:
        """The id (fn_index) of the event named ``api_name``, private ones included."""
        return next(d["id"] for d in self.dependencies if d.get("api_name") == api_name)

    def _endpoint(self, path: str) -> str:
        return f"{self.url}{self.api_prefix}/{path}"

    def post_blob(self, kind: str, data: bytes, *, blob_id: str, index: int | None = None) -> httpx.Response:
        """One of the editor's images, as the page sends it (``kind``: background, layer, composite)."""
        fields = {
            "session_hash": self.session_hash, "component_id": str(self.sketchpad), "fn_name": "accept_blobs",
            "id": blob_id, "type": kind, "index": "null" if index is None else str(index),
        }  # fmt: skip
        return self.http.post(self._endpoint("component_server"), data=fields, files={"file": (f"{kind}.png", data)})

    def join(self, fn_index: int, data: list[Any], *, trigger_id: int | None = None) -> httpx.Response:
        body = {"data": data, "fn_index": fn_index, "session_hash": self.session_hash, "trigger_id": trigger_id,
                "event_data": None}  # fmt: skip
        return self.http.post(self._endpoint("queue/join"), json=body)

    def wait(self, event_id: str) -> dict:
        """The message that ends ``event_id``: ``{"msg": "process_completed", "success", "output"}``."""
        with self.http.stream("GET", self._endpoint("queue/data"), params={"session_hash": self.session_hash}) as sse:
            for line in sse.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                    return message
        raise RuntimeError(f"the event stream ended before event {event_id} completed")

    def run(self, fn_index: int, data: list[Any], *, trigger_id: int | None = None) -> dict:
        joined = self.join(fn_index, data, trigger_id=trigger_id)
        joined.raise_for_status()
        return self.wait(joined.json()["event_id"])

    def _inputs(self, dependency: dict) -> list[Any]:
        """What the page sends for a chained event's inputs: its components' current values
        (a state's value stays on the server; the page sends null for it)."""
        return [None if i in self.stateful else self.values.get(i) for i in dependency["inputs"]]

    def draw(self, files: dict[str, bytes]) -> dict:
        """One drawing, as the page sends it: ``files`` has "background", "layer" and "composite"
        PNGs (see ``browser_drawing``). Returns the change event's completion message; raises
        RuntimeError if it or an event chained after it fails."""
        blob_id = uuid.uuid4().hex[:10]
        for kind, index in (("background", None), ("composite", None), ("layer", 0)):
            self.post_blob(kind, files[kind], blob_id=blob_id, index=index).raise_for_status()
        first = self.run(self.change, [{"id": blob_id}], trigger_id=self.sketchpad)
        done, message = self.change, first
        while message.get("success"):
            chained = [d for d in self.dependencies if d.get("trigger_after") == done]
            if not chained:
                return first
            done = chained[0]["id"]
            message = self.run(done, self._inputs(chained[0]))
        raise RuntimeError(f"event {done} failed: {message.get('output')}")
