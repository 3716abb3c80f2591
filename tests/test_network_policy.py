"""Network policies admit exactly the app's flows; checked by evaluating them."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    CHProxy,
    Component,
    Flow,
    HubNetworkPolicies,
    JupyterHub,
    NetworkPeer,
)
from tests.support.builders import make_jupyterhub, synth
from tests.support.manifests import ROOT, read_manifests
from tests.support.network_policy import NAMESPACE_LABELS, Destination, allowed, egress_allowed

GATEWAY = NetworkPeer.ISTIO_INGRESS_GATEWAY


def _policies(chart: cdk8s.Chart) -> tuple[JupyterHub, HubNetworkPolicies]:
    jupyterhub = make_jupyterhub(chart)
    policies = HubNetworkPolicies(
        chart, "NetworkPolicies", jupyterhub=jupyterhub, ingress_from=GATEWAY
    )
    return jupyterhub, policies


@pytest.fixture
def setup(chart: cdk8s.Chart) -> tuple[JupyterHub, list[dict[str, Any]]]:
    jupyterhub, _ = _policies(chart)
    return jupyterhub, [m for m in synth(chart) if m["kind"] == "NetworkPolicy"]


def test_defaults(chart: cdk8s.Chart, setup: Any, snapshot_yaml: SnapshotAssertion) -> None:
    _, policies = setup
    assert policies == snapshot_yaml


def test_exactly_the_app_flows(setup: tuple[JupyterHub, list[dict[str, Any]]]) -> None:
    jupyterhub, policies = setup
    pods = {c: (NAMESPACE_LABELS, labels) for c, labels in jupyterhub.component_labels.items()}
    gateway = (dict(GATEWAY.namespace_labels), dict(GATEWAY.pod_labels))
    hub, proxy, user = Component.HUB, Component.PROXY, Component.SINGLEUSER
    ports = {hub: [8081, 8080, 8000, 22], proxy: [8080, 8081, 8082], user: [8888, 22]}
    expected = {
        ("gateway", proxy, 8080),
        ("proxy", hub, 8081),
        ("proxy", user, 8888),
        ("hub", proxy, 8081),
        ("hub", user, 8888),
        ("singleuser-server", hub, 8081),
    }
    sources = {"gateway": gateway, **{c.value: pods[c] for c in Component}}
    for source_name, source in sources.items():
        for target, target_ports in ports.items():
            for port in target_ports:
                is_allowed = allowed(policies, source, pods[target][1], port)
                key = (source_name, target, port)
                assert is_allowed == (key in expected), (source_name, target.value, port)


def test_user_servers_cannot_reach_proxy_or_other_hub_ports(
    setup: tuple[JupyterHub, list[dict[str, Any]]],
) -> None:
    jupyterhub, policies = setup
    assert isinstance(jupyterhub.proxy, CHProxy)
    user = (NAMESPACE_LABELS, jupyterhub.hub.user_pod_labels)
    for port in (jupyterhub.proxy.PORT, jupyterhub.proxy.API_PORT, jupyterhub.proxy.METRICS_PORT):
        assert not allowed(policies, user, jupyterhub.proxy.labels, port)
    for port in (22, 8000, 8080, 15000):
        assert not allowed(policies, user, jupyterhub.hub.labels, port)
    assert allowed(policies, user, jupyterhub.hub.labels, 8081)


def test_prometheus_scrapes_sidecars(setup: tuple[JupyterHub, list[dict[str, Any]]]) -> None:
    jupyterhub, policies = setup
    prometheus = (
        dict(NetworkPeer.PROMETHEUS.namespace_labels),
        dict(NetworkPeer.PROMETHEUS.pod_labels),
    )
    assert allowed(policies, prometheus, jupyterhub.hub.labels, 15020)
    assert not allowed(policies, prometheus, jupyterhub.hub.labels, 8081)


def test_without_optional_allowances(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    HubNetworkPolicies(
        chart,
        "NetworkPolicies",
        jupyterhub=jupyterhub,
        ingress_from=GATEWAY,
        prometheus=None,
        telepresence_port=None,
        block_cloud_metadata=False,
    )
    names = [m["metadata"]["name"] for m in synth(chart) if m["kind"] == "NetworkPolicy"]
    assert names == [
        "default-deny",
        "jupyterhub-hub",
        "jupyterhub-proxy",
        "jupyterhub-singleuser-server",
    ]


@pytest.mark.parametrize(
    ("app", "address", "pod", "allowed"),
    [
        (app, address, pod, allowed)
        for app in ("minimal", "dev")
        for address, pod, allowed in [
            ("169.254.169.254", False, False),
            ("fd00:ec2::254", False, False),
            ("8.8.8.8", False, True),
            ("2001:4860:4860::8888", False, True),
            ("10.0.3.7", True, True),
            ("169.254.169.253", False, True),
        ]
    ],
)
def test_user_pods_reach_everything_but_the_cloud_metadata(
    app: str, address: str, pod: bool, allowed: bool
) -> None:
    """The metadata endpoint hands out the node's cloud credentials (z2jh blocks it too)."""
    policies = [m for m in read_manifests(ROOT / "dist" / app) if m["kind"] == "NetworkPolicy"]
    user = {
        "app.kubernetes.io/name": "jupyterhub",
        "app.kubernetes.io/component": "singleuser-server",
    }
    # An in-cluster pod elsewhere: any namespace, any labels.
    to = Destination(address, {"name": "other"}, {"app": "other"}) if pod else Destination(address)
    assert egress_allowed(policies, user, to, 443) is allowed


MONITORING = NetworkPeer.in_namespace("monitoring", {"app": "exporter"})


def test_allow_from_admits_exactly_that_peer_and_port(chart: cdk8s.Chart) -> None:
    jupyterhub, policies = _policies(chart)
    made = policies.allow_from(MONITORING, to=Component.HUB, port=8081)
    assert made.name == "jupyterhub-hub-8081-from-monitoring-02c1ed43"
    assert policies.flows[-1] == Flow(MONITORING, Component.HUB, 8081)
    manifests = [m for m in synth(chart) if m["kind"] == "NetworkPolicy"]
    hub = jupyterhub.component_labels[Component.HUB]
    exporter = (dict(MONITORING.namespace_labels), dict(MONITORING.pod_labels))
    assert allowed(manifests, exporter, hub, 8081)
    assert not allowed(manifests, exporter, hub, 8000)
    assert not allowed(manifests, exporter, jupyterhub.component_labels[Component.PROXY], 8081)
    assert not allowed(manifests, (dict(MONITORING.namespace_labels), {}), hub, 8081)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"peer": "monitoring", "to": Component.HUB, "port": 1},
            "allow_from.peer must be a NetworkPeer, got 'monitoring'",
        ),
        (
            {"peer": MONITORING, "to": "hub", "port": 1},
            "allow_from.to must be one of Component.HUB, Component.PROXY, Component.SINGLEUSER, "
            "got 'hub'",
        ),
        (
            {"peer": MONITORING, "to": Component.HUB, "port": 0},
            "allow_from.port must be a TCP port from 1 to 65535, got 0",
        ),
    ],
)
def test_allow_from_refuses(chart: cdk8s.Chart, args: dict[str, Any], message: str) -> None:
    _, policies = _policies(chart)
    with pytest.raises(ValueError) as error:
        policies.allow_from(args["peer"], to=args["to"], port=args["port"])
    assert str(error.value) == f"test/NetworkPolicies: {message}"


def test_allow_from_refuses_a_flow_admitted_already(chart: cdk8s.Chart) -> None:
    _, policies = _policies(chart)
    policies.allow_from(MONITORING, to=Component.HUB, port=8081)
    with pytest.raises(ValueError, match="allow_from is admitted already"):
        policies.allow_from(MONITORING, to=Component.HUB, port=8081)


def test_egress_evaluation_follows_kubernetes() -> None:
    """The evaluator the egress tests rely on: default-deny once an Egress policy selects the
    pod, rules OR, ipBlock minus except, ports matched with their protocol (TCP by default)."""
    hub = {"app": "hub"}
    policy = {
        "spec": {
            "podSelector": {"matchLabels": hub},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
                    "ports": [{"port": 443}],
                },
                {"to": [{"namespaceSelector": {}}], "ports": [{"port": 53, "protocol": "UDP"}]},
            ],
        }
    }
    outside = Destination("8.8.8.8")
    assert egress_allowed([policy], hub, outside, 443)
    assert not egress_allowed([policy], hub, outside, 80)
    assert not egress_allowed([policy], hub, Destination("10.1.2.3"), 443)
    dns = Destination("10.96.0.10", {"name": "kube-system"}, {"k8s-app": "kube-dns"})
    assert egress_allowed([policy], hub, dns, 53, "UDP")
    assert not egress_allowed([policy], hub, dns, 53, "TCP")
    assert not egress_allowed([policy], hub, outside, 53, "UDP")
    assert egress_allowed([policy], {"app": "other"}, outside, 80)
    # An Egress-only policy does not isolate the pod for ingress.
    assert allowed([policy], (NAMESPACE_LABELS, {}), hub, 8081)


@pytest.mark.parametrize("component", ["user-placeholder", "continuous-image-puller"])
def test_pause_pods_send_and_receive_nothing(component: str) -> None:
    """dev runs placeholders and the image puller: their pods call nothing (pulls are the
    kubelet's) and serve nothing, while an unselected pod still reaches the same places."""
    manifests = read_manifests(ROOT / "dist" / "dev")
    assert any(
        m["kind"] in ("Deployment", "DaemonSet")
        and m["metadata"]["labels"].get("app.kubernetes.io/component") == component
        for m in manifests
    )
    policies = [m for m in manifests if m["kind"] == "NetworkPolicy"]
    pause = {"app.kubernetes.io/name": "jupyterhub", "app.kubernetes.io/component": component}
    dns = Destination("10.96.0.10", {"name": "kube-system"}, {"k8s-app": "kube-dns"})
    for to, port, protocol in ((Destination("8.8.8.8"), 443, "TCP"), (dns, 53, "UDP")):
        assert not egress_allowed(policies, pause, to, port, protocol)
        assert egress_allowed(policies, {"app": "other"}, to, port, protocol)
    peer = ({"name": "jupyterhub"}, {"app.kubernetes.io/name": "jupyterhub"})
    assert not allowed(policies, peer, pause, 8080)


def _policy(spec: dict[str, Any], namespace: str = "jupyterhub") -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": namespace}, "spec": spec}


OTHER_NAMESPACE = {"kubernetes.io/metadata.name": "elsewhere"}


def test_empty_from_and_ports_admit_everything_as_the_api_documents() -> None:
    """``from: []`` and ``ports: []`` are "empty or missing": every source, every port."""
    policy = _policy({"podSelector": {}, "ingress": [{"from": [], "ports": []}]})
    assert allowed([policy], (OTHER_NAMESPACE, {}), {"a": "b"}, 1234)
    isolated = _policy({"podSelector": {}, "ingress": []})
    assert not allowed([isolated], (NAMESPACE_LABELS, {}), {"a": "b"}, 1234)


def test_selectors_apply_match_expressions() -> None:
    policy = _policy(
        {
            "podSelector": {
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["db"]}]
            },
            "ingress": [
                {
                    "from": [
                        {
                            "podSelector": {
                                "matchExpressions": [
                                    {"key": "role", "operator": "NotIn", "values": ["user"]},
                                    {"key": "blocked", "operator": "DoesNotExist"},
                                ]
                            }
                        }
                    ]
                }
            ],
        }
    )
    db = {"tier": "db"}
    assert allowed([policy], (NAMESPACE_LABELS, {"role": "hub"}), db, 5432)
    assert allowed([policy], (NAMESPACE_LABELS, {}), db, 5432)  # NotIn: the key absent
    assert not allowed([policy], (NAMESPACE_LABELS, {"role": "user"}), db, 5432)
    assert not allowed([policy], (NAMESPACE_LABELS, {"blocked": ""}), db, 5432)
    # The policy selects only tier=db; another pod is not isolated by it.
    assert allowed([policy], (NAMESPACE_LABELS, {"role": "user"}), {"tier": "web"}, 80)


def test_a_pod_selector_alone_means_the_policys_own_namespace() -> None:
    policy = _policy({"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]})
    assert allowed([policy], (NAMESPACE_LABELS, {}), {}, 80)
    assert not allowed([policy], (OTHER_NAMESPACE, {}), {}, 80)
    # A namespace's name label is the API server's, so a selector on it finds the namespace.
    by_name = _policy(
        {
            "podSelector": {},
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "jupyterhub"}
                            }
                        }
                    ]
                }
            ],
        }
    )
    assert allowed([by_name], (NAMESPACE_LABELS, {}), {}, 80)


def test_an_ip_block_peer_admits_no_pod_of_the_namespace() -> None:
    policy = _policy(
        {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}
    )
    assert not allowed([policy], (NAMESPACE_LABELS, {}), {}, 80)


def test_a_named_port_is_the_target_pods_port_of_that_name() -> None:
    policy = _policy({"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]})
    assert allowed([policy], (NAMESPACE_LABELS, {}), {}, 8000, named_ports={"http": 8000})
    assert not allowed([policy], (NAMESPACE_LABELS, {}), {}, 8001, named_ports={"http": 8000})
    with pytest.raises(LookupError):
        allowed([policy], (NAMESPACE_LABELS, {}), {}, 8000)


def test_a_policy_of_another_namespace_does_not_isolate_these_pods() -> None:
    policy = _policy({"podSelector": {}, "ingress": []}, namespace="elsewhere")
    assert allowed([policy], (NAMESPACE_LABELS, {}), {}, 80)
