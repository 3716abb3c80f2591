"""What the constructs read of each other: a hub and a proxy however they were built.

``CHProxy`` takes any :class:`IHub`; ``AuthProxyIngress``, ``IstioIngress`` and
``HubNetworkPolicies`` take any :class:`IProxy` (which names its hub). ``HubStatefulSet`` and
``CHProxy`` provide them, and so does anything else with these read-only properties.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import cdk8s
from constructs import Construct

from constructs_lib.kubernetes_version import KubernetesVersion
from constructs_lib.proxy_token import ProxyToken

__all__ = ["HubLimits", "IHub", "IJupyterHub", "IMeshRoutedProxy", "IProxy"]


@dataclass(frozen=True, kw_only=True)
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
            lost ones; default 10 s, for routes lost when the proxy restarts (in memory).
    """

    max_named_servers: int | None = None
    why: str = ""
    proxy_class: str | None = None
    # Routes in memory are lost with the proxy: a short poll bounds how long they stay lost.
    activity_interval_seconds: int = 10


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
    def user_pod_labels(self) -> dict[str, str]: ...
    @property
    def user_service_account_name(self) -> str:
        """The ServiceAccount user pods run as."""
        ...

    @property
    def outbound_urls(self) -> tuple[str, ...]: ...
    def ingress_hosts(self, scope: Construct, hosts: Sequence[str] | None) -> tuple[str, ...]:
        """The hosts an ingress in front of the hub serves (``None``: all public hosts)."""
        ...


@runtime_checkable
class IProxy(Protocol):
    """A configurable-http-proxy in front of ``hub``: its Service and pods."""

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
        """The Service's public port."""
        ...

    @property
    def port_name(self) -> str: ...
    @property
    def target_port(self) -> int:
        """The pods' public port (what NetworkPolicies and mesh rules admit)."""
        ...

    @property
    def target_api_port(self) -> int:
        """The pods' API port (the hub calls it)."""
        ...

    def hub_limits(self) -> HubLimits:
        """What this proxy asks of its hub (named servers, API client, polling)."""
        ...


@runtime_checkable
class IMeshRoutedProxy(IProxy, Protocol):
    """A proxy outside the data path (``IstioProxy``): it serves only the API the hub calls and
    writes each route as a VirtualService bound to the Gateway ``gateway_name``, so the ingress
    gateway reaches the hub and user servers itself. Its ``port`` and ``target_port`` are its
    API's; the ingress and policy constructs check for this protocol first."""

    @property
    def gateway_name(self) -> str:
        """The Gateway (in the proxy's namespace) its VirtualServices are bound to."""
        ...


@runtime_checkable
class IJupyterHub(Protocol):
    """A hub and its proxy together (``JupyterHub`` is one)."""

    @property
    def hub(self) -> IHub: ...
    @property
    def proxy(self) -> IProxy: ...
