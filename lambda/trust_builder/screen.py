"""What a screen shows, as APL data sources: a step, the menu, the listening exercise, a help line.

The documents are JSON files in `apl/` (layout only); this module fills their one data source, `screen`,
from content and state, with words from `locale/<locale>/screen.toml`. It knows nothing of requests: the
response interceptor in handlers/screen.py decides when to show what and sends the directive, so no
handler holds APL and speech never depends on a screen.

The exercise's countdown runs on the device (APL commands: an Idle of 1 s and a SetValue, repeated), started
`delayMs` after the document appears: the time the speech takes to reach the end of the start chime, at the
planning rate speech.WORDS_PER_MINUTE. So the clock reaches zero when the end chime sounds, with no request
needed each second.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from trust_builder import exercise as ex
from trust_builder.content import Content
from trust_builder.exercise import Exercise, Phase
from trust_builder.speech import Part, Sound, duration, parse_ssml

DOCUMENT_DIR = Path(__file__).parent / "apl"
DATASOURCE = "screen"  # the one data source every document reads: ${payload.screen.*}
TOKEN_PREFIX = "trustBuilder."

# Touch targets send these as Alexa.Presentation.APL.UserEvent arguments; the skill hears them as intents.
ACTION_INTENTS = {
    "next": "AMAZON.NextIntent",
    "pause": "AMAZON.PauseIntent",
    "resume": "AMAZON.ResumeIntent",
    "stop": "AMAZON.StopIntent",
}


@dataclass(frozen=True)
class Screen:
    document: str  # a file name in apl/, without .json
    datasource: dict[str, Any]

    @property
    def token(self) -> str:
        return TOKEN_PREFIX + self.document


@dataclass(frozen=True)
class Countdown:
    """A timed part of a response: it starts `delay` seconds into the speech and lasts `seconds`."""

    delay: float
    seconds: int


@cache
def _document_text(name: str) -> str:
    return (DOCUMENT_DIR / f"{name}.json").read_text(encoding="utf-8")


def document(name: str) -> dict[str, Any]:
    """A fresh copy of an APL document (callers may not share a mutable one)."""
    loaded: dict[str, Any] = json.loads(_document_text(name))
    return loaded


def document_names() -> list[str]:
    return sorted(path.stem for path in DOCUMENT_DIR.glob("*.json"))


def _label(content: Content, key: str, **values: Any) -> str:
    return content.phrase(f"screen.{key}", **values)


def _buttons(content: Content, *actions: str) -> list[dict[str, str]]:
    return [{"action": action, "label": _label(content, f"labels.{action}")} for action in actions]


def step_screen(content: Content, number: int) -> Screen:
    step = content.step(number)
    return Screen(
        "main",
        {
            "header": _label(content, "labels.step", number=number, count=len(content.steps)),
            "title": step.title,
            "body": step.summary,
            "buttons": _buttons(content, "next", "stop"),
        },
    )


def menu_screen(content: Content) -> Screen:
    listing = "\n".join(f"{step.number}. {step.title}" for step in content.steps)
    return Screen(
        "main",
        {
            "header": _label(content, "labels.header"),
            "title": _label(content, "labels.menu_title"),
            "body": listing,
            "buttons": _buttons(content, "next", "stop"),
        },
    )


def help_line_screen(title: str, number: str) -> Screen:
    """The plain screen a safety reply may show: the line's title and its number, nothing else."""
    return Screen("helpline", {"title": title, "number": number})


def blank_screen() -> Screen:
    """Nothing: clears an earlier screen (a step, a running countdown) while a safety reply is spoken."""
    return Screen("blank", {})


def countdown_in(ssml: str | None) -> Countdown | None:
    """The timed part of a spoken response (start chime to end chime), or None when it has none."""
    if not ssml:
        return None
    try:
        parts = parse_ssml(ssml)
    except ValueError:
        return None
    starts = [i for i, part in enumerate(parts) if part == Sound("start")]
    if not starts:
        return None
    ends = [i for i, part in enumerate(parts) if part == Sound("end") and i > starts[0]]
    if not ends:
        return None
    before: list[Part] = parts[: starts[0] + 1]
    span = duration(parts[starts[0] + 1 : ends[0]])
    return Countdown(delay=duration(before), seconds=round(span))


def exercise_screen(content: Content, state: Exercise, countdown: Countdown | None) -> Screen:
    """Who has the floor and who listens, the turn's countdown, the mirroring window."""
    display = [
        name or content.phrase(f"exercise.partner.{label}")
        for name, label in zip(state.names, ("one", "two"), strict=True)
    ]
    opener = state.first_speaker or 0
    names = {
        "speaker": display[state.speaker],
        "listener": display[state.listener],
        "opener": display[opener],
        "other": display[1 - opener],
    }
    phase = state.phase
    if phase in (Phase.FLOOR, Phase.REFLECTION, Phase.APPRECIATION, Phase.RULES, Phase.DONE):
        key = phase.value
    else:
        key = "setup"
    title = _label(content, f"exercise.{key}", **names)
    subtitle = "" if key == "done" else _label(content, f"exercise.{key}_detail", **names)
    if state.paused:
        title, subtitle = _label(content, "exercise.paused"), title
    mirroring = ""
    if phase in (Phase.FLOOR, Phase.REFLECTION):
        mirroring = _label(content, "exercise.mirroring", seconds=state.reflection_seconds, **names)
    timed = countdown if countdown is not None and phase in ex.TIMED_PHASES and not state.paused else None
    actions = ("next", "resume" if state.paused else "pause", "stop")
    return Screen(
        "exercise",
        {
            "header": _label(content, "exercise.header"),
            "title": title,
            "subtitle": subtitle,
            "mirroring": mirroring,
            "phase": phase.value,
            "countdown": {
                "seconds": timed.seconds if timed else 0,
                "delayMs": round(timed.delay * 1000) if timed else 0,
            },
            "buttons": _buttons(content, *actions),
        },
    )
