"""Safety comes before everything, from every state: the help line at once, then one short follow-up.

- SafetyIntent (not safe with a partner) and CrisisIntent (might hurt myself) give the locale's line and the
  emergency number, the line said slowly and twice. So does any free-text slot value (a name, a search
  query, a feeling) that the distress lexicon reads as a disclosure: it is never used as a name or a question.
- SafetyCheckIntent ("I'm scared") asks one gentle question. Yes gives the line; no returns the couple to
  exactly where they were (the same state, the same question); anything else errs toward the line, and the
  question's reprompt already carries the line, so silence hears it too. The session never ends on a
  near-miss.
- After a line: "Shall I say the number again?", then the card is OFFERED (the Alexa app belongs to the
  account holder, who may be the person someone is afraid of) and sent only on yes. Silence ends it.

Nothing about such a request is stored. An exercise stops: its timer is cancelled and a stored unfinished
exercise is cleared (the same write a declined resume makes, so it records nothing about why). The follow-up
and the pending check live in session attributes only.
"""

from __future__ import annotations

from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler, AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response
from ask_sdk_model.ui import Reprompt, SsmlOutputSpeech

from trust_builder import household, replies
from trust_builder.alexa import (
    LAST,
    MODE,
    content_for,
    intent_name,
    locale,
    respond,
    session,
    slot_id,
    slot_values,
)
from trust_builder.content import Content
from trust_builder.progress import Progress
from trust_builder.safety import (
    OFFER_NUMBER,
    Answer,
    Filled,
    FollowUp,
    HelpLine,
    Number,
    Route,
    classify_all,
    decide,
    follow_up,
    help_line,
    named_people,
    read_words,
    spoken,
)
from trust_builder.speech import Speech

FOLLOW_UP = "safety_follow_up"  # session attribute: what was offered after a line (FollowUp.to_dict)
CHECK = (
    "safety_check"  # session attribute: the gentle question is pending; holds the last response to restore
)
ROUTE_INTENTS = {"SafetyIntent": Route.PARTNER, "CrisisIntent": Route.CRISIS}
FOLLOW_UP_ANSWERS = {
    "AMAZON.YesIntent": Answer.YES,
    "AMAZON.NoIntent": Answer.NO,
    "AMAZON.RepeatIntent": Answer.REPEAT,
    "AMAZON.FallbackIntent": Answer.REPEAT,
}
# Session keys kept when a line is given: the household's progress (so the session needs no second read).
KEPT_KEYS = (household.CURRENT, household.STORED)


def filled_slots(handler_input: HandlerInput) -> dict[str, Filled]:
    """The request's filled slots with the value id each resolved to (None: unlisted words)."""
    request = handler_input.request_envelope.request
    slots = getattr(getattr(request, "intent", None), "slots", None) or {}
    return {
        name: Filled(slot.value.strip(), slot_id(handler_input, name))
        for name, slot in slots.items()
        if isinstance(getattr(slot, "value", None), str) and slot.value.strip()
    }


def route_of(handler_input: HandlerInput) -> Route | None:
    """The safety route this request asks for, if any: what its intent's slots say (safety.decide), then
    what the words they took say (safety.read_words), or what a free-text slot value of another intent
    says. A safety intent whose words also say self-harm gets the crisis line."""
    name = intent_name(handler_input)
    if name in ROUTE_INTENTS:
        filled = named_people(filled_slots(handler_input), locale(handler_input))
        route = decide(ROUTE_INTENTS[name], filled)
        if route is None:
            return read_words(ROUTE_INTENTS[name], filled, locale(handler_input))
        said = classify_all([*slot_values(handler_input), spoken(filled)], locale(handler_input))
        if said is Route.CRISIS or (route is Route.CHECK and said is Route.PARTNER):
            return said  # the words say more than the shape ("... take {the kids} {and hurt them}")
        return route
    if name is None:
        return None
    route = classify_all(slot_values(handler_input), locale(handler_input))
    if name == "SafetyCheckIntent":
        if route in (Route.PARTNER, Route.CRISIS):
            return route
        person = named_people(filled_slots(handler_input), locale(handler_input)).get("person")
        # "my boss gets really angry": someone nobody listed is no reason to ask (the fallback answers)
        return None if person is not None and person.resolved_id is None else Route.CHECK
    return route


def _in_exercise(handler_input: HandlerInput) -> bool:
    return session(handler_input).get(MODE) in (replies.EXERCISE, replies.RESUME_OFFER)


def _stop_exercise(handler_input: HandlerInput) -> None:
    """Any exercise stops and is not offered again; the session keeps only the household's progress."""
    progress = household.current(handler_input)
    if progress is not None and (progress.unfinished_exercise or progress.timer_id):
        from trust_builder import timers  # loads the Timers API only when there may be one to cancel

        timers.cancel_timer(handler_input, progress.timer_id)
        household.record(handler_input, _drop_exercise)
    attributes = session(handler_input)
    kept = {key: attributes[key] for key in KEPT_KEYS if key in attributes}
    attributes.clear()
    attributes.update(kept)


def _drop_exercise(progress: Progress) -> None:
    progress.unfinished_exercise = None
    progress.timer_id = None


def _say_number(speech: Speech, number: Number) -> Speech:
    """A number, slowly, then a short pause so the next sentence does not run into it."""
    return speech.phone(number.number, number.spoken).pause(0.4)


def _number_twice(speech: Speech, line: HelpLine, content: Content, first: str, second: str) -> Speech:
    speech.say(content.phrase(first))
    _say_number(speech, line.number)
    speech.say(content.phrase(second))
    return _say_number(speech, line.number)


def give_line(handler_input: HandlerInput, route: Route) -> Response:
    """The help line for the route: name, number twice, emergency number; then "the number again?"."""
    content = content_for(handler_input)
    route = Route.CRISIS if route is Route.CRISIS else Route.PARTNER
    line = help_line(locale(handler_input), route)
    lead_key = "lead_exercise" if _in_exercise(handler_input) else "lead"
    _stop_exercise(handler_input)
    speech = Speech(content.phrase(f"safety.{route}.{lead_key}"))
    speech.say(content.phrase(f"safety.{route}.line", name=line.name))
    _number_twice(speech, line, content, "safety.number.is", "safety.number.again")
    speech.say(line.extra)
    speech.say(content.phrase(f"safety.{route}.emergency"))
    _say_number(speech, line.emergency)
    speech.pause(0.5).say(content.phrase("safety.follow_up.ask_repeat"))
    session(handler_input)[FOLLOW_UP] = FollowUp(route, OFFER_NUMBER).to_dict()
    return respond(handler_input, speech, Speech(content.phrase("safety.follow_up.reprompt_repeat")))


class SafetyHandler(AbstractRequestHandler):
    """First in the skill: wins from every state, whatever else the request could mean."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        route = route_of(handler_input)
        return route in (Route.PARTNER, Route.CRISIS)

    def handle(self, handler_input: HandlerInput) -> Response:
        route = route_of(handler_input)
        return give_line(handler_input, route or Route.PARTNER)


class SafetyFollowUpHandler(AbstractRequestHandler):
    """The answer to "Shall I say the number again?" and to the card offer."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return (
            FollowUp.from_dict(session(handler_input).get(FOLLOW_UP)) is not None
            and intent_name(handler_input) in FOLLOW_UP_ANSWERS
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        attributes = session(handler_input)
        state = FollowUp.from_dict(attributes.get(FOLLOW_UP))
        assert state is not None  # can_handle saw one
        answer = FOLLOW_UP_ANSWERS[intent_name(handler_input) or ""]
        step = follow_up(state, answer)
        line = help_line(locale(handler_input), state.route)
        speech = Speech()
        if step.say_number:
            _number_twice(speech, line, content, "safety.number.only", "safety.number.once_more")
        attributes[FOLLOW_UP] = step.next_offer.to_dict() if step.next_offer else None
        if step.next_offer is not None:
            speech.say(content.phrase("safety.follow_up.card_offer"))
            return respond(handler_input, speech, Speech(content.phrase("safety.follow_up.card_reprompt")))
        if step.send_card:
            card_text = f"{line.card} " + content.phrase(
                "safety.follow_up.card_emergency", number=line.emergency.number
            )
            speech.say(content.phrase("safety.follow_up.card_sent"))
            card = (content.phrase("safety.follow_up.card_title"), card_text)
            from trust_builder.handlers.screen import show_help_line  # the screen shows it only on this yes

            show_help_line(handler_input, *card)
            return respond(handler_input, speech, card=card, end_session=True)
        speech.say(content.phrase("safety.follow_up.card_declined"))
        return respond(handler_input, speech, end_session=True)


class ForgetSafetyOffer(AbstractRequestInterceptor):
    """A follow-up offer holds only for the very next answer: anything else the couple says moves on, so a
    later "yes" to another question is never taken for "send the card"."""

    def process(self, handler_input: HandlerInput) -> None:
        attributes = session(handler_input)
        if attributes.get(FOLLOW_UP) and intent_name(handler_input) not in FOLLOW_UP_ANSWERS:
            attributes[FOLLOW_UP] = None


class SafetyCheckAnswerHandler(AbstractRequestHandler):
    """The answer to "Do you mean you don't feel safe right now?": no goes back; anything else, the line."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return CHECK in session(handler_input) and is_request_type("IntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        attributes = session(handler_input)
        pending: dict[str, Any] = attributes.pop(CHECK) or {}
        if not is_intent_name("AMAZON.NoIntent")(handler_input):
            return give_line(handler_input, _check_route(pending))
        content = content_for(handler_input)
        last = pending.get("last")
        if last:
            attributes[LAST] = last
        if not last:
            return replies.menu(handler_input, lead=Speech(content.phrase("safety.check.no")))
        # Back exactly where they were: the same state (untouched) and the same pending question, asked again
        # (the question, not the whole last response: a step is not read twice, a floor not restarted unasked;
        # "repeat" still says all of it).
        builder = handler_input.response_builder
        okay = Speech(content.phrase("safety.check.no")).ssml().removesuffix("</speak>")
        question = last["reprompt"].removeprefix("<speak>")
        builder.response.output_speech = SsmlOutputSpeech(ssml=okay + question)
        builder.response.reprompt = Reprompt(output_speech=SsmlOutputSpeech(ssml=last["reprompt"]))
        builder.set_should_end_session(False)
        return builder.response


def _check_route(pending: dict[str, Any]) -> Route:
    """The line a yes to the gentle question gives: the crisis line when the ambiguity was about self-harm."""
    return Route.CRISIS if pending.get("route") == Route.CRISIS else Route.PARTNER


class SafetyCheckHandler(AbstractRequestHandler):
    """ "I'm scared" (or a bare fear word in a name, a question, a feeling): one gentle question."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return route_of(handler_input) is Route.CHECK

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        attributes = session(handler_input)
        name = intent_name(handler_input)
        crisis = name == "CrisisIntent" or (
            name != "SafetyCheckIntent"
            and name not in ROUTE_INTENTS
            and classify_all(slot_values(handler_input), locale(handler_input)) is Route.CRISIS
        )
        route = Route.CRISIS if crisis else Route.PARTNER
        attributes[CHECK] = {"last": attributes.get(LAST), "route": str(route)}
        line = help_line(locale(handler_input), route)
        # The reprompt carries the line: silence after the question errs toward help.
        reprompt = Speech(content.phrase("safety.check.reprompt_lead"))
        reprompt.say(content.phrase(f"safety.{route}.line", name=line.name)).say(
            content.phrase("safety.number.is")
        )
        _say_number(reprompt, line.number)
        reprompt.say(content.phrase(f"safety.{route}.emergency"))
        _say_number(reprompt, line.emergency)
        reprompt.say(content.phrase("safety.check.reprompt"))
        return respond(handler_input, Speech(content.phrase("safety.check.question")), reprompt)


class SafetyNotMeantHandler(AbstractRequestHandler):
    """A safety intent whose slots say it was no disclosure ("she loves me" filling "{who} {act} me" with an
    unlisted act): answered as any miss is, in the state the couple is in. Never ends the session."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        names = (*ROUTE_INTENTS, "SafetyCheckIntent")
        return intent_name(handler_input) in names and route_of(handler_input) is None

    def handle(self, handler_input: HandlerInput) -> Response:
        from trust_builder.handlers import conversation  # only for this rare miss

        return conversation.fallback(handler_input, understood=False)


class SafetySessionEndedHandler(AbstractRequestHandler):
    """Silence after the gentle question errs toward help: any exercise stops, as it would with the line."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input) and CHECK in session(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        _stop_exercise(handler_input)
        household.flush(handler_input)
        return handler_input.response_builder.response


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
