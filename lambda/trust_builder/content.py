"""Spoken content, loaded from the locale files: the eight steps and every line the skill says.

Writers edit `locale/<locale>/*.toml`; no handler holds a sentence. `steps.toml` holds the article's
content (intro, eight steps, closing); every other file holds phrases, addressed as "file.key" or
"file.table.key" (e.g. "speech.welcome.first_time") and filled with str.format fields.

A locale is parsed once per process, at its first use. At a cold start that first use is the first request,
and parsing TOML costs about 11 ms (importing tomllib, then parsing), against under 1 ms for the same data
as JSON; so `make content` also ships each locale pre-parsed, as `locale/<locale>.parsed.json`, with the
size and CRC-32 of every TOML file it came from. The pre-parsed file is used only while those still match:
an edited TOML file is read directly (correct, just slower) until `make content` runs again, and
`make test` fails while any pre-parsed file is stale.

Locales that differ from another only in spelling and a few lines (en-GB, en-CA, en-AU, en-IN from en-US)
have no folder: `locale/variants.toml` names their base, the spelling tables applied to every line of it at
load time, and per-key overrides. It is read only when such a locale is first asked for, so an en-US cold
start never parses TOML.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LOCALE = "en-US"


@dataclass(frozen=True)
class Step:
    number: int
    id: str
    title: str
    summary: str
    detail: str


@dataclass(frozen=True)
class Content:
    locale: str
    intro: str
    closing: str
    steps: tuple[Step, ...]
    phrases: dict[str, Any]
    # words() lists, computed once: the safety check asks for one on every request.
    _words: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def step(self, number: int) -> Step:
        return self.steps[number - 1]

    def step_by_id(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def phrase(self, key: str, **values: Any) -> str:
        """The phrase at a dotted key, its {fields} filled. A missing key is a bug: KeyError."""
        node: Any = self.phrases
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"no phrase {key!r} in locale {self.locale}")
            node = node[part]
        if not isinstance(node, str):
            raise KeyError(f"{key!r} in locale {self.locale} is a table, not a phrase")
        return node.format(**values) if values else node

    def words(self, key: str) -> frozenset[str]:
        """The word list at a dotted key (e.g. "distress.words"), lowercased; empty if the locale has none."""
        cached = self._words.get(key)
        if cached is not None:
            return cached
        node: Any = self.phrases
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        words = frozenset(word.lower() for word in node) if isinstance(node, list) else frozenset()
        self._words[key] = words
        return words

    def variants(self, key: str, **values: Any) -> tuple[str, ...]:
        """The lines at a dotted key that holds a list of alternatives (or one line), {fields} filled.
        A missing key is a bug: KeyError."""
        node: Any = self.phrases
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"no phrase {key!r} in locale {self.locale}")
            node = node[part]
        lines = [node] if isinstance(node, str) else node
        if not isinstance(lines, list) or not lines or not all(isinstance(line, str) for line in lines):
            raise KeyError(f"{key!r} in locale {self.locale} is not a line or a list of lines")
        return tuple(line.format(**values) if values else line for line in lines)

    def has_phrase(self, key: str) -> bool:
        try:
            self.phrase(key)
        except (KeyError, IndexError):
            return False
        return True


VARIANTS_FILE = LOCALE_DIR / "variants.toml"
# Written by `make models` from the interaction model's StepTopic type, so the words live in one place.
STEP_TOPICS_FILE = LOCALE_DIR / "step_topics.json"


@cache
def step_topics() -> dict[str, tuple[str, ...]]:
    """Step topic id -> the words people use for it (every locale's values and synonyms)."""
    raw = json.loads(STEP_TOPICS_FILE.read_text(encoding="utf-8"))
    return {topic_id: tuple(phrases) for topic_id, phrases in raw.items()}


@dataclass(frozen=True)
class Variant:
    """A locale made from another: its base, the spellings to apply (word -> word), per-key overrides."""

    base: str
    spellings: dict[str, str]
    overrides: dict[str, str]

    def respell(self, text: str) -> str:
        """The text in this locale's spelling: whole words, case kept (Counselor -> Counsellor)."""
        if not self.spellings:
            return text
        return _word_pattern(tuple(sorted(self.spellings))).sub(lambda m: self._replace(m.group(0)), text)

    def _replace(self, word: str) -> str:
        new = self.spellings[word.lower()]
        if word.isupper() and len(word) > 1:
            return new.upper()
        return new[:1].upper() + new[1:] if word[:1].isupper() else new


@cache
def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(re.escape(word) for word in words) + r")\b", re.IGNORECASE)


@cache
def locale_variants() -> dict[str, Variant]:
    """The locales variants.toml defines, each with its spelling tables merged in order."""
    if not VARIANTS_FILE.is_file():
        return {}
    import tomllib  # only for a locale made from another (see the module docstring)

    raw = tomllib.loads(VARIANTS_FILE.read_text(encoding="utf-8"))
    tables = raw.get("spelling", {})
    result = {}
    for name, entry in raw.get("locales", {}).items():
        spellings: dict[str, str] = {}
        for table in entry.get("spelling", []):
            spellings.update({word.lower(): new for word, new in tables[table].items()})
        result[name] = Variant(entry["base"], spellings, dict(entry.get("override", {})))
    return result


@cache
def folder_locales() -> tuple[str, ...]:
    """Locales written out in a folder of their own (the others are variants of one of them)."""
    return tuple(sorted(path.name for path in LOCALE_DIR.iterdir() if (path / "steps.toml").is_file()))


def available_locales() -> list[str]:
    return sorted({*folder_locales(), *locale_variants()})


def respell(text: str, locale: str | None) -> str:
    """A text written in the base locale's spelling, as the given locale spells it (tests, listings)."""
    variant = locale_variants().get(_closest_locale(locale or DEFAULT_LOCALE))
    return variant.respell(text) if variant else text


@cache
def load(locale: str | None) -> Content:
    """A locale's content; an unknown locale falls back to one of its language, then en-US."""
    chosen = _closest_locale(locale or DEFAULT_LOCALE)
    variant = None if chosen in folder_locales() else locale_variants().get(chosen)
    if variant is not None:
        return _apply(load(variant.base), chosen, variant)
    folder = LOCALE_DIR / chosen
    files = read_locale_files(folder)
    steps_file = files.pop("steps")
    phrases = files
    steps = tuple(
        Step(
            number=int(raw["number"]),
            id=raw["id"],
            title=raw["title"].strip(),
            summary=" ".join(raw["summary"].split()),
            detail=" ".join(raw["detail"].split()),
        )
        for raw in steps_file["steps"]
    )
    if [step.number for step in steps] != list(range(1, len(steps) + 1)):
        raise ValueError(f"steps in {folder} must be numbered 1..n in order")
    return Content(
        locale=chosen,
        intro=" ".join(steps_file["intro"]["text"].split()),
        closing=" ".join(steps_file["closing"]["text"].split()),
        steps=steps,
        phrases=phrases,
    )


def parsed_file(folder: Path) -> Path:
    """Where a locale folder's pre-parsed content lives: next to the folder (not a *.toml, not a locale)."""
    return folder.with_name(folder.name + ".parsed.json")


def read_locale_files(folder: Path) -> dict[str, Any]:
    """Every TOML file in a locale folder, parsed, by file stem: from the pre-parsed file while it matches
    the TOML files byte for byte (sizes and CRC-32s), else from the TOML files themselves."""
    sources = {path.name: path.read_bytes() for path in sorted(folder.glob("*.toml"))}
    try:
        shipped = json.loads(parsed_file(folder).read_bytes())
    except (OSError, ValueError):
        shipped = None
    if isinstance(shipped, dict) and shipped.get("sources") == fingerprints(sources):
        return dict(shipped["files"])
    return parse_toml_files(sources)


def fingerprints(sources: dict[str, bytes]) -> dict[str, list[int]]:
    return {name: [len(data), zlib.crc32(data)] for name, data in sources.items()}


def parse_toml_files(sources: dict[str, bytes]) -> dict[str, Any]:
    import tomllib  # only when there is no up-to-date pre-parsed file (see the module docstring)

    return {name.removesuffix(".toml"): tomllib.loads(data.decode("utf-8")) for name, data in sources.items()}


def _closest_locale(locale: str) -> str:
    if locale in folder_locales():  # en-US: no variants read
        return locale
    locales = available_locales()
    if locale in locales:
        return locale
    language = locale.split("-")[0]
    same_language = [candidate for candidate in locales if candidate.split("-")[0] == language]
    return same_language[0] if same_language else DEFAULT_LOCALE


def _apply(base: Content, locale: str, variant: Variant) -> Content:
    """The base content in a variant's spelling, with its overrides (of keys that exist: else a bug)."""
    phrases = _respelled(base.phrases, variant)
    for key, text in variant.overrides.items():
        *path, last = key.split(".")
        node: Any = phrases
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or not isinstance(node.get(last), str):
            raise KeyError(f"{locale} overrides {key!r}, which en-US's content does not have")
        node[last] = text
    steps = tuple(
        Step(
            number=step.number,
            id=step.id,
            title=variant.respell(step.title),
            summary=variant.respell(step.summary),
            detail=variant.respell(step.detail),
        )
        for step in base.steps
    )
    return Content(
        locale=locale,
        intro=variant.respell(base.intro),
        closing=variant.respell(base.closing),
        steps=steps,
        phrases=phrases,
    )


def _respelled(node: Any, variant: Variant) -> Any:
    if isinstance(node, str):
        return variant.respell(node)
    if isinstance(node, Mapping):
        return {key: _respelled(value, variant) for key, value in node.items()}
    if isinstance(node, list):
        return [_respelled(value, variant) for value in node]
    return node
