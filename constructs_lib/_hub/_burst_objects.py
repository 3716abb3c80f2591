"""The hub's objects that make it ready for bursts (``constructs_lib._pods.burst``), from its
user pods' options and its profiles."""

from __future__ import annotations

from collections.abc import Sequence

from constructs import Construct

from constructs_lib._core._cluster_names import claim_cluster_name
from constructs_lib._core._errors import invalid
from constructs_lib._core._objects import ObjectSpec
from constructs_lib._core._placement import chart_namespace
from constructs_lib._pods.burst import (
    UserScheduler,
    placeholder_size,
    placeholder_specs,
    puller_specs,
    scheduler_specs,
    user_tolerations,
)
from constructs_lib._pods.profile import NotebookProfile
from constructs_lib._pods.user_pods import UserPods

__all__ = ["BURST_SCOPE", "burst_specs", "claim_burst_names", "scheduler_name"]

# The construct id of the scope holding them (replaced whole when a profile is added).
BURST_SCOPE = "Burst"


def scheduler_name(user_pods: UserPods, release: str) -> str | None:
    """The ``schedulerName`` of user pods: the app's user scheduler, or None (the default)."""
    return UserScheduler.name(release) if user_pods.scheduler is not None else None


def claim_burst_names(scope: Construct, user_pods: UserPods, release: str) -> None:
    """Claim the cluster-scoped names they create (no two hubs of an app may share them);
    the user scheduler's binding and lease need the namespace it runs in."""
    if user_pods.scheduler is not None and chart_namespace(scope) is None:
        raise invalid(
            scope,
            "user_pods.scheduler",
            user_pods.scheduler,
            "needs the hub's chart to have a namespace: its ClusterRoleBinding and leader "
            "election Lease name the namespace it runs in",
        )
    if user_pods.placeholders:
        name = f"{release}-user-placeholder"
        share = "let one of them run placeholders: user_pods.placeholders=0 for the other"
        claim_cluster_name(scope, "PriorityClass", name, release=release, field=None, share=share)
    if user_pods.scheduler is not None:
        name = UserScheduler.name(release)
        share = "let one of them run the user scheduler: user_pods.scheduler=None for the other"
        for kind in ("ClusterRole", "ClusterRoleBinding"):
            claim_cluster_name(scope, kind, name, release=release, field=None, share=share)


def _default_profile(profiles: Sequence[NotebookProfile]) -> NotebookProfile:
    return next((p for p in profiles if p.default), profiles[0])


def burst_specs(
    user_pods: UserPods,
    *,
    release: str,
    namespace: str | None,
    profiles: Sequence[NotebookProfile],
    priority_class: str | None,
) -> list[ObjectSpec]:
    """Placeholders (sized as one server of the default profile, placed as it is), the image
    puller (every profile's images) and the user scheduler, as ``user_pods`` asks."""
    specs: list[ObjectSpec] = []
    if user_pods.placeholders:
        default = _default_profile(profiles)
        size = placeholder_size(
            default.settings, user_pods.pod_labels(), user_pods.pod_annotations()
        )
        specs += placeholder_specs(
            release=release,
            count=user_pods.placeholders,
            priority=user_pods.placeholder_priority,
            size=size,
            scheduling=default.scheduling,
            scheduler=user_pods.scheduler,
        )
    if user_pods.image_puller:
        specs += puller_specs(
            release=release,
            profiles=[p.settings for p in profiles],
            tolerations=user_tolerations(p.scheduling for p in profiles),
            resources={"cpu": user_pods.init_cpu, "memory": user_pods.init_memory},
            # The user pods' class: above the placeholders, which it may then preempt.
            priority_class=priority_class,
            image_pull_secrets=tuple(user_pods.image_pull_secrets),
        )
    if user_pods.scheduler is not None:
        specs += scheduler_specs(
            user_pods.scheduler,
            release=release,
            namespace=namespace,
            priority_class=None,
            image_pull_secrets=tuple(user_pods.image_pull_secrets),
        )
    return specs
