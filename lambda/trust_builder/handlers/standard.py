"""The platform's required intents, in every state: help, stop, cancel, home, fallback, session end."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response, SessionEndedRequest

from trust_builder import household, replies
from trust_builder.alexa import MODE, STEP, content_for, respond, session
from trust_builder.errors import log_exception
from trust_builder.handlers import conversation
from trust_builder.speech import Speech

logger = logging.getLogger(__name__)


class HelpHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.HelpIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        attributes = session(handler_input)
        current_mode = attributes.get(MODE)
        if current_mode in (replies.CONFIRM_START_OVER, replies.CONFIRM_FORGET):
            return replies.ask_again(handler_input, Speech(content.phrase("speech.help.confirm")))
        if current_mode == replies.RESUME_OFFER:
            text = content.phrase("speech.help.resume_offer")
            return respond(handler_input, Speech(text), Speech(text))
        if current_mode == replies.STEPS and attributes.get(STEP):
            lead = Speech(content.phrase("speech.help.steps", number=attributes[STEP]))
            return replies.ask_again(handler_input, lead)
        speech = Speech(content.phrase("speech.help.menu"), content.phrase("speech.help.prompt"))
        return respond(handler_input, speech, Speech(content.phrase("speech.welcome.menu_reprompt")))


class StopHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.StopIntent")(handler_input) or is_intent_name("AMAZON.CancelIntent")(
            handler_input
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        return replies.goodbye(handler_input)


class NavigateHomeHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.NavigateHomeIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        session(handler_input)[STEP] = 0
        return replies.menu(
            handler_input, lead=Speech(content_for(handler_input).phrase("speech.goodbye.home"))
        )


class SessionEndedHandler(AbstractRequestHandler):
    """The session closed (silence, "exit", an error): save anything a failed checkpoint left unsaved."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        if isinstance(request, SessionEndedRequest) and request.error is not None:
            logger.warning("session ended with error type %s", request.error.object_type)
        household.flush(handler_input)
        return handler_input.response_builder.response


class FallbackHandler(AbstractRequestHandler):
    """AMAZON.FallbackIntent, and any intent no other handler took in this state: a helpful re-ask."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("IntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        understood = not is_intent_name("AMAZON.FallbackIntent")(handler_input)
        return conversation.fallback(handler_input, understood=understood)


class UnknownRequestHandler(AbstractRequestHandler):
    """Request types this skill does not use (e.g. a display event): answer quietly, change nothing."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.response


class ApologiseOnError(AbstractExceptionHandler):
    """Any exception: a brief apology, and the session stays usable. Logged as one JSON line with the
    exception's type and where it was raised, never its message or traceback (they can quote slot text)."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        log_exception(logger, "unhandled exception in skill", exception)  # type and place, never values
        content = content_for(handler_input)
        return respond(
            handler_input,
            Speech(content.phrase("speech.errors.general"), content.phrase("speech.errors.general_prompt")),
            Speech(content.phrase("speech.welcome.menu_reprompt")),
        )
