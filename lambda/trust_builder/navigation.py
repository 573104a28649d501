"""Where a request takes the couple among the eight steps. Pure: no Alexa types, no words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from trust_builder.safety import normalise

STEP_COUNT = 8


class Reason(StrEnum):
    OK = "ok"
    PAST_END = "past_end"  # "next" after the last step: the closing message
    BEFORE_START = "before_start"  # "go back" from the first step
    OUT_OF_RANGE = "out_of_range"  # "step twelve"
    UNKNOWN_TOPIC = "unknown_topic"  # a topic word that matches no step
    NOTHING_ASKED = "nothing_asked"  # neither a number nor a topic came through


@dataclass(frozen=True)
class Destination:
    step: int | None
    reason: Reason


def next_step(current: int) -> Destination:
    if current >= STEP_COUNT:
        return Destination(None, Reason.PAST_END)
    return Destination(current + 1, Reason.OK)


def previous_step(current: int) -> Destination:
    if current <= 1:
        return Destination(1, Reason.BEFORE_START)
    return Destination(current - 1, Reason.OK)


# Positions that are not ordinals ("the last step"), by the StepPosition slot's value ids.
POSITIONS = {"first": 1, "last": STEP_COUNT}


# Positions relative to where the couple is ("the next one", "the step before", "this step"): a custom slot
# takes whatever stands between "skip to the" and "step", so these words must resolve, not fall through to
# "which step would you like?". The handler sends them where NextIntent, PreviousIntent and a repeat go.
RELATIVE_POSITIONS = frozenset({"next", "previous", "current"})


def step_at(position_id: str | None) -> int | None:
    """The step a position names ("last" -> 8), or None."""
    return POSITIONS.get(position_id or "")


def is_relative(position_id: str | None) -> bool:
    """Whether a position is relative to the current step ("the next step"), not a place in the list."""
    return position_id in RELATIVE_POSITIONS


def requested_step(number: int | None, topic_id: str | None, step_ids: list[str]) -> Destination:
    """A step asked for by number ("step five") or by topic id (resolved from "forgiving", "therapy"...)."""
    if topic_id is not None:
        if topic_id in step_ids:
            return Destination(step_ids.index(topic_id) + 1, Reason.OK)
        if number is None:
            return Destination(None, Reason.UNKNOWN_TOPIC)
    if number is None:
        return Destination(None, Reason.NOTHING_ASKED)
    if 1 <= number <= STEP_COUNT:
        return Destination(number, Reason.OK)
    return Destination(None, Reason.OUT_OF_RANGE)


def words_of(text: str) -> tuple[str, ...]:
    """The words as the safety check reads them, apostrophes dropped too: "There's" -> ("theres",)."""
    return tuple(normalise(text).replace("'", "").split())


def topic_named_in(heard: str, topics: Mapping[str, Sequence[str]]) -> str | None:
    """The one step topic whose words appear inside what filled {topic}, else None.

    Alexa resolves a custom slot only when the words are exactly a value or synonym: "letting go and
    forgiving" arrives unresolved though both halves name forgiveness. So the skill looks inside: every
    value and synonym found as whole words names a topic; if they all name the same one, that is the step.
    Two topics named ("honesty and patience") or none: None, and the skill asks which step.
    """
    words = words_of(heard)
    found: set[str] = set()
    for topic_id, phrases in topics.items():
        for phrase in phrases:
            wanted = words_of(phrase)
            size = len(wanted)
            if size and any(words[i : i + size] == wanted for i in range(len(words) - size + 1)):
                found.add(topic_id)
                break
    return found.pop() if len(found) == 1 else None
