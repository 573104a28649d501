"""template.yaml (AWS SAM): the progress table's shape and protection, least-privilege IAM, and the Alexa
trigger restricted to our skill. cfn-lint checks the rest against the CloudFormation schemas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "template.yaml"
INTRINSICS = (
    "Ref",
    "GetAtt",
    "Sub",
    "Join",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Select",
    "Split",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Base64",
    "Cidr",
    "Condition",
    "Transform",
)


class CloudFormationLoader(yaml.SafeLoader):
    """A SafeLoader that reads CloudFormation's short-form tags (!Ref X) as their long form ({"Ref": "X"})."""


def _intrinsic(tag: str) -> Any:
    long_name = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":  # !GetAtt Resource.Attribute is short for [Resource, Attribute]
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {long_name: value}

    return construct


for _tag in INTRINSICS:
    CloudFormationLoader.add_constructor(f"!{_tag}", _intrinsic(_tag))


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE_PATH.read_text(encoding="utf-8"), Loader=CloudFormationLoader)


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == resource_type}


@pytest.fixture(scope="module")
def table(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (item,) = resources_of_type(template, "AWS::DynamoDB::Table").items()
    return item


@pytest.fixture(scope="module")
def function(template: dict[str, Any]) -> dict[str, Any]:
    (item,) = resources_of_type(template, "AWS::Serverless::Function").values()
    return item["Properties"]


def test_loader_reads_short_form_intrinsics() -> None:
    text = "a: !Ref T\nb: !GetAtt T.Arn\nc: !Sub '/x/${T}'\nd: !Join ['', [x, !Ref T]]\n"
    assert yaml.load(text, Loader=CloudFormationLoader) == {
        "a": {"Ref": "T"},
        "b": {"Fn::GetAtt": ["T", "Arn"]},
        "c": {"Fn::Sub": "/x/${T}"},
        "d": {"Fn::Join": ["", ["x", {"Ref": "T"}]]},
    }


def test_is_a_sam_template(template: dict[str, Any]) -> None:
    assert template["Transform"] == "AWS::Serverless-2016-10-31"


def test_table_key_schema_is_exactly_id_hash(table: tuple[str, dict[str, Any]]) -> None:
    properties = table[1]["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert properties["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]


def test_table_is_on_demand_encrypted_recoverable_and_retained(table: tuple[str, dict[str, Any]]) -> None:
    resource = table[1]
    properties = resource["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in properties
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"


def test_function_settings(function: dict[str, Any]) -> None:
    assert function["Handler"] == "lambda_function.lambda_handler"
    assert function["CodeUri"] == "lambda/"
    assert function["Runtime"] in ("python3.12", "python3.13")
    assert function["Architectures"] == ["arm64"]
    assert function["MemorySize"] == 256
    assert function["Timeout"] == 8


def test_handler_module_path_exists(function: dict[str, Any]) -> None:
    module = function["Handler"].rsplit(".", 1)[0]
    assert (TEMPLATE_PATH.parent / function["CodeUri"] / "requirements.txt").is_file()
    assert module == "lambda_function"


def test_function_gets_the_table_name(function: dict[str, Any], table: tuple[str, dict[str, Any]]) -> None:
    assert function["Environment"]["Variables"] == {"PROGRESS_TABLE": {"Ref": table[0]}}


def test_iam_allows_exactly_get_put_delete_on_the_table(
    function: dict[str, Any], table: tuple[str, dict[str, Any]]
) -> None:
    assert "Role" not in function  # SAM's generated role: basic execution (logs) plus the policies below
    (policy,) = function["Policies"]
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"]
    assert statement["Resource"] == {"Fn::GetAtt": [table[0], "Arn"]}


def test_no_other_resource_grants_permissions(template: dict[str, Any]) -> None:
    granting = ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::Lambda::Permission")
    assert [name for name, r in template["Resources"].items() if r["Type"] in granting] == []


def test_only_our_skill_can_invoke_the_function(function: dict[str, Any], template: dict[str, Any]) -> None:
    (event,) = function["Events"].values()
    assert event["Type"] == "AlexaSkill"
    assert event["Properties"]["SkillId"] == {"Ref": "SkillId"}
    skill_id = template["Parameters"]["SkillId"]
    assert skill_id["Type"] == "String"
    assert "Default" not in skill_id  # an invoker must be named; an empty ID would let any skill in


def test_deployer_facing_outputs(template: dict[str, Any], table: tuple[str, dict[str, Any]]) -> None:
    (function_name,) = resources_of_type(template, "AWS::Serverless::Function")
    outputs = {name: output["Value"] for name, output in template["Outputs"].items()}
    assert outputs == {
        "SkillEndpoint": {"Ref": f"{function_name}.Alias"},  # the alias the Alexa trigger is attached to
        "FunctionArn": {"Fn::GetAtt": [function_name, "Arn"]},
        "TableName": {"Ref": table[0]},
    }


def test_alexa_invokes_a_published_alias_and_snapstart_is_an_option(
    function: dict[str, Any], template: dict[str, Any]
) -> None:
    # SnapStart applies only to published versions: the alias is what the trigger and skill.json use.
    assert function["AutoPublishAlias"] == "live"
    assert function["AutoPublishAliasAllProperties"] is True  # switching SnapStart alone republishes
    assert function["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
    option = template["Parameters"]["SnapStart"]
    assert option["AllowedValues"] == ["None", "PublishedVersions"]
    assert option["Default"] == "None"  # off unless chosen: SnapStart for Python is billed per snapshot


def test_cfn_lint_is_clean() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(TEMPLATE_PATH)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
