"""What the constructs read of each other: a hub and a proxy however they were built.

``CHProxy`` and ``IstioProxy`` take any :class:`IHub`; the ingresses and
``HubNetworkPolicies`` take any :class:`IProxy` (which names its hub) and ask it what they
need (its flows, where requests go, where its routes live), never which class it is.
``HubStatefulSet``, ``CHProxy`` and ``IstioProxy`` provide them, and so does anything else
with these members.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import cdk8s
from constructs import Construct

from constructs_lib._core._derived import Derived
from constructs_lib._core.kubernetes_version import KubernetesVersion
from constructs_lib._core.network_peer import NetworkPeer
from constructs_lib._core.proxy_token import ProxyToken
from constructs_lib._proxies._flows import Flow, IngressTarget
from hub_runtime.frozen import frozen

if TYPE_CHECKING:
    from constructs_lib._proxies.routes import RouteStore

__all__ = [
    "HubLimits",
    "IHub",
    "IJupyterHub",
    "IProxy",
    "IngressTarget",
    "VirtualServiceRoutes",
    "removed_name",
]

# Names that were public, and what replaced each.
_REMOVED = {
    "IMeshRoutedProxy": "IProxy: a proxy with no ingress_target writes its routes for the "
    "Gateway its route_gateway_name names",
    "DEFAULT_ISTIO_PROXY_IMAGE": "nothing: IstioProxy runs no image (the hub writes the "
    "VirtualServices itself)",
}


def removed_name(module: str, name: str) -> Exception:
    """The error for ``module.name``: for a removed name, an ImportError naming what replaced
    it (``from module import name`` shows an AttributeError's text as "cannot import name"
    only), else the usual AttributeError."""
    if name in _REMOVED:
        return ImportError(f"{module}.{name} was removed; use {_REMOVED[name]}")
    return AttributeError(f"module {module!r} has no attribute {name!r}")


def __getattr__(name: str) -> object:
    raise removed_name(__name__, name)


@frozen(kw_only=True)
class VirtualServiceRoutes:
    """The hub writes each of its routes as an Istio VirtualService in its namespace, bound to
    its release's Gateway (``IstioProxy``), instead of calling a proxy's API; its Role grants
    the VirtualService verbs it calls.

    Fields:
        name_prefix: the prefix of the VirtualServices' names and route annotation; default
            ``Derived.FROM_RELEASE``, the hub's release.
        cluster_domain: the cluster's DNS domain (a route's target Service is
            ``<service>.<namespace>.svc.<cluster domain>``); default ``cluster.local``.
    """

    name_prefix: str | Derived = Derived.FROM_RELEASE
    cluster_domain: str = "cluster.local"


@frozen(kw_only=True)
class HubLimits:
    """What a proxy asks of the hub that calls it: the hub resolves its settings against this,
    and refuses an option the proxy cannot serve (never lowering it silently).

    Fields:
        max_named_servers: the most named servers per user the proxy routes correctly;
            default ``None``, no limit (configurable-http-proxy picks the longest prefix).
        why: why the proxy limits them, for the error that refuses more.
        proxy_class: the hub's API client for this proxy (JupyterHub's ``proxy_class``);
            default ``None``, the hub runtime's own client for configurable-http-proxy's API.
        activity_interval_seconds: how often the hub polls the proxy's routes and re-adds
            lost ones; default 60 s (z2jh's): a proxy restarted with its routes in memory
            has them back within it.
        hub_env: environment variables the hub's container needs for ``proxy_class`` (e.g.
            where the route store is); default none.
        hub_packages: Python packages ``proxy_class`` needs that z2jh's hub image lacks; the
            hub then refuses that image; default none.
        hub_extra: the extra of pyproject.toml with those packages, which the Dockerfile
            installs with ``--build-arg HUB_EXTRAS=<extra>``; default none.
        virtual_services: the hub writes its routes as VirtualServices itself (and calls
            no proxy API); default ``None``.
    """

    max_named_servers: int | None = None
    why: str = ""
    proxy_class: str | None = None
    # The poll is the hub's only repair of routes lost with a proxy in its own pod (JupyterHub
    # watches only a proxy it started: ConfigurableHTTPProxy.check_running); each costs the
    # hub CPU per running server, so z2jh's 60 s, not a shorter one (docs/guide/scale.md).
    activity_interval_seconds: int = 60
    hub_env: tuple[Mapping[str, Any], ...] = ()
    hub_packages: tuple[str, ...] = ()
    hub_extra: str = ""
    virtual_services: VirtualServiceRoutes | None = None


@runtime_checkable
class IHub(Protocol):
    """A JupyterHub hub: its Service, identity and who its users are."""

    @property
    def release(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def labels(self) -> dict[str, str]: ...
    @property
    def port(self) -> int: ...
    @property
    def url(self) -> str: ...
    @property
    def service(self) -> cdk8s.ApiObject: ...
    @property
    def service_account(self) -> cdk8s.ApiObject: ...
    @property
    def proxy_token(self) -> ProxyToken: ...
    @property
    def kubernetes_version(self) -> KubernetesVersion: ...
    @property
    def user_header(self) -> str:
        """The header the hub reads the user name from (ingresses pass it on)."""
        ...

    @property
    def public_hosts(self) -> tuple[str, ...]: ...
    @property
    def user_hosts(self) -> str | None:
        """The DNS wildcard of the user servers' own hosts; ``None``: paths on the hub's."""
        ...

    @property
    def user_pod_labels(self) -> dict[str, str]: ...
    @property
    def user_service_account_name(self) -> str:
        """The ServiceAccount user pods run as."""
        ...

    @property
    def outbound_urls(self) -> tuple[str, ...]: ...
    def ingress_hosts(self, scope: Construct, hosts: Sequence[str] | Derived) -> tuple[str, ...]:
        """The hosts an ingress in front of the hub serves (``Derived.FROM_HUB``: all public
        hosts)."""
        ...


@runtime_checkable
class IProxy(Protocol):
    """A proxy API for ``hub`` (the one the hub's settings name): its Service and pods, and
    how requests reach the hub and user servers through it.

    Two kinds exist: one in the data path (``CHProxy``: every request goes through its public
    port, ``ingress_target``) and routes written for an Istio Gateway (``IstioProxy``: no
    ``ingress_target``, a ``route_gateway_name``; the hub writes them, so its pods, Service
    and account are the hub's and no flow names the proxy). Constructs ask these members, so
    a later proxy needs no change to them."""

    @property
    def hub(self) -> IHub: ...
    @property
    def release(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def labels(self) -> dict[str, str]: ...
    @property
    def service(self) -> cdk8s.ApiObject: ...
    @property
    def service_account(self) -> cdk8s.ApiObject: ...
    @property
    def port(self) -> int:
        """The Service's first port: the public one, or the API's for a proxy with none."""
        ...

    @property
    def port_name(self) -> str: ...
    @property
    def target_port(self) -> int:
        """The pods' port behind ``port`` (what NetworkPolicies and mesh rules admit)."""
        ...

    @property
    def target_api_port(self) -> int:
        """The pods' API port (the hub calls it)."""
        ...

    @property
    def image_pull_secrets(self) -> tuple[str, ...]:
        """The Secrets its pods pull images with."""
        ...

    def hub_limits(self) -> HubLimits:
        """What this proxy asks of its hub (named servers, API client, polling)."""
        ...

    @property
    def ingress_target(self) -> IngressTarget | None:
        """Where an ingress, Gateway or route in front of the app sends every request;
        ``None`` when the proxy is outside the data path (the gateway then follows the routes
        it writes, ``route_gateway_name``)."""
        ...

    @property
    def routes(self) -> RouteStore | None:
        """Where it keeps its routes (``RouteStore``: in memory, or a Redis the app may
        deploy); ``None`` when they are objects of the cluster (VirtualServices)."""
        ...

    @property
    def route_gateway_name(self) -> str | None:
        """The Istio Gateway (in the proxy's namespace) its routes are written for, one
        VirtualService per route; ``None`` when it keeps its routes itself."""
        ...

    def flows(self) -> tuple[Flow, ...]:
        """Who talks to whom inside the app with this proxy."""
        ...

    def ingress_flows(self, ingress: NetworkPeer) -> tuple[Flow, ...]:
        """What the pods of ``ingress`` (the ingress controller or gateway) must reach."""
        ...


@runtime_checkable
class IJupyterHub(Protocol):
    """A hub and its proxy together (``JupyterHub`` is one)."""

    @property
    def hub(self) -> IHub: ...
    @property
    def proxy(self) -> IProxy: ...
