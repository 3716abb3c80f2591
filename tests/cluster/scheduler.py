"""kube-scheduler for the test node: binds pending pods to it within its capacity, and preempts
pods of lower priority for a pod that does not fit.

kube-scheduler cannot run here (no kubelet nodes, no binary), so this follows its source at
kubernetes v1.30.14 (the user scheduler's release) and the "Pod Priority and Preemption" page
(kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/), rule by rule:

- which pods: those whose ``spec.schedulerName`` (default ``default-scheduler``, pkg/apis/core
  defaults) is a profile this scheduler serves (pkg/scheduler/scheduler.go, ``frameworkForPod``:
  other schedulers' pods are left alone) and that are not bound yet;
- in which order: higher priority first, then the earlier one (pkg/scheduler/framework/
  plugins/queuesort/priority_sort.go, ``Less``);
- whether it fits: the node's allocatable minus the requests of every pod on it, terminating
  ones included until they are gone (pkg/scheduler/framework/plugins/noderesources/fit.go,
  ``fitsRequest``; a pod's request is the larger of its containers' sum and its largest init
  container, ``resource.PodRequests``). A pod that does not fit gets ``PodScheduled`` False,
  reason ``Unschedulable``, "0/1 nodes are available: 1 Insufficient cpu." (schedule_one.go,
  ``FitError.Error``);
- preemption (pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go):
  a pod with ``preemptionPolicy: Never`` preempts nothing (``PodEligibleToPreemptOthers``), nor
  does one nominated to a node where victims are still terminating; otherwise every pod of
  lower priority on the node is a potential victim; if the pod does not fit even without all of
  them, the node is no candidate; then victims are reprieved, the most important first
  (``MoreImportantPod``: higher priority, then the earlier started), as long as the pod still
  fits (``SelectVictimsOnNode``). The victims get the ``DisruptionTarget`` condition (reason
  ``PreemptionByScheduler``) and are deleted with their own grace period, and the preemptor's
  ``status.nominatedNodeName`` names the node (pkg/scheduler/framework/preemption/
  preemption.go, ``prepareCandidate``); it is bound once they are gone.

Not modelled: PodDisruptionBudgets in victim selection, more than one node, affinity, taints,
topology spread, scoring (one node leaves nothing to score).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hub_runtime.quantity import parse_quantity
from tests.cluster.client import ApiClient, ApiError
from tests.cluster.kinds import kind_of

__all__ = ["DEFAULT_SCHEDULER", "NodeCapacity", "Scheduler", "fit_score", "select_victims"]

POD = kind_of("Pod")
DEFAULT_SCHEDULER = "default-scheduler"
_RESOURCES = ("cpu", "memory")


@dataclass(frozen=True)
class NodeCapacity:
    """The node's allocatable cpu and memory (quantities)."""

    cpu: str
    memory: str

    def amounts(self) -> dict[str, Decimal]:
        return {"cpu": parse_quantity(self.cpu), "memory": parse_quantity(self.memory)}


def requests(pod: Mapping[str, Any]) -> dict[str, Decimal]:
    """``resource.PodRequests``: the larger of the containers' sum and the largest init
    container, per resource (an unstated request is the limit, as the API server defaults it)."""
    spec = pod["spec"]

    def of(container: Mapping[str, Any]) -> dict[str, Decimal]:
        resources = container.get("resources") or {}
        values = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
        return {r: parse_quantity(str(values[r])) for r in _RESOURCES if r in values}

    total = {r: Decimal(0) for r in _RESOURCES}
    for container in spec.get("containers", []):
        for resource, value in of(container).items():
            total[resource] += value
    for container in spec.get("initContainers") or []:
        for resource, value in of(container).items():
            total[resource] = max(total[resource], value)
    return total


# framework.MaxNodeScore.
_MAX_NODE_SCORE = 100


def fit_score(
    strategy: Mapping[str, Any],
    pod: Mapping[str, Any],
    on_node: Iterable[Mapping[str, Any]],
    node: NodeCapacity,
) -> int:
    """NodeResourcesFit's score of the node for ``pod`` under a ``scoringStrategy``
    (pkg/scheduler/framework/plugins/noderesources: most_allocated.go ``mostResourceScorer``
    and ``mostRequestedScore``, least_allocated.go ``leastResourceScorer``): per resource the
    share of the node requested with the pod, (requested * 100 / allocatable) for
    MostAllocated, ((allocatable - requested) * 100 / allocatable) for LeastAllocated, in
    whole numbers (Go's integer division, requests as millicores and bytes), averaged by
    the resources' weights. The default strategy is LeastAllocated, cpu and memory weighted 1
    (types_pluginargs.go)."""
    kind = strategy.get("type", "LeastAllocated")
    weights = strategy.get("resources") or [
        {"name": "cpu", "weight": 1},
        {"name": "memory", "weight": 1},
    ]
    requested = requests(pod)
    for other in on_node:
        for resource, value in requests(other).items():
            requested[resource] += value
    allocatable = node.amounts()
    total = weight_sum = 0
    for spec in weights:
        name, weight = spec["name"], int(spec.get("weight", 1))
        scale = 1000 if name == "cpu" else 1  # kube-scheduler counts cpu in millicores
        have = int(allocatable[name] * scale)
        if have == 0:
            continue
        used = min(int(requested[name] * scale), have)
        if kind == "MostAllocated":
            score = used * _MAX_NODE_SCORE // have
        else:
            score = (have - used) * _MAX_NODE_SCORE // have
        total += score * weight
        weight_sum += weight
    return total // weight_sum if weight_sum else 0


def priority(pod: Mapping[str, Any]) -> int:
    return int(pod["spec"].get("priority") or 0)


def _fits(
    pod: Mapping[str, Any], others: Iterable[Mapping[str, Any]], node: NodeCapacity
) -> list[str]:
    """The resources the node lacks for ``pod`` beside ``others`` (``fitsRequest``)."""
    used = {r: Decimal(0) for r in _RESOURCES}
    for other in others:
        for resource, value in requests(other).items():
            used[resource] += value
    allocatable = node.amounts()
    wanted = requests(pod)
    return [r for r in _RESOURCES if wanted[r] and used[r] + wanted[r] > allocatable[r]]


def _more_important(pod: Mapping[str, Any]) -> tuple[int, str]:
    """``MoreImportantPod``'s order as a sort key: higher priority, then the earlier started."""
    started = (pod.get("status") or {}).get("startTime") or pod["metadata"].get(
        "creationTimestamp", ""
    )
    return (-priority(pod), started)


def select_victims(
    pod: Mapping[str, Any], on_node: Sequence[Mapping[str, Any]], node: NodeCapacity
) -> list[Mapping[str, Any]] | None:
    """``SelectVictimsOnNode``: the pods to evict for ``pod``, or None when evicting every
    pod of lower priority would not make it fit."""
    potential = [p for p in on_node if priority(p) < priority(pod)]
    staying = [p for p in on_node if priority(p) >= priority(pod)]
    if _fits(pod, staying, node):
        return None
    victims = []
    for candidate in sorted(potential, key=_more_important):
        if _fits(pod, [*staying, candidate], node):
            victims.append(candidate)
        else:
            staying.append(candidate)  # reprieved: the pod fits with it still there
    return victims


def eligible_to_preempt(pod: Mapping[str, Any], on_node: Sequence[Mapping[str, Any]]) -> bool:
    """``PodEligibleToPreemptOthers``: not with ``preemptionPolicy: Never``, nor while victims
    of an earlier preemption for it are still terminating on its nominated node."""
    if pod["spec"].get("preemptionPolicy") == "Never":
        return False
    if (pod.get("status") or {}).get("nominatedNodeName"):
        return not any(
            p["metadata"].get("deletionTimestamp") and priority(p) < priority(pod) for p in on_node
        )
    return True


class Scheduler:
    """Binds the namespace's pending pods of the served ``names`` to the kubelet's node."""

    def __init__(
        self,
        client: ApiClient,
        namespace: str,
        node_name: str,
        capacity: NodeCapacity,
        names: Iterable[str] = (DEFAULT_SCHEDULER,),
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.node_name = node_name
        self.capacity = capacity
        self.names = frozenset(names)
        self.preempted: list[str] = []
        self._wake = asyncio.Event()

    async def run(self) -> None:
        passes = asyncio.create_task(self._passes())
        try:
            async for _ in self.client.watch(POD, self.namespace):
                self._wake.set()
        finally:
            passes.cancel()

    async def _passes(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._schedule_pending()

    async def _schedule_pending(self) -> None:
        pods = await self.client.list(POD, self.namespace)
        live = [
            p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]
        on_node = [p for p in live if p["spec"].get("nodeName") == self.node_name]
        pending = [
            p
            for p in live
            if not p["spec"].get("nodeName")
            and not p["metadata"].get("deletionTimestamp")
            and p["spec"].get("schedulerName", DEFAULT_SCHEDULER) in self.names
        ]
        pending.sort(key=lambda p: (-priority(p), p["metadata"].get("creationTimestamp", "")))
        for pod in pending:
            lacking = _fits(pod, on_node, self.capacity)
            if not lacking:
                await self._bind(pod)
                on_node.append(pod)
                continue
            await self._unschedulable(pod, lacking)
            if eligible_to_preempt(pod, on_node):
                victims = select_victims(pod, on_node, self.capacity)
                if victims:
                    await self._preempt(pod, victims)

    async def _bind(self, pod: Mapping[str, Any]) -> None:
        name = pod["metadata"]["name"]
        with contextlib.suppress(ApiError):
            await self.client.patch(
                POD, self.namespace, name, {"spec": {"nodeName": self.node_name}}
            )

    async def _unschedulable(self, pod: Mapping[str, Any], lacking: list[str]) -> None:
        reasons = ", ".join(f"1 Insufficient {r}" for r in lacking)
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": f"0/1 nodes are available: {reasons}.",
        }
        if condition not in (pod.get("status") or {}).get("conditions", []):
            # Written once: a write is a watch event, which would start another pass.
            await self._status(pod, {"conditions": [condition]})

    async def _preempt(self, pod: Mapping[str, Any], victims: list[Mapping[str, Any]]) -> None:
        await self._status(pod, {"nominatedNodeName": self.node_name})
        for victim in victims:
            target = {
                "type": "DisruptionTarget",
                "status": "True",
                "reason": "PreemptionByScheduler",
                "message": f"{self.names_for(pod)}: preempting to accommodate a higher "
                "priority pod",
            }
            await self._status(victim, {"conditions": [target]})
            grace = victim["spec"].get("terminationGracePeriodSeconds", 30)
            name = victim["metadata"]["name"]
            self.preempted.append(name)
            with contextlib.suppress(ApiError):
                await self.client.delete(POD, self.namespace, name, grace_period_seconds=grace)

    def names_for(self, pod: Mapping[str, Any]) -> str:
        return str(pod["spec"].get("schedulerName", DEFAULT_SCHEDULER))

    async def _status(self, pod: Mapping[str, Any], status: dict[str, Any]) -> None:
        name = pod["metadata"]["name"]
        with contextlib.suppress(ApiError):
            await self.client.patch(POD, self.namespace, name, {"status": status}, "status")
