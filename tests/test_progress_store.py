"""ProgressStore against real storage: concurrency between devices, injected faults, request counts, size.

Faults are injected at the HTTP layer of a device's own DynamoDB client (its send hook returns a canned
DynamoDB error answer or raises a timeout), so the client's real error parsing and retry policy run. What is
stored is always read back over a separate, clean client from dynalite.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from trust_builder.progress import Progress
from trust_builder.storage import LoadResult, ProgressStore, SqliteAdapter, WriteConflict
from trust_builder.storage.dynamodb_adapter import DynamoDbProgressAdapter, make_dynamodb_client

TODAY = date(2025, 3, 14)
REGION = "us-east-1"
USER_ID = "amzn1.ask.account.PRIVATE-HOUSEHOLD-ID"


# ----- devices: each has its own adapter (and, for DynamoDB, its own client) ---------------------


@pytest.fixture(params=["sqlite", "dynamodb"])
def new_device(request: pytest.FixtureRequest, tmp_path: Path):
    """A factory of adapters that all reach the same storage, one per simulated device."""
    if request.param == "sqlite":
        path = tmp_path / "progress.sqlite3"
        return lambda: SqliteAdapter(path)
    endpoint = request.getfixturevalue("dynalite_endpoint")
    table = request.getfixturevalue("dynamodb_table")
    return lambda: DynamoDbProgressAdapter(table, make_dynamodb_client(REGION, endpoint))


@pytest.fixture
def envelope(make_envelope):
    return make_envelope(USER_ID)


def stored_household(adapter: AbstractPersistenceAdapter, envelope) -> Progress:
    """Writes a household at version 1: two names, steps 1-2, one exercise, five-minute floor time."""
    progress = Progress.new(TODAY - timedelta(days=30))
    progress.set_names(["Sam", "Alex"])
    progress.hear_step(1)
    progress.hear_step(2)
    progress.complete_exercise(TODAY - timedelta(days=20))
    progress.floor_minutes = 5
    result = ProgressStore(adapter).save(envelope, None, progress)
    assert result.ok
    assert result.progress.version == 1
    return result.progress


# ----- the ordinary path -------------------------------------------------------------------------------


def test_missing_household_loads_ok_and_empty(new_device, envelope) -> None:
    assert ProgressStore(new_device()).load(envelope) == LoadResult(None, ok=True)


def test_saved_progress_loads_back_and_saves_chain(new_device, envelope) -> None:
    store = ProgressStore(new_device())
    current = Progress.new(TODAY)
    current.hear_step(1)
    first = store.save(envelope, None, current)
    assert first.ok
    assert first.progress.version == 1
    assert store.load(envelope).progress == first.progress

    current = first.progress.copy()
    current.hear_detail(1)
    second = store.save(envelope, first.progress, current)
    assert second.ok
    assert second.progress.version == 2
    assert store.load(envelope).progress.details_heard == [1]


def test_two_devices_changing_different_things_both_survive(new_device, envelope) -> None:
    stored_household(new_device(), envelope)
    kitchen, bedroom = ProgressStore(new_device()), ProgressStore(new_device())
    kitchen_base, bedroom_base = kitchen.load(envelope).progress, bedroom.load(envelope).progress

    kitchen_current = kitchen_base.copy()
    kitchen_current.hear_step(3)
    assert kitchen.save(envelope, kitchen_base, kitchen_current).ok

    bedroom_current = bedroom_base.copy()  # still thinks the item is at version 1
    bedroom_current.complete_exercise(TODAY)
    bedroom_current.floor_minutes = 10
    result = bedroom.save(envelope, bedroom_base, bedroom_current)

    assert result.ok
    final = ProgressStore(new_device()).load(envelope).progress
    assert final == result.progress
    assert final.steps_heard == [1, 2, 3]  # the kitchen's change
    assert final.current_step == 3
    assert final.exercises_completed == 2  # the bedroom's change
    assert final.floor_minutes == 10
    assert final.version == 3  # advanced twice


def test_concurrent_writers_lose_nothing(new_device, envelope, request_counter_class) -> None:
    stored_household(new_device(), envelope)
    writers = 4  # each conflicts at most writers - 1 times, within the default max_retries of 3
    loaded, ready = threading.Barrier(writers), []
    results: list[Any] = [None] * writers
    counters = [request_counter_class() for _ in range(writers)]

    def device(index: int) -> None:
        adapter = new_device()
        if isinstance(adapter, DynamoDbProgressAdapter):
            counters[index].attach(adapter)
        store = ProgressStore(adapter)
        base = store.load(envelope).progress
        loaded.wait(timeout=10)  # everyone holds version 1 before anyone writes: conflicts are certain
        current = base.copy()
        current.hear_step(3 + index)
        current.complete_exercise(TODAY)
        results[index] = store.save(envelope, base, current)
        ready.append(index)

    threads = [threading.Thread(target=device, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(ready) == list(range(writers))
    assert all(result.ok for result in results)
    final = ProgressStore(new_device()).load(envelope).progress
    assert final.steps_heard == [1, 2, 3, 4, 5, 6]
    assert final.exercises_completed == 1 + writers
    assert final.version == 1 + writers
    assert final.names == ["Sam", "Alex"]
    if counters[0].attached:  # DynamoDB: each of the three who lost the first race wrote again
        assert sum(counter["PutItem"] for counter in counters) >= writers + (writers - 1)


def test_save_after_a_delete_on_another_device_does_not_resurrect_the_household(new_device, envelope) -> None:
    stored_household(new_device(), envelope)
    session = ProgressStore(new_device())
    base = session.load(envelope).progress
    assert ProgressStore(new_device()).delete(envelope)
    current = base.copy()
    current.hear_step(4)
    result = session.save(envelope, base, current)
    assert not result.ok
    assert result.progress is current
    assert session.load(envelope) == LoadResult(None, ok=True)


def test_conflicts_that_never_end_give_up_after_max_retries_fault_injected(tmp_path, envelope) -> None:
    class AlwaysConflicting(SqliteAdapter):
        attempts = 0

        def save_attributes(self, request_envelope, attributes) -> None:
            self.attempts += 1
            raise WriteConflict("injected")

    adapter = AlwaysConflicting(tmp_path / "p.sqlite3")
    original = stored_household(SqliteAdapter(tmp_path / "p.sqlite3"), envelope)
    current = original.copy()
    current.hear_step(8)
    result = ProgressStore(adapter, max_retries=2).save(envelope, original, current)
    assert not result.ok
    assert adapter.attempts == 3
    assert ProgressStore(adapter).load(envelope).progress == original


def test_broken_envelope_never_raises(make_envelope, tmp_path) -> None:
    store = ProgressStore(SqliteAdapter(tmp_path / "p.sqlite3"))
    envelope = make_envelope(None)
    assert store.load(envelope) == LoadResult(None, ok=False)
    assert not store.save(envelope, None, Progress.new(TODAY)).ok
    assert not store.delete(envelope)


# ----- request counts ------------------------------------------------------------------------------------


def test_load_is_one_read_and_a_save_one_conditional_write(
    dynamodb_adapter, dynamodb_request_counter, envelope
) -> None:
    store = ProgressStore(dynamodb_adapter)
    assert store.load(envelope) == LoadResult(None, ok=True)
    assert dict(dynamodb_request_counter.counts) == {"GetItem": 1}
    dynamodb_request_counter.reset()
    assert store.save(envelope, None, Progress.new(TODAY)).ok
    assert dict(dynamodb_request_counter.counts) == {"PutItem": 1}


def test_a_conflicting_save_costs_one_extra_read_and_write(
    dynamodb_adapter, dynamodb_resource, dynamodb_request_counter, envelope
) -> None:
    base = stored_household(dynamodb_adapter, envelope)
    other = stored_progress_after(base, dynamodb_adapter, envelope)
    dynamodb_request_counter.reset()
    current = base.copy()
    current.hear_detail(2)
    result = ProgressStore(dynamodb_adapter).save(envelope, base, current)
    assert result.ok
    assert result.progress.version == other.version + 1
    assert dict(dynamodb_request_counter.counts) == {"PutItem": 2, "GetItem": 1}


def stored_progress_after(base: Progress, adapter, envelope) -> Progress:
    """Another device's write on top of `base`."""
    theirs = base.copy()
    theirs.hear_step(6)
    result = ProgressStore(adapter).save(envelope, base, theirs)
    assert result.ok
    return result.progress


# ----- injected faults ------------------------------------------------------------------------------------


FAULTS = {
    "throughput_exceeded": (400, "ProvisionedThroughputExceededException"),
    "throttling": (400, "ThrottlingException"),
    "internal_server_error": (500, "InternalServerError"),
    "read_timeout": None,
    "connect_timeout": None,
    "connection_refused": None,
}


class HttpFaults:
    """Makes chosen DynamoDB operations of one client fail before they reach the server."""

    def __init__(self, target: Any) -> None:
        self.client = getattr(target, "client", target)
        self.failing: dict[str, str] = {}
        self.injected: Counter[str] = Counter()
        self.client.add_send_hook(self._before_send)

    def fail(self, operation: str, fault: str) -> HttpFaults:
        self.failing[operation] = fault
        return self

    def heal(self) -> None:
        self.failing.clear()

    def _before_send(self, request: Any) -> tuple[int, dict[str, str], bytes] | None:
        fault = self.failing.get(request.operation)
        if fault is None:
            return None
        self.injected[request.operation] += 1
        if fault in ("read_timeout", "connect_timeout"):
            raise TimeoutError("timed out")  # what a socket raises past its timeout, connecting or reading
        if fault == "connection_refused":
            raise ConnectionRefusedError("injected")
        status, code = FAULTS[fault]
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "injected"})
        headers = {"content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "injected"}
        return status, headers, body.encode()


@pytest.fixture
def device_adapter(dynalite_endpoint, dynamodb_table) -> DynamoDbProgressAdapter:
    """A device's adapter with its own client, so faults injected into it leave the checking client clean."""
    return DynamoDbProgressAdapter(dynamodb_table, make_dynamodb_client(REGION, dynalite_endpoint))


def read_back(dynamodb_adapter, envelope) -> dict[str, Any]:
    return dynamodb_adapter.get_attributes(envelope)


def assert_private(caplog: pytest.LogCaptureFixture) -> None:
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert USER_ID not in text
    assert "Sam" not in text
    assert "Alex" not in text


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_read_fault_gives_not_ok_and_no_progress_fault_injected(
    fault, device_adapter, dynamodb_adapter, envelope, caplog
) -> None:
    stored_household(dynamodb_adapter, envelope)
    faults = HttpFaults(device_adapter).fail("GetItem", fault)
    with caplog.at_level(logging.DEBUG, logger="trust_builder"):
        result = ProgressStore(device_adapter).load(envelope)
    assert result == LoadResult(None, ok=False)
    assert faults.injected["GetItem"] == 2  # one retry, then give up
    assert any("load failed" in r.getMessage() for r in caplog.records)
    assert_private(caplog)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_write_fault_gives_not_ok_and_stored_item_stays_fault_injected(
    fault, device_adapter, dynamodb_adapter, envelope, caplog
) -> None:
    stored_household(dynamodb_adapter, envelope)
    before = read_back(dynamodb_adapter, envelope)
    store = ProgressStore(device_adapter)
    base = store.load(envelope).progress
    current = base.copy()
    current.hear_step(3)
    current.complete_exercise(TODAY)
    faults = HttpFaults(device_adapter).fail("PutItem", fault)

    with caplog.at_level(logging.DEBUG, logger="trust_builder"):
        result = store.save(envelope, base, current)

    assert not result.ok
    assert result.progress is current
    assert current.version == 1  # the session still expects version 1
    assert faults.injected["PutItem"] == 2
    assert read_back(dynamodb_adapter, envelope) == before
    assert_private(caplog)

    faults.heal()  # the next checkpoint of the same session succeeds, from the same base
    retried = store.save(envelope, base, current)
    assert retried.ok
    after = read_back(dynamodb_adapter, envelope)
    assert after["version"] == 2
    assert after["steps_heard"] == [1, 2, 3]
    assert after["exercises_completed"] == 2


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_delete_fault_gives_false_and_keeps_the_item_fault_injected(
    fault, device_adapter, dynamodb_adapter, envelope, caplog
) -> None:
    stored_household(dynamodb_adapter, envelope)
    before = read_back(dynamodb_adapter, envelope)
    HttpFaults(device_adapter).fail("DeleteItem", fault)
    with caplog.at_level(logging.DEBUG, logger="trust_builder"):
        assert ProgressStore(device_adapter).delete(envelope) is False
    assert read_back(dynamodb_adapter, envelope) == before
    assert_private(caplog)


def test_save_after_a_failed_read_merges_instead_of_overwriting_fault_injected(
    device_adapter, dynamodb_adapter, envelope
) -> None:
    stored_household(dynamodb_adapter, envelope)
    store = ProgressStore(device_adapter)
    faults = HttpFaults(device_adapter).fail("GetItem", "throttling")
    loaded = store.load(envelope)
    assert loaded == LoadResult(None, ok=False)
    faults.heal()

    current = Progress.new(TODAY)  # the session carried on without the stored progress
    current.hear_step(5)
    result = store.save(envelope, None, current)

    assert result.ok
    after = read_back(dynamodb_adapter, envelope)
    assert after["steps_heard"] == [1, 2, 5]
    assert after["names"] == ["Sam", "Alex"]
    assert after["exercises_completed"] == 1
    assert after["first_visit"] == (TODAY - timedelta(days=30)).isoformat()
    assert after["version"] == 2


def test_save_after_a_failed_read_writes_nothing_while_reads_still_fail_fault_injected(
    device_adapter, dynamodb_adapter, envelope
) -> None:
    stored_household(dynamodb_adapter, envelope)
    before = read_back(dynamodb_adapter, envelope)
    store = ProgressStore(device_adapter)
    HttpFaults(device_adapter).fail("GetItem", "internal_server_error")
    assert store.load(envelope) == LoadResult(None, ok=False)
    current = Progress.new(TODAY)
    current.hear_step(5)
    assert not store.save(envelope, None, current).ok
    assert read_back(dynamodb_adapter, envelope) == before


def test_lost_acknowledgement_counts_the_change_once_fault_injected(
    device_adapter, dynamodb_adapter, envelope
) -> None:
    """The first PutItem reaches dynalite and is applied, but its answer is lost (read timeout): the client's
    retry then meets a conditional failure caused by our own write, which must not be merged twice."""
    stored_household(dynamodb_adapter, envelope)
    client = device_adapter.client
    delivered: list[int] = []

    def deliver_then_time_out(request: Any) -> None:
        if delivered or request.operation != "PutItem":
            return
        url = urlsplit(request.url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
        try:
            conn.request("POST", url.path or "/", body=request.body, headers=dict(request.headers))
            delivered.append(conn.getresponse().status)
        finally:
            conn.close()
        raise TimeoutError("timed out")

    store = ProgressStore(device_adapter)
    base = store.load(envelope).progress
    current = base.copy()
    current.complete_exercise(TODAY)
    client.add_send_hook(deliver_then_time_out)

    result = store.save(envelope, base, current)

    assert delivered == [200]
    assert result.ok
    after = read_back(dynamodb_adapter, envelope)
    assert after["exercises_completed"] == 2  # not 3
    assert after["version"] == 2
    assert result.progress.version == 2


# ----- size ------------------------------------------------------------------------------------------------


def test_stored_item_stays_small_after_a_thousand_visits(
    dynamodb_adapter, dynamodb_resource, envelope
) -> None:
    store = ProgressStore(dynamodb_adapter)
    day = TODAY
    for visit in range(1000):
        day += timedelta(days=1)
        base = store.load(envelope).progress
        current = base.copy() if base else Progress.new(day)
        current.visit(day)
        current.set_names(["Maximiliana", "Bartholomew"])
        current.hear_step(visit % 8 + 1)
        current.hear_detail((visit * 3) % 8 + 1)
        current.complete_exercise(day)
        current.unfinished_exercise = {"phase": "listener", "speaker": 0, "elapsed_s": 95}
        current.floor_minutes = visit % 15 + 1
        assert store.save(envelope, base, current).ok
    item = dynamodb_resource.Table(dynamodb_adapter.table_name).get_item(
        Key={"id": USER_ID}, ConsistentRead=True
    )["Item"]
    size = len(json.dumps(item, default=str, ensure_ascii=False).encode())
    assert size < 2048, size
    assert item["attributes"]["version"] == 1000
    assert item["attributes"]["exercises_completed"] == 1000
