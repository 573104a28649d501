"""scripts/build_models.py: the template language, the rules it enforces, and that the repository's
generated models are current (the same check `make test` runs first)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import build_models
from scripts.build_models import Layout, SourceError, expand

ROOT = Path(__file__).resolve().parent.parent


def test_alternatives_optional_groups_and_nesting_expand_in_order() -> None:
    assert expand("(can|could) we (start|) the exercise", {}) == [
        "can we start the exercise",
        "can we the exercise",
        "could we start the exercise",
        "could we the exercise",
    ]
    assert expand("((go|move) on|next)", {}) == ["go on", "move on", "next"]


def test_carrier_phrases_expand_inside_templates_and_may_nest() -> None:
    phrases = {"ask": "(can|could) <who>", "who": "(we|you)"}
    assert expand("<ask> go on", phrases) == [
        "can we go on",
        "can you go on",
        "could we go on",
        "could you go on",
    ]


def test_slots_pass_through_and_duplicates_are_dropped() -> None:
    assert expand("(step|step) {number}", {}) == ["step {number}"]


@pytest.mark.parametrize("template", ["(a|b", "a)b", "<missing> go", "<open"])
def test_broken_templates_name_the_problem(template: str) -> None:
    with pytest.raises(SourceError):
        expand(template, {}, "x.toml")


def test_a_template_that_writes_a_grammar_is_refused() -> None:
    huge = " ".join(["(a|b|c|d|e)"] * 5)  # 3,125 sentences
    with pytest.raises(SourceError, match="expands to"):
        expand(huge, {})


def test_a_phrase_loop_is_refused() -> None:
    with pytest.raises(SourceError, match="loop"):
        expand("<a>", {"a": "<b>", "b": "<a>"})


def _source(tmp_path: Path, intents: dict[str, str], model_extra: str = "") -> Layout:
    source = tmp_path / "source"
    (source / "intents").mkdir(parents=True)
    (source / "types").mkdir()
    (source / "model.toml").write_text(
        f'invocation = "trust builder"\nlocales = ["en-US"]\n{model_extra}\n[phrases]\nwe = "(we|us)"\n'
    )
    for name, text in intents.items():
        (source / "intents" / f"{name}.toml").write_text(text)
    (source / "types" / "Colour.toml").write_text('[values.red]\nname = "red"\nsynonyms = ["crimson"]\n')
    return Layout(source, (tmp_path / "models", tmp_path / "package"))


def test_build_writes_amazons_schema_with_slots_elicitation_and_types(tmp_path: Path) -> None:
    layout = _source(
        tmp_path,
        {
            "PickIntent": (
                "samples = '''\npick {colour} for <we>\n'''\n[slots]\ncolour = \"Colour\"\n"
                "[elicit]\ncolour = '''\n{colour}\nit's {colour}\n'''\n"
            )
        },
    )
    build_models.write(layout)
    model = json.loads((tmp_path / "models" / "en-US.json").read_text())["interactionModel"]
    assert (tmp_path / "package" / "en-US.json").read_text() == (
        tmp_path / "models" / "en-US.json"
    ).read_text()
    intent = model["languageModel"]["intents"][0]
    assert intent["samples"] == ["pick {colour} for we", "pick {colour} for us"]
    assert intent["slots"] == [{"name": "colour", "type": "Colour", "samples": ["{colour}", "it's {colour}"]}]
    assert model["languageModel"]["types"] == [
        {"name": "Colour", "values": [{"id": "red", "name": {"value": "red", "synonyms": ["crimson"]}}]}
    ]
    assert model["dialog"]["delegationStrategy"] == "SKILL_RESPONSE"
    assert model["dialog"]["intents"][0]["name"] == "PickIntent"


def test_a_sample_under_two_intents_is_refused_whatever_its_case(tmp_path: Path) -> None:
    layout = _source(tmp_path, {"AIntent": "samples = 'I give up'", "BIntent": "samples = 'i give up'"})
    with pytest.raises(SourceError, match="already a sample of AIntent"):
        build_models.write(layout)


def test_a_sample_under_two_intents_is_refused(tmp_path: Path) -> None:
    layout = _source(tmp_path, {"AIntent": "samples = 'go on'", "BIntent": "samples = '(go|come) on'"})
    with pytest.raises(SourceError, match="already a sample of AIntent"):
        build_models.write(layout)


def test_a_model_over_the_size_budget_is_refused_naming_its_largest_intent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = " ".join(f"(word{letter}a|word{letter}b)" for letter in "abcdefgh")  # 256 samples each
    templates = "\n".join(f"{prefix} {words}" for prefix in ("alpha", "beta", "gamma", "delta"))
    layout = _source(
        tmp_path, {"BigIntent": f"samples = '''\n{templates}\n'''", "SmallIntent": "samples = 'hi'"}
    )
    build_models.write(layout)  # about 80,000 characters: within the real budget
    monkeypatch.setattr(build_models, "MODEL_BUDGET", 50_000)
    with pytest.raises(SourceError, match=r"over the budget of 50,000 .*largest intents: BigIntent"):
        build_models.write(layout)


def test_samples_the_matcher_hears_as_one_are_written_once_the_plainest_kept(tmp_path: Path) -> None:
    """ "um so I'm scared" teaches nothing "I'm scared" does not (fillers, discourse words, contractions)."""
    scared = "samples = '''\n(um so |so |)(I'm|I am) (scared|frightened)\nhelp me now\n'''"
    stop = "samples = '''\n(so |)stop (now|)\n'''"
    layout = _source(tmp_path, {"ScaredIntent": scared, "AMAZON.StopIntent": stop})
    build_models.write(layout)
    language = json.loads((tmp_path / "models" / "en-US.json").read_text())["interactionModel"][
        "languageModel"
    ]
    intents = {intent["name"]: intent["samples"] for intent in language["intents"]}
    assert intents["ScaredIntent"] == ["I'm scared", "I'm frightened", "help me now"]
    assert intents["AMAZON.StopIntent"] == ["so stop now", "so stop", "stop now", "stop"]  # built-ins: exact


def test_the_budget_stays_under_amazons_limit() -> None:
    assert build_models.MODEL_BUDGET < build_models.MAX_MODEL_CHARACTERS


@pytest.mark.parametrize("sample", ["step 5", "go on!", "step {missing}"])
def test_samples_alexa_would_reject_are_refused(tmp_path: Path, sample: str) -> None:
    layout = _source(tmp_path, {"AIntent": f"samples = '{sample}'"})
    with pytest.raises(SourceError):
        build_models.write(layout)


def test_an_overlay_adds_samples_and_synonyms_for_its_locale_only(tmp_path: Path) -> None:
    layout = _source(tmp_path, {"AIntent": "samples = 'go on'"})
    model_toml = layout.source / "model.toml"
    model_toml.write_text(model_toml.read_text().replace('["en-US"]', '["en-US", "en-GB"]'))
    overlay = layout.source / "overlays" / "en-GB"
    (overlay / "intents").mkdir(parents=True)
    (overlay / "types").mkdir()
    (overlay / "intents" / "AIntent.toml").write_text("add_samples = 'crack on'")
    (overlay / "types" / "Colour.toml").write_text('[add_synonyms]\nred = ["scarlet"]\n')
    build_models.write(layout)
    gb = json.loads((tmp_path / "models" / "en-GB.json").read_text())["interactionModel"]["languageModel"]
    us = json.loads((tmp_path / "models" / "en-US.json").read_text())["interactionModel"]["languageModel"]
    assert gb["intents"][0]["samples"] == ["go on", "crack on"]
    assert us["intents"][0]["samples"] == ["go on"]
    assert gb["types"][0]["values"][0]["name"]["synonyms"] == ["crimson", "scarlet"]


def test_check_reports_stale_missing_and_orphaned_files_and_write_fixes_them(tmp_path: Path) -> None:
    layout = _source(tmp_path, {"AIntent": "samples = 'go on'"})
    assert build_models.stale(layout) == [
        f"missing: {tmp_path / 'models' / 'en-US.json'}",
        f"missing: {tmp_path / 'package' / 'en-US.json'}",
    ]
    build_models.write(layout)
    (tmp_path / "models" / "en-US.json").write_text("{}")
    (tmp_path / "package" / "fr-FR.json").write_text("{}")
    assert build_models.stale(layout) == [
        f"stale: {tmp_path / 'models' / 'en-US.json'}",
        f"orphaned: {tmp_path / 'package' / 'fr-FR.json'}",
    ]
    build_models.write(layout)
    assert build_models.stale(layout) == []
    assert not (tmp_path / "package" / "fr-FR.json").exists()


def test_the_repositorys_generated_models_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_models.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_skill_gets_every_locales_step_topic_words_from_the_same_source() -> None:
    """step_topics.json is the StepTopic type of every locale merged, and `make test` keeps it current."""
    models = {locale: build_models.build(locale) for locale in build_models.locales()}
    topics = build_models.step_topics(models)
    assert set(topics) == {"acknowledge", "root_causes", "communication", "consistency", "boundaries",
                           "professional_help", "patience", "forgiveness"}  # fmt: skip
    assert "forgiveness" in topics["forgiveness"]  # the value's own name
    assert "letting go" in topics["forgiveness"]  # a base synonym
    assert "marriage guidance" in topics["professional_help"]  # an en-GB overlay's synonym
    written = json.loads(build_models.TOPICS_FILE.read_text(encoding="utf-8"))
    assert written == topics
