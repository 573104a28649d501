"""The thin edge between the ASK SDK and the skill: reading requests, writing responses.

Handlers use these helpers so that no handler touches raw envelope fields or writes SSML itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest, Response
from ask_sdk_model.slu.entityresolution import StatusCode
from ask_sdk_model.ui import Reprompt, SimpleCard, SsmlOutputSpeech

from trust_builder import content
from trust_builder.speech import Speech

# Session attribute keys, in one place so handlers and tests agree on them.
MODE = "mode"
STEP = "step"
OFFER = "offer"
LAST = "last"
_NO_SESSION = "no_session"  # request attribute standing in for session attributes outside a session


def locale(handler_input: HandlerInput) -> str | None:
    """The request's locale, or None when it has none (content falls back to the default locale).

    Typed wrapper for the SDK's `get_locale`, whose type comment says `AnyStr` (str or bytes)."""
    request = handler_input.request_envelope.request
    return request.locale if request is not None else None


def content_for(handler_input: HandlerInput) -> content.Content:
    return content.load(locale(handler_input))


def session(handler_input: HandlerInput) -> dict[str, Any]:
    """The session attributes; a request outside any session (a skill event) gets a scratch dict."""
    manager = handler_input.attributes_manager
    if handler_input.request_envelope.session is None:
        scratch = manager.request_attributes.get(_NO_SESSION)
        if not isinstance(scratch, dict):  # the SDK types request attributes as plain objects
            scratch = manager.request_attributes[_NO_SESSION] = {}
        return scratch
    attributes = manager.session_attributes
    if attributes is None:
        attributes = manager.session_attributes = {}
    return attributes


def mode(handler_input: HandlerInput) -> str | None:
    return session(handler_input).get(MODE)


def intent_name(handler_input: HandlerInput) -> str | None:
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest) or request.intent is None:
        return None
    return request.intent.name


def today(handler_input: HandlerInput) -> date:
    """The request's date (UTC): deterministic in tests, and no clock reads inside the skill."""
    stamp = _timestamp(handler_input)
    if isinstance(stamp, datetime):
        return stamp.astimezone(UTC).date() if stamp.tzinfo else stamp.date()
    return datetime.now(UTC).date()


def now(handler_input: HandlerInput) -> datetime:
    stamp = _timestamp(handler_input)
    if isinstance(stamp, datetime):
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _timestamp(handler_input: HandlerInput) -> datetime | None:
    request = handler_input.request_envelope.request
    return request.timestamp if request is not None else None


def _slot(handler_input: HandlerInput, name: str):
    request = handler_input.request_envelope.request
    slots = getattr(getattr(request, "intent", None), "slots", None) or {}
    return slots.get(name)


def slot_text(handler_input: HandlerInput, name: str) -> str | None:
    slot = _slot(handler_input, name)
    value = getattr(slot, "value", None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def slot_values(handler_input: HandlerInput) -> list[str]:
    """Every slot value the request carries, whatever the intent or slot type (for the distress check)."""
    request = handler_input.request_envelope.request
    slots = getattr(getattr(request, "intent", None), "slots", None) or {}
    values = (getattr(slot, "value", None) for slot in slots.values())
    return [value.strip() for value in values if isinstance(value, str) and value.strip()]


def slot_number(handler_input: HandlerInput, name: str) -> int | None:
    """AMAZON.NUMBER arrives as text; "?" or words mean Alexa did not understand a number."""
    value = slot_text(handler_input, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def slot_id(handler_input: HandlerInput, name: str) -> str | None:
    """The entity-resolution id of a custom slot value ("forgiving" -> "forgiveness"), if it matched."""
    slot = _slot(handler_input, name)
    resolutions = getattr(getattr(slot, "resolutions", None), "resolutions_per_authority", None) or []
    for resolution in resolutions:
        if resolution.status and resolution.status.code == StatusCode.ER_SUCCESS_MATCH and resolution.values:
            return resolution.values[0].value.id
    return None


def respond(
    handler_input: HandlerInput,
    speech: Speech,
    reprompt: Speech | None = None,
    *,
    card: tuple[str, str] | None = None,
    end_session: bool = False,
    directives: list | None = None,
) -> Response:
    """A response. One that keeps the session open must have a reprompt: the platform closes a silent mic."""
    builder = handler_input.response_builder
    builder.response.output_speech = SsmlOutputSpeech(ssml=speech.ssml())
    if end_session:
        builder.set_should_end_session(True)
    else:
        if not reprompt:
            raise ValueError("a response that keeps the session open needs a reprompt")
        builder.response.reprompt = Reprompt(output_speech=SsmlOutputSpeech(ssml=reprompt.ssml()))
        builder.set_should_end_session(False)
    if card:
        builder.set_card(SimpleCard(title=card[0], content=card[1]))
    for directive in directives or []:
        builder.add_directive(directive)
    return builder.response
