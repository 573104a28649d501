"""Screens (APL): touches become intents on the way in, and one response interceptor adds the screen.

No handler holds APL. `TouchAsIntent` turns an `Alexa.Presentation.APL.UserEvent` from a touch target
("next", "pause", "stop") into the IntentRequest a voice request would be, before any handler is chosen, so
a touch is handled exactly like the words. `ShowOnScreen` runs after the handler: on a device with APL it
reads what the handler left in the session (mode, step, exercise state) and the speech it wrote (for the
timed part), and adds one RenderDocument directive. Speech never depends on it.

Safety replies show nothing: when one keeps the session open, a blank screen replaces whatever was shown
(a countdown must not keep running beside a disclosure of danger). Only when the safety flow calls
`show_help_line`, after the couple said yes to seeing the number, does the reply show a plain screen with the
help line, and nothing else.
"""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor, AbstractResponseInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_supported_interfaces
from ask_sdk_model import Intent, IntentConfirmationStatus, IntentRequest, Response
from ask_sdk_model.ui import SsmlOutputSpeech

from trust_builder import replies, screen
from trust_builder.alexa import MODE, STEP, content_for, intent_name, session
from trust_builder.exercise import Exercise, InvalidState
from trust_builder.handlers.exercise import STATE

SHOW = "screen.show"  # request attribute: a screen a handler asked for explicitly (the help line)
# Replies that must show nothing on their own: a disclosure of danger is answered in speech and in the app.
# (The safety flow's crisis and check intents join this set when they are in the model.)
SAFETY_INTENTS = frozenset({"SafetyIntent", "CrisisIntent", "SafetyCheckIntent"})
UNKNOWN_TOUCH_INTENT = "AMAZON.FallbackIntent"


def has_screen(handler_input: HandlerInput) -> bool:
    """The device supports APL. Requests without a device (skill events) have no screen."""
    system = getattr(handler_input.request_envelope.context, "system", None)
    if getattr(system, "device", None) is None:
        return False
    return get_supported_interfaces(handler_input).alexa_presentation_apl is not None


def show_help_line(handler_input: HandlerInput, title: str, text: str) -> None:
    """Show a help line on a plain screen with this response (if the device has one). For the safety flow,
    once the couple said yes to seeing it; otherwise a safety reply shows nothing."""
    handler_input.attributes_manager.request_attributes[SHOW] = screen.help_line_screen(title, text)


USER_EVENT = "Alexa.Presentation.APL.UserEvent"


class TouchAsIntent(AbstractRequestInterceptor):
    """A touch target's UserEvent becomes the intent it stands for. Registered first, before the
    interceptors and handlers that read the intent."""

    def process(self, handler_input: HandlerInput) -> None:
        request = handler_input.request_envelope.request
        if getattr(request, "object_type", None) != USER_EVENT:
            return
        # Imported here: the APL models cost a cold start about 3 ms, and a speaker never needs them
        from ask_sdk_model.interfaces.alexa.presentation.apl import UserEvent

        if not isinstance(request, UserEvent):
            return
        arguments = request.arguments or []
        action = arguments[0] if arguments and isinstance(arguments[0], str) else None
        name = screen.ACTION_INTENTS.get(action or "", UNKNOWN_TOUCH_INTENT)
        handler_input.request_envelope.request = IntentRequest(
            request_id=request.request_id,
            timestamp=request.timestamp,
            locale=request.locale,
            intent=Intent(name=name, slots={}, confirmation_status=IntentConfirmationStatus.NONE),
        )


class ShowOnScreen(AbstractResponseInterceptor):
    """Adds the screen for what the handler just did, on devices that have one."""

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        if response is None or not has_screen(handler_input):
            return
        chosen = _chosen_screen(handler_input, response)
        if chosen is None:
            return
        from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

        directive = RenderDocumentDirective(
            token=chosen.token,
            document=screen.document(chosen.document),
            datasources={screen.DATASOURCE: chosen.datasource},
        )
        response.directives = [*(response.directives or []), directive]


def _chosen_screen(handler_input: HandlerInput, response: Response) -> screen.Screen | None:
    asked = handler_input.attributes_manager.request_attributes.get(SHOW)
    if isinstance(asked, screen.Screen):
        return asked
    speech = response.output_speech
    if response.should_end_session:  # the screen leaves with the session
        return None
    if intent_name(handler_input) in SAFETY_INTENTS:
        return screen.blank_screen()
    if not isinstance(speech, SsmlOutputSpeech) or response.directives:
        return None  # nothing said (an event), or Alexa asks something itself (permissions)
    content = content_for(handler_input)
    attributes = session(handler_input)
    current_mode = attributes.get(MODE)
    if current_mode == replies.EXERCISE and attributes.get(STATE):
        try:
            state = Exercise.from_dict(attributes[STATE])
        except InvalidState:
            return None
        return screen.exercise_screen(content, state, screen.countdown_in(speech.ssml))
    step = attributes.get(STEP)
    if current_mode == replies.STEPS and isinstance(step, int) and 1 <= step <= len(content.steps):
        return screen.step_screen(content, step)
    if current_mode in (
        replies.MENU,
        replies.STEPS,
        replies.CONFIRM_START_OVER,
        replies.CONFIRM_FORGET,
        replies.RESUME_OFFER,
    ):
        return screen.menu_screen(content)
    return screen.blank_screen()  # a mode this module does not know (another flow's question): nothing
