"""Point skill.json's privacy-policy and terms-of-use URLs, in every locale, at the published site.

    TRUST_BUILDER_SITE_URL=https://trust.example.org make package-urls
    python scripts/package_urls.py --site-url https://trust.example.org

The one deploy-time setting is the https address where `site/` (make site) is published: the privacy policy
is <site>/privacy.html and the terms of use <site>/terms.html, for every locale skill.json lists.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "skill-package" / "skill.json"
SITE_URL_ENV = "TRUST_BUILDER_SITE_URL"
PLACEHOLDER = "https://example.com/trust-builder/PRIVACY.md"
PLACEHOLDER_HOSTS = frozenset({"example.com", "example.org", "example.net", "localhost"})


class SettingError(ValueError):
    """The site URL cannot be used for a skill listing."""


def site_url(value: str | None) -> str:
    """The base address, checked: https, a real host, no query; without a trailing slash."""
    text = (value or "").strip()
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.hostname:
        raise SettingError(f"{SITE_URL_ENV} must be an https address, not {text!r}")
    host = parts.hostname
    if any(host == placeholder or host.endswith("." + placeholder) for placeholder in PLACEHOLDER_HOSTS):
        raise SettingError(f"{SITE_URL_ENV} must be a real address, not the placeholder host {host}")
    if parts.query or parts.fragment:
        raise SettingError(f"{SITE_URL_ENV} must not have a query or fragment: {text!r}")
    return text.rstrip("/")


def urls_for(site: str) -> dict[str, str]:
    return {"privacyPolicyUrl": f"{site}/privacy.html", "termsOfUseUrl": f"{site}/terms.html"}


def apply(manifest: dict[str, Any], site: str) -> dict[str, Any]:
    """The manifest with both URLs set in every published locale."""
    locales = manifest["manifest"]["publishingInformation"]["locales"]
    privacy = manifest["manifest"]["privacyAndCompliance"]
    privacy["locales"] = {locale: urls_for(site) for locale in locales}
    return manifest


def write(path: Path, site: str) -> None:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(apply(manifest, site), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-url", default=os.environ.get(SITE_URL_ENV), help=f"default: ${SITE_URL_ENV}")
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    args = parser.parse_args(argv)
    try:
        site = site_url(args.site_url)
    except SettingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    write(args.manifest, site)
    print(f"skill.json: privacy policy {site}/privacy.html, terms of use {site}/terms.html, every locale")
    return 0


if __name__ == "__main__":
    sys.exit(main())
