"""What the skill reads from requests about timers, on every request: the timers permission, the answer
to the voice-consent request, and a relaunch by our timer's task; and the consent directive itself.

Kept apart from trust_builder.timers, which calls the Alexa Timers API: that module loads the SDK's API
client, `requests` and the timer models (over 100 ms of a cold start), and is imported only when a timer is
set or cancelled. Nothing here may import it, `requests` or `ask_sdk_core.api_client` (a test checks).
"""

from __future__ import annotations

from typing import Any, Literal, TypeGuard

from ask_sdk_model import LaunchRequest, PermissionStatus, RequestEnvelope
from ask_sdk_model.interfaces.connections import ConnectionsResponse, SendRequestDirective

TIMER_SCOPE = "alexa::alerts:timers:skill:readwrite"
ASK_FOR = "AskFor"
# Alexa replaces this with "continue with <skill name>" when the timer ends; a LAUNCH_TASK timer is refused
# without it. The current Timers API reference examples write `{continueWithSkillName}`; the older
# ask-sdk-model docstring says `%s`. Locale phrases carry it literally (or fill a field with this constant).
CONFIRM_PLACEHOLDER = "{continueWithSkillName}"

ConsentAnswer = Literal["ACCEPTED", "DENIED", "NOT_ANSWERED"]
_CONSENT_ANSWERS: frozenset[str] = frozenset({"ACCEPTED", "DENIED", "NOT_ANSWERED"})


# --- permission ---------------------------------------------------------------------------------------


def has_timer_permission(request_envelope: RequestEnvelope | None) -> bool:
    """True when the request says the user granted the timers scope to this skill."""
    context = request_envelope.context if request_envelope is not None else None
    system = context.system if context is not None else None
    user = system.user if system is not None else None
    permissions = user.permissions if user is not None else None
    scopes = permissions.scopes if permissions is not None else None
    scope = scopes.get(TIMER_SCOPE) if isinstance(scopes, dict) else None
    status = scope.status if scope is not None else None
    return getattr(status, "value", status) == PermissionStatus.GRANTED.value


def consent_directive(token: str = "trust-builder-timer-consent") -> SendRequestDirective:
    """The voice-consent request for the timers scope; Alexa asks the question in its own words."""
    return SendRequestDirective(
        name=ASK_FOR,
        payload={
            "@type": "AskForPermissionsConsentRequest",
            "@version": "1",
            "permissionScope": TIMER_SCOPE,
        },
        token=token,
    )


def consent_answer(request_envelope: RequestEnvelope | None) -> ConsentAnswer | None:
    """The user's answer to `consent_directive`, or None if this request is not that answer."""
    request = getattr(request_envelope, "request", None)
    if not isinstance(request, ConnectionsResponse) or request.name != ASK_FOR:
        return None
    payload = request.payload if isinstance(request.payload, dict) else {}
    scope = payload.get("permissionScope")
    if scope is not None and scope != TIMER_SCOPE:
        return None  # an answer about another scope (e.g. reminders) is not ours to read
    status = payload.get("status")
    return status if _is_consent_answer(status) else None


def _is_consent_answer(value: object) -> TypeGuard[ConsentAnswer]:
    return value in _CONSENT_ANSWERS


# --- relaunch by a timer -----------------------------------------------------------------------------


def launched_task_input(
    request_envelope: RequestEnvelope | None, name: str = "ContinueExercise"
) -> dict[str, Any] | None:
    """The task input when this LaunchRequest comes from our timer's task `name`, else None."""
    request = request_envelope.request if request_envelope is not None else None
    task = request.task if isinstance(request, LaunchRequest) else None
    if task is None or not isinstance(task.name, str) or task.name.rsplit(".", 1)[-1] != name:
        return None
    return task.input if isinstance(task.input, dict) else {}
