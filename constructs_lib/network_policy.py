"""NetworkPolicies derived from the components: deny by default, allow exactly the app's flows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._errors import invalid
from constructs_lib._handles import Handle
from constructs_lib._names import APP_LABEL, Component
from constructs_lib._objects import ObjectSpec, api_objects, object_spec
from constructs_lib._placement import others_in_app
from constructs_lib.header_trust import refuse_unenforced
from constructs_lib.interfaces import IJupyterHub, IMeshRoutedProxy, IProxy
from constructs_lib.network_peer import NetworkPeer
from constructs_lib.user_pods import USER_PORT

__all__ = ["Flow", "HubNetworkPolicies", "app_flows", "component_labels", "ingress_flows"]

TELEPRESENCE_LABELS = {"telepresence.io/workloadEnabled": "true"}
# Cloud instance metadata (AWS, GCP, Azure, OpenStack; AWS's IPv6 address): it hands out the
# node's credentials, so user pods get no route to it (as z2jh's default).
CLOUD_METADATA = ("169.254.169.254/32", "fd00:ec2::254/128")


@dataclass(frozen=True)
class Flow:
    """Traffic the app needs: from a component (or outside peer) to a component's port."""

    source: Component | NetworkPeer
    target: Component
    port: int


def component_labels(proxy: IProxy) -> dict[Component, dict[str, str]]:
    """The selector labels of each component's pods."""
    return {
        Component.HUB: dict(proxy.hub.labels),
        Component.PROXY: dict(proxy.labels),
        Component.SINGLEUSER: dict(proxy.hub.user_pod_labels),
    }


def app_flows(proxy: IProxy) -> tuple[Flow, ...]:
    """Who talks to whom inside the app: the proxy forwards to the hub and user servers,
    the hub drives the proxy's API and calls user servers, user servers call the hub API."""
    hub = proxy.hub
    if isinstance(proxy, IMeshRoutedProxy):
        # No proxy in the data path: the ingress gateway reaches the hub and user servers
        # itself (ingress_flows), and the proxy only answers the hub's API calls.
        return (
            Flow(Component.SINGLEUSER, Component.HUB, hub.port),
            Flow(Component.HUB, Component.PROXY, proxy.target_api_port),
            Flow(Component.HUB, Component.SINGLEUSER, USER_PORT),
        )
    return (
        Flow(Component.PROXY, Component.HUB, hub.port),
        Flow(Component.SINGLEUSER, Component.HUB, hub.port),
        Flow(Component.HUB, Component.PROXY, proxy.target_api_port),
        Flow(Component.PROXY, Component.SINGLEUSER, USER_PORT),
        Flow(Component.HUB, Component.SINGLEUSER, USER_PORT),
    )


def ingress_flows(proxy: IProxy, ingress: NetworkPeer) -> tuple[Flow, ...]:
    """What the ingress in front of the app reaches: the proxy's public port, or, for a proxy
    outside the data path, the hub and user servers through the VirtualServices it writes."""
    if isinstance(proxy, IMeshRoutedProxy):
        return (
            Flow(ingress, Component.HUB, proxy.hub.port),
            Flow(ingress, Component.SINGLEUSER, USER_PORT),
        )
    return (Flow(ingress, Component.PROXY, proxy.target_port),)


def resolve_proxy(scope: Construct, proxy: object, jupyterhub: object) -> IProxy:
    """The proxy a construct is given: ``proxy=`` or ``jupyterhub=`` (its ``proxy``)."""
    if (proxy is None) == (jupyterhub is None):
        raise invalid(
            scope,
            "proxy",
            proxy,
            "must be given (an IProxy such as CHProxy), or else jupyterhub, not both",
        )
    chosen = proxy if proxy is not None else getattr(jupyterhub, "proxy", None)
    if not isinstance(chosen, IProxy):
        field, value = ("proxy", proxy) if proxy is not None else ("jupyterhub", jupyterhub)
        raise invalid(
            scope,
            field,
            value,
            "must be a proxy (an IProxy such as CHProxy)"
            if field == "proxy"
            else "must have a proxy (an IProxy such as CHProxy), as JupyterHub has",
        )
    return chosen


class HubNetworkPolicies(Construct):
    """``default-deny`` for ingress to every pod, then one policy per component admitting
    exactly the flows :func:`app_flows` lists for ``proxy`` (any :class:`IProxy`, or
    ``jupyterhub=`` for its proxy) plus traffic from ``ingress_from`` to the
    proxy's public port (with ``IstioProxy``: to the hub's and the user servers' ports);
    optionally Prometheus scraping the sidecars and telepresence's agent.

    Egress: user pods reach anything but the cloud metadata address (``block_cloud_metadata``);
    hub and proxy egress is left to the Istio Sidecars (REGISTRY_ONLY) where there is a mesh.

    Args:
        proxy: the proxy (any ``IProxy``, with its hub) whose app's flows are admitted; or
        jupyterhub: the composite whose flows (``jupyterhub.flows``) are admitted (give one).
        ingress_from: the pods allowed to reach the proxy's public port (the ingress controller's
            or the gateway's): required, as nothing else should.
        prometheus: the pods allowed to scrape the sidecars; default ``NetworkPeer.PROMETHEUS``
            (namespace ``prometheus``), ``None`` for no allowance.
        prometheus_port: the port scraped; default 15020, the Istio sidecar's merged metrics.
        telepresence_port: telepresence's traffic agent port to admit; default 9900, ``None`` for
            no allowance.
        block_cloud_metadata: whether user pods are denied the cloud metadata address (it hands out
            the node's credentials); default ``True``, as z2jh's.
    """

    policies = Handle[dict[str, cdk8s.ApiObject]]("The NetworkPolicies, by construct id.")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        ingress_from: NetworkPeer,
        proxy: IProxy | None = None,
        # The same as proxy=jupyterhub.proxy.
        jupyterhub: IJupyterHub | None = None,
        prometheus: NetworkPeer | None = NetworkPeer.PROMETHEUS,
        # The Istio sidecar's merged metrics port.
        prometheus_port: int = 15020,
        telepresence_port: int | None = 9900,
        block_cloud_metadata: bool = True,
    ) -> None:
        super().__init__(scope, id)
        chosen = resolve_proxy(self, proxy, jupyterhub)
        release = chosen.release
        if not any(
            getattr(edge, "enforces_user_header", lambda _: False)(chosen)
            for edge in others_in_app(self, Construct, release)
        ):
            refuse_unenforced(
                self,
                chosen.hub,
                "NetworkPolicies admit user servers (which need the hub's API) to every path "
                "of the hub's port, and no IstioIngress with ext_authz_provider for this proxy "
                "was made before them",
            )
        labels = {APP_LABEL: release}
        pods = component_labels(chosen)
        flows = (*app_flows(chosen), *ingress_flows(chosen, ingress_from))
        self.flows = flows
        # All made in one call, once known.
        specs: list[ObjectSpec] = []

        def policy(id: str, name: str, selector: dict[str, str], ingress: list[Any]) -> None:
            specs.append(
                object_spec(
                    id,
                    api_version="networking.k8s.io/v1",
                    kind="NetworkPolicy",
                    name=name,
                    labels=labels,
                    spec={
                        "podSelector": {"matchLabels": selector} if selector else {},
                        "policyTypes": ["Ingress"],
                        "ingress": ingress or None,
                    },
                )
            )

        policy("DefaultDeny", "default-deny", {}, [])
        by_target: dict[Component, dict[int, list[dict[str, Any]]]] = defaultdict(dict)
        for flow in flows:
            peer = (
                flow.source.to_policy_peer()
                if isinstance(flow.source, NetworkPeer)
                else {"podSelector": {"matchLabels": dict(pods[flow.source])}}
            )
            by_target[flow.target].setdefault(flow.port, []).append(peer)
        for component in Component:
            rules = [
                {"from": peers, "ports": [{"protocol": "TCP", "port": port}]}
                for port, peers in sorted(by_target[component].items())
            ]
            if rules:
                policy(
                    component.value, f"{release}-{component.value}", dict(pods[component]), rules
                )
        if block_cloud_metadata:
            specs.append(
                object_spec(
                    "UserEgress",
                    api_version="networking.k8s.io/v1",
                    kind="NetworkPolicy",
                    name=f"{release}-{Component.SINGLEUSER.value}-egress",
                    labels=labels,
                    spec={
                        "podSelector": {"matchLabels": dict(pods[Component.SINGLEUSER])},
                        "policyTypes": ["Egress"],
                        "egress": [
                            {
                                "to": [
                                    {
                                        "ipBlock": {
                                            "cidr": "0.0.0.0/0",
                                            "except": [CLOUD_METADATA[0]],
                                        }
                                    },
                                    {"ipBlock": {"cidr": "::/0", "except": [CLOUD_METADATA[1]]}},
                                    # Pods of any namespace: ipBlock need not cover pod addresses.
                                    {"namespaceSelector": {}},
                                ]
                            }
                        ],
                    },
                )
            )
        if prometheus is not None:
            policy(
                "Prometheus",
                "allow-prometheus",
                {},
                [
                    {
                        "from": [prometheus.to_policy_peer()],
                        "ports": [{"protocol": "TCP", "port": prometheus_port}],
                    }
                ],
            )
        if telepresence_port is not None:
            # The agent is reached from the developer's machine through the cluster: any source.
            policy(
                "Telepresence",
                "allow-telepresence",
                dict(TELEPRESENCE_LABELS),
                [{"ports": [{"protocol": "TCP", "port": telepresence_port}]}],
            )
        made = api_objects(self, specs)
        self.policies = {s.id: obj for s, obj in zip(specs, made, strict=True)}
