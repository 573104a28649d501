"""safety.py: the help line follows the device's exact locale, never the content's language fallback."""

from __future__ import annotations

import pytest

from trust_builder.safety import help_line, locales
from trust_builder.speech import Speech, parse_ssml

EXPECTED = {
    "en-US": "1 800 799 7233",
    "en-GB": "0808 2000 247",
    "en-AU": "1800 737 732",
    "en-CA": "Shelter Safe",
    "en-IN": "181",
}


@pytest.mark.parametrize(("locale", "number"), EXPECTED.items())
def test_each_locale_gets_its_own_line(locale, number):
    line = help_line(locale)
    assert number in line.speech
    assert line.card_title
    assert line.card_text
    assert parse_ssml(Speech(line.speech).ssml())  # speakable as SSML


def test_every_listed_locale_is_tested():
    assert set(locales()) == set(EXPECTED)


@pytest.mark.parametrize("locale", [None, "fr-FR", "en-NZ"])
def test_an_unlisted_locale_falls_back_to_en_us(locale):
    assert help_line(locale) == help_line("en-US")
