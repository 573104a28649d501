"""Skill events Alexa sends outside any conversation (skill.json subscribes to them)."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from trust_builder import household

logger = logging.getLogger(__name__)

SKILL_DISABLED = "AlexaSkillEvent.SkillDisabled"


class SkillDisabledHandler(AbstractRequestHandler):
    """Disabling the skill deletes the household's stored progress: keep the least, no longer than needed."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type(SKILL_DISABLED)(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        if not household.forget(handler_input):
            logger.warning("skill disabled, but the household's progress could not be deleted")
        return handler_input.response_builder.response
