"""Print the [hub] extra of pyproject.toml, one requirement a line (the hub image's packages),
and those of each further extra named (``hub-traefik``: TraefikProxy's client); with --names,
without their versions (to install them at another image's versions)."""

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
extras = project["project"]["optional-dependencies"]
names = sys.argv[1:] == ["--names"]
chosen = [] if names else [arg for arg in sys.argv[1:] if arg]
unknown = [extra for extra in chosen if extra not in extras]
if unknown:
    sys.exit(
        f"hub_requirements.py: no extra {unknown[0]!r} in pyproject.toml (known: {sorted(extras)})"
    )
requirements = [r for extra in ["hub", *chosen] for r in extras[extra]]
if names:
    requirements = [re.split(r"[=<>!~ ;]", requirement)[0] for requirement in requirements]
print("\n".join(requirements))
