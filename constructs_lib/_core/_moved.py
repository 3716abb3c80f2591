"""Modules that moved into the private layers: importing one by its old path
(``constructs_lib.hub``) is an error that names the public import instead.

Before the layout by layer every module was public (``from constructs_lib.hub import
HubStatefulSet``); now ``constructs_lib`` is the one public surface. Python would say only "No
module named ...", which leaves a migrating user to search for the new home.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["install"]

# The layers' packages, where each moved module now lives under its old name.
_LAYERS = ("_core", "_pods", "_proxies", "_hub", "_ingresses", "_mesh")


class _MovedModules(importlib.abc.MetaPathFinder):
    """Refuses ``<package>.<old module>`` with a ModuleNotFoundError naming the public names."""

    def __init__(self, package: ModuleType) -> None:
        self._package = package
        self._moved: dict[str, str] | None = None

    def _moved_modules(self) -> dict[str, str]:
        # Listed at the first refused import only: nothing is read at the package's import.
        if self._moved is None:
            name = self._package.__name__
            self._moved = {
                info.name: f"{name}.{layer}.{info.name}"
                for layer in _LAYERS
                for info in pkgutil.iter_modules([f"{self._package.__path__[0]}/{layer}"])
                if not info.name.startswith("_")
            }
        return self._moved

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, module = fullname.rpartition(".")
        if package != self._package.__name__ or module not in self._moved_modules():
            return None
        public = set(getattr(self._package, "__all__", ()))
        exported = sys.modules.get(self._moved_modules()[module])
        names = sorted(public & set(getattr(exported, "__all__", ()))) if exported else []
        instead = f"from {package} import {', '.join(names)}" if names else f"import {package}"
        raise ModuleNotFoundError(
            f"{fullname} moved into {package}'s private layers; its public names are "
            f"{package}'s own: {instead}",
            name=fullname,
        )


def install(package: ModuleType) -> None:
    """Put the finder for ``package``'s moved modules on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, _MovedModules(package))
