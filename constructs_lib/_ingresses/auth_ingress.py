"""Kubernetes Ingresses that put an external auth proxy (oauth2-proxy) before the hub."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived, resolve
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import (
    Component,
    check_dns_label,
    check_dns_subdomain,
    check_port,
)
from constructs_lib._core._objects import ObjectSpec, api_objects
from constructs_lib._core.header_trust import refuse_unenforced
from constructs_lib._core.network_peer import NetworkPeer
from constructs_lib._ingresses._ingress_spec import ingress_spec, proxy_backend
from constructs_lib._ingresses.auth_proxy import HUB_PATH, AuthProxy
from constructs_lib._ingresses.edge_tls import TlsSource, check_tls
from constructs_lib._proxies.interfaces import IProxy

__all__ = ["HUB_PATH", "INGRESS_NGINX_CONTROLLER", "USER_PATH", "AuthProxyIngress"]

# The user servers' paths (JupyterHub's /user/<name>/), all a user host serves.
USER_PATH = "/user"
# ingress-nginx's external-auth annotations. (An ingress-nginx Prefix path matches whole path
# elements: "/hub" matches /hub and /hub/…, not /hubx; the longest matching path wins.)
_NGINX = "nginx.ingress.kubernetes.io"
# The controller pods of the ingress-nginx Helm chart, in its namespace (the namespace's
# name label is set by Kubernetes itself).
INGRESS_NGINX_CONTROLLER = NetworkPeer.in_namespace(
    "ingress-nginx",
    {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
)


class AuthProxyIngress(LibraryConstruct):
    """Routes ``hosts`` to the proxy's public port through ingress-nginx; the hub's requests
    are first checked by an oauth2-proxy served on the same hosts under the hub's path
    (``/hub/oauth2``), whose cookies have the hub's path (``AUTH_PROXY_FLAGS``).

    Three Ingresses:

    - ``hub_ingress`` (``/hub``): every request is checked by the auth proxy, and its
      ``auth_response_headers`` (``X-Auth-Request-User`` and ``Authorization``, the ID token
      the hub checks) replace a client's own copies (or are dropped, when it sends none).
    - ``auth_proxy_ingress`` (``/hub/oauth2``): the auth proxy's own sign-in, callback and
      check, to its Service, unchecked.
    - ``ingress`` (``/``: user servers and everything else, the default child; with the hub's
      ``user_hosts``, also ``/user`` on the user servers' wildcard host): no check and no
      auth headers. A browser never sends the auth proxy's cookies there (their path is the
      hub's), so a user server's owner never records a visitor's session, nor its headers
      (ingress-nginx copies auth response headers onto every request of an Ingress). User
      servers admit only JupyterHub's own OAuth: a browser without it is sent to
      ``/hub/api/oauth2/authorize``, on the hub's paths, so through the check.

    ingress-nginx has no annotation that drops a request header on the other paths (only
    ``configuration-snippet``, which is off by default since controller 1.9), so copies a
    client sends there reach its own request's target; the hub logs no one in from them
    without the ID token's proof.

    ``controller`` is the ingress controller's pods, for NetworkPolicies
    (``HubNetworkPolicies(ingress_from=ingress.controller)``).

    Args:
        proxy: the proxy whose public port the hub's and the other paths go to.
        hosts: the hosts served; default ``Derived.FROM_HUB``, the hub's ``public_hosts`` (user
            servers accept the browser's Origin only from those, so others are refused).
        ingress_class: the IngressClass; default ``nginx``, as the auth annotations are
            ingress-nginx's.
        tls_secret: the Secret with the hosts' certificate: a ``HubCertificate``, a
            ``TlsSecret(name, hosts=...)`` naming the hosts its certificate covers, or (without
            the hub's ``user_hosts``) a Secret's name; it must cover every host served, the
            user servers' wildcard included; default ``None``, no TLS section (TLS ends before
            the controller, or a certificate controller adds it).
        auth_proxy: oauth2-proxy's Service in the chart's namespace; default ``AuthProxy()``,
            Service ``oauth2-proxy`` port 80 (pods' port 4180), as oauth2-proxy's Helm chart
            makes it.
        auth_url: where ingress-nginx checks each request to the hub; default
            ``Derived.FROM_AUTH_PROXY``,
            oauth2-proxy's ``/hub/oauth2/auth`` on the same host.
        auth_signin: where an unauthenticated browser is sent; default
            ``Derived.FROM_AUTH_PROXY``, oauth2-proxy's
            ``/hub/oauth2/start``, back to the page asked for.
        auth_response_headers: the auth response's headers passed to the hub; default
            ``Derived.FROM_USER_HEADER``, the
            hub's user header and ``Authorization`` (the ID token the hub checks).
        controller: the ingress controller's pods, for NetworkPolicies; default ingress-nginx's
            controller pods in namespace ``ingress-nginx``.
    """

    ingress = Handle[cdk8s.ApiObject]("The Ingress for ``/`` (the default child), unchecked.")
    hub_ingress = Handle[cdk8s.ApiObject]("The Ingress for ``/hub``, checked by the auth proxy.")
    auth_proxy_ingress = Handle[cdk8s.ApiObject]("The Ingress for the auth proxy's own paths.")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        proxy: IProxy,
        hosts: Sequence[str] | Derived = Derived.FROM_HUB,
        ingress_class: str = "nginx",
        tls_secret: TlsSource | None = None,
        auth_proxy: AuthProxy = AuthProxy(),  # noqa: B008 - frozen value
        # oauth2-proxy's check and sign-in, under the hub's path on the same host.
        auth_url: str | Derived = Derived.FROM_AUTH_PROXY,
        auth_signin: str | Derived = Derived.FROM_AUTH_PROXY,
        # The hub's user header and Authorization (the ID token the hub checks).
        auth_response_headers: Sequence[str] | Derived = Derived.FROM_USER_HEADER,
        controller: NetworkPeer = INGRESS_NGINX_CONTROLLER,
    ) -> None:
        super().__init__(scope, id)
        to_proxy = proxy_backend(self, proxy)
        refuse_unenforced(
            self,
            proxy.hub,
            "ingress-nginx checks requests at the edge only, and NetworkPolicies let user "
            "servers (which need the hub's API) reach every path of the hub's port",
        )
        self.hosts = proxy.hub.ingress_hosts(self, hosts)
        auth_response_headers = resolve(
            self,
            "auth_response_headers",
            auth_response_headers,
            Derived.FROM_USER_HEADER,
            lambda: (proxy.hub.user_header, "Authorization"),
        )
        check_dns_subdomain(self, "ingress_class", ingress_class)
        user_hosts = proxy.hub.user_hosts
        secret_name = check_tls(
            self,
            "tls_secret",
            tls_secret,
            [*self.hosts, *((user_hosts,) if user_hosts else ())],
            user_hosts,
        )
        if not auth_response_headers:
            raise invalid(
                self,
                "auth_response_headers",
                auth_response_headers,
                "must name the headers the hub needs",
            )
        check_dns_label(self, "auth_proxy.service", auth_proxy.service)
        for name, port in (("port", auth_proxy.port), ("target_port", auth_proxy.target_port)):
            check_port(self, f"auth_proxy.{name}", port)
        self.tls_secret = secret_name
        self.controller = (
            controller.check(self, "controller")
            if isinstance(controller, NetworkPeer)
            else controller
        )
        self.auth_proxy = auth_proxy
        self.auth_response_headers = tuple(auth_response_headers)
        to_auth_proxy = {
            "service": {"name": auth_proxy.service, "port": {"number": auth_proxy.port}}
        }
        auth = {
            f"{_NGINX}/auth-url": resolve(
                self,
                "auth_url",
                auth_url,
                Derived.FROM_AUTH_PROXY,
                lambda: auth_proxy.endpoint("auth"),
            ),
            f"{_NGINX}/auth-signin": resolve(
                self,
                "auth_signin",
                auth_signin,
                Derived.FROM_AUTH_PROXY,
                lambda: f"{auth_proxy.endpoint('start')}?rd=$escaped_request_uri",
            ),
        }

        # Per-user hosts: their servers' paths only, unchecked (each server admits only the
        # hub's OAuth); the hub's paths are served on the hub's hosts alone.
        self.user_hosts = proxy.hub.user_hosts
        user_rules = [(self.user_hosts, USER_PATH)] if self.user_hosts else []

        def ingress(
            construct_id: str,
            name: str,
            path: str,
            backend: dict[str, Any],
            annotations: dict[str, str] | None,
            more: Sequence[tuple[str, str]] = (),
        ) -> ObjectSpec:
            return ingress_spec(
                construct_id,
                name=name,
                release=proxy.release,
                ingress_class=ingress_class,
                tls_secret=secret_name,
                rules=[*((host, path) for host in self.hosts), *more],
                backend=backend,
                annotations=annotations,
            )

        # One call makes the three.
        self.ingress, self.hub_ingress, self.auth_proxy_ingress = api_objects(
            self,
            [
                ingress("Resource", proxy.release, "/", to_proxy, None, user_rules),
                ingress(
                    "Hub",
                    f"{proxy.release}-{Component.HUB.value}",
                    HUB_PATH,
                    to_proxy,
                    {**auth, f"{_NGINX}/auth-response-headers": ",".join(auth_response_headers)},
                ),
                ingress(
                    "AuthProxy",
                    f"{proxy.release}-auth-proxy",
                    auth_proxy.prefix,
                    to_auth_proxy,
                    None,
                ),
            ],
        )
