"""AlexaRequestVerifier against a generated test CA (the only trusted root), with real path validation."""

from __future__ import annotations

import base64
import http.server
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

from tests.alexa_signing import (
    CERT_URL,
    SKILL_ID,
    RequestSigner,
    SigningAuthority,
    encode,
    launch_envelope,
    memory_fetcher,
    other_key,
)
from trust_web.verification import (
    CERT_URL_HEADER,
    FETCH_TIMEOUT_SECONDS,
    SIGNATURE_HEADER,
    AlexaRequestVerifier,
    BadCertificate,
    BadCertUrl,
    BadSignature,
    CertFetchFailed,
    CertificateExpired,
    CertificateNameMismatch,
    HttpFetcher,
    MalformedRequest,
    MissingHeader,
    TimestampOutOfWindow,
    UntrustedChain,
    WrongApplicationId,
    check_cert_url,
    default_roots,
)

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def authority() -> SigningAuthority:
    return SigningAuthority()


@pytest.fixture(scope="module")
def leaf(authority):
    return authority.issue_leaf()


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_verifier(authority, chain_pem: bytes, calls: list[str] | None = None, clock=None, url=CERT_URL):
    fetcher = memory_fetcher({url: chain_pem}, calls)
    return AlexaRequestVerifier(SKILL_ID, roots=[authority.root], fetcher=fetcher, clock=clock or Clock())


def _tamper(body: bytes) -> bytes:
    tampered = body.replace(
        b"request.TEST", b"request.EVIL"
    )  # still a valid envelope, just not the signed one
    assert tampered != body
    return tampered


def signed(key, envelope=None, url=CERT_URL) -> tuple[dict[str, str], bytes]:
    body = encode(envelope or launch_envelope(moment=NOW))
    return RequestSigner(key, url)(body), body


# ----- the accepted request --------------------------------------------------------------------------------


def test_correctly_signed_request_is_accepted_and_parsed(authority, leaf):
    headers, body = signed(leaf.key)
    envelope = make_verifier(authority, leaf.chain_pem).verify(headers, body)
    assert envelope["request"]["type"] == "LaunchRequest"
    assert envelope["context"]["System"]["application"]["applicationId"] == SKILL_ID


# ----- certificate URL rules ----------------------------------------------------------------------------

AMAZON_DOCUMENTED_VALID_URLS = [
    ("https://s3.amazonaws.com/echo.api/echo-api-cert.pem", "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"),
    ("https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem", "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"),
    ("https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem", "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"),
    ("HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem", "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "normalised"), AMAZON_DOCUMENTED_VALID_URLS)
def test_valid_cert_urls_are_normalised(url, normalised):
    assert check_cert_url(url) == normalised


BAD_CERT_URLS = {
    "http": "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "wrong_host": "https://notamazon.com/echo.api/echo-api-cert.pem",
    "host_suffix": "https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem",
    "dot_dot_escapes": "https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem",
    "encoded_dot_dot": "https://s3.amazonaws.com/echo.api/%2e%2e/invalid.path/echo-api-cert.pem",
    "wrong_port": "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
    "path_case": "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
    "wrong_path": "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
    "bad_port": "https://s3.amazonaws.com:notaport/echo.api/echo-api-cert.pem",
    "credentials": "https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem",
}


@pytest.mark.parametrize("url", BAD_CERT_URLS.values(), ids=BAD_CERT_URLS.keys())
def test_bad_cert_url_is_rejected_before_any_fetch(authority, leaf, url):
    calls: list[str] = []
    headers, body = signed(leaf.key, url=url)
    with pytest.raises(BadCertUrl):
        make_verifier(authority, leaf.chain_pem, calls, url=url).verify(headers, body)
    assert calls == []


# ----- headers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dropped", [CERT_URL_HEADER, SIGNATURE_HEADER])
def test_missing_header_is_rejected(authority, leaf, dropped):
    headers, body = signed(leaf.key)
    del headers[dropped]
    with pytest.raises(MissingHeader):
        make_verifier(authority, leaf.chain_pem).verify(headers, body)


# ----- certificate chain --------------------------------------------------------------------------------


def test_expired_leaf_is_rejected(authority):
    expired = authority.issue_leaf(not_before=NOW - timedelta(days=2), not_after=NOW - timedelta(seconds=1))
    with pytest.raises(CertificateExpired):
        make_verifier(authority, expired.chain_pem).verify(*signed(expired.key))


def test_not_yet_valid_leaf_is_rejected(authority):
    future = authority.issue_leaf(not_before=NOW + timedelta(minutes=5), not_after=NOW + timedelta(days=2))
    with pytest.raises(CertificateExpired):
        make_verifier(authority, future.chain_pem).verify(*signed(future.key))


def test_leaf_without_san_is_rejected(authority):
    no_san = authority.issue_leaf(dns_names=())
    with pytest.raises(CertificateNameMismatch, match="no SAN"):
        make_verifier(authority, no_san.chain_pem).verify(*signed(no_san.key))


def test_leaf_naming_another_host_is_rejected(authority):
    other = authority.issue_leaf(dns_names=("echo-api.amazon.com.evil.example", "example.com"))
    with pytest.raises(CertificateNameMismatch, match="does not name"):
        make_verifier(authority, other.chain_pem).verify(*signed(other.key))


def test_chain_from_an_untrusted_ca_is_rejected(authority):
    rogue = SigningAuthority("Rogue")
    rogue_leaf = rogue.issue_leaf()  # same names, same shape: only the root is not trusted
    with pytest.raises(UntrustedChain):
        make_verifier(authority, rogue_leaf.chain_pem).verify(*signed(rogue_leaf.key))


def test_chain_missing_its_intermediate_is_rejected(authority, leaf):
    leaf_only = x509.load_pem_x509_certificates(leaf.chain_pem)[0]
    with pytest.raises(UntrustedChain):
        make_verifier(authority, leaf_only.public_bytes(Encoding.PEM)).verify(*signed(leaf.key))


def test_garbage_instead_of_a_chain_is_rejected(authority, leaf):
    with pytest.raises(BadCertificate):
        make_verifier(authority, b"<html>not a certificate</html>").verify(*signed(leaf.key))


def test_default_roots_are_the_public_web_roots_including_amazons():
    subjects = {root.subject.rfc4514_string() for root in default_roots()}
    assert any("Amazon Root CA 1" in subject for subject in subjects)


# ----- signature ----------------------------------------------------------------------------------------


def test_tampered_body_is_rejected(authority, leaf):
    headers, body = signed(leaf.key)
    tampered = _tamper(body)
    with pytest.raises(BadSignature):
        make_verifier(authority, leaf.chain_pem).verify(headers, tampered)


def test_signature_by_another_key_is_rejected(authority, leaf):
    headers, body = signed(other_key())
    with pytest.raises(BadSignature, match="does not match"):
        make_verifier(authority, leaf.chain_pem).verify(headers, body)


def test_signature_that_is_not_base64_is_rejected(authority, leaf):
    headers, body = signed(leaf.key)
    headers[SIGNATURE_HEADER] = "not base64!"
    with pytest.raises(BadSignature, match="base64"):
        make_verifier(authority, leaf.chain_pem).verify(headers, body)


def test_signature_over_reserialised_json_is_rejected(authority, leaf):
    """The signature covers the raw bytes: the same JSON with different whitespace must not verify."""
    headers, body = signed(leaf.key)
    with pytest.raises(BadSignature):
        make_verifier(authority, leaf.chain_pem).verify(headers, body.replace(b", ", b","))


# ----- timestamp, application ID, body ------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-150, 0, 150])
def test_timestamp_within_150_seconds_is_accepted(authority, leaf, offset):
    envelope = launch_envelope(moment=NOW + timedelta(seconds=offset))
    make_verifier(authority, leaf.chain_pem).verify(*signed(leaf.key, envelope))


@pytest.mark.parametrize("offset", [-151, 151], ids=["151s_old", "151s_ahead"])
def test_timestamp_151_seconds_off_is_rejected(authority, leaf, offset):
    envelope = launch_envelope(moment=NOW + timedelta(seconds=offset))
    with pytest.raises(TimestampOutOfWindow):
        make_verifier(authority, leaf.chain_pem).verify(*signed(leaf.key, envelope))


@pytest.mark.parametrize("stamp", [None, "yesterday"])
def test_missing_or_unreadable_timestamp_is_rejected(authority, leaf, stamp):
    envelope = launch_envelope(moment=NOW)
    envelope["request"]["timestamp"] = stamp
    with pytest.raises(TimestampOutOfWindow):
        make_verifier(authority, leaf.chain_pem).verify(*signed(leaf.key, envelope))


def test_wrong_skill_id_is_rejected(authority, leaf):
    envelope = launch_envelope(skill_id="amzn1.ask.skill.someone-else", moment=NOW)
    with pytest.raises(WrongApplicationId):
        make_verifier(authority, leaf.chain_pem).verify(*signed(leaf.key, envelope))


def test_session_for_another_skill_is_rejected_even_if_context_matches(authority, leaf):
    envelope = launch_envelope(moment=NOW)
    envelope["session"]["application"] = {"applicationId": "amzn1.ask.skill.someone-else"}
    with pytest.raises(WrongApplicationId):
        make_verifier(authority, leaf.chain_pem).verify(*signed(leaf.key, envelope))


def test_signed_malformed_json_is_rejected_as_malformed(authority, leaf):
    body = b'{"request": '
    with pytest.raises(MalformedRequest):
        make_verifier(authority, leaf.chain_pem).verify(RequestSigner(leaf.key)(body), body)


def test_verifier_needs_a_skill_id(authority):
    with pytest.raises(ValueError, match="skill ID"):
        AlexaRequestVerifier("", roots=[authority.root])


# ----- chain cache --------------------------------------------------------------------------------------


def test_chain_is_fetched_once_and_cached_until_it_expires(authority):
    short = authority.issue_leaf(not_before=NOW - timedelta(hours=1), not_after=NOW + timedelta(hours=1))
    calls: list[str] = []
    clock = Clock()
    verifier = make_verifier(authority, short.chain_pem, calls, clock=clock)
    for minutes in (0, 1, 59):
        clock.now = NOW + timedelta(minutes=minutes)
        verifier.verify(*signed(short.key, launch_envelope(moment=clock.now)))
    assert calls == [CERT_URL]
    clock.now = NOW + timedelta(hours=2)  # past the leaf's expiry: the cached entry is dropped and refetched
    with pytest.raises(CertificateExpired):
        verifier.verify(*signed(short.key, launch_envelope(moment=clock.now)))
    assert calls == [CERT_URL, CERT_URL]


def test_failed_validation_is_not_cached(authority, leaf):
    calls: list[str] = []
    rogue_leaf = SigningAuthority("Rogue").issue_leaf()
    verifier = make_verifier(authority, rogue_leaf.chain_pem, calls)
    for _ in range(2):
        with pytest.raises(UntrustedChain):
            verifier.verify(*signed(rogue_leaf.key))
    assert calls == [CERT_URL, CERT_URL]


def test_concurrent_first_requests_share_one_fetch(authority, leaf):
    calls: list[str] = []

    def slow_fetch(url: str) -> bytes:
        calls.append(url)
        time.sleep(0.2)
        return leaf.chain_pem

    verifier = AlexaRequestVerifier(SKILL_ID, roots=[authority.root], fetcher=slow_fetch, clock=Clock())
    errors: list[BaseException] = []

    def one() -> None:
        try:
            verifier.verify(*signed(leaf.key))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert errors == []
    assert calls == [CERT_URL]


def test_fetcher_exception_becomes_a_fetch_failure_fault_injected(authority, leaf):
    def broken(url: str) -> bytes:
        raise KeyError(url)

    verifier = AlexaRequestVerifier(SKILL_ID, roots=[authority.root], fetcher=broken, clock=Clock())
    with pytest.raises(CertFetchFailed):
        verifier.verify(*signed(leaf.key))


# ----- fetching over real HTTP (loopback) ----------------------------------------------------------------


class _ChainHandler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, bytes]] = {}
    delay = 0.0

    def do_GET(self) -> None:
        if self.delay:
            time.sleep(self.delay)
        data = self.routes.get(self.path)
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-pem-file")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def chain_server() -> Iterator[tuple[str, type[_ChainHandler]]]:
    handler = type("Handler", (_ChainHandler,), {"routes": {}, "delay": 0.0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def _to_loopback(base: str):
    return lambda url: url.replace("https://s3.amazonaws.com", base, 1)


def test_chain_fetched_over_real_http_from_loopback_with_fetch_redirected(authority, leaf, chain_server):
    """The URL rules still demand https://s3.amazonaws.com/echo.api/...; only the fetch goes to 127.0.0.1."""
    base, handler = chain_server
    handler.routes["/echo.api/echo-api-cert-test.pem"] = leaf.chain_pem
    fetcher = HttpFetcher(rewrite=_to_loopback(base))
    verifier = AlexaRequestVerifier(SKILL_ID, roots=[authority.root], fetcher=fetcher, clock=Clock())
    assert verifier.verify(*signed(leaf.key))["request"]["type"] == "LaunchRequest"
    handler.routes.clear()  # a second request must come from the cache, not the (now empty) server
    verifier.verify(*signed(leaf.key))


def test_fetch_of_missing_chain_over_real_http_fails_cleanly(authority, leaf, chain_server):
    base, _handler = chain_server
    verifier = AlexaRequestVerifier(
        SKILL_ID, roots=[authority.root], fetcher=HttpFetcher(rewrite=_to_loopback(base)), clock=Clock()
    )
    with pytest.raises(CertFetchFailed):
        verifier.verify(*signed(leaf.key))


def test_fetch_over_real_http_gives_up_after_its_timeout(authority, leaf, chain_server):
    base, handler = chain_server
    handler.routes["/echo.api/echo-api-cert-test.pem"] = leaf.chain_pem
    handler.delay = 1.5
    fetcher = HttpFetcher(timeout=0.3, rewrite=_to_loopback(base))
    started = time.monotonic()
    with pytest.raises(CertFetchFailed):
        fetcher(CERT_URL)
    assert time.monotonic() - started < 1.4


def test_fetch_over_real_http_refuses_an_oversized_chain(chain_server):
    base, handler = chain_server
    handler.routes["/echo.api/echo-api-cert-test.pem"] = b"A" * 2048
    with pytest.raises(CertFetchFailed, match="too large"):
        HttpFetcher(max_bytes=1024, rewrite=_to_loopback(base))(CERT_URL)


def test_default_fetch_timeout_is_short():
    assert FETCH_TIMEOUT_SECONDS <= 3
    assert HttpFetcher().timeout == FETCH_TIMEOUT_SECONDS


def test_signature_header_is_standard_base64_of_pkcs1v15_sha256(leaf):
    """Pins the signer used across the tests to Alexa's scheme, so the tests sign like Alexa does."""
    body = b'{"x": 1}'
    signature = base64.b64decode(RequestSigner(leaf.key)(body)[SIGNATURE_HEADER], validate=True)
    leaf.certificate.public_key().verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
