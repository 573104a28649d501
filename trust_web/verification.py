"""Alexa request verification: who signed this request, is it fresh, and is it for our skill.

Implements Amazon's rules for web-service skills: the signing-certificate URL, the certificate chain up to
a trusted root, a leaf naming echo-api.amazon.com, the `Signature-256` header over the raw body, a 150 s
timestamp window and the application ID. Chain checks use `cryptography`'s X.509 path validation (see README
for why this replaces flask-ask-sdk). Nothing here knows about Flask: the web layer passes headers and bytes.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import http.client
import json
import posixpath
import re
import socket
import ssl
import threading
import time
import urllib.parse
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import DNSName, PolicyBuilder, Store
from cryptography.x509.verification import VerificationError as PathValidationError

CERT_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"
CERT_HOST = "s3.amazonaws.com"
CERT_PATH_PREFIX = "/echo.api/"
SIGNING_NAME = "echo-api.amazon.com"
TIMESTAMP_TOLERANCE = timedelta(seconds=150)
# Skill events (skill disabled, permissions changed, ...) may be delivered late: Amazon's SDKs accept them up
# to an hour old. Only their age gets the hour; a timestamp ahead of the clock still gets 150 s.
SKILL_EVENT_TOLERANCE = timedelta(hours=1)
SKILL_EVENT_PREFIX = "AlexaSkillEvent."
FETCH_TIMEOUT_SECONDS = 2.0  # per network operation (connect, one read)
FETCH_TOTAL_SECONDS = 3.0  # the whole fetch, however the server trickles its answer
MAX_CHAIN_BYTES = 64 * 1024  # a PEM chain of a few certificates is ~5 KB; refuse anything absurd
MIN_RSA_KEY_BITS = 2048
# Fetches of URLs that are not cached, per minute: Alexa uses one chain for months, so a burst of new URLs is
# somebody trying them out. Beyond the budget the request is refused without any outbound fetch.
NEW_URL_FETCHES_PER_MINUTE = 6

Fetcher = Callable[[str], bytes]
Clock = Callable[[], datetime]


class RequestRejected(Exception):
    """Any reason to answer HTTP 400 without invoking the skill. `reason` is a stable code for logs."""

    reason = "rejected"


class MalformedRequest(RequestRejected):
    reason = "malformed_request"


class VerificationFailed(RequestRejected):
    """The request could not be proven to come from Alexa for this skill."""

    reason = "verification_failed"


class MissingHeader(VerificationFailed):
    reason = "missing_header"


class BadCertUrl(VerificationFailed):
    reason = "bad_cert_url"


class CertFetchFailed(VerificationFailed):
    reason = "cert_fetch_failed"


class BadCertificate(VerificationFailed):
    reason = "bad_certificate"


class CertificateExpired(VerificationFailed):
    reason = "certificate_expired"


class CertificateNameMismatch(VerificationFailed):
    reason = "certificate_name_mismatch"


class UntrustedChain(VerificationFailed):
    reason = "untrusted_chain"


class BadSignature(VerificationFailed):
    reason = "bad_signature"


class TimestampOutOfWindow(VerificationFailed):
    reason = "timestamp_out_of_window"


class WrongApplicationId(VerificationFailed):
    reason = "wrong_application_id"


def check_cert_url(url: str) -> str:
    """Apply Amazon's URL rules and return the normalised URL (the one that is fetched and cached)."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise BadCertUrl(f"certificate URL is not a valid URL: {error}") from None
    if parts.scheme.lower() != "https":
        raise BadCertUrl("certificate URL must use https")
    if (parts.hostname or "").lower() != CERT_HOST:
        raise BadCertUrl(f"certificate URL host must be {CERT_HOST}")
    if port is not None and port != 443:
        raise BadCertUrl("certificate URL port must be 443")
    if parts.username is not None or parts.password is not None:
        raise BadCertUrl("certificate URL must not carry credentials")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        # Amazon's chain URLs have none; allowing them would make endless distinct URLs for one file.
        raise BadCertUrl("certificate URL must not carry a query or fragment")
    # Decode first so "%2e%2e" cannot smuggle a ".." past normalisation; the prefix check is case-sensitive.
    path = posixpath.normpath(urllib.parse.unquote(parts.path)) if parts.path else ""
    if not path.startswith(CERT_PATH_PREFIX):
        raise BadCertUrl(f"certificate URL path must be under {CERT_PATH_PREFIX}")
    return urllib.parse.urlunsplit(("https", CERT_HOST, urllib.parse.quote(path), "", ""))


def parse_envelope(body: bytes) -> dict[str, Any]:
    """Decode the request body into a JSON object, or explain why not."""
    try:
        envelope = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise MalformedRequest("request body is not valid UTF-8 JSON") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("request"), dict):
        raise MalformedRequest("request body is not an Alexa request envelope")
    return envelope


def decode_signature(signature_b64: str) -> bytes:
    """The `Signature-256` bytes: strict base64, as long as an RSA signature of 2048 to 8192 bits. Checked
    before anything is fetched, so a request that is not even signed never causes an outbound fetch."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise BadSignature("signature header is not base64") from None
    if not MIN_RSA_KEY_BITS // 8 <= len(signature) <= 1024:
        raise BadSignature("signature header does not hold an RSA signature of a usable size")
    return signature


def check_signing_key(leaf: x509.Certificate) -> rsa.RSAPublicKey:
    """The leaf's key must be RSA of at least MIN_RSA_KEY_BITS bits."""
    key = leaf.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise BadCertificate("signing certificate does not hold an RSA key")
    if key.key_size < MIN_RSA_KEY_BITS:
        raise BadCertificate(f"signing key is shorter than {MIN_RSA_KEY_BITS} bits")
    return key


def check_signature(leaf: x509.Certificate, signature_b64: str | bytes, body: bytes) -> None:
    """`Signature-256` is base64 of an RSA PKCS#1 v1.5 SHA-256 signature over the exact body bytes."""
    signature = decode_signature(signature_b64) if isinstance(signature_b64, str) else signature_b64
    key = check_signing_key(leaf)
    try:
        key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise BadSignature("signature does not match the request body") from None


def check_timestamp(envelope: Mapping[str, Any], now: datetime) -> None:
    raw = envelope["request"].get("timestamp")
    if not isinstance(raw, str):
        raise TimestampOutOfWindow("request has no timestamp")
    try:
        stamp = datetime.fromisoformat(raw)
    except ValueError:
        raise TimestampOutOfWindow("request timestamp is not ISO 8601") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    request_type = envelope["request"].get("type")
    is_event = isinstance(request_type, str) and request_type.startswith(SKILL_EVENT_PREFIX)
    oldest = SKILL_EVENT_TOLERANCE if is_event else TIMESTAMP_TOLERANCE
    if now - stamp > oldest:
        raise TimestampOutOfWindow(f"request timestamp is more than {int(oldest.total_seconds())} s old")
    if stamp - now > TIMESTAMP_TOLERANCE:
        raise TimestampOutOfWindow("request timestamp is more than 150 s ahead")


def _application_ids(envelope: Mapping[str, Any]) -> list[Any]:
    def field(holder: Any, name: str) -> Any:
        return holder.get(name) if isinstance(holder, Mapping) else None  # odd shapes: simply absent

    ids = [field(field(field(envelope.get("context"), "System"), "application"), "applicationId")]
    session = envelope.get("session")
    if session:
        ids.append(field(field(session, "application"), "applicationId"))
        if not isinstance(session, Mapping):
            ids.append(session)  # a session that is not an object cannot name our skill
    return [i for i in ids if i is not None]


def check_application_id(envelope: Mapping[str, Any], skill_id: str) -> None:
    """Every application ID the envelope carries (context and session) must be our skill's."""
    ids = _application_ids(envelope)
    if not ids:
        raise WrongApplicationId("request carries no application ID")
    if any(i != skill_id for i in ids):
        raise WrongApplicationId("request is for a different skill")


def check_leaf(leaf: x509.Certificate, now: datetime) -> None:
    """Explicit checks before path validation, so each failure gets its own clear answer."""
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        raise CertificateExpired("signing certificate is expired or not yet valid")
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise CertificateNameMismatch(f"signing certificate has no SAN naming {SIGNING_NAME}") from None
    if SIGNING_NAME not in names.get_values_for_type(x509.DNSName):
        raise CertificateNameMismatch(f"signing certificate does not name {SIGNING_NAME}")


def validate_chain(pem: bytes, store: Store, now: datetime) -> list[x509.Certificate]:
    """Parse a PEM chain (leaf first) and validate it to a root in `store`; return leaf..root."""
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise BadCertificate("certificate chain is not PEM") from None
    leaf, intermediates = certs[0], certs[1:]
    check_leaf(leaf, now)
    # A server-name policy for echo-api.amazon.com: the SAN must match, and webpki rules apply to the path.
    verifier = PolicyBuilder().store(store).time(now).build_server_verifier(DNSName(SIGNING_NAME))
    try:
        return verifier.verify(leaf, intermediates)
    except PathValidationError as error:
        raise UntrustedChain(f"certificate chain does not validate: {error}") from None


def default_roots() -> list[x509.Certificate]:
    """The public web roots (certifi's bundle), which include the roots Amazon's signing chain leads to."""
    import certifi  # shipped with requests; imported here so injected roots need nothing else

    with open(certifi.where(), "rb") as bundle:
        blocks = re.findall(
            rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", bundle.read(), re.DOTALL
        )
    roots = []
    for block in blocks:
        # Parse one by one and skip the odd legacy root that breaks RFC 5280 (e.g. a negative serial), which
        # `cryptography` warns about today and will refuse later; Amazon's chains do not lead to those.
        with warnings.catch_warnings():
            warnings.simplefilter("error", CryptographyDeprecationWarning)
            try:
                roots.append(x509.load_pem_x509_certificate(block))
            except (ValueError, CryptographyDeprecationWarning):
                continue
    return roots


class HttpFetcher:
    """GET the chain with a short timeout per network operation, a bound on the whole fetch and a size cap.

    The whole fetch (connect, TLS, headers, body) ends by `total_timeout` however slowly the server
    trickles: a watchdog closes the socket at the deadline, so no read can outlive it. No redirects.
    `rewrite` maps the checked URL to the address actually contacted: only a test serving the chain from
    127.0.0.1 sets it; the URL rules stay strict."""

    def __init__(
        self,
        timeout: float = FETCH_TIMEOUT_SECONDS,
        max_bytes: int = MAX_CHAIN_BYTES,
        rewrite: Callable[[str], str] | None = None,
        total_timeout: float = FETCH_TOTAL_SECONDS,
    ) -> None:
        self.timeout = timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.rewrite = rewrite
        self._tls = ssl.create_default_context()

    def __call__(self, url: str) -> bytes:
        target = urllib.parse.urlsplit(self.rewrite(url) if self.rewrite else url)
        deadline = time.monotonic() + self.total_timeout
        per_operation = min(self.timeout, self.total_timeout)
        conn: http.client.HTTPConnection
        if target.scheme == "https":
            conn = http.client.HTTPSConnection(
                target.hostname or "", target.port, timeout=per_operation, context=self._tls
            )
        else:
            conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=per_operation)
        watchdog = threading.Timer(self.total_timeout, _abort, args=(conn,))
        watchdog.daemon = True
        watchdog.start()
        response: http.client.HTTPResponse | None = None
        try:
            conn.request("GET", target.path or "/")
            response = conn.getresponse()
            if response.status != 200:
                raise CertFetchFailed(f"could not fetch the certificate chain: HTTP {response.status}")
            data = b""
            while len(data) <= self.max_bytes:
                if time.monotonic() >= deadline:
                    raise CertFetchFailed("certificate fetch took too long")
                chunk = response.read1(16 * 1024)
                if not chunk:
                    break
                data += chunk
            if time.monotonic() >= deadline:  # the watchdog cut the socket: what came is not the chain
                raise CertFetchFailed("certificate fetch took too long")
            if response.length:  # fewer bytes than Content-Length promised
                raise CertFetchFailed("certificate chain arrived incomplete")
        except (OSError, http.client.HTTPException, ValueError) as error:
            if time.monotonic() >= deadline:
                raise CertFetchFailed("certificate fetch took too long") from None
            raise CertFetchFailed(f"could not fetch the certificate chain: {type(error).__name__}") from None
        finally:
            watchdog.cancel()
            if response is not None:
                response.close()
            conn.close()
        if len(data) > self.max_bytes:
            raise CertFetchFailed("certificate chain is too large")
        return data


def _abort(conn: http.client.HTTPConnection) -> None:
    """The fetch's deadline passed: unblock whatever read or handshake is waiting on its socket."""
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class Headers(Protocol):
    """What `verify` reads headers through: a plain dict, or a web framework's case-insensitive headers."""

    def get(self, key: str, /) -> str | None: ...


@dataclass
class _CachedChain:
    leaf: x509.Certificate
    expires: datetime
    proven: bool = False  # a request signed with its key verified: evicted last


class _Flight:
    """One fetch in progress for a URL; every request that wants it waits for its one outcome."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.leaf: x509.Certificate | None = None
        self.error: VerificationFailed | None = None


class AlexaRequestVerifier:
    """Verify one request: `verify(headers, body)` returns the parsed envelope or raises RequestRejected.

    Order: everything that needs no network first (headers, URL rules, the signature's form, the envelope,
    its timestamp and application ID), so a request that is not signed, not fresh or not for this skill
    never causes an outbound fetch. Then the chain: cached by normalised URL until the first certificate
    in it expires. The cache is bounded and thread-safe; chains that verified a signature are evicted only
    after those that never did, so unsigned requests naming other valid URLs cannot push the genuine chain
    out. Concurrent requests for one uncached URL share a single fetch and its single outcome, success or
    failure (failures are not cached, and not serialised: nobody waits behind a failed fetch to try again).
    New URLs may be fetched at most NEW_URL_FETCHES_PER_MINUTE times a minute.
    """

    def __init__(
        self,
        skill_id: str,
        roots: list[x509.Certificate] | None = None,
        fetcher: Fetcher | None = None,
        clock: Clock | None = None,
        cache_size: int = 32,
        fetches_per_minute: int = NEW_URL_FETCHES_PER_MINUTE,
        fetch_wait_seconds: float = FETCH_TOTAL_SECONDS + 1.0,
    ) -> None:
        if not skill_id:
            raise ValueError("a skill ID is required to verify requests")
        self.skill_id = skill_id
        self._store = Store(roots if roots is not None else default_roots())
        self._fetch = fetcher or HttpFetcher()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._cache: OrderedDict[str, _CachedChain] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}
        self._fetches_per_minute = fetches_per_minute
        self._fetch_times: list[float] = []  # monotonic times of recent fetches, for the budget
        self._fetch_wait = fetch_wait_seconds

    def verify(self, headers: Headers, body: bytes) -> dict[str, Any]:
        cert_url = headers.get(CERT_URL_HEADER)
        signature_b64 = headers.get(SIGNATURE_HEADER)
        if not cert_url or not signature_b64:
            raise MissingHeader(f"{CERT_URL_HEADER} and {SIGNATURE_HEADER} headers are required")
        now = self._clock()
        if now.tzinfo is None:  # an injected clock may give naive UTC; comparisons need an aware time
            now = now.replace(tzinfo=UTC)
        url = check_cert_url(cert_url)
        signature = decode_signature(signature_b64)
        envelope = parse_envelope(body)
        check_timestamp(envelope, now)
        check_application_id(envelope, self.skill_id)
        leaf = self.signing_certificate(url, now)
        check_signature(leaf, signature, body)
        self._mark_proven(url)
        return envelope

    def signing_certificate(self, url: str, now: datetime) -> x509.Certificate:
        """The validated leaf for `url`, from the cache while every certificate in its chain is valid."""
        cached = self._cached(url, now)
        if cached:
            return cached
        with self._lock:
            flight = self._flights.get(url)
            leader = flight is None
            if flight is None:
                self._spend_fetch_budget()  # raises when new URLs come too fast: no fetch at all
                flight = self._flights[url] = _Flight()
        if not leader:
            if not flight.done.wait(self._fetch_wait):
                raise CertFetchFailed("timed out waiting for the certificate chain")
            if flight.error is not None:
                raise type(flight.error)(str(flight.error))
            if flight.leaf is None:  # pragma: no cover - a finished flight has one or the other
                raise CertFetchFailed("certificate chain unavailable")
            check_leaf(flight.leaf, now)
            return flight.leaf
        try:
            entry = self._fetch_and_validate(url, now)
            self._remember(url, entry)
            flight.leaf = entry.leaf
            return entry.leaf
        except VerificationFailed as error:
            flight.error = error
            raise
        finally:
            with self._lock:
                self._flights.pop(url, None)
            flight.done.set()

    def _spend_fetch_budget(self) -> None:
        """Called with the lock held."""
        if self._fetches_per_minute <= 0:
            return
        moment = time.monotonic()
        self._fetch_times = [t for t in self._fetch_times if moment - t < 60.0]
        if len(self._fetch_times) >= self._fetches_per_minute:
            raise CertFetchFailed("too many new certificate URLs; not fetching now")
        self._fetch_times.append(moment)

    def _remember(self, url: str, entry: _CachedChain) -> None:
        with self._lock:
            self._cache[url] = entry
            self._cache.move_to_end(url)
            while len(self._cache) > self._cache_size:
                unproven = next((key for key, value in self._cache.items() if not value.proven), None)
                self._cache.pop(unproven if unproven is not None else next(iter(self._cache)))

    def _mark_proven(self, url: str) -> None:
        with self._lock:
            entry = self._cache.get(url)
            if entry is not None:
                entry.proven = True

    def _fetch_and_validate(self, url: str, now: datetime) -> _CachedChain:
        try:
            pem = self._fetch(url)
        except VerificationFailed:
            raise
        except Exception as error:  # an injected fetcher's failure is still just a failed fetch
            raise CertFetchFailed(f"could not fetch the certificate chain: {type(error).__name__}") from None
        chain = validate_chain(pem, self._store, now)
        check_signing_key(chain[0])
        return _CachedChain(chain[0], min(cert.not_valid_after_utc for cert in chain))

    def _cached(self, url: str, now: datetime) -> x509.Certificate | None:
        with self._lock:
            entry = self._cache.get(url)
            if entry is None:
                return None
            if now >= entry.expires:
                del self._cache[url]
                return None
            self._cache.move_to_end(url)
        check_leaf(entry.leaf, now)  # not_valid_before can still be in the future on a skewed clock
        return entry.leaf
