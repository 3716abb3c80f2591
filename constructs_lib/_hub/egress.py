"""What the hub's and the proxy's pods may call: NetworkPolicy egress rules derived from the
model the ingress rules come from (the proxy's flows), the URLs the hub calls (its login's
provider, the JWKS, the database), the route store, DNS, the Kubernetes API server and, with
an Istio sidecar, the mesh's control plane. Nothing else: not the cloud metadata address (but
its DNS port, as z2jh's chart allows).

NetworkPolicy names pods and address ranges, never DNS names: a provider outside the cluster
is its port on every non-private address (the mesh's ServiceEntry names the host itself)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from constructs_lib._core._names import Component
from constructs_lib._core._objects import name_of
from constructs_lib._core._outbound import MESH_CONTROL_PLANE, PRIVATE_NETWORKS, Outbound, outbound
from constructs_lib._core.network_peer import NAMESPACE_NAME_LABEL
from constructs_lib._proxies.interfaces import IProxy

__all__ = [
    "API_SERVER_CIDRS",
    "API_SERVER_PORTS",
    "CLOUD_METADATA",
    "DNS_PORT",
    "calls_api_server",
    "egress_rules",
    "has_sidecar",
    "public_peers",
    "url_rules",
]

# Cloud instance metadata (AWS, GCP, Azure, OpenStack; AWS's IPv6 address): it hands out the
# node's credentials, so no pod of the app gets a route to it (z2jh's default for user pods).
CLOUD_METADATA = ("169.254.169.254/32", "fd00:ec2::254/128")
DNS_PORT = 53
# The API server as pods reach it: the `kubernetes` Service's endpoints (a NetworkPolicy sees
# the address after the Service's translation), the control plane's host addresses, which no
# selector names. 443 on managed clusters (EKS, GKE, AKS), 6443 kubeadm's.
API_SERVER_PORTS = (443, 6443)
_EVERYWHERE = ("0.0.0.0/0", "::/0")
# Every address until narrowed (``api_server_cidrs``): no chart knows a cluster's.
API_SERVER_CIDRS = _EVERYWHERE


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in sorted(set(ports))]


def _within(cidr: str, excluded: Sequence[str]) -> dict[str, Any]:
    """An ipBlock of ``cidr`` without the ``excluded`` networks inside it."""
    network = ipaddress.ip_network(cidr)
    nets = [ipaddress.ip_network(e) for e in excluded]
    same = [e for e in nets if e.version == network.version]
    # Those inside the block, but not inside another excluded one (fc00::/7 holds AWS's).
    inside = [
        str(e)
        for e in same
        if e != network
        and e.subnet_of(network)  # type: ignore[arg-type]
        and not any(o != e and e.subnet_of(o) for o in same)  # type: ignore[arg-type]
    ]
    return {"ipBlock": {"cidr": cidr, **({"except": inside} if inside else {})}}


def public_peers() -> list[dict[str, Any]]:
    """Every non-private address but the cloud metadata's: where a provider on the internet
    is (z2jh's ``nonPrivateIPs`` rule, _helpers-netpol.tpl, with IPv6 beside it)."""
    return [_within(cidr, (*PRIVATE_NETWORKS, *CLOUD_METADATA)) for cidr in _EVERYWHERE]


def _dns_rule() -> dict[str, Any]:
    """DNS, as z2jh's chart allows it (_helpers-netpol.tpl, ``dnsPortsCloudMetadataServer``,
    ``dnsPortsKubeSystemNamespace``, ``dnsPortsPrivateIPs``, all on by default): no chart can
    tell which server a cluster's pods resolve with, so port 53 on the kube-dns/CoreDNS pods
    of kube-system, on private addresses (a node-local DNS cache) and on the metadata address
    (GKE's Cloud DNS answers there; port 53 only, not its credentials)."""
    return {
        "to": [
            {"ipBlock": {"cidr": CLOUD_METADATA[0]}},
            {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "kube-system"}}},
            *({"ipBlock": {"cidr": cidr}} for cidr in PRIVATE_NETWORKS),
        ],
        "ports": [{"protocol": protocol, "port": DNS_PORT} for protocol in ("UDP", "TCP")],
    }


def calls_api_server(proxy: IProxy, component: Component) -> bool:
    """The hub (KubeSpawner, and with ``IstioProxy`` its VirtualService writer) calls the
    Kubernetes API; a proxy's pods where it has a Role."""
    if component is Component.HUB:
        return True
    return getattr(proxy, "role", None) is not None


def has_sidecar(proxy: IProxy, component: Component) -> bool:
    """Whether the component's pods run Istio's sidecar (as ``scrape_ports`` reads it)."""
    if component is Component.HUB:
        return getattr(proxy.hub, "sidecar", None) is not None
    return getattr(getattr(proxy, "options", None), "sidecar", None) is not None


def _url_peers(target: Outbound, namespace: str | None) -> list[dict[str, Any]]:
    """Where a URL's host is, as NetworkPolicy peers: a Service of the pod's namespace (any of
    its pods: the URL names the Service, not its pods' labels), of another namespace (its
    pods), an address (itself), or a host outside the cluster (every public address)."""
    if target.in_cluster:
        if target.namespace in (None, namespace):
            return [{"podSelector": {}}]
        return [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: target.namespace}}}]
    if target.address is not None:
        return [{"ipBlock": {"cidr": f"{target.address}/{target.address.max_prefixlen}"}}]
    return public_peers()


def _app_services(proxy: IProxy) -> set[str]:
    """The app's own Services, which the flows cover (by the pods' ports, not the Services')."""
    return {name_of(proxy.hub.service), name_of(proxy.service)}


def url_rules(proxy: IProxy, namespace: str | None, urls: Sequence[str]) -> list[dict[str, Any]]:
    """One rule per destination and port for ``urls`` (the hub's ``outbound_urls``) but the
    app's own Services. In the cluster a URL's port must be the pods' (a NetworkPolicy sees the
    address after the Service's translation)."""
    own = _app_services(proxy)
    rules: list[dict[str, Any]] = []
    for url in urls:
        target = outbound(url, namespace)
        if target.in_cluster and target.namespace in (None, namespace) and target.service in own:
            continue
        rule = {"to": _url_peers(target, namespace), "ports": _tcp(target.port)}
        if rule not in rules:
            rules.append(rule)
    return rules


def egress_rules(
    proxy: IProxy,
    component: Component,
    *,
    namespace: str | None,
    labels: dict[Component, dict[str, str]],
    api_server_cidrs: Sequence[str],
    api_server_ports: Sequence[int],
) -> list[dict[str, Any]]:
    """Every egress rule of ``component``'s pods (the hub or the proxy)."""
    rules: list[dict[str, Any]] = []
    by_target: dict[tuple[Component, int], None] = {}
    for flow in proxy.flows():
        if flow.source is component:
            by_target[(flow.target, flow.port)] = None
    for target, port in sorted(by_target, key=lambda key: (key[0].value, key[1])):
        rules.append(
            {"to": [{"podSelector": {"matchLabels": dict(labels[target])}}], "ports": _tcp(port)}
        )
    routes = proxy.routes
    if routes is not None:
        rules.extend(routes.client_egress(labels[component]))
    if component is Component.HUB:
        rules.extend(url_rules(proxy, namespace, proxy.hub.outbound_urls))
    if calls_api_server(proxy, component):
        rules.append(
            {
                "to": [_within(cidr, CLOUD_METADATA) for cidr in api_server_cidrs],
                "ports": _tcp(*api_server_ports),
            }
        )
    if has_sidecar(proxy, component):
        for destination in MESH_CONTROL_PLANE:
            peer: dict[str, Any] = {
                "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: destination.namespace}}
            }
            if destination.pod_labels is not None:
                peer["podSelector"] = {"matchLabels": dict(destination.pod_labels)}
            rules.append({"to": [peer], "ports": _tcp(*destination.ports)})
    rules.append(_dns_rule())
    return rules
