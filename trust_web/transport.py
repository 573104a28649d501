"""Talk to a running web service the way Alexa does: POST the request envelope, optionally signed."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import requests

Signer = Callable[[bytes], Mapping[str, str]]


class TransportError(RuntimeError):
    """The web service did not answer with a skill response (HTTP error, or not JSON)."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(f"{status or 'no answer'}: {message}")
        self.status = status


class HttpTransport:
    """A callable (event, context=None) -> response dict, like lambda_handler but over real HTTP.

    `signer(body) -> headers` adds SignatureCertChainUrl and Signature-256; without it requests go unsigned
    (only a server started with --no-verify accepts them). One instance keeps one keep-alive connection:
    use one per thread.
    """

    def __init__(self, url: str, signer: Signer | None = None, timeout: float = 10.0) -> None:
        self.url = url
        self.signer = signer
        self.timeout = timeout
        self._session = requests.Session()

    def __call__(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        body = json.dumps(event).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.signer:
            headers.update(self.signer(body))
        try:
            response = self._session.post(self.url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as error:
            raise TransportError(None, f"cannot reach {self.url}: {type(error).__name__}") from None
        try:
            payload = response.json()
        except ValueError:
            raise TransportError(response.status_code, "the answer is not JSON") from None
        if response.status_code != 200:
            message = payload.get("error") if isinstance(payload, dict) else None
            raise TransportError(response.status_code, str(message or response.reason))
        return payload

    def close(self) -> None:
        self._session.close()
