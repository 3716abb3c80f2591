"""Where a request goes: the source's sidecar (outbound) and the ingress gateway.

Written from Istio 1.30.3's source (``istio/istio`` at tag 1.30.3, cited by file and function)
and the documentation of that release (istio.io/v1.30/docs/...); Envoy's part (files under
``source/``) from the Envoy that release's proxy (``istio/proxy`` 1.30.3) builds:

- Protocol selection (``pkg/config/kube/conversion.go`` ``ConvertProtocol``): a Service port
  of protocol UDP is UDP; else its ``appProtocol`` if set (``kubernetes.io/h2c`` HTTP2,
  ``kubernetes.io/ws`` HTTP, ``kubernetes.io/wss`` HTTPS), else its name; a name beginning
  ``grpc-web`` is gRPC-Web, else the part before the first ``-`` is parsed
  (``pkg/config/protocol/instance.go`` ``Parse``, case-insensitive); anything else is
  detected from the traffic, but on the well-known ports 25, 53, 3306 and 27017 it is TCP.
  On the sidecar ``https`` is opaque TLS like ``tls``.
- HTTP is routed by the Host header: "Routing is based on host header. So if you put
  something in the Host header that you haven't defined a route for [...] this is expected"
  (istio/istio#30347). The outbound HTTP route for a port holds one virtual host per visible
  service with that port, whose domains Istio generates
  (pilot/pkg/networking/core/httproute.go ``generateVirtualHostDomains`` and
  ``GenerateAltVirtualHosts``): the FQDN ``name.ns.svc.cluster.local`` and, with
  PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN (default true), ``name.ns.svc.cluster.local.``;
  ``name.ns`` and ``name.ns.svc``; the bare ``name`` only for a proxy in the service's
  namespace. None carries a port: ``SidecarIgnorePort`` holds for every Envoy sidecar, and
  ``buildSidecarOutboundHTTPRouteConfig`` sets ``IgnorePortInHostMatching: true``, so Envoy
  drops the Host's port before matching, whatever port it names, and matches domains
  case-insensitively. A Host matching none falls to the catch-all virtual host:
  ``PassthroughCluster`` under ``ALLOW_ANY`` (plaintext to the address dialled, outside
  mTLS), a direct 502 (``BlackHole``) under ``REGISTRY_ONLY`` (``buildCatchAllVirtualHost``).
  The Service's cluster IP, also a domain there, is not modelled.
- A port whose protocol is detected gets a listener of its own per service address, and its
  HTTP route keeps only that service's virtual host, with domain ``*``
  (``getVirtualHostsForSniffedServicePort``): there the Host does not matter.
- TCP and TLS are routed by destination address (TLS by SNI for ServiceEntry hosts).
- Sidecar (istio.io/v1.30/docs/reference/config/networking/sidecar/): a workload's Sidecar is
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
from tests.mesh.paths import normalized_path

__all__ = [
    "HTTP",
    "SNIFFED",
    "TCP",
    "TLS",
    "Outbound",
    "host_without_port",
    "ingress",
    "outbound",
    "port_protocol",
    "resolve",
    "route_matches",
    "sidecar_of",
    "virtual_host_domains",
]

HTTP, TLS, TCP, SNIFFED = "HTTP", "TLS", "TCP", "SNIFFED"
# pkg/config/protocol/instance.go Parse, by what the sidecar does with each.
_PROTOCOLS = {
    "http": HTTP,
    "http_proxy": HTTP,
    "http2": HTTP,
    "grpc": HTTP,
    "grpc-web": HTTP,
    "https": TLS,
    "tls": TLS,
    # mysql and redis filters are off by default: opaque TCP.
    "tcp": TCP,
    "mongo": TCP,
    "mysql": TCP,
    "redis": TCP,
}
# conversion.go ConvertProtocol: the appProtocol values Kubernetes defines.
_KUBERNETES_APP_PROTOCOLS = {
    "kubernetes.io/h2c": HTTP,
    "kubernetes.io/ws": HTTP,
    "kubernetes.io/wss": TLS,
}
# conversion.go wellKnownPorts: SMTP, DNS, MySQL, MongoDB are never sniffed.
_WELL_KNOWN_PORTS = {25, 53, 3306, 27017}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def port_protocol(
    name: str | None, app_protocol: str | None, port: int | None = None, transport: str = "TCP"
) -> str:
    """HTTP, TLS, TCP or SNIFFED (detected from the traffic) for a Service port
    (conversion.go ``ConvertProtocol``)."""
    if transport == "UDP":
        raise Unmodelled("a UDP Service port is not modelled")
    given = app_protocol if app_protocol else (name or "")
    if app_protocol and app_protocol in _KUBERNETES_APP_PROTOCOLS:
        return _KUBERNETES_APP_PROTOCOLS[app_protocol]
    if given.lower().startswith("grpc-web"):
        return HTTP
    protocol = _PROTOCOLS.get(given.split("-", 1)[0].lower())
    if protocol is None:
        return TCP if port in _WELL_KNOWN_PORTS else SNIFFED
    return protocol


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
    # A redirect the gateway answers with instead (``HTTPRedirect``): its Location.
    redirect: str | None = None


def virtual_host_domains(service: Service, proxy_namespace: str) -> set[str]:
    """The domains (lower case, no port) of ``service``'s virtual host at a proxy in
    ``proxy_namespace`` (httproute.go ``generateVirtualHostDomains``)."""
    name, namespace = service.name, service.namespace
    hosts = {
        service.hostname,
        f"{service.hostname}.",
        f"{name}.{namespace}",
        f"{name}.{namespace}.svc",
    }
    if namespace == proxy_namespace:
        hosts.add(name)
    return hosts


def host_without_port(host: str) -> str:
    """The Host Envoy matches domains against with ``ignore_port_in_host_matching``: cut at
    its last ``:`` unless a ``]`` follows it (envoy source/common/http/header_utility.cc
    ``HeaderUtility::getPortStart``), then lower-cased (source/common/router/config_impl.cc
    ``RouteMatcher::findVirtualHost``: "hostnames are case insensitive"). A trailing dot stays:
    only the FQDN's dotted form is a domain."""
    cut = host.rfind(":")
    if cut != -1 and host.rfind("]") < cut:
        host = host[:cut]
    return host.lower()


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
    """The Service a pod of ``client_namespace`` reaches by ``host``. The kubelet writes the
    pod's resolv.conf with ``search <ns>.svc.cluster.local svc.cluster.local cluster.local``
    and ``options ndots:5`` (kubernetes/kubernetes pkg/kubelet/network/dns/dns.go, read at
    commit 04791b49: ``defaultDNSOptions`` and ``generateSearchesForDNSClusterFirst``, long
    the same): a name with fewer than
    five dots tries the search list first, then itself; a name ending in ``.`` is absolute
    and tries only itself (the resolver's rule, resolv.conf(5))."""
    host = host.lower()
    if host.endswith("."):
        candidates = [host[:-1]]
    else:
        searched = [
            f"{host}.{client_namespace}.{CLUSTER_SUFFIX}",
            f"{host}.{CLUSTER_SUFFIX}",
            f"{host}.cluster.local",
        ]
        candidates = [*searched, host] if host.count(".") < 5 else [host, *searched]
    for candidate in candidates:
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
            or port_protocol(declared.name, declared.app_protocol, port) != HTTP
            or not _visible(
                sidecar, source.namespace, service.hostname, service.namespace, service.export_to
            )
        ):
            continue
        if host_without_port(host) in virtual_host_domains(service, source.namespace):
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
            if not _dns_match(domain, host_without_port(host)):
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
        protocol = port_protocol(declared.name, declared.app_protocol, port)
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
    """Route a request arriving at an ingress gateway workload on ``port``, as the route table
    Istio 1.30.3 gives the workload for that port (``_route_table``) routes it: its one
    virtual host for the Host (whatever port the Host names is dropped: the gateway's
    RouteConfiguration sets ``ignore_port_in_host_matching``, pilot/pkg/networking/core/
    gateway.go ``buildGatewayHTTPRouteConfig``, and Istio's simulation, pilot/pkg/simulation/
    traffic.go ``matchVirtualHost``, splits it off with ``net.SplitHostPort``), then its first
    route matching the request (istio.io/v1.30/docs/reference/config/networking/gateway/ and
    virtual-service/). An HTTPS server whose TLS the gateway ends (every ``tls.mode`` but
    PASSTHROUGH and AUTO_PASSTHROUGH) routes HTTP like a plain one; a virtual host of an HTTP
    server with ``tls.httpsRedirect`` answers every request with a 301 to HTTPS instead."""
    bare = host_without_port(host)
    table = _route_table(mesh, gateway, port, bare)
    if table is None:
        return Outbound(
            False, f"no Gateway server of the gateway on port {port} for Host {host!r}: 404"
        )
    chosen = _virtual_host(table, bare)
    if chosen is None:
        return Outbound(
            False, f"no virtual host of the gateway on port {port} for Host {host!r}: 404"
        )
    virtual_host = table[chosen]
    if virtual_host.require_tls:
        return Outbound(
            False,
            f"the gateway on port {port} redirects Host {host!r} to HTTPS (tls.httpsRedirect): 301",
        )
    ordered = [(gw, vs, r) for gw, vs, r in virtual_host.routes if not _catch_all_route(r)]
    ordered += [(gw, vs, r) for gw, vs, r in virtual_host.routes if _catch_all_route(r)]
    for gw, vs, route in ordered:
        if not route_matches(route, path, method):
            continue
        if "redirect" in route:
            return _redirected(gw, vs, route["redirect"], virtual_host.scheme, host, path)
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
        False, f"no route of the gateway's virtual host {chosen} on port {port} for {path!r}: 404"
    )


@dataclass
class _VirtualHost:
    """One virtual host of a gateway's route table: its routes in the order added (the
    Gateway and VirtualService each came from), whether it redirects to HTTPS, and the
    scheme its requests arrive with."""

    routes: list[tuple[Gateway, VirtualService, Mapping[str, Any]]]
    require_tls: bool
    scheme: str


def _route_table(
    mesh: Mesh, workload: Workload, port: int, host: str
) -> dict[str, _VirtualHost] | None:
    """The virtual hosts of the route table the workload serves ``host`` on ``port`` with,
    by domain; None if no Gateway server of it takes the port.

    Every Gateway selecting the workload counts, of any namespace
    (``PILOT_SCOPE_GATEWAY_TO_NAMESPACE`` off, its default): pilot/pkg/model/gateway.go
    ``MergeGateways`` gives the plain HTTP servers of one port one route table
    (``gatewayRDSRouteName``: ``http.<port>``), in the Gateways' creation order (here:
    manifest order), while an HTTPS server has one of its own, chosen by the request's SNI
    (here: the first whose hosts take the Host). ``buildGatewayHTTPRouteConfig`` then makes
    a virtual host per host name a bound VirtualService shares with a server (the more
    specific of the two: ``Names.Intersection``), a server host of another namespace than
    the VirtualService's not shared (``NamesForNamespace``, ``_server_hosts``), each
    VirtualService adding its routes in creation order; a server with ``tls.httpsRedirect``
    marks its virtual hosts ``RequireTls`` and adds one for each of its hosts as written
    after ``sanitizeServerHostNamespace`` (``<namespace>/<host>``, which no Host matches,
    for a host with a namespace part)."""
    servers = [
        (gw, server)
        for gw in mesh.gateways
        if selects(gw.selector, workload.labels)
        for server in gw.servers
        if server.port == port and _routes_http(server)
    ]
    plain = [(gw, s) for gw, s in servers if s.protocol in ("HTTP", "HTTP2")]
    if not plain:
        plain = [
            (gw, s)
            for gw, s in servers
            if any(_dns_match(name, host) for _, name in _server_hosts(gw, s.hosts))
        ][:1]
    if not plain:
        return None
    table: dict[str, _VirtualHost] = {}
    for gw, server in plain:
        # Requests arrive with the listener's scheme (the gateway overwrites
        # x-forwarded-proto: use_remote_address, no trusted hops).
        scheme = "http" if server.protocol in ("HTTP", "HTTP2") else "https"
        hosts = _server_hosts(gw, server.hosts)
        for vs in mesh.virtual_services:
            bound = {g if "/" in g else f"{vs.namespace}/{g}" for g in vs.gateways}
            if f"{gw.namespace}/{gw.name}" not in bound:
                continue
            own = [name for namespace, name in hosts if namespace in ("*", vs.namespace)]
            for name in _intersection(own, vs.hosts):
                entry = table.setdefault(name, _VirtualHost([], False, scheme))
                entry.routes.extend((gw, vs, route) for route in vs.http)
                entry.require_tls = entry.require_tls or server.https_redirect
        if server.https_redirect:
            for namespace, name in hosts:
                written = name.lower() if namespace == "*" else f"{namespace}/{name.lower()}"
                table.setdefault(written, _VirtualHost([], True, scheme)).require_tls = True
    return table


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


def _subset_of(name: str, other: str) -> bool:
    """pkg/config/host/name.go ``Name.SubsetOf``: every host ``name`` matches, ``other``
    matches too (``*`` matches all, ``*.suffix`` what ends in ``.suffix``, itself included)."""
    name, other = name.lower(), other.lower()
    if other == "*":
        return True
    if other.startswith("*."):
        return name.endswith(other[1:])
    return name == other


def _intersection(server_hosts: Iterable[str], vs_hosts: Iterable[str]) -> list[str]:
    """pkg/config/host/names.go ``Names.Intersection``: of each pair that overlaps, the more
    specific host."""
    result: list[str] = []
    for server_host in server_hosts:
        for vs_host in vs_hosts:
            if _subset_of(server_host, vs_host):
                chosen = server_host
            elif _subset_of(vs_host, server_host):
                chosen = vs_host
            else:
                continue
            if chosen.lower() not in result:
                result.append(chosen.lower())
    return result


def _virtual_host(domains: Iterable[str], host: str) -> str | None:
    """The virtual host Envoy picks for ``host`` among ``domains``: an exact domain first,
    then the longest ``*.suffix`` wildcard, then ``*`` (Envoy's RouteConfiguration
    ``virtual_hosts`` domain search order, source/common/router/config_impl.cc
    ``RouteMatcher::findVirtualHost``): one only; its routes alone are tried."""
    domains = set(domains)
    if host in domains:
        return host
    wildcards = sorted(
        (d for d in domains if d.startswith("*.") and host.endswith(d[1:])),
        key=len,
        reverse=True,
    )
    if wildcards:
        return wildcards[0]
    return "*" if "*" in domains else None


def _server_hosts(gateway: Gateway, hosts: Iterable[str]) -> list[tuple[str, str]]:
    """A Gateway server's hosts as ``(namespace, dns name)``: ``.`` is the Gateway's own
    namespace, no namespace part is ``*`` (any), and ``*/*`` is ``*`` (Istio 1.30.3
    pilot/pkg/model/gateway.go ``sanitizeServerHostNamespace``, called by ``MergeGateways``
    with the Gateway's namespace; pkg/config/host/names.go ``NamesForNamespace``: "If not
    qualified or qualified with *, the host name is considered to be in every namespace")."""
    found = []
    for host in hosts:
        namespace, slash, name = host.partition("/")
        if not slash:
            namespace, name = "*", host
        elif namespace == ".":
            namespace = gateway.namespace
        found.append((namespace, name))
    return found


def _redirected(
    gateway: Gateway,
    vs: VirtualService,
    redirect: Mapping[str, Any],
    request_scheme: str,
    host: str,
    path: str,
) -> Outbound:
    """An ``HTTPRedirect`` route (istio.io/v1.30/docs/reference/config/networking/
    virtual-service/#HTTPRedirect): the gateway answers with ``redirectCode`` (default 301),
    the host replaced by ``authority`` and the path by ``uri`` where given, else kept, and
    the scheme ``scheme`` where given, else the request's: Envoy builds the Location from
    the request's ``x-forwarded-proto`` (source/common/http/utility.cc ``newUri``), which an
    Istio gateway sets from its own listener (``use_remote_address``, no trusted hops:
    pilot/pkg/networking/core/gateway.go), so ``http`` where TLS ended before it."""
    if set(redirect) - {"authority", "uri", "redirectCode", "scheme"}:
        raise Unmodelled(f"VirtualService {vs.name}: redirect {dict(redirect)} is not modelled")
    location = (
        f"{redirect.get('scheme', request_scheme)}://"
        f"{redirect.get('authority', host)}{redirect.get('uri', path)}"
    )
    code = redirect.get("redirectCode", 301)
    return Outbound(
        False,
        f"Gateway {gateway.name} and VirtualService {vs.name} redirect Host {host!r} to "
        f"{location}: {code}",
        redirect=location,
    )


def _catch_all_route(route: Mapping[str, Any]) -> bool:
    matches = route.get("match")
    if not matches:
        return True  # Istio's match for "no match" is prefix "/"
    return any(m.get("uri") == {"prefix": "/"} and set(m) == {"uri"} for m in matches)


def _removed(vs: VirtualService, route: Mapping[str, Any]) -> tuple[str, ...]:
    """``headers.request.remove`` of a route: Envoy's ``request_headers_to_remove``, applied
    by the router after every HTTP filter (ext-authz included), by case-insensitive name
    (istio.io/v1.30/docs/reference/config/networking/virtual-service/#Headers)."""
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
    # The connection manager normalizes the path before routing (tests.mesh.paths). Istio
    # 1.30.3 pilot/pkg/networking/core/route/route.go ``TranslateRouteMatch``: ``exact`` is
    # Envoy's ``path`` (the query removed), ``prefix`` Envoy's character prefix of the whole
    # ``:path`` (a VirtualService's; only Ingress and Gateway API routes get
    # ``path_separated_prefix``), both case-sensitive.
    path = normalized_path(path)
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
