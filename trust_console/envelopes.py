"""Alexa request envelopes as plain JSON dicts, shaped field for field like the ones Alexa sends.

A request (`launch_request`, `intent_request`, ...) says what happened; `envelope` wraps it with the session
and the device context. Field names follow ask_sdk_model's attribute maps (tests deserialise every envelope
with the SDK's DefaultSerializer), so a handler sees exactly what it would see on a real Echo.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

VERSION = "1.0"
# A well-formed stand-in; a real skill ID comes from ALEXA_SKILL_ID when a handler or web service checks it.
LOCAL_SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000000c0de"
LOCAL_USER_ID = "amzn1.ask.account.LOCAL"
LOCAL_DEVICE_ID = "amzn1.ask.device.LOCAL-CONSOLE"
DEFAULT_API_ENDPOINT = "https://api.amazonalexa.com"
LOCAL_ACCESS_TOKEN = "local-console-access-token"

SESSION_END_REASONS = ("USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS")
CONSENT_STATUSES = ("ACCEPTED", "DENIED", "NOT_ANSWERED")


@dataclass
class DeviceIdentity:
    """What every request from one device carries: skill, household account, device, API access."""

    skill_id: str = LOCAL_SKILL_ID
    user_id: str = LOCAL_USER_ID
    device_id: str = LOCAL_DEVICE_ID
    api_endpoint: str = DEFAULT_API_ENDPOINT
    api_access_token: str = LOCAL_ACCESS_TOKEN
    # scope -> "GRANTED" | "DENIED"; only scopes the user answered appear (as Alexa does)
    permissions: dict[str, str] = field(default_factory=dict)
    supported_interfaces: dict[str, Any] = field(default_factory=dict)
    viewport: dict[str, Any] | None = None  # a screen's shape and size (context.Viewport); None: no screen


@dataclass
class SessionState:
    session_id: str
    new: bool = True
    attributes: dict[str, Any] = field(default_factory=dict)


def new_session(attributes: Mapping[str, Any] | None = None) -> SessionState:
    return SessionState(f"amzn1.echo-api.session.{uuid.uuid4()}", True, dict(attributes or {}))


def timestamp(moment: datetime | None = None) -> str:
    """ISO-8601 UTC with a Z, to the second, as Alexa writes it (the SDK's timestamp check reads it)."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _request(kind: str, locale: str, now: datetime | None) -> dict[str, Any]:
    return {
        "type": kind,
        "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
        "timestamp": timestamp(now),
        "locale": locale,
    }


def task(name: str, version: str = "1", task_input: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A LaunchRequest task, as a LAUNCH_TASK timer relaunch carries it (name is "<skillId>.<TaskName>")."""
    return {"name": name, "version": version, "input": dict(task_input or {})}


def launch_request(
    locale: str = "en-US", *, task: Mapping[str, Any] | None = None, now: datetime | None = None
) -> dict[str, Any]:
    request = _request("LaunchRequest", locale, now)
    if task is not None:
        request["task"] = dict(task)
    return request


def intent_request(
    name: str,
    slots: Mapping[str, Mapping[str, Any]] | None = None,
    locale: str = "en-US",
    *,
    dialog_state: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """An IntentRequest; `slots` maps slot name -> a `slot(...)` dict. Built-in intents carry no slots key."""
    intent: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if slots:
        intent["slots"] = {key: dict(value) for key, value in slots.items()}
    request = _request("IntentRequest", locale, now)
    if dialog_state:
        request["dialogState"] = dialog_state
    request["intent"] = intent
    return request


def session_ended_request(
    reason: str,
    locale: str = "en-US",
    *,
    error: tuple[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """reason: USER_INITIATED | ERROR | EXCEEDED_MAX_REPROMPTS; error: (type, message) for reason ERROR."""
    if reason not in SESSION_END_REASONS:
        raise ValueError(f"session end reason must be one of {SESSION_END_REASONS}, not {reason!r}")
    request = _request("SessionEndedRequest", locale, now)
    request["reason"] = reason
    if error is not None:
        request["error"] = {"type": error[0], "message": error[1]}
    return request


def connections_response(
    status: str,
    permission_scope: str,
    locale: str = "en-US",
    *,
    name: str = "AskFor",
    token: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """The answer to a Connections.SendRequest AskFor (voice permission consent)."""
    if status not in CONSENT_STATUSES:
        raise ValueError(f"consent status must be one of {CONSENT_STATUSES}, not {status!r}")
    request = _request("Connections.Response", locale, now)
    request.update(
        {
            "status": {"code": "200", "message": "OK"},
            "name": name,
            "payload": {"status": status, "permissionScope": permission_scope},
            "token": token,
        }
    )
    return request


def user_event(
    arguments: Iterable[Any], locale: str = "en-US", *, token: str = "", now: datetime | None = None
) -> dict[str, Any]:
    """A touch on an APL screen: a TouchWrapper's SendEvent, with its arguments (e.g. ["next"])."""
    request = _request("Alexa.Presentation.APL.UserEvent", locale, now)
    request.update(
        {
            "token": token,
            "arguments": list(arguments),
            "source": {"type": "TouchWrapper", "handler": "Press", "id": ""},
        }
    )
    return request


# What an Echo Show 8 (landscape, 1280 x 800) says about itself: its APL support and its screen.
SCREEN_INTERFACES: dict[str, Any] = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}
SCREEN_VIEWPORT: dict[str, Any] = {
    "experiences": [{"arcMinuteWidth": 221, "arcMinuteHeight": 162, "canRotate": False, "canResize": False}],
    "mode": "HUB",
    "shape": "RECTANGLE",
    "pixelWidth": 1280,
    "pixelHeight": 800,
    "dpi": 160,
    "currentPixelWidth": 1280,
    "currentPixelHeight": 800,
    "touch": ["SINGLE"],
    "keyboard": [],
}


def authority(skill_id: str, slot_type: str) -> str:
    return f"amzn1.er-authority.echo-sdk.{skill_id}.{slot_type}"


def resolutions(skill_id: str, slot_type: str, values: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Entity resolution for a custom slot: values are (id, canonical name); none -> ER_SUCCESS_NO_MATCH."""
    values = list(values)
    resolution: dict[str, Any] = {"authority": authority(skill_id, slot_type)}
    if values:
        resolution["status"] = {"code": "ER_SUCCESS_MATCH"}
        resolution["values"] = [{"value": {"name": name, "id": value_id}} for value_id, name in values]
    else:
        resolution["status"] = {"code": "ER_SUCCESS_NO_MATCH"}
    return {"resolutionsPerAuthority": [resolution]}


def slot(name: str, value: str | None = None, *, resolved: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A slot as Alexa sends it: an unfilled slot has no value; a filled one also carries slotValue."""
    result: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if value is None:
        return result
    result["value"] = value
    simple: dict[str, Any] = {"type": "Simple", "value": value}
    if resolved is not None:
        result["resolutions"] = dict(resolved)
        simple["resolutions"] = dict(resolved)
    result["slotValue"] = simple
    return result


def _user(identity: DeviceIdentity) -> dict[str, Any]:
    user: dict[str, Any] = {"userId": identity.user_id}
    if identity.permissions:
        user["permissions"] = {
            "consentToken": identity.api_access_token,
            "scopes": {scope: {"status": status} for scope, status in identity.permissions.items()},
        }
    return user


def envelope(
    request: Mapping[str, Any], identity: DeviceIdentity, session: SessionState | None
) -> dict[str, Any]:
    """The full envelope. Session None leaves it out (Alexa does for some requests outside a session)."""
    application = {"applicationId": identity.skill_id}
    result: dict[str, Any] = {"version": VERSION}
    if session is not None:
        result["session"] = {
            "new": session.new,
            "sessionId": session.session_id,
            "application": dict(application),
            "attributes": dict(session.attributes),
            "user": _user(identity),
        }
    result["context"] = {
        "System": {
            "application": dict(application),
            "user": _user(identity),
            "device": {
                "deviceId": identity.device_id,
                "supportedInterfaces": dict(identity.supported_interfaces),
            },
            "apiEndpoint": identity.api_endpoint,
            "apiAccessToken": identity.api_access_token,
        }
    }
    if identity.viewport is not None:
        result["context"]["Viewport"] = dict(identity.viewport)
    result["request"] = dict(request)
    return result
