"""Prints the skill's own figures through the Lambda entry point on the embedded store: cold start
(import of lambda_function in a fresh interpreter), per-turn latency over scripted sessions (p50, p99, max),
response sizes, and peak memory. Alexa allows 8 s per answer; Lambda bills by the millisecond.

Run: make bench   (or PYTHONPATH=lambda:. .venv/bin/python benchmarks/bench_skill.py)
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "lambda"), str(ROOT)]
SESSIONS = 40
SCRIPT = [
    "open trust builder",
    "yes",
    "tell me more",
    "next",
    "the step about forgiving",
    "list the steps",
    "how are we doing",
    "start the listening exercise",
    "we are Sam and Alex",
    "flip a coin",
    "two minutes each",
    "next",
    "next",
    "yes",
    "next",
    "yes",
    "next",
    "stop",
]


def cold_start_ms(data_dir: str) -> float:
    code = "import time; t = time.perf_counter(); import lambda_function; print(time.perf_counter() - t)"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda"), str(ROOT)]),
        "TRUST_BUILDER_DATA_DIR": data_dir,
    }
    env.pop("PROGRESS_TABLE", None)
    command = [sys.executable, "-c", code]
    runs = [float(subprocess.check_output(command, env=env, text=True)) * 1000 for _ in range(5)]
    return statistics.median(runs)


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        os.environ["TRUST_BUILDER_DATA_DIR"] = data_dir
        os.environ.pop("PROGRESS_TABLE", None)
        print(f"cold start (import lambda_function, median of 5): {cold_start_ms(data_dir):.0f} ms")

        from lambda_function import lambda_handler
        from trust_console.device import LocalDevice

        timings: list[float] = []
        sizes: list[int] = []

        def timed_handler(event, context):
            started = time.perf_counter()
            response = lambda_handler(event, context)
            timings.append((time.perf_counter() - started) * 1000)
            sizes.append(len(json.dumps(response)))
            return response

        problems = 0
        for _ in range(SESSIONS):
            device = LocalDevice(timed_handler, user_id=f"amzn1.ask.account.BENCH-{uuid.uuid4().hex}")
            for utterance in SCRIPT:
                problems += len(device.say(utterance).problems)
        timings.sort()
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        print(f"turns: {len(timings)} in {SESSIONS} scripted sessions, {problems} invalid responses")
        print(
            f"per turn: p50 {statistics.median(timings):.2f} ms, p99 {p99:.2f} ms, max {timings[-1]:.2f} ms "
            "(skill + SQLite writes at checkpoints)"
        )
        median_size = statistics.median(sizes)
        print(f"response size: median {median_size:.0f} B, max {max(sizes)} B (Alexa's limit: 24 KB)")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of this process: {peak_mb:.0f} MB (template.yaml gives the function 256 MB)")


if __name__ == "__main__":
    main()
