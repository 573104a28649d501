""" "repeat" outside the exercise: says the last response again, exactly as it was heard."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler, AbstractResponseInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response
from ask_sdk_model.ui import Reprompt, SsmlOutputSpeech

from trust_builder import replies
from trust_builder.alexa import LAST, session


class RememberLastResponse(AbstractResponseInterceptor):
    """Keeps the last spoken response of an open session in the session, so "repeat" needs no re-rendering."""

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        if (
            response is None
            or response.should_end_session
            or is_intent_name("AMAZON.RepeatIntent")(handler_input)
        ):
            return
        speech = response.output_speech
        reprompt = response.reprompt.output_speech if response.reprompt is not None else None
        # Every response this skill speaks is SSML (alexa.respond); anything else is not repeatable.
        if not isinstance(speech, SsmlOutputSpeech) or not isinstance(reprompt, SsmlOutputSpeech):
            return
        session(handler_input)[LAST] = {"speech": speech.ssml, "reprompt": reprompt.ssml}


class RepeatHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.RepeatIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        last = session(handler_input).get(LAST)
        if not last:
            return replies.menu(handler_input)
        builder = handler_input.response_builder
        builder.response.output_speech = SsmlOutputSpeech(ssml=last["speech"])
        builder.response.reprompt = Reprompt(output_speech=SsmlOutputSpeech(ssml=last["reprompt"]))
        builder.set_should_end_session(False)
        return builder.response
