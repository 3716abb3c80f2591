"""Istio in front of and around one JupyterHub: gateway, route and per-component mesh policy."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum, StrEnum
from http import HTTPStatus
from typing import Any, Final

import cdk8s
from constructs import Construct

from constructs_lib._core._companions import claim_companion
from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived
from constructs_lib._core._endpoints import gateway_name
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import APP_LABEL, Component, check_port
from constructs_lib._core._objects import ObjectSpec, api_objects, name_of, object_spec, sorted_keys
from constructs_lib._core._outbound import MESH_CONTROL_PLANE, outbound
from constructs_lib._core._placement import chart_namespace, join_app
from constructs_lib._core._props import check_arguments
from constructs_lib._core.header_trust import refuse_unenforced
from constructs_lib._core.network_peer import NetworkPeer
from constructs_lib._core.user_hosts import PUBLIC_SCHEME, hub_host
from constructs_lib._hub.hub import HUB_PATH_PREFIX
from constructs_lib._hub.network_policy import resolve_proxy
from constructs_lib._ingresses.auth_ingress import USER_PATH
from constructs_lib._ingresses.auth_proxy import HUB_PATH
from constructs_lib._ingresses.certificate import HubCertificate
from constructs_lib._ingresses.edge_tls import check_tls
from constructs_lib._ingresses.tls import TlsSecret
from constructs_lib._pods.user_pods import USER_PORT
from constructs_lib._proxies._flows import Flow, components
from constructs_lib._proxies.interfaces import IHub, IJupyterHub, IngressTarget, IProxy
from hub_runtime.frozen import frozen

__all__ = [
    "IDEMPOTENT_METHODS",
    "IstioIngress",
    "IstioTls",
    "MeshPolicies",
    "MeshTelemetry",
    "OutboundTrafficMode",
    "Retries",
]

# JupyterHub's user server paths, /user/<name>/.
USER_PATH_PREFIX = f"{USER_PATH}/"
# Sidecar egress hosts are "<namespace>/<dns name>"; "./*" is everything in our namespace.
# The namespace part also picks the VirtualServices imported (Istio 1.30.3
# pilot/pkg/model/virtualservice.go, SelectVirtualServices): none of another namespace.
_OWN_NAMESPACE = "./*"
# A Gateway server host's namespace part says whose VirtualServices bind to it. None is "*/"
# (istio/api 1.30.3 gateway.proto, Server.hosts): any namespace's could take the hub's host.
# "." is the Gateway's own (Istio 1.30.3 pilot/pkg/model/gateway.go,
# sanitizeServerHostNamespace), the hub's (claim_companion), where this construct's
# VirtualServices and those the hub writes (IstioProxy, in its pod's namespace) are.
_GATEWAY_NAMESPACE = "."
_ISTIOD, _OTEL_AGENT = (destination.sidecar_host for destination in MESH_CONTROL_PLANE)
_KUBERNETES_API = "default/kubernetes.default.svc.cluster.local"
_HCM = "envoy.filters.network.http_connection_manager"
# The hub's access log: one JSON object per request on stdout, fields as nginx-style names.
_ACCESS_LOG_FIELDS = {
    "time": "%START_TIME%",
    "host": "%REQ(:AUTHORITY)%",
    "forwardedfor": "%REQ(X-FORWARDED-FOR)%",
    "method": "%REQ(:METHOD)%",
    "uri": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    "protocol": "%PROTOCOL%",
    "status": "%RESPONSE_CODE%",
    "size": "%BYTES_SENT%",
    "reqsize": "%BYTES_RECEIVED%",
    "referer": "%REQ(REFERER)%",
    "ua": "%REQ(USER-AGENT)%",
    "vhost": "%REQUESTED_SERVER_NAME%",
    "reqtime": "%DURATION%",
    "respflag": "%RESPONSE_FLAGS%",
    "scheme": "%REQ(:SCHEME)%",
    "traceparent": "%REQ(TRACEPARENT)%",
    "x-client-ip": "%REQ(X-CLIENT-IP)%",
    "xauthrequestuser": "%REQ(X-AUTH-REQUEST-USER)%",
}


class OutboundTrafficMode(StrEnum):
    REGISTRY_ONLY = "REGISTRY_ONLY"
    ALLOW_ANY = "ALLOW_ANY"


# RFC 9110 section 9.2.2: PUT, DELETE and the safe methods are idempotent; a retry of one
# of them after the upstream may have processed it does no harm.
IDEMPOTENT_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE")
# Conditions under which the upstream never processed the request: the connection to it
# failed (Envoy's router docs, x-envoy-retry-on "connect-failure"), or it refused the HTTP/2
# stream, which RFC 9113 section 8.7 defines as "not processed". Safe for POST and PATCH too.
UNPROCESSED_RETRY_ON = ("connect-failure", "refused-stream")
# What Istio's validation accepts in retryOn besides status codes (Istio 1.30.3,
# pkg/config/validation/validation.go, supportedRetryOnPolicies: Envoy's x-envoy-retry-on
# and x-envoy-retry-grpc-on conditions).
_RETRY_ON_CONDITIONS = frozenset(
    {
        "5xx",
        "gateway-error",
        "reset",
        "reset-before-request",
        "connect-failure",
        "retriable-4xx",
        "refused-stream",
        "retriable-status-codes",
        "retriable-headers",
        "envoy-ratelimited",
        "http3-post-connect-failure",
        "cancelled",
        "deadline-exceeded",
        "internal",
        "resource-exhausted",
        "unavailable",
    }
)


@frozen
class Retries:
    """How the gateway retries a request to the proxy.

    Envoy retries a request of any method on the conditions listed (its router has no method
    rule, and Istio's ``HTTPRetry`` exposes none), so each path's route is split by method:
    the idempotent ones (``IDEMPOTENT_METHODS``, RFC 9110) are retried on ``retry_on``, the
    others (POST, PATCH: a spawn, a kernel start, a new file) only on
    ``unprocessed_retry_on``, conditions under which the upstream never processed the request.
    ``attempts`` 0, or an empty condition list, turns retries off for those requests (Istio's
    validation refuses ``retryOn`` with 0 attempts; without a ``retries`` field Istio would
    apply its own default).
    """

    attempts: int = 3
    # The reference's conditions: a 502/503/504 or a 409 from the proxy, or no connection.
    retry_on: str = (
        "gateway-error,retriable-4xx,connect-failure,refused-stream,unavailable,cancelled,"
        "retriable-status-codes"
    )
    unprocessed_retry_on: str = ",".join(UNPROCESSED_RETRY_ON)

    def policy(self, *, idempotent: bool) -> dict[str, Any]:
        """The VirtualService ``retries`` of a route for idempotent methods or the others."""
        conditions = self.retry_on if idempotent else self.unprocessed_retry_on
        if self.attempts == 0 or not conditions:
            return {"attempts": 0}
        return {"attempts": self.attempts, "retryOn": conditions}

    def check(self, scope: Construct) -> None:
        if self.attempts < 0:
            raise invalid(scope, "retries.attempts", self.attempts, "must be 0 or more")
        for field, value in (
            ("retry_on", self.retry_on),
            ("unprocessed_retry_on", self.unprocessed_retry_on),
        ):
            for condition in _conditions(value):
                if not (condition in _RETRY_ON_CONDITIONS or _is_status_code(condition)):
                    raise invalid(
                        scope,
                        f"retries.{field}",
                        value,
                        f"must list Envoy retry conditions or HTTP status codes, not "
                        f"{condition!r} (Istio accepts {', '.join(sorted(_RETRY_ON_CONDITIONS))})",
                    )
        unsafe = [
            c for c in _conditions(self.unprocessed_retry_on) if c not in UNPROCESSED_RETRY_ON
        ]
        if unsafe:
            raise invalid(
                scope,
                "retries.unprocessed_retry_on",
                self.unprocessed_retry_on,
                f"may list only {', '.join(UNPROCESSED_RETRY_ON)} (the upstream never processed "
                f"the request): {', '.join(unsafe)} would repeat a POST the hub or a user "
                "server may have carried out",
            )


def _conditions(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _is_status_code(condition: str) -> bool:
    """Istio's parseRetryOn takes an integer with an HTTP status text as a status code."""
    return condition.isdigit() and int(condition) in {int(s) for s in HTTPStatus}


@frozen
class IstioTls:
    """HTTPS on the Gateway: TLS ends at the gateway with the certificate and key of Secret
    ``credential_name``, which must be in the namespace of the gateway's pods (Istio reads it
    there, not in the Gateway's namespace). ``redirect_http`` keeps the HTTP port and answers
    every request on it with a 301 to HTTPS (``tls.httpsRedirect``); without it the Gateway
    has no HTTP server at all. With the hub's ``user_hosts`` the Secret must say which hosts
    its certificate covers (``from_certificate`` or ``from_secret``), and cover the wildcard.

    ``http_workload_ports`` are the gateway pods' ports behind the HTTP server (an
    AuthorizationPolicy at a gateway matches the pods' ports, not the Service's): the ext-authz
    policy skips them, as Envoy would otherwise send a plain-HTTP request to the external auth
    before the redirect (istio/istio#36498), and with a secure cookie never let it through.
    Default 80 (Istio's gateway chart) and 8080 (istioctl's default install); those listeners
    only redirect, so nothing reaches the app past them unchecked.

    (istio.io/latest/docs/reference/config/networking/gateway/: ServerTLSSettings.)
    """

    credential_name: str
    port: int = 443
    redirect_http: bool = True
    http_workload_ports: tuple[int, ...] = (80, 8080)
    # The certificate the Secret comes from, when known: checked against the hosts served.
    certificate: HubCertificate | None = None
    # Or the Secret, made outside the app, with the hosts its certificate covers: the same.
    secret: TlsSecret | None = None

    @classmethod
    def from_certificate(cls, certificate: HubCertificate, **fields: Any) -> IstioTls:
        """HTTPS with a ``HubCertificate``'s Secret (make it in the gateway pods' namespace);
        ``IstioIngress`` checks that it names every host the Gateway serves."""
        return cls(credential_name=certificate.secret_name, certificate=certificate, **fields)

    @classmethod
    def from_secret(cls, secret: TlsSecret, **fields: Any) -> IstioTls:
        """HTTPS with a Secret made outside the app (in the gateway pods' namespace) whose
        certificate covers ``secret.hosts``; ``IstioIngress`` checks that they are every host
        the Gateway serves."""
        return cls(credential_name=secret.name, secret=secret, **fields)

    def source(self) -> tuple[str, str | TlsSecret | HubCertificate]:
        """The field that says what the certificate covers, and its value."""
        if self.certificate is not None:
            return "tls.certificate", self.certificate
        if self.secret is not None:
            return "tls.secret", self.secret
        return "tls.credential_name", self.credential_name


@frozen
class MeshTelemetry:
    """Tracing, metrics and access-log providers (names from the mesh config)."""

    tracing_provider: str = "otel-agent"
    sampling_percentage: float = 100.0
    metrics_provider: str = "prometheus"
    metrics_interval: str = "15s"
    access_log_provider: str = "envoy"
    # Skip entries with no protocol (TCP probes and the like).
    access_log_filter: str = "request.protocol != null"


@frozen
class _Workload:
    component: Component
    labels: dict[str, str]
    outbound: OutboundTrafficMode
    egress_hosts: tuple[str, ...]
    access_log: str | None  # Telemetry match mode, or None for disabled


@frozen
class MeshPolicies:
    """The mesh objects ``IstioIngress`` makes for one component's pods."""

    #: STRICT mutual TLS for the pods.
    peer_authentication: cdk8s.ApiObject
    #: Their sidecar's egress hosts and outbound mode.
    sidecar: cdk8s.ApiObject
    #: Their tracing, metrics and access log.
    telemetry: cdk8s.ApiObject
    #: Who may reach them, on which ports (ALLOW).
    authorization_policy: cdk8s.ApiObject


# The construct id of each MeshPolicies object of a component, by field (the one place).
_POLICY_IDS: Final = {
    "peer_authentication": "{}-peer-authentication",
    "sidecar": "{}-sidecar",
    "telemetry": "{}-telemetry",
    "authorization_policy": "{}-authorization",
}


class _Renamed(Enum):
    """A parameter that has a new name (the value says which)."""

    GATEWAY_PODS = "gateway_pods"


_RENAMED = _Renamed.GATEWAY_PODS

# Hub and proxy reach only the mesh's registry: their namespace, istiod, the trace agent and
# (for KubeSpawner) the Kubernetes API. User pods also get the hosts the app adds.
_HUB_PROXY_EGRESS = (_OWN_NAMESPACE, _ISTIOD, _OTEL_AGENT, _KUBERNETES_API)
# A hub's outbound URL scheme: the ServiceEntry port's protocol (the port is the URL's, or
# the scheme's, _outbound.SCHEME_PORTS).
_EGRESS_PROTOCOLS = {
    "https": "TLS",
    "ldaps": "TLS",
    # StartTLS begins in clear: plain TCP to the sidecar.
    "ldap": "TCP",
    "http": "HTTP",
    # The hub's database: plain TCP, routed by address.
    "postgresql": "TCP",
}
# User pods: of their namespace only the hub's Service (the one their AuthorizationPolicies
# let them reach), so the hub's ServiceEntries (its provider, its database) are the hub's alone.
_USER_EGRESS = (_ISTIOD, _OTEL_AGENT)


def _user_hosts_spec(
    release: str, labels: dict[str, str], user_hosts: str, http: list[dict[str, Any]]
) -> ObjectSpec:
    """The VirtualService ``<release>-users`` of the user servers' wildcard at the Gateway."""
    return _istio_spec(
        "UserHosts",
        kind="VirtualService",
        name=f"{release}-users",
        labels=labels,
        spec={"gateways": [gateway_name(release)], "hosts": [user_hosts], "http": http},
    )


class IstioIngress(LibraryConstruct):
    """Gateway and VirtualService to the proxy's public port (with ``IstioProxy``, no
    VirtualService: the hub writes one per route, bound to this Gateway), and for hub, proxy
    (where it has pods) and user pods each a STRICT PeerAuthentication, a Sidecar and a
    Telemetry; the hub's inbound access log comes from an EnvoyFilter (its Telemetry access
    log is off). The Gateway's hosts are ``./<host>``: only VirtualServices of its own
    namespace (the hub's, where its own and the hub's routes are) bind to them, so a
    VirtualService another namespace writes cannot bind to this Gateway for the hub's host.
    The gateway pods must serve the hub's hosts for this Gateway alone: Istio merges the
    HTTP servers of every Gateway that selects the same pods on one port into one route
    table, their virtual hosts by host name (Istio 1.30.3 pilot/pkg/model/gateway.go
    ``MergeGateways``; with ``PILOT_SCOPE_GATEWAY_TO_NAMESPACE`` off, its default, from any
    namespace), so who may create a Gateway selecting them can add routes to the hub's
    hosts. Give the hub a gateway deployment of its own (``gateway_pods``), or let no
    other tenant create Gateways (RBAC on ``gateways.networking.istio.io``).

    With ``ext_authz_provider`` (a provider from the mesh config, e.g. ``oauth2-proxy``), a
    CUSTOM AuthorizationPolicy in the gateway's namespace sends every request for the hub's
    paths (``/hub``, ``/hub/*``) on these hosts, whatever port the Host header names, through
    the external auth first: the hub trusts the user header that auth sets. oauth2-proxy runs
    under the hub's path with its cookies on it (``AUTH_PROXY_FLAGS``), so it answers its
    sign-in and callback within that check, and a browser never sends its cookies to a user
    server. User servers are not checked: they admit only JupyterHub's own OAuth, whose
    authorize step is on the hub's paths.

    Args:
        proxy: the proxy (any ``IProxy``, with its hub) behind the Gateway; or
        jupyterhub: the composite whose proxy that is (give one of the two); it must have
            the mesh (``JupyterHub(mesh=IstioMesh())``): an error otherwise.
        hosts: the hosts served; default ``Derived.FROM_HUB``, the hub's ``public_hosts``.
        gateway_pods: the ingress gateway's pods (selected by the Gateway, admitted by policies);
            default ``NetworkPeer.ISTIO_INGRESS_GATEWAY``, Istio's default install.
        port: the Gateway's HTTP port; default 80.
        tls: HTTPS on the Gateway (port 443, HTTP redirected to it):
            ``IstioTls.from_certificate(...)``, ``IstioTls.from_secret(TlsSecret(name,
            hosts=...))`` or, without the hub's ``user_hosts``, ``IstioTls(credential_name=...)``;
            the certificate must cover every host served, the user servers' wildcard included;
            default ``None``, plain HTTP on ``port`` only (TLS ends before the gateway).
        retries: how the gateway retries a request to the proxy; default ``Retries()``, 3 attempts,
            POST and PATCH only when the proxy never got them.
        telemetry: tracing, metrics and access-log providers; default ``MeshTelemetry()``.
        hub_proxy_outbound: the hub's and proxy's Sidecar outbound mode; default ``REGISTRY_ONLY``,
            so they reach only known hosts.
        user_outbound: the user pods' outbound mode; default ``ALLOW_ANY``: notebooks install
            packages and fetch data from anywhere.
        user_egress_hosts: more ``namespace/host`` entries for the user pods' Sidecar (which
            names the hub's Service, istiod and the trace agent); default none. With
            ``ALLOW_ANY`` a host not named is still reached, as plain TCP passthrough. The
            namespace part also says whose VirtualServices for the host the pods follow:
            ``*/`` takes in those of every namespace.
        ext_authz_provider: the mesh config's external auth provider (e.g. ``oauth2-proxy``);
            default ``None``, no CUSTOM AuthorizationPolicy.
        gateway_principal: the gateway's workload identity (SPIFFE, without ``spiffe://``); default
            the service account of Istio's default install.
        trust_domain: the mesh's trust domain, for the components' principals; default
            ``cluster.local``.
        gateway: renamed ``gateway_pods`` (``.gateway`` is the Gateway this makes): an error
            that names it.
    """

    #: Prometheus outside the mesh cannot scrape the pods: STRICT mutual TLS refuses plain
    #: HTTP, and the ALLOW policies admit the mesh's own workloads only (``HubMonitoring``
    #: refuses such a hub).
    admits_scrapes_from_outside_the_mesh = False

    proxy = Handle[IProxy]("The proxy the Gateway's routes lead to.")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        proxy: IProxy | None = None,
        # The same as proxy=jupyterhub.proxy.
        jupyterhub: IJupyterHub | None = None,
        # None: the hub's public hosts.
        hosts: Sequence[str] | Derived = Derived.FROM_HUB,
        gateway_pods: NetworkPeer = NetworkPeer.ISTIO_INGRESS_GATEWAY,
        port: int = 80,
        # None: plain HTTP only.
        tls: IstioTls | None = None,
        retries: Retries = Retries(),
        telemetry: MeshTelemetry = MeshTelemetry(),
        hub_proxy_outbound: OutboundTrafficMode | str = OutboundTrafficMode.REGISTRY_ONLY,
        user_outbound: OutboundTrafficMode | str = OutboundTrafficMode.ALLOW_ANY,
        user_egress_hosts: Sequence[str] = (),
        ext_authz_provider: str | None = None,
        # The ingress gateway's workload identity (SPIFFE principal without "spiffe://"): the
        # service account of Istio's default install (istioctl, default profile).
        gateway_principal: str = (
            "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
        ),
        trust_domain: str = "cluster.local",
        # Renamed gateway_pods: ``gateway`` is the Gateway object this construct makes.
        gateway: object | _Renamed = _RENAMED,
    ) -> None:
        super().__init__(scope, id)
        if gateway is not _RENAMED:
            raise invalid(
                self, "gateway", gateway, "is now gateway_pods (.gateway is the Gateway made)"
            )
        # The objects, made together at the end.
        self._specs: list[ObjectSpec] = []
        check_arguments(self, IstioIngress.__init__, gateway_pods=gateway_pods)
        chosen = resolve_proxy(self, proxy, jupyterhub)
        field, given = ("proxy", proxy) if proxy is not None else ("jupyterhub", jupyterhub)
        _check_in_mesh(self, field, given, chosen.hub)
        claim_companion(self, chosen.hub, field=field)
        self.hosts = chosen.hub.ingress_hosts(self, hosts)
        # Per-user hosts: the Gateway serves their wildcard too, for the user servers only.
        self.user_hosts = chosen.hub.user_hosts
        self.gateway_hosts = (*self.hosts, *((self.user_hosts,) if self.user_hosts else ()))
        hub_proxy_mode = _outbound(self, "hub_proxy_outbound", hub_proxy_outbound)
        user_mode = _outbound(self, "user_outbound", user_outbound)
        if not 0 <= telemetry.sampling_percentage <= 100:
            raise invalid(
                self,
                "telemetry.sampling_percentage",
                telemetry.sampling_percentage,
                "must be a percentage from 0 to 100",
            )
        check_port(self, "port", port)
        if tls is not None:
            if tls.certificate is not None and tls.secret is not None:
                raise invalid(
                    self, "tls.secret", tls.secret, "must not be given with tls.certificate"
                )
            field, source = tls.source()
            secret_name = check_tls(self, field, source, self.gateway_hosts, self.user_hosts)
            if secret_name != tls.credential_name:
                raise invalid(
                    self,
                    "tls.credential_name",
                    tls.credential_name,
                    f"must be the Secret of {field}, {secret_name!r}",
                )
            check_port(self, "tls.port", tls.port)
            if tls.redirect_http and tls.port == port:
                raise invalid(self, "tls.port", tls.port, f"must differ from the HTTP port {port}")
            for index, workload_port in enumerate(tls.http_workload_ports):
                check_port(self, f"tls.http_workload_ports[{index}]", workload_port)
            if tls.certificate is not None:
                _check_gateway_namespace(self, tls.certificate, gateway_pods)
        self.tls = tls
        retries.check(self)
        for index, host in enumerate(user_egress_hosts):
            if "/" not in host:
                raise invalid(
                    self,
                    f"user_egress_hosts[{index}]",
                    host,
                    "must be '<namespace>/<host>' as Istio Sidecar egress expects",
                )
        if gateway_principal.count("/ns/") != 1 or "/sa/" not in gateway_principal:
            raise invalid(
                self,
                "gateway_principal",
                gateway_principal,
                "must look like '<trust domain>/ns/<namespace>/sa/<service account>'",
            )
        if ext_authz_provider is not None and not ext_authz_provider.strip():
            raise invalid(
                self,
                "ext_authz_provider",
                ext_authz_provider,
                "must name an extension provider of the mesh config",
            )
        if ext_authz_provider is None:
            refuse_unenforced(
                self,
                chosen.hub,
                "without ext_authz_provider nothing at the gateway sets the user header, so a "
                "client's own copy reaches the hub's login",
            )
        namespace = chart_namespace(self)
        if namespace is None:
            raise invalid(
                self,
                "namespace",
                None,
                "must be set on the chart: mesh identities name the namespace",
            )
        if isinstance(gateway_pods, NetworkPeer):
            gateway_pods.check(self, "gateway_pods")
        self._gateway_pods = gateway_pods
        # The Gateway binds to the gateway pods the peer names.
        selector = dict(gateway_pods.pod_labels)
        hub, proxy = chosen.hub, chosen
        release = hub.release
        labels = {APP_LABEL: release}
        self.proxy = proxy

        self._add(
            _istio_spec(
                "Gateway",
                kind="Gateway",
                name=gateway_name(release),
                labels=labels,
                spec={"selector": selector, "servers": self._servers(port, tls)},
            )
        )

        def route(
            to: IngressTarget,
            name: str,
            prefix: str | None,
            remove: Sequence[str],
            *,
            idempotent: bool,
        ) -> dict[str, Any]:
            """One route of the proxy's: for ``prefix`` (None: every path), the idempotent
            methods (one match each, as Istio's matches are alternatives) or all others."""
            base = {"uri": {"prefix": prefix}} if prefix else {}
            matches = (
                [{**base, "method": {"exact": method}} for method in IDEMPOTENT_METHODS]
                if idempotent
                else ([base] if base else None)
            )
            return {
                "name": f"{name}-idempotent" if idempotent else name,
                "match": matches,
                "headers": {"request": {"remove": list(remove)}} if remove else None,
                "retries": retries.policy(idempotent=idempotent),
                "route": [
                    {
                        "destination": {
                            "host": to.service_name,
                            "port": {"number": to.port},
                        }
                    }
                ],
            }

        # The ext-authz provider adds its headers (the user header, and Authorization with
        # its ID token) only on the paths it checks, the hub's; elsewhere a request's
        # Authorization is the client's own (a JupyterHub API token for a user server's API
        # or a remote kernel) and passes. The user header means nothing to a user server:
        # removed there, so none ever receives one. Route header removal runs in Envoy's
        # router, after the ext-authz filter.
        self.auth_headers = (hub.user_header.lower(),)
        header_filter: ObjectSpec | None = None
        target = proxy.ingress_target
        if target is None:
            # The proxy writes a VirtualService per route (the hub's "/" too), bound to this
            # Gateway by name: the two must agree.
            if proxy.route_gateway_name != gateway_name(release):
                raise invalid(
                    self,
                    "proxy",
                    proxy.route_gateway_name,
                    f"must bind its VirtualServices to this Gateway {gateway_name(release)!r}",
                )
            # Its VirtualServices remove no header, so user servers drop the user header
            # themselves, as the route for every path but the hub's does with CHProxy.
            header_filter = self._add(self._user_header_filter(release, hub))
            if self.user_hosts:
                self._add(self._stopped_servers(release, labels, hub, self.user_hosts))
        else:
            self._add(
                _istio_spec(
                    "VirtualService",
                    kind="VirtualService",
                    name=release,
                    labels=labels,
                    spec={
                        # The Gateway above.
                        "gateways": [gateway_name(release)],
                        "hosts": list(self.hosts),
                        # Envoy tries them in this order: the idempotent ones first.
                        "http": [
                            route(target, "hub", HUB_PATH_PREFIX, (), idempotent=True),
                            route(target, "hub", HUB_PATH_PREFIX, (), idempotent=False),
                            route(target, "other", None, self.auth_headers, idempotent=True),
                            route(target, "other", None, self.auth_headers, idempotent=False),
                        ],
                    },
                )
            )
            if self.user_hosts:
                # The user servers' paths alone: the hub's are served on its hosts only, so
                # no request on a user host reaches the hub's login unchecked.
                self._add(
                    _user_hosts_spec(
                        release,
                        labels,
                        self.user_hosts,
                        [
                            route(
                                target,
                                "users",
                                USER_PATH_PREFIX,
                                self.auth_headers,
                                idempotent=idem,
                            )
                            for idem in (True, False)
                        ],
                    )
                )
        workloads = [
            _Workload(
                Component.HUB,
                hub.labels,
                hub_proxy_mode,
                (*_HUB_PROXY_EGRESS, *_cluster_egress_hosts(hub.outbound_urls, namespace)),
                None,
            ),
            _Workload(Component.PROXY, proxy.labels, hub_proxy_mode, _HUB_PROXY_EGRESS, "SERVER"),
            _Workload(
                Component.SINGLEUSER,
                hub.user_pod_labels,
                user_mode,
                (
                    f"./{name_of(hub.service)}.{namespace}.svc.cluster.local",
                    *_USER_EGRESS,
                    *user_egress_hosts,
                ),
                "CLIENT_AND_SERVER",
            ),
        ]
        present = components((*proxy.flows(), *proxy.ingress_flows(self._gateway_pods)))
        for workload in workloads:
            if workload.component in present:
                self._workload_policies(release, workload, telemetry)
        self._hub_access_log(release, hub.labels)
        entries = self._hub_egress(release, hub.labels, namespace, hub.outbound_urls)
        self._specs.extend(entries)

        def principal(service_account: str) -> str:
            return f"{trust_domain}/ns/{namespace}/sa/{service_account}"

        self._authorization(release, chosen, gateway_principal, principal)
        self.ext_authz_provider = ext_authz_provider
        if ext_authz_provider is not None:
            self._ext_authz(release, selector, ext_authz_provider)
            # A hub that believes its user header as is looks for it at synthesis
            # (enforces_user_header).
            join_app(self, release)
        # All of them made in one call.
        made = dict(zip((s.id for s in self._specs), api_objects(self, self._specs), strict=True))
        self._gateway = made["Gateway"]
        self._virtual_service = made.get("VirtualService")
        self._user_virtual_service = made.get("UserHosts")
        self._header_filter = made.get(header_filter.id) if header_filter else None
        self._access_log = made["hub-access-log"]
        self._service_entries = tuple(made[entry.id] for entry in entries)
        self._ext_authz_policy = made.get("ext-authz")
        self._policies = {
            component: MeshPolicies(
                **{
                    field: made[spec_id.format(component.value)]
                    for field, spec_id in _POLICY_IDS.items()
                }
            )
            for component in Component
            if _POLICY_IDS["sidecar"].format(component.value) in made
        }

    @property
    def gateway(self) -> cdk8s.ApiObject:
        """The Gateway (``<release>``), bound to ``gateway_pods``."""
        return self._gateway

    @property
    def gateway_pods(self) -> NetworkPeer:
        """The ingress gateway's pods, for NetworkPolicies
        (``HubNetworkPolicies(ingress_from=istio.gateway_pods)``)."""
        return self._gateway_pods

    @property
    def virtual_service(self) -> cdk8s.ApiObject | None:
        """The VirtualService to the proxy's ingress target; ``None`` where the hub writes its
        own (``IstioProxy``)."""
        return self._virtual_service

    @property
    def user_virtual_service(self) -> cdk8s.ApiObject | None:
        """The VirtualService of the user servers' own hosts (``/user/`` on the hub's
        ``user_hosts``; with ``IstioProxy``, whose hub writes each running server's, the
        redirect of a host without one to the hub); ``None`` without them."""
        return self._user_virtual_service

    @property
    def user_header_filter(self) -> cdk8s.ApiObject | None:
        """The EnvoyFilter that drops the user header at user pods, made for a proxy whose
        VirtualServices remove none (``IstioProxy``); else ``None``."""
        return self._header_filter

    @property
    def hub_access_log(self) -> cdk8s.ApiObject:
        """The EnvoyFilter writing the hub's inbound access log as JSON."""
        return self._access_log

    @property
    def service_entries(self) -> tuple[cdk8s.ApiObject, ...]:
        """The hub's ServiceEntries, one per port of the hosts outside the cluster it calls."""
        return self._service_entries

    @property
    def ext_authz_policy(self) -> cdk8s.ApiObject | None:
        """The CUSTOM AuthorizationPolicy in the gateway's namespace; ``None`` without
        ``ext_authz_provider``."""
        return self._ext_authz_policy

    @property
    def hub_policies(self) -> MeshPolicies:
        """The hub pod's PeerAuthentication, Sidecar, Telemetry and AuthorizationPolicy."""
        return self._policies[Component.HUB]

    @property
    def proxy_policies(self) -> MeshPolicies | None:
        """The proxy pods' PeerAuthentication, Sidecar, Telemetry and AuthorizationPolicy;
        ``None`` for a proxy with no pods of its own (``IstioProxy``)."""
        return self._policies.get(Component.PROXY)

    @property
    def user_policies(self) -> MeshPolicies:
        """The user pods' PeerAuthentication, Sidecar, Telemetry and AuthorizationPolicy."""
        return self._policies[Component.SINGLEUSER]

    def enforces_user_header(self, proxy: IProxy) -> bool:
        """Whether this edge lets only its external auth set the user header of ``proxy``'s
        hub: ext-authz on the hub's paths, and the hub's AuthorizationPolicy."""
        return self.ext_authz_provider is not None and proxy is self.proxy

    def _add(self, spec: ObjectSpec) -> ObjectSpec:
        self._specs.append(spec)
        return spec

    def _stopped_servers(
        self, release: str, labels: dict[str, str], hub: IHub, user_hosts: str
    ) -> ObjectSpec:
        """A user host without a server running: redirected to the hub's public URL (the
        host JupyterHub sends browsers to log in, ``hub_host``), path and query kept, as a
        302 (the server may run there again), where the hub answers it as it answers
        CHProxy's default route (JupyterHub's ``PrefixRedirectHandler`` sends
        ``/user/<name>/...`` on to its "not running" page, with a button to start it). The
        scheme is set: Envoy would take the request's, ``http`` on a gateway whose TLS
        ends before it, and the query (a token) would follow in clear.

        The hub writes a running server's VirtualService for its exact host, which the
        gateway serves as a virtual host of its own; Envoy picks the exact domain before
        this wildcard (Istio 1.30.3 pilot/pkg/networking/core/gateway.go
        ``buildGatewayHTTPRouteConfig``: a virtual host per intersecting host name), so
        this object takes only the hosts nothing else serves. It sends nothing to the hub:
        the gateway answers it, so no request on a user host reaches the hub."""
        redirect = {
            "scheme": PUBLIC_SCHEME,
            "authority": hub_host(hub.public_hosts, user_hosts),
            "redirectCode": HTTPStatus.FOUND.value,
        }
        return _user_hosts_spec(
            release, labels, user_hosts, [{"name": "stopped-servers", "redirect": redirect}]
        )

    def _servers(self, port: int, tls: IstioTls | None) -> list[dict[str, Any]]:
        """Plain HTTP on ``port``; with ``tls``, HTTPS (TLS ended here, mode SIMPLE) and HTTP
        only to redirect to it."""
        http = {"name": "http", "number": port, "protocol": "HTTP"}
        # Bound by the VirtualServices of the Gateway's namespace alone (_GATEWAY_NAMESPACE).
        hosts = [f"{_GATEWAY_NAMESPACE}/{host}" for host in self.gateway_hosts]
        if tls is None:
            return [{"hosts": hosts, "port": http}]
        servers: list[dict[str, Any]] = [
            {
                "hosts": hosts,
                "port": {"name": "https", "number": tls.port, "protocol": "HTTPS"},
                "tls": {"mode": "SIMPLE", "credentialName": tls.credential_name},
            }
        ]
        if tls.redirect_http:
            servers.append({"hosts": hosts, "port": http, "tls": {"httpsRedirect": True}})
        return servers

    def _workload_policies(
        self, release: str, workload: _Workload, telemetry: MeshTelemetry
    ) -> None:
        name = f"{release}-{workload.component.value}"
        labels = dict(workload.labels)
        kind = workload.component.value
        self._add(
            _istio_spec(
                _POLICY_IDS["peer_authentication"].format(kind),
                kind="PeerAuthentication",
                name=name,
                labels=labels,
                spec={"selector": {"matchLabels": labels}, "mtls": {"mode": "STRICT"}},
            )
        )
        self._add(
            _istio_spec(
                _POLICY_IDS["sidecar"].format(kind),
                kind="Sidecar",
                name=name,
                labels=labels,
                spec={
                    "workloadSelector": {"labels": labels},
                    "egress": [{"hosts": list(workload.egress_hosts)}],
                    "outboundTrafficPolicy": {"mode": workload.outbound.value},
                },
            )
        )
        access_log: dict[str, Any]
        if workload.access_log is None:
            access_log = {"disabled": True}
        else:
            access_log = {
                "providers": [{"name": telemetry.access_log_provider}],
                "filter": {"expression": telemetry.access_log_filter},
                "match": {"mode": workload.access_log},
            }
        self._add(
            _istio_spec(
                _POLICY_IDS["telemetry"].format(kind),
                kind="Telemetry",
                name=name,
                labels=labels,
                spec={
                    "selector": {"matchLabels": labels},
                    "tracing": [
                        {
                            "providers": [{"name": telemetry.tracing_provider}],
                            "randomSamplingPercentage": telemetry.sampling_percentage,
                        }
                    ],
                    "metrics": [
                        {
                            "providers": [{"name": telemetry.metrics_provider}],
                            "reportingInterval": telemetry.metrics_interval,
                        }
                    ],
                    "accessLogging": [access_log],
                },
            )
        )

    def _authorization(
        self, release: str, proxy: IProxy, gateway_principal: str, principal: Any
    ) -> None:
        """ALLOW policies: once one selects a workload, anything it does not allow is denied.

        Each admits the sources of the proxy's flows to it (``IProxy.flows``, and
        ``ingress_flows`` for the gateway), but the hub admits user servers (and its own
        services) on /hub/api/ only. With CHProxy: the proxy's public port the gateway, its API
        the hub; the hub and user servers the proxy (and the hub).
        """
        hub = proxy.hub
        principals = {
            Component.PROXY: principal(name_of(proxy.service_account)),
            Component.HUB: principal(name_of(hub.service_account)),
            Component.SINGLEUSER: principal(hub.user_service_account_name),
        }
        # Everything the proxy says reaches a component (the gateway first), grouped by port.
        flows = (*proxy.ingress_flows(self._gateway_pods), *proxy.flows())

        def source(flow: Flow) -> str:
            return (
                gateway_principal
                if isinstance(flow.source, NetworkPeer)
                else principals[flow.source]
            )

        def rule(sources: list[str], port: int, paths: list[str] | None = None) -> dict[str, Any]:
            return {
                "from": [{"source": {"principals": sources}}],
                "to": [{"operation": {"ports": [str(port)], "paths": paths}}],
            }

        def rules_to(target: Component, *, but: Component | None = None) -> list[dict[str, Any]]:
            by_port: dict[int, list[str]] = {}
            for flow in flows:
                if flow.target is target and flow.source is not but:
                    by_port.setdefault(flow.port, []).append(source(flow))
            return [rule(sources, port) for port, sources in by_port.items()]

        user_and_hub = [principals[Component.SINGLEUSER], principals[Component.HUB]]
        policies = {
            Component.PROXY: (proxy.labels, rules_to(Component.PROXY)),
            # User servers (and the hub's own services) reach the hub on its API only.
            # "/hub/api" exactly too: jupyterhub-singleuser checks the hub with a GET of
            # JUPYTERHUB_API_URL (no trailing slash) at start; "/hub/api/*" does not match it.
            Component.HUB: (
                hub.labels,
                [
                    *rules_to(Component.HUB, but=Component.SINGLEUSER),
                    rule(user_and_hub, hub.port, ["/hub/api", "/hub/api/*"]),
                ],
            ),
            Component.SINGLEUSER: (hub.user_pod_labels, rules_to(Component.SINGLEUSER)),
        }
        present = components(flows)
        for component, (labels, rules) in policies.items():
            if component not in present:
                continue
            self._add(
                _istio_spec(
                    _POLICY_IDS["authorization_policy"].format(component.value),
                    kind="AuthorizationPolicy",
                    name=f"{release}-{component.value}",
                    labels=dict(labels),
                    spec={
                        "selector": {"matchLabels": dict(labels)},
                        "action": "ALLOW",
                        "rules": rules,
                    },
                )
            )

    def _hub_egress(
        self, release: str, labels: dict[str, str], namespace: str, urls: Sequence[str]
    ) -> list[ObjectSpec]:
        """A ServiceEntry per port for the hosts outside the cluster the hub calls (the
        identity provider's JWKS, or its login's provider: issuer, API, LDAP server; a database
        server): a REGISTRY_ONLY sidecar reaches only registry hosts. The hub speaks TLS itself,
        so https and ldaps ports are TLS (routed by SNI), not HTTP; ldap (StartTLS) and
        PostgreSQL are TCP."""
        by_port: dict[tuple[int, str], set[str]] = {}
        for url in urls:
            target = outbound(url, namespace)
            if target.in_cluster:
                continue  # a Service of the cluster: in the registry already
            protocol = _EGRESS_PROTOCOLS.get(target.scheme, "HTTP")
            by_port.setdefault((target.port, protocol), set()).add(target.host)
        entries = []
        for (port, protocol), hosts in sorted(by_port.items()):
            entries.append(
                object_spec(
                    f"hub-egress-{port}",
                    api_version="networking.istio.io/v1",
                    kind="ServiceEntry",
                    name=f"{release}-hub-egress-{port}",
                    labels=dict(labels),
                    spec={
                        "hosts": sorted(hosts),
                        # Visible to this namespace's sidecars only.
                        "exportTo": ["."],
                        "location": "MESH_EXTERNAL",
                        "resolution": "DNS",
                        "ports": [
                            {
                                "number": port,
                                "name": f"{protocol.lower()}-{port}",
                                "protocol": protocol,
                            }
                        ],
                    },
                )
            )
        return entries

    def _user_header_filter(self, release: str, hub: IHub) -> ObjectSpec:
        """An EnvoyFilter on the user pods' inbound virtual host of the user port (Istio's
        ``inbound|http|<port>``, the one wildcard virtual host of an inbound HTTP route, which
        SIDECAR_INBOUND patches reach) that removes the hub's user header from every request.
        ``Authorization`` passes: the ext-authz provider adds its ID token only on the hub's
        paths, which never route to a user pod, so there it is the client's own (an API
        token)."""
        labels = dict(hub.user_pod_labels)
        return object_spec(
            "user-auth-headers",
            api_version="networking.istio.io/v1alpha3",
            kind="EnvoyFilter",
            name=f"{release}-{Component.SINGLEUSER.value}-auth-headers",
            labels=labels,
            spec={
                "workloadSelector": {"labels": labels},
                "configPatches": [
                    {
                        "applyTo": "VIRTUAL_HOST",
                        "match": {
                            "context": "SIDECAR_INBOUND",
                            "routeConfiguration": {"vhost": {"name": f"inbound|http|{USER_PORT}"}},
                        },
                        "patch": {
                            "operation": "MERGE",
                            "value": {"request_headers_to_remove": list(self.auth_headers)},
                        },
                    }
                ],
            },
        )

    def _hub_access_log(self, release: str, hub_labels: dict[str, str]) -> None:
        value: dict[str, Any] = {
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.network."
                "http_connection_manager.v3.HttpConnectionManager",
                "access_log": [
                    {
                        "name": "envoy.access_loggers.file",
                        "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3."
                            "FileAccessLog",
                            "path": "/dev/stdout",
                            "log_format": {"json_format": dict(_ACCESS_LOG_FIELDS)},
                        },
                    }
                ],
            }
        }
        self._add(
            _istio_spec(
                "hub-access-log",
                # EnvoyFilter has no v1 (Istio serves it as v1alpha3 only).
                api_version="networking.istio.io/v1alpha3",
                kind="EnvoyFilter",
                name=f"{release}-hub-access-log",
                labels=dict(hub_labels),
                spec={
                    "workloadSelector": {"labels": hub_labels},
                    "configPatches": [
                        {
                            "applyTo": "NETWORK_FILTER",
                            "match": {
                                "context": "SIDECAR_INBOUND",
                                "listener": {"filterChain": {"filter": {"name": _HCM}}},
                            },
                            "patch": {"operation": "MERGE", "value": value},
                        }
                    ],
                },
            )
        )

    @property
    def ext_authz_hosts(self) -> tuple[str, ...]:
        """The ext-authz policy's ``hosts``: each host bare and with any port. The gateway
        routes ``Host: h:443`` as ``h`` (its RouteConfiguration sets
        ``ignore_port_in_host_matching``: Istio 1.30 pilot/pkg/networking/core/gateway.go,
        ``buildGatewayHTTPRouteConfig``), while a policy's ``hosts`` match the whole
        ``:authority``, port included (``matcher.HostMatcher`` in
        pilot/pkg/security/authz/matcher/header.go: exact, ``h:*`` a prefix, both
        case-insensitive). Listing ``h`` and ``h:*`` (Istio's security best practices, "host
        match policies") keeps the check on whatever port a client writes; dropping ``hosts``
        would also check other apps' ``/hub`` paths on a shared gateway."""
        return tuple(name for host in self.hosts for name in (host, f"{host}:*"))

    # The hub's paths ("/hub/*" does not match "/hub" itself), where oauth2-proxy and its
    # cookies live (AUTH_PROXY_PREFIX, AUTH_COOKIE_PATH): the only paths that need its check.
    ext_authz_paths = (HUB_PATH, f"{HUB_PATH}/*")

    def _ext_authz(self, release: str, selector: dict[str, str], provider: str) -> None:
        namespace = self._gateway_pods.namespace
        if namespace is None:
            raise invalid(
                self,
                "gateway_pods",
                self._gateway_pods,
                "must name the gateway's namespace to place its ext-authz policy",
            )
        operation: dict[str, Any] = {
            "hosts": list(self.ext_authz_hosts),
            "paths": list(self.ext_authz_paths),
        }
        if self.tls and self.tls.redirect_http:
            # The HTTP listeners only redirect to HTTPS (IstioTls).
            operation["notPorts"] = [str(p) for p in self.tls.http_workload_ports]
        self._add(
            _istio_spec(
                "ext-authz",
                kind="AuthorizationPolicy",
                name=f"{release}-ext-authz",
                namespace=namespace,
                labels={APP_LABEL: release},
                spec={
                    "selector": {"matchLabels": selector},
                    "action": "CUSTOM",
                    "provider": {"name": provider},
                    "rules": [{"to": [{"operation": operation}]}],
                },
            )
        )


# The served version of each Istio kind made here (those of crds/istio.yaml).
_API_GROUPS = {
    "Gateway": "networking.istio.io/v1",
    "VirtualService": "networking.istio.io/v1",
    "Sidecar": "networking.istio.io/v1",
    "PeerAuthentication": "security.istio.io/v1",
    "AuthorizationPolicy": "security.istio.io/v1",
    "Telemetry": "telemetry.istio.io/v1",
}


def _check_gateway_namespace(
    scope: Construct, certificate: HubCertificate, gateway_pods: NetworkPeer
) -> None:
    """Istio's gateway reads ``credentialName`` in its own pods' namespace."""
    if gateway_pods.namespace is not None and certificate.namespace != gateway_pods.namespace:
        raise invalid(
            scope,
            "tls.certificate",
            certificate.namespace,
            f"must be made in the gateway pods' namespace {gateway_pods.namespace!r} "
            "(HubCertificate(namespace=...)), where Istio reads credentialName",
        )


def _istio_spec(
    id: str,
    *,
    kind: str,
    name: str,
    labels: dict[str, str],
    spec: dict[str, Any],
    api_version: str | None = None,
    namespace: str | None = None,
) -> ObjectSpec:
    """An Istio object, its spec's keys sorted (as the typed CRD bindings rendered them)."""
    return object_spec(
        id,
        api_version=api_version or _API_GROUPS[kind],
        kind=kind,
        name=name,
        namespace=namespace,
        labels=labels,
        spec=sorted_keys(spec),
    )


def _cluster_egress_hosts(urls: Sequence[str], namespace: str) -> tuple[str, ...]:
    """Sidecar egress entries for the Services of other namespaces the hub calls (an LDAP
    server or a Keycloak elsewhere in the cluster): ``./*`` covers only its own."""
    hosts = set()
    for url in urls:
        target = outbound(url, namespace)
        if target.in_cluster and target.namespace not in (None, namespace):
            # The registry's name, whichever form the URL has.
            hosts.add(f"{target.namespace}/{target.service}.{target.namespace}.svc.cluster.local")
    return tuple(sorted(hosts))


def _check_in_mesh(ingress: IstioIngress, field: str, given: object, hub: IHub) -> None:
    """The hub (``given``'s) must have Istio's sidecar, whichever way it is given: the STRICT
    mTLS, Sidecars, Telemetry and AuthorizationPolicies made here act only on pods with one,
    and without it nothing keeps user servers off the hub's login path. A hub of another
    library, which has no ``sidecar``, says nothing of it."""
    if getattr(hub, "sidecar", True) is not None:
        return
    where = hub.node.path if isinstance(hub, Construct) else hub.name
    raise invalid(
        ingress,
        field,
        given.node.path if isinstance(given, Construct) else given,
        f"must have the mesh IstioIngress configures (its hub {where} has no Istio sidecar): "
        "JupyterHub(mesh=IstioMesh()), or sidecar=IstioSidecar() in the options of a hub and "
        "a proxy made apart",
    )


def _outbound(
    scope: Construct, field: str, value: OutboundTrafficMode | str
) -> OutboundTrafficMode:
    try:
        return OutboundTrafficMode(value)
    except ValueError:
        allowed = ", ".join(mode.value for mode in OutboundTrafficMode)
        raise invalid(scope, field, value, f"must be one of {allowed}") from None
