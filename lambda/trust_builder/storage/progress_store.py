"""ProgressStore: load and save a household's Progress through any persistence adapter, never raising.

How a session uses it:
    loaded = store.load(envelope)            # one read per session
    base = loaded.progress                   # keep unchanged: it is the merge base
    current = base or Progress.new(today)    # change `current` during the session
    saved = store.save(envelope, base, current)
    if saved.ok:
        base = current = saved.progress      # the stored state, with its new version

Safety rules:
- A failed read (ok False) gives progress None. A later save with base None is a conditional create: it can
  never overwrite an item; if one exists the store reads it and merges instead (a later read that succeeds).
- A conflicting write (another device wrote in between) is retried after a three-way merge, up to max_retries.
- A write whose outcome is unknown (no answer) comes back in SaveResult.pending; passed to the next save, it
  makes that save idempotent: the write token shows whether it landed, and a landed change is not merged
  twice (see save).
- Any other fault (throttling, timeout, service error) returns ok False. Logs carry the operation and the
  error type only, never user IDs, names or stored data.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from trust_builder.progress import MAX_WRITE_IDS, Progress, merge
from trust_builder.storage.versioning import WriteConflict

logger = logging.getLogger(__name__)

WRITE_ID_KEY = "write_id"  # the latest token alone, as the first token layout had it; still written
MAX_PENDING = 3  # unknown-outcome saves remembered per session; only one of them can have landed


@dataclass(frozen=True, slots=True)
class PendingWrite:
    """A save whose outcome is unknown: the write may have been applied although no answer came (a dropped
    connection, an answer after the read timeout, a commit whose acknowledgement failed). The session keeps
    it and passes it to the next save: if the stored item carries `token`, `attempted` is what landed, and
    it becomes the merge base, so the same change is never counted twice."""

    token: str
    attempted: Progress

    def to_dict(self) -> dict[str, Any]:
        return {"token": self.token, "attempted": self.attempted.to_dict()}

    @classmethod
    def from_dict(cls, data: Any) -> PendingWrite | None:
        """Validated, as anything that comes back in session attributes must be; None when unusable."""
        if not isinstance(data, Mapping):
            return None
        token, attempted = data.get("token"), data.get("attempted")
        if not isinstance(token, str) or not isinstance(attempted, Mapping):
            return None
        if not Progress(write_ids=[token]).to_dict()["write_ids"]:  # the same rule as stored tokens
            return None
        return cls(str(token), Progress.from_dict(attempted))


@dataclass(frozen=True, slots=True)
class LoadResult:
    progress: Progress | None  # None: nothing stored, or the read failed (see ok)
    ok: bool  # False: the read failed; never overwrite stored data on the strength of this result


@dataclass(frozen=True, slots=True)
class SaveResult:
    progress: Progress  # ok: what is now stored, with its new version; not ok: `current`, unchanged
    ok: bool
    # Not ok: the saves whose outcome is unknown (this one first), for the next save. Ok: empty.
    pending: tuple[PendingWrite, ...] = ()


class ProgressStore:
    def __init__(self, adapter: AbstractPersistenceAdapter, max_retries: int = 3) -> None:
        if max_retries < 0:
            raise ValueError("max_retries cannot be negative")
        self.adapter = adapter
        self.max_retries = max_retries

    def load(self, request_envelope: Any) -> LoadResult:
        try:
            return LoadResult(self._read(request_envelope), ok=True)
        except Exception as error:
            _log_fault("load", error)
            return LoadResult(None, ok=False)

    def save(
        self,
        request_envelope: Any,
        base: Progress | None,
        current: Progress,
        pending: Sequence[PendingWrite] = (),
    ) -> SaveResult:
        """Store `current`, the session's changes on top of `base` (what this session loaded, or None).

        `pending`: earlier saves of this session whose outcome is unknown (SaveResult.pending). Idempotence
        rests on the write token: every write records a fresh random token in the item (the latest
        MAX_WRITE_IDS are kept). A landed earlier attempt moved the version on, so this save's conditional
        write conflicts; the re-read then finds that attempt's token and merges on top of what it wrote,
        instead of on top of `base`, which would add its counters and start-overs a second time."""
        merge_base = base
        # The write is conditional on the version this session loaded; 0 = only if nothing is stored.
        ours = current.copy()
        ours.version = base.version if base is not None else 0
        # Marks this save's writes: when a put timed out after the server applied it, the client's retry (or
        # ours) meets a conflict with our own write; the token tells that apart from another device's write.
        # secrets is imported here: it loads hashlib and hmac, which a first launch (no save) does not need.
        import secrets

        write_id = secrets.token_hex(6)
        unresolved = list(pending)[:MAX_PENDING]
        attributes: dict[str, Any] = {}
        for attempt in range(self.max_retries + 1):
            attributes = ours.to_dict()
            attributes["write_ids"] = [*attributes["write_ids"], write_id][-MAX_WRITE_IDS:]
            attributes[WRITE_ID_KEY] = write_id
            try:
                self.adapter.save_attributes(request_envelope, attributes)
                stored = Progress.from_dict(attributes)  # the adapter set the new version in place
                return SaveResult(stored, ok=True)
            except WriteConflict:
                logger.info("progress save: write conflict (attempt %d), merging", attempt + 1)
            except Exception as error:
                _log_fault("save", error)
                return self._not_saved(current, write_id, attributes, unresolved)
            try:
                raw = self.adapter.get_attributes(request_envelope)
            except Exception as error:
                _log_fault("save (re-read after conflict)", error)
                return self._not_saved(current, write_id, attributes, unresolved)
            theirs = Progress.from_dict(raw) if raw else None
            if theirs is not None and write_id in theirs.write_ids:
                return SaveResult(theirs, ok=True)  # our own write landed; its acknowledgement was lost
            landed = next((p for p in unresolved if theirs is not None and p.token in theirs.write_ids), None)
            if landed is not None:
                # An earlier save of this session did land: what it wrote is the base for what is left.
                logger.info("progress save: an earlier save with a lost answer had landed; merging on it")
                merge_base = landed.attempted
                unresolved = []  # at most one of them can have landed: each was conditional on `base`
            if theirs is None:
                if merge_base is not None:
                    # Deleted on another device ("forget us") after this session loaded: do not resurrect it.
                    logger.info("progress save: item deleted elsewhere, not recreated")
                    return SaveResult(current, ok=False)
                ours.version = 0  # created and deleted in between: create again
                continue
            ours = merge(merge_base, ours, theirs)
            merge_base = theirs
        logger.warning("progress save: still conflicting after %d retries", self.max_retries)
        return SaveResult(current, ok=False, pending=tuple(unresolved))

    @staticmethod
    def _not_saved(
        current: Progress, token: str, attributes: dict[str, Any], unresolved: list[PendingWrite]
    ) -> SaveResult:
        """The last write may have landed (no answer, or a conflict we could not look into): remember it."""
        attempt = PendingWrite(token, Progress.from_dict(attributes))
        return SaveResult(current, ok=False, pending=(attempt, *unresolved)[:MAX_PENDING])

    def delete(self, request_envelope: Any) -> bool:
        try:
            self.adapter.delete_attributes(request_envelope)
        except Exception as error:
            _log_fault("delete", error)
            return False
        return True

    def _read(self, request_envelope: Any) -> Progress | None:
        attributes = self.adapter.get_attributes(request_envelope)
        return Progress.from_dict(attributes) if attributes else None


def _log_fault(operation: str, error: BaseException) -> None:
    # Type names and AWS error codes only: exception messages may echo keys (user IDs) or stored values.
    chain: list[str] = []
    seen: BaseException | None = error
    while seen is not None and len(chain) < 4:
        code = getattr(seen, "response", {}).get("Error", {}).get("Code") if _is_client_error(seen) else None
        chain.append(type(seen).__name__ + (f"({code})" if code else ""))
        seen = seen.__cause__ or seen.__context__
    logger.warning("progress %s failed: %s", operation, " <- ".join(chain))


def _is_client_error(error: BaseException) -> bool:
    return isinstance(getattr(error, "response", None), dict)
