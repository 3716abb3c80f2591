"""Input Kubernetes would refuse, or that would silently mean something else, is a
``ValueError`` naming the construct and the field."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest

from constructs_lib import (
    AuthProxyIngress,
    Component,
    HubNetworkPolicies,
    HubOptions,
    HubResourceQuota,
    IstioIngress,
    NetworkPeer,
    ProxyToken,
    VaultSecret,
)
from tests.support.builders import make_hub, make_jupyterhub, synth, value_error

GATEWAY = NetworkPeer.ISTIO_INGRESS_GATEWAY


def _policies(chart: cdk8s.Chart, **props: Any) -> HubNetworkPolicies:
    return HubNetworkPolicies(
        chart, "NetworkPolicies", jupyterhub=make_jupyterhub(chart), ingress_from=GATEWAY, **props
    )


def test_allow_from_refuses_a_peer_that_selects_everything(chart: cdk8s.Chart) -> None:
    policies = _policies(chart)
    everyone = NetworkPeer(namespace_labels={}, pod_labels={})
    assert value_error(lambda: policies.allow_from(everyone, to=Component.HUB, port=8081)) == (
        "test/NetworkPolicies: allow_from.peer must select some pods (namespace_labels and "
        "pod_labels both empty admit every pod of every namespace), got "
        f"{everyone!r}"
    )


@pytest.mark.parametrize(
    ("peer", "message"),
    [
        (
            NetworkPeer.in_namespace("Bad NS", {"app": "x"}),
            "allow_from.peer.namespace must be a DNS label",
        ),
        (
            NetworkPeer.in_namespace("monitoring", {"a b": "c"}),
            "allow_from.peer.pod_labels must be a label key",
        ),
        (
            NetworkPeer.in_namespace("monitoring", {"app": "c d"}),
            "allow_from.peer.pod_labels['app'] must be a label value",
        ),
    ],
)
def test_allow_from_refuses_a_peer_kubernetes_would(
    chart: cdk8s.Chart, peer: NetworkPeer, message: str
) -> None:
    policies = _policies(chart)
    error = value_error(lambda: policies.allow_from(peer, to=Component.HUB, port=8081))
    assert error.startswith(f"test/NetworkPolicies: {message}")


def test_ingress_from_is_checked(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    bad = NetworkPeer.in_namespace("Bad NS", {"app": "x"})
    error = value_error(
        lambda: HubNetworkPolicies(chart, "Policies", jupyterhub=jupyterhub, ingress_from=bad)
    )
    assert error.startswith("test/Policies: ingress_from.namespace must be a DNS label")


def test_two_peers_of_one_namespace_are_both_admitted(chart: cdk8s.Chart) -> None:
    policies = _policies(chart)
    prom = NetworkPeer.in_namespace("monitoring", {"app": "prom"})
    other = NetworkPeer.in_namespace("monitoring", {"app": "other"})
    first = policies.allow_from(prom, to=Component.HUB, port=8081)
    second = policies.allow_from(other, to=Component.HUB, port=8081)
    assert first.name != second.name
    assert first.name.startswith("jupyterhub-hub-8081-from-monitoring-")
    names = [m["metadata"]["name"] for m in synth(chart) if m["kind"] == "NetworkPolicy"]
    assert {first.name, second.name} <= set(names)


@pytest.mark.parametrize("name", [None, "Bad Name", "", "a..b"])
def test_from_existing_secret_refuses_a_bad_name(name: object) -> None:
    error = value_error(lambda: ProxyToken.from_existing_secret(name))  # type: ignore[arg-type]
    assert error == (
        "ProxyToken.from_existing_secret: name must be a Secret's name, a DNS subdomain "
        f"(dot-separated DNS labels, at most 253 characters), got {name!r}"
    )


def test_release_too_long_for_its_service_names(chart: cdk8s.Chart) -> None:
    release = "a" * 58
    assert value_error(lambda: make_jupyterhub(chart, release=release)) == (
        "test/JupyterHub: release must be at most 57 characters (the Service <release>-proxy "
        f"must fit a DNS label's 63), got {release!r}"
    )


def test_longest_release_fits_every_service_name(chart: cdk8s.Chart) -> None:
    make_jupyterhub(chart, release="a" * 57)
    services = [m["metadata"]["name"] for m in synth(chart) if m["kind"] == "Service"]
    assert services and max(len(name) for name in services) == 63


def test_telepresence_port_is_a_port(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: _policies(chart, telepresence_port=0)) == (
        "test/NetworkPolicies: telepresence_port must be a TCP port from 1 to 65535, got 0"
    )


def test_storage_size_is_more_than_nothing(chart: cdk8s.Chart) -> None:
    options = HubOptions(storage_size="0")
    assert value_error(lambda: make_hub(chart, options=options)) == (
        "test/Hub: storage_size must be more than 0 bytes, got '0'"
    )


@pytest.mark.parametrize("ndots", [-3, 16])
def test_dns_ndots_is_what_the_resolver_reads(chart: cdk8s.Chart, ndots: object) -> None:
    options = HubOptions(dns_ndots=ndots)  # type: ignore[arg-type]
    assert value_error(lambda: make_hub(chart, options=options)) == (
        f"test/Hub: dns_ndots must be a whole number from 0 to 15, or None, got {ndots!r}"
    )


@pytest.mark.parametrize("key", ["limits.cpuu", "count", "requests.gpu", "Pods"])
def test_quota_refuses_a_resource_kubernetes_does_not_know(chart: cdk8s.Chart, key: str) -> None:
    jupyterhub = make_jupyterhub(chart)
    error = value_error(
        lambda: HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub, overrides={key: "4"})
    )
    assert error.startswith("test/Quota: overrides must have keys naming quota resources")
    assert error.endswith(f"got {key!r}")


@pytest.mark.parametrize(
    "key",
    [
        "pods",
        "services.nodeports",
        "requests.ephemeral-storage",
        "hugepages-2Mi",
        "requests.hugepages-1Gi",
        "count/deployments.apps",
        "count/secrets",
        "requests.nvidia.com/gpu",
        "gold.storageclass.storage.k8s.io/requests.storage",
    ],
)
def test_quota_takes_the_resources_kubernetes_knows(chart: cdk8s.Chart, key: str) -> None:
    jupyterhub = make_jupyterhub(chart)
    quota = HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub, overrides={key: "4"})
    assert quota.hard[key] == "4"


def test_secret_variable_key_is_a_secret_key(chart: cdk8s.Chart) -> None:
    hub = make_hub(chart)
    assert value_error(lambda: hub.env.add_secret_variable("S2", secret="s", key="bad key")) == (
        "test/Hub: env['S2'].key must be a Secret key: 1-253 letters, digits, '-', '_' or '.' "
        "(not '.' or '..'), got 'bad key'"
    )


def test_vault_secret_key_is_a_secret_key(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: VaultSecret(chart, "V", key="bad key")) == (
        "test/V: key must be a Secret key: 1-253 letters, digits, '-', '_' or '.' "
        "(not '.' or '..'), got 'bad key'"
    )


def test_ingress_controller_peer_is_checked(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    bad = NetworkPeer.in_namespace("ingress-nginx", {"a b": "c"})
    error = value_error(
        lambda: AuthProxyIngress(chart, "Ingress", proxy=jupyterhub.proxy, controller=bad)
    )
    assert error.startswith("test/Ingress: controller.pod_labels must be a label key")


def test_istio_gateway_pods_are_checked(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    bad = NetworkPeer.in_namespace("Edge", {"app": "edge-gw"})
    error = value_error(
        lambda: IstioIngress(chart, "Istio", jupyterhub=jupyterhub, gateway_pods=bad)
    )
    assert error.startswith("test/Istio: gateway_pods.namespace must be a DNS label")
