"""Every dialog state x every intent in the model (with plausible slot values, odd ones, and none) gives
a valid response: no exception (not even one the catch-all handler hid), SSML that parses, no break over
10 s, under
8,000 characters, and a reprompt whenever the session stays open.

A state is reached by voice (a setup of utterances through the device), checked to be the state it claims to
be, and then every request is sent with that state's session attributes straight to the Lambda entry point.
New states join by adding a line to STATES.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from skill_harness import LOCALES, device, lambda_entry, response_problems
from test_screen import unresolved

from trust_console import envelopes

MODELS_DIR = Path(__file__).parents[1] / "interaction_models"


def _model(locale: str) -> dict:
    path = MODELS_DIR / f"{locale}.json"
    return json.loads(path.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]


OPEN = ["open trust builder"]
EXERCISE = [*OPEN, "start the listening exercise"]
READ_BACK = [*EXERCISE, "we are Sam and Alex"]
NAMED = [*READ_BACK, "yes"]
SPEAKER = [*NAMED, "Sam goes first"]
RULES = [*SPEAKER, "next"]
FLOOR = [*RULES, "next"]  # two minutes each, in short exchanges: two responses of two exchanges
FLOOR_PART_TWO = [*FLOOR, "next"]
REFLECTION = [*FLOOR_PART_TWO, "next"]
SECOND_FLOOR = [*REFLECTION, "yes"]
APPRECIATION = [*SECOND_FLOOR, "next", "next", "yes"]

# name: (earlier visit of the same household, setup in this visit, expected mode, expected exercise phase)
STATES = {
    "first welcome": ([], OPEN, "menu", None),
    "returning welcome": ([*OPEN, "step three", "stop"], OPEN, "menu", None),
    "on step one": ([], [*OPEN, "step one"], "steps", None),
    "after a detail": ([], [*OPEN, "step four", "tell me more"], "steps", None),
    "on the last step": ([], [*OPEN, "step eight"], "steps", None),
    "closing thoughts": ([], [*OPEN, "step eight", "next"], "menu", None),
    "confirm start over": ([], [*OPEN, "step two", "start over"], "confirm_start_over", None),
    "confirm forget": ([], [*OPEN, "step two", "forget us"], "confirm_forget", None),
    "resume offer": ([*NAMED, "stop"], OPEN, "resume_offer", None),
    "exercise: names": ([], EXERCISE, "exercise", "names"),
    "exercise: confirm names": (
        [*NAMED, "stop", *OPEN, "no", "no", "stop"],
        EXERCISE,
        "exercise",
        "confirm_names",
    ),
    "exercise: names read back": ([], READ_BACK, "exercise", "confirm_names"),
    "keep or let go": ([*NAMED, "stop"], [*OPEN, "no"], "exercise_keep_offer", None),
    "exercise: first speaker": ([], NAMED, "exercise", "first_speaker"),
    "exercise: floor time": ([], SPEAKER, "exercise", "floor_time"),
    "exercise: timer permission": (
        [],
        [*SPEAKER, "no interruptions", "give us five minutes each"],
        "exercise",
        "timer_permission",
    ),
    "exercise: rules": ([], RULES, "exercise", "rules"),
    "exercise: floor": ([], FLOOR, "exercise", "floor"),
    "exercise: paused": ([*FLOOR, "pause"], OPEN, "resume_offer", None),
    "exercise: floor, second part": ([], FLOOR_PART_TWO, "exercise", "floor"),
    "exercise: restart offered": ([], [*FLOOR, "start over"], "exercise", "floor"),
    "exercise: long turn floor": ([], [*SPEAKER, "no interruptions", "next", "next"], "exercise", "floor"),
    "exercise: speaker says what was missed": ([], [*REFLECTION, "no"], "exercise", "reflection"),
    "exercise: reflection": ([], REFLECTION, "exercise", "reflection"),
    "exercise: second floor": ([], SECOND_FLOOR, "exercise", "floor"),
    "exercise: appreciation": ([], APPRECIATION, "exercise", "appreciation"),
}

SLOT_VALUES = {
    "AMAZON.NUMBER": ["3", "12", "0", "?"],
    "AMAZON.FirstName": ["Sam", "Alex", "terrified"],
    "StepTopic": ["forgiving", "bananas"],
    "Feeling": ["jealous", "bananas"],
    "AMAZON.SearchQuery": ["feel jealous all the time", "terrified"],
}
# Custom slot values that resolve (type -> value said -> (id, name)); any other value resolves to nothing.
RESOLVED = {
    "StepTopic": {"forgiving": ("forgiveness", "forgiveness")},
    "Feeling": {"jealous": ("jealous", "jealous")},
}


def _slot_variants(intent: dict) -> list[dict]:
    """No slots; then each slot alone with each plausible or odd value (others unfilled)."""
    slots = intent.get("slots", [])
    variants: list[dict] = [{}]
    for slot in slots:
        for value in SLOT_VALUES.get(slot["type"], ["something"]):
            resolved = None
            if slot["type"] in RESOLVED:
                known = RESOLVED[slot["type"]].get(value)
                resolved = envelopes.resolutions(
                    envelopes.LOCAL_SKILL_ID, slot["type"], [known] if known else []
                )
            filled = {other["name"]: envelopes.slot(other["name"]) for other in slots}
            filled[slot["name"]] = envelopes.slot(slot["name"], value, resolved=resolved)
            variants.append(filled)
    return variants


def _requests(locale: str) -> list[tuple[str, dict]]:
    """Every intent of that locale's model (with slot variants), the session end, a launch, and touches."""
    requests = []
    for intent in _model(locale)["intents"]:
        for slots in _slot_variants(intent):
            label = intent["name"] + "".join(
                f" {k}={v.get('value')}" for k, v in slots.items() if "value" in v
            )
            requests.append((label, envelopes.intent_request(intent["name"], slots or None, locale)))
    requests.append(("SessionEndedRequest", envelopes.session_ended_request("USER_INITIATED", locale)))
    requests.append(("LaunchRequest", envelopes.launch_request(locale)))
    for action in ("next", "pause", "resume", "stop", "unknown"):  # screen touches (APL UserEvents)
        requests.append((f"touch {action}", envelopes.user_event([action], locale)))
    return requests


REQUESTS = {locale: _requests(locale) for locale in LOCALES}


def _screen_problems(response: dict, has_screen: bool) -> list[str]:
    """A screen device gets at most one APL document whose data resolves; a speaker gets none."""
    rendered = [
        directive
        for directive in (response.get("response") or {}).get("directives") or []
        if directive.get("type", "").startswith("Alexa.Presentation.APL")
    ]
    if not has_screen:
        return ["APL sent to a device without a screen"] if rendered else []
    if len(rendered) > 1:
        return [f"{len(rendered)} APL directives in one response"]
    problems = []
    for directive in rendered:
        missing = unresolved(directive["document"], directive["datasources"]["screen"])
        if missing:
            problems.append(f"{directive['token']}: unresolved {missing}")
    return problems


def _repeats_word_for_word(attributes: dict, label: str, body: dict) -> bool:
    """Outside the exercise, only "repeat" may say the previous response again exactly."""
    if attributes.get("mode") == "exercise" or label == "AMAZON.RepeatIntent":
        return False
    last = (attributes.get("last") or {}).get("speech")
    return last is not None and (body.get("outputSpeech") or {}).get("ssml") == last


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("has_screen", [False, True], ids=["speaker", "screen"])
@pytest.mark.parametrize("state", list(STATES))
def test_every_intent_in_state_gives_a_valid_response(state, has_screen, locale, tmp_path_factory):
    handler = lambda_entry(tmp_path_factory.mktemp("data"))
    before, setup, expected_mode, expected_phase = STATES[state]
    echo = device(handler, screen=has_screen, locale=locale)
    for utterance in before:
        echo.say(utterance)
    if echo.session_open:
        echo.say("stop")
    for utterance in setup:
        turn = echo.say(utterance)
        assert turn.problems == [], f"setup {utterance!r}: {turn.problems}"
    attributes = echo.session_attributes
    assert attributes.get("mode") == expected_mode, f"setup did not reach {state}: {attributes}"
    if expected_phase:
        assert (attributes.get("exercise") or {}).get("phase") == expected_phase, attributes.get("exercise")

    failures = []
    for label, request in REQUESTS[locale]:
        session = envelopes.SessionState(echo.session.session_id, False, copy.deepcopy(attributes))
        event = envelopes.envelope(request, echo.identity, session)
        response = handler(event, None)
        problems = response_problems(response) + _screen_problems(response, has_screen)
        speech = json.dumps(response.get("response", {}).get("outputSpeech") or {})
        if "went wrong on my side" in speech:
            problems.append("the catch-all exception handler answered")
        body = response.get("response") or {}
        if (
            request["type"] != "SessionEndedRequest"
            and not body.get("outputSpeech")
            and not body.get("directives")
        ):
            problems.append("an intent got no speech")
        if _repeats_word_for_word(attributes, label, body):
            problems.append("the response repeats the previous one word for word")
        if problems:
            failures.append(f"{label}: {problems}")
    assert failures == [], f"in state {state!r}:\n" + "\n".join(failures)
