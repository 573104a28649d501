"""The listening exercise's Alexa handlers (handlers/exercise.py, handlers/safety.py), as a couple meets them.

Everything goes through the real Lambda entry point (lambda_function.lambda_handler: real ASK SDK dispatch,
the embedded SQLite store) driven by the local console's device, so intents come from the interaction model
as Alexa would match them. Timer tests talk real HTTPS to a loopback fake of the Alexa Timers API
(tests/fake_alexa_api.py); those that program it to fail are named *_fault_injected.

Every turn is checked against the platform's rules (Turn.problems and skill_harness.response_problems).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import skill_harness
from skill_harness import device, household_id, lambda_entry, response_problems

from tests.fake_alexa_api import TIMERS_PATH, FakeAlexaApi
from trust_builder.exercise import longest_single_response_floor
from trust_builder.exercise_script import timed_span
from trust_builder.storage.sqlite_adapter import DATABASE_FILE_NAME
from trust_builder.timers import CONFIRM_PLACEHOLDER, TIMER_SCOPE
from trust_console import envelopes
from trust_console.device import MAX_AUDIO_SECONDS, LocalDevice, Turn

SAFETY_PHRASES = (
    "I don't feel safe",
    "my partner hurts me",
    "I'm afraid of my partner",
    "I'm being threatened",
)
US_LINE_SPOKEN = "1-800-799-7233"
US_LINE_WRITTEN = "1-800-799-7233"
UK_LINE = "0808 2000 247"
GRANTED = {TIMER_SCOPE: "GRANTED"}
# Words that would give away a safety request if they ever reached the stored item.
SAFETY_WORDS = ("safe", "hotline", "helpline", "threat", "afraid", "hurt", "abuse", "danger", "abandon")
# Keys a write may change for bookkeeping alone: the visit date and the merge token.
BOOKKEEPING_KEYS = {"last_visit", "write_id", "write_ids"}


# --- helpers ------------------------------------------------------------------------------------------


@pytest.fixture
def handler(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Any]:
    return lambda_entry(tmp_path_factory.mktemp("data"))


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAlexaApi]:
    # The device sends the console's access token; the fake accepts only that one (401 otherwise).
    with FakeAlexaApi(token=envelopes.LOCAL_ACCESS_TOKEN) as server:
        # requests (inside the SDK's api client) must trust the fake server's throwaway CA
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_file)
        yield server


def checked(turn: Turn) -> Turn:
    """The turn, after checking the response against Alexa's rules."""
    where = f"{turn.heard!r} -> {turn.speech_text[:200]!r}"
    assert turn.problems == [], where
    if turn.response:
        assert response_problems(turn.response) == [], where
    return turn


def say(echo: LocalDevice, *utterances: str) -> Turn:
    """Says each utterance in turn (checking every response); returns the last turn."""
    assert utterances
    for text in utterances:
        turn = checked(echo.say(text))
    return turn


def spoken(turn: Turn) -> str:
    return f"{turn.speech_text} {turn.reprompt_text or ''}"


def stored_item(user_id: str) -> dict[str, Any] | None:
    """The household's item as the SQLite file under the harness's data dir holds it (None: no item)."""
    assert skill_harness._DATA_DIR is not None, "lambda_entry() was not called"
    path = skill_harness._DATA_DIR / DATABASE_FILE_NAME
    assert path.is_file(), f"no progress database at {path}"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        row = connection.execute("SELECT attributes FROM progress WHERE id = ?", (user_id,)).fetchone()
    return json.loads(row[0]) if row else None


def exercise_state(echo: LocalDevice) -> dict[str, Any]:
    return echo.session_attributes.get("exercise") or {}


def posted_timers(api: FakeAlexaApi) -> list[Any]:
    return api.created_bodies()


def deleted_ids(api: FakeAlexaApi) -> list[str]:
    prefix = TIMERS_PATH + "/"
    return [r.path[len(prefix) :] for r in api.requests if r.method == "DELETE" and r.path.startswith(prefix)]


def assert_one_response_floor(turn: Turn, seconds: int) -> None:
    """A floor whose time is kept inside this one response: start chime, `seconds`, end chime."""
    assert abs(timed_span(turn.speech_parts) - seconds) < 1.0, turn.speech_text
    assert turn.seconds <= MAX_AUDIO_SECONDS, f"{turn.seconds:.0f} s of audio in one response"
    assert turn.session_open, "a floor kept in one response continues in the session"


def assert_help_line(turn: Turn, spoken_number: str, card_number: str) -> None:
    """The line, said twice; the card only offered (tests/test_safety.py follows it to the card); the session
    stays open for the one follow-up ("Shall I say the number again?")."""
    assert turn.intent == "SafetyIntent", f"{turn.heard!r} was heard as {turn.intent}"
    assert turn.speech_text.count(spoken_number) == 2
    assert turn.card is None, "the card is offered, never sent unasked"
    assert turn.session_open
    assert turn.reprompt_text


# --- 1. safety, from every phase reachable by voice ---------------------------------------------------

SETUP = ("open trust builder", "start the listening exercise")
NAMED = (*SETUP, "Sam and Alex", "yes")  # the names are read back once: "Sam and Alex, is that right?"
FLOOR_ONE = (*NAMED, "Sam goes first", "one minute each", "next")
REFLECTION = (*FLOOR_ONE, "next")
FLOOR_TWO = (*REFLECTION, "yes")

# (utterances that reach the phase, the session state expected there: mode, phase, round, paused)
PHASES = {
    "names": (SETUP, ("exercise", "names", 0, 0)),
    "confirm names": (
        (*NAMED, "stop", "open trust builder", "no", "no", "start the listening exercise"),
        ("exercise", "confirm_names", 0, 0),
    ),
    "first speaker": (NAMED, ("exercise", "first_speaker", 0, 0)),
    "floor time": ((*NAMED, "Sam goes first"), ("exercise", "floor_time", 0, 0)),
    "rules": ((*NAMED, "Sam goes first", "one minute each"), ("exercise", "rules", 0, 0)),
    "floor round 1": (FLOOR_ONE, ("exercise", "floor", 0, 0)),
    "reflection": (REFLECTION, ("exercise", "reflection", 0, 0)),
    "floor round 2": (FLOOR_TWO, ("exercise", "floor", 1, 0)),
    "appreciation": ((*FLOOR_TWO, "next", "yes"), ("exercise", "appreciation", 1, 0)),
    # A pause ends the session truthfully; opening the skill again offers to pick up there.
    "paused": ((*FLOOR_ONE, "pause", "open trust builder"), ("resume_offer", "floor", 0, 1)),
    "resume offer after a stop": (
        (*REFLECTION, "stop", "open trust builder"),
        ("resume_offer", "stopped", 0, 0),
    ),
    "resume offer after a time out": (
        (*FLOOR_ONE, "time out", "open trust builder"),
        ("resume_offer", "timed_out", 0, 0),
    ),
}


def reach(echo: LocalDevice, phase: str) -> None:
    utterances, (mode, phase_value, round_, paused) = PHASES[phase]
    say(echo, *utterances)
    # A resume offer keeps the exercise in the store only (the launch handler reads it from there).
    stored = stored_item(echo.identity.user_id) or {}
    state = exercise_state(echo) or stored.get("unfinished_exercise") or {}
    reached = (
        echo.session_attributes.get("mode"),
        state.get("phase"),
        state.get("round"),
        state.get("paused"),
    )
    assert reached == (mode, phase_value, round_, paused), f"did not reach {phase}: {reached}"


@pytest.mark.parametrize("phrase", SAFETY_PHRASES)
@pytest.mark.parametrize("phase", list(PHASES))
def test_safety_phrase_gives_the_hotline_and_ends_the_exercise(handler, phase: str, phrase: str) -> None:
    user = household_id("safety")
    echo = device(handler, user)
    reach(echo, phase)
    before = stored_item(user)
    assert before is not None
    assert before["unfinished_exercise"], "the exercise should be stored by now"

    turn = checked(echo.say(phrase))

    assert_help_line(turn, US_LINE_SPOKEN, US_LINE_WRITTEN)
    after = stored_item(user)
    assert after is not None
    assert after["unfinished_exercise"] is None, "the exercise must not be continued later"
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert changed <= {"unfinished_exercise"} | BOOKKEEPING_KEYS, f"safety changed {changed}"
    text = json.dumps(after).lower()
    assert not [word for word in SAFETY_WORDS if word in text], text

    # Nothing is continued: a new session offers no resume, and the exercise starts afresh.
    echo.end_session()
    again = say(echo, "open trust builder")
    assert echo.session_attributes.get("mode") != "resume_offer"
    assert "pick up" not in spoken(again).lower()
    fresh = say(echo, "start the listening exercise")
    assert "pick up" not in spoken(fresh).lower()
    assert exercise_state(echo).get("phase") in ("names", "confirm_names")


def test_safety_leaves_no_trace_a_fresh_device_can_hear(handler) -> None:
    """Another device of the household: no resume offer, and the same progress report as before."""
    user = household_id("safety-report")
    echo = device(handler, user)
    reach(echo, "reflection")
    before = say(device(handler, user), "open trust builder", "how are we doing")
    assert before.intent == "ProgressIntent"
    checked(echo.say("my partner hurts me"))

    other = device(handler, user)
    launch = say(other, "open trust builder")
    assert other.session_attributes.get("mode") != "resume_offer"
    assert "pick up" not in spoken(launch).lower()
    after = say(other, "how are we doing")
    assert after.intent == "ProgressIntent"
    assert spoken(after) == spoken(before)
    assert not [word for word in SAFETY_WORDS if word in spoken(after).lower()]


@pytest.mark.parametrize("phase", ["names", "floor round 1"])
def test_en_gb_device_gets_the_uk_help_line(handler, phase: str) -> None:
    echo = device(handler, household_id("gb"), locale="en-GB")  # the matcher falls back to the en-US model
    reach(echo, phase)
    turn = checked(echo.say("I don't feel safe"))
    assert_help_line(turn, UK_LINE, UK_LINE)
    assert "799" not in turn.speech_text


def test_safety_before_any_exercise_stores_nothing(handler) -> None:
    user = household_id("safety-first")
    echo = device(handler, user)
    turn = say(echo, "open trust builder", "I'm afraid of my partner")
    assert_help_line(turn, US_LINE_SPOKEN, US_LINE_WRITTEN)
    assert stored_item(user) is None


# --- 2. a floor longer than one response, with the timers permission -------------------------------


def timer_device(handler, api: FakeAlexaApi, user: str | None = None, **options: Any) -> LocalDevice:
    return device(handler, user, api_endpoint=api.url, **options)


def start_timer_floor(echo: LocalDevice, api: FakeAlexaApi) -> Turn:
    """Sets up a five-minute exercise with permission granted and starts round 1's floor."""
    setup = say(echo, *NAMED, "Sam goes first", "no interruptions", "give us five minutes each")
    assert setup.session_open
    assert not setup.directives, "permission is held: no consent question"
    assert posted_timers(api) == [], "the timer starts with the floor, not before"
    return checked(echo.say("next"))


def test_five_minute_floor_sets_a_launch_task_timer_and_its_relaunch_continues(handler, api) -> None:
    user = household_id("timer")
    echo = timer_device(handler, api, user, permissions=GRANTED)
    floor = start_timer_floor(echo, api)

    assert floor.session_ended, "the timer keeps the time: the session ends after the start chime"
    assert "Sam, you have the floor" in floor.speech_text
    assert floor.speech_text.rstrip().endswith("[start chime]")
    [body] = posted_timers(api)
    assert body["duration"] == "PT5M"
    operation = body["triggeringBehavior"]["operation"]
    assert operation["type"] == "LAUNCH_TASK"
    task = operation["task"]
    assert task["name"].endswith(".ContinueExercise")
    assert task["name"] == f"{echo.identity.skill_id}.ContinueExercise"
    assert task["input"] == {"phase": "floor"}
    [confirm] = operation["textToConfirm"]
    assert confirm["locale"] == "en-US"
    assert CONFIRM_PLACEHOLDER in confirm["text"]
    [sent] = api.requests
    assert sent.headers["authorization"] == f"Bearer {echo.identity.api_access_token}"
    assert len(api.timers) == 1

    # The timer rings and the couple says yes: Alexa relaunches the skill with the task.
    relaunch = checked(echo.relaunch_task(task["name"], task["version"], task["input"]))
    assert relaunch.intent == "LaunchRequest"
    assert relaunch.session_open
    assert "[end chime]" in relaunch.speech_text
    assert "Time's up" in relaunch.speech_text
    assert "sum up" in spoken(relaunch)
    reflection = say(echo, "next")
    assert "Alex, now sum up what you heard" in reflection.speech_text
    assert exercise_state(echo)["phase"] == "reflection"

    # Round 2 gets its own timer, under a label of its own (labels are unique on a device).
    swap = say(echo, "yes")
    assert swap.session_ended
    assert "Alex has the floor for five minutes" in swap.speech_text
    first, second = posted_timers(api)
    assert second["duration"] == "PT5M"
    assert second["timerLabel"] != first["timerLabel"]
    task = second["triggeringBehavior"]["operation"]["task"]
    checked(echo.relaunch_task(task["name"], task["version"], task["input"]))
    assert "Sam, now sum up" in say(echo, "next").speech_text
    say(echo, "yes", "next")
    assert exercise_state(echo) == {}
    item = stored_item(user)
    assert item["exercises_completed"] == 1
    assert item["unfinished_exercise"] is None


def test_reopening_during_a_timer_floor_and_resuming_keeps_one_timer(handler, api) -> None:
    """Resuming a floor whose timer still runs: not two timers, nor a fallback to three minutes."""
    user = household_id("timer-resume")
    start_timer_floor(timer_device(handler, api, user, permissions=GRANTED), api)
    echo = timer_device(handler, api, user, permissions=GRANTED)
    offer = say(echo, "open trust builder")
    assert echo.session_attributes.get("mode") == "resume_offer", offer.speech_text

    resumed = say(echo, "yes")
    assert "couldn't set a timer" not in resumed.speech_text, resumed.speech_text
    assert len(api.timers) == 1, f"{len(api.timers)} timers for one floor"


def test_next_after_reopening_during_a_timer_floor_moves_on_and_cancels_the_timer(handler, api) -> None:
    """TimerAction.CANCEL: the speaker finished early, so the running floor timer goes."""
    user = household_id("timer-next")
    start_timer_floor(timer_device(handler, api, user, permissions=GRANTED), api)
    [timer_id] = api.timers
    echo = timer_device(handler, api, user, permissions=GRANTED)
    say(echo, "open trust builder")

    moved = say(echo, "next")
    assert "Alex, now sum up what you heard" in moved.speech_text, moved.speech_text
    assert timer_id in deleted_ids(api)
    assert api.timers == {}


def test_safety_during_a_timer_floor_cancels_the_timer(handler, api) -> None:
    """safety.py promises the timer is cancelled; else it rings later and offers to continue the exercise."""
    user = household_id("timer-safety")
    start_timer_floor(timer_device(handler, api, user, permissions=GRANTED), api)
    echo = timer_device(handler, api, user, permissions=GRANTED)
    say(echo, "open trust builder")

    turn = checked(echo.say("I don't feel safe"))
    assert_help_line(turn, US_LINE_SPOKEN, US_LINE_WRITTEN)
    assert stored_item(user)["unfinished_exercise"] is None
    assert api.timers == {}, "the floor timer still runs after a safety request"


# --- 3. a floor longer than one response, without the permission ----------------------------------


def ask_for_timer(echo: LocalDevice, api: FakeAlexaApi) -> Turn:
    turn = say(echo, *NAMED, "Sam goes first", "no interruptions", "give us five minutes each")
    [directive] = turn.directives
    assert directive["type"] == "Connections.SendRequest"
    assert directive["name"] == "AskFor"
    assert directive["payload"]["@type"] == "AskForPermissionsConsentRequest"
    assert directive["payload"]["permissionScope"] == TIMER_SCOPE
    # Alexa asks the consent question itself: the skill must not open the microphone for its own reprompt.
    assert turn.response["response"].get("shouldEndSession") is not False
    assert "reprompt" not in turn.response["response"]
    assert echo.consent_pending == TIMER_SCOPE
    assert api.requests == []
    return turn


DECLINES = {
    "answer DENIED": lambda echo: echo.answer_consent("DENIED"),
    "say no": lambda echo: echo.say("no"),
    "say nothing": lambda echo: echo.silence(),  # NOT_ANSWERED
    "Connections.Response envelope": lambda echo: echo.send(
        envelopes.connections_response("DENIED", TIMER_SCOPE, token="trust-builder-timer-consent")
    ),
}


@pytest.mark.parametrize("decline", list(DECLINES))
def test_declined_timer_permission_uses_the_longest_floor_in_one_response(handler, api, decline) -> None:
    user = household_id("no-timer")
    echo = timer_device(handler, api, user)
    ask_for_timer(echo, api)

    answer = checked(DECLINES[decline](echo))
    assert answer.intent == "Connections.Response"
    assert answer.session_open
    words = spoken(answer).lower()
    assert "without a timer" in words
    assert "three minutes" in words
    assert longest_single_response_floor() == 180
    assert exercise_state(echo)["floor"] == 180

    floor = say(echo, "next")
    assert "for three minutes" in floor.speech_text
    assert_one_response_floor(floor, 180)
    assert api.requests == [], "no timer without permission"
    assert "Alex, now sum up" in say(echo, "next").speech_text
    assert stored_item(user)["floor_minutes"] == 3


@pytest.mark.parametrize("accept", ["answer ACCEPTED", "say yes"])
def test_accepted_timer_permission_creates_the_timer(handler, api, accept: str) -> None:
    echo = timer_device(handler, api)
    ask_for_timer(echo, api)

    answer = checked(echo.answer_consent("ACCEPTED") if accept == "answer ACCEPTED" else echo.say("yes"))
    assert answer.intent == "Connections.Response"
    assert answer.session_open
    assert echo.permissions[TIMER_SCOPE] == "GRANTED"
    assert "timer" in answer.speech_text.lower()

    floor = say(echo, "skip the rules")
    assert floor.session_ended
    [body] = posted_timers(api)
    assert body["duration"] == "PT5M"
    assert body["triggeringBehavior"]["operation"]["type"] == "LAUNCH_TASK"
    assert len(api.timers) == 1


@pytest.mark.parametrize("status", [403, 500])
def test_timer_api_failure_falls_back_to_a_one_response_floor_fault_injected(handler, api, status) -> None:
    user = household_id("timer-fault")
    echo = timer_device(handler, api, user, permissions=GRANTED)
    say(echo, *NAMED, "Sam goes first", "no interruptions", "give us five minutes each")
    api.fail_next(status)

    floor = say(echo, "next")
    assert "couldn't set a timer" in floor.speech_text
    assert "Sam, you have the floor for three minutes" in floor.speech_text
    assert_one_response_floor(floor, 180)
    assert len(posted_timers(api)) == 1, "one failed attempt, no retry loop"
    assert api.timers == {}
    assert "Alex, now sum up" in say(echo, "next").speech_text
    assert stored_item(user)["unfinished_exercise"]["floor"] == 180


# --- a phase that played to its end, then a stop or a closed session -----------------------------------


class Clock:
    """The device's clock, moved on by hand: request timestamps are how the skill knows what has played."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 26, 19, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment

    def wait(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


# One minute each: a one-response turn (two exchanges), so "played" means the whole turn has played.
FLOOR_SETUP = (
    "open trust builder",
    "start the listening exercise",
    "Sam and Alex",
    "yes",
    "Sam goes first",
    "one minute each",
)


def _floor_played(handler, clock: Clock, user: str) -> LocalDevice:
    echo = device(handler, user, clock=clock)
    say(echo, *FLOOR_SETUP)
    floor = say(echo, "skip the rules")
    assert "Sam, you have the floor" in floor.speech_text
    clock.wait(floor.seconds)
    return echo


def test_silence_after_a_played_floor_resumes_at_the_reflection(handler) -> None:
    clock, user = Clock(), household_id("played-floor")
    echo = _floor_played(handler, clock, user)
    checked(echo.silence())
    closed = checked(echo.silence())
    assert not closed.session_open
    offer = say(device(handler, user, clock=clock), "open trust builder")
    assert "Alex was summing up what Sam said" in offer.speech_text
    assert (
        "Alex, now sum up" in say(device(handler, user, clock=clock), "open trust builder", "yes").speech_text
    )


def test_stop_after_a_played_floor_resumes_at_the_reflection(handler) -> None:
    clock, user = Clock(), household_id("played-stop")
    echo = _floor_played(handler, clock, user)
    assert not say(echo, "stop").session_open
    assert "Alex was summing up" in say(device(handler, user, clock=clock), "open trust builder").speech_text


def test_stop_in_the_middle_of_a_floor_resumes_that_floor(handler) -> None:
    clock, user = Clock(), household_id("mid-floor")
    echo = device(handler, user, clock=clock)
    say(echo, *FLOOR_SETUP, "skip the rules")
    clock.wait(30)  # "Alexa, stop" barged in half a minute into Sam's two minutes
    say(echo, "stop")
    assert "Sam had the floor" in say(device(handler, user, clock=clock), "open trust builder").speech_text


def test_stop_after_the_last_chime_counts_the_exercise_as_done(handler) -> None:
    clock, user = Clock(), household_id("done-on-stop")
    echo = device(handler, user, clock=clock)
    say(echo, *FLOOR_SETUP, "skip the rules", "next", "yes", "next")
    appreciation = say(echo, "yes")
    assert "appreciated" in appreciation.speech_text
    clock.wait(appreciation.seconds)
    assert "Goodbye" in say(echo, "stop").speech_text
    report = say(device(handler, user, clock=clock), "open trust builder", "how are we doing")
    assert "finished the listening exercise once" in report.speech_text


@pytest.mark.parametrize(
    ("intent", "slots", "line"),
    [
        ("NamesIntent", {"firstName": "terrified"}, False),
        ("NamesIntent", {"firstName": "Sam", "secondName": "scared"}, False),
        ("FirstSpeakerIntent", {"firstName": "frightened"}, False),
        ("NamesIntent", {"firstName": "abused"}, True),
        ("NamesIntent", {"firstName": "Sam", "secondName": "beaten"}, True),
    ],
)
def test_distress_words_in_a_name_slot_get_the_help_line(handler, intent, slots, line) -> None:
    """Alexa's first-name slot takes any word, so "I'm terrified" could arrive as a NamesIntent: it must
    never become a partner's name. A bare fear word gets the gentle question (whose reprompt carries the
    line); a word of harm gets the line at once."""
    echo = device(handler, household_id("distress-name"))
    say(echo, "open trust builder", "start the listening exercise")
    filled = {name: envelopes.slot(name, value) for name, value in slots.items()}
    turn = checked(echo.send(envelopes.intent_request(intent, filled)))
    if line:
        assert turn.speech_text.count(US_LINE_SPOKEN) == 2
    else:
        assert "Do you mean you don't feel safe right now?" in turn.speech_text
        assert US_LINE_SPOKEN in (turn.reprompt_text or "")
    assert turn.session_open
    assert exercise_state(echo).get("names") in (None, [], [None, None]) or not set(slots.values()) & set(
        exercise_state(echo).get("names") or []
    )


# --- 5. controls that do what they say (issue 10) ------------------------------------------------


def _directive_types(turn: Turn) -> list[str]:
    return [directive.get("type") for directive in turn.directives]


def test_questions_for_names_first_speaker_and_floor_time_elicit_their_slot(handler) -> None:
    echo = device(handler, household_id("elicit"))
    names = say(echo, "open trust builder", "start the listening exercise")
    [directive] = names.directives
    assert directive["type"] == "Dialog.ElicitSlot"
    assert directive["slotToElicit"] == "firstName"
    assert directive["updatedIntent"]["name"] == "NamesIntent"
    readback = say(echo, "Sam and Alex")
    assert "Dialog.ElicitSlot" not in _directive_types(readback), "a yes or no question elicits nothing"
    first = say(echo, "yes")
    [directive] = first.directives
    assert (directive["updatedIntent"]["name"], directive["slotToElicit"]) == (
        "FirstSpeakerIntent",
        "firstName",
    )
    floor_time = say(echo, "Sam")
    [directive] = floor_time.directives
    assert (directive["updatedIntent"]["name"], directive["slotToElicit"]) == ("FloorTimeIntent", "minutes")
    rules = say(echo, "three")
    assert "three minutes each" in rules.speech_text
    assert rules.directives == []


def test_a_bare_name_is_not_understood_outside_elicitation(handler) -> None:
    echo = device(handler, household_id("no-elicit"))
    say(echo, "open trust builder")
    turn = checked(echo.say("Sam"))
    assert turn.intent == "AMAZON.FallbackIntent"


def test_an_elicited_answer_as_an_envelope_reaches_the_exercise(handler) -> None:
    """The request Alexa sends after Dialog.ElicitSlot: the updated intent with the slot filled."""
    echo = device(handler, household_id("elicit-envelope"))
    say(echo, "open trust builder", "start the listening exercise", "Sam and Alex", "yes")
    request = envelopes.intent_request(
        "FirstSpeakerIntent",
        {"firstName": envelopes.slot("firstName", "Alex"), "speaker": envelopes.slot("speaker")},
        dialog_state="IN_PROGRESS",
    )
    turn = checked(echo.send(request))
    assert "Alex goes first" in turn.speech_text
    assert exercise_state(echo)["phase"] == "floor_time"


def test_help_after_a_played_floor_describes_what_comes_next(handler) -> None:
    clock, user = Clock(), household_id("help-played")
    echo = _floor_played(handler, clock, user)
    helped = say(echo, "help")
    assert "Sam's turn is over. Next, Alex sums up" in helped.speech_text
    assert "speaks a few sentences at each chime" not in helped.speech_text


def test_help_during_a_floor_describes_the_floor(handler) -> None:
    clock, user = Clock(), household_id("help-during")
    echo = device(handler, user, clock=clock)
    say(echo, *FLOOR_SETUP, "skip the rules")
    clock.wait(20)  # "Alexa, help" barged in during the first chunk
    assert "Sam speaks a few sentences at each chime" in say(echo, "help").speech_text


def test_pause_after_a_played_floor_resumes_at_the_next_phase(handler) -> None:
    clock, user = Clock(), household_id("pause-played")
    echo = _floor_played(handler, clock, user)
    paused = say(echo, "pause")
    assert not paused.session_open
    assert "open trust builder" in paused.speech_text
    offer = say(device(handler, user, clock=clock), "open trust builder")
    assert "Alex was summing up what Sam said" in offer.speech_text


def test_a_timer_answer_without_a_session_uses_the_stored_exercise(handler, api) -> None:
    """Connections.Response may arrive outside a session: the stored unfinished exercise is used."""
    user = household_id("consent-no-session")
    echo = timer_device(handler, api, user)
    ask_for_timer(echo, api)
    request = envelopes.connections_response("ACCEPTED", TIMER_SCOPE, token="trust-builder-timer-consent")
    body = envelopes.envelope(request, echo.identity, None)
    body["context"]["System"]["user"]["permissions"] = {"scopeAcceptStatus": {TIMER_SCOPE: "GRANTED"}}
    response = handler(body, None)
    text = json.dumps(response)
    assert "timer for each turn" in text
    assert stored_item(user)["unfinished_exercise"]["phase"] == "rules"
    assert stored_item(user)["unfinished_exercise"]["timer_ok"] == 1


def test_a_late_timer_relaunch_after_the_exercise_ended_says_so_and_offers_what_is_next(handler) -> None:
    echo = device(handler, household_id("late-relaunch"))
    say(echo, "open trust builder", "step one", "stop")
    turn = checked(echo.relaunch_task("ContinueExercise", "1", {"phase": "floor"}))
    assert "already ended" in turn.speech_text
    assert turn.session_open
    assert "first names" not in turn.speech_text, "no new exercise set-up without saying why"


def test_start_over_in_the_exercise_keeps_the_households_progress(handler) -> None:
    user = household_id("start-over-keeps")
    echo = device(handler, user)
    say(echo, "open trust builder", "step three", "start the listening exercise", "Sam and Alex", "yes")
    say(echo, "Sam goes first", "give us three minutes each", "skip the rules")
    say(echo, "start over", "yes")
    item = stored_item(user)
    assert item["steps_heard"] == [3]
    assert item["names"] == ["Sam", "Alex"]
    assert item["floor_minutes"] == 3
    assert item["unfinished_exercise"]["phase"] == "first_speaker"


def test_long_turns_are_remembered_with_the_floor_time(handler) -> None:
    user = household_id("long-kept")
    echo = device(handler, user)
    say(echo, "open trust builder", "start the listening exercise", "Sam and Alex", "yes", "Sam goes first")
    say(echo, "no interruptions", "give us two minutes each")
    item = stored_item(user)
    assert (item["turn_style"], item["floor_minutes"]) == ("long", 2)
    say(echo, "can we do short exchanges instead")
    assert stored_item(user)["turn_style"] == "short"


# --- 6. practice reminders ------------------------------------------------------------------------

REMINDERS = {"alexa::alerts:reminders:skill:readwrite": "GRANTED"}


def test_a_reminder_stores_only_its_id_and_stop_deletes_it(handler, api) -> None:
    user = household_id("reminder-stop")
    echo = timer_device(handler, api, user, permissions=REMINDERS)
    say(echo, "open trust builder", "remind us on Sunday at seven pm")
    [reminder_id] = api.reminders
    item = stored_item(user)
    assert item["reminder_id"] == reminder_id
    assert "sunday" not in json.dumps(item).lower(), "the day and time live with Alexa, not with us"
    say(echo, "stop the reminders")
    assert api.reminders == {}
    assert stored_item(user)["reminder_id"] is None


def test_forget_us_deletes_the_reminder(handler, api) -> None:
    user = household_id("reminder-forget")
    echo = timer_device(handler, api, user, permissions=REMINDERS)
    say(echo, "open trust builder", "remind us on Monday at nine am", "forget us", "yes")
    assert api.reminders == {}
    assert stored_item(user) is None


def test_a_new_reminder_replaces_the_old_one(handler, api) -> None:
    echo = timer_device(handler, api, household_id("reminder-replace"), permissions=REMINDERS)
    say(echo, "open trust builder", "remind us on Monday at nine am", "remind us on Friday at eight pm")
    [only] = api.reminders.values()
    assert only["trigger"]["recurrence"]["byDay"] == ["FR"]


def test_a_failed_reminder_says_so_fault_injected(handler, api) -> None:
    user = household_id("reminder-fail")
    echo = timer_device(handler, api, user, permissions=REMINDERS)
    api.fail_next(500)
    turn = say(echo, "open trust builder", "remind us on Sunday at seven pm")
    assert "couldn't set the reminder" in turn.speech_text
    assert (stored_item(user) or {}).get("reminder_id") is None


def test_a_reminder_consent_answer_without_the_day_asks_again(handler, api) -> None:
    echo = timer_device(handler, api, household_id("reminder-consent"))
    say(echo, "open trust builder")
    request = envelopes.connections_response(
        "ACCEPTED", "alexa::alerts:reminders:skill:readwrite", token="trust-builder-reminder-consent"
    )
    turn = checked(echo.send(request))
    assert "tell me again" in turn.speech_text


def test_how_long_at_the_menu_answers_from_the_households_floor_time(handler) -> None:
    user = household_id("how-long-menu")
    echo = device(handler, user)
    say(echo, "open trust builder", "start the listening exercise", "Sam and Alex", "yes", "Sam goes first")
    say(echo, "give us three minutes each", "list the steps")
    turn = say(echo, "how long does this take")
    assert "With three minutes of speaking each, the whole exercise takes about" in turn.speech_text
    assert "pick up" in turn.speech_text  # the unfinished exercise is offered after the answer
    fresh = say(
        device(handler, household_id("how-long-new")), "open trust builder", "how long does this take"
    )
    assert "With two minutes of speaking each" in fresh.speech_text
    assert "Sam will have the floor first" in say(echo, "no", "yes", "whose turn is it").speech_text
    assert "no listening exercise going on" in say(echo, "no", "no", "whose turn is it").speech_text


def test_names_can_be_changed_at_the_menu(handler) -> None:
    user = household_id("names-menu")
    echo = device(handler, user)
    turn = say(echo, "open trust builder", "call us Sam and Alix")
    assert "I'll call you Sam and Alix" in turn.speech_text
    assert stored_item(user)["names"] == ["Sam", "Alix"]
    assert "call us" in say(echo, "that's not my name").speech_text
    say(echo, "call us nervous and upset")
    assert stored_item(user)["names"] == ["Sam", "Alix"]
