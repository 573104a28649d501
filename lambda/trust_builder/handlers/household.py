"""The household's own record: how are we doing, start over, forget us (both with confirmation)."""

from __future__ import annotations

from datetime import date

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from trust_builder import household, reminders, replies
from trust_builder.alexa import MODE, STEP, content_for, intent_name, mode, respond, session, today
from trust_builder.content import Content
from trust_builder.navigation import STEP_COUNT
from trust_builder.progress import Progress
from trust_builder.speech import Speech


class ProgressReportHandler(AbstractRequestHandler):
    """ "how are we doing": what they've covered and when they last practised, without pressure."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ProgressIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        progress = household.current(handler_input)
        speech = Speech()
        if not household.remembered(handler_input):  # this session's steps alone would be half the story
            speech.say(content.phrase("reliability.memory.progress_unavailable"))
        elif progress is None:
            speech.say(content.phrase("speech.progress.nothing_yet"))
        else:
            for line in progress_lines(progress, content, today(handler_input).toordinal()):
                speech.say(line)
            speech.say(content.phrase("speech.progress.encouragement"))
        speech.say(content.phrase("speech.progress.prompt"))
        replies.offer(handler_input, None)
        return respond(handler_input, speech, Speech(content.phrase("speech.progress.reprompt")))


def progress_lines(progress: Progress, content: Content, today_ordinal: int) -> list[str]:
    heard = len(progress.steps_heard)
    if heard == 0:
        lines = [content.phrase("speech.progress.steps_none")]
    elif heard == 1:
        lines = [content.phrase("speech.progress.steps_heard_one")]
    elif heard == STEP_COUNT:
        lines = [content.phrase("speech.progress.all_steps")]
    else:
        lines = [content.phrase("speech.progress.steps_heard", count=heard)]
    done = progress.exercises_completed
    if done == 0:
        lines.append(content.phrase("speech.progress.exercises_none"))
    elif done == 1:
        lines.append(content.phrase("speech.progress.exercises_one"))
    else:
        lines.append(content.phrase("speech.progress.exercises_many", count=done))
    if progress.last_exercise_date:
        days = today_ordinal - date.fromisoformat(progress.last_exercise_date).toordinal()
        if days <= 0:
            lines.append(content.phrase("speech.progress.last_practised_today"))
        elif days == 1:
            lines.append(content.phrase("speech.progress.last_practised_yesterday"))
        else:
            lines.append(content.phrase("speech.progress.last_practised_days", days=days))
    return lines


class StartOverHandler(AbstractRequestHandler):
    """ "start over": back to step one; clearing saved progress needs a yes first."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.StartOverIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        if household.current(handler_input) is None:
            session(handler_input)[STEP] = 0
            return replies.read_step(handler_input, 1)
        session(handler_input)[MODE] = replies.CONFIRM_START_OVER
        return respond(
            handler_input,
            Speech(content.phrase("speech.start_over.confirm")),
            Speech(content.phrase("speech.start_over.confirm_reprompt")),
        )


class ForgetUsHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ForgetUsIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        session(handler_input)[MODE] = replies.CONFIRM_FORGET
        return respond(
            handler_input,
            Speech(content.phrase("speech.forget.confirm")),
            Speech(content.phrase("speech.forget.confirm_reprompt")),
        )


YES_OR_NO = ("AMAZON.YesIntent", "AMAZON.NoIntent")


def _answers(handler_input: HandlerInput, question: str) -> bool:
    """A yes or no to the confirmation question the couple was just asked."""
    return mode(handler_input) == question and intent_name(handler_input) in YES_OR_NO


class ConfirmStartOverHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _answers(handler_input, replies.CONFIRM_START_OVER)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        if is_intent_name("AMAZON.NoIntent")(handler_input):
            return replies.menu(handler_input, lead=Speech(content.phrase("speech.start_over.kept")))
        lead = Speech(content.phrase("speech.start_over.done"))
        if not household.record(handler_input, Progress.start_over):
            lead.say(content.phrase("speech.storage.save_failed"))
        session(handler_input)[STEP] = 0
        return replies.read_step(handler_input, 1, lead=lead)


class ConfirmForgetHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _answers(handler_input, replies.CONFIRM_FORGET)

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        if is_intent_name("AMAZON.NoIntent")(handler_input):
            return replies.menu(handler_input, lead=Speech(content.phrase("speech.forget.kept")))
        progress = household.current(handler_input)
        had_data = progress is not None
        # "Forget us" takes the practice reminder too (its id is the only trace of it we keep).
        reminders.delete(handler_input, progress.reminder_id if progress else None)
        if not household.forget(handler_input):
            return replies.menu(handler_input, lead=Speech(content.phrase("speech.forget.failed")))
        session(handler_input).clear()
        key = "speech.forget.done" if had_data else "speech.forget.nothing_saved"
        return respond(handler_input, Speech(content.phrase(key)), end_session=True)
