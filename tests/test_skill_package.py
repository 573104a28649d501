"""The ASK CLI skill package: manifest fields certification looks at, the Timers task, the synced models,
and that the packaged models are the generated ones (tests/test_build_models.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "skill-package"
MODEL_PATH = ROOT / "interaction_models" / "en-US.json"
TIMERS_SCOPE = "alexa::alerts:timers:skill:readwrite"
OPEN_PHRASE = re.compile(r"^Alexa, open (?P<invocation>[a-z ]+)$")
ASK_PHRASE = re.compile(r"^Alexa, ask (?P<invocation>[a-z ]+?) to (?P<tail>.+)$")
# The "live" alias template.yaml publishes (AutoPublishAlias): the Alexa trigger's permission is on the alias.
LAMBDA_ARN = re.compile(r"^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+:live$")
ENDPOINT_PLACEHOLDER = "arn:aws:lambda:REGION:ACCOUNT_ID:function:FUNCTION_NAME:live"


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return load_json(PACKAGE / "skill.json")["manifest"]


@pytest.fixture(scope="module")
def language_model() -> dict[str, Any]:
    return load_json(MODEL_PATH)["interactionModel"]["languageModel"]


@pytest.fixture(scope="module")
def en_us(manifest: dict[str, Any]) -> dict[str, Any]:
    return manifest["publishingInformation"]["locales"]["en-US"]


def test_manifest_version(manifest: dict[str, Any]) -> None:
    assert manifest["manifestVersion"] == "1.0"


def test_publishing_information(manifest: dict[str, Any], en_us: dict[str, Any]) -> None:
    publishing = manifest["publishingInformation"]
    assert en_us["name"] == "Trust Builder"
    assert 0 < len(en_us["summary"]) <= 160
    assert 0 < len(en_us["description"]) <= 4000
    assert en_us["keywords"]
    assert all(0 < len(k) <= 150 for k in en_us["keywords"])
    assert publishing["isAvailableWorldwide"] is False
    assert publishing["distributionCountries"] == ["US"]
    assert re.fullmatch(r"[A-Z_]+", publishing["category"])


def test_description_says_it_is_no_substitute_for_therapy_and_points_to_emergency_services(
    en_us: dict[str, Any],
) -> None:
    description = en_us["description"].lower()
    assert "not a substitute" in description
    assert "counseling" in description
    assert "therapy" in description
    assert "emergency services" in description


def test_privacy_and_compliance(manifest: dict[str, Any]) -> None:
    privacy = manifest["privacyAndCompliance"]
    assert privacy["allowsPurchases"] is False
    assert privacy["usesPersonalInfo"] is True  # partners' first names are stored
    assert privacy["isChildDirected"] is False
    assert privacy["isExportCompliant"] is True
    assert privacy["containsAds"] is False
    assert privacy["usesHealthInfo"] is False
    urls = privacy["locales"]["en-US"]
    for key in ("privacyPolicyUrl", "termsOfUseUrl"):
        assert urls[key].startswith("https://")
        assert urls[key].endswith("PRIVACY.md")


def test_privacy_notice_flags_the_placeholder_urls(manifest: dict[str, Any]) -> None:
    notice = (ROOT / "PRIVACY.md").read_text(encoding="utf-8")
    url = manifest["privacyAndCompliance"]["locales"]["en-US"]["privacyPolicyUrl"]
    assert url in notice
    assert "before certification" in notice.lower()


def test_permissions_include_the_timers_scope(manifest: dict[str, Any]) -> None:
    assert {"name": TIMERS_SCOPE} in manifest["permissions"]


def test_custom_api_has_no_interfaces_and_a_clear_endpoint(manifest: dict[str, Any]) -> None:
    custom = manifest["apis"]["custom"]
    assert custom["interfaces"] == []
    uri = custom["endpoint"]["uri"]
    assert uri == ENDPOINT_PLACEHOLDER or LAMBDA_ARN.match(uri)
    assert manifest["events"]["endpoint"]["uri"] == uri  # skill events go through the same alias


def test_there_are_three_example_phrases(en_us: dict[str, Any]) -> None:
    assert len(en_us["examplePhrases"]) == 3


def test_example_phrases_use_the_models_invocation_name_and_its_samples(
    en_us: dict[str, Any], language_model: dict[str, Any]
) -> None:
    samples = {s.casefold() for intent in language_model["intents"] for s in intent.get("samples", [])}
    for phrase in en_us["examplePhrases"]:
        match = OPEN_PHRASE.match(phrase) or ASK_PHRASE.match(phrase)
        assert match, f"not an open/ask phrase: {phrase!r}"
        assert match["invocation"] == language_model["invocationName"]
        tail = match.groupdict().get("tail")
        assert tail is None or tail.casefold() in samples, f"not a sample utterance: {tail!r}"


def test_example_phrases_start_with_the_open_phrase(
    en_us: dict[str, Any], language_model: dict[str, Any]
) -> None:
    assert en_us["examplePhrases"][0] == f"Alexa, open {language_model['invocationName']}"


def test_task_file_matches_the_manifests_task(manifest: dict[str, Any]) -> None:
    (task,) = manifest["apis"]["custom"]["tasks"]
    assert task == {"name": "ContinueExercise", "version": "1"}
    definition = load_json(PACKAGE / "tasks" / f"{task['name']}.{task['version']}.json")
    assert definition["openapi"].startswith("3.")
    assert definition["info"]["version"] == task["version"]
    assert list(definition["paths"]) == [f"/{task['name']}"]
    (operation,) = definition["paths"][f"/{task['name']}"].keys() - {"summary", "description"}
    assert operation == "post"


def test_task_input_is_a_phase_string() -> None:
    definition = load_json(PACKAGE / "tasks" / "ContinueExercise.1.json")
    body = definition["paths"]["/ContinueExercise"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/Input"}
    schema = definition["components"]["schemas"]["Input"]
    assert schema["type"] == "object"
    assert schema["required"] == ["phase"]
    assert schema["properties"]["phase"]["type"] == "string"


def test_every_packaged_file_is_json() -> None:
    for path in PACKAGE.rglob("*"):
        if path.is_file():
            assert path.suffix == ".json", f"unexpected file in the skill package: {path}"
            load_json(path)


def test_ask_resources_deploys_this_skill_package() -> None:
    resources = load_json(ROOT / "ask-resources.json")
    assert resources["askcliResourcesVersion"] == "2020-03-31"
    metadata = resources["profiles"]["default"]["skillMetadata"]
    assert (ROOT / metadata["src"]).resolve() == PACKAGE.resolve()
