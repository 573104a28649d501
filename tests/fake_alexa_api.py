"""A stand-in for the Alexa Timers REST API: a real threaded HTTPS server on 127.0.0.1, for tests.

Why HTTPS: ask-sdk-core's DefaultApiClient refuses plain-HTTP endpoints, so the SDK can only be driven
end to end over TLS. Each server makes its own throwaway CA and a leaf certificate for 127.0.0.1; point
`requests` at `ca_file` (e.g. `monkeypatch.setenv("REQUESTS_CA_BUNDLE", api.ca_file)`). `tls=False` gives a
plain-HTTP server for clients that accept it.

Implemented as documented in the Timers REST API reference
(developer.amazon.com/en-US/docs/alexa/smapi/alexa-timers-api-reference.html): POST /v1/alerts/timers,
GET and DELETE /v1/alerts/timers and /v1/alerts/timers/{id}. It checks the bearer token (401 otherwise),
the body shape (400), unique labels (400), the two-hour maximum (400), and ten timers at most (answered
429 here, as the skill expects for a full device). It records every request. Faults are programmed:
`fail_next(status)`, `delay_next(seconds)`, `reject_operation("LAUNCH_TASK", 400)`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import ssl
import tempfile
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from alexa_signing import ca_certificate, key_for
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

TIMERS_PATH = "/v1/alerts/timers"
REMINDERS_PATH = "/v1/alerts/reminders"
MAX_TIMERS = 10
MAX_DURATION = dt.timedelta(hours=2)
OPERATION_TYPES = {"NOTIFY_ONLY", "ANNOUNCE", "LAUNCH_TASK"}
_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None


@dataclass
class _Fault:
    status: int | None = None
    delay: float = 0.0
    body: Any = None


@dataclass
class _State:
    requests: list[RecordedRequest] = field(default_factory=list)
    timers: dict[str, dict[str, Any]] = field(default_factory=dict)
    reminders: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: deque[_Fault] = field(default_factory=deque)
    rejected_operations: dict[str, int] = field(default_factory=dict)


class FakeAlexaApi:
    """A running fake; `api.url` is what Alexa would send as context.System.apiEndpoint."""

    def __init__(self, token: str = "test-api-access-token", *, tls: bool = True) -> None:
        self.token = token
        self.tls = tls
        self._state = _State()
        self._lock = threading.Lock()
        self._release = threading.Event()  # set on stop, so slow answers end at once
        self._dir = tempfile.TemporaryDirectory(prefix="fake-alexa-api-")
        self.ca_file: str | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def start(self) -> FakeAlexaApi:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        if self.tls:
            server.socket = self._tls_context().wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-alexa-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._dir.cleanup()

    def __enter__(self) -> FakeAlexaApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Alexa API is not started")
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    # --- programming and inspection ---

    def fail_next(self, status: int, body: Any = None, times: int = 1) -> None:
        """The next `times` requests are answered with `status` (and `body`, or a documented error body)."""
        with self._lock:
            self._state.faults.extend(_Fault(status=status, body=body) for _ in range(times))

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """The next `times` requests wait `seconds` before they are answered (normally)."""
        with self._lock:
            self._state.faults.extend(_Fault(delay=seconds) for _ in range(times))

    def reject_operation(self, operation_type: str, status: int = 400) -> None:
        """Refuse every new timer of this trigger type, as Alexa does for an undeclared custom task."""
        with self._lock:
            self._state.rejected_operations[operation_type] = status

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._state.requests)

    @property
    def timers(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {key: dict(value) for key, value in self._state.timers.items()}

    @property
    def reminders(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {key: dict(value) for key, value in self._state.reminders.items()}

    def created_bodies(self) -> list[Any]:
        return [r.body for r in self.requests if r.method == "POST" and r.path == TIMERS_PATH]

    # --- request handling (called from server threads) ---

    def _answer(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        body = _parse_json(raw)
        with self._lock:
            self._state.requests.append(RecordedRequest(method, path, headers, body))
            fault = self._state.faults.popleft() if self._state.faults else None
        if fault is not None and fault.delay:
            self._release.wait(fault.delay)
        if fault is not None and fault.status is not None:
            return fault.status, fault.body if fault.body is not None else _error_body(fault.status)
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, _error("UNAUTHORIZED", "The authentication token is invalid or doesn't have access.")
        with self._lock:
            return self._route(method, path, body)

    def _route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if path.startswith(REMINDERS_PATH):
            return self._reminders(method, path, body)
        timers = self._state.timers
        if path == TIMERS_PATH:
            if method == "POST":
                return self._create(body)
            if method == "GET":
                listed = sorted(timers.values(), key=lambda t: _seconds(t["duration"]))
                return 200, {"timers": listed, "totalCount": len(listed), "nextToken": None}
            if method == "DELETE":
                timers.clear()
                return 200, None
        match = re.fullmatch(re.escape(TIMERS_PATH) + r"/([^/]+)", path)
        if match:
            timer = timers.get(match.group(1))
            if timer is None:
                return 404, _error("TIMER_NOT_FOUND", "No timer with this id.")
            if method == "GET":
                return 200, timer
            if method == "DELETE":
                del timers[match.group(1)]
                return 200, None
        return 404, _error("NOT_FOUND", "No such resource.")

    def _reminders(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        """The Reminders API: POST creates (201, an alertToken), GET and DELETE by token."""
        reminders = self._state.reminders
        if path == REMINDERS_PATH and method == "POST":
            problem = _invalid_reminder_request(body)
            if problem:
                return 400, _error("INVALID_REQUEST", problem)
            now = _iso(dt.datetime.now(dt.UTC).replace(microsecond=0))
            token = str(uuid.uuid4())
            reminders[token] = {
                "alertToken": token,
                "createdTime": now,
                "updatedTime": now,
                "status": "ON",
                "version": "1",
                "trigger": body["trigger"],
                "alertInfo": body["alertInfo"],
                "pushNotification": body.get("pushNotification"),
            }
            return 201, {
                key: reminders[token][key]
                for key in ("alertToken", "createdTime", "updatedTime", "status", "version")
            }
        match = re.fullmatch(re.escape(REMINDERS_PATH) + r"/([^/]+)", path)
        if match:
            reminder = reminders.get(match.group(1))
            if reminder is None:
                return 404, _error("NOT_FOUND", "No reminder with this token.")
            if method == "GET":
                return 200, reminder
            if method == "DELETE":
                del reminders[match.group(1)]
                return 200, None
        return 404, _error("NOT_FOUND", "No such resource.")

    def _create(self, body: Any) -> tuple[int, Any]:
        problem = _invalid_timer_request(body)
        if problem:
            return 400, _error("INVALID_REQUEST", problem)
        operation_type = body["triggeringBehavior"]["operation"]["type"]
        if operation_type in self._state.rejected_operations:
            status = self._state.rejected_operations[operation_type]
            return status, _error("INVALID_TASK", f"{operation_type} is not available for this skill.")
        label = body.get("timerLabel")
        if label and any(t.get("timerLabel") == label for t in self._state.timers.values()):
            return 400, _error("INVALID_LABEL", "A timer with this label already exists.")
        if len(self._state.timers) >= MAX_TIMERS:
            return 429, _error("MAX_TIMERS_EXCEEDED", "A device can have at most 10 timers.")
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        seconds = _seconds(body["duration"])
        timer = {
            "id": str(uuid.uuid4()),
            "status": "ON",
            "duration": body["duration"],
            "triggerTime": _iso(now + dt.timedelta(seconds=seconds)),
            "timerLabel": label,
            "createdTime": _iso(now),
            "updatedTime": _iso(now),
            "remainingTimeWhenPaused": body["duration"],
        }
        self._state.timers[timer["id"]] = timer
        return 200, timer

    def _tls_context(self) -> ssl.SSLContext:
        cert_file, key_file, self.ca_file = _make_certificates(Path(self._dir.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        return context


def _handler_for(api: FakeAlexaApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            if isinstance(self.request, ssl.SSLSocket):
                self.request.settimeout(5)
                self.request.do_handshake()  # here, in the request's own thread, not in the accept loop
            super().setup()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, payload = api._answer(self.command, self.path.split("?", 1)[0], headers, raw)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

        def handle(self) -> None:
            try:
                super().handle()
            except (ConnectionError, ssl.SSLError, TimeoutError):
                return  # the client gave up (e.g. its timeout): nothing left to answer

    return Handler


def _invalid_timer_request(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    duration = body.get("duration")
    if not isinstance(duration, str) or not _DURATION.match(duration) or _seconds(duration) <= 0:
        return "duration must be an ISO-8601 duration such as PT10M"
    if _seconds(duration) > MAX_DURATION.total_seconds():
        return "a timer can last at most two hours"
    label = body.get("timerLabel")
    if label is not None and (not isinstance(label, str) or len(label) > 256):
        return "timerLabel must be a string of at most 256 characters"
    visibility = ((body.get("creationBehavior") or {}).get("displayExperience") or {}).get("visibility")
    if visibility not in {"VISIBLE", "HIDDEN"}:
        return "creationBehavior.displayExperience.visibility must be VISIBLE or HIDDEN"
    triggering = body.get("triggeringBehavior") or {}
    operation = triggering.get("operation") or {}
    if operation.get("type") not in OPERATION_TYPES:
        return "triggeringBehavior.operation.type must be NOTIFY_ONLY, ANNOUNCE or LAUNCH_TASK"
    if not isinstance((triggering.get("notificationConfig") or {}).get("playAudible"), bool):
        return "triggeringBehavior.notificationConfig.playAudible must be true or false"
    if operation["type"] == "ANNOUNCE" and not _locale_texts(operation.get("textToAnnounce")):
        return "ANNOUNCE needs textToAnnounce [{locale, text}]"
    if operation["type"] == "LAUNCH_TASK":
        if not _locale_texts(operation.get("textToConfirm")):
            return "LAUNCH_TASK needs textToConfirm [{locale, text}]"
        task = operation.get("task") or {}
        if not isinstance(task.get("name"), str) or not isinstance(task.get("version"), str):
            return "LAUNCH_TASK needs task {name, version}"
    return None


def _invalid_reminder_request(body: Any) -> str | None:
    """What the Reminders API would refuse in a create request (the fields this skill uses), or None."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if not isinstance(body.get("requestTime"), str):
        return "requestTime is required"
    trigger = body.get("trigger")
    if not isinstance(trigger, dict) or trigger.get("type") not in (
        "SCHEDULED_ABSOLUTE",
        "SCHEDULED_RELATIVE",
    ):
        return "trigger.type must be SCHEDULED_ABSOLUTE or SCHEDULED_RELATIVE"
    if trigger["type"] == "SCHEDULED_ABSOLUTE" and not re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", str(trigger.get("scheduledTime"))
    ):
        return "scheduledTime must be a local ISO date-time"
    recurrence = trigger.get("recurrence")
    if recurrence is not None and (
        not isinstance(recurrence, dict) or recurrence.get("freq") not in ("WEEKLY", "DAILY")
    ):
        return "recurrence.freq must be WEEKLY or DAILY"
    content = ((body.get("alertInfo") or {}).get("spokenInfo") or {}).get("content")
    if not _locale_texts(content):
        return "alertInfo.spokenInfo.content needs locale and text"
    return None


def _locale_texts(items: Any) -> bool:
    return (
        isinstance(items, list)
        and bool(items)
        and all(isinstance(i, dict) and i.get("locale") and i.get("text") for i in items)
    )


def _seconds(duration: str) -> int:
    match = _DURATION.match(duration)
    if not match:
        return 0
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _error_body(status: int) -> dict[str, str]:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return _error(phrase.upper().replace(" ", "_"), phrase)


def _make_certificates(folder: Path) -> tuple[str, str, str]:
    """A throwaway CA and a leaf for 127.0.0.1 signed by it; returns (leaf cert, leaf key, CA cert) paths."""
    now = dt.datetime.now(dt.UTC)
    validity = (now - dt.timedelta(minutes=5), now + dt.timedelta(days=1))
    ca_key = key_for("fake-alexa-api CA")
    ca_cert = ca_certificate("fake-alexa-api test CA", ca_key, None, ca_key)
    ca_name = ca_cert.subject
    leaf_key = key_for("fake-alexa-api leaf")
    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (folder / "leaf.pem", folder / "leaf.key", folder / "ca.pem")
    paths[0].write_bytes(leaf_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    paths[2].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return str(paths[0]), str(paths[1]), str(paths[2])
