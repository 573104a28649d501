"""The local console: the simulated device's session rules, response checks, rendering and the REPL.

Most tests drive the device against STAND_IN_SKILL, a tiny skill defined here on the real ASK SDK
(SkillBuilder dispatch, real envelope deserialisation) whose answers are chosen to exercise each session
rule; the tests say so in their names. The end-to-end tests pipe lines through `python -m trust_console`
into the real skill (lambda/lambda_function.py) with a temporary SQLite data directory.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import get_intent_name, get_request_type
from ask_sdk_model import Response
from ask_sdk_model.interfaces.connections import SendRequestDirective
from ask_sdk_model.ui import SimpleCard, SsmlOutputSpeech

from trust_builder.speech import Pause, Sound, Speech, Text
from trust_console import render
from trust_console.__main__ import main
from trust_console.device import LocalDevice, SkillError, Turn
from trust_console.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent
TIMERS = "alexa::alerts:timers:skill:readwrite"


# --- the stand-in skill ---------------------------------------------------------------------------------


def _speak(handler_input: HandlerInput, speech: Speech, reprompt: Speech | None = None) -> Any:
    builder = handler_input.response_builder
    builder.response.output_speech = SsmlOutputSpeech(ssml=speech.ssml())
    if reprompt is not None:
        builder.ask(reprompt.ssml())  # ask() wraps plain SSML in <speak> itself: replace it with ours
        builder.response.reprompt.output_speech = SsmlOutputSpeech(ssml=reprompt.ssml())
    return builder


class StandIn(AbstractRequestHandler):
    """Echoes what it got; particular intents return the shapes the session rules are about."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        kind = get_request_type(handler_input)
        attributes = handler_input.attributes_manager.session_attributes
        attributes["turns"] = attributes.get("turns", 0) + 1
        if kind == "SessionEndedRequest":
            return handler_input.response_builder.response
        if kind == "LaunchRequest":
            task = handler_input.request_envelope.request.task
            said = f"resuming {task.input['phase']}" if task else "welcome"
            return _speak(handler_input, Speech(said), Speech("say something")).response
        if kind == "Connections.Response":
            status = handler_input.request_envelope.request.payload["status"]
            return _speak(handler_input, Speech(f"consent {status}"), Speech("go on")).response
        name = get_intent_name(handler_input)
        if name == "ForgetUsIntent":
            raise RuntimeError("fault injected into the stand-in skill")
        if name == "AMAZON.StopIntent":
            return _speak(handler_input, Speech("bye")).set_should_end_session(True).response
        if name == "WhereAreWeIntent":  # shouldEndSession left out: session open, microphone closed
            return _speak(handler_input, Speech("no mic")).response
        if name == "ProgressIntent":  # breaks the rule: open session without a reprompt
            return (
                _speak(handler_input, Speech("open without reprompt")).set_should_end_session(False).response
            )
        if name == "StartExerciseIntent":
            directive = SendRequestDirective(
                name="AskFor",
                payload={
                    "@type": "AskForPermissionsConsentRequest",
                    "@version": "1",
                    "permissionScope": TIMERS,
                },
                token="consent-token",
            )
            return handler_input.response_builder.add_directive(directive).response
        if name == "TellMeMoreIntent":
            floor = Speech("Sam has the floor.").sound("start").pause(40).sound("end").say("Swap.")
            builder = _speak(handler_input, floor, Speech("ready?"))
            return builder.set_card(SimpleCard(title="Floor", content="Sam speaks,\nAlex listens")).response
        slots = handler_input.request_envelope.request.intent.slots or {}
        heard = " ".join(
            [name, *(f"{key}={slot.value}" for key, slot in sorted(slots.items()) if slot.value)]
        )
        return _speak(handler_input, Speech(f"heard {heard}"), Speech(f"reprompt for {name}")).response


class StandInSkill:
    """The stand-in as a Lambda-style handler that also keeps every envelope it received."""

    def __init__(self) -> None:
        builder = SkillBuilder()
        builder.add_request_handler(StandIn())
        self._handler = builder.lambda_handler()
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(json.loads(json.dumps(event)))
        return self._handler(event, context)

    @property
    def requests(self) -> list[dict[str, Any]]:
        return [event["request"] for event in self.events]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.for_locale("en-US")


@pytest.fixture
def skill() -> StandInSkill:
    return StandInSkill()


@pytest.fixture
def device(skill: StandInSkill, matcher: Matcher) -> LocalDevice:
    return LocalDevice(skill, matcher=matcher)


# --- session rules (stand-in skill) ---------------------------------------------------------------------


def test_session_attributes_and_ids_carry_over_with_stand_in_skill(
    device: LocalDevice, skill: StandInSkill
) -> None:
    first = device.say("open trust builder")
    second = device.say("list the steps")
    assert (first.intent, second.intent) == ("LaunchRequest", "ListStepsIntent")
    launch, listing = skill.events
    assert launch["session"]["new"] is True
    assert launch["session"]["attributes"] == {}
    assert listing["session"]["new"] is False
    assert listing["session"]["sessionId"] == launch["session"]["sessionId"]
    assert listing["session"]["attributes"] == {"turns": 1}
    assert device.session_attributes == {"turns": 2}
    assert second.session_open
    assert second.problems == []
    assert second.speech_text == "heard ListStepsIntent"
    assert second.reprompt_text == "reprompt for ListStepsIntent"


def test_should_end_session_true_closes_and_the_next_input_starts_a_new_session_with_stand_in_skill(
    device: LocalDevice, skill: StandInSkill
) -> None:
    device.say("open trust builder")
    stop = device.say("stop")
    assert (stop.intent, stop.session_open, stop.session_ended) == ("AMAZON.StopIntent", False, True)
    assert not device.session_open
    again = device.say("list the steps")  # a one-shot: the skill's own intent outside a session
    assert again.intent == "ListStepsIntent"
    assert skill.events[-1]["session"]["new"] is True
    assert skill.events[-1]["session"]["sessionId"] != skill.events[0]["session"]["sessionId"]
    assert skill.events[-1]["session"]["attributes"] == {}


def test_silence_replays_the_reprompt_then_times_out_with_stand_in_skill(
    device: LocalDevice, skill: StandInSkill
) -> None:
    device.say("list the steps")
    sent = len(skill.events)
    first = device.silence()
    assert first.reprompt_played
    assert first.intent is None
    assert first.speech_text == "reprompt for ListStepsIntent"
    assert first.session_open
    assert len(skill.events) == sent  # the reprompt is played by the device, no request
    second = device.say("")  # empty text is silence too
    assert second.intent == "SessionEndedRequest"
    assert skill.requests[-1]["reason"] == "EXCEEDED_MAX_REPROMPTS"
    assert (second.session_open, second.session_ended) == (False, True)
    assert second.problems == []


def test_speaking_after_a_reprompt_resets_the_silence_count_with_stand_in_skill(device: LocalDevice) -> None:
    device.say("list the steps")
    assert device.silence().reprompt_played
    device.say("where are we now")  # any answer: the next silence replays the new reprompt
    device.say("list the steps")
    assert device.silence().reprompt_played


def test_exit_ends_the_session_as_user_initiated_with_stand_in_skill(
    device: LocalDevice, skill: StandInSkill
) -> None:
    device.say("open trust builder")
    turn = device.say("exit")
    assert turn.intent == "SessionEndedRequest"
    assert skill.requests[-1]["reason"] == "USER_INITIATED"
    assert not device.session_open
    outside = device.say("exit")
    assert outside.intent is None
    assert outside.notice


def test_absent_should_end_session_keeps_the_session_open_with_the_mic_closed_with_stand_in_skill(
    device: LocalDevice, skill: StandInSkill
) -> None:
    device.say("open trust builder")
    turn = device.say("where are we")
    assert turn.session_open
    assert turn.problems == []
    sent = len(skill.events)
    quiet = device.silence()
    assert (quiet.intent, quiet.session_open, quiet.notice) == (None, True, render.MIC_CLOSED)
    assert len(skill.events) == sent
    assert device.say("list the steps").request["session"]["new"] is False


def test_outside_a_session_only_invocations_and_custom_intents_reach_the_skill_with_stand_in_skill(
    device: LocalDevice, skill: StandInSkill
) -> None:
    for utterance in ("yes", "stop", "blah blah purple monkey"):
        turn = device.say(utterance)
        assert turn.intent is None
        assert "open trust builder" in (turn.notice or "")
    assert skill.events == []
    assert device.silence().notice == render.NOTHING_HAPPENS
    turn = device.say("ask trust builder to go to step five")
    assert (turn.intent, turn.slots) == ("GoToStepIntent", {"number": "5"})
    assert skill.events[-1]["session"]["new"] is True
    assert turn.speech_text == "heard GoToStepIntent number=5"


def test_slots_and_resolutions_reach_the_skill_with_stand_in_skill(
    device: LocalDevice, skill: StandInSkill
) -> None:
    device.say("open trust builder")
    turn = device.say("tell us about letting go")
    assert (turn.slots, turn.resolved) == ({"topic": "letting go"}, {"topic": "forgiveness"})
    topic = skill.requests[-1]["intent"]["slots"]["topic"]
    resolution = topic["resolutions"]["resolutionsPerAuthority"][0]
    assert resolution["values"][0]["value"]["id"] == "forgiveness"
    assert resolution["authority"].endswith(".StepTopic")


def test_unknown_words_in_a_session_go_to_the_fallback_with_stand_in_skill(device: LocalDevice) -> None:
    device.say("open trust builder")
    assert device.say("blah blah purple monkey").intent == "AMAZON.FallbackIntent"


def test_voice_consent_becomes_a_connections_response_and_grants_the_scope_with_stand_in_skill(
    device: LocalDevice, skill: StandInSkill
) -> None:
    device.say("open trust builder")
    asked = device.say("start the exercise")
    assert asked.directives[0]["type"] == "Connections.SendRequest"
    assert asked.problems == []  # the consent dialog follows: no reprompt needed
    assert device.consent_pending == TIMERS
    answer = device.say("yes")
    assert answer.intent == "Connections.Response"
    request = skill.requests[-1]
    assert request["payload"] == {"status": "ACCEPTED", "permissionScope": TIMERS}
    assert request["token"] == "consent-token"
    assert answer.speech_text == "consent ACCEPTED"
    assert device.permissions == {TIMERS: "GRANTED"}
    device.say("list the steps")
    scopes = skill.events[-1]["context"]["System"]["user"]["permissions"]["scopes"]
    assert scopes == {TIMERS: {"status": "GRANTED"}}


@pytest.mark.parametrize(("reply", "status"), [("no", "DENIED"), ("", "NOT_ANSWERED")])
def test_consent_refused_or_unanswered_with_stand_in_skill(
    device: LocalDevice, skill: StandInSkill, reply: str, status: str
) -> None:
    device.say("open trust builder")
    device.say("start the exercise")
    device.say(reply)
    assert skill.requests[-1]["payload"]["status"] == status
    assert device.permissions.get(TIMERS) != "GRANTED"
    assert device.consent_pending is None


def test_answer_consent_directly_with_stand_in_skill(device: LocalDevice, skill: StandInSkill) -> None:
    with pytest.raises(ValueError, match="no consent request"):
        device.answer_consent("ACCEPTED")
    device.say("open trust builder")
    device.say("start the exercise")
    with pytest.raises(ValueError, match="ACCEPTED"):
        device.answer_consent("MAYBE")
    assert device.consent_pending == TIMERS
    device.answer_consent("ACCEPTED")
    assert skill.requests[-1]["payload"]["status"] == "ACCEPTED"
    assert device.permissions == {TIMERS: "GRANTED"}


def test_a_timer_task_relaunch_is_a_new_session_with_the_task_with_stand_in_skill(
    device: LocalDevice, skill: StandInSkill
) -> None:
    device.say("open trust builder")
    turn = device.relaunch_task("ContinueExercise", task_input={"phase": "swap"})
    request = skill.requests[-1]
    assert request["task"] == {
        "name": f"{device.identity.skill_id}.ContinueExercise",
        "version": "1",
        "input": {"phase": "swap"},
    }
    assert skill.events[-1]["session"]["new"] is True
    assert turn.speech_text == "resuming swap"


def test_send_accepts_a_request_or_an_envelope_with_stand_in_skill(
    device: LocalDevice, skill: StandInSkill
) -> None:
    from trust_console import envelopes

    device.say("open trust builder")
    device.send({"request": envelopes.intent_request("AMAZON.HelpIntent")})
    assert skill.requests[-1]["intent"]["name"] == "AMAZON.HelpIntent"
    assert skill.events[-1]["session"]["new"] is False
    with pytest.raises(ValueError, match="type"):
        device.send({"nothing": 1})


def test_a_failing_skill_raises_skill_error_and_ends_the_session_fault_injected(
    device: LocalDevice, skill: StandInSkill
) -> None:
    device.say("open trust builder")
    with pytest.raises(SkillError, match="fault injected"):
        device.say("forget us")
    assert not device.session_open
    assert skill.requests[-1]["type"] == "SessionEndedRequest"
    assert skill.requests[-1]["reason"] == "ERROR"
    assert skill.requests[-1]["error"]["type"] == "INVALID_RESPONSE"
    assert device.say("open trust builder").intent == "LaunchRequest"  # and the device goes on


def test_a_malformed_answer_is_a_skill_error_fault_injected(matcher: Matcher) -> None:
    device = LocalDevice(lambda event, context: {"not": "a response"}, matcher=matcher)
    with pytest.raises(SkillError, match="not a skill response"):
        device.say("open trust builder")
    assert not device.session_open


# --- response checks ------------------------------------------------------------------------------------


def test_an_open_session_without_a_reprompt_is_a_problem_with_stand_in_skill(device: LocalDevice) -> None:
    device.say("open trust builder")
    turn = device.say("how are we doing")
    assert turn.problems == ["the response keeps the session open but has no reprompt"]


def _fixed(response_body: dict[str, Any]) -> Any:
    return lambda event, context: {"version": "1.0", "response": response_body}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            {"outputSpeech": {"type": "SSML", "ssml": "<speak>a < b</speak>"}, "shouldEndSession": True},
            "well-formed",
        ),
        ({"outputSpeech": {"type": "SSML", "ssml": "<p>hi</p>"}, "shouldEndSession": True}, "<speak>"),
        (
            {
                "outputSpeech": {"type": "SSML", "ssml": '<speak><break time="20s"/></speak>'},
                "shouldEndSession": True,
            },
            "at most 10 s",
        ),
        (
            {
                "outputSpeech": {"type": "SSML", "ssml": Speech("x").pause(250).ssml()},
                "shouldEndSession": True,
            },
            "240 s",
        ),
        (
            {
                "outputSpeech": {"type": "SSML", "ssml": "<speak>" + "word " * 1700 + "</speak>"},
                "shouldEndSession": True,
            },
            "8000",
        ),
        ({"outputSpeech": {"type": "Spoken", "text": "hi"}, "shouldEndSession": True}, "neither SSML"),
        ({"card": {"type": "Simple", "title": "T"}, "shouldEndSession": True}, "card without"),
    ],
)
def test_responses_breaking_platform_rules_are_reported(matcher: Matcher, body: dict, problem: str) -> None:
    turn = LocalDevice(_fixed(body), matcher=matcher).say("open trust builder")
    assert any(problem in text for text in turn.problems), turn.problems


def test_speech_in_reply_to_session_ended_is_a_problem(matcher: Matcher) -> None:
    body = {"outputSpeech": {"type": "SSML", "ssml": "<speak>hi</speak>"}, "shouldEndSession": False}
    device = LocalDevice(_fixed(body), matcher=matcher)
    device.say("open trust builder")
    turn = device.end_session()
    assert any("SessionEndedRequest" in problem for problem in turn.problems)
    assert not device.session_open


def test_plain_text_speech_is_read(matcher: Matcher) -> None:
    body = {"outputSpeech": {"type": "PlainText", "text": "hello  there"}, "shouldEndSession": True}
    turn = LocalDevice(_fixed(body), matcher=matcher).say("open trust builder")
    assert (turn.speech_parts, turn.problems) == ([Text("hello there")], [])


# --- rendering ------------------------------------------------------------------------------------------


def test_readable_speech_merges_pauses_and_names_sounds() -> None:
    parts = Speech("Ready.").sound("start").pause(40).pause(2.5).sound("chime").sound("end").parts
    assert render.readable(parts) == "Ready. [start chime] [pause 42.5s] [chime] [end chime]"
    assert render.readable([Sound("soundbank://soundlibrary/foley/amzn_sfx_clock_ticking_01")]) == (
        "[sound amzn_sfx_clock_ticking_01]"
    )


def test_timeline_gives_each_segment_its_start_time() -> None:
    five_words = "one two three four five"  # 2 s at 150 words a minute
    parts = [Text(five_words), Sound("start"), Pause(10), Pause(10), Pause(100), Sound("end")]
    lines = [segment.line() for segment in render.timeline(parts)]
    assert lines == [
        f"00:00 speech {five_words}",
        "00:02 [start chime]",
        "00:04 [pause 120s]",
        "02:04 [end chime]",
    ]


def test_turn_lines_show_card_session_end_and_silence(device: LocalDevice) -> None:
    device.say("open trust builder")
    floor = render.turn_lines(device.say("tell me more"))
    assert floor == [
        "alexa> Sam has the floor. [start chime] [pause 40s] [end chime] Swap.",
        "alexa> [card: Floor] Sam speaks, Alex listens",
    ]
    assert render.turn_lines(device.silence()) == ["alexa> (if you say nothing: ready?)"]
    assert render.turn_lines(device.say("stop"))[-1] == "alexa> [session ended]"
    timeline = render.turn_lines(Turn(None, "X", speech_parts=[Text("hi"), Pause(3)]), show_timeline=True)
    assert timeline == ["alexa>", "  00:00 speech hi", "  00:00 [pause 3s]"]


# --- the REPL (stand-in skill in-process) ---------------------------------------------------------------


def run_main(args: list[str], text: str, handler: Any, **kwargs: Any) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(args, stdin=io.StringIO(text), stdout=stdout, stderr=stderr, handler=handler, **kwargs)
    return code, stdout.getvalue(), stderr.getvalue()


def test_repl_prints_alexa_lines_without_a_prompt_when_piped_with_stand_in_skill(skill: StandInSkill) -> None:
    code, out, err = run_main([], "open trust builder\nlist the steps\n\n", skill)
    assert code == 0
    assert err == ""
    assert out.splitlines() == [
        "alexa> welcome",
        "alexa> heard ListStepsIntent",
        "alexa> (if you say nothing: reprompt for ListStepsIntent)",
        "alexa> [session ended]",  # end of input leaves the skill
    ]
    assert skill.requests[-1] == {
        **skill.requests[-1],
        "type": "SessionEndedRequest",
        "reason": "USER_INITIATED",
    }


def test_repl_survives_a_failing_skill_and_reports_problems_fault_injected(skill: StandInSkill) -> None:
    code, out, err = run_main(
        ["--verbose"], "open trust builder\nforget us\nopen trust builder\nhow are we doing\n", skill
    )
    assert code == 0
    assert "error: the skill failed on IntentRequest: RuntimeError: fault injected" in err
    assert "problem: the response keeps the session open but has no reprompt" in err
    assert out.count("alexa> welcome") == 2
    assert "(heard: LaunchRequest)" in out


def test_repl_real_time_waits_through_pauses_and_sounds_with_injected_sleep(skill: StandInSkill) -> None:
    waits: list[float] = []
    code, out, _ = run_main(["--real-time"], "open trust builder\ntell me more\n", skill, sleep=waits.append)
    assert code == 0
    # "welcome", then the floor: 4 words (1.6 s), start chime, the 40 s floor, end chime, "Swap."
    assert waits == [pytest.approx(0.4), pytest.approx(1.6), 2.0, 40, 3.0, pytest.approx(0.4)]
    assert "  00:04 [pause 40s]" in out.splitlines()
    assert "  00:44 [end chime]" in out.splitlines()
    assert "alexa> [card: Floor] Sam speaks, Alex listens" in out


def test_repl_timeline_option(skill: StandInSkill) -> None:
    _, out, _ = run_main(["--timeline"], "open trust builder\ntell me more\n", skill)
    assert "  00:00 speech Sam has the floor." in out.splitlines()
    assert any(line.endswith("[end chime]") for line in out.splitlines())


def test_repl_unknown_locale_is_a_clear_error(skill: StandInSkill) -> None:
    code, _, err = run_main(["--locale", "xx-XX"], "", skill)
    assert code == 2
    assert "no interaction model for xx-XX" in err


class _SkillOverHttp(BaseHTTPRequestHandler):
    skill: StandInSkill

    def do_POST(self) -> None:
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body = json.dumps(self.skill(event, None)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def http_skill(skill: StandInSkill) -> Iterator[str]:
    handler = type("Handler", (_SkillOverHttp,), {"skill": skill})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


def test_repl_over_an_http_endpoint_with_stand_in_skill(http_skill: str, skill: StandInSkill) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        ["--endpoint", http_skill],
        stdin=io.StringIO("open trust builder\nnext step\n"),
        stdout=stdout,
        stderr=stderr,
    )
    assert (code, stderr.getvalue()) == (0, "")
    assert stdout.getvalue().splitlines()[:2] == ["alexa> welcome", "alexa> heard AMAZON.NextIntent"]
    assert [request["type"] for request in skill.requests] == [
        "LaunchRequest",
        "IntentRequest",
        "SessionEndedRequest",
    ]


# --- end to end: the real skill through `python -m trust_console` ----------------------------------------


def run_console(lines: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda"), str(ROOT)])}
    for name in ("PROGRESS_TABLE", "DYNAMODB_ENDPOINT_URL", "ALEXA_SKILL_ID"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "trust_console", "--data-dir", str(data_dir), *args],
        input=lines,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_piped_lines_talk_to_the_real_skill(tmp_path: Path) -> None:
    result = run_console("open trust builder\nnext\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "error:" not in result.stderr
    assert "problem:" not in result.stderr
    lines = result.stdout.splitlines()
    assert len([line for line in lines if line.startswith("alexa> ") and "[" not in line[7:8]]) >= 2
    assert lines[-1] == "alexa> [session ended]"
    assert list(tmp_path.iterdir()), "the skill's SQLite store was not written to --data-dir"


def test_progress_persists_between_runs_with_the_real_skill(tmp_path: Path) -> None:
    first = run_console("open trust builder\nstep three\nstop\n", tmp_path)
    second = run_console("open trust builder\n", tmp_path)
    assert first.returncode == second.returncode == 0
    assert (
        first.stdout.splitlines()[0] != second.stdout.splitlines()[0]
    )  # a returning household is greeted as such
    other_household = run_console("open trust builder\n", tmp_path, "--user", "SOMEONE-ELSE")
    assert other_household.stdout.splitlines()[0] == first.stdout.splitlines()[0]


def test_unknown_words_and_odd_input_never_crash_the_real_skill(tmp_path: Path) -> None:
    result = run_console("open trust builder\nblah blah purple monkey\n%$#@!\n\n\n\nexit\nexit\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "error:" not in result.stderr
    assert "Traceback" not in result.stderr


def test_locale_en_gb_speaks_british_spelling_and_gives_the_uk_help_line(tmp_path: Path) -> None:
    """What `make run ARGS="--locale en-GB"` does."""
    result = run_console("open trust builder\nstep six\nI don't feel safe\n", tmp_path, "--locale", "en-GB")
    assert result.returncode == 0, result.stderr
    assert "problem:" not in result.stderr
    assert "counsellor" in result.stdout
    assert "counselor" not in result.stdout
    assert "0808 2000 247" in result.stdout
    assert "nine nine nine" in result.stdout
    assert "1-800-799-7233" not in result.stdout


def test_screen_option_shows_the_apl_directives_and_their_data(tmp_path: Path) -> None:
    result = run_console("open trust builder\nstep five\n", tmp_path, "--screen")
    assert result.returncode == 0, result.stderr
    screens = [line for line in result.stdout.splitlines() if line.startswith("alexa> [screen ")]
    assert len(screens) == 2
    assert screens[1].startswith("alexa> [screen trustBuilder.main] {")
    assert '"header": "Step 5 of 8"' in screens[1]
    assert "[screen" not in run_console("open trust builder\n", tmp_path).stdout


# --- Dialog.ElicitSlot: bare answers understood when, and only when, the skill asked for them -------------

ELICIT_MODEL = {
    "invocationName": "trust builder",
    "intents": [
        {
            "name": "NamesIntent",
            "slots": [
                {
                    "name": "firstName",
                    "type": "AMAZON.FirstName",
                    "samples": ["{firstName} and {secondName}"],
                },
                {"name": "secondName", "type": "AMAZON.FirstName"},
            ],
            "samples": ["our names are {firstName} and {secondName}"],
        },
        {"name": "StartExerciseIntent", "samples": ["start the exercise"]},
        {"name": "AMAZON.FallbackIntent", "samples": []},
    ],
}


class Elicits(AbstractRequestHandler):
    """Asks for names with Dialog.ElicitSlot on "start the exercise"; echoes anything else."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return get_request_type(handler_input) != "SessionEndedRequest"

    def handle(self, handler_input: HandlerInput) -> Response:
        from ask_sdk_model import Intent
        from ask_sdk_model.dialog import ElicitSlotDirective

        if get_request_type(handler_input) == "LaunchRequest":
            return _speak(handler_input, Speech("welcome"), Speech("say something")).response
        name = get_intent_name(handler_input)
        if name == "StartExerciseIntent":
            builder = _speak(handler_input, Speech("What are your first names?"), Speech("Your names?"))
            directive = ElicitSlotDirective(
                slot_to_elicit="firstName", updated_intent=Intent(name="NamesIntent")
            )
            return builder.add_directive(directive).response
        slots = handler_input.request_envelope.request.intent.slots or {}
        heard = " ".join([name, *(f"{k}={s.value}" for k, s in sorted(slots.items()) if s.value)])
        state = handler_input.request_envelope.request.dialog_state
        said = f"heard {heard} in {state.value if state else 'no dialog'}"
        return _speak(handler_input, Speech(said), Speech("go on")).response


@pytest.fixture
def eliciting_device() -> LocalDevice:
    builder = SkillBuilder()
    builder.add_request_handler(Elicits())
    return LocalDevice(builder.lambda_handler(), matcher=Matcher(ELICIT_MODEL))


def test_a_bare_answer_fills_the_elicited_slot(eliciting_device: LocalDevice) -> None:
    eliciting_device.say("open trust builder")
    eliciting_device.say("start the exercise")
    assert eliciting_device.eliciting == ("NamesIntent", "firstName")
    turn = eliciting_device.say("Sam and Priya")
    assert turn.speech_text == "heard NamesIntent firstName=Sam secondName=Priya in IN_PROGRESS"
    assert eliciting_device.eliciting is None


def test_the_same_bare_answer_is_not_understood_when_nothing_was_asked(eliciting_device: LocalDevice) -> None:
    eliciting_device.say("open trust builder")
    turn = eliciting_device.say("Sam and Priya")
    assert turn.speech_text == "heard AMAZON.FallbackIntent in no dialog"


def test_while_eliciting_another_intent_can_still_be_said(eliciting_device: LocalDevice) -> None:
    eliciting_device.say("open trust builder")
    eliciting_device.say("start the exercise")
    turn = eliciting_device.say("start the exercise")
    assert turn.speech_text == "What are your first names?"
