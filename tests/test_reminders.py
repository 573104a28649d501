"""Reminders API client, through the real ASK SDK (its own API client and serializer) against a real local
HTTPS server (fake_alexa_api.py), as tests/test_timers.py does for timers. Tests named *_fault_injected
program the fake server to misbehave; the traffic is still real HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from tests.fake_alexa_api import REMINDERS_PATH, FakeAlexaApi
from tests.test_timers import envelope, event, intent, run_in_skill
from trust_builder import reminders
from trust_builder.reminders import REMINDER_SCOPE, ReminderResult, Weekly
from trust_builder.timers import BoundedApiClient

SUNDAY_SEVEN_PM = Weekly(day=6, hour=19, minute=0)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAlexaApi]:
    with FakeAlexaApi() as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_file)  # trust the fake's throwaway CA
        yield server


TODAY = date(2026, 12, 2)  # a Wednesday
NOW = datetime(2026, 12, 2, 18, 0, 5)


def create(
    api: FakeAlexaApi, slot: Weekly = SUNDAY_SEVEN_PM, client: Any = "default", token: str | None = None
):
    raw = event(intent(), api_url=api.url, token=token or api.token)
    return run_in_skill(
        lambda handler_input: reminders.create_weekly(
            handler_input, slot, text="Time to practise listening.", locale="en-US", today=TODAY, now=NOW
        ),
        raw,
        client,
    )


def in_skill(api: FakeAlexaApi, action: Any) -> Any:
    return run_in_skill(action, event(intent(), api_url=api.url, token=api.token))


def test_create_posts_a_weekly_scheduled_absolute_reminder(api: FakeAlexaApi) -> None:
    result = create(api)
    assert result.ok
    assert result.reason == "created"
    [sent] = [r for r in api.requests if r.method == "POST"]
    assert sent.path == REMINDERS_PATH
    assert sent.headers["authorization"] == f"Bearer {api.token}"
    body = sent.body
    assert body["requestTime"].startswith("2026-12-02T18:00:05")
    trigger = body["trigger"]
    assert trigger["type"] == "SCHEDULED_ABSOLUTE"
    assert trigger["scheduledTime"].startswith("2026-12-06T19:00")  # the coming Sunday
    assert trigger["recurrence"] == {"freq": "WEEKLY", "byDay": ["SU"]}
    assert body["alertInfo"]["spokenInfo"]["content"] == [
        {"locale": "en-US", "text": "Time to practise listening."}
    ]
    assert body["pushNotification"] == {"status": "ENABLED"}
    assert list(api.reminders) == [result.reminder_id]


def test_create_works_with_the_bounded_client(api: FakeAlexaApi) -> None:
    assert create(api, client=BoundedApiClient()).ok


def test_a_reminder_reads_back_and_deletes(api: FakeAlexaApi) -> None:
    created = create(api, Weekly(day=0, hour=8, minute=30))
    found = in_skill(api, lambda handler_input: reminders.read_weekly(handler_input, created.reminder_id))
    assert found == Weekly(day=0, hour=8, minute=30)
    assert in_skill(api, lambda handler_input: reminders.delete(handler_input, created.reminder_id))
    assert api.reminders == {}
    gone = in_skill(api, lambda handler_input: reminders.read_weekly(handler_input, created.reminder_id))
    assert gone is None
    assert in_skill(
        api, lambda handler_input: reminders.delete(handler_input, created.reminder_id)
    )  # 404: gone


def test_a_refused_token_is_no_permission(api: FakeAlexaApi) -> None:
    result = create(api, token="someone-else")
    assert (result.ok, result.reason, result.http_status) == (False, "no_permission", 401)


@pytest.mark.parametrize(
    ("status", "reason"), [(401, "no_permission"), (403, "no_permission"), (429, "too_many"), (500, "error")]
)
def test_create_maps_http_failures_fault_injected(api: FakeAlexaApi, status: int, reason: str) -> None:
    api.fail_next(status)
    result = create(api)
    assert result == ReminderResult(ok=False, reason=reason, http_status=status)
    assert api.reminders == {}


def test_create_gives_up_on_a_slow_api_fault_injected(api: FakeAlexaApi) -> None:
    api.delay_next(5.0)
    result = create(api, client=BoundedApiClient(timeout=(0.5, 0.5)))
    assert not result.ok
    assert result.reason == "error"


def test_delete_and_read_report_failures_fault_injected(api: FakeAlexaApi) -> None:
    created = create(api)
    api.fail_next(500)
    assert not in_skill(api, lambda handler_input: reminders.delete(handler_input, created.reminder_id))
    api.fail_next(500)
    assert (
        in_skill(api, lambda handler_input: reminders.read_weekly(handler_input, created.reminder_id))
        is False
    )
    assert list(api.reminders) == [created.reminder_id]


@pytest.mark.parametrize(
    ("day", "time", "expected"),
    [
        ("sunday", "19:00", Weekly(6, 19, 0)),
        ("Monday", "08:30", Weekly(0, 8, 30)),
        ("friday", "EV", Weekly(4, 19, 0)),
        ("sunday", "seven pm", Weekly(6, 19, 0)),
        ("sunday", "seven in the evening", Weekly(6, 19, 0)),
        ("sunday", "nine am", Weekly(6, 9, 0)),
        ("someday", "19:00", None),
        ("sunday", "25:00", None),
        ("sunday", "banana", None),
        (None, "19:00", None),
        ("sunday", None, None),
    ],
)
def test_weekly_reads_day_and_time_slots(day: Any, time: Any, expected: Weekly | None) -> None:
    assert reminders.weekly(day, time) == expected


def test_first_time_is_the_next_such_day_never_today() -> None:
    assert reminders.first_time(Weekly(6, 19, 0), TODAY) == datetime(2026, 12, 6, 19, 0)
    assert reminders.first_time(Weekly(2, 19, 0), TODAY) == datetime(2026, 12, 9, 19, 0)


def test_consent_directive_and_answer() -> None:
    directive = reminders.consent_directive()
    assert directive.payload["permissionScope"] == REMINDER_SCOPE
    raw = event(
        {
            "type": "Connections.Response",
            "name": "AskFor",
            "status": {"code": "200", "message": "OK"},
            "payload": {"permissionScope": REMINDER_SCOPE, "status": "ACCEPTED"},
            "token": "t",
        }
    )
    assert reminders.consent_answer(envelope(raw)) == "ACCEPTED"
    raw["request"]["payload"]["permissionScope"] = "alexa::alerts:timers:skill:readwrite"
    assert reminders.consent_answer(envelope(raw)) is None
    granted = event(intent(), scopes={REMINDER_SCOPE: {"status": "GRANTED"}})
    assert reminders.has_permission(envelope(granted))
    assert not reminders.has_permission(envelope(event(intent())))
