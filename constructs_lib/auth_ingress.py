"""Kubernetes Ingresses that put an external auth proxy (oauth2-proxy) before the hub."""

from __future__ import annotations

import re
from collections.abc import Sequence

import cdk8s
from constructs import Construct

from constructs_lib._errors import invalid
from constructs_lib._names import APP_LABEL, Component, check_dns_subdomain
from constructs_lib._objects import api_object
from constructs_lib.network_peer import NetworkPeer
from constructs_lib.proxy import CHProxy

__all__ = ["HUB_PATH", "INGRESS_NGINX_CONTROLLER", "AuthProxyIngress", "check_hosts"]

# ingress-nginx's external-auth annotations.
_NGINX = "nginx.ingress.kubernetes.io"
_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"(\*\.)?{_LABEL}(\.{_LABEL})*")
# JupyterHub serves the hub, and its login, under /hub/ (base_url /); user servers are under
# /user/ and hub services under /services/.
HUB_PATH = "/hub"
# The controller pods of the ingress-nginx Helm chart, in its namespace (the namespace's
# name label is set by Kubernetes itself).
INGRESS_NGINX_CONTROLLER = NetworkPeer(
    {"kubernetes.io/metadata.name": "ingress-nginx"},
    {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
    namespace="ingress-nginx")


def check_hosts(scope: Construct, field: str, hosts: Sequence[str]) -> tuple[str, ...]:
    """A non-empty list of distinct DNS host names (a leading ``*.`` wildcard allowed)."""
    if isinstance(hosts, str) or not hosts:
        raise invalid(scope, field, hosts, "must be a non-empty list of host names")
    seen: set[str] = set()
    for index, host in enumerate(hosts):
        if not isinstance(host, str) or len(host) > 253 or not _HOST.fullmatch(host):
            raise invalid(scope, f"{field}[{index}]", host,
                          "must be a lower-case DNS host name such as 'hub.example.org'")
        if host in seen:
            raise invalid(scope, f"{field}[{index}]", host, "must not repeat another host")
        seen.add(host)
    return tuple(hosts)


class AuthProxyIngress(Construct):
    """Routes ``hosts`` to the proxy's public port through ingress-nginx, with every request
    first checked by an oauth2-proxy served on the same hosts under ``/oauth2``.

    Two Ingresses, because ingress-nginx copies the auth proxy's response headers onto every
    request of an Ingress, whatever its path: ``hub_ingress`` (``/hub``) passes
    ``auth_response_headers`` (``X-Auth-Request-User`` and ``Authorization``, the ID token
    the hub checks) to the hub; ``ingress`` (``/``: user servers and everything else, the
    default child) passes none of them, so a user server never receives a visitor's
    credentials. On the hub's paths a client's own copies of those headers are replaced
    (or dropped, when the auth proxy sends none). ingress-nginx has no annotation that drops a
    request header on the other paths (only ``configuration-snippet``, which is off by
    default since controller 1.9), so copies a client sends there reach its own request's
    target; the hub logs no one in from them without the ID token's proof.

    ``controller`` is the ingress controller's pods, for NetworkPolicies
    (``HubNetworkPolicies(ingress_from=ingress.controller)``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        proxy: CHProxy,
        hosts: Sequence[str],
        ingress_class: str = "nginx",
        tls_secret: str | None = None,
        auth_url: str = "https://$host/oauth2/auth",
        auth_signin: str = "https://$host/oauth2/start?rd=$escaped_request_uri",
        auth_response_headers: Sequence[str] = ("X-Auth-Request-User", "Authorization"),
        controller: NetworkPeer = INGRESS_NGINX_CONTROLLER,
    ) -> None:
        super().__init__(scope, id)
        self.hosts = check_hosts(self, "hosts", hosts)
        check_dns_subdomain(self, "ingress_class", ingress_class)
        if tls_secret is not None:
            check_dns_subdomain(self, "tls_secret", tls_secret)
        if not auth_response_headers:
            raise invalid(self, "auth_response_headers", auth_response_headers,
                          "must name the headers the hub needs")
        self.tls_secret = tls_secret
        self.controller = controller
        self.auth_response_headers = tuple(auth_response_headers)
        backend = {"service": {"name": proxy.service.name, "port": {"name": proxy.port_name}}}
        auth = {f"{_NGINX}/auth-url": auth_url, f"{_NGINX}/auth-signin": auth_signin}

        def ingress(construct_id: str, name: str, path: str,
                    annotations: dict[str, str]) -> cdk8s.ApiObject:
            return api_object(
                self, construct_id, api_version="networking.k8s.io/v1", kind="Ingress",
                name=name, labels={APP_LABEL: proxy.release}, annotations=annotations,
                spec={
                    "ingressClassName": ingress_class,
                    "tls": [{"hosts": list(self.hosts), "secretName": tls_secret}]
                    if tls_secret else None,
                    "rules": [
                        {"host": host, "http": {"paths": [
                            {"path": path, "pathType": "Prefix", "backend": backend},
                        ]}}
                        for host in self.hosts
                    ],
                },
            )

        self.ingress = ingress("Resource", proxy.release, "/", auth)
        self.hub_ingress = ingress(
            "Hub", f"{proxy.release}-{Component.HUB.value}", HUB_PATH,
            {**auth, f"{_NGINX}/auth-response-headers": ",".join(auth_response_headers)})
