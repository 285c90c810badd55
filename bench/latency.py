"""Latency and throughput through Gradio's HTTP API, the app beside a constant-answer floor.

    python bench/latency.py [--requests 200] [--runs 3] [--payload browser|composite]

Each request uploads a Sketchpad drawing and calls /predict, as the browser does (by default the
three files the page sends: background, ink layer, composite; --payload composite sends the
composite alone, as API callers may). Reported:
p50/p95 latency with one client, requests per second with 1 and 8 concurrent clients, and,
separately, one client through gradio_client (which adds its own client CPU and polling).

Servers: the floor (the stock sketchpad answering a constant), this app with its reader
answering a constant (Gradio's cost for the app's own page; the app less this is the reading),
an app that calls model.predict per request, and this app.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from http_api import PROJECT_DIR, browser_drawing, predict, start_server  # noqa: E402

# Every server runs with the Gradio settings app.py gives itself (its ANALYTICS_EVERY), so
# that the floor is Gradio's own cost as the app meets it, not a setting the app changes.
GRADIO_ENV = {"GRADIO_ANALYTICS_CACHE_FREQUENCY": "1000"}
SERVERS = {
    "floor (constant)": "bench/floor_app.py",
    "this app, answering a constant": "bench/constant_reading_app.py",
    "model.predict per request": "bench/predict_per_request_app.py",
    "this app": "app.py",
}


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def run_clients(
    url: str, images: list[bytes | dict[str, bytes]], *, clients: int, requests: int
) -> tuple[list[float], float]:
    """``requests`` requests spread over ``clients`` threads; latencies (ms) and wall time (s)."""

    def worker(index: int) -> list[float]:
        latencies = []
        with httpx.Client(timeout=30) as http:
            for i in range(index, requests, clients):
                started = time.perf_counter()
                predict(http, url, images[i % len(images)])
                latencies.append(1000 * (time.perf_counter() - started))
        return latencies

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = [ms for result in pool.map(worker, range(clients)) for ms in result]
    return latencies, time.perf_counter() - started


def one_client_in_turns(
    servers: dict[str, tuple[subprocess.Popen, str]], images: list[bytes | dict[str, bytes]], *, requests: int
) -> dict[str, list[float]]:
    """One client's latencies (ms) at each server, the servers taking turns request by request:
    each request of one server is timed within a second of the others' same request, so that the
    machine's drift falls on all of them alike."""
    latencies: dict[str, list[float]] = {name: [] for name in servers}
    clients = {name: httpx.Client(timeout=30) for name in servers}
    try:
        for i in range(requests):
            for name, (_, url) in servers.items():
                started = time.perf_counter()
                predict(clients[name], url, images[i % len(images)])
                latencies[name].append(1000 * (time.perf_counter() - started))
    finally:
        for client in clients.values():
            client.close()
    return latencies


def gradio_client_latency(url: str, paths: list[Path], requests: int) -> list[float]:
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    latencies = []
    for i in range(requests):
        value = {"background": None, "layers": [], "composite": handle_file(str(paths[i % len(paths)]))}
        started = time.perf_counter()
        client.predict(value, api_name="/predict")
        latencies.append(1000 * (time.perf_counter() - started))
    return latencies


def measure(args: argparse.Namespace, images: list[bytes | dict[str, bytes]], paths: list[Path]) -> dict[str, dict]:
    """One run: every server started, measured and stopped; each server's figures.

    Every server runs throughout, and the servers take turns: this machine's speed drifts by a
    third within minutes, and one server measured after another would carry that drift into
    their ratios. Servers started afresh differ too (three runs of this one put the app's p50
    at 1.25x, 1.42x and 1.27x the floor's), hence several runs.
    """
    servers: dict[str, tuple[subprocess.Popen, str]] = {}
    try:
        for offset, (name, script) in enumerate(SERVERS.items()):
            url = f"http://127.0.0.1:{args.port + offset}"
            servers[name] = start_server(script, args.port + offset, env=GRADIO_ENV), url
            run_clients(url, images, clients=2, requests=20)  # warm up
        single = one_client_in_turns(servers, images, requests=args.requests)
        eight: dict[str, list[float]] = {name: [] for name in servers}
        for _ in range(args.repeats):
            for name, (_, url) in servers.items():
                eight[name].append(run_clients(url, images, clients=8, requests=args.requests)[1])
        via_client = {
            name: gradio_client_latency(url, paths, min(args.requests, 50)) for name, (_, url) in servers.items()
        }
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait()
    return {
        name: {
            "p50": statistics.median(latencies),
            "p95": percentile(latencies, 95),
            "rps1": len(latencies) / (sum(latencies) / 1000),
            "rps8": args.requests / statistics.median(eight[name]),
            "client_p50": statistics.median(via_client[name]),
        }
        for name, latencies in single.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests per measurement")
    parser.add_argument("--runs", type=int, default=3, help="runs, each with the servers started afresh")
    parser.add_argument("--repeats", type=int, default=3, help="8-client measurements per server and run")
    parser.add_argument("--port", type=int, default=7870, help="first port to use on 127.0.0.1")
    parser.add_argument(
        "--payload", choices=["browser", "composite"], default="browser",
        help="browser: background, ink layer and composite, as the page sends them; composite: that alone",
    )  # fmt: skip
    args = parser.parse_args()
    paths = sorted((PROJECT_DIR / "examples").glob("*.png"))
    images = [path.read_bytes() for path in paths]
    if args.payload == "browser":
        images = [browser_drawing(image) for image in images]

    runs = [measure(args, images, paths) for _ in range(args.runs)]
    # Each figure is the median of the runs' (for a ratio, of each run's ratio to that run's floor).
    results = {
        name: {key: statistics.median(run[name][key] for run in runs) for key in runs[0][name]} for name in SERVERS
    }
    ratios = {
        name: {
            key: statistics.median(run[name][key] / run["floor (constant)"][key] for run in runs)
            for key in ("p50", "rps8")
        }
        for name in SERVERS
    }
    print(
        f"\n{args.payload} payload, loopback: the median of {args.runs} runs, each with its servers started afresh "
        f"and {args.requests} requests per measurement (1 client: the servers taking turns request by request; "
        f"8 clients: {args.repeats} times each, the servers taking turns, median kept)"
    )
    print(
        "the app's p50 vs the floor's, run by run: "
        + ", ".join(f"{run['this app']['p50'] / run['floor (constant)']['p50']:.2f}x" for run in runs)
        + "\n"
    )
    print(
        "| server | p50 ms | p95 ms | req/s, 1 client | req/s, 8 clients | p50 vs floor | 8-client req/s vs floor | gradio_client p50 ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['p50']:.1f} | {r['p95']:.1f} | {r['rps1']:.1f} | {r['rps8']:.1f} | "
            f"{ratios[name]['p50']:.2f}x | {ratios[name]['rps8']:.2f}x | {r['client_p50']:.0f} |"
        )


if __name__ == "__main__":
    main()
