"""Runs one scripted session against the embedded store in a data directory, and prints its turns as JSON.

Used by tests/test_storage_faults.py in a child process, so the data directory can be made a full or
read-only file system (a private mount namespace) just for that process. The storage is built exactly as
lambda_function builds it at start-up (adapter_from_env), so a start-up failure shows here too.

    python tests/storage_fault_session.py DATA_DIR USER_ID '["open trust builder", "step one"]'
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parent.parent / "lambda")]

from skill_harness import device  # noqa: E402

from trust_builder.skill import build_skill_builder  # noqa: E402
from trust_builder.storage import adapter_from_env  # noqa: E402


def main(data_dir: str, user_id: str, utterances: list[str]) -> None:
    adapter = adapter_from_env({"TRUST_BUILDER_DATA_DIR": data_dir})
    echo = device(build_skill_builder(adapter).lambda_handler(), user_id)
    turns = []
    for utterance in utterances:
        turn = echo.say(utterance)
        turns.append({"speech": turn.speech_text, "open": turn.session_open, "problems": turn.problems})
    print(json.dumps(turns))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))
