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
- Any other fault (throttling, timeout, service error) returns ok False. Logs carry the operation and the
  error type only, never user IDs, names or stored data.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from trust_builder.progress import Progress, merge
from trust_builder.storage.versioning import WriteConflict

logger = logging.getLogger(__name__)

WRITE_ID_KEY = "write_id"  # random per save call; not derived from anything about the household


@dataclass(frozen=True, slots=True)
class LoadResult:
    progress: Progress | None  # None: nothing stored, or the read failed (see ok)
    ok: bool  # False: the read failed; never overwrite stored data on the strength of this result


@dataclass(frozen=True, slots=True)
class SaveResult:
    progress: Progress  # ok: what is now stored, with its new version; not ok: `current`, unchanged
    ok: bool


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

    def save(self, request_envelope: Any, base: Progress | None, current: Progress) -> SaveResult:
        """Store `current`, the session's changes on top of `base` (what this session loaded, or None)."""
        merge_base = base
        # The write is conditional on the version this session loaded; 0 = only if nothing is stored.
        ours = current.copy()
        ours.version = base.version if base is not None else 0
        # Marks this save's writes: when a put timed out after the server applied it, botocore's retry (or
        # ours) meets a conflict with our own write; the token tells that apart from another device's write.
        write_id = secrets.token_hex(6)
        for attempt in range(self.max_retries + 1):
            attributes = {**ours.to_dict(), WRITE_ID_KEY: write_id}
            try:
                self.adapter.save_attributes(request_envelope, attributes)
                stored = Progress.from_dict(attributes)  # the adapter set the new version in place
                return SaveResult(stored, ok=True)
            except WriteConflict:
                logger.info("progress save: write conflict (attempt %d), merging", attempt + 1)
            except Exception as error:
                _log_fault("save", error)
                return SaveResult(current, ok=False)
            try:
                raw = self.adapter.get_attributes(request_envelope)
            except Exception as error:
                _log_fault("save (re-read after conflict)", error)
                return SaveResult(current, ok=False)
            theirs = Progress.from_dict(raw) if raw else None
            if theirs is not None and raw.get(WRITE_ID_KEY) == write_id:
                return SaveResult(theirs, ok=True)  # our own write landed; its acknowledgement was lost
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
        return SaveResult(current, ok=False)

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
