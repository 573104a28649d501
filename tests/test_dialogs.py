"""Multi-turn dialogs written as data (tests/dialogs/*.yaml), run as a person talks: text through the local
matcher, envelopes through the Lambda entry point, the real ASK SDK dispatch and the embedded store."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import yaml
from skill_harness import device, household_id, lambda_entry

from tests.fake_alexa_api import FakeAlexaApi
from trust_console import envelopes

DIALOG_DIR = Path(__file__).parent / "dialogs"


def _dialogs():
    for path in sorted(DIALOG_DIR.glob("*.yaml")):
        for dialog in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield pytest.param(dialog, id=f"{path.stem}: {dialog['name']}")


@pytest.mark.parametrize("dialog", list(_dialogs()))
def test_dialog(dialog, tmp_path_factory, monkeypatch):
    handler = lambda_entry(tmp_path_factory.mktemp("data"))
    with contextlib.ExitStack() as stack:
        options = {}
        if dialog.get("alexa_api"):  # a loopback HTTPS fake of Alexa's APIs, with the permissions listed
            api = stack.enter_context(FakeAlexaApi(token=envelopes.LOCAL_ACCESS_TOKEN))
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", api.ca_file)
            granted = {scope: "GRANTED" for scope in dialog.get("permissions", [])}
            options = {"api_endpoint": api.url, "permissions": granted}
        echo = device(handler, household_id(dialog.get("household", "")), **options)
        _run(echo, dialog)


def _run(echo, dialog):
    for number, turn in enumerate(dialog["turns"], start=1):
        said = turn["say"]
        result = echo.say(said) if said else echo.silence()
        where = f"turn {number} ({said!r}) heard: {result.speech_text!r}"
        assert result.problems == [], where
        spoken = (result.speech_text + " " + (result.reprompt_text or "")).lower()
        for fragment in turn.get("expect", []):
            assert fragment.lower() in spoken, f"missing {fragment!r} at {where}"
        for fragment in turn.get("absent", []):
            assert fragment.lower() not in spoken, f"unexpected {fragment!r} at {where}"
        if "open" in turn:
            assert result.session_open is turn["open"], where
