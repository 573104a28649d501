"""A small DynamoDB client on the standard library: HTTPS, AWS Signature Version 4, DynamoDB's JSON protocol.

Why not botocore: a cold start pays for every import, and importing botocore plus building its DynamoDB client
took about 135 ms (it loads and resolves JSON models for the service and its endpoint rules), more than the
rest of the skill's start-up. The skill sends three kinds of request (GetItem, PutItem, DeleteItem), each a
signed POST of JSON, so this module does that and no more. Its parameters and answers are DynamoDB's own JSON
(typed attribute values), the same dicts botocore's low-level client takes and returns, so the adapter and the
tests read the same either way.

What it keeps from the botocore client it replaced (storage/dynamodb_adapter.py sets the figures):
- short timeouts (connect, then each read) and at most `max_attempts` attempts, retrying what botocore's
  "standard" retry mode retries: throttling and transient error codes, HTTP 429 and 500/502/503/504,
  timeouts and broken connections, and an answer whose CRC-32 does not match, after its random back-off
  (up to 1 s after throttling, up to 25 ms after anything else);
- every other error (a failed condition, a validation error, access denied) raised at once, with its code;
- one kept-alive connection, checked before reuse (a frozen Lambda's idle connection is often closed by the
  server) so that a request is never sent down a connection known to be dead;
- credentials from the environment (what Lambda sets: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
  AWS_SESSION_TOKEN); only when they are absent (a developer's profile, for the local web service) is
  botocore imported to find them, if it is installed.

Tests check the signer against botocore's own SigV4 signer and run the store's tests through this client on
dynalite; `add_send_hook` is their seam for counting attempts and injecting faults.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import random
import select
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

TARGET_PREFIX = "DynamoDB_20120810."
CONTENT_TYPE = "application/x-amz-json-1.0"
SERVICE = "dynamodb"
ALGORITHM = "AWS4-HMAC-SHA256"

# botocore's standard retry mode (botocore/retries/standard.py): throttling and transient errors are retried,
# after rand(0, 1) x base x 2 ** (attempt - 1) seconds, the base 1 s after throttling and 25 ms (DynamoDB's)
# after anything else. (Its x-amz-retry-after header, which DynamoDB does not send, is not read: the 8 s an
# Alexa answer has leave no room for a server-chosen wait.)
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
THROTTLING_STATUSES = frozenset({429})
TRANSIENT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"})
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
THROTTLING_BACKOFF_S = 1.0
OTHER_BACKOFF_S = 0.025


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str | None = None


class DynamoDbError(Exception):
    """An error answer from DynamoDB: `code` is its error code ("ConditionalCheckFailedException"), `status`
    the HTTP status. The message is kept out of str(): DynamoDB's messages can echo request data."""

    def __init__(self, code: str, status: int, message: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.message = message
        # botocore's ClientError shape, for code that reads error.response["Error"]["Code"]
        self.response = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}

    @property
    def throttling(self) -> bool:
        return self.code in THROTTLING_CODES or self.status in THROTTLING_STATUSES

    @property
    def retryable(self) -> bool:
        return self.throttling or self.code in TRANSIENT_CODES or self.status in TRANSIENT_STATUSES


class ChecksumError(OSError):
    """The answer's CRC-32 did not match its x-amz-crc32 header: damaged on the way, so retried."""


class NoCredentials(Exception):
    """Neither the environment nor (if installed) botocore's credential chain gave AWS credentials."""


@dataclass
class SendRequest:
    """What is about to be sent: for hooks (tests count and fail requests by `operation`)."""

    operation: str
    url: str
    headers: dict[str, str]
    body: bytes


SendHook = Callable[[SendRequest], "tuple[int, Mapping[str, str], bytes] | None"]


def backoff_seconds(attempt: int, throttled: bool, draw: float) -> float:
    """The wait before the next attempt, after failed attempt `attempt` (1-based), for a draw in [0, 1)."""
    base = THROTTLING_BACKOFF_S if throttled else OTHER_BACKOFF_S
    return draw * min(base * 2 ** (attempt - 1), 20.0)


# ----- Signature Version 4 -------------------------------------------------------------------------------


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    now: datetime,
    service: str = SERVICE,
) -> dict[str, str]:
    """The headers to send: `headers` plus Host, X-Amz-Date, X-Amz-Security-Token (with a session token) and
    Authorization, signed as AWS Signature Version 4 prescribes (every header sent is signed; the URL has no
    query string here)."""
    parts = urlsplit(url)
    amz_date = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    signed_headers = {"Host": _host(parts), **headers, "X-Amz-Date": amz_date}
    if credentials.token:
        signed_headers["X-Amz-Security-Token"] = credentials.token
    canonical = sorted((name.lower(), " ".join(value.split())) for name, value in signed_headers.items())
    names = ";".join(name for name, _ in canonical)
    canonical_request = "\n".join(
        [
            method,
            parts.path or "/",
            "",
            "".join(f"{name}:{value}\n" for name, value in canonical),
            names,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac(("AWS4" + credentials.secret_key).encode(), amz_date[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    signed_headers["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={names}, Signature={signature}"
    )
    return signed_headers


def _host(parts: Any) -> str:
    """The Host header, as http.client would send it and botocore signs it: no port when it is the default."""
    default = {"http": 80, "https": 443}.get(parts.scheme)
    host = parts.hostname or ""
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


# ----- credentials ---------------------------------------------------------------------------------------


def environment_credentials(environ: Mapping[str, str] = os.environ) -> Credentials | None:
    access_key = environ.get("AWS_ACCESS_KEY_ID", "").strip()
    secret_key = environ.get("AWS_SECRET_ACCESS_KEY", "").strip()
    if not access_key or not secret_key:
        return None
    return Credentials(access_key, secret_key, environ.get("AWS_SESSION_TOKEN", "").strip() or None)


class _BotocoreCredentials:
    """botocore's credential chain (profiles, SSO, instance roles), for when the environment has none.
    Imported only then: Lambda always sets the environment variables."""

    def __init__(self) -> None:
        self._source: Any = None

    def __call__(self) -> Credentials:
        if self._source is None:
            try:
                import botocore.session
            except ImportError as error:
                raise NoCredentials("no AWS credentials in the environment") from error
            self._source = botocore.session.get_session().get_credentials()
            if self._source is None:
                raise NoCredentials("no AWS credentials found")
        frozen = self._source.get_frozen_credentials()  # refreshes temporary credentials when due
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token)


def default_credentials() -> Callable[[], Credentials]:
    fallback = _BotocoreCredentials()

    def credentials() -> Credentials:
        return environment_credentials() or fallback()

    return credentials


# ----- the client ----------------------------------------------------------------------------------------


class DynamoDbClient:
    """GetItem, PutItem and DeleteItem, with parameters and answers as in DynamoDB's API reference (and
    botocore's low-level client): `client.get_item(TableName=..., Key={"id": {"S": ...}})`."""

    _connection: http.client.HTTPConnection | None = None

    def __init__(
        self,
        region_name: str,
        endpoint_url: str | None = None,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_attempts: int,
        credentials: Callable[[], Credentials] | None = None,
    ) -> None:
        self.region_name = region_name
        self.endpoint_url = endpoint_url or default_endpoint(region_name)
        parts = urlsplit(self.endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) endpoint URL: {self.endpoint_url!r}")
        self._parts = parts
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_attempts = max_attempts
        self._credentials = credentials or default_credentials()
        self._connection = None
        self._hooks: list[SendHook] = []

    # DynamoDB's operations, by botocore's names
    def get_item(self, **params: Any) -> dict[str, Any]:
        return self.call("GetItem", params)

    def put_item(self, **params: Any) -> dict[str, Any]:
        return self.call("PutItem", params)

    def delete_item(self, **params: Any) -> dict[str, Any]:
        return self.call("DeleteItem", params)

    def add_send_hook(self, hook: SendHook) -> None:
        """Calls `hook(request)` before each attempt is sent. It may return (status, headers, body) to be
        taken as the answer instead of sending, or raise (TimeoutError, ConnectionError) as the network
        would: the retry policy then runs as for a real answer or failure. For tests."""
        self._hooks.append(hook)

    def remove_send_hook(self, hook: SendHook) -> None:
        self._hooks.remove(hook)

    def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """One operation, with retries. Raises DynamoDbError (an error answer), OSError (timeouts, broken
        connections, bad checksums: after the last attempt), http.client.HTTPException, NoCredentials."""
        body = json.dumps(params, separators=(",", ":")).encode()
        headers = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + operation}
        for attempt in range(1, self.max_attempts + 1):
            request = SendRequest(
                operation,
                self.endpoint_url,
                sign("POST", self.endpoint_url, headers, body, self._credentials(), self.region_name, _now()),
                body,
            )
            try:
                status, answer_headers, data = self._send(request)
                _check_crc32(answer_headers, data)
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt == self.max_attempts:
                    raise
                throttled = False
            else:
                if status == 200:
                    return json.loads(data) if data.strip() else {}
                error = _error_from(status, data)
                if not error.retryable or attempt == self.max_attempts:
                    raise error
                throttled = error.throttling
            time.sleep(backoff_seconds(attempt, throttled, random.random()))
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __del__(self) -> None:  # a dropped client closes its kept-alive connection rather than leak it
        self.close()

    def _send(self, request: SendRequest) -> tuple[int, Mapping[str, str], bytes]:
        for hook in self._hooks:
            canned = hook(request)
            if canned is not None:
                return canned
        connection = self._open()
        connection.request("POST", self._parts.path or "/", body=request.body, headers=request.headers)
        response = connection.getresponse()
        data = response.read()
        if response.will_close:
            self.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def _open(self) -> http.client.HTTPConnection:
        connection = self._connection
        if connection is not None and (connection.sock is None or _closed_by_peer(connection.sock)):
            self.close()
            connection = None
        if connection is None:
            host, port = self._parts.hostname or "", self._parts.port
            if self._parts.scheme == "https":
                connection = http.client.HTTPSConnection(
                    host, port, timeout=self.connect_timeout, context=_tls_context()
                )
            else:
                connection = http.client.HTTPConnection(host, port, timeout=self.connect_timeout)
            connection.connect()
            connection.sock.settimeout(self.read_timeout)
            self._connection = connection
        return connection


def default_endpoint(region: str) -> str:
    """DynamoDB's regional endpoint, as botocore resolves it for the standard and China partitions."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://dynamodb.{region}.{suffix}"


def _now() -> datetime:
    return datetime.now(UTC)


_TLS: Any = None


def _tls_context() -> Any:
    """The default TLS context (system CAs, hostname checks), made once and only for an https endpoint."""
    global _TLS
    if _TLS is None:
        import ssl

        _TLS = ssl.create_default_context()
    return _TLS


def _closed_by_peer(sock: Any) -> bool:
    """An idle kept-alive socket that is readable has been closed (or reset) by the server."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _check_crc32(headers: Mapping[str, str], data: bytes) -> None:
    expected = headers.get("x-amz-crc32")
    if expected is not None and expected.isdigit() and int(expected) != zlib.crc32(data):
        raise ChecksumError("the answer's CRC-32 does not match")


def _error_from(status: int, data: bytes) -> DynamoDbError:
    """DynamoDB's JSON error body: {"__type": "com.amazonaws.dynamodb.v20120810#Code", "message": ...}."""
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return DynamoDbError(str(status), status)
    code = str(parsed.get("__type") or status).rsplit("#", 1)[-1]
    message = str(parsed.get("message") or parsed.get("Message") or "")
    return DynamoDbError(code, status, message)
