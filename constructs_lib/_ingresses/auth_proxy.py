"""The external auth proxy (oauth2-proxy) the edge asks about the hub's requests: where it is
served and the path of its cookies, for the Ingresses, the mesh policy and its own flags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from constructs_lib._hub.hub import HUB_PATH_PREFIX
from hub_runtime.frozen import frozen

__all__ = ["AUTH_COOKIE_PATH", "AUTH_PROXY_FLAGS", "AUTH_PROXY_PREFIX", "HUB_PATH", "AuthProxy"]

# JupyterHub serves the hub, and its login, under /hub/ (base_url /); user servers are under
# /user/ and hub services under /services/.
HUB_PATH = HUB_PATH_PREFIX.rstrip("/")
# oauth2-proxy's cookies (session and CSRF) carry this path, so a browser sends them with
# the hub's requests only (/hub and /hub/…), never to a user server: a server's owner
# cannot record a visitor's session and present it at the edge.
AUTH_COOKIE_PATH = HUB_PATH
# Where oauth2-proxy serves its sign-in, callback and auth check: under the cookies' path,
# so its CSRF cookie reaches its callback.
AUTH_PROXY_PREFIX = f"{HUB_PATH}/oauth2"
# The flags that put oauth2-proxy there (with the rest docs/guide/deploying.md lists).
AUTH_PROXY_FLAGS = (f"--proxy-prefix={AUTH_PROXY_PREFIX}", f"--cookie-path={AUTH_COOKIE_PATH}")


@frozen
class AuthProxy:
    """oauth2-proxy's Service in the app's namespace, as an Ingress reaches it, and its pods
    (for NetworkPolicies). Run it with ``AUTH_PROXY_FLAGS``. The defaults are those of
    oauth2-proxy's Helm chart 10.7.0 installed as release ``oauth2-proxy`` (the deploy guide).

    Args:
        service: its Service; default ``oauth2-proxy`` (the chart names it after the release).
        port: the Service's port; default 80, the chart's ``service.portNumber``.
        target_port: the pods' port behind it, which a NetworkPolicy admits; default 4180,
            the chart's container port (``--http-address=0.0.0.0:4180``).
        pod_labels: labels its pods carry; default those of oauth2-proxy's Helm chart.
    """

    service: str = "oauth2-proxy"
    port: int = 80
    target_port: int = 4180
    pod_labels: Mapping[str, str] = field(
        default_factory=lambda: {"app.kubernetes.io/name": "oauth2-proxy"}
    )
    prefix: str = field(default=AUTH_PROXY_PREFIX, init=False)
    cookie_path: str = field(default=AUTH_COOKIE_PATH, init=False)

    def endpoint(self, name: str) -> str:
        """The URL of one of its endpoints (``auth``, ``start``…) on the request's host, as
        ingress-nginx annotations name it."""
        return f"https://$host{self.prefix}/{name}"
