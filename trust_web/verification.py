"""Alexa request verification: who signed this request, is it fresh, and is it for our skill.

Implements Amazon's rules for web-service skills: the signing-certificate URL, the certificate chain up to
a trusted root, a leaf naming echo-api.amazon.com, the `Signature-256` header over the raw body, a 150 s
timestamp window and the application ID. Chain checks use `cryptography`'s X.509 path validation (see README
for why this replaces flask-ask-sdk). Nothing here knows about Flask: the web layer passes headers and bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
import re
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
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
FETCH_TIMEOUT_SECONDS = 2.0
MAX_CHAIN_BYTES = 64 * 1024  # a PEM chain of a few certificates is ~5 KB; refuse anything absurd

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
    # Decode first so "%2e%2e" cannot smuggle a ".." past normalisation; the prefix check is case-sensitive.
    path = posixpath.normpath(urllib.parse.unquote(parts.path)) if parts.path else ""
    if not path.startswith(CERT_PATH_PREFIX):
        raise BadCertUrl(f"certificate URL path must be under {CERT_PATH_PREFIX}")
    return urllib.parse.urlunsplit(("https", CERT_HOST, urllib.parse.quote(path), parts.query, ""))


def parse_envelope(body: bytes) -> dict[str, Any]:
    """Decode the request body into a JSON object, or explain why not."""
    try:
        envelope = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedRequest("request body is not valid UTF-8 JSON") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("request"), dict):
        raise MalformedRequest("request body is not an Alexa request envelope")
    return envelope


def check_signature(leaf: x509.Certificate, signature_b64: str, body: bytes) -> None:
    """`Signature-256` is base64 of an RSA PKCS#1 v1.5 SHA-256 signature over the exact body bytes."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise BadSignature("signature header is not base64") from None
    key = leaf.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise BadSignature("signing certificate does not hold an RSA key")
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
    if abs(now - stamp) > TIMESTAMP_TOLERANCE:
        raise TimestampOutOfWindow("request timestamp is more than 150 s from now")


def _application_ids(envelope: Mapping[str, Any]) -> list[Any]:
    ids = []
    system = (envelope.get("context") or {}).get("System") or {}
    ids.append((system.get("application") or {}).get("applicationId"))
    session = envelope.get("session") or {}
    if session:
        ids.append((session.get("application") or {}).get("applicationId"))
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
    """GET the chain with a short timeout and a size cap. `rewrite` maps the checked URL to the address
    actually contacted: only a test serving the chain from 127.0.0.1 sets it; the URL rules stay strict."""

    def __init__(
        self,
        timeout: float = FETCH_TIMEOUT_SECONDS,
        max_bytes: int = MAX_CHAIN_BYTES,
        rewrite: Callable[[str], str] | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.rewrite = rewrite
        self._tls = ssl.create_default_context()

    def __call__(self, url: str) -> bytes:
        target = self.rewrite(url) if self.rewrite else url
        try:
            with urllib.request.urlopen(target, timeout=self.timeout, context=self._tls) as response:
                data = response.read(self.max_bytes + 1)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise CertFetchFailed(f"could not fetch the certificate chain: {error}") from None
        if len(data) > self.max_bytes:
            raise CertFetchFailed("certificate chain is too large")
        return data


class Headers(Protocol):
    """What `verify` reads headers through: a plain dict, or a web framework's case-insensitive headers."""

    def get(self, key: str, /) -> str | None: ...


@dataclass(frozen=True)
class _CachedChain:
    leaf: x509.Certificate
    expires: datetime


class AlexaRequestVerifier:
    """Verify one request: `verify(headers, body)` returns the parsed envelope or raises RequestRejected.

    Chains are cached by normalised URL until the first certificate in them expires; the cache is bounded
    and thread-safe, and concurrent requests for one new URL share a single fetch.
    """

    def __init__(
        self,
        skill_id: str,
        roots: list[x509.Certificate] | None = None,
        fetcher: Fetcher | None = None,
        clock: Clock | None = None,
        cache_size: int = 32,
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
        self._url_locks: dict[str, threading.Lock] = {}

    def verify(self, headers: Headers, body: bytes) -> dict[str, Any]:
        cert_url = headers.get(CERT_URL_HEADER)
        signature = headers.get(SIGNATURE_HEADER)
        if not cert_url or not signature:
            raise MissingHeader(f"{CERT_URL_HEADER} and {SIGNATURE_HEADER} headers are required")
        now = self._clock()
        if now.tzinfo is None:  # an injected clock may give naive UTC; comparisons need an aware time
            now = now.replace(tzinfo=UTC)
        leaf = self.signing_certificate(check_cert_url(cert_url), now)
        check_signature(leaf, signature, body)
        envelope = parse_envelope(body)
        check_timestamp(envelope, now)
        check_application_id(envelope, self.skill_id)
        return envelope

    def signing_certificate(self, url: str, now: datetime) -> x509.Certificate:
        """The validated leaf for `url`, from the cache while every certificate in its chain is valid."""
        cached = self._cached(url, now)
        if cached:
            return cached
        with self._url_lock(url):
            try:
                cached = self._cached(url, now)  # another thread may have fetched it while we waited
                if cached:
                    return cached
                entry = self._fetch_and_validate(url, now)
                with self._lock:
                    self._cache[url] = entry
                    self._cache.move_to_end(url)
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
                return entry.leaf
            finally:
                with self._lock:  # failures are not cached, and their locks must not pile up either
                    self._url_locks.pop(url, None)

    def _fetch_and_validate(self, url: str, now: datetime) -> _CachedChain:
        try:
            pem = self._fetch(url)
        except VerificationFailed:
            raise
        except Exception as error:  # an injected fetcher's failure is still just a failed fetch
            raise CertFetchFailed(f"could not fetch the certificate chain: {error}") from None
        chain = validate_chain(pem, self._store, now)
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

    def _url_lock(self, url: str) -> threading.Lock:
        with self._lock:
            return self._url_locks.setdefault(url, threading.Lock())
