"""What pods take from a namespace's ResourceQuota: Kubernetes' rule, Istio's injected containers.

Kubernetes counts a pod as the larger of its running containers (restartable "sidecar" init
containers included) and its largest init container plus the sidecars started before it, per
resource (``PodRequests``/``PodLimits`` in k8s.io/component-helpers/resource, which the quota
admission uses; KEP-753 for sidecars).

Istio's injector adds to a pod labelled ``sidecar.istio.io/inject: "true"`` the ``istio-proxy``
sidecar and an ``istio-init`` init container (``istio-validation`` with Istio's CNI plugin).
Its injection template (istio/istio ``manifests/charts/istio-control/istio-discovery/files/
injection-template.yaml``, template ``resources``) gives both the resources of the pod's
``sidecar.istio.io/proxyCPU``, ``proxyMemory``, ``proxyCPULimit`` and ``proxyMemoryLimit``
annotations: only the annotated ones if any is set, else the chart's ``global.proxy.resources``
(100m CPU and 128Mi requested, 2000m and 1024Mi limits). On nodes of Kubernetes 1.33 and later
(``ENABLE_NATIVE_SIDECARS=auto``) the proxy is a restartable init container right after
istio-init, before the pod's own init containers (``reorderPod`` in
``pkg/kube/inject/webhook.go``); otherwise it is the last container and istio-init runs after
the pod's init containers. Both layouts are counted and the larger wins.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import field
from decimal import Decimal
from typing import Any

from hub_runtime.frozen import frozen
from hub_runtime.quantity import parse_quantity

__all__ = ["COMPUTE", "PodUsage", "pod_usage"]

# Quota resources every container must declare once the quota tracks them.
COMPUTE = ("requests.cpu", "limits.cpu", "requests.memory", "limits.memory")
_INJECT_LABEL = "sidecar.istio.io/inject"
_PROXY_ANNOTATIONS = {
    "requests.cpu": "sidecar.istio.io/proxyCPU",
    "requests.memory": "sidecar.istio.io/proxyMemory",
    "limits.cpu": "sidecar.istio.io/proxyCPULimit",
    "limits.memory": "sidecar.istio.io/proxyMemoryLimit",
}
_PROXY_DEFAULTS = {
    "requests.cpu": "100m",
    "requests.memory": "128Mi",
    "limits.cpu": "2000m",
    "limits.memory": "1024Mi",
}


@frozen
class PodUsage:
    """Per quota resource (``requests.cpu``, ``limits.memory``, ...), what one pod counts; and
    which containers miss a compute resource (the quota would refuse the pod)."""

    amounts: dict[str, Decimal]
    missing: tuple[str, ...] = field(default=())

    def times(self, count: int) -> PodUsage:
        return PodUsage({k: v * count for k, v in self.amounts.items()}, self.missing)

    def plus(self, other: PodUsage) -> PodUsage:
        keys = self.amounts.keys() | other.amounts.keys()
        return PodUsage(
            {k: self.amounts.get(k, Decimal(0)) + other.amounts.get(k, Decimal(0)) for k in keys},
            self.missing + other.missing,
        )

    def most(self, other: PodUsage) -> PodUsage:
        keys = self.amounts.keys() | other.amounts.keys()
        return PodUsage(
            {
                k: max(self.amounts.get(k, Decimal(0)), other.amounts.get(k, Decimal(0)))
                for k in keys
            },
            self.missing + other.missing,
        )

    def get(self, resource: str) -> Decimal:
        return self.amounts.get(resource, Decimal(0))


def pod_usage(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> PodUsage:
    """The pod's usage after Istio's injection (if labelled for it), in whichever sidecar
    layout counts more."""
    layouts = list(_layouts(metadata, spec))
    usage = _usage(*layouts[0])
    for init, containers in layouts[1:]:
        usage = usage.most(_usage(init, containers))
    return usage


Container = Mapping[str, Any]


def _layouts(
    metadata: Mapping[str, Any], spec: Mapping[str, Any]
) -> Iterator[tuple[list[Container], list[Container]]]:
    init, containers = list(spec.get("initContainers") or []), list(spec["containers"])
    if (metadata.get("labels") or {}).get(_INJECT_LABEL) != "true":
        yield init, containers
        return
    resources = _proxy_resources(metadata.get("annotations") or {})
    proxy = {"name": "istio-proxy", "resources": resources}
    istio_init = {"name": "istio-init", "resources": resources}
    yield [*init, istio_init], [*containers, proxy]
    yield [istio_init, {**proxy, "restartPolicy": "Always"}, *init], containers


def _proxy_resources(annotations: Mapping[str, str]) -> dict[str, dict[str, str]]:
    chosen = (
        {key: annotations[name] for key, name in _PROXY_ANNOTATIONS.items() if name in annotations}
        if any(name in annotations for name in _PROXY_ANNOTATIONS.values())
        else _PROXY_DEFAULTS
    )
    resources: dict[str, dict[str, str]] = {}
    for key, value in chosen.items():
        kind, _, resource = key.partition(".")
        resources.setdefault(kind, {})[resource] = value
    return resources


def _usage(init: list[Container], containers: list[Container]) -> PodUsage:
    amounts: dict[str, Decimal] = {}
    keys = {
        f"{kind}.{resource}"
        for c in [*init, *containers]
        for kind in ("requests", "limits")
        for resource in ((c.get("resources") or {}).get(kind) or {})
    } | set(COMPUTE)
    for key in sorted(keys):
        total = sum((_amount(c, key) for c in containers), Decimal(0))
        sidecars, peak = Decimal(0), Decimal(0)
        for container in init:
            if container.get("restartPolicy") == "Always":
                sidecars += _amount(container, key)
                total += _amount(container, key)
                peak = max(peak, sidecars)
            else:
                peak = max(peak, _amount(container, key) + sidecars)
        amounts[key] = max(total, peak)
    missing = tuple(
        f"{c['name']} ({key})"
        for c in [*init, *containers]
        for key in COMPUTE
        if _value(c, key) is None
    )
    return PodUsage(amounts, missing)


def _value(container: Container, key: str) -> Any:
    kind, _, resource = key.partition(".")
    resources = container.get("resources") or {}
    value = (resources.get(kind) or {}).get(resource)
    if value is None and kind == "requests":
        # The API server defaults a missing request to the limit.
        value = (resources.get("limits") or {}).get(resource)
    return value


def _amount(container: Container, key: str) -> Decimal:
    """A quantity as written in a manifest, or a number read before (cores, bytes)."""
    value = _value(container, key)
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal | int):
        return Decimal(value)
    return parse_quantity(str(value))
