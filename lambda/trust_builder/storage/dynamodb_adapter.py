"""DynamoDB persistence: the ASK SDK's DynamoDbAdapter layout, with versioned conditional writes.

Item layout is the ASK adapter's: partition key "id" (the Alexa user ID), the whole attribute dict under
"attributes"; the write version is attributes.version. Only GetItem (ConsistentRead), PutItem (with a
ConditionExpression) and DeleteItem are used: the IAM policy in template.yaml allows exactly those.

`ask_sdk_dynamodb.adapter` builds a boto3 resource as a default argument at import time (NoRegionError without
a region, and cold-start cost), so it is imported lazily, with a region in the environment for that moment,
and always given our own resource.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import boto3
from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException
from botocore.config import Config
from botocore.exceptions import ClientError

from trust_builder.storage.versioning import VERSION_KEY, WriteConflict, expected_version, household_key

# Alexa wants an answer within 8 s. DynamoDB answers in milliseconds when healthy; when it is not, one
# attempt gives up after ~1.3 s and there is one retry (standard mode backs off at most 1 s first), so a
# failing call returns within ~3.6 s, and a failed load plus a failed save in one request within ~7.2 s.
# botocore's defaults (60 s read timeout, several retries) would blow the budget on the first call.
CONNECT_TIMEOUT_S = 0.5
READ_TIMEOUT_S = 0.8
TOTAL_MAX_ATTEMPTS = 2

_CONFLICT_CODE = "ConditionalCheckFailedException"


def client_config() -> Config:
    return Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"total_max_attempts": TOTAL_MAX_ATTEMPTS, "mode": "standard"},
    )


def make_dynamodb_resource(region_name: str, endpoint_url: str | None = None, session: Any = None) -> Any:
    """A DynamoDB service resource with short timeouts and limited retries."""
    session = session or boto3.session.Session()
    return session.resource(
        "dynamodb", region_name=region_name, endpoint_url=endpoint_url, config=client_config()
    )


@contextmanager
def _region_in_environment(region_name: str) -> Iterator[None]:
    """Give ask_sdk_dynamodb.adapter's import-time default resource a region; leave env as it was."""
    added = "AWS_DEFAULT_REGION" not in os.environ
    if added:
        os.environ["AWS_DEFAULT_REGION"] = region_name
    try:
        yield
    finally:
        if added:
            os.environ.pop("AWS_DEFAULT_REGION", None)


def _ask_dynamodb_adapter_class(region_name: str) -> type:
    with _region_in_environment(region_name):
        from ask_sdk_dynamodb.adapter import DynamoDbAdapter
    return DynamoDbAdapter


class DynamoDbProgressAdapter(AbstractPersistenceAdapter):
    """Wraps the ASK SDK's DynamoDbAdapter (its table, key and attribute names, keygen and delete), adding the
    conditional put and Decimal conversion both ways.

    A stored item written before versioning (no attributes.version) counts as version 1, so migrated data
    can be updated, while a create (version 0) still never overwrites anything."""

    def __init__(
        self,
        table_name: str,
        dynamodb_resource: Any,
        partition_keygen: Callable[[Any], str] = household_key,
    ) -> None:
        region = dynamodb_resource.meta.client.meta.region_name
        ask_adapter_class = _ask_dynamodb_adapter_class(region)
        self._ask = ask_adapter_class(
            table_name=table_name,
            partition_key_name="id",
            attribute_name="attributes",
            create_table=False,
            partition_keygen=partition_keygen,
            dynamodb_resource=dynamodb_resource,
        )
        self.table = dynamodb_resource.Table(table_name)

    @property
    def table_name(self) -> str:
        return self._ask.table_name

    @property
    def dynamodb(self) -> Any:
        """The boto3 resource (tests attach request counters to `dynamodb.meta.client`)."""
        return self._ask.dynamodb

    def _key(self, request_envelope: Any) -> dict[str, str]:
        return {self._ask.partition_key_name: self._ask.partition_keygen(request_envelope)}

    def get_attributes(self, request_envelope: Any) -> dict[str, Any]:
        # Own GetItem rather than the ASK adapter's: it cannot tell "no item" from "item with empty
        # attributes", and the version rule for pre-versioning items needs that difference.
        key = self._key(request_envelope)
        try:
            response = self.table.get_item(Key=key, ConsistentRead=True)
        except Exception as error:
            raise PersistenceException(f"GetItem failed: {_describe(error)}") from error
        item = response.get("Item")
        if item is None:
            return {}
        attributes = from_dynamodb(item.get(self._ask.attribute_name) or {})
        if not isinstance(attributes, dict):
            raise PersistenceException("stored attributes are not a map")
        if attributes.get(VERSION_KEY) is None:
            attributes[VERSION_KEY] = 1  # written before versioning
        return attributes

    def save_attributes(self, request_envelope: Any, attributes: dict[str, Any]) -> None:
        key = self._key(request_envelope)
        expected = expected_version(attributes)
        id_name, attr_name = self._ask.partition_key_name, self._ask.attribute_name
        try:
            body = to_dynamodb({**attributes, VERSION_KEY: expected + 1})
        except (TypeError, ValueError) as error:
            raise PersistenceException(f"attributes are not storable: {error}") from error
        # DynamoDB rejects expression names or values the condition does not use, so each case lists its own.
        request: dict[str, Any] = {"Item": {**key, attr_name: body}}
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
            request["ExpressionAttributeValues"] = {":n": expected}
        try:
            self.table.put_item(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == _CONFLICT_CODE:
                raise WriteConflict(f"stored item is not at version {expected}") from error
            raise PersistenceException(f"PutItem failed: {_describe(error)}") from error
        except Exception as error:
            raise PersistenceException(f"PutItem failed: {_describe(error)}") from error
        attributes[VERSION_KEY] = expected + 1

    def delete_attributes(self, request_envelope: Any) -> None:
        self._ask.delete_attributes(request_envelope)  # a plain DeleteItem on the same key


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


def _describe(error: BaseException) -> str:
    """Exception type and AWS error code only: messages can echo request data."""
    if isinstance(error, ClientError):
        return f"{type(error).__name__} {error.response.get('Error', {}).get('Code', '')}".strip()
    return type(error).__name__
