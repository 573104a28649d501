"""Replies more than one handler gives: a step read aloud, the menu. The words come from content."""

from __future__ import annotations

from collections.abc import Sequence

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from trust_builder import household
from trust_builder.alexa import MODE, OFFER, STEP, content_for, respond, session
from trust_builder.content import Content
from trust_builder.navigation import STEP_COUNT
from trust_builder.progress import Progress
from trust_builder.speech import Speech

# Modes: which conversation the couple is in. Help, fallback and yes/no depend on it.
MENU = "menu"
STEPS = "steps"
CONFIRM_START_OVER = "confirm_start_over"
CONFIRM_FORGET = "confirm_forget"
RESUME_OFFER = "resume_offer"
EXERCISE = "exercise"

# What "yes" accepts, kept in the session as the offer just made.
OFFER_STEP = "step"
OFFER_DETAIL = "detail"
OFFER_CLOSING = "closing"
OFFER_EXERCISE = "exercise"


def join_names(names: Sequence[str | None], content: Content) -> str:
    given = [name for name in names if name]
    if len(given) == 2:
        return f"{given[0]} {content.phrase('speech.words.and')} {given[1]}"
    return given[0] if given else ""


def offer(handler_input: HandlerInput, kind: str | None, step: int | None = None) -> None:
    session(handler_input)[OFFER] = {"kind": kind, "step": step} if kind else None


def read_step(
    handler_input: HandlerInput,
    number: int,
    *,
    lead: Speech | None = None,
    card: tuple[str, str] | None = None,
) -> Response:
    """Reads a step's summary, marks it heard, and offers the detail. The card shows the summary unless
    `card` (title, text) is given."""
    content = content_for(handler_input)
    step = content.step(number)
    speech = Speech()
    if lead:
        speech.extend(lead)
    progress = household.current(handler_input)
    if number == 1 and (progress is None or 1 not in progress.steps_heard):
        speech.say(content.intro).pause(0.5)
    speech.say(content.phrase("speech.steps.heading", number=number, title=step.title)).say(step.summary)
    saved = household.record(handler_input, lambda p: p.hear_step(number))
    if not saved:
        speech.say(content.phrase("speech.storage.save_failed"))
    speech.pause(0.5).say(content.phrase("speech.steps.more_prompt"))
    attributes = session(handler_input)
    attributes[MODE] = STEPS
    attributes[STEP] = number
    offer(handler_input, OFFER_DETAIL, number)
    if card is None:
        card = (content.phrase("speech.steps.card_title", number=number, title=step.title), step.summary)
    reprompt_key = "speech.steps.more_reprompt_last" if number == STEP_COUNT else "speech.steps.more_reprompt"
    return respond(
        handler_input,
        speech,
        Speech(content.phrase(reprompt_key, next=number + 1)),
        card=card,
    )


def read_detail(handler_input: HandlerInput, number: int) -> Response:
    content = content_for(handler_input)
    step = content.step(number)
    speech = Speech(step.detail)
    if not household.record(handler_input, lambda p: p.hear_detail(number)):
        speech.say(content.phrase("speech.storage.save_failed"))
    attributes = session(handler_input)
    attributes[MODE] = STEPS
    attributes[STEP] = number
    if number == STEP_COUNT:
        offer(handler_input, OFFER_CLOSING)
        speech.pause(0.5).say(content.phrase("speech.steps.go_on_prompt_last"))
        reprompt = Speech(content.phrase("speech.steps.go_on_reprompt_last"))
    else:
        offer(handler_input, OFFER_STEP, number + 1)
        speech.pause(0.5).say(content.phrase("speech.steps.go_on_prompt", next=number + 1))
        reprompt = Speech(content.phrase("speech.steps.go_on_reprompt", next=number + 1))
    title = content.phrase("speech.steps.card_title", number=number, title=step.title)
    return respond(handler_input, speech, reprompt, card=(title, step.detail))


def read_closing(handler_input: HandlerInput) -> Response:
    content = content_for(handler_input)
    session(handler_input)[MODE] = MENU
    offer(handler_input, OFFER_EXERCISE)
    speech = Speech(content.closing).pause(0.5).say(content.phrase("speech.steps.closing_prompt"))
    return respond(handler_input, speech, Speech(content.phrase("speech.steps.closing_reprompt")))


def next_unheard_step(progress: Progress | None) -> int | None:
    """The step to offer a household: the one after the last heard, else the first not yet heard."""
    if progress is None:
        return 1
    if progress.current_step < STEP_COUNT:
        return progress.current_step + 1
    unheard = [n for n in range(1, STEP_COUNT + 1) if n not in progress.steps_heard]
    return unheard[0] if unheard else None


def menu(handler_input: HandlerInput, *, lead: Speech | None = None) -> Response:
    """Back at the start: the menu of what the skill can do, offering the next step."""
    content = content_for(handler_input)
    speech = Speech()
    if lead:
        speech.extend(lead)
    session(handler_input)[MODE] = MENU
    speech.say(content.phrase("speech.welcome.menu"))
    upcoming = next_unheard_step(household.current(handler_input))
    if upcoming is None:
        offer(handler_input, OFFER_EXERCISE)
        speech.say(content.phrase("speech.welcome.all_steps_prompt"))
        return respond(handler_input, speech, Speech(content.phrase("speech.welcome.all_steps_reprompt")))
    offer(handler_input, OFFER_STEP, upcoming)
    speech.say(content.phrase("speech.welcome.returning_prompt", next=upcoming))
    return respond(
        handler_input, speech, Speech(content.phrase("speech.welcome.returning_reprompt", next=upcoming))
    )


def ask_again(handler_input: HandlerInput, lead: Speech) -> Response:
    """Says the lead, then re-asks the question the couple is answering (from the current mode)."""
    content = content_for(handler_input)
    attributes = session(handler_input)
    current_mode = attributes.get(MODE)
    if current_mode in (CONFIRM_START_OVER, CONFIRM_FORGET, RESUME_OFFER):
        reprompt = Speech(content.phrase(_confirm_reprompt_key(current_mode)))
        return respond(handler_input, Speech().extend(lead).extend(reprompt), reprompt)
    if current_mode == STEPS and attributes.get(STEP):
        number = attributes[STEP]
        key = "speech.steps.more_reprompt_last" if number == STEP_COUNT else "speech.steps.more_reprompt"
        reprompt = Speech(content.phrase(key, next=number + 1))
        if (attributes.get(OFFER) or {}).get("kind") == OFFER_STEP:
            reprompt = Speech(content.phrase("speech.steps.go_on_reprompt", next=number + 1))
        return respond(handler_input, Speech().extend(lead).extend(reprompt), reprompt)
    reprompt = Speech(content.phrase("speech.welcome.menu_reprompt"))
    speech = Speech().extend(lead).say(content.phrase("speech.welcome.menu_prompt"))
    return respond(handler_input, speech, reprompt)


def _confirm_reprompt_key(current_mode: str) -> str:
    return {
        CONFIRM_START_OVER: "speech.start_over.confirm_reprompt",
        CONFIRM_FORGET: "speech.forget.confirm_reprompt",
        RESUME_OFFER: "speech.help.resume_offer",
    }[current_mode]


def goodbye(handler_input: HandlerInput) -> Response:
    """Ends the session politely, saving anything a failed checkpoint left unsaved."""
    household.flush(handler_input)
    return respond(
        handler_input, Speech(content_for(handler_input).phrase("speech.goodbye.text")), end_session=True
    )
