"""A public Space: each way one client once took the app down, sent through the real server on
loopback, is answered or refused within its bound, and the server keeps reading digits right.
(bench/hostile.py prints what each costs the server in time and memory.)"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import httpx
import pytest
from conftest import PROJECT_DIR
from gradio.utils import get_upload_folder
from hostile import (
    api_calls,
    blob_with_index,
    cut_off_uploads,
    deep_links,
    digit_png,
    dot_grid,
    large_call,
    made_up_sessions,
    many_layers,
    open_streams,
    saves,
    screen_recording,
    send_image,
    slow_then_ordinary,
    upload,
)  # fmt: skip

from digits.reading.readings import Reading


@pytest.fixture
def http():
    with httpx.Client(timeout=60) as client:
        yield client


def still_reads(http, url: str) -> None:
    answer = send_image(http, url, digit_png(3))
    assert isinstance(answer, dict) and answer["label"] == "3", answer


@pytest.mark.parametrize("dots", [400, 900, 10_000])
def test_a_canvas_of_dots_is_refused_at_once(served_app, http, dots):
    """Grouping 900 dots once took 208 s; any input is now answered or refused within a second."""
    url = served_app.rstrip("/")
    image = dot_grid(dots, dot=6 if dots < 5000 else 2)
    assert len(image) < 60_000
    started = time.perf_counter()
    answer = send_image(http, url, image)
    seconds = time.perf_counter() - started
    assert "too many separate marks" in str(answer) or "too busy" in str(answer), answer
    assert seconds < 2.0, f"{seconds:.1f} s"  # a second of work, and the HTTP round trips
    still_reads(http, url)


def test_a_blob_with_a_huge_layer_index_is_refused(served_app, http):
    """index=20000000 once made a list of 20 million slots, held for good."""
    import app

    url = served_app.rstrip("/")
    answer = blob_with_index(http, url, 20_000_000)
    assert answer.status_code == 400 and "one layer" in answer.text
    assert blob_with_index(http, url, 0).status_code == 200  # the page's own layer is taken
    blobs = app.sketchpad.blobs
    assert all(len(drawing.layers) <= 1 for drawing in blobs.values())
    still_reads(http, url)


def test_the_blobs_kept_are_bounded(served_app, http):
    """Drawings posted as blobs and never read: the oldest are dropped, in number and in bytes."""
    import app
    from ui.components import MAX_BLOB_BYTES, MAX_BLOB_DRAWINGS

    url = served_app.rstrip("/")
    for _ in range(MAX_BLOB_DRAWINGS + 20):
        assert blob_with_index(http, url, 0).status_code == 200
    assert len(app.sketchpad.blobs) == MAX_BLOB_DRAWINGS
    store = app.sketchpad.blobs
    big = b"\0" * (MAX_BLOB_BYTES // 4)
    for index in range(6):
        store.put(f"big{index}", "composite", big)
    assert sum(len(b.composite or b"") + sum(map(len, b.layers)) for b in store.values()) <= MAX_BLOB_BYTES
    assert "big0" not in store and "big5" in store


def test_a_sketch_with_many_layers_is_refused_before_decoding(served_app, http):
    """Eight layers of one 52 KB file once took 9.6 s and 1.7 GB."""
    url = served_app.rstrip("/")
    started = time.perf_counter()
    answer = many_layers(http, url, layers=8)
    assert "8 layers: the sketchpad has 1" in answer, answer
    assert time.perf_counter() - started < 2.0
    still_reads(http, url)


def test_api_calls_keep_nothing_in_sessions(served_app, http):
    """Each call to the public API was a session holding the drawing, 2.5 to 3.4 MB, for good."""
    import app

    def readings_kept() -> int:
        sessions = list(app.demo.state_holder.session_data.values())
        return sum(isinstance(value, Reading) for session in sessions for value in session.state_data.values())

    url = served_app.rstrip("/")
    before = readings_kept()
    assert api_calls(http, url, 30) == 30
    assert readings_kept() == before
    assert app.demo.state_session_capacity == 2000
    assert app.reading_state.time_to_live == app.SESSION_MINUTES * 60


def test_routes_the_app_does_not_offer_are_refused(served_app, http):
    """Gradio serves every app a deep-link route: for any live session it wrote a copy of the
    page's configuration, about 60 KB, to the server's disk, once for each new state (a drawing
    is one), and never deleted it. And a screen-recording route that runs ffmpeg, where it is
    installed, on any upload. The app offers neither: both are refused, and nothing is written."""
    import app

    url = served_app.rstrip("/")
    folder = Path(app.demo.server_app.uploaded_file_dir) / "deep_links"
    before = sorted(folder.rglob("*")) if folder.exists() else []
    assert deep_links(http, url, 3) == [404, 404, 404]
    assert (sorted(folder.rglob("*")) if folder.exists() else []) == before
    assert screen_recording(http, url) == 404
    still_reads(http, url)


@pytest.mark.parametrize("declared", [True, False])
def test_request_bodies_are_bounded(served_app, http, declared):
    """Gradio read any request's body whole: a 300 MB JSON call was read, parsed and queued,
    and took the server from 839 to 1,565 MB. A call's body is bounded by its route,
    refused unread when its length is declared, and as soon as it runs past the bound when not."""
    from ui.guard import MAX_JSON_BYTES

    url = served_app.rstrip("/")
    answer = large_call(http, url, 2 * MAX_JSON_BYTES, declared=declared)
    assert answer.status_code == 413 and "too large" in answer.text.lower(), answer.text
    assert large_call(http, url, MAX_JSON_BYTES // 2, declared=declared).status_code == 200  # read, and queued
    still_reads(http, url)


def test_uploads_are_bounded_by_the_files_they_carry(served_app, http, monkeypatch):
    """Gradio bounds each uploaded file, but took up to 1,000 of them in one request."""
    import app
    from ui.guard import FILES_PER_UPLOAD, MAX_JSON_BYTES

    url = served_app.rstrip("/")
    monkeypatch.setattr(app.demo, "max_file_size", 200_000)
    bound = FILES_PER_UPLOAD * 200_000 + MAX_JSON_BYTES
    assert upload(http, url, [190_000] * FILES_PER_UPLOAD).status_code == 200
    refused = upload(http, url, [190_000] * (bound // 190_000 + 1))
    assert refused.status_code == 413 and f"{bound:,} bytes" in refused.text
    still_reads(http, url)


def test_an_upload_cut_off_is_no_server_error(served_app, http, caplog):
    """A page closed mid-upload left an 80-line "Exception in ASGI application" in the server's
    log (Gradio's upload route let the client's leaving through): the log read as if the server
    had failed, once for each, as often as a client liked."""
    import app

    url, guard = served_app.rstrip("/"), the_guard(app.demo.server_app)
    server_log = logging.getLogger("uvicorn.error")
    server_log.addHandler(caplog.handler)
    try:
        cut_off_uploads(url, 3, client="9.9.9.9")
        for _ in range(100):  # until the server has seen each of them end
            if not guard.open["9.9.9.9"]:
                break
            time.sleep(0.1)
    finally:
        server_log.removeHandler(caplog.handler)
    assert not guard.open["9.9.9.9"]
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
    still_reads(http, url)


def test_uploads_are_refused_while_the_disk_is_short_of_space(served_app, http, monkeypatch):
    """Uploads are kept an hour, each bounded, but not how many a client sends."""
    import ui.guard

    url = served_app.rstrip("/")
    free = shutil.disk_usage(get_upload_folder()).free
    monkeypatch.setattr(ui.guard, "MIN_FREE_DISK", free + 10**9)  # as if this disk had a gigabyte less than it needs
    refused = upload(http, url, [1000])
    assert refused.status_code == 507 and "short of disk space" in refused.text
    monkeypatch.setattr(ui.guard, "MIN_FREE_DISK", free - 10**9)
    assert upload(http, url, [1000]).status_code == 200


def test_a_flood_of_made_up_sessions_keeps_the_visitors_readings(served_app, http, monkeypatch):
    """Gradio made a session for any id a request named, even one it then refused, and pushed
    out the oldest once it kept ``state_session_capacity``: a script pushed every visitor's last
    reading ("why", "wrong?") out. Sessions that hold no state now go first."""
    from http_api import PageSession, browser_drawing

    import app

    url = served_app.rstrip("/")
    page = PageSession(http, url)
    page.draw(browser_drawing(digit_png(3)))
    holder = app.demo.state_holder
    monkeypatch.setattr(holder, "capacity", len(holder.session_data) + 5)
    assert set(made_up_sessions(http, url, len(holder.session_data) + 20)) == {404}
    assert len(holder.session_data) <= holder.capacity
    kept = holder.session_data.get(page.session_hash)
    assert kept is not None and [type(value) for value in kept.state_data.values()] == [Reading]
    still_reads(http, url)


def test_requests_open_at_once_are_bounded_by_client_and_in_all(served_app, http, monkeypatch):
    """Gradio keeps a heartbeat open for as long as its client does: one client held 4,084 open,
    every file the server could open, and the server answered no one else until they closed.
    (Each client is named here as a proxy on loopback names it, which uvicorn trusts.)"""
    import app
    import ui.guard

    url, guard = served_app.rstrip("/"), the_guard(app.demo.server_app)

    def steady() -> int:  # requests open in all, once none is ending (the server closes its side just after us)
        for _ in range(100):
            before = guard.open.total()
            time.sleep(0.2)
            if guard.open.total() == before:
                return before
        raise AssertionError(f"requests open keep changing: {dict(guard.open)}")

    monkeypatch.setattr(ui.guard, "MAX_OPEN_PER_CLIENT", 3)
    with open_streams(url, 5, client="1.2.3.4") as statuses:
        assert statuses == [200, 200, 200, 429, 429]
        with open_streams(url, 1, client="1.2.3.4") as more, open_streams(url, 2, client="5.6.7.8") as others:
            assert more == [429] and others == [200, 200]  # others are served
        still_reads(http, url)  # and the server itself (on loopback, not through a proxy)
    steady()
    # An IPv6 client's addresses share its /64's bound; the next /64 is another client.
    with open_streams(url, 3, client="2a00:1450:4001:80b::1") as statuses:
        assert statuses == [200, 200, 200]
        with (
            open_streams(url, 1, client="2a00:1450:4001:80b::2") as more,
            open_streams(url, 1, client="2a00:1450:4001:80c::1") as next_network,
        ):
            assert more == [429] and next_network == [200]
    steady()
    monkeypatch.setattr(ui.guard, "MAX_OPEN_PER_CLIENT", 10)
    with open_streams(url, 3, client="1.2.3.4") as statuses:  # closed, theirs again
        assert statuses == [200, 200, 200]
        # Past MAX_OPEN in all, a client with FEW_OPEN open is refused, one with fewer served,
        # up to MAX_OPEN_RESERVED: those holding the rest open do not shut everyone else out.
        busy = steady()
        monkeypatch.setattr(ui.guard, "MAX_OPEN", busy)
        monkeypatch.setattr(ui.guard, "FEW_OPEN", 2)
        monkeypatch.setattr(ui.guard, "MAX_OPEN_RESERVED", busy + 3)
        with open_streams(url, 1, client="1.2.3.4") as more, open_streams(url, 3, client="5.6.7.8") as few:
            assert more == [503] and few == [200, 200, 503]
            with open_streams(url, 1, client="9.9.9.9") as last, open_streams(url, 1, client="9.9.9.8") as after:
                assert last == [200] and after == [503]
    still_reads(http, url)


def the_guard(server_app):
    """The app's RequestGuard, among the middleware Starlette wraps around the app."""
    from ui.guard import RequestGuard

    layer = server_app.middleware_stack
    while not isinstance(layer, RequestGuard):
        layer = layer.app
    return layer


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("8.8.8.8", "1.2.3.4", "8.8.8.8"),  # a client on the internet names whom it likes: not heeded
        ("10.0.0.5", "1.2.3.4", "1.2.3.4"),  # a proxy on a private network (a Space's) names its client
        ("10.0.0.5", "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # what the client made up comes before
        ("10.0.0.5", "1.2.3.4, 10.0.0.9", "1.2.3.4"),  # a second proxy's own address is passed over
        ("10.0.0.5", "", "10.0.0.5"),
        ("10.0.0.5", "unknown, 192.168.1.2", "10.0.0.5"),
        # IPv6: a client may send from any address of its /64, so it is counted as that network
        ("2a00:1450:4001:80b::200e", "", "2a00:1450:4001:80b::/64"),
        ("10.0.0.5", "2a00:1450:4001:80b::1", "2a00:1450:4001:80b::/64"),
        ("10.0.0.5", "2a00:1450:4001:80c::1", "2a00:1450:4001:80c::/64"),
        ("::ffff:8.8.8.8", "", "8.8.8.8"),  # IPv4, as a dual-stack socket names it
        ("10.0.0.5", "::ffff:1.2.3.4", "1.2.3.4"),
    ],
)
def test_each_request_is_counted_against_the_client_a_proxy_names(peer, forwarded, client):
    from ui.guard import client_address

    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    assert client_address({"type": "http", "client": (peer, 50000), "headers": headers}) == client


def test_saves_are_counted_against_the_client_a_proxy_names(served_app):
    """Saves were counted by the address that connected: behind a Space's proxy, every visitor's
    against one budget, so 20 saves an hour from anyone stopped everyone's."""
    import gradio as gr
    from starlette.requests import Request

    import app

    def request(forwarded: str) -> gr.Request:
        headers = [(b"x-forwarded-for", forwarded.encode())]
        return gr.Request(Request({"type": "http", "client": ("10.0.0.5", 50000), "headers": headers}))

    *_, reading = app.show(PROJECT_DIR / "examples" / "8_bold.png")  # as the page reads it
    before = len(app.corrections._recent.get("1.2.3.4", ()))
    answer, _ = app.save_correction(reading, "80418", request("1.2.3.4"))  # an answer no other test sends
    assert answer.startswith("Saved as 80418"), answer
    assert len(app.corrections._recent["1.2.3.4"]) == before + 1
    assert "10.0.0.5" not in app.corrections._recent


def test_events_are_not_summed_up_after_each_one(served_app, http):
    """Gradio summed up its last events (up to 10,000) in a pandas table after every event, for
    the API page's figures: 19 ms of CPU each once that many were kept, three for each stroke."""
    import app

    queue = app.demo._queue
    assert queue.ANAYLTICS_CACHE_FREQUENCY == app.ANALYTICS_EVERY  # (sic)
    summed_at, recorded = queue.event_count_at_last_cache, queue.events_recorded
    assert api_calls(http, served_app.rstrip("/"), 30) == 30
    assert queue.events_recorded - recorded == 30  # each call is an event Gradio counts
    moved = queue.event_count_at_last_cache - summed_at  # events between the last two summaries
    assert moved == 0 or moved >= app.ANALYTICS_EVERY


def test_saves_are_rate_limited_and_not_repeated(served_app, http, monkeypatch):
    """200 saves from a script were all stored, at 1.9 MB each, and trained on at once."""
    import app
    from digits.storage.corrections import records

    url = served_app.rstrip("/")
    monkeypatch.setattr(app.corrections, "per_hour", len(app.corrections._recent.get("127.0.0.1", ())) + 3)
    answers = saves(http, url, 5)
    assert [answer.startswith("Saved as") for answer in answers] == [True, True, True, False, False], answers
    assert "saves this hour" in answers[3]
    monkeypatch.setattr(app.corrections, "per_hour", 1000)
    again = saves(http, url, 1, distinct=False)  # the first drawing of the last run, with the same answer
    assert "already saved" in again[0], again
    kept = records(app.settings.corrections_dir)
    assert all(record.verdict is None for record in kept)  # none trained on before review
    sizes = [(app.settings.corrections_dir / record.image).stat().st_size for record in kept]
    assert max(sizes) < 40_000  # small ink maps, not 1.9 MB canvases


def test_slow_requests_do_not_hold_up_ordinary_ones(served_app):
    """Four slow requests once held /predict's slots until later callers got "Queue is full"."""
    url = served_app.rstrip("/")
    started = time.perf_counter()
    answers = slow_then_ordinary(lambda: httpx.Client(timeout=60), url)
    assert all(isinstance(answer, dict) and answer["label"] == "3" for answer in answers), answers
    assert time.perf_counter() - started < 20
