"""Readable console output: speech with its pauses and sounds shown, cards, the session closing, timelines.

These are the console's own words (hints, marks), never the skill's: the skill's speech arrives as SSML and is
only re-shaped here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from trust_builder.speech import SOUNDS, Part, Pause, Phone, Text, duration

if TYPE_CHECKING:
    from trust_console.device import Turn

ALEXA = "alexa> "
NOTHING_HAPPENS = "nothing happens: no skill session is open"
NO_SESSION_TO_EXIT = "no skill session is open"
MIC_CLOSED = "the session is open but the microphone is closed: say something to continue"
SESSION_ENDED = "[session ended]"


def hint(invocation: Sequence[str]) -> str:
    name = " ".join(invocation)
    return f'Alexa did not understand that as a request for the skill: say "open {name}" to start it'


def pause_label(seconds: float) -> str:
    return f"[pause {seconds:g}s]"


def sound_label(name: str) -> str:
    """[chime] for the plain chime, [start chime] / [end chime] for named ones, [sound ...] for the rest."""
    if name == "chime":
        return "[chime]"
    if name in SOUNDS:
        return f"[{name} chime]"
    return f"[sound {name.rsplit('/', 1)[-1]}]"


def merged(parts: Iterable[Part]) -> list[Part]:
    """Consecutive pauses as one (a 40 s pause is sent as four 10 s breaks)."""
    result: list[Part] = []
    for part in parts:
        if isinstance(part, Pause) and result and isinstance(result[-1], Pause):
            result[-1] = Pause(round(result[-1].seconds + part.seconds, 3))
        else:
            result.append(part)
    return result


def _label(part: Part) -> str:
    if isinstance(part, Text):
        return part.text
    if isinstance(part, Pause):
        return pause_label(part.seconds)
    if isinstance(part, Phone):  # parsed SSML gives text; only a Speech built in-process holds a Phone
        return part.spoken or part.number
    return sound_label(part.name)


def readable(parts: Iterable[Part]) -> str:
    return " ".join(_label(part) for part in merged(parts))


def words(parts: Iterable[Part]) -> str:
    return " ".join(part.text for part in parts if isinstance(part, Text))


@dataclass(frozen=True)
class Segment:
    start: float  # seconds from the start of the response
    seconds: float
    kind: Literal["speech", "pause", "sound"]
    label: str

    def line(self) -> str:
        prefix = "speech " if self.kind == "speech" else ""
        return f"{clock(self.start)} {prefix}{self.label}"


def timeline(parts: Iterable[Part]) -> list[Segment]:
    """Each part (pauses merged) with its start time, at the speaking rate speech.duration plans with."""
    segments: list[Segment] = []
    start = 0.0
    for part in merged(parts):
        seconds = duration([part])
        kind: Literal["speech", "pause", "sound"] = (
            "speech" if isinstance(part, Text) else "pause" if isinstance(part, Pause) else "sound"
        )
        segments.append(Segment(start, seconds, kind, _label(part)))
        start += seconds
    return segments


def clock(seconds: float) -> str:
    whole = int(seconds + 0.5)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def directive_line(directive: dict[str, Any]) -> str:
    kind = directive.get("type", "?")
    if kind == "Connections.SendRequest" and directive.get("name") == "AskFor":
        scope = (directive.get("payload") or {}).get("permissionScope", "?")
        return f"[Alexa asks for permission: {scope}; say yes or no]"
    if kind == "Alexa.Presentation.APL.RenderDocument":
        data = json.dumps(directive.get("datasources") or {}, ensure_ascii=False, sort_keys=True)
        return f"[screen {directive.get('token', '?')}] {data}"
    return f"[directive {kind}]"


def turn_lines(turn: Turn, *, show_timeline: bool = False) -> list[str]:
    """The lines the console prints for a turn."""
    lines: list[str] = []
    if turn.notice:
        lines.append(f"({turn.notice})")
    if turn.reprompt_played:
        lines.append(f"{ALEXA}(if you say nothing: {readable(turn.speech_parts)})")
    elif turn.speech_parts:
        if show_timeline:
            lines.append(ALEXA.rstrip())
            lines.extend("  " + segment.line() for segment in timeline(turn.speech_parts))
        else:
            lines.append(ALEXA + readable(turn.speech_parts))
    if turn.card is not None:
        lines.append(f"{ALEXA}[card: {turn.card.title}] {' '.join(turn.card.text.split())}".rstrip())
    lines.extend(ALEXA + directive_line(directive) for directive in turn.directives)
    if turn.session_ended:
        lines.append(ALEXA + SESSION_ENDED)
    return lines
