"""The listening exercise's script: timelines of the timed responses, Alexa's limits, prompts, and that
every word comes from exercise.toml (and every line there is used)."""

from __future__ import annotations

import ast
import random
import re
import string
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from trust_builder import exercise as ex
from trust_builder import exercise_script as script
from trust_builder.content import Content, load
from trust_builder.exercise import Event, Exercise, Happened, Outcome, Phase, TimerAction, handle
from trust_builder.exercise_script import Rendered, render, speaking_time, timed_span
from trust_builder.speech import (
    MAX_BREAK_SECONDS,
    Pause,
    Sound,
    Speech,
    Text,
    duration,
    longest_break,
    parse_ssml,
)

SSML_MAX_CHARS = 8000
TOLERANCE = 0.05
# The longest names the machine accepts are three words; words, not letters, set the speaking time.
LONG_NAMES = ("Mary Ann Beth", "Jean Luc Paul")
TOML = Path(script.__file__).parent / "locale" / "en-US" / "exercise.toml"


@pytest.fixture(scope="module")
def content() -> Content:
    return load("en-US")


class Recording:
    """Content that notes every phrase key asked for."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self.used: set[str] = set()

    def phrase(self, key: str, **values: Any) -> str:
        text = self.content.phrase(key, **values)  # a key looked up and missing is not "used"
        self.used.add(key)
        return text


def state(phase: Phase, floor_minutes: int = 2, **changes: Any) -> Exercise:
    """A state in long turns (one block a turn, the renderings these timeline tests were written for);
    `short_state` gives the default short exchanges."""
    fields = {
        "phase": phase,
        "names": LONG_NAMES,
        "first_speaker": 0,
        "floor_seconds": floor_minutes * 60,
        "long_turns": True,
    }
    return Exercise(**{**fields, **changes})


def short_state(phase: Phase, floor_minutes: int = 2, **changes: Any) -> Exercise:
    return state(phase, floor_minutes, long_turns=False, **changes)


def reachable() -> Iterator[Outcome]:
    """Each distinct outcome of every event in every state reachable from a fresh or remembered start."""
    values: dict[Event, list[Any]] = {
        Event.NAMES: [list(LONG_NAMES), "Jo", None, "nervous"],
        Event.FIRST_SPEAKER: ["Jean Luc Paul", 0, "Zed", (None, "me")],
        Event.FLOOR_TIME: [1, 2, 3, 4, 5, 9],
        Event.TURN_STYLE: ["long", "short"],
    }
    seen: set[Exercise] = set()
    given: set[Outcome] = set()
    openings = [ex.begin(), ex.begin(LONG_NAMES), ex.begin(("Jo", None), 4), ex.begin(LONG_NAMES, 4, True)]
    yield from openings
    queue = [opening.exercise for opening in openings]
    while queue:
        current = queue.pop()
        if current in seen:
            continue
        seen.add(current)
        for event in Event:
            for value in values.get(event, [None]):
                outcome = handle(current, event, value=value, rng=random.Random(3))
                if outcome not in given:
                    given.add(outcome)
                    yield outcome
                queue.append(outcome.exercise)


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return list(reachable())


def parts_of(rendered: Rendered) -> list[Any]:
    ssml = rendered.speech.ssml()
    assert len(ssml) < SSML_MAX_CHARS
    return parse_ssml(ssml)  # raises if not well-formed


def ends_with_prompt(rendered: Rendered, exercise: Exercise, content: Content) -> bool:
    """The SSML's last words are the state's prompt (adjacent text reads back as one part)."""
    parts = parse_ssml(rendered.speech.ssml())
    last = parts[-1] if parts else None
    return isinstance(last, Text) and last.text.endswith(script.prompt(exercise, content))


def spoken(rendered: Rendered) -> str:
    return " ".join(part.text for part in parse_ssml(rendered.speech.ssml()) if isinstance(part, Text))


# Timed phases: timelines per floor


def ways_into_the_floor(minutes: int) -> list[Outcome]:
    """Every way a floor begins: after the rules, after a reflection, on resume, after a failed timer."""
    timer = {"timer_ok": True} if not ex.fits_in_one_response(minutes * 60) else {}
    reflection = state(Phase.REFLECTION, minutes, **timer)
    found = [
        handle(state(Phase.RULES, minutes, **timer), Event.NEXT),
        handle(state(Phase.RULES, minutes, skip_rules=True, **timer), Event.SKIP_RULES),
        handle(reflection, Event.YES),
        handle(reflection, Event.NEXT),
        handle(state(Phase.REFLECTION, minutes, retried=True, **timer), Event.NO),
        handle(state(Phase.FLOOR, minutes, paused=True, round=1, **timer), Event.RESUME),
        handle(state(Phase.STOPPED, minutes, return_phase=Phase.FLOOR, **timer), Event.YES),
        handle(state(Phase.TIMED_OUT, minutes, return_phase=Phase.FLOOR, round=1, **timer), Event.RESUME),
    ]
    if timer:
        running = state(Phase.FLOOR, minutes, timer_ok=True, timer_running=True)
        found.append(handle(running, Event.TIMER_FAILED))
    assert all(outcome.exercise.phase is Phase.FLOOR and outcome.entered for outcome in found)
    return found


@pytest.mark.parametrize("minutes", list(ex.FLOOR_MINUTES))
def test_floor_responses_keep_time_within_alexa_limits(minutes: int, content: Content) -> None:
    for outcome in ways_into_the_floor(minutes):
        floor = outcome.exercise.floor_seconds
        if outcome.timer is TimerAction.START:
            continue
        assert ex.fits_in_one_response(floor)
        rendered = render(outcome, content)
        parts = parts_of(rendered)
        span = timed_span(rendered.speech.ssml())
        total = rendered.speech.seconds()
        assert abs(span - floor) <= TOLERANCE * floor, (outcome.happened, span, floor)
        assert total <= ex.RESPONSE_LIMIT_SECONDS, (outcome.happened, total)
        assert total - floor <= ex.FLOOR_FRAME_SECONDS, (outcome.happened, total - floor)
        assert longest_break(rendered.speech.ssml()) <= MAX_BREAK_SECONDS
        assert parts.count(Sound("start")) == 1
        assert parts.count(Sound("end")) == 1
        assert ends_with_prompt(rendered, outcome.exercise, content)
        assert rendered.reprompt
        assert not rendered.ends_session


@pytest.mark.parametrize("minutes", [m for m in ex.FLOOR_MINUTES if not ex.fits_in_one_response(m * 60)])
def test_floors_that_do_not_fit_use_the_timer_rendering(minutes: int, content: Content) -> None:
    entered = [outcome for outcome in ways_into_the_floor(minutes) if outcome.timer is TimerAction.START]
    assert len(entered) == 8
    for outcome in entered:
        assert outcome.timer_seconds == minutes * 60
        assert outcome.ends_session
        rendered = render(outcome, content)
        parts = parts_of(rendered)
        assert rendered.ends_session
        assert not rendered.reprompt
        assert parts[-1] == Sound("start"), "the floor starts at the chime, then the session ends"
        assert Sound("end") not in parts
        assert not any(isinstance(part, Pause) for part in parts)
        timer_line = script._Sayer(outcome.exercise, content)("floor.timer_set")
        assert timer_line in spoken(rendered)
        assert "four minutes" in timer_line or "five minutes" in timer_line
        with pytest.raises(ValueError, match="no end sound"):
            timed_span(rendered.speech)


def test_the_timer_floor_ends_with_the_end_sound_and_the_prompt(content: Content) -> None:
    running = state(Phase.FLOOR, 4, timer_ok=True, timer_running=True)
    outcome = handle(running, Event.TIMER_DONE)
    rendered = render(outcome, content)
    parts = parts_of(rendered)
    assert parts[0] == Sound("end")
    assert ends_with_prompt(rendered, outcome.exercise, content)
    assert rendered.reprompt
    assert not rendered.ends_session


@pytest.mark.parametrize("minutes", list(ex.FLOOR_MINUTES))
def test_the_budget_matches_what_the_script_renders(minutes: int, content: Content) -> None:
    """fits_in_one_response agrees with the real rendering: a floor kept in the response fits exactly when
    the machine says so (so the 3-minute fallback is computed, not assumed)."""
    in_response = Outcome(state(Phase.FLOOR, minutes), Happened.FLOOR_STARTED, entered=True)
    total = render(in_response, content).speech.seconds()
    assert (total <= ex.RESPONSE_LIMIT_SECONDS) == ex.fits_in_one_response(minutes * 60)


def test_the_cue_plays_when_thirty_seconds_remain(content: Content) -> None:
    rendered = render(handle(state(Phase.RULES, 3), Event.NEXT), content)
    parts = parse_ssml(rendered.speech.ssml())
    start = parts.index(Sound("start"))
    cue = next(i for i, part in enumerate(parts) if part == Text("About thirty seconds left."))
    end = parts.index(Sound("end"))
    assert timed_span([*parts[start:cue], Sound("end")]) == pytest.approx(150)
    assert timed_span([Sound("start"), *parts[cue:end], Sound("end")]) == pytest.approx(30)


@pytest.mark.parametrize("minutes", list(ex.FLOOR_MINUTES))
@pytest.mark.parametrize("retried", [False, True])
def test_reflection_responses_keep_time(minutes: int, retried: bool, content: Content) -> None:
    ways = [
        handle(state(Phase.FLOOR, minutes, timer_ok=True), Event.NEXT),
        handle(state(Phase.REFLECTION, minutes, retried=retried, paused=True), Event.RESUME),
    ]
    if retried:
        ways.append(handle(state(Phase.REFLECTION, minutes, round=1), Event.NO))
    for outcome in ways:
        assert outcome.exercise.phase is Phase.REFLECTION
        assert outcome.entered
        expected = outcome.exercise.reflection_seconds
        rendered = render(outcome, content)
        parts = parts_of(rendered)
        if outcome.exercise.retried:  # the speaker's window to say what was missed, then the retry
            chime = parts.index(Sound("chime"))
            assert timed_span([*parts[:chime], Sound("end")]) == pytest.approx(ex.MISSED_SECONDS)
            assert isinstance(parts[chime + 1], Text)
            assert "one more" in parts[chime + 1].text
            assert timed_span([Sound("start"), *parts[chime + 2 :]]) == pytest.approx(expected)
        else:
            assert abs(timed_span(rendered.speech) - expected) <= TOLERANCE * expected
        assert rendered.speech.seconds() <= ex.RESPONSE_LIMIT_SECONDS
        assert longest_break(rendered.speech.ssml()) <= MAX_BREAK_SECONDS
        assert ends_with_prompt(rendered, outcome.exercise, content)
    assert ways[0].exercise.reflection_seconds == ex.reflection_seconds(minutes * 60)


def test_appreciation_gives_each_partner_their_space(content: Content) -> None:
    for outcome in (
        handle(state(Phase.REFLECTION, round=1), Event.YES),
        handle(state(Phase.STOPPED, return_phase=Phase.APPRECIATION, round=1), Event.RESUME),
    ):
        rendered = render(outcome, content)
        parts = parts_of(rendered)
        expected = 2 * ex.APPRECIATION_SECONDS
        assert abs(timed_span(rendered.speech) - expected) <= TOLERANCE * expected
        chime = parts.index(Sound("chime"))
        assert parts[chime + 1] == Text("Mary Ann Beth, your turn.") or parts[chime + 1] == Text(
            "Jean Luc Paul, your turn."
        )
        assert rendered.speech.seconds() <= ex.RESPONSE_LIMIT_SECONDS
        assert ends_with_prompt(rendered, outcome.exercise, content)


def test_timed_span_reads_ssml_and_refuses_speech_without_a_timed_part() -> None:
    speech = Speech("Hello.").sound("start").pause(25).say("Two words").sound("end").say("Bye.")
    assert timed_span(speech.ssml()) == pytest.approx(25.8)
    assert timed_span(speech) == pytest.approx(25.8)
    with pytest.raises(ValueError, match="no start sound"):
        timed_span(Speech("Hello."))


# Every reachable outcome renders well


def test_every_reachable_outcome_renders_a_well_formed_response(
    outcomes: list[Outcome], content: Content
) -> None:
    assert len(outcomes) > 1000
    assert {outcome.happened for outcome in outcomes} == set(Happened)
    for outcome in outcomes:
        rendered = render(outcome, content)
        parts = parts_of(rendered)
        assert parts, outcome
        assert rendered.speech.seconds() <= ex.RESPONSE_LIMIT_SECONDS
        assert longest_break(rendered.speech.ssml()) <= MAX_BREAK_SECONDS
        assert rendered.ends_session == outcome.ends_session
        if rendered.ends_session:
            assert not rendered.reprompt
            continue
        assert rendered.reprompt, outcome
        parse_ssml(rendered.reprompt.ssml())
        if outcome.timer is TimerAction.ASK_PERMISSION:
            # Alexa's own consent question follows this response.
            assert spoken(rendered).endswith(content.phrase("exercise.timer.asking"))
        else:
            assert ends_with_prompt(rendered, outcome.exercise, content), outcome


def test_sessions_end_only_for_stop_time_out_goodbye_and_timer_floors(outcomes: list[Outcome]) -> None:
    ending = {outcome.happened for outcome in outcomes if outcome.ends_session}
    assert Happened.STOPPED in ending
    assert Happened.TIMED_OUT in ending
    assert Happened.GOODBYE in ending
    for outcome in outcomes:
        if outcome.ends_session and outcome.happened not in (
            Happened.STOPPED,
            Happened.TIMED_OUT,
            Happened.GOODBYE,
            Happened.PAUSED,  # truthful: the mic can't stay open, a relaunch picks up there
        ):
            assert outcome.timer is TimerAction.START, outcome


def test_completion_and_time_out_leave_a_card(content: Content) -> None:
    done = render(handle(state(Phase.APPRECIATION, round=1), Event.NEXT), content)
    assert done.card_title == "Listening exercise"
    assert done.card_text
    timed_out = render(handle(state(Phase.FLOOR), Event.TIME_OUT), content)
    assert timed_out.ends_session
    assert timed_out.card_text
    assert "twenty minutes" in timed_out.card_text
    assert "twenty minutes" in spoken(timed_out)
    assert render(handle(state(Phase.FLOOR), Event.REPEAT), content).card_title is None


def test_names_and_declined_names_are_spoken(content: Content) -> None:
    declined = handle(Exercise(), Event.NEXT)
    assert "I'll call you the first speaker and the second speaker." in spoken(render(declined, content))
    named = handle(Exercise(), Event.NAMES, value=["alex", "Sam"])
    assert spoken(render(named, content)) == "Alex and Sam, is that right?"
    kept = handle(named.exercise, Event.YES)
    assert spoken(render(kept, content)).startswith("Lovely. Who would like the floor first?")


def test_coin_flip_announces_who_goes_first(content: Content) -> None:
    for seed in range(4):
        outcome = handle(
            state(Phase.FIRST_SPEAKER, first_speaker=None), Event.COIN_FLIP, rng=random.Random(seed)
        )
        first = LONG_NAMES[outcome.exercise.first_speaker or 0]
        assert spoken(render(outcome, content)).startswith(f"I've flipped a coin, and {first} goes first.")


# Resume offer and phase descriptions


def test_resume_offer_names_who_had_the_floor(content: Content) -> None:
    stopped = handle(Exercise(phase=Phase.FLOOR, names=("Alex", "Sam"), first_speaker=0), Event.STOP).exercise
    assert script.resume_offer(stopped, content) == (
        "You were in the middle of the listening exercise, and Alex had the floor. Shall we pick up there?"
    )
    swapped = Exercise(phase=Phase.REFLECTION, names=("Alex", None), first_speaker=0, round=1, paused=True)
    assert script.resume_offer(swapped, content) == (
        "You paused the listening exercise, and Alex was summing up what partner two said. "
        "Shall we pick up there?"
    )
    timed_out = handle(swapped, Event.TIME_OUT).exercise
    assert script.resume_offer(timed_out, content).startswith("You took a time out")
    assert script.resume_offer(Exercise(phase=Phase.DONE), content) == (
        "There's no unfinished listening exercise to pick up."
    )


def test_describe_phase(content: Content) -> None:
    floor = Exercise(phase=Phase.FLOOR, names=("Alex", "Sam"), first_speaker=1)
    assert script.describe_phase(floor, content) == (
        "We're in the listening exercise. Sam has the floor, and Alex is listening."
    )
    assert script.describe_phase(Exercise(), content) == "We're setting up the listening exercise."
    stopped = handle(floor, Event.STOP).exercise
    assert script.describe_phase(stopped, content) == script.describe_phase(floor, content)


# The words: all in exercise.toml, all used, all speakable


def leaf_keys(node: Any, prefix: str) -> set[str]:
    if isinstance(node, dict):
        return {key for name, child in node.items() for key in leaf_keys(child, f"{prefix}.{name}")}
    return {prefix}


def test_every_phrase_used_exists_and_every_phrase_is_used(outcomes: list[Outcome], content: Content) -> None:
    recording = Recording(content)
    states = {outcome.exercise for outcome in outcomes}
    for outcome in outcomes:
        render(outcome, recording)
        if outcome.happened is Happened.HELP:
            render(outcome, recording, played=True)  # help after the timed part has played
        if outcome.completed:
            render(outcome, recording, offer_reminder=True)
    for each in states:
        script.resume_offer(each, recording)
        script.describe_phase(each, recording)
        script.prompt(each, recording)
    defined = leaf_keys(content.phrases["exercise"], "exercise") | leaf_keys(
        content.phrases["exchanges"], "exchanges"
    )
    assert recording.used - defined == set()
    # the spoken counts are a number table: only those some exercise length reaches are heard
    defined = {key for key in defined if not key.startswith("exchanges.count.")}
    # said by the handlers (keep or let go, a late timer relaunch): tests/test_exercise_handlers.py
    defined = {
        key
        for key in defined
        if not key.startswith(
            ("exchanges.keep.", "exchanges.relaunch.", "exchanges.outside.", "exchanges.know.")
        )
    }  # content.phrase would also have raised
    assert defined - recording.used == set(), "phrases no response uses"


def test_every_literal_key_in_the_script_module_exists(content: Content) -> None:
    source = Path(script.__file__).read_text(encoding="utf-8")
    literals = {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    keys = {literal for literal in literals if re.fullmatch(r"[a-z_]+\.[a-z_]+", literal)}
    assert len(keys) > 20
    missing = {
        key
        for key in keys
        if not content.has_phrase(f"exercise.{key}") and not content.has_phrase(f"exchanges.{key}")
    }
    assert missing == set()


def test_no_english_in_the_script_module() -> None:
    """Every sentence lives in exercise.toml: outside docstrings and error messages (for developers), the
    module's string literals are phrase keys, not words to say."""
    tree = ast.parse(Path(script.__file__).read_text(encoding="utf-8"))
    not_spoken = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    not_spoken |= {
        id(inner) for node in ast.walk(tree) if isinstance(node, ast.Raise) for inner in ast.walk(node)
    }
    words = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in not_spoken
        and re.search(r"[A-Za-z]+ [A-Za-z]+", node.value)
    ]
    assert words == []


SPEAKABLE = re.compile(r"[A-Za-z ,.?!':{}-]")
FIELDS = {
    "first",
    "second",
    "opener",
    "other",
    "speaker",
    "listener",
    "floor",
    "reflection",
    "appreciation",
    "remaining",
    "longest",
    "where",
    "missed",
    "speaking",
    "left",
    "total",
    "count",
}


def phrases(content: Content) -> dict[str, str]:
    keys = leaf_keys(content.phrases["exercise"], "exercise") | leaf_keys(
        content.phrases["exchanges"], "exchanges"
    )
    return {key: content.phrase(key) for key in keys}


def test_phrases_are_speakable_and_use_only_documented_fields(content: Content) -> None:
    header = TOML.read_text(encoding="utf-8").split("\n\n")[0]
    for key, text in phrases(content).items():
        assert {char for char in text if not SPEAKABLE.fullmatch(char)} == set(), key
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        assert fields <= FIELDS, (key, fields)
    extra = (TOML.parent / "exchanges.toml").read_text(encoding="utf-8").split("\n\n")[0]
    for field in FIELDS - {"count"}:
        assert "{" + field + "}" in header + extra, f"the header comment does not explain {{{field}}}"


def test_cues_are_short(content: Content) -> None:
    assert len(content.phrase("exercise.floor.cue").split()) <= 5
    assert len(content.phrase("exercise.appreciation.handover").split()) <= 5
    assert len(content.phrase("exercise.begin").split()) <= 5
    for cue in ("go_on", "last", "mirror"):
        assert len(content.phrase(f"exchanges.exchange.{cue}").split()) <= 5


# Short exchanges (the default): every way into a turn, every response of it, measured


def short_ways_into_the_floor(minutes: int) -> list[Outcome]:
    reflection = short_state(Phase.REFLECTION, minutes)
    found = [
        handle(short_state(Phase.RULES, minutes), Event.NEXT),
        handle(short_state(Phase.RULES, minutes, skip_rules=True), Event.SKIP_RULES),
        handle(reflection, Event.YES),
        handle(reflection, Event.NEXT),
        handle(short_state(Phase.REFLECTION, minutes, retried=True), Event.NO),
        handle(short_state(Phase.FLOOR, minutes, paused=True, round=1), Event.RESUME),
        handle(short_state(Phase.STOPPED, minutes, return_phase=Phase.FLOOR), Event.YES),
        handle(
            short_state(Phase.FLOOR, minutes, exchange=len(ex.turn_blocks(minutes * 60)) - 1),
            Event.RESTART_TURN,
        ),
    ]
    assert all(outcome.exercise.phase is Phase.FLOOR and outcome.entered for outcome in found)
    assert all(outcome.exercise.exchange == 0 for outcome in found)
    return found


def audio_clips(rendered: Rendered) -> int:
    return rendered.speech.ssml().count("<audio ")


@pytest.mark.parametrize("minutes", list(ex.FLOOR_MINUTES))
def test_a_short_exchange_turn_speaks_for_its_floor_over_all_its_responses(
    minutes: int, content: Content
) -> None:
    floor = minutes * 60
    for outcome in short_ways_into_the_floor(minutes):
        speaking = 0.0
        exchanges = 0
        responses = 0
        while outcome.exercise.phase is Phase.FLOOR:
            assert outcome.entered
            assert outcome.timer is TimerAction.NONE
            rendered = render(outcome, content)
            parts = parts_of(rendered)
            speaking += speaking_time(rendered.speech.ssml())
            exchanges += parts.count(Sound("chime"))
            responses += 1
            assert rendered.speech.seconds() <= ex.RESPONSE_LIMIT_SECONDS, (
                minutes,
                rendered.speech.seconds(),
            )
            assert audio_clips(rendered) <= ex.AUDIO_CLIP_LIMIT
            assert longest_break(rendered.speech.ssml()) <= MAX_BREAK_SECONDS
            assert parts.count(Sound("end")) == 1
            assert ends_with_prompt(rendered, outcome.exercise, content)
            assert not rendered.ends_session
            assert rendered.reprompt
            outcome = handle(outcome.exercise, Event.NEXT)
        assert abs(speaking - floor) <= TOLERANCE * floor, (minutes, speaking)
        assert exchanges >= 2
        assert exchanges == floor // ex.CHUNK_SECONDS
        assert responses == len(ex.turn_blocks(floor))
        assert outcome.exercise.phase is Phase.REFLECTION


def test_each_exchange_is_a_chunk_a_chime_and_a_mirroring_window(content: Content) -> None:
    rendered = render(handle(short_state(Phase.RULES), Event.NEXT), content)
    parts = parse_ssml(rendered.speech.ssml())
    start = parts.index(Sound("start"))
    chime = parts.index(Sound("chime"))
    assert timed_span([*parts[start:chime], Sound("end")]) == pytest.approx(ex.CHUNK_SECONDS)
    assert parts[chime + 1] == Text("Jean Luc Paul, say it back.")
    after = next(i for i in range(chime + 1, len(parts)) if isinstance(parts[i], Sound))
    window = sum(part.seconds for part in parts[chime + 1 : after] if isinstance(part, Pause))
    assert window == pytest.approx(ex.MIRROR_SECONDS)
    assert spoken(rendered).endswith("Mary Ann Beth, if Jean Luc Paul got it, say next, and go on.")


def test_every_reachable_response_stays_within_the_audio_clip_limit(
    outcomes: list[Outcome], content: Content
) -> None:
    assert max(audio_clips(render(outcome, content)) for outcome in outcomes) <= ex.AUDIO_CLIP_LIMIT


def test_repeat_in_a_timed_phase_is_the_pending_prompt_only(content: Content) -> None:
    for current in (
        short_state(Phase.FLOOR),
        short_state(Phase.FLOOR, exchange=1),
        short_state(Phase.REFLECTION),
        short_state(Phase.REFLECTION, retried=True),
        short_state(Phase.APPRECIATION, round=1),
        state(Phase.FLOOR),
    ):
        rendered = render(handle(current, Event.REPEAT), content)
        assert spoken(rendered) == script.prompt(current, content)
        assert Sound("start") not in parse_ssml(rendered.speech.ssml())


def test_help_after_a_played_phase_describes_what_comes_next(content: Content) -> None:
    between = handle(short_state(Phase.FLOOR), Event.HELP)
    assert "partway through" in spoken(render(between, content, played=True))
    over = handle(short_state(Phase.FLOOR, exchange=1), Event.HELP)
    text = spoken(render(over, content, played=True))
    assert text.startswith("Mary Ann Beth's turn is over. Next, Jean Luc Paul sums up")
    during = spoken(render(over, content))
    assert "speaks a few sentences at each chime" in during
    asked = spoken(render(handle(short_state(Phase.REFLECTION), Event.HELP), content, played=True))
    assert "felt understood" in asked


def test_ground_rules_are_grouped_and_about_thirty_seconds(content: Content) -> None:
    rules = content.phrase("exercise.rules.text")
    for group in ("The speaker:", "The listener:", "Both of you:"):
        assert group in rules
    assert 20 <= duration([Text(rules)]) <= 35
    swap = content.phrase("exchanges.exchange.roles_swap", speaker="A", listener="B", floor="two minutes")
    assert swap.count(".") == 1
    assert "speaks" in swap
    assert "listens" in swap


def test_without_names_the_coin_flip_says_how_roles_are_named(content: Content) -> None:
    unnamed = Exercise(phase=Phase.FIRST_SPEAKER)
    flipped = handle(unnamed, Event.COIN_FLIP, rng=random.Random(1))
    text = spoken(render(flipped, content))
    assert "nearer to me goes first" in text
    assert "the first speaker" in text
    floor = render(handle(replace(flipped.exercise, phase=Phase.RULES), Event.NEXT), content)
    assert spoken(floor).startswith("the first speaker, you have the floor first")


def test_time_questions_are_answered_from_the_state(content: Content) -> None:
    floor = short_state(Phase.FLOOR, exchange=1)
    left = spoken(render(handle(floor, Event.TIME_LEFT), content))
    assert left.startswith("Mary Ann Beth has about a minute of speaking left in this turn.")
    whose = spoken(render(handle(floor, Event.WHOSE_TURN), content))
    assert whose.startswith("It's Mary Ann Beth's turn to speak, and Jean Luc Paul's turn to listen")
    how = spoken(render(handle(short_state(Phase.NAMES), Event.HOW_LONG), content))
    assert how.startswith("With two minutes of speaking each, the whole exercise takes about")
