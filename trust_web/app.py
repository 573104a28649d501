"""Flask app serving the skill as an Alexa web-service endpoint: verify, invoke the skill, answer JSON."""

from __future__ import annotations

import time
from typing import Any

from ask_sdk_core.skill import CustomSkill
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from trust_web.logs import get_logger
from trust_web.verification import AlexaRequestVerifier, RequestRejected, parse_envelope

MAX_BODY_BYTES = 128 * 1024  # Alexa requests are a few KB; a cap keeps a flood of junk cheap to refuse
ENDPOINT_PATHS = ("/", "/alexa")
REQUEST_ENVELOPE_TYPE = "ask_sdk_model.RequestEnvelope"


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    return response


def _summary(envelope: dict[str, Any]) -> dict[str, Any]:
    """What is safe to log about a request: its type and intent name, never IDs, slots or names."""
    alexa_request = envelope.get("request") or {}
    intent = alexa_request.get("intent") or {}
    return {"request_type": alexa_request.get("type"), "intent": intent.get("name")}


def create_app(
    skill: CustomSkill,
    verifier: AlexaRequestVerifier | None,
    *,
    allow_unverified: bool = False,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Flask:
    """Build the web service. `verifier=None` also needs `allow_unverified=True`: never by accident."""
    if verifier is None and not allow_unverified:
        raise ValueError("request verification is required; pass allow_unverified=True only for development")
    app = Flask("trust_web")
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    log = get_logger()

    def handle_alexa_request() -> Response:
        started = time.perf_counter()
        body = request.get_data(cache=False)
        try:
            envelope = verifier.verify(request.headers, body) if verifier else parse_envelope(body)
        except RequestRejected as rejection:
            log.warning(
                "request_rejected",
                extra={"status": 400, "reason": rejection.reason, "detail": str(rejection)},
            )
            return _error(400, str(rejection))
        summary = _summary(envelope)
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
        return jsonify(payload)

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
