"""What each hostile probe costs the server: the app runs as `python app.py` on 127.0.0.1 and
each probe of tests/hostile.py is sent to it in turn, with the time it took and the server's
memory (resident now, and its peak) before and after, and what it wrote to the server's disk
(Gradio's folder for uploads and what it makes). Then an ordinary drawing, to show the server
still reads.

    python bench/hostile.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from hostile import (  # noqa: E402
    api_calls,
    blob_with_index,
    dashes,
    deep_links,
    digit_png,
    dot_grid,
    large_call,
    many_layers,
    open_streams,
    saves,
    screen_recording,
    send_image,
    slow_then_ordinary,
    upload,
)
from http_api import start_server  # noqa: E402


def memory_mb(pid: int) -> tuple[float, float]:
    """The process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def size_mb(folder: Path) -> float:
    """The size of the files under ``folder``, in MB."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 1e6


def summary(answer) -> str:
    text = str(answer.get("label") if isinstance(answer, dict) else answer)
    for marker in ("Error", "error"):
        text = text.split(f"{marker}: ", 1)[-1]
    return text.replace("\n", " ").replace("|", "/")[:70]


def main() -> None:
    port = 7895
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as corrections, tempfile.TemporaryDirectory() as files:
        env = {"DIGITS_CORRECTIONS_DIR": corrections, "DIGITS_ALLOW_TRAINING": "0", "GRADIO_TEMP_DIR": files}
        server = start_server("app.py", port, env=env)
        try:
            http = httpx.Client(timeout=120)
            send_image(http, url, digit_png())  # warm up
            probes = {
                "a canvas of 400 separate dots, to /predict": lambda: send_image(http, url, dot_grid(400)),
                "a canvas of 900 separate dots, to /predict": lambda: send_image(http, url, dot_grid(900)),
                "a canvas of 10,000 specks, to /predict": lambda: send_image(http, url, dot_grid(10_000, dot=2)),
                "a 1-byte blob posted as layer 20,000,000": lambda: blob_with_index(http, url, 20_000_000).text,
                "8 layers, one 50 KB file, no composite, to /predict": lambda: many_layers(http, url, layers=8),
                "32 dashes, 1.1 to 200 times as wide as tall, to /read_number": lambda: ", ".join(
                    sorted(
                        {str(send_image(http, url, dash, api_name="read_number").get("number")) for dash in dashes()}
                    )
                ),
                "150 calls to /gradio_api/call/predict": lambda: f"{api_calls(http, url, 150)} of 150 read",
                "50 drawings in one session, each then asked for a deep link": lambda: _statuses(
                    deep_links(http, url, 50)
                ),
                "a 1 MB video posted to the screen recorder's processing": lambda: (
                    f"HTTP {screen_recording(http, url, 1_000_000)}"
                ),
                "200 saves of a correction from one client": lambda: "; ".join(
                    f"{count}x {text}" for text, count in _tally(saves(http, url, 200)).items()
                ),
                "4 slowest accepted inputs (36 MP photos), then 4 drawings": lambda: ", ".join(
                    summary(answer) for answer in slow_then_ordinary(lambda: httpx.Client(timeout=120), url)
                ),
                "one upload of 40 files of 1 MB": lambda: upload(http, url, [1_000_000] * 40).text,
                "a call to /predict whose JSON is 300 MB": lambda: large_call(http, url, 300_000_000).text,
                "1,000 heartbeats held open by one client, a drawing meanwhile": lambda: held_open(http, url, 1000, 1),
                "2,500 heartbeats held open by 25 clients, a drawing meanwhile": lambda: held_open(http, url, 2500, 25),
            }
            print(
                "| probe | seconds | server memory now, MB (before -> after) | peak, MB | disk written, MB | answer |"
            )
            print("|---|---|---|---|---|---|")
            for name, probe in probes.items():
                (rss_before, _), disk_before = memory_mb(server.pid), size_mb(Path(files))
                started = time.perf_counter()
                answer = probe()
                seconds = time.perf_counter() - started
                (rss_after, peak), written = memory_mb(server.pid), size_mb(Path(files)) - disk_before
                print(
                    f"| {name} | {seconds:.2f} | {rss_before:.0f} -> {rss_after:.0f} | {peak:.0f} | {written:.1f} "
                    f"| {summary(answer)} |"
                )
            answer = send_image(http, url, digit_png(3))
            print(f"\nafterwards, a drawn 3 is read as: {summary(answer)}")
        finally:
            server.terminate()
            server.wait()


def held_open(http: httpx.Client, url: str, count: int, clients: int) -> str:
    """``count`` heartbeat streams held open by ``clients`` clients (named as a proxy on loopback
    names them), and, while they are, a drawing from this one: how many of each status, and the
    drawing's reading."""
    with ExitStack() as streams:
        statuses = [
            status
            for index in range(clients)
            for status in streams.enter_context(open_streams(url, count // clients, client=f"1.2.3.{index + 1}"))
        ]
        try:
            reading = summary(send_image(http, url, digit_png(3)))
        except httpx.HTTPStatusError as refused:
            reading = f"HTTP {refused.response.status_code}, {refused.response.json()['detail']}"
    return f"{_statuses(statuses)}; a drawn 3: {reading}"


def _statuses(statuses: list[int]) -> str:
    """How many requests were answered with each HTTP status."""
    return "; ".join(f"{count}x HTTP {status}" for status, count in _tally(list(map(str, statuses))).items())


def _tally(answers: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for answer in answers:
        key = answer.split(" (")[0].split(",")[0]
        counts[key] = counts.get(key, 0) + 1
    return counts


if __name__ == "__main__":
    main()
