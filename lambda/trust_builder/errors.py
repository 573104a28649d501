"""Logging an exception without its values: its type, where it was raised, and its chain of causes.

Exception messages and tracebacks can quote request values (slot text, session attributes, names), so the
skill never logs them. Each line is one JSON object in the same form as the web service's log lines
(time, level, event, then fields), whichever handler prints it: CloudWatch in Lambda, stderr locally.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime
from pathlib import Path

_OWN_CODE = ("trust_builder", "trust_web", "trust_console", "lambda_function")
_MAX_CHAIN = 4


def log_exception(logger: logging.Logger, event: str, error: BaseException) -> None:
    """Logs `event` at ERROR as one JSON line with the exception type, location and cause types."""
    logger.error(exception_line(event, error, logging.ERROR))


def exception_line(event: str, error: BaseException, level: int = logging.ERROR) -> str:
    chain: list[str] = []
    seen: BaseException | None = error
    while seen is not None and len(chain) < _MAX_CHAIN:
        chain.append(type(seen).__name__)
        seen = seen.__cause__ or seen.__context__
    frames = traceback.extract_tb(error.__traceback__)
    own = [frame for frame in frames if _is_own(frame.filename)]
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": logging.getLevelName(level),
        "event": event,
        "error": type(error).__name__,
        "where": _where(frames[-1]) if frames else None,  # the innermost frame, library or not
        "where_in_skill": _where(own[-1]) if own else None,  # the innermost frame of our own code
        "chain": chain,
    }
    return json.dumps(entry)


_OWN_FILES = {*_OWN_CODE, *(f"{name}.py" for name in _OWN_CODE)}


def _is_own(filename: str) -> bool:
    return any(part in _OWN_FILES for part in Path(filename).parts)


def _where(frame: traceback.FrameSummary) -> str:
    """ "trust_builder/handlers/launch.py:42 in handle": a path from the package down, never a home folder."""
    parts = Path(frame.filename).parts
    short = parts[-1]
    for index, part in enumerate(parts):
        if part == "site-packages":
            short = "/".join(parts[index + 1 :])
            break
        if part in _OWN_FILES:
            short = "/".join(parts[index:])
            break
    return f"{short}:{frame.lineno} in {frame.name}"
