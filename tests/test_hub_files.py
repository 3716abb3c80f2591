"""The hub ConfigMap ships what the hub runs and nothing else: every module of hub_runtime
that a shipped file imports or names is shipped, and the previews' code is not."""

from __future__ import annotations

import ast
import re
from importlib import resources

from constructs_lib._hub.hub_files import RUNTIME_PACKAGE, SYNTHESIS_ONLY, HubFile, hub_files
from hub_runtime.settings import CONFIGURABLE_CLASSES
from hub_runtime.virtual_services import PROXY_CLASS as VIRTUAL_SERVICE_PROXY_CLASS

# hub_runtime.<module> in code, or hub_runtime/<module>.py in a path or command.
_NAMED = re.compile(rf"\b{RUNTIME_PACKAGE}[./](\w+)")


def _modules(files: tuple[HubFile, ...]) -> set[str]:
    """The runtime modules delivered, by module name."""
    prefix = f"{RUNTIME_PACKAGE}/"
    return {f.path.removeprefix(prefix).removesuffix(".py") for f in files if f.path != f.key}


def _imported(text: str) -> set[str]:
    """The runtime modules a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == RUNTIME_PACKAGE:
                found |= {alias.name for alias in node.names}
            elif node.module.startswith(f"{RUNTIME_PACKAGE}."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {
                alias.name.split(".")[1]
                for alias in node.names
                if alias.name.startswith(f"{RUNTIME_PACKAGE}.")
            }
    return found


def test_previews_are_not_shipped() -> None:
    files = hub_files("{}")
    assert "preview" not in _modules(files)
    assert {"preview.py"} == SYNTHESIS_ONLY
    assert all((resources.files(RUNTIME_PACKAGE) / name).is_file() for name in SYNTHESIS_ONLY)


def test_what_the_shipped_files_import_is_shipped() -> None:
    files = hub_files("{}")
    shipped = _modules(files) | {"__init__"}
    for file in files:
        if file.path.endswith(".py"):
            assert _imported(file.text) <= shipped, file.path


def test_what_the_shipped_files_name_is_shipped() -> None:
    """Classes named by string (JupyterHub's *_class traits, extra_config's classes, the
    IstioProxy client) and commands are found by module name at the hub's start."""
    files = hub_files("{}")
    shipped = _modules(files)
    named = {
        match
        for file in files
        for match in _NAMED.findall(file.text)
        if match not in {"py", RUNTIME_PACKAGE}
    }
    named |= {_NAMED.findall(VIRTUAL_SERVICE_PROXY_CLASS)[0]}
    named |= {
        path.split(":")[0].split(".")[1]
        for path in CONFIGURABLE_CLASSES.values()
        if path.startswith(f"{RUNTIME_PACKAGE}.")
    }
    assert {"auth", "spawner", "virtual_services", "bindings", "launch"} <= named
    assert named <= shipped
