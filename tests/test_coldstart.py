"""What keeps a cold start short (issue 13), held in place: the first LaunchRequest in a fresh interpreter
loads neither the Timers API and its HTTP client, nor botocore, boto3 and ask_sdk_dynamodb, nor TOML parsing;
the pre-parsed content equals the TOML it came from and steps aside when stale; and DynamoDB items keep the
ASK SDK adapter's layout, byte for byte, whichever of the code paths wrote them.

Speed itself is measured by benchmarks/bench_coldstart.py, not here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_dynamodb.partition_keygen import user_id_partition_keygen

from trust_builder import content
from trust_builder.storage.dynamodb_adapter import DynamoDbProgressAdapter, to_dynamodb
from trust_builder.storage.versioning import household_key
from trust_console import envelopes

ROOT = Path(__file__).resolve().parent.parent

# Modules a cold start must not load: the Timers API and what it drags in, botocore and boto3, the ASK
# DynamoDB adapter, TOML parsing (content is pre-parsed), and the standard library's XML/HTTP stack.
NEVER_AT_COLD_START = (
    "trust_builder.timers",
    "ask_sdk_core.api_client",
    "requests",
    "botocore",
    "boto3",
    "ask_sdk_dynamodb",
    "tomllib",
    "xml.sax",
    "xml.etree",
    "urllib.request",
    "ask_sdk_model.interfaces.alexa.presentation",  # APL: only for a screen (a touch, or what it shows)
)

HINT = (
    "a cold start loaded a module it should not (README: Cold start): import it inside the function that "
    "needs it; tomllib means the pre-parsed content is stale: run `make content`"
)
# storage/dynamodb_client.py talks HTTP and signs with these; on SQLite a first launch needs neither (hashlib
# comes with `secrets`, for write tokens, at the first save)
DYNAMODB_LOADS = ("http.client", "hashlib")

FIRST_LAUNCH = """
import json, sys
sys.path[:0] = [{lambda_dir!r}, {root!r}]
event = json.loads(sys.stdin.read())
before = set(sys.modules)
import lambda_function
answer = lambda_function.lambda_handler(event, None)
loaded = sorted(set(sys.modules) - before)
print(json.dumps({{"loaded": loaded, "answer": answer}}))
"""


def _first_launch(environ: dict[str, str]) -> dict[str, Any]:
    """A fresh interpreter that imports nothing of ours before lambda_function (the event comes on stdin)."""
    event = envelopes.envelope(
        envelopes.launch_request(),
        envelopes.DeviceIdentity(user_id="amzn1.ask.account.COLDSTART"),
        envelopes.new_session(),
    )
    script = FIRST_LAUNCH.format(lambda_dir=str(ROOT / "lambda"), root=str(ROOT))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROGRESS_", "DYNAMODB_", "PYTHON"))}
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(event),
        env={**env, **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _unwanted(loaded: list[str], allowed: tuple[str, ...] = ()) -> list[str]:
    never = [m for m in NEVER_AT_COLD_START if m not in allowed]
    return [name for name in loaded if any(name == m or name.startswith(m + ".") for m in never)]


def test_first_launch_on_sqlite_loads_nothing_it_does_not_need(tmp_path) -> None:
    result = _first_launch({"TRUST_BUILDER_DATA_DIR": str(tmp_path)})
    assert "Welcome to Trust Builder" in result["answer"]["response"]["outputSpeech"]["ssml"]
    assert _unwanted(result["loaded"]) == [], HINT
    assert [name for name in DYNAMODB_LOADS if name in result["loaded"]] == []


def test_first_launch_on_dynamodb_loads_our_client_and_no_aws_sdk(dynamodb_environ) -> None:
    result = _first_launch(dynamodb_environ)
    assert "Welcome to Trust Builder" in result["answer"]["response"]["outputSpeech"]["ssml"]
    assert "trust_builder.storage.dynamodb_client" in result["loaded"]
    assert all(name in result["loaded"] for name in DYNAMODB_LOADS)
    assert _unwanted(result["loaded"]) == [], HINT


def test_under_snapstart_initialisation_loads_what_a_cold_start_defers(tmp_path) -> None:
    script = (
        "import sys\n"
        f"sys.path[:0] = [{str(ROOT / 'lambda')!r}, {str(ROOT)!r}]\n"
        "import lambda_function\n"
        "from trust_builder import content\n"
        "loaded = content.load.cache_info().currsize\n"
        "print('trust_builder.timers' in sys.modules, 'requests' in sys.modules, loaded)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROGRESS_", "DYNAMODB_", "PYTHON"))}
    env["TRUST_BUILDER_DATA_DIR"] = str(tmp_path)
    runs = {}
    for kind in ("snap-start", "on-demand"):
        env["AWS_LAMBDA_INITIALIZATION_TYPE"] = kind
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        runs[kind] = result.stdout.split()
    assert runs == {"snap-start": ["True", "True", "1"], "on-demand": ["False", "False", "0"]}


# ----- pre-parsed content ------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", content.folder_locales())
def test_pre_parsed_content_is_current_and_equals_the_toml(locale: str) -> None:
    folder = content.LOCALE_DIR / locale
    shipped = json.loads(content.parsed_file(folder).read_text(encoding="utf-8"))
    sources = {path.name: path.read_bytes() for path in sorted(folder.glob("*.toml"))}
    assert shipped["sources"] == content.fingerprints(sources), "run `make content`"
    assert content.read_locale_files(folder) == content.parse_toml_files(sources)


def _copy_of_locale(tmp_path: Path) -> Path:
    folder = tmp_path / "en-US"
    shutil.copytree(content.LOCALE_DIR / "en-US", folder)
    shutil.copy(content.parsed_file(content.LOCALE_DIR / "en-US"), content.parsed_file(folder))
    return folder


def test_an_edited_toml_file_is_read_instead_of_the_stale_pre_parsed_copy(tmp_path) -> None:
    folder = _copy_of_locale(tmp_path)
    speech = folder / "speech.toml"
    speech.write_text(speech.read_text(encoding="utf-8") + '\n[coldstart_test]\nline = "Edited."\n')
    assert content.read_locale_files(folder)["speech"]["coldstart_test"] == {"line": "Edited."}


def test_a_new_toml_file_is_read_though_the_pre_parsed_copy_lacks_it(tmp_path) -> None:
    folder = _copy_of_locale(tmp_path)
    (folder / "newfile.toml").write_text('[greeting]\nhello = "Hello."\n')
    assert content.read_locale_files(folder)["newfile"] == {"greeting": {"hello": "Hello."}}


@pytest.mark.parametrize("broken", ["", "{not json", '{"sources": 1}', "[]"])
def test_a_missing_or_broken_pre_parsed_file_falls_back_to_the_toml(tmp_path, broken: str) -> None:
    folder = _copy_of_locale(tmp_path)
    expected = content.parse_toml_files({p.name: p.read_bytes() for p in sorted(folder.glob("*.toml"))})
    content.parsed_file(folder).write_text(broken)
    assert content.read_locale_files(folder) == expected
    content.parsed_file(folder).unlink()
    assert content.read_locale_files(folder) == expected


# ----- DynamoDB: one item layout for the ASK adapter, the earlier boto3 code path and our client ----------

# Everything a stored household can hold, and more: nested maps, lists, ints, floats, booleans, None,
# strings with non-ASCII, empty containers, a 38-digit number.
RICH = {
    "schema": 2,
    "names": ["Zoë", "Alex"],
    "current_step": 3,
    "steps_heard": [1, 2, 3],
    "details_heard": [],
    "unfinished_exercise": {"phase": "listener", "speaker": 0, "elapsed_s": 95.5, "notes": {}},
    "floor_minutes": 2,
    "timer_id": None,
    "flag": True,
    "big": 12345678901234567890123456789012345678,
    "first_visit": "2024-05-01",
}


def _ask_adapter(table: str, dynamodb_resource: Any) -> Any:
    # Imported here: ask_sdk_dynamodb.adapter builds a boto3 resource at import time, which needs the region
    # the dynalite fixture puts in the environment.
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter

    return DynamoDbAdapter(table, create_table=False, dynamodb_resource=dynamodb_resource)


def _raw_item(client: Any, table: str, user_id: str) -> dict[str, Any]:
    """The item as DynamoDB holds it: typed JSON, as botocore's low-level client parses it."""
    return client.get_item(TableName=table, Key={"id": {"S": user_id}}, ConsistentRead=True)["Item"]


def test_our_client_writes_the_same_item_as_the_boto3_path(
    dynamodb_adapter: DynamoDbProgressAdapter, dynamodb_resource, dynalite_endpoint, make_envelope
) -> None:
    ours, old = make_envelope("amzn1.ask.account.OURS"), make_envelope("amzn1.ask.account.OLD")
    dynamodb_adapter.save_attributes(ours, dict(RICH))
    # The boto3-resource code path this module replaced: to_dynamodb, then Table.put_item.
    table = dynamodb_resource.Table(dynamodb_adapter.table_name)
    table.put_item(Item={"id": "amzn1.ask.account.OLD", "attributes": to_dynamodb({**RICH, "version": 1})})

    import botocore.session  # an independent reader: botocore's low-level client

    botocore_client = botocore.session.get_session().create_client(
        "dynamodb", region_name="us-east-1", endpoint_url=dynalite_endpoint
    )
    new_item = _raw_item(botocore_client, dynamodb_adapter.table_name, "amzn1.ask.account.OURS")
    old_item = _raw_item(botocore_client, dynamodb_adapter.table_name, "amzn1.ask.account.OLD")
    assert new_item["attributes"] == old_item["attributes"]
    assert set(new_item) == set(old_item) == {"id", "attributes"}
    assert (
        dynamodb_adapter.get_attributes(old)
        == dynamodb_adapter.get_attributes(ours)
        == {**RICH, "version": 1}
    )


def test_an_item_the_ask_sdk_adapter_wrote_reads_the_same(
    dynamodb_adapter: DynamoDbProgressAdapter, dynamodb_resource, make_envelope
) -> None:
    envelope = make_envelope("amzn1.ask.account.ASK")
    ask = _ask_adapter(dynamodb_adapter.table_name, dynamodb_resource)
    ask.save_attributes(envelope, to_dynamodb(RICH))
    assert dynamodb_adapter.get_attributes(envelope) == {**RICH, "version": 1}  # unversioned: counts as 1


def test_an_item_our_client_wrote_reads_the_same_through_the_ask_sdk_adapter(
    dynamodb_adapter: DynamoDbProgressAdapter, dynamodb_resource, make_envelope
) -> None:
    envelope = make_envelope("amzn1.ask.account.BACK")
    dynamodb_adapter.save_attributes(envelope, dict(RICH))
    ask = _ask_adapter(dynamodb_adapter.table_name, dynamodb_resource)
    read = ask.get_attributes(envelope)
    assert read["unfinished_exercise"]["elapsed_s"] == Decimal("95.5")
    assert read == to_dynamodb({**RICH, "version": 1})


def test_sets_are_read_as_sorted_lists_as_before(
    dynamodb_adapter: DynamoDbProgressAdapter, dynamodb_resource, make_envelope
) -> None:
    envelope = make_envelope("amzn1.ask.account.SETS")
    dynamodb_resource.Table(dynamodb_adapter.table_name).put_item(
        Item={
            "id": "amzn1.ask.account.SETS",
            "attributes": {"words": {"b", "a"}, "nums": {Decimal(3), Decimal(1)}},
        }
    )
    assert dynamodb_adapter.get_attributes(envelope) == {"words": ["a", "b"], "nums": [1, 3], "version": 1}


def test_the_partition_key_is_the_one_the_ask_sdk_computes(make_envelope) -> None:
    envelope = make_envelope("amzn1.ask.account.KEY")
    assert household_key(envelope) == user_id_partition_keygen(envelope) == "amzn1.ask.account.KEY"


def test_numbers_dynamodb_cannot_hold_exactly_are_refused_not_rounded(
    dynamodb_adapter: DynamoDbProgressAdapter, make_envelope
) -> None:
    from ask_sdk_core.exceptions import PersistenceException

    envelope = make_envelope("amzn1.ask.account.DIGITS")
    with pytest.raises(PersistenceException, match="not storable"):
        dynamodb_adapter.save_attributes(envelope, {"n": 10**40 + 1})
    assert dynamodb_adapter.get_attributes(envelope) == {}
