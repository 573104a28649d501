"""Decisions for the conversation outside the exercise. Pure: no Alexa types, no words.

Which state a fallback is in (so it can name what works there), which variant of a line to say (so no answer
repeats the last one word for word), which step answers a feeling, and what a household's record holds (so
"what do you know about us" reads back exactly what is stored).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trust_builder.navigation import STEP_COUNT
from trust_builder.progress import Progress

# Fallback states: each has its own concrete options (conversation.fallback.first/second.<state>).
MENU = "menu"
MENU_ALL = "menu_all"  # the menu once every step is heard: the exercise is what's offered
AFTER_SUMMARY = "after_summary"
AFTER_DETAIL = "after_detail"
CLOSING = "closing"
LISTING = "listing"
EXERCISE_OFFER = "exercise_offer"  # the exercise offered mid-visit (after a question), not after the closing
CONFIRM_START_OVER = "confirm_start_over"
CONFIRM_FORGET = "confirm_forget"
RESUME_OFFER = "resume_offer"

# A second miss in a row says more, and offers help; the count lives in the session only.
MORE_AFTER_MISSES = 2

# The step that speaks to a feeling (Feeling value id); anything else gets step three, talking openly.
FEELING_STEPS = {
    "jealous": 2,
    "insecure": 2,
    "anxious": 2,
    "suspicious": 2,
    "angry": 3,
    "frustrated": 3,
    "sad": 3,
    "lonely": 3,
    "confused": 1,
    "hurt": 3,
    "betrayed": 4,
    "overwhelmed": 7,
    "resentful": 8,
    "guilty": 4,
}
DEFAULT_FEELING_STEP = 3
SUSPICION_STEP = 3  # an accusation is best raised calmly, with I statements: talk openly and honestly


def fallback_state(mode: str | None, offer_kind: str | None, all_heard: bool) -> str:
    """The state a miss happened in, from the session's mode and the offer just made."""
    if mode in (CONFIRM_START_OVER, CONFIRM_FORGET, RESUME_OFFER):
        return mode
    if offer_kind == "list":
        return LISTING
    if offer_kind == "try_exercise":
        return EXERCISE_OFFER
    if mode == "steps":
        return AFTER_SUMMARY if offer_kind == "detail" else AFTER_DETAIL
    if offer_kind == "exercise":
        return CLOSING
    return MENU_ALL if all_heard else MENU


def pick(variants: Sequence[str], turn: int, avoid: str | None = None) -> str:
    """The variant for this turn (rotating), skipping one equal to `avoid` (what was just said) if it can."""
    if not variants:
        raise ValueError("no variants to pick from")
    for offset in range(len(variants)):
        candidate = variants[(turn + offset) % len(variants)]
        if avoid is None or candidate not in avoid:
            return candidate
    return variants[turn % len(variants)]


def feeling_step(feeling_id: str | None) -> int:
    return FEELING_STEPS.get(feeling_id or "", DEFAULT_FEELING_STEP)


def next_label_step(current: int) -> int | None:
    """What "next" leads to from a step: the following step, or None for the closing thoughts."""
    return current + 1 if current < STEP_COUNT else None


def first_unheard(progress: Progress | None) -> int | None:
    """The next step the household has not heard: after the current one, wrapping round; None if all heard."""
    if progress is None:
        return 1
    heard = set(progress.steps_heard)
    start = progress.current_step if progress.current_step in range(1, STEP_COUNT + 1) else 0
    for offset in range(1, STEP_COUNT + 1):
        candidate = (start + offset - 1) % STEP_COUNT + 1
        if candidate not in heard:
            return candidate
    return None


@dataclass(frozen=True)
class Record:
    """What a household's stored record holds, field by field, for reading it back in plain words."""

    names: tuple[str, ...]
    steps_heard: tuple[int, ...]
    current_step: int
    details_heard: int
    exercises_completed: int
    unfinished_exercise: bool
    floor_minutes: int | None
    timer: bool
    restarts: int
    long_turns: bool = False  # turn_style "long": the exercise's one-long-turn style
    reminder: bool = False  # a practice reminder is set (only its id is kept)


def record_of(progress: Progress) -> Record:
    """Every stored field of Progress, so nothing is kept that this does not read back (a test holds it)."""
    return Record(
        names=tuple(progress.names),
        steps_heard=tuple(progress.steps_heard),
        current_step=progress.current_step,
        details_heard=len(progress.details_heard),
        exercises_completed=progress.exercises_completed,
        unfinished_exercise=progress.unfinished_exercise is not None,
        floor_minutes=progress.floor_minutes,
        timer=progress.timer_id is not None,
        restarts=progress.restarts,
        long_turns=progress.turn_style == "long",
        reminder=progress.reminder_id is not None,
    )


# Progress fields the read-back covers, besides those in Record: the visit dates, the last exercise's date
# (said with the exercise count), the schema and write versions and the last writes' tokens ("a version
# number for saving").
READ_BACK_FIELDS = frozenset(Record.__dataclass_fields__) | {
    "details_heard",
    "timer_id",
    "turn_style",  # read back as long_turns (short exchanges are the default, not worth a sentence)
    "reminder_id",  # read back as reminder
    "first_visit",
    "last_visit",
    "last_exercise_date",
    "schema_version",
    "version",
    "write_ids",
}
