"""Progress: new/to_dict/from_dict, the schema 1 migration, the merge rules, and the size bound."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from trust_builder import exercise
from trust_builder.progress import SCHEMA_VERSION, Progress, merge

# Unfinished exercises in the exercise module's stored shape (anything else is dropped on read).
SPEAKING = exercise.Exercise(phase=exercise.Phase.FLOOR, names=("Sam", "Alex"), first_speaker=1).to_dict()
LISTENING = exercise.Exercise(
    phase=exercise.Phase.REFLECTION, names=("Sam", "Alex"), first_speaker=0
).to_dict()

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2025, 3, 14)


def all_values(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [v for value in data.values() for v in all_values(value)]
    if isinstance(data, list):
        return [v for value in data for v in all_values(value)]
    return [data]


# ----- new / to_dict / from_dict -----------------------------------------------------------------------


def test_new_household_has_not_started_and_is_dated_today() -> None:
    progress = Progress.new(TODAY)
    assert progress.to_dict() == {
        "schema_version": SCHEMA_VERSION,
        "names": [],
        "current_step": 0,
        "steps_heard": [],
        "details_heard": [],
        "exercises_completed": 0,
        "last_exercise_date": None,
        "unfinished_exercise": None,
        "floor_minutes": None,
        "timer_id": None,
        "turn_style": None,
        "reminder_id": None,
        "first_visit": "2025-03-14",
        "last_visit": "2025-03-14",
        "restarts": 0,
        "version": 0,
        "write_ids": [],
    }


def test_to_dict_round_trips_through_json_and_from_dict() -> None:
    progress = Progress.new(TODAY)
    progress.set_names(["Sam", "Alex"])
    progress.hear_step(2)
    progress.hear_detail(2)
    progress.complete_exercise(TODAY)
    progress.floor_minutes = 5
    progress.unfinished_exercise = SPEAKING
    progress.version = 7
    data = json.loads(json.dumps(progress.to_dict()))
    assert Progress.from_dict(data) == progress
    assert Progress.from_dict(data).to_dict() == progress.to_dict()


def test_to_dict_normalises_in_place_changes() -> None:
    progress = Progress.new(TODAY)
    progress.steps_heard.extend([5, 3, 5, 1])
    progress.names = ["  Sam  ", "Alex", "Kim"]
    data = progress.to_dict()
    assert data["steps_heard"] == [1, 3, 5]
    assert data["names"] == ["Sam", "Alex"]


def test_from_dict_accepts_decimal_numbers_as_dynamodb_returns_them() -> None:
    stored = {
        "schema_version": Decimal(2),
        "names": ["Sam"],
        "current_step": Decimal("4"),
        "steps_heard": [Decimal(1), Decimal(4)],
        "details_heard": [Decimal(4)],
        "exercises_completed": Decimal(3),
        "floor_minutes": Decimal(10),
        "unfinished_exercise": {k: Decimal(v) if isinstance(v, int) else v for k, v in LISTENING.items()},
        "first_visit": "2025-01-01",
        "last_visit": "2025-03-01",
        "version": Decimal(9),
    }
    data = Progress.from_dict(stored).to_dict()
    assert not any(isinstance(v, Decimal) for v in all_values(data))
    assert data["current_step"] == 4
    assert type(data["current_step"]) is int
    assert data["steps_heard"] == [1, 4]
    assert data["unfinished_exercise"] == LISTENING
    assert data["version"] == 9
    assert data["floor_minutes"] == 10


def test_from_dict_drops_unknown_keys_and_cleans_bad_values() -> None:
    progress = Progress.from_dict(
        {
            "schema_version": 2,
            "names": ["Sam", "   ", "Alex", "Kim"],
            "current_step": 99,
            "steps_heard": [0, 9, "3", 3, 3, True, 2.0, Decimal("2.5")],
            "details_heard": "1,2",
            "exercises_completed": -4,
            "last_exercise_date": "yesterday",
            "unfinished_exercise": ["not", "a", "dict"],
            "floor_minutes": 600,
            "last_visit": "2025-02-30",
            "first_visit": "2025-02-01",
            "transcript": "what a partner said",
            "version": "7",
        }
    )
    data = progress.to_dict()
    assert "transcript" not in data
    assert data["names"] == ["Sam", "Alex"]
    assert data["current_step"] == 0
    assert data["steps_heard"] == [2, 3]
    assert data["details_heard"] == []
    assert data["exercises_completed"] == 0
    assert data["last_exercise_date"] is None
    assert data["unfinished_exercise"] is None
    assert data["floor_minutes"] is None
    assert (data["first_visit"], data["last_visit"]) == ("2025-02-01", "2025-02-01")
    assert data["version"] == 0


@pytest.mark.parametrize("bad", [None, [], "progress", 3])
def test_from_dict_rejects_non_mappings_with_a_clear_error(bad: Any) -> None:
    with pytest.raises(ValueError, match="mapping"):
        Progress.from_dict(bad)


# ----- schema 1 migration -------------------------------------------------------------------------------


def test_schema_1_fixture_migrates_to_current_shape() -> None:
    # parse_int=Decimal: numbers arrive as DynamoDB returns them
    item = json.loads((FIXTURES / "progress_v1.json").read_text(), parse_int=Decimal)
    progress = Progress.from_dict(item["attributes"])
    assert progress.to_dict() == {
        "schema_version": SCHEMA_VERSION,
        "names": ["Sam", "Alex"],
        "current_step": 3,
        "steps_heard": [1, 2, 3],
        "details_heard": [],
        "exercises_completed": 2,
        "last_exercise_date": None,
        "unfinished_exercise": None,
        "floor_minutes": None,
        "timer_id": None,
        "turn_style": None,
        "reminder_id": None,
        "first_visit": "2024-05-01",
        "last_visit": "2024-05-01",
        "restarts": 0,
        "version": 0,
        "write_ids": [],
    }


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ("Sam and Alex", ["Sam", "Alex"]),
        ("Zoë & José", ["Zoë", "José"]),
        ("Kim, Lee", ["Kim", "Lee"]),
        ("Andy", ["Andy"]),
        ("Sandra AND Alexander", ["Sandra", "Alexander"]),
        ("", []),
    ],
)
def test_schema_1_names_string_splits_into_first_names(names: str, expected: list[str]) -> None:
    assert Progress.from_dict({"step": 1, "names": names}).names == expected


# ----- changes a session makes ----------------------------------------------------------------------------


def test_hear_step_moves_the_current_step_and_keeps_a_sorted_set() -> None:
    progress = Progress.new(TODAY)
    for step in (3, 1, 3):
        progress.hear_step(step)
    assert progress.current_step == 3
    assert progress.steps_heard == [1, 3]


@pytest.mark.parametrize("step", [0, 9, -1])
def test_hear_step_rejects_steps_outside_one_to_eight(step: int) -> None:
    progress = Progress.new(TODAY)
    with pytest.raises(ValueError, match=r"1\.\.8"):
        progress.hear_step(step)
    with pytest.raises(ValueError, match=r"1\.\.8"):
        progress.hear_detail(step)


def test_complete_exercise_counts_dates_and_clears_the_unfinished_one() -> None:
    progress = Progress.new(TODAY)
    progress.unfinished_exercise = SPEAKING
    progress.complete_exercise(TODAY)
    progress.complete_exercise(TODAY - timedelta(days=3))  # a late clock never moves the date back
    assert (progress.exercises_completed, progress.last_exercise_date) == (2, "2025-03-14")
    assert progress.unfinished_exercise is None


def test_visit_keeps_only_the_first_and_the_latest_date() -> None:
    progress = Progress.new(TODAY)
    progress.visit(TODAY + timedelta(days=10))
    progress.visit(TODAY - timedelta(days=1))
    assert (progress.first_visit, progress.last_visit) == ("2025-03-13", "2025-03-24")


def test_start_over_clears_steps_and_exercises_but_keeps_names_and_floor_time() -> None:
    progress = Progress.new(TODAY)
    progress.set_names(["Sam", "Alex"])
    progress.floor_minutes = 4
    progress.hear_step(5)
    progress.hear_detail(5)
    progress.complete_exercise(TODAY)
    progress.start_over()
    data = progress.to_dict()
    assert (data["current_step"], data["steps_heard"], data["details_heard"]) == (0, [], [])
    assert (data["exercises_completed"], data["last_exercise_date"]) == (0, None)
    assert (data["names"], data["floor_minutes"], data["first_visit"]) == (["Sam", "Alex"], 4, "2025-03-14")
    assert data["restarts"] == 1


# ----- merge ------------------------------------------------------------------------------------------------


def stored(version: int = 3) -> Progress:
    progress = Progress.new(TODAY - timedelta(days=30))
    progress.set_names(["Sam", "Alex"])
    progress.hear_step(1)
    progress.hear_step(2)
    progress.complete_exercise(TODAY - timedelta(days=20))
    progress.floor_minutes = 5
    progress.version = version
    return progress


def test_merge_unions_the_sets_each_side_added() -> None:
    base = stored()
    ours, theirs = base.copy(), base.copy()
    ours.hear_step(3)
    ours.hear_detail(3)
    theirs.hear_step(6)
    theirs.version = 4
    merged = merge(base, ours, theirs)
    assert merged.steps_heard == [1, 2, 3, 6]
    assert merged.details_heard == [3]


def test_merge_adds_our_counter_increase_to_theirs() -> None:
    base = stored()
    ours, theirs = base.copy(), base.copy()
    ours.complete_exercise(TODAY)
    ours.complete_exercise(TODAY)
    theirs.complete_exercise(TODAY - timedelta(days=1))
    merged = merge(base, ours, theirs)
    assert merged.exercises_completed == 1 + 2 + 1
    assert merged.last_exercise_date == TODAY.isoformat()


def test_merge_scalars_take_ours_only_when_we_changed_them() -> None:
    base = stored()
    ours, theirs = base.copy(), base.copy()
    ours.floor_minutes = 10  # we changed floor time
    theirs.set_names(["Sam", "Alexandra"])  # they changed the names
    theirs.current_step = 6
    merged = merge(base, ours, theirs)
    assert merged.floor_minutes == 10
    assert merged.names == ["Sam", "Alexandra"]
    assert merged.current_step == 6


def test_merge_both_changed_a_scalar_ours_wins() -> None:
    base = stored()
    ours, theirs = base.copy(), base.copy()
    ours.hear_step(4)
    theirs.hear_step(7)
    ours.unfinished_exercise = LISTENING
    theirs.unfinished_exercise = SPEAKING
    merged = merge(base, ours, theirs)
    assert merged.current_step == 4
    assert merged.unfinished_exercise == LISTENING
    assert merged.steps_heard == [1, 2, 4, 7]


def test_merge_dates_latest_visit_and_earliest_first_visit() -> None:
    base = stored()
    ours, theirs = base.copy(), base.copy()
    ours.visit(TODAY)
    theirs.visit(TODAY - timedelta(days=2))
    theirs.first_visit = (TODAY - timedelta(days=90)).isoformat()
    merged = merge(base, ours, theirs)
    assert merged.last_visit == TODAY.isoformat()
    assert merged.first_visit == (TODAY - timedelta(days=90)).isoformat()


def test_merge_takes_their_version_for_the_next_conditional_write() -> None:
    base = stored(version=3)
    theirs = base.copy()
    theirs.version = 5
    assert merge(base, base.copy(), theirs).version == 5


def test_merge_without_base_counts_all_of_ours_as_new() -> None:
    theirs = stored()
    ours = Progress.new(TODAY)
    ours.hear_step(5)
    ours.complete_exercise(TODAY)
    merged = merge(None, ours, theirs)
    assert merged.steps_heard == [1, 2, 5]
    assert merged.current_step == 5
    assert merged.exercises_completed == 2
    assert merged.names == ["Sam", "Alex"]  # we set no names: theirs are kept
    assert merged.floor_minutes == 5
    assert merged.first_visit == theirs.first_visit
    assert merged.last_visit == TODAY.isoformat()


def test_merge_our_start_over_wins_over_their_additions() -> None:
    base = stored()
    ours, theirs = base.copy(), base.copy()
    ours.start_over()
    ours.hear_step(1)
    theirs.hear_step(3)
    theirs.complete_exercise(TODAY)
    merged = merge(base, ours, theirs)
    assert (merged.steps_heard, merged.current_step) == ([1], 1)
    assert (merged.exercises_completed, merged.last_exercise_date) == (0, None)
    assert merged.restarts == 1
    assert merged.names == ["Sam", "Alex"]


def test_merge_their_start_over_keeps_only_what_we_added_since() -> None:
    base = stored()
    ours, theirs = base.copy(), base.copy()
    ours.hear_step(4)
    ours.complete_exercise(TODAY)
    theirs.start_over()
    merged = merge(base, ours, theirs)
    assert merged.steps_heard == [4]  # steps 1 and 2 were cleared by their start over
    assert merged.exercises_completed == 1
    assert merged.restarts == 1


def test_merge_does_not_change_its_inputs() -> None:
    base = stored()
    ours, theirs = base.copy(), base.copy()
    ours.hear_step(3)
    snapshot = (base.to_dict(), ours.to_dict(), theirs.to_dict())
    merged = merge(base, ours, theirs)
    merged.steps_heard.append(8)
    assert (base.to_dict(), ours.to_dict(), theirs.to_dict()) == snapshot


# ----- size bound ----------------------------------------------------------------------------------------


def simulate_visits(progress: Progress, visits: int, seed: int = 7) -> Progress:
    rng = random.Random(seed)
    day = date(2024, 1, 1)
    for _ in range(visits):
        day += timedelta(days=rng.randint(0, 3))
        progress.visit(day)
        for _ in range(rng.randint(1, 4)):
            action = rng.choice(["step", "detail", "exercise", "unfinished", "floor", "names", "start_over"])
            if action == "step":
                progress.hear_step(rng.randint(1, 8))
            elif action == "detail":
                progress.hear_detail(rng.randint(1, 8))
            elif action == "exercise":
                progress.complete_exercise(day)
            elif action == "unfinished":
                progress.unfinished_exercise = LISTENING
            elif action == "floor":
                progress.floor_minutes = rng.randint(1, 15)
            elif action == "names":
                progress.set_names(["Maximiliana", "Bartholomew"])
            elif rng.random() < 0.02:
                progress.start_over()
        progress.version += 1
    return progress


def test_serialized_item_stays_under_2_kb_after_a_thousand_visits() -> None:
    progress = simulate_visits(Progress.new(date(2024, 1, 1)), 1000)
    item = {"id": "amzn1.ask.account." + "X" * 200, "attributes": progress.to_dict()}
    size = len(json.dumps(item, ensure_ascii=False).encode())
    assert size < 2048, size
    assert len(progress.steps_heard) <= 8
    assert len(progress.details_heard) <= 8
    assert progress.version == 1000  # the visits did happen; only counters grew
    assert progress.restarts > 0
