"""Kubernetes Ingresses that put an external auth proxy (oauth2-proxy) before the hub."""

from __future__ import annotations

from collections.abc import Sequence

import cdk8s
from constructs import Construct

from constructs_lib._errors import invalid
from constructs_lib._names import APP_LABEL, Component, check_dns_subdomain
from constructs_lib._objects import api_object, name_of
from constructs_lib.hub import HUB_PATH_PREFIX
from constructs_lib.interfaces import IProxy
from constructs_lib.network_peer import NetworkPeer

__all__ = ["HUB_PATH", "INGRESS_NGINX_CONTROLLER", "AuthProxyIngress"]

# ingress-nginx's external-auth annotations.
_NGINX = "nginx.ingress.kubernetes.io"
# JupyterHub serves the hub, and its login, under /hub/ (base_url /); user servers are under
# /user/ and hub services under /services/. (An ingress-nginx Prefix path matches whole
# path elements: "/hub" matches /hub and /hub/…, not /hubx.)
HUB_PATH = HUB_PATH_PREFIX.rstrip("/")
# The controller pods of the ingress-nginx Helm chart, in its namespace (the namespace's
# name label is set by Kubernetes itself).
INGRESS_NGINX_CONTROLLER = NetworkPeer.in_namespace(
    "ingress-nginx",
    {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
)


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

    Args:
        proxy: the proxy whose public port both Ingresses send to.
        hosts: the hosts served; default ``None``, the hub's ``public_hosts`` (user servers accept
            the browser's Origin only from those, so others are refused).
        ingress_class: the IngressClass; default ``nginx``, as the auth annotations are
            ingress-nginx's.
        tls_secret: the Secret with the hosts' certificate; default ``None``, no TLS section (TLS
            ends before the controller, or a certificate controller adds it).
        auth_url: where ingress-nginx checks each request; default oauth2-proxy's ``/oauth2/auth``
            on the same host.
        auth_signin: where an unauthenticated browser is sent; default oauth2-proxy's
            ``/oauth2/start``, back to the page asked for.
        auth_response_headers: the auth response's headers passed to the hub; default ``None``, the
            hub's user header and ``Authorization`` (the ID token the hub checks).
        controller: the ingress controller's pods, for NetworkPolicies; default ingress-nginx's
            controller pods in namespace ``ingress-nginx``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        proxy: IProxy,
        # None: the hub's public hosts.
        hosts: Sequence[str] | None = None,
        ingress_class: str = "nginx",
        tls_secret: str | None = None,
        auth_url: str = "https://$host/oauth2/auth",
        auth_signin: str = "https://$host/oauth2/start?rd=$escaped_request_uri",
        # None: the hub's user header and Authorization (the ID token the hub checks).
        auth_response_headers: Sequence[str] | None = None,
        controller: NetworkPeer = INGRESS_NGINX_CONTROLLER,
    ) -> None:
        super().__init__(scope, id)
        if not isinstance(proxy, IProxy):
            raise invalid(self, "proxy", proxy, "must be a proxy (an IProxy such as CHProxy)")
        self.hosts = proxy.hub.ingress_hosts(self, hosts)
        if auth_response_headers is None:
            auth_response_headers = (proxy.hub.user_header, "Authorization")
        check_dns_subdomain(self, "ingress_class", ingress_class)
        if tls_secret is not None:
            check_dns_subdomain(self, "tls_secret", tls_secret)
        if not auth_response_headers:
            raise invalid(
                self,
                "auth_response_headers",
                auth_response_headers,
                "must name the headers the hub needs",
            )
        self.tls_secret = tls_secret
        self.controller = controller
        self.auth_response_headers = tuple(auth_response_headers)
        backend = {"service": {"name": name_of(proxy.service), "port": {"name": proxy.port_name}}}
        auth = {f"{_NGINX}/auth-url": auth_url, f"{_NGINX}/auth-signin": auth_signin}

        def ingress(
            construct_id: str, name: str, path: str, annotations: dict[str, str]
        ) -> cdk8s.ApiObject:
            return api_object(
                self,
                construct_id,
                api_version="networking.k8s.io/v1",
                kind="Ingress",
                name=name,
                labels={APP_LABEL: proxy.release},
                annotations=annotations,
                spec={
                    "ingressClassName": ingress_class,
                    "tls": [{"hosts": list(self.hosts), "secretName": tls_secret}]
                    if tls_secret
                    else None,
                    "rules": [
                        {
                            "host": host,
                            "http": {
                                "paths": [
                                    {"path": path, "pathType": "Prefix", "backend": backend},
                                ]
                            },
                        }
                        for host in self.hosts
                    ],
                },
            )

        self.ingress = ingress("Resource", proxy.release, "/", auth)
        self.hub_ingress = ingress(
            "Hub",
            f"{proxy.release}-{Component.HUB.value}",
            HUB_PATH,
            {**auth, f"{_NGINX}/auth-response-headers": ",".join(auth_response_headers)},
        )
