"""Print the [hub] extra of pyproject.toml, one requirement a line (the hub image's packages)."""

import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
print("\n".join(project["project"]["optional-dependencies"]["hub"]))
