"""The skill's wiring against the interaction model: every intent in the model has a handler that answers it
(in some state), and every intent a handler names is in the model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from trust_builder.exercise import start
from trust_builder.handlers import standard
from trust_builder.skill import build_skill_builder
from trust_builder.storage import SqliteAdapter
from trust_console import envelopes

ROOT = Path(__file__).parents[1]
MODEL = json.loads((ROOT / "interaction_models" / "en-US.json").read_text(encoding="utf-8"))
MODEL_INTENTS = {intent["name"] for intent in MODEL["interactionModel"]["languageModel"]["intents"]}
HANDLER_SOURCES = sorted((ROOT / "lambda" / "trust_builder" / "handlers").glob("*.py"))

# Modes an intent can be meaningful in (the exercise owns its setup intents).
MODES = [
    {},
    {"mode": "steps", "step": 3},
    {"mode": "exercise", "exercise": start().to_dict()},
]


@pytest.fixture(scope="module")
def handlers(tmp_path_factory):
    builder = build_skill_builder(SqliteAdapter(tmp_path_factory.mktemp("data") / "skill.sqlite3"))
    chains = builder.skill_configuration.request_mappers[0].request_handler_chains
    return [chain.request_handler for chain in chains]


def _first_taker(handlers, intent: str, attributes: dict):
    identity = envelopes.DeviceIdentity()
    session = envelopes.SessionState("amzn1.echo-api.session.wiring", False, {"progress": None, **attributes})
    event = envelopes.envelope(envelopes.intent_request(intent), identity, session)
    request = DefaultSerializer().deserialize(json.dumps(event), RequestEnvelope)
    handler_input = HandlerInput(request_envelope=request, attributes_manager=AttributesManager(request))
    return next(handler for handler in handlers if handler.can_handle(handler_input))


@pytest.mark.parametrize("intent", sorted(MODEL_INTENTS - {"AMAZON.FallbackIntent"}))
def test_every_intent_in_the_model_has_a_handler(handlers, intent):
    takers = {type(_first_taker(handlers, intent, attributes)) for attributes in MODES}
    assert takers - {standard.FallbackHandler}, f"{intent} only ever reaches the fallback"


def test_every_intent_a_handler_names_is_in_the_model():
    named = set()
    for path in HANDLER_SOURCES:
        named |= set(re.findall(r'"((?:AMAZON\.)?[A-Z][A-Za-z]*Intent)"', path.read_text(encoding="utf-8")))
    assert named, "the handler sources name no intents: the pattern is wrong"
    assert named - MODEL_INTENTS == set()


def test_fallback_intent_gets_a_helpful_answer(handlers):
    assert isinstance(_first_taker(handlers, "AMAZON.FallbackIntent", {}), standard.FallbackHandler)
