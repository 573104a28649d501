"""The pre-submission check (scripts/check_package.py), the icons, the public pages and the deploy-time URLs.

The real package must pass; each kind of mistake certification would refuse is made in a copy of the
repository's package and must be named.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scripts import build_icons, build_site, check_package, package_urls

ROOT = Path(__file__).resolve().parent.parent
SITE = "https://trust-builder.couples.test"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of what the check reads: the package, the model source's locales, the code, the pages."""
    for folder in ("skill-package", "lambda/trust_builder", "site"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "interaction_models/source").mkdir(parents=True)
    shutil.copy(ROOT / "interaction_models/source/model.toml", tmp_path / "interaction_models/source")
    for page in ("PRIVACY.md", "TERMS.md"):
        shutil.copy(ROOT / page, tmp_path / page)
    return tmp_path


def _edit_manifest(root: Path, change) -> None:
    path = root / "skill-package/skill.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data["manifest"])
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _edit_model(root: Path, locale: str, change) -> None:
    path = root / "skill-package/interactionModels/custom" / f"{locale}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data["interactionModel"]["languageModel"])
    path.write_text(json.dumps(data), encoding="utf-8")


def _locales() -> list[str]:
    return sorted(
        json.loads((ROOT / "skill-package/skill.json").read_text())["manifest"]["publishingInformation"][
            "locales"
        ]
    )


def _intent(language: dict[str, Any], name: str) -> dict[str, Any]:
    return next(intent for intent in language["intents"] if intent["name"] == name)


def test_the_repositorys_package_passes():
    assert check_package.check(ROOT) == []


def test_make_check_package_runs_the_check_from_the_command_line():
    result = subprocess.run(
        [sys.executable, "scripts/check_package.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": "lambda:.", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "package check passed for" in result.stdout


def test_placeholder_urls_pass_now_but_not_for_release(repo):
    assert check_package.check(repo) == []
    problems = check_package.check(repo, release=True)
    assert problems
    assert all("placeholder" in problem for problem in problems)


def test_with_the_site_set_the_urls_must_be_its_pages_until_package_urls_writes_them(repo):
    assert any("run make package-urls" in problem for problem in check_package.check(repo, site=SITE))
    package_urls.write(repo / "skill-package/skill.json", package_urls.site_url(SITE))
    assert check_package.check(repo, site=SITE, release=True) == []
    manifest = json.loads((repo / "skill-package/skill.json").read_text())["manifest"]
    urls = manifest["privacyAndCompliance"]["locales"]
    assert sorted(urls) == sorted(manifest["publishingInformation"]["locales"])
    assert {entry["privacyPolicyUrl"] for entry in urls.values()} == {f"{SITE}/privacy.html"}
    assert {entry["termsOfUseUrl"] for entry in urls.values()} == {f"{SITE}/terms.html"}


def test_package_urls_from_the_environment_through_its_command_line(repo):
    manifest = repo / "skill-package/skill.json"
    env = {
        "PYTHONPATH": f"{ROOT / 'lambda'}:{ROOT}",
        "PATH": "/usr/bin:/bin",
        package_urls.SITE_URL_ENV: SITE + "/",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts/package_urls.py"), "--manifest", str(manifest)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"{SITE}/privacy.html" in manifest.read_text()


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "http://trust-builder.couples.test",
        "https://example.com/x",
        "https://trust.example.org",
        "https://a.test/?q=1",
    ],
)
def test_a_site_url_that_cannot_be_listed_is_refused(bad):
    with pytest.raises(package_urls.SettingError):
        package_urls.site_url(bad)


def test_a_missing_icon_is_named(repo):
    (repo / "skill-package/assets/icon-108.png").unlink()
    problems = check_package.check(repo)
    assert problems
    assert all("smallIconUri" in problem for problem in problems)
    assert len(problems) == len(_locales())


def test_an_icon_of_the_wrong_size_is_named(repo):
    shutil.copy(repo / "skill-package/assets/icon-108.png", repo / "skill-package/assets/icon-512.png")
    assert any("not a 512 x 512 PNG" in problem for problem in check_package.check(repo))


def test_a_locale_without_icons_is_named(repo):
    locale = _locales()[-1]
    _edit_manifest(repo, lambda m: m["publishingInformation"]["locales"][locale].pop("largeIconUri"))
    assert check_package.check(repo) == [
        f"{locale}: largeIconUri must be file://assets/... or https://, not ''"
    ]


def test_an_svg_changed_without_new_pngs_is_named(repo):
    svg = repo / "skill-package/assets/icon.svg"
    svg.write_text(svg.read_text().replace("#2F5F8A", "#2F5F8B"))
    assert any("current icon.svg" in problem for problem in check_package.check(repo))


def test_an_example_phrase_that_is_not_a_sample_is_named(repo):
    locale = _locales()[0]
    _edit_manifest(
        repo,
        lambda m: m["publishingInformation"]["locales"][locale]["examplePhrases"].__setitem__(
            2, "Alexa, ask trust builder to fix our marriage"
        ),
    )
    assert check_package.check(repo) == [
        f"{locale}: example phrase 'Alexa, ask trust builder to fix our marriage': "
        "'fix our marriage' is not a sample of its model"
    ]


def test_a_description_without_the_not_a_substitute_line_is_named(repo):
    locale = _locales()[0]

    def change(manifest):
        listing = manifest["publishingInformation"]["locales"][locale]
        listing["description"] = listing["description"].replace("not a substitute for", "an alternative to")

    _edit_manifest(repo, change)
    assert check_package.check(repo) == [
        f"{locale}: the description must say it is not a substitute for professional counseling"
    ]


def test_a_sample_under_two_intents_is_named(repo):
    locale = _locales()[0]
    _edit_model(repo, locale, lambda m: _intent(m, "ListStepsIntent")["samples"].append("tell me more"))
    problems = check_package.check(repo)
    assert any("'tell me more': also a sample of" in problem for problem in problems), problems


def test_bad_sample_syntax_and_an_undeclared_slot_are_named(repo):
    locale = _locales()[0]
    _edit_model(
        repo,
        locale,
        lambda m: _intent(m, "ListStepsIntent")["samples"].extend(["list 8 steps", "list {count}"]),
    )
    problems = check_package.check(repo)
    assert any("'list 8 steps': only letters" in problem for problem in problems)
    assert any("'list {count}': slot count is not declared" in problem for problem in problems)


def test_an_undefined_slot_type_is_named(repo):
    locale = _locales()[0]
    _edit_model(repo, locale, lambda m: m.__setitem__("types", []))
    assert any("StepTopic, which is not defined" in problem for problem in check_package.check(repo))


@pytest.mark.parametrize("invocation", ["trust", "Trust Builder", "trust builder skill", "trust builder 2"])
def test_an_invocation_name_against_the_rules_is_named(repo, invocation):
    locale = _locales()[0]
    _edit_model(repo, locale, lambda m: m.__setitem__("invocationName", invocation))
    assert any("invocation name" in problem for problem in check_package.check(repo))


def test_a_missing_required_intent_is_named(repo):
    locale = _locales()[0]
    _edit_model(
        repo,
        locale,
        lambda m: m.__setitem__("intents", [i for i in m["intents"] if i["name"] != "AMAZON.HelpIntent"]),
    )
    assert f"{locale}: the model lacks AMAZON.HelpIntent" in check_package.check(repo)


def test_permissions_must_be_exactly_what_the_code_asks_for(repo):
    assert check_package.scopes_in_code(ROOT / "lambda") == {
        entry["name"]
        for entry in json.loads((ROOT / "skill-package/skill.json").read_text())["manifest"]["permissions"]
    }
    (repo / "lambda/trust_builder/reminders_probe.py").write_text('SCOPE = "alexa::household:lists:read"\n')
    assert check_package.check(repo) == [
        "the code asks for alexa::household:lists:read, which skill.json does not declare in permissions"
    ]
    _edit_manifest(repo, lambda m: m["permissions"].append({"name": "alexa::household:lists:read"}))
    assert check_package.check(repo) == []
    _edit_manifest(repo, lambda m: m["permissions"].append({"name": "alexa::profile:email:read"}))
    assert check_package.check(repo) == [
        "skill.json declares alexa::profile:email:read, which the code never asks for"
    ]


def test_apl_in_the_code_needs_the_interface_in_the_manifest(repo):
    _edit_manifest(repo, lambda m: m["apis"]["custom"].__setitem__("interfaces", []))
    assert check_package.check(repo) == [
        "the code's APL screens and skill.json's ALEXA_PRESENTATION_APL interface disagree"
    ]


def test_a_stale_privacy_page_is_named(repo):
    notice = repo / "PRIVACY.md"
    notice.write_text(notice.read_text() + "\nA new paragraph.\n")
    assert check_package.check(repo) == ["site/privacy.html is not what PRIVACY.md makes: run make site"]


def test_the_privacy_page_says_what_is_kept_how_long_and_how_to_delete_it_without_the_deployer_note():
    page = (ROOT / "site/privacy.html").read_text(encoding="utf-8")
    assert "<h2>What is stored</h2>" in page
    assert "<h2>How long it is kept</h2>" in page
    assert "<h2>How to delete it</h2>" in page
    assert "<td>first names</td>" in page
    assert "forget us" in page
    assert "Before certification" not in page
    assert "example.com" not in page
    assert build_site.stale(ROOT) == []


def test_the_site_markdown_is_escaped_and_linked():
    title, body = build_site.to_html("# A & B\n\nSee [the notice](https://x.test/p) and `a<b>`.\n")
    assert title == "A & B"
    assert "<h1>A &amp; B</h1>" in body
    assert '<a href="https://x.test/p">the notice</a>' in body
    assert "<code>a&lt;b&gt;</code>" in body


def test_the_icon_script_renders_both_sizes_from_the_svg(tmp_path):
    shutil.copy(build_icons.SOURCE, tmp_path / "icon.svg")
    written = build_icons.build(tmp_path)
    assert [check_package.png_size(path) for path in written] == [(108, 108), (512, 512)]
    record = json.loads((tmp_path / "icons.json").read_text())
    assert record["sha256"] == build_icons.source_digest(build_icons.SOURCE)
    committed = json.loads(build_icons.RECORD.read_text())
    assert committed["sha256"] == record["sha256"], "the committed icons were made from another SVG"
