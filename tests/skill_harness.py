"""The skill as the tests meet it: the real Lambda entry point on a throwaway SQLite store, and a device.

The entry point is imported once per test run with TRUST_BUILDER_DATA_DIR pointing at a temporary folder
(lambda_function builds its storage at import, as it does in Lambda); every test uses its own household id.
"""

from __future__ import annotations

import importlib
import os
import re
import uuid
from pathlib import Path

from trust_builder.speech import Pause, Text, parse_ssml
from trust_console.device import LocalDevice, Turn

_DATA_DIR: Path | None = None
# Every locale the skill is published in: dialogs and the state x intent matrix run in each.
LOCALES = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"]


def lambda_entry(data_dir: Path):
    """lambda_function.lambda_handler, bound to an embedded store under data_dir (the first caller's)."""
    global _DATA_DIR
    if _DATA_DIR is None:
        _DATA_DIR = data_dir
        os.environ["TRUST_BUILDER_DATA_DIR"] = str(data_dir)
        os.environ.pop("PROGRESS_TABLE", None)
    return importlib.import_module("lambda_function").lambda_handler


def household_id(label: str = "") -> str:
    return f"amzn1.ask.account.TEST-{label}-{uuid.uuid4().hex[:12]}"


def device(handler, user_id: str | None = None, **options) -> LocalDevice:
    return LocalDevice(handler, user_id=user_id or household_id(), **options)


def response_problems(response: dict) -> list[str]:
    """What would make Alexa reject or mangle a response: the checks every state x intent must pass."""
    problems: list[str] = []
    body = response.get("response") or {}
    open_session = body.get("shouldEndSession") is False
    for label, holder in (("speech", body), ("reprompt", body.get("reprompt") or {})):
        speech = holder.get("outputSpeech")
        if speech is None:
            continue
        ssml = speech.get("ssml", "")
        if len(ssml) >= 8000:
            problems.append(f"{label} is {len(ssml)} characters (limit 8000)")
        try:
            parts = parse_ssml(ssml)
        except ValueError as error:
            problems.append(f"{label} SSML does not parse: {error}")
            continue
        if any(isinstance(part, Pause) and part.seconds > 10 for part in parts):
            problems.append(f"{label} has a break over 10 s")
    if open_session:
        if not _ends_with_a_prompt(body.get("outputSpeech") or {}):
            problems.append(
                "the session stays open but the speech does not end with a question or an invitation"
            )
        if not (body.get("reprompt") or {}).get("outputSpeech"):
            problems.append("the session stays open without a reprompt")
        if not body.get("outputSpeech"):
            problems.append("the session stays open with nothing said")
    return problems


def _ends_with_a_prompt(speech: dict) -> bool:
    """The last sentence asks something or invites an answer ("Say next when you're ready")."""
    try:
        texts = [part.text for part in parse_ssml(speech.get("ssml", "")) if isinstance(part, Text)]
    except ValueError:
        return False
    last = re.split(r"(?<=[.?!])\s+", texts[-1].strip())[-1] if texts else ""
    return last.endswith("?") or re.search(r"\b(say|pick)\b", last, re.IGNORECASE) is not None


__all__ = ["LOCALES", "Turn", "device", "household_id", "lambda_entry", "response_problems"]
