"""A construct id the constructs library refuses is a ``ValueError`` naming the construct's
path, as every other mistake is, for every construct of this library."""

from __future__ import annotations

import inspect
from typing import Any

import cdk8s
import pytest
from constructs import Construct

import constructs_lib
from constructs_lib import JupyterHub, NotebookProfile, ProxyToken
from constructs_lib._core._construct import LibraryConstruct
from tests.support.constants import HOSTS, TRUST

TOKEN = ProxyToken.from_existing_secret("proxy-token")


def _jupyterhub(scope: Construct, id: Any) -> JupyterHub:
    return JupyterHub(scope, id, proxy_token=TOKEN, header_trust=TRUST, hosts=HOSTS)


def _error(build: Any) -> str:
    with pytest.raises(ValueError) as error:
        build()
    return str(error.value)


def test_fails_duplicate_id(chart: cdk8s.Chart) -> None:
    _jupyterhub(chart, "JupyterHub")
    assert _error(lambda: _jupyterhub(chart, "JupyterHub")) == (
        "test/JupyterHub: id must be unique among the children of test (a JupyterHub there "
        "has it), got 'JupyterHub'"
    )


def test_fails_id_of_another_kind_of_construct(chart: cdk8s.Chart) -> None:
    Construct(chart, "Standard")
    assert _error(lambda: NotebookProfile(chart, "Standard")) == (
        "test/Standard: id must be unique among the children of test (a Construct there "
        "has it), got 'Standard'"
    )


def test_fails_id_of_a_child_the_construct_makes(chart: cdk8s.Chart) -> None:
    # JupyterHub makes its profiles in its own scope: the caller's id is not one of them.
    hub = _jupyterhub(chart, "JupyterHub")
    assert _error(lambda: NotebookProfile(hub, "StandardProfile")) == (
        "test/JupyterHub/StandardProfile: id must be unique among the children of "
        "test/JupyterHub (a NotebookProfile there has it), got 'StandardProfile'"
    )


def test_fails_empty_id(chart: cdk8s.Chart) -> None:
    assert _error(lambda: NotebookProfile(chart, "")) == (
        "test: id must not be empty (only an app's root has none), got ''"
    )


@pytest.mark.parametrize("id", [None, 3, b"hub"])
def test_fails_id_not_a_string(chart: cdk8s.Chart, id: object) -> None:
    assert _error(lambda: _jupyterhub(chart, id)) == (
        f"test/{id!r}: id must be a string, got {id!r}"
    )


def test_unique_ids_in_two_scopes(chart: cdk8s.Chart) -> None:
    first = Construct(chart, "First")
    second = Construct(chart, "Second")
    paths = [NotebookProfile(scope, "P").node.path for scope in (first, second)]
    assert paths == ["test/First/P", "test/Second/P"]


def test_every_public_construct_checks_its_id() -> None:
    constructs = [
        value
        for name in constructs_lib.__all__
        if inspect.isclass(value := getattr(constructs_lib, name)) and issubclass(value, Construct)
    ]
    assert constructs
    assert [c.__name__ for c in constructs if not issubclass(c, LibraryConstruct)] == []


def test_fails_scope_not_a_construct() -> None:
    assert _error(lambda: _jupyterhub(None, "JupyterHub")) == (  # type: ignore[arg-type]
        "'JupyterHub': scope must be a construct (a Chart, or a construct in one), got None"
    )
