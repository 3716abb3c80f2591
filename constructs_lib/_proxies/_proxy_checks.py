"""What holds for every proxy, whatever its kind."""

from __future__ import annotations

from constructs import Construct

from constructs_lib._core._errors import invalid
from constructs_lib._core._placement import chart_namespace, others_in_app
from constructs_lib._proxies._flows import IngressTarget
from constructs_lib._proxies.interfaces import IHub, IProxy

__all__ = ["check_hub", "check_one_proxy", "ingress_target"]


def check_hub(proxy: Construct, hub: object) -> IHub:
    """``hub``, if it is one."""
    if not isinstance(hub, IHub):
        raise invalid(proxy, "hub", hub, "must be a hub (an IHub, e.g. HubStatefulSet)")
    return hub


def check_one_proxy(proxy: Construct, hub: IHub) -> None:
    """A release has one proxy per namespace: the one the hub's settings name (every kind
    serves the same API URL)."""
    namespace = chart_namespace(proxy)
    for other in others_in_app(proxy, Construct, hub.release):
        if isinstance(other, IProxy) and chart_namespace(other) == namespace:
            raise invalid(
                proxy,
                "hub",
                hub.node.path if isinstance(hub, Construct) else hub.release,
                f"already has the proxy {other.node.path} (a release has one proxy per namespace)",
            )


def ingress_target(scope: Construct | str, proxy: IProxy) -> IngressTarget:
    """Where an ingress in front of ``proxy`` sends requests; a clear error for a proxy that
    carries none (its routes are written for an Istio Gateway)."""
    target = proxy.ingress_target
    if target is not None:
        return target
    where = proxy.node.path if isinstance(proxy, Construct) else proxy.name
    reason = (
        "must carry the requests (have an ingress_target, as CHProxy): its routes are written "
        f"for the Istio Gateway {proxy.route_gateway_name!r}, use IstioIngress"
    )
    if isinstance(scope, str):
        raise ValueError(f"{scope}: proxy {reason}, got {where!r}")
    raise invalid(scope, "proxy", where, reason)
