"""Builders for the constructs under test, with the settings a test does not care about filled
in from ``constants``; a test passes only what it is about."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cdk8s
import pytest

from constructs_lib import CHProxy, HubStatefulSet, JupyterHub, NotebookProfile
from tests.support.constants import HOSTS, TOKEN, TRUST


def make_chart() -> cdk8s.Chart:
    """An empty chart in namespace jupyterhub, in an app of its own (the ``chart`` fixture's)."""
    return cdk8s.Chart(cdk8s.Testing.app(), "test", namespace="jupyterhub")


def synth(chart: cdk8s.Chart) -> list[dict[str, Any]]:
    """The chart's manifests, as ``cdk8s synth`` would write them."""
    return list(cdk8s.Testing.synth(chart))


def find(manifests: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    """The one manifest of ``kind`` (named ``name``, if given); fails unless there is one."""
    matches = [
        m
        for m in manifests
        if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)
    ]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def make_jupyterhub(chart: cdk8s.Chart, id: str = "JupyterHub", **props: Any) -> JupyterHub:
    """A ``JupyterHub`` with the test token, header trust and hosts unless ``props`` give them."""
    props.setdefault("proxy_token", TOKEN)
    props.setdefault("header_trust", TRUST)
    props.setdefault("hosts", HOSTS)
    return JupyterHub(chart, id, **props)


def make_bare_hub(chart: cdk8s.Chart, **props: Any) -> HubStatefulSet:
    """A ``HubStatefulSet`` with no proxy yet (one profile unless ``props`` give them)."""
    props.setdefault("proxy_token", TOKEN)
    props.setdefault("header_trust", TRUST)
    props.setdefault("public_hosts", HOSTS)
    if "profiles" not in props:  # made only when needed: a second one would clash by id
        props["profiles"] = [NotebookProfile(chart, "Profile")]
    return HubStatefulSet(chart, "Hub", **props)


def make_hub(
    chart: cdk8s.Chart, proxy: dict[str, Any] | None = None, **props: Any
) -> HubStatefulSet:
    """``make_bare_hub`` with its ``CHProxy`` (made with the props in ``proxy``)."""
    built = make_bare_hub(chart, **props)
    CHProxy(chart, "Proxy", hub=built, **(proxy or {}))
    return built


def value_error(build: Callable[[], object]) -> str:
    """The message of the ``ValueError`` that ``build()`` raises (the test fails if none)."""
    with pytest.raises(ValueError) as error:
        build()
    return str(error.value)


def auth_proxy_ingresses(**props: Any) -> list[dict[str, Any]]:
    """The Ingresses of an ``AuthProxyIngress`` (ingress-nginx asking oauth2-proxy, served on
    the same hosts under the hub's path) in front of a ``JupyterHub`` without a mesh (made
    with ``props``)."""
    from constructs_lib import AuthProxyIngress

    chart = make_chart()
    jupyterhub = make_jupyterhub(chart, mesh=None, **props)
    AuthProxyIngress(chart, "Ingress", proxy=jupyterhub.proxy)
    return [m for m in synth(chart) if m["kind"] == "Ingress"]
