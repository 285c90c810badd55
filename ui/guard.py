"""What a stranger may send the server, checked before Gradio sees the request.

Gradio serves every app routes this one does not offer, and reads any request's body whole:
a 300 MB JSON call was read, parsed and queued, and took the server from 839 to 1,565 MB, its
peak to 1,851 MB (bench/hostile.py). ``RequestGuard`` refuses the routes in REFUSED_ROUTES, as if they did
not exist, bounds each request's body by what its route carries: JSON (file references and
short texts), or files of at most Gradio's ``max_file_size`` each, refuses uploads while the
disk is short of space, and bounds how many requests each client, and all of them, keep open.
A client that leaves before it has sent its request's body is no error of the server's.
"""

from __future__ import annotations

import ipaddress
import shutil
from collections import Counter
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder
from starlette.middleware.body_limit import RequestBodyLimitResponder
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# Deep links: for any live session, each call wrote a copy of the page's configuration, about
# 60 KB, to the server's disk for each new state, never deleted (and the app's sessions keep no
# such copy: ui/sessions.py). The screen recorder's processing: ffmpeg on any upload, where it
# is installed, outside the model's queue (the recorder in the page's settings keeps its
# recording unprocessed when this is refused).
REFUSED_ROUTES = ("deep_link", "process_recording")  # under /gradio_api/
MAX_JSON_BYTES = 1_000_000  # an event's or a call's body: the page's and gradio_client's are under 10 KB
FILES_PER_UPLOAD = 3  # the sketchpad's background, ink layer and composite
# Uploads are kept an hour (``delete_cache``), and each is bounded, but not how many a client
# sends (one client on loopback wrote 40 MB in 0.2 s): they are refused while the disk that
# holds them has less than this free, so that a flood fills Gradio's folder, not the disk.
MIN_FREE_DISK = 1_000_000_000
# Requests open at once. Gradio's streams (a session's heartbeat, its queue's messages, a call's
# result) stay open for as long as a client keeps them, some 30 KB of the server's memory and one
# of its files each: one client on loopback held 4,084 heartbeats open, every file the server
# could open (its limit set to 4,096), and the server answered no one else until they closed.
MAX_OPEN_PER_CLIENT = 200  # a page keeps two open (its heartbeat and its queue's), gradio_client one
MAX_OPEN = 2_000  # all clients together; past it, only a client with fewer than FEW_OPEN is served
FEW_OPEN = 8  # (a visitor with a page or a few, not one of those holding the rest open),
MAX_OPEN_RESERVED = 2_500  # up to this many in all: some clients' flood does not shut out everyone else


class RequestGuard:
    """ASGI middleware: refuses REFUSED_ROUTES with 404, over-long bodies with 413, uploads
    while the disk is short of space with 507, a request beyond its client's MAX_OPEN_PER_CLIENT
    open at once with 429, and with 503 one beyond MAX_OPEN in all from a client that has FEW_OPEN
    or more open, and any beyond MAX_OPEN_RESERVED.

    Args:
        app: the application it guards.
        blocks: the app's Blocks, whose ``max_file_size`` (set by ``launch``) bounds each file.
    """

    def __init__(self, app: ASGIApp, *, blocks: gr.Blocks) -> None:
        self.app = app
        self.blocks = blocks
        self.open: Counter[str] = Counter()  # requests open, by client_address

    def limit(self, route: str) -> int:
        """The most bytes a request's body may have on ``route`` (its path under /gradio_api/)."""
        file = self.blocks.max_file_size
        if file is None:
            raise ValueError("launch the app with a max_file_size")
        if route.startswith("upload"):
            return FILES_PER_UPLOAD * file + MAX_JSON_BYTES
        if route.startswith("component_server"):
            return file + MAX_JSON_BYTES  # one of the sketchpad's images
        if route.startswith("mcp"):
            return file * 4 // 3 + MAX_JSON_BYTES  # a tool call, its image as base64
        return MAX_JSON_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = scope["path"].partition("/gradio_api/")[2].rstrip("/")
        client, most = client_address(scope), self.limit(route)
        refusal = self.refusal(route, scope, client, most)
        if refusal is not None:
            status, detail = refusal
            await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)
            return
        self.open[client] += 1
        try:  # a body that comes without its length (in chunks) is bounded as it is read
            await RequestBodyLimitResponder(self.app, most)(scope, receive, send)
        except ClientDisconnect:
            pass  # its client left before sending all of it (a page closed mid-upload): no one to answer
        finally:
            self.open[client] -= 1
            if not self.open[client]:
                del self.open[client]

    def refusal(self, route: str, scope: Scope, client: str, most: int) -> tuple[int, str] | None:
        """The status and message a request is refused with, or None (``most``: its body's bound)."""
        if route in REFUSED_ROUTES:
            return 404, "Not Found"
        if self.open[client] >= MAX_OPEN_PER_CLIENT:
            return 429, f"Too many requests open at once from your address (at most {MAX_OPEN_PER_CLIENT}): close some."
        in_all = self.open.total()
        if in_all >= MAX_OPEN_RESERVED or (in_all >= MAX_OPEN and self.open[client] >= FEW_OPEN):
            return 503, "The server has too many requests open at once: try again in a minute."
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        read = int(declared) if declared.isdigit() else most + 1
        if read > most:
            return 413, f"That request is too large: this route takes at most {most:,} bytes."
        if route.startswith("upload") and _free_bytes(Path(get_upload_folder())) - read < MIN_FREE_DISK:
            return 507, "The server is short of disk space for uploads: try again later."
        return None


def client_address(scope: Scope) -> str:
    """Who sent a request: the address that connected, or, where that is a proxy's on a private
    network (as on a Space), the last public address in X-Forwarded-For. Each proxy appends the
    address it heard from, so only the addresses before those can be made up. An IPv6 address
    counts as its /64 network: one home or phone is given a whole /64 and may send from any
    address in it (2**64 of them), which would otherwise each have bounds of their own."""
    peer = scope["client"][0] if scope.get("client") else ""
    if client := _public_client(peer):
        return client
    forwarded = dict(scope["headers"]).get(b"x-forwarded-for", b"").decode("latin-1")
    hops = [hop.strip() for hop in forwarded.split(",")]
    return next((client for hop in reversed(hops) if (client := _public_client(hop))), peer)


def _public_client(address: str) -> str | None:
    """A public address as clients are counted (IPv4 as it is, an IPv4 one written as IPv6 too;
    IPv6 as its /64 network), or None for one that is not public or not an address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if not ip.is_global:
        return None
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network((ip, 64), strict=False))


def _free_bytes(folder: Path) -> int:
    """The free space on the disk that holds ``folder`` (or would, once made)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free
