"""Where a URL the hub calls goes: its host and port, and whether the host is a Service of
the cluster (and of which namespace). The mesh's egress (ServiceEntries, Sidecar hosts) and
the NetworkPolicies' egress both read URLs through this, so the two never disagree."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from hub_runtime.frozen import frozen

__all__ = [
    "MESH_CONTROL_PLANE",
    "PRIVATE_NETWORKS",
    "SCHEME_PORTS",
    "MeshDestination",
    "Outbound",
    "outbound",
]

# Private addresses: IPv4's (RFC 1918, as z2jh's _helpers-netpol.tpl names them) and IPv6's
# unique local addresses (RFC 4193). Nodes, node-local DNS caches, pods and Services of most
# clusters live here; a provider on the internet does not.
PRIVATE_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")

# Each scheme's port when a URL names none. PostgreSQL's dialect+driver ("postgresql+psycopg2")
# is read as its scheme: the driver does not change the wire protocol.
SCHEME_PORTS = {"https": 443, "http": 80, "ldaps": 636, "ldap": 389, "postgresql": 5432}
_CLUSTER_SUFFIXES = (".svc", ".svc.cluster.local")


@frozen
class Outbound:
    """One destination of a URL."""

    host: str
    port: int
    # The URL's scheme without its driver ("postgresql", not "postgresql+psycopg2").
    scheme: str
    # Whether the host names a Service of the cluster.
    in_cluster: bool
    # That Service's namespace; None: the caller's own, unnamed (or not in the cluster).
    namespace: str | None
    # The host as an address, when it is one.
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None

    @property
    def service(self) -> str | None:
        """The Service's name, for a host in the cluster."""
        return self.host.split(".")[0] if self.in_cluster else None


def outbound(url: str, namespace: str | None) -> Outbound:
    """``url`` as called from a pod of ``namespace`` (None: not known here): a name with no
    dot, or ending in ``.<namespace>``, is a Service of that namespace (the pod's DNS search
    path, ``<namespace>.svc.cluster.local`` first); ``<service>.<ns>.svc[.cluster.local]``
    one of namespace ``ns``; anything else is outside the cluster."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    scheme = parts.scheme.split("+")[0]
    port = parts.port or SCHEME_PORTS.get(scheme, 80)
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    labels = host.split(".")
    if address is not None:
        return Outbound(host, port, scheme, False, None, address)
    if len(labels) == 1 or (namespace is not None and host.endswith(f".{namespace}")):
        return Outbound(host, port, scheme, True, namespace, None)
    if host.endswith(_CLUSTER_SUFFIXES) and len(labels) >= 3:
        return Outbound(host, port, scheme, True, labels[1], None)
    return Outbound(host, port, scheme, False, None, None)


@frozen
class MeshDestination:
    """What every Istio sidecar calls: a Service of the mesh's control plane or telemetry."""

    namespace: str
    service: str
    # The pods behind it (None: any pod of the namespace, the labels being the installer's).
    pod_labels: dict[str, str] | None
    ports: tuple[int, ...]

    @property
    def sidecar_host(self) -> str:
        """The Sidecar egress entry (``<namespace>/<dns name>``)."""
        return f"{self.namespace}/{self.service}.{self.namespace}.svc.cluster.local"


MESH_CONTROL_PLANE = (
    # istiod: XDS and the CA over TLS on 15012 (Istio 1.30 docs, "Ports used by Istio"; its
    # pods are labelled app=istiod, manifests/charts/istio-control/istio-discovery/templates/
    # service.yaml's selector). 15017 is its webhook, called by the API server, not by pods.
    MeshDestination("istio-system", "istiod", {"app": "istiod"}, (15012,)),
    # The tracing provider's agent (MeshTelemetry's otel-agent): OTLP over gRPC, the
    # OpenTelemetry protocol's default port (opentelemetry-specification, otlp.md).
    MeshDestination("otel", "otel-agent", None, (4317,)),
)
