"""A household's progress during one session: read once when the session starts, written only at checkpoints.

The progress lives in session attributes between turns (so a session costs one read), next to the copy that
was last stored. A checkpoint applies a change and saves only if the progress now differs from what is stored;
a failed save leaves the difference in place, so the next checkpoint in the session retries it. A failed read
leaves "stored" as None: the store then only ever creates conditionally, so it can never overwrite real
progress with empty progress.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type

from trust_builder.alexa import session, today
from trust_builder.progress import Progress
from trust_builder.storage import PendingWrite, ProgressStore

logger = logging.getLogger(__name__)

CURRENT = "progress"  # this session's progress (a dict), or None before anything was ever stored
STORED = "stored"  # what the store holds, as far as this session knows
PENDING = "pending_writes"  # saves of this session whose outcome is unknown (ProgressStore.save's `pending`)
UNREAD = "unread"  # True while this session could not read what is stored (and saved nothing since)
STORE = "store"  # request attribute: the ProgressStore serving this request
# Requests that need no progress: the session is over, or the event concerns the account, not a conversation.
NO_READ_REQUESTS = ("SessionEndedRequest", "AlexaSkillEvent.SkillDisabled")
READ_FAILED = "read_failed"  # request attribute: this request's read failed, so the store is struggling now


class LoadProgressInterceptor(AbstractRequestInterceptor):
    """Reads the household's progress once per session, at its first request."""

    def __init__(self, store: ProgressStore) -> None:
        self.store = store

    def process(self, handler_input: HandlerInput) -> None:
        handler_input.attributes_manager.request_attributes[STORE] = self.store
        attributes = session(handler_input)
        if CURRENT in attributes or get_request_type(handler_input) in NO_READ_REQUESTS:
            return
        result = self.store.load(handler_input.request_envelope)
        if not result.ok:
            handler_input.attributes_manager.request_attributes[READ_FAILED] = True
            attributes[UNREAD] = True
        loaded = result.progress.to_dict() if result.ok and result.progress else None
        attributes[CURRENT] = loaded
        attributes[STORED] = loaded


def current(handler_input: HandlerInput) -> Progress | None:
    """The household's progress, or None for a household that has nothing stored yet."""
    raw = session(handler_input).get(CURRENT)
    return Progress.from_dict(raw) if raw else None


def remembered(handler_input: HandlerInput) -> bool:
    """False while the stored progress could not be read: "nothing stored" is then unknown, not true."""
    return not session(handler_input).get(UNREAD)


def record(handler_input: HandlerInput, change: Callable[[Progress], None]) -> bool:
    """A checkpoint: apply the change (in place), then save if anything differs from what is stored.

    The visit date is refreshed only here, so a visit in which nothing happens writes nothing."""
    attributes = session(handler_input)
    progress = current(handler_input) or Progress.new(today(handler_input))
    change(progress)
    progress.visit(today(handler_input))
    attributes[CURRENT] = progress.to_dict()
    return flush(handler_input)


def flush(handler_input: HandlerInput) -> bool:
    """Saves unsaved progress, if any. True when nothing is left unsaved."""
    attributes = session(handler_input)
    if (
        CURRENT not in attributes
        or attributes.get(CURRENT) == attributes.get(STORED)
        or not attributes[CURRENT]
    ):
        return True
    if handler_input.attributes_manager.request_attributes.get(READ_FAILED):
        # A failed read already cost up to half of Alexa's 8 s; a write now could cost the rest. Retry later.
        return False
    store = _store(handler_input)
    base = Progress.from_dict(attributes[STORED]) if attributes.get(STORED) else None
    pending = [p for p in map(PendingWrite.from_dict, attributes.get(PENDING) or []) if p is not None]
    result = store.save(
        handler_input.request_envelope, base, Progress.from_dict(attributes[CURRENT]), pending
    )
    if not result.ok:
        logger.warning("progress not saved; will retry at the next checkpoint")
        if result.pending:
            attributes[PENDING] = [p.to_dict() for p in result.pending]
        return False
    attributes.pop(PENDING, None)
    attributes.pop(UNREAD, None)  # the save merged with what is stored: now we know it
    attributes[CURRENT] = attributes[STORED] = result.progress.to_dict()
    return True


def forget(handler_input: HandlerInput) -> bool:
    """Deletes the household's stored item. True if it is gone."""
    if not _store(handler_input).delete(handler_input.request_envelope):
        return False
    attributes = session(handler_input)
    attributes[CURRENT] = attributes[STORED] = None
    attributes.pop(PENDING, None)
    attributes.pop(UNREAD, None)
    return True


def _store(handler_input: HandlerInput) -> ProgressStore:
    store = handler_input.attributes_manager.request_attributes[STORE]
    if not isinstance(store, ProgressStore):  # the SDK types request attributes as plain objects
        raise TypeError("no ProgressStore for this request: LoadProgressInterceptor did not run")
    return store
