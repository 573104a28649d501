"""The skill's public pages, made from the repository's Markdown: PRIVACY.md and TERMS.md become
site/privacy.html and site/terms.html, static pages ready to publish at the address that
TRUST_BUILDER_SITE_URL names (scripts/package_urls.py points skill.json at them).

    python scripts/build_site.py          # write the pages
    python scripts/build_site.py --check  # exit 1 if a page is not what its Markdown makes

The Markdown is the small subset those files use: headings, paragraphs, lists, tables, **bold**, `code` and
[links](url). A quote that starts "**Before certification:**" is a note for whoever deploys, and is left out.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = ROOT / "site"
PAGES = {"privacy.html": "PRIVACY.md", "terms.html": "TERMS.md"}
DEPLOYER_NOTE = "**Before certification:**"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1d2a36; }}
table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #c9d3dd; padding: 0.3rem 0.6rem;
       text-align: left; vertical-align: top; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def inline(text: str) -> str:
    """Escape, then **bold**, `code` and [links](url)."""
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', text)


def _blocks(markdown: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in markdown.splitlines():
        if line.strip():
            blocks[-1].append(line.rstrip())
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _table(lines: list[str]) -> str:
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    head, body = rows[0], [row for row in rows[2:]]
    out = ["<table>", "<tr>" + "".join(f"<th>{inline(cell)}</th>" for cell in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{inline(cell)}</td>" for cell in row) + "</tr>" for row in body]
    return "\n".join([*out, "</table>"])


def _list(lines: list[str]) -> str:
    items: list[str] = []
    for line in lines:
        if line.lstrip().startswith("- "):
            items.append(line.lstrip()[2:])
        else:  # a wrapped item continues on an indented line
            items[-1] += " " + line.strip()
    return "<ul>\n" + "\n".join(f"<li>{inline(item)}</li>" for item in items) + "\n</ul>"


def to_html(markdown: str) -> tuple[str, str]:
    """(title, body) of a page."""
    title, parts = "", []
    for block in _blocks(markdown):
        first = block[0]
        if first.startswith("#"):
            level = len(first) - len(first.lstrip("#"))
            text = first[level:].strip()
            title = title or text
            parts.append(f"<h{level}>{inline(text)}</h{level}>")
            block = block[1:]
            if not block:
                continue
            first = block[0]
        if first.startswith(">"):
            quote = " ".join(line.lstrip("> ").strip() for line in block)
            if not quote.startswith(DEPLOYER_NOTE):
                parts.append(f"<blockquote><p>{inline(quote)}</p></blockquote>")
        elif first.startswith("|"):
            parts.append(_table(block))
        elif first.startswith("- "):
            parts.append(_list(block))
        else:
            parts.append(f"<p>{inline(' '.join(line.strip() for line in block))}</p>")
    return title, "\n".join(parts)


def render(source: Path) -> str:
    title, body = to_html(source.read_text(encoding="utf-8"))
    return _PAGE.format(title=html.escape(title), body=body)


def stale(root: Path = ROOT) -> list[str]:
    """Pages that are missing or not what their Markdown makes."""
    problems = []
    for page, source in PAGES.items():
        target = root / "site" / page
        if not target.is_file() or target.read_text(encoding="utf-8") != render(root / source):
            problems.append(f"site/{page} is not what {source} makes: run make site")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the pages are up to date")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    SITE_DIR.mkdir(exist_ok=True)
    for page, source in PAGES.items():
        (SITE_DIR / page).write_text(render(ROOT / source), encoding="utf-8")
        print(f"wrote site/{page} from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
