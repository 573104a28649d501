"""The conditional-write contract both adapters share.

The caller passes the attributes with "version" = N, the version it loaded (0 or absent: nothing was loaded).
The adapter writes them as version N + 1 only if the stored item is at version N (N == 0: only if no item
exists), then sets attributes["version"] = N + 1 in the caller's dict, so a later save in the same request
continues from there. Otherwise it raises WriteConflict and leaves the dict untouched. Only the adapter
increments; callers never do.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ask_sdk_core.exceptions import PersistenceException

VERSION_KEY = "version"


class WriteConflict(PersistenceException):
    """The stored item is not at the version the writer expected: another device wrote in between."""


def expected_version(attributes: Mapping[str, Any]) -> int:
    """The version the caller loaded, as a non-negative int (Decimal accepted)."""
    value = attributes.get(VERSION_KEY, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value) or value < 0:
        raise PersistenceException("attributes carry an invalid version")
    return int(value)


def household_key(request_envelope: Any) -> str:
    """The partition key: the Alexa user ID, read where the ASK SDK's user_id_partition_keygen reads it
    (context.system.user.user_id), so items its DynamoDbAdapter wrote keep their key. Our own copy: importing
    ask_sdk_dynamodb builds a boto3 resource, which a cold start cannot afford (tests hold the two equal)."""
    try:
        key = request_envelope.context.system.user.user_id
    except AttributeError:
        key = None
    if not isinstance(key, str) or not key:
        raise PersistenceException("request envelope has no user id")
    return key
