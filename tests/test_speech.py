"""speech.py: SSML built from parts, parsed back, and timed."""

from __future__ import annotations

import pytest

from trust_builder.speech import (
    MAX_BREAK_SECONDS,
    SOUNDS,
    Pause,
    Sound,
    Speech,
    Text,
    duration,
    longest_break,
    parse_break_time,
    parse_ssml,
)


def test_text_is_escaped_and_whitespace_folded():
    ssml = Speech("Sam & Alex <3", "  said   hi  ").ssml()
    assert "&amp;" in ssml
    assert "&lt;3" in ssml
    assert parse_ssml(ssml) == [Text("Sam & Alex <3 said hi")]


def test_long_pauses_are_split_into_breaks_of_at_most_ten_seconds():
    ssml = Speech().pause(25).ssml()
    assert ssml.count("<break") == 3
    assert longest_break(ssml) == MAX_BREAK_SECONDS
    assert sum(part.seconds for part in parse_ssml(ssml)) == 25


def test_fractional_pauses_use_milliseconds():
    assert '<break time="1500ms"/>' in Speech().pause(1.5).ssml()
    assert parse_break_time("1500ms") == 1.5
    assert parse_break_time("2s") == 2


def test_sounds_round_trip_by_name():
    speech = Speech("Begin.").sound("start").pause(3).sound("end")
    assert parse_ssml(speech.ssml()) == [Text("Begin."), Sound("start"), Pause(3), Sound("end")]
    assert SOUNDS["start"].url in speech.ssml()


def test_unknown_sound_is_refused():
    with pytest.raises(KeyError):
        Speech().sound("trumpet")


def test_duration_counts_words_pauses_and_sounds():
    speech = Speech(" ".join(["word"] * 150)).pause(10).sound("end")
    assert duration(speech.parts) == pytest.approx(60 + 10 + SOUNDS["end"].seconds)
    assert speech.seconds() == duration(speech.parts)


@pytest.mark.parametrize("bad", ["not xml", "<speak>unclosed", "<p>no speak root</p>"])
def test_malformed_ssml_is_a_value_error(bad):
    with pytest.raises(ValueError, match="SSML"):
        parse_ssml(bad)


def test_empty_text_and_zero_pauses_add_nothing():
    speech = Speech("", "   ").pause(0)
    assert not speech
    assert speech.ssml() == "<speak></speak>"
