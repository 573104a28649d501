"""Request envelopes: every field survives deserialisation by the ASK SDK into its RequestEnvelope model."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.utils import get_slot_value, is_intent_name, is_request_type
from ask_sdk_model import IntentRequest, LaunchRequest, RequestEnvelope, SessionEndedRequest
from ask_sdk_model.interfaces.connections import ConnectionsResponse
from ask_sdk_model.slu.entityresolution import StatusCode

from trust_console import envelopes
from trust_console.matcher import Matcher

MODEL = Path(__file__).resolve().parent.parent / "interaction_models" / "en-US.json"
SKILL_ID = "amzn1.ask.skill.11111111-2222-4333-8444-555555555555"
TIMERS = "alexa::alerts:timers:skill:readwrite"
MOMENT = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def identity(**changes: Any) -> envelopes.DeviceIdentity:
    return envelopes.DeviceIdentity(skill_id=SKILL_ID, user_id="amzn1.ask.account.HOUSEHOLD", **changes)


def deserialise(envelope: dict[str, Any]) -> RequestEnvelope:
    """As the SDK's lambda handler does: from the JSON text to the model classes."""
    return DefaultSerializer().deserialize(json.dumps(envelope), RequestEnvelope)


def test_the_envelope_frame_survives() -> None:
    session = envelopes.SessionState(
        "amzn1.echo-api.session.abc", new=False, attributes={"step": 3, "seen": [1]}
    )
    device = identity(
        permissions={TIMERS: "GRANTED"},
        supported_interfaces={"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}},
        api_endpoint="https://api.eu.amazonalexa.com",
    )
    raw = envelopes.envelope(envelopes.launch_request("en-GB", now=MOMENT), device, session)
    parsed = deserialise(raw)

    assert parsed.version == "1.0"
    assert parsed.session.new is False
    assert parsed.session.session_id == "amzn1.echo-api.session.abc"
    assert parsed.session.application.application_id == SKILL_ID
    assert parsed.session.attributes == {"step": 3, "seen": [1]}
    assert parsed.session.user.user_id == "amzn1.ask.account.HOUSEHOLD"
    system = parsed.context.system
    assert system.application.application_id == SKILL_ID
    assert system.user.user_id == "amzn1.ask.account.HOUSEHOLD"
    assert system.user.permissions.scopes[TIMERS].status.value == "GRANTED"
    assert system.user.permissions.consent_token == envelopes.LOCAL_ACCESS_TOKEN
    assert system.device.device_id == envelopes.LOCAL_DEVICE_ID
    assert system.device.supported_interfaces.alexa_presentation_apl is not None
    assert system.device.supported_interfaces.audio_player is None
    assert system.api_endpoint == "https://api.eu.amazonalexa.com"
    assert system.api_access_token == envelopes.LOCAL_ACCESS_TOKEN
    assert parsed.request.locale == "en-GB"
    assert parsed.request.timestamp == MOMENT
    assert parsed.request.request_id.startswith("amzn1.echo-api.request.")


def test_no_permissions_means_no_permissions_block() -> None:
    raw = envelopes.envelope(envelopes.launch_request(), identity(), envelopes.new_session())
    assert "permissions" not in raw["context"]["System"]["user"]
    assert deserialise(raw).context.system.user.permissions is None


def test_new_sessions_are_new_and_unique() -> None:
    first, second = envelopes.new_session(), envelopes.new_session()
    assert first.new
    assert second.new
    assert first.session_id != second.session_id
    assert first.session_id.startswith("amzn1.echo-api.session.")


def test_launch_request_with_a_timer_task() -> None:
    task = envelopes.task(f"{SKILL_ID}.ContinueExercise", "1", {"phase": "swap"})
    raw = envelopes.envelope(
        envelopes.launch_request(task=task, now=MOMENT), identity(), envelopes.new_session()
    )
    request = deserialise(raw).request
    assert isinstance(request, LaunchRequest)
    assert (request.task.name, request.task.version, request.task.input) == (
        f"{SKILL_ID}.ContinueExercise",
        "1",
        {"phase": "swap"},
    )


def test_intent_request_with_matched_slots_and_entity_resolution() -> None:
    match = Matcher.from_file(MODEL).match_intent("tell us about letting go")
    request = envelopes.intent_request(match.name, match.alexa_slots(SKILL_ID), now=MOMENT)
    parsed = deserialise(envelopes.envelope(request, identity(), envelopes.new_session()))
    intent_request = parsed.request
    assert isinstance(intent_request, IntentRequest)
    assert intent_request.intent.name == "GoToStepIntent"
    assert intent_request.intent.confirmation_status.value == "NONE"
    topic = intent_request.intent.slots["topic"]
    assert topic.value == "letting go"
    (resolution,) = topic.resolutions.resolutions_per_authority
    assert resolution.authority == f"amzn1.er-authority.echo-sdk.{SKILL_ID}.StepTopic"
    assert resolution.status.code == StatusCode.ER_SUCCESS_MATCH
    assert (resolution.values[0].value.id, resolution.values[0].value.name) == ("forgiveness", "forgiveness")
    assert topic.slot_value.value == "letting go"
    assert intent_request.intent.slots["number"].value is None

    # and the SDK's own helpers read it as a handler would
    handler_input = HandlerInput(request_envelope=parsed)
    assert is_request_type("IntentRequest")(handler_input)
    assert is_intent_name("GoToStepIntent")(handler_input)
    assert get_slot_value(handler_input, "topic") == "letting go"


def test_an_unmatched_custom_slot_says_no_match() -> None:
    resolved = envelopes.resolutions(SKILL_ID, "StepTopic", [])
    slots = {"topic": envelopes.slot("topic", "the weather", resolved=resolved)}
    raw = envelopes.envelope(
        envelopes.intent_request("GoToStepIntent", slots), identity(), envelopes.new_session()
    )
    (resolution,) = deserialise(raw).request.intent.slots["topic"].resolutions.resolutions_per_authority
    assert resolution.status.code == StatusCode.ER_SUCCESS_NO_MATCH
    assert resolution.values is None


def test_built_in_intents_carry_no_slots() -> None:
    request = envelopes.intent_request("AMAZON.YesIntent")
    assert "slots" not in request["intent"]
    parsed = deserialise(envelopes.envelope(request, identity(), envelopes.new_session()))
    assert parsed.request.intent.name == "AMAZON.YesIntent"
    assert parsed.request.intent.slots is None


@pytest.mark.parametrize("reason", ["USER_INITIATED", "EXCEEDED_MAX_REPROMPTS", "ERROR"])
def test_session_ended_request(reason: str) -> None:
    error = ("INVALID_RESPONSE", "the skill raised") if reason == "ERROR" else None
    raw = envelopes.envelope(
        envelopes.session_ended_request(reason, error=error), identity(), envelopes.new_session()
    )
    request = deserialise(raw).request
    assert isinstance(request, SessionEndedRequest)
    assert request.reason.value == reason
    if error:
        assert (request.error.object_type.value, request.error.message) == error
    else:
        assert request.error is None


def test_a_bad_session_end_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="USER_INITIATED"):
        envelopes.session_ended_request("BORED")


@pytest.mark.parametrize("status", ["ACCEPTED", "DENIED", "NOT_ANSWERED"])
def test_connections_response_to_a_consent_request(status: str) -> None:
    raw = envelopes.envelope(
        envelopes.connections_response(status, TIMERS, token="consent-1"), identity(), envelopes.new_session()
    )
    request = deserialise(raw).request
    assert isinstance(request, ConnectionsResponse)
    assert request.name == "AskFor"
    assert request.status.code == "200"
    assert request.payload == {"status": status, "permissionScope": TIMERS}
    assert request.token == "consent-1"


def test_a_bad_consent_status_is_refused() -> None:
    with pytest.raises(ValueError, match="ACCEPTED"):
        envelopes.connections_response("MAYBE", TIMERS)


def test_timestamps_are_utc_with_z() -> None:
    assert envelopes.timestamp(MOMENT) == "2025-03-04T05:06:07Z"
    assert envelopes.timestamp(datetime(2025, 3, 4, 5, 6, 7)) == "2025-03-04T05:06:07Z"
    assert envelopes.timestamp().endswith("Z")
