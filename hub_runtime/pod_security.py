"""Who a pod's processes run as, and the template fields a user pod's strings may use.

One definition for the constructs (the hub, the proxies, Redis, the checks of user
containers and volumes) and for the hub (which makes the user pods through KubeSpawner).
Standard library only: the hub imports it too.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "NOTEBOOK_GID",
    "NOTEBOOK_OWNER",
    "NOTEBOOK_UID",
    "PATH_FIELDS",
    "restricted_container",
    "restricted_pod",
]

# The notebook user of the Jupyter docker-stacks images: jovyan, uid 1000, whose primary
# group is "users", gid 100 (docker-stacks' docker-stacks-foundation Dockerfile: NB_UID=1000,
# NB_GID=100). Files the user must own are chowned to these; volumes are group-writable for
# the gid.
NOTEBOOK_UID = 1000
NOTEBOOK_GID = 100
NOTEBOOK_OWNER = (NOTEBOOK_UID, NOTEBOOK_GID)

# Template fields the spawner fills in a user pod's paths, commands and environment.
# ``{user}`` is the user's safe key (hub_runtime.spawner: never raw input); the others are
# KubeSpawner's own escaped forms. ``{unescaped_username}`` is left out on purpose.
PATH_FIELDS = frozenset({"user", "username", "safe_username", "servername", "user_server"})


def restricted_container(
    *,
    run_as_user: int | None = None,
    run_as_group: int | None = None,
    read_only_root: bool = False,
) -> dict[str, Any]:
    """A container security context of the Pod Security ``restricted`` profile: non-root,
    unprivileged, no privilege escalation, every capability dropped, the runtime's seccomp
    profile. The user, group and a read-only root file system are added where the image
    allows them."""
    context: dict[str, Any] = {"runAsNonRoot": True}
    if run_as_user is not None:
        context["runAsUser"] = run_as_user
    if run_as_group is not None:
        context["runAsGroup"] = run_as_group
    if read_only_root:
        context["readOnlyRootFilesystem"] = True
    return context | {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted_pod(*, fs_group: int | None = None) -> dict[str, Any]:
    """A pod security context of the ``restricted`` profile. ``fs_group``: fresh volumes
    (EBS, PD, Azure Disk, Ceph; a new claim) are root:root 0755, and the kubelet makes them
    group-writable for this gid so the non-root containers can write them (KubeSpawner sets
    it from its ``fs_gid`` itself)."""
    context: dict[str, Any] = {} if fs_group is None else {"fsGroup": fs_group}
    # Re-own only a volume whose top directory does not already match (fast restarts).
    context["fsGroupChangePolicy"] = "OnRootMismatch"
    context["seccompProfile"] = {"type": "RuntimeDefault"}
    return context
