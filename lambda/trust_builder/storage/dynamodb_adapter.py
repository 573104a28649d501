"""DynamoDB persistence: the ASK SDK's DynamoDbAdapter item layout, with versioned conditional writes, through
a small client of our own (storage/dynamodb_client.py).

Item layout is the ASK adapter's: partition key "id" (the Alexa user ID, a string), the whole attribute dict
as a map under "attributes"; the write version is attributes.version. Values are typed exactly as boto3's
TypeSerializer types them (str S, int and Decimal N, bool BOOL, None NULL, dict M, list L), so an item written
by the ASK SDK's DynamoDbAdapter or by this module's earlier boto3 and botocore versions reads the same, and
the other way round (tests hold all of them to the same stored item). Only GetItem (ConsistentRead), PutItem
(with a ConditionExpression) and DeleteItem are used: the IAM policy in template.yaml allows exactly those.

Why neither boto3, ask_sdk_dynamodb nor botocore: a cold start pays for every import. boto3's resource layer
loads and builds a second model on top of botocore's, ask_sdk_dynamodb builds a boto3 resource at import time
(a default argument), and botocore alone took about 135 ms to import and build a client. None of that is
needed to send three kinds of signed JSON request, so the Lambda path imports only the standard library, and
only when PROGRESS_TABLE selects DynamoDB (storage/factory.py). The adapter also takes a botocore client or a
boto3 resource (tests and tools do): it only calls get_item, put_item and delete_item and reads error codes.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

from trust_builder.storage.dynamodb_client import DynamoDbClient
from trust_builder.storage.versioning import VERSION_KEY, WriteConflict, expected_version, household_key

# Alexa wants an answer within 8 s. DynamoDB answers in milliseconds when healthy; when it is not, one
# attempt gives up after ~1.3 s and there is one retry (after a random back-off of at most 1 s), so a
# failing call returns within ~3.6 s, and a failed load plus a failed save in one request within ~7.2 s.
CONNECT_TIMEOUT_S = 0.5
READ_TIMEOUT_S = 0.8
TOTAL_MAX_ATTEMPTS = 2

PARTITION_KEY_NAME = "id"  # the ASK DynamoDbAdapter's defaults, which existing tables were created with
ATTRIBUTE_NAME = "attributes"

_CONFLICT_CODE = "ConditionalCheckFailedException"
# boto3's DYNAMODB_CONTEXT: DynamoDB numbers have at most 38 significant digits; anything that would be
# rounded, clamped, or overflow is refused rather than stored differently.
_NUMBER_CONTEXT = decimal.Context(
    Emin=-128,
    Emax=126,
    prec=38,
    traps=[decimal.Clamped, decimal.Overflow, decimal.Inexact, decimal.Rounded, decimal.Underflow],
)


def make_dynamodb_client(region_name: str, endpoint_url: str | None = None) -> DynamoDbClient:
    """The DynamoDB client the Lambda function uses: short timeouts, one retry."""
    return DynamoDbClient(
        region_name,
        endpoint_url,
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        max_attempts=TOTAL_MAX_ATTEMPTS,
    )


def make_dynamodb_resource(region_name: str, endpoint_url: str | None = None, session: Any = None) -> Any:
    """A boto3 DynamoDB resource with the same timeouts and retries, for tests and tools that want boto3's
    table API. The Lambda path never imports boto3."""
    import boto3
    from botocore.config import Config

    session = session or boto3.session.Session()
    config = Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"total_max_attempts": TOTAL_MAX_ATTEMPTS, "mode": "standard"},
    )
    return session.resource("dynamodb", region_name=region_name, endpoint_url=endpoint_url, config=config)


class DynamoDbProgressAdapter(AbstractPersistenceAdapter):
    """The ASK SDK's DynamoDbAdapter contract (its key and attribute names, keygen, get, save and delete),
    plus the conditional put and number conversion both ways.

    `dynamodb` is a DynamoDbClient (make_dynamodb_client), a botocore DynamoDB client, or a boto3 resource,
    whose client is then used. A stored item written before versioning (no attributes.version) counts as
    version 1, so migrated data can be updated, while a create (version 0) still never overwrites anything."""

    partition_key_name = PARTITION_KEY_NAME
    attribute_name = ATTRIBUTE_NAME

    def __init__(
        self,
        table_name: str,
        dynamodb: Any,
        partition_keygen: Callable[[Any], str] = household_key,
    ) -> None:
        self.table_name = table_name
        self.partition_keygen = partition_keygen
        # a boto3 resource's meta has a client; a client has none, or (botocore's) no client in it
        self.client = getattr(getattr(dynamodb, "meta", None), "client", dynamodb)

    def _key(self, request_envelope: Any) -> dict[str, Any]:
        return {self.partition_key_name: {"S": self.partition_keygen(request_envelope)}}

    def get_attributes(self, request_envelope: Any) -> dict[str, Any]:
        # ConsistentRead, unlike the ASK adapter: a save's merge must see the latest write. And unlike it, "no
        # item" and "item with empty attributes" differ: the version rule for pre-versioning items needs that.
        key = self._key(request_envelope)
        try:
            response = self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True)
        except Exception as error:
            raise PersistenceException(f"GetItem failed: {_describe(error)}") from error
        item = response.get("Item")
        if item is None:
            return {}
        try:
            stored = from_attribute_value(item[self.attribute_name]) if self.attribute_name in item else None
        except (TypeError, ValueError, decimal.DecimalException) as error:
            raise PersistenceException(f"stored attributes are not readable: {error}") from error
        attributes = from_dynamodb(stored or {})
        if not isinstance(attributes, dict):
            raise PersistenceException("stored attributes are not a map")
        if attributes.get(VERSION_KEY) is None:
            attributes[VERSION_KEY] = 1  # written before versioning
        return attributes

    def save_attributes(self, request_envelope: Any, attributes: dict[str, Any]) -> None:
        key = self._key(request_envelope)
        expected = expected_version(attributes)
        id_name, attr_name = self.partition_key_name, self.attribute_name
        try:
            body = to_attribute_value(to_dynamodb({**attributes, VERSION_KEY: expected + 1}))
        except (TypeError, ValueError, decimal.DecimalException) as error:
            raise PersistenceException(f"attributes are not storable: {error}") from error
        # DynamoDB rejects expression names or values the condition does not use, so each case lists its own.
        request: dict[str, Any] = {"TableName": self.table_name, "Item": {**key, attr_name: body}}
        if expected == 0:
            request["ConditionExpression"] = "attribute_not_exists(#id)"
            request["ExpressionAttributeNames"] = {"#id": id_name}
        else:
            condition = "#a.#v = :n"
            names = {"#a": attr_name, "#v": VERSION_KEY}
            if expected == 1:
                condition += " OR (attribute_exists(#id) AND attribute_not_exists(#a.#v))"
                names["#id"] = id_name
            request["ConditionExpression"] = condition
            request["ExpressionAttributeNames"] = names
            request["ExpressionAttributeValues"] = {":n": {"N": str(expected)}}
        try:
            self.client.put_item(**request)
        except Exception as error:
            if _error_code(error) == _CONFLICT_CODE:
                raise WriteConflict(f"stored item is not at version {expected}") from error
            raise PersistenceException(f"PutItem failed: {_describe(error)}") from error
        attributes[VERSION_KEY] = expected + 1

    def delete_attributes(self, request_envelope: Any) -> None:
        key = self._key(request_envelope)  # a plain DeleteItem on the same key, as the ASK adapter does
        try:
            self.client.delete_item(TableName=self.table_name, Key=key)
        except Exception as error:
            raise PersistenceException(f"DeleteItem failed: {_describe(error)}") from error


def to_dynamodb(value: Any) -> Any:
    """Plain data -> what boto3 accepts: floats become Decimal (boto3 rejects floats), sets become lists."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("non-finite number")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("non-finite number")
        return value
    if isinstance(value, Mapping):
        return {str(k): to_dynamodb(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return [to_dynamodb(v) for v in sorted(value)]
    if isinstance(value, list | tuple):
        return [to_dynamodb(v) for v in value]
    raise TypeError(f"{type(value).__name__} is not storable")


def from_dynamodb(value: Any) -> Any:
    """What boto3 returns -> plain data: Decimal becomes int when integral, else float; sets sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: from_dynamodb(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(from_dynamodb(v) for v in value)
    if isinstance(value, list | tuple):
        return [from_dynamodb(v) for v in value]
    return value


def to_attribute_value(value: Any) -> dict[str, Any]:
    """to_dynamodb's output -> DynamoDB's typed JSON, as boto3's TypeSerializer writes it."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        number = str(_NUMBER_CONTEXT.create_decimal(value))
        if number in ("Infinity", "NaN"):
            raise ValueError("non-finite number")
        return {"N": number}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attribute_value(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute_value(v) for v in value]}
    raise TypeError(f"{type(value).__name__} is not storable")


def from_attribute_value(value: Mapping[str, Any]) -> Any:
    """DynamoDB's typed JSON -> what boto3's TypeDeserializer returns (numbers as Decimal, sets as sets;
    from_dynamodb then makes plain data of it). Binary comes back as bytes: this skill never writes any."""
    if not isinstance(value, Mapping) or len(value) != 1:
        raise ValueError("not a DynamoDB attribute value")
    ((kind, data),) = value.items()
    if kind == "S":
        return data
    if kind == "N":
        return _NUMBER_CONTEXT.create_decimal(data)
    if kind == "BOOL":
        return bool(data)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: from_attribute_value(v) for k, v in data.items()}
    if kind == "L":
        return [from_attribute_value(v) for v in data]
    if kind == "SS":
        return set(data)
    if kind == "NS":
        return {_NUMBER_CONTEXT.create_decimal(n) for n in data}
    if kind == "B":
        return bytes(data)
    if kind == "BS":
        return {bytes(b) for b in data}
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def _error_code(error: BaseException) -> str | None:
    """The AWS error code of an error answer (DynamoDbError, or botocore's ClientError: the same shape)."""
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def _describe(error: BaseException) -> str:
    """Exception type and AWS error code only: messages can echo request data."""
    return f"{type(error).__name__} {_error_code(error) or ''}".strip()
