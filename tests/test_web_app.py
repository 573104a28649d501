"""The Flask web service over real HTTP on 127.0.0.1: verification on by default, 400/405/413 as JSON, logs.

The skill here is a tiny real ASK SDK skill that records each dispatch, so "the skill is never invoked" is
observed, not assumed. Every rejection case is also sent to a server with verification off, where it must
succeed: a case that passes both ways would not be testing verification.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_model import Response
from werkzeug.serving import make_server

from tests.alexa_signing import (
    CERT_URL,
    SKILL_ID,
    RequestSigner,
    SigningAuthority,
    encode,
    launch_envelope,
    other_key,
)
from trust_web.app import create_app
from trust_web.logs import configure_json_logging, get_logger
from trust_web.transport import HttpTransport, TransportError
from trust_web.verification import CERT_URL_HEADER, SIGNATURE_HEADER, AlexaRequestVerifier

REPO = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC).replace(microsecond=0)
USER_ID = "amzn1.ask.account.PRIVATE-USER-ID-7731"
SPOKEN_NAME = "Philippa"
URL_EXPIRED = "https://s3.amazonaws.com/echo.api/expired.pem"
URL_NO_SAN = "https://s3.amazonaws.com/echo.api/no-san.pem"
URL_UNTRUSTED = "https://s3.amazonaws.com/echo.api/untrusted.pem"


class RecordingHandler(AbstractRequestHandler):
    """Handles everything; remembers which request types reached the skill."""

    def __init__(self, calls: list[str], fail: bool = False) -> None:
        self.calls = calls
        self.fail = fail

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        self.calls.append(handler_input.request_envelope.request.object_type)
        if self.fail:
            raise RuntimeError(f"boom for {SPOKEN_NAME}")
        return handler_input.response_builder.speak("Hello from the test skill.").response


def recording_skill(calls: list[str], fail: bool = False) -> CustomSkill:
    builder = SkillBuilder()
    builder.add_request_handler(RecordingHandler(calls, fail))
    return builder.create()


def serve(app) -> tuple[str, Callable[[], None]]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.port}", stop


class Service:
    def __init__(self, url: str, calls: list[str]) -> None:
        self.url = url
        self.calls = calls

    def post(self, headers: dict[str, str], body: bytes, path: str = "/") -> requests.Response:
        return requests.post(self.url + path, data=body, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def authority() -> SigningAuthority:
    return SigningAuthority()


@pytest.fixture(scope="module")
def leaves(authority) -> dict[str, Any]:
    return {
        "good": authority.issue_leaf(),
        "expired": authority.issue_leaf(
            not_before=NOW - timedelta(days=2), not_after=NOW - timedelta(seconds=1)
        ),
        "no_san": authority.issue_leaf(dns_names=()),
        "untrusted": SigningAuthority("Rogue").issue_leaf(),
    }


def chain_fetcher(leaves: dict[str, Any]) -> Callable[[str], bytes]:
    """Serves the good chain for every URL except the named bad ones, so a URL rule alone must reject."""
    special = {URL_EXPIRED: "expired", URL_NO_SAN: "no_san", URL_UNTRUSTED: "untrusted"}
    return lambda url: leaves[special.get(url, "good")].chain_pem


@pytest.fixture(scope="module")
def verified(authority, leaves) -> Iterator[Service]:
    calls: list[str] = []
    verifier = AlexaRequestVerifier(
        SKILL_ID, roots=[authority.root], fetcher=chain_fetcher(leaves), clock=lambda: NOW
    )
    url, stop = serve(create_app(recording_skill(calls), verifier))
    yield Service(url, calls)
    stop()


@pytest.fixture(scope="module")
def unverified() -> Iterator[Service]:
    calls: list[str] = []
    url, stop = serve(create_app(recording_skill(calls), None, allow_unverified=True))
    yield Service(url, calls)
    stop()


def _tamper(body: bytes) -> bytes:
    tampered = body.replace(
        b"request.TEST", b"request.EVIL"
    )  # still a valid envelope, just not the signed one
    assert tampered != body
    return tampered


def signed(key, envelope: dict[str, Any] | None = None, url: str = CERT_URL) -> tuple[dict[str, str], bytes]:
    body = encode(envelope or launch_envelope(user_id=USER_ID, moment=NOW))
    return {"Content-Type": "application/json", **RequestSigner(key, url)(body)}, body


def _without(header: str) -> Callable[[dict[str, Any]], tuple[dict[str, str], bytes]]:
    def build(leaves):
        headers, body = signed(leaves["good"].key)
        del headers[header]
        return headers, body

    return build


def _tampered(leaves):
    headers, body = signed(leaves["good"].key)
    return headers, _tamper(body)


def _stamped(seconds: int):
    return lambda leaves: signed(leaves["good"].key, launch_envelope(moment=NOW + timedelta(seconds=seconds)))


# case id -> (build(leaves) -> (headers, body), a phrase the 400 answer must contain)
REJECTED = {
    "no_headers": (lambda lv: ({"Content-Type": "application/json"}, signed(lv["good"].key)[1]), "headers"),
    "no_cert_url": (_without(CERT_URL_HEADER), "headers are required"),
    "no_signature": (_without(SIGNATURE_HEADER), "headers are required"),
    "url_http": (lambda lv: signed(lv["good"].key, url=CERT_URL.replace("https", "http")), "https"),
    "url_wrong_host": (lambda lv: signed(lv["good"].key, url=CERT_URL.replace("s3.", "s4.")), "host"),
    "url_dot_dot": (
        lambda lv: signed(lv["good"].key, url="https://s3.amazonaws.com/echo.api/../other/cert.pem"),
        "path",
    ),
    "url_wrong_port": (
        lambda lv: signed(lv["good"].key, url=CERT_URL.replace(".com/", ".com:8443/")),
        "port",
    ),
    "leaf_expired": (lambda lv: signed(lv["expired"].key, url=URL_EXPIRED), "expired"),
    "leaf_without_san": (lambda lv: signed(lv["no_san"].key, url=URL_NO_SAN), "SAN"),
    "chain_untrusted": (lambda lv: signed(lv["untrusted"].key, url=URL_UNTRUSTED), "does not validate"),
    "body_tampered": (_tampered, "signature"),
    "signature_wrong": (lambda lv: signed(other_key()), "signature"),
    "timestamp_151s_old": (_stamped(-151), "timestamp"),
    "timestamp_151s_ahead": (_stamped(151), "timestamp"),
    "skill_id_wrong": (
        lambda lv: signed(lv["good"].key, launch_envelope(skill_id="amzn1.ask.skill.other", moment=NOW)),
        "different skill",
    ),
}


def test_correctly_signed_request_is_answered_by_the_skill(verified, leaves):
    before = len(verified.calls)
    answer = verified.post(*signed(leaves["good"].key))
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    assert "Hello from the test skill." in answer.json()["response"]["outputSpeech"]["ssml"]
    assert verified.calls[before:] == ["LaunchRequest"]


def test_the_alexa_path_serves_the_skill_too(verified, leaves):
    assert verified.post(*signed(leaves["good"].key), path="/alexa").status_code == 200


@pytest.mark.parametrize("case", REJECTED.keys())
def test_bad_request_gets_400_and_never_reaches_the_skill(verified, leaves, case):
    build, phrase = REJECTED[case]
    before = len(verified.calls)
    answer = verified.post(*build(leaves))
    assert answer.status_code == 400, answer.text
    assert phrase in answer.json()["error"]
    assert verified.calls[before:] == []


@pytest.mark.parametrize("case", REJECTED.keys())
def test_same_request_is_accepted_with_verification_off(unverified, leaves, case):
    """Proves each rejection above comes from verification: without it the very same request goes through."""
    build, _phrase = REJECTED[case]
    before = len(unverified.calls)
    answer = unverified.post(*build(leaves))
    assert answer.status_code == 200, answer.text
    assert unverified.calls[before:] == ["LaunchRequest"]


@pytest.mark.parametrize("body", [b'{"request": ', b"\xff\xfe", b"[]", b'{"version": "1.0"}'])
@pytest.mark.parametrize("mode", ["verified", "unverified"])
def test_malformed_body_gets_400(request, leaves, mode, body):
    service = request.getfixturevalue(mode)
    before = len(service.calls)
    headers = {"Content-Type": "application/json", **RequestSigner(leaves["good"].key)(body)}
    answer = service.post(headers, body)
    assert answer.status_code == 400
    assert "error" in answer.json()
    assert service.calls[before:] == []


def test_signed_json_that_is_not_a_request_envelope_gets_400(verified, leaves):
    envelope = launch_envelope(moment=NOW)
    envelope["request"]["type"] = "NoSuchRequestType"
    before = len(verified.calls)
    answer = verified.post(*signed(leaves["good"].key, envelope))
    assert answer.status_code == 400
    assert "not a valid Alexa request envelope" in answer.json()["error"]
    assert verified.calls[before:] == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_non_post_gets_405_as_json(verified, method):
    answer = requests.request(method, verified.url + "/", timeout=10)
    assert answer.status_code == 405
    assert answer.json()["status"] == 405
    assert "POST" in answer.headers["Allow"]


def test_health_endpoint(verified, unverified):
    assert requests.get(verified.url + "/health", timeout=10).json() == {"status": "ok", "verification": "on"}
    assert requests.get(unverified.url + "/health", timeout=10).json()["verification"] == "off"


def test_unknown_path_gets_404_as_json(verified):
    answer = requests.get(verified.url + "/nope", timeout=10)
    assert answer.status_code == 404
    assert answer.json()["status"] == 404


def test_oversized_body_gets_413_before_verification(verified, leaves):
    body = b"{" + b" " * (200 * 1024) + b"}"
    answer = verified.post(
        {"Content-Type": "application/json", **RequestSigner(leaves["good"].key)(body)}, body
    )
    assert answer.status_code == 413
    assert answer.json()["status"] == 413


def test_app_refuses_to_run_without_a_verifier_unless_told_it_is_development():
    with pytest.raises(ValueError, match="verification is required"):
        create_app(recording_skill([]), None)


def test_skill_failure_gets_500_as_json_fault_injected(authority, leaves):
    calls: list[str] = []
    url, stop = serve(create_app(recording_skill(calls, fail=True), None, allow_unverified=True))
    try:
        answer = requests.post(url, data=encode(launch_envelope(moment=NOW)), timeout=10)
    finally:
        stop()
    assert answer.status_code == 500
    assert SPOKEN_NAME not in answer.text
    assert calls == ["LaunchRequest"]


def _intent_with_name(moment: datetime) -> dict[str, Any]:
    envelope = launch_envelope(user_id=USER_ID, moment=moment)
    envelope["request"].update(
        {
            "type": "IntentRequest",
            "intent": {
                "name": "TellNamesIntent",
                "confirmationStatus": "NONE",
                "slots": {
                    "firstName": {"name": "firstName", "value": SPOKEN_NAME, "confirmationStatus": "NONE"}
                },
            },
        }
    )
    envelope["session"]["new"] = False
    return envelope


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The package's JSON log captured in memory; the logger's previous set-up is restored afterwards."""
    logger = get_logger()
    saved = (list(logger.handlers), logger.level, logger.propagate)
    stream = io.StringIO()
    configure_json_logging(logging.INFO, stream)
    yield stream
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def test_logs_are_json_lines_without_user_ids_or_names(authority, leaves, json_log):
    stream = json_log
    calls: list[str] = []
    verifier = AlexaRequestVerifier(
        SKILL_ID, roots=[authority.root], fetcher=chain_fetcher(leaves), clock=lambda: NOW
    )
    url, stop = serve(create_app(recording_skill(calls), verifier))
    try:
        ok = requests.post(
            url,
            data=(body := encode(_intent_with_name(NOW))),
            headers=RequestSigner(leaves["good"].key)(body),
            timeout=10,
        )
        stale = encode(_intent_with_name(NOW - timedelta(hours=1)))
        rejected = requests.post(
            url, data=stale, headers=RequestSigner(leaves["good"].key)(stale), timeout=10
        )
    finally:
        stop()
    assert (ok.status_code, rejected.status_code) == (200, 400)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    events = [(e["event"], e.get("status"), e.get("intent"), e.get("reason")) for e in entries]
    assert ("request_handled", 200, "TellNamesIntent", None) in events
    assert ("request_rejected", 400, None, "timestamp_out_of_window") in events
    assert USER_ID not in stream.getvalue()
    assert SPOKEN_NAME not in stream.getvalue()


def test_http_transport_signs_and_returns_the_skill_response(verified, leaves):
    transport = HttpTransport(verified.url + "/", signer=RequestSigner(leaves["good"].key))
    try:
        answer = transport(launch_envelope(moment=NOW))
    finally:
        transport.close()
    assert answer["version"] == "1.0"
    assert "Hello from the test skill." in answer["response"]["outputSpeech"]["ssml"]


def test_http_transport_without_signer_is_refused_by_a_verifying_server(verified):
    transport = HttpTransport(verified.url + "/")
    with pytest.raises(TransportError, match="400"):
        transport(launch_envelope(moment=NOW))
    transport.close()


def test_http_transport_reports_an_unreachable_server():
    url, stop = serve(create_app(recording_skill([]), None, allow_unverified=True))
    stop()  # nothing listens on this loopback port any more
    with pytest.raises(TransportError, match="cannot reach"):
        HttpTransport(url, timeout=2)(launch_envelope(moment=NOW))


# ----- `python -m trust_web` (`make serve`) ----------------------------------------------------------------


def _serve_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ALEXA_SKILL_ID", "PROGRESS_TABLE")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "lambda"), str(REPO)])
    return {**env, **extra}


def test_serve_refuses_to_start_without_a_skill_id():
    done = subprocess.run(
        [sys.executable, "-m", "trust_web", "--port", "0"],
        env=_serve_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "ALEXA_SKILL_ID" in done.stderr


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """A server process on loopback, always stopped and its pipe closed afterwards."""
    process = subprocess.Popen(
        command, env=env, cwd=REPO, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        finally:
            process.stderr.close()


def log_until(process: subprocess.Popen, event: str, limit: int = 50) -> list[dict[str, Any]]:
    """The server's JSON log lines up to and including `event`; fails with its output if it never comes."""
    entries, other = [], []
    for _ in range(limit):
        line = process.stderr.readline()
        if not line:
            break
        if line.startswith("{"):
            entries.append(json.loads(line))
            if entries[-1]["event"] == event:
                return entries
        else:
            other.append(line)
    pytest.fail(f"the server never logged {event!r}; it said: {''.join(other)[-2000:]}")


def test_serve_with_verification_on_refuses_unsigned_requests(tmp_path):
    command = [sys.executable, "-m", "trust_web", "--port", "0", "--skill-id", SKILL_ID]
    with running(command, _serve_env(TRUST_BUILDER_DATA_DIR=str(tmp_path))) as process:
        entries = log_until(process, "serving")
        url = entries[-1]["url"]
        assert entries[-1]["verification"] == "on"
        assert requests.get(url + "health", timeout=10).json()["verification"] == "on"
        answer = requests.post(url, data=encode(launch_envelope(moment=datetime.now(UTC))), timeout=10)
    assert answer.status_code == 400
    assert "headers are required" in answer.json()["error"]
    assert not any(e["level"] == "WARNING" for e in entries)


def test_serve_no_verify_warns_loudly_and_serves_the_real_skill(tmp_path):
    command = [sys.executable, "-m", "trust_web", "--port", "0", "--no-verify"]
    with running(command, _serve_env(TRUST_BUILDER_DATA_DIR=str(tmp_path))) as process:
        entries = log_until(process, "serving")
        answer = requests.post(entries[-1]["url"], data=encode(launch_envelope(moment=NOW)), timeout=10)
    warning = entries[0]
    assert (warning["level"], warning["verification"]) == ("WARNING", "off")
    assert "VERIFICATION IS OFF" in warning["event"]
    assert answer.status_code == 200, answer.text
    assert "Welcome to Trust Builder" in answer.json()["response"]["outputSpeech"]["ssml"]


def test_gunicorn_command_from_the_readme_serves_with_verification_on(tmp_path):
    pytest.importorskip("gunicorn")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--threads",
        "4",
        "trust_web.wiring:create_app_from_env()",
    ]
    url = f"http://127.0.0.1:{port}/"
    with running(
        command, _serve_env(ALEXA_SKILL_ID=SKILL_ID, TRUST_BUILDER_DATA_DIR=str(tmp_path))
    ) as process:
        health = None
        for _ in range(150):
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {process.stderr.read()[-2000:]}")
            try:
                health = requests.get(url + "health", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):  # a worker still booting under load
                time.sleep(0.1)
        assert health is not None, "gunicorn did not answer within 15 s"
        answer = requests.post(url, data=encode(launch_envelope(moment=datetime.now(UTC))), timeout=10)
    assert health.json() == {"status": "ok", "verification": "on"}
    assert answer.status_code == 400
    assert "headers are required" in answer.json()["error"]


# ----- the real skill end to end over HTTP, driven by the console's device ---------------------------------


def test_console_device_dialog_over_http_with_verification_on(tmp_path, authority, leaves):
    """The console's LocalDevice talking to the real skill through a verifying server over loopback HTTP."""
    from trust_builder.progress import Progress
    from trust_builder.skill import build_skill
    from trust_builder.storage import SqliteAdapter
    from trust_console.device import LocalDevice

    adapter = SqliteAdapter(tmp_path / "progress.sqlite3")
    verifier = AlexaRequestVerifier(SKILL_ID, roots=[authority.root], fetcher=chain_fetcher(leaves))
    url, stop = serve(create_app(build_skill(adapter), verifier))
    transport = HttpTransport(url + "/", signer=RequestSigner(leaves["good"].key))
    device = LocalDevice(transport, skill_id=SKILL_ID, user_id=USER_ID)
    try:
        assert "Welcome to Trust Builder" in device.say("open trust builder").words
        assert "Step 1:" in device.say("step one").words
        assert "Step 2:" in device.say("next").words
        assert device.say("stop").session_ended
        welcome_back = device.say("open trust builder").words
    finally:
        transport.close()
        stop()
    assert "Welcome back" in welcome_back
    last_request = device.turns[-1].request
    envelope = build_skill(adapter).serializer.deserialize(
        json.dumps(last_request), "ask_sdk_model.RequestEnvelope"
    )
    assert Progress.from_dict(adapter.get_attributes(envelope)).current_step == 2
