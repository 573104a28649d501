"""Pre-parse each locale's TOML files into locale/<locale>.parsed.json, or check that those are current.

The skill reads a locale's content at its first request; JSON parses in well under a millisecond where TOML
takes about 11 ms, which a cold start notices (benchmarks/bench_coldstart.py). The TOML files stay the
source of truth: the JSON records each source's size and CRC-32, and the skill ignores it when they differ.

    python scripts/build_content.py          # write every locale's pre-parsed file, remove orphaned ones
    python scripts/build_content.py --check  # exit 1 and list missing, stale or orphaned files
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lambda"))

from trust_builder import content  # noqa: E402


def expected(folder: Path) -> str:
    sources = {path.name: path.read_bytes() for path in sorted(folder.glob("*.toml"))}
    files = content.parse_toml_files(sources)
    if json.loads(json.dumps(files)) != files:
        raise SystemExit(f"{folder}: content that JSON cannot hold as is (dates? floats?)")
    document = {"sources": content.fingerprints(sources), "files": files}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 on any difference")
    args = parser.parse_args()
    folders = [content.LOCALE_DIR / name for name in content.available_locales()]
    wanted = {content.parsed_file(folder): expected(folder) for folder in folders}
    problems = []
    for path, text in wanted.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            problems.append(f"{path.relative_to(ROOT)}: {'stale' if current else 'missing'}")
            if not args.check:
                path.write_text(text, encoding="utf-8")
    for path in sorted(content.LOCALE_DIR.glob("*.parsed.json")):
        if path not in wanted:
            problems.append(f"{path.relative_to(ROOT)}: orphaned (no such locale)")
            if not args.check:
                path.unlink()
    if args.check and problems:
        print("pre-parsed content is not current; run `make content`:", *problems, sep="\n  ")
        return 1
    for problem in problems:
        print("updated", problem)
    return 0


if __name__ == "__main__":
    sys.exit(main())
