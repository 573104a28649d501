"""Multi-turn dialogs written as data (tests/dialogs/*.yaml), run as a person talks: text through the local
matcher, envelopes through the Lambda entry point, the real ASK SDK dispatch and the embedded store."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import yaml
from skill_harness import LOCALES, device, household_id, lambda_entry

from tests.fake_alexa_api import FakeAlexaApi
from trust_builder.content import respell
from trust_console import envelopes

DIALOG_DIR = Path(__file__).parent / "dialogs"


def _dialogs():
    """Each dialog in every locale (or in those its `locales:` names, or the one `locale:` names)."""
    for path in sorted(DIALOG_DIR.glob("*.yaml")):
        for dialog in yaml.safe_load(path.read_text(encoding="utf-8")):
            chosen = [dialog["locale"]] if "locale" in dialog else dialog.get("locales", LOCALES)
            for locale in chosen:
                yield pytest.param(dialog, locale, id=f"{path.stem}: {dialog['name']} [{locale}]")


def _expected(fragment: str, locale: str) -> str:
    """A fragment written in en-US, as the locale spells it."""
    return respell(fragment, locale).lower()


@pytest.mark.parametrize(("dialog", "locale"), list(_dialogs()))
def test_dialog(dialog, locale, tmp_path_factory, monkeypatch):
    """Each dialog in every locale: the words as that locale spells them; `locales:` (or `locale:`) limits a
    dialog to some locales; `card:` says whether a card was sent; `alexa_api:` runs a loopback HTTPS fake of
    Alexa's APIs with the `permissions:` listed."""
    handler = lambda_entry(tmp_path_factory.mktemp("data"))
    with contextlib.ExitStack() as stack:
        options = {}
        if dialog.get("alexa_api"):
            api = stack.enter_context(FakeAlexaApi(token=envelopes.LOCAL_ACCESS_TOKEN))
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", api.ca_file)
            granted = {scope: "GRANTED" for scope in dialog.get("permissions", [])}
            options = {"api_endpoint": api.url, "permissions": granted}
        echo = device(handler, household_id(dialog.get("household", "")), locale=locale, **options)
        _run(echo, dialog, locale)


def _run(echo, dialog, locale):
    for number, turn in enumerate(dialog["turns"], start=1):
        said = turn["say"]
        result = echo.say(said) if said else echo.silence()
        where = f"turn {number} ({said!r}) heard: {result.speech_text!r}"
        assert result.problems == [], where
        spoken = (result.speech_text + " " + (result.reprompt_text or "")).lower()
        for fragment in turn.get("expect", []):
            assert _expected(fragment, locale) in spoken, f"missing {fragment!r} at {where}"
        for fragment in turn.get("absent", []):
            assert _expected(fragment, locale) not in spoken, f"unexpected {fragment!r} at {where}"
        if "card" in turn:
            assert (result.card is not None) is turn["card"], where
        if "open" in turn:
            assert result.session_open is turn["open"], where
