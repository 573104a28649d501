"""Spoken content, loaded from the locale files: the eight steps and every line the skill says.

Writers edit `locale/<locale>/*.toml`; no handler holds a sentence. `steps.toml` holds the article's
content (intro, eight steps, closing); every other file holds phrases, addressed as "file.key" or
"file.table.key" (e.g. "speech.welcome.first_time") and filled with str.format fields.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
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
        node: Any = self.phrases
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return frozenset(word.lower() for word in node) if isinstance(node, list) else frozenset()

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
    steps_file = tomllib.loads((folder / "steps.toml").read_text(encoding="utf-8"))
    phrases = {
        path.stem: tomllib.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.toml"))
        if path.name != "steps.toml"
    }
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


def _closest_locale(locale: str) -> str:
    locales = available_locales()
    if locale in locales:
        return locale
    language = locale.split("-")[0]
    same_language = [candidate for candidate in locales if candidate.split("-")[0] == language]
    return same_language[0] if same_language else DEFAULT_LOCALE
