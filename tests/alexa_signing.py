"""Test-only signing authority: a generated root CA, an intermediate, echo-api leaves and a request signer.

Tests (and benchmarks/bench_web.py) inject `authority.root` as the only trusted root, so requests signed here
pass real path validation and signature checks, while variants (expired, no SAN, untrusted issuer) fail them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from trust_web.verification import CERT_URL_HEADER, SIGNATURE_HEADER, SIGNING_NAME

CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
SKILL_ID = "amzn1.ask.skill.00000000-test-4000-8000-000000000001"


@cache
def key_for(label: str) -> rsa.RSAPrivateKey:
    """One 2048-bit key per role, generated once per process (the webpki policy rejects smaller RSA keys)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def ca_certificate(
    subject: str, key: rsa.RSAPrivateKey, issuer: x509.Certificate | None, issuer_key: rsa.RSAPrivateKey
) -> x509.Certificate:
    now = datetime.now(UTC)
    issuer_name = issuer.subject if issuer else _name(subject)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class Leaf:
    """A signing leaf: its certificate, its key, and the PEM chain (leaf first) a fetcher would serve."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    chain_pem: bytes


class SigningAuthority:
    """Root CA -> intermediate -> leaves, like Amazon's chain. `name` keeps two authorities distinct."""

    def __init__(self, name: str = "Trust Builder Test") -> None:
        self.root_key = key_for(f"{name} root")
        self.root = ca_certificate(f"{name} Root CA", self.root_key, None, self.root_key)
        self.intermediate_key = key_for(f"{name} intermediate")
        self.intermediate = ca_certificate(
            f"{name} Intermediate CA", self.intermediate_key, self.root, self.root_key
        )

    def issue_leaf(
        self,
        dns_names: tuple[str, ...] = (SIGNING_NAME,),
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> Leaf:
        now = datetime.now(UTC)
        key = key_for("leaf")
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(SIGNING_NAME))
            .issuer_name(self.intermediate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - timedelta(hours=1))
            .not_valid_after(not_after or now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.intermediate_key.public_key()),
                critical=False,
            )
        )
        if dns_names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
            )
        certificate = builder.sign(self.intermediate_key, hashes.SHA256())
        pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (certificate, self.intermediate))
        return Leaf(certificate, key, pem)

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)


class RequestSigner:
    """Adds the two Alexa signature headers for a body, the way Alexa signs requests to web services."""

    def __init__(self, key: rsa.RSAPrivateKey, cert_url: str = CERT_URL) -> None:
        self.key = key
        self.cert_url = cert_url

    def __call__(self, body: bytes) -> dict[str, str]:
        signature = self.key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return {CERT_URL_HEADER: self.cert_url, SIGNATURE_HEADER: base64.b64encode(signature).decode("ascii")}


def memory_fetcher(chains: Mapping[str, bytes], calls: list[str] | None = None) -> Callable[[str], bytes]:
    """Serve PEM chains by URL from memory; records each fetched URL in `calls` when given."""

    def fetch(url: str) -> bytes:
        if calls is not None:
            calls.append(url)
        return chains[url]

    return fetch


def timestamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def launch_envelope(
    skill_id: str = SKILL_ID, user_id: str = "amzn1.ask.account.TEST", moment: datetime | None = None
) -> dict[str, Any]:
    """A minimal, well-formed LaunchRequest envelope, enough for the HTTP-layer tests."""
    application = {"applicationId": skill_id}
    user = {"userId": user_id}
    return {
        "version": "1.0",
        "session": {
            "new": True,
            "sessionId": "amzn1.echo-api.session.TEST",
            "application": application,
            "user": user,
            "attributes": {},
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": "amzn1.ask.device.TEST", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        },
        "request": {
            "type": "LaunchRequest",
            "requestId": "amzn1.echo-api.request.TEST",
            "timestamp": timestamp(moment),
            "locale": "en-US",
        },
    }


def encode(envelope: Mapping[str, Any]) -> bytes:
    return json.dumps(envelope).encode("utf-8")


def other_key() -> rsa.RSAPrivateKey:
    """A key no certificate here belongs to: signatures made with it must not verify."""
    return key_for("unrelated")
