"""Names, ports and URLs fixed by the release: the hub and the proxy each derive the other's
from here, so neither waits for the other to exist."""

from __future__ import annotations

from constructs import Construct

from constructs_lib._core._errors import invalid
from constructs_lib._core._names import Component, check_dns_label

__all__ = [
    "HUB_PORT",
    "MAX_RELEASE_LENGTH",
    "PROXY_API_PORT",
    "PROXY_METRICS_PORT",
    "PROXY_PORT",
    "PROXY_SERVICE_API_PORT",
    "check_release",
    "component_name",
    "gateway_name",
    "hub_url",
    "proxy_api_url",
]

HUB_PORT = 8081
# configurable-http-proxy's public, API and metrics ports in its container.
PROXY_PORT = 8080
PROXY_API_PORT = 8081
PROXY_METRICS_PORT = 8082
# The proxy Service's API port (z2jh's).
PROXY_SERVICE_API_PORT = 8000


def component_name(release: str, component: Component) -> str:
    """The name of a component's objects (StatefulSet, Service, ServiceAccount...)."""
    return f"{release}-{component.value}"


def hub_url(release: str) -> str:
    """The hub's Service, as the proxy and user servers reach it."""
    return f"http://{component_name(release, Component.HUB)}:{HUB_PORT}"


def proxy_api_url(release: str) -> str:
    """The proxy's API Service, as the hub reaches it."""
    return f"http://{component_name(release, Component.PROXY)}:{PROXY_SERVICE_API_PORT}"


def gateway_name(release: str) -> str:
    """The Istio Gateway of a release: ``IstioIngress`` creates it, and ``IstioProxy`` binds
    the VirtualServices it writes to it."""
    return release


# Services are named <release>-<component> and a Service's name is a DNS label (63 at most);
# "-proxy" is the longest suffix (the Redis route store's "-redis" is as long).
_SERVICE_COMPONENTS = (Component.HUB, Component.PROXY)
MAX_RELEASE_LENGTH = 63 - max(len(component_name("", c)) for c in _SERVICE_COMPONENTS)


def check_release(scope: Construct, release: str) -> str:
    """A DNS label short enough for every Service name derived from it."""
    check_dns_label(scope, "release", release)
    if len(release) > MAX_RELEASE_LENGTH:
        raise invalid(
            scope,
            "release",
            release,
            f"must be at most {MAX_RELEASE_LENGTH} characters (the Service "
            f"{component_name('<release>', Component.PROXY)} must fit a DNS label's 63)",
        )
    return release
