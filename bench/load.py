"""Bounded load on loopback: N concurrent clients for a fixed time (and at most M drawings).

    python bench/load.py [--clients 16 --seconds 60 --max-requests 20000] [--protocol page|api]

Starts the app on 127.0.0.1 and sends drawings from N threads. With ``--protocol page`` (the
default) each client is a browser tab: it posts the editor's three images as blobs, joins the
queue for the sketchpad's change event, then for the two events the page chains after it (the
details and the "why" view), exactly as the page does. With ``--protocol api`` each drawing is
one call to the public /predict endpoint with the same three files. Reports drawings served,
errors, latency percentiles (a drawing's whole chain) and the server's peak memory (VmHWM).
It stops by itself when the time or the request budget runs out.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from http_api import PROJECT_DIR, PageSession, browser_drawing, predict, start_server  # noqa: E402


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=60, help="how long to send requests")
    parser.add_argument("--max-requests", type=int, default=20_000, help="stop after this many requests")
    parser.add_argument("--port", type=int, default=7880, help="port on 127.0.0.1")
    parser.add_argument(
        "--protocol", choices=["page", "api"], default="page",
        help="page: as a browser tab sends a drawing (blobs, then the chained events); api: /predict",
    )  # fmt: skip
    args = parser.parse_args()
    images = [browser_drawing(path.read_bytes()) for path in sorted((PROJECT_DIR / "examples").glob("*.png"))]
    url = f"http://127.0.0.1:{args.port}"
    server = start_server("app.py", args.port)
    memory_at_start = peak_memory_mb(server.pid)
    budget = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + args.seconds

    def client(index: int) -> None:
        with httpx.Client(timeout=30) as http:
            page = PageSession(http, url) if args.protocol == "page" else None
            while time.monotonic() < deadline:
                with lock:
                    number = next(budget)
                if number >= args.max_requests:
                    return
                started = time.perf_counter()
                try:
                    if page is not None:
                        page.draw(images[number % len(images)])
                    else:
                        predict(http, url, images[number % len(images)])
                except (httpx.HTTPError, RuntimeError) as error:
                    with lock:
                        errors.append(f"{type(error).__name__}: {error}")
                    continue
                with lock:
                    latencies.append(1000 * (time.perf_counter() - started))

    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(client, range(args.clients)))
        elapsed = time.perf_counter() - started
        peak = peak_memory_mb(server.pid)
    finally:
        server.terminate()
        server.wait()

    q = statistics.quantiles(latencies, n=100, method="inclusive")
    print(f"{args.clients} clients ({args.protocol} protocol) for {elapsed:.0f} s on loopback")
    print(f"drawings served: {len(latencies)} ({len(latencies) / elapsed:.1f}/s), errors: {len(errors)}")
    print(f"latency ms: p50 {q[49]:.0f}, p95 {q[94]:.0f}, p99 {q[98]:.0f}")
    print(f"server peak memory (VmHWM): {peak:.0f} MB (after start-up: {memory_at_start:.0f} MB)")
    for error in errors[:5]:
        print("  error:", error)


if __name__ == "__main__":
    main()
