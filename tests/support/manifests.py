"""Where the project is and how synthesized YAML is read (no cdk8s import: the demo uses it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def read_documents(path: Path) -> list[dict[str, Any]]:
    """The documents of one YAML file, empty ones left out. Parsed by libyaml (PyYAML's C
    parser, ten times faster than its Python one: the tests read dist/ hundreds of times)
    with PyYAML's safe constructors, so the values are ``yaml.safe_load_all``'s."""
    return [doc for doc in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader) if doc]


def read_manifests(directory: Path) -> list[dict[str, Any]]:
    """The documents of every ``*.yaml`` file in ``directory``, in the order of their names."""
    return [doc for path in sorted(directory.glob("*.yaml")) for doc in read_documents(path)]
