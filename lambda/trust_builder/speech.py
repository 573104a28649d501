"""SSML in and out: build it from text, pauses and named sounds; read it back as a timeline.

Handlers never write SSML by hand. They add text (escaped here), pauses (split here into breaks of at most
10 s, Alexa's limit for one <break>) and sounds by name. The same parts, parsed back from the SSML that was
sent, give the console its readable view and the timing tests their timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

# Not xml.sax.saxutils.escape: importing it loads urllib.request, http.client, email and ssl (about 20 ms
# of a cold start) for three replacements. ElementTree, for reading SSML back, loads only when that is done.
if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

MAX_BREAK_SECONDS = 10
# 75 words in about 30 seconds: the rate the content budgets and the exercise timings are planned at.
WORDS_PER_MINUTE = 150


@dataclass(frozen=True)
class SoundEffect:
    url: str
    seconds: float  # planning length, rounded up from listening; Amazon does not publish these lengths


# The Alexa sound library: allowed in normal responses, not in progressive ones.
SOUNDS: dict[str, SoundEffect] = {
    "chime": SoundEffect("soundbank://soundlibrary/musical/amzn_sfx_bell_short_chime_01", 1.0),
    "start": SoundEffect("soundbank://soundlibrary/musical/amzn_sfx_bell_med_chime_02", 2.0),
    "end": SoundEffect("soundbank://soundlibrary/musical/amzn_sfx_bell_timer_01", 3.0),
}
_SOUND_BY_URL = {effect.url: name for name, effect in SOUNDS.items()}


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Pause:
    seconds: float


@dataclass(frozen=True)
class Sound:
    name: str


Part = Text | Pause | Sound


class Speech:
    """An utterance under construction: an ordered list of text, pauses and sounds."""

    def __init__(self, *texts: str) -> None:
        self.parts: list[Part] = []
        for text in texts:
            self.say(text)

    def say(self, text: str) -> Speech:
        if text and text.strip():
            self.parts.append(Text(" ".join(text.split())))
        return self

    def pause(self, seconds: float) -> Speech:
        if seconds > 0:
            self.parts.append(Pause(seconds))
        return self

    def sound(self, name: str) -> Speech:
        if name not in SOUNDS:
            raise KeyError(f"unknown sound {name!r}")
        self.parts.append(Sound(name))
        return self

    def extend(self, other: Speech) -> Speech:
        self.parts.extend(other.parts)
        return self

    def ssml(self) -> str:
        return "<speak>" + "".join(_part_ssml(part) for part in self.parts) + "</speak>"

    def seconds(self) -> float:
        return duration(self.parts)

    def __bool__(self) -> bool:
        return bool(self.parts)


def _part_ssml(part: Part) -> str:
    if isinstance(part, Text):
        return _escape(part.text) + " "
    if isinstance(part, Sound):
        return f'<audio src="{SOUNDS[part.name].url}"/>'
    breaks = []
    remaining = part.seconds
    while remaining > 0:
        chunk = min(remaining, MAX_BREAK_SECONDS)
        breaks.append(f'<break time="{_format_time(chunk)}"/>')
        remaining = round(remaining - chunk, 3)
    return "".join(breaks)


def _escape(text: str) -> str:
    """&, < and > as XML entities: what xml.sax.saxutils.escape does, in the same order."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _format_time(seconds: float) -> str:
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{round(seconds * 1000)}ms"


def parse_ssml(ssml: str) -> list[Part]:
    """The parts of an SSML string, in order. Raises ValueError if it is not well-formed SSML."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(ssml)
    except ET.ParseError as error:
        raise ValueError(f"SSML is not well-formed XML: {error}") from error
    if root.tag != "speak":
        raise ValueError("SSML must have <speak> as its root")
    parts: list[Part] = []
    _walk(root, parts)
    return parts


def _walk(element: ET.Element, parts: list[Part]) -> None:
    _add_text(element.text, parts)
    for child in element:
        if child.tag == "break":
            parts.append(Pause(parse_break_time(child.get("time", "0s"))))
        elif child.tag == "audio":
            src = child.get("src", "")
            parts.append(Sound(_SOUND_BY_URL.get(src, src)))
        else:
            _walk(child, parts)
        _add_text(child.tail, parts)


def _add_text(text: str | None, parts: list[Part]) -> None:
    if text and text.strip():
        parts.append(Text(" ".join(text.split())))


def parse_break_time(value: str) -> float:
    value = value.strip()
    if value.endswith("ms"):
        return float(value[:-2]) / 1000
    if value.endswith("s"):
        return float(value[:-1])
    raise ValueError(f"bad break time {value!r}")


def word_count(text: str) -> int:
    return len(text.split())


def duration(parts: list[Part], words_per_minute: float = WORDS_PER_MINUTE) -> float:
    """Estimated seconds to play the parts: speech at the given rate, pauses and sounds as they are."""
    total = 0.0
    for part in parts:
        if isinstance(part, Text):
            total += word_count(part.text) * 60 / words_per_minute
        elif isinstance(part, Pause):
            total += part.seconds
        else:
            effect = SOUNDS.get(part.name)
            total += effect.seconds if effect else 0.0
    return total


def longest_break(ssml: str) -> float:
    parts = parse_ssml(ssml)
    return max((part.seconds for part in parts if isinstance(part, Pause)), default=0.0)
