"""Safety comes before everything: "I don't feel safe" stops the exercise and gives the local help line.

Nothing about such a request is stored. The exercise is not continued: its timer is cancelled and a stored
unfinished exercise is cleared (the same write a declined resume makes, so it records nothing about why),
and the session ends so the skill asks nothing more.
"""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from trust_builder import household, replies
from trust_builder.alexa import content_for, intent_name, locale, respond, session, slot_text
from trust_builder.progress import Progress
from trust_builder.safety import help_line
from trust_builder.speech import Speech

# Intents whose first-name slots could catch "I'm terrified" when a name is expected.
NAME_SLOTS = {"NamesIntent": ("firstName", "secondName"), "FirstSpeakerIntent": ("firstName",)}


def _distress_heard_as_a_name(handler_input: HandlerInput) -> bool:
    slots = NAME_SLOTS.get(intent_name(handler_input) or "", ())
    distress = content_for(handler_input).words("distress.words")
    return any((slot_text(handler_input, slot) or "").lower() in distress for slot in slots)


class SafetyHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("SafetyIntent")(handler_input) or _distress_heard_as_a_name(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        line = help_line(locale(handler_input))
        progress = household.current(handler_input)
        if progress is not None and (progress.unfinished_exercise or progress.timer_id):
            from trust_builder import timers  # loads the Timers API only when there may be one to cancel

            timers.cancel_timer(handler_input, progress.timer_id)
            household.record(handler_input, _drop_exercise)
        session(handler_input).clear()
        return respond(
            handler_input, Speech(line.speech), card=(line.card_title, line.card_text), end_session=True
        )


def _drop_exercise(progress: Progress) -> None:
    progress.unfinished_exercise = None
    progress.timer_id = None


class ProfessionalHelpHandler(AbstractRequestHandler):
    """ "we need professional help": the professional-help step, with practical ways to find a counselor."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ProfessionalHelpIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        step = content.step_by_id("professional_help")
        if step is None:  # every locale has this step (tests/test_content.py): a missing one is a content bug
            raise LookupError(f"no professional_help step in locale {content.locale}")
        lead = Speech(content.phrase("speech.professional_help.intro"))
        lead.say(content.phrase("speech.professional_help.practical")).pause(0.5)
        card = (
            content.phrase("speech.professional_help.card_title"),
            content.phrase("speech.professional_help.card_text"),
        )
        return replies.read_step(handler_input, step.number, lead=lead, card=card)
