"""alexa.py: slots and dates read from real SDK request objects; open sessions must reprompt."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from trust_builder import alexa
from trust_builder.speech import Speech
from trust_console import envelopes


def _input(request: dict, session: bool = True) -> HandlerInput:
    state = envelopes.new_session() if session else None
    event = envelopes.envelope(request, envelopes.DeviceIdentity(), state)
    envelope = DefaultSerializer().deserialize(json.dumps(event), RequestEnvelope)
    return HandlerInput(request_envelope=envelope, attributes_manager=AttributesManager(envelope))


def _step_request(number: str | None = None, topic: tuple[str, str | None] | None = None) -> HandlerInput:
    slots = {"number": envelopes.slot("number", number), "topic": envelopes.slot("topic")}
    if topic:
        word, step_id = topic
        matches = [(step_id, step_id)] if step_id else []
        resolved = envelopes.resolutions(envelopes.LOCAL_SKILL_ID, "StepTopic", matches)
        slots["topic"] = envelopes.slot("topic", word, resolved=resolved)
    return _input(envelopes.intent_request("GoToStepIntent", slots))


@pytest.mark.parametrize(("value", "expected"), [("5", 5), ("12", 12), ("?", None), (None, None)])
def test_slot_number(value, expected):
    assert alexa.slot_number(_step_request(number=value), "number") == expected


def test_slot_id_is_the_entity_resolution_match():
    assert alexa.slot_id(_step_request(topic=("forgiving", "forgiveness")), "topic") == "forgiveness"
    unmatched = _step_request(topic=("bananas", None))
    assert alexa.slot_id(unmatched, "topic") is None
    assert alexa.slot_text(unmatched, "topic") == "bananas"


def test_intent_name_and_dates_come_from_the_request():
    moment = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
    handler_input = _input(envelopes.intent_request("ListStepsIntent", now=moment))
    assert alexa.intent_name(handler_input) == "ListStepsIntent"
    assert alexa.today(handler_input) == date(2026, 3, 14)
    assert alexa.now(handler_input) == moment
    assert alexa.intent_name(_input(envelopes.launch_request())) is None


def test_a_request_outside_a_session_gets_its_own_scratch_attributes():
    handler_input = _input(envelopes.launch_request(), session=False)
    alexa.session(handler_input)["mode"] = "menu"
    assert alexa.session(handler_input) == {"mode": "menu"}


def test_an_open_session_needs_a_reprompt():
    handler_input = _input(envelopes.launch_request())
    with pytest.raises(ValueError, match="reprompt"):
        alexa.respond(handler_input, Speech("Hello."))
    response = alexa.respond(_input(envelopes.launch_request()), Speech("Hello."), Speech("Still there?"))
    assert response.should_end_session is False
    assert response.reprompt.output_speech.ssml == "<speak>Still there? </speak>"
