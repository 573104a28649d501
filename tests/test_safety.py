"""Safety: the two routes from every state in every locale, the follow-up, the gentle check, the lexicon.

End to end through lambda_function.lambda_handler (real ASK SDK dispatch, the embedded SQLite store) driven by
the local console's device, so phrases reach the skill as the interaction model's samples match them. The
pure parts (trust_builder.safety) are tested directly too.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import skill_harness
from skill_harness import device, household_id, lambda_entry, response_problems

from trust_builder.content import LOCALE_DIR
from trust_builder.safety import (
    OFFER_CARD,
    OFFER_NUMBER,
    Answer,
    FollowUp,
    Route,
    classify,
    follow_up,
    help_line,
    inflections,
    locales,
)
from trust_builder.storage.sqlite_adapter import DATABASE_FILE_NAME
from trust_console import envelopes
from trust_console.device import LocalDevice, Turn

MODEL = Path(__file__).resolve().parent.parent / "interaction_models" / "en-US.json"

# The numbers as the shared reference (listening-exercise.md, "Help lines by locale" and "Crisis lines")
# publishes them, with its sources; Canada's 211 from 211.ca / United Way Centraide Canada.
REFERENCE = {
    "en-US": {"partner": "18007997233", "crisis": "988", "emergency": "911"},
    "en-GB": {"partner": "08082000247", "crisis": "116123", "emergency": "999"},
    "en-AU": {"partner": "1800737732", "crisis": "131114", "emergency": "000"},
    "en-CA": {"partner": "211", "crisis": "988", "emergency": "911"},
    "en-IN": {"partner": "181", "crisis": "14416", "emergency": "112"},
}
DIGIT_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "eleven": "11", "thirteen": "13", "fourteen": "14",
}  # fmt: skip
PARTNER_PHRASE = "my husband hit me"
CRISIS_PHRASE = "I want to kill myself"
ROUTE_PHRASES = {"partner": PARTNER_PHRASE, "crisis": CRISIS_PHRASE}
ROUTE_INTENTS = {"partner": "SafetyIntent", "crisis": "CrisisIntent"}
SAFETY_WORDS = (
    "safe",
    "hotline",
    "helpline",
    "threat",
    "afraid",
    "hurt",
    "abuse",
    "danger",
    "kill",
    "crisis",
)
BOOKKEEPING_KEYS = {"last_visit", "write_id", "write_ids"}

SETUP = ("open trust builder", "start the listening exercise")
FLOOR = (*SETUP, "Sam and Alex", "Sam goes first", "one minute each", "next")
STATES = {
    "menu": (("open trust builder",), "menu"),
    "mid-step": (("open trust builder", "step two"), "steps"),
    "names": (SETUP, "exercise"),
    "floor": (FLOOR, "exercise"),
    "confirm start over": (("open trust builder", "step two", "start over"), "confirm_start_over"),
    "confirm forget": (("open trust builder", "step two", "forget us"), "confirm_forget"),
    "resume offer": ((*FLOOR, "stop", "open trust builder"), "resume_offer"),
}


@pytest.fixture
def handler(tmp_path_factory: pytest.TempPathFactory):
    return lambda_entry(tmp_path_factory.mktemp("data"))


def checked(turn: Turn) -> Turn:
    where = f"{turn.heard!r} -> {turn.speech_text[:300]!r}"
    assert turn.problems == [], where
    if turn.response:
        assert response_problems(turn.response) == [], where
    return turn


def say(echo: LocalDevice, *utterances: str) -> Turn:
    for text in utterances:
        turn = checked(echo.say(text))
    return turn


def stored_item(user_id: str) -> dict[str, Any] | None:
    assert skill_harness._DATA_DIR is not None
    path = skill_harness._DATA_DIR / DATABASE_FILE_NAME
    if not path.is_file():
        return None
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        row = connection.execute("SELECT attributes FROM progress WHERE id = ?", (user_id,)).fetchone()
    return json.loads(row[0]) if row else None


def ssml(turn: Turn, part: str = "outputSpeech") -> str:
    holder = turn.response["response"] if part == "outputSpeech" else turn.response["response"]["reprompt"]
    return holder["outputSpeech"]["ssml"]


def said_numbers(markup: str) -> list[str]:
    """Every number said slowly in the SSML, as digits (say-as telephone or a chosen spoken form)."""
    found = []
    for inner in re.findall(r'<prosody rate="slow">(.*?)</prosody>', markup):
        phone = re.fullmatch(r'<say-as interpret-as="telephone">(.*)</say-as>', inner)
        found.append(re.sub(r"\D", "", phone.group(1)) if phone else spoken_digits(inner))
    return found


def spoken_digits(words: str) -> str:
    tokens = re.findall(r"[a-z]+", words.lower())
    digits, index = "", 0
    while index < len(tokens):
        if tokens[index] == "triple":
            digits += DIGIT_WORDS[tokens[index + 1]] * 3
            index += 2
            continue
        digits += DIGIT_WORDS[tokens[index]]
        index += 1
    return digits


# --- the help lines, by exact locale -------------------------------------------------------------------


def test_every_locale_is_listed():
    assert set(locales()) == set(REFERENCE)


@pytest.mark.parametrize("locale", sorted(REFERENCE))
@pytest.mark.parametrize("route", [Route.PARTNER, Route.CRISIS])
def test_numbers_match_the_reference_and_their_spoken_forms(locale: str, route: Route):
    line = help_line(locale, route)
    expected = REFERENCE[locale]
    assert re.sub(r"\D", "", line.number.number) == expected[str(route)]
    assert re.sub(r"\D", "", line.emergency.number) == expected["emergency"]
    for number in (line.number, line.emergency):
        if number.spoken:  # a short code said in words on purpose: the words must be the number
            assert spoken_digits(number.spoken) == re.sub(r"\D", "", number.number)
    assert not re.search(r"\d", line.name + line.extra), "digits in speech would be read as quantities"
    assert re.sub(r"\D", "", line.number.number) in re.sub(r"\D", "", line.card)


def test_canada_gets_phone_numbers():
    assert re.search(r"\d{3}", help_line("en-CA", Route.PARTNER).number.number)
    assert help_line("en-CA", Route.CRISIS).number.number == "988"


def test_every_line_cites_a_source():
    text = (LOCALE_DIR / "helplines.toml").read_text(encoding="utf-8")
    for locale in REFERENCE:
        section = text.split(f"[{locale}.partner]")[1].split(f"[{locale}.emergency]")[0]
        assert re.search(r"#.*(Source|source)", section), f"{locale}: no source cited"


@pytest.mark.parametrize("locale", [None, "fr-FR", "en-NZ"])
def test_an_unlisted_locale_falls_back_to_en_us(locale):
    assert help_line(locale, Route.CRISIS) == help_line("en-US", Route.CRISIS)


# --- the distress lexicon ------------------------------------------------------------------------------


def test_verbs_are_matched_in_every_inflection():
    assert {"beat", "beats", "beating", "beaten"} <= inflections("beat", ("beaten",))
    assert {"hurt", "hurts", "hurting"} <= inflections("hurt", ("hurt",))
    assert {"kill", "kills", "killed", "killing"} <= inflections("kill")
    assert {"choke", "choked", "choking"} <= inflections("choke")
    assert {"hit", "hitting"} <= inflections("hit", ("hit",))


LEXICON_CASES = {
    Route.CRISIS: [
        "I want to kill myself", "killing myself", "thinking about suicide", "suicidal", "I can't go on",
        "I don't want to live anymore", "I want to die", "better off without me", "I took an overdose",
        "I want to top myself", "end it all",
    ],
    Route.PARTNER: [
        "he beat me", "he's beating me", "I was beaten", "she hits me", "he hit me last night",
        "my husband is hurting me", "he threatened to kill me", "I'm being abused", "he's abusive",
        "I don't feel safe", "I'm afraid of my husband", "she won't let me leave", "he has a knife",
        "abused", "threatened", "unsafe", "he is killing me", "he pushed me",
    ],
    Route.CHECK: ["terrified", "scared", "I'm scared", "I am so frightened", "I'm scared right now"],
    None: [
        "Sam", "Priya", "I'm afraid so", "I'm afraid not", "I'm scared of losing her", "is our data safe",
        "I feel safe", "I feel hurt", "he hurt my feelings", "I'm so angry", "is it normal to feel jealous",
        "I think he's lying to me", "I think she's cheating", "afraid of commitment", "jealous",
        "this is killing me", "my back is killing me", "he pushed me away emotionally",
        "I want to die of embarrassment", "I'm dying to know",
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "route"), [(text, route) for route, texts in LEXICON_CASES.items() for text in texts]
)
def test_lexicon_reads_free_text(text: str, route: Route | None):
    assert classify(text, "en-US") == route


# --- the follow-up, as a pure state --------------------------------------------------------------------


def test_follow_up_offers_the_number_then_the_card_once():
    number = FollowUp(Route.CRISIS, OFFER_NUMBER)
    card = FollowUp(Route.CRISIS, OFFER_CARD)
    assert follow_up(number, Answer.YES).say_number
    assert follow_up(number, Answer.YES).next_offer == card
    assert not follow_up(number, Answer.NO).say_number
    assert follow_up(number, Answer.NO).next_offer == card
    assert follow_up(card, Answer.YES).send_card
    assert follow_up(card, Answer.YES).next_offer is None
    assert not follow_up(card, Answer.NO).send_card
    assert follow_up(card, Answer.NO).next_offer is None
    assert follow_up(card, Answer.REPEAT).say_number
    assert not follow_up(card, Answer.REPEAT).send_card
    assert FollowUp.from_dict(card.to_dict()) == card
    assert FollowUp.from_dict({"route": "nope", "offered": "card"}) is None


# --- end to end: each route x each state x each locale -------------------------------------------------


def reach(echo: LocalDevice, state: str) -> None:
    utterances, mode = STATES[state]
    say(echo, *utterances)
    assert echo.session_attributes.get("mode") == mode, f"did not reach {state}"


def assert_line(turn: Turn, locale: str, route: str) -> None:
    assert turn.intent == ROUTE_INTENTS[route], f"{turn.heard!r} was heard as {turn.intent}"
    numbers = said_numbers(ssml(turn))
    expected = REFERENCE[locale]
    assert numbers.count(expected[route]) == 2, f"the line is said twice: {numbers}"
    assert expected["emergency"] in numbers
    if help_line(locale, Route(route)).number.spoken is None:  # not a short code: read as a phone number
        assert ssml(turn).count('<say-as interpret-as="telephone">') == 2
    assert turn.card is None, "the card is offered, never sent unasked"
    assert turn.session_open
    assert turn.reprompt_text
    assert turn.speech_text.rstrip().endswith("Shall I say the number again?")
    text = turn.speech_text.lower()
    assert "this exercise" not in text
    assert "right tool" not in text


@pytest.mark.parametrize("locale", sorted(REFERENCE))
@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("route", ["partner", "crisis"])
def test_each_route_from_each_state_in_each_locale(handler, route: str, state: str, locale: str) -> None:
    user = household_id(f"safety-{route}")
    echo = device(handler, user, locale=locale)  # the matcher falls back to the en-US model
    reach(echo, state)
    before = stored_item(user)

    turn = checked(echo.say(ROUTE_PHRASES[route]))

    assert_line(turn, locale, route)
    after = stored_item(user)
    if before is None:
        assert after is None, "a safety request before anything was stored stores nothing"
    else:
        assert after is not None
        assert not after.get("unfinished_exercise")
        assert not after.get("timer_id")
        changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        assert changed <= {"unfinished_exercise", "timer_id"} | BOOKKEEPING_KEYS, changed
        assert not [word for word in SAFETY_WORDS if word in json.dumps(after).lower()]
    attributes = echo.session_attributes
    assert not attributes.get("exercise"), "the exercise stops"
    assert attributes.get("mode") is None
    assert ROUTE_PHRASES[route].lower() not in json.dumps(attributes).lower(), "what was said is not kept"

    # Nothing is continued: a new session offers no resume.
    echo.end_session()
    again = say(echo, "open trust builder")
    assert echo.session_attributes.get("mode") != "resume_offer"
    assert "pick up" not in again.speech_text.lower()


@pytest.mark.parametrize("locale", sorted(REFERENCE))
def test_yes_says_only_the_number_then_the_card_is_sent_only_on_yes(handler, locale: str) -> None:
    echo = device(handler, household_id("follow-up"), locale=locale)
    say(echo, "open trust builder", "step two", CRISIS_PHRASE)

    again = say(echo, "yes")
    assert said_numbers(ssml(again)) == [REFERENCE[locale]["crisis"]] * 2, "only the number, twice"
    assert "step" not in again.speech_text.lower()
    assert again.card is None
    assert "anyone who uses this Alexa account can see it" in again.speech_text
    assert again.speech_text.rstrip().endswith("?")
    assert again.session_open

    sent = say(echo, "yes")
    assert sent.card is not None
    assert re.sub(r"\D", "", REFERENCE[locale]["crisis"]) in re.sub(r"\D", "", sent.card.text)
    assert sent.session_ended


def test_repeat_says_the_number_again_and_no_sends_nothing(handler) -> None:
    echo = device(handler, household_id("follow-up-no"))
    say(echo, "open trust builder", PARTNER_PHRASE)
    repeated = say(echo, "repeat")
    assert said_numbers(ssml(repeated)) == ["18007997233"] * 2
    repeated = say(echo, "say that again")
    assert said_numbers(ssml(repeated)) == ["18007997233"] * 2
    declined = say(echo, "no")
    assert declined.card is None
    assert declined.session_ended


def test_no_then_no_never_sends_a_card(handler) -> None:
    echo = device(handler, household_id("follow-up-no-no"))
    say(echo, "open trust builder", PARTNER_PHRASE)
    offer = say(echo, "no")
    assert said_numbers(ssml(offer)) == []
    assert "Alexa app" in offer.speech_text
    assert offer.card is None
    done = say(echo, "no")
    assert done.card is None
    assert done.session_ended


def test_silence_after_the_line_ends_the_session_without_a_card(handler) -> None:
    echo = device(handler, household_id("follow-up-silence"))
    say(echo, "open trust builder", PARTNER_PHRASE)
    reprompt = checked(echo.silence())
    assert reprompt.reprompt_played
    ended = checked(echo.silence())
    assert not echo.session_open
    assert ended.card is None


def test_the_offer_lapses_when_the_couple_moves_on(handler) -> None:
    """After the line, "step two" then "yes" is the step's offer, never "send the card"."""
    echo = device(handler, household_id("follow-up-lapse"))
    say(echo, "open trust builder", PARTNER_PHRASE, "step two")
    detail = say(echo, "yes")
    assert detail.card is None or "Help" not in detail.card.title
    assert (
        "safety_follow_up" not in echo.session_attributes or not echo.session_attributes["safety_follow_up"]
    )


# --- the gentle check question -------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["menu", "mid-step", "names", "floor", "confirm forget", "resume offer"])
def test_no_to_the_check_returns_exactly_where_they_were(handler, state: str) -> None:
    user = household_id("check-no")
    echo = device(handler, user)
    reach(echo, state)
    before_attributes = {
        k: v for k, v in echo.session_attributes.items() if k not in ("last", "turns")
    }  # turns: a running count
    before_turn = echo.turns[-1] if hasattr(echo, "turns") else None
    last = dict(echo.session_attributes.get("last") or {})
    stored = stored_item(user)

    question = say(echo, "I'm scared")
    assert question.intent == "SafetyCheckIntent"
    assert "Do you mean you don't feel safe right now?" in question.speech_text
    assert question.session_open
    assert question.card is None

    back = say(echo, "no")
    assert {
        k: v for k, v in echo.session_attributes.items() if k not in ("last", "turns")
    } == before_attributes
    assert ssml(back).endswith(last["reprompt"][len("<speak>") :]), "the same question, asked again"
    assert ssml(back, "reprompt") == last["reprompt"]
    assert stored_item(user) == stored, "nothing stored"
    del before_turn


@pytest.mark.parametrize("answer", ["yes", "blah blah purple monkey", "next"])
def test_anything_but_no_to_the_check_gives_the_line(handler, answer: str) -> None:
    echo = device(handler, household_id("check-yes"))
    say(echo, "open trust builder", "step two", "I'm scared")
    turn = say(echo, answer)
    assert said_numbers(ssml(turn)).count("18007997233") == 2
    assert turn.session_open


def test_silence_after_the_check_hears_the_line_and_the_exercise_stops(handler) -> None:
    user = household_id("check-silence")
    echo = device(handler, user)
    reach(echo, "floor")
    say(echo, "I'm scared")
    reprompt = checked(echo.silence())
    assert "1-800-799-7233" in reprompt.speech_text
    assert "nine one one" in reprompt.speech_text
    checked(echo.silence())
    assert not echo.session_open
    assert not (stored_item(user) or {}).get("unfinished_exercise")


# --- every free-text slot is checked, whatever the intent ----------------------------------------------

FREE_TEXT_TYPES = {"AMAZON.FirstName", "AMAZON.SearchQuery", "Feeling"}


def free_text_slots() -> list[tuple[str, str]]:
    model = json.loads(MODEL.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
    return [
        (intent["name"], slot["name"])
        for intent in model["intents"]
        for slot in intent.get("slots", [])
        if slot["type"] in FREE_TEXT_TYPES
    ]


def test_the_model_has_free_text_slots_to_check():
    assert ("NamesIntent", "firstName") in free_text_slots()


@pytest.mark.parametrize(("intent", "slot"), free_text_slots())
@pytest.mark.parametrize(
    ("value", "expect"),
    [("he beat me", "18007997233"), ("I want to kill myself", "988"), ("terrified", "check")],
)
def test_distress_in_any_free_text_slot(handler, intent: str, slot: str, value: str, expect: str) -> None:
    echo = device(handler, household_id("slot"))
    say(echo, "open trust builder", "start the listening exercise")
    turn = checked(echo.send(envelopes.intent_request(intent, {slot: envelopes.slot(slot, value)})))
    if expect == "check":
        assert "Do you mean you don't feel safe right now?" in turn.speech_text
        assert echo.session_attributes.get("exercise"), "the exercise waits for the answer"
    else:
        assert said_numbers(ssml(turn)).count(expect) == 2
        assert not echo.session_attributes.get("exercise")
    names = (stored_item(echo.identity.user_id) or {}).get("names") or []
    assert value not in names
    assert value.title() not in names


# --- the interaction model: a few phrasings of our own per route ---------------------------------------

OWN_PHRASES = {
    "SafetyIntent": [
        "I don't feel safe", "I do not feel safe at home", "I am not safe", "he hit me", "my wife hits me",
        "my boyfriend is hurting me", "I was beaten by my husband", "she threatened to kill me",
        "I'm afraid of him", "what's the domestic violence hotline", "call the police",
        "I'm in danger right now",
        "my partner won't let me leave the house", "he's got a knife",
    ],
    "CrisisIntent": [
        "I want to kill myself", "I don't want to live anymore", "I feel suicidal", "I can't go on",
        "I'm thinking about ending my life", "what's the suicide hotline", "samaritans", "I want to die",
    ],
    "SafetyCheckIntent": ["I'm scared", "I'm frightened", "I am so scared", "I'm terrified right now"],
}  # fmt: skip
NEVER_SAFETY = ["I'm afraid so", "I'm afraid not", "is our data safe", "I feel safe", "next", "step two"]


def model_samples() -> dict[str, set[str]]:
    model = json.loads(MODEL.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
    return {i["name"]: {s.lower() for s in i.get("samples", [])} for i in model["intents"]}


@pytest.mark.parametrize(
    ("intent", "phrase"), [(intent, p) for intent, phrases in OWN_PHRASES.items() for p in phrases]
)
def test_own_phrasings_reach_their_intent(intent: str, phrase: str) -> None:
    """Through the matcher, as a device hears them (the samples use slots for who, what and when now), and
    safety.decide reading the slots: a crisis line asked for by name is SafetyIntent's {line} with its
    crisis id."""
    from trust_builder.safety import Filled, decide
    from trust_console.matcher import Matcher

    found = Matcher.for_locale("en-US").match_intent(phrase)
    routes = {"SafetyIntent": Route.PARTNER, "CrisisIntent": Route.CRISIS, "SafetyCheckIntent": Route.CHECK}
    heard = routes.get(found.name)
    if found.name in ("SafetyIntent", "CrisisIntent"):
        assert heard is not None
        slots = {slot.name: Filled(slot.value, slot.resolved_id) for slot in found.slots if slot.value}
        heard = decide(heard, slots)
    assert heard is routes[intent], f"{phrase!r} was heard as {found.name} {found.sample!r}"


def test_routes_are_written_for_recall() -> None:
    samples = model_samples()
    assert len(samples["SafetyIntent"]) >= 300
    assert len(samples["CrisisIntent"]) >= 300
    assert len(samples["SafetyCheckIntent"]) >= 30


def test_no_bare_fear_or_everyday_phrase_is_a_safety_sample() -> None:
    samples = model_samples()
    safety = samples["SafetyIntent"] | samples["CrisisIntent"] | samples["SafetyCheckIntent"]
    bare = {"i'm scared", "i'm afraid", "i am afraid", "i am scared", "i'm frightened", "i'm terrified"}
    assert not bare & samples["SafetyIntent"], "bare fear asks first (SafetyCheckIntent)"
    assert not {"i'm afraid", "i am afraid"} & samples["SafetyCheckIntent"], "it begins 'I'm afraid so'"
    assert not [phrase for phrase in NEVER_SAFETY if phrase.lower() in safety]
    assert not [s for s in safety if "losing" in s or "data" in s]
