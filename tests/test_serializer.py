"""CachedSerializer (trust_builder/serializer.py) against the ASK SDK's DefaultSerializer as the oracle: the
same model objects (same classes, same values, the same tzinfo class in timestamps) for every kind of
envelope the skill receives, for Alexa API answers, and for hundreds of seeded mutations of them; and an
error wherever the SDK's raises one. The warm-turn speed it buys is measured by benchmarks/bench_coldstart.py.
"""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from trust_builder.serializer import CachedSerializer
from trust_console import envelopes

NOW = datetime(2026, 12, 2, 20, 50, 27, tzinfo=UTC)
SCREEN = envelopes.DeviceIdentity(
    user_id="amzn1.ask.account.SERIALIZER",
    permissions={"alexa::alerts:timers:skill:readwrite": "GRANTED"},
    supported_interfaces=envelopes.SCREEN_INTERFACES,
    viewport=envelopes.SCREEN_VIEWPORT,
)
SPEAKER = envelopes.DeviceIdentity(user_id="amzn1.ask.account.SERIALIZER")
ATTRIBUTES = {
    "mode": "menu",
    "offer": {"kind": "step", "step": 1},
    "turns": 3,
    "progress": {"names": ["Zoë"]},
}


def _requests() -> dict[str, dict[str, Any]]:
    skill_id = SPEAKER.skill_id
    resolved = envelopes.resolutions(skill_id, "STEP", [("3", "three")])
    return {
        "launch": envelopes.launch_request(now=NOW),
        "launch with a task": envelopes.launch_request(
            task=envelopes.task(f"{skill_id}.ContinueExercise", task_input={"phase": "listener"}), now=NOW
        ),
        "intent with slots": envelopes.intent_request(
            "GoToStepIntent",
            {
                "number": envelopes.slot("number", "3", resolved=resolved),
                "empty": envelopes.slot("empty"),
            },
            dialog_state="IN_PROGRESS",
            now=NOW,
        ),
        "built-in intent": envelopes.intent_request("AMAZON.HelpIntent", now=NOW),
        "session ended with an error": envelopes.session_ended_request(
            "ERROR", error=("INVALID_RESPONSE", "bad"), now=NOW
        ),
        "consent answer": envelopes.connections_response(
            "ACCEPTED", "alexa::alerts:timers:skill:readwrite", now=NOW
        ),
        "touch": envelopes.user_event(["next", 2, {"a": None}], token="main", now=NOW),
        "skill disabled": {
            "type": "AlexaSkillEvent.SkillDisabled",
            "requestId": "amzn1.echo-api.request.1",
            "timestamp": "2026-12-02T20:50:27Z",
            "eventCreationTime": "2026-12-02T20:50:20Z",
            "eventPublishingTime": "2026-12-02T20:50:21Z",
            "body": {"userInformationPersistenceStatus": "NOT_PERSISTED"},
        },
        "unknown request type": {"type": "Messaging.MessageReceived", "requestId": "r", "timestamp": "x"},
        "fractional timestamp": {**envelopes.launch_request(), "timestamp": "2026-12-02T20:50:27.123Z"},
        "offset timestamp": {**envelopes.launch_request(), "timestamp": "2026-12-02T21:50:27+01:00"},
        "date only": {**envelopes.launch_request(), "timestamp": "2026-12-02"},
        "extra keys": {**envelopes.intent_request("AMAZON.YesIntent", now=NOW), "futureField": {"x": [1]}},
    }


def _envelopes() -> dict[str, dict[str, Any]]:
    result = {}
    for name, request in _requests().items():
        result[f"{name}, screen"] = envelopes.envelope(request, SCREEN, envelopes.new_session(ATTRIBUTES))
        result[f"{name}, speaker, no session"] = envelopes.envelope(request, SPEAKER, None)
    return result


ENVELOPES = _envelopes()


def _both(payload: Any, obj_type: Any = RequestEnvelope) -> tuple[Any, Any]:
    """(the SDK's result or exception class, ours or exception class)."""
    text = json.dumps(payload)
    results = []
    for serializer in (DefaultSerializer(), CachedSerializer()):
        try:
            results.append(serializer.deserialize(text, obj_type))
        except Exception as error:
            results.append(type(error))
    return results[0], results[1]


def _same(a: Any, b: Any) -> None:
    """Equal, and of the same classes all the way down (model __eq__ compares __dict__)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, datetime):
        assert a == b
        assert type(a.tzinfo) is type(b.tzinfo)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif hasattr(a, "__dict__") and not isinstance(a, Enum):
        _same(vars(a), vars(b))
    else:
        assert a == b


@pytest.mark.parametrize("name", sorted(ENVELOPES))
def test_envelopes_read_as_the_sdk_reads_them(name: str) -> None:
    sdk, ours = _both(ENVELOPES[name])
    _same(sdk, ours)
    if name.startswith("unknown request type"):  # no model class for it: both refuse the envelope
        assert sdk is SerializationException
    else:
        assert DefaultSerializer().serialize(sdk) == DefaultSerializer().serialize(ours)


def test_a_second_read_with_the_caches_filled_is_the_same() -> None:
    serializer = CachedSerializer()
    text = json.dumps(ENVELOPES["intent with slots, screen"])
    first, second = (
        serializer.deserialize(text, RequestEnvelope),
        serializer.deserialize(text, RequestEnvelope),
    )
    _same(first, second)
    _same(first, DefaultSerializer().deserialize(text, RequestEnvelope))


@pytest.mark.parametrize(
    ("payload", "obj_type"),
    [
        (
            {"status": "ON", "id": "t1", "createdTime": "2026-12-02T20:50:27Z"},
            "ask_sdk_model.services.timer_management.TimerResponse",
        ),
        ([{"id": "a"}, {"id": "b"}], "list[ask_sdk_model.services.timer_management.TimerResponse]"),
        ({"a": {"b": 1}}, "dict(str, object)"),
        ([1, "2"], "list[int, str]"),
        ("3", "int"),
        ("x", "int"),
        (None, "str"),
        ("2026-12-02", "date"),
        ("NONE", "ask_sdk_model.intent_confirmation_status.IntentConfirmationStatus"),
        ("MAYBE", "ask_sdk_model.intent_confirmation_status.IntentConfirmationStatus"),
        ({}, "no.such.module.Class"),
    ],
)
def test_api_answers_and_other_types_read_as_the_sdk_reads_them(payload: Any, obj_type: str) -> None:
    sdk, ours = _both(payload, obj_type)
    _same(sdk, ours)


def test_malformed_json_is_a_serialization_error_in_both() -> None:
    for serializer in (DefaultSerializer(), CachedSerializer()):
        with pytest.raises(Exception, match="Couldn't parse"):
            serializer.deserialize("{not json", RequestEnvelope)


ODD_VALUES: list[Any] = [
    None,
    "",
    "text",
    0,
    -1,
    2.5,
    True,
    [],
    [1, "a"],
    {},
    {"type": "x"},
    "2026-02-30T00:00:00Z",
]


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            paths += _leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            paths += _leaves(child, (*path, index))
    return paths


def test_seeded_mutations_read_the_same_or_fail_in_both() -> None:
    """Any value anywhere in an envelope replaced by one of another type: whatever the SDK does with it
    (keeps it, coerces it, refuses the envelope), ours does the same."""
    rng = random.Random(13)
    names = sorted(ENVELOPES)
    for _ in range(600):
        event = copy.deepcopy(ENVELOPES[rng.choice(names)])
        path = rng.choice(_leaves(event)[1:])
        target = event
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
        sdk, ours = _both(event)
        if isinstance(sdk, type):
            assert ours is sdk, path
        else:
            _same(sdk, ours)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/Los_Angeles", "Etc/GMT+3"])
def test_timestamps_keep_the_sdks_zone_whatever_the_local_zone(zone: str) -> None:
    """dateutil gives "Z" times tzlocal() where the local zone is named UTC, tzutc() elsewhere."""
    script = (
        "import json, sys\n"
        "from ask_sdk_core.serialize import DefaultSerializer\n"
        "from trust_builder.serializer import CachedSerializer\n"
        "for stamp in sys.argv[1:]:\n"
        "    a = DefaultSerializer().deserialize(json.dumps(stamp), 'datetime')\n"
        "    b = CachedSerializer().deserialize(json.dumps(stamp), 'datetime')\n"
        "    assert a == b and type(a.tzinfo) is type(b.tzinfo), (stamp, a, b)\n"
        "    assert a.tzname() == b.tzname() and a.utcoffset() == b.utcoffset(), (stamp, a, b)\n"
        "print('same')\n"
    )
    stamps = ["2026-12-02T20:50:27Z", "2026-07-01T12:00:00Z", "2026-03-29T01:30:00Z", "2026-10-25T01:30:00Z"]
    env = {**os.environ, "TZ": zone, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", script, *stamps],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "same"


def test_the_skills_responses_serialise_as_the_sdk_serialises_them(tmp_path) -> None:
    """Responses of every kind the envelopes above lead to (speech, cards, APL screens, directives, ended
    sessions), and the request envelopes themselves, through both serializers."""
    from trust_builder.skill import build_skill_builder
    from trust_builder.storage import SqliteAdapter

    skill = build_skill_builder(SqliteAdapter(tmp_path / "progress.sqlite3")).create()
    ours, sdk = CachedSerializer(), DefaultSerializer()
    served = 0
    for name, event in sorted(ENVELOPES.items()):
        try:
            envelope = sdk.deserialize(json.dumps(event), RequestEnvelope)
        except SerializationException:
            continue
        assert ours.serialize(envelope) == sdk.serialize(envelope), name
        response = skill.invoke(request_envelope=envelope, context=None)
        assert ours.serialize(response) == sdk.serialize(response), name
        served += 1
    assert served >= 20
