"""The pre-submission check: what Alexa's certification would refuse, found before uploading.

    python scripts/check_package.py             # the package as it is (placeholder URLs allowed, noted)
    TRUST_BUILDER_SITE_URL=https://... make check-package   # and the URLs must be that site's pages
    python scripts/check_package.py --release   # placeholder URLs are an error

Checked for every locale: icons (108 and 512 px PNGs, made from the current SVG), the listing (name,
summary, description with the not-a-substitute-for-counseling line, three example phrases that are samples of
that locale's model, keywords), privacy URLs, the interaction model's documented rules (invocation name,
sample syntax, no sample under two intents, slots declared, slot types defined, the
required built-in intents), and that the permissions and interfaces the code asks for are exactly the ones
skill.json declares. "What the code asks for" is read from the code: every `alexa::...` permission scope
written in lambda/, and APL when the code renders documents.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import sys
import tomllib
from pathlib import Path
from typing import Any

from scripts import build_icons, build_site, package_listing, package_urls

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_INTENTS = frozenset(
    {
        "AMAZON.HelpIntent",
        "AMAZON.StopIntent",
        "AMAZON.CancelIntent",
        "AMAZON.NavigateHomeIntent",
        "AMAZON.FallbackIntent",
    }
)
INVOCATION = re.compile(r"^[a-z]+( [a-z]+)+$")
INVOCATION_FORBIDDEN = frozenset(
    {"alexa", "amazon", "echo", "skill", "app", "launch", "open", "ask", "start"}
)
SAMPLE = re.compile(r"^([a-zA-Z' .]+|\{\w+\})+$")
SLOT_REFERENCE = re.compile(r"\{(\w+)\}")
SCOPE_IN_CODE = re.compile(r"""["'](alexa::[a-z_:.]+)["']""")
OPEN_PHRASE = re.compile(r"^Alexa, open (?P<invocation>[a-z ]+)$")
ASK_PHRASE = re.compile(r"^Alexa, ask (?P<invocation>[a-z ]+?) to (?P<tail>[a-z' ]+)$")
NOT_A_SUBSTITUTE = re.compile(r"not a substitute for professional counsel(l)?ing", re.IGNORECASE)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def png_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG's header, or None if the file is not a PNG."""
    head = path.read_bytes()[:24]
    if len(head) < 24 or not head.startswith(PNG_SIGNATURE) or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def scopes_in_code(code_dir: Path) -> set[str]:
    return {
        scope
        for path in sorted(code_dir.rglob("*.py"))
        for scope in SCOPE_IN_CODE.findall(path.read_text(encoding="utf-8"))
    }


def renders_apl(code_dir: Path) -> bool:
    return any(
        "RenderDocumentDirective" in path.read_text(encoding="utf-8") for path in code_dir.rglob("*.py")
    )


def _icons(package: Path, locale: str, listing: dict[str, Any]) -> list[str]:
    problems = []
    for key, size in build_icons.SIZES.items():
        uri = listing.get(key) or ""
        if not uri.startswith("file://assets/") and not uri.startswith("https://"):
            problems.append(f"{locale}: {key} must be file://assets/... or https://, not {uri!r}")
            continue
        if uri.startswith("https://"):
            continue
        path = package / uri.removeprefix("file://")
        if not path.is_file():
            problems.append(f"{locale}: {key} {uri} does not exist")
        elif png_size(path) != (size, size):
            problems.append(f"{locale}: {key} {uri} is not a {size} x {size} PNG (it is {png_size(path)})")
    return problems


def _icon_source(package: Path) -> list[str]:
    assets = package / "assets"
    record_path = assets / build_icons.RECORD.name
    svg = assets / build_icons.SOURCE.name
    if not svg.is_file() or not record_path.is_file():
        return ["skill-package/assets needs icon.svg and icons.json (python scripts/build_icons.py)"]
    if _json(record_path).get("sha256") != build_icons.source_digest(svg):
        return ["the icons were not rendered from the current icon.svg: run python scripts/build_icons.py"]
    return []


def model_problems(locale: str, model: dict[str, Any]) -> list[str]:
    """The documented rules for one locale's interaction model."""
    problems = []
    language = model["interactionModel"]["languageModel"]
    invocation = language.get("invocationName", "")
    if not INVOCATION.match(invocation):
        problems.append(f"{locale}: invocation name {invocation!r} must be two or more lowercase words")
    elif INVOCATION_FORBIDDEN & set(invocation.split()):
        problems.append(f"{locale}: invocation name {invocation!r} uses a word Alexa reserves")
    types = {slot_type["name"] for slot_type in language.get("types", [])}
    intents = {intent["name"] for intent in language.get("intents", [])}
    for missing in sorted(REQUIRED_INTENTS - intents):
        problems.append(f"{locale}: the model lacks {missing}")
    owner: dict[str, str] = {}
    for intent in language.get("intents", []):
        name = intent["name"]
        slots = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for slot, slot_type in slots.items():
            if not slot_type.startswith("AMAZON.") and slot_type not in types:
                problems.append(f"{locale}: {name}.{slot} has slot type {slot_type}, which is not defined")
        samples = intent.get("samples", [])
        if not name.startswith("AMAZON.") and not samples:
            problems.append(f"{locale}: {name} has no samples")
        for sample in samples:
            where = f"{locale}: {name} sample {sample!r}"
            if not SAMPLE.match(sample):
                problems.append(f"{where}: only letters, apostrophes, periods, spaces and {{slots}}")
            for slot in SLOT_REFERENCE.findall(sample):
                if slot not in slots:
                    problems.append(f"{where}: slot {slot} is not declared")
            key = " ".join(sample.casefold().split())
            if key in owner and owner[key] != name:
                problems.append(f"{where}: also a sample of {owner[key]}")
            owner.setdefault(key, name)
    return problems


def _listing(locale: str, listing: dict[str, Any], model: dict[str, Any] | None) -> list[str]:
    problems = []
    if not listing.get("name"):
        problems.append(f"{locale}: no name")
    if not 0 < len(listing.get("summary", "")) <= 160:
        problems.append(f"{locale}: the summary must be 1 to 160 characters")
    description = listing.get("description", "")
    if not 0 < len(description) <= 4000:
        problems.append(f"{locale}: the description must be 1 to 4000 characters")
    if not NOT_A_SUBSTITUTE.search(description):
        problems.append(
            f"{locale}: the description must say it is not a substitute for professional counseling"
        )
    keywords = listing.get("keywords") or []
    if not keywords or len(keywords) > 30 or any(not 0 < len(word) <= 150 for word in keywords):
        problems.append(f"{locale}: 1 to 30 keywords, each 1 to 150 characters")
    phrases = listing.get("examplePhrases") or []
    if len(phrases) != 3:
        problems.append(f"{locale}: {len(phrases)} example phrases (three are shown in the store)")
    if model is None:
        return problems
    language = model["interactionModel"]["languageModel"]
    invocation = language.get("invocationName")
    samples = {
        " ".join(sample.casefold().split())
        for intent in language.get("intents", [])
        for sample in intent.get("samples", [])
        if not SLOT_REFERENCE.search(sample)
    }
    if phrases and phrases[0] != f"Alexa, open {invocation}":
        problems.append(f"{locale}: the first example phrase must be 'Alexa, open {invocation}'")
    for phrase in phrases[1:]:
        match = ASK_PHRASE.match(phrase)
        if not match or match["invocation"] != invocation:
            problems.append(f"{locale}: example phrase {phrase!r} is not 'Alexa, ask {invocation} to ...'")
        elif " ".join(match["tail"].casefold().split()) not in samples:
            problems.append(
                f"{locale}: example phrase {phrase!r}: {match['tail']!r} is not a sample of its model"
            )
    return problems


def _urls(manifest: dict[str, Any], publishing: list[str], site: str | None, release: bool) -> list[str]:
    problems = []
    privacy = manifest["privacyAndCompliance"]
    urls = privacy.get("locales") or {}
    if sorted(urls) != sorted(publishing):
        problems.append(f"privacyAndCompliance locales {sorted(urls)} differ from the listing's {publishing}")
    wanted = package_urls.urls_for(site) if site else None
    for locale, entry in sorted(urls.items()):
        for key in ("privacyPolicyUrl", "termsOfUseUrl"):
            url = entry.get(key, "")
            if not url.startswith("https://"):
                problems.append(f"{locale}: {key} must be https, not {url!r}")
            elif wanted is not None and url != wanted[key]:
                problems.append(f"{locale}: {key} is {url!r}, not {wanted[key]!r}: run make package-urls")
            elif url == package_urls.PLACEHOLDER and release:
                problems.append(f"{locale}: {key} is still the placeholder: run make package-urls")
    for flag in (
        "usesPersonalInfo",
        "isChildDirected",
        "isExportCompliant",
        "containsAds",
        "allowsPurchases",
    ):
        if not isinstance(privacy.get(flag), bool):
            problems.append(f"privacyAndCompliance.{flag} must be true or false")
    return problems


def _declared(manifest: dict[str, Any], code_dir: Path) -> list[str]:
    problems = []
    declared = {entry["name"] for entry in manifest.get("permissions", [])}
    asked = scopes_in_code(code_dir)
    for scope in sorted(asked - declared):
        problems.append(f"the code asks for {scope}, which skill.json does not declare in permissions")
    for scope in sorted(declared - asked):
        problems.append(f"skill.json declares {scope}, which the code never asks for")
    interfaces = {entry["type"] for entry in manifest["apis"]["custom"].get("interfaces", [])}
    if renders_apl(code_dir) != ("ALEXA_PRESENTATION_APL" in interfaces):
        problems.append("the code's APL screens and skill.json's ALEXA_PRESENTATION_APL interface disagree")
    return problems


def check(root: Path = ROOT, *, site: str | None = None, release: bool = False) -> list[str]:
    """Every problem that would stop a submission, as sentences; empty when the package can be submitted."""
    package = root / "skill-package"
    manifest = _json(package / "skill.json")["manifest"]
    publishing = manifest["publishingInformation"]
    listings: dict[str, Any] = publishing.get("locales") or {}
    model_locales = list(
        tomllib.loads((root / "interaction_models/source/model.toml").read_text())["locales"]
    )
    problems = []
    if sorted(listings) != sorted(model_locales):
        problems.append(
            f"the listing's locales {sorted(listings)} differ from the model's {sorted(model_locales)}"
        )
    if not publishing.get("distributionCountries") and not publishing.get("isAvailableWorldwide"):
        problems.append("no distribution countries")
    problems += _icon_source(package)
    for locale in sorted(set(listings) | set(model_locales)):
        path = package / "interactionModels" / "custom" / f"{locale}.json"
        model = _json(path) if path.is_file() else None
        if model is None:
            problems.append(f"{locale}: no interaction model in the skill package")
        else:
            problems += model_problems(locale, model)
        if locale in listings:
            problems += _icons(package, locale, listings[locale])
            problems += _listing(locale, listings[locale], model)
    problems += _urls(manifest, sorted(listings), site, release)
    problems += _declared(manifest, root / "lambda")
    problems += build_site.stale(root)
    if root == ROOT:  # the listings are made from this checkout's content
        problems += package_listing.stale(package / "skill.json")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", action="store_true", help="placeholder URLs are an error")
    args = parser.parse_args(argv)
    site = os.environ.get(package_urls.SITE_URL_ENV) or None
    try:
        site = package_urls.site_url(site) if site else None
    except package_urls.SettingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problems = check(site=site, release=args.release)
    for problem in problems:
        print(f"package: {problem}", file=sys.stderr)
    if problems:
        return 1
    manifest = _json(ROOT / "skill-package" / "skill.json")["manifest"]
    locales = sorted(manifest["publishingInformation"]["locales"])
    placeholder = any(
        package_urls.PLACEHOLDER in entry.values()
        for entry in manifest["privacyAndCompliance"]["locales"].values()
    )
    note = (
        " (privacy URLs are still the placeholder: make package-urls before submitting)"
        if placeholder
        else ""
    )
    print(f"package check passed for {', '.join(locales)}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
