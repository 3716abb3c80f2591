"""What every user pod gets whatever the profile, and the idle culler that stops them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

import cdk8s
from constructs import Construct

from constructs_lib._core._checks import check_image_pull_secrets
from constructs_lib._core._cluster_names import claim_cluster_name
from constructs_lib._core._derived import Derived
from constructs_lib._core._errors import invalid
from constructs_lib._core._names import Component, check_dns_subdomain, selector_labels
from constructs_lib._core._objects import ObjectSpec, api_objects, object_spec
from constructs_lib._core._props import renamed
from constructs_lib._core._quantity import check_quantity
from constructs_lib._pods.burst import PLACEHOLDER_PRIORITY, UserScheduler, check_placeholders
from constructs_lib._pods.pod import IstioSidecar
from constructs_lib._pods.profile_options import check_default_url
from constructs_lib.integrity import Prerequisite
from hub_runtime.frozen import frozen
from hub_runtime.pod_security import NOTEBOOK_UID
from hub_runtime.settings import USER_SERVER_ARGS, CullerSettings, reserved_server_arg

__all__ = ["REFERENCE_SERVER_ARGS", "USER_PORT", "IdleCuller", "UserPods", "UserPriority"]

# The port every user server listens on (KubeSpawner's default).
USER_PORT = 8888
# The priority of pods without a class: user servers never outrank them.
_MAX_USER_PRIORITY = 0


@frozen
class UserPriority:
    """The PriorityClass user pods run at: one the app creates, or one the cluster already
    has (a prerequisite of the app). Use the factory methods."""

    # Derived.FROM_RELEASE: "<release>-singleuser-server".
    name: str | Derived
    value: int | None = None
    description: str = ""
    reason: str | None = None

    @staticmethod
    def created(
        *,
        name: str | Derived = Derived.FROM_RELEASE,
        # 0, as zero-to-jupyterhub gives user pods: never evicted for pods without a class
        # (a kernel's state dies with its pod), and above the cluster autoscaler's cutoff (-10)
        # below which a pending pod never triggers a scale-up.
        value: int = 0,
        description: str = (
            "JupyterHub user servers: never preempt other pods, and are not "
            "preempted by pods without a priority class."
        ),
    ) -> UserPriority:
        """A PriorityClass of the app (``preemptionPolicy: Never``: a user server waits for
        room rather than evicting anything). ``name`` defaults to ``Derived.FROM_RELEASE``:
        ``<release>-singleuser-server``; ``value`` must be 0 or less. The class has no
        namespace: no two hubs of an app may create one of the same name."""
        return UserPriority(name, value, description)

    @staticmethod
    def existing(name: str, *, reason: str) -> UserPriority:
        """A PriorityClass the cluster has; ``reason`` says where it comes from (it is listed
        among the app's prerequisites)."""
        return UserPriority(name, reason=reason)

    @property
    def created_by_app(self) -> bool:
        return self.reason is None

    def check(self, scope: Construct, prefix: str) -> None:
        if isinstance(self.name, str):
            check_dns_subdomain(scope, f"{prefix}.name", self.name)
            if self.created_by_app and self.name.startswith("system-"):
                raise invalid(
                    scope,
                    f"{prefix}.name",
                    self.name,
                    "must not start with 'system-' (Kubernetes reserves those names)",
                )
        if self.created_by_app:
            if (
                isinstance(self.value, bool)
                or not isinstance(self.value, int)
                or self.value > _MAX_USER_PRIORITY
            ):
                raise invalid(
                    scope,
                    f"{prefix}.value",
                    self.value,
                    "must be a whole number, 0 or less (user servers must not "
                    "outrank other workloads)",
                )
            if not self.description.strip():
                raise invalid(
                    scope,
                    f"{prefix}.description",
                    self.description,
                    "must say what the class is for",
                )
        elif not isinstance(self.name, str) or not (self.reason or "").strip():
            raise invalid(
                scope,
                prefix,
                self.name,
                "must name an existing PriorityClass and say where it comes from",
            )

    def resolve_name(self, release: str) -> str:
        if isinstance(self.name, str):
            return self.name
        return f"{release}-{Component.SINGLEUSER.value}"

    def claim(self, scope: Construct, prefix: str, release: str) -> None:
        """Claim the class's name in the app, when the app creates it: no other hub of the
        app may create one of the same name (it has no namespace to keep them apart)."""
        if self.created_by_app:
            claim_cluster_name(
                scope,
                "PriorityClass",
                self.resolve_name(release),
                release=release,
                field=f"{prefix}.name" if isinstance(self.name, str) else None,
                share="let one hub create the class and the other name it with "
                "UserPriority.existing",
            )

    def add_object(self, scope: Construct, release: str) -> cdk8s.ApiObject | None:
        """The PriorityClass in ``scope``, when the app creates it."""
        spec = self.object_spec(release)
        return api_objects(scope, [spec])[0] if spec else None

    def object_spec(self, release: str, *, preempt: bool = False) -> ObjectSpec | None:
        """The PriorityClass (cluster-scoped: no namespace), when the app creates it.
        ``preempt``: user servers may evict pods of lower priority (the app's placeholders):
        kube-scheduler never preempts for a pod whose class says ``Never``."""
        if not self.created_by_app:
            return None
        description = self.description
        if preempt:
            description = (
                "JupyterHub user servers: preempt only pods of lower priority (the user "
                "placeholders), and are not preempted by pods without a priority class."
            )
        return object_spec(
            "UserPriorityClass",
            api_version="scheduling.k8s.io/v1",
            kind="PriorityClass",
            name=self.resolve_name(release),
            labels=selector_labels(release, Component.SINGLEUSER),
            value=self.value,
            globalDefault=False,
            preemptionPolicy="PreemptLowerPriority" if preempt else "Never",
            description=description,
            cluster_scoped=True,
        )

    def prerequisite(self, release: str) -> Prerequisite | None:
        """What the app expects the cluster to have, if the class is not the app's own."""
        if self.reason is None:
            return None
        return Prerequisite("PriorityClass", self.resolve_name(release), self.reason)


# The reference's checkpoint setting (it passed it in NOTEBOOK_ARGS, which only docker-stacks'
# start scripts read), corrected. Its absolute /mnt/.ipynb_checkpoints made jupyter_server keep
# one checkpoint per file *name* for all directories (FileCheckpoints.checkpoint_path joins
# the notebook's directory with checkpoint_dir, and an absolute one wins), so "revert" could
# restore another notebook. Relative (jupyter_server's default), each directory keeps its own,
# beside its notebooks: on the persistent volume for notebooks there, outliving the pod.
REFERENCE_SERVER_ARGS = ("--FileCheckpoints.checkpoint_dir=.ipynb_checkpoints",)


def _reference_labels() -> Mapping[str, str]:
    return {
        "policy.cilium.io/l7-visibility": "true",
        "hubble.cilium.io/export.source": "true",
    }


@renamed(start_timeout="start_timeout_seconds")
@frozen
class UserPods:
    """Settings shared by every user pod the hub spawns."""

    # KubeSpawner's default: a pod not running within it fails the spawn.
    start_timeout_seconds: int = 300
    # The reference named a class "low" that nothing created, so every spawn was refused.
    # None: user pods name no class (the cluster's default priority).
    priority: UserPriority | None = field(default_factory=UserPriority.created)
    # Run the single-user server directly (as z2jh does): any image with JupyterHub installed
    # works, and the hub can pass it arguments (KubeSpawner drops them with the image's CMD).
    cmd: tuple[str, ...] = ("jupyterhub-singleuser",)
    server_args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=_reference_labels)
    # No mesh unless chosen: under JupyterHub its mesh sets the sidecar and, with a mesh,
    # the scrape of the sidecar's merged metrics (IstioMesh.user_sidecar, metrics_port).
    sidecar: IstioSidecar | None = None
    # None: no scrape annotations (without a mesh nothing serves metrics on a fixed port).
    prometheus_port: int | None = None
    prometheus_path: str = "/metrics"
    ephemeral_storage_guarantee: str | None = "1G"
    init_cpu: str = "10m"
    init_memory: str = "32Mi"
    per_user_service: bool = True
    # Secrets (type kubernetes.io/dockerconfigjson) user pods pull their images with; none:
    # the default images are public.
    image_pull_secrets: tuple[str, ...] = ()
    # Deleting a user (an admin's, or the culler's with IdleCuller(users=True)) keeps their
    # claim: a person's files are not deleted as a side effect; delete the PVC by hand.
    delete_claim_with_user: bool = False
    # None: the server's own (the image's; JupyterLab in docker-stacks); a profile's
    # default_url replaces it.
    default_url: str | None = None
    # Pause pods holding room for this many more user servers of the default profile; user
    # servers preempt them (their class then preempts lower priorities), and the cluster
    # autoscaler adds a node for the evicted ones. 0 (z2jh's default): none.
    placeholders: int = 0
    # The placeholders' PriorityClass value: z2jh's, the cluster autoscaler's cutoff (lower
    # ones never add a node); it must be below the user pods'.
    placeholder_priority: int = PLACEHOLDER_PRIORITY
    # A DaemonSet pulling every image user pods may run onto each node, so that a spawn on a
    # new node does not wait for a pull (z2jh's continuous puller). Off unless asked.
    image_puller: bool = False
    # kube-scheduler packing user pods (and placeholders) onto the busiest nodes, so that the
    # autoscaler can remove the others; None: the cluster's default scheduler.
    scheduler: UserScheduler | None = None

    @property
    def user_priority_value(self) -> int | None:
        """The user pods' priority where it is known here (0 without a class)."""
        if self.priority is None:
            return 0
        return self.priority.value if self.priority.created_by_app else None

    def check(self, scope: Construct) -> None:
        if isinstance(self.cmd, str) or not self.cmd or not all(self.cmd):
            raise invalid(
                scope,
                "user_pods.cmd",
                self.cmd,
                "must be a non-empty list such as ('jupyterhub-singleuser',)",
            )
        if isinstance(self.server_args, str):
            raise invalid(
                scope,
                "user_pods.server_args",
                self.server_args,
                "must be a list of arguments, not one string",
            )
        taken = reserved_server_arg(self.server_args)
        if taken is not None:
            raise invalid(
                scope,
                "user_pods.server_args",
                taken,
                f"must leave to the hub what it sets itself ({', '.join(USER_SERVER_ARGS)})",
            )
        if self.start_timeout_seconds <= 0:
            raise invalid(
                scope,
                "user_pods.start_timeout_seconds",
                self.start_timeout_seconds,
                "must be a positive number of seconds",
            )
        if self.sidecar is not None:
            self.sidecar.check(scope, "user_pods.sidecar")
        if self.priority is not None:
            self.priority.check(scope, "user_pods.priority")
        if self.ephemeral_storage_guarantee is not None:
            check_quantity(
                scope, "user_pods.ephemeral_storage_guarantee", self.ephemeral_storage_guarantee
            )
        check_default_url(scope, "user_pods.default_url", self.default_url)
        check_quantity(scope, "user_pods.init_cpu", self.init_cpu)
        check_quantity(scope, "user_pods.init_memory", self.init_memory)
        check_image_pull_secrets(scope, "user_pods.image_pull_secrets", self.image_pull_secrets)
        check_placeholders(
            scope, self.placeholders, self.placeholder_priority, self.user_priority_value
        )
        if not isinstance(self.image_puller, bool):
            raise invalid(
                scope, "user_pods.image_puller", self.image_puller, "must be True or False"
            )
        if self.scheduler is not None:
            if not isinstance(self.scheduler, UserScheduler):
                raise invalid(
                    scope, "user_pods.scheduler", self.scheduler, "must be a UserScheduler or None"
                )
            self.scheduler.check(scope, "user_pods.scheduler")
        if not isinstance(self.delete_claim_with_user, bool):
            raise invalid(
                scope,
                "user_pods.delete_claim_with_user",
                self.delete_claim_with_user,
                "must be True or False",
            )

    @property
    def scan_exceptions(self) -> dict[str, str]:
        """Why user pods cannot meet some scanner checks (see docs/design/security.md, Scanning)."""
        probes = "the hub tracks user server readiness itself (spawn and activity)"
        return {
            "CKV_K8S_8": probes,
            "CKV_K8S_9": probes,
            "CKV_K8S_22": "notebooks write to the image's home and temporary directories",
            "CKV_K8S_38": "user servers call the Kubernetes API with their own service account",
            "CKV_K8S_40": f"the Jupyter docker-stacks images run as uid {NOTEBOOK_UID} (jovyan)",
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


@renamed(timeout="timeout_seconds", every="every_seconds", max_age="max_age_seconds")
@frozen
class IdleCuller(CullerSettings):
    """jupyterhub-idle-culler, as zero-to-jupyterhub's ``cull`` values: stops user servers
    idle for ``timeout_seconds``, checking every ``every_seconds``, at most ``concurrency``
    requests to the hub at once; ``max_age_seconds`` (0 for none) stops servers that old
    even when busy. ``users`` also deletes users idle for the timeout whose servers are all
    stopped (their hub state; their claim stays unless
    ``UserPods(delete_claim_with_user=True)``), admins too unless ``admin_users=False``;
    ``remove_named_servers`` removes culled named servers instead of only stopping them.
    The culler's role grants only the scopes these need (``admin:users`` with ``users``).
    Its fields are the hub settings' (``CullerSettings``), defaults included."""

    def check(self, scope: Construct) -> None:
        # The types are checked with the hub's options (their hints); these are the ranges.
        for name in ("timeout_seconds", "every_seconds", "concurrency"):
            if getattr(self, name) <= 0:
                raise invalid(scope, f"culler.{name}", getattr(self, name), "must be positive")
        if self.max_age_seconds < 0:
            raise invalid(
                scope,
                "culler.max_age_seconds",
                self.max_age_seconds,
                "must be 0 (no limit) or more",
            )
        if not self.users and not self.admin_users:
            raise invalid(
                scope,
                "culler.admin_users",
                self.admin_users,
                "must be True unless users=True (it says whether culling users spares admins)",
            )
