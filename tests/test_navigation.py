"""navigation.py: where next, back and a requested step lead."""

from __future__ import annotations

import pytest

from trust_builder import navigation
from trust_builder.navigation import STEP_COUNT, Destination, Reason, next_step, previous_step, requested_step

IDS = ["acknowledge", "root_causes", "communication", "consistency", "boundaries", "professional_help",
       "patience", "forgiveness"]  # fmt: skip


@pytest.mark.parametrize("current", range(STEP_COUNT))
def test_next_moves_one_step_on(current):
    assert next_step(current) == Destination(current + 1, Reason.OK)


def test_next_after_the_last_step_is_the_closing():
    assert next_step(STEP_COUNT) == Destination(None, Reason.PAST_END)


def test_back_from_the_first_step_stays_there_and_says_why():
    assert previous_step(1) == Destination(1, Reason.BEFORE_START)
    assert previous_step(0) == Destination(1, Reason.BEFORE_START)
    assert previous_step(5) == Destination(4, Reason.OK)


@pytest.mark.parametrize(
    ("number", "topic", "expected"),
    [
        (5, None, Destination(5, Reason.OK)),
        (None, "forgiveness", Destination(8, Reason.OK)),
        (3, "boundaries", Destination(5, Reason.OK)),  # a resolved topic wins over a stray number
        (12, None, Destination(None, Reason.OUT_OF_RANGE)),
        (0, None, Destination(None, Reason.OUT_OF_RANGE)),
        (None, "unknown", Destination(None, Reason.UNKNOWN_TOPIC)),
        (4, "unknown", Destination(4, Reason.OK)),
        (None, None, Destination(None, Reason.NOTHING_ASKED)),
    ],
)
def test_requested_step(number, topic, expected):
    assert requested_step(number, topic, IDS) == expected


def test_positions_name_the_first_and_last_steps() -> None:
    assert navigation.step_at("last") == navigation.STEP_COUNT
    assert navigation.step_at("first") == 1
    assert navigation.step_at(None) is None
    assert navigation.step_at("middle") is None


@pytest.mark.parametrize(
    ("position", "relative"),
    [("next", True), ("previous", True), ("current", True), ("last", False), ("first", False), (None, False)],
)
def test_relative_positions_are_told_apart_from_places_in_the_list(position, relative):
    assert navigation.is_relative(position) is relative


TOPICS = {
    "forgiveness": ("forgiveness", "letting go", "forgiving each other"),
    "patience": ("patience", "giving it time", "not rushing"),
    "communication": ("communication", "honesty", "there's no secrets"),
}


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ("letting go and forgiving each other", "forgiveness"),  # two phrases, one topic
        ("Giving it time, because we need that", "patience"),  # case and punctuation
        ("theres no secrets", "communication"),  # apostrophes as a recogniser may drop them
        ("honesty and patience", None),  # two topics: ask which
        ("the royal family", None),  # none
        ("forgivenesses", None),  # whole words only
        ("", None),
    ],
)
def test_topic_named_in_finds_the_one_topic_whose_words_appear(heard, expected):
    assert navigation.topic_named_in(heard, TOPICS) == expected
