"""``extra_config``'s traits and their values, checked at construct time against the classes
the hub runs.

Synthesis has the hub's packages installed at the versions the hub image ships (the ``hub``
extra, which ``synth`` includes), so a misspelled trait fails here, naming the construct,
rather than at the hub's start. A class is imported only when ``extra_config`` names it:
JupyterHub's and KubeSpawner's modules take seconds to import, which an app without
``extra_config`` never pays.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from constructs import Construct

from constructs_lib._core._errors import invalid
from hub_runtime.settings import CONFIGURABLE_CLASSES

if TYPE_CHECKING:
    import traitlets

__all__ = ["check_trait", "check_value"]

# The distribution of each top-level module CONFIGURABLE_CLASSES names, for the version the
# error names (a trait may be new in a later release). hub_runtime ships with this library.
_DISTRIBUTIONS = {"jupyterhub": "jupyterhub", "kubespawner": "jupyterhub-kubespawner"}
# What installs the hub's packages at the hub image's versions.
_INSTALL = "pip install 'jupyterhub-cdk8s[hub]'"


@cache
def _configurable_traits(name: str) -> Mapping[str, traitlets.TraitType[Any, Any]]:
    """The traits of class ``name`` (a key of CONFIGURABLE_CLASSES) that configuration sets,
    by name: what the hub's start accepts (hub_runtime.config checks the same)."""
    module, _, attribute = CONFIGURABLE_CLASSES[name].partition(":")
    klass = getattr(importlib.import_module(module), attribute)
    return MappingProxyType(klass.class_traits(config=True))


@cache
def _probe_class(name: str) -> type[traitlets.HasTraits]:
    """A class to set ``name``'s traits on, named as it (traitlets' messages say "of a
    KubeSpawner instance"): the class itself is not made, which would start a hub's or a
    spawner's machinery."""
    import traitlets

    return type(name, (traitlets.HasTraits,), {})


def _where(name: str) -> str:
    """``jupyterhub-kubespawner 7.0.0``: the distribution and version the class was read from
    (or its module, for hub_runtime's)."""
    import importlib.metadata  # only on an error path: it pulls in email, csv and socket

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
    import difflib  # only on an error path

    close = difflib.get_close_matches(trait, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise invalid(
        scope,
        f"extra_config.{name}",
        trait,
        f"must name a configurable trait of {name} (at {_where(name)}{hint})",
    )


def check_value(scope: Construct, name: str, trait: str, value: object) -> None:
    """``value``, as the hub reads it from its settings (JSON), must be one the trait of
    ``name`` takes: the trait's own validation runs on it, as traitlets runs it when the
    hub's start applies the configuration (a wrong type fails the hub there)."""
    import traitlets

    declared = _configurable_traits(name)[trait]
    read = json.loads(json.dumps(value))
    if isinstance(declared, traitlets.Type) and isinstance(read, str):
        return  # a class by import path or entry point: imported in the hub's image
    probe = _probe_class(name)()
    if not isinstance(declared, traitlets.Type):
        # What traitlets does on making an instance: a class named by string is imported.
        declared.instance_init(probe)
    try:
        # What configuration does (setattr): a trait's set may coerce first (Set takes 'a').
        declared.set(probe, read)
    # Whatever the trait's validation raises would fail the hub's start: TraitError, or
    # another error of a validator given a value of a type it never expected.
    except Exception as error:
        raise invalid(
            scope,
            f"extra_config.{name}.{trait}",
            value,
            f"must be {declared.info()} for {name} at {_where(name)} ({error})",
        ) from None
