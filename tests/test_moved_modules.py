"""A module imported by its path from before the layout by layer is an error naming the public
import, not Python's bare "No module named"."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("hub", "DEFAULT_HUB_IMAGE, HubOptions, HubStatefulSet"),
        ("profile", "ClaimAccessMode, DEFAULT_USER_IMAGE, ImagePullPolicy, MountAccess"),
        ("istio", "IstioIngress"),
    ],
)
def test_an_old_module_path_names_the_public_import(module: str, names: str) -> None:
    with pytest.raises(ModuleNotFoundError) as error:
        importlib.import_module(f"constructs_lib.{module}")
    assert f"constructs_lib.{module} moved into constructs_lib's private layers" in str(error.value)
    assert f"from constructs_lib import {names}" in str(error.value)
    assert error.value.name == f"constructs_lib.{module}"


@pytest.mark.parametrize("module", ["nothing", "hubs", "_hub.nothing", "_pod_usage"])
def test_any_other_missing_module_is_the_usual_error(module: str) -> None:
    with pytest.raises(ModuleNotFoundError) as error:
        importlib.import_module(f"constructs_lib.{module}")
    assert "moved into" not in str(error.value)


def test_the_public_submodules_and_the_layers_still_import() -> None:
    for module in ("constructs_lib.plus", "constructs_lib.integrity", "constructs_lib._hub.hub"):
        assert importlib.import_module(module).__name__ == module
