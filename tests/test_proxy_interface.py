"""Constructs ask the proxy (``IProxy``) and never test its class: a later proxy needs no
change to them."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import cdk8s

from constructs_lib import (
    USER_PORT,
    AuthProxyIngress,
    Component,
    Flow,
    HubLimits,
    HubNetworkPolicies,
    HubStatefulSet,
    IngressTarget,
    IProxy,
    IstioIngress,
    IstioSidecar,
    NetworkPeer,
    NotebookProfile,
    ProxyToken,
)
from tests.support.builders import find, synth
from tests.support.constants import HOSTS, TRUST
from tests.support.manifests import ROOT

GATEWAY = NetworkPeer.ISTIO_INGRESS_GATEWAY
PROXY_CLASSES = {"CHProxy", "IstioProxy", "IMeshRoutedProxy"}


class LaterProxy:
    """A proxy of a kind the library does not know: in the data path, on ports of its own."""

    port = 9000
    port_name = "web"
    target_port = 9080
    target_api_port = 9081
    image_pull_secrets: tuple[str, ...] = ()
    routes = None
    route_gateway_name = None

    def __init__(self, chart: cdk8s.Chart, hub: HubStatefulSet) -> None:
        self.hub = hub
        self.release = hub.release
        self.name = "later-proxy"
        self.labels = {"app": "later-proxy"}
        self.service = self._object(chart, "Service")
        self.service_account = self._object(chart, "ServiceAccount")

    def _object(self, chart: cdk8s.Chart, kind: str) -> cdk8s.ApiObject:
        metadata = cdk8s.ApiObjectMetadata(name=self.name)
        return cdk8s.ApiObject(
            chart, f"Later{kind}", api_version="v1", kind=kind, metadata=metadata
        )

    @property
    def ingress_target(self) -> IngressTarget:
        return IngressTarget(self.name, self.port, self.port_name)

    def flows(self) -> tuple[Flow, ...]:
        return (
            Flow(Component.PROXY, Component.HUB, self.hub.port),
            Flow(Component.SINGLEUSER, Component.HUB, self.hub.port),
            Flow(Component.HUB, Component.PROXY, self.target_api_port),
            Flow(Component.PROXY, Component.SINGLEUSER, USER_PORT),
            Flow(Component.HUB, Component.SINGLEUSER, USER_PORT),
        )

    def ingress_flows(self, ingress: NetworkPeer) -> tuple[Flow, ...]:
        return (Flow(ingress, Component.PROXY, self.target_port),)

    def hub_limits(self) -> HubLimits:
        return HubLimits()


def _later(chart: cdk8s.Chart, **hub_props: Any) -> LaterProxy:
    hub = HubStatefulSet(
        chart,
        "Hub",
        header_trust=TRUST,
        public_hosts=HOSTS,
        proxy_token=ProxyToken.from_existing_secret("token"),
        profiles=[NotebookProfile(chart, "Profile")],
        **hub_props,
    )
    return LaterProxy(chart, hub)


def _ports(rules: list[dict[str, Any]]) -> list[int]:
    return [port["port"] for rule in rules for port in rule["ports"]]


def test_a_later_proxy_is_an_iproxy(chart: cdk8s.Chart) -> None:
    assert isinstance(_later(chart), IProxy)


def test_network_policies_admit_the_later_proxys_flows(chart: cdk8s.Chart) -> None:
    proxy = _later(chart)
    HubNetworkPolicies(chart, "NetworkPolicies", proxy=proxy, ingress_from=GATEWAY)
    policy = find(synth(chart), "NetworkPolicy", "jupyterhub-proxy")
    assert policy["spec"]["podSelector"] == {"matchLabels": proxy.labels}
    assert _ports(policy["spec"]["ingress"]) == [9080, 9081]


def test_istio_routes_to_the_later_proxys_target(chart: cdk8s.Chart) -> None:
    proxy = _later(chart, sidecar=IstioSidecar())
    IstioIngress(chart, "Istio", proxy=proxy, ext_authz_provider="oauth2-proxy")
    manifests = synth(chart)
    route = find(manifests, "VirtualService")["spec"]["http"][0]["route"][0]
    assert route["destination"] == {"host": "later-proxy", "port": {"number": 9000}}
    policy = find(manifests, "AuthorizationPolicy", "jupyterhub-proxy")
    ports = [rule["to"][0]["operation"]["ports"] for rule in policy["spec"]["rules"]]
    assert ports == [["9080"], ["9081"]]


def test_ingress_nginx_sends_to_the_later_proxys_target(chart: cdk8s.Chart) -> None:
    AuthProxyIngress(chart, "Ingress", proxy=_later(chart))
    ingress = find(synth(chart), "Ingress", "jupyterhub")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend == {"service": {"name": "later-proxy", "port": {"name": "web"}}}


def _class_tests(path: Path) -> list[str]:
    """Each ``isinstance(x, <proxy class>)`` in the module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance":
            names = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
            if names & PROXY_CLASSES:
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_construct_tests_a_proxys_class() -> None:
    package = ROOT / "constructs_lib"
    # Generated CRD bindings aside: they compare their own class only.
    modules = sorted(p for p in package.rglob("*.py") if "_imports" not in p.parts)
    assert modules
    assert [hit for path in modules for hit in _class_tests(path)] == []
