"""The web service's hardening: late skill events, bounded and shared certificate fetches, no fetches driven
by unsigned requests, 400 for odd signed envelopes, RSA of at least 2048 bits, a body read timeout, and
answers that are always strict JSON.

Real parts: the generated test CA and signer (tests/alexa_signing.py), real HTTP on loopback for the
service and for certificate servers, and the real skill on SQLite where the skill matters.
"""

from __future__ import annotations

import base64
import http.server
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.skill_builder import SkillBuilder
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from werkzeug.serving import make_server

from tests.alexa_signing import (
    CERT_URL,
    SKILL_ID,
    RequestSigner,
    SigningAuthority,
    encode,
    launch_envelope,
    memory_fetcher,
)
from trust_builder.progress import Progress
from trust_builder.skill import build_skill
from trust_builder.storage import ProgressStore, SqliteAdapter
from trust_web.app import BodyTimeout, create_app, read_body
from trust_web.verification import (
    CERT_URL_HEADER,
    NEW_URL_FETCHES_PER_MINUTE,
    SIGNATURE_HEADER,
    SIGNING_NAME,
    AlexaRequestVerifier,
    BadCertificate,
    BadCertUrl,
    BadSignature,
    CertFetchFailed,
    HttpFetcher,
    TimestampOutOfWindow,
    VerificationFailed,
    check_signing_key,
)

NOW = datetime.now(UTC).replace(microsecond=0)
USER_ID = "amzn1.ask.account.HARDENING-TEST"


@pytest.fixture(scope="module")
def authority() -> SigningAuthority:
    return SigningAuthority()


@pytest.fixture(scope="module")
def leaf(authority):
    return authority.issue_leaf()


def verifier_for(authority, leaf, calls: list[str] | None = None, **options) -> AlexaRequestVerifier:
    fetcher = options.pop("fetcher", None) or memory_fetcher({CERT_URL: leaf.chain_pem}, calls)
    return AlexaRequestVerifier(
        SKILL_ID, roots=[authority.root], fetcher=fetcher, clock=lambda: NOW, **options
    )


def signed(key, envelope: dict[str, Any], url: str = CERT_URL) -> tuple[dict[str, str], bytes]:
    body = encode(envelope)
    return RequestSigner(key, url)(body), body


def skill_event(age: timedelta, kind: str = "AlexaSkillEvent.SkillDisabled") -> dict[str, Any]:
    envelope = launch_envelope(user_id=USER_ID, moment=NOW - age)
    del envelope["session"]
    envelope["request"] = {
        "type": kind,
        "requestId": "amzn1.echo-api.request.EVENT",
        "timestamp": envelope["request"]["timestamp"],
        "eventCreationTime": envelope["request"]["timestamp"],
        "body": {"userInformationPersistenceStatus": "NOT_PERSISTED"},
    }
    return envelope


def serve(app) -> tuple[str, Callable[[], None]]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.port}", stop


# ----- skill events may be up to an hour old ---------------------------------------------------------------


@pytest.mark.parametrize("minutes", [10, 59])
def test_a_late_skill_event_is_accepted(authority, leaf, minutes) -> None:
    envelope = skill_event(timedelta(minutes=minutes))
    assert (
        verifier_for(authority, leaf)
        .verify(*signed(leaf.key, envelope))["request"]["type"]
        .endswith("SkillDisabled")
    )


def test_a_skill_event_over_an_hour_old_or_ahead_of_the_clock_is_refused(authority, leaf) -> None:
    verifier = verifier_for(authority, leaf)
    with pytest.raises(TimestampOutOfWindow):
        verifier.verify(*signed(leaf.key, skill_event(timedelta(minutes=61))))
    with pytest.raises(TimestampOutOfWindow):
        verifier.verify(*signed(leaf.key, skill_event(timedelta(seconds=-151))))


def test_the_hour_is_for_skill_events_only(authority, leaf) -> None:
    with pytest.raises(TimestampOutOfWindow):
        verifier_for(authority, leaf).verify(
            *signed(leaf.key, launch_envelope(moment=NOW - timedelta(minutes=10)))
        )


def test_disabling_the_skill_deletes_the_household_in_web_mode_even_ten_minutes_late(
    authority, leaf, tmp_path
) -> None:
    adapter = SqliteAdapter(tmp_path / "progress.sqlite3")
    from conftest import envelope_for

    progress = Progress.new(NOW.date())
    progress.hear_step(1)
    assert ProgressStore(adapter).save(envelope_for(USER_ID), None, progress).ok
    url, stop = serve(create_app(build_skill(adapter), verifier_for(authority, leaf)))
    try:
        headers, body = signed(leaf.key, skill_event(timedelta(minutes=10)))
        answer = requests.post(url, data=body, headers=headers, timeout=10)
    finally:
        stop()
    assert answer.status_code == 200
    assert adapter.get_attributes(envelope_for(USER_ID)) == {}


# ----- certificate fetches: bounded in total, shared, never driven by unsigned requests ------------------


class _Trickle(http.server.BaseHTTPRequestHandler):
    """Sends a chain one byte every 0.1 s: each read is quick, the whole answer is not."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        data = b"-----BEGIN CERTIFICATE-----" * 2
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for byte in data:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.1)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def trickle_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_trickling_certificate_server_is_cut_off_at_the_total_bound(trickle_server) -> None:
    fetcher = HttpFetcher(
        timeout=0.5,
        total_timeout=1.0,
        rewrite=lambda url: url.replace("https://s3.amazonaws.com", trickle_server),
    )
    started = time.monotonic()
    with pytest.raises(CertFetchFailed, match="too long"):
        fetcher(CERT_URL)
    assert time.monotonic() - started < 2.5  # the trickle alone would take 5.4 s


def test_concurrent_requests_share_one_failing_fetch_instead_of_queueing(authority, leaf) -> None:
    calls: list[str] = []

    def failing(url: str) -> bytes:
        calls.append(url)
        time.sleep(0.3)
        raise CertFetchFailed("injected: the certificate host is down")

    verifier = verifier_for(authority, leaf, fetcher=failing)
    outcomes: list[str] = []

    def one() -> None:
        try:
            verifier.verify(*signed(leaf.key, launch_envelope(moment=NOW)))
            outcomes.append("accepted")
        except VerificationFailed as error:
            outcomes.append(error.reason)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcomes == ["cert_fetch_failed"] * 8
    assert calls == [CERT_URL]  # one fetch, one outcome for all eight: nobody waits to fail in turn


@pytest.mark.parametrize(
    "signature",
    ["", "not base64!", base64.b64encode(b"x" * 10).decode(), base64.b64encode(b"x" * 2000).decode()],
    ids=["empty", "not base64", "too short", "too long"],
)
def test_a_request_that_is_not_signed_never_causes_a_fetch(authority, leaf, signature) -> None:
    calls: list[str] = []
    url = "https://s3.amazonaws.com/echo.api/attacker-chosen.pem"
    body = encode(launch_envelope(moment=NOW))
    with pytest.raises(VerificationFailed):
        verifier_for(authority, leaf, calls).verify({CERT_URL_HEADER: url, SIGNATURE_HEADER: signature}, body)
    assert calls == []


@pytest.mark.parametrize(
    "url",
    [
        CERT_URL + "?x=1",
        CERT_URL + "?",
        CERT_URL + "#frag",
        "https://s3.amazonaws.com/echo.api/a.pem?versionId=7",
    ],
)
def test_cert_urls_with_a_query_or_fragment_are_refused_without_a_fetch(authority, leaf, url) -> None:
    calls: list[str] = []
    with pytest.raises(BadCertUrl):
        verifier_for(authority, leaf, calls).verify(*signed(leaf.key, launch_envelope(moment=NOW), url))
    assert calls == []


def _bogus_signature() -> str:
    return base64.b64encode(b"\x01" * 256).decode()


def test_many_distinct_cert_urls_drive_only_a_bounded_number_of_fetches(authority, leaf) -> None:
    calls: list[str] = []

    def anything(url: str) -> bytes:
        calls.append(url)
        raise CertFetchFailed("404")

    verifier = verifier_for(authority, leaf, fetcher=anything)
    body = encode(launch_envelope(moment=NOW))
    for index in range(50):
        headers = {
            CERT_URL_HEADER: f"https://s3.amazonaws.com/echo.api/probe-{index}.pem",
            SIGNATURE_HEADER: _bogus_signature(),
        }
        with pytest.raises(VerificationFailed):
            verifier.verify(headers, body)
    assert len(calls) == NEW_URL_FETCHES_PER_MINUTE


def test_unsigned_requests_naming_other_valid_chains_cannot_evict_the_genuine_one(authority, leaf) -> None:
    calls: list[str] = []

    def every_url_valid(url: str) -> bytes:
        calls.append(url)
        return leaf.chain_pem

    verifier = verifier_for(authority, leaf, fetcher=every_url_valid, cache_size=4, fetches_per_minute=1000)
    verifier.verify(*signed(leaf.key, launch_envelope(moment=NOW)))  # the genuine chain, proven
    body = encode(launch_envelope(moment=NOW))
    for index in range(40):
        headers = {
            CERT_URL_HEADER: f"https://s3.amazonaws.com/echo.api/other-{index}.pem",
            SIGNATURE_HEADER: _bogus_signature(),
        }
        with pytest.raises(BadSignature):
            verifier.verify(headers, body)
    calls.clear()
    verifier.verify(*signed(leaf.key, launch_envelope(moment=NOW)))
    assert calls == []  # still cached


# ----- the signing key --------------------------------------------------------------------------------------


def _leaf_with_key(authority: SigningAuthority, key: rsa.RSAPrivateKey) -> tuple[x509.Certificate, bytes]:
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SIGNING_NAME)]))
        .issuer_name(authority.intermediate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(SIGNING_NAME)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.intermediate_key.public_key()),
            critical=False,
        )
        .sign(authority.intermediate_key, hashes.SHA256())
    )
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (certificate, authority.intermediate))
    return certificate, pem


def test_a_signing_key_under_2048_bits_is_refused(authority) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    certificate, pem = _leaf_with_key(authority, key)
    with pytest.raises(BadCertificate, match="2048"):
        check_signing_key(certificate)
    verifier = AlexaRequestVerifier(
        SKILL_ID, roots=[authority.root], fetcher=memory_fetcher({CERT_URL: pem}), clock=lambda: NOW
    )
    body = encode(launch_envelope(moment=NOW))
    from cryptography.hazmat.primitives.asymmetric import padding

    signature = base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()
    with pytest.raises(VerificationFailed):  # a 1024-bit signature is also too short to be looked at
        verifier.verify({CERT_URL_HEADER: CERT_URL, SIGNATURE_HEADER: signature}, body)


def test_a_3072_bit_signing_key_is_fine(authority) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    certificate, _ = _leaf_with_key(authority, key)
    assert check_signing_key(certificate).key_size == 3072


# ----- odd signed envelopes get 400; answers are strict JSON ------------------------------------------------


@pytest.fixture
def real_service(authority, leaf, tmp_path) -> Iterator[str]:
    url, stop = serve(
        create_app(build_skill(SqliteAdapter(tmp_path / "p.sqlite3")), verifier_for(authority, leaf))
    )
    yield url
    stop()


def _deep(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"a": value}
    return value


ODD_ENVELOPES = {
    "context a string": lambda e: {**e, "context": "x"},
    "context without System": lambda e: {**e, "context": {}},
    "session a list": lambda e: {**e, "session": [1, 2]},
    "nested 100 deep": lambda e: {**e, "session": {**e["session"], "attributes": _deep(100)}},
}


@pytest.mark.parametrize("odd", sorted(ODD_ENVELOPES))
def test_signed_but_odd_envelopes_get_400(real_service, leaf, odd) -> None:
    headers, body = signed(leaf.key, ODD_ENVELOPES[odd](launch_envelope(moment=NOW)))
    answer = requests.post(real_service, data=body, headers=headers, timeout=10)
    assert answer.status_code == 400, answer.text
    assert answer.json()["status"] == 400


def test_signed_json_nested_beyond_the_parser_gets_400(real_service, leaf) -> None:
    body = b'{"request": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001
    headers = RequestSigner(leaf.key)(body)
    answer = requests.post(real_service, data=body, headers=headers, timeout=10)
    assert answer.status_code in (400, 413)


def _strict(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_nan_in_session_attributes_never_reaches_the_answer(tmp_path) -> None:
    url, stop = serve(
        create_app(build_skill(SqliteAdapter(tmp_path / "p.sqlite3")), None, allow_unverified=True)
    )
    envelope = launch_envelope(moment=NOW)
    envelope["session"]["attributes"] = {"step": float("nan"), "mode": float("inf"), "junk": float("nan")}
    envelope["request"] = {
        **envelope["request"],
        "type": "IntentRequest",
        "intent": {"name": "AMAZON.HelpIntent"},
    }
    try:
        answer = requests.post(url, data=json.dumps(envelope).encode(), timeout=10)
    finally:
        stop()
    assert answer.status_code == 200
    _strict(answer.text)


class _NanHandler(AbstractRequestHandler):
    def can_handle(self, handler_input) -> bool:
        return True

    def handle(self, handler_input):
        handler_input.attributes_manager.session_attributes["score"] = float("nan")
        return handler_input.response_builder.speak("Hello.").set_should_end_session(False).response


def test_a_skill_that_puts_nan_in_its_answer_still_answers_strict_json() -> None:
    builder = SkillBuilder()
    builder.add_request_handler(_NanHandler())
    url, stop = serve(create_app(builder.create(), None, allow_unverified=True))
    try:
        answer = requests.post(url, data=encode(launch_envelope(moment=NOW)), timeout=10)
    finally:
        stop()
    assert answer.status_code == 200
    assert _strict(answer.text)["sessionAttributes"]["score"] is None


# ----- the body read timeout ------------------------------------------------------------------------------


def test_a_body_that_never_finishes_gets_408_instead_of_holding_a_thread(tmp_path) -> None:
    builder = SkillBuilder()
    builder.add_request_handler(_NanHandler())
    url, stop = serve(create_app(builder.create(), None, allow_unverified=True, body_read_timeout=0.5))
    host, port = url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"version": '
            )
            answer = conn.recv(4096)  # the rest of the body never comes
    finally:
        stop()
    assert answer.startswith(b"HTTP/1.1 408")


def test_read_body_bounds_the_total_time_on_a_gunicorn_style_socket() -> None:
    server, client = socket.socketpair()
    try:
        client.sendall(b"abc")
        environ = {"wsgi.input": server.makefile("rb"), "gunicorn.socket": server}
        with pytest.raises(BodyTimeout):
            read_body(environ, 100, 0.3)
        assert server.gettimeout() is None  # put back as it was
    finally:
        server.close()
        client.close()


def test_read_body_returns_a_whole_body() -> None:
    server, client = socket.socketpair()
    try:
        client.sendall(b"x" * 70_000)
        environ = {"wsgi.input": server.makefile("rb"), "gunicorn.socket": server}
        assert read_body(environ, 70_000, 5) == b"x" * 70_000
    finally:
        server.close()
        client.close()


# ----- the web service under the same random mutations as the Lambda entry --------------------------------

WEB_FUZZ_CASES = 400


def test_random_mutations_over_http_get_200_or_400_and_strict_json(tmp_path) -> None:
    import random

    from test_lambda_fuzz import SEED, mutate, record_seed_envelopes

    skill = build_skill(SqliteAdapter(tmp_path / "p.sqlite3"))
    url, stop = serve(create_app(skill, None, allow_unverified=True))
    session = requests.Session()

    def over_http(event, context=None):
        return session.post(url, data=json.dumps(event).encode(), timeout=10).json()

    rng = random.Random(SEED)
    failures: list[str] = []
    try:
        seeds = record_seed_envelopes(over_http)
        for case in range(WEB_FUZZ_CASES):
            body = json.dumps(mutate(rng.choice(seeds), rng)).encode()  # NaN goes out as the NaN token
            answer = session.post(url, data=body, timeout=10)
            if answer.status_code not in (200, 400, 413):
                failures.append(f"case {case}: HTTP {answer.status_code}")
                continue
            try:
                _strict(answer.text)
            except ValueError as error:
                failures.append(f"case {case}: {error}")
    finally:
        session.close()
        stop()
    assert failures == [], f"{len(failures)} of {WEB_FUZZ_CASES}: " + "; ".join(failures[:10])
