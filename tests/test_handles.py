"""Every object a construct makes is reachable by a named handle of that construct."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator, Mapping
from typing import Any

import cdk8s
import pytest
from constructs import IConstruct

from apps import APPS
from constructs_lib import (
    CHProxy,
    Component,
    GatewayApiIngress,
    GatewayRef,
    HubNetworkPolicies,
    HubStatefulSet,
    IstioIngress,
    IstioProxyOptions,
    JupyterHub,
    KubernetesVersion,
    NetworkPeer,
    NotebookProfile,
    ProxyToken,
    RedisRouteStore,
    VaultDelivery,
    VaultSecret,
)
from constructs_lib._core._handles import Handle
from tests.support.constants import HOSTS, TRUST


def _objects_in(value: Any) -> Iterator[cdk8s.ApiObject]:
    """The objects a handle's value holds: itself, a collection's items, a record's fields."""
    if isinstance(value, cdk8s.ApiObject):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _objects_in(item)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _objects_in(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _objects_in(getattr(value, field.name))


def _handled(construct: IConstruct) -> set[str]:
    """The paths of the objects the construct's read-only members (properties, handles)
    return; a plain attribute would let a caller replace what the construct made."""
    names = {name for name in dir(type(construct)) if not name.startswith("_")} - {"node"}
    return {
        obj.node.path
        for name in names
        if isinstance(inspect.getattr_static(type(construct), name), property | Handle)
        for obj in _objects_in(getattr(construct, name, None))
    }


def _unhandled(root: IConstruct) -> list[str]:
    """Each object made by a construct of this library that none of its handles returns."""
    missing: list[str] = []
    for construct in root.node.find_all():
        if isinstance(construct, cdk8s.ApiObject | cdk8s.Chart | cdk8s.App):
            continue
        if not type(construct).__module__.startswith("constructs_lib"):
            continue
        handled = _handled(construct)
        missing.extend(
            f"{type(construct).__name__} {construct.node.path}: {child.kind}"
            for child in construct.node.children
            if isinstance(child, cdk8s.ApiObject) and child.node.path not in handled
        )
    return missing


def _jupyterhub(chart: cdk8s.Chart, **props: Any) -> JupyterHub:
    return JupyterHub(
        chart,
        "JupyterHub",
        header_trust=TRUST,
        hosts=HOSTS,
        proxy_token=ProxyToken.from_existing_secret("token"),
        **props,
    )


@pytest.mark.parametrize("name", sorted(APPS))
def test_every_object_of_the_apps_has_a_handle(name: str, tmp_path: Any) -> None:
    built = APPS[name](str(tmp_path), KubernetesVersion.DEFAULT, None)
    assert _unhandled(built.app) == []


def test_every_object_of_each_construct_has_a_handle(chart: cdk8s.Chart) -> None:
    """The constructs the apps do not make, or make only one way, one by one."""
    routes = RedisRouteStore(chart, "Routes")
    token = VaultSecret(chart, "Token", delivery=VaultDelivery.KUSTOMIZE_GENERATOR)
    profile = NotebookProfile(chart, "Profile", display_name="Standard", default=True)
    hub = HubStatefulSet(
        chart,
        "Hub",
        proxy_token=token,
        header_trust=TRUST,
        profiles=[profile],
        public_hosts=HOSTS,
    )
    proxy = CHProxy(chart, "Proxy", hub=hub, routes=routes, image="registry.example.org/p:1")
    GatewayApiIngress(
        chart,
        "Route",
        proxy=proxy,
        gateway=GatewayRef("public", "gateways"),
        route_namespace="gateways",
    )
    policies = HubNetworkPolicies(
        chart, "NetworkPolicies", proxy=proxy, ingress_from=NetworkPeer.PROMETHEUS
    )
    policies.allow_from(NetworkPeer.ISTIO_INGRESS_GATEWAY, to=Component.HUB, port=8081)
    hub.add_profile(NotebookProfile(chart, "Large", display_name="Large"))
    assert _unhandled(chart) == []


def test_every_object_with_istio_proxy_has_a_handle(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart, proxy_options=IstioProxyOptions())
    istio = IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    assert istio.virtual_service is None and istio.user_header_filter is not None
    assert _unhandled(chart) == []


def test_istio_gateway_is_the_gateway(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    istio = IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    assert istio.gateway.kind == "Gateway"
    assert istio.hub_policies.sidecar.kind == "Sidecar"
    assert istio.user_policies.authorization_policy.name == "jupyterhub-singleuser-server"
    with pytest.raises(AttributeError):
        istio.gateway = istio.hub_access_log  # type: ignore[misc]


def test_a_handle_is_set_once(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    with pytest.raises(AttributeError) as error:
        jupyterhub.hub.service = jupyterhub.user_service_account
    assert str(error.value).startswith("HubStatefulSet.service is read-only")
    assert "The hub's ClusterIP Service." in (HubStatefulSet.service.__doc__ or "")
