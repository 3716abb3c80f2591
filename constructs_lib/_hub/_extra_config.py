"""``extra_config``'s trait names, checked at construct time against the classes the hub runs.

Synthesis has the hub's packages installed at the versions the hub image ships (the ``hub``
extra, which ``synth`` includes), so a misspelled trait fails here, naming the construct,
rather than at the hub's start. A class is imported only when ``extra_config`` names it:
JupyterHub's and KubeSpawner's modules take seconds to import, which an app without
``extra_config`` never pays.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
from functools import cache

from constructs import Construct

from constructs_lib._core._errors import invalid
from hub_runtime.settings import CONFIGURABLE_CLASSES

__all__ = ["check_trait"]

# The distribution of each top-level module CONFIGURABLE_CLASSES names, for the version the
# error names (a trait may be new in a later release). hub_runtime ships with this library.
_DISTRIBUTIONS = {"jupyterhub": "jupyterhub", "kubespawner": "jupyterhub-kubespawner"}
# What installs the hub's packages at the hub image's versions.
_INSTALL = "pip install 'jupyterhub-cdk8s[hub]'"


@cache
def _configurable_traits(name: str) -> frozenset[str]:
    """The traits of class ``name`` (a key of CONFIGURABLE_CLASSES) that configuration sets:
    what the hub's start accepts (hub_runtime.config checks the same)."""
    module, _, attribute = CONFIGURABLE_CLASSES[name].partition(":")
    klass = getattr(importlib.import_module(module), attribute)
    return frozenset(klass.class_traits(config=True))


def _where(name: str) -> str:
    """``jupyterhub-kubespawner 7.0.0``: the distribution and version the class was read from
    (or its module, for hub_runtime's)."""
    module = CONFIGURABLE_CLASSES[name].partition(":")[0]
    distribution = _DISTRIBUTIONS.get(module.partition(".")[0])
    if distribution is None:
        return module
    try:
        return f"{distribution} {importlib.metadata.version(distribution)}"
    except importlib.metadata.PackageNotFoundError:
        return distribution


def check_trait(scope: Construct, name: str, trait: str) -> None:
    """``trait`` must be a configurable trait of ``name``; a near miss is suggested."""
    try:
        known = _configurable_traits(name)
    except ImportError as error:
        raise invalid(
            scope,
            f"extra_config.{name}",
            trait,
            f"is checked against {name} of the hub's packages, and {error.name} is not "
            f"installed here ({_INSTALL} installs them at the versions the hub runs)",
        ) from None
    if trait in known:
        return
    close = difflib.get_close_matches(trait, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise invalid(
        scope,
        f"extra_config.{name}",
        trait,
        f"must name a configurable trait of {name} (at {_where(name)}{hint})",
    )
