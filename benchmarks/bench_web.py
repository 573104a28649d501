"""Load benchmark for the web service: many concurrent scripted sessions over loopback, verification on.

Starts the real server in a child process (the skill on the embedded SQLite storage in a temporary folder,
verification on with a generated test CA as its only trusted root), then runs scripted sessions
(open -> yes -> next -> next -> stop) from a pool of threads, each request signed like Alexa signs it.
Prints requests per second, p50/p99 latency, errors, and whether every finished session's progress was
stored. Bounded by a session count and a time limit; talks to 127.0.0.1 only.

    PYTHONPATH=lambda:. .venv/bin/python benchmarks/bench_web.py [--sessions 300] [--concurrency 16]
        [--server werkzeug|gunicorn] [--workers 4] [--threads 8] [--max-seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for entry in (str(REPO / "lambda"), str(REPO)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from ask_sdk_core.serialize import DefaultSerializer  # noqa: E402
from cryptography import x509  # noqa: E402

from tests.alexa_signing import SKILL_ID, RequestSigner, SigningAuthority  # noqa: E402
from trust_console import envelopes  # noqa: E402
from trust_web.transport import HttpTransport, TransportError  # noqa: E402

HOST = "127.0.0.1"  # never anything else: this script only load-tests a server it started itself
ROOT_ENV, CHAIN_ENV, DATA_ENV = "BENCH_ROOT_PEM", "BENCH_CHAIN_PEM", "TRUST_BUILDER_DATA_DIR"
MAX_SESSIONS, MAX_SECONDS = 5000, 300
# (request builder, fragment the answer's speech must contain)
SCRIPT = (
    (lambda: envelopes.launch_request(), "Welcome"),
    (lambda: envelopes.intent_request("AMAZON.YesIntent"), "Trust is"),  # the article's opening, on its own
    (lambda: envelopes.intent_request("AMAZON.YesIntent"), "Step 1:"),
    (lambda: envelopes.intent_request("AMAZON.NextIntent"), "Step 2:"),
    (lambda: envelopes.intent_request("AMAZON.NextIntent"), "Step 3:"),
    (lambda: envelopes.intent_request("AMAZON.StopIntent"), ""),
)
STEP_REACHED = 3


def bench_app():
    """The server side (child process or gunicorn worker): the real skill, verification with the test root."""
    import logging

    from trust_web.app import create_app
    from trust_web.logs import configure_json_logging
    from trust_web.verification import AlexaRequestVerifier
    from trust_web.wiring import build_skill_from_env

    roots = x509.load_pem_x509_certificates(Path(os.environ[ROOT_ENV]).read_bytes())
    chain = Path(os.environ[CHAIN_ENV]).read_bytes()
    configure_json_logging(logging.INFO, open(Path(os.environ[DATA_ENV]) / "server.log", "a"))  # noqa: SIM115
    verifier = AlexaRequestVerifier(SKILL_ID, roots=roots, fetcher=lambda url: chain)
    return create_app(build_skill_from_env(), verifier)


def serve_child() -> None:
    """`--serve`: run bench_app on the threaded werkzeug server (what `make serve` uses); print the port."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the JSON log already has a line per request
    server = make_server(HOST, 0, bench_app(), threaded=True)
    print(server.port, flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # the parent closes our stdin to stop us


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(args: argparse.Namespace, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    if args.server == "werkzeug":
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        port = int(child.stdout.readline())
    else:
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
            "--chdir",
            str(REPO / "benchmarks"),
            "bench_web:bench_app()",
        ]
        child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
    url = f"http://{HOST}:{port}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return child, url
        except OSError:
            time.sleep(0.1)
    child.kill()
    raise SystemExit("the server did not start")


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    finished_users: list[str] = field(default_factory=list)
    skipped: int = 0  # sessions not started because the time limit had passed
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_session(
    index: int, url: str, signer: RequestSigner, results: Results, local: threading.local, deadline: float
) -> None:
    if time.monotonic() > deadline:
        with results.lock:
            results.skipped += 1
        return
    transport = getattr(local, "transport", None)
    if transport is None:
        transport = local.transport = HttpTransport(url, signer=signer)
    identity = envelopes.DeviceIdentity(
        skill_id=SKILL_ID,
        user_id=f"amzn1.ask.account.BENCH-{index:06d}",
        device_id=f"amzn1.ask.device.B{index}",
    )
    session = envelopes.new_session()
    for build, expected in SCRIPT:
        event = envelopes.envelope(build(), identity, session)
        started = time.perf_counter()
        try:
            answer = transport(event)
        except TransportError as error:
            with results.lock:
                results.errors.append(str(error))
            return
        elapsed = time.perf_counter() - started
        speech = ((answer.get("response") or {}).get("outputSpeech") or {}).get("ssml", "")
        with results.lock:
            results.latencies.append(elapsed)
            if expected not in speech:
                results.errors.append(f"expected {expected!r} in the answer")
                return
        session.new = False
        session.attributes = dict(answer.get("sessionAttributes") or {})
    with results.lock:
        results.finished_users.append(identity.user_id)


def stored_steps(data_dir: Path, users: list[str]) -> list[int]:
    """Read each household's stored progress straight from the SQLite file the server wrote."""
    from trust_builder.progress import Progress
    from trust_builder.storage import adapter_from_env

    adapter = adapter_from_env({DATA_ENV: str(data_dir)})
    steps = []
    for user in users:
        identity = envelopes.DeviceIdentity(skill_id=SKILL_ID, user_id=user)
        request = envelopes.envelope(envelopes.launch_request(), identity, envelopes.new_session())
        envelope = DefaultSerializer().deserialize(json.dumps(request), "ask_sdk_model.RequestEnvelope")
        steps.append(Progress.from_dict(adapter.get_attributes(envelope)).current_step)
    return steps


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--server", choices=("werkzeug", "gunicorn"), default="werkzeug")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    args = parser.parse_args()
    if args.serve:
        serve_child()
        return 0
    sessions = max(1, min(args.sessions, MAX_SESSIONS))
    max_seconds = max(1.0, min(args.max_seconds, MAX_SECONDS))

    authority = SigningAuthority("Bench")
    leaf = authority.issue_leaf()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as temp:
        data_dir = Path(temp)
        (data_dir / "root.pem").write_bytes(authority.root_pem())
        (data_dir / "chain.pem").write_bytes(leaf.chain_pem)
        env = {
            **os.environ,
            ROOT_ENV: str(data_dir / "root.pem"),
            CHAIN_ENV: str(data_dir / "chain.pem"),
            DATA_ENV: str(data_dir),
            "PYTHONPATH": os.pathsep.join([str(REPO / "lambda"), str(REPO)]),
        }
        env.pop("PROGRESS_TABLE", None)  # the embedded storage, whatever the calling shell has configured
        child, url = start_server(args, env)
        try:
            signer = RequestSigner(leaf.key)
            results, local = Results(), threading.local()
            run_session(
                -1, url, signer, results, local, time.monotonic() + 30
            )  # warm-up: the chain fetch and first imports
            if results.errors:
                raise SystemExit(f"warm-up session failed: {results.errors[0]}")
            results = Results()
            deadline = time.monotonic() + max_seconds
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                for index in range(sessions):
                    pool.submit(run_session, index, url, signer, results, local, deadline)
            wall = time.perf_counter() - started
        finally:
            if child.stdin:
                child.stdin.close()
            child.terminate()
            child.wait(10)
        steps = stored_steps(data_dir, results.finished_users)
        log = [json.loads(line) for line in (data_dir / "server.log").read_text().splitlines() if line]
        rejected = sum(entry["event"] == "request_rejected" for entry in log)
        server_ms = [entry["ms"] for entry in log if entry["event"] == "request_handled"]

    count = len(results.latencies)
    stored_ok = sum(step == STEP_REACHED for step in steps)
    server = args.server if args.server == "werkzeug" else f"gunicorn {args.workers}x{args.threads} gthread"
    print(f"server: {server} on {HOST}, verification on (test CA), embedded SQLite storage")
    print(
        f"sessions: {len(results.finished_users)} finished of {sessions} ({len(SCRIPT)} requests each, "
        f"{results.skipped} not started within {max_seconds:.0f} s), concurrency {args.concurrency}"
    )
    print(f"requests: {count} in {wall:.2f} s = {count / wall:.1f} requests/s")
    if count:
        print(
            f"latency: p50 {percentile(results.latencies, 0.50) * 1000:.1f} ms, "
            f"p99 {percentile(results.latencies, 0.99) * 1000:.1f} ms, "
            f"mean {statistics.fmean(results.latencies) * 1000:.1f} ms, "
            f"max {max(results.latencies) * 1000:.1f} ms"
        )
    if server_ms:
        print(
            f"inside the app (verify + skill + storage): p50 {percentile(server_ms, 0.50):.1f} ms, "
            f"p99 {percentile(server_ms, 0.99):.1f} ms"
        )
    print(f"errors: {len(results.errors)} (server rejections logged: {rejected})")
    for error in sorted(set(results.errors))[:5]:
        print(f"  e.g. {error}")
    print(
        f"progress stored: {stored_ok}/{len(results.finished_users)} finished sessions at step {STEP_REACHED}"
    )
    ok = not results.errors and stored_ok == len(results.finished_users) == sessions - results.skipped
    print("check:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
