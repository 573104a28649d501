"""Alexa Reminders API client for the weekly practice reminder offered after a completed exercise.

Opt-in only: the couple says a day and time ("remind us on Sunday at seven pm"); the skill asks for the
reminders permission by voice (Connections.SendRequest AskFor, as for timers) when it is not held, then
creates one weekly SCHEDULED_ABSOLUTE reminder. Only the reminder's id is stored (Progress.reminder_id):
"stop the reminders" and "forget us" delete it by that id; "do we have a reminder" reads it back from the API.

Nothing here is spoken text: the reminder's words come in as an argument from the locale files. Calls never
raise; they answer with a result. Logs carry reasons and status codes, never user, device or token values.
Uses the same bounded API client as the timers (trust_builder.timers.BoundedApiClient).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, cast

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import PermissionStatus, RequestEnvelope
from ask_sdk_model.interfaces.connections import ConnectionsResponse, SendRequestDirective
from ask_sdk_model.services import ApiClientRequest, ApiResponse, ServiceException
from ask_sdk_model.services.reminder_management import (
    AlertInfo,
    PushNotification,
    PushNotificationStatus,
    Recurrence,
    RecurrenceDay,
    RecurrenceFreq,
    ReminderManagementServiceClient,
    ReminderRequest,
    SpokenInfo,
    SpokenText,
    Trigger,
    TriggerType,
)

logger = logging.getLogger(__name__)

REMINDER_SCOPE = "alexa::alerts:reminders:skill:readwrite"
CONSENT_TOKEN = "trust-builder-reminder-consent"
ASK_FOR = "AskFor"
# AMAZON.DayOfWeek values (lower case) to the API's recurrence days, Monday first (date.weekday order).
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RECURRENCE_DAYS = (
    RecurrenceDay.MO,
    RecurrenceDay.TU,
    RecurrenceDay.WE,
    RecurrenceDay.TH,
    RecurrenceDay.FR,
    RecurrenceDay.SA,
    RecurrenceDay.SU,
)
# AMAZON.TIME can also be a part of the day; a reminder needs a clock time.
_PARTS_OF_DAY = {"MO": "09:00", "AF": "14:00", "EV": "19:00", "NI": "20:00"}

Reason = Literal["created", "no_permission", "too_many", "error", "bad_time"]


@dataclass(frozen=True)
class ReminderResult:
    ok: bool
    reason: Reason
    reminder_id: str | None = None
    http_status: int | None = None


@dataclass(frozen=True)
class Weekly:
    """A weekly slot: day index (0 Monday .. 6 Sunday), hour and minute."""

    day: int
    hour: int
    minute: int

    def to_dict(self) -> dict[str, int]:
        return {"day": self.day, "hour": self.hour, "minute": self.minute}

    @classmethod
    def from_dict(cls, data: Any) -> Weekly | None:
        if not isinstance(data, dict):
            return None
        values = [data.get(key) for key in ("day", "hour", "minute")]
        if not all(isinstance(value, int) and not isinstance(value, bool) for value in values):
            return None
        day, hour, minute = cast(list[int], values)
        return cls(day, hour, minute) if 0 <= day <= 6 and 0 <= hour <= 23 and 0 <= minute <= 59 else None


def weekly(day: str | None, time: str | None) -> Weekly | None:
    """The weekly slot from AMAZON.DayOfWeek and AMAZON.TIME values ("sunday", "19:00" or "EV"); else None."""
    if not isinstance(day, str) or day.strip().lower() not in DAYS or not isinstance(time, str):
        return None
    clock = _PARTS_OF_DAY.get(time.strip().upper(), time.strip())
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", clock)
    hour_minute = (int(match.group(1)), int(match.group(2))) if match else _spoken_time(clock)
    if hour_minute is None:
        return None
    return Weekly(DAYS.index(day.strip().lower()), *hour_minute)


_HOURS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
_MINUTES = {"": 0, "o'clock": 0, "fifteen": 15, "thirty": 30, "forty five": 45, "half past": 30}
_SPOKEN = re.compile(
    r"(\d{1,2}|" + "|".join(_HOURS) + r")(?:[: ](\d\d|fifteen|thirty|forty five|o'clock))?"
    r" ?(am|pm|a m|p m|a\.m\.|p\.m\.|in the morning|in the afternoon|in the evening|at night|)"
)


def _spoken_time(text: str) -> tuple[int, int] | None:
    """A time as words or digits ("seven pm", "7:30 p m", "six in the evening"): AMAZON.TIME gives "19:00"
    on a device, but a test console passes the words through."""
    match = _SPOKEN.fullmatch(text.strip().lower())
    if match is None:
        return None
    hour_text, minute_text, suffix = match.group(1), match.group(2) or "", match.group(3)
    hour = int(hour_text) if hour_text.isdigit() else _HOURS.index(hour_text) + 1
    minute = int(minute_text) if minute_text.isdigit() else _MINUTES.get(minute_text, 0)
    if not 1 <= hour <= 12 or minute > 59:
        return None
    evening = suffix.startswith("p") or suffix in ("in the afternoon", "in the evening", "at night")
    if not suffix:
        evening = hour < 8  # "at seven": people mean the evening for a practice reminder
    return (hour % 12 + (12 if evening else 0), minute)


def first_time(slot: Weekly, today: date) -> datetime:
    """The first occurrence after today (local time, no zone: Alexa uses the device's time zone)."""
    ahead = (slot.day - today.weekday()) % 7 or 7
    return datetime(today.year, today.month, today.day, slot.hour, slot.minute) + timedelta(days=ahead)


# --- permission ---------------------------------------------------------------------------------------


def has_permission(request_envelope: RequestEnvelope | None) -> bool:
    context = request_envelope.context if request_envelope is not None else None
    system = context.system if context is not None else None
    user = system.user if system is not None else None
    permissions = user.permissions if user is not None else None
    scopes = permissions.scopes if permissions is not None else None
    scope = scopes.get(REMINDER_SCOPE) if isinstance(scopes, dict) else None
    status = scope.status if scope is not None else None
    return getattr(status, "value", status) == PermissionStatus.GRANTED.value


def consent_directive() -> SendRequestDirective:
    return SendRequestDirective(
        name=ASK_FOR,
        payload={
            "@type": "AskForPermissionsConsentRequest",
            "@version": "1",
            "permissionScope": REMINDER_SCOPE,
        },
        token=CONSENT_TOKEN,
    )


def consent_answer(request_envelope: RequestEnvelope | None) -> str | None:
    """ACCEPTED / DENIED / NOT_ANSWERED when this request answers the reminders consent question."""
    request = getattr(request_envelope, "request", None)
    if not isinstance(request, ConnectionsResponse) or request.name != ASK_FOR:
        return None
    payload = request.payload if isinstance(request.payload, dict) else {}
    if payload.get("permissionScope") != REMINDER_SCOPE:
        return None
    status = payload.get("status")
    return status if status in ("ACCEPTED", "DENIED", "NOT_ANSWERED") else None


# --- reminders ----------------------------------------------------------------------------------------


def create_weekly(
    handler_input: HandlerInput, slot: Weekly, *, text: str, locale: str, today: date, now: datetime
) -> ReminderResult:
    """One weekly reminder at `slot`, speaking `text`. The request time is the request's own timestamp."""
    service = _service(handler_input)
    if service is None or not text.strip():
        logger.warning("reminder not requested: %s", "no API client" if service is None else "empty text")
        return ReminderResult(ok=False, reason="error")
    request = ReminderRequest(
        request_time=now.replace(microsecond=0, tzinfo=None),
        trigger=Trigger(
            object_type=TriggerType.SCHEDULED_ABSOLUTE,
            scheduled_time=first_time(slot, today),
            recurrence=Recurrence(freq=RecurrenceFreq.WEEKLY, by_day=[_RECURRENCE_DAYS[slot.day]]),
        ),
        alert_info=AlertInfo(spoken_info=SpokenInfo(content=[SpokenText(locale=locale, text=text)])),
        push_notification=PushNotification(status=PushNotificationStatus.ENABLED),
    )
    try:
        response = cast(ApiResponse, service.create_reminder(request, full_response=True))
    except ServiceException as error:
        reason: Reason = (
            "no_permission"
            if error.status_code in (401, 403)
            else "too_many"
            if error.status_code == 429
            else "error"
        )
        logger.warning("reminder not created: HTTP %s -> %s", error.status_code, reason)
        return ReminderResult(ok=False, reason=reason, http_status=error.status_code)
    except Exception as error:  # a broken answer must not end the session
        logger.warning("reminder not created: %s", type(error).__name__)
        return ReminderResult(ok=False, reason="error")
    reminder_id = getattr(response.body, "alert_token", None)
    if not reminder_id:
        return ReminderResult(ok=False, reason="error", http_status=response.status_code)
    return ReminderResult(
        ok=True, reason="created", reminder_id=reminder_id, http_status=response.status_code
    )


Found = Weekly | Literal[False] | None


def read_weekly(handler_input: HandlerInput, reminder_id: str | None) -> Found:
    """The stored reminder's weekly slot; None when it is gone (deleted in the app); False on error.

    Read through the SDK's own API client, but without its model: ask-sdk-model cannot deserialize a
    GetReminderResponse (it looks for a module `reminder_management.alert_info_spoken_info` that it does not
    ship), so the JSON body is read here."""
    if not reminder_id:
        return None
    try:
        config = handler_input.service_client_factory.api_configuration
        request = ApiClientRequest(
            headers=[("Authorization", f"Bearer {config.authorization_value}")],
            method="GET",
            url=f"{config.api_endpoint}/v1/alerts/reminders/{reminder_id}",
        )
        response = config.api_client.invoke(request)
    except Exception as error:  # no API client, a timeout, a refused connection
        logger.warning("reminder not read: %s", type(error).__name__)
        return False
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        logger.warning("reminder not read: HTTP %s", response.status_code)
        return False
    try:
        trigger = json.loads(response.body or "{}").get("trigger") or {}
        day = (trigger.get("recurrence") or {}).get("byDay", [None])[0]
        match = re.search(r"T(\d\d):(\d\d)", str(trigger.get("scheduledTime")))
    except (ValueError, AttributeError, IndexError, TypeError):
        return False
    codes = [code.value for code in _RECURRENCE_DAYS]
    if day not in codes or match is None:
        return False
    return Weekly(codes.index(day), int(match.group(1)), int(match.group(2)))


def delete(handler_input: HandlerInput, reminder_id: str | None) -> bool:
    """Delete the reminder. True when it is gone (also when it already was: 404)."""
    if not reminder_id:
        return True
    service = _service(handler_input)
    if service is None:
        return False
    try:
        service.delete_reminder(reminder_id)
    except ServiceException as error:
        if error.status_code == 404:
            return True
        logger.warning("reminder not deleted: HTTP %s", error.status_code)
        return False
    except Exception as error:
        logger.warning("reminder not deleted: %s", type(error).__name__)
        return False
    return True


def _service(handler_input: HandlerInput) -> ReminderManagementServiceClient | None:
    try:
        factory = handler_input.service_client_factory
        return factory.get_reminder_management_service() if factory is not None else None
    except (AttributeError, ValueError):
        return None
