"""Session attributes are parsed into validated types at the start of each request (session_guard).

Real sessions through the ASK SDK dispatch on a SQLite store; between turns the test tampers with what the
client sends back, as a buggy client or a request with verification off could. Nothing may crash, "repeat"
may replay only the skill's own kind of SSML, unknown attributes are not echoed, and nothing tampered
widens what is stored.
"""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import envelope_for
from skill_harness import device, household_id

from trust_builder.exercise import Exercise, Phase
from trust_builder.progress import MAX_COUNT, Progress
from trust_builder.session_guard import MAX_SESSION_BYTES, SCHEMA, clean_session, is_own_ssml
from trust_builder.skill import build_skill_builder
from trust_builder.storage import ProgressStore, SqliteAdapter

TODAY = datetime.now(UTC).date()


class Recorder:
    """The skill's Lambda handler, keeping every raw response (to check JSON and sizes)."""

    def __init__(self, adapter) -> None:
        self.inner = build_skill_builder(adapter).lambda_handler()
        self.responses: list[dict[str, Any]] = []

    def __call__(self, event, context):
        response = self.inner(event, context)
        self.responses.append(response)
        return response


@pytest.fixture
def adapter(tmp_path: Path) -> SqliteAdapter:
    return SqliteAdapter(tmp_path / "progress.sqlite3")


def _stored(adapter: SqliteAdapter, user: str) -> dict[str, Any]:
    return adapter.get_attributes(envelope_for(user))


def _returning(adapter: SqliteAdapter, user: str) -> dict[str, Any]:
    progress = Progress.new(date(2026, 1, 5))
    progress.set_names(["Sam", "Alex"])
    for step in (1, 2, 3):
        progress.hear_step(step)
    progress.complete_exercise(date(2026, 1, 5))
    assert ProgressStore(adapter).save(envelope_for(user), None, progress).ok
    return _stored(adapter, user)


STATES = {
    "menu": ["open trust builder"],
    "steps": ["open trust builder", "step two"],
    "exercise": ["open trust builder", "start the listening exercise", "Sam and Alex"],
    "confirm": ["open trust builder", "start over"],
}
BAD_VALUES = {
    "a list": [1, 2, 3],
    "a map": {"x": {"y": [None]}},
    "text": "<speak><audio src='https://evil.example/a.mp3'/></speak>",
    "a number": 12345678901234567890,
    "NaN": float("nan"),
    "true": True,
    "big text": "x" * 30_000,
}
NEXT_TURNS = ["help", "repeat", "next", "yes", "step three", "how are we doing"]


@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("key", sorted(SCHEMA))
def test_type_confused_session_values_never_crash(adapter, state, key) -> None:
    skill = Recorder(adapter)
    echo = device(skill, household_id("types"))
    for said in STATES[state]:
        echo.say(said)
    assert echo.session_open
    reached = copy.deepcopy(echo.session)  # each case starts from this same point of the session
    for label, bad in BAD_VALUES.items():
        for utterance in NEXT_TURNS:
            echo.session = copy.deepcopy(reached)
            echo.session.attributes[key] = bad
            turn = echo.say(utterance)
            assert turn.problems == [], (label, utterance)
            assert "went wrong" not in turn.speech_text, (key, label, utterance)
            json.dumps(skill.responses[-1], allow_nan=False)  # valid JSON: no NaN came back


EVIL_LAST = {
    "audio outside the sound library": '<speak>Hi <audio src="https://evil.example/x.mp3"/></speak>',
    "broken SSML": "<speak>Hi <break time=",
    "other tags": '<speak><voice name="Joey">Hi</voice></speak>',
    "a long break": '<speak>Hi <break time="60s"/> there?</speak>',
    "not speak": "<p>Hi</p>",
    "too long": "<speak>" + "word " * 2000 + "</speak>",
    "a number": 5,
}


@pytest.mark.parametrize("label", sorted(EVIL_LAST))
def test_repeat_replays_only_the_skills_own_ssml(adapter, label) -> None:
    skill = Recorder(adapter)
    echo = device(skill, household_id("repeat"))
    echo.say("open trust builder")
    echo.session.attributes["last"] = {"speech": EVIL_LAST[label], "reprompt": EVIL_LAST[label]}
    turn = echo.say("repeat")
    assert turn.problems == []
    ssml = skill.responses[-1]["response"]["outputSpeech"]["ssml"]
    assert "evil" not in ssml
    assert "voice" not in ssml
    assert "60s" not in ssml


def test_repeat_still_replays_what_the_skill_said(adapter) -> None:
    echo = device(Recorder(adapter), household_id("repeat-ok"))
    echo.say("open trust builder")
    step = echo.say("step five")
    again = echo.say("repeat")
    assert again.speech_text == step.speech_text


def test_unknown_attributes_are_not_echoed_back(adapter) -> None:
    skill = Recorder(adapter)
    echo = device(skill, household_id("echo"))
    echo.say("open trust builder")
    echo.session.attributes.update({f"junk{i}": "x" * 1000 for i in range(100)})  # 100 KB
    echo.say("step two")
    attributes = skill.responses[-1]["sessionAttributes"]
    assert not any(key.startswith("junk") for key in attributes)
    assert len(json.dumps(skill.responses[-1]).encode()) < 24_000


def test_a_tampered_progress_blob_does_not_widen_what_is_stored(adapter) -> None:
    user = household_id("blob")
    before = _returning(adapter, user)
    echo = device(Recorder(adapter), user)
    echo.say("open trust builder")
    progress = dict(echo.session.attributes["progress"])
    progress.update(
        {
            "said": "something private",
            "exercises_completed": 10**6,
            "last_visit": "9999-12-31",
            "last_exercise_date": "9999-01-01",
            "unfinished_exercise": {"v": 1, "pad": "x" * 90_000},
            "names": ["<audio src='x'/>", "Alex"],
            "version": 999,
        }
    )
    echo.session.attributes["progress"] = progress
    echo.say("step four")
    echo.say("stop")
    after = _stored(adapter, user)
    assert "said" not in after
    assert after["exercises_completed"] <= before["exercises_completed"] + 3
    assert after["last_visit"] <= (TODAY + timedelta(days=1)).isoformat()
    assert after["last_exercise_date"] < "9999"
    assert after["unfinished_exercise"] is None
    assert after["names"] == ["Sam", "Alex"]
    assert len(json.dumps(after)) < 2048


def test_a_tampered_session_cannot_silently_wipe_the_household(adapter) -> None:
    user = household_id("wipe")
    before = _returning(adapter, user)
    echo = device(Recorder(adapter), user)
    echo.say("open trust builder")
    echo.session.attributes["progress"] = {"schema_version": 2, "last_visit": TODAY.isoformat()}
    echo.say("step four")
    echo.say("stop")
    after = _stored(adapter, user)
    assert set(before["steps_heard"]) <= set(after["steps_heard"])
    assert after["exercises_completed"] == before["exercises_completed"]
    assert after["names"] == ["Sam", "Alex"]


def test_a_forged_pending_write_cannot_become_the_merge_base(adapter) -> None:
    user = household_id("forged-pending")
    before = _returning(adapter, user)
    echo = device(Recorder(adapter), user)
    echo.say("open trust builder")
    known_token = before["write_ids"][-1]  # visible in the session's stored copy
    forged = {**before, "restarts": before["restarts"] - 1 if before["restarts"] else 0, "steps_heard": []}
    forged["exercises_completed"] = 0
    echo.session.attributes["pending_writes"] = [{"token": known_token, "attempted": forged}]
    echo.session.attributes["stored"] = {**echo.session.attributes["stored"], "version": 0}  # forces a merge
    echo.say("step four")
    echo.say("stop")
    after = _stored(adapter, user)
    assert set(before["steps_heard"]) | {4} == set(after["steps_heard"])
    assert after["exercises_completed"] == before["exercises_completed"]


def test_absurd_counts_in_both_session_copies_stay_within_the_schema(adapter) -> None:
    user = household_id("absurd")
    _returning(adapter, user)
    echo = device(Recorder(adapter), user)
    echo.say("open trust builder")
    for key in ("progress", "stored"):
        echo.session.attributes[key] = {**echo.session.attributes[key], "exercises_completed": 10**6}
    echo.say("step four")
    assert _stored(adapter, user)["exercises_completed"] <= MAX_COUNT


def test_the_skills_own_sessions_lose_nothing_to_validation(adapter, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="trust_builder.session_guard"):
        echo = device(Recorder(adapter), household_id("own"))
        for said in [
            "open trust builder",
            "step one",
            "tell me more",
            "next",
            "repeat",
            "start the listening exercise",
            "we are Sam and Alex",
            "Sam goes first",
            "one minute each",
            "skip the rules",
            "next",
            "pause",
            "resume",
            "next",
            "yes",
            "next",
            "yes",
            "next",
            "how are we doing",
            "start over",
            "no",
            "repeat",
        ]:
            assert echo.say(said).problems == []
    assert [r.getMessage() for r in caplog.records] == []


# ----- clean_session as a function ------------------------------------------------------------------------

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def test_clean_session_drops_unknown_keys_and_non_maps() -> None:
    assert clean_session({"mode": "menu", "junk": 1, 7: "x"}, NOW.date(), NOW) == {"mode": "menu"}
    assert clean_session(["mode"], NOW.date(), NOW) == {}
    assert clean_session(None, NOW.date(), NOW) == {}


def test_clean_session_keeps_a_valid_exercise_and_drops_a_broken_one() -> None:
    good = Exercise(phase=Phase.RULES, names=("Sam", "Alex"), first_speaker=0).to_dict()
    assert clean_session({"exercise": good}, NOW.date(), NOW) == {"exercise": good}
    assert clean_session({"exercise": {**good, "floor": 7}}, NOW.date(), NOW) == {}


@pytest.mark.parametrize(
    "until",
    ["2026-03-14T12:02:00", "2026-03-20T12:00:00+00:00", "not a time", 5, "2026-03-14T12:01:00+00:00" * 3],
)
def test_clean_session_drops_unusable_timed_until(until) -> None:
    assert clean_session({"timed_until": until}, NOW.date(), NOW) == {}


def test_clean_session_keeps_a_near_timed_until() -> None:
    until = "2026-03-14T12:03:00+00:00"
    assert clean_session({"timed_until": until}, NOW.date(), NOW) == {"timed_until": until}


def test_clean_session_bounds_the_whole_size() -> None:
    ssml = "<speak>" + "word " * 1500 + "</speak>"
    raw = {"last": {"speech": ssml, "reprompt": ssml}, "mode": "menu"}
    cleaned = clean_session(raw, NOW.date(), NOW)
    assert len(json.dumps(cleaned)) <= MAX_SESSION_BYTES


def test_is_own_ssml() -> None:
    assert is_own_ssml(
        '<speak>Hi. <break time="10s"/><audio src="soundbank://soundlibrary/musical/amzn_sfx_bell_timer_01"/>'
        "</speak>"
    )
    assert not is_own_ssml('<speak><break time="10.5s"/></speak>')
    assert not is_own_ssml('<speak><audio src="soundbank://soundlibrary/other"/></speak>')
    assert not is_own_ssml("<speak><speak>x</speak></speak>")
