"""The help line for a device's locale. Chosen by exact locale, never by the content's language fallback."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from trust_builder.content import DEFAULT_LOCALE, LOCALE_DIR


@dataclass(frozen=True)
class HelpLine:
    speech: str
    card_title: str
    card_text: str


@cache
def _table() -> dict[str, dict[str, str]]:
    import tomllib  # on the first safety request only: a cold start does not parse TOML (content.py)

    return tomllib.loads((LOCALE_DIR / "helplines.toml").read_text(encoding="utf-8"))


def help_line(locale: str | None) -> HelpLine:
    entry = _table().get(locale or DEFAULT_LOCALE) or _table()[DEFAULT_LOCALE]
    return HelpLine(speech=entry["speech"], card_title=entry["card_title"], card_text=entry["card_text"])


def locales() -> list[str]:
    return sorted(_table())
