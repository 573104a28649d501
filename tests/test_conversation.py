"""The conversation outside the exercise (issue 9 sections 2 and 3), as a couple meets it: text through the
local matcher, envelopes through lambda_function.lambda_handler, the real ASK SDK dispatch and the embedded
store. Pure pieces (variant choice, the next unheard step, the welcome-back lines) are tested directly."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from skill_harness import device, household_id, lambda_entry

from trust_builder import conversation
from trust_builder.content import load
from trust_builder.handlers.launch import welcome_back_lines
from trust_builder.progress import Progress
from trust_builder.speech import Speech, Text, duration
from trust_console import envelopes

DIALOG_DIR = Path(__file__).parent / "dialogs"
INTRO_MAX_SECONDS = 30


@pytest.fixture
def echo(tmp_path_factory):
    return device(lambda_entry(tmp_path_factory.mktemp("data")))


def spoken(turn) -> str:
    return (turn.speech_text + " " + (turn.reprompt_text or "")).lower()


def sentences_of(turn) -> list[str]:
    text = " ".join(part.text for part in turn.speech_parts if isinstance(part, Text))
    return [s for s in re.split(r"(?<=[.?!])\s+", text) if s]


# ----- fallbacks -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "options"),
    [
        ([], ["yes for step 1", "list the steps", "listening exercise"]),
        (["step two"], ["tell me more", "next for step 3", "list the steps"]),
        (["step two", "tell me more"], ["next for step 3", "repeat", "listening exercise"]),
        (["step eight"], ["tell me more", "next for the closing thoughts"]),
        (["step eight", "next"], ["yes to start the listening exercise", "we're done"]),
        (["step two", "start over"], ["yes or a no", "start over"]),
        (["step two", "forget us"], ["yes or a no", "delete"]),
        (["list the steps"], ["yes to hear more of the steps", "step number"]),
    ],
)
def test_a_miss_names_what_can_be_said_here(echo, setup, options):
    echo.say("open trust builder")
    for utterance in setup:
        echo.say(utterance)
    turn = echo.say("blah blah purple monkey")
    assert turn.session_open
    for option in options:
        assert option in spoken(turn), turn.speech_text
    assert "help" not in turn.speech_text.lower(), (
        "help is offered on the second miss in a row, not the first"
    )


def test_a_miss_in_the_resume_offer_names_yes_and_no(tmp_path_factory):
    handler = lambda_entry(tmp_path_factory.mktemp("data"))
    user = household_id("resume-miss")
    first = device(handler, user)
    for utterance in ["open trust builder", "start the listening exercise", "we are Sam and Alex", "stop"]:
        first.say(utterance)
    echo = device(handler, user)
    assert echo.say("open trust builder").session_open
    assert echo.session_attributes["mode"] == "resume_offer"
    turn = echo.say("blah blah purple monkey")
    assert "say yes to pick up the listening exercise" in spoken(turn)


def test_a_second_miss_in_a_row_says_more_and_offers_help_then_a_good_turn_resets(echo):
    echo.say("open trust builder")
    echo.say("step two")
    first = echo.say("blah blah purple monkey")
    second = echo.say("blah blah purple monkey")
    third = echo.say("blah blah purple monkey")
    assert "say help" not in first.speech_text.lower()
    assert "we're on step 2" in second.speech_text.lower()
    assert "say help" in second.speech_text.lower()
    assert len({first.speech_text, second.speech_text, third.speech_text}) == 3, "a fallback was repeated"
    assert echo.session_attributes["misses"] == 3
    echo.say("tell me more")
    assert "misses" not in echo.session_attributes
    after = echo.say("blah blah purple monkey")
    assert "say help" not in after.speech_text.lower()


def test_the_miss_count_lives_in_the_session_only(echo):
    echo.say("open trust builder")
    echo.say("step one")
    echo.say("blah blah purple monkey")
    stored = echo.session_attributes["progress"]
    assert set(stored) == set(Progress().to_dict()), "a conversation counter leaked into stored progress"


def test_an_intent_that_does_not_fit_is_not_called_a_mishearing(echo):
    echo.say("open trust builder")
    turn = echo.send(envelopes.intent_request("AMAZON.PauseIntent"))
    assert "didn't catch" not in turn.speech_text
    assert "list the steps" in spoken(turn)


# ----- finishing for now -------------------------------------------------------------------------------


@pytest.mark.parametrize("said", ["we're done", "that's it for tonight", "let's stop", "we're finished"])
def test_finishing_ends_kindly_and_keeps_progress(tmp_path_factory, said):
    handler = lambda_entry(tmp_path_factory.mktemp("data"))
    user = household_id("finished")
    echo = device(handler, user)
    echo.say("open trust builder")
    echo.say("step two")
    turn = echo.say(said)
    assert turn.intent == "FinishedIntent"
    assert turn.session_ended
    assert not turn.session_open
    assert "kept your progress" in turn.speech_text
    assert "step 3" in turn.speech_text
    assert "Step 3:" not in turn.speech_text, "a couple saying they're done heard the next step"
    again = device(handler, user).say("open trust builder")
    assert "finished step 2" in again.speech_text


def test_finishing_while_an_exercise_runs_is_left_to_the_exercise(echo):
    for utterance in ["open trust builder", "start the listening exercise"]:
        echo.say(utterance)
    turn = echo.say("we're done")
    assert turn.intent == "FinishedIntent"
    assert "kept your progress" not in turn.speech_text


# ----- what the skill can't advise on ------------------------------------------------------------------


def test_a_feeling_is_acknowledged_and_the_step_that_speaks_to_it_offered(echo):
    echo.say("open trust builder")
    turn = echo.say("I feel jealous")
    assert turn.intent == "FeelingIntent"
    assert "can't advise" in turn.speech_text
    assert "Step 2" in turn.speech_text
    assert "jealous" not in turn.speech_text.lower()
    assert "Step 2:" in echo.say("yes").speech_text


def test_an_unknown_feeling_is_never_read_back(echo):
    echo.say("open trust builder")
    slots = {"feeling": envelopes.slot("feeling", "zorblaxian", resolved=_no_match("Feeling"))}
    turn = echo.send(envelopes.intent_request("FeelingIntent", slots))
    assert "zorblaxian" not in spoken(turn)
    assert "step 3" in spoken(turn)


def test_a_relationship_question_gets_no_advice_and_the_exercise_offered(echo):
    echo.say("open trust builder")
    turn = echo.say("is it normal to feel jealous")
    assert turn.intent == "RelationshipQuestionIntent"
    assert "can't give advice" in turn.speech_text
    assert "jealous" not in spoken(turn)
    assert "listening exercise" in echo.say("yes").speech_text.lower()


def test_a_suspicion_is_not_judged_or_echoed(echo):
    echo.say("open trust builder")
    turn = echo.say("I think he's lying to me")
    assert turn.intent == "SuspicionIntent"
    assert "lying" not in spoken(turn)
    assert "can't judge" in turn.speech_text
    assert "Step 3" in turn.speech_text


def test_free_text_mid_exercise_returns_to_the_exercise_question(echo):
    for utterance in ["open trust builder", "start the listening exercise"]:
        echo.say(utterance)
    before = echo.session_attributes["exercise"]
    turn = echo.say("I think he's lying to me")
    assert "back to the exercise" in turn.speech_text.lower()
    assert echo.session_attributes["exercise"] == before
    assert echo.session_attributes["mode"] == "exercise"


def _no_match(slot_type: str) -> dict:
    return envelopes.resolutions(envelopes.LOCAL_SKILL_ID, slot_type, [])


# ----- questions ---------------------------------------------------------------------------------------


def test_what_do_you_know_with_nothing_stored(echo):
    echo.say("open trust builder")
    turn = echo.say("what do you know about us")
    assert "don't have anything saved" in turn.speech_text
    assert "forget us" in turn.speech_text


def test_what_do_you_know_reads_back_what_is_stored(echo):
    for utterance in ["open trust builder", "step one", "tell me more", "next", "step five"]:
        echo.say(utterance)
    turn = echo.say("what do you know about us")
    text = turn.speech_text
    assert "3 of the eight steps, most recently step 5" in text
    assert "heard more about: 1" in text
    assert "haven't finished the listening exercise" in text
    assert "No names" in text
    assert "never keep what you say" in text
    assert "forget us" in text


def test_the_read_back_covers_every_stored_field():
    stored = {field.name for field in dataclasses.fields(Progress)}
    assert stored <= conversation.READ_BACK_FIELDS, stored - conversation.READ_BACK_FIELDS


def test_about_listening_and_about_the_skill(echo):
    echo.say("open trust builder")
    listening = echo.say("what is active listening")
    assert listening.intent == "AboutListeningIntent"
    assert "full attention" in listening.speech_text
    assert "listening exercise" in echo.say("yes").speech_text.lower()
    echo.say("stop")
    echo.say("open trust builder")
    skill = echo.say("how does this all work")
    assert skill.intent == "AboutSkillIntent"
    assert "guide, not a counselor" in skill.speech_text


def test_more_behaves_like_tell_me_more(echo):
    echo.say("open trust builder")
    echo.say("step three")
    turn = echo.send(envelopes.intent_request("AMAZON.MoreIntent"))
    assert "you might say" in turn.speech_text.lower()


def test_resume_at_the_menu_picks_up_a_parked_exercise(echo):
    for utterance in ["open trust builder", "start the listening exercise", "we are Sam and Alex"]:
        echo.say(utterance)
    echo.say("list the steps")  # parks the exercise
    assert echo.session_attributes["mode"] == "menu"
    turn = echo.say("resume")
    assert turn.intent == "AMAZON.ResumeIntent"
    assert echo.session_attributes["mode"] == "exercise"


def test_resume_with_nothing_to_resume_says_so_and_offers_the_menu(echo):
    echo.say("open trust builder")
    turn = echo.say("resume")
    assert "no unfinished exercise" in turn.speech_text
    assert turn.session_open


# ----- speech for the ear ------------------------------------------------------------------------------


def test_yes_lets_start_is_under_thirty_seconds_before_its_question(echo):
    echo.say("open trust builder")
    turn = echo.say("yes")
    parts = turn.speech_parts
    question_at = max(i for i, part in enumerate(parts) if isinstance(part, Text))
    last = parts[question_at]
    assert isinstance(last, Text)
    assert last.text.endswith("?")
    earlier = re.split(r"(?<=[.?!])\s+", last.text)[:-1]
    before = [*parts[:question_at], *([Text(" ".join(earlier))] if earlier else [])]
    assert duration(before) < INTRO_MAX_SECONDS, duration(before)
    step_one = echo.say("yes")
    assert "Step 1:" in step_one.speech_text
    assert "cornerstone" not in step_one.speech_text


def test_list_steps_speaks_at_most_three_at_a_time(echo):
    echo.say("open trust builder")
    heard = []
    turn = echo.say("list the steps")
    for _ in range(3):
        items = re.findall(r"\b(\d): ", turn.speech_text)
        assert 0 < len(items) <= 3
        heard += items
        if "Which one" in turn.speech_text:
            break
        turn = echo.say("yes")
    assert heard == [str(n) for n in range(1, 9)]


def test_the_unknown_topic_line_lists_no_more_than_three_at_once():
    line = load("en-US").phrase("conversation.steps.unknown_topic")
    for sentence in re.split(r"(?<=[.?!:])\s+", line):
        assert sentence.count(",") <= 2, sentence


def test_prompts_after_a_summary_vary_and_name_what_works(echo):
    echo.say("open trust builder")
    prompts = {" ".join(sentences_of(echo.say(f"step {n}"))[-2:]) for n in ("one", "two", "three")}
    assert len(prompts) == 3
    assert all("tell me more" in prompt.lower() and "next for step" in prompt.lower() for prompt in prompts)


def test_quoted_examples_in_the_steps_are_introduced():
    for step in load("en-US").steps:
        for quoted in re.findall(r"[^.]*:\s*I\b[^.]*", step.detail):
            assert re.search(r"(you might say|finish this sentence)", quoted, re.IGNORECASE), quoted


# ----- welcome back ------------------------------------------------------------------------------------


def _progress(**fields) -> Progress:
    progress = Progress.new(date(2026, 11, 1))
    for name, value in fields.items():
        setattr(progress, name, value)
    return progress


def test_welcome_back_says_how_far_and_the_last_exercise():
    content = load("en-US")
    progress = _progress(
        current_step=3,
        steps_heard=[1, 2, 3],
        last_exercise_date="2026-11-20",
        last_visit="2026-11-20",
        exercises_completed=1,
    )
    lines = welcome_back_lines(progress, content, date(2026, 11, 25))
    assert lines[0].startswith("Last time you finished step 3")
    assert "3 of the eight steps" in lines[1]
    assert lines[2] == "Last time you did the listening exercise together."


def test_welcome_back_never_claims_a_step_that_was_not_heard():
    content = load("en-US")
    progress = _progress(current_step=3, steps_heard=[1, 2])  # an odd record: step 3 not heard
    assert not any("finished" in line for line in welcome_back_lines(progress, content, date(2026, 11, 25)))


def test_an_older_exercise_is_said_with_its_age():
    content = load("en-US")
    progress = _progress(last_exercise_date="2026-11-10", last_visit="2026-11-20", exercises_completed=2)
    lines = welcome_back_lines(progress, content, date(2026, 11, 25))
    assert "15 days ago" in lines[-1]


def test_the_next_step_offered_is_one_not_yet_heard():
    assert conversation.first_unheard(None) == 1
    assert conversation.first_unheard(_progress(current_step=1, steps_heard=[1, 2, 3])) == 4
    assert conversation.first_unheard(_progress(current_step=8, steps_heard=[2, 8])) == 1
    assert conversation.first_unheard(_progress(current_step=5, steps_heard=list(range(1, 9)))) is None


def test_welcome_back_offers_the_next_unheard_step(tmp_path_factory):
    handler = lambda_entry(tmp_path_factory.mktemp("data"))
    user = household_id("welcome")
    first = device(handler, user)
    for utterance in ["open trust builder", "step one", "step two", "step three", "step one", "stop"]:
        first.say(utterance)
    turn = device(handler, user).say("open trust builder")
    assert "finished step 1" in turn.speech_text
    assert "3 of the eight steps" in turn.speech_text
    assert "go on to step 4" in turn.speech_text


# ----- variation ---------------------------------------------------------------------------------------


def test_pick_rotates_and_avoids_what_was_just_said():
    variants = ("a one.", "a two.", "a three.")
    assert conversation.pick(variants, 0) == "a one."
    assert conversation.pick(variants, 4) == "a two."
    assert conversation.pick(variants, 0, avoid="<speak>a one. </speak>") == "a two."
    with pytest.raises(ValueError, match="no variants"):
        conversation.pick((), 0)


def test_asking_for_the_same_thing_twice_is_not_word_for_word(echo):
    echo.say("open trust builder")
    echo.say("step four")
    first = echo.say("tell me more")
    second = echo.say("tell me more")
    assert first.speech_text != second.speech_text
    third = echo.say("repeat")
    assert third.speech_text == second.speech_text, "repeat says it again exactly"


def _dialog_turns():
    for path in sorted(DIALOG_DIR.glob("*.yaml")):
        for dialog in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield pytest.param(dialog, id=f"{path.stem}: {dialog['name']}")


REPEATS = {"AMAZON.RepeatIntent"}


@pytest.mark.parametrize("dialog", list(_dialog_turns()))
def test_no_response_repeats_the_previous_one_in_any_dialog(dialog, tmp_path_factory):
    """Across every dialog: outside the exercise, no answer is word for word the one before it, unless the
    couple asked to hear it again."""
    handler = lambda_entry(tmp_path_factory.mktemp("data"))
    echo = device(handler, household_id(dialog.get("household", "")))
    previous = None
    for turn in dialog["turns"]:
        in_exercise = echo.session_attributes.get("mode") == "exercise" if echo.session_open else False
        result = echo.say(turn["say"]) if turn["say"] else echo.silence()
        now_in_exercise = echo.session_attributes.get("mode") == "exercise"
        if (
            result.speech_text
            and previous
            and not (in_exercise or now_in_exercise)
            and result.intent not in REPEATS
        ):
            assert result.speech_text != previous, f"{turn['say']!r} repeated: {previous!r}"
        previous = result.speech_text or previous


def test_the_net_varies_a_response_that_would_repeat_word_for_word(echo):
    echo.say("open trust builder")
    echo.say("step four")
    first = echo.say("where are we")
    second = echo.say("where are we")
    assert second.speech_text == "Here it is once more. " + first.speech_text


def test_every_intro_sentence_is_speakable_in_time():
    content = load("en-US")
    intro = Speech(content.intro)
    assert intro.seconds() < INTRO_MAX_SECONDS


def test_a_long_visit_never_hears_the_same_fallback_twice(echo):
    """Misses in every state of one visit, two in a row in some: each fallback is worded differently."""
    heard = []
    route = [
        "open trust builder",
        None,
        "step one",
        None,
        None,
        "tell me more",
        None,
        "step eight",
        None,
        "next",
        None,
        None,
        "list the steps",
        None,
        "step two",
        "start over",
        None,
        "no",
        None,
        None,
        None,
    ]
    for said in route:
        turn = echo.say(said or "blah blah purple monkey")
        assert turn.problems == [], (said, turn.problems)
        assert turn.session_open, said
        if said is None:
            heard.append(turn.speech_text)
    assert len(heard) == len(set(heard)), [text for text in heard if heard.count(text) > 1]


def test_no_to_an_exercise_offered_mid_visit_goes_back_to_the_menu(echo):
    echo.say("open trust builder")
    echo.say("what is active listening")
    missed = echo.say("blah blah purple monkey")
    assert "no to go back" in spoken(missed)
    turn = echo.say("no")
    assert turn.session_open, "no to trying the exercise is not goodbye"
    assert "step 1" in spoken(turn)


@pytest.mark.parametrize("number", ["one", "two", "three", "four", "five", "six", "seven", "eight"])
def test_from_launch_to_any_step_the_exercise_the_progress_report_and_out(echo, number):
    route = [
        "open trust builder",
        f"step {number}",
        "tell me more",
        "start the listening exercise",
        "how are we doing",
        "we're done",
    ]
    turns = [echo.say(utterance) for utterance in route]
    assert all(turn.problems == [] for turn in turns), [turn.problems for turn in turns]
    assert turns[1].speech_text.startswith("Step ")
    assert all(turn.session_open for turn in turns[:-1])
    assert turns[-1].session_ended
