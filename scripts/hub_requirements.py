"""Print the [hub] extra of pyproject.toml, one requirement a line (the hub image's packages);
with --names, without their versions (to install them at another image's versions)."""

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
requirements = project["project"]["optional-dependencies"]["hub"]
if sys.argv[1:] == ["--names"]:
    requirements = [re.split(r"[=<>!~ ;]", requirement)[0] for requirement in requirements]
print("\n".join(requirements))
