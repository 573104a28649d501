"""Older and unknown shapes of stored progress never break a launch: they migrate, or are dropped with a log.

Each shape is written straight into real storage (a SQLite row, a DynamoDB item on dynalite), as an older
version of the skill, another writer or a corrupted item would leave it; then the household opens the skill
through the Lambda entry point's dispatch. The launch must answer with well-formed speech, and the first
save afterwards writes the cleaned shape back.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from skill_harness import device, household_id

from trust_builder.exercise import Exercise, Phase
from trust_builder.progress import Progress
from trust_builder.skill import build_skill_builder
from trust_builder.storage import SqliteAdapter

FIXTURES = Path(__file__).parent / "fixtures"
GOOD_EXERCISE = Exercise(phase=Phase.FLOOR, names=("Sam", "Alex"), first_speaker=0).to_dict()
BASE = {"schema_version": 2, "current_step": 3, "steps_heard": [1, 2, 3], "last_visit": "2026-01-02"}

SHAPES: dict[str, dict[str, Any]] = {
    "schema 1 fixture": json.loads((FIXTURES / "progress_v1.json").read_text())["attributes"],
    "schema 1, names with markup": {"step": 2, "heard": [1, 2], "names": "<b>Sam</b> and Al&ex"},
    "no schema version, current keys": {k: v for k, v in BASE.items() if k != "schema_version"},
    "a future schema with foreign keys": {**BASE, "schema_version": 99, "mood": "x" * 500, "said": "private"},
    "empty attributes": {},
    # the unfinished exercise: older state versions, foreign or missing fields, wrong types, huge
    "exercise of state version 0": {**BASE, "unfinished_exercise": {**GOOD_EXERCISE, "v": 0}},
    "exercise without a version": {**BASE, "unfinished_exercise": {"phase": "swap", "speaker": 1}},
    "exercise missing a field": {
        **BASE,
        "unfinished_exercise": {k: v for k, v in GOOD_EXERCISE.items() if k != "round"},
    },
    "exercise with an unknown phase": {**BASE, "unfinished_exercise": {**GOOD_EXERCISE, "phase": "dance"}},
    "exercise with a wrong type": {**BASE, "unfinished_exercise": {**GOOD_EXERCISE, "floor": "two"}},
    "exercise with markup names": {
        **BASE,
        "unfinished_exercise": {**GOOD_EXERCISE, "names": ["<audio src='x'/>", "Alex"]},
    },
    "exercise of 90 KB": {**BASE, "unfinished_exercise": {**GOOD_EXERCISE, "pad": "x" * 90_000}},
    "exercise as a list": {**BASE, "unfinished_exercise": ["floor", 1]},
    "exercise as text": {**BASE, "unfinished_exercise": "floor"},
    "exercise nested deep": {**BASE, "unfinished_exercise": {"a": {"b": {"c": {"d": [[[[1]]]]}}}}},
    # names
    "names with control characters": {**BASE, "names": ["Sa\x00m\x1b[2J", "Alex\u202e"]},
    "names with SSML markup": {**BASE, "names": ["<speak>", "Alex</speak><audio src='https://x'/>"]},
    "a name of 5,000 characters": {**BASE, "names": ["S" * 5000, "Alex"]},
    "names as a map": {**BASE, "names": {"first": "Sam"}},
    "names as a number": {**BASE, "names": 7},
    "ten names": {**BASE, "names": [f"Name{i}" for i in range(10)]},
    # dates and counters
    "dates that are not dates": {**BASE, "first_visit": "2024-13-45", "last_visit": 20240101},
    "dates far in the future": {**BASE, "last_visit": "9999-12-31", "last_exercise_date": "9999-12-31"},
    "counters of the wrong type": {**BASE, "exercises_completed": "two", "restarts": [1]},
    "counters out of range": {**BASE, "exercises_completed": -1, "restarts": 2**63, "current_step": 99},
    "steps as text": {**BASE, "steps_heard": "123", "details_heard": {"1": True}},
    "a floor time of 999 minutes": {**BASE, "floor_minutes": 999},
    "a timer id of 10 KB": {**BASE, "timer_id": "t" * 10_000},
    "write tokens of the wrong shape": {**BASE, "write_ids": ["<x>", 5, "ab" * 40], "write_id": {"a": 1}},
}


@pytest.fixture(params=["sqlite", "dynamodb"])
def storage(request: pytest.FixtureRequest, tmp_path: Path):
    """(adapter, put_raw): the real adapter, and a way to write raw attributes as another writer would."""
    if request.param == "sqlite":
        path = tmp_path / "progress.sqlite3"
        adapter = SqliteAdapter(path)

        def put_sqlite(user_id: str, attributes: dict[str, Any]) -> None:
            with sqlite3.connect(path) as conn:
                conn.execute(
                    "INSERT INTO progress (id, attributes, version) VALUES (?, ?, 1)",
                    (user_id, json.dumps(attributes)),
                )

        return adapter, put_sqlite
    adapter = request.getfixturevalue("dynamodb_adapter")
    # Raw items go in through a separate boto3 resource, not the adapter: as another writer would put them.
    table = request.getfixturevalue("dynamodb_resource").Table(request.getfixturevalue("dynamodb_table"))

    def put_dynamodb(user_id: str, attributes: dict[str, Any]) -> None:
        numbers = json.loads(json.dumps(attributes), parse_int=Decimal, parse_float=Decimal)
        table.put_item(Item={"id": user_id, "attributes": numbers})

    return adapter, put_dynamodb


def _launch(adapter, user_id: str):
    echo = device(build_skill_builder(adapter).lambda_handler(), user_id)
    return echo, echo.say("open trust builder")


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_stored_shape_launches_cleanly(storage, shape: str, caplog) -> None:
    adapter, put_raw = storage
    user = household_id("shape")
    put_raw(user, SHAPES[shape])
    with caplog.at_level(logging.WARNING):
        echo, welcome = _launch(adapter, user)
    assert welcome.problems == []
    assert welcome.session_open
    assert "went wrong" not in welcome.speech_text.lower()  # not the catch-all apology
    for bad in ("<", ">", "\x00", "\x1b", "\u202e", "SSSSS"):
        assert bad not in welcome.speech_text
    # the first save afterwards writes a shape the current code reads exactly back
    assert echo.say("step four").problems == []
    stored = adapter.get_attributes(_envelope(user))
    assert Progress.from_dict(stored).to_dict() == {k: v for k, v in stored.items() if k != "write_id"}
    assert len(json.dumps(stored)) < 2048


@pytest.mark.parametrize(
    "shape",
    [
        name
        for name in sorted(SHAPES)
        if name.startswith("exercise") and "markup" not in name and "KB" not in name
    ],
)
def test_an_unfinished_exercise_that_no_longer_parses_is_dropped_with_a_log_line(storage, shape, caplog):
    adapter, put_raw = storage
    user = household_id("exercise-shape")
    put_raw(user, SHAPES[shape])
    with caplog.at_level(logging.WARNING):
        _, welcome = _launch(adapter, user)
    assert "Welcome back" in welcome.speech_text
    assert "pick up" not in welcome.speech_text  # no resume offer for a state that cannot resume
    assert any("dropped an unfinished exercise" in record.getMessage() for record in caplog.records)


def test_foreign_fields_of_an_exercise_are_dropped_and_it_still_resumes(storage) -> None:
    adapter, put_raw = storage
    user = household_id("exercise-pad")
    put_raw(user, SHAPES["exercise of 90 KB"])
    echo, welcome = _launch(adapter, user)
    assert "pick up" in welcome.speech_text
    echo.say("step two")
    assert adapter.get_attributes(_envelope(user))["unfinished_exercise"] == GOOD_EXERCISE


def test_a_good_unfinished_exercise_still_offers_to_resume(storage) -> None:
    adapter, put_raw = storage
    user = household_id("exercise-ok")
    put_raw(user, {**BASE, "unfinished_exercise": GOOD_EXERCISE})
    _, welcome = _launch(adapter, user)
    assert welcome.problems == []
    assert "pick up" in welcome.speech_text


def test_stored_names_are_validated_like_spoken_ones() -> None:
    progress = Progress.from_dict({"names": ["Sam\x07", "<b>Alex</b>", "Jo"]})
    assert progress.names == ["Jo"]
    assert Progress.from_dict({"names": ["mary-jane", "O'Brien"]}).names == ["Mary-jane", "O'Brien"]
    assert Progress.from_dict({"names": ["x" * 5000]}).names == []


def test_decimal_and_nested_stored_exercise_from_dynamodb_migrates() -> None:
    stored = {k: Decimal(v) if isinstance(v, int) else v for k, v in GOOD_EXERCISE.items()}
    assert Progress.from_dict({"unfinished_exercise": stored}).unfinished_exercise == GOOD_EXERCISE


def _envelope(user_id: str):
    from conftest import envelope_for

    return envelope_for(user_id)
