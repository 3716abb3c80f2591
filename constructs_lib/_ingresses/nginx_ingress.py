"""A Kubernetes Ingress straight to the proxy, for a hub that logs people in itself."""

from __future__ import annotations

from collections.abc import Sequence

import cdk8s
from constructs import Construct

from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import check_dns_subdomain
from constructs_lib._core._objects import api_objects
from constructs_lib._core.logins import HubLogin
from constructs_lib._core.network_peer import NetworkPeer
from constructs_lib._ingresses._ingress_spec import ingress_spec, proxy_backend
from constructs_lib._ingresses.auth_ingress import INGRESS_NGINX_CONTROLLER
from constructs_lib._ingresses.edge_tls import TlsSource, check_tls
from constructs_lib._proxies.interfaces import IProxy

__all__ = ["NginxIngress"]


class NginxIngress(LibraryConstruct):
    """Routes ``hosts`` to the proxy's public port through an ingress controller
    (ingress-nginx by default), with nothing in between: the hub logs people in itself
    (``authenticator=OidcLogin(...)`` and the others), so no auth proxy sets or checks a
    header, and the provider sends the browser back to ``https://<host>/hub/oauth_callback``
    through this Ingress. A hub that believes an auth proxy's header (a ``HeaderTrust``) is
    refused: behind this Ingress anyone could send it.

    Args:
        proxy: the proxy whose public port every path goes to.
        hosts: the hosts served; default ``Derived.FROM_HUB``, the hub's ``public_hosts``.
        ingress_class: the IngressClass; default ``nginx``.
        tls_secret: the Secret with the hosts' certificate: a ``HubCertificate``, a
            ``TlsSecret(name, hosts=...)`` naming the hosts its certificate covers, or (without
            the hub's ``user_hosts``) a Secret's name; it must cover every host served, the
            user servers' wildcard included; default ``None``, no TLS section (TLS ends before
            the controller, or a certificate controller adds it).
        controller: the ingress controller's pods, for NetworkPolicies; default
            ingress-nginx's controller pods in namespace ``ingress-nginx``.
    """

    ingress = Handle[cdk8s.ApiObject]("The Ingress (the default child).")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        proxy: IProxy,
        hosts: Sequence[str] | Derived = Derived.FROM_HUB,
        ingress_class: str = "nginx",
        tls_secret: TlsSource | None = None,
        controller: NetworkPeer = INGRESS_NGINX_CONTROLLER,
    ) -> None:
        super().__init__(scope, id)
        backend = proxy_backend(self, proxy)
        login = getattr(proxy.hub, "authenticator", None)
        if not isinstance(login, HubLogin):
            where = proxy.hub.node.path if isinstance(proxy.hub, Construct) else proxy.hub
            raise invalid(
                self,
                "proxy.hub",
                where,
                "must log people in itself (authenticator=OidcLogin(...), GitHubLogin, "
                "GoogleLogin, EntraIdLogin or LdapLogin): no auth proxy is in front of it "
                "here, so anyone could send a user header (use AuthProxyIngress for one)",
            )
        self.hosts = proxy.hub.ingress_hosts(self, hosts)
        check_dns_subdomain(self, "ingress_class", ingress_class)
        user_hosts = proxy.hub.user_hosts
        self.tls_secret = check_tls(
            self,
            "tls_secret",
            tls_secret,
            [*self.hosts, *((user_hosts,) if user_hosts else ())],
            user_hosts,
        )
        self.controller = controller.check(self, "controller")
        (self.ingress,) = api_objects(
            self,
            [
                ingress_spec(
                    "Resource",
                    name=proxy.release,
                    release=proxy.release,
                    ingress_class=ingress_class,
                    tls_secret=self.tls_secret,
                    rules=[(host, "/") for host in self.hosts],
                    backend=backend,
                )
            ],
        )
