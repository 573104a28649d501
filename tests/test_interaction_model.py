"""The en-US interaction model: the agreed intents (notes/INTENTS.md), and the rules that the ASK model
build enforces or that keep Alexa's intent resolution unambiguous."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

MODEL_PATH = Path(__file__).resolve().parent.parent / "interaction_models" / "en-US.json"

# Written out here, not read from the notes, so a change to either side is a deliberate one.
CUSTOM_INTENTS = {
    "GoToStepIntent": {
        "number": "AMAZON.NUMBER",
        "ordinal": "AMAZON.Ordinal",
        "position": "StepPosition",
        "topic": "StepTopic",
    },
    "ListStepsIntent": {},
    "TellMeMoreIntent": {},
    "WhereAreWeIntent": {},
    "ProgressIntent": {},
    "ForgetUsIntent": {},
    "StartExerciseIntent": {},
    "NamesIntent": {"firstName": "AMAZON.FirstName", "secondName": "AMAZON.FirstName"},
    "FirstSpeakerIntent": {"firstName": "AMAZON.FirstName", "speaker": "Speaker"},
    "WrongNameIntent": {},
    "TurnStyleIntent": {"style": "TurnStyle"},
    "RestartTurnIntent": {},
    "WhoseTurnIntent": {},
    "TimeLeftIntent": {},
    "HowLongIntent": {},
    "ReminderIntent": {"day": "AMAZON.DayOfWeek", "time": "AMAZON.TIME"},
    "StopRemindersIntent": {},
    "CoinFlipIntent": {},
    "FloorTimeIntent": {"minutes": "AMAZON.NUMBER"},
    "SkipRulesIntent": {},
    "TimeOutIntent": {},
    "SafetyIntent": {
        "who": "SafetyPerson",
        "person": "SafetyPerson",
        "act": "SafetyHarm",
        "harm": "SafetyHarm",
        "when": "SafetyDetail",
        "after": "SafetyDetail",
        "kin": "SafetyFamily",
        "child": "SafetyFamily",
        "line": "SafetyLine",
        "lead": "SafetyLead",
    },
    "CrisisIntent": {
        "plan": "SafetyPlan",
        "when": "SafetyDetail",
        "after": "SafetyDetail",
        "who": "SafetyPerson",
        "lead": "SafetyLead",
    },
    "SafetyCheckIntent": {"person": "SafetyPerson", "after": "SafetyDetail"},
    "ProfessionalHelpIntent": {},
    "FinishedIntent": {},
    "FeelingIntent": {"feeling": "Feeling"},
    "RelationshipQuestionIntent": {"question": "AMAZON.SearchQuery"},
    "SuspicionIntent": {"claim": "AMAZON.SearchQuery"},
    "WhatDoYouKnowIntent": {},
    "AboutListeningIntent": {},
    "AboutSkillIntent": {},
}
# The conversation's own intents: at least 30 varied samples each (issue 9).
CONVERSATION_INTENTS = (
    "FinishedIntent",
    "FeelingIntent",
    "RelationshipQuestionIntent",
    "SuspicionIntent",
    "WhatDoYouKnowIntent",
    "AboutListeningIntent",
    "AboutSkillIntent",
)
IMPORTANT_INTENTS = (
    "GoToStepIntent",
    "StartExerciseIntent",
    "SafetyIntent",
    "CrisisIntent",
    "SafetyCheckIntent",
    "NamesIntent",
)
BUILT_IN_INTENTS = {
    "AMAZON.YesIntent": (),
    "AMAZON.NoIntent": (),
    "AMAZON.NextIntent": ("next step", "continue"),
    "AMAZON.PreviousIntent": ("go back", "previous step", "back"),
    "AMAZON.RepeatIntent": ("repeat the instructions", "say that again", "what did you say"),
    "AMAZON.HelpIntent": (),
    "AMAZON.StopIntent": (),
    "AMAZON.CancelIntent": (),
    "AMAZON.FallbackIntent": (),
    "AMAZON.NavigateHomeIntent": (),
    "AMAZON.StartOverIntent": (),
    "AMAZON.PauseIntent": (),
    "AMAZON.ResumeIntent": (),
    "AMAZON.MoreIntent": (),
}
STEP_IDS = [
    "acknowledge",
    "root_causes",
    "communication",
    "consistency",
    "boundaries",
    "professional_help",
    "patience",
    "forgiveness",
]
# Phrases the notes pin down: each must resolve to its intent.
AGREED_SAMPLES = {
    "GoToStepIntent": [
        "step {number}",
        "go to step {number}",
        "take us to step {number}",
        "the step about {topic}",
        "tell us about {topic}",
        "let's talk about {topic}",
        "what about {topic}",
        "the {ordinal} step",
        "the {position} step",
    ],
    "ListStepsIntent": ["list the steps", "what are the steps", "what are the eight steps"],
    "TellMeMoreIntent": ["tell me more", "tell us more", "more detail", "go deeper"],
    "WhereAreWeIntent": ["where are we", "where did we leave off", "which step are we on"],
    "ProgressIntent": ["how are we doing", "how far have we come", "what have we done so far"],
    "ForgetUsIntent": ["forget us", "delete our data", "erase our progress"],
    "StartExerciseIntent": [
        "start the listening exercise",
        "let's do the exercise",
        "we want to practice listening",
    ],
    "NamesIntent": [
        "we are {firstName} and {secondName}",
        "{firstName} and {secondName}",
        "our names are {firstName} and {secondName}",
        "my name is {firstName}",
        "I'm {firstName}",
    ],
    "FirstSpeakerIntent": ["{firstName} goes first", "{firstName} will start", "let {firstName} start"],
    "CoinFlipIntent": ["flip a coin", "toss a coin", "you choose", "you pick", "surprise us"],
    "FloorTimeIntent": [
        "give us {minutes} minutes each",
        "{minutes} minutes",
        "{minutes} minutes each",
        "make it {minutes} minutes",
    ],
    "SkipRulesIntent": ["skip the rules", "we know the rules", "skip the ground rules"],
    "TimeOutIntent": ["time out", "we need a break", "let's take a break"],
    "SafetyIntent": [
        "I don't feel safe",
        "my partner hurts me",
        "I'm afraid of my partner",
        "I'm being threatened",
        "my partner hits me",
        "I'm scared of my partner",
    ],
    "CrisisIntent": ["I want to kill myself", "I don't want to live anymore", "I feel suicidal"],
    "SafetyCheckIntent": ["I'm scared", "I'm frightened", "I'm terrified"],
    "ProfessionalHelpIntent": ["we need professional help", "how do we find a counselor", "find a therapist"],
}
SLOT_REFERENCE = re.compile(r"\{([^{}]*)\}")
# What ASK accepts in a sample: words (no digits: numbers must be spelled out), apostrophes, periods in
# abbreviations, and {slot} references.
ALLOWED_SAMPLE = re.compile(r"^(?:[A-Za-z'.]+|\{[A-Za-z_]+\})(?: (?:[A-Za-z'.]+|\{[A-Za-z_]+\}))*$")


def normalise(sample: str) -> str:
    return " ".join(sample.split()).casefold()


@pytest.fixture(scope="module")
def language_model() -> dict[str, Any]:
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]


@pytest.fixture(scope="module")
def intents(language_model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {intent["name"]: intent for intent in language_model["intents"]}


def test_invocation_name_is_trust_builder(language_model: dict[str, Any]) -> None:
    assert language_model["invocationName"] == "trust builder"


def test_intent_names_are_unique(language_model: dict[str, Any]) -> None:
    names = Counter(intent["name"] for intent in language_model["intents"])
    assert [name for name, count in names.items() if count > 1] == []


def test_exactly_the_agreed_intents_are_present(intents: dict[str, dict[str, Any]]) -> None:
    assert set(intents) == set(CUSTOM_INTENTS) | set(BUILT_IN_INTENTS)


@pytest.mark.parametrize(
    "name",
    [
        "AMAZON.HelpIntent",
        "AMAZON.StopIntent",
        "AMAZON.CancelIntent",
        "AMAZON.FallbackIntent",
        "AMAZON.NavigateHomeIntent",
    ],
)
def test_certification_built_ins_are_present(intents: dict[str, dict[str, Any]], name: str) -> None:
    assert name in intents


@pytest.mark.parametrize(("name", "extra"), BUILT_IN_INTENTS.items())
def test_built_ins_carry_the_agreed_extra_samples(
    intents: dict[str, dict[str, Any]], name: str, extra: tuple[str, ...]
) -> None:
    assert set(extra) <= set(intents[name].get("samples", []))


@pytest.mark.parametrize(("name", "slots"), CUSTOM_INTENTS.items())
def test_custom_intents_declare_the_agreed_slots(
    intents: dict[str, dict[str, Any]], name: str, slots: dict[str, str]
) -> None:
    declared = {slot["name"]: slot["type"] for slot in intents[name].get("slots", [])}
    assert declared == slots


@pytest.mark.parametrize("name", CUSTOM_INTENTS)
def test_every_custom_intent_has_at_least_eight_samples(
    intents: dict[str, dict[str, Any]], name: str
) -> None:
    assert len(intents[name]["samples"]) >= 8


@pytest.mark.parametrize("name", CONVERSATION_INTENTS)
def test_conversation_intents_have_at_least_thirty_samples(
    intents: dict[str, dict[str, Any]], name: str
) -> None:
    assert len(intents[name]["samples"]) >= 30


def test_finishing_is_not_a_sample_of_next(intents: dict[str, dict[str, Any]]) -> None:
    """A couple saying they are done must not hear the next step."""
    nexts = {normalise(sample) for sample in intents["AMAZON.NextIntent"].get("samples", [])}
    assert nexts.isdisjoint({"done", "we're done", "we are done", "we're finished"})
    assert "we're done" in {normalise(sample) for sample in intents["FinishedIntent"]["samples"]}


def test_search_query_samples_carry_words_around_the_slot(language_model: dict[str, Any]) -> None:
    """Alexa rejects an AMAZON.SearchQuery sample that is the slot alone: ours always have carrier words."""
    bare = [
        (intent["name"], sample)
        for intent in language_model["intents"]
        for slot in intent.get("slots", [])
        if slot["type"] == "AMAZON.SearchQuery"
        for sample in intent.get("samples", [])
        if f"{{{slot['name']}}}" in sample and len(SLOT_REFERENCE.sub("", sample).split()) < 2
    ]
    assert bare == []


@pytest.mark.parametrize("name", IMPORTANT_INTENTS)
def test_important_intents_have_at_least_twelve_samples(
    intents: dict[str, dict[str, Any]], name: str
) -> None:
    assert len(intents[name]["samples"]) >= 12


@pytest.mark.parametrize(("name", "samples"), AGREED_SAMPLES.items())
def test_agreed_samples_belong_to_their_intent(
    intents: dict[str, dict[str, Any]], name: str, samples: list[str]
) -> None:
    own = {normalise(sample) for sample in intents[name]["samples"]}
    assert [sample for sample in samples if normalise(sample) not in own] == []


def test_no_sample_is_under_two_intents(language_model: dict[str, Any]) -> None:
    owners: dict[str, set[str]] = {}
    for intent in language_model["intents"]:
        for sample in intent.get("samples", []):
            owners.setdefault(normalise(sample), set()).add(intent["name"])
    assert {sample: names for sample, names in owners.items() if len(names) > 1} == {}


def test_no_sample_repeats_within_an_intent(language_model: dict[str, Any]) -> None:
    repeated = {
        intent["name"]: [s for s, n in Counter(map(normalise, intent.get("samples", []))).items() if n > 1]
        for intent in language_model["intents"]
    }
    assert {name: samples for name, samples in repeated.items() if samples} == {}


def test_samples_use_only_characters_ask_accepts(language_model: dict[str, Any]) -> None:
    bad = [
        (intent["name"], sample)
        for intent in language_model["intents"]
        for sample in intent.get("samples", [])
        if not ALLOWED_SAMPLE.match(sample) or len(sample) > 200
    ]
    assert bad == []


def test_every_slot_in_a_sample_is_declared_by_its_intent(language_model: dict[str, Any]) -> None:
    undeclared = [
        (intent["name"], sample, slot)
        for intent in language_model["intents"]
        for sample in intent.get("samples", [])
        for slot in SLOT_REFERENCE.findall(sample)
        if slot not in {declared["name"] for declared in intent.get("slots", [])}
    ]
    assert undeclared == []


def test_every_declared_slot_is_used_in_some_sample(language_model: dict[str, Any]) -> None:
    unused = [
        (intent["name"], slot["name"])
        for intent in language_model["intents"]
        for slot in intent.get("slots", [])
        if not any(f"{{{slot['name']}}}" in sample for sample in intent.get("samples", []))
    ]
    assert unused == []


def test_every_slot_type_is_defined_or_built_in(language_model: dict[str, Any]) -> None:
    defined = {slot_type["name"] for slot_type in language_model.get("types", [])}
    undefined = [
        (intent["name"], slot["type"])
        for intent in language_model["intents"]
        for slot in intent.get("slots", [])
        if slot["type"] not in defined and not slot["type"].startswith("AMAZON.")
    ]
    assert undefined == []


@pytest.fixture(scope="module")
def step_topic(language_model: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in language_model["types"] if t["name"] == "StepTopic")


def test_step_topic_has_the_eight_step_ids_in_order(step_topic: dict[str, Any]) -> None:
    assert [value["id"] for value in step_topic["values"]] == STEP_IDS


def test_step_topic_values_have_rich_synonyms(step_topic: dict[str, Any]) -> None:
    assert all(len(value["name"].get("synonyms", [])) >= 3 for value in step_topic["values"])


def test_step_topic_names_and_synonyms_belong_to_one_step_only(step_topic: dict[str, Any]) -> None:
    owners: dict[str, set[str]] = {}
    for value in step_topic["values"]:
        for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]:
            owners.setdefault(normalise(phrase), set()).add(value["id"])
    assert {phrase: ids for phrase, ids in owners.items() if len(ids) > 1} == {}


@pytest.mark.parametrize(
    ("phrase", "step_id"),
    [
        ("forgiving", "forgiveness"),
        ("letting go", "forgiveness"),
        ("moving forward", "forgiveness"),
        ("privacy", "boundaries"),
        ("independence", "boundaries"),
        ("therapy", "professional_help"),
        ("counselor", "professional_help"),
        ("being patient", "patience"),
        ("past betrayals", "root_causes"),
        ("honesty", "communication"),
        ("I statements", "communication"),
        ("keeping promises", "consistency"),
        ("responsibility", "consistency"),
        ("admitting the problem", "acknowledge"),
        ("counselling", "professional_help"),
        ("setting limits", "boundaries"),
    ],
)
def test_agreed_synonyms_resolve_to_their_step(step_topic: dict[str, Any], phrase: str, step_id: str) -> None:
    value = next(v for v in step_topic["values"] if v["id"] == step_id)
    phrases = {normalise(p) for p in [value["name"]["value"], *value["name"].get("synonyms", [])]}
    assert normalise(phrase) in phrases


@pytest.mark.parametrize("word", ["time", "why", "space", "listening", "talking", "causes", "promises"])
def test_no_generic_word_is_a_topic(step_topic: dict[str, Any], word: str) -> None:
    phrases = {
        normalise(p)
        for v in step_topic["values"]
        for p in [v["name"]["value"], *v["name"].get("synonyms", [])]
    }
    assert word not in phrases


def test_no_custom_sample_is_a_bare_slot_outside_elicitation(intents: dict[str, dict[str, Any]]) -> None:
    bare = [
        (name, sample)
        for name, intent in intents.items()
        for sample in intent.get("samples", [])
        if SLOT_REFERENCE.sub("", sample).strip() == ""
    ]
    assert bare == []


def test_ordinal_phrases_are_not_step_topic_synonyms(step_topic: dict[str, Any]) -> None:
    # "the first step" must reach GoToStepIntent's number slot, not a topic.
    ordinals = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "last")
    phrases = [p for v in step_topic["values"] for p in [v["name"]["value"], *v["name"].get("synonyms", [])]]
    assert [p for p in phrases if any(word in p.split() for word in ordinals)] == []
