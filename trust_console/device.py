"""A simulated Echo: what a person says becomes the requests Alexa would send, under Alexa's session rules.

- Session attributes returned by the skill come back in the next request of the same session.
- shouldEndSession true ends the session; the next utterance starts a new one (session.new true). Absent
  (None) leaves it open with the microphone closed: silence then does nothing.
- Silence after a response that opened the microphone replays its reprompt once (no request); a second
  silence sends SessionEndedRequest EXCEEDED_MAX_REPROMPTS. "exit" sends SessionEndedRequest USER_INITIATED.
- A Connections.SendRequest AskFor directive makes the device ask for consent, as Alexa does: the next "yes"
  / "no" / silence becomes a Connections.Response ACCEPTED / DENIED / NOT_ANSWERED, and an accepted scope is
  granted in every later request's context.
- A handler that raises ends the session as Alexa does (SessionEndedRequest ERROR, best effort) and the
  device raises SkillError; its state stays consistent for the next utterance.

Every response is checked against the platform's rules; violations go to Turn.problems, not exceptions.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trust_builder.speech import MAX_BREAK_SECONDS, Part, Pause, Text, duration, parse_ssml
from trust_console import envelopes, render
from trust_console.matcher import FALLBACK, IntentMatch, Matcher

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

MAX_SSML_CHARS = 8000
MAX_AUDIO_SECONDS = 240
LAMBDA_DIR = Path(__file__).resolve().parent.parent / "lambda"


class SkillError(RuntimeError):
    """The skill (or the transport to it) failed to answer a request with a usable response."""


@dataclass(frozen=True)
class Card:
    title: str
    text: str


@dataclass
class Turn:
    """One exchange: what was heard, what was sent (if anything) and what the skill answered."""

    heard: str | None  # the utterance; None for silence and for special requests
    intent: str | None  # intent name, or the request type sent; None when no request was sent
    slots: dict[str, str] = field(default_factory=dict)  # filled slots: name -> value as Alexa sends it
    resolved: dict[str, str] = field(default_factory=dict)  # custom slots that resolved: name -> value id
    speech_parts: list[Part] = field(default_factory=list)
    speech_text: str = ""  # readable: text with [pause ..] and [chime] marks
    reprompt_parts: list[Part] = field(default_factory=list)
    reprompt_text: str | None = None
    session_open: bool = False  # after this turn
    session_ended: bool = False  # this turn closed the session
    card: Card | None = None
    directives: list[dict[str, Any]] = field(default_factory=list)
    response: dict[str, Any] = field(default_factory=dict)  # the raw skill response; {} if none
    request: dict[str, Any] | None = None  # the envelope sent; None if none
    problems: list[str] = field(default_factory=list)
    reprompt_played: bool = False  # a silence turn: the last response's reprompt was played
    notice: str | None = None  # console-only information (e.g. a hint), never the skill's speech

    @property
    def words(self) -> str:
        """Only the spoken words, without pause or sound marks."""
        return render.words(self.speech_parts)

    @property
    def seconds(self) -> float:
        """Estimated playing time of the speech (speech.duration)."""
        return duration(self.speech_parts)


class LambdaContext:
    """The bits of the Lambda context object a handler may read."""

    function_name = "trust-builder-local"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:trust-builder-local"

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id
        self._deadline = time.monotonic() + 8.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def default_handler() -> Handler:
    """lambda_function.lambda_handler, imported on first use (it builds the skill and its storage).
    lambda/ is added to the import path only when PYTHONPATH does not already provide the module."""
    if importlib.util.find_spec("lambda_function") is None and str(LAMBDA_DIR) not in sys.path:
        sys.path.append(str(LAMBDA_DIR))
    return importlib.import_module("lambda_function").lambda_handler


class LocalDevice:
    def __init__(
        self,
        handler: Handler | None = None,
        *,
        locale: str = "en-US",
        user_id: str = envelopes.LOCAL_USER_ID,
        skill_id: str = envelopes.LOCAL_SKILL_ID,
        matcher: Matcher | None = None,
        api_endpoint: str | None = None,
        permissions: Mapping[str, str] | list[str] | None = None,
        clock: Callable[[], datetime] | None = None,
        device_id: str = envelopes.LOCAL_DEVICE_ID,
        supported_interfaces: Mapping[str, Any] | None = None,
    ) -> None:
        self._handler = handler
        self.locale = locale
        self.matcher = matcher or Matcher.for_locale(locale)
        if not isinstance(permissions, Mapping):
            permissions = dict.fromkeys(permissions or [], "GRANTED")
        self.identity = envelopes.DeviceIdentity(
            skill_id=skill_id,
            user_id=user_id,
            device_id=device_id,
            api_endpoint=api_endpoint or envelopes.DEFAULT_API_ENDPOINT,
            permissions=dict(permissions),
            supported_interfaces=dict(supported_interfaces or {}),
        )
        self.clock = clock or (lambda: datetime.now(UTC))
        self.session: envelopes.SessionState | None = None
        self.turns: list[Turn] = []
        self._last_response: dict[str, Any] = {}
        self._silences = 0
        self._consent: tuple[str, str] | None = None  # (permission scope, token) Alexa is asking about
        self._eliciting: tuple[str, str] | None = None  # (intent, slot) of a pending Dialog.ElicitSlot

    # --- state ---

    @property
    def handler(self) -> Handler:
        if self._handler is None:
            self._handler = default_handler()
        return self._handler

    @property
    def session_open(self) -> bool:
        return self.session is not None

    @property
    def session_attributes(self) -> dict[str, Any]:
        return dict(self.session.attributes) if self.session else {}

    @property
    def permissions(self) -> dict[str, str]:
        return dict(self.identity.permissions)

    @property
    def eliciting(self) -> tuple[str, str] | None:
        """The (intent, slot) the skill asked for with Dialog.ElicitSlot in its last response, if any."""
        return self._eliciting

    @property
    def consent_pending(self) -> str | None:
        """The permission scope Alexa is asking the user about, if any."""
        return self._consent[0] if self._consent else None

    # --- what a person does ---

    def say(self, text: str) -> Turn:
        """The person says `text`; empty text is silence."""
        understood = self.matcher.interpret(text, eliciting=self._eliciting if self.session_open else None)
        if understood.kind == "empty":
            return self.silence()
        if self._consent is not None:
            return self._answer_consent_by_voice(text, understood.intent)
        if understood.kind == "exit":
            if not self.session_open:
                return self._record(Turn(text, None, notice=render.NO_SESSION_TO_EXIT))
            return self.end_session("USER_INITIATED", heard=text)
        if understood.kind == "launch":
            return self._exchange(envelopes.launch_request(self.locale, now=self.clock()), heard=text)
        match = understood.intent or IntentMatch(FALLBACK)
        if not self.session_open and not understood.invoked and not _one_shot_worthy(match):
            return self._record(Turn(text, None, notice=render.hint(self.matcher.invocation)))
        return self._intent(match, heard=text)

    def silence(self) -> Turn:
        """The person says nothing: reprompt once, then the session times out (EXCEEDED_MAX_REPROMPTS)."""
        if self._consent is not None:
            return self._send_consent("NOT_ANSWERED", heard=None)
        if not self.session_open:
            return self._record(Turn(None, None, notice=render.NOTHING_HAPPENS))
        body = self._last_response.get("response") or {}
        should_end = body.get("shouldEndSession")
        reprompt = _speech_of((body.get("reprompt") or {}).get("outputSpeech"))
        if should_end is None and not reprompt:
            return self._record(Turn(None, None, session_open=True, notice=render.MIC_CLOSED))
        if reprompt and self._silences == 0:
            self._silences += 1
            parts, problems = _parts(reprompt, "reprompt")
            turn = Turn(None, None, speech_parts=parts, speech_text=render.readable(parts), session_open=True)
            turn.reprompt_played = True
            turn.problems = problems
            return self._record(turn)
        return self.end_session("EXCEEDED_MAX_REPROMPTS")

    def end_session(
        self,
        reason: str = "USER_INITIATED",
        *,
        error: tuple[str, str] | None = None,
        heard: str | None = None,
    ) -> Turn:
        """Close the open session with a SessionEndedRequest (nothing to do when none is open)."""
        if not self.session_open:
            return self._record(Turn(heard, None, notice=render.NO_SESSION_TO_EXIT))
        request = envelopes.session_ended_request(reason, self.locale, error=error, now=self.clock())
        return self._exchange(request, heard=heard)

    def send(self, request_or_envelope: Mapping[str, Any]) -> Turn:
        """Send a special request (a `request` dict, or an envelope whose `request` is used) in this device's
        session and context: a LaunchRequest starts a new session, anything else continues the open one."""
        request = request_or_envelope.get("request", request_or_envelope)
        if not isinstance(request, Mapping) or not isinstance(request.get("type"), str):
            raise ValueError("send() needs a request dict with a 'type', or an envelope holding one")
        request = dict(request)
        request.setdefault("locale", self.locale)
        if request["type"] == "LaunchRequest":
            self.session = None  # a relaunch (e.g. a timer's task) is a new session
        return self._exchange(request, heard=None)

    def relaunch_task(
        self, name: str, version: str = "1", task_input: Mapping[str, Any] | None = None
    ) -> Turn:
        """What a LAUNCH_TASK timer does when it ends and the user says yes: a LaunchRequest with a task.
        A bare task name is qualified with the skill ID ("<skillId>.<name>"), as Alexa sends it."""
        full_name = name if name.startswith("amzn1.") else f"{self.identity.skill_id}.{name}"
        task = envelopes.task(full_name, version, task_input)
        return self.send(envelopes.launch_request(self.locale, task=task, now=self.clock()))

    def answer_consent(self, status: str, scope: str | None = None) -> Turn:
        """Answer a consent request directly (ACCEPTED / DENIED / NOT_ANSWERED)."""
        if status not in envelopes.CONSENT_STATUSES:
            raise ValueError(f"consent status must be one of {envelopes.CONSENT_STATUSES}, not {status!r}")
        if scope is None and self._consent is None:
            raise ValueError("no consent request is pending: pass the permission scope")
        if scope is not None and (self._consent is None or self._consent[0] != scope):
            self._consent = (scope, "")
        return self._send_consent(status, heard=None)

    # --- internals ---

    def _answer_consent_by_voice(self, text: str, match: IntentMatch | None) -> Turn:
        name = match.name if match else None
        status = {"AMAZON.YesIntent": "ACCEPTED", "AMAZON.NoIntent": "DENIED"}.get(name or "", "NOT_ANSWERED")
        return self._send_consent(status, heard=text)

    def _send_consent(self, status: str, heard: str | None) -> Turn:
        assert self._consent is not None
        scope, token = self._consent
        self._consent = None
        if status == "ACCEPTED":
            self.identity.permissions[scope] = "GRANTED"
        elif status == "DENIED":
            self.identity.permissions[scope] = "DENIED"
        request = envelopes.connections_response(status, scope, self.locale, token=token, now=self.clock())
        return self._exchange(request, heard=heard)

    def _intent(self, match: IntentMatch, heard: str) -> Turn:
        slots = match.alexa_slots(self.identity.skill_id)
        in_dialog = self._eliciting is not None and self._eliciting[0] == match.name
        request = envelopes.intent_request(
            match.name,
            slots,
            self.locale,
            dialog_state="IN_PROGRESS" if in_dialog else None,
            now=self.clock(),
        )
        turn = self._exchange(request, heard=heard, record=False)
        turn.slots = match.values()
        turn.resolved = match.resolved_ids()
        return self._record(turn)

    def _exchange(self, request: dict[str, Any], *, heard: str | None, record: bool = True) -> Turn:
        kind = request["type"]
        if self.session is None:
            self.session = envelopes.new_session()
        event = envelopes.envelope(request, self.identity, self.session)
        try:
            response = self.handler(event, LambdaContext(request["requestId"]))
        except Exception as error:
            self._fail(kind, f"{type(error).__name__}: {error}")
            raise SkillError(f"the skill failed on {kind}: {type(error).__name__}: {error}") from error
        if not isinstance(response, dict) or not isinstance(response.get("response"), dict):
            self._fail(kind, "not a skill response")
            raise SkillError(f"the skill's answer to {kind} is not a skill response: {str(response)[:200]}")

        body = response["response"]
        self._last_response = response
        self._silences = 0
        self.session.new = False
        self.session.attributes = dict(response.get("sessionAttributes") or {})
        closed = kind == "SessionEndedRequest" or body.get("shouldEndSession") is True
        if closed:
            self.session = None
        self._consent = _consent_request(body)
        self._eliciting = None if closed else _elicit_request(body)

        turn = _turn_from(response, heard, kind, request, event)
        turn.session_open = not closed
        turn.session_ended = closed
        return self._record(turn) if record else turn

    def _fail(self, kind: str, message: str) -> None:
        """Alexa ends a session whose skill failed, telling the skill why (it may fail again: ignore that)."""
        session, self.session = self.session, None
        self._consent = None
        self._last_response = {}
        if kind == "SessionEndedRequest" or session is None:
            return
        request = envelopes.session_ended_request(
            "ERROR", self.locale, error=("INVALID_RESPONSE", message[:200]), now=self.clock()
        )
        session.new = False
        try:
            event = envelopes.envelope(request, self.identity, session)
            self.handler(event, LambdaContext(request["requestId"]))
        except Exception:  # the failure that matters was already reported by the caller
            return

    def _record(self, turn: Turn) -> Turn:
        self.turns.append(turn)
        return turn


def _one_shot_worthy(match: IntentMatch) -> bool:
    """Outside a session only the skill's own intents start one: Alexa keeps "stop", "yes"... to itself."""
    return not match.name.startswith("AMAZON.")


def _speech_of(output_speech: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return output_speech if isinstance(output_speech, Mapping) and output_speech else None


def _parts(output_speech: Mapping[str, Any] | None, label: str) -> tuple[list[Part], list[str]]:
    """The parts of an outputSpeech, and what is wrong with it by the platform's rules."""
    if not output_speech:
        return [], []
    kind = output_speech.get("type")
    if kind == "PlainText":
        text = " ".join(str(output_speech.get("text") or "").split())
        return ([Text(text)] if text else []), []
    if kind != "SSML":
        return [], [f"{label}: outputSpeech type {kind!r} is neither SSML nor PlainText"]
    ssml = output_speech.get("ssml") or ""
    problems = []
    if len(ssml) > MAX_SSML_CHARS:
        problems.append(f"{label}: SSML is {len(ssml)} characters (Alexa's limit is {MAX_SSML_CHARS})")
    try:
        parts = parse_ssml(ssml)
    except ValueError as error:
        return [], [*problems, f"{label}: {error}"]
    for part in parts:
        if isinstance(part, Pause) and part.seconds > MAX_BREAK_SECONDS:
            problems.append(f"{label}: a <break> of {part.seconds:g} s (at most {MAX_BREAK_SECONDS} s each)")
    seconds = duration(parts)
    if seconds > MAX_AUDIO_SECONDS:
        problems.append(
            f"{label}: about {seconds:.0f} s of audio (keep a response under {MAX_AUDIO_SECONDS} s)"
        )
    return parts, problems


def _consent_request(body: Mapping[str, Any]) -> tuple[str, str] | None:
    for directive in body.get("directives") or []:
        if directive.get("type") == "Connections.SendRequest" and directive.get("name") == "AskFor":
            scope = (directive.get("payload") or {}).get("permissionScope")
            if isinstance(scope, str):
                return scope, str(directive.get("token") or "")
    return None


def _elicit_request(body: Mapping[str, Any]) -> tuple[str, str] | None:
    """(intent, slot) of a Dialog.ElicitSlot directive in the response: Alexa then listens for that slot."""
    for directive in body.get("directives") or []:
        if isinstance(directive, Mapping) and directive.get("type") == "Dialog.ElicitSlot":
            intent = (directive.get("updatedIntent") or {}).get("name")
            slot = directive.get("slotToElicit")
            if isinstance(intent, str) and isinstance(slot, str):
                return intent, slot
    return None


def _card(body: Mapping[str, Any]) -> tuple[Card | None, list[str]]:
    card = body.get("card")
    if not card:
        return None, []
    kind = card.get("type")
    if kind == "Simple":
        text = card.get("content")
    elif kind == "Standard":
        text = card.get("text")
    elif kind in {"LinkAccount", "AskForPermissionsConsent"}:
        return Card(kind, ""), []
    else:
        return None, [f"card type {kind!r} is not one Alexa knows"]
    problems = [] if card.get("title") and text else [f"{kind} card without a title or text"]
    return Card(str(card.get("title") or ""), str(text or "")), problems


def _turn_from(
    response: dict[str, Any], heard: str | None, kind: str, request: dict[str, Any], event: dict[str, Any]
) -> Turn:
    body = response["response"]
    speech, speech_problems = _parts(_speech_of(body.get("outputSpeech")), "speech")
    reprompt_speech = _speech_of((body.get("reprompt") or {}).get("outputSpeech"))
    reprompt, reprompt_problems = _parts(reprompt_speech, "reprompt")
    card, card_problems = _card(body)
    directives = [dict(directive) for directive in body.get("directives") or []]
    problems = [*speech_problems, *reprompt_problems, *card_problems]
    if response.get("version") != "1.0":
        problems.append(f"response version is {response.get('version')!r}, not '1.0'")
    if kind == "SessionEndedRequest":
        if body.get("outputSpeech") or body.get("reprompt") or body.get("card"):
            problems.append("a reply to SessionEndedRequest is never spoken or shown: it should be empty")
    elif body.get("shouldEndSession") is False and not reprompt and _consent_request(body) is None:
        problems.append("the response keeps the session open but has no reprompt")
    intent = request["intent"]["name"] if kind == "IntentRequest" else kind
    return Turn(
        heard,
        intent,
        speech_parts=speech,
        speech_text=render.readable(speech),
        reprompt_parts=reprompt,
        reprompt_text=render.readable(reprompt) if reprompt else None,
        card=card,
        directives=directives,
        response=response,
        request=event,
        problems=problems,
    )
