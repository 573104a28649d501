"""The Lambda entry point under random mutation: no exception escapes, and every answer is well formed.

Seed envelopes are real: recorded from a scripted session of the local device (launch, intents with slots
and entity resolution, session attributes, yes/no, the exercise, session end) plus a skill-disabled event.
Each fuzzed envelope applies one to three mutations (a key deleted, a value replaced by another type, a
huge or deeply nested value, NaN, a renamed key) at a random path. Seeded and bounded: the same 3,000
envelopes on every run.
"""

from __future__ import annotations

import copy
import json
import logging
import random
from typing import Any

import pytest
from skill_harness import device, household_id, lambda_entry, response_problems

SEED = 20261202
CASES = 3_000

SCRIPT = [
    "open trust builder",
    "step five",
    "tell me more",
    "yes",
    "the step about forgiving",
    "repeat",
    "start the listening exercise",
    "we are Sam and Alex",
    "Sam goes first",
    "give us three minutes each",
    "help",
    "stop",
]


@pytest.fixture(scope="module")
def handler(tmp_path_factory):
    return lambda_entry(tmp_path_factory.mktemp("data"))


def record_seed_envelopes(handler) -> list[dict[str, Any]]:
    """Real envelopes: those a scripted device session sends to `handler`, plus a skill-disabled event."""
    recorded: list[dict[str, Any]] = []

    def recording(event, context):
        recorded.append(copy.deepcopy(event))
        return handler(event, context)

    echo = device(recording, household_id("fuzz"))
    for said in SCRIPT:
        echo.say(said)
    launch = recorded[0]
    recorded.append(
        {
            "version": "1.0",
            "context": launch["context"],
            "request": {
                "type": "AlexaSkillEvent.SkillDisabled",
                "requestId": "r",
                "timestamp": launch["request"]["timestamp"],
                "eventCreationTime": launch["request"]["timestamp"],
                "body": {"userInformationPersistenceStatus": "NOT_PERSISTED"},
            },
        }
    )
    assert len(recorded) >= 12
    return recorded


@pytest.fixture(scope="module")
def seeds(handler) -> list[dict[str, Any]]:
    return record_seed_envelopes(handler)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    paths = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            paths += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            paths += _paths(child, (*prefix, index))
    return paths


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


def _replacement(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            True,
            0,
            -1,
            2**70,
            1.5,
            float("nan"),
            float("inf"),
            "",
            "LaunchRequest",
            "IntentRequest",
            "x" * rng.choice([10, 10_000]),
            "<speak>",
            "2026-13-45T99:99:99Z",
            [],
            [None, 1, "a"],
            {},
            {"type": "IntentRequest"},
            _nested(rng.choice([5, 60, 900])),
        ]
    )


def mutate(envelope: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    event = copy.deepcopy(envelope)
    for _ in range(rng.randint(1, 3)):
        paths = [p for p in _paths(event) if p]
        if not paths:
            break
        path = rng.choice(paths)
        parent = event
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = rng.random()
        if action < 0.3 and isinstance(parent, dict):
            del parent[last]
        elif action < 0.4 and isinstance(parent, dict):
            parent[f"{last}x"] = parent.pop(last)
        else:
            parent[last] = _replacement(rng)
    return event


def test_random_mutations_of_real_envelopes_never_escape_and_always_answer_well(handler, seeds) -> None:
    rng = random.Random(SEED)
    failures: list[str] = []
    for case in range(CASES):
        event = mutate(rng.choice(seeds), rng)
        try:
            response = handler(event, None)
        except Exception as error:  # what this test exists to catch
            failures.append(f"case {case}: {type(error).__name__} escaped")
            continue
        try:
            text = json.dumps(response, allow_nan=False)
        except (TypeError, ValueError) as error:
            failures.append(f"case {case}: response is not JSON ({type(error).__name__})")
            continue
        if len(text.encode()) > 24_000:
            failures.append(f"case {case}: response of {len(text.encode())} bytes")
        if not isinstance(response, dict) or response.get("version") != "1.0":
            failures.append(f"case {case}: not a response envelope")
            continue
        problems = response_problems(response)
        if problems:
            failures.append(f"case {case}: {problems}")
    assert failures == [], f"{len(failures)} of {CASES}: " + "; ".join(failures[:10])


@pytest.mark.parametrize(
    "event",
    [
        {"version": "1.0", "request": {"type": "LaunchRequest", "requestId": "r", "locale": "en-US"}},
        {"version": "1.0", "request": {"type": "LaunchRequest"}, "context": {"System": None}},
        {"version": "1.0", "request": {"type": "LaunchRequest"}, "context": {"System": "x"}},
        {"version": "1.0", "request": {"type": "LaunchRequest"}, "context": "x"},
        {"version": "1.0", "request": {"type": "IntentRequest"}, "context": {}, "session": []},
    ],
    ids=["no context", "System null", "System text", "context text", "session a list"],
)
def test_envelopes_without_a_usable_context_get_the_clean_malformed_answer(handler, event) -> None:
    response = handler(event, None)
    assert response_problems(response) == []
    assert "didn't make sense" in response["response"]["outputSpeech"]["ssml"]


# ----- what the catch-all handlers log: type and place as a JSON line, never values ---------------------

SECRET = "Secretname Quotedslot"


def test_the_skills_exception_handler_logs_type_and_place_without_values_fault_injected(
    handler, monkeypatch, caplog
) -> None:
    from trust_builder.handlers import steps

    def broken(self, handler_input):
        raise ValueError(f"could not use {SECRET}")

    monkeypatch.setattr(steps.GoToStepHandler, "handle", broken)
    echo = device(handler, household_id("log"))
    echo.say("open trust builder")
    with caplog.at_level(logging.INFO):
        turn = echo.say("step five")
    assert "went wrong" in turn.speech_text
    assert turn.session_open
    records = [r for r in caplog.records if "unhandled exception" in r.getMessage()]
    assert len(records) == 1
    line = json.loads(records[0].getMessage())
    assert line["error"] == "ValueError"
    assert line["event"] == "unhandled exception in skill"
    assert line["where"].endswith("in broken")
    assert "where_in_skill" in line  # None here: the injected handler is not skill code
    assert {"time", "level", "chain"} <= set(line)
    assert records[0].exc_info is None  # no traceback text
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert "Secretname" not in everything
    assert "amzn1.ask.account" not in everything


def test_the_entry_point_logs_what_the_sdk_could_not_serve_as_a_json_line(handler, seeds, caplog) -> None:
    event = copy.deepcopy(seeds[1])
    event["request"]["intent"] = {"name": SECRET, "slots": [SECRET]}  # the SDK cannot deserialise this
    with caplog.at_level(logging.INFO):
        response = handler(event, None)
    assert "didn't make sense" in response["response"]["outputSpeech"]["ssml"]
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    assert [line["event"] for line in lines] == ["rejected a request the SDK could not serve"]
    assert "Secretname" not in "\n".join(r.getMessage() for r in caplog.records)
