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
from typing import Any

from trust_builder import content
from trust_builder.envelope import looks_like_alexa_request
from trust_builder.errors import log_exception
from trust_builder.skill import build_skill_builder
from trust_builder.speech import Speech
from trust_builder.storage import adapter_from_env
from trust_builder.timers import BoundedApiClient

logging.getLogger().setLevel(logging.INFO)
logger = logging.getLogger(__name__)

_skill_handler = build_skill_builder(adapter_from_env(), api_client=BoundedApiClient()).lambda_handler()


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
