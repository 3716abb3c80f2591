"""What every user pod gets whatever the profile, and the idle culler that stops them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from constructs import Construct

from constructs_lib._errors import invalid
from constructs_lib._quantity import check_quantity
from constructs_lib.pod import IstioSidecar

__all__ = ["USER_PORT", "IdleCuller", "UserPods"]

# The port every user server listens on (KubeSpawner's default).
USER_PORT = 8888


# Checkpoints go to the pod's memory volume, not the user's persistent directory. (The
# reference passed this in NOTEBOOK_ARGS, which only docker-stacks' start scripts read.)
_REFERENCE_SERVER_ARGS = ("--FileCheckpoints.checkpoint_dir=/mnt/.ipynb_checkpoints",)


def _reference_labels() -> Mapping[str, str]:
    return {
        "policy.cilium.io/l7-visibility": "true",
        "hubble.cilium.io/export.source": "true",
    }


@dataclass(frozen=True)
class UserPods:
    """Settings shared by every user pod the hub spawns."""

    start_timeout: int = 300
    priority_class_name: str | None = "low"
    # Run the single-user server directly (as z2jh does): any image with JupyterHub installed
    # works, and the hub can pass it arguments (KubeSpawner drops them with the image's CMD).
    cmd: tuple[str, ...] = ("jupyterhub-singleuser",)
    server_args: tuple[str, ...] = _REFERENCE_SERVER_ARGS
    env: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=_reference_labels)
    sidecar: IstioSidecar | None = field(
        default_factory=lambda: IstioSidecar("10m", "128Mi", "100m", "128Mi"))
    # Prometheus scrapes the Istio sidecar's merged metrics endpoint.
    prometheus_port: int | None = 15020
    prometheus_path: str = "/stats/prometheus"
    ephemeral_storage_guarantee: str | None = "1G"
    init_cpu: str = "10m"
    init_memory: str = "32Mi"
    per_user_service: bool = True

    def check(self, scope: Construct) -> None:
        if isinstance(self.cmd, str) or not self.cmd or not all(self.cmd):
            raise invalid(scope, "user_pods.cmd", self.cmd,
                          "must be a non-empty list such as ('jupyterhub-singleuser',)")
        if isinstance(self.server_args, str):
            raise invalid(scope, "user_pods.server_args", self.server_args,
                          "must be a list of arguments, not one string")
        if self.start_timeout <= 0:
            raise invalid(scope, "user_pods.start_timeout", self.start_timeout,
                          "must be a positive number of seconds")
        if self.sidecar is not None:
            self.sidecar.check(scope, "user_pods.sidecar")
        if self.ephemeral_storage_guarantee is not None:
            check_quantity(scope, "user_pods.ephemeral_storage_guarantee",
                           self.ephemeral_storage_guarantee)
        check_quantity(scope, "user_pods.init_cpu", self.init_cpu)
        check_quantity(scope, "user_pods.init_memory", self.init_memory)

    @property
    def scan_exceptions(self) -> dict[str, str]:
        """Why user pods cannot meet some scanner checks (see the README)."""
        probes = "the hub tracks user server readiness itself (spawn and activity)"
        return {
            "CKV_K8S_8": probes,
            "CKV_K8S_9": probes,
            "CKV_K8S_22": "notebooks write to the image's home and temporary directories",
            "CKV_K8S_38": "user servers call the Kubernetes API with their own service account",
            "CKV_K8S_40": "the Jupyter docker-stacks images run as uid 1000 (jovyan)",
        }

    def pod_annotations(self) -> dict[str, str]:
        annotations = self.sidecar.annotations() if self.sidecar else {}
        if self.prometheus_port is not None:
            annotations |= {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": str(self.prometheus_port),
                "prometheus.io/path": self.prometheus_path,
            }
        return annotations

    def pod_labels(self) -> dict[str, str]:
        return {**self.labels, **(self.sidecar.labels() if self.sidecar else {})}


@dataclass(frozen=True)
class IdleCuller:
    """Stops user servers idle for ``timeout`` seconds, checking every ``every`` seconds."""

    enabled: bool = True
    timeout: int = 3600
    every: int = 600
    concurrency: int = 10
    # 0: no maximum age; a busy server is never stopped.
    max_age: int = 0

    def check(self, scope: Construct) -> None:
        for name in ("timeout", "every", "concurrency"):
            if getattr(self, name) <= 0:
                raise invalid(scope, f"culler.{name}", getattr(self, name), "must be positive")
        if self.max_age < 0:
            raise invalid(scope, "culler.max_age", self.max_age, "must be 0 (no limit) or more")
