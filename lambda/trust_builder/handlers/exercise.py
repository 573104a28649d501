"""The listening exercise on Alexa: intents become the exercise's events, its outcomes become responses.

The exercise itself (trust_builder.exercise) is a pure state machine; this module only translates, keeps its
state in the session, stores it as the household's unfinished exercise at each phase change (so a closed
session can be resumed), and drives the Timers API when a floor is longer than one response can hold.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from ask_sdk_core.dispatch_components import AbstractRequestHandler, AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type, is_intent_name, is_request_type
from ask_sdk_model import Intent, Response, Slot
from ask_sdk_model.dialog import ElicitSlotDirective

from trust_builder import exercise_script, household, replies, timer_requests
from trust_builder.alexa import (
    MODE,
    content_for,
    intent_name,
    locale,
    now,
    respond,
    session,
    slot_id,
    slot_number,
    slot_text,
    today,
)
from trust_builder.content import DEFAULT_LOCALE
from trust_builder.exercise import (
    Event,
    Exercise,
    Happened,
    InvalidState,
    Outcome,
    TimerAction,
    clean_name,
    is_not_a_name,
)
from trust_builder.exercise import begin as begin_exercise
from trust_builder.exercise import handle as exercise_event
from trust_builder.exercise import start as new_exercise
from trust_builder.speech import Sound, Speech, duration

STATE = "exercise"  # session attribute: the exercise as plain data
# Session attribute: when the timed part of the last response (its end chime) will have played, as ISO time.
# A stop or a closed session after that means the phase was completed, so a later resume moves on.
TIMED_UNTIL = "timed_until"
# Mode: "no" to the resume offer asks whether to keep the unfinished exercise for later or let it go.
KEEP_OFFER = "exercise_keep_offer"

INTENT_EVENTS = {
    "NamesIntent": Event.NAMES,
    "FirstSpeakerIntent": Event.FIRST_SPEAKER,
    "CoinFlipIntent": Event.COIN_FLIP,
    "FloorTimeIntent": Event.FLOOR_TIME,
    "SkipRulesIntent": Event.SKIP_RULES,
    "AMAZON.NextIntent": Event.NEXT,
    "AMAZON.YesIntent": Event.YES,
    "AMAZON.NoIntent": Event.NO,
    "AMAZON.RepeatIntent": Event.REPEAT,
    "StartExerciseIntent": Event.REPEAT,
    "AMAZON.PauseIntent": Event.PAUSE,
    "AMAZON.ResumeIntent": Event.RESUME,
    "TimeOutIntent": Event.TIME_OUT,
    "AMAZON.StopIntent": Event.STOP,
    "AMAZON.CancelIntent": Event.STOP,
    "AMAZON.HelpIntent": Event.HELP,
    "AMAZON.FallbackIntent": Event.FALLBACK,
    "AMAZON.PreviousIntent": Event.FALLBACK,
    "AMAZON.StartOverIntent": Event.START_OVER,
    "WrongNameIntent": Event.WRONG_NAME,
    "TurnStyleIntent": Event.TURN_STYLE,
    "RestartTurnIntent": Event.RESTART_TURN,
    "WhoseTurnIntent": Event.WHOSE_TURN,
    "TimeLeftIntent": Event.TIME_LEFT,
    "HowLongIntent": Event.HOW_LONG,
}
# When the exercise has just asked for one of these, Alexa should take a bare answer ("Sam", "two", "me")
# as that slot: the response carries Dialog.ElicitSlot for (intent, slot), with the model's [elicit] samples.
ELICIT = {
    "names": ("NamesIntent", "firstName", ("firstName", "secondName")),
    "names_second": ("NamesIntent", "firstName", ("firstName", "secondName")),
    "first_speaker": ("FirstSpeakerIntent", "firstName", ("firstName", "speaker")),
    "first_speaker_unnamed": ("FirstSpeakerIntent", "firstName", ("firstName", "speaker")),
    "floor_time": ("FloorTimeIntent", "minutes", ("minutes",)),
}
# Requests that lead elsewhere: the exercise is parked (remembered), and the request handled as usual.
LEAVING_INTENTS = frozenset(
    {
        "GoToStepIntent",
        "ListStepsIntent",
        "TellMeMoreIntent",
        "ProgressIntent",
        "ForgetUsIntent",
        "AMAZON.NavigateHomeIntent",
        "ProfessionalHelpIntent",
    }
)


def _exercise(handler_input: HandlerInput) -> Exercise | None:
    raw = session(handler_input).get(STATE)
    try:
        return Exercise.from_dict(raw) if raw else None
    except InvalidState:
        return None


def _stored_exercise(handler_input: HandlerInput) -> Exercise | None:
    progress = household.current(handler_input)
    if progress is None or not progress.unfinished_exercise:
        return None
    try:
        return Exercise.from_dict(progress.unfinished_exercise)
    except InvalidState:
        return None


def _event_value(handler_input: HandlerInput, event: Event):
    if event is Event.NAMES:
        return (slot_text(handler_input, "firstName"), slot_text(handler_input, "secondName"))
    if event is Event.FIRST_SPEAKER:
        # "me", "he": a resolved Speaker value. An unresolved one ("Sam goes first" heard as {speaker} goes
        # first) is a name, as Alexa passes any words it hears in a custom slot.
        pronoun = slot_id(handler_input, "speaker")
        name = slot_text(handler_input, "firstName") or (
            None if pronoun else slot_text(handler_input, "speaker")
        )
        return (name, pronoun)
    if event is Event.FLOOR_TIME:
        return slot_number(handler_input, "minutes")
    if event is Event.TURN_STYLE:  # samples without {style} ("no interruptions") all mean long turns
        heard = slot_text(handler_input, "style")
        return slot_id(handler_input, "style") or (None if heard else "long")
    return None


def start_exercise(handler_input: HandlerInput) -> Response:
    """A fresh exercise, or the offer to resume an unfinished one."""
    unfinished = _exercise(handler_input) or _stored_exercise(handler_input)
    if unfinished is not None and not unfinished.is_over:
        return offer_resume(handler_input, unfinished)
    progress = household.current(handler_input)
    names = list(progress.names) if progress and len(progress.names) == 2 else None
    long_turns = progress is not None and progress.turn_style == "long"
    outcome = begin_exercise(names, progress.floor_minutes if progress else None, long_turns)
    return _respond(handler_input, outcome)


def offer_resume(handler_input: HandlerInput, unfinished: Exercise) -> Response:
    content = content_for(handler_input)
    attributes = session(handler_input)
    attributes[MODE] = replies.RESUME_OFFER
    attributes[STATE] = unfinished.to_dict()
    text = exercise_script.resume_offer(unfinished, content)
    return respond(handler_input, Speech(text), Speech(content.phrase("speech.help.resume_offer")))


def running_timer(handler_input: HandlerInput) -> str | None:
    """The id of the timer running a long floor. Kept with the household's progress, not the session:
    a timer floor always ends its session, and a later one must be able to cancel the timer."""
    progress = household.current(handler_input)
    return progress.timer_id if progress else None


def _respond(handler_input: HandlerInput, outcome: Outcome, *, played: bool = False) -> Response:
    """Renders an outcome, runs its timer action, keeps and checkpoints its state."""
    content = content_for(handler_input)
    directives = []
    timer_id = running_timer(handler_input)
    if outcome.timer is TimerAction.ASK_PERMISSION:
        if timer_requests.has_timer_permission(handler_input.request_envelope):
            outcome = exercise_event(outcome.exercise, Event.TIMER_PERMISSION_GRANTED)
        else:
            directives.append(timer_requests.consent_directive())
    if outcome.timer is TimerAction.START:
        _cancel_timer(handler_input, timer_id)  # one timer per exercise: labels must be unique
        outcome, timer_id = _start_timer(handler_input, outcome)
    if timer_id and not outcome.exercise.timer_running:  # the floor it timed is over, skipped or stopped
        _cancel_timer(handler_input, timer_id)
        timer_id = None

    attributes = session(handler_input)
    state = outcome.exercise
    attributes[STATE] = None if state.is_over else state.to_dict()
    attributes[MODE] = replies.MENU if state.is_over or outcome.ends_session else replies.EXERCISE
    saved = _checkpoint(handler_input, outcome, timer_id)

    progress = household.current(handler_input)
    offer = outcome.completed and not (progress is not None and progress.reminder_id)
    rendered = exercise_script.render(outcome, content, played=played, offer_reminder=offer)
    _note_timed_part(handler_input, outcome, rendered.speech)
    speech = rendered.speech
    if not saved:
        speech = Speech(content.phrase("speech.storage.save_failed")).extend(speech)
    card = rendered.card
    if directives:  # Alexa asks the consent question itself; the session waits for its answer
        response = respond(handler_input, speech, card=card, end_session=True, directives=directives)
        response.should_end_session = None
        return response
    if rendered.ends_session:
        return respond(handler_input, speech, card=card, end_session=True)
    return respond(
        handler_input, speech, rendered.reprompt, card=card, directives=_elicit(handler_input, state)
    )


def _elicit(handler_input: HandlerInput, state: Exercise) -> list:
    """Dialog.ElicitSlot when the prompt asks for names, who goes first or the floor time (else nothing).

    Dialog directives answer only intent requests (not a LaunchRequest or Connections.Response)."""
    if get_request_type(handler_input) != "IntentRequest" or state.is_interrupted or state.paused:
        return []
    asked = ELICIT.get(exercise_script.prompt_key(state))
    if asked is None:
        return []
    intent, slot, slots = asked
    updated = Intent(name=intent, slots={name: Slot(name=name) for name in slots})
    return [ElicitSlotDirective(slot_to_elicit=slot, updated_intent=updated)]


def _note_timed_part(handler_input: HandlerInput, outcome: Outcome, speech: Speech) -> None:
    attributes = session(handler_input)
    if not outcome.entered:
        return
    attributes.pop(TIMED_UNTIL, None)
    end = next((i for i, part in enumerate(speech.parts) if part == Sound("end")), None)
    if end is not None:
        played = timedelta(seconds=duration(speech.parts[:end]))
        attributes[TIMED_UNTIL] = (now(handler_input) + played).isoformat()


def _has_played(handler_input: HandlerInput) -> bool:
    """Whether the timed part of the last response has played to its end sound."""
    until = session(handler_input).get(TIMED_UNTIL)
    if not isinstance(until, str):
        return False
    try:
        return now(handler_input) >= datetime.fromisoformat(until)
    except ValueError:
        return False


def _with_completed_phase(handler_input: HandlerInput, state: Exercise) -> Outcome | None:
    """If the timed phase just sent has played to its end chime, the outcome of moving past it; else None."""
    until = session(handler_input).get(TIMED_UNTIL)
    if not until or now(handler_input) < datetime.fromisoformat(until):
        return None
    session(handler_input).pop(TIMED_UNTIL, None)
    return exercise_event(state, Event.NEXT)


def _checkpoint(handler_input: HandlerInput, outcome: Outcome, timer_id: str | None) -> bool:
    """Stores what a phase change, names, floor time or completion changed. True if all is saved."""
    state = outcome.exercise
    names = [name for name in state.names if name]
    floor_minutes = state.floor_seconds // 60

    def change(progress) -> None:
        if outcome.completed:
            progress.complete_exercise(today(handler_input))
        progress.unfinished_exercise = None if state.is_over else state.to_dict()
        if len(names) == 2 and list(progress.names) != names:
            progress.set_names(names)
        if state.floor_seconds % 60 == 0 and progress.floor_minutes != floor_minutes:
            progress.floor_minutes = floor_minutes
        style = "long" if state.long_turns else "short"
        if progress.turn_style != style and (state.long_turns or progress.turn_style):
            progress.turn_style = style
        progress.timer_id = timer_id

    # Only at checkpoints: a phase entered or left, the exercise finished, the session about to close.
    checkpoint = outcome.entered or outcome.completed or outcome.ends_session or state.is_over
    if checkpoint or timer_id != running_timer(handler_input):
        return household.record(handler_input, change)
    return True


def _cancel_timer(handler_input: HandlerInput, timer_id: str | None) -> None:
    """Cancels the floor's timer if there is one; only then does the Timers API module load (cold start)."""
    if timer_id:
        from trust_builder import timers

        timers.cancel_timer(handler_input, timer_id)


def _start_timer(handler_input: HandlerInput, outcome: Outcome) -> tuple[Outcome, str | None]:
    """Sets the floor's timer: the outcome to render and the new timer's id, or the fallback outcome."""
    from trust_builder import timers  # the Timers API and its HTTP client load only now (cold start)

    content = content_for(handler_input)
    state = outcome.exercise
    result = timers.start_timer(
        handler_input,
        seconds=outcome.timer_seconds,
        label=content.phrase("speech.timer.label", number=state.round + 1),
        task_input={"phase": state.phase.value},
        confirm_text=content.phrase("speech.timer.confirm", continueWithSkillName=timers.CONFIRM_PLACEHOLDER),
        locale=locale(handler_input) or DEFAULT_LOCALE,
        fallback_text=content.phrase("speech.timer.announce"),
    )
    if result.ok:
        return outcome, result.timer_id
    return exercise_event(state, Event.TIMER_FAILED), None


class ParkExerciseInterceptor(AbstractRequestInterceptor):
    """Mid-exercise "list the steps": remember the exercise where it is, then handle the request as usual."""

    def process(self, handler_input: HandlerInput) -> None:
        attributes = session(handler_input)
        if attributes.get(MODE) != replies.EXERCISE or intent_name(handler_input) not in LEAVING_INTENTS:
            return
        state = _exercise(handler_input)
        if state is not None:
            parked = exercise_event(state, Event.STOP).exercise
            household.record(
                handler_input, lambda progress: setattr(progress, "unfinished_exercise", parked.to_dict())
            )
        attributes[STATE] = None
        attributes[MODE] = replies.MENU


class StartExerciseHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("StartExerciseIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return start_exercise(handler_input)


class WhereInExerciseHandler(AbstractRequestHandler):
    """ "where are we" mid-exercise: where the exercise stands, then the question it is waiting on."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return (
            session(handler_input).get(MODE) == replies.EXERCISE
            and intent_name(handler_input) == "WhereAreWeIntent"
            and _exercise(handler_input) is not None
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        state = _exercise(handler_input)
        assert state is not None  # can_handle admits only a running exercise
        question = Speech(exercise_script.prompt(state, content))
        speech = Speech(exercise_script.describe_phase(state, content)).extend(question)
        return respond(handler_input, speech, question)


class InExerciseHandler(AbstractRequestHandler):
    """While the exercise runs it owns every intent that means something inside it."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.SystemRandom()

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return (
            session(handler_input).get(MODE) == replies.EXERCISE
            and intent_name(handler_input) in INTENT_EVENTS
            and _exercise(handler_input) is not None
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        name = intent_name(handler_input)
        state = _exercise(handler_input)
        # can_handle admits only an exercise intent while an exercise runs
        assert name is not None, "no intent"
        assert state is not None, "no exercise"
        event = INTENT_EVENTS[name]
        played = _has_played(handler_input)
        if event in (Event.STOP, Event.TIME_OUT, Event.PAUSE):
            # After a fully played phase, stopping or pausing picks up at the next phase, not a replay.
            moved_on = _with_completed_phase(handler_input, state)
            if moved_on is not None and moved_on.completed:  # "stop" after the last chime: it's done
                _checkpoint(handler_input, moved_on, None)
                return replies.goodbye(handler_input)
            if moved_on is not None:
                state = moved_on.exercise
        outcome = exercise_event(state, event, value=_event_value(handler_input, event), rng=self.rng)
        return _respond(handler_input, outcome, played=played and outcome.happened is Happened.HELP)


class ExerciseSessionEndedHandler(AbstractRequestHandler):
    """The session closed during the exercise (silence after the prompt, "exit"): remember where they are,
    past the phase if its time had fully played, so a resume does not repeat a finished floor."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return (
            is_request_type("SessionEndedRequest")(handler_input)
            and session(handler_input).get(MODE) == replies.EXERCISE
            and _exercise(handler_input) is not None
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        state = _exercise(handler_input)  # can_handle saw one; checked again for the type checker
        moved_on = _with_completed_phase(handler_input, state) if state is not None else None
        if moved_on is not None:
            _checkpoint(handler_input, moved_on, running_timer(handler_input))
        household.flush(handler_input)
        return handler_input.response_builder.response


class ResumeOfferHandler(AbstractRequestHandler):
    """The answer to "shall we pick up there?": yes resumes, no lets the unfinished exercise go."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return session(handler_input).get(MODE) == replies.RESUME_OFFER and intent_name(handler_input) in (
            "AMAZON.YesIntent",
            "AMAZON.NoIntent",
            "AMAZON.ResumeIntent",
            "AMAZON.NextIntent",
            "StartExerciseIntent",
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        state = _exercise(handler_input) or _stored_exercise(handler_input)
        if state is None:
            return replies.menu(handler_input)
        if is_intent_name("AMAZON.NoIntent")(handler_input):
            # "No" to picking up now is not "forget it": ask which, and do what the answer says.
            content = content_for(handler_input)
            session(handler_input)[MODE] = KEEP_OFFER
            session(handler_input)[STATE] = state.to_dict()
            question = Speech(content.phrase("exchanges.keep.ask"))
            return respond(handler_input, question, Speech(content.phrase("exchanges.keep.reprompt")))
        # "next" moves on from where they were (a running floor timer is then cancelled); yes resumes.
        event = Event.NEXT if is_intent_name("AMAZON.NextIntent")(handler_input) else Event.RESUME
        return _respond(handler_input, exercise_event(state, event))


class KeepOrLetGoHandler(AbstractRequestHandler):
    """The answer to "shall I keep it for another time?": yes keeps the unfinished exercise, no lets it go."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return session(handler_input).get(MODE) == KEEP_OFFER and intent_name(handler_input) in (
            "AMAZON.YesIntent",
            "AMAZON.NoIntent",
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        state = _exercise(handler_input) or _stored_exercise(handler_input)
        session(handler_input)[STATE] = None
        if state is None or is_intent_name("AMAZON.YesIntent")(handler_input):
            return replies.menu(handler_input, lead=Speech(content.phrase("exchanges.keep.kept")))
        _cancel_timer(handler_input, running_timer(handler_input))
        saved = _checkpoint(handler_input, exercise_event(state, Event.NO), None)
        lead = Speech(content.phrase("exchanges.keep.let_go" if saved else "speech.storage.save_failed"))
        return replies.menu(handler_input, lead=lead)


class TimerRelaunchHandler(AbstractRequestHandler):
    """A floor timer ended and relaunched the skill: the floor is over, carry on from the stored exercise."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return (
            is_request_type("LaunchRequest")(handler_input)
            and timer_requests.launched_task_input(handler_input.request_envelope) is not None
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        state = _stored_exercise(handler_input)
        if state is None or state.is_over:
            # The exercise this timer was set for has ended: say so, and offer what's next.
            content = content_for(handler_input)
            return replies.menu(handler_input, lead=Speech(content.phrase("exchanges.relaunch.ended")))
        if not state.timer_running:  # stopped or moved on since: offer to pick up where it is
            return offer_resume(handler_input, state)
        return _respond(handler_input, exercise_event(state, Event.TIMER_DONE))


class TimerConsentAnswerHandler(AbstractRequestHandler):
    """Alexa's answer to the timer-permission question (a Connections.Response request)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return get_request_type(handler_input) == "Connections.Response" and (
            timer_requests.consent_answer(handler_input.request_envelope) is not None
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        state = _exercise(handler_input) or _stored_exercise(handler_input)
        if state is None:
            return replies.menu(handler_input)
        answer = timer_requests.consent_answer(handler_input.request_envelope)
        event = Event.TIMER_PERMISSION_GRANTED if answer == "ACCEPTED" else Event.TIMER_PERMISSION_DENIED
        return _respond(handler_input, exercise_event(state, event))


QUESTIONS = {
    "WhoseTurnIntent": Happened.WHOSE_TURN,
    "TimeLeftIntent": Happened.TIME_LEFT,
    "HowLongIntent": Happened.HOW_LONG,
}


class ExerciseQuestionOutsideHandler(AbstractRequestHandler):
    """ "How long does this take" (and whose turn, time left) outside a running exercise: answered from the
    unfinished exercise if there is one, else from a new one with the household's floor time and style."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) in QUESTIONS

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        happened = QUESTIONS[intent_name(handler_input) or ""]
        unfinished = _stored_exercise(handler_input)
        if unfinished is not None and not unfinished.is_over:
            text = exercise_script.answer(happened, unfinished, content)
            return offer_resume_after(handler_input, unfinished, text)
        if happened is not Happened.HOW_LONG:
            return replies.menu(handler_input, lead=Speech(content.phrase("exchanges.outside.none")))
        progress = household.current(handler_input)
        fresh = new_exercise(None, progress.floor_minutes if progress else None, _long(progress))
        return replies.menu(handler_input, lead=Speech(exercise_script.answer(happened, fresh, content)))


def _long(progress) -> bool:
    return progress is not None and progress.turn_style == "long"


def offer_resume_after(handler_input: HandlerInput, unfinished: Exercise, text: str) -> Response:
    """An answer about the unfinished exercise, then the offer to pick it up."""
    content = content_for(handler_input)
    session(handler_input)[MODE] = replies.RESUME_OFFER
    session(handler_input)[STATE] = unfinished.to_dict()
    speech = Speech(text, exercise_script.resume_offer(unfinished, content))
    return respond(handler_input, speech, Speech(content.phrase("speech.help.resume_offer")))


class NamesOutsideHandler(AbstractRequestHandler):
    """ "Call us Sam and Alex" or "that's not my name" outside the exercise: names are changeable any time."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) in ("NamesIntent", "WrongNameIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        content = content_for(handler_input)
        if intent_name(handler_input) == "WrongNameIntent":
            return replies.menu(handler_input, lead=Speech(content.phrase("exchanges.ack.wrong_name")))
        heard = [slot_text(handler_input, "firstName"), slot_text(handler_input, "secondName")]
        names = [clean_name(name) for name in heard]
        usable = [name for name in names if name and not is_not_a_name(name)]
        if len(usable) != 2 or usable[0].casefold() == usable[1].casefold():
            lead = content.phrase("exchanges.outside.names_needed")
            return replies.menu(handler_input, lead=Speech(lead))
        saved = household.record(handler_input, lambda progress: progress.set_names(usable))
        key = "exchanges.outside.names_set" if saved else "speech.storage.save_failed"
        return replies.menu(
            handler_input, lead=Speech(content.phrase(key, first=usable[0], second=usable[1]))
        )
