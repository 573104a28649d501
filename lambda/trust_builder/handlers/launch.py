"""Opening the skill: a first-time welcome, a returning welcome using what is stored, or a resume offer."""

from __future__ import annotations

from datetime import date

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from trust_builder import exercise_script, household, replies
from trust_builder.alexa import MODE, content_for, respond, session, today
from trust_builder.content import Content
from trust_builder.exercise import Exercise, InvalidState
from trust_builder.navigation import STEP_COUNT
from trust_builder.progress import Progress
from trust_builder.speech import Speech


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        progress = household.current(handler_input)
        if progress is None:
            # No record: a first visit, or a read that failed (this household may well be returning: say so,
            # keep going, overwrite nothing). Either way step one is offered.
            failed = not household.remembered(handler_input)
            return _opening(
                handler_input, "reliability.memory.unavailable" if failed else "speech.welcome.first_time"
            )

        names = replies.join_names(progress.names, content)
        greeting = Speech(
            content.phrase("speech.welcome.returning_named", names=names)
            if names
            else content.phrase("speech.welcome.returning")
        )
        unfinished = _unfinished(progress.unfinished_exercise)
        if unfinished is not None:
            session(handler_input)[MODE] = replies.RESUME_OFFER
            offer = exercise_script.resume_offer(unfinished, content)
            return respond(
                handler_input, greeting.say(offer), Speech(content.phrase("speech.help.resume_offer"))
            )

        for line in welcome_back_lines(progress, content, today(handler_input)):
            greeting.say(line)
        session(handler_input)[MODE] = replies.MENU
        upcoming = replies.next_unheard_step(progress)
        if upcoming is None:
            replies.offer(handler_input, replies.OFFER_EXERCISE)
            greeting.say(content.phrase("speech.welcome.all_steps_heard"))
            greeting.say(content.phrase("speech.welcome.all_steps_prompt"))
            return respond(
                handler_input, greeting, Speech(content.phrase("speech.welcome.all_steps_reprompt"))
            )
        replies.offer(handler_input, replies.OFFER_STEP, upcoming)
        title = content.step(upcoming).title
        greeting.say(content.phrase("conversation.welcome.next_prompt", next=upcoming, title=title))
        return respond(
            handler_input,
            greeting,
            Speech(content.phrase("conversation.welcome.next_reprompt", next=upcoming)),
        )


def welcome_back_lines(progress: Progress, content: Content, on: date) -> list[str]:
    """What is true and useful to hear on coming back: the last step (only if it really was heard),
    how far they have come, and the last exercise ("last time" when it was on the last visit)."""
    lines = []
    current = progress.current_step
    if current and current in progress.steps_heard:
        title = content.step(current).title
        lines.append(content.phrase("conversation.welcome.last_step_finished", number=current, title=title))
    heard = len(progress.steps_heard)
    if heard == 1 and not current:
        lines.append(content.phrase("conversation.welcome.heard_one"))
    elif 1 < heard < STEP_COUNT:
        lines.append(content.phrase("conversation.welcome.heard_count", count=heard))
    if progress.last_exercise_date:
        days = on.toordinal() - date.fromisoformat(progress.last_exercise_date).toordinal()
        if days <= 0:
            lines.append(content.phrase("conversation.welcome.exercise_today"))
        elif progress.last_exercise_date == progress.last_visit:
            lines.append(content.phrase("conversation.welcome.last_exercise"))
        else:
            lines.append(content.phrase("conversation.welcome.exercise_days", days=days))
    return lines


def _opening(handler_input: HandlerInput, key: str) -> Response:
    """The opening without a record: the line at `key`, its `_prompt` and `_reprompt`, step one offered."""
    content = content_for(handler_input)
    session(handler_input)[MODE] = replies.MENU
    replies.offer(handler_input, replies.OFFER_STEP, 1)
    speech = Speech(content.phrase(key)).say(content.phrase(f"{key}_prompt"))
    return respond(handler_input, speech, Speech(content.phrase(f"{key}_reprompt")))


def _unfinished(stored: dict | None) -> Exercise | None:
    """The stored unfinished exercise, or None. Progress already drops shapes that do not parse; this guard
    keeps a launch safe even if that ever changes, as `_stored_exercise` does for "start the exercise"."""
    if not stored:
        return None
    try:
        return Exercise.from_dict(stored)
    except InvalidState:
        return None
