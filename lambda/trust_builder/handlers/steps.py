"""Moving through the eight steps: next, back, a step by number or topic, tell me more, list, where are we."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from trust_builder import household, navigation, replies
from trust_builder.alexa import (
    MODE,
    OFFER,
    STEP,
    content_for,
    respond,
    session,
    slot_id,
    slot_number,
    slot_text,
)
from trust_builder.content import step_topics
from trust_builder.navigation import STEP_COUNT, Reason
from trust_builder.speech import Speech


def _current_step(handler_input: HandlerInput) -> int:
    return int(session(handler_input).get(STEP) or 0)


class GoToStepHandler(AbstractRequestHandler):
    """ "step five", "the second step", "the last one", "the step about boundaries"."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("GoToStepIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        topic = slot_id(handler_input, "topic")
        heard_topic = slot_text(handler_input, "topic")
        if topic is None and heard_topic:  # unresolved: look for a topic's words inside, else no step
            topic = navigation.topic_named_in(heard_topic, step_topics()) or "unknown"
        number = slot_number(handler_input, "number")
        if number is None:
            number = slot_number(handler_input, "ordinal")
        position = slot_id(handler_input, "position")
        heard_position = slot_text(handler_input, "position")
        if topic is None and position is None and heard_position:  # "the communication step"
            topic = navigation.topic_named_in(heard_position, step_topics())
        if number is None and topic is None and navigation.is_relative(position):
            return _relative(handler_input, position)
        if number is None:
            number = navigation.step_at(position)
        destination = navigation.requested_step(number, topic, [step.id for step in content.steps])
        if destination.step is not None:  # a destination names a step exactly when the reason is OK
            return replies.read_step(handler_input, destination.step)
        reprompt = Speech(content.phrase("speech.steps.which_step_reprompt"))
        key = f"speech.steps.{destination.reason.value}"
        if destination.reason is Reason.UNKNOWN_TOPIC:  # the eight topics, grouped in threes for the ear
            key = "conversation.steps.unknown_topic"
        lead = Speech(content.phrase(key, number=number))
        return respond(handler_input, lead, reprompt)


def _relative(handler_input: HandlerInput, position: str | None) -> Response:
    """ "skip to the next step", "the step before", "this step": as next, back, or the current step again."""
    if position == "previous":
        return PreviousStepHandler().handle(handler_input)
    current = _current_step(handler_input)
    if position == "current" and current:
        return replies.read_step(handler_input, current)
    return NextStepHandler().handle(handler_input)


class NextStepHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.NextIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        listing = _listing_page(handler_input)
        if listing:
            return replies.list_steps(handler_input, listing)
        current = _current_step(handler_input)
        if current == 0:
            upcoming = replies.next_unheard_step(household.current(handler_input)) or 1
            return replies.read_step(handler_input, upcoming)
        destination = navigation.next_step(current)
        if destination.step is None:  # past the last step
            return replies.read_closing(handler_input)
        return replies.read_step(handler_input, destination.step)


class PreviousStepHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.PreviousIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        destination = navigation.previous_step(_current_step(handler_input))
        lead = None
        if destination.reason is Reason.BEFORE_START:
            lead = Speech(content_for(handler_input).phrase("speech.steps.before_start"))
        assert destination.step is not None, "going back always lands on a step (the first at the start)"
        return replies.read_step(handler_input, destination.step, lead=lead)


def _listing_page(handler_input: HandlerInput) -> int | None:
    """The first step of the list's next page, while the steps are being listed three at a time."""
    offered = session(handler_input).get(OFFER) or {}
    return offered.get("step") if offered.get("kind") == replies.OFFER_LIST else None


class TellMeMoreHandler(AbstractRequestHandler):
    """ "tell me more", and Amazon's built-in "more": the current step's detail (or the list's next page)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("TellMeMoreIntent")(handler_input) or is_intent_name("AMAZON.MoreIntent")(
            handler_input
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        listing = _listing_page(handler_input)
        if listing:
            return replies.list_steps(handler_input, listing)
        current = _current_step(handler_input)
        if current == 0:
            content = content_for(handler_input)
            return respond(
                handler_input,
                Speech(content.phrase("speech.steps.detail_not_yet")),
                Speech(content.phrase("speech.steps.which_step_reprompt")),
            )
        return replies.read_detail(handler_input, current)


class ListStepsHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ListStepsIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return replies.list_steps(handler_input, 1)


class WhereAreWeHandler(AbstractRequestHandler):
    """ "where are we", "where did we leave off": the step in this visit, else the stored one."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("WhereAreWeIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        progress = household.current(handler_input)
        current = _current_step(handler_input) or (progress.current_step if progress else 0)
        heard = len(progress.steps_heard) if progress else 0
        speech = Speech()
        if current:
            session(handler_input)[STEP] = current
            step = content.step(current)
            speech.say(content.phrase("speech.steps.where_on_step", number=current, title=step.title))
            speech.say(content.phrase("speech.steps.where_heard", count=heard))
            speech.say(content.phrase("speech.steps.where_prompt"))
            replies.offer(handler_input, replies.OFFER_DETAIL, current)
            session(handler_input)[MODE] = replies.STEPS
            return respond(handler_input, speech, Speech(content.phrase("speech.steps.where_prompt")))
        upcoming = min(replies.next_unheard_step(progress) or 1, STEP_COUNT)
        speech.say(content.phrase("speech.steps.where_not_started"))
        speech.say(content.phrase("speech.steps.where_prompt_not_started", next=upcoming))
        replies.offer(handler_input, replies.OFFER_STEP, upcoming)
        return respond(
            handler_input,
            speech,
            Speech(content.phrase("speech.steps.where_prompt_not_started", next=upcoming)),
        )
