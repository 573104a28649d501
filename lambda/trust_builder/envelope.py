"""The shape a request envelope needs before the ASK SDK is given it, shared by the Lambda entry point and
the web service, so both refuse the same envelopes with a clean answer instead of an exception.

The SDK's deserialiser accepts a lot (a missing context, a string where an object belongs) and then fails
deep inside dispatch; deeply nested JSON exhausts its recursion. So: a request object with a type, a context
with a System object, a session that is an object if present, and nesting no deeper than MAX_DEPTH.
"""

from __future__ import annotations

from typing import Any

# Real envelopes nest about 8 deep (request.intent.slots.x.resolutions.resolutionsPerAuthority[0]...);
# session attributes add a few. Deeper input would only exercise recursion in the SDK's deserialiser.
MAX_DEPTH = 32


def looks_like_alexa_request(event: Any) -> bool:
    if not isinstance(event, dict) or not shallow(event, MAX_DEPTH):
        return False
    request, context, session = event.get("request"), event.get("context"), event.get("session")
    return (
        isinstance(request, dict)
        and isinstance(request.get("type"), str)
        and isinstance(context, dict)
        and isinstance(context.get("System"), dict)
        and (session is None or isinstance(session, dict))
    )


def shallow(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True if no dict or list nests deeper than `limit` (checked without recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return True
