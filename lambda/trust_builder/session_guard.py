"""Session attributes are input: parsed into validated types at the start of every request, in one place.

Alexa hands back what the skill put into the session, but in web mode with verification off, or from a
buggy client, anything can arrive. So before any other interceptor or handler runs, `clean_session` keeps
only the keys the skill itself writes (SCHEMA below), each parsed into the same validated type as stored
data (Progress, Exercise, the pending writes), bounded in size, and never widening what is stored:

- the session's progress may differ from its copy of what is stored only as this skill's own changes can
  make it (steps and counters grow, by at most what one session can add, or a start-over resets them), and
  no date may lie after the request's date; anything else falls back to the stored copy (nothing unsaved is
  invented, nothing stored is lost);
- "repeat" replays only SSML this skill could have written: <speak>, text, breaks of at most 10 s and sounds
  from the Alexa sound library, under Alexa's 8,000 characters;
- the whole session stays under MAX_SESSION_BYTES (Alexa allows 24 KB in a response).

A key that is unknown, of the wrong type or out of bounds is dropped and counted in one log line (the
count, never the key names or values: both come from the client). A new session key must be added to SCHEMA.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput

from trust_builder import alexa, household, replies
from trust_builder.exercise import RESPONSE_LIMIT_SECONDS, Exercise, InvalidState
from trust_builder.handlers import conversation as conversation_handlers
from trust_builder.handlers import safety as safety_handlers
from trust_builder.handlers.exercise import STATE, TIMED_UNTIL
from trust_builder.handlers.reminders import REMINDER_PENDING
from trust_builder.progress import STEP_COUNT, Progress
from trust_builder.reminders import Weekly
from trust_builder.safety import FollowUp
from trust_builder.speech import MAX_BREAK_SECONDS, SOUNDS, parse_break_time
from trust_builder.storage import PendingWrite
from trust_builder.storage.progress_store import MAX_PENDING

logger = logging.getLogger(__name__)

MAX_SESSION_BYTES = 20_000  # Alexa refuses responses over 24 KB; leave room for the rest of the envelope
MAX_SSML_CHARS = 8_000  # Alexa's limit for one outputSpeech
# The most one session can add on top of what is stored. An exercise takes ten minutes or so and a timer
# floor ends its session, so three completions in one session is already generous; likewise start-overs.
MAX_EXERCISES_PER_SESSION = 3
MAX_RESTARTS_PER_SESSION = 3
_WORD = re.compile(r"[a-z][a-z_]{0,39}")  # modes and offer kinds: short identifiers the skill itself uses
_SOUND_URLS = frozenset(effect.url for effect in SOUNDS.values())


class ValidateSessionInterceptor(AbstractRequestInterceptor):
    """Registered first: every later interceptor and handler sees only validated session attributes."""

    def process(self, handler_input: HandlerInput) -> None:
        if handler_input.request_envelope.session is None:
            return
        raw = handler_input.attributes_manager.session_attributes
        cleaned = clean_session(raw, alexa.today(handler_input), alexa.now(handler_input))
        handler_input.attributes_manager.session_attributes = cleaned


def clean_session(raw: Any, today: date, now: datetime) -> dict[str, Any]:
    """The session attributes as this skill wrote them, or as close as validation allows (see module doc)."""
    if not isinstance(raw, Mapping):
        if raw:
            logger.warning("session attributes were not a map; dropped")
        return {}
    cleaned: dict[str, Any] = {}
    dropped = 0
    for key, value in raw.items():
        parse = SCHEMA.get(key) if isinstance(key, str) else None
        result = _DROP
        if parse is not None:
            try:
                result = parse(value, today, now)
            except (TypeError, ValueError, RecursionError, OverflowError):
                result = _DROP
        if result is _DROP:
            dropped += 1
        else:
            cleaned[key] = result
    _bound_progress(cleaned, today)
    dropped += _bound_size(cleaned)
    if dropped:
        logger.warning("session attributes: dropped %d unknown or invalid value(s)", dropped)
    return cleaned


_DROP = object()


# ----- one parser per key -------------------------------------------------------------------------------


def _word(value: Any, *_: Any) -> Any:
    return value if isinstance(value, str) and _WORD.fullmatch(value) else _DROP


def _step(value: Any, *_: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= STEP_COUNT:
        return _DROP
    return value


def _offer(value: Any, *_: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) - {"kind", "step"}:
        return _DROP
    kind, step = value.get("kind"), value.get("step")
    if (kind is not None and _word(kind) is _DROP) or (step is not None and _step(step) is _DROP):
        return _DROP
    return {"kind": kind, "step": step}


def _last(value: Any, *_: Any) -> Any:
    if not isinstance(value, Mapping) or set(value) != {"speech", "reprompt"}:
        return _DROP
    if not all(is_own_ssml(value[part]) for part in ("speech", "reprompt")):
        return _DROP
    return {"speech": value["speech"], "reprompt": value["reprompt"]}


def _progress(value: Any, *_: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return _DROP
    return Progress.from_dict(value).to_dict()


def _exercise(value: Any, *_: Any) -> Any:
    if value is None:
        return None
    try:
        return Exercise.from_dict(value).to_dict()
    except InvalidState:
        return _DROP


def _timed_until(value: Any, _today: date, now: datetime) -> Any:
    if not isinstance(value, str) or len(value) > 40:
        return _DROP
    until = datetime.fromisoformat(value)
    if until.tzinfo is None:
        return _DROP  # compared with the request's aware timestamp: a naive one would not compare
    if not now - timedelta(days=1) <= until <= now + timedelta(seconds=RESPONSE_LIMIT_SECONDS + 60):
        return _DROP
    return until.isoformat()


def _safety_follow_up(value: Any, *_: Any) -> Any:
    if value is None:
        return None
    offer = FollowUp.from_dict(value)
    return offer.to_dict() if offer is not None else _DROP


def _safety_check(value: Any, *rest: Any) -> Any:
    """The gentle question is pending: the response to restore on "no" (checked like "repeat") and which line
    a yes gives ("route": partner or crisis; absent means partner)."""
    if not isinstance(value, Mapping) or not {"last"} <= set(value) <= {"last", "route"}:
        return _DROP
    route = value.get("route", "partner")
    if route not in ("partner", "crisis"):
        return _DROP
    last = value["last"]
    checked = None if last is None else _last(last, *rest)
    return _DROP if checked is _DROP else {"last": checked, "route": route}


MAX_COUNT = 10_000  # turn and miss counters: far more than any session reaches


def _count(value: Any, *_: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        return _DROP
    return value


def _true(value: Any, *_: Any) -> Any:
    return True if value is True else _DROP


def _pending(value: Any, *_: Any) -> Any:
    if not isinstance(value, list):
        return _DROP
    pending = [p for p in map(PendingWrite.from_dict, value[:MAX_PENDING]) if p is not None]
    return [p.to_dict() for p in pending] or _DROP


def _weekly(value: Any, *_: Any) -> Any:
    """The practice reminder's day and time, kept while Alexa asks for the reminders permission."""
    slot = Weekly.from_dict(value)
    return slot.to_dict() if slot is not None else _DROP


SCHEMA: dict[str, Callable[[Any, date, datetime], Any]] = {
    alexa.MODE: _word,
    alexa.STEP: _step,
    alexa.OFFER: _offer,
    alexa.LAST: _last,
    household.CURRENT: _progress,
    household.STORED: _progress,
    household.PENDING: _pending,
    household.UNREAD: _true,
    STATE: _exercise,
    TIMED_UNTIL: _timed_until,
    REMINDER_PENDING: _weekly,
    replies.TURNS: _count,
    replies.INTRO_HEARD: _true,
    safety_handlers.FOLLOW_UP: _safety_follow_up,
    safety_handlers.CHECK: _safety_check,
    conversation_handlers.MISSES: _count,
    conversation_handlers.FALLBACKS: _count,
}


def is_own_ssml(ssml: Any) -> bool:
    """SSML this skill could have written (speech.Speech): <speak> with text, breaks of at most 10 s and
    sounds from the Alexa sound library, within Alexa's length limit. Anything else is not replayed."""
    if not isinstance(ssml, str) or len(ssml) > MAX_SSML_CHARS:
        return False
    return _checked_ssml(ssml)


# Parsing is about 10 us a string, twice a turn (speech and reprompt), and a warm process sees the same
# few hundred prompts again and again (every launch's welcome, every help line), so verdicts are kept for
# the last strings checked: the answer is a pure function of the string. At most 256 strings of at most
# 8,000 characters (typically 300).
@functools.lru_cache(maxsize=256)
def _checked_ssml(ssml: str) -> bool:
    import xml.etree.ElementTree as ET  # only when "repeat" has something to check: not at a cold start

    try:
        root = ET.fromstring(ssml)
    except ET.ParseError:
        return False
    if root.tag != "speak" or root.attrib:
        return False
    for element in root:
        if len(element):
            return False
        if element.tag == "break":
            if set(element.attrib) != {"time"}:
                return False
            seconds = parse_break_time(element.attrib["time"])
            if not (math.isfinite(seconds) and 0 <= seconds <= MAX_BREAK_SECONDS):
                return False
        elif element.tag == "audio":
            if set(element.attrib) != {"src"} or element.attrib["src"] not in _SOUND_URLS:
                return False
        else:
            return False
    return True


# ----- never widening what is stored ---------------------------------------------------------------------


def _bound_progress(cleaned: dict[str, Any], today: date) -> None:
    """The session's progress against its copy of what is stored: only changes this skill can make."""
    stored = _clamp_dates(cleaned[household.STORED], today) if cleaned.get(household.STORED) else None
    if stored is not None:
        cleaned[household.STORED] = stored.to_dict()
    base = stored or Progress()
    if not cleaned.get(household.CURRENT):
        cleaned.pop(household.PENDING, None)  # nothing unsaved: nothing can be pending
        return
    current = _clamp_dates(cleaned[household.CURRENT], today)
    if not _plausible_successor(base, current):
        logger.warning("session progress is not reachable from the stored copy; using the stored copy")
        cleaned[household.CURRENT] = stored.to_dict() if stored is not None else None
        cleaned.pop(household.PENDING, None)
        return
    _bound_pending(cleaned, base, current)
    current.version = base.version  # the version is the store's business, never the session's
    current.write_ids = list(base.write_ids)
    if stored is not None and stored.first_visit:
        current.first_visit = max(current.first_visit or stored.first_visit, stored.first_visit)
    cleaned[household.CURRENT] = current.to_dict()


def _bound_pending(cleaned: dict[str, Any], base: Progress, current: Progress) -> None:
    """A pending write becomes the merge base if its token is stored, so it must be a write this session
    could have made: between the stored copy and the current progress, with a token the stored copy does
    not already carry (a session only learns tokens of writes that are no longer pending)."""
    kept = []
    for entry in cleaned.get(household.PENDING) or []:
        attempted = Progress.from_dict(entry["attempted"])
        if entry["token"] in base.write_ids:
            continue
        if _plausible_successor(base, attempted) and _plausible_successor(attempted, current):
            kept.append(entry)
    if kept:
        cleaned[household.PENDING] = kept
    else:
        cleaned.pop(household.PENDING, None)


def _plausible_successor(base: Progress, current: Progress) -> bool:
    restarted = current.restarts - base.restarts
    if not 0 <= restarted <= MAX_RESTARTS_PER_SESSION:
        return False
    if restarted:
        return current.exercises_completed <= MAX_EXERCISES_PER_SESSION
    return (
        set(base.steps_heard) <= set(current.steps_heard)
        and set(base.details_heard) <= set(current.details_heard)
        and 0 <= current.exercises_completed - base.exercises_completed <= MAX_EXERCISES_PER_SESSION
    )


def _clamp_dates(data: Mapping[str, Any], today: date) -> Progress:
    progress = Progress.from_dict(data)
    latest = (today + timedelta(days=1)).isoformat()  # a day's slack for time zones
    for name in ("first_visit", "last_visit", "last_exercise_date"):
        value = getattr(progress, name)
        if value is not None and value > latest:
            setattr(progress, name, None)
    progress.first_visit = progress.first_visit or progress.last_visit
    progress.last_visit = progress.last_visit or progress.first_visit
    return progress


def _bound_size(cleaned: dict[str, Any]) -> int:
    """Drops what can be rebuilt, largest first, until the session fits. Returns how many were dropped."""
    dropped = 0
    for key in (alexa.LAST, household.PENDING):
        if _size(cleaned) <= MAX_SESSION_BYTES:
            break
        if cleaned.pop(key, None) is not None:
            dropped += 1
    return dropped


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, allow_nan=False).encode())
