"""Safety recall and precision, second pass (issue 8): how people really say it, and what stays ordinary.

Phrasings written apart from the model's samples (before them, as a new user would say them), each sent
through lambda_function.lambda_handler by the local console's device from several dialog states, so a
phrase reaches the skill only as the interaction model's samples and slots match it. The pure decision
(safety.decide: what the slots' values mean) and the distress lexicon's precision are tested directly too.
"""

from __future__ import annotations

import pytest
from skill_harness import device, household_id, lambda_entry, response_problems

from trust_builder.safety import Filled, Route, classify, decide, help_line, named_people, read_words, spoken
from trust_console.device import LocalDevice, Turn

# Our own phrasings, per route: past and present, he/she/they and relationship words, fillers, hedges,
# minimising, control, threats, danger now, injuries, UK / Australian / Indian English, lines by name.
PARTNER = [
    "my husband hit me this morning", "my fiance hits me when we argue", "she pushed me into the wall",
    "um okay so my husband kicked me yesterday", "I don't know how to say this but he hurts me",
    "it's not that bad he only shoves me sometimes", "my ex keeps turning up at my house",
    "he takes all my money", "she won't let me see my family", "he threatened to kill me",
    "my husband threatens to hurt the kids", "she said she'll take the kids if I leave",
    "he's trying to break in", "I've locked myself in the bathroom", "I'm scared she'll hit me again",
    "he gave me a black eye", "he forces me to have sex", "my bloke's been knocking me about",
    "he gave me a hiding last night", "my in laws are harassing me for dowry",
    "my husband raises his hand on me", "who do I call if my partner hits me",
    "is there a helpline for domestic abuse", "number for women's aid", "I was beaten by my boyfriend",
    "my ex hit me and now he won't go away", "I keep quiet or he'll lose it and hit me",
    # third pass: what the slots' words say when the shape alone does not (safety.read_words, named_people)
    "he beats me up when he's had a drink", "honestly I need to tell somebody my wife has been hurting me",
    "my girlfriend shoved me when I tried to leave", "she's got a gun and she's shouting at me",
    "he's threatening to post my pictures online", "my ex sat outside my house all night",
    "he threatened to take the baby and hurt her", "my husband grabbed my wrist so hard it bruised",
]  # fmt: skip
CRISIS = [
    "I want to end it all", "I'm going to end it tonight", "I've got pills saved up",
    "I'm going to jump off a bridge", "I've been cutting myself", "I hit myself when I'm upset",
    "everyone would be better off without me", "nobody would notice if I was gone",
    "if she leaves I'll kill myself", "I'm going to top myself", "I want to do myself in",
    "um I don't know how to say this but I want to die", "call the samaritans", "give me the lifeline number",
    "is there a helpline for suicide",
    "I've gone back to cutting", "I think I'll just end my life", "I'm sick of living",
    "I keep banging my head against the wall", "I've swallowed a box of sleeping pills",
    "I feel like such a burden",
]  # fmt: skip
# Everyday talk: never a help line, never the end of the session (a gentle question is allowed only where
# listed in ASKED below).
ORDINARY = [
    "I'm scared he'll leave me", "I'm afraid not", "is my data safe", "this is killing me",
    "that hurt my feelings", "I'm afraid of losing her", "he beat me at chess", "I could kill for a coffee",
    "I'm dying to know", "I'm afraid he'll be angry", "the suspense is killing me",
    "I'm scared I'll mess this up", "we had a fight last night", "she loves me",
    "I was hurt when she forgot my birthday", "I want to treat myself tonight", "I think I'll make dinner",
    "he hits the ball hard", "I've been cutting back on coffee", "he beat me at cards again",
    "I've been thinking about step three", "she threatened to leave me if I forget again",
    "my wife beat me at monopoly last night", "he grabbed me a sandwich",
    "she's trying to kill me with her puns",
]  # fmt: skip
STATES = {
    "menu": ("open trust builder",),
    "names": ("open trust builder", "start the listening exercise"),
    "floor": ("open trust builder", "start the listening exercise", "Sam and Alex", "Sam goes first",
              "one minute each", "next"),
}  # fmt: skip


@pytest.fixture(scope="module")
def handler(tmp_path_factory: pytest.TempPathFactory):
    return lambda_entry(tmp_path_factory.mktemp("data"))


def reached(handler, state: str) -> LocalDevice:
    echo = device(handler, household_id(f"recall-{state}"))
    for text in STATES[state]:
        echo.say(text)
    return echo


def heard(echo: LocalDevice, text: str) -> Turn:
    turn = echo.say(text)
    assert turn.problems == [], f"{text!r}: {turn.problems}"
    assert response_problems(turn.response) == [], text
    return turn


def line_given(turn: Turn) -> str | None:
    """The route whose line the response gives (its name, then the follow-up offer), if any."""
    if "Shall I say the number again?" not in turn.speech_text:
        return None
    for route in (Route.CRISIS, Route.PARTNER):
        if help_line("en-US", route).name in turn.speech_text:
            return str(route)
    return None


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize(
    ("route", "text"), [("partner", t) for t in PARTNER] + [("crisis", t) for t in CRISIS]
)
def test_each_phrasing_reaches_its_line(handler, state: str, route: str, text: str) -> None:
    echo = reached(handler, state)
    turn = heard(echo, text)
    if "Do you mean you don't feel safe right now?" in turn.speech_text:  # asked once: yes gives the line
        turn = heard(echo, "yes")
    assert line_given(turn) == route, f"{text!r} in {state}: {turn.intent} -> {turn.speech_text[:160]!r}"
    assert turn.session_open


@pytest.mark.parametrize("state", ["menu", "floor"])
@pytest.mark.parametrize("text", ORDINARY)
def test_everyday_talk_gets_no_line_and_keeps_the_session(handler, state: str, text: str) -> None:
    echo = reached(handler, state)
    turn = heard(echo, text)
    assert line_given(turn) is None, f"{text!r} in {state} was heard as a disclosure ({turn.intent})"
    assert "Do you mean you don't feel safe" not in turn.speech_text, f"{text!r} asked the safety question"
    assert turn.session_open, f"{text!r} ended the session"


def test_afraid_so_gives_no_line_and_keeps_the_session(handler) -> None:
    """ "so" is a discourse word Alexa sees past, so "I'm afraid so" can be heard as "I'm afraid": a bare fear
    that asks the gentle question once (erring toward help), never a line, never the end of the session."""
    echo = reached(handler, "menu")
    turn = heard(echo, "I'm afraid so")
    assert line_given(turn) is None
    assert turn.session_open


def test_a_murder_idiom_asks_once_and_never_gives_the_line_unasked(handler) -> None:
    """ "he'll murder me if ..." is an idiom as often as "he'll kill me": the gentle question, no line."""
    turn = heard(reached(handler, "menu"), "he'll murder me if I forget the milk")
    assert "Do you mean you don't feel safe right now?" in turn.speech_text
    assert line_given(turn) is None
    assert turn.session_open


@pytest.mark.parametrize("state", ["menu", "floor"])
def test_a_request_to_stop_still_stops(handler, state: str) -> None:
    echo = reached(handler, state)
    turn = heard(echo, "stop")
    assert turn.intent == "AMAZON.StopIntent"
    assert line_given(turn) is None
    assert not turn.session_open


# --- what the slots' values mean (pure) ----------------------------------------------------------------


def filled(**slots: tuple[str, str | None]) -> dict[str, Filled]:
    return {name: Filled(value, resolved) for name, (value, resolved) in slots.items()}


DECISIONS = [
    # a clear harm is a disclosure whatever fills the slots beside it
    (Route.PARTNER, filled(who=("a guy at work", None), when=("in the car park", None)), Route.PARTNER),
    # an unsure verb with a listed person and no tail, or a listed tail: the line
    (Route.PARTNER, filled(person=("he", "he")), Route.PARTNER),
    (Route.PARTNER, filled(person=("he", "he"), after=("last night", "time")), Route.PARTNER),
    # an unsure verb with words nobody listed after it: ask once
    (Route.PARTNER, filled(person=("he", "he"), after=("behind the shed", None)), Route.CHECK),
    # a named person and a harm verb ({when}), then words nobody listed: the line, unless everyday talk
    (Route.PARTNER, filled(person=("my ex", "ex"), when=("and he's back again", None)), Route.PARTNER),
    (Route.PARTNER, filled(person=("she", "she"), when=("up on facebook", None)), None),
    # ... unless they are everyday talk ("beat me at chess"), or nobody is named ("this is killing me")
    (Route.PARTNER, filled(person=("he", "he"), after=("at chess", None)), None),
    (Route.PARTNER, filled(who=("this", None), act=("killing", "idiom")), None),
    (
        Route.PARTNER,
        filled(who=("he", "he"), act=("pushing", "unsure"), after=("around the house", None)),
        Route.CHECK,
    ),
    # the same tail beside a clear harm act: the line
    (
        Route.PARTNER,
        filled(who=("he", "he"), act=("punching", "harm"), after=("at chess", None)),
        Route.PARTNER,
    ),
    # "my wife is going to kill me": an idiom as often as not: ask once
    (Route.PARTNER, filled(who=("my wife", "wife"), act=("kill", "idiom")), Route.CHECK),
    # ... but a threat ("threatened to kill me") is harm
    (Route.PARTNER, filled(who=("he", "he"), harm=("kill", "idiom")), Route.PARTNER),
    # unlisted words where only listed ones mean anything: no disclosure (the fallback answers)
    (Route.PARTNER, filled(who=("she", "she"), act=("loves", None)), None),
    (Route.PARTNER, filled(person=("the ball", None)), None),
    (Route.PARTNER, filled(line=("a taxi", None)), None),
    (Route.CRISIS, filled(plan=("kill for a coffee", None)), None),
    (Route.PARTNER, filled(who=("he", "he"), act=("taking", "threat")), None),
    # a crisis line named from SafetyIntent is the crisis line
    (Route.PARTNER, filled(line=("the samaritans", "crisis")), Route.CRISIS),
    (Route.CRISIS, filled(plan=("end it all", "suicide"), when=("tonight", "time")), Route.CRISIS),
    # an unsure verb, then words that say when or why it happens: the line (no question first)
    (Route.PARTNER, filled(person=("he", "he"), after=("when he's been drinking", None)), Route.PARTNER),
    (Route.PARTNER, filled(person=("she", "she"), after=("down the stairs", None)), Route.PARTNER),
    # ... unless a game is named, in the tail or in what was said first
    (Route.PARTNER, filled(person=("he", "he"), when=("at cards again", None)), None),
    (Route.PARTNER, filled(lead=("whenever we play tennis", None), person=("she", "she")), None),
    # a hedge nobody listed before a named person and an unsure verb: the line
    (
        Route.PARTNER,
        filled(lead=("I have to tell someone", None), who=("he", "he"), act=("hurting", "unsure")),
        Route.PARTNER,
    ),
    # ... any game, however it is said ("at scrabble again"); a favour ("grabbed me a coffee")
    (Route.PARTNER, filled(person=("she", "she"), when=("at scrabble again", None)), None),
    (Route.PARTNER, filled(person=("he", "he"), when=("at home again", None)), Route.PARTNER),
    (Route.PARTNER, filled(person=("my boyfriend", "boyfriend"), when=("a coffee on the way", None)), None),
    # a threat's idiom said with jokes is no threat; with a weapon it is
    (
        Route.PARTNER,
        filled(who=("he", "he"), harm=("kill", "idiom"), after=("with these dad jokes", None)),
        None,
    ),
    (
        Route.PARTNER,
        filled(who=("he", "he"), harm=("kill", "idiom"), after=("with a knife", None)),
        Route.PARTNER,
    ),
    # hurt at a game with nobody named: ask once
    (Route.PARTNER, filled(when=("in the face with a netball", None)), Route.CHECK),
    (Route.PARTNER, filled(when=("in the face last night", None)), Route.PARTNER),
    # "she'll murder me if I'm late": murder is an idiom like kill
    (
        Route.PARTNER,
        filled(who=("she", "she"), act=("murder", "idiom"), after=("if I'm late", None)),
        Route.CHECK,
    ),
    # "die" as an idiom
    (Route.CRISIS, filled(plan=("die", "suicide"), when=("of embarrassment", None)), None),
    (Route.CRISIS, filled(plan=("die", "suicide"), when=("than sing in public", None)), None),
]

# What the slots' words say when the shape was no disclosure (decide gave None): safety.read_words.
WORDS = [
    (Route.CRISIS, filled(plan=("swallow the whole box of tablets", None)), Route.CRISIS),
    (
        Route.CRISIS,
        filled(lead=("there's a rope in the shed and", None), plan=("use it", None)),
        Route.CRISIS,
    ),
    (Route.CRISIS, filled(plan=("make myself a sandwich", None)), None),
    (Route.CRISIS, filled(plan=("ending things with him", None)), Route.CHECK),
    (Route.PARTNER, filled(who=("he", "he"), harm=("burn my things with", None)), Route.PARTNER),
    (
        Route.PARTNER,
        filled(who=("so the thing is", None), act=("my wife snaps and she hits", None)),
        Route.PARTNER,
    ),
    (
        Route.PARTNER,
        filled(who=("there", None), act=("no point for", None), after=("to go on", None)),
        Route.CRISIS,
    ),
    # a violent word inside a clause nobody listed is not harm ("I was {hurt when he forgot} me ...")
    (
        Route.PARTNER,
        filled(who=("I", None), act=("hurt when he forgot", None), after=("at dinner", None)),
        None,
    ),
    (Route.PARTNER, filled(who=("she", "she"), act=("loves", None)), None),
]


def test_someone_else_at_risk_is_the_crisis_line() -> None:
    """ "she keeps saying she's going to kill herself": the threat's shape says harm, its words self-harm."""
    slots = filled(who=("she", "she"), harm=("kill", "idiom"), kin=("herself", None))
    assert decide(Route.PARTNER, slots) is Route.PARTNER
    assert classify(spoken(slots), "en-US") is Route.CRISIS


@pytest.mark.parametrize(("route", "slots", "expected"), WORDS)
def test_read_words_reads_what_the_slots_took(route: Route, slots: dict[str, Filled], expected) -> None:
    assert decide(route, slots) is None
    assert read_words(route, slots, "en-US") is expected


@pytest.mark.parametrize(
    ("value", "named"),
    [("I don't really know how to say it but my husband", True), ("my missus", True),
     ("he says nobody", False),
     ("the guy at the shop", False)],
)  # fmt: skip
def test_unlisted_words_that_end_by_naming_someone_name_them(value: str, named: bool) -> None:
    slots = named_people({"who": Filled(value, None)}, "en-US")
    assert (slots["who"].resolved_id is not None) is named


@pytest.mark.parametrize(("route", "slots", "expected"), DECISIONS)
def test_decide_reads_what_filled_the_slots(route: Route, slots: dict[str, Filled], expected) -> None:
    assert decide(route, slots) is expected


# --- the distress lexicon: precision and the new forms -------------------------------------------------

LEXICON = {
    Route.PARTNER: [
        "I'm scared he'll hurt me", "afraid she is going to hit me", "he's knocking me about",
        "my in laws harass me for dowry", "he raised his hand on me", "he gave me a hiding",
        "I have bruises", "he locked me in", "he threatened to hurt the kids",
    ],
    Route.CRISIS: [
        "no one would notice if I was gone", "I can't take it anymore", "I want to do myself in",
        "I've been giving my things away", "I wrote a suicide note", "better off if I was gone",
    ],
    Route.CHECK: ["I feel hopeless", "honestly I'm at breaking point", "I'm walking on eggshells at home"],
    None: [
        "I feel choked up", "choked by all the stress at work", "I'd love to treat myself",
        "I'm scared he'll leave me", "I'm afraid he'll be angry", "afraid she'll say no",
        "he beat me at chess", "she threw me a party", "he pushed me to apply", "hold me", "follow me",
        "we'll control it",
        "I'm scared of spiders", "is my data safe", "he hit me up", "I'm afraid we'll break up",
    ],
}  # fmt: skip


@pytest.mark.parametrize(("text", "route"), [(t, r) for r, texts in LEXICON.items() for t in texts])
def test_lexicon_precision_and_new_forms(text: str, route: Route | None) -> None:
    assert classify(text, "en-US") == route
