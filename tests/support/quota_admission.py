"""A stand-in for the API server's ResourceQuota admission, and for Istio's sidecar injector.

Written from the rules, not from the constructs' code: it reads synthesized manifests and
KubeSpawner-rendered user pods, and answers whether the namespace admits one more pod.

- Quota: Kubernetes 1.33 (the project's default ``KubernetesVersion``). The pod evaluator,
  ``pkg/quota/v1/evaluator/core/pods.go`` of ``kubernetes/kubernetes`` (read at commit
  05e7cb29; ``Constraints``, ``podComputeUsageHelper`` and ``PodUsageFunc`` are the same in
  release-1.33), charges a pod ``pods`` and ``count/pods`` 1, ``cpu``/``requests.cpu``,
  ``memory``/``requests.memory`` and ``ephemeral-storage``/``requests.ephemeral-storage`` its
  requests, ``limits.*`` its limits, as ``k8s.io/component-helpers`` v0.33.13
  ``resource/helpers.go`` ``PodRequests``/``PodLimits`` total them. A pod is refused
  (``Constraints``) if any container or init container lacks a request or limit of a cpu or
  memory resource the quota tracks (``validationSet``), or if it would exceed ``hard``.
  Requests default to limits per resource before admission (``pkg/apis/core/v1/defaults.go``
  ``SetDefaults_Pod``).
- Istio's injection template (istio/istio 1.30.3 ``manifests/charts/istio-control/
  istio-discovery/files/injection-template.yaml``, ``define "resources"``): a pod labelled
  ``sidecar.istio.io/inject: "true"`` gets an ``istio-init`` (``istio-validation`` with Istio's
  CNI) init container and the ``istio-proxy`` sidecar, both with the resources of the pod's
  ``sidecar.istio.io/proxyCPU``, ``proxyMemory``, ``proxyCPULimit`` and ``proxyMemoryLimit``
  annotations (only the annotated ones if any is set, else ``global.proxy.resources`` of the
  chart's ``values.yaml``: 100m/128Mi requests, 2000m/1024Mi limits). With native sidecars
  (``ENABLE_NATIVE_SIDECARS=auto``, ``pilot/pkg/features/pilot.go``; ``DetectNativeSidecar``
  in ``pkg/kube/inject/webhook.go`` turns them on for kubelets of 1.33 or later) the proxy is
  a restartable init container right after istio-init (``reorderPod``: both ``MoveFirst``);
  otherwise istio-init runs after the pod's init containers (``MoveLast``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from hub_runtime.quantity import parse_quantity

__all__ = ["LAYOUTS", "Namespace", "app_pods", "inject"]

LAYOUTS = ("classic", "native")
_PROXY_DEFAULTS = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"cpu": "2000m", "memory": "1024Mi"},
}
_ANNOTATIONS = {
    ("requests", "cpu"): "sidecar.istio.io/proxyCPU",
    ("requests", "memory"): "sidecar.istio.io/proxyMemory",
    ("limits", "cpu"): "sidecar.istio.io/proxyCPULimit",
    ("limits", "memory"): "sidecar.istio.io/proxyMemoryLimit",
}

Pod = dict[str, Any]


def inject(pod: Pod, layout: str) -> Pod:
    """The pod as Istio's injector leaves it (unchanged unless labelled for injection)."""
    metadata = pod["metadata"]
    if (metadata.get("labels") or {}).get("sidecar.istio.io/inject") != "true":
        return pod
    annotations = metadata.get("annotations") or {}
    resources: dict[str, dict[str, str]]
    if any(name in annotations for name in _ANNOTATIONS.values()):
        resources = {}
        for (kind, resource), name in _ANNOTATIONS.items():
            if name in annotations:
                resources.setdefault(kind, {})[resource] = annotations[name]
    else:
        resources = copy.deepcopy(_PROXY_DEFAULTS)
    injected = copy.deepcopy(pod)
    spec = injected["spec"]
    init = {"name": "istio-init", "resources": resources}
    proxy = {"name": "istio-proxy", "resources": resources}
    existing = spec.get("initContainers") or []
    if layout == "native":
        spec["initContainers"] = [init, {**proxy, "restartPolicy": "Always"}, *existing]
    else:
        spec["initContainers"] = [*existing, init]
        spec["containers"] = [*spec["containers"], proxy]
    return injected


class Refused(Exception):
    pass


class Namespace:
    """The quota's ``hard`` and what admitted pods use."""

    def __init__(self, hard: Mapping[str, str]) -> None:
        self.hard = {name: parse_quantity(value) for name, value in hard.items()}
        self.used = dict.fromkeys(self.hard, Decimal(0))

    def admit(self, pod: Pod) -> bool:
        try:
            usage = self.usage(pod)
        except Refused:
            return False
        if any(self.used[name] + usage.get(name, 0) > self.hard[name] for name in self.hard):
            return False
        for name in self.hard:
            self.used[name] += usage.get(name, Decimal(0))
        return True

    def usage(self, pod: Pod) -> dict[str, Decimal]:
        """What the pod counts against each tracked quota resource."""
        spec = pod["spec"]
        # pods.go Constraints: every container and init container needs each cpu and memory
        # resource of ``validationSet`` the quota tracks.
        for name in self.hard:
            if name in _VALIDATION_SET:
                kind, resource = _CHARGED[name]
                for container in [*spec["containers"], *(spec.get("initContainers") or [])]:
                    if resource not in _resources(container, kind):
                        raise Refused(f"{container['name']} has no {kind}.{resource}")
        usage: dict[str, Decimal] = {}
        for name in self.hard:
            if name in ("pods", "count/pods"):
                usage[name] = Decimal(1)  # PodUsageFunc: podObjectCountName and "pods"
            elif name in _CHARGED:
                usage[name] = _effective(spec, *_CHARGED[name])
            elif name.startswith("requests."):
                # podComputeUsageHelper: hugepages and extended resources, by request.
                usage[name] = _effective(spec, "requests", name.removeprefix("requests."))
        return usage


# pods.go podComputeUsageHelper: which quota name charges which side of a pod's resources.
_CHARGED = {
    "cpu": ("requests", "cpu"),
    "requests.cpu": ("requests", "cpu"),
    "limits.cpu": ("limits", "cpu"),
    "memory": ("requests", "memory"),
    "requests.memory": ("requests", "memory"),
    "limits.memory": ("limits", "memory"),
    "ephemeral-storage": ("requests", "ephemeral-storage"),
    "requests.ephemeral-storage": ("requests", "ephemeral-storage"),
    "limits.ephemeral-storage": ("limits", "ephemeral-storage"),
}
# pods.go validationSet: "if a quota tracks cpu or memory related resources, the incoming pod
# is required to have those values set".
_VALIDATION_SET = {
    "cpu",
    "memory",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
}


def _resources(container: Pod, kind: str) -> dict[str, Any]:
    resources = container.get("resources") or {}
    values = dict(resources.get(kind) or {})
    if kind == "requests":
        # defaults.go SetDefaults_Pod: a limit without a request makes the request.
        for name, value in (resources.get("limits") or {}).items():
            values.setdefault(name, value)
    return values


def _effective(spec: Pod, kind: str, resource: str) -> Decimal:
    # component-helpers resource/helpers.go AggregateContainerRequests (and ...Limits):
    # the containers' sum plus the restartable init containers', against the largest init
    # container with the restartable ones started before it; then PodRequests adds the
    # RuntimeClass overhead, and PodLimits adds it to a non-zero limit.
    def amount(container: Pod) -> Decimal:
        values = _resources(container, kind)
        return parse_quantity(str(values[resource])) if resource in values else Decimal(0)

    total = sum((amount(c) for c in spec["containers"]), Decimal(0))
    sidecars, peak = Decimal(0), Decimal(0)
    for container in spec.get("initContainers") or []:
        if container.get("restartPolicy") == "Always":
            sidecars += amount(container)
            total += amount(container)
            peak = max(peak, sidecars)
        else:
            peak = max(peak, amount(container) + sidecars)
    effective = max(total, peak)
    overhead = (spec.get("overhead") or {}).get(resource)
    if overhead is not None and (kind == "requests" or effective != 0):
        effective += parse_quantity(str(overhead))
    return effective


def app_pods(manifests: Iterable[Pod], nodes: int = 1) -> list[tuple[str, Pod]]:
    """Every pod the app's workloads run at most: HPA maximum replicas plus the rolling
    update's surge for Deployments (none when they are recreated), ``replicas`` for
    StatefulSets, one per node of ``nodes`` for DaemonSets."""
    objects = list(manifests)
    scaled = {
        o["spec"]["scaleTargetRef"]["name"]: o["spec"]["maxReplicas"]
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    pods = []
    for obj in objects:
        if obj["kind"] not in ("Deployment", "StatefulSet", "DaemonSet"):
            continue
        name = obj["metadata"]["name"]
        replicas = scaled.get(name, obj["spec"].get("replicas", 1))
        strategy = (obj["spec"].get("strategy") or {}).get("type", "RollingUpdate")
        if obj["kind"] == "DaemonSet":
            replicas = nodes
        elif obj["kind"] == "Deployment" and strategy == "RollingUpdate":
            surge = ((obj["spec"].get("strategy") or {}).get("rollingUpdate") or {}).get(
                "maxSurge", "25%"
            )
            replicas += (
                math.ceil(replicas * int(surge[:-1]) / 100) if isinstance(surge, str) else surge
            )
        template = obj["spec"]["template"]
        pod = {"metadata": template["metadata"], "spec": template["spec"]}
        pods += [(f"{obj['kind']}/{name}", pod)] * replicas
    return pods
