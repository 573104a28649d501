"""Shared fixtures: a real DynamoDB-compatible server (dynalite) on loopback, fresh tables, request envelopes,
and a counter of the requests that actually reach the server."""

from __future__ import annotations

import http.client
import socket
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_model import Context, RequestEnvelope, User
from ask_sdk_model.interfaces.system import SystemState

from trust_builder.storage.dynamodb_adapter import (
    DynamoDbProgressAdapter,
    make_dynamodb_client,
    make_dynamodb_resource,
)

ROOT = Path(__file__).resolve().parent.parent
DYNALITE = ROOT / "node_modules" / ".bin" / "dynalite"
REGION = "us-east-1"
_STARTUP_TIMEOUT_S = 20.0


# ----- request envelopes -----------------------------------------------------------------------------


def envelope_for(user_id: str | None) -> RequestEnvelope:
    """A real ASK request envelope whose only relevant part is context.system.user.user_id."""
    user = User(user_id=user_id) if user_id is not None else None
    return RequestEnvelope(version="1.0", context=Context(system=SystemState(user=user)))


@pytest.fixture
def make_envelope() -> Callable[[str | None], RequestEnvelope]:
    return envelope_for


@pytest.fixture
def household_envelope() -> RequestEnvelope:
    """An envelope for a household with a fresh, unique Alexa user ID."""
    return envelope_for(f"amzn1.ask.account.TEST{uuid.uuid4().hex.upper()}")


# ----- dynalite ----------------------------------------------------------------------------------------


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    """True once the server answers HTTP at all (an unsigned request gets a 400, which is fine)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        try:
            conn.request("POST", "/", body=b"{}", headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"})
            return conn.getresponse().status > 0
        finally:
            conn.close()
    except OSError:
        return False


def _start_dynalite(log: Any) -> tuple[subprocess.Popen[bytes], str]:
    last_error = "did not start"
    for _ in range(3):  # a port picked as free can be taken before dynalite binds it: try another
        port = _free_loopback_port()
        process = subprocess.Popen(
            [
                str(DYNALITE),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--createTableMs",
                "0",
                "--deleteTableMs",
                "0",
            ],
            stdout=log,
            stderr=log,
            cwd=ROOT,
        )
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                last_error = f"exited with code {process.returncode}"
                break
            if _answers(port):
                return process, f"http://127.0.0.1:{port}"
            time.sleep(0.05)
        else:
            last_error = f"no answer within {_STARTUP_TIMEOUT_S:.0f} s"
        _stop(process)
    log.seek(0)
    pytest.fail(f"dynalite {last_error}; its output:\n{log.read().decode(errors='replace')}", pytrace=False)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def dynalite_endpoint() -> Iterator[str]:
    """Starts dynalite (in memory) on a free loopback port for the test session; yields its endpoint URL.

    Also sets fake AWS credentials and a region in the environment for the session (and only then), so
    boto3 never looks for real ones."""
    if not DYNALITE.exists():
        pytest.fail(
            f"{DYNALITE.relative_to(ROOT)} is missing: run `npm ci` in {ROOT} to install dynalite "
            "(`make test` does it).",
            pytrace=False,
        )
    with pytest.MonkeyPatch.context() as env, tempfile.TemporaryFile() as log:
        env.setenv("AWS_ACCESS_KEY_ID", "test")
        env.setenv("AWS_SECRET_ACCESS_KEY", "test")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            env.delenv(name, raising=False)
        process, endpoint = _start_dynalite(log)
        try:
            yield endpoint
        finally:
            _stop(process)


@pytest.fixture
def dynamodb_resource(dynalite_endpoint: str) -> Any:
    """A boto3 DynamoDB resource on dynalite (timeouts and retries as production's), for creating tables and
    reading items back the way boto3 code (and the skill before botocore) reads them."""
    return make_dynamodb_resource(REGION, dynalite_endpoint)


@pytest.fixture
def dynamodb_client(dynalite_endpoint: str) -> Any:
    """The skill's DynamoDB client on dynalite, built exactly as production builds it (adapter_from_env)."""
    return make_dynamodb_client(REGION, dynalite_endpoint)


def create_progress_table(resource: Any) -> str:
    """A fresh on-demand table with the production key schema (id: S); returns its unique name."""
    name = f"progress-{uuid.uuid4().hex[:16]}"
    resource.meta.client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    resource.meta.client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1})
    return name


@pytest.fixture
def dynamodb_table(dynamodb_resource: Any) -> Iterator[str]:
    name = create_progress_table(dynamodb_resource)
    yield name
    dynamodb_resource.meta.client.delete_table(TableName=name)


@pytest.fixture
def dynamodb_adapter(dynamodb_client: Any, dynamodb_table: str) -> DynamoDbProgressAdapter:
    return DynamoDbProgressAdapter(dynamodb_table, dynamodb_client)


@pytest.fixture
def dynamodb_environ(dynalite_endpoint: str, dynamodb_table: str) -> dict[str, str]:
    """Environment for adapter_from_env() that points at the fresh table on dynalite."""
    return {
        "PROGRESS_TABLE": dynamodb_table,
        "AWS_REGION": REGION,
        "DYNAMODB_ENDPOINT_URL": dynalite_endpoint,
    }


# ----- counting requests that reach the server ---------------------------------------------------------


class DynamoDbRequestCounter:
    """Counts DynamoDB requests as they are sent over HTTP, by operation name ("GetItem", "PutItem", ...).

    It hooks the client's send hook (DynamoDbClient.add_send_hook), which runs once per HTTP attempt (retries
    count separately) and not for requests that never leave the client. Attach it to a client or to a
    DynamoDbProgressAdapter (its `.client`)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._clients: list[Any] = []

    def _on_send(self, request: Any) -> None:
        self.counts[request.operation] += 1

    def attach(self, target: Any) -> DynamoDbRequestCounter:
        client = getattr(target, "client", target)
        client.add_send_hook(self._on_send)
        self._clients.append(client)
        return self

    def detach(self) -> None:
        for client in self._clients:
            client.remove_send_hook(self._on_send)
        self._clients.clear()

    def reset(self) -> None:
        self.counts.clear()

    @property
    def attached(self) -> bool:
        return bool(self._clients)

    def __getitem__(self, operation: str) -> int:
        return self.counts[operation]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@pytest.fixture
def request_counter_class() -> type[DynamoDbRequestCounter]:
    """For tests that need several counters (one per simulated device)."""
    return DynamoDbRequestCounter


@pytest.fixture
def dynamodb_request_counter(dynamodb_client: Any, dynamodb_table: str) -> Iterator[DynamoDbRequestCounter]:
    """A counter attached to the `dynamodb_client` fixture's client (the `dynamodb_adapter` fixture's), after
    the table was created (so it starts at zero). Attach it to others with `.attach(client_or_adapter)`."""
    counter = DynamoDbRequestCounter().attach(dynamodb_client)
    yield counter
    counter.detach()
