"""Full disk, read-only data directory, a database file that is not a database: the skill starts, keeps
talking, says it can't remember right now, and never overwrites what is stored.

The corrupt file is real and in-process. The full disk and the read-only directory are real file systems:
a child process gets a private mount namespace (unshare -m) with a tiny filled tmpfs, or a read-only bind
mount, over its data directory, and runs a scripted session there (tests/storage_fault_session.py). Those
two need root and util-linux `unshare`; where they are missing the tests are skipped, saying why.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import envelope_for
from skill_harness import device, household_id

from trust_builder.progress import Progress
from trust_builder.skill import build_skill_builder
from trust_builder.storage import ProgressStore, SqliteAdapter, adapter_from_env
from trust_builder.storage.sqlite_adapter import DATABASE_FILE_NAME

SESSION_SCRIPT = Path(__file__).parent / "storage_fault_session.py"
FIRST_TIME = "I'm here to help the two of you rebuild trust"  # the first-time welcome
CANT_REMEMBER = "can't reach your saved progress right now"
SCRIPT = ["open trust builder", "step one", "next", "how are we doing", "start the listening exercise"]


def _returning_household(data_dir: Path, user: str) -> dict[str, Any]:
    adapter = SqliteAdapter(data_dir / DATABASE_FILE_NAME)
    progress = Progress.new(Progress().first_visit or _day())
    progress.set_names(["Sam", "Alex"])
    progress.hear_step(1)
    progress.hear_step(2)
    progress.hear_step(3)
    assert ProgressStore(adapter).save(envelope_for(user), None, progress).ok
    return adapter.get_attributes(envelope_for(user))


def _day():
    from datetime import date

    return date(2026, 1, 5)


def _assert_kept_talking(turns: list[dict[str, Any]]) -> None:
    for turn in turns:
        assert turn["problems"] == [], turn
        assert "went wrong" not in turn["speech"], turn
    assert all(turn["open"] for turn in turns), "the session must stay open"
    assert FIRST_TIME not in turns[0]["speech"], "a household that may be returning is greeted as new"
    assert CANT_REMEMBER in turns[0]["speech"]


def _session(handler, user: str) -> list[dict[str, Any]]:
    echo = device(handler, user)
    turns = []
    for said in SCRIPT:
        turn = echo.say(said)
        turns.append({"speech": turn.speech_text, "open": turn.session_open, "problems": turn.problems})
    return turns


# ----- a file that is not a database -----------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [b"not a database at all " * 200, b"SQLite format 3\x00" + b"\xff" * 4000],
    ids=["text", "a broken header"],
)
def test_a_corrupt_database_file_starts_keeps_talking_and_is_never_overwritten(tmp_path, garbage) -> None:
    path = tmp_path / DATABASE_FILE_NAME
    path.write_bytes(garbage)
    adapter = adapter_from_env({"TRUST_BUILDER_DATA_DIR": str(tmp_path)})  # start-up: must not raise
    turns = _session(build_skill_builder(adapter).lambda_handler(), household_id("corrupt"))
    _assert_kept_talking(turns)
    assert "couldn't save" in turns[1]["speech"]
    assert CANT_REMEMBER in turns[3]["speech"]  # "how are we doing" does not claim nothing is saved
    assert path.read_bytes() == garbage  # never overwritten, truncated or replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == [DATABASE_FILE_NAME]


def test_the_store_recovers_once_the_database_can_be_opened(tmp_path) -> None:
    data_dir = tmp_path / "data"
    data_dir.write_text("a file where the folder should be")
    adapter = SqliteAdapter(data_dir / DATABASE_FILE_NAME)  # cannot create the folder: no exception
    assert not ProgressStore(adapter).load(envelope_for("u")).ok
    data_dir.unlink()
    assert ProgressStore(adapter).load(envelope_for("u")).ok


# ----- real full and read-only file systems, in a child process -----------------------------------------


def _mount_namespaces_available() -> str | None:
    if sys.platform != "linux" or os.geteuid() != 0:
        return "needs root on Linux for a private mount namespace"
    if shutil.which("unshare") is None:
        return "needs util-linux unshare"
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return None if probe.returncode == 0 else "mount namespaces are not permitted here"


_SKIP = _mount_namespaces_available()
needs_mounts = pytest.mark.skipif(_SKIP is not None, reason=_SKIP or "")


def _run_in_namespace(setup: str, data_dir: Path, user: str, after: str = "") -> list[dict[str, Any]]:
    run = " ".join(
        shlex.quote(part)
        for part in (sys.executable, str(SESSION_SCRIPT), str(data_dir), user, json.dumps(SCRIPT))
    )
    script = f"set -e\n{setup}\n{run} > {shlex.quote(str(data_dir.parent / 'turns.json'))}\n{after}\n"
    result = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads((data_dir.parent / "turns.json").read_text())


@needs_mounts
def test_a_read_only_data_directory_starts_keeps_talking_and_overwrites_nothing(tmp_path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    user = household_id("read-only")
    before = _returning_household(data_dir, user)
    snapshot = {p.name: p.read_bytes() for p in data_dir.iterdir()}
    quoted = shlex.quote(str(data_dir))
    turns = _run_in_namespace(
        f"mount --bind {quoted} {quoted}\nmount -o remount,bind,ro {quoted}", data_dir, user
    )
    _assert_kept_talking(turns)
    assert {p.name: p.read_bytes() for p in data_dir.iterdir()} == snapshot
    assert SqliteAdapter(data_dir / DATABASE_FILE_NAME).get_attributes(envelope_for(user)) == before


@needs_mounts
def test_a_read_only_data_directory_without_a_database_still_starts(tmp_path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    quoted = shlex.quote(str(data_dir))
    turns = _run_in_namespace(
        f"mount --bind {quoted} {quoted}\nmount -o remount,bind,ro {quoted}", data_dir, household_id("ro-new")
    )
    _assert_kept_talking(turns)
    assert list(data_dir.iterdir()) == []


@needs_mounts
def test_a_full_disk_keeps_talking_and_keeps_what_was_stored(tmp_path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    user = household_id("full")
    before = _returning_household(data_dir, user)
    saved = tmp_path / "saved"
    shutil.copytree(data_dir, saved)
    after_dir = tmp_path / "after"
    after_dir.mkdir()
    d, s, a = (shlex.quote(str(p)) for p in (data_dir, saved, after_dir))
    setup = (
        f"mount -t tmpfs -o size=256k tmpfs {d}\ncp {s}/* {d}/\n"
        f"dd if=/dev/zero of={d}/filler bs=4k 2>/dev/null || true"  # fills the disk to the last block
    )
    turns = _run_in_namespace(setup, data_dir, user, after=f"rm -f {d}/filler\ncp {d}/trust_builder* {a}/")
    for turn in turns:
        assert turn["problems"] == [], turn
        assert "went wrong" not in turn["speech"], turn
        assert turn["open"]
    assert FIRST_TIME not in turns[0]["speech"]
    assert "Welcome back, Sam and Alex" in turns[0]["speech"] or CANT_REMEMBER in turns[0]["speech"]
    stored = SqliteAdapter(after_dir / DATABASE_FILE_NAME).get_attributes(envelope_for(user))
    assert set(before["steps_heard"]) <= set(stored["steps_heard"])
    assert stored["names"] == ["Sam", "Alex"]
