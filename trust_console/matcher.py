"""A local stand-in for Alexa's language understanding, built from the skill's interaction model.

Faithful, not lenient: a phrase understood here must be one a device would understand. So it models only
what Amazon documents or the model itself says:

- light normalisation: case, punctuation, "alexa," and hesitation fillers, contractions ("I am" = "I'm");
- custom intents match their samples exactly, or near-exactly: ignoring articles and discourse words
  ("so", "just", "okay", "really"), a polite opening ("can you", "please") and closing ("please",
  "thanks", "mate"), the variation Alexa's statistical NLU absorbs for certain; no wide fuzzy matching;
- built-in intents match only exactly (Amazon: "a built-in intent must include an exactly matching sample
  utterance"): the common utterances Amazon lists for each (builtin_phrases.toml) plus the model's samples;
- slots: AMAZON.NUMBER takes digits and number words; AMAZON.Ordinal ordinals ("second", "last" is not one);
  AMAZON.FirstName one word that is not ordinary vocabulary; a custom slot a known value or synonym (or, with
  literal words around it, other words, reported as ER_SUCCESS_NO_MATCH); other AMAZON types the words said;
- elicitation: while the skill elicits a slot (Dialog.ElicitSlot), that intent's slot samples are tried
  first, as Alexa does, so a bare "Sam and Priya" or "two" is understood then and only then.

Anything else is AMAZON.FallbackIntent, as on Alexa. The invocation forms ("open trust builder", "ask trust
builder to ...", "exit") are read here too; what they do to a session is the device's business (device.py).
What it does not model: Alexa's statistical generalisation beyond near-exact samples (scored separately by
`make nlu` with a statistical classifier), speech recognition errors, and entity resolution beyond synonyms.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal

from trust_console import envelopes

MODELS_DIR = Path(__file__).resolve().parent.parent / "interaction_models"
BUILTIN_PHRASES = Path(__file__).resolve().parent / "builtin_phrases.toml"
FALLBACK = "AMAZON.FallbackIntent"
NUMBER = "AMAZON.NUMBER"
FIRST_NAME = "AMAZON.FirstName"
MAX_NUMBER = 999
MAX_FREE_SLOT_WORDS = 8
MAX_UTTERANCE_WORDS = 40  # longer text (a pasted paragraph) is no utterance: fallback, without the search
ORDINAL = "AMAZON.Ordinal"
CLOSED_TYPES = frozenset({NUMBER, ORDINAL, FIRST_NAME})  # types that take only their own kind of word
# Words Alexa's NLU reliably sees past in a custom intent: articles and discourse words. Never content words.
DISCOURSE_WORDS = frozenset(
    {"the", "a", "an", "so", "just", "okay", "ok", "well", "like", "really", "actually", "oh"}
)


def _words_by_comma(text: str) -> tuple[str, ...]:
    return tuple(phrase.strip() for phrase in text.split(","))


# What may come before the name: "trust builder", "open trust builder", "ask trust builder ..."
LAUNCH_PREFIXES = frozenset(
    tuple(phrase.split())
    for phrase in _words_by_comma(
        ", open, launch, start, begin, load, run, play, use, ask, tell, talk to, speak to, go to"
    )
)
ONE_SHOT_SUFFIXES = frozenset({"using", "with", "from", "on", "in", "via"})
# Polite openings Alexa sees through: tried without them when the whole utterance matches nothing.
POLITE_OPENINGS = tuple(
    tuple(phrase.split())
    for phrase in _words_by_comma(
        "can you, could you, would you, will you, please, i want you to, i would like you to"
    )
)
# ... and polite closings and vocatives after the request ("list the steps please", "you go first love").
POLITE_CLOSINGS = tuple(
    tuple(phrase.split()) for phrase in _words_by_comma("please, thanks, thank you, mate, love, alexa")
)
FILLERS = frozenset({"um", "uh", "er", "erm", "hmm", "mm"})

# --- normalisation -------------------------------------------------------------------------------------


# Contractions, written out so "I am not safe" and "I'm not safe" are one utterance (as they are to Alexa).
_APOSTROPHE_FORMS = (
    (r"\bcan't\b", "can not"),
    (r"\bwon't\b", "will not"),
    (r"\bshan't\b", "shall not"),
    (r"\blet's\b", "let us"),
    (r"'s been\b", " has been"),
    (r"\b(he|she|it|that|there|what|who|where|here|how)'s\b", r"\1 is"),
    (r"n't\b", " not"),
    (r"'m\b", " am"),
    (r"'re\b", " are"),
    (r"'ll\b", " will"),
    (r"'ve\b", " have"),
    (r"'d\b", " would"),
)
# The same contractions typed without an apostrophe, where the word cannot be another word.
_BARE_FORMS = {
    "im": "i am",
    "dont": "do not",
    "cant": "can not",
    "wont": "will not",
    "didnt": "did not",
    "doesnt": "does not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "werent": "were not",
    "havent": "have not",
    "hasnt": "has not",
    "couldnt": "could not",
    "shouldnt": "should not",
    "wouldnt": "would not",
    "ive": "i have",
    "youre": "you are",
    "theyre": "they are",
    "thats": "that is",
    "whats": "what is",
    "hes": "he is",
    "shes": "she is",
    "lets": "let us",
    "youve": "you have",
    "weve": "we have",
    "theyve": "they have",
    "cannot": "can not",
}
# One word, two spellings a recogniser may write: the same word to Alexa.
_SPELLINGS = {"ok": "okay"}


def normalize(text: str) -> list[str]:
    """Lowercase words without punctuation, contractions written out, fillers and "alexa" dropped."""
    text = text.lower().replace("’", "'").replace("‘", "'").replace("`", "'").replace("&", " and ")
    for pattern, replacement in _APOSTROPHE_FORMS:
        text = re.sub(pattern, replacement, text)
    text = text.replace("'", "")
    words = [
        part
        for word in re.sub(r"[^a-z0-9]+", " ", text).split()
        if word not in FILLERS
        for part in _BARE_FORMS.get(word, _SPELLINGS.get(word, word)).split()
    ]
    while words and words[0] in {"alexa", "hey", "okay"} and "alexa" in words[:2]:
        words = words[1:]  # "alexa, ..." / "hey alexa ..." / "ok alexa ..."
    if words and words[0] == "please":
        words = words[1:]
    for tail in (["please"], ["thank", "you"], ["thanks"]):
        if len(words) > len(tail) and words[-len(tail) :] == tail:
            words = words[: -len(tail)]
    return words


# --- numbers -------------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


_UNITS = _words("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen")
_UNITS += _words("fifteen sixteen seventeen eighteen nineteen")
_TENS = _words("twenty thirty forty fifty sixty seventy eighty ninety")
_ORDINAL_UNITS = _words("zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh")
_ORDINAL_UNITS += _words(
    "twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
)
_ORDINAL_TENS = _words("twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth")

UNIT_VALUES = {word: value for value, word in enumerate(_UNITS)} | {
    word: value for value, word in enumerate(_ORDINAL_UNITS)
}
TENS_VALUES = {word: 20 + 10 * index for index, word in enumerate(_TENS)} | {
    word: 20 + 10 * index for index, word in enumerate(_ORDINAL_TENS)
}
ORDINAL_WORDS = frozenset(_ORDINAL_UNITS) | frozenset(_ORDINAL_TENS) | {"hundredth"}
NUMBER_WORDS = frozenset(UNIT_VALUES) | frozenset(TENS_VALUES) | {"hundred", "hundredth"}


def parse_number(words: Sequence[str]) -> int | None:
    """0-999 from digits ("12", "5th") or words ("twenty one", "a hundred and five", "fifth"); else None."""
    if not words:
        return None
    if len(words) == 1:
        digits = re.fullmatch(r"(\d{1,3})(?:st|nd|rd|th)?", words[0])
        if digits:
            return int(digits.group(1))
    if any(word in ORDINAL_WORDS for word in words[:-1]):
        return None  # an ordinal word can only be the last one ("twenty first", not "first twenty")
    position, total = 0, 0
    hundreds = _hundreds(words)
    if hundreds is not None:
        total, position = hundreds
        if position < len(words) and words[position] == "and":
            position += 1
            if position == len(words):
                return None
    rest = words[position:]
    if rest:
        below = _below_hundred(rest)
        if below is None or (total and below == 0):
            return None
        total += below
    elif hundreds is None:
        return None
    return total if total <= MAX_NUMBER else None


def _digit_ordinal(words: Sequence[str]) -> bool:
    return len(words) == 1 and re.fullmatch(r"\d{1,3}(st|nd|rd|th)", words[0]) is not None


def _hundreds(words: Sequence[str]) -> tuple[int, int] | None:
    """(value, words used) for a leading "N hundred" / "a hundred" / "hundred", else None."""
    if words[0] in {"hundred", "hundredth"}:
        return 100, 1
    if len(words) >= 2 and words[1] in {"hundred", "hundredth"}:
        if words[0] == "a" or words[0] == "one":
            return 100, 2
        value = UNIT_VALUES.get(words[0])
        if value and value < 10 and words[0] not in ORDINAL_WORDS:
            return value * 100, 2
    return None


def _below_hundred(words: Sequence[str]) -> int | None:
    if len(words) == 1:
        word = words[0]
        if word in UNIT_VALUES:
            return UNIT_VALUES[word]
        return TENS_VALUES.get(word)
    if len(words) == 2 and words[0] in TENS_VALUES and words[0] not in ORDINAL_WORDS:
        unit = UNIT_VALUES.get(words[1])
        if unit is not None and 0 < unit < 10:
            return TENS_VALUES[words[0]] + unit
    return None


# --- the model -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotMatch:
    """One declared slot of a matched intent; value None when the utterance did not fill it."""

    name: str
    slot_type: str
    value: str | None = None
    # custom types only: (id, canonical name) pairs; () means ER_SUCCESS_NO_MATCH; None for AMAZON types
    resolved: tuple[tuple[str, str], ...] | None = None

    @property
    def resolved_id(self) -> str | None:
        return self.resolved[0][0] if self.resolved else None

    def to_alexa(self, skill_id: str) -> dict[str, Any]:
        resolution = None
        if self.value is not None and self.resolved is not None:
            resolution = envelopes.resolutions(skill_id, self.slot_type, self.resolved)
        return envelopes.slot(self.name, self.value, resolved=resolution)


@dataclass(frozen=True)
class IntentMatch:
    name: str
    slots: tuple[SlotMatch, ...] = ()
    sample: str | None = None  # the sample or phrase that matched (None for fallback)
    fuzzy: bool = False  # matched as a near-paraphrase of a slot-free sample

    def values(self) -> dict[str, str]:
        """Filled slots: name -> value as Alexa reports it (digits, a capitalised name, the words said)."""
        return {slot.name: slot.value for slot in self.slots if slot.value is not None}

    def resolved_ids(self) -> dict[str, str]:
        """Custom slots that resolved: name -> value id (e.g. topic -> "forgiveness")."""
        return {slot.name: slot.resolved_id for slot in self.slots if slot.resolved_id is not None}

    def alexa_slots(self, skill_id: str) -> dict[str, dict[str, Any]]:
        return {slot.name: slot.to_alexa(skill_id) for slot in self.slots}


@dataclass(frozen=True)
class Interpretation:
    """What an utterance asks of the device.

    kind: "launch" (open the skill), "intent" (an intent request), "exit" (leave the skill), "empty" (nothing
    said). invoked: the utterance named the skill ("ask trust builder to ..."), so it may start a session.
    """

    kind: Literal["launch", "intent", "exit", "empty"]
    intent: IntentMatch | None = None
    invoked: bool = False


@dataclass(frozen=True)
class _SlotRef:
    name: str
    slot_type: str


@dataclass(frozen=True)
class _Pattern:
    intent: str
    sample: str
    items: tuple[str | _SlotRef, ...]
    from_model: bool  # a sample of the model, as opposed to a built-in phrasing from our data file

    @property
    def literal_count(self) -> int:
        return sum(isinstance(item, str) for item in self.items)

    @cached_property
    def literals(self) -> frozenset[str]:
        """Words the utterance must contain for this pattern to match: a cheap test before the search."""
        return frozenset(item for item in self.items if isinstance(item, str))

    @property
    def exact_only(self) -> bool:
        """Built-in intents match only an exact sample (Amazon's rule); custom intents near-exactly."""
        return self.intent.startswith("AMAZON.")

    def reduced(self) -> _Pattern:
        items = tuple(item for item in self.items if not (isinstance(item, str) and item in DISCOURSE_WORDS))
        return _Pattern(self.intent, self.sample, items, self.from_model)


@dataclass
class _CustomType:
    # normalised phrase -> (id, canonical name) for every value and synonym
    phrases: dict[tuple[str, ...], list[tuple[str, str]]] = field(default_factory=dict)


def load_model(path: Path) -> dict[str, Any]:
    """The languageModel of an interaction model file (a full {"interactionModel": ...} or just the model)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    model = data.get("interactionModel", data).get("languageModel", data)
    if "invocationName" not in model or "intents" not in model:
        raise ValueError(f"{path} is not an interaction model (no invocationName/intents)")
    return model


def model_path(locale: str, models_dir: Path = MODELS_DIR) -> Path:
    """The model file for a locale, else one of its language (en-GB -> en-US); FileNotFoundError if none."""
    exact = models_dir / f"{locale}.json"
    if exact.is_file():
        return exact
    language = locale.split("-")[0]
    for candidate in sorted(models_dir.glob(f"{language}-*.json")):
        return candidate
    raise FileNotFoundError(f"no interaction model for {locale} in {models_dir}")


@cache
def _builtin_phrases(language: str) -> dict[str, Any]:
    data = tomllib.loads(BUILTIN_PHRASES.read_text(encoding="utf-8"))
    return data.get(language, data["en"])


class Matcher:
    """Resolve typed text to an intent with slots, the way Alexa would for this interaction model."""

    def __init__(self, model: Mapping[str, Any], locale: str = "en-US") -> None:
        self.locale = locale
        self.invocation = tuple(normalize(model["invocationName"]))
        self.intent_names = [intent["name"] for intent in model["intents"]]
        self._slot_types: dict[str, dict[str, str]] = {
            intent["name"]: {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
            for intent in model["intents"]
        }
        self._custom: dict[str, _CustomType] = {}
        for slot_type in model.get("types", []):
            custom = _CustomType()
            for value in slot_type.get("values", []):
                name = value["name"]["value"]
                value_id = value.get("id") or name
                for phrase in [name, *value["name"].get("synonyms", [])]:
                    entry = custom.phrases.setdefault(tuple(normalize(phrase)), [])
                    if (value_id, name) not in entry:
                        entry.append((value_id, name))
            self._custom[slot_type["name"]] = custom
        self.max_custom_words = max(
            (len(phrase) for custom in self._custom.values() for phrase in custom.phrases), default=1
        )
        self._patterns = self._compile(model)
        self._reduced = [pattern.reduced() for pattern in self._patterns if not pattern.exact_only]
        self._elicitation = self._compile_elicitation(model)
        self._not_names = self._vocabulary()

    @classmethod
    def from_file(cls, path: Path, locale: str | None = None) -> Matcher:
        return cls(load_model(path), locale or path.stem)

    @classmethod
    def for_locale(cls, locale: str = "en-US", models_dir: Path = MODELS_DIR) -> Matcher:
        return cls(load_model(model_path(locale, models_dir)), locale)

    # --- building ---

    def _compile(self, model: Mapping[str, Any]) -> list[_Pattern]:
        phrases = _builtin_phrases(self.locale.split("-")[0])["intents"]
        patterns: list[_Pattern] = []
        seen: set[tuple[str | _SlotRef, ...]] = set()
        for intent in model["intents"]:
            name = intent["name"]
            for sample in intent.get("samples", []):
                items = self._items(name, sample)
                if items and items not in seen:
                    seen.add(items)
                    patterns.append(_Pattern(name, sample, items, from_model=True))
        for intent in model["intents"]:  # built-in phrasings, after the model's samples: the model wins
            for phrase in phrases.get(intent["name"], []):
                items = self._items(intent["name"], phrase)
                if items and items not in seen:
                    seen.add(items)
                    patterns.append(_Pattern(intent["name"], phrase, items, from_model=False))
        return patterns

    def _compile_elicitation(self, model: Mapping[str, Any]) -> dict[tuple[str, str], list[_Pattern]]:
        """(intent, slot) -> the slot samples Alexa uses while the skill elicits that slot."""
        found: dict[tuple[str, str], list[_Pattern]] = {}
        for intent in model["intents"]:
            for slot in intent.get("slots", []):
                patterns = [
                    _Pattern(intent["name"], sample, self._items(intent["name"], sample), from_model=True)
                    for sample in slot.get("samples", [])
                ]
                if patterns:
                    found[(intent["name"], slot["name"])] = patterns
        return found

    def _items(self, intent: str, sample: str) -> tuple[str | _SlotRef, ...]:
        items: list[str | _SlotRef] = []
        for piece in re.split(r"(\{\w+\})", sample):
            if piece.startswith("{") and piece.endswith("}"):
                slot_name = piece[1:-1]
                slot_type = self._slot_types.get(intent, {}).get(slot_name)
                if slot_type is None:
                    raise ValueError(f"{intent} sample {sample!r} uses undeclared slot {slot_name!r}")
                items.append(_SlotRef(slot_name, slot_type))
            else:
                items.extend(normalize(piece))
        return tuple(items)

    def _vocabulary(self) -> frozenset[str]:
        """Words never taken as a first name: the model's words (outside name samples) and common words."""
        words = set(_builtin_phrases(self.locale.split("-")[0]).get("not_first_names", []))
        for pattern in self._patterns:
            if FIRST_NAME in self._slot_types.get(pattern.intent, {}).values():
                continue
            words.update(item for item in pattern.items if isinstance(item, str))
        for custom in self._custom.values():
            for phrase in custom.phrases:
                words.update(phrase)
        return frozenset(words | NUMBER_WORDS | set(self.invocation))

    # --- matching ---

    def match_intent(self, text: str, eliciting: tuple[str, str] | None = None) -> IntentMatch:
        """The intent the text means; AMAZON.FallbackIntent (no slots) when it means none of them.

        eliciting: (intent, slot) the skill has just asked for with Dialog.ElicitSlot, if any.
        """
        words = normalize(text)
        return self._elicited(words, eliciting) or self._match_words(words) or IntentMatch(FALLBACK)

    def _elicited(self, words: list[str], eliciting: tuple[str, str] | None) -> IntentMatch | None:
        """The elicited slot's samples first, exactly or near-exactly, as Alexa does during a dialog."""
        patterns = self._elicitation.get(eliciting) if eliciting else None
        if not patterns or not words:
            return None
        reduced_words = [word for word in words if word not in DISCOURSE_WORDS]
        for candidates, attempt in ((patterns, words), ([p.reduced() for p in patterns], reduced_words)):
            found = self._best(candidates, attempt)
            if found is not None:
                return found
        return None

    def interpret(self, text: str, eliciting: tuple[str, str] | None = None) -> Interpretation:
        """What the utterance asks of the device: open the skill, an intent, leave, or nothing."""
        words = normalize(text)
        if not words:
            return Interpretation("empty")
        if self._is_exit(words):
            return Interpretation("exit")
        rest = self._after_invocation(words)
        if rest is None:
            found = self._elicited(words, eliciting) or self._match_words(words)
            return Interpretation("intent", found or IntentMatch(FALLBACK))
        if not rest:
            return Interpretation("launch", invoked=True)
        return Interpretation("intent", self._one_shot(rest), invoked=True)

    def _is_exit(self, words: list[str]) -> bool:
        if not words or words[0] not in {"exit", "quit", "close"}:
            return False
        rest = words[1:]
        if rest and rest[0] == "the":
            rest = rest[1:]
        return rest in ([], ["skill"], ["app"], list(self.invocation))

    def _after_invocation(self, words: list[str]) -> list[str] | None:
        """Words after the skill's name in an invocation ([] to just open it); None if not an invocation."""
        inv = list(self.invocation)
        size = len(inv)
        for start in range(len(words) - size + 1):
            if words[start : start + size] != inv:
                continue
            before, after = words[:start], words[start + size :]
            if before and before[-1] == "the":
                before = before[:-1]
            if after[:1] in (["skill"], ["app"]):
                after = after[1:]
            if tuple(before) in LAUNCH_PREFIXES:
                if not after:
                    return []
                if before in (["ask"], ["tell"]):  # "ask trust builder to ...": the rest is the request
                    return after
                if after[0] in {"and", "to"} and len(after) > 1:
                    return after[1:]
                return None
            if not after and before and before[-1] in ONE_SHOT_SUFFIXES:
                return before[:-1] or None
        return None

    def _one_shot(self, rest: list[str]) -> IntentMatch:
        """The intent of "ask trust builder [to|that|for|about|if|whether] <rest>"."""
        attempts = [rest]
        if rest[0] in {"to", "that", "for", "about", "if", "whether"} and len(rest) > 1:
            attempts.insert(0, rest[1:])
        for attempt in attempts:
            found = self._match_words(attempt)
            if found is not None:
                return found
        return IntentMatch(FALLBACK)

    def _match_words(self, words: list[str]) -> IntentMatch | None:
        """An exact match over every sample; else a near-exact one over the custom intents' samples."""
        if not words or len(words) > MAX_UTTERANCE_WORDS:
            return None
        exact = self._best(self._patterns, words)
        if exact is not None:
            return exact
        for attempt in self._near_forms(words):
            found = self._best(self._reduced, attempt)
            if found is not None:
                return found
        return None

    def _near_forms(self, words: list[str]) -> Iterator[list[str]]:
        """The utterance without discourse words, then also without a polite opening, then also without a
        polite closing ("please", "thanks", "mate")."""
        reduced = [word for word in words if word not in DISCOURSE_WORDS]
        forms = [reduced]
        for opening in POLITE_OPENINGS:
            if len(reduced) > len(opening) and tuple(reduced[: len(opening)]) == opening:
                forms.append(reduced[len(opening) :])
        yield from forms
        for form in forms:
            while closing := next(
                (c for c in POLITE_CLOSINGS if len(form) > len(c) and tuple(form[-len(c) :]) == c), None
            ):
                form = form[: -len(closing)]
                yield form

    def _best(self, patterns: Sequence[_Pattern], words: list[str]) -> IntentMatch | None:
        if not words:
            return None
        best: tuple[tuple[int, ...], IntentMatch] | None = None
        present = set(words)
        for pattern in patterns:
            if not pattern.literals <= present or len(pattern.items) > len(words):
                continue
            for slots in self._fill(pattern, words):
                score = self._score(pattern, slots)
                if best is None or score > best[0]:
                    best = (score, self._intent_match(pattern, slots))
        return best[1] if best is not None else None

    def _score(self, pattern: _Pattern, slots: dict[str, SlotMatch]) -> tuple[int, ...]:
        resolved = sum(1 for slot in slots.values() if slot.resolved)
        unresolved = sum(1 for slot in slots.values() if slot.resolved == ())
        # A slot that took words as they came (a custom value none of its values name, ER_SUCCESS_NO_MATCH,
        # or free text such as AMAZON.SearchQuery) is the weaker reading: "do the calm step" is the sample
        # whose {topic} knows "calm", not the one whose {place} merely has room for it, however many literal
        # words that one has. Between two readings that both take words as they came, literals decide.
        open_slots = unresolved + sum(
            1 for slot in slots.values() if slot.resolved is None and slot.slot_type not in CLOSED_TYPES
        )
        return (
            open_slots == 0,
            pattern.literal_count,
            resolved,
            -unresolved,
            -len(slots),
            int(pattern.from_model),
        )

    def _intent_match(self, pattern: _Pattern, filled: dict[str, SlotMatch]) -> IntentMatch:
        declared = self._slot_types.get(pattern.intent, {})
        slots = tuple(filled.get(name) or SlotMatch(name, slot_type) for name, slot_type in declared.items())
        return IntentMatch(pattern.intent, slots, pattern.sample)

    def _fill(self, pattern: _Pattern, words: list[str]) -> Iterator[dict[str, SlotMatch]]:
        """Every way the pattern covers all the words, as slot fillings, by backtracking."""
        strict = pattern.literal_count == 0  # a slots-only sample: custom slots must be known values

        Filling = dict[str, SlotMatch]

        def walk(item_index: int, word_index: int, filled: Filling) -> Iterator[Filling]:
            if item_index == len(pattern.items):
                if word_index == len(words):
                    yield dict(filled)
                return
            item = pattern.items[item_index]
            if isinstance(item, str):
                if word_index < len(words) and words[word_index] == item:
                    yield from walk(item_index + 1, word_index + 1, filled)
                return
            remaining_items = len(pattern.items) - item_index - 1
            for end in range(word_index + 1, len(words) - remaining_items + 1):
                slot = self._slot_value(item, words[word_index:end], strict)
                if slot is None:
                    continue
                filled[item.name] = slot
                yield from walk(item_index + 1, end, filled)
                del filled[item.name]

        yield from walk(0, 0, {})

    def _slot_value(self, ref: _SlotRef, span: list[str], strict: bool) -> SlotMatch | None:
        if ref.slot_type == NUMBER:
            number = parse_number(span)
            return None if number is None else SlotMatch(ref.name, ref.slot_type, str(number))
        if ref.slot_type == ORDINAL:
            is_ordinal = bool(span) and (span[-1] in ORDINAL_WORDS or _digit_ordinal(span))
            ordinal = parse_number(span) if is_ordinal else None
            return None if ordinal is None else SlotMatch(ref.name, ref.slot_type, str(ordinal))
        if ref.slot_type == FIRST_NAME:
            if len(span) != 1 or not span[0].isalpha() or span[0] in self._not_names:
                return None
            return SlotMatch(ref.name, ref.slot_type, span[0].capitalize())
        custom = self._custom.get(ref.slot_type)
        if custom is None:  # another AMAZON type: take the words as said
            if len(span) > MAX_FREE_SLOT_WORDS:
                return None
            return SlotMatch(ref.name, ref.slot_type, " ".join(span))
        values = custom.phrases.get(tuple(span))
        if values is None and len(span) > 1 and span[0] in {"the", "a", "an", "our", "my"}:
            values = custom.phrases.get(tuple(span[1:]))  # "the boundaries", "our communication"
        if values:
            return SlotMatch(ref.name, ref.slot_type, " ".join(span), tuple(values))
        if strict or len(span) > MAX_FREE_SLOT_WORDS:
            return None
        return SlotMatch(ref.name, ref.slot_type, " ".join(span), ())
