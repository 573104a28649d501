"""Copy interaction_models/<locale>.json into the ASK CLI skill package, or check that the copies match.

interaction_models/ is the source of truth; skill-package/interactionModels/custom/ is what `ask deploy`
uploads. Keeping a generated copy (rather than a symlink) lets the skill package be zipped or uploaded as is.

    python scripts/sync_models.py          # copy every model, remove copies whose source is gone
    python scripts/sync_models.py --check  # exit 1 and list drifted, missing or orphaned copies
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "interaction_models"
TARGET_DIR = ROOT / "skill-package" / "interactionModels" / "custom"


@dataclass(frozen=True)
class Drift:
    """One model file whose packaged copy does not match its source."""

    locale: str
    problem: str  # "missing", "drifted" or "orphaned"

    def __str__(self) -> str:
        return f"{self.problem}: {self.locale}.json"


def _locales(directory: Path) -> set[str]:
    if not directory.is_dir():
        return set()
    return {path.stem for path in directory.glob("*.json")}


def find_drift(source_dir: Path = SOURCE_DIR, target_dir: Path = TARGET_DIR) -> list[Drift]:
    """Every packaged model that is missing, differs byte for byte from its source, or has no source."""
    sources, targets = _locales(source_dir), _locales(target_dir)
    drift = [Drift(locale, "missing") for locale in sorted(sources - targets)]
    drift += [
        Drift(locale, "drifted")
        for locale in sorted(sources & targets)
        if (source_dir / f"{locale}.json").read_bytes() != (target_dir / f"{locale}.json").read_bytes()
    ]
    drift += [Drift(locale, "orphaned") for locale in sorted(targets - sources)]
    return drift


def sync(source_dir: Path = SOURCE_DIR, target_dir: Path = TARGET_DIR) -> list[Drift]:
    """Make the packaged copies identical to the sources; return what was fixed.

    Every source is parsed first, so a broken model never reaches the skill package.
    """
    for locale in sorted(_locales(source_dir)):
        path = source_dir / f"{locale}.json"
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path} is not valid JSON: {error}") from error
    fixed = find_drift(source_dir, target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    for item in fixed:
        target = target_dir / f"{item.locale}.json"
        if item.problem == "orphaned":
            target.unlink()
        else:
            shutil.copyfile(source_dir / f"{item.locale}.json", target)
    return fixed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report differences; exit 1 if any")
    parser.add_argument("--source", type=Path, default=SOURCE_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=Path, default=TARGET_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if not _locales(args.source):
        print(f"no interaction models found in {args.source}", file=sys.stderr)
        return 1
    if args.check:
        drift = find_drift(args.source, args.target)
        for item in drift:
            print(item, file=sys.stderr)
        if drift:
            print(
                "run `make sync-models` (python scripts/sync_models.py) to update the skill package",
                file=sys.stderr,
            )
        return 1 if drift else 0
    try:
        fixed = sync(args.source, args.target)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    for item in fixed:
        print(f"synced {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
