"""The skill's own DynamoDB client (storage/dynamodb_client.py): its Signature Version 4 against botocore's
signer as the oracle, and its HTTP behaviour against a real loopback server that answers as DynamoDB does
(errors, throttling, a damaged answer, a closed connection, no server at all). The store's tests run through
the same client on dynalite (test_progress_store.py and the other storage tests).
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from trust_builder.storage.dynamodb_client import (
    Credentials,
    DynamoDbClient,
    DynamoDbError,
    NoCredentials,
    backoff_seconds,
    default_credentials,
    default_endpoint,
    environment_credentials,
    sign,
)

KEY = {"id": {"S": "amzn1.ask.account.CLIENT"}}

# ----- the signer, against botocore's -------------------------------------------------------------------

REQUESTS = [
    # (url, region, operation, body, session token)
    (
        "https://dynamodb.us-east-1.amazonaws.com",
        "us-east-1",
        "GetItem",
        {"TableName": "t", "Key": KEY},
        None,
    ),
    (
        "https://dynamodb.eu-west-1.amazonaws.com",
        "eu-west-1",
        "PutItem",
        {"TableName": "progress", "Item": {**KEY, "attributes": {"M": {"names": {"L": [{"S": "Zoë"}]}}}}},
        "FwoGZXIvYXdzEJr//////////wEaDOSESSIONTOKEN+/=",
    ),
    ("http://127.0.0.1:8000", "us-west-2", "DeleteItem", {"TableName": "t", "Key": KEY}, "token"),
    ("https://dynamodb.ap-southeast-2.amazonaws.com:443/", "ap-southeast-2", "GetItem", {}, None),
    ("http://localhost:4566", "us-east-1", "PutItem", {"TableName": "a  b", "Item": KEY}, None),
]


@pytest.mark.parametrize(("url", "region", "operation", "params", "token"), REQUESTS)
def test_the_signature_is_the_one_botocore_computes(url, region, operation, params, token) -> None:
    body = json.dumps(params).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{operation}"}
    oracle = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    SigV4Auth(
        BotocoreCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token),
        "dynamodb",
        region,
    ).add_auth(oracle)
    when = datetime.strptime(oracle.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    ours = sign(
        "POST",
        url,
        headers,
        body,
        Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token),
        region,
        when,
    )

    assert ours["Authorization"] == oracle.headers["Authorization"]
    assert ours["X-Amz-Date"] == oracle.headers["X-Amz-Date"]
    assert ours.get("X-Amz-Security-Token") == oracle.headers.get("X-Amz-Security-Token")


def test_a_different_secret_day_or_body_changes_the_signature() -> None:
    when = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
    credentials = Credentials("AK", "secret")
    base = sign("POST", "https://h", {}, b"{}", credentials, "us-east-1", when)["Authorization"]
    assert (
        base
        != sign("POST", "https://h", {}, b"{}", Credentials("AK", "other"), "us-east-1", when)[
            "Authorization"
        ]
    )
    assert base != sign("POST", "https://h", {}, b"{ }", credentials, "us-east-1", when)["Authorization"]
    next_day = when.replace(day=3)
    assert base != sign("POST", "https://h", {}, b"{}", credentials, "us-east-1", next_day)["Authorization"]


# ----- credentials --------------------------------------------------------------------------------------


def test_credentials_come_from_the_lambda_environment() -> None:
    environ = {"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "TOKEN"}
    assert environment_credentials(environ) == Credentials("AK", "SK", "TOKEN")
    assert environment_credentials({"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"}) == Credentials(
        "AK", "SK", None
    )
    assert environment_credentials({"AWS_ACCESS_KEY_ID": "AK"}) is None


def test_without_environment_credentials_a_profile_is_found_through_botocore(tmp_path, monkeypatch) -> None:
    # The local web service with a developer's profile: botocore's chain, imported only then.
    credentials_file = tmp_path / "credentials"
    credentials_file.write_text(
        "[default]\naws_access_key_id = PROFILEKEY\naws_secret_access_key = PROFILESECRET\n"
    )
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials_file))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    assert default_credentials()() == Credentials("PROFILEKEY", "PROFILESECRET", None)


def test_no_credentials_anywhere_is_a_clear_error_and_nothing_is_sent(tmp_path, monkeypatch, server) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(NoCredentials):
        _client(server.url, credentials=default_credentials()).get_item(TableName="t", Key=KEY)
    assert server.requests == []


# ----- HTTP, against a loopback server that answers as DynamoDB does -----------------------------------


class ScriptedDynamoDb:
    """A real HTTP/1.1 server on loopback. Each request takes the next scripted answer: (status, body,
    options), the body a dict sent as JSON or raw bytes, options "bad_crc" (a wrong x-amz-crc32) or "close"
    (close the connection after answering). With no answers left it answers {} with 200. It records each
    request's headers and body."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, Any] | bytes, set[str]]] = []
        self.requests: list[dict[str, Any]] = []
        self.connections: set[tuple[str, int]] = set()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.connections.add(self.client_address)
                owner.requests.append({"headers": dict(self.headers), "body": json.loads(body)})
                status, answer, options = owner.answers.pop(0) if owner.answers else (200, {}, set())
                payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                crc = zlib.crc32(payload) + (1 if "bad_crc" in options else 0)
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("x-amz-crc32", str(crc))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()
                if "close" in options:
                    self.close_connection = True

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, status: int, body: dict[str, Any] | bytes, *options: str) -> ScriptedDynamoDb:
        self.answers.append((status, body, set(options)))
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _error(code: str) -> dict[str, str]:
    return {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "The request names Sam"}


@pytest.fixture
def server() -> Iterator[ScriptedDynamoDb]:
    scripted = ScriptedDynamoDb()
    yield scripted
    scripted.close()


def _client(url: str, credentials: Any = None, attempts: int = 2) -> DynamoDbClient:
    return DynamoDbClient(
        "eu-west-1",
        url,
        connect_timeout=0.5,
        read_timeout=0.8,
        max_attempts=attempts,
        credentials=credentials or (lambda: Credentials("AK", "SK", "SESSION")),
    )


def test_a_request_is_signed_json_for_the_operation_and_the_answer_is_parsed(server) -> None:
    item = {**KEY, "attributes": {"M": {"version": {"N": "3"}}}}
    server.answer(200, {"Item": item})
    assert _client(server.url).get_item(TableName="progress", Key=KEY, ConsistentRead=True) == {"Item": item}
    (sent,) = server.requests
    assert sent["body"] == {"TableName": "progress", "Key": KEY, "ConsistentRead": True}
    assert sent["headers"]["X-Amz-Target"] == "DynamoDB_20120810.GetItem"
    assert sent["headers"]["Content-Type"] == "application/x-amz-json-1.0"
    assert sent["headers"]["X-Amz-Security-Token"] == "SESSION"
    authorization = sent["headers"]["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AK/")
    assert "/eu-west-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;" in authorization


def test_a_failed_condition_is_raised_at_once_with_its_code(server) -> None:
    server.answer(400, _error("ConditionalCheckFailedException"))
    with pytest.raises(DynamoDbError) as raised:
        _client(server.url).put_item(TableName="t", Item=KEY, ConditionExpression="attribute_not_exists(id)")
    assert raised.value.code == "ConditionalCheckFailedException"
    assert raised.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert "Sam" not in str(raised.value)  # DynamoDB's message can echo request data: kept out of str()
    assert len(server.requests) == 1  # not retried


@pytest.mark.parametrize(
    "code", ["ValidationException", "AccessDeniedException", "ResourceNotFoundException"]
)
def test_client_errors_are_not_retried(server, code) -> None:
    server.answer(400, _error(code))
    with pytest.raises(DynamoDbError, match=code):
        _client(server.url).get_item(TableName="t", Key=KEY)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "ThrottlingException"),
        (400, "ProvisionedThroughputExceededException"),
        (400, "RequestLimitExceeded"),
        (429, "SomethingNew"),
        (500, "InternalServerError"),
        (503, "ServiceUnavailable"),
    ],
)
def test_throttling_and_server_errors_are_retried_once(server, status, code) -> None:
    server.answer(status, _error(code)).answer(200, {"Item": KEY})
    assert _client(server.url).get_item(TableName="t", Key=KEY) == {"Item": KEY}
    assert len(server.requests) == 2
    assert server.requests[0]["body"] == server.requests[1]["body"]


def test_the_back_off_is_botocores_one_second_after_throttling_25_ms_otherwise() -> None:
    assert backoff_seconds(1, throttled=True, draw=0.5) == 0.5
    assert backoff_seconds(2, throttled=True, draw=0.5) == 1.0
    assert backoff_seconds(1, throttled=False, draw=0.5) == 0.0125
    assert backoff_seconds(1, throttled=True, draw=0.0) == 0.0
    assert backoff_seconds(10, throttled=True, draw=0.999) < 20


def test_after_the_last_attempt_the_error_is_raised(server) -> None:
    server.answer(500, _error("InternalServerError")).answer(500, _error("InternalServerError"))
    with pytest.raises(DynamoDbError) as raised:
        _client(server.url).delete_item(TableName="t", Key=KEY)
    assert (raised.value.code, raised.value.status) == ("InternalServerError", 500)
    assert len(server.requests) == 2


def test_an_answer_that_is_not_json_is_an_error_with_its_status(server) -> None:
    server.answer(502, b"<html>Bad Gateway</html>").answer(502, b"[]")  # from a proxy, say
    with pytest.raises(DynamoDbError) as raised:
        _client(server.url).get_item(TableName="t", Key=KEY)
    assert (raised.value.code, raised.value.status) == ("502", 502)
    assert len(server.requests) == 2


def test_a_damaged_answer_is_retried(server) -> None:
    server.answer(200, {"Item": KEY}, "bad_crc").answer(200, {"Item": KEY})
    assert _client(server.url).get_item(TableName="t", Key=KEY) == {"Item": KEY}
    assert len(server.requests) == 2


def test_the_connection_is_kept_alive_between_requests(server) -> None:
    client = _client(server.url)
    for _ in range(3):
        client.get_item(TableName="t", Key=KEY)
    assert len(server.requests) == 3
    assert len(server.connections) == 1


def test_a_connection_the_server_closed_is_replaced_before_sending(server) -> None:
    server.answer(200, {}, "close")
    client = _client(server.url, attempts=1)  # no retry to hide a request sent down a dead connection
    client.get_item(TableName="t", Key=KEY)
    _wait_until_closed(client)
    assert client.get_item(TableName="t", Key=KEY) == {}
    assert len(server.requests) == 2
    assert len(server.connections) == 2


def _wait_until_closed(client: DynamoDbClient) -> None:
    import select

    connection = client._connection
    if connection is not None and connection.sock is not None:
        select.select([connection.sock], [], [], 2)  # readable (EOF) once the server's close arrives


def test_no_server_raises_a_connection_error_after_the_attempts() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{placeholder.getsockname()[1]}"  # bound, not listening: refused
        attempts: list[str] = []
        client = _client(url)
        client.add_send_hook(lambda request: attempts.append(request.operation))
        with pytest.raises(ConnectionRefusedError):
            client.get_item(TableName="t", Key=KEY)
    assert attempts == ["GetItem", "GetItem"]


def test_a_server_that_never_answers_times_out_after_the_attempts() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)  # the kernel completes the handshake; nothing ever reads or answers
        client = _client(f"http://127.0.0.1:{silent.getsockname()[1]}")
        attempts: list[str] = []
        client.add_send_hook(lambda request: attempts.append(request.operation))
        with pytest.raises(TimeoutError):
            client.get_item(TableName="t", Key=KEY)
    assert attempts == ["GetItem", "GetItem"]


def test_a_send_hook_can_answer_in_place_of_the_server_and_be_removed(server) -> None:
    client = _client(server.url)

    def throttled(request: Any) -> tuple[int, dict[str, str], bytes]:
        return 400, {}, json.dumps(_error("ThrottlingException")).encode()

    client.add_send_hook(throttled)
    with pytest.raises(DynamoDbError, match="ThrottlingException"):
        client.get_item(TableName="t", Key=KEY)
    assert server.requests == []
    client.remove_send_hook(throttled)
    assert client.get_item(TableName="t", Key=KEY) == {}


def test_an_endpoint_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="endpoint"):
        _client("ftp://example.com")
    assert _client(None).endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "region", ["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"]
)
def test_the_default_endpoint_is_the_one_botocore_resolves(region: str) -> None:
    import botocore.session

    client = botocore.session.get_session().create_client(
        "dynamodb", region_name=region, aws_access_key_id="AK", aws_secret_access_key="SK"
    )
    assert default_endpoint(region) == client.meta.endpoint_url
