"""A stand-in for the API server's ResourceQuota admission, and for Istio's sidecar injector.

Written from the rules, not from the constructs' code: it reads synthesized manifests and
KubeSpawner-rendered user pods, and answers whether the namespace admits one more pod.

- Quota (kubernetes ``ResourceQuota`` admission with ``PodRequests``/``PodLimits`` of
  k8s.io/component-helpers/resource): a pod takes max(sum of containers and restartable init
  containers, the largest init container plus the restartable ones started before it), per
  resource; a pod is refused if any of its containers lacks a request or limit of a resource the
  quota tracks (``requests.cpu``, ``limits.memory``, ...), or if it would exceed ``hard``.
- Istio's injection template (istio/istio ``manifests/charts/istio-control/istio-discovery/
  files/injection-template.yaml``): a pod labelled ``sidecar.istio.io/inject: "true"`` gets an
  ``istio-init`` (``istio-validation`` with Istio's CNI) init container and the ``istio-proxy``
  sidecar, both with the resources of the pod's ``sidecar.istio.io/proxyCPU``, ``proxyMemory``,
  ``proxyCPULimit`` and ``proxyMemoryLimit`` annotations (only the annotated ones if any is set,
  else ``global.proxy.resources`` of the chart's values.yaml: 100m/128Mi requests, 2000m/1024Mi
  limits). With native sidecars (``ENABLE_NATIVE_SIDECARS=auto`` on Kubernetes 1.33+ nodes)
  the proxy is a restartable init container right after istio-init (``reorderPod`` in
  ``pkg/kube/inject/webhook.go``); otherwise istio-init runs after the pod's init containers.
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
        usage: dict[str, Decimal] = {}
        for name in self.hard:
            kind, _, resource = name.partition(".")
            if kind not in ("requests", "limits"):
                continue
            compute = resource in ("cpu", "memory")
            usage[name] = _effective(pod["spec"], kind, resource, required=compute)
        return usage


def _effective(spec: Pod, kind: str, resource: str, *, required: bool) -> Decimal:
    def amount(container: Pod) -> Decimal:
        resources = container.get("resources") or {}
        values = resources.get(kind) or {}
        if kind == "requests" and resource not in values:
            values = resources.get("limits") or {}  # the API server's defaulting
        if resource not in values:
            if required:
                raise Refused(f"{container['name']} has no {kind}.{resource}")
            return Decimal(0)
        return parse_quantity(str(values[resource]))

    total = sum((amount(c) for c in spec["containers"]), Decimal(0))
    sidecars, peak = Decimal(0), Decimal(0)
    for container in spec.get("initContainers") or []:
        if container.get("restartPolicy") == "Always":
            sidecars += amount(container)
            total += amount(container)
            peak = max(peak, sidecars)
        else:
            peak = max(peak, amount(container) + sidecars)
    return max(total, peak)


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
