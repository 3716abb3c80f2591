"""A plain Kubernetes Ingress that puts an external auth proxy (oauth2-proxy) before the hub."""

from __future__ import annotations

from collections.abc import Sequence

from constructs import Construct

from constructs_lib._errors import invalid
from constructs_lib._names import APP_LABEL, check_dns_subdomain, check_hosts
from constructs_lib._objects import api_object
from constructs_lib.proxy import CHProxy

__all__ = ["AuthProxyIngress", "check_hosts"]

# ingress-nginx's external-auth annotations.
_NGINX = "nginx.ingress.kubernetes.io"


class AuthProxyIngress(Construct):
    """Routes ``hosts`` to the proxy's public port through ingress-nginx, with every request
    first checked by an oauth2-proxy served on the same hosts under ``/oauth2``.

    The auth proxy's answer passes ``X-Auth-Request-User`` (the user name the hub logs in)
    and ``Authorization`` (its ID token, the proof the hub can check) on to the proxy.
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
        backend = {"service": {"name": proxy.service.name, "port": {"name": proxy.port_name}}}
        self.ingress = api_object(
            self, "Resource", api_version="networking.k8s.io/v1", kind="Ingress",
            name=proxy.release, labels={APP_LABEL: proxy.release},
            annotations={
                f"{_NGINX}/auth-url": auth_url,
                f"{_NGINX}/auth-signin": auth_signin,
                f"{_NGINX}/auth-response-headers": ",".join(auth_response_headers),
            },
            spec={
                "ingressClassName": ingress_class,
                "tls": [{"hosts": list(self.hosts), "secretName": tls_secret}]
                if tls_secret else None,
                "rules": [
                    {"host": host, "http": {"paths": [
                        {"path": "/", "pathType": "Prefix", "backend": backend},
                    ]}}
                    for host in self.hosts
                ],
            },
        )
