"""Assemble the served app from configuration: the real skill on the configured storage, verification on."""

from __future__ import annotations

import logging
import os

from ask_sdk_core.skill import CustomSkill
from flask import Flask

from trust_web.app import create_app
from trust_web.logs import configure_json_logging, get_logger
from trust_web.verification import AlexaRequestVerifier

SKILL_ID_ENV = "ALEXA_SKILL_ID"


def build_skill_from_env() -> CustomSkill:
    """The same skill the Lambda serves (timers included), on the embedded storage unless the environment
    selects DynamoDB."""
    from trust_builder.skill import build_skill
    from trust_builder.storage import adapter_from_env
    from trust_builder.timers import BoundedApiClient

    return build_skill(adapter_from_env(), api_client=BoundedApiClient())


def build_app(skill_id: str | None, *, verify: bool = True) -> Flask:
    """The served app. `verify=False` is the development switch and is logged loudly every time it is used."""
    log = get_logger()
    if verify and not skill_id:
        raise ValueError(f"a skill ID is required: pass --skill-id or set {SKILL_ID_ENV}")
    if not verify:
        log.warning(
            "REQUEST VERIFICATION IS OFF: anyone who can reach this port can drive the skill. "
            "Development only; never expose this server.",
            extra={"verification": "off"},
        )
    verifier = AlexaRequestVerifier(skill_id) if verify and skill_id else None
    return create_app(build_skill_from_env(), verifier, allow_unverified=not verify)


def create_app_from_env() -> Flask:
    """Entry point for a production WSGI server (gunicorn): verification is always on here."""
    configure_json_logging(logging.INFO)
    return build_app(os.environ.get(SKILL_ID_ENV), verify=True)
