"""AWS Lambda entry point (template.yaml: Handler lambda_function.lambda_handler).

The local console and the dialog tests call this same function with the envelopes they build, so what is
tested locally is what runs in the cloud. Storage comes from the environment: DynamoDB when PROGRESS_TABLE
is set (as template.yaml does), otherwise the embedded SQLite default.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from ask_sdk_core.exceptions import AskSdkException

from trust_builder import content
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
    help lines). No network call: a connection in the snapshot would be stale in every restored copy."""
    import trust_builder.timers  # noqa: F401
    from trust_builder import safety

    content.load(None)
    safety.help_line(None)


if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":  # set by Lambda for SnapStart
    _prime_for_snapshot()


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    if not _looks_like_alexa_request(event):
        logger.warning("rejected a malformed request (%s)", type(event).__name__)
        return malformed_request_response()
    try:
        return _skill_handler(event, context)
    except AskSdkException as error:  # the SDK could not read the envelope: a clean error, not a crash
        logger.warning("rejected a request the SDK could not read: %s", type(error).__name__)
        return malformed_request_response()


def _looks_like_alexa_request(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and isinstance(event.get("request"), dict)
        and isinstance(event["request"].get("type"), str)
        and isinstance(event.get("context", {}), dict)
    )


def malformed_request_response() -> dict[str, Any]:
    speech = Speech(content.load(None).phrase("speech.errors.malformed"))
    return {
        "version": "1.0",
        "response": {"outputSpeech": {"type": "SSML", "ssml": speech.ssml()}, "shouldEndSession": True},
    }
