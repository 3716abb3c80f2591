"""No file of the project holds a merge's conflict markers (a merge resolved only in part)."""

from __future__ import annotations

from pathlib import Path

from tests.support.manifests import ROOT

MARKERS = ("<<<<<<< ", ">>>>>>> ")
# The project's own files: its packages, tests, scripts, docs, data and top-level files.
TREES = (
    "apps",
    "constructs_lib",
    "hub_runtime",
    "tests",
    "scripts",
    "docs",
    "crds",
    "dist",
    "docker",
)
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".txt", ".toml", ".json", ".mjs", ".html", ""}


def _files() -> list[Path]:
    files = [p for p in ROOT.iterdir() if p.is_file() and p.suffix in SUFFIXES]
    for tree in TREES:
        files += [
            p
            for p in (ROOT / tree).rglob("*")
            if p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts
        ]
    return files


def test_no_file_holds_conflict_markers() -> None:
    found = []
    for path in _files():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        found += [
            f"{path.relative_to(ROOT)}:{n}"
            for n, line in enumerate(lines, 1)
            if line.startswith(MARKERS)
        ]
    assert found == []
