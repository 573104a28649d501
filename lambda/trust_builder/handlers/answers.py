"""Yes and no outside a confirmation or the exercise: they answer the offer just made."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from trust_builder import replies
from trust_builder.alexa import OFFER, content_for, session
from trust_builder.handlers.exercise import start_exercise
from trust_builder.speech import Speech


class YesHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.YesIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        offer = session(handler_input).get(OFFER) or {}
        kind, step = offer.get("kind"), offer.get("step")
        if kind == replies.OFFER_STEP and step:
            if replies.wants_intro(handler_input, step):
                return replies.read_intro(handler_input)
            return replies.read_step(handler_input, step)
        if kind == replies.OFFER_DETAIL and step:
            return replies.read_detail(handler_input, step)
        if kind == replies.OFFER_CLOSING:
            return replies.read_closing(handler_input)
        if kind in (replies.OFFER_EXERCISE, replies.OFFER_TRY_EXERCISE):
            return start_exercise(handler_input)
        if kind == replies.OFFER_LIST and step:
            return replies.list_steps(handler_input, step)
        return replies.ask_again(
            handler_input, Speech(content_for(handler_input).phrase("speech.fallback.not_now"))
        )


class NoHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.NoIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        declined = (session(handler_input).get(OFFER) or {}).get("kind")
        replies.offer(handler_input, None)
        if declined == replies.OFFER_EXERCISE:  # "not now" to the exercise after the closing: done for today
            return replies.goodbye(handler_input)
        return replies.menu(handler_input)
