"""Cold start and warm turns of the Lambda entry point against two baselines this script builds itself.

What a couple waits through on "Alexa, open trust builder" after a quiet day is a cold start: a fresh
interpreter importing the skill and answering its first LaunchRequest. This script measures that, in fresh
interpreters, for five configurations run interleaved (round after round, so a busy machine slows all of them
alike):

- hello-world: the smallest ASK SDK skill shaped like Amazon's hello-world sample (SkillBuilder, launch,
  hello, help, stop, session-ended, fallback, a catch-all exception handler);
- hello-dynamodb: the same skill with the SDK's DynamoDbAdapter (a boto3 resource), reading the persistent
  attributes on launch as Amazon's high-low game sample does, against dynalite;
- skill-sqlite and skill-dynamodb: Trust Builder's lambda_function on its two stores (dynalite for DynamoDB);
- with --before ROOT, also the skill from another checkout (e.g. `--before /work/main`), for a before/after.

Each fresh interpreter times `import lambda_function` plus the first LaunchRequest (interpreter start-up,
identical for all, is left out), then warm requests in the same process, WARM_SESSIONS times: a LaunchRequest
in a new session (the skills with a store read it) and a help request in that session (a turn: no store
read); then the same turns again one after another, three times ("in a row": no launch in between to evict
the caches, as in a conversation's quick back and forth). It reports peak memory (VmHWM) too. The figures are
medians over the rounds with their spread (min to max); the ratios are printed against the targets of
issue 13. Lambda SnapStart cannot be measured here.

Run: make bench   (or PYTHONPATH=lambda:. .venv/bin/python benchmarks/bench_coldstart.py [--rounds 9])
Needs dynalite (`npm ci`, which `make test` runs).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "lambda"), str(ROOT)]

from trust_console import envelopes  # noqa: E402

REGION = "us-east-1"
WARM_SESSIONS = 30
TARGETS = {  # issue 13: ratios measured in one run
    "cold DynamoDB: skill / hello-dynamodb": 0.8,
    "cold SQLite: skill / hello-world": 1.6,
    "warm turn: skill (SQLite) / hello-world": 1.3,
    "warm turns in a row: skill (SQLite) / hello-world": 1.3,
}

# ----- the two baselines, written out as Amazon's samples are: one lambda_function.py each --------------

HELLO_WORLD = '''
"""A hello-world skill shaped like the ASK SDK's sample: a builder, a handler per request type."""
import logging

import ask_sdk_core.utils as ask_utils
from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.skill_builder import SkillBuilder

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


class LaunchRequestHandler(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return ask_utils.is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input):
        speak = "Welcome, you can say Hello or Help. Which would you like to try?"
        return handler_input.response_builder.speak(speak).ask(speak).response


class HelloWorldIntentHandler(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return ask_utils.is_intent_name("HelloWorldIntent")(handler_input)

    def handle(self, handler_input):
        return handler_input.response_builder.speak("Hello World!").response


class HelpIntentHandler(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return ask_utils.is_intent_name("AMAZON.HelpIntent")(handler_input)

    def handle(self, handler_input):
        speak = "You can say hello to me! How can I help?"
        return handler_input.response_builder.speak(speak).ask(speak).response


class CancelOrStopIntentHandler(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return ask_utils.is_intent_name("AMAZON.CancelIntent")(handler_input) or ask_utils.is_intent_name(
            "AMAZON.StopIntent"
        )(handler_input)

    def handle(self, handler_input):
        return handler_input.response_builder.speak("Goodbye!").response


class FallbackIntentHandler(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return ask_utils.is_intent_name("AMAZON.FallbackIntent")(handler_input)

    def handle(self, handler_input):
        speak = "Hmm, I'm not sure. You can say Hello or Help. What would you like to do?"
        return handler_input.response_builder.speak(speak).ask(speak).response


class SessionEndedRequestHandler(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return ask_utils.is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input):
        return handler_input.response_builder.response


class CatchAllExceptionHandler(AbstractExceptionHandler):
    def can_handle(self, handler_input, exception):
        return True

    def handle(self, handler_input, exception):
        logger.error(exception, exc_info=True)
        speak = "Sorry, I had trouble doing what you asked. Please try again."
        return handler_input.response_builder.speak(speak).ask(speak).response


sb = SkillBuilder()
sb.add_request_handler(LaunchRequestHandler())
sb.add_request_handler(HelloWorldIntentHandler())
sb.add_request_handler(HelpIntentHandler())
sb.add_request_handler(CancelOrStopIntentHandler())
sb.add_request_handler(FallbackIntentHandler())
sb.add_request_handler(SessionEndedRequestHandler())
sb.add_exception_handler(CatchAllExceptionHandler())

lambda_handler = sb.lambda_handler()
'''

# The DynamoDB baseline: the same skill, a CustomSkillBuilder with the SDK's DynamoDbAdapter, and a launch
# that reads the persistent attributes: the high-low game sample's pattern, which lets the adapter use the
# boto3 resource it builds at import (one resource; the endpoint comes from AWS_ENDPOINT_URL_DYNAMODB). Only
# the builder and the launch handler differ, so they are substituted into the hello-world source.
HELLO_DYNAMODB = (
    HELLO_WORLD.replace(
        "from ask_sdk_core.skill_builder import SkillBuilder\n",
        "import os\n\nfrom ask_sdk_core.skill_builder import CustomSkillBuilder\n"
        "from ask_sdk_dynamodb.adapter import DynamoDbAdapter\n",
    )
    .replace(
        '        speak = "Welcome, you can say Hello or Help. Which would you like to try?"\n',
        "        attributes = handler_input.attributes_manager.persistent_attributes\n"
        "        games = attributes.get('games_played', 0)\n"
        '        speak = f"Welcome back. You have played {games} times. Say Hello or Help."\n',
    )
    .replace(
        "sb = SkillBuilder()\n",
        "adapter = DynamoDbAdapter(table_name=os.environ['BASELINE_TABLE'], create_table=False)\n"
        "sb = CustomSkillBuilder(persistence_adapter=adapter)\n",
    )
)

# Runs in each fresh interpreter: argv = code folder, events file. Prints one JSON line of figures.
CHILD = textwrap.dedent(
    """
    import json, sys, time
    def peak_rss_mb():  # VmHWM: this process's own peak (ru_maxrss can carry the forking parent's over exec)
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    code_dir, events_file = sys.argv[1], sys.argv[2]
    with open(events_file) as f:
        events = json.load(f)
    started = time.perf_counter()
    sys.path.insert(0, code_dir)
    import lambda_function
    first = lambda_function.lambda_handler(events["cold"], None)
    cold_ms = (time.perf_counter() - started) * 1000
    launches, turns = [], []
    for launch, follow in events["warm"]:
        t = time.perf_counter()
        answer = lambda_function.lambda_handler(launch, None)
        launches.append((time.perf_counter() - t) * 1000)
        follow["session"]["attributes"] = answer.get("sessionAttributes") or {}
        t = time.perf_counter()
        lambda_function.lambda_handler(follow, None)
        turns.append((time.perf_counter() - t) * 1000)
    in_a_row = []  # the same turns again, one after another (no launch in between to evict caches)
    for _ in range(3):
        for _, follow in events["warm"]:
            t = time.perf_counter()
            lambda_function.lambda_handler(follow, None)
            in_a_row.append((time.perf_counter() - t) * 1000)
    for figures in (launches, turns, in_a_row):
        figures.sort()
    print(json.dumps({
        "cold_ms": cold_ms,
        "launch_ms": launches[len(launches) // 2],
        "turn_ms": turns[len(turns) // 2],
        "row_ms": in_a_row[len(in_a_row) // 2],
        "rss_mb": peak_rss_mb(),
        "speech": (first.get("response", {}).get("outputSpeech") or {}).get("ssml", ""),
    }))
    """
)


def events(user_id: str) -> dict[str, Any]:
    identity = envelopes.DeviceIdentity(user_id=user_id)

    def launch() -> dict[str, Any]:
        return envelopes.envelope(envelopes.launch_request(), identity, envelopes.new_session())

    def help_in(session: envelopes.SessionState) -> dict[str, Any]:
        session.new = False
        return envelopes.envelope(envelopes.intent_request("AMAZON.HelpIntent"), identity, session)

    warm = []
    for _ in range(WARM_SESSIONS):
        first = launch()
        session = envelopes.SessionState(first["session"]["sessionId"])
        warm.append([first, help_in(session)])
    return {"cold": launch(), "warm": warm}


# ----- dynalite ------------------------------------------------------------------------------------------


def start_dynalite() -> tuple[subprocess.Popen[bytes], str]:
    binary = ROOT / "node_modules" / ".bin" / "dynalite"
    if not binary.exists():
        sys.exit("dynalite is missing: run `npm ci` (make test and make bench do)")
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
    sys.exit("dynalite did not start")


def create_table(endpoint: str, name: str) -> None:
    import botocore.session

    session = botocore.session.get_session()
    session.set_credentials("bench", "bench")
    client = session.create_client("dynamodb", region_name=REGION, endpoint_url=endpoint)
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


# ----- running -------------------------------------------------------------------------------------------


def run_once(code_dir: Path, env: dict[str, str], events_file: Path) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-c", CHILD, str(code_dir), str(events_file)],
        env=env,
        cwd=events_file.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode != 0:
        sys.exit(f"{code_dir} failed:\n{output.stderr[-3000:]}")
    figures = json.loads(output.stdout.strip().splitlines()[-1])
    if "<speak>" not in figures["speech"] or "trouble" in figures["speech"] or "sorry" in figures["speech"]:
        sys.exit(f"{code_dir}: the first launch did not answer properly: {figures['speech'][:200]}")
    return figures


def spread(values: list[float], digits: int = 1) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:7.{digits}f} ({low:6.{digits}f} to {high:6.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9, help="fresh interpreters per configuration (>= 7)")
    parser.add_argument("--before", type=Path, help="another checkout's root, measured as skill-before")
    args = parser.parse_args()
    if args.rounds < 7:
        parser.error("--rounds must be at least 7")

    process, endpoint = start_dynalite()
    try:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            for name, source in (("hello_world", HELLO_WORLD), ("hello_dynamodb", HELLO_DYNAMODB)):
                (work / name).mkdir()
                (work / name / "lambda_function.py").write_text(source, encoding="utf-8")
            events_file = work / "events.json"
            events_file.write_text(json.dumps(events(f"amzn1.ask.account.BENCH{uuid.uuid4().hex}")))

            base_env = {
                key: value
                for key, value in os.environ.items()
                if not key.startswith(("AWS_", "PROGRESS_", "DYNAMODB_", "TRUST_BUILDER_", "PYTHON"))
            }
            aws = {
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_EC2_METADATA_DISABLED": "true",
                "DYNAMODB_ENDPOINT_URL": endpoint,  # the skill's setting (storage/factory.py)
                "AWS_ENDPOINT_URL_DYNAMODB": endpoint,  # botocore's own, for the baseline's default resource
            }
            configs: dict[str, tuple[Path, dict[str, str]]] = {
                "hello-world": (work / "hello_world", base_env),
                "hello-dynamodb": (
                    work / "hello_dynamodb",
                    {**base_env, **aws, "BASELINE_TABLE": "baseline"},
                ),
            }
            roots = {"skill": ROOT}
            if args.before:  # a copy: importing from another checkout would write __pycache__ into it
                shutil.copytree(
                    args.before.resolve() / "lambda",
                    work / "before" / "lambda",
                    ignore=shutil.ignore_patterns("__pycache__"),
                )
                roots["skill-before"] = work / "before"
            for label, root in roots.items():
                table = f"progress-{label}"
                create_table(endpoint, table)
                (work / label).mkdir()
                sqlite_env = {**base_env, "TRUST_BUILDER_DATA_DIR": str(work / label)}
                configs[f"{label}-sqlite"] = (root / "lambda", sqlite_env)
                configs[f"{label}-dynamodb"] = (root / "lambda", {**base_env, **aws, "PROGRESS_TABLE": table})
            create_table(endpoint, "baseline")

            results: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
            names = list(configs)
            for name in names:  # one discarded run each: stored items exist, files are in the page cache
                run_once(*configs[name], events_file)
            for _ in range(args.rounds):
                random.shuffle(names)
                for name in names:
                    results[name].append(run_once(*configs[name], events_file))
    finally:
        process.terminate()
        process.wait(timeout=5)

    print(f"fresh interpreters: {args.rounds} per configuration, interleaved; median (min to max)")
    columns = ("cold: import + launch ms", "warm launch ms", "turn after launch ms", "turns in a row ms")
    print(f"{'configuration':<22}" + "".join(f"{column:>30}" for column in columns))
    medians: dict[str, dict[str, float]] = {}
    for name, runs in results.items():
        keys = ("cold_ms", "launch_ms", "turn_ms", "row_ms", "rss_mb")
        figures = {key: [run[key] for run in runs] for key in keys}
        medians[name] = {key: statistics.median(values) for key, values in figures.items()}
        cells = [spread(figures["cold_ms"])] + [spread(figures[key], 2) for key in keys[1:4]]
        print(
            f"{name:<22}"
            + "".join(f"{cell:>30}" for cell in cells)
            + f"   peak RSS {spread(figures['rss_mb'])} MB"
        )

    def relative(a: str, b: str, key: str) -> float:
        return medians[a][key] / medians[b][key]

    ratios = {
        "cold DynamoDB: skill / hello-dynamodb": relative("skill-dynamodb", "hello-dynamodb", "cold_ms"),
        "cold SQLite: skill / hello-world": relative("skill-sqlite", "hello-world", "cold_ms"),
        "warm turn: skill (SQLite) / hello-world": relative("skill-sqlite", "hello-world", "turn_ms"),
        "warm turns in a row: skill (SQLite) / hello-world": relative(
            "skill-sqlite", "hello-world", "row_ms"
        ),
    }
    print("ratios (target: at most)")
    fastest = {  # the least disturbed runs: on a busy machine, medians move with the neighbours' load
        "cold DynamoDB: skill / hello-dynamodb": ("skill-dynamodb", "hello-dynamodb", "cold_ms"),
        "cold SQLite: skill / hello-world": ("skill-sqlite", "hello-world", "cold_ms"),
        "warm turn: skill (SQLite) / hello-world": ("skill-sqlite", "hello-world", "turn_ms"),
        "warm turns in a row: skill (SQLite) / hello-world": ("skill-sqlite", "hello-world", "row_ms"),
    }
    for label, ratio in ratios.items():
        verdict = "met" if ratio <= TARGETS[label] else "NOT met"
        a, b, key = fastest[label]
        best = min(run[key] for run in results[a]) / min(run[key] for run in results[b])
        print(
            f"  {label:<42} {ratio:5.2f}x  (target {TARGETS[label]:.1f}x: {verdict}; "
            f"fastest runs {best:.2f}x)"
        )
    # Launches read the store: hello-world has none, so its launch is compared only as the ratio it is.
    for label, (a, b, key) in {
        "warm launch: skill (SQLite) / hello-world": ("skill-sqlite", "hello-world", "launch_ms"),
        "warm launch: skill (DynamoDB) / hello-dynamodb": ("skill-dynamodb", "hello-dynamodb", "launch_ms"),
        "warm turn: skill (DynamoDB) / hello-dynamodb": ("skill-dynamodb", "hello-dynamodb", "turn_ms"),
        "peak RSS: skill (DynamoDB) / hello-dynamodb": ("skill-dynamodb", "hello-dynamodb", "rss_mb"),
    }.items():
        print(f"  {label:<42} {relative(a, b, key):5.2f}x  (no target)")
    if args.before:
        for store in ("sqlite", "dynamodb"):
            for key, unit in (("cold_ms", "ms"), ("rss_mb", "MB")):
                before, after = medians[f"skill-before-{store}"][key], medians[f"skill-{store}"][key]
                print(
                    f"  {key[:-3]} {store}: skill / skill-before {after / before:5.2f}x "
                    f"({before:.1f} -> {after:.1f} {unit})"
                )


if __name__ == "__main__":
    main()
