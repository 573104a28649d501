"""Write skill.json's per-locale store listing from the one source, locale/en-US/store.toml.

    python scripts/package_listing.py          # (make package-listing) rewrite skill.json's listings
    python scripts/package_listing.py --check  # exit 1 if skill.json is not what the source makes

For every locale of the interaction model (interaction_models/source/model.toml): name, summary,
description, example phrases and keywords from content.load(locale), so each English locale gets its own
spelling, emergency number and help line (locale/variants.toml); the icons; a privacyAndCompliance entry (the
URLs already set are kept, see scripts/package_urls.py); and the locale's country in distributionCountries.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from scripts import build_icons, package_urls
from trust_builder import content

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "skill-package" / "skill.json"
MODEL_SOURCE = ROOT / "interaction_models" / "source" / "model.toml"


def model_locales(source: Path = MODEL_SOURCE) -> list[str]:
    return list(tomllib.loads(source.read_text(encoding="utf-8"))["locales"])


def listing(locale: str) -> dict[str, Any]:
    words = content.load(locale)
    fields = {
        "emergency": words.phrase("store.listing.emergency"),
        "helpline": words.phrase("store.listing.helpline"),
    }
    table = words.phrases["store"]["listing"]
    return {
        "name": words.phrase("store.listing.name"),
        "summary": words.phrase("store.listing.summary"),
        "description": "\n\n".join(paragraph.format(**fields) for paragraph in table["description"]),
        "examplePhrases": list(table["example_phrases"]),
        "keywords": list(dict.fromkeys(table["keywords"])),
        **{key: f"file://assets/icon-{size}.png" for key, size in build_icons.SIZES.items()},
    }


def apply(manifest: dict[str, Any], locales: list[str]) -> dict[str, Any]:
    body = manifest["manifest"]
    publishing = body["publishingInformation"]
    publishing["locales"] = {locale: listing(locale) for locale in locales}
    publishing["distributionCountries"] = list(dict.fromkeys(locale.split("-")[1] for locale in locales))
    privacy = body["privacyAndCompliance"]
    known = privacy.get("locales") or {}
    fallback = next(iter(known.values()), None) or {
        "privacyPolicyUrl": package_urls.PLACEHOLDER,
        "termsOfUseUrl": package_urls.PLACEHOLDER,
    }
    privacy["locales"] = {locale: dict(known.get(locale) or fallback) for locale in locales}
    return manifest


def rendered(path: Path = MANIFEST) -> str:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    return json.dumps(apply(manifest, model_locales()), indent=2, ensure_ascii=False) + "\n"


def stale(path: Path = MANIFEST) -> list[str]:
    if path.read_text(encoding="utf-8") != rendered(path):
        return ["skill.json's listings are not what locale/en-US/store.toml makes: run make package-listing"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    MANIFEST.write_text(rendered(), encoding="utf-8")
    print(f"skill.json: listings for {', '.join(model_locales())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
