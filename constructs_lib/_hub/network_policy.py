"""NetworkPolicies derived from the components: deny by default, allow exactly the app's flows."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._core._companions import claim_companion
from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived
from constructs_lib._core._errors import invalid
from constructs_lib._core._names import APP_LABEL, Component, check_port
from constructs_lib._core._network_policy_spec import network_policy_spec
from constructs_lib._core._objects import ObjectSpec, api_objects
from constructs_lib._core._placement import chart_namespace
from constructs_lib._core._props import check_arguments
from constructs_lib._core.network_peer import NetworkPeer
from constructs_lib._hub._mesh_choice import scrape_ports
from constructs_lib._hub.egress import (
    API_SERVER_CIDRS,
    API_SERVER_PORTS,
    CLOUD_METADATA,
    egress_rules,
)
from constructs_lib._proxies._flows import Flow
from constructs_lib._proxies._flows import components as flow_components
from constructs_lib._proxies.interfaces import IJupyterHub, IProxy

__all__ = ["Flow", "HubNetworkPolicies", "app_flows", "component_labels", "ingress_flows"]

TELEPRESENCE_LABELS = {"telepresence.io/workloadEnabled": "true"}
# The components whose egress is exactly what they call (user servers call what their users do).
_EGRESS_COMPONENTS = (Component.HUB, Component.PROXY)


def component_labels(proxy: IProxy) -> dict[Component, dict[str, str]]:
    """The selector labels of each component's pods."""
    return {
        Component.HUB: dict(proxy.hub.labels),
        Component.PROXY: dict(proxy.labels),
        Component.SINGLEUSER: dict(proxy.hub.user_pod_labels),
    }


def app_flows(proxy: IProxy) -> tuple[Flow, ...]:
    """Who talks to whom inside the app, as ``proxy`` says (``IProxy.flows``)."""
    return proxy.flows()


def ingress_flows(proxy: IProxy, ingress: NetworkPeer) -> tuple[Flow, ...]:
    """What the ingress in front of the app reaches, as ``proxy`` says
    (``IProxy.ingress_flows``)."""
    return proxy.ingress_flows(ingress)


def resolve_proxy(scope: Construct, proxy: object, jupyterhub: object) -> IProxy:
    """The proxy a construct is given: ``proxy=`` or ``jupyterhub=`` (its ``proxy``)."""
    if (proxy is None) == (jupyterhub is None):
        raise invalid(
            scope,
            "proxy",
            proxy,
            (
                "or jupyterhub is required (an IProxy such as CHProxy, or the JupyterHub "
                "whose proxy that is)"
                if proxy is None
                else "must be given (an IProxy such as CHProxy), or else jupyterhub, not both"
            ),
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


def _check_peer(scope: Construct, field: str, peer: object) -> NetworkPeer:
    """A valid peer that selects some pods: empty selectors would admit every pod of every
    namespace."""
    if not isinstance(peer, NetworkPeer):
        raise invalid(scope, field, peer, "must be a NetworkPeer")
    if peer.check(scope, field).selects_everything:
        raise invalid(
            scope,
            field,
            peer,
            "must select some pods (namespace_labels and pod_labels both empty admit every pod "
            "of every namespace)",
        )
    return peer


def _selector_digest(peer: NetworkPeer) -> str:
    """Eight hex digits of the peer's selectors, the same on every synthesis."""
    selectors = [sorted(peer.namespace_labels.items()), sorted(peer.pod_labels.items())]
    return hashlib.sha256(json.dumps(selectors).encode()).hexdigest()[:8]


def _scraped_by_port(proxy: IProxy, override: int | None) -> dict[int, list[Component]]:
    """The components Prometheus scrapes, by port (``override`` for each, if given)."""
    by_port: dict[int, list[Component]] = defaultdict(list)
    for component, port in scrape_ports(proxy).items():
        by_port[port if override is None else override].append(component)
    return by_port


def _override_port(scope: Construct, port: object) -> int | None:
    """``prometheus_port``, checked: one port for every pod scraped, or ``None`` for each
    pod's own."""
    if port is Derived.FROM_SCRAPE_ANNOTATIONS:
        return None
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise invalid(
            scope,
            "prometheus_port",
            port,
            "must be a TCP port from 1 to 65535, or Derived.FROM_SCRAPE_ANNOTATIONS",
        )
    return port


def _check_cidrs(scope: Construct, field: str, cidrs: object) -> tuple[str, ...]:
    """Some address ranges, each a network in CIDR notation (``10.0.0.1/32``)."""
    if isinstance(cidrs, str) or not isinstance(cidrs, Sequence) or not cidrs:
        raise invalid(scope, field, cidrs, "must be a list of CIDRs, e.g. ['10.0.0.1/32']")
    for index, cidr in enumerate(cidrs):
        _check_cidr(scope, f"{field}[{index}]", cidr)
    return tuple(cidrs)


def _check_cidr(scope: Construct, field: str, cidr: object) -> str:
    """One network in CIDR notation, as a string."""
    if not isinstance(cidr, str):
        raise invalid(scope, field, cidr, "must be a network in CIDR notation (no host bits)")
    try:
        ipaddress.ip_network(cidr)
    except ValueError:
        raise invalid(
            scope, field, cidr, "must be a network in CIDR notation (no host bits)"
        ) from None
    return cidr


def _check_ports(scope: Construct, field: str, ports: object) -> tuple[int, ...]:
    if isinstance(ports, str) or not isinstance(ports, Sequence) or not ports:
        raise invalid(scope, field, ports, "must be a list of TCP ports, e.g. [443, 6443]")
    return tuple(check_port(scope, f"{field}[{index}]", port) for index, port in enumerate(ports))


class HubNetworkPolicies(LibraryConstruct):
    """``default-deny`` for ingress to every pod, then one policy per component admitting
    exactly the flows :func:`app_flows` lists for ``proxy`` (any :class:`IProxy`, or
    ``jupyterhub=`` for its proxy) plus traffic from ``ingress_from`` to the
    proxy's public port (with ``IstioProxy``: to the hub's and the user servers' ports);
    Prometheus scraping the pods on the ports their scrape annotations name, and optionally
    telepresence's agent.

    Egress: the hub's and the proxy's pods reach exactly what they call, derived from the
    same flows as the ingress rules (the proxy's API, the hub, the user servers), the route
    store (Redis), and for the hub the URLs it calls (``outbound_urls``: its login's issuer,
    API or LDAP server, the JWKS, the database), the Kubernetes API server (KubeSpawner, and
    with ``IstioProxy`` its VirtualService writer) and, with a sidecar, istiod (15012) and the
    trace agent (4317, namespace ``otel``). A URL's host outside the cluster is its port on
    every public address (NetworkPolicy names no DNS names: the mesh's ServiceEntry names the
    host); ``<service>.<ns>.svc`` is namespace ``ns`` on that port (the pods' port: a policy
    sees the address after the Service's translation); a short name a pod of the app's
    namespace; an IP address itself. DNS as z2jh's chart allows it: port 53 (UDP and TCP) on
    the pods of ``kube-system``, on private addresses (node-local caches) and on the metadata
    address (GKE's Cloud DNS); nothing else of the metadata address. An existing Redis
    (``RouteStore.redis``) is reached on port 6379 of any pod or private address, its address
    being in its Secret only. Anything else the hub or the proxy must reach (a provider at a
    private address outside the cluster): :meth:`allow_to`. User pods reach anything but the
    cloud metadata address (``block_cloud_metadata``).

    Args:
        proxy: the proxy (any ``IProxy``, with its hub) whose app's flows are admitted; or
        jupyterhub: the composite whose flows (``jupyterhub.flows``) are admitted (give one).
        ingress_from: the pods allowed to reach the proxy's public port (the ingress controller's
            or the gateway's): required, as nothing else should.
        prometheus: the pods allowed to scrape the pods the app annotates for Prometheus, on
            the port each annotation names: the hub's ``/hub/metrics`` (with a mesh through its
            sidecar's merged metrics, 15020, else the hub's port 8081; none with
            ``HubOptions(prometheus_scrape=False)`` or a ``metrics_token``) and the user pods'
            ``prometheus_port`` (under ``JupyterHub`` the mesh's ``metrics_port``; none when
            ``None``). A hub or proxy made without ``JupyterHub`` is read the same way (its own
            ``sidecar`` and ``user_pods``). Default ``NetworkPeer.PROMETHEUS`` (namespace
            ``prometheus``), ``None`` for no allowance.
        prometheus_port: the one port admitted instead, for every pod scraped; default
            ``Derived.FROM_SCRAPE_ANNOTATIONS``, each pod's annotated port.
        telepresence_port: telepresence's traffic agent port to admit (its default is 9900);
            default ``None``, no allowance: only an app that runs telepresence opens it.
        block_cloud_metadata: whether user pods are denied the cloud metadata address (it hands out
            the node's credentials); default ``True``, as z2jh's. The hub and the proxy are
            denied it always (but DNS).
        api_server_cidrs: where the hub (and a proxy with a Role) reaches the Kubernetes API
            server: its control plane's addresses, which no selector names; default every
            address but the cloud metadata (``0.0.0.0/0``, ``::/0``). Narrow it to your API
            server's (``kubectl get endpoints kubernetes -n default``), e.g.
            ``["172.18.0.2/32"]``; until then the hub reaches these ports anywhere.
        api_server_ports: the API server's ports as pods reach them (the ``kubernetes``
            Service's endpoints); default 443 (managed clusters) and 6443 (kubeadm's).
    """

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
        prometheus_port: int | Derived = Derived.FROM_SCRAPE_ANNOTATIONS,
        telepresence_port: int | None = None,
        block_cloud_metadata: bool = True,
        api_server_cidrs: Sequence[str] = API_SERVER_CIDRS,
        api_server_ports: Sequence[int] = API_SERVER_PORTS,
    ) -> None:
        super().__init__(scope, id)
        check_arguments(self, HubNetworkPolicies.__init__, ingress_from=ingress_from)
        chosen = resolve_proxy(self, proxy, jupyterhub)
        _check_peer(self, "ingress_from", ingress_from)
        if prometheus is not None:
            _check_peer(self, "prometheus", prometheus)
        if telepresence_port is not None:
            check_port(self, "telepresence_port", telepresence_port)
        api_cidrs = _check_cidrs(self, "api_server_cidrs", api_server_cidrs)
        api_ports = _check_ports(self, "api_server_ports", api_server_ports)
        claim_companion(self, chosen.hub, field="proxy" if proxy is not None else "jupyterhub")
        release = chosen.release
        labels = {APP_LABEL: release}
        pods = component_labels(chosen)
        flows = (*chosen.flows(), *chosen.ingress_flows(ingress_from))
        self._release = release
        self._labels = labels
        self._pods = pods
        self._flows = list(flows)
        # All made in one call, once known.
        specs: list[ObjectSpec] = []

        def policy(id: str, name: str, selector: dict[str, str], ingress: list[Any]) -> None:
            specs.append(
                network_policy_spec(id, name=name, labels=labels, pods=selector, ingress=ingress)
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
        namespace = chart_namespace(self)
        present = flow_components(flows)
        for component in (c for c in _EGRESS_COMPONENTS if c in present):
            specs.append(
                network_policy_spec(
                    f"{component.value.capitalize()}Egress",
                    name=f"{release}-{component.value}-egress",
                    labels=labels,
                    pods=dict(pods[component]),
                    egress=egress_rules(
                        chosen,
                        component,
                        namespace=namespace,
                        labels=pods,
                        api_server_cidrs=api_cidrs,
                        api_server_ports=api_ports,
                    ),
                )
            )
        if block_cloud_metadata:
            specs.append(
                network_policy_spec(
                    "UserEgress",
                    name=f"{release}-{Component.SINGLEUSER.value}-egress",
                    labels=labels,
                    pods=dict(pods[Component.SINGLEUSER]),
                    egress=[
                        {
                            "to": [
                                {"ipBlock": {"cidr": "0.0.0.0/0", "except": [CLOUD_METADATA[0]]}},
                                {"ipBlock": {"cidr": "::/0", "except": [CLOUD_METADATA[1]]}},
                                # Pods of any namespace: ipBlock need not cover pod addresses.
                                {"namespaceSelector": {}},
                            ]
                        }
                    ],
                )
            )
        if prometheus is not None:
            override = _override_port(self, prometheus_port)
            by_port = _scraped_by_port(chosen, override)
            for port, components in sorted(by_port.items()):
                # One component on the port: its pods; more: every pod, as the sidecars are.
                selector = dict(pods[components[0]]) if len(components) == 1 else {}
                suffix = f"-{port}" if len(by_port) > 1 else ""
                rule = {
                    "from": [prometheus.to_policy_peer()],
                    "ports": [{"protocol": "TCP", "port": port}],
                }
                policy(f"Prometheus{suffix}", f"allow-prometheus{suffix}", selector, [rule])
        if telepresence_port is not None:
            # The agent is reached from the developer's machine through the cluster: any source.
            policy(
                "Telepresence",
                "allow-telepresence",
                dict(TELEPRESENCE_LABELS),
                [{"ports": [{"protocol": "TCP", "port": telepresence_port}]}],
            )
        made = api_objects(self, specs)
        self._policies: dict[str, cdk8s.ApiObject] = {
            s.id: obj for s, obj in zip(specs, made, strict=True)
        }

    @property
    def flows(self) -> tuple[Flow, ...]:
        """Every flow admitted: the app's, the ingress's and those of ``allow_from``."""
        return tuple(self._flows)

    @property
    def policies(self) -> dict[str, cdk8s.ApiObject]:
        """Every NetworkPolicy, by construct id: ``DefaultDeny``, one per component
        (``hub``, ``proxy``, ``singleuser-server``), ``HubEgress``, ``ProxyEgress``,
        ``UserEgress``, ``Prometheus`` (one per
        port scraped, ``Prometheus-<port>``, when the pods are scraped on several),
        ``Telepresence`` (those enabled) and one per ``allow_from`` and ``allow_to``."""
        return dict(self._policies)

    def allow_from(self, peer: NetworkPeer, *, to: Component, port: int) -> cdk8s.ApiObject:
        """Admit the pods of ``peer`` to ``port`` of the ``to`` component's pods (an exporter
        scraping the hub, a backup job calling it): one NetworkPolicy more, named
        ``<release>-<component>-<port>-from-<peer's namespace>-<digest of its selectors>``
        (so two peers of one namespace have two), which it returns.

        ``HubNetworkPolicies(...).allow_from(NetworkPeer.in_namespace("monitoring",
        {"app": "prometheus"}), to=Component.HUB, port=8081)``.
        """
        _check_peer(self, "allow_from.peer", peer)
        if not isinstance(to, Component):
            allowed = ", ".join(f"Component.{c.name}" for c in Component)
            raise invalid(self, "allow_from.to", to, f"must be one of {allowed}")
        check_port(self, "allow_from.port", port)
        flow = Flow(peer, to, port)
        if flow in self._flows:
            raise invalid(self, "allow_from", flow, "is admitted already")
        # The selectors' digest tells apart two peers of one namespace.
        origin = f"{peer.namespace or 'peer'}-{_selector_digest(peer)}"
        name = f"{self._release}-{to.value}-{port}-from-{origin}"
        id = f"AllowFrom-{to.value}-{port}-{origin}"
        policy = api_objects(
            self,
            [
                network_policy_spec(
                    id,
                    name=name,
                    labels=self._labels,
                    pods=dict(self._pods[to]),
                    ingress=[
                        {
                            "from": [peer.to_policy_peer()],
                            "ports": [{"protocol": "TCP", "port": port}],
                        }
                    ],
                )
            ],
        )[0]
        self._flows.append(flow)
        self._policies[id] = policy
        return policy

    def allow_to(
        self, to: NetworkPeer | str, *, port: int, source: Component = Component.HUB
    ) -> cdk8s.ApiObject:
        """Let the pods of ``source`` (the hub's, or the proxy's) reach ``to`` on TCP
        ``port``: the pods of a ``NetworkPeer``, or a CIDR (a provider or database at a
        private address outside the cluster, a service an ``extra_config`` calls, which no
        URL of the hub's names). One NetworkPolicy more, named
        ``<release>-<component>-egress-<port>-to-<digest of the destination>``, which it
        returns.

        ``HubNetworkPolicies(...).allow_to("10.20.0.5/32", port=636)``.
        """
        if source not in _EGRESS_COMPONENTS:
            allowed = " or ".join(f"Component.{c.name}" for c in _EGRESS_COMPONENTS)
            raise invalid(
                self,
                "allow_to.source",
                source,
                f"must be {allowed} (user servers reach anything but the cloud metadata)",
            )
        check_port(self, "allow_to.port", port)
        if isinstance(to, NetworkPeer):
            peer = _check_peer(self, "allow_to.to", to).to_policy_peer()
            digest = _selector_digest(to)
        elif isinstance(to, str):
            cidr = _check_cidr(self, "allow_to.to", to)
            peer = {"ipBlock": {"cidr": cidr}}
            digest = hashlib.sha256(cidr.encode()).hexdigest()[:8]
        else:
            raise invalid(self, "allow_to.to", to, "must be a NetworkPeer or a CIDR")
        name = f"{self._release}-{source.value}-egress-{port}-to-{digest}"
        id = f"AllowTo-{source.value}-{port}-{digest}"
        if id in self._policies:
            raise invalid(self, "allow_to", to, f"is allowed already on port {port}")
        rule = {"to": [peer], "ports": [{"protocol": "TCP", "port": port}]}
        policy = api_objects(
            self,
            [
                network_policy_spec(
                    id, name=name, labels=self._labels, pods=dict(self._pods[source]), egress=[rule]
                )
            ],
        )[0]
        self._policies[id] = policy
        return policy
