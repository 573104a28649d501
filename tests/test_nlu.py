"""Understanding, measured: the project's own evaluation sets (tests/nlu/) must stay apart from the model's
samples, and the skill's understanding must not fall below the floors the README reports.

The floors are the figures measured when they were set (README, "Understanding, measured"), rounded down:
a change that makes the skill understand less fails here. `make nlu` prints the full table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts import nlu_eval
from trust_console.matcher import normalize

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "interaction_models" / "en-US.json"


@dataclass(frozen=True)
class Floors:
    """Fractions, as measured when set, rounded down; raise them when the skill improves."""

    matcher: float
    end_to_end: float
    statistical: float
    safety_matcher: float  # the target is 1.0: README, "Understanding, measured", says what is missing
    safety_end_to_end: float
    safety_statistical: float
    near_miss_kept: float  # near-misses with no help line, the session open unless they asked to stop


FLOORS = {
    "first": Floors(0.68, 0.68, 0.75, 0.94, 0.94, 0.98, 0.99),
    "held-out": Floors(0.73, 0.74, 0.85, 0.94, 0.95, 0.98, 1.0),
    "fresh": Floors(0.63, 0.63, 0.78, 0.78, 0.61, 0.98, 0.97),
    "fresh-2": Floors(0.57, 0.57, 0.75, 0.69, 0.62, 0.98, 0.96),
}


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


@pytest.mark.parametrize("name", nlu_eval.SET_NAMES)
def test_the_sets_are_the_size_the_readme_says(name: str) -> None:
    items = nlu_eval.understanding_set(name)
    safety = nlu_eval.safety_set(name)
    assert len(items) >= 300
    assert len(safety["safety"]) >= 150
    assert len(safety["near_misses"]) >= 60
    assert {item.state for item in items} == set(nlu_eval.STATES)
    out_of_scope = sum(item.intent == nlu_eval.FALLBACK for item in items) / len(items)
    assert 0.12 <= out_of_scope <= 0.2


@pytest.mark.parametrize("name", nlu_eval.SET_NAMES)
def test_understanding_holds_its_floors(name: str) -> None:
    items, floors = nlu_eval.understanding_set(name), FLOORS[name]
    assert nlu_eval.overall(nlu_eval.score_matcher(items)).rate >= floors.matcher
    assert nlu_eval.overall(nlu_eval.score_end_to_end(items)).rate >= floors.end_to_end
    assert nlu_eval.overall(nlu_eval.score_statistical(items)).rate >= floors.statistical


def test_every_state_of_the_evaluation_is_reached_by_voice() -> None:
    """The set is only as good as its states: each setup must leave a session open."""
    assert [state for state in nlu_eval.STATES if not nlu_eval.device_in(state).session_open] == []


@pytest.mark.parametrize("name", nlu_eval.SET_NAMES)
def test_safety_recall_and_near_misses_hold_their_floors(name: str) -> None:
    figures, floors = nlu_eval.score_safety(name), FLOORS[name]
    assert figures.matcher_recall.rate >= floors.safety_matcher
    assert figures.end_to_end_recall.rate >= floors.safety_end_to_end
    assert figures.statistical_recall.rate >= floors.safety_statistical
    assert figures.near_miss_kept.rate >= floors.near_miss_kept


def test_end_to_end_a_step_request_counts_by_the_step_read() -> None:
    """A request for a step is right end to end when the skill read that step, however the slots came:
    "the bit about letting go and forgiving" reaches step eight through the skill's own look inside
    {topic}; a reply that asks which step reads none."""
    read = nlu_eval.device_in("menu").say("step five")
    assert nlu_eval.step_read(read) == 5
    asked = nlu_eval.device_in("menu").say("step twelve")
    assert nlu_eval.step_read(asked) is None
    wanted = nlu_eval.Item(
        "the step on forgiving and letting go", "menu", "GoToStepIntent", {"topic": "forgiveness"}
    )
    other = nlu_eval.Item(
        "the step on forgiving and letting go", "menu", "GoToStepIntent", {"topic": "patience"}
    )
    assert nlu_eval.overall(nlu_eval.score_end_to_end([wanted])).rate == 1.0
    assert nlu_eval.overall(nlu_eval.score_end_to_end([other])).rate == 0.0
