"""What the skill says for each outcome of the listening exercise, as Speech: words from exercise.toml,
time as chained breaks and sounds.

A timed phase is one response: its roles, the start sound, the timed part (silence, with a spoken cue
counted inside it), the end sound, then a short prompt. The timed part (end of the start sound to the
start of the end sound) equals the configured time at speech.WORDS_PER_MINUTE; `timed_span` measures it
back from SSML for the tests.

A turn in short exchanges is one or more responses (exercise.turn_blocks), each a run of exchanges: the
start sound, a speaking chunk of silence, a chime, "Alex, say it back", a mirroring window, and on to the
next chunk; the response ends with the end sound at a hand-over. `speaking_time` adds up the chunks (start
sound to the next sound), so the tests can hold a turn's speaking time to its floor over all its responses.

Lines come from exercise.toml, or from exchanges.toml for the exchanges, controls and questions added with
them: a key is looked up in exercise.<key> first, then exchanges.<key>.
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
    Happened.NAMES_READ_BACK,
    Happened.TURN_CONTINUED,
    Happened.RESTART_OFFERED,
    Happened.WHOSE_TURN,
    Happened.TIME_LEFT,
    Happened.HOW_LONG,
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


def render(
    outcome: Outcome, content: Phrases, *, played: bool = False, offer_reminder: bool = False
) -> Rendered:
    """The response for an outcome: an acknowledgement, then the phase's entry, repeat, help or prompt.

    `played`: the timed part of the phase the couple is in has fully played (its end sound has passed), so
    help describes what comes next rather than a floor that has ended. `offer_reminder`: a completed
    exercise offers the weekly practice reminder (the household has none yet)."""
    state = outcome.exercise
    say = _Sayer(state, content)
    speech = Speech()
    if outcome.happened is Happened.FLOOR_TIME_UP:
        speech.sound("end")
    if outcome.happened in _ACKNOWLEDGED:
        speech.say(say(_ack_key(outcome)))
    if outcome.happened in _ANSWERS:
        speech.say(_answer(outcome.happened, state, say))
    if outcome.ends_session:
        if outcome.entered:
            _entry(state, say, speech)
        return Rendered(speech, Speech(), True, *_card(outcome, say))
    if outcome.happened is Happened.FLOOR_TIME_UP:
        speech.say(say("floor.time_up"))
    elif outcome.entered:
        _entry(state, say, speech)
        if state.phase is Phase.DONE and offer_reminder:
            speech.say(say("offer.reminder"))
        if outcome.timer is ex.TimerAction.ASK_PERMISSION:
            # Alexa's consent question follows; the handler drops this reprompt when it sends AskFor.
            return Rendered(speech, Speech(say.reprompt()), False)
    elif outcome.happened is Happened.REPEATED and state.restart_offer:
        pass  # the pending question is the restart offer, which is the prompt
    elif outcome.happened is Happened.REPEATED and state.phase not in ex.TIMED_PHASES:
        _instructions(state, say, speech)  # a timed phase is replayed only by "start my turn again"
    elif outcome.happened is Happened.HELP:
        speech.say(say(f"help.{_help_key(state, played)}"))
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


def _ack_key(outcome: Outcome) -> str:
    """The acknowledgement's key; without names, the coin flip and "I'll start" say how roles are named."""
    state = outcome.exercise
    unnamed = not any(state.names)
    if outcome.happened in (Happened.COIN_FLIPPED, Happened.FIRST_SPEAKER_SET) and unnamed:
        return f"ack.{outcome.happened.value}_unnamed"
    if outcome.happened is Happened.FLOOR_TIME_SET and not state.long_turns:
        return "ack.floor_time_set_short"
    if outcome.happened is Happened.TURN_STYLE_SET:
        return "ack.turn_style_long" if state.long_turns else "ack.turn_style_short"
    return f"ack.{outcome.happened.value}"


_ANSWERS = frozenset({Happened.WHOSE_TURN, Happened.TIME_LEFT, Happened.HOW_LONG})


def answer(happened: Happened, exercise: Exercise, content: Phrases) -> str:
    """ "Whose turn", "time left" or "how long" about an exercise, without its prompt (for the menu)."""
    return _answer(happened, exercise, _Sayer(exercise, content))


def _answer(happened: Happened, state: Exercise, say: _Sayer) -> str:
    """ "Whose turn is it", "how much time is left", "how long does this take", from the state."""
    phase = state.resumable_phase
    kind = _kind(phase) if phase else "over"
    if happened is Happened.WHOSE_TURN:
        if kind == "setup":
            return say("whose_turn.setup_chosen" if state.first_speaker is not None else "whose_turn.setup")
        return say(f"whose_turn.{kind}")
    if happened is Happened.TIME_LEFT:
        return say(f"time_left.{kind}")
    return say(
        "how_long.over" if kind == "over" else "how_long.setup" if kind == "setup" else "how_long.going"
    )


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
        if not any(exercise.names):  # no names: named by the order they speak in, said at the coin flip
            opener_index = exercise.first_speaker or 0
            display[opener_index] = content.phrase("exchanges.partner.first_speaker")
            display[1 - opener_index] = content.phrase("exchanges.partner.second_speaker")
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
            "missed": self.duration(ex.MISSED_SECONDS),
            "speaking": self.about(exercise.speaking_left()),
            "left": self.about(exercise.seconds_left()),
            "total": self.about(exercise.total_seconds()),
        }

    def duration(self, seconds: int) -> str:
        return self.content.phrase(f"exercise.duration.{seconds}")

    def about(self, seconds: int) -> str:
        """A planned length said roughly: half minutes up to two minutes, whole minutes after."""
        if seconds <= 45:
            return self.content.phrase("exchanges.span.half")
        if seconds <= 75:
            return self.content.phrase("exchanges.span.one")
        if seconds <= 105:
            return self.content.phrase("exchanges.span.one_and_half")
        minutes = min(60, max(2, int(seconds / 60 + 0.5)))
        return self.content.phrase(
            "exchanges.span.minutes", count=self.content.phrase(f"exchanges.count.{minutes}")
        )

    def __call__(self, key: str, **extra: str) -> str:
        values = {**self.fields, **extra}
        try:
            return self.content.phrase(f"exercise.{key}", **values)
        except KeyError:
            return self.content.phrase(f"exchanges.{key}", **values)

    def reprompt(self) -> str:
        if self.exercise.is_interrupted:
            return self("reprompt.interrupted")
        if self.exercise.paused:
            return self("reprompt.paused")
        return self(f"reprompt.{_prompt_key(self.exercise)}")


def prompt_key(exercise: Exercise) -> str:
    """Which question the exercise is waiting on (the handler elicits a slot for some of them)."""
    return _prompt_key(exercise)


def _prompt_key(exercise: Exercise) -> str:
    if exercise.is_over:
        return "over"
    if exercise.restart_offer:
        return "restart_offer"
    if exercise.phase is Phase.NAMES and exercise.names[0] is not None:
        return "names_second"
    if exercise.phase is Phase.CONFIRM_NAMES and exercise.readback:
        return "names_read_back"
    if exercise.phase is Phase.FIRST_SPEAKER and not any(exercise.names):
        return "first_speaker_unnamed"
    if exercise.phase is Phase.FLOOR and not exercise.last_block:
        return "floor_between"
    return exercise.phase.value


def _help_key(exercise: Exercise, played: bool = False) -> str:
    if exercise.is_over:
        return "over"
    if exercise.is_interrupted:
        return "interrupted"
    if exercise.paused:
        return "paused"
    if exercise.restart_offer:
        return "restart_offer"
    if exercise.phase is Phase.FLOOR:
        if played:
            return "floor_played" if exercise.last_block else "floor_between"
        return "floor" if exercise.long_turns else "floor_short"
    if exercise.phase in (Phase.REFLECTION, Phase.APPRECIATION) and played:
        return f"{exercise.phase.value}_played"
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
    elif phase is Phase.CONFIRM_NAMES and state.readback:
        pass  # the read-back is its own prompt
    elif phase is Phase.DONE:
        speech.say(say("done.text"))


def _seconds_to_say(text: str) -> float:
    return duration([Text(text)])


def speaking_time(speech: Speech | str | list[Part]) -> float:
    """Seconds of speaking chunks in a response: from each start sound to the next sound, added up."""
    parts = (
        parse_ssml(speech)
        if isinstance(speech, str)
        else speech.parts
        if isinstance(speech, Speech)
        else speech
    )
    total = 0.0
    for index, part in enumerate(parts):
        if part == Sound("start"):
            following = next(
                (later for later in range(index + 1, len(parts)) if isinstance(parts[later], Sound)),
                len(parts),
            )
            total += duration(parts[index + 1 : following])
    return total


def _exchanges(state: Exercise, say: _Sayer, speech: Speech) -> None:
    """One response of a short-exchange turn: chunk, chime, mirror, and on; it ends at a hand-over."""
    if state.exchange == 0:
        speech.say(say("exchange.roles_first" if state.round == 0 else "exchange.roles_swap"))
        speech.say(say("exchange.how")).say(say("begin"))
    done_before = sum(state.blocks[: state.exchange])
    total = sum(state.blocks)
    for index in range(state.blocks[state.exchange]):
        number = done_before + index + 1
        if index or state.exchange:
            speech.say(say("exchange.go_on"))
        if number == total:
            speech.say(say("exchange.last"))
        speech.sound("start").pause(ex.CHUNK_SECONDS).sound("chime")
        speech.say(say("exchange.mirror")).pause(ex.MIRROR_SECONDS)
    speech.sound("end")
    if state.last_block:
        speech.say(say("exchange.turn_over"))


def _floor(state: Exercise, say: _Sayer, speech: Speech) -> None:
    if not state.long_turns:
        _exchanges(state, say, speech)
        return
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
    if retry:  # the speaker first says what was missed, then the listener tries again
        speech.say(say("missed.roles")).say(say("begin"))
        speech.sound("start").pause(ex.MISSED_SECONDS).sound("chime")
        speech.say(say("reflection.retry_roles")).pause(say.exercise.reflection_seconds).sound("end")
        speech.say(say("reflection.time_up"))
        return
    speech.say(say("reflection.roles")).say(say("begin"))
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
