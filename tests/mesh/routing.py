"""Where a request goes: the source's sidecar (outbound) and the ingress gateway.

Written from Istio's documentation and the code it describes:

- Protocol Selection (istio.io/latest/docs/ops/configuration/traffic-management/
  protocol-selection/): a Service port's protocol is its ``appProtocol``, which takes
  precedence, else its name ``<protocol>[-<suffix>]``; otherwise it is detected from the
  traffic. On the sidecar ``https`` is opaque TLS like ``tls``.
- HTTP is routed by the Host header: "Routing is based on host header. So if you put
  something in the Host header that you haven't defined a route for [...] this is expected"
  (istio/istio#30347). The outbound HTTP route for a port holds one virtual host per visible
  service with that port, whose domains Istio generates (``generateVirtualHostDomains`` /
  ``GenerateAltVirtualHosts`` in pilot/pkg/networking/core/httproute.go): the FQDN
  ``name.ns.svc.cluster.local``, ``name.ns`` and ``name.ns.svc``, and the bare ``name`` only
  for a proxy in the service's namespace, each with and without ``:port``. A Host matching
  none falls to the catch-all virtual host: ``PassthroughCluster`` under ``ALLOW_ANY``
  (plaintext to the address dialled, outside mTLS), a direct 502 (``BlackHole``) under
  ``REGISTRY_ONLY`` (``buildCatchAllVirtualHost``). Newer Istio ignores the port in Host
  matching; this model keeps the stricter domains with the Service's own port.
- A port whose protocol is detected gets a listener of its own per service address, and its
  HTTP route keeps only that service's virtual host, with domain ``*``
  (``getVirtualHostsForSniffedServicePort``): there the Host does not matter.
- TCP and TLS are routed by destination address (TLS by SNI for ServiceEntry hosts).
- Sidecar (istio.io/latest/docs/reference/config/networking/sidecar/): a workload's Sidecar is
  the one in its namespace whose ``workloadSelector`` selects it, else its namespace's
  Sidecar without selector, else the root namespace's. Egress ``hosts`` are
  ``namespace/dnsName`` (``.`` the Sidecar's namespace, ``*`` any, ``~`` none; dnsName ``*``
  or ``*.suffix`` wildcards) and decide which services the proxy knows at all;
  ``outboundTrafficPolicy`` ``REGISTRY_ONLY`` blocks anything else.
- A host outside the registry (not a Kubernetes Service) needs a ServiceEntry; its
  ``exportTo`` (``.``, ``*`` or namespaces) decides which namespaces see it.
- With automatic mTLS a sidecar speaks Istio mTLS to endpoints that have a sidecar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.mesh.objects import (
    CLUSTER_SUFFIX,
    MESH_OUTBOUND,
    ROOT_NAMESPACE,
    Gateway,
    GatewayServer,
    Mesh,
    Service,
    ServiceEntry,
    Sidecar,
    Unmodelled,
    VirtualService,
    Workload,
    selects,
)

__all__ = [
    "HTTP",
    "SNIFFED",
    "TCP",
    "TLS",
    "Outbound",
    "ingress",
    "outbound",
    "port_protocol",
    "route_matches",
    "sidecar_of",
    "virtual_host_domains",
]

HTTP, TLS, TCP, SNIFFED = "HTTP", "TLS", "TCP", "SNIFFED"
_PROTOCOLS = {
    "http": HTTP,
    "http2": HTTP,
    "grpc": HTTP,
    "grpc-web": HTTP,
    "kubernetes.io/h2c": HTTP,
    "kubernetes.io/ws": HTTP,
    "https": TLS,
    "tls": TLS,
    "kubernetes.io/wss": TLS,
    # mysql and redis filters are off by default: opaque TCP.
    "tcp": TCP,
    "mongo": TCP,
    "mysql": TCP,
    "redis": TCP,
}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def port_protocol(name: str | None, app_protocol: str | None) -> str:
    """HTTP, TLS, TCP or SNIFFED (detected from the traffic) for a Service port."""
    if app_protocol:
        return _PROTOCOLS.get(app_protocol.lower(), SNIFFED)
    prefix = (name or "").lower()
    if prefix not in _PROTOCOLS:
        prefix = prefix.split("-", 1)[0]
    return _PROTOCOLS.get(prefix, SNIFFED)


def _entry_protocol(entry: ServiceEntry, port: int) -> str:
    declared = entry.port(port)
    assert declared is not None
    protocol = _PROTOCOLS.get(declared.protocol.lower())
    if protocol is None:
        raise Unmodelled(
            f"ServiceEntry {entry.namespace}/{entry.name}: protocol "
            f"{declared.protocol} is not modelled"
        )
    return protocol


@dataclass(frozen=True)
class Outbound:
    """Where one request goes. ``service`` is the mesh destination: the routed service, or the
    address dialled when the request passes through outside the mesh; ``entry`` an external
    one."""

    routed: bool
    reason: str
    service: Service | None = None
    entry: ServiceEntry | None = None
    port: int | None = None  # the Service (or ServiceEntry) port
    protocol: str = TCP
    mtls: bool = False
    # Request headers (lower case) the VirtualService route removes (headers.request.remove).
    removed_headers: tuple[str, ...] = ()
    # The route's retries, as written (None: none given, Istio's default applies).
    retries: Mapping[str, Any] | None = None


def virtual_host_domains(service: Service, port: int, proxy_namespace: str) -> set[str]:
    """The Host values a proxy in ``proxy_namespace`` routes to ``service`` on ``port``."""
    name, namespace = service.name, service.namespace
    hosts = {service.hostname, f"{name}.{namespace}", f"{name}.{namespace}.svc"}
    if namespace == proxy_namespace:
        hosts.add(name)
    return hosts | {f"{host}:{port}" for host in hosts}


def _dns_match(pattern: str, name: str) -> bool:
    """Envoy domain / Istio host match: exact, ``*``, or ``*.suffix`` (case-insensitive)."""
    pattern, name = pattern.lower(), name.lower()
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return name.endswith(pattern[1:]) and len(name) > len(pattern) - 1
    return pattern == name


def sidecar_of(mesh: Mesh, workload: Workload) -> Sidecar | None:
    """The Sidecar that applies to a workload (None: Istio's default, every host)."""
    local = [s for s in mesh.sidecars if s.namespace == workload.namespace]
    chosen = (
        [s for s in local if s.selector is not None and selects(s.selector, workload.labels)]
        or [s for s in local if s.selector is None]
        or [s for s in mesh.sidecars if s.namespace == ROOT_NAMESPACE and s.selector is None]
    )
    if len(chosen) > 1:
        raise Unmodelled(
            f"{len(chosen)} Sidecars select {workload.kind} {workload.name}: "
            "Istio leaves that undefined"
        )
    return chosen[0] if chosen else None


def _exported(export_to: Iterable[str], owner: str, client: str) -> bool:
    return any(e == "*" or e == client or (e == "." and owner == client) for e in export_to)


def _visible(
    sidecar: Sidecar | None, client: str, hostname: str, owner: str, export_to: Iterable[str]
) -> bool:
    """Whether a proxy in ``client`` with this Sidecar knows ``hostname`` (of namespace
    ``owner``) at all."""
    if not _exported(export_to, owner, client):
        return False
    if sidecar is None or sidecar.egress_hosts is None:
        return True
    for item in sidecar.egress_hosts:
        namespace, _, dns = item.partition("/")
        if namespace == ".":
            namespace = sidecar.namespace
        if namespace not in ("*", owner):
            continue
        if _dns_match(dns, hostname):
            return True
    return False


def resolve(mesh: Mesh, host: str, client_namespace: str) -> Service | None:
    """The Service a pod of ``client_namespace`` reaches by ``host``: Kubernetes DNS tries its
    search path (``<ns>.svc.cluster.local``, ``svc.cluster.local``, ``cluster.local``) before
    the name as given."""
    host = host.lower().rstrip(".")
    for candidate in (
        f"{host}.{client_namespace}.{CLUSTER_SUFFIX}",
        f"{host}.{CLUSTER_SUFFIX}",
        f"{host}.cluster.local",
        host,
    ):
        service = next((s for s in mesh.services if s.hostname == candidate), None)
        if service is not None:
            return service
    return None


def _auto_mtls(mesh: Mesh, service: Service) -> bool:
    endpoints = mesh.endpoints(service)
    return bool(endpoints) and all(w.injected for w in endpoints)


def _catch_all(mode: str, what: str, protocol: str, service: Service | None, port: int) -> Outbound:
    if mode == "REGISTRY_ONLY":
        answer = "answers 502 (BlackHole)" if protocol == HTTP else "resets it (BlackHoleCluster)"
        return Outbound(False, f"{what}; the sidecar is REGISTRY_ONLY and {answer}")
    return Outbound(
        True,
        f"{what}; ALLOW_ANY passes it through to the address dialled, plaintext, outside mTLS",
        service=service,
        port=port,
        protocol=protocol,
        mtls=False,
    )


def _http_route(
    mesh: Mesh,
    source: Workload,
    sidecar: Sidecar | None,
    mode: str,
    port: int,
    host: str,
    dialled: Service | None,
) -> Outbound:
    """Pick the virtual host for ``host`` among every visible HTTP service on ``port``."""
    exact: list[Service | ServiceEntry] = []
    wildcard: list[Service | ServiceEntry] = []
    for service in mesh.services:
        declared = service.port(port)
        if (
            declared is None
            or port_protocol(declared.name, declared.app_protocol) != HTTP
            or not _visible(
                sidecar, source.namespace, service.hostname, service.namespace, service.export_to
            )
        ):
            continue
        if host.lower() in virtual_host_domains(service, port, source.namespace):
            exact.append(service)
    for entry in mesh.entries:
        if (
            entry.port(port) is None
            or _entry_protocol(entry, port) != HTTP
            or not any(
                _visible(sidecar, source.namespace, h, entry.namespace, entry.export_to)
                for h in entry.hosts
            )
        ):
            continue
        for domain in entry.hosts:
            if not _dns_match(domain, host.split(":")[0]) or (
                ":" in host and host.rsplit(":", 1)[1] != str(port)
            ):
                continue
            (wildcard if domain.startswith("*") else exact).append(entry)
    chosen = exact or wildcard
    if not chosen:
        return _catch_all(
            mode, f"no virtual host for Host {host!r} on HTTP port {port}", HTTP, dialled, port
        )
    target = chosen[0]
    if isinstance(target, Service):
        return Outbound(
            True,
            f"Host {host!r} is a domain of {target.hostname} on port {port}",
            service=target,
            port=port,
            protocol=HTTP,
            mtls=_auto_mtls(mesh, target),
        )
    return Outbound(
        True,
        f"Host {host!r} matches ServiceEntry {target.namespace}/{target.name}",
        entry=target,
        port=port,
        protocol=HTTP,
    )


def outbound(mesh: Mesh, source: Workload, url: str, host: str) -> Outbound:
    """Route a request the ``source`` workload sends to ``url`` with Host header ``host``."""
    parts = urlsplit(url)
    scheme, name = parts.scheme, (parts.hostname or "")
    port = parts.port or _DEFAULT_PORTS[scheme]
    app_tls = scheme == "https"
    service = resolve(mesh, name, source.namespace)
    if not source.injected:
        return Outbound(
            True,
            "no sidecar: the connection leaves the pod as it is",
            service=service,
            port=port,
            protocol=TLS if app_tls else HTTP,
        )
    sidecar = sidecar_of(mesh, source)
    mode = (sidecar.outbound if sidecar else None) or MESH_OUTBOUND
    if service is not None:
        declared = service.port(port)
        if declared is None:
            return Outbound(False, f"{service.hostname} has no port {port}")
        protocol = port_protocol(declared.name, declared.app_protocol)
        if protocol == HTTP:
            if app_tls:
                return Outbound(False, f"TLS sent to HTTP port {port} of {service.hostname}")
            return _http_route(mesh, source, sidecar, mode, port, host, service)
        if not _visible(
            sidecar, source.namespace, service.hostname, service.namespace, service.export_to
        ):
            return _catch_all(
                mode,
                f"{service.hostname} is not among the Sidecar's egress hosts",
                protocol,
                service,
                port,
            )
        if protocol == SNIFFED:
            protocol = TLS if app_tls else HTTP
        return Outbound(
            True,
            f"to {service.hostname}:{port} by its address ({protocol})",
            service=service,
            port=port,
            protocol=protocol,
            mtls=_auto_mtls(mesh, service),
        )
    entries = [
        e
        for e in mesh.entries
        if e.port(port) is not None
        and any(_dns_match(h, name) for h in e.hosts)
        and _visible(sidecar, source.namespace, name, e.namespace, e.export_to)
    ]
    if not entries:
        return _catch_all(
            mode,
            f"{name}:{port} is not in the registry (no Service, no ServiceEntry the Sidecar sees)",
            TLS if app_tls else HTTP,
            None,
            port,
        )
    entry = entries[0]
    protocol = _entry_protocol(entry, port)
    if app_tls and protocol == HTTP:
        return Outbound(False, f"TLS sent to HTTP port {port} of ServiceEntry {entry.name}")
    if not app_tls and protocol == TLS:
        return Outbound(
            False,
            f"plaintext sent to TLS port {port} of ServiceEntry {entry.name}: no SNI to route by",
        )
    if protocol == HTTP:
        return _http_route(mesh, source, sidecar, mode, port, host, None)
    how = "SNI" if protocol == TLS else "address"
    return Outbound(
        True,
        f"{name}:{port} by {how} to ServiceEntry {entry.namespace}/{entry.name} ({entry.location})",
        entry=entry,
        port=port,
        protocol=protocol,
    )


def ingress(
    mesh: Mesh, gateway: Workload, host: str, path: str, port: int, method: str = "GET"
) -> Outbound:
    """Route a request arriving at an ingress gateway workload on ``port``: a Gateway server
    selecting the workload must list the Host (whatever port it names is dropped: the
    gateway's RouteConfiguration sets ``ignore_port_in_host_matching``, Istio 1.30.3
    pilot/pkg/networking/core/gateway.go ``buildGatewayHTTPRouteConfig``, and Istio's
    simulation, pilot/pkg/simulation/traffic.go ``matchVirtualHost``, splits it off with
    ``net.SplitHostPort``), and a VirtualService bound to
    that Gateway for the Host routes it (istio.io/latest/docs/reference/config/networking/
    gateway/ and virtual-service/). An HTTPS server whose TLS the gateway ends (every
    ``tls.mode`` but PASSTHROUGH and AUTO_PASSTHROUGH) routes HTTP like a plain one; an HTTP
    server with ``tls.httpsRedirect`` answers every request with a 301 to HTTPS instead."""
    bare = host.lower().rsplit(":", 1)[0] if ":" in host else host.lower()
    for gw in mesh.gateways:
        if not selects(gw.selector, gateway.labels):
            continue
        servers = [s for s in gw.servers if s.port == port and _routes_http(s)]
        servers = [
            s for s in servers if any(_dns_match(h.rsplit("/", 1)[-1], bare) for h in s.hosts)
        ]
        if not servers:
            continue
        if all(s.https_redirect for s in servers):
            return Outbound(
                False,
                f"Gateway {gw.name} on port {port} redirects Host {host!r} to HTTPS "
                "(tls.httpsRedirect): 301",
            )
        for vs, route in _gateway_routes(mesh, gw, bare):
            if not route_matches(route, path, method):
                continue
            destination = route["route"][0]["destination"]
            service = resolve(mesh, destination["host"], vs.namespace)
            if service is None:
                return Outbound(
                    False,
                    f"VirtualService {vs.name} routes to unknown host {destination['host']}",
                )
            number = (destination.get("port") or {}).get("number")
            if number is None and len(service.ports) == 1:
                number = service.ports[0].port
            if number is None or service.port(int(number)) is None:
                return Outbound(
                    False,
                    f"VirtualService {vs.name}: port {number} is not a port of {service.hostname}",
                )
            return Outbound(
                True,
                f"Gateway {gw.name} and VirtualService {vs.name} route "
                f"Host {host!r} to {service.hostname}:{number}",
                service=service,
                port=int(number),
                protocol=HTTP,
                mtls=_auto_mtls(mesh, service),
                removed_headers=_removed(vs, route),
                retries=route.get("retries"),
            )
    return Outbound(
        False,
        f"no Gateway server and VirtualService of the gateway on port "
        f"{port} for Host {host!r}: 404",
    )


def _routes_http(server: GatewayServer) -> bool:
    """Whether the gateway reads HTTP requests on this server: plain HTTP, or HTTPS whose TLS
    it ends itself (PASSTHROUGH forwards the encrypted stream by SNI)."""
    if server.protocol in ("HTTP", "HTTP2"):
        return True
    return server.protocol == "HTTPS" and server.tls_mode not in (
        None,
        "PASSTHROUGH",
        "AUTO_PASSTHROUGH",
    )


def _gateway_routes(
    mesh: Mesh, gateway: Gateway, host: str
) -> list[tuple[VirtualService, Mapping[str, Any]]]:
    """The routes a gateway's virtual host for ``host`` holds, in the order Envoy tries them:
    every VirtualService bound to the Gateway for the host contributes its routes, in
    creation order (here: manifest order), then catch-all routes (``prefix: /`` or no match,
    with no header or query match) move to the end, the others keeping their order (Istio's
    ``buildGatewayHTTPRouteConfig`` in pilot/pkg/networking/core/gateway.go, and
    ``SortVHostRoutes``/``IsCatchAllRoute`` in pilot/pkg/networking/core/route/route.go)."""
    routes: list[tuple[VirtualService, Mapping[str, Any]]] = []
    for vs in mesh.virtual_services:
        bound = {g if "/" in g else f"{vs.namespace}/{g}" for g in vs.gateways}
        if f"{gateway.namespace}/{gateway.name}" not in bound:
            continue
        if not any(_dns_match(h, host) for h in vs.hosts):
            continue
        routes.extend((vs, route) for route in vs.http)
    ordered = [(vs, r) for vs, r in routes if not _catch_all_route(r)]
    return ordered + [(vs, r) for vs, r in routes if _catch_all_route(r)]


def _catch_all_route(route: Mapping[str, Any]) -> bool:
    matches = route.get("match")
    if not matches:
        return True  # Istio's match for "no match" is prefix "/"
    return any(m.get("uri") == {"prefix": "/"} and set(m) == {"uri"} for m in matches)


def _removed(vs: VirtualService, route: Mapping[str, Any]) -> tuple[str, ...]:
    """``headers.request.remove`` of a route: Envoy's ``request_headers_to_remove``, applied
    by the router after every HTTP filter (ext-authz included), by case-insensitive name
    (istio.io/latest/docs/reference/config/networking/virtual-service/#Headers)."""
    headers = route.get("headers") or {}
    request = headers.get("request") or {}
    if set(headers) - {"request", "response"} or set(request) - {"remove"}:
        raise Unmodelled(f"VirtualService {vs.name}: headers {dict(headers)} are not modelled")
    return tuple(name.lower() for name in request.get("remove", []))


def route_matches(route: Mapping[str, Any], path: str, method: str = "GET") -> bool:
    """A VirtualService HTTP route's ``match``: any one of its entries, each with all of its
    fields (only ``uri`` prefix/exact and ``method`` exact are modelled)."""
    matches = route.get("match")
    if not matches:
        return True
    for match in matches:
        if (
            set(match) - {"uri", "method"}
            or set(match.get("uri", {})) - {"prefix", "exact"}
            or set(match.get("method", {})) - {"exact"}
        ):
            raise Unmodelled(f"VirtualService match {match} is not modelled")
        uri = match.get("uri", {})
        if "method" in match and match["method"]["exact"] != method:
            continue
        if "exact" in uri and path.split("?")[0] == uri["exact"]:
            return True
        if "prefix" in uri and path.startswith(uri["prefix"]):
            return True
        if not uri:
            return True
    return False
