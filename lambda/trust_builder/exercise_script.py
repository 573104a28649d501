"""What the skill says for each outcome of the listening exercise, as Speech: words from exercise.toml,
time as chained breaks and sounds.

A timed phase is one response: its roles, the start sound, the timed part (silence, with a spoken cue
counted inside it), the end sound, then a short prompt. The timed part (end of the start sound to the
start of the end sound) equals the configured time at speech.WORDS_PER_MINUTE; `timed_span` measures it
back from SSML for the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from trust_builder import exercise as ex
from trust_builder.exercise import Exercise, Happened, Outcome, Phase
from trust_builder.speech import SOUNDS, Part, Sound, Speech, Text, duration, parse_ssml


class Phrases(Protocol):
    def phrase(self, key: str, **values: Any) -> str: ...


@dataclass(frozen=True)
class Rendered:
    speech: Speech
    reprompt: Speech  # empty when the session ends
    ends_session: bool
    card_title: str | None = None
    card_text: str | None = None

    @property
    def card(self) -> tuple[str, str] | None:
        """(title, text) for the app's card, or None when this response has none."""
        if not self.card_title or self.card_text is None:
            return None
        return self.card_title, self.card_text


# Outcomes that open with an acknowledgement (exercise.ack.<value>); the rest go straight to the phase.
_ACKNOWLEDGED = frozenset(Happened) - {
    Happened.TIMER_NEEDED,
    Happened.FLOOR_STARTED,
    Happened.FLOOR_TIME_UP,
    Happened.MOVED_ON,
    Happened.COMPLETED,
    Happened.REPEATED,
    Happened.HELP,
    Happened.STOPPED,
    Happened.TIMED_OUT,
}


def render(outcome: Outcome, content: Phrases) -> Rendered:
    """The response for an outcome: an acknowledgement, then the phase's entry, repeat, help or prompt."""
    state = outcome.exercise
    say = _Sayer(state, content)
    speech = Speech()
    if outcome.happened is Happened.FLOOR_TIME_UP:
        speech.sound("end")
    if outcome.happened in _ACKNOWLEDGED:
        speech.say(say(f"ack.{outcome.happened.value}"))
    if outcome.ends_session:
        if outcome.entered:
            _entry(state, say, speech)
        return Rendered(speech, Speech(), True, *_card(outcome, say))
    if outcome.happened is Happened.FLOOR_TIME_UP:
        speech.say(say("floor.time_up"))
    elif outcome.entered:
        _entry(state, say, speech)
        if outcome.timer is ex.TimerAction.ASK_PERMISSION:
            # Alexa's consent question follows; the handler drops this reprompt when it sends AskFor.
            return Rendered(speech, Speech(say.reprompt()), False)
    elif outcome.happened is Happened.REPEATED:
        _instructions(state, say, speech)
    elif outcome.happened is Happened.HELP:
        speech.say(say(f"help.{_help_key(state)}"))
    speech.say(prompt(state, content))
    return Rendered(speech, Speech(say.reprompt()), False, *_card(outcome, say))


def prompt(exercise: Exercise, content: Phrases) -> str:
    """The short question a response in this state ends with (also useful after another handler's reply)."""
    say = _Sayer(exercise, content)
    if exercise.is_interrupted:
        return resume_offer(exercise, content)
    if exercise.paused:
        return say("prompt.paused")
    return say(f"prompt.{_prompt_key(exercise)}")


def resume_offer(exercise: Exercise, content: Phrases) -> str:
    """The offer to pick up an unfinished exercise, e.g. after a relaunch; answer YES/RESUME or NO."""
    say = _Sayer(exercise, content)
    phase = exercise.resumable_phase
    if phase is None:
        return say("resume.none")
    where = say(f"then.{_kind(phase)}")
    if exercise.phase is Phase.TIMED_OUT:
        return say("resume.timed_out", where=where)
    if exercise.paused:
        return say("resume.paused", where=where)
    return say("resume.active", where=where)


def describe_phase(exercise: Exercise, content: Phrases) -> str:
    """Where the exercise is, as a sentence (for "where are we")."""
    phase = exercise.resumable_phase
    return _Sayer(exercise, content)(f"now.{_kind(phase) if phase else 'over'}")


def timed_span(speech: Speech | str | list[Part]) -> float:
    """Seconds between the end of the start sound and the start of the end sound (SSML, Speech or parts)."""
    if isinstance(speech, str):
        parts = parse_ssml(speech)
    elif isinstance(speech, Speech):
        parts = speech.parts
    else:
        parts = speech
    starts = [index for index, part in enumerate(parts) if part == Sound("start")]
    if not starts:
        raise ValueError("no start sound: this response has no timed part")
    ends = [index for index, part in enumerate(parts) if part == Sound("end") and index > starts[0]]
    if not ends:
        raise ValueError("no end sound after the start sound: this response has no timed part")
    return duration(parts[starts[0] + 1 : ends[0]])


class _Sayer:
    """Looks up exercise.<key> phrases with the state's fields filled in."""

    def __init__(self, exercise: Exercise, content: Phrases) -> None:
        self.exercise = exercise
        self.content = content
        display = [
            name or content.phrase(f"exercise.partner.{label}")
            for name, label in zip(exercise.names, ("one", "two"), strict=True)
        ]
        opener = exercise.first_speaker or 0
        self.fields = {
            "first": display[0],
            "second": display[1],
            "speaker": display[exercise.speaker],
            "listener": display[exercise.listener],
            "opener": display[opener],
            "other": display[1 - opener],
            "floor": self.duration(exercise.floor_seconds),
            "reflection": self.duration(exercise.reflection_seconds),
            "appreciation": self.duration(ex.APPRECIATION_SECONDS),
            "remaining": self.duration(ex.cue_remaining_seconds(exercise.floor_seconds)),
            "longest": self.duration(ex.longest_single_response_floor()),
        }

    def duration(self, seconds: int) -> str:
        return self.content.phrase(f"exercise.duration.{seconds}")

    def __call__(self, key: str, **extra: str) -> str:
        return self.content.phrase(f"exercise.{key}", **{**self.fields, **extra})

    def reprompt(self) -> str:
        if self.exercise.is_interrupted:
            return self("reprompt.interrupted")
        if self.exercise.paused:
            return self("reprompt.paused")
        return self(f"reprompt.{_prompt_key(self.exercise)}")


def _prompt_key(exercise: Exercise) -> str:
    if exercise.is_over:
        return "over"
    if exercise.phase is Phase.NAMES and exercise.names[0] is not None:
        return "names_second"
    return exercise.phase.value


def _help_key(exercise: Exercise) -> str:
    if exercise.is_over:
        return "over"
    if exercise.is_interrupted:
        return "interrupted"
    if exercise.paused:
        return "paused"
    return exercise.phase.value


def _kind(phase: Phase) -> str:
    """The part of the exercise a phase belongs to, for describing where a couple is."""
    if phase in ex.SETUP_PHASES:
        return "setup"
    if phase in ex.TIMED_PHASES:
        return phase.value
    return "over"


def _entry(state: Exercise, say: _Sayer, speech: Speech) -> None:
    """What starting a phase sounds like; the caller adds the prompt to open responses."""
    phase = state.phase
    if phase is Phase.TIMER_PERMISSION:
        speech.say(say("timer.explain")).say(say("timer.asking"))
    elif phase is Phase.RULES and not state.skip_rules:
        speech.say(say("rules.text"))
    elif phase is Phase.FLOOR:
        _floor(state, say, speech)
    elif phase is Phase.REFLECTION:
        _reflection(say, speech, retry=state.retried)
    elif phase is Phase.APPRECIATION:
        _appreciation(say, speech)
    elif phase is Phase.DONE:
        speech.say(say("done.text"))
    elif phase is Phase.STOPPED:
        speech.say(say("stopped.text"))
    elif phase is Phase.TIMED_OUT:
        speech.say(say("timed_out.text"))


def _instructions(state: Exercise, say: _Sayer, speech: Speech) -> None:
    """A phase's instructions without its timing, for "repeat"."""
    phase = state.phase
    if phase is Phase.TIMER_PERMISSION:
        speech.say(say("timer.explain"))
    elif phase is Phase.RULES:
        speech.say(say("rules.text"))
    elif phase is Phase.FLOOR:
        speech.say(say("floor.roles_first" if state.round == 0 else "floor.roles_swap"))
    elif phase is Phase.REFLECTION:
        speech.say(say("reflection.retry_roles" if state.retried else "reflection.roles"))
    elif phase is Phase.APPRECIATION:
        speech.say(say("appreciation.roles"))
    elif phase is Phase.DONE:
        speech.say(say("done.text"))


def _seconds_to_say(text: str) -> float:
    return duration([Text(text)])


def _floor(state: Exercise, say: _Sayer, speech: Speech) -> None:
    speech.say(say("floor.roles_first" if state.round == 0 else "floor.roles_swap"))
    if state.timer_running:
        # The timer keeps the time; the session ends after the start sound.
        speech.say(say("floor.timer_set")).say(say("begin")).sound("start")
        return
    floor = state.floor_seconds
    remaining = ex.cue_remaining_seconds(floor)
    cue = say("floor.cue")
    speech.say(say("begin")).sound("start")
    # The cue starts when `remaining` seconds are left and is counted inside the timed part.
    speech.pause(floor - remaining).say(cue).pause(remaining - _seconds_to_say(cue))
    speech.sound("end").say(say("floor.time_up"))


def _reflection(say: _Sayer, speech: Speech, *, retry: bool) -> None:
    speech.say(say("reflection.retry_roles" if retry else "reflection.roles")).say(say("begin"))
    speech.sound("start").pause(say.exercise.reflection_seconds).sound("end")
    speech.say(say("reflection.time_up"))


def _appreciation(say: _Sayer, speech: Speech) -> None:
    handover = say("appreciation.handover")
    # The chime and the handover sit between the two spaces; each space gives up half of their length.
    space = ex.APPRECIATION_SECONDS - (SOUNDS["chime"].seconds + _seconds_to_say(handover)) / 2
    speech.say(say("appreciation.roles")).say(say("begin")).sound("start").pause(space)
    speech.sound("chime").say(handover).pause(space).sound("end")
    speech.say(say("appreciation.time_up"))


def _card(outcome: Outcome, say: _Sayer) -> tuple[str | None, str | None]:
    """A card for the moments worth keeping in the app: the exercise finished, or a time out."""
    if outcome.completed:
        return say("card.title"), say("card.done")
    if outcome.happened is Happened.TIMED_OUT:
        return say("card.title"), say("card.timed_out")
    return None, None
