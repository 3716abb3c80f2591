"""What the constructs read of each other: a hub and a proxy however they were built.

``CHProxy`` takes any :class:`IHub`; ``AuthProxyIngress``, ``IstioIngress`` and
``HubNetworkPolicies`` take any :class:`IProxy` (which names its hub). ``HubStatefulSet`` and
``CHProxy`` provide them, and so does anything else with these read-only properties.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import cdk8s
from constructs import Construct

from constructs_lib.kubernetes_version import KubernetesVersion
from constructs_lib.proxy_token import ProxyToken

__all__ = ["IHub", "IJupyterHub", "IMeshRoutedProxy", "IProxy"]


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
