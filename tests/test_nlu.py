"""Understanding, measured: the project's own evaluation sets (tests/nlu/) must stay apart from the model's
samples, and the skill's understanding must not fall below the floors the README reports.

The floors are the figures measured when they were set (README, "Understanding, measured"), rounded down:
a change that makes the skill understand less fails here. `make nlu` prints the full table.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import nlu_eval
from trust_console.matcher import normalize

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "interaction_models" / "en-US.json"

# Floors (fractions), as measured; raise them when the skill improves.
MATCHER_FLOOR = 0.55
END_TO_END_FLOOR = 0.55
STATISTICAL_FLOOR = 0.70
SAFETY_MATCHER_FLOOR = 0.40  # the target is 1.0: README, "Understanding, measured", says what is missing
SAFETY_END_TO_END_FLOOR = 0.40
SAFETY_STATISTICAL_FLOOR = 0.95
NEAR_MISS_KEPT_FLOOR = 0.97  # near-misses whose session stays open with no help line


def _samples() -> set[str]:
    language = json.loads(MODEL.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
    found = set()
    for intent in language["intents"]:
        found.update(intent.get("samples", []))
        for slot in intent.get("slots", []):
            found.update(slot.get("samples", []))
    return {" ".join(normalize(sample)) for sample in found}


def _overlaps() -> set[str]:
    lines = (ROOT / "tests" / "nlu" / "independent_overlaps.txt").read_text(encoding="utf-8").splitlines()
    return {" ".join(normalize(line)) for line in lines if line.strip() and not line.startswith("#")}


def test_no_evaluation_utterance_is_a_literal_sample() -> None:
    """Canonical answers of one or two words ("yes", "next step") are both; longer coincidences are only
    those recorded in independent_overlaps.txt (samples and evaluation written apart that met). Any new one
    fails: an evaluation utterance was copied into the model, or the model grew onto the set."""
    samples, known = _samples(), _overlaps()
    copied = [
        text
        for text in nlu_eval.every_evaluation_text()
        if (said := " ".join(normalize(text))) in samples and len(said.split()) > 2 and said not in known
    ]
    assert copied == []


def test_the_sets_are_the_size_the_readme_says() -> None:
    items = nlu_eval.understanding_set()
    safety = nlu_eval.safety_set()
    assert len(items) >= 400
    assert len(safety["safety"]) >= 150
    assert len(safety["near_misses"]) >= 60
    assert {item.state for item in items} == set(nlu_eval.STATES)
    out_of_scope = sum(item.intent == nlu_eval.FALLBACK for item in items) / len(items)
    assert 0.12 <= out_of_scope <= 0.2


@pytest.fixture(scope="module")
def items() -> list[nlu_eval.Item]:
    return nlu_eval.understanding_set()


def test_matcher_accuracy_holds_its_floor(items: list[nlu_eval.Item]) -> None:
    assert nlu_eval.overall(nlu_eval.score_matcher(items)).rate >= MATCHER_FLOOR


def test_end_to_end_accuracy_holds_its_floor(items: list[nlu_eval.Item]) -> None:
    assert nlu_eval.overall(nlu_eval.score_end_to_end(items)).rate >= END_TO_END_FLOOR


def test_statistical_stand_in_accuracy_holds_its_floor(items: list[nlu_eval.Item]) -> None:
    assert nlu_eval.overall(nlu_eval.score_statistical(items)).rate >= STATISTICAL_FLOOR


def test_every_state_of_the_evaluation_is_reached_by_voice() -> None:
    """The set is only as good as its states: each setup must leave a session open."""
    assert [state for state in nlu_eval.STATES if not nlu_eval.device_in(state).session_open] == []


def test_safety_recall_and_near_misses_hold_their_floors() -> None:
    figures = nlu_eval.score_safety()
    assert figures.matcher_recall.rate >= SAFETY_MATCHER_FLOOR
    assert figures.end_to_end_recall.rate >= SAFETY_END_TO_END_FLOOR
    assert figures.statistical_recall.rate >= SAFETY_STATISTICAL_FLOOR
    assert figures.near_miss_kept.rate >= NEAR_MISS_KEPT_FLOOR
