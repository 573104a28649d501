"""Render the skill's icons from their one vector source: skill-package/assets/icon.svg.

    python scripts/build_icons.py   # writes icon-108.png and icon-512.png beside the SVG, and icons.json

Alexa needs a 108 x 108 and a 512 x 512 PNG (smallIconUri, largeIconUri). Both are rendered from the SVG with
CairoSVG (PyPI `cairosvg`, in requirements-dev.txt; it needs the system's libcairo2). `icons.json` records
the SVG's SHA-256 the PNGs were made from, so the package check (scripts/check_package.py) notices an SVG
that changed without the PNGs being rendered again, without needing a renderer itself.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "skill-package" / "assets"
SOURCE = ASSETS / "icon.svg"
SIZES = {"smallIconUri": 108, "largeIconUri": 512}
RECORD = ASSETS / "icons.json"


def icon_path(size: int, assets: Path = ASSETS) -> Path:
    return assets / f"icon-{size}.png"


def source_digest(source: Path = SOURCE) -> str:
    return hashlib.sha256(source.read_bytes()).hexdigest()


def build(assets: Path = ASSETS) -> list[Path]:
    import cairosvg  # a development tool only: the skill and its checks never import it

    source = assets / SOURCE.name
    written = []
    for size in SIZES.values():
        target = icon_path(size, assets)
        cairosvg.svg2png(url=str(source), write_to=str(target), output_width=size, output_height=size)
        written.append(target)
    record = {"source": source.name, "sha256": source_digest(source), "sizes": sorted(SIZES.values())}
    (assets / RECORD.name).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return written


def main() -> int:
    for path in build():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
