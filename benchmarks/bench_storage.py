"""Prints storage figures: import cost, per-operation latency (SQLite, DynamoDB on a local dynalite), the
stored item's size after a thousand visits, and the worst-case time a failing DynamoDB call takes to give up.

Run: PYTHONPATH=lambda:. .venv/bin/python benchmarks/bench_storage.py   (dynalite from `npm ci`)
"""

from __future__ import annotations

import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "lambda"), str(ROOT)]

from ask_sdk_model import Context, RequestEnvelope, User  # noqa: E402
from ask_sdk_model.interfaces.system import SystemState  # noqa: E402

from trust_builder.progress import Progress  # noqa: E402
from trust_builder.storage import ProgressStore, SqliteAdapter  # noqa: E402
from trust_builder.storage import dynamodb_adapter as dynamo  # noqa: E402

ROUNDS = 300
VISITS = 1000


def envelope(user_id: str) -> RequestEnvelope:
    return RequestEnvelope(version="1.0", context=Context(system=SystemState(user=User(user_id=user_id))))


def import_ms(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda"), str(ROOT)])}
    runs = [
        float(subprocess.check_output([sys.executable, "-c", code], env=env, text=True)) for _ in range(5)
    ]
    return statistics.median(runs)


def timed(action: Callable[[], Any], rounds: int = ROUNDS) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def latency(label: str, store: ProgressStore) -> None:
    env = envelope(f"amzn1.ask.account.BENCH{uuid.uuid4().hex}")
    state: dict[str, Progress | None] = {"base": None}

    def save() -> None:
        base = state["base"]
        current = base.copy() if base else Progress.new(date.today())
        current.complete_exercise(date.today())
        result = store.save(env, base, current)
        assert result.ok
        state["base"] = result.progress

    save_median, save_p95 = timed(save)
    load_median, load_p95 = timed(lambda: store.load(env))
    print(
        f"{label:<22} load median {load_median:6.2f} ms  p95 {load_p95:6.2f} ms | "
        f"save median {save_median:6.2f} ms  p95 {save_p95:6.2f} ms  ({ROUNDS} rounds)"
    )


def item_size_after_visits(store: ProgressStore) -> int:
    env = envelope("amzn1.ask.account." + "X" * 200)
    day, base = date(2024, 1, 1), None
    for visit in range(VISITS):
        day += timedelta(days=1)
        current = base.copy() if base else Progress.new(day)
        current.visit(day)
        current.set_names(["Maximiliana", "Bartholomew"])
        current.hear_step(visit % 8 + 1)
        current.hear_detail(visit % 8 + 1)
        current.complete_exercise(day)
        current.unfinished_exercise = {"phase": "listener", "speaker": 0, "elapsed_s": 95}
        current.floor_minutes = 10
        base = store.save(env, base, current).progress
    attributes = store.adapter.get_attributes(env)
    return len(json.dumps({"id": env.context.system.user.user_id, "attributes": attributes}).encode())


def hung_server_give_up_s() -> tuple[float, bool]:
    """A loopback server that accepts connections and never answers: how long until load gives up?"""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)  # the kernel completes handshakes; nothing ever reads or replies
        endpoint = f"http://127.0.0.1:{server.getsockname()[1]}"
        store = ProgressStore(
            dynamo.DynamoDbProgressAdapter("t", dynamo.make_dynamodb_client("us-east-1", endpoint))
        )
        start = time.perf_counter()
        result = store.load(envelope("amzn1.ask.account.HUNG"))
        return time.perf_counter() - start, result.ok


def start_dynalite() -> tuple[subprocess.Popen[bytes], str] | None:
    binary = ROOT / "node_modules" / ".bin" / "dynalite"
    if not binary.exists():
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [str(binary), "--host", "127.0.0.1", "--port", str(port), "--createTableMs", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    process.terminate()
    return None


def main() -> None:
    logging.basicConfig(level=logging.ERROR)  # the store logs each injected failure as a warning
    print(f"import trust_builder.storage (SQLite path)      {import_ms('trust_builder.storage'):7.1f} ms")
    dynamo_import = import_ms("trust_builder.storage.dynamodb_adapter")
    print(f"import trust_builder.storage.dynamodb_adapter   {dynamo_import:7.1f} ms")
    give_up = dynamo.TOTAL_MAX_ATTEMPTS * (dynamo.CONNECT_TIMEOUT_S + dynamo.READ_TIMEOUT_S) + 1.0
    print(
        f"DynamoDB worst case before giving up on a call  {give_up:7.1f} s "
        f"({dynamo.TOTAL_MAX_ATTEMPTS} attempts x (connect {dynamo.CONNECT_TIMEOUT_S} s + read "
        f"{dynamo.READ_TIMEOUT_S} s) + at most 1 s backoff)"
    )

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    waited, ok = hung_server_give_up_s()
    print(f"load against a server that never answers        {waited:7.2f} s, ok={ok}")

    with tempfile.TemporaryDirectory() as folder:
        sqlite_store = ProgressStore(SqliteAdapter(Path(folder) / "bench.sqlite3"))
        latency("SQLite (file)", sqlite_store)
        print(f"item size after {VISITS} visits (SQLite)     {item_size_after_visits(sqlite_store):7d} bytes")

    started = start_dynalite()
    if started is None:
        print("dynalite not installed (run `npm ci`): DynamoDB figures skipped")
        return
    process, endpoint = started
    try:
        import botocore.session  # the table is made with botocore; the skill's client only reads and writes

        botocore_client = botocore.session.get_session().create_client(
            "dynamodb", region_name="us-east-1", endpoint_url=endpoint
        )
        botocore_client.create_table(
            TableName="bench",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client = dynamo.make_dynamodb_client("us-east-1", endpoint)
        store = ProgressStore(dynamo.DynamoDbProgressAdapter("bench", client))
        latency("DynamoDB (dynalite)", store)
        print(f"item size after {VISITS} visits (DynamoDB)   {item_size_after_visits(store):7d} bytes")
    finally:
        process.terminate()
        process.wait(timeout=5)


if __name__ == "__main__":
    main()
