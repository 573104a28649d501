"""The local utterance matcher: against the real en-US interaction model, and small models for the rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from trust_console import envelopes
from trust_console.matcher import FALLBACK, Matcher, load_model, model_path, normalize, parse_number

MODEL = Path(__file__).resolve().parent.parent / "interaction_models" / "en-US.json"
SKILL_ID = "amzn1.ask.skill.test-matcher"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.from_file(MODEL)


def tiny_model(**extra_intents: list[str]) -> dict:
    """A model with one custom slot type and the given slot-free intents (name -> samples)."""
    intents = [
        {
            "name": "TopicIntent",
            "slots": [{"name": "topic", "type": "Topic"}],
            "samples": ["{topic}", "about {topic}"],
        },
        {"name": "AMAZON.YesIntent", "samples": []},
        {"name": "AMAZON.FallbackIntent", "samples": []},
    ]
    intents += [{"name": name, "samples": samples} for name, samples in extra_intents.items()]
    return {
        "invocationName": "tiny test",
        "intents": intents,
        "types": [
            {
                "name": "Topic",
                "values": [
                    {"id": "calm", "name": {"value": "calm", "synonyms": ["peace", "quiet"]}},
                    {"id": "quiet_time", "name": {"value": "quiet time", "synonyms": ["quiet"]}},
                ],
            }
        ],
    }


# --- every intent from samples and paraphrases ---------------------------------------------------------

CUSTOM_UTTERANCES = [
    ("step four", "GoToStepIntent"),
    ("take us to step two", "GoToStepIntent"),
    ("list the steps", "ListStepsIntent"),
    ("what are the eight steps", "ListStepsIntent"),
    ("could you list all of the steps", "ListStepsIntent"),  # polite opening, article
    ("so where are we thanks", "WhereAreWeIntent"),  # a polite closing
    ("could you tell me more please mate", "TellMeMoreIntent"),  # opening and closing
    ("can you tell us about forgiveness", "GoToStepIntent"),
    ("tell me more", "TellMeMoreIntent"),
    ("tell me a bit more", "TellMeMoreIntent"),
    ("go deeper", "TellMeMoreIntent"),
    ("where are we", "WhereAreWeIntent"),
    ("where did we leave off", "WhereAreWeIntent"),
    ("so where are we now", "WhereAreWeIntent"),  # discourse word
    ("how are we doing", "ProgressIntent"),
    ("how far have we come", "ProgressIntent"),
    ("forget us", "ForgetUsIntent"),
    ("delete our data", "ForgetUsIntent"),
    ("please erase all our progress", "ForgetUsIntent"),
    ("start the listening exercise", "StartExerciseIntent"),
    ("let's do the exercise", "StartExerciseIntent"),
    ("we want to practice listening", "StartExerciseIntent"),
    ("flip a coin", "CoinFlipIntent"),
    ("surprise us", "CoinFlipIntent"),
    ("you choose", "CoinFlipIntent"),
    ("skip the rules", "SkipRulesIntent"),
    ("we know the rules", "SkipRulesIntent"),
    ("time out", "TimeOutIntent"),
    ("we need a break", "TimeOutIntent"),
    ("we really need a break", "TimeOutIntent"),  # discourse word
    ("I don't feel safe", "SafetyIntent"),
    ("my partner hurts me", "SafetyIntent"),
    ("I'm afraid of my partner", "SafetyIntent"),
    ("we need professional help", "ProfessionalHelpIntent"),
    ("how do we find a counselor", "ProfessionalHelpIntent"),
    ("find a therapist", "ProfessionalHelpIntent"),
]


@pytest.mark.parametrize(("utterance", "intent"), CUSTOM_UTTERANCES)
def test_custom_intents_near_exactly(matcher: Matcher, utterance: str, intent: str) -> None:
    assert matcher.match_intent(utterance).name == intent


def _example(slot_type: str, model: dict, index: int) -> str:
    if slot_type == "AMAZON.NUMBER":
        return "three"
    if slot_type == "AMAZON.FirstName":
        return ["sam", "alex"][index % 2]
    if slot_type == "AMAZON.SearchQuery":
        return "feel this way about the weekend"
    if slot_type == "AMAZON.Ordinal":
        return "second"
    if slot_type.startswith("AMAZON."):
        return "something"
    values = next(t for t in model["types"] if t["name"] == slot_type)["values"]
    return values[index % len(values)]["name"]["value"]


def test_every_sample_of_the_model_matches_its_own_intent(matcher: Matcher) -> None:
    """Filled with example values, each sample resolves to the intent it belongs to: no overlaps."""
    model = load_model(MODEL)
    wrong = []
    for intent in model["intents"]:
        types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            slot_names = re.findall(r"\{(\w+)\}", sample)
            text = sample
            for index, name in enumerate(slot_names):
                text = text.replace("{" + name + "}", _example(types[name], model, index), 1)
            found = matcher.match_intent(text)
            if found.name != intent["name"] or set(found.values()) != set(slot_names):
                wrong.append((sample, text, found.name, found.values()))
    assert wrong == []


def test_unfilled_slots_are_listed_without_a_value(matcher: Matcher) -> None:
    found = matcher.match_intent("step five")
    assert [slot.name for slot in found.slots] == ["number", "ordinal", "position", "topic"]
    assert found.alexa_slots(SKILL_ID)["topic"] == {"name": "topic", "confirmationStatus": "NONE"}
    assert found.alexa_slots(SKILL_ID)["number"]["value"] == "5"


# --- numbers and ordinals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "number"),
    [
        ("zero", 0),
        ("five", 5),
        ("twelve", 12),
        ("twenty", 20),
        ("twenty one", 21),
        ("ninety nine", 99),
        ("a hundred", 100),
        ("one hundred and five", 105),
        ("three hundred twenty", 320),
        ("nine hundred ninety nine", 999),
        ("7", 7),
        ("42", 42),
        ("fifth", 5),
        ("eighth", 8),
        ("twenty first", 21),
        ("3rd", 3),
        ("twentieth", 20),
    ],
)
def test_numbers_in_words_digits_and_ordinals(words: str, number: int) -> None:
    assert parse_number(words.split()) == number


@pytest.mark.parametrize(
    "words", ["", "1000", "first twenty", "twenty twenty", "a", "and", "hundred and", "eleven five"]
)
def test_what_is_not_a_number(words: str) -> None:
    assert parse_number(words.split()) is None


@pytest.mark.parametrize(
    ("utterance", "slot", "value"),
    [
        ("step five", "number", "5"),
        ("go to step 3", "number", "3"),
        ("go to the fifth step", "ordinal", "5"),
        ("let's do the second step", "ordinal", "2"),
        ("take us to the 3rd step", "ordinal", "3"),
        ("go to the last step", "position", "last"),
        ("step twelve", "number", "12"),
        ("give us twenty one minutes each", "minutes", "21"),
        ("3 minutes", "minutes", "3"),
        ("make it a hundred minutes", "minutes", "100"),
    ],
)
def test_number_slots(matcher: Matcher, utterance: str, slot: str, value: str) -> None:
    found = matcher.match_intent(utterance)
    assert found.values() == {slot: value}


def test_a_number_out_of_range_is_not_a_number(matcher: Matcher) -> None:
    assert matcher.match_intent("step one thousand").name == FALLBACK


# --- topics, synonyms and entity resolution ------------------------------------------------------------


@pytest.mark.parametrize(
    ("utterance", "said", "step_id"),
    [
        ("the one about forgiveness", "forgiveness", "forgiveness"),
        ("the step about forgiving", "forgiving", "forgiveness"),
        ("tell us about letting go", "letting go", "forgiveness"),
        ("tell us about therapy", "therapy", "professional_help"),
        ("can we talk about patience", "patience", "patience"),
        ("tell us about counselling", "counselling", "professional_help"),
        ("what about privacy", "privacy", "boundaries"),
        ("let's talk about keeping promises", "keeping promises", "consistency"),
        ("tell me about the root causes", "the root causes", "root_causes"),
    ],
)
def test_topic_synonyms_resolve_to_step_ids(
    matcher: Matcher, utterance: str, said: str, step_id: str
) -> None:
    found = matcher.match_intent(utterance)
    assert found.name == "GoToStepIntent"
    slot = found.alexa_slots(SKILL_ID)["topic"]
    assert slot["value"] == said  # Alexa reports the words said; the canonical value is in the resolutions
    (resolution,) = slot["resolutions"]["resolutionsPerAuthority"]
    assert resolution["authority"] == f"amzn1.er-authority.echo-sdk.{SKILL_ID}.StepTopic"
    assert resolution["status"] == {"code": "ER_SUCCESS_MATCH"}
    assert resolution["values"][0]["value"]["id"] == step_id
    assert slot["slotValue"]["resolutions"] == slot["resolutions"]


def test_an_unknown_topic_after_literal_words_is_captured_without_a_match(matcher: Matcher) -> None:
    found = matcher.match_intent("tell us about the weather")
    assert found.name == "GoToStepIntent"
    slot = found.alexa_slots(SKILL_ID)["topic"]
    assert slot["value"] == "the weather"
    assert slot["resolutions"]["resolutionsPerAuthority"][0]["status"] == {"code": "ER_SUCCESS_NO_MATCH"}
    assert "values" not in slot["resolutions"]["resolutionsPerAuthority"][0]


def test_a_slot_only_sample_takes_only_known_values() -> None:
    tiny = Matcher(tiny_model())
    assert tiny.match_intent("peace").name == "TopicIntent"
    assert tiny.match_intent("the weather").name == FALLBACK
    assert tiny.match_intent("about the weather").resolved_ids() == {}


def test_a_synonym_shared_by_two_values_resolves_to_both() -> None:
    found = Matcher(tiny_model()).match_intent("quiet")
    (resolution,) = found.alexa_slots(SKILL_ID)["topic"]["resolutions"]["resolutionsPerAuthority"]
    assert [v["value"] for v in resolution["values"]] == [
        {"name": "calm", "id": "calm"},
        {"name": "quiet time", "id": "quiet_time"},
    ]


def test_literal_words_beat_a_slot(matcher: Matcher) -> None:
    tiny = Matcher(tiny_model(AboutCalmIntent=["about calm things"], CalmIntent=["calm down"]))
    assert tiny.match_intent("about calm things").name == "AboutCalmIntent"
    assert tiny.match_intent("calm down").name == "CalmIntent"
    assert tiny.match_intent("about calm").name == "TopicIntent"
    # "time" is a synonym of patience, yet "time out" is the time-out intent
    assert matcher.match_intent("time out").name == "TimeOutIntent"


def test_a_slot_that_resolves_beats_one_that_only_has_room_for_the_words() -> None:
    """Alexa weighs a known slot value: "do the calm step" is the {topic} reading, not the one whose
    {place} (no value names "calm") has one more literal word around it."""
    model = tiny_model()
    model["intents"].append(
        {
            "name": "PlaceIntent",
            "slots": [{"name": "place", "type": "Place"}],
            "samples": ["do the {place} step"],
        }
    )
    model["intents"][0]["samples"].append("do {topic} step")
    model["types"].append({"name": "Place", "values": [{"id": "last", "name": {"value": "last"}}]})
    tiny = Matcher(model)
    assert tiny.match_intent("do the calm step").name == "TopicIntent"
    assert tiny.match_intent("do the last step").name == "PlaceIntent"
    assert tiny.match_intent("do the tricky step").name == "PlaceIntent"  # neither resolves: literals decide
    # free text (AMAZON.SearchQuery) takes words as they come too: a known value still wins
    model["intents"][-1]["slots"] = [{"name": "place", "type": "AMAZON.SearchQuery"}]
    assert Matcher(model).match_intent("do the calm step").name == "TopicIntent"


# --- names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utterance", "intent", "values"),
    [
        ("we are sam and alex", "NamesIntent", {"firstName": "Sam", "secondName": "Alex"}),
        ("Jordan and Riley", "NamesIntent", {"firstName": "Jordan", "secondName": "Riley"}),
        ("I'm priya", "NamesIntent", {"firstName": "Priya"}),
        ("my name is Kim", "NamesIntent", {"firstName": "Kim"}),
        ("sam goes first", "FirstSpeakerIntent", {"firstName": "Sam"}),
        ("let alex start", "FirstSpeakerIntent", {"firstName": "Alex"}),
    ],
)
def test_first_names_are_single_capitalised_words(
    matcher: Matcher, utterance: str, intent: str, values: dict[str, str]
) -> None:
    found = matcher.match_intent(utterance)
    assert (found.name, found.values()) == (intent, values)


@pytest.mark.parametrize("utterance", ["I'm afraid", "I'm sorry", "I'm done", "I'm sam smith jones"])
def test_ordinary_words_are_not_names(matcher: Matcher, utterance: str) -> None:
    assert matcher.match_intent(utterance).name != "NamesIntent"


# --- built-in intents ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("yes", "AMAZON.YesIntent"),
        ("yeah", "AMAZON.YesIntent"),
        ("sure", "AMAZON.YesIntent"),
        ("no", "AMAZON.NoIntent"),
        ("no thanks", "AMAZON.NoIntent"),
        ("next", "AMAZON.NextIntent"),
        ("skip", "AMAZON.NextIntent"),  # a sample the model adds
        ("we're done", "FinishedIntent"),
        ("go back", "AMAZON.PreviousIntent"),
        ("previous", "AMAZON.PreviousIntent"),
        ("repeat", "AMAZON.RepeatIntent"),
        ("say that again", "AMAZON.RepeatIntent"),
        ("help", "AMAZON.HelpIntent"),
        ("what can I say", "AMAZON.HelpIntent"),
        ("stop", "AMAZON.StopIntent"),
        ("cancel", "AMAZON.CancelIntent"),
        ("never mind", "AMAZON.CancelIntent"),
        ("go home", "AMAZON.NavigateHomeIntent"),
        ("start over", "AMAZON.StartOverIntent"),
        ("pause", "AMAZON.PauseIntent"),
        ("resume", "AMAZON.ResumeIntent"),
    ],
)
def test_built_in_intents(matcher: Matcher, utterance: str, intent: str) -> None:
    found = matcher.match_intent(utterance)
    assert found.name == intent
    assert found.alexa_slots(SKILL_ID) == {}


def test_built_in_intents_the_model_does_not_declare_are_not_recognised() -> None:
    tiny = Matcher(tiny_model())
    assert tiny.match_intent("yes").name == "AMAZON.YesIntent"
    assert tiny.match_intent("pause").name == FALLBACK


def test_a_model_sample_wins_over_a_built_in_phrasing() -> None:
    tiny = Matcher(tiny_model(ReadyIntent=["ready"]))  # "ready" is also a YesIntent phrasing
    assert tiny.match_intent("ready").name == "ReadyIntent"


# --- fallback and normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize("utterance", ["blah blah purple monkey", "what's the weather", "sing a song"])
def test_anything_else_is_the_fallback(matcher: Matcher, utterance: str) -> None:
    found = matcher.match_intent(utterance)
    assert (found.name, found.slots) == (FALLBACK, ())


def test_a_pasted_paragraph_is_the_fallback(matcher: Matcher) -> None:
    assert matcher.match_intent("tell us about " + "blah and twenty " * 500).name == FALLBACK


def test_a_paraphrase_never_crosses_a_negation(matcher: Matcher) -> None:
    assert matcher.match_intent("don't start the listening exercise").name != "StartExerciseIntent"


@pytest.mark.parametrize(
    "utterance",
    [
        "Alexa, LIST the steps!",
        "alexa list the steps",
        "please list the steps",
        "um, list the steps",
        "List the steps.",
    ],
)
def test_case_punctuation_alexa_and_fillers_are_ignored(matcher: Matcher, utterance: str) -> None:
    assert matcher.match_intent(utterance).name == "ListStepsIntent"


@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("I am not safe", "I'm not safe"),
        ("we are done", "we're done"),
        ("do not start", "don't start"),
        ("dont start", "don't start"),
        ("he has been hitting me", "he's been hitting me"),
        ("im scared", "I'm scared"),
        ("ok let's go", "okay let's go"),  # one word, two spellings
    ],
)
def test_contractions_and_their_full_forms_are_one_utterance(said: str, written: str) -> None:
    assert normalize(said) == normalize(written)


@pytest.mark.parametrize(
    "utterance",
    [
        "could you please enumerate the steps",  # a synonym no sample has: Alexa might, the stand-in won't
        "tell me a little bit extra",
        "we would love it if you could list the steps",
    ],
)
def test_wide_paraphrases_are_not_matched(matcher: Matcher, utterance: str) -> None:
    """Faithful, not lenient: only exact or near-exact forms of samples pass locally."""
    assert matcher.match_intent(utterance).name == FALLBACK


def test_built_in_intents_match_only_exactly(matcher: Matcher) -> None:
    assert matcher.match_intent("say that again").name == "AMAZON.RepeatIntent"
    assert matcher.match_intent("so say that again").name == FALLBACK  # no near-exact forms for built-ins


def test_normalize() -> None:
    assert normalize("Alexa, let’s talk about I-statements, please!") == [
        "let",
        "us",
        "talk",
        "about",
        "i",
        "statements",
    ]


# --- invocation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "utterance",
    [
        "open trust builder",
        "Alexa, open Trust Builder",
        "launch trust builder",
        "start trust builder",
        "talk to trust builder",
        "trust builder",
        "ask trust builder",
        "open the trust builder skill",
    ],
)
def test_launch_forms(matcher: Matcher, utterance: str) -> None:
    understood = matcher.interpret(utterance)
    assert (understood.kind, understood.invoked, understood.intent) == ("launch", True, None)


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("ask trust builder to list the steps", "ListStepsIntent"),
        ("Alexa, ask trust builder where we are", "WhereAreWeIntent"),
        ("tell trust builder we need a break", "TimeOutIntent"),
        ("tell trust builder that we need a break", "TimeOutIntent"),
        ("ask trust builder for help", "AMAZON.HelpIntent"),
        ("ask trust builder about forgiveness", "GoToStepIntent"),
        ("open trust builder and start the exercise", "StartExerciseIntent"),
        ("list the steps using trust builder", "ListStepsIntent"),
        ("ask trust builder to fly me to the moon", FALLBACK),
    ],
)
def test_one_shot_forms(matcher: Matcher, utterance: str, intent: str) -> None:
    understood = matcher.interpret(utterance)
    assert (understood.kind, understood.invoked) == ("intent", True)
    assert understood.intent is not None
    assert understood.intent.name == intent


def test_uninvoked_utterances_are_plain_intents(matcher: Matcher) -> None:
    understood = matcher.interpret("list the steps")
    assert (understood.kind, understood.invoked) == ("intent", False)
    assert matcher.interpret("  ").kind == "empty"


@pytest.mark.parametrize("utterance", ["exit", "quit", "Alexa, exit", "exit trust builder", "quit the skill"])
def test_exit_forms(matcher: Matcher, utterance: str) -> None:
    assert matcher.interpret(utterance).kind == "exit"


def test_exit_inside_a_longer_sentence_is_not_exit(matcher: Matcher) -> None:
    assert matcher.interpret("exit strategy").kind == "intent"


# --- loading -------------------------------------------------------------------------------------------


def test_a_locale_without_its_own_model_uses_one_of_its_language(tmp_path: Path) -> None:
    (tmp_path / "en-US.json").write_text(json.dumps({"interactionModel": {"languageModel": tiny_model()}}))
    assert model_path("en-GB", tmp_path).name == "en-US.json"
    with pytest.raises(FileNotFoundError):
        model_path("de-DE", tmp_path)
    assert Matcher.for_locale("en-AU", tmp_path).invocation == ("tiny", "test")


def test_a_sample_with_an_undeclared_slot_is_refused() -> None:
    broken = tiny_model(BrokenIntent=["go to {place}"])
    with pytest.raises(ValueError, match="undeclared slot"):
        Matcher(broken)


def test_alexa_slot_shape_for_names_and_numbers(matcher: Matcher) -> None:
    slots = matcher.match_intent("we are sam and alex").alexa_slots(SKILL_ID)
    assert slots["firstName"] == envelopes.slot("firstName", "Sam")
    assert "resolutions" not in slots["firstName"]
    assert slots["secondName"]["slotValue"] == {"type": "Simple", "value": "Alex"}
