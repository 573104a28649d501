"""Retried writes are idempotent: a save that was applied but never answered is not counted twice.

The fault: DynamoDB (or SQLite) applies a write, but the answer never arrives (a dropped connection, an answer
after the read timeout). The skill says it couldn't save, and the next checkpoint saves again. Without the
write token that second save merges the same change on top of the first: one exercise stored as two.

Faults are injected by wrapping a real adapter (the write reaches storage, then the wrapper raises), over
both SQLite and DynamoDB (dynalite), through the adapters' public interface only; one test drops real HTTP
answers from dynalite. Everything is read back through a clean adapter.
"""

from __future__ import annotations

import http.client
import http.server
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from conftest import envelope_for
from skill_harness import device, household_id

from trust_builder.progress import MAX_WRITE_IDS, Progress
from trust_builder.skill import build_skill_builder
from trust_builder.storage import PendingWrite, ProgressStore, SqliteAdapter, adapter_from_env

TODAY = date(2026, 3, 14)


class AnswerLost(AbstractPersistenceAdapter):
    """A real adapter whose next `lose` writes are applied, then fail as if their answer never came."""

    def __init__(self, inner: AbstractPersistenceAdapter, lose: int = 0) -> None:
        self.inner, self.lose, self.lost = inner, lose, 0

    def get_attributes(self, request_envelope: Any) -> dict[str, Any]:
        return self.inner.get_attributes(request_envelope)

    def save_attributes(self, request_envelope: Any, attributes: dict[str, Any]) -> None:
        if not self.lose:
            return self.inner.save_attributes(request_envelope, attributes)
        self.inner.save_attributes(request_envelope, dict(attributes))  # applied (a conflict passes)...
        self.lose -= 1
        self.lost += 1
        raise TimeoutError("injected: the write was applied but its answer was lost")  # ...unanswered

    def delete_attributes(self, request_envelope: Any) -> None:
        self.inner.delete_attributes(request_envelope)


@pytest.fixture(params=["sqlite", "dynamodb"])
def storage(request: pytest.FixtureRequest, tmp_path: Path):
    """A factory of adapters on one storage (one per simulated device)."""
    if request.param == "sqlite":
        path = tmp_path / "progress.sqlite3"
        return lambda: SqliteAdapter(path)
    environ = request.getfixturevalue("dynamodb_environ")
    return lambda: adapter_from_env(environ)  # the public way in: survives a rewrite of the adapter


@pytest.fixture
def envelope(household_envelope):
    return household_envelope


def _stored(storage, envelope) -> dict[str, Any]:
    return storage().get_attributes(envelope)


def _household(storage, envelope) -> Progress:
    progress = Progress.new(TODAY - timedelta(days=9))
    progress.hear_step(1)
    progress.complete_exercise(TODAY - timedelta(days=9))
    result = ProgressStore(storage()).save(envelope, None, progress)
    assert result.ok
    return result.progress


CHANGES = {
    "exercise completed": lambda p: p.complete_exercise(TODAY),
    "start over": lambda p: p.start_over(),
    "step heard": lambda p: p.hear_step(4),
    "detail heard": lambda p: p.hear_detail(1),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_retry_after_an_applied_but_unanswered_write_counts_once_fault_injected(
    storage, envelope, change
) -> None:
    base = _household(storage, envelope)
    current = base.copy()
    CHANGES[change](current)
    expected = current.copy()

    lossy = AnswerLost(storage(), lose=1)
    first = ProgressStore(lossy).save(envelope, base, current)
    assert lossy.lost == 1  # it landed, yet the skill was told it failed
    assert not first.ok
    assert first.pending

    current.hear_step(2)  # the session goes on; the next checkpoint retries with what it holds
    expected.hear_step(2)
    second = ProgressStore(storage()).save(envelope, base, current, first.pending)
    assert second.ok
    assert not second.pending

    stored = Progress.from_dict(_stored(storage, envelope))
    for name in ("exercises_completed", "restarts", "steps_heard", "details_heard", "current_step"):
        assert getattr(stored, name) == getattr(expected, name), name
    assert stored.version == base.version + 2  # the lost write, then the retry's


def test_a_lost_answer_on_a_first_create_is_not_counted_twice_fault_injected(storage, envelope) -> None:
    current = Progress.new(TODAY)
    current.complete_exercise(TODAY)
    lossy = AnswerLost(storage(), lose=1)
    first = ProgressStore(lossy).save(envelope, None, current)
    assert not first.ok
    current.hear_step(1)
    second = ProgressStore(storage()).save(envelope, None, current, first.pending)
    assert second.ok
    stored = Progress.from_dict(_stored(storage, envelope))
    assert stored.exercises_completed == 1
    assert stored.steps_heard == [1]


def test_a_landed_write_is_recognised_after_another_device_wrote_too_fault_injected(
    storage, envelope
) -> None:
    base = _household(storage, envelope)
    ours = base.copy()
    ours.complete_exercise(TODAY)
    first = ProgressStore(AnswerLost(storage(), lose=1)).save(envelope, base, ours)
    assert not first.ok

    other_base = Progress.from_dict(_stored(storage, envelope))  # another device, after our lost write
    other = other_base.copy()
    other.complete_exercise(TODAY)
    other.hear_step(6)
    assert ProgressStore(storage()).save(envelope, other_base, other).ok

    second = ProgressStore(storage()).save(envelope, base, ours, first.pending)
    assert second.ok
    stored = Progress.from_dict(_stored(storage, envelope))
    assert stored.exercises_completed == 3  # 1 before, ours once, theirs once
    assert 6 in stored.steps_heard


def test_repeated_lost_answers_in_one_session_count_once_fault_injected(storage, envelope) -> None:
    base = _household(storage, envelope)
    current = base.copy()
    current.complete_exercise(TODAY)
    pending: tuple[PendingWrite, ...] = ()
    for _ in range(3):  # each retry lands, and each answer is lost again
        result = ProgressStore(AnswerLost(storage(), lose=1)).save(envelope, base, current, pending)
        assert not result.ok
        pending = result.pending
    assert ProgressStore(storage()).save(envelope, base, current, pending).ok
    assert Progress.from_dict(_stored(storage, envelope)).exercises_completed == 2


def test_the_item_keeps_a_bounded_number_of_write_tokens(storage, envelope) -> None:
    progress = _household(storage, envelope)
    store = ProgressStore(storage())
    for step in range(2, 9):
        changed = progress.copy()
        changed.hear_step(step)
        progress = store.save(envelope, progress, changed).progress
    raw = _stored(storage, envelope)
    assert len(raw["write_ids"]) == MAX_WRITE_IDS
    assert raw["write_id"] == raw["write_ids"][-1]  # the first token layout, for code that reads only it


def test_pending_writes_from_a_session_are_validated() -> None:
    assert PendingWrite.from_dict({"token": "not hex!", "attempted": {}}) is None
    assert PendingWrite.from_dict({"token": "ab12cd34ef56", "attempted": "x"}) is None
    assert PendingWrite.from_dict(["ab12cd34ef56"]) is None
    pending = PendingWrite.from_dict({"token": "ab12cd34ef56", "attempted": {"exercises_completed": 2}})
    assert pending is not None
    assert pending.attempted.exercises_completed == 2


# ----- the skill: a checkpoint whose answer is lost, then the next checkpoint --------------------------


def _skill(adapter: AbstractPersistenceAdapter):
    return build_skill_builder(adapter).lambda_handler()


EXERCISE = [
    "open trust builder",
    "start the listening exercise",
    "we are Sam and Alex",
    "yes",  # "Sam and Alex, is that right?"
    "Sam goes first",
    "one minute each",
    "skip the rules",
    "next",
    "yes",
    "next",
    "yes",
]


def test_an_exercise_whose_completion_answer_was_lost_is_stored_once_fault_injected(storage) -> None:
    lossy = AnswerLost(storage())
    user = household_id("lost-answer")
    echo = device(_skill(lossy), user)
    for utterance in EXERCISE:
        assert echo.say(utterance).problems == []
    lossy.lose = 1
    done = echo.say("next")  # completion: stored, but the skill hears nothing back
    assert "listening exercise done" in done.speech_text
    assert lossy.lost == 1
    assert "couldn't save" in done.speech_text
    assert echo.say("step two").problems == []  # the next checkpoint saves again
    echo.say("stop")
    stored = storage().get_attributes(envelope_for(user))
    assert stored["exercises_completed"] == 1
    assert 2 in stored["steps_heard"]


def test_a_start_over_whose_answer_was_lost_is_counted_once_fault_injected(storage) -> None:
    lossy = AnswerLost(storage())
    user = household_id("lost-restart")
    echo = device(_skill(lossy), user)
    for utterance in ("open trust builder", "step one", "next", "start over"):
        echo.say(utterance)
    lossy.lose = 1
    echo.say("yes")
    echo.say("step three")
    echo.say("stop")
    stored = storage().get_attributes(envelope_for(user))
    assert stored["restarts"] == 1
    assert stored["steps_heard"] == [1, 3]  # the fresh start reads step one


# ----- real HTTP: dynalite applies the PutItem, the answer is dropped on the way back --------------------


class AnswerDroppingProxy:
    """A loopback HTTP proxy in front of dynalite. While `dropping`, it forwards each PutItem and lets
    dynalite apply it, then closes the connection instead of relaying the answer."""

    def __init__(self, upstream: str) -> None:
        target = urlsplit(upstream)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=5)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    conn.request("POST", self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    payload = answer.read()
                finally:
                    conn.close()
                if proxy.dropping and self.headers.get("X-Amz-Target", "").endswith(".PutItem"):
                    proxy.dropped.append(answer.status)
                    self.close_connection = True  # applied upstream; the answer never comes back
                    return
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass

        self.dropping = False
        self.dropped: list[int] = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_dynalite_answers_dropped_for_a_whole_save_then_a_retry_counts_once_fault_injected(
    dynalite_endpoint, dynamodb_adapter, dynamodb_environ, household_envelope
) -> None:
    envelope = household_envelope
    base = _household(lambda: dynamodb_adapter, envelope)
    proxy = AnswerDroppingProxy(dynalite_endpoint)
    try:
        device_adapter = adapter_from_env({**dynamodb_environ, "DYNAMODB_ENDPOINT_URL": proxy.url})
        store = ProgressStore(device_adapter)
        current = base.copy()
        current.complete_exercise(TODAY)
        proxy.dropping = True
        first = store.save(envelope, base, current)
        proxy.dropping = False
        assert proxy.dropped[0] == 200  # applied by dynalite, answer dropped
        assert all(status == 400 for status in proxy.dropped[1:])  # the client's retry met our own write
        assert not first.ok

        current.hear_step(5)
        second = store.save(envelope, base, current, first.pending)
    finally:
        proxy.close()
    assert second.ok
    stored = dynamodb_adapter.get_attributes(envelope)
    assert stored["exercises_completed"] == 2  # not 3
    assert 5 in stored["steps_heard"]
