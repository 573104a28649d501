"""Alexa Timers API client for exercise floors longer than one response can hold (over 240 s of audio).

A floor that long is handed to a skill timer. The preferred timer is LAUNCH_TASK: when it ends Alexa asks the
user whether to continue with the skill, and a "yes" relaunches the skill with a LaunchRequest whose `task`
carries our input (read it back with `launched_task_input`). That needs the custom task declared in
`skill-package/tasks/ContinueExercise.1.json`. Where Alexa rejects the task (400: not declared, not yet
certified, or no such task on this account), `start_timer(..., fallback_text=...)` creates an ANNOUNCE timer
instead: Alexa speaks the text when the floor ends, and the partners reopen the skill themselves.

Nothing here is spoken text: every text comes in as an argument from the locale files. Calls never raise;
they answer with a `TimerResult`. Logs carry reasons and status codes, never user, device or token values.

The SDK's `DefaultApiClient` waits for an answer with no time limit, so a slow Alexa API would hold the skill
until Lambda kills it; build the skill with `CustomSkillBuilder(api_client=BoundedApiClient())` instead.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import requests
from ask_sdk_core.api_client import DefaultApiClient
from ask_sdk_core.exceptions import ApiClientException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.services import ApiClientRequest, ApiResponse, ServiceException
from ask_sdk_model.services.timer_management import (
    AnnounceOperation,
    CreationBehavior,
    DisplayExperience,
    LaunchTaskOperation,
    NotificationConfig,
    Operation,
    Task,
    TextToAnnounce,
    TextToConfirm,
    TimerManagementServiceClient,
    TimerRequest,
    TriggeringBehavior,
    Visibility,
)

# The request-reading half lives in timer_requests (imported on every request); re-exported here so callers
# of the Timers API find everything about timers in one place.
from trust_builder.timer_requests import (
    ASK_FOR,
    CONFIRM_PLACEHOLDER,
    TIMER_SCOPE,
    ConsentAnswer,
    consent_answer,
    consent_directive,
    has_timer_permission,
    launched_task_input,
)

__all__ = [
    "ASK_FOR",
    "CONFIRM_PLACEHOLDER",
    "TIMER_SCOPE",
    "BoundedApiClient",
    "ConsentAnswer",
    "TimerResult",
    "cancel_timer",
    "consent_answer",
    "consent_directive",
    "has_timer_permission",
    "iso_duration",
    "launched_task_input",
    "start_announce_timer",
    "start_timer",
]

logger = logging.getLogger(__name__)

MAX_SECONDS = 2 * 60 * 60  # documented maximum duration of one timer
MAX_LABEL_CHARS = 256
DEFAULT_TIMEOUT_SECONDS = (2.0, 3.0)  # connect, read: well inside Alexa's 8 s wait for our response

Reason = Literal["created", "no_permission", "too_many", "error"]


@dataclass(frozen=True)
class TimerResult:
    """What became of a timer request. `operation` is the trigger actually used (LAUNCH_TASK or ANNOUNCE)."""

    ok: bool
    reason: Reason
    timer_id: str | None = None
    http_status: int | None = None
    operation: str | None = None


class BoundedApiClient(DefaultApiClient):
    """DefaultApiClient (HTTPS only, same headers and body handling) whose calls give up after a timeout."""

    def __init__(self, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout

    def _resolve_method(self, request: ApiClientRequest) -> Callable[..., requests.Response]:
        method = (request.method or "").lower()
        if method not in {"get", "post", "put", "delete", "patch", "head"}:
            raise ApiClientException(f"Invalid request method: {request.method}")
        return functools.partial(getattr(requests, method), timeout=self.timeout)


# --- timers -------------------------------------------------------------------------------------------


def iso_duration(seconds: int) -> str:
    """ISO-8601 duration as the Timers API wants it: 180 -> PT3M, 270 -> PT4M30S, 5400 -> PT1H30M."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        raise ValueError(f"a timer needs a positive whole number of seconds, not {seconds!r}")
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if value]
    return "PT" + "".join(parts)


def qualified_task_name(skill_id: str, name: str) -> str:
    """A custom task's address, "<skillId>.<TaskName>"; it is skill-package/tasks/<TaskName>.<v>.json."""
    return f"{skill_id}.{name}"


def start_timer(
    handler_input: HandlerInput,
    *,
    seconds: int,
    label: str,
    task_input: dict[str, Any],
    confirm_text: str,
    locale: str,
    task_name: str = "ContinueExercise",
    task_version: str = "1",
    fallback_text: str | None = None,
) -> TimerResult:
    """Create a LAUNCH_TASK timer that offers to continue the exercise when it ends.

    `confirm_text` must contain CONFIRM_PLACEHOLDER. With `fallback_text`, a LAUNCH_TASK that Alexa rejects
    as a bad request (400) is retried once as an ANNOUNCE timer speaking that text.
    """
    problem = _check_common(seconds, label, locale)
    if problem is None and (not isinstance(confirm_text, str) or CONFIRM_PLACEHOLDER not in confirm_text):
        problem = "confirm text lacks the continue-with-skill placeholder"
    skill_id = _skill_id(handler_input)
    if problem is None and not skill_id:
        problem = "request carries no skill id"
    if problem is None and not isinstance(task_input, dict):
        problem = "task input is not a dict"
    if problem is not None or skill_id is None:
        logger.warning("timer not requested: %s", problem)
        return TimerResult(ok=False, reason="error", operation="LAUNCH_TASK")

    operation = LaunchTaskOperation(
        text_to_confirm=[TextToConfirm(locale=locale, text=confirm_text)],
        task=Task(name=qualified_task_name(skill_id, task_name), version=task_version, input=task_input),
    )
    result = _create(handler_input, seconds, label, operation)
    if result.ok or fallback_text is None or result.http_status != 400:
        return result
    logger.info("LAUNCH_TASK timer refused (400); falling back to ANNOUNCE")
    return start_announce_timer(
        handler_input, seconds=seconds, label=label, text=fallback_text, locale=locale
    )


def start_announce_timer(
    handler_input: HandlerInput, *, seconds: int, label: str, text: str, locale: str
) -> TimerResult:
    """Create an ANNOUNCE timer: Alexa speaks `text` when it ends (no relaunch of the skill)."""
    problem = _check_common(seconds, label, locale)
    if problem is None and (not isinstance(text, str) or not text.strip()):
        problem = "announcement text is empty"
    if problem is not None:
        logger.warning("timer not requested: %s", problem)
        return TimerResult(ok=False, reason="error", operation="ANNOUNCE")
    operation = AnnounceOperation(text_to_announce=[TextToAnnounce(locale=locale, text=text)])
    return _create(handler_input, seconds, label, operation)


def cancel_timer(handler_input: HandlerInput, timer_id: str | None) -> bool:
    """Delete a timer the skill made. True when it is gone (also when it had already ended: 404)."""
    if not timer_id or not isinstance(timer_id, str):
        return False
    service = _timer_service(handler_input)
    if service is None:
        logger.warning("timer not cancelled: skill built without an API client")
        return False
    try:
        service.delete_timer(timer_id)
    except ServiceException as error:
        if error.status_code == 404:
            return True
        logger.warning("timer not cancelled: HTTP %s (%s)", error.status_code, _error_code(error))
        return False
    except Exception as error:  # never let a timer failure end the exercise
        logger.warning("timer not cancelled: %s", type(error).__name__)
        return False
    return True


# --- internals ----------------------------------------------------------------------------------------


def _check_common(seconds: Any, label: Any, locale: Any) -> str | None:
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 < seconds <= MAX_SECONDS:
        return f"duration must be 1..{MAX_SECONDS} whole seconds"
    if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL_CHARS:
        return f"label must be 1..{MAX_LABEL_CHARS} characters"
    if not isinstance(locale, str) or not re.fullmatch(r"[a-z]{2}-[A-Z]{2}", locale):
        return "locale must look like en-US"
    return None


def _timer_service(handler_input: HandlerInput) -> TimerManagementServiceClient | None:
    """The SDK's timers client, or None when the skill was built without an API client."""
    try:
        factory = handler_input.service_client_factory  # the SDK raises ValueError when there is none
        return factory.get_timer_management_service() if factory is not None else None
    except (AttributeError, ValueError):
        return None


def _skill_id(handler_input: HandlerInput) -> str | None:
    context = handler_input.request_envelope.context
    system = context.system if context is not None else None
    application = system.application if system is not None else None
    return (application.application_id or None) if application is not None else None


def _create(handler_input: HandlerInput, seconds: int, label: str, operation: Operation) -> TimerResult:
    kind = operation.object_type
    service = _timer_service(handler_input)
    if service is None:
        logger.warning("timer not requested: skill built without an API client (no service_client_factory)")
        return TimerResult(ok=False, reason="error", operation=kind)
    timer_request = TimerRequest(
        duration=iso_duration(seconds),
        timer_label=label,
        creation_behavior=CreationBehavior(
            display_experience=DisplayExperience(visibility=Visibility.VISIBLE)
        ),
        triggering_behavior=TriggeringBehavior(
            operation=operation, notification_config=NotificationConfig(play_audible=True)
        ),
    )
    try:
        # With full_response=True the client returns an ApiResponse; its type comment covers both modes.
        response = cast(ApiResponse, service.create_timer(timer_request, full_response=True))
    except ServiceException as error:
        reason = _reason_for(error.status_code)
        logger.warning(
            "%s timer not created: HTTP %s (%s) -> %s", kind, error.status_code, _error_code(error), reason
        )
        return TimerResult(ok=False, reason=reason, http_status=error.status_code, operation=kind)
    except Exception as error:  # a broken answer must not end the exercise
        logger.warning("%s timer not created: %s", kind, type(error).__name__)
        return TimerResult(ok=False, reason="error", operation=kind)
    timer_id = getattr(response.body, "id", None)
    if not timer_id:
        logger.warning("%s timer answer had no id (HTTP %s)", kind, response.status_code)
        return TimerResult(ok=False, reason="error", http_status=response.status_code, operation=kind)
    logger.info("%s timer created for %s", kind, timer_request.duration)
    return TimerResult(
        ok=True, reason="created", timer_id=timer_id, http_status=response.status_code, operation=kind
    )


def _reason_for(status_code: int | None) -> Reason:
    if status_code in (401, 403):
        return "no_permission"
    if status_code == 429:
        return "too_many"
    return "error"


def _error_code(error: ServiceException) -> str:
    """The API's error code when it sent one; the SDK puts a timeout or refused connection in the message."""
    code = getattr(error.body, "code", None)
    if code:
        return str(code)
    message = str(error)
    return "timeout" if "timed out" in message.lower() else message[:120]
