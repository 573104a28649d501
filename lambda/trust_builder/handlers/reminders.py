"""The weekly practice reminder by voice: set ("remind us on Sunday at seven pm"), list, and stop.

Offered once at the end of a completed exercise (exercise_script's offer). Permission is asked by voice when
it is not held; the day and time wait in the session (REMINDER_PENDING) for Alexa's Connections.Response.
Only the reminder's id is stored with the household's progress.
"""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type, is_intent_name
from ask_sdk_model import Response

from trust_builder import household, reminders, replies
from trust_builder.alexa import content_for, locale, now, respond, session, slot_text, today
from trust_builder.content import DEFAULT_LOCALE
from trust_builder.reminders import Weekly
from trust_builder.speech import Speech

REMINDER_PENDING = "reminder_pending"  # session attribute: {"day", "hour", "minute"} while consent is asked


def _clock(slot: Weekly) -> str:
    hour = slot.hour % 12 or 12
    return f"{hour}:{slot.minute:02d} {'PM' if slot.hour >= 12 else 'AM'}"


def _day(slot: Weekly) -> str:
    return reminders.DAYS[slot.day].capitalize()


def _menu(handler_input: HandlerInput, key: str, **values: str) -> Response:
    content = content_for(handler_input)
    return replies.menu(handler_input, lead=Speech(content.phrase(f"reminders.reminder.{key}", **values)))


def _create(handler_input: HandlerInput, slot: Weekly) -> Response:
    content = content_for(handler_input)
    progress = household.current(handler_input)
    old = progress.reminder_id if progress else None
    result = reminders.create_weekly(
        handler_input,
        slot,
        text=content.phrase("reminders.reminder.text"),
        locale=locale(handler_input) or DEFAULT_LOCALE,
        today=today(handler_input),
        now=now(handler_input).replace(tzinfo=None),
    )
    if not result.ok:
        return _menu(handler_input, "no_permission" if result.reason == "no_permission" else "failed")
    if old:
        reminders.delete(handler_input, old)  # one practice reminder per household

    def keep(stored) -> None:
        stored.reminder_id = result.reminder_id

    household.record(handler_input, keep)
    return _menu(handler_input, "set", day=_day(slot), clock=_clock(slot))


class ReminderHandler(AbstractRequestHandler):
    """ "Remind us on Sunday at seven pm" sets it; "do we have a reminder" (no day or time) reads it back."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ReminderIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        day = slot_text(handler_input, "day")
        time = slot_text(handler_input, "time")
        if day is None and time is None:
            progress = household.current(handler_input)
            if progress is None or not progress.reminder_id:
                ask = Speech(
                    content.phrase("reminders.reminder.none"), content.phrase("reminders.reminder.ask_when")
                )
                return respond(
                    handler_input, ask, Speech(content.phrase("reminders.reminder.ask_when_reprompt"))
                )
            found = reminders.read_weekly(handler_input, progress.reminder_id)
            if found is False:
                return _menu(handler_input, "read_failed")
            if found is None:  # deleted in the Alexa app meanwhile: forget its id
                household.record(handler_input, lambda stored: setattr(stored, "reminder_id", None))
                return _menu(handler_input, "none")
            return _menu(handler_input, "listed", day=_day(found), clock=_clock(found))
        slot = reminders.weekly(day, time)
        if slot is None:
            ask = Speech(content.phrase("reminders.reminder.bad_time"))
            return respond(handler_input, ask, Speech(content.phrase("reminders.reminder.ask_when_reprompt")))
        if reminders.has_permission(handler_input.request_envelope):
            return _create(handler_input, slot)
        session(handler_input)[REMINDER_PENDING] = slot.to_dict()
        speech = Speech(content.phrase("reminders.reminder.need_permission"))
        response = respond(
            handler_input, speech, end_session=True, directives=[reminders.consent_directive()]
        )
        response.should_end_session = None  # Alexa asks the consent question; the session waits for it
        return response


class ReminderConsentHandler(AbstractRequestHandler):
    """Alexa's answer to the reminders permission question."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return get_request_type(handler_input) == "Connections.Response" and (
            reminders.consent_answer(handler_input.request_envelope) is not None
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        answer = reminders.consent_answer(handler_input.request_envelope)
        pending = Weekly.from_dict(session(handler_input).pop(REMINDER_PENDING, None))
        if answer != "ACCEPTED":
            return _menu(handler_input, "denied")
        if pending is None:  # no session: the day and time were not kept
            content = content_for(handler_input)
            ask = Speech(content.phrase("reminders.reminder.again"))
            return respond(handler_input, ask, Speech(content.phrase("reminders.reminder.ask_when_reprompt")))
        return _create(handler_input, pending)


class StopRemindersHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("StopRemindersIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        progress = household.current(handler_input)
        if progress is None or not progress.reminder_id:
            return _menu(handler_input, "none")
        if not reminders.delete(handler_input, progress.reminder_id):
            return _menu(handler_input, "stop_failed")
        household.record(handler_input, lambda stored: setattr(stored, "reminder_id", None))
        return _menu(handler_input, "stopped")
