"""The Kubernetes and Istio objects the mesh model reads, parsed from manifests.

Only what the model evaluates is accepted: a field or kind that changes routing or
authorization and is not modelled raises ``Unmodelled``, so a verdict never rests on an
object the model silently skipped.

Mesh-wide settings are Istio's defaults (``MeshConfig``): trust domain ``cluster.local``, root
namespace ``istio-system``, ``outboundTrafficPolicy`` ``ALLOW_ANY``, automatic mTLS towards
workloads with a sidecar, and PeerAuthentication ``PERMISSIVE`` where no policy says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CLUSTER_SUFFIX",
    "MESH_OUTBOUND",
    "ROOT_NAMESPACE",
    "TRUST_DOMAIN",
    "AuthorizationPolicy",
    "Gateway",
    "GatewayServer",
    "InboundHeaderRemoval",
    "Mesh",
    "PeerAuthentication",
    "Service",
    "ServiceEntry",
    "ServicePort",
    "Sidecar",
    "Unmodelled",
    "VirtualService",
    "Workload",
]

TRUST_DOMAIN = "cluster.local"
CLUSTER_SUFFIX = "svc.cluster.local"
ROOT_NAMESPACE = "istio-system"
# MeshConfig.outboundTrafficPolicy.mode when no Sidecar sets one.
MESH_OUTBOUND = "ALLOW_ANY"
_WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
# Observability only: they change neither routing nor authorization.
_IGNORED_ISTIO = {"Telemetry"}
_SOURCE_FIELDS = {
    "principals",
    "notPrincipals",
    "namespaces",
    "notNamespaces",
    "requestPrincipals",
    "notRequestPrincipals",
}
_OPERATION_FIELDS = {
    "hosts",
    "notHosts",
    "ports",
    "notPorts",
    "methods",
    "notMethods",
    "paths",
    "notPaths",
}


class Unmodelled(ValueError):
    """An object or field that would change the verdict but that the model does not evaluate."""


def _ref(doc: Mapping[str, Any]) -> str:
    meta = doc.get("metadata", {})
    return f"{doc.get('kind')} {meta.get('namespace', '')}/{meta.get('name', '')}"


def _only(doc: Mapping[str, Any], where: Mapping[str, Any], allowed: set[str], path: str) -> None:
    extra = sorted(set(where) - allowed)
    if extra:
        raise Unmodelled(f"{_ref(doc)}: {path}{extra} is not modelled")


def selects(selector: Mapping[str, str] | None, labels: Mapping[str, str]) -> bool:
    """A ``matchLabels`` selector; ``None`` selects every workload of the namespace."""
    return selector is None or all(labels.get(k) == v for k, v in selector.items())


@dataclass(frozen=True)
class Workload:
    """A pod (or a controller's pod template): what a sidecar or a policy sees of it."""

    kind: str
    name: str
    namespace: str
    labels: Mapping[str, str]
    service_account: str
    injected: bool
    ports: Mapping[str, int]  # container port name -> number

    @property
    def principal(self) -> str:
        """Its SPIFFE identity as AuthorizationPolicy ``principals`` name it (no "spiffe://"):
        ``<trust domain>/ns/<namespace>/sa/<service account>``."""
        return f"{TRUST_DOMAIN}/ns/{self.namespace}/sa/{self.service_account}"


@dataclass(frozen=True)
class ServicePort:
    name: str | None
    port: int
    target_port: int | str
    app_protocol: str | None


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    selector: Mapping[str, str] | None
    ports: tuple[ServicePort, ...]
    export_to: tuple[str, ...]

    @property
    def hostname(self) -> str:
        return f"{self.name}.{self.namespace}.{CLUSTER_SUFFIX}"

    def port(self, number: int) -> ServicePort | None:
        return next((p for p in self.ports if p.port == number), None)


@dataclass(frozen=True)
class EntryPort:
    number: int
    name: str
    protocol: str


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    namespace: str
    hosts: tuple[str, ...]
    ports: tuple[EntryPort, ...]
    location: str
    export_to: tuple[str, ...]

    def port(self, number: int) -> EntryPort | None:
        return next((p for p in self.ports if p.number == number), None)


@dataclass(frozen=True)
class Sidecar:
    name: str
    namespace: str
    selector: Mapping[str, str] | None
    egress_hosts: tuple[str, ...] | None  # None: no egress section (every host)
    outbound: str | None


@dataclass(frozen=True)
class PeerAuthentication:
    name: str
    namespace: str
    selector: Mapping[str, str] | None
    mode: str  # STRICT, PERMISSIVE, DISABLE or UNSET (inherit)
    port_modes: Mapping[int, str]


@dataclass(frozen=True)
class AuthorizationPolicy:
    name: str
    namespace: str
    selector: Mapping[str, str] | None
    action: str
    rules: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class GatewayServer:
    port: int
    protocol: str
    hosts: tuple[str, ...]
    # tls.mode (SIMPLE, MUTUAL, PASSTHROUGH...) and tls.httpsRedirect.
    tls_mode: str | None = None
    https_redirect: bool = False


@dataclass(frozen=True)
class Gateway:
    name: str
    namespace: str
    selector: Mapping[str, str]
    servers: tuple[GatewayServer, ...]


@dataclass(frozen=True)
class VirtualService:
    name: str
    namespace: str
    hosts: tuple[str, ...]
    gateways: tuple[str, ...]
    http: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class InboundHeaderRemoval:
    """An EnvoyFilter that removes request headers at the inbound virtual host of a port
    (``inbound|http|<port>``) of the workloads it selects (Envoy's VirtualHost
    ``request_headers_to_remove``)."""

    name: str
    namespace: str
    selector: Mapping[str, str] | None
    port: int
    headers: tuple[str, ...]


@dataclass
class Mesh:
    """Every object of a set of manifests the model reads."""

    workloads: list[Workload] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    entries: list[ServiceEntry] = field(default_factory=list)
    sidecars: list[Sidecar] = field(default_factory=list)
    peer_authentications: list[PeerAuthentication] = field(default_factory=list)
    policies: list[AuthorizationPolicy] = field(default_factory=list)
    gateways: list[Gateway] = field(default_factory=list)
    virtual_services: list[VirtualService] = field(default_factory=list)
    header_removals: list[InboundHeaderRemoval] = field(default_factory=list)
    namespace_labels: dict[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, *manifest_lists: Iterable[Mapping[str, Any]]) -> Mesh:
        mesh = cls()
        docs = [doc for docs in manifest_lists for doc in docs]
        for doc in docs:
            if doc["kind"] == "Namespace":
                mesh.namespace_labels[doc["metadata"]["name"]] = doc["metadata"].get("labels", {})
        for doc in docs:
            mesh._add(doc)
        return mesh

    def _add(self, doc: Mapping[str, Any]) -> None:
        kind, api = doc["kind"], doc.get("apiVersion", "")
        meta = doc["metadata"]
        name, namespace = meta["name"], meta.get("namespace", "")
        spec: Mapping[str, Any] = doc.get("spec") or {}
        if kind in ("Pod", "Service") and api != "v1":
            raise Unmodelled(f"{_ref(doc)}: apiVersion {api!r} is not core v1")
        if kind == "Pod":
            self.workloads.append(self._workload(kind, name, namespace, meta, spec))
        elif kind in _WORKLOAD_KINDS and "template" in spec:
            template = spec["template"]
            self.workloads.append(
                self._workload(kind, name, namespace, template["metadata"], template["spec"])
            )
        elif kind == "Service":
            self.services.append(_service(doc, name, namespace, meta, spec))
        elif api.startswith("networking.istio.io/"):
            self._add_networking(doc, kind, name, namespace, spec)
        elif api.startswith("security.istio.io/"):
            self._add_security(doc, kind, name, namespace, spec)
        elif ".istio.io/" in api and kind not in _IGNORED_ISTIO:
            raise Unmodelled(f"{_ref(doc)}: kind {kind} is not modelled")

    def _workload(
        self, kind: str, name: str, namespace: str, meta: Mapping[str, Any], spec: Mapping[str, Any]
    ) -> Workload:
        labels: Mapping[str, str] = meta.get("labels") or {}
        annotations: Mapping[str, str] = meta.get("annotations") or {}
        # Injection: the pod's label (or legacy annotation) wins, else the namespace's label.
        choice = labels.get("sidecar.istio.io/inject", annotations.get("sidecar.istio.io/inject"))
        namespace_on = self.namespace_labels.get(namespace, {}).get("istio-injection")
        injected = choice == "true" if choice is not None else namespace_on == "enabled"
        ports = {
            p["name"]: int(p["containerPort"])
            for c in spec.get("containers", [])
            for p in c.get("ports", [])
            if "name" in p
        }
        return Workload(
            kind,
            name,
            namespace,
            dict(labels),
            spec.get("serviceAccountName") or "default",
            injected,
            ports,
        )

    def _add_networking(
        self, doc: Mapping[str, Any], kind: str, name: str, namespace: str, spec: Mapping[str, Any]
    ) -> None:
        if kind == "Sidecar":
            _only(doc, spec, {"workloadSelector", "egress", "outboundTrafficPolicy"}, "spec")
            hosts: list[str] | None = None
            if "egress" in spec:
                hosts = []
                for listener in spec["egress"]:
                    _only(doc, listener, {"hosts"}, "spec.egress[]")
                    hosts.extend(listener["hosts"])
            policy = spec.get("outboundTrafficPolicy") or {}
            _only(doc, policy, {"mode"}, "spec.outboundTrafficPolicy")
            selector = (spec.get("workloadSelector") or {}).get("labels")
            self.sidecars.append(
                Sidecar(
                    name,
                    namespace,
                    selector,
                    None if hosts is None else tuple(hosts),
                    policy.get("mode"),
                )
            )
        elif kind == "ServiceEntry":
            _only(
                doc,
                spec,
                {"hosts", "ports", "location", "resolution", "exportTo", "addresses"},
                "spec",
            )
            self.entries.append(
                ServiceEntry(
                    name,
                    namespace,
                    tuple(spec["hosts"]),
                    tuple(
                        EntryPort(int(p["number"]), p.get("name", ""), p["protocol"].upper())
                        for p in spec.get("ports", [])
                    ),
                    spec.get("location", "MESH_EXTERNAL"),
                    tuple(spec.get("exportTo", ["*"])),
                )
            )
        elif kind == "Gateway":
            _only(doc, spec, {"selector", "servers"}, "spec")
            self.gateways.append(
                Gateway(
                    name,
                    namespace,
                    spec["selector"],
                    tuple(
                        GatewayServer(
                            int(s["port"]["number"]),
                            s["port"]["protocol"].upper(),
                            tuple(s["hosts"]),
                            s.get("tls", {}).get("mode"),
                            bool(s.get("tls", {}).get("httpsRedirect", False)),
                        )
                        for s in spec["servers"]
                    ),
                )
            )
        elif kind == "VirtualService":
            gateways = tuple(spec.get("gateways") or ["mesh"])
            if "mesh" in gateways:
                raise Unmodelled(
                    f"{_ref(doc)}: routes for sidecars (gateway 'mesh') are not modelled"
                )
            _only(doc, spec, {"hosts", "gateways", "http"}, "spec")
            self.virtual_services.append(
                VirtualService(
                    name, namespace, tuple(spec["hosts"]), gateways, tuple(spec.get("http", []))
                )
            )
        elif kind == "EnvoyFilter" and _only_access_log(spec):
            pass  # changes what the hub's sidecar logs, not where requests go
        elif kind == "EnvoyFilter" and (removal := _inbound_header_removal(name, namespace, spec)):
            self.header_removals.append(removal)  # changes headers, not where requests go
        else:
            raise Unmodelled(f"{_ref(doc)}: kind {kind} (as written) is not modelled")

    def _add_security(
        self, doc: Mapping[str, Any], kind: str, name: str, namespace: str, spec: Mapping[str, Any]
    ) -> None:
        selector = (spec.get("selector") or {}).get("matchLabels")
        if kind == "PeerAuthentication":
            _only(doc, spec, {"selector", "mtls", "portLevelMtls"}, "spec")
            ports = {
                int(port): (value or {}).get("mode", "UNSET")
                for port, value in (spec.get("portLevelMtls") or {}).items()
            }
            self.peer_authentications.append(
                PeerAuthentication(
                    name, namespace, selector, (spec.get("mtls") or {}).get("mode", "UNSET"), ports
                )
            )
        elif kind == "AuthorizationPolicy":
            _only(doc, spec, {"selector", "action", "rules", "provider"}, "spec")
            for rule in spec.get("rules", []):
                _only(doc, rule, {"from", "to"}, "spec.rules[]")
                for source in rule.get("from", []):
                    _only(doc, source["source"], _SOURCE_FIELDS, "spec.rules[].from[].source")
                for operation in rule.get("to", []):
                    _only(
                        doc,
                        operation["operation"],
                        _OPERATION_FIELDS,
                        "spec.rules[].to[].operation",
                    )
            self.policies.append(
                AuthorizationPolicy(
                    name,
                    namespace,
                    selector,
                    spec.get("action", "ALLOW"),
                    tuple(spec.get("rules", [])),
                )
            )
        else:
            raise Unmodelled(f"{_ref(doc)}: kind {kind} is not modelled")

    def workload(self, labels: Mapping[str, str]) -> Workload:
        """The one workload carrying these labels."""
        found = [w for w in self.workloads if selects(labels, w.labels)]
        if len(found) != 1:
            raise LookupError(f"{len(found)} workloads carry {labels}")
        return found[0]

    def removed_headers(self, workload: Workload, port: int) -> set[str]:
        """Request headers (lower case) the workload's sidecar removes before its port."""
        return {
            header.lower()
            for r in self.header_removals
            if r.namespace == workload.namespace
            and r.port == port
            and selects(r.selector, workload.labels)
            for header in r.headers
        }

    def endpoints(self, service: Service) -> list[Workload]:
        """The workloads a Service selects (its endpoints)."""
        if service.selector is None:
            return []
        return [
            w
            for w in self.workloads
            if w.namespace == service.namespace and selects(service.selector, w.labels)
        ]


def _service(
    doc: Mapping[str, Any],
    name: str,
    namespace: str,
    meta: Mapping[str, Any],
    spec: Mapping[str, Any],
) -> Service:
    if spec.get("type") == "ExternalName":
        raise Unmodelled(f"{_ref(doc)}: ExternalName Services are not modelled")
    export = (meta.get("annotations") or {}).get("networking.istio.io/exportTo", "*")
    ports = tuple(
        ServicePort(
            p.get("name"), int(p["port"]), p.get("targetPort", p["port"]), p.get("appProtocol")
        )
        for p in spec.get("ports", [])
    )
    return Service(
        name,
        namespace,
        spec.get("selector"),
        ports,
        tuple(part.strip() for part in export.split(",")),
    )


def _only_access_log(spec: Mapping[str, Any]) -> bool:
    """An EnvoyFilter that only merges an access log into the HTTP connection manager."""
    for patch in spec.get("configPatches", []):
        value = (patch.get("patch") or {}).get("value") or {}
        typed = value.get("typed_config") or {}
        if (
            patch.get("applyTo") != "NETWORK_FILTER"
            or patch["patch"].get("operation") != "MERGE"
            or set(value) != {"typed_config"}
            or set(typed) - {"@type", "access_log"}
        ):
            return False
    return True


def _inbound_header_removal(
    name: str, namespace: str, spec: Mapping[str, Any]
) -> InboundHeaderRemoval | None:
    """An EnvoyFilter whose one patch merges ``request_headers_to_remove`` into the inbound
    virtual host of one port, and nothing else (else ``None``: not this shape)."""
    patches = spec.get("configPatches") or []
    if set(spec) - {"workloadSelector", "configPatches"} or len(patches) != 1:
        return None
    patch = patches[0]
    match = patch.get("match") or {}
    vhost = ((match.get("routeConfiguration") or {}).get("vhost") or {}).get("name", "")
    value = (patch.get("patch") or {}).get("value") or {}
    if (
        patch.get("applyTo") != "VIRTUAL_HOST"
        or match.get("context") != "SIDECAR_INBOUND"
        or set(match) != {"context", "routeConfiguration"}
        or set(match["routeConfiguration"]) != {"vhost"}
        or not vhost.startswith("inbound|http|")
        or patch["patch"].get("operation") != "MERGE"
        or set(value) != {"request_headers_to_remove"}
    ):
        return None
    return InboundHeaderRemoval(
        name,
        namespace,
        (spec.get("workloadSelector") or {}).get("labels"),
        int(vhost.rsplit("|", 1)[1]),
        tuple(value["request_headers_to_remove"]),
    )
