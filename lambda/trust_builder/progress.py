"""One household's progress: what is kept between visits, how older shapes migrate, how two writers merge.

Pure data: no boto3, no Alexa types. `to_dict()` gives plain JSON-able data (ints, never Decimal) for session
attributes and for storage; `from_dict()` accepts what DynamoDB returns (Decimal numbers) and older shapes.

Privacy: only first names (at most two), step numbers, counters and dates (no times of day) are kept. Nothing
grows per visit, so an item stays small however often a household comes back.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from trust_builder.exercise import Exercise, InvalidState, clean_name

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2
STEP_COUNT = 8
MAX_NAMES = 2
MAX_NAME_LENGTH = 40
MAX_TIMER_ID_LENGTH = 128
FLOOR_MINUTES_RANGE = range(1, 61)
# Write tokens: random values naming the latest writes, so a save retried after an unknown outcome can tell
# whether its earlier attempt landed (see storage/progress_store.py). A few are kept, not just the last, so
# the answer survives another device writing in between. Hex only, bounded in number and length.
MAX_WRITE_IDS = 4
_WRITE_ID = re.compile(r"[0-9a-f]{8,32}")

# Schema 1, the shape stored before this module existed (no "schema_version", no "version"):
#   {"step": 3, "heard": [1, 2, 3], "completed": 2, "names": "Sam and Alex", "last": "2024-05-01"}
# "step" became current_step, "heard" steps_heard, "completed" exercises_completed, "last" last_visit;
# the names string is split into at most two first names.
_V1_NAME_SEPARATORS = re.compile(r"\s*(?:,|&|\+|\band\b)\s*", re.IGNORECASE)


@dataclass(slots=True)
class Progress:
    """A household's stored progress. Mutable: a session changes its copy with the methods below (or plain
    assignment); `to_dict()` always writes the normalised form (sorted unique steps, at most two names)."""

    schema_version: int = SCHEMA_VERSION
    names: list[str] = field(default_factory=list)
    current_step: int = 0  # 0 = not started, else 1..8
    steps_heard: list[int] = field(default_factory=list)
    details_heard: list[int] = field(default_factory=list)
    exercises_completed: int = 0
    last_exercise_date: str | None = None
    unfinished_exercise: dict[str, Any] | None = None  # owned by the exercise module, stored as given
    floor_minutes: int | None = None
    timer_id: str | None = None  # the Alexa timer running a long floor, so any later session can cancel it
    turn_style: str | None = None  # "long" (no interruptions) or "short" (exchanges), kept with floor_minutes
    reminder_id: str | None = None  # the Alexa practice reminder, so "stop the reminders" can delete it
    first_visit: str | None = None
    last_visit: str | None = None
    restarts: int = 0  # times the household started over: lets a merge tell a reset from stale data
    version: int = 0  # write version for conditional writes; 0 = never stored
    write_ids: list[str] = field(default_factory=list)  # the latest writes' tokens, oldest first

    # ----- construction ------------------------------------------------------------------------------

    @classmethod
    def new(cls, today: date) -> Progress:
        """A household on its first visit."""
        return cls(first_visit=today.isoformat(), last_visit=today.isoformat())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (lists, ints, strings, None) for session attributes and for storage."""
        return {
            "schema_version": SCHEMA_VERSION,
            "names": list(_names(self.names)),
            "current_step": _int_in(self.current_step, range(0, STEP_COUNT + 1), 0),
            "steps_heard": _step_list(self.steps_heard),
            "details_heard": _step_list(self.details_heard),
            "exercises_completed": _count(self.exercises_completed),
            "last_exercise_date": _iso_date(self.last_exercise_date),
            "unfinished_exercise": _unfinished(self.unfinished_exercise),
            "floor_minutes": _int_in(self.floor_minutes, FLOOR_MINUTES_RANGE, None),
            "timer_id": _timer_id(self.timer_id),
            "turn_style": _turn_style(self.turn_style),
            "reminder_id": _timer_id(self.reminder_id),
            "first_visit": _iso_date(self.first_visit),
            "last_visit": _iso_date(self.last_visit),
            "restarts": _count(self.restarts),
            "version": _int_in(self.version, _VERSION_RANGE, 0),
            "write_ids": _write_ids(self.write_ids),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Progress:
        """Read stored or session data, current or schema 1, Decimal or int numbers.

        Lenient by design: a field with a bad value falls back to its default instead of failing the whole
        household (the next save writes the cleaned data back). Unknown keys are dropped. Raises ValueError
        only when `data` is not a mapping at all."""
        if not isinstance(data, Mapping):
            raise ValueError("progress data must be a mapping")
        if "schema_version" not in data and _looks_like_v1(data):
            data = _migrate_v1(data)
        first_visit = _iso_date(data.get("first_visit"))
        last_visit = _iso_date(data.get("last_visit"))
        return cls(
            names=list(_names(data.get("names"))),
            current_step=_int_in(data.get("current_step"), range(0, STEP_COUNT + 1), 0),
            steps_heard=_step_list(data.get("steps_heard")),
            details_heard=_step_list(data.get("details_heard")),
            exercises_completed=_count(data.get("exercises_completed")),
            last_exercise_date=_iso_date(data.get("last_exercise_date")),
            unfinished_exercise=_unfinished(data.get("unfinished_exercise")),
            floor_minutes=_int_in(data.get("floor_minutes"), FLOOR_MINUTES_RANGE, None),
            timer_id=_timer_id(data.get("timer_id")),
            turn_style=_turn_style(data.get("turn_style")),
            reminder_id=_timer_id(data.get("reminder_id")),
            first_visit=first_visit or last_visit,
            last_visit=last_visit or first_visit,
            restarts=_count(data.get("restarts")),
            version=_int_in(data.get("version"), _VERSION_RANGE, 0),
            write_ids=_write_ids(data.get("write_ids"), legacy=data.get("write_id")),
        )

    def copy(self) -> Progress:
        return Progress.from_dict(self.to_dict())

    # ----- changes a session makes (in place) --------------------------------------------------------

    def visit(self, today: date) -> None:
        """Record a visit: only the first and the latest date are kept, never one entry per visit."""
        iso = today.isoformat()
        self.first_visit = _min_date(self.first_visit, iso)
        self.last_visit = _max_date(self.last_visit, iso)

    def hear_step(self, step: int) -> None:
        """The household heard step `step`'s summary; it becomes the current step."""
        _check_step(step)
        self.current_step = step
        self.steps_heard = _step_list([*self.steps_heard, step])

    def hear_detail(self, step: int) -> None:
        _check_step(step)
        self.details_heard = _step_list([*self.details_heard, step])

    def complete_exercise(self, today: date) -> None:
        self.exercises_completed += 1
        self.last_exercise_date = _max_date(self.last_exercise_date, today.isoformat())
        self.unfinished_exercise = None

    def set_names(self, names: Iterable[str | None]) -> None:
        """At most two first names, whitespace tidied; empty entries dropped."""
        self.names = list(_names([n for n in names if n]))

    def start_over(self) -> None:
        """Back to step one: clears steps heard and exercise history; names, floor time and dates stay."""
        self.current_step = 0
        self.steps_heard = []
        self.details_heard = []
        self.exercises_completed = 0
        self.last_exercise_date = None
        self.unfinished_exercise = None
        self.restarts += 1


# ----- three-way merge -------------------------------------------------------------------------------


def merge(base: Progress | None, ours: Progress, theirs: Progress) -> Progress:
    """Combine this session's changes with what another device stored in between.

    base   = what this session loaded (None when nothing was loaded: no item, or the read failed; then every
             field of `ours` counts as this session's change against an empty household)
    ours   = this session's current progress
    theirs = what is stored now

    Rules, field by field:
    - sets (steps_heard, details_heard): theirs plus what this session added (ours - base); with no reset
      on either side that is the union of ours and theirs.
    - counters (exercises_completed, restarts): theirs + what this session added (ours - base, never < 0).
    - scalars (names, current_step, floor_minutes, turn_style, unfinished_exercise, timer_id,
      reminder_id): ours if this session
      changed the value relative to base, else theirs (the other device's change is
      kept when we did not touch it).
    - dates: last_visit and last_exercise_date take the later date; first_visit the earlier one (it is the
      household's first visit, so "max" would move it forward).
    - start over: if this session started over (ours.restarts > base.restarts), the household's latest wish
      is a fresh start: the steps and exercise fields are ours alone, whatever the other device added.
    - version = theirs.version, so the next conditional write expects what is stored now; write_ids are
      theirs (the store appends the next write's token).
    """
    origin = Progress.from_dict(base.to_dict()) if base is not None else Progress()
    mine = Progress.from_dict(ours.to_dict())
    other = Progress.from_dict(theirs.to_dict())

    def scalar(name: str) -> Any:
        value = getattr(mine, name)
        return value if value != getattr(origin, name) else getattr(other, name)

    def added(name: str) -> int:
        return max(0, getattr(mine, name) - getattr(origin, name))

    def joined(name: str) -> list[int]:
        return _step_list([*getattr(other, name), *set(getattr(mine, name)) - set(getattr(origin, name))])

    merged = Progress(
        names=scalar("names"),
        current_step=scalar("current_step"),
        steps_heard=joined("steps_heard"),
        details_heard=joined("details_heard"),
        exercises_completed=other.exercises_completed + added("exercises_completed"),
        last_exercise_date=_max_date(mine.last_exercise_date, other.last_exercise_date),
        unfinished_exercise=scalar("unfinished_exercise"),
        floor_minutes=scalar("floor_minutes"),
        timer_id=scalar("timer_id"),
        turn_style=scalar("turn_style"),
        reminder_id=scalar("reminder_id"),
        first_visit=_min_date(mine.first_visit, other.first_visit),
        last_visit=_max_date(mine.last_visit, other.last_visit),
        restarts=other.restarts + added("restarts"),
        version=other.version,
        write_ids=list(other.write_ids),
    )
    if mine.restarts > origin.restarts:
        merged.current_step = mine.current_step
        merged.steps_heard = list(mine.steps_heard)
        merged.details_heard = list(mine.details_heard)
        merged.exercises_completed = mine.exercises_completed
        merged.last_exercise_date = mine.last_exercise_date
        merged.unfinished_exercise = mine.unfinished_exercise
    return merged


# ----- helpers ---------------------------------------------------------------------------------------

# Counters (exercises completed, start-overs) are documented to stay under MAX_COUNT: an exercise a day for
# 27 years. A larger value (a corrupt item, a tampered session) is clamped to it, never stored as given.
MAX_COUNT = 9_999
_COUNTER_RANGE = range(0, MAX_COUNT + 1)
_VERSION_RANGE = range(0, 2**63)


def _check_step(step: int) -> None:
    if _int_in(step, range(1, STEP_COUNT + 1), None) is None:
        raise ValueError(f"step must be 1..{STEP_COUNT}")


def _step_list(values: Any) -> list[int]:
    """Sorted unique step numbers 1..8; anything else is dropped."""
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        return []
    steps = {_int_in(value, range(1, STEP_COUNT + 1), None) for value in values}
    return sorted(step for step in steps if step is not None)


_Default = TypeVar("_Default", bound=int | None)


def _int_in(value: Any, allowed: range, default: _Default) -> int | _Default:
    """An integral number (int, Decimal, integral float) inside `allowed`, else `default`. Never bool."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        return default
    if isinstance(value, Decimal) and not value.is_finite():
        return default
    if isinstance(value, float) and not math.isfinite(value):
        return default
    if value != int(value):
        return default
    number = int(value)
    return number if number in allowed else default


def _count(value: Any) -> int:
    """A counter: a non-negative integral number, clamped to MAX_COUNT; anything else counts as 0."""
    number = _int_in(value, range(0, 2**63), None)
    return 0 if number is None else min(number, MAX_COUNT)


def _iso_date(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def _max_date(a: str | None, b: str | None) -> str | None:
    return max((d for d in (_iso_date(a), _iso_date(b)) if d), default=None)  # ISO dates sort as strings


def _min_date(a: str | None, b: str | None) -> str | None:
    return min((d for d in (_iso_date(a), _iso_date(b)) if d), default=None)


def _clean_name(value: Any) -> str | None:
    """A first name as the exercise accepts a spoken one (exercise.clean_name: letters, spaces, hyphens,
    apostrophes, dots; at most 30 characters and three words), so a stored name from an older item, another
    writer or a tampered session can never put markup, control characters or pages of text into speech."""
    return clean_name(value[: MAX_NAME_LENGTH * 4]) if isinstance(value, str) else None


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = _V1_NAME_SEPARATORS.split(value)
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        return ()
    cleaned = [name for name in map(_clean_name, value) if name]
    return tuple(cleaned[:MAX_NAMES])


def _timer_id(value: Any) -> str | None:
    """An Alexa timer id: an opaque token, bounded so a bad value cannot grow the item."""
    return value if isinstance(value, str) and 0 < len(value) <= MAX_TIMER_ID_LENGTH else None


def _turn_style(value: Any) -> str | None:
    return value if value in ("long", "short") else None


def _unfinished(value: Any) -> dict[str, Any] | None:
    """An unfinished exercise in the exercise module's current shape, or None.

    Older or unknown shapes (another state version, missing or foreign fields, wrong types, oversized
    values) are dropped with a log line rather than kept: the launch and "start the exercise" must never
    meet a state they cannot parse. The household just starts a fresh exercise."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        try:
            return Exercise.from_dict(_plain(value)).to_dict()
        except (InvalidState, RecursionError):
            pass
    logger.warning("progress: dropped an unfinished exercise of unknown shape (%s)", type(value).__name__)
    return None


def _write_ids(value: Any, legacy: Any = None) -> list[str]:
    """Hex tokens, oldest first, at most MAX_WRITE_IDS; a lone "write_id" (the first layout) counts too."""
    tokens = list(value) if isinstance(value, list | tuple) else []
    if not tokens and legacy is not None:
        tokens = [legacy]
    valid = [t for t in tokens if isinstance(t, str) and _WRITE_ID.fullmatch(t)]
    return list(dict.fromkeys(valid))[-MAX_WRITE_IDS:]


def _plain(value: Any) -> Any:
    """Deep copy into plain JSON-able types: Decimal becomes int (or float when fractional)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _looks_like_v1(data: Mapping[str, Any]) -> bool:
    return any(key in data for key in ("step", "heard", "completed")) or isinstance(data.get("names"), str)


def _migrate_v1(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "names": data.get("names"),
        "current_step": data.get("step"),
        "steps_heard": data.get("heard"),
        "exercises_completed": data.get("completed"),
        "last_visit": data.get("last"),
        "first_visit": data.get("first", data.get("last")),
        "version": data.get("version"),
    }
