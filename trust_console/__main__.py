"""Talk to Trust Builder by typing (or piping lines in): `python -m trust_console [options]`.

Each line is one utterance; an empty line is silence; end of input leaves the skill. No AWS account and no
network: the skill runs in-process with its SQLite store, or behind --endpoint on a local web service.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from trust_console import envelopes, render
from trust_console.device import Handler, LocalDevice, SkillError, Turn, default_handler
from trust_console.matcher import Matcher

PROMPT = "you> "
# Where the skill's Alexa API calls (timers) go from the console: a closed loopback port, so a call fails at
# once instead of reaching out to Amazon. Point --api-endpoint at a local stand-in to exercise them.
LOCAL_API_ENDPOINT = "https://127.0.0.1:9"
SKILL_ID_ENV = "ALEXA_SKILL_ID"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trust_console",
        description="Talk to Trust Builder as if through an Echo: type what you would say, "
        "an empty line is silence, Ctrl-D leaves.",
    )
    parser.add_argument("--locale", default="en-US", help="the device's locale (default en-US)")
    parser.add_argument(
        "--user",
        default=envelopes.LOCAL_USER_ID,
        help="household (Alexa account) ID; the fixed default keeps progress between runs",
    )
    parser.add_argument("--endpoint", metavar="URL", help="talk to a running web service over HTTP instead")
    parser.add_argument(
        "--api-endpoint", metavar="URL", default=LOCAL_API_ENDPOINT, help="Alexa API base URL (timers)"
    )
    parser.add_argument("--data-dir", type=Path, help="directory of the embedded SQLite store")
    parser.add_argument("--timeline", action="store_true", help="show each response as a timeline")
    parser.add_argument(
        "--real-time",
        action="store_true",
        help="play responses in real time, waiting through pauses and sounds",
    )
    parser.add_argument(
        "--screen",
        action="store_true",
        help="be an Echo Show: the skill sends APL screens, shown as their document and data",
    )
    parser.add_argument("--verbose", action="store_true", help="show the intent and slots each line became")
    return parser


def user_id(value: str) -> str:
    value = value.strip() or envelopes.LOCAL_USER_ID
    return value if value.startswith("amzn1.ask.account.") else f"amzn1.ask.account.{value}"


def load_handler(endpoint: str | None) -> Handler:
    if endpoint:
        from trust_web.transport import HttpTransport  # only needed for --endpoint

        return HttpTransport(endpoint)
    return default_handler()


def play(turn: Turn, out: IO[str], sleep: Callable[[float], None]) -> None:
    """Print a turn as it plays: each cue when it is reached, waiting out speech, pauses and sounds."""
    if turn.reprompt_played or not turn.speech_parts:
        _print(out, render.turn_lines(turn))
        return
    if turn.notice:
        _print(out, [f"({turn.notice})"])
    _print(out, [render.ALEXA.rstrip()])
    for segment in render.timeline(turn.speech_parts):
        _print(out, ["  " + segment.line()])
        if segment.seconds > 0:
            sleep(segment.seconds)
    rest = render.turn_lines(Turn(turn.heard, turn.intent, card=turn.card, directives=turn.directives))
    if turn.session_ended:
        rest.append(render.ALEXA + render.SESSION_ENDED)
    _print(out, rest)


def _print(out: IO[str], lines: list[str]) -> None:
    for line in lines:
        out.write(line + "\n")
    out.flush()


def _read_line(stdin: IO[str], stdout: IO[str], interactive: bool) -> str:
    """One line with its newline; "" at end of input. A terminal gets the prompt and line editing."""
    if interactive and stdin is sys.stdin and stdout is sys.stdout:
        try:
            return input(PROMPT) + "\n"
        except EOFError:
            return ""
    if interactive:
        stdout.write(PROMPT)
        stdout.flush()
    return stdin.readline()


def _describe(turn: Turn) -> str:
    if turn.intent is None:
        return "(heard: nothing sent)"
    slots = [f"{name}={value}" for name, value in turn.slots.items()]
    slots += [f"{name}->{value_id}" for name, value_id in turn.resolved.items()]
    return f"(heard: {' '.join([turn.intent, *slots])})"


def main(
    argv: list[str] | None = None,
    *,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    handler: Handler | None = None,
) -> int:
    args = build_parser().parse_args(argv)
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        os.environ["TRUST_BUILDER_DATA_DIR"] = str(args.data_dir.resolve())
    try:
        matcher = Matcher.for_locale(args.locale)
    except (FileNotFoundError, ValueError) as error:
        stderr.write(f"error: {error}\n")
        return 2
    try:
        handler = handler or load_handler(args.endpoint)
    except Exception as error:
        stderr.write(f"error: cannot load the skill: {type(error).__name__}: {error}\n")
        return 1
    device = LocalDevice(
        handler,
        locale=args.locale,
        user_id=user_id(args.user),
        skill_id=os.environ.get(SKILL_ID_ENV) or envelopes.LOCAL_SKILL_ID,
        matcher=matcher,
        api_endpoint=args.api_endpoint,
        screen=args.screen,
    )
    interactive = stdin.isatty()
    if interactive and stdin is sys.stdin:
        import readline  # noqa: F401  (line editing and history for input())

    def show(action: Callable[[], Turn]) -> None:
        try:
            turn = action()
        except SkillError as error:
            stderr.write(f"error: {error}\n")
            return
        except Exception as error:  # the console must outlive any bad input or bug
            stderr.write(f"error: {type(error).__name__}: {error}\n")
            return
        if args.verbose:
            _print(stdout, [_describe(turn)])
        if args.real_time:
            play(turn, stdout, sleep)
        else:
            _print(stdout, render.turn_lines(turn, show_timeline=args.timeline))
        for problem in turn.problems:
            stderr.write(f"problem: {problem}\n")

    while True:
        try:
            line = _read_line(stdin, stdout, interactive)
        except KeyboardInterrupt:
            line = ""
        except UnicodeDecodeError:
            stderr.write("error: that line is not valid text\n")
            continue
        if not line:
            break
        text = line.rstrip("\r\n")
        show(functools.partial(device.say, text))
    if interactive:
        stdout.write("\n")
    if device.session_open:
        show(lambda: device.end_session("USER_INITIATED"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
