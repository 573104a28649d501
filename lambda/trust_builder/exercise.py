"""The timed active-listening exercise as a pure state machine: no Alexa types, no I/O, no words.

Two partners take turns (PREP's Speaker-Listener technique): one holds the floor, the other reflects back
what they heard, the speaker says whether they felt understood; then they swap, and close by naming one
thing they appreciated about how the other listened. Handlers map intents to `Event`s, call `handle`, send
what `exercise_script.render` makes of the `Outcome`, and act on its flags (timers, progress, session end).

The state is plain data (`Exercise.to_dict` / `from_dict`: ints and strings only) so the progress store can
keep an unfinished exercise. It holds first names (which partners may decline) and never anything said
during the exercise: the skill never receives that anyway.

Keeping time: Alexa cannot keep a silent microphone open, so each timed phase is one response whose SSML
holds the time (chained breaks), at most `RESPONSE_LIMIT_SECONDS` long. Floors that don't fit with their
spoken frame need the Alexa Timers API: the machine asks for permission (`TimerAction.ASK_PERMISSION`),
starts a timer when such a floor begins (`TimerAction.START`, the session ends) and continues on
`Event.TIMER_DONE`; without permission it falls back to the longest floor that fits in one response.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

# Alexa plays at most 240 s of audio in one response; we count speech, breaks and sounds against it.
RESPONSE_LIMIT_SECONDS = 240
# The most the spoken frame around a one-response floor may take: an acknowledgement, the roles, the start
# and end sounds, "time's up" and the closing prompt. tests/test_exercise_script.py checks every rendered
# floor against it, so a longer script line fails there rather than on a device.
FLOOR_FRAME_SECONDS = 50
FLOOR_MINUTES = range(1, 6)  # whole minutes a couple may choose by voice
DEFAULT_FLOOR_SECONDS = 120  # PREP favours brief turns; 2 + 2 minutes keep the exercise near ten minutes
CUE_REMAINING_SECONDS = 30  # "about thirty seconds left"
APPRECIATION_SECONDS = 20  # each partner's space to name what they appreciated
RETRY_REFLECTION_SECONDS = 30  # a second, shorter go when the speaker did not feel understood
REFLECTION_MIN_SECONDS = 30
REFLECTION_MAX_SECONDS = 60
NAME_MAX_CHARS = 30
NAME_MAX_WORDS = 3
_STATE_VERSION = 1


def fits_in_one_response(floor_seconds: int) -> bool:
    """Whether a floor of this length, with its spoken frame, fits in one response."""
    return floor_seconds + FLOOR_FRAME_SECONDS <= RESPONSE_LIMIT_SECONDS


def longest_single_response_floor() -> int:
    """The longest floor (whole minutes, in seconds) that needs no timer: the fallback without permission."""
    fitting = [minutes * 60 for minutes in FLOOR_MINUTES if fits_in_one_response(minutes * 60)]
    return max(fitting, default=FLOOR_MINUTES[0] * 60)


def reflection_seconds(floor_seconds: int) -> int:
    """The listener's time to sum up: half the floor, at least 30 s, at most 60 s.

    A reflection is a summary, not a second speech: half the floor keeps it in proportion to what was said,
    30 s leaves room for two or three paraphrased sentences plus "Did I get that? Is there more?" (about 75
    words at 150 a minute), and 60 s stops a long floor from turning the reflection into a rebuttal.
    Floors of 1 to 5 minutes give 30, 60, 60, 60 and 60 s.
    """
    return max(REFLECTION_MIN_SECONDS, min(REFLECTION_MAX_SECONDS, floor_seconds // 2))


def cue_remaining_seconds(floor_seconds: int) -> int:
    """When the spoken cue comes: about 30 s before the end, or at half time for floors of 60 s or less."""
    return CUE_REMAINING_SECONDS if floor_seconds > 60 else floor_seconds // 2


class Phase(StrEnum):
    NAMES = "names"  # asking first names (one at a time is fine)
    CONFIRM_NAMES = "confirm_names"  # names known from progress are offered
    FIRST_SPEAKER = "first_speaker"  # who goes first: a name, or a coin flip
    FLOOR_TIME = "floor_time"  # minutes each, 1 to 5
    TIMER_PERMISSION = "timer_permission"  # the floor needs a timer: waiting for consent
    RULES = "rules"  # ground rules (skippable), then "say next to begin"
    FLOOR = "floor"  # the speaker holds the floor (timed)
    REFLECTION = "reflection"  # the listener sums up (timed), then: did you feel understood?
    APPRECIATION = "appreciation"  # each names what they appreciated (timed)
    DONE = "done"  # completed
    STOPPED = "stopped"  # stop or cancel: remembers return_phase
    TIMED_OUT = "timed_out"  # a time out (flooding): remembers return_phase
    ENDED = "ended"  # abandoned or not resumed: nothing to remember


SETUP_PHASES = frozenset(
    {
        Phase.NAMES,
        Phase.CONFIRM_NAMES,
        Phase.FIRST_SPEAKER,
        Phase.FLOOR_TIME,
        Phase.TIMER_PERMISSION,
        Phase.RULES,
    }
)
TIMED_PHASES = frozenset({Phase.FLOOR, Phase.REFLECTION, Phase.APPRECIATION})
ACTIVE_PHASES = SETUP_PHASES | TIMED_PHASES
INTERRUPTED_PHASES = frozenset({Phase.STOPPED, Phase.TIMED_OUT})
OVER_PHASES = frozenset({Phase.DONE, Phase.ENDED})


class Event(StrEnum):
    NAMES = "names"  # value: a name, or a pair of names (None where not given)
    FIRST_SPEAKER = "first_speaker"  # value: a first name, or 0 / 1
    COIN_FLIP = "coin_flip"
    FLOOR_TIME = "floor_time"  # value: whole minutes (int or digit string)
    SKIP_RULES = "skip_rules"
    NEXT = "next"  # also skip, done, continue; barge-in during a timed phase
    YES = "yes"
    NO = "no"
    REPEAT = "repeat"
    PAUSE = "pause"
    RESUME = "resume"  # also the answer "yes" to a resume offer after a relaunch
    TIME_OUT = "time_out"
    STOP = "stop"  # stop and cancel
    HELP = "help"
    FALLBACK = "fallback"  # an utterance the model did not understand
    ABANDON = "abandon"  # a safety phrase: the exercise ends and nothing is remembered
    TIMER_PERMISSION_GRANTED = "timer_permission_granted"
    TIMER_PERMISSION_DENIED = "timer_permission_denied"  # also NOT_ANSWERED
    TIMER_FAILED = "timer_failed"  # creating the timer (or asking for consent) failed
    TIMER_DONE = "timer_done"  # the timer relaunched the skill: the floor is over


class Happened(StrEnum):
    """What the transition was: the script's key for what to say."""

    STARTED = "started"
    NAME_NOTED = "name_noted"
    NAMES_SET = "names_set"
    NAMES_DECLINED = "names_declined"
    NAMES_KEPT = "names_kept"
    NAMES_REJECTED = "names_rejected"
    INVALID_NAMES = "invalid_names"
    FIRST_SPEAKER_SET = "first_speaker_set"
    COIN_FLIPPED = "coin_flipped"
    UNKNOWN_SPEAKER = "unknown_speaker"
    FLOOR_TIME_SET = "floor_time_set"
    INVALID_FLOOR_TIME = "invalid_floor_time"
    TIMER_NEEDED = "timer_needed"
    TIMER_GRANTED = "timer_granted"
    TIMER_DENIED = "timer_denied"
    TIMER_FAILED = "timer_failed"
    RULES_SKIPPED = "rules_skipped"
    FLOOR_STARTED = "floor_started"
    FLOOR_TIME_UP = "floor_time_up"
    MOVED_ON = "moved_on"
    FELT_UNDERSTOOD = "felt_understood"
    NOT_UNDERSTOOD_RETRY = "not_understood_retry"
    NOT_UNDERSTOOD_MOVE_ON = "not_understood_move_on"
    COMPLETED = "completed"
    REPEATED = "repeated"
    HELP = "help"
    PAUSED = "paused"
    STILL_PAUSED = "still_paused"
    RESUMED = "resumed"
    NOT_NOW = "not_now"
    NOT_UNDERSTOOD = "not_understood"
    STOPPED = "stopped"
    TIMED_OUT = "timed_out"
    GOODBYE = "goodbye"
    ABANDONED = "abandoned"
    RESUME_DECLINED = "resume_declined"


class TimerAction(StrEnum):
    """What the handler must do with the Alexa Timers API for this outcome."""

    NONE = "none"
    ASK_PERMISSION = (
        "ask_permission"  # send Connections.SendRequest AskFor (or answer GRANTED if already held)
    )
    START = (
        "start"  # create a LAUNCH_TASK timer of timer_seconds, replacing one set earlier for this exercise
    )
    CANCEL = "cancel"  # delete the timer set for this exercise, if any


class InvalidState(ValueError):
    """Stored exercise data that cannot be read back: start a fresh exercise instead."""


Names = tuple[str | None, str | None]


@dataclass(frozen=True)
class Exercise:
    phase: Phase = Phase.NAMES
    names: Names = (None, None)  # None: not given yet (in NAMES) or declined ("partner one / two")
    first_speaker: int | None = None  # 0 or 1, an index into names
    floor_seconds: int = DEFAULT_FLOOR_SECONDS
    round: int = 0  # 0: the first speaker holds the floor; 1: roles swapped
    paused: bool = False
    return_phase: Phase | None = None  # where to pick up after a stop or time out
    skip_rules: bool = False
    retried: bool = False  # the listener already had a second go in this round
    timer_ok: bool = False  # permission to set timers was granted
    timer_running: bool = False  # a timer floor is in progress (the session has ended)

    def __post_init__(self) -> None:
        _check(self)

    @property
    def speaker(self) -> int:
        """Index of the partner holding the floor in this round."""
        first = self.first_speaker or 0
        return first if self.round == 0 else 1 - first

    @property
    def listener(self) -> int:
        return 1 - self.speaker

    @property
    def is_over(self) -> bool:
        return self.phase in OVER_PHASES

    @property
    def is_interrupted(self) -> bool:
        return self.phase in INTERRUPTED_PHASES

    @property
    def resumable_phase(self) -> Phase | None:
        """The phase a resume would return to, or None when the exercise is over."""
        if self.is_over:
            return None
        return self.return_phase if self.is_interrupted else self.phase

    @property
    def floor_minutes(self) -> int:
        return self.floor_seconds // 60

    @property
    def reflection_seconds(self) -> int:
        return RETRY_REFLECTION_SECONDS if self.retried else reflection_seconds(self.floor_seconds)

    @property
    def needs_timer(self) -> bool:
        return not fits_in_one_response(self.floor_seconds)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-able data (ints and strings only) for the progress store."""
        return {
            "v": _STATE_VERSION,
            "phase": self.phase.value,
            "names": [name or "" for name in self.names],
            "first": -1 if self.first_speaker is None else self.first_speaker,
            "floor": self.floor_seconds,
            "round": self.round,
            "paused": int(self.paused),
            "return": self.return_phase.value if self.return_phase else "",
            "skip_rules": int(self.skip_rules),
            "retried": int(self.retried),
            "timer_ok": int(self.timer_ok),
            "timer_on": int(self.timer_running),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Exercise:
        """The exercise stored by to_dict. Raises InvalidState (a ValueError) for anything else."""
        if not isinstance(data, Mapping):
            raise InvalidState("stored exercise is not a mapping")
        if data.get("v") != _STATE_VERSION:
            raise InvalidState(f"unknown exercise state version {data.get('v')!r}")
        try:
            names = data["names"]
            if not isinstance(names, list | tuple) or len(names) != 2:
                raise InvalidState("names must be a pair")
            first = _int(data["first"])
            return_value = data["return"]
            if not isinstance(return_value, str):
                raise InvalidState("return must be a string")
            return cls(
                phase=Phase(data["phase"]),
                names=(_stored_name(names[0]), _stored_name(names[1])),
                first_speaker=None if first == -1 else first,
                floor_seconds=_int(data["floor"]),
                round=_int(data["round"]),
                paused=_flag(data["paused"]),
                return_phase=Phase(return_value) if return_value else None,
                skip_rules=_flag(data["skip_rules"]),
                retried=_flag(data["retried"]),
                timer_ok=_flag(data["timer_ok"]),
                timer_running=_flag(data["timer_on"]),
            )
        except KeyError as error:
            raise InvalidState(f"stored exercise lacks {error}") from error
        except (TypeError, ValueError) as error:
            if isinstance(error, InvalidState):
                raise
            raise InvalidState(f"stored exercise is invalid: {error}") from error


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidState(f"expected an integer, got {value!r}")
    return value


def _flag(value: Any) -> bool:
    if _int(value) not in (0, 1):
        raise InvalidState(f"expected 0 or 1, got {value!r}")
    return bool(value)


def _stored_name(value: Any) -> str | None:
    if not isinstance(value, str):
        raise InvalidState(f"a stored name must be a string, got {value!r}")
    if value == "":
        return None
    cleaned = clean_name(value)
    if cleaned != value:
        raise InvalidState(f"stored name {value!r} is not a clean first name")
    return cleaned


def _check(exercise: Exercise) -> None:
    """The invariants every state keeps; from_dict relies on them to reject bad stored data."""
    if not isinstance(exercise.phase, Phase):
        raise InvalidState(f"bad phase {exercise.phase!r}")
    if not isinstance(exercise.names, tuple) or len(exercise.names) != 2:
        raise InvalidState("names must be a pair")
    if any(name is not None and clean_name(name) != name for name in exercise.names):
        raise InvalidState(f"names must be clean first names: {exercise.names!r}")
    if exercise.first_speaker not in (None, 0, 1) or isinstance(exercise.first_speaker, bool):
        raise InvalidState(f"bad first speaker {exercise.first_speaker!r}")
    if exercise.floor_seconds not in {minutes * 60 for minutes in FLOOR_MINUTES}:
        raise InvalidState(f"bad floor time {exercise.floor_seconds!r}")
    if exercise.round not in (0, 1) or isinstance(exercise.round, bool):
        raise InvalidState(f"bad round {exercise.round!r}")
    for flag in ("paused", "skip_rules", "retried", "timer_ok", "timer_running"):
        if not isinstance(getattr(exercise, flag), bool):
            raise InvalidState(f"{flag} must be a bool")
    if exercise.is_interrupted != (exercise.return_phase is not None):
        raise InvalidState("a return phase belongs to stopped and timed-out exercises only")
    if exercise.return_phase is not None and exercise.return_phase not in ACTIVE_PHASES:
        raise InvalidState(f"cannot return to {exercise.return_phase!r}")
    if exercise.paused and exercise.phase not in ACTIVE_PHASES:
        raise InvalidState("only an active exercise can be paused")
    resumable = exercise.resumable_phase
    if resumable in TIMED_PHASES | {Phase.RULES} and exercise.first_speaker is None:
        raise InvalidState("the rounds need a first speaker")
    if exercise.timer_running and (exercise.phase is not Phase.FLOOR or not exercise.timer_ok):
        raise InvalidState("a timer runs only during a permitted timer floor")


@dataclass(frozen=True)
class Outcome:
    """A transition: the new state, what happened, and what the handler must do about it."""

    exercise: Exercise
    happened: Happened
    entered: bool = False  # the phase (re)started: the script plays its entry; timed phases run their time
    completed: bool = False  # the exercise was just finished: record it in progress
    ends_session: bool = False
    timer: TimerAction = TimerAction.NONE
    timer_seconds: int = 0  # for TimerAction.START

    @property
    def remember(self) -> bool:
        """Store the state as the household's unfinished exercise (the session may end at any moment)."""
        return not self.exercise.is_over

    @property
    def forget(self) -> bool:
        """Clear any stored unfinished exercise: it is completed or abandoned."""
        return self.exercise.is_over

    @property
    def needs_timer(self) -> bool:
        return self.timer is not TimerAction.NONE


def clean_name(value: Any) -> str | None:
    """A first name fit to be spoken and stored, or None: letters with spaces, hyphens, apostrophes, dots."""
    if not isinstance(value, str):
        return None
    words = value.split()
    text = " ".join(words)
    if not text or len(text) > NAME_MAX_CHARS or len(words) > NAME_MAX_WORDS:
        return None
    if not any(char.isalpha() for char in text):
        return None
    if not all(char.isalpha() or char in " -'." for char in text):
        return None
    return " ".join(word[:1].upper() + word[1:] if word.islower() else word for word in words)


def start(names: Any = None, floor_minutes: Any = None) -> Exercise:
    """A new exercise. Names known from progress are offered for confirmation instead of asked again;
    a floor time known from progress becomes the default. Unusable values are ignored."""
    known: Names = (None, None)
    if isinstance(names, list | tuple) and len(names) == 2:
        known = (clean_name(names[0]), clean_name(names[1]))
    minutes = _minutes(floor_minutes)
    floor = minutes * 60 if minutes is not None else DEFAULT_FLOOR_SECONDS
    if any(known) and known[0] != known[1]:
        return Exercise(phase=Phase.CONFIRM_NAMES, names=known, floor_seconds=floor)
    return Exercise(phase=Phase.NAMES, floor_seconds=floor)


def begin(names: Any = None, floor_minutes: Any = None) -> Outcome:
    """start(), as the outcome the handler renders first."""
    return Outcome(start(names, floor_minutes), Happened.STARTED, entered=True)


def handle(
    exercise: Exercise, event: Event | str, *, value: Any = None, rng: random.Random | None = None
) -> Outcome:
    """The outcome of an event in a state. Defined for every state and event; never raises for bad values."""
    try:
        event = Event(event)
    except (ValueError, TypeError):
        event = Event.FALLBACK
    if event is Event.ABANDON:
        return _leave(
            exercise, replace(_idle(exercise), phase=Phase.ENDED, return_phase=None), Happened.ABANDONED
        )
    if exercise.is_over:
        return _when_over(exercise, event)
    if exercise.is_interrupted:
        return _when_interrupted(exercise, event)
    if event in (Event.STOP, Event.TIME_OUT):
        phase, happened = (
            (Phase.STOPPED, Happened.STOPPED)
            if event is Event.STOP
            else (Phase.TIMED_OUT, Happened.TIMED_OUT)
        )
        interrupted = replace(_idle(exercise), phase=phase, return_phase=exercise.phase)
        return _leave(exercise, interrupted, happened, entered=True, ends_session=True)
    if event in _IN_PLACE:
        return Outcome(exercise, _IN_PLACE[event])
    if event is Event.PAUSE:
        if exercise.paused:
            return Outcome(exercise, Happened.STILL_PAUSED)
        return _leave(exercise, replace(_idle(exercise), paused=True), Happened.PAUSED)
    if exercise.paused:
        if event in (Event.RESUME, Event.YES):
            return _enter(replace(exercise, paused=False), Happened.RESUMED)
        if event is Event.NO:
            return Outcome(exercise, Happened.STILL_PAUSED)
        if event in _TIMER_EVENTS:
            return Outcome(exercise, Happened.NOT_NOW)
        # Anything that moves the exercise on means they are back: carry on unpaused.
        outcome = _PHASE_HANDLERS[exercise.phase](replace(exercise, paused=False), event, value, rng)
        return _not_now(exercise) if outcome.happened is Happened.NOT_NOW else outcome
    if event is Event.RESUME:
        return _enter(exercise, Happened.RESUMED)
    return _PHASE_HANDLERS[exercise.phase](exercise, event, value, rng)


# Events answered where the exercise stands, in every phase: nothing changes.
_IN_PLACE = {
    Event.HELP: Happened.HELP,
    Event.REPEAT: Happened.REPEATED,
    Event.FALLBACK: Happened.NOT_UNDERSTOOD,
}

_TIMER_EVENTS = frozenset(
    {Event.TIMER_PERMISSION_GRANTED, Event.TIMER_PERMISSION_DENIED, Event.TIMER_FAILED, Event.TIMER_DONE}
)


def _idle(exercise: Exercise) -> Exercise:
    """The state without a running timer or pause (the caller cancels the timer)."""
    return replace(exercise, timer_running=False, paused=False)


def _leave(
    before: Exercise,
    after: Exercise,
    happened: Happened,
    *,
    entered: bool = False,
    ends_session: bool = False,
) -> Outcome:
    """An outcome that leaves the current phase; a timer still running for it is cancelled."""
    timer = TimerAction.CANCEL if before.timer_running and not after.timer_running else TimerAction.NONE
    return Outcome(after, happened, entered=entered, ends_session=ends_session, timer=timer)


def _enter(exercise: Exercise, happened: Happened, *, before: Exercise | None = None) -> Outcome:
    """Outcome of (re)starting the exercise's phase, with the side effects entering it needs."""
    before = before or exercise
    if exercise.phase is Phase.TIMER_PERMISSION:
        return Outcome(exercise, happened, entered=True, timer=TimerAction.ASK_PERMISSION)
    if exercise.phase is Phase.FLOOR and exercise.needs_timer:
        if exercise.timer_ok:
            running = replace(exercise, timer_running=True)
            return Outcome(
                running,
                happened,
                entered=True,
                ends_session=True,
                timer=TimerAction.START,
                timer_seconds=running.floor_seconds,
            )
        # No permission (e.g. revoked since): keep time ourselves with the longest floor that fits.
        exercise = replace(exercise, floor_seconds=longest_single_response_floor(), timer_running=False)
        happened = Happened.TIMER_FAILED
    if exercise.phase is Phase.DONE:
        return Outcome(exercise, happened, entered=True, completed=True)
    return _leave(before, exercise, happened, entered=True)


def _not_now(exercise: Exercise) -> Outcome:
    return Outcome(exercise, Happened.NOT_NOW)


def _when_over(exercise: Exercise, event: Event) -> Outcome:
    if event is Event.STOP:
        return Outcome(exercise, Happened.GOODBYE, ends_session=True)
    if event in _IN_PLACE:
        return Outcome(exercise, _IN_PLACE[event])
    return _not_now(exercise)


def _when_interrupted(exercise: Exercise, event: Event) -> Outcome:
    """Stopped or timed out; the handler offers to pick up (exercise_script.resume_offer)."""
    assert exercise.return_phase is not None
    if event in (Event.RESUME, Event.YES, Event.NEXT):
        return _enter(replace(exercise, phase=exercise.return_phase, return_phase=None), Happened.RESUMED)
    if event is Event.NO:
        return Outcome(replace(exercise, phase=Phase.ENDED, return_phase=None), Happened.RESUME_DECLINED)
    if event is Event.STOP:
        return Outcome(exercise, Happened.GOODBYE, ends_session=True)
    if event is Event.TIME_OUT:
        return Outcome(
            replace(exercise, phase=Phase.TIMED_OUT), Happened.TIMED_OUT, entered=True, ends_session=True
        )
    if event in _IN_PLACE:
        return Outcome(exercise, _IN_PLACE[event])
    return _not_now(exercise)


# Setup


def _skip_rules_noted(exercise: Exercise) -> Outcome:
    return Outcome(replace(exercise, skip_rules=True), Happened.RULES_SKIPPED)


def _names_phase(exercise: Exercise, event: Event, value: Any, rng: random.Random | None) -> Outcome:
    if event is Event.NAMES:
        return _take_names(exercise, value)
    if event in (Event.NEXT, Event.NO):
        return _enter(replace(exercise, phase=Phase.FIRST_SPEAKER), Happened.NAMES_DECLINED)
    if event is Event.SKIP_RULES:
        return _skip_rules_noted(exercise)
    return _not_now(exercise)


def _confirm_names_phase(exercise: Exercise, event: Event, value: Any, rng: random.Random | None) -> Outcome:
    if event in (Event.YES, Event.NEXT):
        return _enter(replace(exercise, phase=Phase.FIRST_SPEAKER), Happened.NAMES_KEPT)
    if event is Event.NO:
        return _enter(replace(exercise, phase=Phase.NAMES, names=(None, None)), Happened.NAMES_REJECTED)
    if event is Event.NAMES:
        return _take_names(replace(exercise, phase=Phase.NAMES, names=(None, None)), value, keep=exercise)
    if event is Event.SKIP_RULES:
        return _skip_rules_noted(exercise)
    return _not_now(exercise)


def _given_names(value: Any) -> list[str | None]:
    """What a NAMES value holds: one name or a pair, each cleaned (None where unusable or absent)."""
    if isinstance(value, str):
        return [clean_name(value)]
    if isinstance(value, list | tuple) and 1 <= len(value) <= 2:
        return [clean_name(item) for item in value]
    return []


def _same(one: str, other: str) -> bool:
    return one.casefold() == other.casefold()


def _take_names(exercise: Exercise, value: Any, *, keep: Exercise | None = None) -> Outcome:
    """Names given in NAMES (or over an offer). `keep` is the state to stay in when they are unusable."""
    unchanged = keep or exercise
    given = [name for name in _given_names(value) if name]
    if not given:
        return Outcome(unchanged, Happened.INVALID_NAMES)
    known = exercise.names[0]
    if len(given) == 2:
        first, second = given
    elif known is None:
        return Outcome(replace(exercise, names=(given[0], None)), Happened.NAME_NOTED)
    else:
        first, second = known, given[0]
    if _same(first, second):
        return Outcome(unchanged, Happened.INVALID_NAMES)
    return _enter(replace(exercise, phase=Phase.FIRST_SPEAKER, names=(first, second)), Happened.NAMES_SET)


def _first_speaker_phase(exercise: Exercise, event: Event, value: Any, rng: random.Random | None) -> Outcome:
    if event is Event.FIRST_SPEAKER:
        chosen = _speaker_index(exercise, value)
        if chosen is None:
            return Outcome(exercise, Happened.UNKNOWN_SPEAKER)
        return _enter(
            replace(exercise, phase=Phase.FLOOR_TIME, first_speaker=chosen), Happened.FIRST_SPEAKER_SET
        )
    if event in (Event.COIN_FLIP, Event.NEXT):
        flip = (rng or random.Random()).randrange(2)
        return _enter(replace(exercise, phase=Phase.FLOOR_TIME, first_speaker=flip), Happened.COIN_FLIPPED)
    if event is Event.SKIP_RULES:
        return _skip_rules_noted(exercise)
    return _not_now(exercise)


def _speaker_index(exercise: Exercise, value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value in (0, 1) else None
    name = clean_name(value)
    if name is None:
        return None
    matches = [index for index, known in enumerate(exercise.names) if known and _same(known, name)]
    return matches[0] if len(matches) == 1 else None


def _minutes(value: Any) -> int | None:
    """Whole minutes from 1 to 5, from an int or a digit string (AMAZON.NUMBER slot values); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 3:
        value = int(value.strip())
    if isinstance(value, int) and value in FLOOR_MINUTES:
        return value
    return None


def _set_floor(exercise: Exercise, value: Any) -> Outcome:
    minutes = _minutes(value)
    if minutes is None:
        return Outcome(exercise, Happened.INVALID_FLOOR_TIME)
    chosen = replace(exercise, floor_seconds=minutes * 60)
    if chosen.needs_timer and not chosen.timer_ok:
        return _enter(replace(chosen, phase=Phase.TIMER_PERMISSION), Happened.TIMER_NEEDED)
    return _enter(replace(chosen, phase=Phase.RULES), Happened.FLOOR_TIME_SET)


def _floor_time_phase(exercise: Exercise, event: Event, value: Any, rng: random.Random | None) -> Outcome:
    if event is Event.FLOOR_TIME:
        return _set_floor(exercise, value)
    if event in (Event.NEXT, Event.YES):
        return _set_floor(exercise, exercise.floor_minutes)
    if event is Event.SKIP_RULES:
        return _skip_rules_noted(exercise)
    return _not_now(exercise)


def _timer_permission_phase(
    exercise: Exercise, event: Event, value: Any, rng: random.Random | None
) -> Outcome:
    if event is Event.TIMER_PERMISSION_GRANTED:
        return _enter(replace(exercise, phase=Phase.RULES, timer_ok=True), Happened.TIMER_GRANTED)
    if event in (Event.TIMER_PERMISSION_DENIED, Event.TIMER_FAILED, Event.NO, Event.NEXT):
        fallback = replace(
            exercise, phase=Phase.RULES, timer_ok=False, floor_seconds=longest_single_response_floor()
        )
        return _enter(fallback, Happened.TIMER_DENIED)
    if event is Event.YES:
        return _enter(exercise, Happened.TIMER_NEEDED)
    if event is Event.FLOOR_TIME:
        return _set_floor(exercise, value)
    if event is Event.SKIP_RULES:
        return _skip_rules_noted(exercise)
    return _not_now(exercise)


def _rules_phase(exercise: Exercise, event: Event, value: Any, rng: random.Random | None) -> Outcome:
    if event in (Event.NEXT, Event.YES):
        return _enter(replace(exercise, phase=Phase.FLOOR, round=0, retried=False), Happened.FLOOR_STARTED)
    if event is Event.SKIP_RULES:
        floor = replace(exercise, phase=Phase.FLOOR, round=0, retried=False, skip_rules=True)
        return _enter(floor, Happened.FLOOR_STARTED)
    if event is Event.FLOOR_TIME:
        return _set_floor(exercise, value)
    return _not_now(exercise)


# Rounds


def _floor_phase(exercise: Exercise, event: Event, value: Any, rng: random.Random | None) -> Outcome:
    if event in (Event.NEXT, Event.YES):
        reflection = replace(exercise, phase=Phase.REFLECTION, retried=False, timer_running=False)
        return _enter(reflection, Happened.MOVED_ON, before=exercise)
    if event is Event.TIMER_DONE and exercise.timer_running:
        return Outcome(replace(exercise, timer_running=False), Happened.FLOOR_TIME_UP)
    if event is Event.TIMER_FAILED and exercise.timer_running:
        fallback = replace(
            exercise, floor_seconds=longest_single_response_floor(), timer_ok=False, timer_running=False
        )
        return Outcome(fallback, Happened.TIMER_FAILED, entered=True)
    return _not_now(exercise)


def _after_reflection(exercise: Exercise, happened: Happened) -> Outcome:
    if exercise.round == 0:
        return _enter(replace(exercise, phase=Phase.FLOOR, round=1, retried=False), happened)
    return _enter(replace(exercise, phase=Phase.APPRECIATION, retried=False), happened)


def _reflection_phase(exercise: Exercise, event: Event, value: Any, rng: random.Random | None) -> Outcome:
    if event is Event.YES:
        return _after_reflection(exercise, Happened.FELT_UNDERSTOOD)
    if event is Event.NEXT:
        return _after_reflection(exercise, Happened.MOVED_ON)
    if event is Event.NO:
        if not exercise.retried:
            return _enter(replace(exercise, retried=True), Happened.NOT_UNDERSTOOD_RETRY)
        return _after_reflection(exercise, Happened.NOT_UNDERSTOOD_MOVE_ON)
    return _not_now(exercise)


def _appreciation_phase(exercise: Exercise, event: Event, value: Any, rng: random.Random | None) -> Outcome:
    if event in (Event.NEXT, Event.YES):
        return _enter(replace(exercise, phase=Phase.DONE), Happened.COMPLETED)
    return _not_now(exercise)


_PHASE_HANDLERS = {
    Phase.NAMES: _names_phase,
    Phase.CONFIRM_NAMES: _confirm_names_phase,
    Phase.FIRST_SPEAKER: _first_speaker_phase,
    Phase.FLOOR_TIME: _floor_time_phase,
    Phase.TIMER_PERMISSION: _timer_permission_phase,
    Phase.RULES: _rules_phase,
    Phase.FLOOR: _floor_phase,
    Phase.REFLECTION: _reflection_phase,
    Phase.APPRECIATION: _appreciation_phase,
}
