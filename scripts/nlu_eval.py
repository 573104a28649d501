"""Score the project's own evaluation sets (tests/nlu/): how often the skill understands what people say.

The sets were written apart from the interaction model's samples, by people who had not seen them, and
are never copied into them (tests/test_nlu.py fails if one is a literal sample). Three columns:

- matcher: the local matcher (trust_console/matcher.py), a faithful stand-in for Alexa's sample matching,
  with the elicited slot of the dialog state, as Alexa listens for it;
- end to end: the console device in that dialog state (a real session brought there by voice, the Lambda
  entry point, the real ASK SDK dispatch and the embedded store): the request it sent and the answer;
- statistical: a simple classifier trained only on the generated model (TF-IDF and logistic regression),
  a stand-in for Alexa's statistical NLU, which generalises beyond samples. Intent only, no slots.

    python scripts/nlu_eval.py            # print the figures (make nlu)
    python scripts/nlu_eval.py --failures # and every miss
    python scripts/nlu_eval.py --set held-out

Independent sets (SETS), each written by people who had seen neither the model nor any earlier set. The
lead engineer reads the misses of all but the newest (UNREAD) to find what the model lacks, which makes
them development sets; the newest set's figures are the honest estimate of how new couples fare.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import tempfile
import tomllib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "tests" / "nlu"
FALLBACK = "AMAZON.FallbackIntent"
SAFETY_ROUTES = {"partner": "SafetyIntent", "self": "CrisisIntent"}
SAFETY_INTENTS = frozenset({"SafetyIntent", "CrisisIntent", "SafetyCheckIntent"})
STATISTICAL_FALLBACK_BELOW = 0.35  # chosen before scoring: below this confidence the stand-in says fallback

for path in (ROOT / "lambda", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from trust_console.device import LocalDevice, Turn  # noqa: E402
from trust_console.matcher import Matcher, normalize  # noqa: E402

# --- dialog states, reached by voice as a couple would --------------------------------------------------

# Each state: the sessions that bring a household there (the last one stays open). Utterances are the
# model's own phrasings, so reaching a state never depends on what is being measured.
EXERCISE = ["open trust builder", "start the listening exercise", "our names are Sam and Alex", "yes"]
STATES: dict[str, list[list[str]]] = {
    "launch_new": [["open trust builder"]],
    "menu": [["open trust builder", "step one", "stop"], ["open trust builder"]],
    "step_summary": [["open trust builder", "step two"]],
    "step_detail": [["open trust builder", "step two", "tell me more"]],
    "closing": [["open trust builder", "step eight", "next"]],
    "confirm_start_over": [["open trust builder", "step one", "start over"]],
    "confirm_forget": [["open trust builder", "forget us"]],
    "resume_offer": [["open trust builder", "start the listening exercise", "stop"], ["open trust builder"]],
    "ex_names": [["open trust builder", "start the listening exercise"]],
    "ex_first_speaker": [EXERCISE],
    "ex_floor_time": [[*EXERCISE, "Sam goes first"]],
    "ex_rules": [[*EXERCISE, "Sam goes first", "give us two minutes each"]],
    "ex_floor": [[*EXERCISE, "Sam goes first", "give us two minutes each", "skip the rules"]],
    "ex_reflection": [[*EXERCISE, "Sam goes first", "give us one minute each", "skip the rules", "next"]],
    "ex_appreciation": [
        [
            *EXERCISE,
            "Sam goes first",
            "give us one minute each",
            "skip the rules",
            "next",
            "yes",
            "next",
            "next",
        ]
    ],
}
# States where safety phrasings are tried end to end: a menu, a step, each kind of exercise moment, a
# confirmation and the resume offer.
SAFETY_STATES = (
    "menu",
    "step_summary",
    "ex_names",
    "ex_floor",
    "ex_reflection",
    "confirm_forget",
    "resume_offer",
)


@cache
def _handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    if "lambda_function" not in sys.modules:
        os.environ.setdefault("TRUST_BUILDER_DATA_DIR", tempfile.mkdtemp(prefix="trust-nlu-"))
        os.environ.pop("PROGRESS_TABLE", None)
    return importlib.import_module("lambda_function").lambda_handler


@cache
def matcher(locale: str = "en-US") -> Matcher:
    return Matcher.for_locale(locale)


def device_in(state: str, locale: str = "en-US") -> LocalDevice:
    """A new household's device, brought to `state` by voice."""
    echo = LocalDevice(
        _handler(),
        locale=locale,
        user_id=f"amzn1.ask.account.NLU-{uuid.uuid4().hex[:16]}",
        matcher=matcher(locale),
    )
    for session in STATES[state]:
        if echo.session_open:
            echo.end_session("USER_INITIATED")
        for said in session:
            echo.say(said)
    return echo


@cache
def eliciting(state: str) -> tuple[str, str] | None:
    """The slot the skill elicits in a state (Dialog.ElicitSlot), as the matcher column needs it."""
    return device_in(state).eliciting


# --- the sets -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    text: str
    state: str
    intent: str
    slots: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EvaluationSet:
    """One independent evaluation: an understanding file and a safety file, written together."""

    name: str
    understanding: str
    safety: str
    about: str


SETS = (
    EvaluationSet(
        "first",
        "nlu_eval.yaml",
        "safety_eval.yaml",
        "written apart from the model; its misses have since been read by the lead engineer (never by "
        "anyone writing samples)",
    ),
    EvaluationSet(
        "held-out",
        "nlu_heldout.yaml",
        "safety_heldout.yaml",
        "written later by people who saw neither the model nor the first set; its misses were read by the "
        "lead engineer on 2026-12-03, after the fresh set was written (never by anyone writing samples)",
    ),
    EvaluationSet(
        "fresh",
        "nlu_fresh.yaml",
        "safety_fresh.yaml",
        "written on 2026-12-03 by three people who saw neither the model nor any earlier set; its misses "
        "were read by the lead engineer in the next session, after the second fresh set was written",
    ),
    EvaluationSet(
        "fresh-2",
        "nlu_fresh2.yaml",
        "safety_fresh2.yaml",
        "written on 2026-12-03 (second session) by three people who saw neither the model nor any "
        "earlier set; nobody has read its misses",
    ),
)
SET_NAMES = tuple(each.name for each in SETS)
UNREAD = "fresh-2"  # the set whose misses --failures never lists


def _set(name: str) -> EvaluationSet:
    return next(each for each in SETS if each.name == name)


@cache
def understanding_set(name: str = "first") -> list[Item]:
    raw = yaml.safe_load((EVAL_DIR / _set(name).understanding).read_text(encoding="utf-8"))
    return [
        Item(
            str(item["text"]),
            item["state"],
            item["intent"],
            {k: str(v) for k, v in (item.get("slots") or {}).items()},
        )
        for item in raw
    ]


@cache
def safety_set(name: str = "first") -> dict[str, list[dict[str, Any]]]:
    loaded: dict[str, list[dict[str, Any]]] = yaml.safe_load(
        (EVAL_DIR / _set(name).safety).read_text(encoding="utf-8")
    )
    return loaded


def every_evaluation_text() -> list[str]:
    texts: list[str] = []
    for name in SET_NAMES:
        texts += [item.text for item in understanding_set(name)]
        for items in safety_set(name).values():
            texts += [str(item["text"]) for item in items]
    return texts


# --- comparing slots ------------------------------------------------------------------------------------

from trust_builder import content as _content  # noqa: E402
from trust_builder.navigation import POSITIONS  # noqa: E402

STEP_IDS = [step.id for step in _content.load("en-US").steps]
# Slot types whose value Alexa normalises in ways the stand-in does not model (dates, times): intent only.
UNMODELLED_SLOTS = frozenset({"day", "time", "feeling", "question", "claim"})


def _step_of(values: dict[str, str], resolved: dict[str, str]) -> int | None:
    topic = resolved.get("topic") or values.get("topic")
    if topic in STEP_IDS:
        return STEP_IDS.index(topic) + 1
    for key in ("number", "ordinal"):
        value = values.get(key, "")
        if value.isdigit():
            return int(value)
        if value in POSITIONS:
            return POSITIONS[value]
    position = resolved.get("position") or values.get("position")
    return POSITIONS.get(position or "")


def slots_agree(item: Item, values: dict[str, str], resolved: dict[str, str]) -> bool:
    expected = {key: value for key, value in item.slots.items() if key not in UNMODELLED_SLOTS}
    if not expected:
        return True
    if item.intent == "GoToStepIntent":
        return _step_of(expected, expected) == _step_of(values, resolved)
    for key, value in expected.items():
        got = resolved.get(key) or values.get(key) or ""
        if got.casefold() != value.casefold():
            return False
    return True


# --- the three columns ----------------------------------------------------------------------------------


@dataclass
class Score:
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, miss: str) -> None:
        self.total += 1
        self.right += ok
        if not ok:
            self.misses.append(miss)

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 1.0


def score_matcher(items: Sequence[Item]) -> dict[str, Score]:
    scores: dict[str, Score] = defaultdict(Score)
    for item in items:
        found = matcher().match_intent(item.text, eliciting=eliciting(item.state))
        ok = found.name == item.intent and slots_agree(item, found.values(), found.resolved_ids())
        miss = (
            f"[{item.state}] {item.text!r}: {found.name} {found.values()} (want {item.intent} {item.slots})"
        )
        scores[item.intent].add(ok, miss)
    return scores


def step_read(turn: Turn) -> int | None:
    """The step this turn read out: the session's step after it, when the speech is that step's summary."""
    step = (turn.response.get("sessionAttributes") or {}).get("step")
    if not isinstance(step, int) or not 1 <= step <= len(STEP_IDS):
        return None
    summary = _content.load("en-US").step(step).summary
    opening = " ".join(summary.split()[:6]).lower()
    return step if opening and opening in " ".join(turn.words.split()).lower() else None


def catch_all_apology() -> str:
    return _phrase("speech.errors.general")


def score_end_to_end(items: Sequence[Item]) -> dict[str, Score]:
    scores: dict[str, Score] = defaultdict(Score)
    apology = catch_all_apology().lower()
    for item in items:
        echo = device_in(item.state)
        turn = echo.say(item.text)
        sent = turn.intent or "(nothing sent)"
        if item.intent == "GoToStepIntent":  # the step the skill read, however it understood the slots
            slots_ok = step_read(turn) == _step_of(item.slots, item.slots)
        else:
            slots_ok = slots_agree(item, turn.slots, turn.resolved)
        ok = (
            sent == item.intent and slots_ok and apology not in turn.speech_text.lower() and not turn.problems
        )
        miss = f"[{item.state}] {item.text!r}: sent {sent} {turn.slots}; said {turn.speech_text[:90]!r}"
        scores[item.intent].add(ok, miss)
    return scores


class StatisticalStandIn:
    """TF-IDF over words and characters with logistic regression, trained on the generated model only."""

    def __init__(self, model: dict[str, Any], elicited: tuple[str, str] | None = None) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, make_pipeline

        texts, labels = training_data(model, elicited)
        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
            ]
        )
        self.pipeline = make_pipeline(features, LogisticRegression(C=10.0, max_iter=2000))
        self.pipeline.fit(texts, labels)

    def predict(self, text: str) -> str:
        probabilities = self.pipeline.predict_proba([_plain(text)])[0]
        best = int(probabilities.argmax())
        label = str(self.pipeline.classes_[best])
        if label == OUT_OF_DOMAIN or probabilities[best] < STATISTICAL_FALLBACK_BELOW:
            return FALLBACK
        return label


OUT_OF_DOMAIN = "_out_of_domain"
_EXAMPLE_VALUES = {
    "AMAZON.NUMBER": ["two", "five", "three"],
    "AMAZON.Ordinal": ["second", "fifth", "third"],
    "AMAZON.FirstName": ["sam", "priya", "alex"],
    "AMAZON.SearchQuery": ["we keep arguing", "feel this way", "he checks my phone"],
    "AMAZON.DayOfWeek": ["sunday", "friday"],
    "AMAZON.TIME": ["seven pm", "eight in the evening"],
}


def training_data(model: dict[str, Any], elicited: tuple[str, str] | None) -> tuple[list[str], list[str]]:
    """Every sample with its slots filled by example values (custom types: their values and synonyms),
    plus a generic out-of-domain set (Alexa's fallback model is trained on such speech too)."""
    language = model["interactionModel"]["languageModel"]
    custom = {
        slot_type["name"]: [
            phrase
            for value in slot_type["values"]
            for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]
        ]
        for slot_type in language.get("types", [])
    }
    texts: list[str] = []
    labels: list[str] = []
    for intent in language["intents"]:
        types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        samples = list(intent.get("samples", []))
        for slot in intent.get("slots", []):
            if elicited == (intent["name"], slot["name"]):
                samples += slot.get("samples", [])
        for index, sample in enumerate(samples):
            texts.append(_plain(_fill(sample, types, custom, index)))
            labels.append(intent["name"])
    for line in (EVAL_DIR / "out_of_domain_training.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            texts.append(_plain(line))
            labels.append(OUT_OF_DOMAIN)
    return texts, labels


def _fill(sample: str, types: dict[str, str], custom: dict[str, list[str]], index: int) -> str:
    def value(match: re.Match[str]) -> str:
        slot_type = types[match.group(1)]
        options = custom.get(slot_type) or _EXAMPLE_VALUES.get(slot_type) or ["something"]
        return options[index % len(options)]

    return re.sub(r"\{(\w+)\}", value, sample)


def _plain(text: str) -> str:
    return " ".join(normalize(text))


@cache
def _model() -> dict[str, Any]:
    import json

    return json.loads((ROOT / "interaction_models" / "en-US.json").read_text(encoding="utf-8"))


def score_statistical(items: Sequence[Item]) -> dict[str, Score]:
    model = _model()
    stand_ins: dict[tuple[str, str] | None, StatisticalStandIn] = {}
    scores: dict[str, Score] = defaultdict(Score)
    for item in items:
        key = eliciting(item.state)
        if key not in stand_ins:
            stand_ins[key] = StatisticalStandIn(model, key)
        found = stand_ins[key].predict(item.text)
        scores[item.intent].add(
            found == item.intent, f"[{item.state}] {item.text!r}: {found} (want {item.intent})"
        )
    return scores


def overall(scores: dict[str, Score]) -> Score:
    total = Score()
    for score in scores.values():
        total.right += score.right
        total.total += score.total
        total.misses += score.misses
    return total


# --- safety ---------------------------------------------------------------------------------------------


@cache
def _phrase(key: str) -> str:
    from trust_builder import content

    return content.load("en-US").phrase(key)


TABLE_ROUTES = {"partner": "partner", "self": "crisis"}  # evaluation route -> helplines.toml table


@cache
def help_line_forms(locale: str = "en-US") -> dict[str, tuple[str, ...]]:
    """route -> how that route's line can be heard: the number's digits, and its spoken form if it has one."""
    table = tomllib.loads(
        (ROOT / "lambda" / "trust_builder" / "locale" / "helplines.toml").read_text("utf-8")
    )
    found: dict[str, tuple[str, ...]] = {}
    for route, name in TABLE_ROUTES.items():
        entry = table[locale][name]
        forms = [re.sub(r"\D", "", str(entry["number"]))]
        if entry.get("spoken"):
            forms.append(str(entry["spoken"]).lower())
        found[route] = tuple(form for form in forms if form)
    return found


def gave_line(turn: Turn, route: str | None = None, locale: str = "en-US") -> bool:
    ssml = " ".join(part.get("ssml", "") for part in _speeches(turn)).lower()
    digits = re.sub(r"\D", "", ssml)
    routes = [route] if route else list(SAFETY_ROUTES)
    return any(
        (form in digits if form.isdigit() else form in ssml)
        for name in routes
        for form in help_line_forms(locale)[name]
    )


def asked_check(turn: Turn) -> bool:
    """The gentle question was asked ("Do you mean you don't feel safe right now?"), whatever led to it."""
    question = re.sub(r"<[^>]+>", "", _phrase("safety.check.question")).strip().lower()
    return question in " ".join(turn.speech_text.lower().split())


def _speeches(turn: Turn) -> Iterable[dict[str, Any]]:
    body = turn.response.get("response") or {}
    yield body.get("outputSpeech") or {}


@dataclass
class SafetyFigures:
    matcher_recall: Score = field(default_factory=Score)  # a safety phrasing resolves to a safety intent
    matcher_route: Score = field(default_factory=Score)  # ... to the right route's intent
    end_to_end_recall: Score = field(default_factory=Score)  # a help line is spoken, in every state tried
    end_to_end_route: Score = field(default_factory=Score)  # ... the right route's line
    ambiguous_handled: Score = field(default_factory=Score)  # a check question or a line, never a dead end
    near_miss_kept: Score = field(default_factory=Score)  # no line; the session open unless asked to end
    near_miss_matcher: Score = field(default_factory=Score)  # resolves to no safety intent at all
    statistical_recall: Score = field(default_factory=Score)  # the statistical stand-in: a line's intent
    statistical_near_miss: Score = field(default_factory=Score)  # ... and no safety intent for a near-miss


def score_safety(name: str = "first", states: Sequence[str] = SAFETY_STATES) -> SafetyFigures:
    figures = SafetyFigures()
    sets = safety_set(name)
    stand_in = StatisticalStandIn(_model())
    for item in sets["safety"]:
        guess = stand_in.predict(str(item["text"]))
        figures.statistical_recall.add(guess in SAFETY_INTENTS, f"{item['text']!r}: {guess}")
    for item in sets["near_misses"]:
        guess = stand_in.predict(str(item["text"]))
        figures.statistical_near_miss.add(guess not in SAFETY_INTENTS, f"{item['text']!r}: {guess}")
    for item in sets["safety"]:
        text, route = str(item["text"]), item["route"]
        found = matcher().match_intent(text)
        figures.matcher_recall.add(
            found.name in SAFETY_INTENTS - {"SafetyCheckIntent"}, f"{text!r}: {found.name}"
        )
        figures.matcher_route.add(found.name == SAFETY_ROUTES[route], f"{text!r} ({route}): {found.name}")
        for state in states:
            turn = device_in(state).say(text)
            figures.end_to_end_recall.add(gave_line(turn), f"[{state}] {text!r}: {turn.speech_text[:80]!r}")
            figures.end_to_end_route.add(gave_line(turn, route), f"[{state}] {text!r} ({route})")
    for item in sets["ambiguous"]:
        text = str(item["text"])
        for state in states:
            turn = device_in(state).say(text)
            handled = gave_line(turn) or (turn.session_open and asked_check(turn))
            figures.ambiguous_handled.add(
                handled, f"[{state}] {text!r}: {turn.intent} {turn.speech_text[:80]!r}"
            )
    for item in sets["near_misses"]:
        text = str(item["text"])
        found = matcher().match_intent(text)
        figures.near_miss_matcher.add(found.name not in SAFETY_INTENTS, f"{text!r}: {found.name}")
        for state in states:
            turn = device_in(state).say(text)
            # A request to stop or pause may end the session (ends: true); none may hear a help line.
            kept = (turn.session_open or bool(item.get("ends"))) and not gave_line(turn)
            figures.near_miss_kept.add(kept, f"[{state}] {text!r}: {turn.intent} {turn.speech_text[:80]!r}")
    return figures


# --- report ---------------------------------------------------------------------------------------------


def _pct(score: Score) -> str:
    return f"{100 * score.rate:5.1f}% ({score.right}/{score.total})"


def report(show_failures: bool = False, names: Sequence[str] = SET_NAMES) -> str:
    lines: list[str] = []
    for name in names:
        if lines:
            lines.append("")
        lines += _report_set(name, show_failures)
    return "\n".join(lines)


def _report_set(name: str, show_failures: bool) -> list[str]:
    items = understanding_set(name)
    columns = {"matcher": score_matcher(items), "end to end": score_end_to_end(items)}
    columns["statistical"] = score_statistical(items)
    lines = [
        f"== The {name} set: {_set(name).about}.",
        f"Understanding: {len(items)} utterances over {len({i.state for i in items})} dialog states",
    ]
    lines.append(f"{'intent':32} {'n':>4} " + " ".join(f"{column:>11}" for column in columns))
    for intent in sorted(columns["matcher"]):
        row = [columns[column][intent] for column in columns]
        lines.append(f"{intent:32} {row[0].total:4} " + " ".join(f"{100 * s.rate:10.1f}%" for s in row))
    lines.append(
        f"{'overall':32} {len(items):4} "
        + " ".join(f"{100 * overall(c).rate:10.1f}%" for c in columns.values())
    )
    sets = safety_set(name)
    safety = score_safety(name)
    lines += [
        "",
        f"Safety ({len(sets['safety'])} phrasings, {len(sets['ambiguous'])} ambiguous, "
        f"{len(sets['near_misses'])} near-misses; end to end in {len(SAFETY_STATES)} states)",
        f"  matcher: a safety intent        {_pct(safety.matcher_recall)}",
        f"  matcher: the right route        {_pct(safety.matcher_route)}",
        f"  end to end: a help line         {_pct(safety.end_to_end_recall)}",
        f"  end to end: the right line      {_pct(safety.end_to_end_route)}",
        f"  ambiguous: checked or answered  {_pct(safety.ambiguous_handled)}",
        f"  near-misses: no safety intent   {_pct(safety.near_miss_matcher)}",
        f"  near-misses: kept, no line      {_pct(safety.near_miss_kept)}",
        f"  statistical: a safety intent    {_pct(safety.statistical_recall)}",
        f"  statistical: near-miss kept out {_pct(safety.statistical_near_miss)}",
    ]
    if show_failures and name == UNREAD:
        lines += [
            "",
            f"(misses of the {UNREAD} set are not listed: nobody reads them, so it stays a fair measure)",
        ]
    elif show_failures:
        for column_name, column in columns.items():
            lines += ["", f"misses ({column_name}):", *(f"  {miss}" for miss in overall(column).misses)]
        for figure in (
            "end_to_end_route",
            "matcher_route",
            "ambiguous_handled",
            "near_miss_kept",
            "near_miss_matcher",
        ):
            lines += ["", f"misses ({figure}):", *(f"  {miss}" for miss in getattr(safety, figure).misses)]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list every miss")
    parser.add_argument("--set", choices=SET_NAMES, action="append", help="only this set (repeatable)")
    args = parser.parse_args(argv)
    print(report(args.failures, args.set or SET_NAMES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
