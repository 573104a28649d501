"""The skill's use of storage, seen from the DynamoDB-compatible server (dynalite, over real HTTP):
one read per session, a write only at a checkpoint where something changed, and faults that never
lose saved progress.

Sessions are scripted by voice through the local device and the real ASK SDK dispatch; the request counter
counts what actually reaches the server.
"""

from __future__ import annotations

from typing import Any

import pytest
from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from skill_harness import device, household_id

from trust_builder.skill import build_skill_builder
from trust_builder.storage.dynamodb_adapter import DynamoDbProgressAdapter, from_attribute_value


def _skill(adapter: AbstractPersistenceAdapter):
    return build_skill_builder(adapter).lambda_handler()


def _visit(handler, user_id: str, utterances: list[str]):
    echo = device(handler, user_id)
    turns = [echo.say(utterance) for utterance in utterances]
    for turn in turns:
        assert turn.problems == [], turn.problems
    return turns


def _stored(adapter: DynamoDbProgressAdapter, user_id: str) -> dict[str, Any]:
    item = adapter.client.get_item(
        TableName=adapter.table_name, Key={"id": {"S": user_id}}, ConsistentRead=True
    )
    return from_attribute_value(item.get("Item", {}).get("attributes", {"M": {}}))


@pytest.fixture
def adapter(dynamodb_adapter):
    return dynamodb_adapter


@pytest.fixture
def counter(dynamodb_request_counter, adapter):
    dynamodb_request_counter.reset()
    return dynamodb_request_counter


def test_a_session_reads_once_and_writes_only_at_checkpoints(adapter, counter):
    user = household_id("counts")
    handler = _skill(adapter)

    _visit(handler, user, ["open trust builder", "step one", "tell me more", "next", "stop"])
    assert counter["GetItem"] == 1
    assert counter["PutItem"] == 3  # step 1 heard, its detail heard, step 2 heard

    counter.reset()
    _visit(
        handler, user, ["open trust builder", "how are we doing", "where are we", "help", "repeat", "stop"]
    )
    assert (counter["GetItem"], counter["PutItem"]) == (1, 0)

    counter.reset()
    _visit(handler, user, ["open trust builder", "step two", "stop"])  # heard already: nothing new to store
    assert (counter["GetItem"], counter["PutItem"]) == (1, 0)

    stored = _stored(adapter, user)
    assert stored["steps_heard"] == [1, 2]
    assert stored["details_heard"] == [1]
    assert stored["current_step"] == 2


def test_the_exercise_writes_at_phase_changes_not_per_turn(adapter, counter):
    user = household_id("exercise-counts")
    handler = _skill(adapter)
    turns = ["open trust builder", "start the listening exercise", "we are Sam and Alex", "help", "repeat"]
    _visit(handler, user, turns)
    # Start and names (read back: "Sam and Alex, is that right?") are checkpoints; help and repeat change
    # nothing and write nothing.
    assert counter["GetItem"] == 1
    assert counter["PutItem"] == 2
    stored = _stored(adapter, user)
    assert stored["names"] == ["Sam", "Alex"]
    assert stored["unfinished_exercise"]["phase"] == "confirm_names"


def test_forget_us_deletes_the_item(adapter, counter):
    user = household_id("forget")
    handler = _skill(adapter)
    _visit(handler, user, ["open trust builder", "step three", "stop"])
    counter.reset()
    turns = _visit(handler, user, ["open trust builder", "forget us", "yes"])
    assert "deleted everything" in turns[-1].speech_text
    assert counter["DeleteItem"] == 1
    assert _stored(adapter, user) == {}
    assert "Welcome to Trust Builder" in _visit(handler, user, ["open trust builder"])[0].speech_text


def test_a_household_is_welcomed_back_from_dynamodb(adapter):
    user = household_id("welcome")
    handler = _skill(adapter)
    _visit(handler, user, ["open trust builder", "step five", "stop"])
    welcome = _visit(handler, user, ["open trust builder"])[0].speech_text
    assert "Welcome back" in welcome
    assert "finished step 5" in welcome


class FlakyAdapter(AbstractPersistenceAdapter):
    """A real adapter with injected faults: the next `fail_reads` reads and `fail_writes` writes raise."""

    def __init__(self, inner: AbstractPersistenceAdapter, fail_reads: int = 0, fail_writes: int = 0) -> None:
        self.inner, self.fail_reads, self.fail_writes = inner, fail_reads, fail_writes

    def get_attributes(self, request_envelope):
        if self.fail_reads:
            self.fail_reads -= 1
            raise TimeoutError("injected read fault")
        return self.inner.get_attributes(request_envelope)

    def save_attributes(self, request_envelope, attributes):
        if self.fail_writes:
            self.fail_writes -= 1
            raise TimeoutError("injected write fault")
        return self.inner.save_attributes(request_envelope, attributes)

    def delete_attributes(self, request_envelope):
        return self.inner.delete_attributes(request_envelope)


def test_failed_read_never_overwrites_saved_progress_fault_injected(adapter):
    user = household_id("read-fault")
    _visit(_skill(adapter), user, ["open trust builder", "step one", "next", "next", "stop"])
    _visit(
        _skill(adapter), user, ["open trust builder", "start the listening exercise", "Sam and Alex", "stop"]
    )
    before = _stored(adapter, user)

    flaky = FlakyAdapter(adapter, fail_reads=1)
    turns = _visit(_skill(flaky), user, ["open trust builder", "step six", "next", "stop"])
    assert all(turn.session_open for turn in turns[:-1])  # the skill kept talking

    after = _stored(adapter, user)
    assert set(before["steps_heard"]) <= set(after["steps_heard"])  # nothing went backwards
    assert {6, 7} <= set(after["steps_heard"])  # and this session's steps were merged in
    assert after["names"] == ["Sam", "Alex"]
    assert after["version"] > before["version"]


def test_failed_write_is_retried_at_the_next_checkpoint_fault_injected(adapter):
    user = household_id("write-fault")
    flaky = FlakyAdapter(adapter, fail_writes=1)
    turns = _visit(_skill(flaky), user, ["open trust builder", "step one", "next"])
    assert "couldn't save that just now" in turns[1].speech_text
    assert turns[1].session_open
    assert "couldn't save" not in turns[2].speech_text
    assert _stored(adapter, user)["steps_heard"] == [1, 2]


def test_failed_write_is_saved_when_the_session_ends_fault_injected(adapter):
    user = household_id("write-fault-end")
    flaky = FlakyAdapter(adapter, fail_writes=1)
    _visit(_skill(flaky), user, ["open trust builder", "step four", "stop"])
    assert _stored(adapter, user)["steps_heard"] == [4]


def test_failed_delete_keeps_everything_and_says_so_fault_injected(adapter):
    user = household_id("delete-fault")
    _visit(_skill(adapter), user, ["open trust builder", "step three", "stop"])

    class NoDelete(FlakyAdapter):
        def delete_attributes(self, request_envelope):
            raise TimeoutError("injected delete fault")

    turns = _visit(_skill(NoDelete(adapter)), user, ["open trust builder", "forget us", "yes"])
    assert "couldn't delete" in turns[-1].speech_text
    assert turns[-1].session_open
    assert _stored(adapter, user)["steps_heard"] == [3]


def test_disabling_the_skill_deletes_the_household(adapter, counter):
    user = household_id("disabled")
    handler = _skill(adapter)
    _visit(handler, user, ["open trust builder", "step two", "stop"])
    echo = device(handler, user)
    event = {
        "version": "1.0",
        "context": {
            "System": {"application": {"applicationId": echo.identity.skill_id}, "user": {"userId": user}}
        },
        "request": {
            "type": "AlexaSkillEvent.SkillDisabled",
            "requestId": "amzn1.echo-api.request.disabled",
            "timestamp": "2026-11-26T12:00:00Z",
            "eventCreationTime": "2026-11-26T12:00:00Z",
            "eventPublishingTime": "2026-11-26T12:00:00Z",
            "body": {"userInformationPersistenceStatus": "NOT_PERSISTED"},
        },
    }
    counter.reset()
    response = handler(event, None)
    assert "outputSpeech" not in (response.get("response") or {})
    assert (counter["GetItem"], counter["DeleteItem"]) == (0, 1)
    assert _stored(adapter, user) == {}
