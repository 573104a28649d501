"""Replies more than one handler gives: a step read aloud, the menu. The words come from content."""

from __future__ import annotations

from collections.abc import Sequence

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from trust_builder import conversation, household
from trust_builder.alexa import LAST, MODE, OFFER, STEP, content_for, respond, session
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
OFFER_TRY_EXERCISE = "try_exercise"  # the exercise offered mid-visit: no goes back to the menu, not goodbye
OFFER_LIST = "list"  # the next page of the spoken list of steps; "step" is the page's first step

TURNS = "turns"  # session attribute: responses so far this session (rotates prompt wording)
INTRO_HEARD = "intro_heard"  # session attribute: the article's intro was said, so step one follows at once
LIST_PAGE = 3  # spoken lists have at most three items


def turn(handler_input: HandlerInput) -> int:
    return int(session(handler_input).get(TURNS) or 0)


def last_speech(handler_input: HandlerInput) -> str | None:
    last = session(handler_input).get(LAST)
    return last.get("speech") if isinstance(last, dict) else None


def vary(handler_input: HandlerInput, key: str, **values: object) -> str:
    """One of the variants at `key`, rotating by turn, and not one the last response contained if another will
    do: prompts vary, and no response repeats the previous one word for word."""
    content = content_for(handler_input)
    return conversation.pick(content.variants(key, **values), turn(handler_input), last_speech(handler_input))


def next_label(content: Content, current: int) -> str:
    """What "next" leads to from step `current`: "step four", or "the closing thoughts" after the last."""
    upcoming = conversation.next_label_step(current)
    if upcoming is None:
        return content.phrase("conversation.steps.next_label_closing")
    return content.phrase("conversation.steps.next_label_step", next=upcoming)


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
    attributes = session(handler_input)
    speech.say(content.phrase("speech.steps.heading", number=number, title=step.title)).say(step.summary)
    saved = household.record(handler_input, lambda p: p.hear_step(number))
    if not saved:
        speech.say(content.phrase("speech.storage.save_failed"))
    speech.pause(0.5).say(
        vary(handler_input, "conversation.steps.more_prompts", next_label=next_label(content, number))
    )
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


def wants_intro(handler_input: HandlerInput, number: int) -> bool:
    """ "Yes, let's start" to step one, never heard: the article's opening comes first, on its own."""
    progress = household.current(handler_input)
    return (
        number == 1
        and (progress is None or 1 not in progress.steps_heard)
        and not session(handler_input).get(INTRO_HEARD)
    )


def read_intro(handler_input: HandlerInput) -> Response:
    """The article's opening before step one, on its own: under 30 seconds before its question (the step
    itself follows on yes)."""
    content = content_for(handler_input)
    speech = Speech()
    attributes = session(handler_input)
    attributes[INTRO_HEARD] = True
    attributes[MODE] = MENU
    attributes[STEP] = 0
    offer(handler_input, OFFER_STEP, 1)
    speech.say(content.intro).pause(0.5)
    speech.say(content.phrase("conversation.intro.prompt", title=content.step(1).title))
    return respond(handler_input, speech, Speech(content.phrase("conversation.intro.reprompt")))


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
        speech.pause(0.5).say(vary(handler_input, "conversation.steps.go_on_prompts", next=number + 1))
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
    """The step to offer a household: the next one not yet heard after the last heard (wrapping round), or
    None when every step has been heard."""
    return conversation.first_unheard(progress)


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


def list_steps(handler_input: HandlerInput, first: int) -> Response:
    """The steps' names, three at a time: a spoken list has at most three items. The card shows all eight."""
    content = content_for(handler_input)
    speech = Speech()
    if first == 1:
        speech.say(content.phrase("conversation.steps.list_page_intro"))
    last = min(first + LIST_PAGE - 1, STEP_COUNT)
    for number in range(first, last + 1):
        speech.say(content.phrase("speech.steps.list_item", number=number, title=content.step(number).title))
    card_text = "\n".join(f"{step.number}. {step.title}" for step in content.steps)
    card = (content.phrase("speech.steps.list_intro"), card_text)
    if last < STEP_COUNT:
        offer(handler_input, OFFER_LIST, last + 1)
        speech.pause(0.5).say(content.phrase("conversation.steps.list_more_prompt"))
        reprompt = Speech(content.phrase("conversation.steps.list_more_reprompt"))
        return respond(handler_input, speech, reprompt, card=card)
    offer(handler_input, None)
    speech.pause(0.5).say(content.phrase("conversation.steps.list_last_prompt"))
    return respond(
        handler_input, speech, Speech(content.phrase("conversation.steps.list_last_reprompt")), card=card
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
