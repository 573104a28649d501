"""Timers API client, driven through the real ASK SDK against a real local HTTPS server (fake_alexa_api.py).

Every timer test builds a skill with CustomSkillBuilder(api_client=...) and runs an Alexa event through its
lambda handler, so the SDK itself deserializes the envelope, builds the ServiceClientFactory from
context.System.apiEndpoint / apiAccessToken, serializes the TimerRequest and makes the HTTP call.
Tests named *_fault_injected program the fake server to misbehave; the traffic is still real HTTP(S).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from ask_sdk_core.api_client import DefaultApiClient
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill_builder import CustomSkillBuilder, SkillBuilder
from ask_sdk_model import RequestEnvelope, Response
from ask_sdk_model.services.timer_management import Status

from tests.fake_alexa_api import TIMERS_PATH, FakeAlexaApi
from trust_builder import timers
from trust_builder.lazy_api_client import LazyBoundedApiClient
from trust_builder.timers import (
    CONFIRM_PLACEHOLDER,
    TIMER_SCOPE,
    BoundedApiClient,
    TimerResult,
    cancel_timer,
    consent_answer,
    consent_directive,
    has_timer_permission,
    iso_duration,
    launched_task_input,
    start_announce_timer,
    start_timer,
)

SKILL_ID = "amzn1.ask.skill.00000000-1111-2222-3333-444444444444"
USER_ID = "amzn1.ask.account.PRIVATE-USER-ID"
DEVICE_ID = "amzn1.ask.device.PRIVATE-DEVICE-ID"
CONFIRM = f"Your partner's turn is over. Would you like to {CONFIRM_PLACEHOLDER}?"
TASK_INPUT = {"phase": "swap", "round": 2}
serializer = DefaultSerializer()


# --- fixtures and helpers ----------------------------------------------------------------------------


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAlexaApi]:
    with FakeAlexaApi() as server:
        # requests (inside the SDK's api client) must trust the fake server's throwaway CA
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_file)
        yield server


def event(
    request: dict[str, Any], *, api_url: str = "https://127.0.0.1:9", token: str = "t", scopes: Any = None
) -> dict[str, Any]:
    """An Alexa request as it arrives at the Lambda function."""
    user: dict[str, Any] = {"userId": USER_ID}
    if scopes is not None:
        user["permissions"] = {"scopes": scopes}
    return {
        "version": "1.0",
        "session": {
            "new": False,
            "sessionId": "amzn1.echo-api.session.test",
            "application": {"applicationId": SKILL_ID},
            "user": {"userId": USER_ID},
            "attributes": {},
        },
        "context": {
            "System": {
                "application": {"applicationId": SKILL_ID},
                "user": user,
                "device": {"deviceId": DEVICE_ID, "supportedInterfaces": {}},
                "apiEndpoint": api_url,
                "apiAccessToken": token,
            }
        },
        "request": {"requestId": "amzn1.echo-api.request.test", "locale": "en-US", **request},
    }


def intent(name: str = "StartFloorIntent") -> dict[str, Any]:
    return {"type": "IntentRequest", "intent": {"name": name, "confirmationStatus": "NONE", "slots": {}}}


def envelope(raw: dict[str, Any]) -> RequestEnvelope:
    """The envelope the SDK makes of an event (as its lambda handler does)."""
    return serializer.deserialize(payload=json.dumps(raw), obj_type=RequestEnvelope)


class _Call(AbstractRequestHandler):
    """Runs one timer action inside real SDK dispatch and keeps what it returned."""

    def __init__(self, action: Any) -> None:
        self.action = action
        self.results: list[Any] = []

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        self.results.append(self.action(handler_input))
        return handler_input.response_builder.response


def run_in_skill(action: Any, raw_event: dict[str, Any], api_client: Any = "default") -> Any:
    """Dispatch `raw_event` through a skill whose only handler calls `action(handler_input)`."""
    call = _Call(action)
    if api_client is None:
        builder: SkillBuilder = SkillBuilder()
    else:
        builder = CustomSkillBuilder(api_client=DefaultApiClient() if api_client == "default" else api_client)
    builder.add_request_handler(call)
    builder.lambda_handler()(raw_event, None)
    assert len(call.results) == 1
    return call.results[0]


def start(handler_input: HandlerInput, **overrides: Any) -> TimerResult:
    arguments: dict[str, Any] = {
        "seconds": 270,
        "label": "Listening exercise, round 2",
        "task_input": TASK_INPUT,
        "confirm_text": CONFIRM,
        "locale": "en-US",
    }
    arguments.update(overrides)
    return start_timer(handler_input, **arguments)


def start_in_skill(api: FakeAlexaApi, api_client: Any = "default", **overrides: Any) -> TimerResult:
    raw = event(intent(), api_url=api.url, token=api.token)
    return run_in_skill(lambda handler_input: start(handler_input, **overrides), raw, api_client)


# --- start_timer: the request Alexa receives -------------------------------------------------------------


@pytest.mark.parametrize(
    "client",
    ["default", BoundedApiClient(), LazyBoundedApiClient()],
    ids=["DefaultApiClient", "BoundedApiClient", "LazyBoundedApiClient"],
)
def test_start_timer_posts_the_documented_launch_task_request(api: FakeAlexaApi, client: Any) -> None:
    result = start_in_skill(api, client)

    assert (result.ok, result.reason, result.operation) == (True, "created", "LAUNCH_TASK")
    assert result.http_status == 200
    assert result.timer_id in api.timers
    [sent] = api.requests
    assert (sent.method, sent.path) == ("POST", TIMERS_PATH)
    assert sent.headers["authorization"] == f"Bearer {api.token}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.body == {
        "duration": "PT4M30S",
        "timerLabel": "Listening exercise, round 2",
        "creationBehavior": {"displayExperience": {"visibility": "VISIBLE"}},
        "triggeringBehavior": {
            "operation": {
                "type": "LAUNCH_TASK",
                "textToConfirm": [{"locale": "en-US", "text": CONFIRM}],
                "task": {"name": f"{SKILL_ID}.ContinueExercise", "version": "1", "input": TASK_INPUT},
            },
            "notificationConfig": {"playAudible": True},
        },
    }


def test_start_timer_uses_the_given_task_name_version_and_locale(api: FakeAlexaApi) -> None:
    result = start_in_skill(api, task_name="ResumeFloor", task_version="3", locale="en-GB", seconds=180)

    assert result.ok
    [body] = api.created_bodies()
    operation = body["triggeringBehavior"]["operation"]
    assert body["duration"] == "PT3M"
    assert operation["task"]["name"] == f"{SKILL_ID}.ResumeFloor"
    assert operation["task"]["version"] == "3"
    assert operation["textToConfirm"] == [{"locale": "en-GB", "text": CONFIRM}]


def test_created_timer_reads_back_through_the_sdk(api: FakeAlexaApi) -> None:
    def create_then_read(handler_input: HandlerInput) -> Any:
        created = start(handler_input)
        return created, handler_input.service_client_factory.get_timer_management_service().get_timer(
            created.timer_id
        )

    created, timer = run_in_skill(create_then_read, event(intent(), api_url=api.url, token=api.token))

    assert timer.id == created.timer_id
    assert timer.status == Status.ON
    assert timer.duration == "PT4M30S"
    assert (timer.trigger_time - timer.created_time).total_seconds() == 270


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(1, "PT1S"), (59, "PT59S"), (180, "PT3M"), (270, "PT4M30S"), (3600, "PT1H"), (5430, "PT1H30M30S")],
)
def test_iso_duration(seconds: int, expected: str) -> None:
    assert iso_duration(seconds) == expected


@pytest.mark.parametrize("seconds", [0, -5, 2.5, True, "180"])
def test_iso_duration_refuses_what_is_not_a_positive_whole_number(seconds: Any) -> None:
    with pytest.raises(ValueError, match="positive whole number"):
        iso_duration(seconds)


# --- start_timer: outcomes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"), [(401, "no_permission"), (403, "no_permission"), (429, "too_many"), (500, "error")]
)
def test_start_timer_maps_http_failures_fault_injected(api: FakeAlexaApi, status: int, reason: str) -> None:
    """The fake server is programmed to answer `status`; the request still goes over real HTTPS."""
    api.fail_next(status)

    result = start_in_skill(api)

    assert result == TimerResult(ok=False, reason=reason, http_status=status, operation="LAUNCH_TASK")
    assert len(api.requests) == 1
    assert api.timers == {}


def test_start_timer_with_a_token_the_api_refuses_is_no_permission(api: FakeAlexaApi) -> None:
    raw = event(intent(), api_url=api.url, token="a-token-the-api-does-not-know")

    result = run_in_skill(start, raw)

    assert (result.ok, result.reason, result.http_status) == (False, "no_permission", 401)
    assert api.requests[0].headers["authorization"] == "Bearer a-token-the-api-does-not-know"


def test_eleventh_timer_on_a_device_is_too_many(api: FakeAlexaApi) -> None:
    results = [start_in_skill(api, label=f"round {number}") for number in range(1, 12)]

    assert all(result.ok for result in results[:10])
    assert (results[10].ok, results[10].reason) == (False, "too_many")
    assert len(api.timers) == 10


def test_a_label_already_in_use_is_an_error(api: FakeAlexaApi) -> None:
    assert start_in_skill(api).ok

    again = start_in_skill(api)

    assert (again.ok, again.reason, again.http_status) == (False, "error", 400)


def test_start_timer_gives_up_on_a_slow_api_fault_injected(api: FakeAlexaApi) -> None:
    """The fake server is programmed to hold its answer 5 s; BoundedApiClient stops waiting after 0.3 s."""
    api.delay_next(5)
    began = time.monotonic()

    result = start_in_skill(api, BoundedApiClient(timeout=0.3))

    assert (result.ok, result.reason) == (False, "error")
    assert time.monotonic() - began < 4, "the client waited for the slow answer instead of timing out"
    assert len(api.requests) == 1


def test_refused_launch_task_falls_back_to_announce_fault_injected(api: FakeAlexaApi) -> None:
    """The fake server is programmed to refuse LAUNCH_TASK timers (400), as for an undeclared custom task."""
    api.reject_operation("LAUNCH_TASK", 400)

    result = start_in_skill(api, fallback_text="Time is up. Say: open trust builder, to carry on.")

    assert (result.ok, result.reason, result.operation) == (True, "created", "ANNOUNCE")
    first, second = api.created_bodies()
    assert first["triggeringBehavior"]["operation"]["type"] == "LAUNCH_TASK"
    assert second["triggeringBehavior"]["operation"] == {
        "type": "ANNOUNCE",
        "textToAnnounce": [{"locale": "en-US", "text": "Time is up. Say: open trust builder, to carry on."}],
    }
    assert (second["duration"], second["timerLabel"]) == (first["duration"], first["timerLabel"])
    assert list(api.timers) == [result.timer_id]


def test_refused_launch_task_without_fallback_is_an_error_fault_injected(api: FakeAlexaApi) -> None:
    """The fake server is programmed to refuse LAUNCH_TASK timers (400)."""
    api.reject_operation("LAUNCH_TASK", 400)

    result = start_in_skill(api)

    assert (result.ok, result.reason, result.http_status) == (False, "error", 400)
    assert len(api.created_bodies()) == 1


def test_no_fallback_when_the_refusal_is_about_permission_fault_injected(api: FakeAlexaApi) -> None:
    """The fake server is programmed to answer 401: an ANNOUNCE timer would be refused just the same."""
    api.fail_next(401)

    result = start_in_skill(api, fallback_text="Time is up.")

    assert result.reason == "no_permission"
    assert len(api.created_bodies()) == 1


def test_start_announce_timer_posts_an_announcement(api: FakeAlexaApi) -> None:
    raw = event(intent(), api_url=api.url, token=api.token)

    result = run_in_skill(
        lambda hi: start_announce_timer(hi, seconds=300, label="Floor", text="Time to swap.", locale="en-US"),
        raw,
    )

    assert (result.ok, result.operation) == (True, "ANNOUNCE")
    [body] = api.created_bodies()
    assert body == {
        "duration": "PT5M",
        "timerLabel": "Floor",
        "creationBehavior": {"displayExperience": {"visibility": "VISIBLE"}},
        "triggeringBehavior": {
            "operation": {
                "type": "ANNOUNCE",
                "textToAnnounce": [{"locale": "en-US", "text": "Time to swap."}],
            },
            "notificationConfig": {"playAudible": True},
        },
    }


def test_skill_without_an_api_client_gets_a_failed_result(api: FakeAlexaApi) -> None:
    result = run_in_skill(start, event(intent(), api_url=api.url, token=api.token), api_client=None)

    assert result == TimerResult(ok=False, reason="error", operation="LAUNCH_TASK")
    assert api.requests == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"confirm_text": "Would you like to go on?"},  # Alexa refuses a confirmation without the placeholder
        {"confirm_text": None},
        {"seconds": 0},
        {"seconds": 7201},  # over the two-hour maximum
        {"seconds": 90.5},
        {"seconds": True},
        {"label": ""},
        {"label": "x" * 257},
        {"locale": "english"},
        {"task_input": ["not", "a", "dict"]},
    ],
)
def test_bad_arguments_fail_without_calling_the_api(api: FakeAlexaApi, overrides: dict[str, Any]) -> None:
    result = start_in_skill(api, **overrides)

    assert (result.ok, result.reason) == (False, "error")
    assert api.requests == []


@pytest.mark.parametrize("text", ["", "   ", None])
def test_announce_timer_needs_text(api: FakeAlexaApi, text: str) -> None:
    raw = event(intent(), api_url=api.url, token=api.token)

    result = run_in_skill(
        lambda hi: start_announce_timer(hi, seconds=60, label="F", text=text, locale="en-US"), raw
    )

    assert (result.ok, result.reason) == (False, "error")
    assert api.requests == []


def test_logs_carry_no_user_device_or_token(api: FakeAlexaApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=timers.__name__)
    api.fail_next(500)

    assert not start_in_skill(api).ok
    assert start_in_skill(api).ok

    assert "timer not created: HTTP 500" in caplog.text
    assert "timer created" in caplog.text
    for secret in (USER_ID, DEVICE_ID, api.token):
        assert secret not in caplog.text


# --- cancel_timer ---------------------------------------------------------------------------------------


def test_cancel_timer_deletes_the_timer(api: FakeAlexaApi) -> None:
    def create_then_cancel(handler_input: HandlerInput) -> tuple[TimerResult, bool]:
        created = start(handler_input)
        return created, cancel_timer(handler_input, created.timer_id)

    created, cancelled = run_in_skill(create_then_cancel, event(intent(), api_url=api.url, token=api.token))

    assert created.ok
    assert cancelled is True
    assert api.timers == {}
    delete = api.requests[-1]
    assert (delete.method, delete.path) == ("DELETE", f"{TIMERS_PATH}/{created.timer_id}")
    assert delete.headers["authorization"] == f"Bearer {api.token}"


def test_cancel_timer_that_already_ended_counts_as_gone(api: FakeAlexaApi) -> None:
    raw = event(intent(), api_url=api.url, token=api.token)

    assert run_in_skill(lambda hi: cancel_timer(hi, "no-such-timer"), raw) is True
    assert api.requests[-1].path == f"{TIMERS_PATH}/no-such-timer"


def test_cancel_timer_reports_a_failure_fault_injected(api: FakeAlexaApi) -> None:
    """The fake server is programmed to answer 500 to the DELETE."""
    raw = event(intent(), api_url=api.url, token=api.token)
    timer_id = run_in_skill(start, raw).timer_id
    api.fail_next(500)

    assert run_in_skill(lambda hi: cancel_timer(hi, timer_id), raw) is False
    assert timer_id in api.timers


@pytest.mark.parametrize("timer_id", [None, ""])
def test_cancel_timer_without_an_id_does_nothing(api: FakeAlexaApi, timer_id: Any) -> None:
    raw = event(intent(), api_url=api.url, token=api.token)

    assert run_in_skill(lambda hi: cancel_timer(hi, timer_id), raw) is False
    assert api.requests == []


def test_cancel_timer_in_a_skill_without_an_api_client_is_false(api: FakeAlexaApi) -> None:
    raw = event(intent(), api_url=api.url, token=api.token)

    assert run_in_skill(lambda hi: cancel_timer(hi, "some-id"), raw, api_client=None) is False
    assert api.requests == []


# --- permission and consent -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "granted"),
    [
        ({TIMER_SCOPE: {"status": "GRANTED"}}, True),
        ({TIMER_SCOPE: {"status": "DENIED"}}, False),
        ({"alexa::alerts:reminders:skill:readwrite": {"status": "GRANTED"}}, False),
        ({TIMER_SCOPE: {}}, False),
        ({}, False),
        (None, False),  # no permissions object at all
    ],
)
def test_has_timer_permission(scopes: Any, granted: bool) -> None:
    assert has_timer_permission(envelope(event(intent(), scopes=scopes))) is granted


def test_has_timer_permission_without_context_or_envelope() -> None:
    bare = envelope(event(intent()))
    bare.context = None

    assert has_timer_permission(bare) is False
    assert has_timer_permission(None) is False


def test_consent_directive_shape() -> None:
    directive = consent_directive("floor-3")

    assert serializer.serialize(directive) == {
        "type": "Connections.SendRequest",
        "name": "AskFor",
        "payload": {
            "@type": "AskForPermissionsConsentRequest",
            "@version": "1",
            "permissionScope": "alexa::alerts:timers:skill:readwrite",
        },
        "token": "floor-3",
    }
    assert consent_directive().token  # a default token is always sent


def test_consent_directive_reaches_the_skill_response() -> None:
    class AskConsent(AbstractRequestHandler):
        def can_handle(self, handler_input: HandlerInput) -> bool:
            return True

        def handle(self, handler_input: HandlerInput) -> Response:
            return handler_input.response_builder.add_directive(consent_directive()).response

    builder = SkillBuilder()
    builder.add_request_handler(AskConsent())
    response = builder.lambda_handler()(event(intent()), None)

    [directive] = response["response"]["directives"]
    assert directive["type"] == "Connections.SendRequest"
    assert directive["payload"]["permissionScope"] == TIMER_SCOPE


def connections_response(name: str = "AskFor", payload: Any = None, code: str = "200") -> dict[str, Any]:
    return {
        "type": "Connections.Response",
        "name": name,
        "status": {"code": code, "message": "OK"},
        "payload": payload,
        "token": "trust-builder-timer-consent",
    }


@pytest.mark.parametrize("answer", ["ACCEPTED", "DENIED", "NOT_ANSWERED"])
def test_consent_answer(answer: str) -> None:
    raw = event(connections_response(payload={"permissionScope": TIMER_SCOPE, "status": answer}))

    assert consent_answer(envelope(raw)) == answer


@pytest.mark.parametrize(
    "request_body",
    [
        connections_response(payload={"permissionScope": TIMER_SCOPE, "status": "MAYBE"}),
        connections_response(payload={"permissionScope": TIMER_SCOPE}),
        connections_response(payload=None, code="500"),
        connections_response(
            payload={"permissionScope": "alexa::alerts:reminders:skill:readwrite", "status": "ACCEPTED"}
        ),
        connections_response(name="Buy", payload={"status": "ACCEPTED"}),
        intent("AMAZON.YesIntent"),
        {"type": "LaunchRequest"},
    ],
    ids=["unknown-status", "no-status", "no-payload", "other-scope", "other-name", "intent", "launch"],
)
def test_consent_answer_is_none_for_anything_else(request_body: dict[str, Any]) -> None:
    assert consent_answer(envelope(event(request_body))) is None


def test_consent_answer_without_an_envelope() -> None:
    assert consent_answer(None) is None


# --- the relaunch a LAUNCH_TASK timer causes ----------------------------------------------------------------


def launch_with_task(name: str | None, task_input: Any = TASK_INPUT) -> RequestEnvelope:
    request: dict[str, Any] = {"type": "LaunchRequest"}
    if name is not None:
        request["task"] = {"name": name, "version": "1", "input": task_input}
    return envelope(event(request))


def test_launched_task_input_reads_our_task() -> None:
    assert launched_task_input(launch_with_task(f"{SKILL_ID}.ContinueExercise")) == TASK_INPUT
    assert launched_task_input(launch_with_task(f"{SKILL_ID}.ContinueExercise", None)) == {}


@pytest.mark.parametrize("name", [None, f"{SKILL_ID}.OtherTask", "AMAZON.PrintPDF"])
def test_launched_task_input_ignores_other_launches(name: str | None) -> None:
    assert launched_task_input(launch_with_task(name)) is None


def test_launched_task_input_ignores_other_requests() -> None:
    assert launched_task_input(envelope(event(intent()))) is None
    assert launched_task_input(None) is None
