"""IstioProxy: the hub writes its routes as Istio VirtualServices, with no proxy in the data
path and no proxy process at all.

Each route the hub adds (its own ``/`` included) becomes a VirtualService bound to the
release's Istio Gateway (``hub_runtime.virtual_services``), so the ingress gateway sends
requests to the hub and to user servers itself. The objects keep the shape
splunk/jupyterhub-istio-proxy v0.3.0 gave them, which this construct deployed before (that
project is archived): a hub that replaces it lists and deletes the routes it wrote.
"""

from __future__ import annotations

from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived
from constructs_lib._core._endpoints import gateway_name
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._placement import join_app
from constructs_lib._core._props import merge_props, removed
from constructs_lib._core.network_peer import NetworkPeer
from constructs_lib._proxies._flows import Flow, hub_written_flows, route_writer_ingress_flows
from constructs_lib._proxies._proxy_checks import check_hub, check_one_proxy
from constructs_lib._proxies.interfaces import HubLimits, IHub, VirtualServiceRoutes
from hub_runtime.frozen import frozen

__all__ = ["IstioProxy", "IstioProxyOptions"]

# Routes are VirtualServices: they outlive a hub restart, so the hub need not poll them often.
_ROUTES_POLL_SECONDS = 60
# What the options of jupyterhub-istio-proxy's Deployment became: the hub writes the routes.
_NO_PROXY_POD = "the hub writes the VirtualServices itself: there is no proxy pod"
_REMOVED = {
    "image": _NO_PROXY_POD,
    "image_pull_policy": _NO_PROXY_POD,
    "image_pull_secrets": _NO_PROXY_POD,
    "replicas": _NO_PROXY_POD,
    "resources": _NO_PROXY_POD + " (size the hub: HubOptions(resources=...))",
    "probes": _NO_PROXY_POD,
    "pre_stop_seconds": _NO_PROXY_POD,
    "sidecar": _NO_PROXY_POD,
    "dns_ndots": _NO_PROXY_POD,
    "host": "a path route's hosts are the hub's public_hosts (JupyterHub(hosts=...)), a "
    "user's route's its own host under user_hosts",
    "wait_for_warmup": "the hub redirects a request that reaches it before the route is live",
}


@removed(**_REMOVED)
@frozen(kw_only=True)
class IstioProxyOptions:
    """Every option of ``IstioProxy`` but its hub; ``JupyterHub(proxy_options=...)`` with this
    value makes the hub write its routes as VirtualServices instead of deploying
    configurable-http-proxy.

    Fields:
        virtual_service_prefix: the prefix of the VirtualServices' names and route
            annotation; default ``Derived.FROM_RELEASE``: the hub's release (the value this
            construct gave jupyterhub-istio-proxy's ``VIRTUAL_SERVICE_PREFIX``, so a hub that
            replaces it finds its routes).
        cluster_domain: the cluster's DNS domain; default ``cluster.local``.
    """

    # VirtualServices "<release>-<sha256 of the route>".
    virtual_service_prefix: str | Derived = Derived.FROM_RELEASE
    cluster_domain: str = "cluster.local"

    def make_proxy(self, scope: Construct, id: str, hub: IHub) -> IstioProxy:
        """The ``IstioProxy`` these options configure, for ``hub``."""
        return IstioProxy(scope, id, hub=hub, options=self)

    def hub_limits(self) -> HubLimits:
        """The routes written by the hub as VirtualServices (each user's in one, longest
        path first, so named servers are served), and a slow poll of the routes."""
        return HubLimits(
            activity_interval_seconds=_ROUTES_POLL_SECONDS,
            virtual_services=VirtualServiceRoutes(
                name_prefix=self.virtual_service_prefix, cluster_domain=self.cluster_domain
            ),
        )


class IstioProxy(LibraryConstruct):
    """The proxy of ``hub`` when the hub writes its routes as Istio VirtualServices itself.

    It creates no object: the hub (``HubOptions``' settings from ``hub_limits()``) writes one
    VirtualService per route in its namespace, bound to the release's Gateway (which
    ``IstioIngress`` creates), with the VirtualService verbs in its own Role. A route on the
    hub's paths matches the hub's public hosts; with ``user_hosts`` a user's route matches
    that user's own host. Its pods, account and Service (``IProxy``'s members) are the hub's.

    Needs Istio, ``IstioIngress`` for the Gateway, and user servers behind per-user Services
    (``UserPods(per_user_service=True)``, the default): a route's destination is
    ``<target host>.<namespace>.svc.<cluster domain>``, which a pod IP is not.

    Args:
        hub: the hub that writes the routes (with this proxy's ``hub_limits()``).
        options: every other option, as one value (see :class:`IstioProxyOptions` for each
            field); its fields may also be given as keyword props, which replace them.
    """

    hub = Handle[IHub]("The hub, which writes the routes.")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        hub: IHub,
        options: IstioProxyOptions = IstioProxyOptions(),
        **props: Any,
    ) -> None:
        super().__init__(scope, id)
        check_hub(self, hub)
        options = merge_props(self, options, props, IstioProxyOptions)
        self.options = options
        _check_hub_settings(self, hub)
        user_pods = getattr(hub, "user_pods", None)
        if user_pods is not None and not getattr(user_pods, "per_user_service", True):
            raise invalid(
                self,
                "hub",
                hub.node.path if isinstance(hub, Construct) else hub.release,
                "must give user servers per-user Services (UserPods(per_user_service=True)): "
                "a route goes to <target host>.<namespace>.svc.<cluster domain>, which a pod "
                "IP is not",
            )

        # The release's one proxy, a part of the hub's app.
        check_one_proxy(self, hub)
        join_app(self, hub.release)
        self.hub = hub
        self.release = hub.release
        self.gateway_name = gateway_name(hub.release)
        # IProxy's members: the routes are written by the hub's pods, as its account.
        self.name, self.labels = hub.name, dict(hub.labels)
        self.port_name = self.api_port_name = "http"
        self.port = self.target_port = self.target_api_port = hub.port
        # Routes are VirtualServices: nothing for the app to deploy (HubResourceQuota reads it).
        self.routes = None
        self.image_pull_secrets: tuple[str, ...] = ()

    @property
    def service(self) -> cdk8s.ApiObject:
        """The hub's Service (no proxy has one)."""
        return self.hub.service

    @property
    def service_account(self) -> cdk8s.ApiObject:
        """The hub's ServiceAccount, which writes the VirtualServices."""
        return self.hub.service_account

    @property
    def ingress_target(self) -> None:
        """None: no request goes through a proxy; the gateway follows the routes."""
        return None

    @property
    def route_gateway_name(self) -> str:
        """The release's Gateway (``IstioIngress``'s), which the VirtualServices name."""
        return self.gateway_name

    def flows(self) -> tuple[Flow, ...]:
        """No proxy: user servers call the hub's API, the hub calls them."""
        return hub_written_flows(self.hub.port)

    def ingress_flows(self, ingress: NetworkPeer) -> tuple[Flow, ...]:
        """The gateway reaches the hub and user servers through the routes."""
        return route_writer_ingress_flows(ingress, self.hub.port)

    def hub_limits(self) -> HubLimits:
        """What this proxy asks of its hub (:meth:`IstioProxyOptions.hub_limits`)."""
        return self.options.hub_limits()


def _check_hub_settings(scope: Construct, hub: IHub) -> None:
    """A hub whose settings this construct can read (``HubStatefulSet``) must write its
    routes as VirtualServices (``JupyterHub`` has it do so)."""
    settings = getattr(hub, "settings", None)
    if settings is None:
        return
    where = hub.node.path if isinstance(hub, Construct) else hub.release
    if settings.virtual_services is None:
        raise invalid(
            scope,
            "hub",
            where,
            "must write its routes as VirtualServices: HubStatefulSet(proxy_limits="
            "IstioProxyOptions(...).hub_limits())",
        )
