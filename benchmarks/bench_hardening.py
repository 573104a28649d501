"""Prints the hardening figures (README, Reliability): how long a trickling certificate server can hold a
request, how long eight concurrent requests wait behind one failing certificate fetch, what the session
guard costs per request, how fast the Lambda entry answers mutated envelopes, and the stored item's size
with its write tokens after 1,000 visits.

Run: PYTHONPATH=lambda:.:tests .venv/bin/python benchmarks/bench_hardening.py
"""

from __future__ import annotations

import contextlib
import http.server
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "lambda"), str(ROOT), str(ROOT / "tests")]

from alexa_signing import CERT_URL, SKILL_ID, RequestSigner, SigningAuthority, encode, launch_envelope  # noqa: E402

from trust_builder.progress import Progress  # noqa: E402
from trust_builder.session_guard import clean_session  # noqa: E402
from trust_builder.storage import ProgressStore, SqliteAdapter  # noqa: E402
from trust_web.verification import AlexaRequestVerifier, CertFetchFailed, HttpFetcher  # noqa: E402


class _Trickle(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        data = b"x" * 60
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for byte in data:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.25)  # each read is quick (under the 2 s per-read timeout); the whole takes 15 s

    def log_message(self, *_: Any) -> None:
        pass


def trickle() -> float:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    fetcher = HttpFetcher(rewrite=lambda url: url.replace("https://s3.amazonaws.com", base))
    started = time.monotonic()
    with contextlib.suppress(CertFetchFailed):
        fetcher(CERT_URL)
    server.shutdown()
    return time.monotonic() - started


def concurrent_failures() -> tuple[float, int]:
    authority = SigningAuthority()
    leaf = authority.issue_leaf()
    calls: list[str] = []

    def failing(url: str) -> bytes:
        calls.append(url)
        time.sleep(2.0)  # a fetch that times out after the per-read timeout
        raise CertFetchFailed("timed out")

    verifier = AlexaRequestVerifier(SKILL_ID, roots=[authority.root], fetcher=failing)
    body = encode(launch_envelope(moment=datetime.now(UTC)))
    headers = RequestSigner(leaf.key)(body)
    waits: list[float] = []

    def one() -> None:
        started = time.monotonic()
        with contextlib.suppress(CertFetchFailed):
            verifier.verify(headers, body)
        waits.append(time.monotonic() - started)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return max(waits), len(calls)


def guard_cost() -> float:
    progress = Progress.new(date(2026, 1, 1))
    progress.set_names(["Sam", "Alex"])
    for step in range(1, 6):
        progress.hear_step(step)
    ssml = "<speak>" + "A sentence for the ear. " * 40 + '<break time="2s"/></speak>'
    session = {
        "progress": progress.to_dict(),
        "stored": progress.to_dict(),
        "mode": "steps",
        "step": 5,
        "offer": {"kind": "detail", "step": 5},
        "last": {"speech": ssml, "reprompt": "<speak>Say next.</speak>"},
    }
    now = datetime.now(UTC)
    runs = 2000
    started = time.perf_counter()
    for _ in range(runs):
        clean_session(session, now.date(), now)
    return (time.perf_counter() - started) / runs * 1000


def fuzz_rate() -> tuple[int, float]:
    import importlib
    import os

    os.environ["TRUST_BUILDER_DATA_DIR"] = tempfile.mkdtemp()
    handler = importlib.import_module("lambda_function").lambda_handler
    from test_lambda_fuzz import mutate, record_seed_envelopes

    seeds = record_seed_envelopes(handler)
    rng = random.Random(20261202)
    times = []
    for _ in range(3000):
        event = mutate(rng.choice(seeds), rng)
        started = time.perf_counter()
        json.dumps(handler(event, None), allow_nan=False)
        times.append(time.perf_counter() - started)
    return len(times), statistics.median(times) * 1000


def item_size() -> int:
    with tempfile.TemporaryDirectory() as folder:
        from conftest import envelope_for

        adapter = SqliteAdapter(Path(folder) / "p.sqlite3")
        store, envelope = ProgressStore(adapter), envelope_for("amzn1.ask.account." + "X" * 200)
        progress = Progress.new(date(2024, 1, 1))
        progress.set_names(["Maximiliana", "Bartholomew"])
        stored = None
        rng = random.Random(7)
        for visit in range(1000):
            current = (stored or progress).copy()
            current.visit(date(2024, 1, 1) + timedelta(days=visit))
            current.hear_step(rng.randint(1, 8))
            if rng.random() < 0.3:
                current.complete_exercise(date(2024, 1, 1) + timedelta(days=visit))
            stored = store.save(envelope, stored, current).progress
        item = {"id": "amzn1.ask.account." + "X" * 200, "attributes": adapter.get_attributes(envelope)}
        return len(json.dumps(item, ensure_ascii=False).encode())


def main() -> None:
    import logging

    logging.disable(logging.CRITICAL)  # the figures, not the skill's log lines
    print(f"trickling certificate server (60 bytes, one per 0.25 s): request held {trickle():.2f} s")
    longest, fetches = concurrent_failures()
    print(
        f"8 concurrent requests, cold cache, a fetch failing after 2 s: {fetches} fetch, "
        f"longest wait {longest:.2f} s"
    )
    print(f"session guard per request (6 attributes, 1 KB of SSML): {guard_cost():.3f} ms")
    count, median = fuzz_rate()
    print(f"Lambda entry on {count} mutated envelopes: median {median:.2f} ms each, none escaped")
    print(f"stored item after 1,000 saved visits, with write tokens: {item_size()} bytes")


if __name__ == "__main__":
    main()
