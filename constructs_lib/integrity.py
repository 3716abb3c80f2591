"""Referential integrity of synthesized manifests: every reference lands on an object.

Run over one app's objects, and the user pods its hub would spawn (the previews). Each problem
names both ends: the object and field that refers, and the object it expected. What the app
expects the cluster to have is declared in :class:`External` as prerequisites, each
with the reason it is needed: objects, the mesh config's extension providers a Telemetry or
AuthorizationPolicy names, the service accounts behind their principals, and placeholder
images (in a registry of a reserved example domain) with the command that builds them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field
from typing import Any

from constructs_lib._core._reloader import (
    RELOAD_SECRET_ANNOTATION,
    RELOADER_KIND,
    RELOADER_NAME,
    RELOADER_REASON,
)
from hub_runtime.frozen import frozen

__all__ = [
    "DEFAULT_SCHEDULER",
    "DEFAULT_STORAGE_CLASS",
    "EXTENSION_PROVIDER",
    "IMAGE",
    "ISTIO_BUILTIN_PROVIDERS",
    "RELOADER_PREREQUISITE",
    "SCHEDULER",
    "External",
    "Prerequisite",
    "check_references",
    "find_dangling_references",
    "find_unused_prerequisites",
    "principal_account",
]

_WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
# http://<service>[.<namespace>[.svc[.cluster.local]]]:<port>
_SERVICE_URL = re.compile(
    r"https?://(?P<name>[a-z0-9]([-a-z0-9]*[a-z0-9])?)"
    r"(\.[a-z0-9-]+(\.svc(\.cluster\.local)?)?)?:(?P<port>\d+)"
)

Manifest = Mapping[str, Any]

# The prerequisite a claim without ``storageClassName`` needs: the cluster's default
# StorageClass (annotated ``storageclass.kubernetes.io/is-default-class``), which provisions
# its volume; without one the claim stays Pending, and so does every pod that mounts it.
DEFAULT_STORAGE_CLASS = "(default)"
_BETA_CLASS = "volume.beta.kubernetes.io/storage-class"

# A prerequisite of this kind is an entry of Istio's mesh config (``extensionProviders``).
EXTENSION_PROVIDER = "ExtensionProvider"
# A prerequisite of this kind is a container image the app's deployer builds and pushes.
IMAGE = "Image"
# A prerequisite of this kind is a scheduler the cluster runs (a pod's schedulerName).
SCHEDULER = "Scheduler"
# The scheduler of every cluster (the API server's default schedulerName).
DEFAULT_SCHEDULER = "default-scheduler"
# What every Istio mesh has without configuring it: istio/istio 1.30.3,
# pkg/config/mesh/mesh.go, DefaultMeshConfig() lists these ExtensionProviders, and
# ApplyMeshConfig() merges a mesh config's own providers into them by name (never drops them).
ISTIO_BUILTIN_PROVIDERS = frozenset({"prometheus", "stackdriver", "envoy"})
# An Istio principal of a workload: <trust domain>/ns/<namespace>/sa/<service account>
# (istio/istio security/pkg/pki/util: the SPIFFE identity without "spiffe://").
_PRINCIPAL = re.compile(r"(?P<domain>[^/]+)/ns/(?P<namespace>[^/]+)/sa/(?P<name>[^/]+)")
# Registries under names reserved for examples and tests (RFC 2606 sections 2 and 3, RFC 6761):
# an image there is a placeholder, which no cluster can pull.
_PLACEHOLDER_REGISTRY = re.compile(
    r"^(([^/]+\.)?example\.(org|com|net)|[^/]+\.(example|test|invalid|localhost))(:\d+)?/"
)


@frozen
class Prerequisite:
    """An object the app refers to but does not create: it must exist before the app works."""

    kind: str
    name: str
    # Why the app needs it and where it comes from (the apps' prerequisites tables show it).
    reason: str
    # Where it lives when that is not the app's namespace (a service account of the gateway).
    namespace: str | None = None
    # For an image (kind ``Image``): the command that builds and pushes it.
    build_command: str | None = None

    @property
    def is_object(self) -> bool:
        """A Kubernetes object (not a mesh config entry nor an image)."""
        return self.kind not in (EXTENSION_PROVIDER, IMAGE, SCHEDULER)

    @property
    def ref(self) -> str:
        """``<namespace>/<name>`` outside the app's namespace, else the name."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def description(self) -> str:
        """The reason, and the command that builds an image (the prerequisites' "why")."""
        return self.reason + (f"; build it: `{self.build_command}`" if self.build_command else "")


# What every workload reading the proxy token needs (its Reloader annotation): the controller
# that rolls it when a rotation changes the token's Secret.
RELOADER_PREREQUISITE = Prerequisite(RELOADER_KIND, RELOADER_NAME, RELOADER_REASON)


@frozen
class External:
    """What an app refers to but does not create: its prerequisites, and the label sets of
    pods created at run time (user pods spawned by the hub)."""

    prerequisites: tuple[Prerequisite, ...] = ()
    pod_labels: tuple[Mapping[str, str], ...] = field(default=())

    @property
    def objects(self) -> frozenset[tuple[str, str]]:
        """The prerequisites as ``(kind, ref)`` pairs."""
        return frozenset((p.kind, p.ref) for p in self.prerequisites)

    @property
    def built_images(self) -> frozenset[str]:
        """The images declared with the command that builds them."""
        return frozenset(p.name for p in self.prerequisites if p.kind == IMAGE and p.build_command)


def principal_account(principal: str) -> tuple[str, str] | None:
    """``(namespace, service account)`` an Istio principal names, or None for a pattern
    (``*``) or anything not ``<trust domain>/ns/<namespace>/sa/<service account>``."""
    found = None if "*" in principal else _PRINCIPAL.fullmatch(principal)
    return None if found is None else (found["namespace"], found["name"])


def check_references(manifests: Iterable[Manifest], external: External = External()) -> None:
    """Raise ``ValueError`` listing every dangling reference."""
    problems = find_dangling_references(manifests, external)
    if problems:
        raise ValueError("dangling references:\n  " + "\n  ".join(problems))


def find_dangling_references(
    manifests: Iterable[Manifest], external: External = External()
) -> list[str]:
    """Every reference that lands on nothing. ``manifests`` may include user-pod previews
    (kind ``Pod``): what they name is checked like a workload's pod template."""
    objects = list(manifests)
    index = _created(objects) | external.objects
    built = external.built_images
    pods = [
        (f"{o['kind']}/{o['metadata']['name']}", _pod_labels(o))
        for o in objects
        if o["kind"] in _WORKLOADS or o["kind"] == "Pod"
    ] + [("(runtime pods)", dict(labels)) for labels in external.pod_labels]
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    # The app's namespace: where its pods run (and so the service accounts they name by name).
    namespaces = {
        o["metadata"]["namespace"]
        for o in objects
        if (o["kind"] in _WORKLOADS or o["kind"] == "Pod") and o["metadata"].get("namespace")
    }
    accounts = {
        (o["metadata"].get("namespace"), o["metadata"]["name"])
        for o in objects
        if o["kind"] == "ServiceAccount"
    }
    problems: list[str] = []

    def need(source: str, kind: str, name: str) -> None:
        if (kind, name) not in index:
            problems.append(f"{source} refers to {kind}/{name}, which the app does not have")

    def select(source: str, selector: Mapping[str, str] | None) -> None:
        if not selector:
            problems.append(f"{source} has an empty selector")
        elif not any(_matches(selector, labels) for _, labels in pods):
            problems.append(f"{source} selects {dict(selector)}, which matches no pod")

    def storage_class(source: str, claim: Manifest) -> None:
        # The deprecated annotation, where set, still decides (before storageClassName).
        annotations = (claim.get("metadata") or {}).get("annotations") or {}
        name = annotations.get(_BETA_CLASS, (claim.get("spec") or {}).get("storageClassName"))
        if name is None:
            need(source, "StorageClass", DEFAULT_STORAGE_CLASS)
        elif not isinstance(name, str):
            problems.append(f"{source} names StorageClass {name!r}, which is not a name")
        elif name:  # "": no class, bound to a PersistentVolume made beforehand
            need(source, "StorageClass", name)

    def provider(source: str, name: str) -> None:
        if name not in ISTIO_BUILTIN_PROVIDERS:
            need(source, EXTENSION_PROVIDER, name)

    def principal(source: str, value: str) -> None:
        if "*" in value:
            return  # a prefix or suffix pattern: it names no one service account
        account = principal_account(value)
        if account is None:
            problems.append(
                f"{source} names principal {value!r}, which is not "
                "<trust domain>/ns/<namespace>/sa/<service account>"
            )
            return
        namespace, name = account
        if (namespace, name) in accounts:
            return
        here = namespace in namespaces or not namespaces
        if here and (None, name) in accounts:
            return
        need(source, "ServiceAccount", name if here else f"{namespace}/{name}")

    def service_port(source: str, name: str, port: int | str) -> None:
        service = services.get(name)
        if service is None:
            need(source, "Service", name)
            return
        ports = service["spec"].get("ports", [])
        if not any(port in (p.get("port"), p.get("name")) for p in ports):
            problems.append(f"{source} refers to Service/{name} port {port}, which it lacks")

    for obj in objects:
        kind, name = obj["kind"], obj["metadata"]["name"]
        here = f"{kind}/{name}"
        spec = obj.get("spec", {})
        if kind == "Service":
            select(f"{here} spec.selector", spec.get("selector"))
        elif kind in ("PodDisruptionBudget",):
            select(f"{here} spec.selector", spec["selector"].get("matchLabels"))
        elif kind == "NetworkPolicy":
            _network_policy(here, spec, select)
        elif kind == "PersistentVolumeClaim":
            storage_class(f"{here} spec.storageClassName", obj)
        elif kind == "HorizontalPodAutoscaler":
            target = spec["scaleTargetRef"]
            need(f"{here} spec.scaleTargetRef", target["kind"], target["name"])
        elif kind in ("RoleBinding", "ClusterRoleBinding"):
            need(f"{here} roleRef", obj["roleRef"]["kind"], obj["roleRef"]["name"])
            for subject in obj.get("subjects", []):
                if subject["kind"] == "ServiceAccount":
                    need(f"{here} subjects", "ServiceAccount", subject["name"])
        elif kind == "Ingress":
            for rule in spec.get("rules", []):
                for path in rule.get("http", {}).get("paths", []):
                    backend = path["backend"]["service"]
                    port = backend["port"].get("name") or backend["port"].get("number")
                    service_port(f"{here} rule {rule.get('host')}", backend["name"], port)
            for tls in spec.get("tls", []):
                need(f"{here} spec.tls", "Secret", tls["secretName"])
            if "ingressClassName" in spec:
                need(f"{here} spec.ingressClassName", "IngressClass", spec["ingressClassName"])
        elif kind == "ConfigMap":
            for key, value in obj.get("data", {}).items():
                for url in _urls(value):
                    service_port(f"{here} data[{key}]", url["name"], int(url["port"]))
        elif kind == "ExternalSecret":
            store = spec["secretStoreRef"]
            need(f"{here} spec.secretStoreRef", store.get("kind", "SecretStore"), store["name"])
        elif kind == "VirtualService":
            for route in _walk_key(spec, "destination"):
                host = route["host"].split(".")[0]
                port = route.get("port", {}).get("number")
                if port is None:
                    need(f"{here} route destination", "Service", host)
                else:
                    service_port(f"{here} route destination", host, port)
        elif kind == "Gateway" and obj["apiVersion"].startswith("networking.istio.io/"):
            for server in spec.get("servers", []):
                credential = server.get("tls", {}).get("credentialName")
                if credential:
                    need(f"{here} server {server['port']['name']} tls", "Secret", credential)
        elif kind == "Telemetry":
            for section in ("tracing", "metrics", "accessLogging"):
                for i, entry in enumerate(spec.get(section) or []):
                    for named in entry.get("providers") or []:
                        provider(f"{here} {section}[{i}].providers", named["name"])
        elif kind == "AuthorizationPolicy":
            if spec.get("action") == "CUSTOM":
                name = (spec.get("provider") or {}).get("name")
                if name:
                    provider(f"{here} provider.name", name)
                else:
                    problems.append(f"{here} is a CUSTOM policy without provider.name")
            for i, rule in enumerate(spec.get("rules") or []):
                for source in rule.get("from") or []:
                    for value in (source.get("source") or {}).get("principals") or []:
                        principal(f"{here} rules[{i}] source.principals", value)
        elif kind == "HTTPRoute":
            for rule in spec.get("rules", []):
                for backend in rule.get("backendRefs", []):
                    if backend.get("kind", "Service") == "Service" and not backend.get("group"):
                        service_port(f"{here} backendRef", backend["name"], backend["port"])
        if kind in _WORKLOADS:
            # Reloader rolls the workload when these Secrets change: Reloader must be there,
            # and each named Secret one its pods read (else the roll is for nothing).
            reload = ((obj.get("metadata") or {}).get("annotations") or {}).get(
                RELOAD_SECRET_ANNOTATION
            )
            if reload is not None:
                need(f"{here} {RELOAD_SECRET_ANNOTATION}", RELOADER_KIND, RELOADER_NAME)
                read = _secrets_read(spec["template"]["spec"])
                for secret in filter(None, (n.strip() for n in str(reload).split(","))):
                    if secret not in read:
                        problems.append(
                            f"{here} {RELOAD_SECRET_ANNOTATION} names Secret/{secret}, "
                            "which its pods do not read"
                        )
            labels = _pod_labels(obj)
            if not _matches(spec["selector"]["matchLabels"], labels):
                problems.append(f"{here} spec.selector does not match its own pod template")
            if kind == "StatefulSet":
                need(f"{here} spec.serviceName", "Service", spec["serviceName"])
            templates = spec.get("volumeClaimTemplates", [])
            for template in templates:
                where = f"{here} volumeClaimTemplates {template['metadata']['name']}"
                storage_class(where, template)
            claims = {t["metadata"]["name"] for t in templates}
            _pod_spec(
                here, spec["template"]["spec"], labels, claims, need, service_port, problems, built
            )
        elif kind == "Pod":
            _pod_spec(here, spec, _pod_labels(obj), set(), need, service_port, problems, built)
    return problems


def find_unused_prerequisites(
    manifests: Iterable[Manifest], external: External = External()
) -> list[str]:
    """Prerequisites nothing in ``manifests`` refers to (include the previews, which name
    what only user pods use): a stale declaration would send people installing for nothing."""
    objects = list(manifests)
    created = _created(objects)
    images = {
        container.get("image")
        for o in objects
        if o["kind"] in _WORKLOADS or o["kind"] == "Pod"
        for container in _containers(o)
    }
    unused = []
    for prerequisite in external.prerequisites:
        key = (prerequisite.kind, prerequisite.ref)
        if key in created:
            unused.append(f"{key[0]}/{key[1]} is declared a prerequisite, but the app creates it")
        elif prerequisite.kind == IMAGE:
            # Built by the deployer wherever it is pushed to, a placeholder registry or not.
            if prerequisite.name not in images:
                unused.append(f"{key[0]}/{key[1]} is declared a prerequisite, but no pod runs it")
        elif find_dangling_references(objects, _without(external, key)) == find_dangling_references(
            objects, external
        ):
            unused.append(f"{key[0]}/{key[1]} is declared a prerequisite, but nothing refers to it")
    return unused


def _without(external: External, key: tuple[str, str]) -> External:
    return External(
        prerequisites=tuple(p for p in external.prerequisites if (p.kind, p.ref) != key),
        pod_labels=external.pod_labels,
    )


def _containers(obj: Manifest) -> list[Manifest]:
    pod = obj["spec"] if obj["kind"] == "Pod" else obj["spec"]["template"]["spec"]
    return [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]


def _created(objects: list[Manifest]) -> set[tuple[str, str]]:
    """``(kind, name)`` of what applying the app creates."""
    index = {(o["kind"], o["metadata"]["name"]) for o in objects}
    # An ExternalSecret makes its target Secret in the cluster.
    index |= {
        ("Secret", o["spec"]["target"]["name"])
        for o in objects
        if o["kind"] == "ExternalSecret" and "target" in o.get("spec", {})
    }
    return index | {(SCHEDULER, name) for name in _schedulers(objects)}


def _schedulers(objects: list[Manifest]) -> set[str]:
    """The schedulers pods may name: the cluster's, and each profile of a
    KubeSchedulerConfiguration a ConfigMap of the app holds (kube-scheduler serves a pod
    only if its schedulerName is one of its profiles')."""
    names = {DEFAULT_SCHEDULER}
    for obj in objects:
        if obj["kind"] != "ConfigMap":
            continue
        for text in (obj.get("data") or {}).values():
            if "KubeSchedulerConfiguration" not in text:
                continue
            try:
                # The library writes it as JSON, which kube-scheduler's YAML decoder reads.
                config = json.loads(text)
            except ValueError:
                continue
            if isinstance(config, dict) and config.get("kind") == "KubeSchedulerConfiguration":
                names |= {
                    p.get("schedulerName", DEFAULT_SCHEDULER) for p in config.get("profiles") or []
                }
    return names


def _secrets_read(pod: Manifest) -> set[str]:
    """The Secrets a pod's containers take environment or files from."""
    containers = [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]
    names = {
        source["secretRef"]["name"]
        for container in containers
        for source in container.get("envFrom") or []
        if "secretRef" in source
    } | {
        variable["valueFrom"]["secretKeyRef"]["name"]
        for container in containers
        for variable in container.get("env") or []
        if "secretKeyRef" in (variable.get("valueFrom") or {})
    }
    for volume in pod.get("volumes") or []:
        for source in [volume, *volume.get("projected", {}).get("sources", [])]:
            if "secret" in source:
                names.add(source["secret"].get("secretName") or source["secret"].get("name"))
    return names


def _pod_spec(
    here: str,
    pod: Manifest,
    labels: Mapping[str, str],
    claims: set[str],
    need: Any,
    service_port: Any,
    problems: list[str],
    built_images: frozenset[str],
) -> None:
    # Admission refuses a pod whose PriorityClass or ServiceAccount does not exist; the
    # kubelet cannot start one whose RuntimeClass, Secrets or ConfigMaps are missing.
    for key, kind in (
        ("serviceAccountName", "ServiceAccount"),
        ("priorityClassName", "PriorityClass"),
        ("runtimeClassName", "RuntimeClass"),
        # A pod naming a scheduler nothing runs stays Pending for ever, with no event.
        ("schedulerName", SCHEDULER),
    ):
        if pod.get(key):
            need(f"{here} {key}", kind, pod[key])
    for secret in pod.get("imagePullSecrets") or []:
        need(f"{here} imagePullSecrets", "Secret", secret["name"])
    for volume in pod.get("volumes") or []:
        sources = [volume, *volume.get("projected", {}).get("sources", [])]
        for source in sources:
            if "secret" in source and not source["secret"].get("optional"):
                name = source["secret"].get("secretName") or source["secret"].get("name")
                need(f"{here} volume {volume['name']}", "Secret", name)
            if "configMap" in source and not source["configMap"].get("optional"):
                need(f"{here} volume {volume['name']}", "ConfigMap", source["configMap"]["name"])
        if "persistentVolumeClaim" in volume:
            need(
                f"{here} volume {volume['name']}",
                "PersistentVolumeClaim",
                volume["persistentVolumeClaim"]["claimName"],
            )
    for spread in pod.get("topologySpreadConstraints") or []:
        selector = spread.get("labelSelector", {}).get("matchLabels", {})
        if not _matches(selector, labels):
            problems.append(
                f"{here} topologySpreadConstraints ({spread['topologyKey']}) "
                f"selects {selector}, which is not this pod"
            )
    for container in (pod.get("initContainers") or []) + pod.get("containers", []):
        where = f"{here} container {container['name']}"
        image = container.get("image") or ""
        if _PLACEHOLDER_REGISTRY.match(image) and image not in built_images:
            problems.append(
                f"{where} runs {image}, a placeholder image (its registry is an example "
                "domain) that the app does not list as a prerequisite with the command that "
                "builds it"
            )
        for source in container.get("envFrom") or []:
            if "secretRef" in source:
                need(f"{where} envFrom", "Secret", source["secretRef"]["name"])
            if "configMapRef" in source:
                need(f"{where} envFrom", "ConfigMap", source["configMapRef"]["name"])
        for env in container.get("env") or []:
            ref = env.get("valueFrom", {})
            if "secretKeyRef" in ref:
                need(f"{where} env {env['name']}", "Secret", ref["secretKeyRef"]["name"])
            if "configMapKeyRef" in ref:
                need(f"{where} env {env['name']}", "ConfigMap", ref["configMapKeyRef"]["name"])
        mounts = {m["name"] for m in container.get("volumeMounts") or []}
        volumes = {v["name"] for v in pod.get("volumes") or []} | claims
        for missing in sorted(mounts - volumes):
            problems.append(f"{where} mounts volume {missing}, which the pod does not have")
        for arg in container.get("args") or []:
            for url in _urls(arg):
                service_port(f"{where} arg {arg.split('=')[0]}", url["name"], int(url["port"]))


def _network_policy(here: str, spec: Manifest, select: Any) -> None:
    # An empty podSelector selects every pod of the namespace: nothing to resolve.
    if spec.get("podSelector", {}).get("matchLabels"):
        select(f"{here} spec.podSelector", spec["podSelector"]["matchLabels"])
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            for peer in rule.get("from", []) + rule.get("to", []):
                if "podSelector" in peer and "namespaceSelector" not in peer:
                    labels = peer["podSelector"].get("matchLabels")
                    if labels:
                        select(f"{here} {direction} peer", labels)


def _pod_labels(obj: Manifest) -> dict[str, str]:
    metadata = obj["metadata"] if obj["kind"] == "Pod" else obj["spec"]["template"]["metadata"]
    return dict(metadata.get("labels") or {})


def _matches(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def _urls(text: str) -> Iterator[re.Match[str]]:
    if text.lstrip().startswith("{"):
        try:
            yield from (m for s in _strings(json.loads(text)) for m in _SERVICE_URL.finditer(s))
            return
        except json.JSONDecodeError:
            pass
    yield from _SERVICE_URL.finditer(text)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _walk_key(value: Any, key: str) -> Iterator[Any]:
    if isinstance(value, dict):
        for k, item in value.items():
            if k == key:
                yield item
            else:
                yield from _walk_key(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_key(item, key)
