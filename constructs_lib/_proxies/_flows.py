"""The traffic an app needs, as each kind of proxy describes it (``IProxy.flows``)."""

from __future__ import annotations

from constructs_lib._core._names import Component
from constructs_lib._core.network_peer import NetworkPeer
from constructs_lib._pods.user_pods import USER_PORT
from hub_runtime.frozen import frozen

__all__ = [
    "Flow",
    "IngressTarget",
    "components",
    "hub_written_flows",
    "in_path_flows",
    "route_writer_ingress_flows",
]


@frozen
class Flow:
    """Traffic the app needs: from a component (or outside peer) to a component's port."""

    source: Component | NetworkPeer
    target: Component
    port: int


@frozen
class IngressTarget:
    """Where an ingress, Gateway or route sends every request: a Service's port by number
    and by name (backends name one or the other)."""

    service_name: str
    port: int
    port_name: str


def in_path_flows(hub_port: int, proxy_api_port: int) -> tuple[Flow, ...]:
    """A proxy in the data path (configurable-http-proxy): it forwards to the hub and user
    servers, the hub drives its API and calls user servers, user servers call the hub's API."""
    return (
        Flow(Component.PROXY, Component.HUB, hub_port),
        Flow(Component.SINGLEUSER, Component.HUB, hub_port),
        Flow(Component.HUB, Component.PROXY, proxy_api_port),
        Flow(Component.PROXY, Component.SINGLEUSER, USER_PORT),
        Flow(Component.HUB, Component.SINGLEUSER, USER_PORT),
    )


def route_writer_ingress_flows(ingress: NetworkPeer, hub_port: int) -> tuple[Flow, ...]:
    """What the gateway in front of routes written for it (no proxy in the data path)
    reaches: the hub and user servers."""
    return (
        Flow(ingress, Component.HUB, hub_port),
        Flow(ingress, Component.SINGLEUSER, USER_PORT),
    )


def hub_written_flows(hub_port: int) -> tuple[Flow, ...]:
    """Routes the hub writes itself (VirtualServices): no proxy at all; user servers call the
    hub's API and the hub calls them."""
    return (
        Flow(Component.SINGLEUSER, Component.HUB, hub_port),
        Flow(Component.HUB, Component.SINGLEUSER, USER_PORT),
    )


def components(flows: tuple[Flow, ...]) -> set[Component]:
    """The components with pods of their own: those a flow names (a proxy whose routes the
    hub writes has none, so no policy selects its pods)."""
    named = {flow.target for flow in flows}
    return named | {flow.source for flow in flows if isinstance(flow.source, Component)}
