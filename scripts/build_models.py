"""Generate Amazon's interaction-model JSON from the human-written source in interaction_models/source/.

The source is written for people (see interaction_models/source/README.md): one TOML file per intent and per
slot type, sample templates with alternatives and shared carrier phrases, and per-locale overlays. This
script expands it into `interaction_models/<locale>.json` and the ASK CLI copy in
`skill-package/interactionModels/custom/<locale>.json`, byte for byte the same, and the step topics' words
for the skill in `lambda/trust_builder/locale/step_topics.json`.

    python scripts/build_models.py          # write every locale's model (and remove models of no locale)
    python scripts/build_models.py --check  # exit 1 and name each stale, missing or orphaned file

Template syntax, kept deliberately small:
    (a|b|c)   one of the alternatives; an empty alternative makes the group optional: (please|)
    <name>    a carrier phrase from model.toml's [phrases] table, itself a template
    {slot}    a slot of the intent, declared in its [slots] table
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "interaction_models" / "source"
MODELS_DIR = ROOT / "interaction_models"
PACKAGE_DIR = ROOT / "skill-package" / "interactionModels" / "custom"
# The step topics' words, for the skill itself: Alexa fills {topic} with "letting go and forgiving" but
# resolves only an exact value or synonym, so the skill looks for the topic words inside what was heard.
TOPICS_FILE = ROOT / "lambda" / "trust_builder" / "locale" / "step_topics.json"
TOPIC_TYPE = "StepTopic"

MAX_EXPANSIONS_PER_TEMPLATE = 400  # a template that writes more than this is a grammar, not a sample list
# Amazon's model API refuses a model definition longer than 1,000,000 characters (alexa/ask-cli#9: "Member
# must have length less than or equal to 1000000"); the budget keeps room under it. Open lists belong in slot
# values and synonyms (one sample covers them all), not in ever longer alternations.
MAX_MODEL_CHARACTERS = 1_000_000
MODEL_BUDGET = 980_000
SAMPLE_CHARACTERS = re.compile(r"^[a-zA-Z' .]+$")  # Alexa: words (no digits), apostrophes, periods
SLOT_REFERENCE = re.compile(r"\{(\w+)\}")


class SourceError(ValueError):
    """The source cannot become a valid model; the message names the file and what is wrong."""


# --- templates -----------------------------------------------------------------------------------------


def expand(template: str, phrases: Mapping[str, str], where: str = "") -> list[str]:
    """Every sentence a template writes, in order, without duplicates; white space folded."""
    results = [" ".join(text.split()) for text in _alternatives(template, phrases, where, depth=0)]
    unique = list(dict.fromkeys(result for result in results if result))
    if len(unique) > MAX_EXPANSIONS_PER_TEMPLATE:
        raise SourceError(
            f"{where}: {template!r} expands to {len(unique)} samples (at most {MAX_EXPANSIONS_PER_TEMPLATE})"
        )
    return unique


def _alternatives(text: str, phrases: Mapping[str, str], where: str, depth: int) -> Iterator[str]:
    if depth > 8:
        raise SourceError(f"{where}: carrier phrases refer to each other in a loop")
    for option in _split_top(text, "|", where):
        pieces = [list(_piece(piece, phrases, where, depth)) for piece in _tokens(option, where)]
        for combination in itertools.product(*pieces):
            yield "".join(combination)


def _piece(token: str, phrases: Mapping[str, str], where: str, depth: int) -> Iterator[str]:
    if token.startswith("("):
        yield from _alternatives(token[1:-1], phrases, where, depth)
    elif token.startswith("<"):
        name = token[1:-1]
        if name not in phrases:
            raise SourceError(f"{where}: unknown carrier phrase <{name}>")
        yield from _alternatives(phrases[name], phrases, where, depth + 1)
    else:
        yield token


def _tokens(text: str, where: str) -> list[str]:
    """Split into literal text, (groups) and <phrases>, keeping groups whole."""
    tokens: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "(":
            end = _closing(text, index, where)
            tokens.append(text[index : end + 1])
            index = end + 1
        elif char == "<":
            end = text.find(">", index)
            if end < 0:
                raise SourceError(f"{where}: unclosed < in {text!r}")
            tokens.append(text[index : end + 1])
            index = end + 1
        elif char in ")>":
            raise SourceError(f"{where}: unopened {char} in {text!r}")
        else:
            end = index
            while end < len(text) and text[end] not in "(<)>":
                end += 1
            tokens.append(text[index:end])
            index = end
    return tokens


def _closing(text: str, start: int, where: str) -> int:
    depth = 0
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise SourceError(f"{where}: unclosed ( in {text!r}")


def _split_top(text: str, separator: str, where: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise SourceError(f"{where}: unopened ) in {text!r}")
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def template_lines(block: str) -> list[str]:
    """The templates of a multi-line string: one a line, blank lines and # comments skipped."""
    lines = (line.split("#", 1)[0].strip() for line in block.splitlines())
    return [line for line in lines if line]


# --- the source ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """The parsed source for one locale: the base files with that locale's overlay applied."""

    invocation: str
    phrases: dict[str, str]
    intents: dict[str, dict[str, Any]]  # file stem -> table, in file-name order
    types: dict[str, dict[str, Any]]


def locales(source_dir: Path = SOURCE_DIR) -> list[str]:
    return list(_read(source_dir / "model.toml")["locales"])


def load_source(locale: str, source_dir: Path = SOURCE_DIR) -> Source:
    base = _read(source_dir / "model.toml")
    overlay_dir = source_dir / "overlays" / locale
    overlay = _read(overlay_dir / "model.toml") if (overlay_dir / "model.toml").is_file() else {}
    phrases = {**base.get("phrases", {}), **overlay.get("phrases", {})}
    intents = _merge_folder(source_dir / "intents", overlay_dir / "intents")
    types = _merge_folder(source_dir / "types", overlay_dir / "types")
    invocation = overlay.get("invocation", base["invocation"])
    return Source(invocation, phrases, intents, types)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SourceError(f"{path}: {error}") from error


def _merge_folder(base_dir: Path, overlay_dir: Path) -> dict[str, dict[str, Any]]:
    """Base files by stem; an overlay file of the same stem adds samples/synonyms or replaces keys."""
    tables = {path.stem: _read(path) | {"_file": _shown(path)} for path in sorted(base_dir.glob("*.toml"))}
    if overlay_dir.is_dir():
        for path in sorted(overlay_dir.glob("*.toml")):
            tables[path.stem] = _overlay(tables.get(path.stem, {}), _read(path), _shown(path))
    return tables


def _overlay(base: dict[str, Any], extra: dict[str, Any], file: str) -> dict[str, Any]:
    merged = dict(base) | {"_file": file}
    merged["samples"] = base.get("samples", "") + "\n" + extra.get("add_samples", "")
    for value_id, synonyms in extra.get("add_synonyms", {}).items():
        values = {**merged.get("values", {})}
        values[value_id] = {
            **values.get(value_id, {}),
            "synonyms": [*values.get(value_id, {}).get("synonyms", []), *synonyms],
        }
        merged["values"] = values
    for key, value in extra.items():
        if key not in ("add_samples", "add_synonyms"):
            merged[key] = value
    return merged


# --- building ------------------------------------------------------------------------------------------


def build(locale: str, source_dir: Path = SOURCE_DIR) -> dict[str, Any]:
    """The interaction model for one locale, as Amazon's JSON schema has it."""
    source = load_source(locale, source_dir)
    intents, dialog_intents = [], []
    owner: dict[str, str] = {}
    for name, table in source.intents.items():
        where = table["_file"]
        slots: dict[str, str] = dict(table.get("slots", {}))
        samples = _samples(table.get("samples", ""), source.phrases, where, slots, name, owner)
        intent: dict[str, Any] = {"name": name}
        if slots:
            intent["slots"] = [
                _slot(slot, slot_type, table, source.phrases, where) for slot, slot_type in slots.items()
            ]
        intent["samples"] = samples
        intents.append(intent)
        if table.get("elicit"):
            dialog_intents.append(_dialog_intent(name, slots, table["elicit"]))
    model: dict[str, Any] = {
        "languageModel": {
            "invocationName": source.invocation,
            "intents": intents,
            "types": [_slot_type(name, table) for name, table in source.types.items()],
        }
    }
    if dialog_intents:
        model["dialog"] = {"delegationStrategy": "SKILL_RESPONSE", "intents": dialog_intents}
    built = {"interactionModel": model}
    _within_budget(built, locale)
    return built


def compact_size(value: Any) -> int:
    """Characters in the JSON as the model API receives it (no indentation)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def _within_budget(model: Mapping[str, Any], locale: str) -> None:
    size = compact_size(model)
    if size <= MODEL_BUDGET:
        return
    intents = model["interactionModel"]["languageModel"]["intents"]
    largest = sorted(((compact_size(intent), intent["name"]) for intent in intents), reverse=True)[:5]
    shown = ", ".join(f"{name} {chars:,}" for chars, name in largest)
    raise SourceError(
        f"{locale}: the model is {size:,} characters, over the budget of {MODEL_BUDGET:,} (Amazon refuses "
        f"more than {MAX_MODEL_CHARACTERS:,}); largest intents: {shown}. Put open lists in slot values"
    )


def _samples(
    block: str,
    phrases: Mapping[str, str],
    where: str,
    slots: Mapping[str, str],
    intent: str,
    owner: dict[str, str],
) -> list[str]:
    samples: list[str] = []
    heard: dict[str, int] = {}  # what a sample teaches -> where the plainest sample teaching it stands
    for template in template_lines(block):
        for sample in expand(template, phrases, where):
            _check_sample(sample, slots, where)
            previous = owner.setdefault(sample.lower(), intent)  # Alexa compares samples without case
            if previous != intent:
                raise SourceError(f"{where}: {sample!r} is already a sample of {previous}")
            key = heard_as(sample, builtin=intent.startswith("AMAZON."))
            if key not in heard:
                heard[key] = len(samples)
                samples.append(sample)
            elif _opening_fillers(sample) < _opening_fillers(samples[heard[key]]):
                samples[heard[key]] = sample  # "I'm scared" rather than "um I'm scared"
    return samples


def _opening_fillers(sample: str) -> int:
    """How many hesitation or discourse words a sample opens with ("um so I'm scared": 2)."""
    from trust_console.matcher import DISCOURSE_WORDS, FILLERS

    words = sample.lower().split()
    return next((i for i, word in enumerate(words) if word not in DISCOURSE_WORDS | FILLERS), len(words))


def heard_as(sample: str, builtin: bool = False) -> str:
    """What a sample teaches, as the matcher reads it: case, punctuation, fillers and contractions normalised
    ("I am" = "I'm"), and for a custom intent the discourse words it opens with ("so", "okay", "well"), which
    Alexa sees past (inside a sample they stay: an exact form outranks a near one). The build keeps the
    plainest sample of each (the fewest opening fillers, else the first written): "um so I'm scared" beside
    "I'm scared" adds characters to a model near Amazon's size limit, and nothing a device or the matcher
    would learn from."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from trust_console.matcher import DISCOURSE_WORDS, normalize  # one notion of "the same" phrase

    words = normalize(sample)
    if not builtin:
        while words and words[0] in DISCOURSE_WORDS:  # "so I'm scared" = "I'm scared"; "I'm so scared" stays
            words = words[1:]
    return " ".join(words)


def _check_sample(sample: str, slots: Mapping[str, str], where: str) -> None:
    if not SAMPLE_CHARACTERS.match(SLOT_REFERENCE.sub("x", sample)):
        raise SourceError(
            f"{where}: {sample!r} has characters Alexa does not accept in a sample (digits? punctuation?)"
        )
    for slot in SLOT_REFERENCE.findall(sample):
        if slot not in slots:
            raise SourceError(f"{where}: {sample!r} uses undeclared slot {{{slot}}}")


def _slot(
    slot: str, slot_type: str, table: Mapping[str, Any], phrases: Mapping[str, str], where: str
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": slot, "type": slot_type}
    elicit = table.get("elicit", {}).get(slot)
    if elicit:
        samples: list[str] = []
        for template in template_lines(elicit):
            for sample in expand(template, phrases, where):
                _check_sample(sample, {slot: slot_type, **table.get("slots", {})}, where)
                samples.append(sample)
        entry["samples"] = list(dict.fromkeys(samples))
    return entry


def _dialog_intent(name: str, slots: Mapping[str, str], elicit: Mapping[str, str]) -> dict[str, Any]:
    """A dialog-model entry so Dialog.ElicitSlot can be used; the skill asks the questions itself."""
    return {
        "name": name,
        "confirmationRequired": False,
        "prompts": {},
        "slots": [
            {
                "name": slot,
                "type": slot_type,
                "confirmationRequired": False,
                "elicitationRequired": False,
                "prompts": {},
            }
            for slot, slot_type in slots.items()
        ],
    }


def _slot_type(name: str, table: Mapping[str, Any]) -> dict[str, Any]:
    values = []
    for value_id, value in table.get("values", {}).items():
        entry: dict[str, Any] = {"value": value.get("name", value_id.replace("_", " "))}
        if value.get("synonyms"):
            entry["synonyms"] = list(dict.fromkeys(value["synonyms"]))
        values.append({"id": value_id, "name": entry})
    return {"name": name, "values": values}


def render(model: Mapping[str, Any]) -> str:
    """Compact: an indented copy of a 940,000-character model is 1.4 MB, the skill package carries the file
    as written, and whether Amazon's 1,000,000-character limit counts indentation is not documented. Compact
    leaves no doubt. People read the source, not this file."""
    return json.dumps(model, separators=(",", ":"), ensure_ascii=False) + "\n"


# --- files ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where the source is and where its generated models go (the repository's, or a test's scratch copy)."""

    source: Path = SOURCE_DIR
    outputs: tuple[Path, ...] = (MODELS_DIR, PACKAGE_DIR)
    topics: Path | None = None  # where the step topics' words go, if anywhere


REPOSITORY = Layout(topics=TOPICS_FILE)


def step_topics(models: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """Topic id -> every value and synonym any locale gives it, for the skill's own look inside {topic}."""
    topics: dict[str, list[str]] = {}
    for model in models.values():
        for slot_type in model["interactionModel"]["languageModel"].get("types", []):
            if slot_type["name"] != TOPIC_TYPE:
                continue
            for value in slot_type["values"]:
                words = topics.setdefault(value["id"], [])
                for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                    if phrase not in words:
                        words.append(phrase)
    return topics


def expected_files(layout: Layout = REPOSITORY) -> dict[Path, str]:
    files: dict[Path, str] = {}
    models = {locale: build(locale, layout.source) for locale in locales(layout.source)}
    for locale, model in models.items():
        text = render(model)
        for directory in layout.outputs:
            files[directory / f"{locale}.json"] = text
    if layout.topics is not None:
        files[layout.topics] = json.dumps(step_topics(models), ensure_ascii=False, indent=1) + "\n"
    return files


def stale(layout: Layout = REPOSITORY) -> list[str]:
    """What `write` would change: stale, missing and orphaned generated files."""
    expected = expected_files(layout)
    problems = []
    for path, text in expected.items():
        if not path.is_file():
            problems.append(f"missing: {_shown(path)}")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"stale: {_shown(path)}")
    for directory in layout.outputs:
        for path in sorted(directory.glob("*.json")):
            if path not in expected:
                problems.append(f"orphaned: {_shown(path)}")
    return problems


def write(layout: Layout = REPOSITORY) -> list[str]:
    expected = expected_files(layout)  # everything is built before anything is written
    changed = stale(layout)
    for directory in layout.outputs:
        directory.mkdir(parents=True, exist_ok=True)
        for path in directory.glob("*.json"):
            if path not in expected:
                path.unlink()
    for path, text in expected.items():
        path.write_text(text, encoding="utf-8")
    return changed


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files; exit 1 if any")
    parser.add_argument("--source", type=Path, default=SOURCE_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, action="append", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    layout = Layout(args.source, tuple(args.out)) if args.out else Layout(args.source, topics=TOPICS_FILE)
    try:
        problems = stale(layout) if args.check else write(layout)
    except SourceError as error:
        print(f"interaction model source: {error}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr if args.check else sys.stdout)
    if args.check and problems:
        print("run `make models` (python scripts/build_models.py) to regenerate them", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
