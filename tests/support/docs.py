"""The documentation as the tests read it: the README (the front page) and the site's pages
in docs/, found by heading wherever a section now lives."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from tests.support.manifests import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
_HEADING = re.compile(r"(#+) ")


def pages() -> list[Path]:
    """The README, then every page of the site."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def all_text() -> str:
    """Everything the documentation says, page after page."""
    return "\n".join(path.read_text() for path in pages())


def _headings(lines: list[str]) -> Iterator[tuple[int, int]]:
    """(line index, level) of each heading outside fenced code (a ``# comment`` is none)."""
    fenced = False
    for index, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and (found := _HEADING.match(line)):
            yield index, len(found[1])


def section(heading: str, text: str | None = None) -> str:
    """From the line ``heading`` (``"## Hub settings"``) to the next heading of its level or
    above, in ``text`` or else in whichever page has it."""
    for page in [text] if text is not None else [p.read_text() for p in pages()]:
        lines = page.splitlines(keepends=True)
        if f"{heading}\n" not in lines:
            continue
        start = lines.index(f"{heading}\n")
        level = len(heading) - len(heading.lstrip("#"))
        ends = [i for i, lv in _headings(lines) if i > start and lv <= level]
        return "".join(lines[start : ends[0] if ends else len(lines)])
    raise AssertionError(f"no page of the documentation has the heading {heading!r}")


def anchor(heading: str) -> str:
    """The anchor of a heading's text, as both MkDocs (Python-Markdown's ``toc``) and GitHub
    make it for the headings here: code marks and punctuation dropped, spaces to ``-``."""
    text = re.sub(r"[^\w\s-]", "", heading.replace("`", "")).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(path: Path) -> set[str]:
    """The anchors of every heading of the page at ``path``."""
    lines = path.read_text().splitlines()
    return {anchor(lines[i].lstrip("#")) for i, _ in _headings(lines)}


def example(heading: str) -> str:
    """The first Python example in the section ``heading``."""
    examples: list[str] = re.findall(r"```python\n(.*?)```", section(heading), flags=re.S)
    assert examples, f"the section {heading!r} has no Python example"
    return examples[0]
