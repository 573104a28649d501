"""Echo Show screens (APL): the documents, their data, touches as intents, and devices without a screen.

Through the real entry point (lambda_function.lambda_handler) and the SDK's dispatch, with the console's
simulated Echo Show (LocalDevice(screen=True)); the documents are checked as JSON against the data each
screen is built with.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope, Response
from ask_sdk_model.ui import SsmlOutputSpeech
from skill_harness import device, lambda_entry

from trust_builder import content, screen
from trust_builder.exercise import Exercise, Phase
from trust_builder.exercise_script import timed_span
from trust_builder.handlers.screen import SAFETY_INTENTS, ShowOnScreen, show_help_line
from trust_builder.safety import help_line
from trust_builder.speech import Sound, duration, parse_ssml
from trust_console import envelopes

RENDER = "Alexa.Presentation.APL.RenderDocument"
EXPRESSION = re.compile(r"\$\{([^}]*)\}")
PAYLOAD_PATH = re.compile(r"payload\.screen\.([A-Za-z_][A-Za-z0-9_.]*)")
DATA_PATH = re.compile(r"\bdata\.([A-Za-z_][A-Za-z0-9_]*)")
# The components and commands the documents use (APL 2023.3), so a typo in a type name fails here.
COMPONENTS = {"Container", "Text", "ScrollView", "TouchWrapper", "Frame"}
COMMANDS = {"Sequential", "Idle", "SetValue", "AnimateItem", "SendEvent"}
EXERCISE = [
    "open trust builder",
    "start the listening exercise",
    "we are Sam and Alex",
    "yes",
    "Sam goes first",
]
FLOOR = [*EXERCISE, "next", "next"]


def _strings(node: Any):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _typed(node: Any):
    if isinstance(node, dict):
        if "type" in node:
            yield node
        for value in node.values():
            yield from _typed(value)
    elif isinstance(node, list):
        for value in node:
            yield from _typed(value)


def unresolved(document: dict[str, Any], datasource: dict[str, Any]) -> list[str]:
    """Every ${payload.screen.x.y} and ${data.z} in a document that the data source does not hold."""
    missing = []
    for text in _strings(document):
        for expression in EXPRESSION.findall(text):
            for path in PAYLOAD_PATH.findall(expression):
                node: Any = datasource
                for key in path.split("."):
                    if not isinstance(node, dict) or key not in node:
                        missing.append(f"payload.screen.{path}")
                        break
                    node = node[key]
            for key in DATA_PATH.findall(expression):
                rows = datasource.get("buttons") or []
                if not rows or any(key not in row for row in rows):
                    missing.append(f"data.{key}")
    return missing


def _screens() -> list[screen.Screen]:
    """One screen of every kind and exercise phase the skill can show."""
    words = content.load("en-US")
    shown = [screen.step_screen(words, n) for n in (1, 8)] + [screen.menu_screen(words)]
    shown.append(screen.help_line_screen("Help is available", help_line("en-GB").card))
    shown.append(screen.blank_screen())
    for phase in (Phase.NAMES, Phase.FIRST_SPEAKER, Phase.RULES, Phase.FLOOR, Phase.REFLECTION):
        state = Exercise(phase=phase, names=("Sam", None), first_speaker=0)
        shown.append(screen.exercise_screen(words, state, screen.Countdown(12.8, 120)))
    paused = Exercise(phase=Phase.FLOOR, names=("Sam", "Alex"), first_speaker=1, round=1, paused=True)
    shown.append(screen.exercise_screen(words, paused, None))
    shown.append(screen.exercise_screen(words, Exercise(phase=Phase.APPRECIATION, first_speaker=0), None))
    shown.append(screen.exercise_screen(words, Exercise(phase=Phase.DONE, first_speaker=0), None))
    return shown


def _rendered(turn) -> list[dict[str, Any]]:
    return [d for d in turn.directives if d.get("type") == RENDER]


@pytest.mark.parametrize("name", screen.document_names())
def test_every_document_is_apl_json_with_the_required_fields(name):
    text = (screen.DOCUMENT_DIR / f"{name}.json").read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["type"] == "APL"
    assert re.fullmatch(r"\d{4}\.\d", document["version"])
    template = document["mainTemplate"]
    assert template["parameters"] == ["payload"]
    assert template["items"], "mainTemplate has no items"
    for node in _typed(template):
        assert node["type"] in COMPONENTS | COMMANDS, f"{name}: unknown type {node['type']!r}"
    for resource in document.get("resources", []):
        assert set(resource) <= {"when", "description", "dimensions", "strings", "colors"}


def test_the_skill_uses_every_document_and_only_those():
    assert {shown.document for shown in _screens()} == set(screen.document_names())


@pytest.mark.parametrize("shown", _screens(), ids=lambda s: f"{s.document}:{s.datasource.get('phase', '')}")
def test_every_data_source_reference_resolves(shown):
    assert unresolved(screen.document(shown.document), shown.datasource) == []
    assert all(isinstance(value, str | int | list | dict) for value in shown.datasource.values())


def test_a_reference_to_missing_data_is_caught():
    """The check above can fail: a data source without a field the document reads."""
    shown = screen.step_screen(content.load("en-US"), 3)
    broken = {key: value for key, value in shown.datasource.items() if key != "title"}
    assert unresolved(screen.document("main"), broken) == ["payload.screen.title"]


def test_touch_actions_are_the_buttons_the_screens_offer():
    offered = {row["action"] for shown in _screens() for row in shown.datasource.get("buttons", [])}
    assert offered == set(screen.ACTION_INTENTS)


def test_a_step_shows_its_number_title_and_summary(tmp_path_factory):
    echo = device(lambda_entry(tmp_path_factory.mktemp("data")), screen=True)
    echo.say("open trust builder")
    turn = echo.say("step five")
    (directive,) = _rendered(turn)
    step = content.load("en-US").step(5)
    data = directive["datasources"]["screen"]
    assert directive["token"] == "trustBuilder.main"
    assert directive["document"] == screen.document("main")
    assert data["header"] == "Step 5 of 8"
    assert (data["title"], data["body"]) == (step.title, step.summary)


def test_the_floor_countdown_runs_in_step_with_the_spoken_timing(tmp_path_factory):
    echo = device(lambda_entry(tmp_path_factory.mktemp("data")), screen=True)
    for utterance in FLOOR[:-1]:
        echo.say(utterance)
    turn = echo.say(FLOOR[-1])
    (directive,) = _rendered(turn)
    data = directive["datasources"]["screen"]
    parts = parse_ssml(turn.response["response"]["outputSpeech"]["ssml"])
    start = parts.index(Sound("start"))
    assert data["title"] == "Sam has the floor"
    assert data["subtitle"] == "Alex listens."
    assert data["countdown"]["seconds"] == round(timed_span(parts))
    assert data["countdown"]["delayMs"] == round(duration(parts[: start + 1]) * 1000)


def test_a_paused_floor_runs_no_countdown(tmp_path_factory):
    """A pause ends the session (the exercise picks up at the next "open trust builder"): no timer runs on."""
    echo = device(lambda_entry(tmp_path_factory.mktemp("data")), screen=True)
    for utterance in FLOOR:
        echo.say(utterance)
    shown = _rendered(echo.say("pause"))
    assert all(d["datasources"]["screen"].get("countdown", {}).get("seconds", 0) == 0 for d in shown)


@pytest.mark.parametrize(
    ("setup", "action", "said"),
    [
        (FLOOR, "pause", "pause"),
        (FLOOR, "next", "next"),
        (["open trust builder", "step two"], "next", "next"),
        (["open trust builder", "step two"], "stop", "stop"),
        (FLOOR, "stop", "stop"),
    ],
)
def test_a_touch_is_handled_like_the_words(setup, action, said, tmp_path_factory):
    """A UserEvent through the Lambda entry point gets the same answer and state as the spoken intent."""
    handler = lambda_entry(tmp_path_factory.mktemp("data"))
    touched, spoken = device(handler, screen=True), device(handler, screen=True)
    for echo in (touched, spoken):
        for utterance in setup:
            echo.say(utterance)
    by_touch, by_voice = touched.touch(action), spoken.say(said)
    assert by_touch.problems == []
    assert by_touch.request["request"]["type"] == "Alexa.Presentation.APL.UserEvent"
    assert by_touch.speech_text == by_voice.speech_text
    assert by_touch.session_open == by_voice.session_open
    assert touched.session_attributes.get("exercise") == spoken.session_attributes.get("exercise")
    assert touched.session_attributes.get("step") == spoken.session_attributes.get("step")


def test_an_unknown_touch_gets_a_helpful_re_ask(tmp_path_factory):
    echo = device(lambda_entry(tmp_path_factory.mktemp("data")), screen=True)
    echo.say("open trust builder")
    for arguments in (["jump"], [], [42]):
        turn = echo.send(envelopes.user_event(arguments))
        assert turn.problems == []
        assert turn.session_open
        assert turn.speech_parts, "a touch the skill does not know still gets an answer"


def test_a_device_without_a_screen_gets_no_apl(tmp_path_factory):
    echo = device(lambda_entry(tmp_path_factory.mktemp("data")))
    turns = [echo.say(utterance) for utterance in [*FLOOR, "next", "pause", "list the steps", "step three"]]
    assert all(not _rendered(turn) for turn in turns)
    assert all("Viewport" not in turn.request["context"] for turn in turns)


def test_speech_is_the_same_with_and_without_a_screen(tmp_path_factory):
    handler = lambda_entry(tmp_path_factory.mktemp("data"))
    show, speaker = device(handler, screen=True), device(handler)
    for utterance in [*FLOOR, "next", "yes", "help", "step six", "tell me more"]:
        with_screen, without = show.say(utterance), speaker.say(utterance)
        assert with_screen.speech_text == without.speech_text, utterance
        assert with_screen.reprompt_text == without.reprompt_text, utterance
        assert with_screen.card == without.card, utterance


def test_a_safety_reply_shows_nothing_on_a_screen(tmp_path_factory):
    echo = device(lambda_entry(tmp_path_factory.mktemp("data")), screen=True)
    for utterance in FLOOR:
        echo.say(utterance)
    turn = echo.say("I don't feel safe")
    assert turn.card is None  # offered, never sent unasked
    assert all(d["token"] != "trustBuilder.helpline" for d in _rendered(turn))


def _handler_input(locale: str, *, screen_device: bool) -> HandlerInput:
    identity = envelopes.DeviceIdentity()
    if screen_device:
        identity.supported_interfaces.update(envelopes.SCREEN_INTERFACES)
    request = envelopes.intent_request("AMAZON.YesIntent", locale=locale)
    raw = envelopes.envelope(request, identity, envelopes.new_session())
    envelope = DefaultSerializer().deserialize(json.dumps(raw), RequestEnvelope)
    return HandlerInput(request_envelope=envelope, attributes_manager=AttributesManager(envelope))


def _spoken() -> Response:
    return Response(
        output_speech=SsmlOutputSpeech(ssml="<speak>Here it is.</speak>"), should_end_session=True
    )


def test_show_help_line_puts_the_number_on_a_plain_screen():
    """The call the safety flow makes once the couple said yes to seeing the number."""
    handler_input = _handler_input("en-GB", screen_device=True)
    show_help_line(handler_input, "Help is available", help_line("en-GB").card)
    response = _spoken()
    ShowOnScreen().process(handler_input, response)
    (directive,) = response.directives
    assert directive.token == "trustBuilder.helpline"
    assert "0808 2000 247" in directive.datasources["screen"]["number"]


def test_show_help_line_takes_the_safety_flows_own_words():
    handler_input = _handler_input("en-IN", screen_device=True)
    show_help_line(handler_input, "Help is available", "Tele MANAS: 14416")
    response = _spoken()
    ShowOnScreen().process(handler_input, response)
    (directive,) = response.directives
    assert directive.datasources == {"screen": {"title": "Help is available", "number": "Tele MANAS: 14416"}}


def test_a_safety_reply_that_keeps_the_session_open_clears_the_screen():
    """A countdown must not keep running beside a disclosure: the blank document replaces it."""
    for intent in sorted(SAFETY_INTENTS):
        identity = envelopes.DeviceIdentity()
        identity.supported_interfaces.update(envelopes.SCREEN_INTERFACES)
        attributes = {"mode": "steps", "step": 3}
        raw = envelopes.envelope(
            envelopes.intent_request(intent), identity, envelopes.new_session(attributes)
        )
        envelope = DefaultSerializer().deserialize(json.dumps(raw), RequestEnvelope)
        handler_input = HandlerInput(
            request_envelope=envelope, attributes_manager=AttributesManager(envelope)
        )
        response = Response(
            output_speech=SsmlOutputSpeech(ssml="<speak>Do you mean you don't feel safe right now?</speak>"),
            should_end_session=False,
        )
        ShowOnScreen().process(handler_input, response)
        (directive,) = response.directives
        assert directive.token == "trustBuilder.blank"
        assert directive.datasources == {"screen": {}}
        assert unresolved(directive.document, {}) == []


def test_a_skill_event_without_a_device_gets_no_screen(tmp_path_factory):
    handler = lambda_entry(tmp_path_factory.mktemp("data"))
    event = envelopes.envelope(
        envelopes.launch_request(), envelopes.DeviceIdentity(), envelopes.new_session()
    )
    del event["context"]["System"]["device"]
    response = handler(event, None)
    assert "went wrong" not in json.dumps(response)
    assert not response["response"].get("directives")


def test_show_help_line_on_a_device_without_a_screen_adds_nothing():
    handler_input = _handler_input("en-US", screen_device=False)
    show_help_line(handler_input, "Help is available", "911")
    response = _spoken()
    ShowOnScreen().process(handler_input, response)
    assert not response.directives
