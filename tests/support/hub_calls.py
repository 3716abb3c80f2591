"""Every connection the hub's and the proxy's pods open, read from what the app ships (its
manifests): the hub's settings in its ConfigMap (the proxy's API, its own Service, the JWKS,
the login, the database), the installed authenticator class's own endpoints for the login's
traits, the idle culler's command as the hub runtime makes it, the proxy's arguments and
environment (its hub, its route store), the ServiceAccounts bound to Roles (KubeSpawner and
the VirtualService writer call the API server), DNS, and the sidecar's istiod.

Hosts cannot be resolved here, so each is given an address of its kind: a Service of the app
is its pods (the Service's selector and target port, the pod's named port), a Service of
another namespace a pod of that namespace, a host outside the cluster an address of
TEST-NET-3 (RFC 5737), public as a provider's is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from hub_runtime.config import culler_service
from hub_runtime.logins import authenticator_class
from hub_runtime.settings import parse_settings
from tests.support.network_policy import NAMESPACE_LABELS, Destination

NAMESPACE = "jupyterhub"
PUBLIC_ADDRESS = "203.0.113.7"
SCHEME_PORTS = {"https": 443, "http": 80, "ldaps": 636, "ldap": 389, "postgresql": 5432}
REDIS_PORT = 6379
# Where pods find the API server: kind's control-plane node, and a managed cluster's address.
API_SERVERS = (("172.18.0.2", 6443), ("10.0.0.1", 443))
KUBE_DNS = Destination(
    "10.96.0.10", {"kubernetes.io/metadata.name": "kube-system"}, {"k8s-app": "kube-dns"}
)
ISTIOD = Destination(
    "10.44.0.3",
    {"kubernetes.io/metadata.name": "istio-system"},
    {"app": "istiod", "istio": "pilot"},
)
ISTIOD_PORT = 15012


@dataclass(frozen=True)
class Call:
    """One connection: from the pods of ``source`` (a component) to ``to`` on ``port``."""

    source: str
    what: str
    to: Destination
    port: int
    protocol: str = "TCP"


def _component(doc: dict[str, Any]) -> str | None:
    component: str | None = doc["metadata"].get("labels", {}).get("app.kubernetes.io/component")
    return component


def _workloads(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        _component(m) or "": m
        for m in manifests
        if m["kind"] in ("Deployment", "StatefulSet", "DaemonSet")
    }


def _service_target(
    manifests: list[dict[str, Any]], name: str, port: int
) -> tuple[dict[str, str], int] | None:
    """The pods' labels and port behind ``name``'s ``port`` (a named target port read from the
    pods' containers), or None when the app has no such Service."""
    services = [m for m in manifests if m["kind"] == "Service" and m["metadata"]["name"] == name]
    if not services:
        return None
    spec = services[0]["spec"]
    (entry,) = [p for p in spec["ports"] if p["port"] == port]
    target = entry.get("targetPort", port)
    for workload in _workloads(manifests).values():
        template = workload["spec"]["template"]
        labels = template["metadata"]["labels"]
        if all(labels.get(k) == v for k, v in spec["selector"].items()):
            if isinstance(target, int):
                return labels, target
            for container in template["spec"]["containers"]:
                for named in container.get("ports", []):
                    if named.get("name") == target:
                        return labels, int(named["containerPort"])
    raise AssertionError(f"Service {name} selects no pod of the app")


def _destination(manifests: list[dict[str, Any]], url: str) -> tuple[Destination, int]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or SCHEME_PORTS[parts.scheme.split("+")[0]]
    labels = host.split(".")
    if len(labels) == 1 or host.endswith(f".{NAMESPACE}") or f".{NAMESPACE}.svc" in host:
        found = _service_target(manifests, labels[0], port)
        if found is None:  # a Service the app does not make (an operator's)
            return Destination("10.42.0.20", NAMESPACE_LABELS, {"app": labels[0]}), port
        pod_labels, pod_port = found
        return Destination("10.42.0.10", NAMESPACE_LABELS, pod_labels), pod_port
    if host.endswith((".svc", ".svc.cluster.local")):
        namespace = {"kubernetes.io/metadata.name": labels[1]}
        return Destination("10.43.0.5", namespace, {"app": labels[0]}), port
    if host.replace(".", "").isdigit():
        return Destination(host), port
    return Destination(PUBLIC_ADDRESS), port


def _settings(manifests: list[dict[str, Any]]) -> Any:
    (text,) = [
        m["data"]["settings.json"]
        for m in manifests
        if m["kind"] == "ConfigMap" and "settings.json" in m.get("data", {})
    ]
    return parse_settings(text)


def login_urls(login: Any) -> list[str]:
    """The URLs the hub's authenticator calls: the installed class's endpoints for the login's
    traits (OpenID Connect's come from its issuer's discovery document: the issuer itself),
    LDAP's server address and port."""
    traits = login.traits
    if "server_address" in traits:
        scheme = "ldaps" if traits["tls_strategy"] == "on_connect" else "ldap"
        return [f"{scheme}://{traits['server_address']}:{traits['server_port']}"]
    if login.discovery_issuer is not None:
        return [login.discovery_issuer]
    klass: Any = authenticator_class(login.authenticator_class, None)
    secrets = {trait: "x" for trait in login.secret_traits}
    settable = {k: v for k, v in traits.items() if k in klass.class_traits()}
    instance = klass(**settable, **secrets)
    urls = [instance.token_url, instance.userdata_url]
    for extra in ("github_api", "google_api_url"):
        if getattr(instance, extra, None):
            urls.append(getattr(instance, extra))
    return [u for u in urls if u]


def calls(manifests: list[dict[str, Any]]) -> Iterator[Call]:
    """Every connection of the hub's and the proxy's pods, from ``manifests``."""
    settings = _settings(manifests)
    # Not connect_url: the hub's own Service is what it gives user servers and its managed
    # services (the culler, below, is given loopback instead); the hub itself never calls it.
    # With its routes as VirtualServices (IstioProxy) the hub calls no proxy API.
    urls = {"proxy API": settings.proxy_api_url} if settings.virtual_services is None else {}
    if settings.auth.jwt is not None and settings.auth.jwt.jwks_url:
        urls["JWKS"] = settings.auth.jwt.jwks_url
    if settings.login is not None:
        for index, url in enumerate(login_urls(settings.login)):
            urls[f"login endpoint {index}"] = url
    if not settings.database.url.startswith("sqlite"):
        urls["database"] = settings.database.url
    for what, url in urls.items():
        to, port = _destination(manifests, url)
        yield Call("hub", what, to, port)
    # The culler, a process of the hub's pod, calls the hub's API over loopback, which no
    # NetworkPolicy governs (Kubernetes docs, Network Policies, "What you can't do": pods
    # cannot block localhost access).
    (url,) = [
        arg.split("=", 1)[1]
        for arg in culler_service(settings)["command"]
        if arg.startswith("--url=")
    ]
    assert urlsplit(url).hostname in ("127.0.0.1", "::1"), url
    workloads = _workloads(manifests)
    for source in (s for s in ("hub", "proxy") if s in workloads):  # IstioProxy: no proxy pods
        template = workloads[source]["spec"]["template"]
        for container in template["spec"]["containers"]:
            for arg in container.get("args", []):
                if arg.startswith(("--default-target=", "--error-target=")):
                    to, port = _destination(manifests, arg.split("=", 1)[1])
                    yield Call(source, arg.split("=")[0], to, port)
                if arg.startswith("--providers.redis.endpoints="):  # Traefik's route store
                    for endpoint in arg.split("=", 1)[1].split(","):
                        to, port = _destination(manifests, f"http://{endpoint}")
                        yield Call(source, "route store", to, port)
            for env in container.get("env", []):
                value = str(env.get("value", ""))
                if value.startswith("redis://"):
                    host = value.rpartition("@")[2].split(":")[0].split("/")[0]
                    to, port = _destination(manifests, f"http://{host}:{REDIS_PORT}")
                    yield Call(source, "route store", to, port)
        account = template["spec"].get("serviceAccountName")
        bound = any(
            m["kind"] == "RoleBinding"
            and any(s.get("name") == account for s in m.get("subjects", []))
            for m in manifests
        )
        if bound:
            for address, port in API_SERVERS:
                yield Call(source, "Kubernetes API", Destination(address), port)
        for protocol in ("UDP", "TCP"):
            yield Call(source, "DNS", KUBE_DNS, 53, protocol)
        if template["metadata"].get("labels", {}).get("sidecar.istio.io/inject") == "true":
            yield Call(source, "istiod", ISTIOD, ISTIOD_PORT)
