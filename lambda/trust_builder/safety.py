"""Safety, decided without any Alexa types: which help line, what a free-text value means, what comes next.

- The help lines follow the device's EXACT locale (locale/helplines.toml), never the content's language
  fallback: someone in Australia must hear the Australian line even while the steps are read in en-US.
- Two routes: PARTNER (not safe with a partner: the domestic-violence line) and CRISIS (might hurt themselves:
  the crisis line), each with the emergency number. CHECK is the truly ambiguous fear ("I'm scared") that gets
  one gentle question first.
- The distress lexicon (locale/<locale>/distress.toml) classifies any free-text slot value (a first name, a
  search query, a feeling) before the skill uses it. Verbs are listed once and matched in every inflection
  (beat, beats, beating, beaten), so the file stays readable.
- After the line, a small follow-up: the number again, then the offer of a card in the Alexa app (offered,
  never sent unasked: the app belongs to the account holder, who may be the person someone is afraid of).

Nothing here is stored: the follow-up state lives in session attributes only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from trust_builder.content import DEFAULT_LOCALE, LOCALE_DIR


class Route(StrEnum):
    PARTNER = "partner"  # not safe with a partner
    CRISIS = "crisis"  # might hurt themselves
    CHECK = "check"  # ambiguous fear: ask once


@dataclass(frozen=True)
class Number:
    number: str  # as written (the card; say-as telephone)
    spoken: str | None = None  # the words for a short code, chosen on purpose


@dataclass(frozen=True)
class HelpLine:
    """One route's line in one locale, with the emergency number."""

    name: str
    number: Number
    extra: str
    card: str
    emergency: Number


@cache
def _table() -> dict[str, dict[str, Any]]:
    import tomllib  # on the first safety request only: a cold start does not parse TOML (content.py)

    return tomllib.loads((LOCALE_DIR / "helplines.toml").read_text(encoding="utf-8"))


def _number(entry: dict[str, Any]) -> Number:
    return Number(entry["number"], entry.get("spoken"))


def help_line(locale: str | None, route: Route = Route.PARTNER) -> HelpLine:
    """The line for the exact locale; an unlisted locale gets en-US's. CHECK answers with the partner line."""
    entry = _table().get(locale or DEFAULT_LOCALE) or _table()[DEFAULT_LOCALE]
    line = entry[Route.CRISIS if route is Route.CRISIS else Route.PARTNER]
    return HelpLine(
        name=line["name"],
        number=_number(line),
        extra=line.get("extra", ""),
        card=line["card"],
        emergency=_number(entry["emergency"]),
    )


def locales() -> list[str]:
    return sorted(_table())


# --- what fills a safety intent's slots ----------------------------------------------------------------


@dataclass(frozen=True)
class Filled:
    """One filled slot of SafetyIntent or CrisisIntent: the words, and the value id they resolved to (None:
    words the slot type does not list, ER_SUCCESS_NO_MATCH; a custom slot beside literal words takes them)."""

    value: str
    resolved_id: str | None


# The slots the interaction model gives the open parts of a disclosure (interaction_models/source/intents/
# SafetyIntent.toml). {who} and {when} sit beside a clear harm ("he punched me", "... last night"): whatever
# fills them, it is a disclosure. {person} and {after} sit beside a verb with an everyday sense too ("beat me
# at chess", "pushed me to apply"); {act} and {harm} are the verb itself (types/SafetyHarm.toml), {lead} what
# is said before it, {kin} whom a threat names, {line} a help line by name.
HARM, UNSURE, IDIOM, THREAT = "harm", "unsure", "idiom", "threat"  # SafetyHarm ids
LISTED_ONLY = ("act", "harm", "line", "person", "plan", "child")  # unlisted words here: no disclosure at all
TAILS = ("after", "kin")  # unlisted words here, beside an unsure verb: ask once


# Words after an unsure verb that make it everyday talk: a game, a message, a favour ("beat me at chess",
# "hit me up", "hit me with a question", "pushed me to apply", "grabbed me a coffee").
EVERYDAY_TAILS = re.compile(
    r"^(?:at|in) (?:a |the |)(?:chess|cards|tennis|scrabble|golf|pool|darts|football|the game|a game|games|"
    r"monopoly|poker|video games|the race|a race|running|work|quiz|the quiz)$|^up\b"
    r"|^with (?:a|an|the|this|these|those|his|her|your|all (?:these|those|his|her|your)) "
    r"(?:dad |bad |terrible |awful |)(?:question|questions|idea|ideas|joke|jokes|puns|surprise|surprises|"
    r"news|singing|cooking|kindness|stories)\b"
    r"|^to (?:it|the punch|do better|apply|try|go|be better|study|work)\b"
    r"|^(?:a|an|some) (?:coffee|cup of tea|tea|drink|beer|glass of|sandwich|snack|pizza|takeaway|burger|"
    r"present|gift|ticket|seat|chair|blanket|towel)\b"
    r"|^into (?:doing|trying|coming|it|this|that)\b"
)


# Words after a verb that say when, how often or why it happens ("he pushed me when he'd been drinking",
# "... last night", "... again"): the verb's harm sense, unless a game is named ("when we played chess").
CLAUSE_TAILS = re.compile(
    r"^(?:when|whenever|every|each|if|because|cause|after|before|while|last|this|again|in front of|at night|"
    r"all the time|most|sometimes|so hard|hard|until|till|yesterday|today|tonight|and now|and i|down|banging|"
    r"shouting|screaming|yelling|kicking|threatening|drunk|angry|raging|with a|out of the|against|across the|"
    r"off the|down the|to the ground|to the floor|into the wall|into the door|into the table|on purpose|"
    r"deliberately|to cope|and cut|and hurt|and burned)\b"
)
GAME_WORDS = re.compile(
    r"\b(?:play|played|playing|game|games|chess|cards|match|race|quiz|tennis|golf|darts|scrabble|monopoly|"
    r"poker|pool|snooker|football|soccer|netball|cricket|basketball|squash|badminton|rugby|hockey|uno|trivia|"
    r"crossword|sudoku|wordle|mario kart|arm wrestling|board game|card game|video game)\b"
)


def _unlisted(slots: dict[str, Filled], name: str) -> bool:
    return name in slots and slots[name].resolved_id is None


def _everyday_tail(slots: dict[str, Filled]) -> bool:
    """{after} or {when} hold words that make the verb everyday talk ("beat me at chess", "hit me up")."""
    return any(
        tail is not None
        and tail.resolved_id is None
        and bool(EVERYDAY_TAILS.search(tail.value.lower()) or GAME_WORDS.search(tail.value.lower()))
        for tail in (slots.get("after"), slots.get("when"))
    )


# Words after "die" that make it an idiom ("die of embarrassment", "rather die than sing").
CRISIS_IDIOM_TAILS = re.compile(
    r"^(?:of|from) (?:embarrassment|shame|laughter|laughing|boredom|cringe|hunger|thirst|curiosity)\b|^than\b"
    r"|^laughing\b"
)


def _crisis_idiom(slots: dict[str, Filled]) -> bool:
    return any(
        tail is not None and tail.resolved_id is None and bool(CRISIS_IDIOM_TAILS.search(tail.value.lower()))
        for tail in (slots.get("when"), slots.get("after"))
    )


def _clause_tail(slots: dict[str, Filled]) -> bool:
    """{after} holds unlisted words that say when or why ("when he drinks", "last night and I'm scared")."""
    tail = slots.get("after")
    return (
        tail is not None
        and tail.resolved_id is None
        and bool(CLAUSE_TAILS.search(tail.value.lower()))
        and not GAME_WORDS.search(tail.value.lower())
    )


def decide(route: Route, slots: dict[str, Filled]) -> Route | None:
    """What a SafetyIntent or CrisisIntent request means, from what filled its slots: the route, CHECK (ask
    the gentle question once), or None (no disclosure: "she loves me" reached {who} {act} me with an unlisted
    act, "the ball hit me" an unlisted person; the fallback answers as for any miss).

    Erring toward help: a clear harm is a disclosure whatever else fills the slots, an unsure verb asks once
    when unlisted words come with it, and a help line named by a crisis id is the crisis line."""
    line = slots.get("line")
    if line is not None and line.resolved_id == Route.CRISIS:
        route = Route.CRISIS
    if any(name in slots and slots[name].resolved_id is None for name in LISTED_ONLY):
        return None
    act = slots.get("act")
    if act is not None and act.resolved_id == THREAT:  # "take": harm only as a threat ("threatened to take")
        return None
    unsure = "person" in slots or (act is not None and act.resolved_id in (UNSURE, IDIOM))
    if act is not None and act.resolved_id in (UNSURE, IDIOM) and _unlisted(slots, "who"):
        return None  # "this is killing me", "the ball hit me": nobody is named
    harm = slots.get("harm")
    if (unsure or (harm is not None and harm.resolved_id == IDIOM)) and _everyday_tail(slots):
        return None  # "he beat me at chess", "she hit me up", "he's trying to kill me with these jokes"
    when = slots.get("when")
    nobody = not any(name in slots for name in ("who", "person"))
    if nobody and when is not None and when.resolved_id is None and GAME_WORDS.search(when.value.lower()):
        return Route.CHECK  # "I got hit in the face with a netball": no one named, a game: ask once
    lead = slots.get("lead")
    if unsure and lead is not None and lead.resolved_id is None and GAME_WORDS.search(lead.value.lower()):
        return None  # "every time we play chess he beats me": whatever is said first names the game
    if route is Route.CRISIS and _crisis_idiom(slots):
        return None  # "I'm going to die of embarrassment", "I'd rather die than sing"
    if act is not None and act.resolved_id == IDIOM:  # "my wife is going to kill me": most often an idiom
        return Route.CHECK
    if unsure and any(name in slots and slots[name].resolved_id is None for name in TAILS):
        # words nobody listed: ask once, unless they say when or why it happens ("... when he drinks")
        return route if _clause_tail(slots) and not _unlisted(slots, "kin") else Route.CHECK
    if "after" in slots and slots["after"].resolved_id is None and "harm" not in slots and act is None:
        # an unsure literal verb ("... hit me {after}") with words nobody listed
        return route if _clause_tail(slots) else Route.CHECK
    return route


PERSON = "person"  # the id given to unlisted {who}/{person} words that end by naming someone (named_people)


def named_people(slots: dict[str, Filled], locale: str | None = None) -> dict[str, Filled]:
    """The slots, with unlisted {who}/{person} words that END by naming someone read as that person: a hedge
    or a filler the {lead} slot did not take ("I don't really know how to say this but my husband") names the
    husband. Words that only begin with a pronoun ("he says nobody") name no one."""
    people = lexicon(locale).people
    kept = dict(slots)
    for name in ("who", "person"):
        filled = slots.get(name)
        if filled is not None and filled.resolved_id is None:
            said = normalise(filled.value)
            if any(said == person or said.endswith(" " + person) for person in people):
                kept[name] = Filled(filled.value, PERSON)
    return kept


def spoken(slots: dict[str, Filled]) -> str:
    """The open words in the order they are said ("{harm} {kin}": "kill herself", "break the door down")."""
    return " ".join(slots[name].value for name in ("who", "act", "harm", "kin", "after") if name in slots)


def read_words(route: Route, slots: dict[str, Filled], locale: str | None = None) -> Route | None:
    """What the words a safety intent's slots took say, when its shape alone was no disclosure (decide gave
    None): a device sends the slot values, not the sample's literal words, so the lexicon reads each value,
    and the verb slots as they were said beside "me" ("he'll {harm} me" with "lose it and hurt"), when
    someone is named. A violent verb in them, once everyday idioms are taken out, is harm ("threatening to
    {burn the house down with} me"). CrisisIntent's carriers already say self-harm ("I want to ...", "I've
    been planning ..."), so its open words are read by the lexicon's crisis_plan patterns too; "ending
    things" there asks once. PARTNER, CRISIS, CHECK or None."""
    rules = lexicon(locale)
    values = [filled.value for filled in slots.values()]
    named = all(slots[name].resolved_id for name in ("who", "person") if name in slots)
    tail = slots["after"].value if "after" in slots else ""
    for name in ("act", "harm"):
        filled = slots.get(name)
        if filled is None or filled.resolved_id is not None:
            continue  # a listed verb was judged by decide
        said = rules.without_idioms(f"{filled.value} me {tail}")
        if classify(said, locale) is Route.CRISIS:  # "there is {no reason for} me {to live}"
            return Route.CRISIS
        if named or rules.mentions_person(filled.value):
            values.append(said)
            # the verb before "me" ({act}), or any verb of a threat ({harm}: "threatening to burn ...")
            verb = rules.without_idioms(filled.value)
            verb = verb if name == "harm" else " ".join(verb.split()[-1:])
            if rules.violent_word.search(verb):
                return Route.PARTNER
    values.append(spoken(slots))
    found = classify_all(values, locale)
    if found in (Route.PARTNER, Route.CRISIS):
        return found
    if route is Route.CRISIS:
        plan = rules.without_idioms(
            " ".join(slots[name].value for name in ("lead", "plan", "when", "after") if name in slots)
        )
        if plan and any(pattern.search(plan) for pattern in rules.crisis_plan):
            return Route.CRISIS
        if plan and any(pattern.search(plan) for pattern in rules.crisis_plan_check):
            return Route.CHECK
    return None


# --- the distress lexicon ------------------------------------------------------------------------------


def inflections(verb: str, irregular: tuple[str, ...] = ()) -> set[str]:
    """A verb's forms: base, -s, -ed, -ing (doubling a final consonant after one short vowel, dropping a
    final e), plus any irregular forms given (beat -> beaten, hit -> hit)."""
    forms = {verb, *irregular}
    if re.search(r"(s|sh|ch|x|z)$", verb):
        forms.add(verb + "es")
    else:
        forms.add(verb + "s")
    if verb.endswith("e"):
        forms |= {verb + "d", verb[:-1] + "ing"}
    elif re.search(r"[^aeiou][aeiou][bdgklmnprt]$", verb) and len(verb) <= 4:
        forms |= {verb + verb[-1] + "ed", verb + verb[-1] + "ing"}
    else:
        forms |= {verb + "ed", verb + "ing"}
    return forms


@dataclass(frozen=True)
class Lexicon:
    crisis: tuple[re.Pattern[str], ...]
    partner: tuple[re.Pattern[str], ...]
    check: tuple[re.Pattern[str], ...]  # the whole value
    not_distress: tuple[re.Pattern[str], ...]
    check_within: tuple[re.Pattern[str], ...] = ()  # anywhere in the value ("I feel so trapped")
    crisis_plan: tuple[re.Pattern[str], ...] = ()  # CrisisIntent's open words (read_words)
    crisis_plan_check: tuple[re.Pattern[str], ...] = ()
    people: tuple[str, ...] = ()  # the ways people name a partner, pronouns first
    violent_word: re.Pattern[str] = re.compile(r"(?!x)x")  # any form of a violent verb, as a word

    def without_idioms(self, text: str) -> str:
        """The words, normalised, with everyday idioms taken out ("beat me at chess", "pushed me away")."""
        said = normalise(text)
        for idiom in self.not_distress:
            said = " ".join(idiom.sub(" ", said).split())
        return said

    def mentions_person(self, text: str) -> bool:
        said = f" {normalise(text)} "
        return any(f" {person} " in said for person in self.people)


def _words(forms: set[str]) -> str:
    return "(?:" + "|".join(sorted((re.escape(form) for form in forms), key=len, reverse=True)) + ")"


def _compile(table: dict[str, Any]) -> Lexicon:
    """Patterns from the locale's lexicon. `{violent}` in a pattern stands for every form of every violent
    verb, `{self_harm}` for every form of every self-harm verb, `{fear}` for the fear words."""

    def verbs(key: str) -> set[str]:
        forms: set[str] = set()
        for verb in table.get(key, {}).get("verbs", []):
            forms |= inflections(verb, tuple(table[key].get("irregular", {}).get(verb, [])))
        return forms

    fills = {
        "violent": _words(verbs("violent")),
        "self_harm": _words(verbs("self_harm")),
        "fear": _words(set(table.get("fear", {}).get("words", []))),
        "partner": _words(set(table.get("people", {}).get("partner", []))),
    }

    def patterns(key: str, field: str = "patterns") -> tuple[re.Pattern[str], ...]:
        compiled = []
        for pattern in table.get(key, {}).get(field, []):
            for name, fill in fills.items():
                pattern = pattern.replace("{" + name + "}", fill)
            compiled.append(re.compile(r"\b" + pattern + r"\b"))
        return tuple(compiled)

    people = tuple(table.get("people", {}).get("pronouns", [])) + tuple(
        table.get("people", {}).get("partner", [])
    )
    return Lexicon(
        patterns("crisis"),
        patterns("partner"),
        patterns("check"),
        patterns("not_distress"),
        check_within=patterns("check_within"),
        crisis_plan=patterns("crisis_plan"),
        crisis_plan_check=patterns("crisis_plan", "check"),
        people=people,
        violent_word=re.compile(r"\b" + fills["violent"] + r"\b"),
    )


@cache
def lexicon(locale: str | None) -> Lexicon:
    """The distress lexicon: the locale's own file if it has one, else en-US's (it is the language's)."""
    for candidate in (locale or DEFAULT_LOCALE, DEFAULT_LOCALE):
        path = LOCALE_DIR / candidate / "distress.toml"
        if path.is_file():
            import tomllib  # the lexicon is read when a request first carries free text

            return _compile(tomllib.loads(path.read_text(encoding="utf-8")))
    raise FileNotFoundError(f"no distress lexicon for {locale}")


def normalise(text: str) -> str:
    """Lowercase words and digits (a help line's number, as a recogniser may write it): curly apostrophes
    straightened, punctuation gone."""
    text = text.lower().replace("\u2019", "'")
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text).split())


def classify(text: str | None, locale: str | None = None) -> Route | None:
    """What a free-text value means for safety: a route, or None for ordinary words.

    Everyday idioms are taken out first ("this is killing me", "afraid so", "pushed me away"); then self-harm
    wins over partner (the crisis line is the more urgent one to get wrong), and partner over the ambiguous
    check. What is left of "scared of losing her" is no bare fear, so it is no disclosure at all."""
    if not text:
        return None
    rules = lexicon(locale)
    said = rules.without_idioms(text)  # "this is killing me", "afraid so": never a disclosure
    if not said:
        return None
    if any(pattern.search(said) for pattern in rules.crisis):
        return Route.CRISIS
    if any(pattern.search(said) for pattern in rules.partner):
        return Route.PARTNER
    if any(pattern.fullmatch(said) for pattern in rules.check):
        return Route.CHECK
    if any(pattern.search(said) for pattern in rules.check_within):
        return Route.CHECK
    return None


def classify_all(values: list[str], locale: str | None = None) -> Route | None:
    """The most urgent route among several slot values."""
    routes = {classify(value, locale) for value in values}
    for route in (Route.CRISIS, Route.PARTNER, Route.CHECK):
        if route in routes:
            return route
    return None


# --- after the line: the follow-up ---------------------------------------------------------------------

OFFER_NUMBER = "number"  # "Shall I say the number again?"
OFFER_CARD = "card"  # "Shall I put it in the Alexa app?"


@dataclass(frozen=True)
class FollowUp:
    """What was just offered after a help line, kept in session attributes (never stored)."""

    route: Route
    offered: str

    def to_dict(self) -> dict[str, str]:
        return {"route": str(self.route), "offered": self.offered}

    @classmethod
    def from_dict(cls, raw: Any) -> FollowUp | None:
        if not isinstance(raw, dict):
            return None
        try:
            route = Route(str(raw.get("route")))
        except ValueError:
            return None
        offered = raw.get("offered")
        return cls(route, offered) if offered in (OFFER_NUMBER, OFFER_CARD) else None


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    REPEAT = "repeat"  # "repeat", "say it again", or anything unclear: the number is never wrong to say


@dataclass(frozen=True)
class Step:
    """What to do with an answer: say the number again, send the card, and what to offer next (None: end)."""

    say_number: bool
    send_card: bool
    next_offer: FollowUp | None


def follow_up(state: FollowUp, answer: Answer) -> Step:
    """The number offer, then the card offer once; "repeat" says only the number again at either."""
    card_offer = FollowUp(state.route, OFFER_CARD)
    if answer is Answer.REPEAT:
        return Step(say_number=True, send_card=False, next_offer=card_offer)
    if state.offered == OFFER_NUMBER:
        return Step(say_number=answer is Answer.YES, send_card=False, next_offer=card_offer)
    return Step(say_number=False, send_card=answer is Answer.YES, next_offer=None)
