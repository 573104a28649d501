"""lambda_function.py: the entry point answers a malformed request with a clean error, never a crash."""

from __future__ import annotations

import pytest
from skill_harness import lambda_entry, response_problems


@pytest.fixture(scope="module")
def handler(tmp_path_factory):
    return lambda_entry(tmp_path_factory.mktemp("data"))


@pytest.mark.parametrize(
    "event",
    [
        None,
        "open trust builder",
        [],
        {},
        {"request": "LaunchRequest"},
        {"version": "1.0", "request": {"type": 7}},
        {"version": "1.0", "request": {"type": "IntentRequest", "intent": "not an object"}, "context": []},
        # Shaped like a request, but the SDK cannot read it:
        {"version": "1.0", "request": {"type": "IntentRequest", "intent": "x"}, "context": {}},
        {"version": "1.0", "request": {"type": "NoSuchRequest"}, "context": {}},
        {"version": "1.0", "request": {"type": "LaunchRequest", "timestamp": "yesterday"}, "context": {}},
    ],
    ids=[
        "none",
        "a string",
        "a list",
        "empty",
        "request not an object",
        "type not text",
        "bad shapes",
        "intent not an object",
        "unknown request type",
        "bad timestamp",
    ],
)
def test_malformed_requests_get_a_clean_error(handler, event):
    response = handler(event, None)
    assert response_problems(response) == []
    assert response["response"]["shouldEndSession"] is True
    assert "didn't make sense" in response["response"]["outputSpeech"]["ssml"]


def test_a_well_formed_launch_still_works(handler):
    event = {
        "version": "1.0",
        "session": {
            "new": True,
            "sessionId": "s",
            "application": {"applicationId": "a"},
            "user": {"userId": "u"},
        },
        "context": {"System": {"application": {"applicationId": "a"}, "user": {"userId": "u"}}},
        "request": {
            "type": "LaunchRequest",
            "requestId": "r",
            "timestamp": "2026-11-26T12:00:00Z",
            "locale": "en-US",
        },
    }
    response = handler(event, None)
    assert response_problems(response) == []
    assert "Trust Builder" in response["response"]["outputSpeech"]["ssml"]
