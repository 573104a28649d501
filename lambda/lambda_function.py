"""AWS Lambda entry point (template.yaml: Handler lambda_function.lambda_handler).

The local console and the dialog tests call this same function with the envelopes they build, so what is
tested locally is what runs in the cloud. Storage comes from the environment: DynamoDB when PROGRESS_TABLE
is set (as template.yaml does), otherwise the embedded SQLite default.

Every envelope the SDK cannot serve gets the same clean "that didn't make sense" answer, never an
exception: the shape is checked first (trust_builder.envelope, shared with the web service), and anything
the SDK still raises on its way to a handler is logged as one JSON line (type and place, no values) and
answered the same way. Exceptions inside handlers never get here: the skill's own exception handler
apologises for those and keeps the session.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from trust_builder import content
from trust_builder.envelope import looks_like_alexa_request
from trust_builder.errors import log_exception
from trust_builder.lazy_api_client import LazyBoundedApiClient
from trust_builder.skill import build_skill_builder
from trust_builder.speech import Speech
from trust_builder.storage import adapter_from_env

logging.getLogger().setLevel(logging.INFO)
logger = logging.getLogger(__name__)

_skill_handler = build_skill_builder(adapter_from_env(), api_client=LazyBoundedApiClient()).lambda_handler()


def _prime_for_snapshot() -> None:
    """Under Lambda SnapStart, initialisation runs once, before the snapshot, and no request waits for it:
    so load there what a cold start otherwise defers (the Timers API and its HTTP client, the content, the
    help lines, the APL models, the write tokens' `secrets`). No network call: a connection in the snapshot
    would be stale in every restored copy."""
    import secrets  # noqa: F401

    import ask_sdk_model.interfaces.alexa.presentation.apl  # noqa: F401

    import trust_builder.timers  # noqa: F401
    from trust_builder import safety

    content.load(None)
    safety.help_line(None)


if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":  # set by Lambda for SnapStart
    _prime_for_snapshot()


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    if not looks_like_alexa_request(event):
        logger.warning("rejected a malformed request (%s)", type(event).__name__)
        return malformed_request_response()
    try:
        response = _skill_handler(event, context)
    except Exception as error:  # the SDK could not read or serve the envelope: a clean error, not a crash
        log_exception(logger, "rejected a request the SDK could not serve", error)
        return malformed_request_response()
    if not isinstance(response, dict):
        return malformed_request_response()
    return response


def malformed_request_response() -> dict[str, Any]:
    speech = Speech(content.load(None).phrase("speech.errors.malformed"))
    return {
        "version": "1.0",
        "response": {"outputSpeech": {"type": "SSML", "ssml": speech.ssml()}, "shouldEndSession": True},
    }
