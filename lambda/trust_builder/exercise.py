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
AUDIO_CLIP_LIMIT = 5  # <audio> clips (our chimes) in one response
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
# Short exchanges (the default; README "Turns in short exchanges"): PREP's Speaker says two or three
# sentences, the Listener says them back, then the Speaker goes on. Two or three spoken sentences are 40 to
# 75 words, about 20 to 30 s at 150 words a minute, so a speaking chunk is 30 s; the mirror ("what I'm
# hearing is... did I get that?") is shorter than what it mirrors, so its window is 20 s. A turn's speaking
# time is its floor time, in chunks: a two-minute floor holds four exchanges, a one-minute floor two.
CHUNK_SECONDS = 30
MIRROR_SECONDS = 20
# Planning allowance for the chimes and the two short cues of one exchange ("Alex, say it back." / "Go on.").
EXCHANGE_FRAME_SECONDS = 10
MISSED_SECONDS = 30  # the speaker's window to say what was missed, when they did not feel understood
_STATE_VERSION = 2
# Words that are not first names, though a name slot may hear them ("I'm nervous", "we're not sure").
NOT_NAMES = frozenset(
    [
        "nervous",
        "crying",
        "cry",
        "upset",
        "sad",
        "angry",
        "mad",
        "scared",
        "afraid",
        "worried",
        "anxious",
        "tired",
        "fine",
        "okay",
        "ok",
        "good",
        "bad",
        "sorry",
        "confused",
        "unsure",
        "sure",
        "not",
        "nobody",
        "someone",
        "everyone",
        "me",
        "you",
        "him",
        "her",
        "them",
        "us",
        "we",
        "both",
        "neither",
        "yes",
        "no",
        "yeah",
        "nope",
        "next",
        "skip",
        "pass",
        "help",
        "stop",
        "what",
        "hello",
        "hi",
        "um",
        "uh",
        "er",
        "hmm",
        "dunno",
        "maybe",
        "whatever",
        "partner",
        "husband",
        "wife",
        "boyfriend",
        "girlfriend",
        "here",
        "ready",
        "happy",
        "hurt",
        "lonely",
        "hungry",
        "stressed",
        "frustrated",
        "annoyed",
        "jealous",
        "ashamed",
        "embarrassed",
        "sick",
        "alright",
        "don't",
        "know",
        "i",
    ]
)


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


def turn_blocks(floor_seconds: int) -> tuple[int, ...]:
    """How the exchanges of a short-exchange turn are split over responses: exchanges per response.

    One response holds as many exchanges as fit in RESPONSE_LIMIT_SECONDS with the turn's spoken frame and
    in AUDIO_CLIP_LIMIT (each exchange has two chimes, the response one end sound: two exchanges); a turn
    that needs more is split evenly, and each response ends at the natural hand-over of Speaker-Listener:
    the listener has just said back what they heard, and the speaker says "next" to go on. So every minute
    of speaking is one response of two exchanges: floors of 1 to 5 minutes give 1 to 5 responses.
    """
    chunks = max(1, floor_seconds // CHUNK_SECONDS)
    per_exchange = CHUNK_SECONDS + MIRROR_SECONDS + EXCHANGE_FRAME_SECONDS
    most = max(1, (RESPONSE_LIMIT_SECONDS - FLOOR_FRAME_SECONDS) // per_exchange)
    most = min(most, (AUDIO_CLIP_LIMIT - 1) // 2)
    count = -(-chunks // most)
    base, extra = divmod(chunks, count)
    return tuple(base + 1 if index < extra else base for index in range(count))


def is_not_a_name(text: str) -> bool:
    """Whether a heard "name" is a word like "nervous" or "not sure": every word of it is in NOT_NAMES."""
    words = text.casefold().replace(".", " ").split()
    return bool(words) and all(word in NOT_NAMES for word in words)


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
    TURN_STYLE = "turn_style"  # value: "long" (no interruptions) or "short" (exchanges)
    RESTART_TURN = "restart_turn"  # "start my turn again": the only way to replay a timed phase
    START_OVER = "start_over"  # offers to restart the exercise, names and floor time kept
    WRONG_NAME = "wrong_name"  # "that's not my name"
    WHOSE_TURN = "whose_turn"
    TIME_LEFT = "time_left"
    HOW_LONG = "how_long"


class Happened(StrEnum):
    """What the transition was: the script's key for what to say."""

    STARTED = "started"
    NAME_NOTED = "name_noted"
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
    NOT_A_NAME = "not_a_name"
    NAMES_READ_BACK = "names_read_back"
    NAMES_CHANGED = "names_changed"
    WRONG_NAME = "wrong_name"
    WHICH_SPEAKER = "which_speaker"
    TURN_STYLE_SET = "turn_style_set"
    TURN_CONTINUED = "turn_continued"
    TURN_RESTARTED = "turn_restarted"
    RESTART_OFFERED = "restart_offered"
    RESTARTED = "restarted"
    RESTART_DECLINED = "restart_declined"
    WHOSE_TURN = "whose_turn"
    TIME_LEFT = "time_left"
    HOW_LONG = "how_long"


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
    long_turns: bool = False  # one uninterrupted block per turn ("no interruptions") instead of exchanges
    exchange: int = 0  # in a short-exchange floor: which of the turn's responses (turn_blocks) plays next
    readback: bool = (
        False  # in CONFIRM_NAMES: names just given, read back once ("Sam and Alex, is that right?")
    )
    restart_offer: bool = False  # "start over" was said: waiting for yes (restart) or no (carry on)

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
        """Only long turns can need a timer: short exchanges are split over responses at hand-overs."""
        return self.long_turns and not fits_in_one_response(self.floor_seconds)

    @property
    def blocks(self) -> tuple[int, ...]:
        """Exchanges per response in this turn (one block for long turns)."""
        return (1,) if self.long_turns else turn_blocks(self.floor_seconds)

    @property
    def last_block(self) -> bool:
        return self.exchange == len(self.blocks) - 1

    def speaking_left(self) -> int:
        """Seconds of the current turn's speaking time not yet begun (the whole floor outside a floor)."""
        if self.phase is not Phase.FLOOR or self.long_turns:
            return self.floor_seconds
        return sum(self.blocks[self.exchange :]) * CHUNK_SECONDS

    def turn_seconds(self) -> int:
        """A whole turn as planned: speaking, mirror windows, frame, the end-of-turn summary, its question."""
        chunks = 0 if self.long_turns else sum(self.blocks)
        frame = 30 * len(self.blocks) + 20
        return (
            self.floor_seconds
            + chunks * (MIRROR_SECONDS + EXCHANGE_FRAME_SECONDS)
            + frame
            + (reflection_seconds(self.floor_seconds) + 20)
        )

    def total_seconds(self) -> int:
        """The whole exercise as planned, from set-up (about a minute) to the closing appreciation."""
        return 60 + 2 * self.turn_seconds() + 2 * APPRECIATION_SECONDS + 40

    def seconds_left(self) -> int:
        """What remains of the exercise as planned, from the state (setup counts as not yet started)."""
        phase = self.resumable_phase
        ending = 2 * APPRECIATION_SECONDS + 40
        if phase is None or phase is Phase.DONE:
            return 0
        if phase in SETUP_PHASES:
            return self.total_seconds() - (0 if phase in (Phase.NAMES, Phase.CONFIRM_NAMES) else 60)
        if phase is Phase.APPRECIATION:
            return ending
        later_turns = (1 - self.round) * self.turn_seconds()
        summary = reflection_seconds(self.floor_seconds) + 20
        if phase is Phase.REFLECTION:
            return summary + later_turns + ending
        done_fraction = 1 - self.speaking_left() / self.floor_seconds
        this_turn = round((self.turn_seconds() - summary) * (1 - done_fraction)) + summary
        return this_turn + later_turns + ending

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
            "long": int(self.long_turns),
            "exchange": self.exchange,
            "readback": int(self.readback),
            "restart": int(self.restart_offer),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Exercise:
        """The exercise stored by to_dict. Raises InvalidState (a ValueError) for anything else."""
        if not isinstance(data, Mapping):
            raise InvalidState("stored exercise is not a mapping")
        version = data.get("v")
        if version not in (1, _STATE_VERSION) or isinstance(version, bool):
            raise InvalidState(f"unknown exercise state version {version!r}")
        if version == 1:  # before short exchanges: long turns, as they were then
            data = {**data, "long": 1, "exchange": 0, "readback": 0, "restart": 0}
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
                long_turns=_flag(data["long"]),
                exchange=_int(data["exchange"]),
                readback=_flag(data["readback"]),
                restart_offer=_flag(data["restart"]),
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
    for flag in (
        "paused",
        "skip_rules",
        "retried",
        "timer_ok",
        "timer_running",
        "long_turns",
        "readback",
        "restart_offer",
    ):
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
    if isinstance(exercise.exchange, bool) or not isinstance(exercise.exchange, int):
        raise InvalidState(f"bad exchange {exercise.exchange!r}")
    if exercise.exchange and (
        resumable not in (Phase.FLOOR, None) or exercise.exchange >= len(exercise.blocks)
    ):
        raise InvalidState(f"exchange {exercise.exchange!r} outside a short-exchange floor")
    if exercise.exchange < 0:
        raise InvalidState("negative exchange")
    if exercise.readback and resumable not in (Phase.CONFIRM_NAMES, None):
        raise InvalidState("names are read back only while confirming them")
    if exercise.restart_offer and exercise.phase not in ACTIVE_PHASES:
        raise InvalidState("a restart is offered only in an active exercise")


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


def start(names: Any = None, floor_minutes: Any = None, long_turns: Any = False) -> Exercise:
    """A new exercise. Names known from progress are offered for confirmation instead of asked again;
    a floor time (and turn style) known from progress becomes the default. Unusable values are ignored."""
    known: Names = (None, None)
    if isinstance(names, list | tuple) and len(names) == 2:
        known = (clean_name(names[0]), clean_name(names[1]))
    minutes = _minutes(floor_minutes)
    floor = minutes * 60 if minutes is not None else DEFAULT_FLOOR_SECONDS
    long = long_turns is True
    if any(known) and known[0] != known[1]:
        return Exercise(phase=Phase.CONFIRM_NAMES, names=known, floor_seconds=floor, long_turns=long)
    return Exercise(phase=Phase.NAMES, floor_seconds=floor, long_turns=long)


def begin(names: Any = None, floor_minutes: Any = None, long_turns: Any = False) -> Outcome:
    """start(), as the outcome the handler renders first."""
    return Outcome(start(names, floor_minutes, long_turns), Happened.STARTED, entered=True)


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
    if exercise.restart_offer:
        if event is Event.YES:
            return _restart(exercise)
        if event is Event.NO:
            return Outcome(replace(exercise, restart_offer=False), Happened.RESTART_DECLINED)
        if event is Event.HELP:
            return Outcome(exercise, Happened.HELP)
        if event in (Event.REPEAT, Event.FALLBACK, Event.START_OVER):
            return Outcome(exercise, Happened.RESTART_OFFERED)
        if event in _IN_PLACE:  # a question about time or turns: answered, and the offer still stands
            return Outcome(exercise, _IN_PLACE[event])
        # They carried on: the offer lapses, unless what they said doesn't fit here either.
        outcome = handle(replace(exercise, restart_offer=False), event, value=value, rng=rng)
        return _not_now(exercise) if outcome.happened is Happened.NOT_NOW else outcome
    if event is Event.START_OVER:
        return _leave(exercise, replace(_idle(exercise), restart_offer=True), Happened.RESTART_OFFERED)
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
        # The microphone can't stay open for a pause: the session ends, and a relaunch picks up here.
        return _leave(exercise, replace(_idle(exercise), paused=True), Happened.PAUSED, ends_session=True)
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
    anywhere = _anywhere(exercise, event, value)
    if anywhere is not None:
        return anywhere
    return _PHASE_HANDLERS[exercise.phase](exercise, event, value, rng)


# Events answered where the exercise stands, in every phase: nothing changes.
_IN_PLACE = {
    Event.HELP: Happened.HELP,
    Event.REPEAT: Happened.REPEATED,
    Event.FALLBACK: Happened.NOT_UNDERSTOOD,
    Event.WHOSE_TURN: Happened.WHOSE_TURN,
    Event.TIME_LEFT: Happened.TIME_LEFT,
    Event.HOW_LONG: Happened.HOW_LONG,
}

_TIMER_EVENTS = frozenset(
    {Event.TIMER_PERMISSION_GRANTED, Event.TIMER_PERMISSION_DENIED, Event.TIMER_FAILED, Event.TIMER_DONE}
)


def _idle(exercise: Exercise) -> Exercise:
    """The state without a running timer or pause (the caller cancels the timer)."""
    return replace(exercise, timer_running=False, paused=False, restart_offer=False)


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


def _restart(exercise: Exercise) -> Outcome:
    """The exercise from the top, with the names, floor time and turn style kept: who goes first is next."""
    fresh = Exercise(
        phase=Phase.FIRST_SPEAKER,
        names=exercise.names,
        floor_seconds=exercise.floor_seconds,
        skip_rules=exercise.skip_rules,
        timer_ok=exercise.timer_ok,
        long_turns=exercise.long_turns,
    )
    return _enter(fresh, Happened.RESTARTED, before=exercise)


def _anywhere(exercise: Exercise, event: Event, value: Any) -> Outcome | None:
    """Events that mean the same in every active phase: changing names, the turn style in setup."""
    if event is Event.WRONG_NAME and exercise.phase not in (Phase.NAMES, Phase.CONFIRM_NAMES):
        return Outcome(exercise, Happened.WRONG_NAME)
    if event is Event.NAMES and exercise.phase not in (Phase.NAMES, Phase.CONFIRM_NAMES):
        given = [name for name in _given_names(value) if name]
        if len(given) != 2 or _same(given[0], given[1]):
            return Outcome(exercise, Happened.INVALID_NAMES)
        return Outcome(replace(exercise, names=(given[0], given[1])), Happened.NAMES_CHANGED)
    if event is Event.TURN_STYLE:
        if exercise.phase not in SETUP_PHASES or value not in ("long", "short"):
            return _not_now(exercise)
        styled = replace(exercise, long_turns=value == "long")
        if exercise.phase in (Phase.RULES, Phase.TIMER_PERMISSION):
            outcome = _set_floor(styled, styled.floor_minutes)
            return replace(outcome, happened=Happened.TURN_STYLE_SET)
        return Outcome(styled, Happened.TURN_STYLE_SET)
    if event is Event.RESTART_TURN:
        if exercise.phase not in TIMED_PHASES:
            return _not_now(exercise)
        again = replace(exercise, exchange=0, timer_running=False)
        return _enter(again, Happened.TURN_RESTARTED, before=exercise)
    return None


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
    if event is Event.WRONG_NAME:
        return Outcome(replace(exercise, names=(None, None)), Happened.NAMES_REJECTED)
    return _not_now(exercise)


def _confirm_names_phase(exercise: Exercise, event: Event, value: Any, rng: random.Random | None) -> Outcome:
    if event in (Event.YES, Event.NEXT):
        kept = replace(exercise, phase=Phase.FIRST_SPEAKER, readback=False)
        return _enter(kept, Happened.NAMES_KEPT)
    if event in (Event.NO, Event.WRONG_NAME):
        asked = replace(exercise, phase=Phase.NAMES, names=(None, None), readback=False)
        return _enter(asked, Happened.NAMES_REJECTED)
    if event is Event.NAMES:
        fresh = replace(exercise, phase=Phase.NAMES, names=(None, None), readback=False)
        return _take_names(fresh, value, keep=exercise)
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
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple) else []
    heard = [item for item in items if isinstance(item, str) and item.strip()]
    if heard and all(is_not_a_name(item) for item in heard):
        return Outcome(unchanged, Happened.NOT_A_NAME)
    given = [name for name in _given_names(value) if name and not is_not_a_name(name)]
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
    # Read back once, so a misheard name is caught before it is used all evening.
    readback = replace(exercise, phase=Phase.CONFIRM_NAMES, names=(first, second), readback=True)
    return _enter(readback, Happened.NAMES_READ_BACK)


def _first_speaker_phase(exercise: Exercise, event: Event, value: Any, rng: random.Random | None) -> Outcome:
    if event is Event.FIRST_SPEAKER:
        name, pronoun = value if isinstance(value, tuple) and len(value) == 2 else (value, None)
        chosen: int | None
        if name is None and pronoun:
            if all(exercise.names):  # "I'll start": I can't tell voices apart, so ask which of them
                return Outcome(exercise, Happened.WHICH_SPEAKER)
            chosen = 0  # no names: whoever answered (or was pointed at) becomes "the first speaker"
        else:
            chosen = _speaker_index(exercise, name)
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
    # "You choose", "whatever you recommend" (CoinFlipIntent's leave-it-to-you samples): the floor on offer.
    if event in (Event.NEXT, Event.YES, Event.COIN_FLIP):
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
        floor = replace(exercise, phase=Phase.FLOOR, round=0, retried=False, exchange=0)
        return _enter(floor, Happened.FLOOR_STARTED)
    if event is Event.SKIP_RULES:
        floor = replace(exercise, phase=Phase.FLOOR, round=0, retried=False, skip_rules=True, exchange=0)
        return _enter(floor, Happened.FLOOR_STARTED)
    if event is Event.FLOOR_TIME:
        return _set_floor(exercise, value)
    return _not_now(exercise)


# Rounds


def _floor_phase(exercise: Exercise, event: Event, value: Any, rng: random.Random | None) -> Outcome:
    if event in (Event.NEXT, Event.YES) and not exercise.last_block:
        return _enter(replace(exercise, exchange=exercise.exchange + 1), Happened.TURN_CONTINUED)
    if event in (Event.NEXT, Event.YES):
        reflection = replace(exercise, phase=Phase.REFLECTION, retried=False, timer_running=False, exchange=0)
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
        return _enter(replace(exercise, phase=Phase.FLOOR, round=1, retried=False, exchange=0), happened)
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
