"""A loopback stand-in for the Hugging Face Hub's file endpoint, for real huggingface_hub calls.

It answers ``HEAD`` and ``GET /{repo_id}/resolve/{revision}/{filename}`` with the headers
``hf_hub_download`` reads (X-Repo-Commit, X-Linked-Etag, X-Linked-Size). Its ``mode`` makes it
fail: "ok", "error" (HTTP 500), "missing" (404), "hang" (never answers in time), "wrong"
(serves bytes that are not a model); or "slow" (as "ok", but a file's bytes take 1.5 s to come).

For uploads it answers what ``create_repo`` and ``create_commit`` (so ``CommitScheduler``)
send: ``POST /api/repos/create``, ``.../preupload/{revision}`` (every file "regular", so its
bytes come inline) and ``.../commit/{revision}``; ``commits`` keeps what each commit sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class FakeHub:
    def __init__(self, files: dict[str, Path], *, mode: str = "ok") -> None:
        self.files = files
        self.mode = mode
        self.downloads = 0
        self.requests: list[str] = []
        self.commits: list[dict[str, bytes]] = []  # path in repo -> content, per commit
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_HEAD(self) -> None:
                hub._answer(self, with_body=False)

            def do_GET(self) -> None:
                hub._answer(self, with_body=True)

            def do_POST(self) -> None:
                hub._upload(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, request: BaseHTTPRequestHandler, *, with_body: bool) -> None:
        self.requests.append(f"{request.command} {request.path}")
        if self.mode == "hang":
            time.sleep(30)
            return
        if self.mode == "error":
            request.send_error(500, "Internal Server Error")
            return
        parts = request.path.split("?")[0].strip("/").split("/")
        if "resolve" not in parts:
            request.send_error(404)
            return
        at = parts.index("resolve")
        filename = "/".join(parts[at + 2 :])
        if self.mode == "missing" or filename not in self.files:
            request.send_response(404)
            request.send_header("X-Error-Code", "EntryNotFound")
            request.end_headers()
            return
        body = self.files[filename].read_bytes()
        if self.mode == "wrong":
            body = b"<html>this is not a model</html>" * 100
        request.send_response(200)
        request.send_header("X-Repo-Commit", hashlib.sha1(b"commit").hexdigest())
        request.send_header("X-Linked-Etag", f'"{hashlib.sha256(body).hexdigest()}"')
        request.send_header("X-Linked-Size", str(len(body)))
        request.send_header("Content-Length", str(len(body)))
        request.send_header("Content-Type", "application/octet-stream")
        request.end_headers()
        if with_body:
            self.downloads += 1
            if self.mode == "slow":
                time.sleep(1.5)
            request.wfile.write(body)

    def _upload(self, request: BaseHTTPRequestHandler) -> None:
        self.requests.append(f"{request.command} {request.path}")
        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        if self.mode != "ok":
            request.send_error(500, "Internal Server Error")
            return
        path = request.path.split("?")[0]
        if path == "/api/repos/create":
            asked = json.loads(body)
            repo_id = f"{asked.get('organization') or 'user'}/{asked['name']}"
            answer = {"url": f"{self.url}/{asked.get('type', 'model')}s/{repo_id}", "name": repo_id}
        elif "/preupload/" in path:
            files = json.loads(body)["files"]
            answer = {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]}
        elif "/commit/" in path:
            commit: dict[str, bytes] = {}
            for line in body.decode().splitlines():
                item = json.loads(line)
                if item["key"] == "file":
                    commit[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
            self.commits.append(commit)
            oid = hashlib.sha1(str(len(self.commits)).encode()).hexdigest()
            answer = {"commitUrl": f"{self.url}/{path.split('/commit/')[0][5:]}/commit/{oid}", "commitOid": oid}
        else:
            request.send_error(404)
            return
        payload = json.dumps(answer).encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)
