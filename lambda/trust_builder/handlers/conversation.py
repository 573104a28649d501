"""The conversation outside the exercise: fallbacks that name what works here, finishing for the night, kind
answers to what the skill can't advise on, questions about the skill and its memory, and resuming at the menu.

No handler here stores, logs or repeats back the words in a free-text slot (feeling, question, claim): only a
resolved Feeling id picks a step. The SafetyHandler, which runs first, checks those slots for distress.
"""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler, AbstractResponseInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response
from ask_sdk_model.ui import SsmlOutputSpeech

from trust_builder import conversation, exercise_script, household, replies
from trust_builder.alexa import MODE, OFFER, STEP, content_for, intent_name, respond, session, slot_id
from trust_builder.content import Content
from trust_builder.exercise import Exercise
from trust_builder.handlers.exercise import ResumeOfferHandler
from trust_builder.speech import Speech

MISSES = "misses"  # session attribute: fallbacks in a row (a second one in a row says more)
FALLBACKS = "fallbacks"  # session attribute: fallbacks so far this session (rotates the wording)
MISSED = "missed"  # request attribute: this request was a miss, so the count is not reset
EXERCISE_STATE = "exercise"  # the exercise module's session attribute
say_one = replies.vary


def _running_exercise(handler_input: HandlerInput) -> Exercise | None:
    if session(handler_input).get(MODE) != replies.EXERCISE:
        return None
    raw = session(handler_input).get(EXERCISE_STATE)
    try:
        return Exercise.from_dict(raw) if raw else None
    except (ValueError, KeyError, TypeError):
        return None


def _back_to_exercise(handler_input: HandlerInput, lead: Speech, state: Exercise) -> Response:
    """An answer given mid-exercise, then the question the exercise is waiting on: nothing else changes."""
    content = content_for(handler_input)
    question = Speech(exercise_script.prompt(state, content))
    speech = Speech().extend(lead).say(content.phrase("conversation.in_exercise.answer")).extend(question)
    return respond(handler_input, speech, question)


next_label = replies.next_label


# ----- fallback ----------------------------------------------------------------------------------------


def fallback(handler_input: HandlerInput, *, understood: bool) -> Response:
    """A miss: a varied lead, then two or three things that work in this state; a second miss in a row says
    more and offers help. `understood` is an intent that just doesn't fit here (not a mishearing)."""
    content = content_for(handler_input)
    attributes = session(handler_input)
    handler_input.attributes_manager.request_attributes[MISSED] = True
    misses = int(attributes.get(MISSES) or 0) + 1
    total = int(attributes.get(FALLBACKS) or 0)
    attributes[MISSES] = misses
    attributes[FALLBACKS] = total + 1
    leads = content.variants(
        "conversation.fallback.not_now_leads" if understood else "conversation.fallback.leads"
    )
    lead = conversation.pick(leads, total)

    state = _running_exercise(handler_input)
    if state is not None:  # an intent the exercise does not take: keep the exercise where it is
        question = Speech(exercise_script.prompt(state, content))
        return respond(handler_input, Speech(lead).extend(question), question)

    progress = household.current(handler_input)
    upcoming = replies.next_unheard_step(progress)
    offer_kind = (attributes.get(OFFER) or {}).get("kind")
    where = conversation.fallback_state(attributes.get(MODE), offer_kind, upcoming is None)
    current = int(attributes.get(STEP) or 0)
    values: dict[str, object] = {"next": upcoming or 1, "step": current or 1}
    if current:
        values["title"] = content.step(current).title
        values["next_label"] = next_label(content, current)
    else:
        values["title"] = ""
        values["next_label"] = next_label(content, 0)
    depth = "second" if misses >= conversation.MORE_AFTER_MISSES else "first"
    options = content.phrase(f"conversation.fallback.{depth}.{where}", **values)
    reprompt = Speech(content.phrase(f"conversation.fallback.first.{where}", **values))
    speech = Speech(lead, options)
    if depth == "second" and where not in (conversation.CONFIRM_START_OVER, conversation.CONFIRM_FORGET):
        speech.say(content.phrase("conversation.fallback.help_offer"))
    if where == conversation.MENU and upcoming and offer_kind != replies.OFFER_STEP:
        replies.offer(handler_input, replies.OFFER_STEP, upcoming)  # "say yes for step N" must then work
    return respond(handler_input, speech, reprompt)


class CountTurns(AbstractResponseInterceptor):
    """Counts responses (to rotate prompts); resets the miss count after any request that was not a miss."""

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        if handler_input.request_envelope.session is None:
            return
        attributes = session(handler_input)
        attributes[replies.TURNS] = replies.turn(handler_input) + 1
        if not handler_input.attributes_manager.request_attributes.get(MISSED):
            attributes.pop(MISSES, None)


class VaryRepeats(AbstractResponseInterceptor):
    """The net under varied prompts: outside the exercise, a response that would be word for word the last
    one (a second "tell me more", "where are we" twice) opens with a short lead, unless "repeat" asked for it.
    Runs before RememberLastResponse, which then keeps what was really said."""

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        if (
            response is None
            or response.should_end_session
            or is_intent_name("AMAZON.RepeatIntent")(handler_input)
            or session(handler_input).get(MODE) == replies.EXERCISE
        ):
            return
        speech = response.output_speech
        if (
            not isinstance(speech, SsmlOutputSpeech)
            or speech.ssml is None
            or speech.ssml != replies.last_speech(handler_input)
        ):
            return
        lead = Speech(content_for(handler_input).phrase("conversation.again.lead")).ssml()
        speech.ssml = lead.removesuffix("</speak>") + speech.ssml.removeprefix("<speak>")


# ----- finishing for now -------------------------------------------------------------------------------


class FinishedHandler(AbstractRequestHandler):
    """ "we're done", "that's it for tonight": outside the exercise, a kind goodbye with progress saved. While
    an exercise runs this declines, so the exercise's own handler (or the fallback) answers."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("FinishedIntent")(handler_input) and _running_exercise(handler_input) is None

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        speech = Speech(say_one(handler_input, "conversation.finished.leads"))
        saved = household.flush(handler_input)
        progress = household.current(handler_input)
        if progress is not None:
            speech.say(
                content.phrase(
                    "conversation.finished.saved" if saved else "conversation.finished.save_failed"
                )
            )
            upcoming = replies.next_unheard_step(progress)
            if upcoming is None:
                speech.say(content.phrase("conversation.finished.next_exercise"))
            else:
                title = content.step(upcoming).title
                speech.say(content.phrase("conversation.finished.next_step", next=upcoming, title=title))
        speech.say(content.phrase("conversation.finished.farewell"))
        return respond(handler_input, speech, end_session=True)


# ----- what the skill can't advise on ------------------------------------------------------------------


def _offer_step(handler_input: HandlerInput, table: str, number: int) -> Response:
    content = content_for(handler_input)
    title = content.step(number).title
    speech = Speech(say_one(handler_input, f"conversation.{table}.leads"))
    speech.say(content.phrase(f"conversation.{table}.no_advice"))
    speech.say(content.phrase(f"conversation.{table}.offer", number=number, title=title))
    session(handler_input)[MODE] = replies.MENU
    replies.offer(handler_input, replies.OFFER_STEP, number)
    return respond(
        handler_input, speech, Speech(content.phrase(f"conversation.{table}.reprompt", number=number))
    )


class FeelingHandler(AbstractRequestHandler):
    """ "I'm so angry", "I feel jealous": acknowledged, no advice, the step that speaks to it offered."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("FeelingIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        state = _running_exercise(handler_input)
        if state is not None:
            content = content_for(handler_input)
            return _back_to_exercise(
                handler_input, Speech(content.phrase("conversation.in_exercise.feeling")), state
            )
        number = conversation.feeling_step(slot_id(handler_input, "feeling"))
        return _offer_step(handler_input, "feeling", number)


class SuspicionHandler(AbstractRequestHandler):
    """ "I think he's lying to me": no judgement, no advice; the step on raising it calmly offered."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("SuspicionIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        state = _running_exercise(handler_input)
        if state is not None:
            content = content_for(handler_input)
            return _back_to_exercise(
                handler_input, Speech(content.phrase("conversation.in_exercise.question")), state
            )
        return _offer_step(handler_input, "suspicion", conversation.SUSPICION_STEP)


class RelationshipQuestionHandler(AbstractRequestHandler):
    """ "is it normal to feel jealous": no advice; the exercise offered, to talk it over together."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("RelationshipQuestionIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        state = _running_exercise(handler_input)
        if state is not None:
            return _back_to_exercise(
                handler_input, Speech(content.phrase("conversation.in_exercise.question")), state
            )
        speech = Speech(say_one(handler_input, "conversation.question.leads"))
        speech.say(content.phrase("conversation.question.no_advice"))
        speech.say(content.phrase("conversation.question.offer"))
        session(handler_input)[MODE] = replies.MENU
        replies.offer(handler_input, replies.OFFER_TRY_EXERCISE)
        return respond(handler_input, speech, Speech(content.phrase("conversation.question.reprompt")))


# ----- questions about the skill ------------------------------------------------------------------------


class WhatDoYouKnowHandler(AbstractRequestHandler):
    """ "what do you know about us": every stored field, in plain words, and how to delete it."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("WhatDoYouKnowIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        progress = household.current(handler_input)
        if progress is None:
            speech = Speech(content.phrase("conversation.know.nothing"))
        else:
            speech = Speech(content.phrase("conversation.know.intro"))
            for line in read_back(conversation.record_of(progress), content):
                speech.say(line)
            speech.say(content.phrase("conversation.know.never"))
        speech.say(content.phrase("conversation.know.delete"))
        state = _running_exercise(handler_input)
        if state is not None:
            return _back_to_exercise(handler_input, speech, state)
        replies.offer(handler_input, None)
        return respond(handler_input, speech, Speech(content.phrase("conversation.know.reprompt")))


def read_back(record: conversation.Record, content: Content) -> list[str]:
    """The household's record as sentences, one fact each, in the order people care about."""
    know = "conversation.know."
    names = replies.join_names(record.names, content)
    lines = [content.phrase(know + "names", names=names) if names else content.phrase(know + "no_names")]
    heard = record.steps_heard
    if not heard:
        lines.append(content.phrase(know + "steps_none"))
    elif len(heard) == 1:
        lines.append(content.phrase(know + "steps_one", first=heard[0]))
    elif len(heard) == 2:
        lines.append(content.phrase(know + "steps_two", first=heard[0], second=heard[1]))
    else:
        current = record.current_step or heard[-1]
        lines.append(content.phrase(know + "steps_many", count=len(heard), current=current))
    if record.details_heard:
        lines.append(content.phrase(know + "details", count=record.details_heard))
    done = record.exercises_completed
    key = "exercises_none" if done == 0 else "exercises_one" if done == 1 else "exercises_many"
    lines.append(content.phrase(know + key, count=done))
    if record.unfinished_exercise:
        lines.append(content.phrase(know + "unfinished"))
    if record.floor_minutes:
        lines.append(content.phrase(know + "floor", minutes=record.floor_minutes))
    if record.timer:
        lines.append(content.phrase(know + "timer"))
    if record.long_turns:
        lines.append(content.phrase("exchanges.know.long_turns"))
    if record.reminder:
        lines.append(content.phrase("exchanges.know.reminder"))
    if record.restarts:
        lines.append(content.phrase(know + "restarts", count=record.restarts))
    lines.append(content.phrase(know + "dates"))
    return lines


class AboutListeningHandler(AbstractRequestHandler):
    """ "what is active listening": what it is and how the exercise uses it; the exercise offered."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AboutListeningIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        speech = Speech(content.phrase("conversation.about.listening"))
        state = _running_exercise(handler_input)
        if state is not None:
            return _back_to_exercise(handler_input, speech, state)
        speech.say(content.phrase("conversation.about.listening_prompt"))
        session(handler_input)[MODE] = replies.MENU
        replies.offer(handler_input, replies.OFFER_TRY_EXERCISE)
        return respond(handler_input, speech, Speech(content.phrase("conversation.about.listening_reprompt")))


class AboutSkillHandler(AbstractRequestHandler):
    """ "how does this all work": the two parts of the skill and what it remembers; the next step offered."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AboutSkillIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        speech = Speech(content.phrase("conversation.about.skill"))
        state = _running_exercise(handler_input)
        if state is not None:
            return _back_to_exercise(handler_input, speech, state)
        session(handler_input)[MODE] = replies.MENU
        upcoming = replies.next_unheard_step(household.current(handler_input))
        if upcoming is None:
            replies.offer(handler_input, replies.OFFER_TRY_EXERCISE)
            prompt = Speech(content.phrase("conversation.about.skill_prompt_all"))
        else:
            replies.offer(handler_input, replies.OFFER_STEP, upcoming)
            prompt = Speech(content.phrase("conversation.about.skill_prompt", next=upcoming))
        return respond(handler_input, speech.extend(prompt), prompt)


# ----- resuming at the menu -----------------------------------------------------------------------------


class MenuResumeHandler(AbstractRequestHandler):
    """ "resume" outside the exercise and its questions: an unfinished exercise is picked up through the same
    path as the welcome's resume offer; with none, the couple hears so, and what they can do instead."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) == "AMAZON.ResumeIntent" and session(handler_input).get(MODE) in (
            None,
            replies.MENU,
            replies.STEPS,
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        progress = household.current(handler_input)
        if progress is not None and progress.unfinished_exercise:
            session(handler_input)[MODE] = replies.RESUME_OFFER
            return ResumeOfferHandler().handle(handler_input)
        content = content_for(handler_input)
        return replies.menu(handler_input, lead=Speech(content.phrase("conversation.resume.nothing")))
