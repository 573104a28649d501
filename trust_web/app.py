"""Flask app serving the skill as an Alexa web-service endpoint: verify, invoke the skill, answer JSON.

Every answer is strict JSON (no NaN or Infinity). An envelope that passes verification but is not one the
ASK SDK can serve (a `context` that is a string, a `session` that is a list, absurd nesting) gets 400, like
any other bad request. The body is read with a time bound (BODY_READ_TIMEOUT_SECONDS in all, and per read),
so a client trickling its body cannot hold a worker thread; the TLS proxy in front should buffer bodies
anyway (README).
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import time
from typing import Any

from ask_sdk_core.skill import CustomSkill
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from trust_builder.envelope import looks_like_alexa_request
from trust_web.logs import get_logger
from trust_web.verification import AlexaRequestVerifier, RequestRejected, parse_envelope

MAX_BODY_BYTES = 128 * 1024  # Alexa requests are a few KB; a cap keeps a flood of junk cheap to refuse
ENDPOINT_PATHS = ("/", "/alexa")
REQUEST_ENVELOPE_TYPE = "ask_sdk_model.RequestEnvelope"
BODY_READ_TIMEOUT_SECONDS = 10.0  # Alexa sends a few KB at once; nobody honest needs longer


class BodyTimeout(Exception):
    """The client did not send its whole body in time."""


def read_body(environ: dict[str, Any], length: int, timeout: float) -> bytes:
    """The request body, read within `timeout` seconds in all, or BodyTimeout.

    Both served configurations expose the connection's socket (werkzeug: "werkzeug.socket", gunicorn:
    "gunicorn.socket"), so each read gets the time that is left; without one the stream is read as is."""
    stream = environ["wsgi.input"]
    sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
    previous = sock.gettimeout() if isinstance(sock, socket.socket) else None
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    received = 0
    try:
        while received < length:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BodyTimeout
            if isinstance(sock, socket.socket):
                sock.settimeout(remaining)
            chunk = stream.read(min(64 * 1024, length - received))
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
    except (TimeoutError, OSError) as error:
        raise BodyTimeout from error
    finally:
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # the client may have gone already
                sock.settimeout(previous)
    return b"".join(chunks)


def strict_json(payload: Any) -> Response:
    """Serialised without NaN or Infinity (which are not JSON); any such number becomes null."""
    try:
        text = json.dumps(payload, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(payload), allow_nan=False)
    return Response(text, mimetype="application/json")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    return response


def _summary(envelope: dict[str, Any]) -> dict[str, Any]:
    """What is safe to log about a request: its type and intent name, never IDs, slots or names."""
    alexa_request = envelope.get("request")
    alexa_request = alexa_request if isinstance(alexa_request, dict) else {}
    intent = alexa_request.get("intent")
    intent = intent if isinstance(intent, dict) else {}
    kind, name = alexa_request.get("type"), intent.get("name")
    return {
        "request_type": kind if isinstance(kind, str) else None,
        "intent": name if isinstance(name, str) else None,
    }


def create_app(
    skill: CustomSkill,
    verifier: AlexaRequestVerifier | None,
    *,
    allow_unverified: bool = False,
    max_body_bytes: int = MAX_BODY_BYTES,
    body_read_timeout: float = BODY_READ_TIMEOUT_SECONDS,
) -> Flask:
    """Build the web service. `verifier=None` also needs `allow_unverified=True`: never by accident."""
    if verifier is None and not allow_unverified:
        raise ValueError("request verification is required; pass allow_unverified=True only for development")
    app = Flask("trust_web")
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    log = get_logger()

    def handle_alexa_request() -> Response:
        started = time.perf_counter()
        if request.content_length is None:
            return _error(411, "a Content-Length is required")
        if request.content_length > max_body_bytes:
            return _error(413, "request body is too large")
        try:
            body = read_body(request.environ, request.content_length, body_read_timeout)
        except BodyTimeout:
            log.warning("request_rejected", extra={"status": 408, "reason": "body_read_timeout"})
            response = _error(408, "the request body did not arrive in time")
            response.headers["Connection"] = "close"
            return response
        try:
            envelope = verifier.verify(request.headers, body) if verifier else parse_envelope(body)
        except RequestRejected as rejection:
            log.warning(
                "request_rejected",
                extra={"status": 400, "reason": rejection.reason, "detail": str(rejection)},
            )
            return _error(400, str(rejection))
        summary = _summary(envelope)
        if not looks_like_alexa_request(envelope):
            log.warning("request_rejected", extra={"status": 400, "reason": "bad_envelope", **summary})
            return _error(400, "request body is not a valid Alexa request envelope")
        try:
            request_envelope = skill.serializer.deserialize(body.decode("utf-8"), REQUEST_ENVELOPE_TYPE)
        except Exception as error:  # the SDK raises SerializationException, or TypeError on odd shapes
            log.warning(
                "request_rejected",
                extra={"status": 400, "reason": "bad_envelope", "error": type(error).__name__, **summary},
            )
            return _error(400, "request body is not a valid Alexa request envelope")
        try:
            response_envelope = skill.invoke(request_envelope, context=None)
            payload = skill.serializer.serialize(response_envelope)
        except Exception as error:  # log the type only: messages can echo what the user said
            log.error("skill_failed", extra={"status": 500, "error": type(error).__name__, **summary})
            return _error(500, "the skill could not handle this request")
        log.info(
            "request_handled",
            extra={"status": 200, **summary, "ms": round((time.perf_counter() - started) * 1000, 2)},
        )
        return strict_json(payload)

    for path in ENDPOINT_PATHS:
        app.add_url_rule(path, f"alexa{path.replace('/', '_')}", handle_alexa_request, methods=["POST"])

    @app.get("/health")
    def health() -> Response:
        return jsonify({"status": "ok", "verification": "on" if verifier else "off"})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        response = _error(error.code or 500, error.description or error.name)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    return app
