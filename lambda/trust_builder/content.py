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
"""

from __future__ import annotations

import json
import zlib
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


def available_locales() -> list[str]:
    return sorted(path.name for path in LOCALE_DIR.iterdir() if (path / "steps.toml").is_file())


@cache
def load(locale: str | None) -> Content:
    """A locale's content; an unknown locale falls back to one of its language, then en-US."""
    chosen = _closest_locale(locale or DEFAULT_LOCALE)
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
    locales = available_locales()
    if locale in locales:
        return locale
    language = locale.split("-")[0]
    same_language = [candidate for candidate in locales if candidate.split("-")[0] == language]
    return same_language[0] if same_language else DEFAULT_LOCALE
