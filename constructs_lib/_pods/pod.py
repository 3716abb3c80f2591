"""Pod pieces the hub and the proxy share: resources, probes, sidecar, hardening, spreading."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from constructs import Construct

from constructs_lib._core._errors import invalid
from constructs_lib._core._objects import ObjectSpec, object_spec
from constructs_lib._core._props import renamed
from constructs_lib._core._quantity import Sizes, check_range, check_sizes
from constructs_lib._core.kubernetes_version import KubernetesVersion
from constructs_lib._pods.scheduling import Scheduling
from hub_runtime.frozen import frozen
from hub_runtime.pod_security import restricted_container, restricted_pod

__all__ = ["HealthProbes", "IstioSidecar", "ProbeTiming", "Resources"]

# Non-root uid of the hub and proxy images (distroless "nonroot").
NONROOT_UID = 65532


@frozen
class Resources:
    """CPU and memory requests and limits of one container."""

    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str

    def check(self, scope: Construct, prefix: str = "resources") -> Sizes:
        """The sizes, read once (each limit at least its request)."""
        return check_sizes(
            scope,
            f"{prefix}.",
            cpu_request=self.cpu_request,
            cpu_limit=self.cpu_limit,
            memory_request=self.memory_request,
            memory_limit=self.memory_limit,
        )

    def to_manifest(self) -> dict[str, Any]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


@renamed(initial_delay="initial_delay_seconds", period="period_seconds", timeout="timeout_seconds")
@frozen
class ProbeTiming:
    """The numbers of one probe, in seconds and counts."""

    initial_delay_seconds: int
    period_seconds: int
    success_threshold: int
    failure_threshold: int
    timeout_seconds: int


@frozen
class HealthProbes:
    """Readiness and liveness on the component's health path."""

    # Ready within 2 s of answering; out of the Service after 3 missed checks (6 s), back as
    # soon as it answers again. Readiness never restarts anything, so it can be quick.
    readiness: ProbeTiming = field(default_factory=lambda: ProbeTiming(0, 2, 1, 3, 3))
    # Restart only a process that stopped answering for 5 minutes (30 x 10 s), as z2jh does:
    # the hub's event loop stalls for seconds under load or while upgrading its database, and
    # a restart then loses in-flight spawns. The first check waits out a slow start too.
    liveness: ProbeTiming = field(default_factory=lambda: ProbeTiming(60, 10, 1, 30, 3))

    def to_manifest(self, path: str, port: str) -> dict[str, Any]:
        def probe(timing: ProbeTiming) -> dict[str, Any]:
            return {
                "httpGet": {"path": path, "port": port},
                "initialDelaySeconds": timing.initial_delay_seconds,
                "periodSeconds": timing.period_seconds,
                "successThreshold": timing.success_threshold,
                "failureThreshold": timing.failure_threshold,
                "timeoutSeconds": timing.timeout_seconds,
            }

        return {"readinessProbe": probe(self.readiness), "livenessProbe": probe(self.liveness)}


@renamed(cpu="cpu_request", memory="memory_request")
@frozen
class IstioSidecar:
    """Istio sidecar injection with the sidecar's own resources (pod annotations)."""

    cpu_request: str = "10m"
    memory_request: str = "64Mi"
    cpu_limit: str = "1000m"
    memory_limit: str = "1Gi"

    def check(self, scope: Construct, prefix: str = "sidecar") -> None:
        check_range(
            scope, f"{prefix}.cpu_request", self.cpu_request, f"{prefix}.cpu_limit", self.cpu_limit
        )
        check_range(
            scope,
            f"{prefix}.memory_request",
            self.memory_request,
            f"{prefix}.memory_limit",
            self.memory_limit,
        )

    def labels(self) -> dict[str, str]:
        return {"sidecar.istio.io/inject": "true"}

    def annotations(self) -> dict[str, str]:
        return {
            "sidecar.istio.io/proxyCPU": self.cpu_request,
            "sidecar.istio.io/proxyMemory": self.memory_request,
            "sidecar.istio.io/proxyCPULimit": self.cpu_limit,
            "sidecar.istio.io/proxyMemoryLimit": self.memory_limit,
        }


def hardened_container() -> dict[str, Any]:
    """The Pod Security ``restricted`` container context, as the images' nonroot user with a
    read-only root file system."""
    return restricted_container(
        run_as_user=NONROOT_UID, run_as_group=NONROOT_UID, read_only_root=True
    )


def hardened_pod() -> dict[str, Any]:
    """The ``restricted`` pod context; volumes group-writable for the nonroot gid."""
    return restricted_pod(fs_group=NONROOT_UID)


def pre_stop(seconds: int, version: KubernetesVersion) -> dict[str, Any]:
    """Wait before SIGTERM so endpoints drop the pod first; ``exec sleep`` before 1.30."""
    if version.has_sleep_action:
        return {"preStop": {"sleep": {"seconds": seconds}}}
    return {"preStop": {"exec": {"command": ["sleep", str(seconds)]}}}


def topology_spread(labels: dict[str, str], revision_key: str) -> list[dict[str, Any]]:
    """Spread over nodes and zones, counting only pods of the same revision."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "nodeAffinityPolicy": "Honor",
            "nodeTaintsPolicy": "Honor",
            "matchLabelKeys": [revision_key],
            "labelSelector": {"matchLabels": dict(labels)},
        }
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
    ]


def pod_template(
    labels: dict[str, str],
    *,
    sidecar: IstioSidecar | None,
    service_account: str,
    automount_token: bool,
    dns_ndots: int | None,
    revision_key: str,
    containers: list[dict[str, Any]],
    annotations: dict[str, str] | None = None,
    volumes: list[dict[str, Any]] | None = None,
    image_pull_secrets: tuple[str, ...] = (),
    scheduling: Scheduling | None = None,
) -> dict[str, Any]:
    """A hardened pod template of one component, spread over nodes and zones (and placed by
    ``scheduling``'s node selector, tolerations and affinity)."""
    merged = {**(sidecar.annotations() if sidecar else {}), **(annotations or {})}
    pull = [{"name": name} for name in image_pull_secrets]
    return {
        "metadata": {
            "labels": {**labels, **(sidecar.labels() if sidecar else {})},
            "annotations": merged or None,
        },
        "spec": {
            "serviceAccountName": service_account,
            "automountServiceAccountToken": automount_token,
            **({"imagePullSecrets": pull} if pull else {}),
            "securityContext": hardened_pod(),
            "dnsConfig": dns_config(dns_ndots),
            "topologySpreadConstraints": topology_spread(labels, revision_key),
            "containers": containers,
            # Present even when empty: ".../volumes/-" patches append to it.
            "volumes": volumes or [],
            **(scheduling.pod_spec() if scheduling else {}),
        },
    }


def check_dns_ndots(scope: Construct, field: str, ndots: object) -> None:
    """``None`` (the cluster's), or what the resolver reads: it caps ``ndots`` at 15."""
    if ndots is not None and (
        isinstance(ndots, bool) or not isinstance(ndots, int) or not 0 <= ndots <= 15
    ):
        raise invalid(scope, field, ndots, "must be a whole number from 0 to 15, or None")


def dns_config(ndots: int | None) -> dict[str, Any] | None:
    # ndots 1: cluster names are fully qualified or short, so skip the search-list fan-out.
    return None if ndots is None else {"options": [{"name": "ndots", "value": str(ndots)}]}


def service_object_spec(
    name: str, labels: dict[str, str], ports: list[dict[str, Any]], version: KubernetesVersion
) -> ObjectSpec:
    """The component's ClusterIP Service, selecting its pods by ``labels``."""
    spec: dict[str, Any] = {"type": "ClusterIP", "selector": dict(labels), "ports": ports}
    if version.has_traffic_distribution:
        # Keep traffic in the caller's zone when an endpoint is there.
        spec["trafficDistribution"] = "PreferClose"
    return object_spec(
        "Service", api_version="v1", kind="Service", name=name, labels=labels, spec=spec
    )


def disruption_budget_spec(name: str, labels: dict[str, str]) -> ObjectSpec:
    """At most one pod of the component down at a time for voluntary disruptions."""
    return object_spec(
        "PodDisruptionBudget",
        api_version="policy/v1",
        kind="PodDisruptionBudget",
        name=name,
        labels=labels,
        spec={"maxUnavailable": 1, "selector": {"matchLabels": dict(labels)}},
    )
