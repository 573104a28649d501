"""The listening exercise's state machine: every state x every event, the flows, and the stored form."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from trust_builder import exercise as ex
from trust_builder.exercise import (
    Event,
    Exercise,
    Happened,
    InvalidState,
    Outcome,
    Phase,
    TimerAction,
    begin,
    handle,
    start,
)

NAMES = ("Alex", "Sam")


def named(phase: Phase, **changes: Any) -> Exercise:
    """A state in `phase` for Alex and Sam, Alex first, two minutes each, in long turns (one block a turn:
    the flows these tests follow); `short()` gives the default short-exchange style."""
    return Exercise(**{"phase": phase, "names": NAMES, "first_speaker": 0, "long_turns": True, **changes})


def short(phase: Phase, **changes: Any) -> Exercise:
    return named(phase, long_turns=False, **changes)


def catalogue() -> list[Exercise]:
    """States covering every phase, paused and not, both rounds, retries, timers and declined names."""
    states = [Exercise(), Exercise(names=("Alex", None)), start(NAMES), start(("Alex", None))]
    for phase in sorted(ex.ACTIVE_PHASES):
        for paused in (False, True):
            states.append(named(phase, paused=paused))
            states.append(named(phase, paused=paused, names=(None, "Sam"), first_speaker=1))
            states.append(named(phase, paused=paused, floor_seconds=240, timer_ok=True))
            states.append(named(phase, paused=paused, floor_seconds=300))
    for paused in (False, True):
        for phase in sorted(ex.TIMED_PHASES):
            states.append(named(phase, paused=paused, round=1))
        states.append(named(Phase.REFLECTION, paused=paused, retried=True))
    states.append(named(Phase.FLOOR, floor_seconds=240, timer_ok=True, timer_running=True))
    states.append(named(Phase.FLOOR, floor_seconds=300, timer_ok=True, timer_running=True, round=1))
    for phase in (Phase.STOPPED, Phase.TIMED_OUT):
        for back in sorted(ex.ACTIVE_PHASES):
            states.append(named(phase, return_phase=back))
            states.append(named(phase, return_phase=back, floor_seconds=240, timer_ok=True, round=1))
    states += [named(Phase.DONE), named(Phase.ENDED), Exercise(phase=Phase.ENDED)]
    # Short exchanges (the default), mid-turn blocks, names read back, a restart on offer.
    for phase in sorted(ex.ACTIVE_PHASES):
        for paused in (False, True):
            states.append(short(phase, paused=paused))
            states.append(short(phase, paused=paused, floor_seconds=300, names=(None, None)))
        states.append(short(phase, restart_offer=True))
    for minutes in range(1, 6):
        for block in range(len(ex.turn_blocks(minutes * 60))):
            states.append(short(Phase.FLOOR, floor_seconds=minutes * 60, exchange=block))
            states.append(short(Phase.FLOOR, floor_seconds=minutes * 60, exchange=block, round=1))
    states.append(short(Phase.STOPPED, return_phase=Phase.FLOOR, exchange=1))
    states.append(short(Phase.CONFIRM_NAMES, readback=True))
    states.append(short(Phase.FIRST_SPEAKER, names=(None, None), first_speaker=None))
    return states


STATES = catalogue()

# Valid, invalid and missing values for the events that take one; the rest get junk too.
VALUES: dict[Event, list[Any]] = {
    Event.NAMES: [
        None,
        "Alex",
        "sam",
        ["Alex", "Sam"],
        ("Jo", None),
        ["Alex", "alex"],
        ["", "  "],
        "",
        7,
        ["<b>", "Sam"],
        ["x" * 40, "Sam"],
        ["Mary Ann", "Jo"],
        [1, 2, 3],
        {"a": 1},
    ],
    Event.FIRST_SPEAKER: [None, "Sam", "alex", "Jo", 0, 1, 2, -1, True, "", ["Alex"]],
    Event.FLOOR_TIME: [None, 0, 1, 2, 3, 4, 5, 6, 7, "3", " 4 ", "?", "", 2.5, -1, True, "9" * 5000, "²"],
}
JUNK: list[Any] = [None, "junk", 3]


def cases() -> list[tuple[Exercise, Event, Any]]:
    return [(state, event, value) for state in STATES for event in Event for value in VALUES.get(event, JUNK)]


def plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(plain(item) for item in value)
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def round_trips(state: Exercise) -> bool:
    stored = json.dumps(state.to_dict())
    return Exercise.from_dict(json.loads(stored)) == state


def walk(
    state: Exercise, *steps: Event | tuple[Event, Any], rng: random.Random | None = None
) -> list[Outcome]:
    outcomes = []
    for step in steps:
        event, value = step if isinstance(step, tuple) else (step, None)
        outcome = handle(state, event, value=value, rng=rng)
        outcomes.append(outcome)
        state = outcome.exercise
    return outcomes


# Every state x every event


def test_the_catalogue_covers_every_phase_paused_and_not() -> None:
    assert {state.phase for state in STATES} == set(Phase)
    assert {state.phase for state in STATES if state.paused} == set(ex.ACTIVE_PHASES)
    assert {state.return_phase for state in STATES if state.phase is Phase.STOPPED} == set(ex.ACTIVE_PHASES)


def test_every_state_and_event_gives_a_valid_storable_outcome() -> None:
    checked = 0
    for state, event, value in cases():
        outcome = handle(state, event, value=value, rng=random.Random(7))
        assert isinstance(outcome, Outcome)
        assert isinstance(outcome.happened, Happened)
        after = outcome.exercise
        stored = after.to_dict()
        assert all(plain(item) for item in stored.values()), stored
        assert len(json.dumps(stored)) < 400
        assert round_trips(after), (state, event, value)
        assert outcome.remember != outcome.forget
        assert outcome.forget == (after.phase in ex.OVER_PHASES)
        if outcome.timer is TimerAction.START:
            assert outcome.timer_seconds == after.floor_seconds
            assert outcome.ends_session
            assert after.timer_running
            assert not ex.fits_in_one_response(after.floor_seconds)
        if outcome.happened in (Happened.NOT_NOW, Happened.HELP, Happened.REPEATED, Happened.NOT_UNDERSTOOD):
            assert after == state, (state, event, value)
            assert outcome.timer is TimerAction.NONE
        checked += 1
    assert checked > 10_000


def test_events_that_make_no_sense_keep_the_phase_with_not_now() -> None:
    for state in STATES:
        if state.phase in ex.ACTIVE_PHASES and not state.paused:
            outcome = handle(state, Event.TIMER_DONE) if not state.timer_running else None
            if outcome is not None:
                assert outcome.happened is Happened.NOT_NOW
                assert outcome.exercise == state
    assert handle(named(Phase.FLOOR), Event.COIN_FLIP).happened is Happened.NOT_NOW
    assert handle(named(Phase.REFLECTION), Event.FLOOR_TIME, value=3).happened is Happened.NOT_NOW
    assert handle(named(Phase.NAMES), Event.YES).happened is Happened.NOT_NOW


def test_an_unknown_event_is_answered_as_not_understood() -> None:
    for event in ("dance", None, 42, ["next"]):
        outcome = handle(named(Phase.FLOOR), event)  # type: ignore[arg-type]
        assert outcome.happened is Happened.NOT_UNDERSTOOD
        assert outcome.exercise == named(Phase.FLOOR)


def test_events_are_accepted_by_their_string_value() -> None:
    assert handle(named(Phase.RULES), "next").exercise.phase is Phase.FLOOR


# Setup


def test_happy_path_with_two_names_completes_once() -> None:
    opening = begin(long_turns=True)
    assert opening.happened is Happened.STARTED
    assert opening.entered
    assert opening.exercise.phase is Phase.NAMES
    outcomes = walk(
        opening.exercise,
        (Event.NAMES, ["alex", "Sam"]),
        Event.YES,  # "Alex and Sam, is that right?"
        (Event.FIRST_SPEAKER, "Sam"),
        (Event.FLOOR_TIME, "2"),
        Event.NEXT,  # rules heard: Sam's floor
        Event.NEXT,  # floor over: Alex reflects
        Event.YES,  # Sam felt understood: swap
        Event.NEXT,  # Alex's floor over
        Event.YES,  # Alex felt understood
        Event.NEXT,  # appreciation done
    )
    phases = [outcome.exercise.phase for outcome in outcomes]
    assert phases == [
        Phase.CONFIRM_NAMES,
        Phase.FIRST_SPEAKER,
        Phase.FLOOR_TIME,
        Phase.RULES,
        Phase.FLOOR,
        Phase.REFLECTION,
        Phase.FLOOR,
        Phase.REFLECTION,
        Phase.APPRECIATION,
        Phase.DONE,
    ]
    outcomes = outcomes[1:]
    assert outcomes[0].exercise.names == ("Alex", "Sam")
    assert outcomes[1].exercise.first_speaker == 1
    assert [outcome.exercise.speaker for outcome in outcomes[3:7]] == [1, 1, 0, 0]
    assert [outcome.completed for outcome in outcomes] == [False] * 8 + [True]
    assert all(outcome.entered for outcome in outcomes)
    assert not any(outcome.ends_session or outcome.needs_timer for outcome in outcomes)
    done = outcomes[-1]
    assert done.forget
    assert not done.remember
    assert done.exercise.floor_seconds == 120


def test_names_one_at_a_time() -> None:
    first = handle(Exercise(), Event.NAMES, value="jo")
    assert first.happened is Happened.NAME_NOTED
    assert first.exercise.phase is Phase.NAMES
    assert first.exercise.names == ("Jo", None)
    second = handle(first.exercise, Event.NAMES, value=("Kim", None))
    assert second.happened is Happened.NAMES_READ_BACK
    assert second.exercise.names == ("Jo", "Kim")
    assert second.exercise.phase is Phase.CONFIRM_NAMES
    assert second.exercise.readback


@pytest.mark.parametrize("event", [Event.NEXT, Event.NO])
def test_a_partner_may_decline_a_name(event: Event) -> None:
    after_one = handle(Exercise(), Event.NAMES, value="Alex").exercise
    outcome = handle(after_one, event)
    assert outcome.happened is Happened.NAMES_DECLINED
    assert outcome.exercise.phase is Phase.FIRST_SPEAKER
    assert outcome.exercise.names == ("Alex", None)
    both = handle(Exercise(), event)
    assert both.exercise.names == (None, None)
    assert both.exercise.phase is Phase.FIRST_SPEAKER


@pytest.mark.parametrize("value", [None, "", 7, ["Alex", "ALEX"], ["<script>", "!!"], "x" * 31, "A B C D"])
def test_unusable_names_get_a_helpful_outcome(value: Any) -> None:
    outcome = handle(Exercise(), Event.NAMES, value=value)
    assert outcome.happened is Happened.INVALID_NAMES
    assert outcome.exercise == Exercise()


def test_same_name_twice_across_two_answers_is_refused() -> None:
    after_one = handle(Exercise(), Event.NAMES, value="Alex").exercise
    outcome = handle(after_one, Event.NAMES, value="alex")
    assert outcome.happened is Happened.INVALID_NAMES
    assert outcome.exercise == after_one


def test_clean_name() -> None:
    assert ex.clean_name("  mary   ann ") == "Mary Ann"
    assert ex.clean_name("O'Neil") == "O'Neil"
    assert ex.clean_name("Zoë") == "Zoë"
    assert ex.clean_name("Jo-Anne") == "Jo-Anne"
    for bad in (None, "", "  ", "R2D2", "a&b", "<b>", "-", 5, "x" * 31, "a b c d"):
        assert ex.clean_name(bad) is None, bad


def test_known_names_are_offered_not_asked() -> None:
    offered = start(names=["Alex", "Sam"])
    assert offered.phase is Phase.CONFIRM_NAMES
    assert offered.names == NAMES
    kept = handle(offered, Event.YES)
    assert kept.happened is Happened.NAMES_KEPT
    assert kept.exercise.phase is Phase.FIRST_SPEAKER
    rejected = handle(offered, Event.NO)
    assert rejected.happened is Happened.NAMES_REJECTED
    assert rejected.exercise.phase is Phase.NAMES
    assert rejected.exercise.names == (None, None)
    replaced = handle(offered, Event.NAMES, value=["Kim", "Lee"])
    assert replaced.exercise.names == ("Kim", "Lee")
    assert replaced.exercise.phase is Phase.CONFIRM_NAMES  # read back once
    assert handle(replaced.exercise, Event.YES).exercise.phase is Phase.FIRST_SPEAKER
    assert handle(offered, Event.NAMES, value=None).exercise == offered


def test_start_ignores_unusable_stored_values() -> None:
    assert start(names=("Alex", "Alex")).phase is Phase.NAMES
    assert start(names="Alex").phase is Phase.NAMES
    assert start(names=(None, None)).phase is Phase.NAMES
    assert start(floor_minutes=9).floor_seconds == ex.DEFAULT_FLOOR_SECONDS
    assert start(floor_minutes="x").floor_seconds == ex.DEFAULT_FLOOR_SECONDS
    assert start(floor_minutes=3).floor_seconds == 180


def seed_flipping(side: int) -> int:
    return next(seed for seed in range(100) if random.Random(seed).randrange(2) == side)


@pytest.mark.parametrize("side", [0, 1])
@pytest.mark.parametrize("event", [Event.COIN_FLIP, Event.NEXT])
def test_coin_flip_with_a_seeded_rng_goes_both_ways(side: int, event: Event) -> None:
    outcome = handle(named(Phase.FIRST_SPEAKER), event, rng=random.Random(seed_flipping(side)))
    assert outcome.happened is Happened.COIN_FLIPPED
    assert outcome.exercise.first_speaker == side
    assert outcome.exercise.phase is Phase.FLOOR_TIME


@pytest.mark.parametrize(("value", "expected"), [("Sam", 1), ("alex", 0), (0, 0), (1, 1), ("  SAM ", 1)])
def test_first_speaker_by_name_or_index(value: Any, expected: int) -> None:
    outcome = handle(named(Phase.FIRST_SPEAKER, first_speaker=None), Event.FIRST_SPEAKER, value=value)
    assert outcome.happened is Happened.FIRST_SPEAKER_SET
    assert outcome.exercise.first_speaker == expected


@pytest.mark.parametrize("value", ["Jo", None, 2, True, "", "partner two"])
def test_first_speaker_not_one_of_theirs_is_a_helpful_outcome(value: Any) -> None:
    state = named(Phase.FIRST_SPEAKER, first_speaker=None, names=("Alex", None))
    outcome = handle(state, Event.FIRST_SPEAKER, value=value)
    assert outcome.happened is Happened.UNKNOWN_SPEAKER
    assert outcome.exercise == state


@pytest.mark.parametrize("minutes", [1, 2, 3, 4, 5])
def test_custom_floor_time(minutes: int) -> None:
    outcome = handle(named(Phase.FLOOR_TIME), Event.FLOOR_TIME, value=str(minutes))
    assert outcome.exercise.floor_seconds == minutes * 60
    if ex.fits_in_one_response(minutes * 60):
        assert outcome.happened is Happened.FLOOR_TIME_SET
        assert outcome.exercise.phase is Phase.RULES
        assert outcome.timer is TimerAction.NONE
    else:
        assert outcome.happened is Happened.TIMER_NEEDED
        assert outcome.exercise.phase is Phase.TIMER_PERMISSION
        assert outcome.timer is TimerAction.ASK_PERMISSION


@pytest.mark.parametrize("value", [0, 7, None, "abc", "?", 2.5, -1, True, "", "12"])
def test_invalid_floor_time_keeps_the_question(value: Any) -> None:
    state = named(Phase.FLOOR_TIME)
    outcome = handle(state, Event.FLOOR_TIME, value=value)
    assert outcome.happened is Happened.INVALID_FLOOR_TIME
    assert outcome.exercise == state


def test_next_keeps_the_default_or_remembered_floor() -> None:
    assert handle(named(Phase.FLOOR_TIME), Event.NEXT).exercise.floor_seconds == 120
    remembered = named(Phase.FLOOR_TIME, floor_seconds=start(floor_minutes=1).floor_seconds)
    assert handle(remembered, Event.NEXT).exercise.floor_seconds == 60


def test_leaving_the_floor_time_to_the_skill_keeps_the_floor_on_offer() -> None:
    """ "You choose" or "whatever you think" at the floor-time question: the floor it offered."""
    chosen = handle(named(Phase.FLOOR_TIME), Event.COIN_FLIP)
    assert chosen.happened is Happened.FLOOR_TIME_SET
    assert chosen.exercise.floor_seconds == 120
    assert chosen.exercise.phase is Phase.RULES


def test_ground_rules_can_be_skipped_early_or_at_the_rules() -> None:
    noted = handle(named(Phase.FLOOR_TIME), Event.SKIP_RULES)
    assert noted.happened is Happened.RULES_SKIPPED
    assert noted.exercise.skip_rules
    assert noted.exercise.phase is Phase.FLOOR_TIME
    assert handle(noted.exercise, Event.FLOOR_TIME, value=1).exercise.skip_rules
    skipped = handle(named(Phase.RULES), Event.SKIP_RULES)
    assert skipped.exercise.phase is Phase.FLOOR
    assert skipped.entered


# Timings


def test_longest_single_response_floor_is_computed_from_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ex.longest_single_response_floor() == 180
    assert ex.fits_in_one_response(180)
    assert not ex.fits_in_one_response(240)
    monkeypatch.setattr(ex, "FLOOR_FRAME_SECONDS", 150)
    assert ex.longest_single_response_floor() == 60
    monkeypatch.setattr(ex, "RESPONSE_LIMIT_SECONDS", 400)
    assert ex.longest_single_response_floor() == 240


def test_reflection_time_is_half_the_floor_between_thirty_and_sixty_seconds() -> None:
    assert [ex.reflection_seconds(minutes * 60) for minutes in ex.FLOOR_MINUTES] == [30, 60, 60, 60, 60]
    assert named(Phase.REFLECTION, retried=True).reflection_seconds == ex.RETRY_REFLECTION_SECONDS


def test_cue_comes_thirty_seconds_before_the_end_or_at_half_time() -> None:
    assert ex.cue_remaining_seconds(300) == 30
    assert ex.cue_remaining_seconds(60) == 30
    assert ex.cue_remaining_seconds(40) == 20


# Rounds


def test_not_understood_offers_one_more_short_reflection_then_moves_on() -> None:
    retry = handle(named(Phase.REFLECTION), Event.NO)
    assert retry.happened is Happened.NOT_UNDERSTOOD_RETRY
    assert retry.exercise.phase is Phase.REFLECTION
    assert retry.exercise.retried
    assert retry.entered
    assert retry.exercise.reflection_seconds == 30
    moved = handle(retry.exercise, Event.NO)
    assert moved.happened is Happened.NOT_UNDERSTOOD_MOVE_ON
    assert moved.exercise.phase is Phase.FLOOR
    assert moved.exercise.round == 1
    assert not moved.exercise.retried


def test_next_moves_on_in_every_active_phase() -> None:
    for phase in ex.ACTIVE_PHASES:
        state = named(phase)
        outcome = handle(state, Event.NEXT, rng=random.Random(1))
        assert outcome.exercise.phase is not phase, phase
    # From the second reflection, next leads to the appreciation.
    assert handle(named(Phase.REFLECTION, round=1), Event.NEXT).exercise.phase is Phase.APPRECIATION


def test_repeat_and_help_never_restart_a_timer() -> None:
    running = named(Phase.FLOOR, floor_seconds=240, timer_ok=True, timer_running=True)
    for event in (Event.REPEAT, Event.HELP):
        outcome = handle(running, event)
        assert outcome.exercise == running
        assert outcome.timer is TimerAction.NONE
        assert not outcome.entered


# Pause, time out, stop, resume


def test_pause_and_resume() -> None:
    paused = handle(named(Phase.FLOOR, round=1), Event.PAUSE)
    assert paused.happened is Happened.PAUSED
    assert paused.exercise.paused
    assert paused.remember
    assert paused.ends_session  # the mic can't stay open: a relaunch picks up here
    assert handle(paused.exercise, Event.PAUSE).happened is Happened.STILL_PAUSED
    assert handle(paused.exercise, Event.NO).happened is Happened.STILL_PAUSED
    resumed = handle(paused.exercise, Event.RESUME)
    assert resumed.happened is Happened.RESUMED
    assert resumed.entered
    assert resumed.exercise == named(Phase.FLOOR, round=1)


def test_moving_on_while_paused_unpauses() -> None:
    paused = named(Phase.FLOOR, paused=True)
    assert handle(paused, Event.NEXT).exercise == named(Phase.REFLECTION)
    names_paused = Exercise(paused=True)
    assert not handle(names_paused, Event.NAMES, value=["Alex", "Sam"]).exercise.paused


def test_time_out_suggests_a_break_and_remembers_the_phase() -> None:
    outcome = handle(named(Phase.REFLECTION, round=1, retried=True), Event.TIME_OUT)
    assert outcome.happened is Happened.TIMED_OUT
    assert outcome.ends_session
    assert outcome.remember
    assert outcome.entered
    assert outcome.exercise.phase is Phase.TIMED_OUT
    assert outcome.exercise.return_phase is Phase.REFLECTION
    back = handle(outcome.exercise, Event.RESUME)
    assert back.exercise == named(Phase.REFLECTION, round=1, retried=True)
    assert back.entered


@pytest.mark.parametrize("phase", sorted(ex.ACTIVE_PHASES))
def test_stop_mid_phase_and_resume_from_the_stored_dict(phase: Phase) -> None:
    during = named(phase, round=1, floor_seconds=60, skip_rules=True)
    stopped = handle(during, Event.STOP)
    assert stopped.happened is Happened.STOPPED
    assert stopped.ends_session
    assert stopped.remember
    stored = json.loads(json.dumps(stopped.exercise.to_dict()))
    restored = Exercise.from_dict(stored)
    assert restored.phase is Phase.STOPPED
    assert restored.return_phase is phase
    for answer in (Event.RESUME, Event.YES, Event.NEXT):
        resumed = handle(restored, answer)
        assert resumed.happened is Happened.RESUMED
        assert resumed.exercise.phase is phase
        assert resumed.exercise.round == 1
        assert resumed.exercise.floor_seconds == 60


def test_declining_to_resume_forgets_the_exercise() -> None:
    stopped = handle(named(Phase.FLOOR), Event.STOP).exercise
    declined = handle(stopped, Event.NO)
    assert declined.happened is Happened.RESUME_DECLINED
    assert declined.exercise.phase is Phase.ENDED
    assert declined.forget


def test_stop_when_stopped_or_over_says_goodbye() -> None:
    for state in (named(Phase.STOPPED, return_phase=Phase.FLOOR), named(Phase.DONE)):
        outcome = handle(state, Event.STOP)
        assert outcome.happened is Happened.GOODBYE
        assert outcome.ends_session
        assert outcome.exercise == state


@pytest.mark.parametrize("state", STATES, ids=lambda state: f"{state.phase.value}")
def test_abandon_ends_from_every_state_and_remembers_nothing(state: Exercise) -> None:
    outcome = handle(state, Event.ABANDON)
    assert outcome.happened is Happened.ABANDONED
    assert outcome.exercise.phase is Phase.ENDED
    assert outcome.forget
    assert not outcome.remember
    assert not outcome.completed
    assert outcome.timer is (TimerAction.CANCEL if state.timer_running else TimerAction.NONE)


# The timer path


def to_rules_with(minutes: int) -> Outcome:
    return handle(named(Phase.FLOOR_TIME), Event.FLOOR_TIME, value=minutes)


def test_timer_path_granted() -> None:
    asked = to_rules_with(4)
    assert asked.timer is TimerAction.ASK_PERMISSION
    assert not asked.ends_session
    granted = handle(asked.exercise, Event.TIMER_PERMISSION_GRANTED)
    assert granted.happened is Happened.TIMER_GRANTED
    assert granted.exercise.phase is Phase.RULES
    assert granted.exercise.timer_ok
    floor = handle(granted.exercise, Event.NEXT)
    assert floor.timer is TimerAction.START
    assert floor.timer_seconds == 240
    assert floor.ends_session
    assert floor.remember
    assert floor.exercise.timer_running
    time_up = handle(floor.exercise, Event.TIMER_DONE)
    assert time_up.happened is Happened.FLOOR_TIME_UP
    assert not time_up.ends_session
    assert not time_up.exercise.timer_running
    assert time_up.exercise.phase is Phase.FLOOR
    reflection = handle(time_up.exercise, Event.NEXT)
    assert reflection.exercise.phase is Phase.REFLECTION
    assert reflection.timer is TimerAction.NONE
    assert reflection.exercise.reflection_seconds == 60
    swap = handle(reflection.exercise, Event.YES)
    assert swap.timer is TimerAction.START
    assert swap.exercise.speaker == 1
    assert swap.ends_session


def test_a_timer_floor_left_early_cancels_its_timer() -> None:
    running = named(Phase.FLOOR, floor_seconds=300, timer_ok=True, timer_running=True)
    for event in (Event.NEXT, Event.STOP, Event.TIME_OUT, Event.PAUSE, Event.ABANDON):
        outcome = handle(running, event)
        assert outcome.timer is TimerAction.CANCEL, event
        assert not outcome.exercise.timer_running
    resumed = handle(handle(running, Event.PAUSE).exercise, Event.RESUME)
    assert resumed.timer is TimerAction.START
    assert resumed.timer_seconds == 300


@pytest.mark.parametrize("event", [Event.TIMER_PERMISSION_DENIED, Event.TIMER_FAILED, Event.NO, Event.NEXT])
def test_timer_path_denied_falls_back_to_the_longest_floor_that_fits(event: Event) -> None:
    outcome = handle(to_rules_with(5).exercise, event)
    assert outcome.happened is Happened.TIMER_DENIED
    assert outcome.exercise.phase is Phase.RULES
    assert outcome.exercise.floor_seconds == ex.longest_single_response_floor()
    floor = handle(outcome.exercise, Event.NEXT)
    assert floor.timer is TimerAction.NONE
    assert not floor.ends_session


def test_timer_permission_can_be_asked_again_or_the_floor_changed() -> None:
    asked = to_rules_with(4).exercise
    again = handle(asked, Event.YES)
    assert again.timer is TimerAction.ASK_PERMISSION
    assert again.exercise == asked
    shorter = handle(asked, Event.FLOOR_TIME, value=2)
    assert shorter.exercise.phase is Phase.RULES
    assert shorter.exercise.floor_seconds == 120


def test_timer_path_failed_keeps_time_in_the_response() -> None:
    floor = handle(named(Phase.RULES, floor_seconds=240, timer_ok=True), Event.NEXT)
    assert floor.timer is TimerAction.START
    failed = handle(floor.exercise, Event.TIMER_FAILED)
    assert failed.happened is Happened.TIMER_FAILED
    assert failed.entered
    assert failed.exercise.phase is Phase.FLOOR
    assert failed.exercise.floor_seconds == ex.longest_single_response_floor()
    assert not failed.exercise.timer_ok
    assert not failed.exercise.timer_running
    assert not failed.ends_session
    assert failed.timer is TimerAction.NONE


def test_timer_done_outside_a_timer_floor_is_not_now() -> None:
    for state in (named(Phase.FLOOR), named(Phase.REFLECTION), named(Phase.FLOOR, paused=True)):
        outcome = handle(state, Event.TIMER_DONE)
        assert outcome.happened is Happened.NOT_NOW
        assert outcome.exercise == state


# The stored form


def test_to_dict_holds_only_these_small_plain_fields() -> None:
    stored = named(Phase.FLOOR, names=("Alex", None)).to_dict()
    assert set(stored) == {
        "v",
        "phase",
        "names",
        "first",
        "floor",
        "round",
        "paused",
        "return",
        "skip_rules",
        "retried",
        "timer_ok",
        "timer_on",
        "long",
        "exchange",
        "readback",
        "restart",
    }
    assert stored["names"] == ["Alex", ""]
    assert all(plain(value) for value in stored.values())


@pytest.mark.parametrize(
    "change",
    [
        {"v": 3},
        {"v": True},
        {"exchange": 9},
        {"exchange": -1},
        {"long": 2},
        {"readback": 1},
        {"restart": "1"},
        {"phase": "dancing"},
        {"floor": 90},
        {"floor": "120"},
        {"names": ["<b>", ""]},
        {"names": ["alex", ""]},
        {"names": "Alex"},
        {"first": 2},
        {"paused": "1"},
        {"paused": True},
        {"round": 3},
        {"return": "floor"},
        {"timer_on": 1},
        {"retried": 5},
    ],
)
def test_from_dict_rejects_bad_stored_data(change: dict[str, Any]) -> None:
    stored = {**named(Phase.FLOOR).to_dict(), **change}
    with pytest.raises(InvalidState):
        Exercise.from_dict(stored)


@pytest.mark.parametrize("data", [None, [], "state", {}, {"v": 1}])
def test_from_dict_rejects_what_is_not_a_stored_exercise(data: Any) -> None:
    with pytest.raises(ValueError, match="exercise"):
        Exercise.from_dict(data)


# Short exchanges and the controls added with them


def test_a_default_turn_is_short_exchanges_split_at_hand_overs() -> None:
    assert ex.turn_blocks(60) == (2,)
    assert ex.turn_blocks(120) == (2, 2)
    assert [sum(ex.turn_blocks(m * 60)) * ex.CHUNK_SECONDS for m in range(1, 6)] == [60, 120, 180, 240, 300]
    assert all(sum(ex.turn_blocks(m * 60)) >= 2 for m in range(1, 6))
    floor = handle(short(Phase.RULES), Event.NEXT)
    assert floor.exercise.exchange == 0
    assert not floor.ends_session
    assert floor.timer is TimerAction.NONE
    more = handle(floor.exercise, Event.NEXT)
    assert more.happened is Happened.TURN_CONTINUED
    assert more.entered
    assert more.exercise.exchange == 1
    summary = handle(more.exercise, Event.NEXT)
    assert summary.exercise.phase is Phase.REFLECTION
    assert summary.exercise.exchange == 0


@pytest.mark.parametrize("minutes", [4, 5])
def test_short_exchanges_never_need_a_timer_and_long_turns_do(minutes: int) -> None:
    chosen = handle(short(Phase.FLOOR_TIME), Event.FLOOR_TIME, value=minutes)
    assert chosen.exercise.phase is Phase.RULES
    assert chosen.timer is TimerAction.NONE
    long = handle(chosen.exercise, Event.TURN_STYLE, value="long")
    assert long.happened is Happened.TURN_STYLE_SET
    assert long.exercise.long_turns
    assert long.exercise.phase is Phase.TIMER_PERMISSION
    assert long.timer is TimerAction.ASK_PERMISSION
    back = handle(long.exercise, Event.TURN_STYLE, value="short")
    assert back.exercise.phase is Phase.RULES
    assert not back.exercise.long_turns


def test_turn_style_is_for_setup_and_bad_values_are_not_now() -> None:
    assert handle(short(Phase.NAMES), Event.TURN_STYLE, value="long").exercise.long_turns
    assert handle(short(Phase.FLOOR), Event.TURN_STYLE, value="long").happened is Happened.NOT_NOW
    assert handle(short(Phase.RULES), Event.TURN_STYLE, value="sideways").happened is Happened.NOT_NOW
    assert start(floor_minutes=3, long_turns=True).long_turns


def test_not_understood_gives_the_speaker_a_window_then_one_retry_then_the_gentle_close() -> None:
    retry = handle(short(Phase.REFLECTION), Event.NO)
    assert retry.happened is Happened.NOT_UNDERSTOOD_RETRY
    assert retry.entered
    assert retry.exercise.retried
    close = handle(retry.exercise, Event.NO)
    assert close.happened is Happened.NOT_UNDERSTOOD_MOVE_ON
    assert close.exercise.phase is Phase.FLOOR
    assert close.exercise.round == 1


def test_start_my_turn_again_replays_only_timed_phases() -> None:
    mid = short(Phase.FLOOR, exchange=1)
    again = handle(mid, Event.RESTART_TURN)
    assert again.happened is Happened.TURN_RESTARTED
    assert again.entered
    assert again.exercise.exchange == 0
    assert handle(short(Phase.REFLECTION), Event.RESTART_TURN).entered
    assert handle(short(Phase.RULES), Event.RESTART_TURN).happened is Happened.NOT_NOW
    repeat = handle(mid, Event.REPEAT)
    assert repeat.happened is Happened.REPEATED
    assert not repeat.entered


def test_start_over_offers_a_restart_that_keeps_names_floor_and_style() -> None:
    state = short(Phase.REFLECTION, round=1, floor_seconds=180, skip_rules=True)
    offered = handle(state, Event.START_OVER)
    assert offered.happened is Happened.RESTART_OFFERED
    assert offered.exercise.restart_offer
    assert handle(offered.exercise, Event.REPEAT).happened is Happened.RESTART_OFFERED
    declined = handle(offered.exercise, Event.NO)
    assert declined.happened is Happened.RESTART_DECLINED
    assert declined.exercise == state
    restarted = handle(offered.exercise, Event.YES)
    assert restarted.happened is Happened.RESTARTED
    fresh = restarted.exercise
    assert (fresh.phase, fresh.names, fresh.floor_seconds, fresh.round) == (
        Phase.FIRST_SPEAKER,
        NAMES,
        180,
        0,
    )
    carried_on = handle(offered.exercise, Event.NEXT)
    assert not carried_on.exercise.restart_offer


@pytest.mark.parametrize("value", ["nervous", "crying", "not sure", ["nervous", "upset"], ["I", "dunno"]])
def test_words_that_are_not_names_are_not_taken(value: Any) -> None:
    outcome = handle(Exercise(), Event.NAMES, value=value)
    assert outcome.happened is Happened.NOT_A_NAME
    assert outcome.exercise == Exercise()


def test_names_are_read_back_once_and_can_be_changed_later() -> None:
    readback = handle(Exercise(), Event.NAMES, value=["Sam", "Alex"])
    assert readback.happened is Happened.NAMES_READ_BACK
    wrong = handle(readback.exercise, Event.NO)
    assert wrong.exercise.phase is Phase.NAMES
    assert wrong.exercise.names == (None, None)
    floor = short(Phase.FLOOR)
    assert handle(floor, Event.WRONG_NAME).happened is Happened.WRONG_NAME
    changed = handle(floor, Event.NAMES, value=["Kim", "Lee"])
    assert changed.happened is Happened.NAMES_CHANGED
    assert changed.exercise == short(Phase.FLOOR, names=("Kim", "Lee"))
    assert handle(floor, Event.NAMES, value="Kim").happened is Happened.INVALID_NAMES


def test_i_will_start_asks_which_of_them_with_names_and_names_roles_without() -> None:
    named_state = short(Phase.FIRST_SPEAKER, first_speaker=None)
    assert handle(named_state, Event.FIRST_SPEAKER, value=(None, "me")).happened is Happened.WHICH_SPEAKER
    assert handle(named_state, Event.FIRST_SPEAKER, value=("Sam", None)).exercise.first_speaker == 1
    unnamed = short(Phase.FIRST_SPEAKER, names=(None, None), first_speaker=None)
    chosen = handle(unnamed, Event.FIRST_SPEAKER, value=(None, "me"))
    assert chosen.happened is Happened.FIRST_SPEAKER_SET
    assert chosen.exercise.first_speaker == 0


def test_time_questions_answer_from_the_state_and_change_nothing() -> None:
    for state in STATES:
        for event in (Event.WHOSE_TURN, Event.TIME_LEFT, Event.HOW_LONG):
            outcome = handle(state, event)
            assert outcome.exercise == state
            assert not outcome.entered
    first = short(Phase.FLOOR)
    later = short(Phase.FLOOR, exchange=1)
    assert first.speaking_left() == 120
    assert later.speaking_left() == 60
    assert first.seconds_left() > later.seconds_left() > short(Phase.REFLECTION).seconds_left()
    assert short(Phase.REFLECTION).seconds_left() > short(Phase.REFLECTION, round=1).seconds_left()
    assert short(Phase.DONE).seconds_left() == 0
    assert 10 * 60 <= short(Phase.NAMES).total_seconds() <= 20 * 60  # Markman's 15-minute meeting


def test_version_one_states_read_back_as_long_turns() -> None:
    stored = named(Phase.FLOOR).to_dict()
    old = {
        key: value for key, value in stored.items() if key not in ("long", "exchange", "readback", "restart")
    }
    old["v"] = 1
    assert Exercise.from_dict(old) == named(Phase.FLOOR)
