"""Ready for bursts: user placeholders, a continuous image puller and a packing user scheduler.

Each follows zero-to-jupyterhub-k8s 4.4.0 (commit 5c5f5df751588a68a7781ead01d0f62e88e2e72f),
``jupyterhub/templates/scheduling/`` and ``templates/image-puller/``, and its ``values.yaml``
(``scheduling.userPlaceholder``, ``scheduling.userScheduler``, ``prePuller.continuous``):

- placeholders: pause pods at a PriorityClass below the user pods', each the size of one user
  server of the default profile, placed where those run. kube-scheduler preempts them when a
  user pod finds no room (its DefaultPreemption plugin: a pod may evict pods of lower priority,
  unless its own ``preemptionPolicy`` is ``Never``), and the cluster autoscaler adds a node for
  the evicted placeholders, before the next users come;
- the image puller: a DaemonSet whose init containers pull every image a user pod may run
  (each profile's, each choice's, their extra and init containers'), so that a spawn on a new
  node does not wait for a pull;
- the user scheduler: kube-scheduler with a ``KubeSchedulerConfiguration`` that scores nodes by
  ``MostAllocated``, packing user pods onto the busiest nodes so that the autoscaler can remove
  the idle ones; user pods and placeholders name it (``schedulerName``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from constructs import Construct

from constructs_lib._core._checks import check_image
from constructs_lib._core._errors import invalid
from constructs_lib._core._names import APP_LABEL, COMPONENT_LABEL
from constructs_lib._core._network_policy_spec import network_policy_spec
from constructs_lib._core._objects import ObjectSpec, object_spec
from constructs_lib._core._quantity import format_cpu, format_memory
from constructs_lib._core.scan_exceptions import PULL_IF_ABSENT, skip_annotations, unpinned
from constructs_lib._pods._pod_usage import pod_usage
from constructs_lib._pods.pod import Resources
from constructs_lib._pods.scheduling import Scheduling, Toleration
from hub_runtime.frozen import frozen
from hub_runtime.pod_security import restricted_container, restricted_pod
from hub_runtime.settings import ProfileSettings

__all__ = [
    "KUBE_SCHEDULER_IMAGE",
    "PAUSE_IMAGE",
    "PLACEHOLDER_PRIORITY",
    "UserScheduler",
    "check_placeholders",
    "placeholder_size",
    "placeholder_specs",
    "puller_images",
    "puller_specs",
    "scheduler_config",
    "scheduler_specs",
    "user_tolerations",
]

# z2jh's scheduling.userPlaceholder.image and prePuller.pause.image (registry.k8s.io).
PAUSE_IMAGE = "registry.k8s.io/pause:3.10.1"
# z2jh's scheduling.userScheduler.image: one minor release behind the newest, as z2jh keeps it;
# its RBAC below is the system:kube-scheduler ClusterRole of that release.
KUBE_SCHEDULER_IMAGE = "registry.k8s.io/kube-scheduler:v1.30.14"
# z2jh's scheduling.podPriority.userPlaceholderPriority: the cluster autoscaler's default
# --expendable-pods-priority-cutoff, the lowest priority whose pending pods still add a node.
PLACEHOLDER_PRIORITY = -10
AUTOSCALER_CUTOFF = -10
# The pause image's user: nobody (z2jh's prePuller.pause.containerSecurityContext).
NOBODY = 65534
# kube-scheduler's secure port (--secure-port default), which serves /healthz.
SCHEDULER_PORT = 10259
_CONFIG_DIR = "/etc/user-scheduler"
_CONFIG_KEY = "config.yaml"
# The puller's init containers run this in each image (z2jh's _helpers-daemonset.tpl).
_PULLED = ["/bin/sh", "-c", "echo Pulling complete"]
_PAUSE_RESOURCES = {"cpu": "1m", "memory": "8Mi"}
# Why the pause containers cannot meet some scanner checks (docs/design/security.md, Scanning).
_PAUSE_EXCEPTIONS = {
    "CKV_K8S_8": "the pause container has no endpoint to probe",
    "CKV_K8S_9": "the pause container has no endpoint to probe",
    **unpinned(PAUSE_IMAGE),
    **PULL_IF_ABSENT,
}

# The score plugins, their weights and the MostAllocated strategy of z2jh's
# scheduling.userScheduler.plugins and pluginConfig: NodeResourcesBalancedAllocation off, the
# others re-enabled with weights that rank node affinity first, then pod affinity, then packing.
_SCORE_WEIGHTS = (
    ("NodeAffinity", 14631),
    ("InterPodAffinity", 1331),
    ("NodeResourcesFit", 121),
    ("ImageLocality", 11),
)


def _whole(scope: Construct, field: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(scope, field, value, f"must be a whole number from {low} to {high}")


def _component_labels(release: str, component: str) -> dict[str, str]:
    return {APP_LABEL: release, COMPONENT_LABEL: component}


@frozen
class UserScheduler:
    """kube-scheduler for user pods (and placeholders), packing them onto the busiest nodes.

    ``replicas`` run with leader election (one schedules, the others wait for its lease);
    ``resources`` are its container's (z2jh sets none; a quota needs them)."""

    image: str = KUBE_SCHEDULER_IMAGE
    # z2jh's: a second replica takes the lease within seconds when the first is lost.
    replicas: int = 2
    # kube-scheduler's --v; z2jh's 4 logs each scheduling decision.
    log_level: int = 4
    resources: Resources = Resources(
        cpu_request="50m", memory_request="128Mi", cpu_limit="1", memory_limit="512Mi"
    )

    def check(self, scope: Construct, prefix: str) -> None:
        check_image(scope, f"{prefix}.image", self.image)
        _whole(scope, f"{prefix}.replicas", self.replicas, 1, 10)
        _whole(scope, f"{prefix}.log_level", self.log_level, 0, 10)
        if not isinstance(self.resources, Resources):
            raise invalid(scope, f"{prefix}.resources", self.resources, "must be a Resources")
        self.resources.check(scope, f"{prefix}.resources")

    @staticmethod
    def name(release: str) -> str:
        """The scheduler's name (user pods' ``schedulerName``) and its objects'."""
        return f"{release}-user-scheduler"


def scheduler_config(release: str, namespace: str | None) -> dict[str, Any]:
    """The ``KubeSchedulerConfiguration`` (kubescheduler.config.k8s.io/v1): one profile named
    for the release, scoring by MostAllocated, with leader election on a Lease of the
    namespace."""
    name = UserScheduler.name(release)
    plugins = [name for name, _ in _SCORE_WEIGHTS]
    return {
        "apiVersion": "kubescheduler.config.k8s.io/v1",
        "kind": "KubeSchedulerConfiguration",
        "leaderElection": {
            "leaderElect": True,
            "resourceLock": "leases",
            "resourceName": f"{name}-lock",
            "resourceNamespace": namespace or "default",
        },
        "profiles": [
            {
                "schedulerName": name,
                "plugins": {
                    "score": {
                        "disabled": [
                            {"name": "NodeResourcesBalancedAllocation"},
                            *({"name": plugin} for plugin in plugins),
                        ],
                        "enabled": [
                            {"name": plugin, "weight": weight} for plugin, weight in _SCORE_WEIGHTS
                        ],
                    }
                },
                "pluginConfig": [
                    {
                        "name": "NodeResourcesFit",
                        "args": {
                            "scoringStrategy": {
                                "type": "MostAllocated",
                                "resources": [
                                    {"name": "cpu", "weight": 1},
                                    {"name": "memory", "weight": 1},
                                ],
                            }
                        },
                    }
                ],
            }
        ],
    }


def _scheduler_rules(lock: str) -> list[dict[str, Any]]:
    """z2jh's user-scheduler ClusterRole: kubernetes v1.30.0's system:kube-scheduler
    (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/cluster-roles.yaml) with the
    lease named for the release, and system:volume-scheduler."""

    def rule(groups: Sequence[str], resources: Sequence[str], *verbs: str) -> dict[str, Any]:
        return {"apiGroups": list(groups), "resources": list(resources), "verbs": list(verbs)}

    watch = ("get", "list", "watch")
    return [
        rule(["", "events.k8s.io"], ["events"], "create", "patch", "update"),
        rule(["coordination.k8s.io"], ["leases"], "create"),
        {**rule(["coordination.k8s.io"], ["leases"], "get", "update"), "resourceNames": [lock]},
        rule([""], ["nodes"], *watch),
        rule([""], ["pods"], "delete", *watch),
        rule([""], ["bindings", "pods/binding"], "create"),
        rule([""], ["pods/status"], "patch", "update"),
        rule([""], ["replicationcontrollers", "services"], *watch),
        rule(["apps", "extensions"], ["replicasets"], *watch),
        rule(["apps"], ["statefulsets"], *watch),
        rule(["policy"], ["poddisruptionbudgets"], *watch),
        rule([""], ["persistentvolumeclaims", "persistentvolumes"], *watch),
        rule(["authentication.k8s.io"], ["tokenreviews"], "create"),
        rule(["authorization.k8s.io"], ["subjectaccessreviews"], "create"),
        rule(["storage.k8s.io"], ["csinodes"], *watch),
        rule([""], ["namespaces"], *watch),
        rule(["storage.k8s.io"], ["csidrivers"], *watch),
        rule(["storage.k8s.io"], ["csistoragecapacities"], *watch),
        rule([""], ["persistentvolumes"], "get", "list", "patch", "update", "watch"),
        rule(["storage.k8s.io"], ["storageclasses"], *watch),
        rule([""], ["persistentvolumeclaims"], "get", "list", "patch", "update", "watch"),
    ]


def scheduler_specs(
    scheduler: UserScheduler,
    *,
    release: str,
    namespace: str | None,
    priority_class: str | None,
    image_pull_secrets: tuple[str, ...],
) -> list[ObjectSpec]:
    """ServiceAccount, ClusterRole and binding, ConfigMap, Deployment and PodDisruptionBudget
    of the user scheduler."""
    name = UserScheduler.name(release)
    labels = _component_labels(release, "user-scheduler")
    # JSON, which is YAML: kube-scheduler's config decoder reads it, and so can the
    # integrity check without a YAML library.
    config = json.dumps(scheduler_config(release, namespace), indent=2, sort_keys=True) + "\n"
    rbac = "rbac.authorization.k8s.io"
    container = {
        "name": "kube-scheduler",
        "image": scheduler.image,
        "command": [
            "/usr/local/bin/kube-scheduler",
            f"--config={_CONFIG_DIR}/{_CONFIG_KEY}",
            # Skips reading kube-system's extension-apiserver-authentication ConfigMap, which
            # its role does not grant (z2jh issue 1894).
            "--authentication-skip-lookup=true",
            f"--v={scheduler.log_level}",
        ],
        "ports": [{"name": "https", "containerPort": SCHEDULER_PORT, "protocol": "TCP"}],
        "livenessProbe": {
            "httpGet": {"path": "/healthz", "port": SCHEDULER_PORT, "scheme": "HTTPS"},
            "initialDelaySeconds": 15,
        },
        "readinessProbe": {
            "httpGet": {"path": "/healthz", "port": SCHEDULER_PORT, "scheme": "HTTPS"}
        },
        "resources": scheduler.resources.to_manifest(),
        "securityContext": restricted_container(
            run_as_user=NOBODY, run_as_group=NOBODY, read_only_root=True
        ),
        "volumeMounts": [
            {"name": "config", "mountPath": _CONFIG_DIR, "readOnly": True},
            # Its serving certificate is self-signed at start; any temporary file goes here.
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    pod_spec: dict[str, Any] = {
        "serviceAccountName": name,
        "automountServiceAccountToken": True,
        "securityContext": restricted_pod(),
        "containers": [container],
        "volumes": [
            {"name": "config", "configMap": {"name": name}},
            {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}},
        ],
    }
    if priority_class:
        pod_spec["priorityClassName"] = priority_class
    if image_pull_secrets:
        pod_spec["imagePullSecrets"] = [{"name": secret} for secret in image_pull_secrets]
    return [
        object_spec(
            "UserSchedulerServiceAccount",
            api_version="v1",
            kind="ServiceAccount",
            name=name,
            labels=labels,
            automountServiceAccountToken=True,
        ),
        object_spec(
            "UserSchedulerClusterRole",
            api_version=f"{rbac}/v1",
            kind="ClusterRole",
            name=name,
            labels=labels,
            cluster_scoped=True,
            rules=_scheduler_rules(f"{name}-lock"),
        ),
        object_spec(
            "UserSchedulerClusterRoleBinding",
            api_version=f"{rbac}/v1",
            kind="ClusterRoleBinding",
            name=name,
            labels=labels,
            cluster_scoped=True,
            subjects=[
                {"kind": "ServiceAccount", "name": name, "namespace": namespace or "default"}
            ],
            roleRef={"apiGroup": rbac, "kind": "ClusterRole", "name": name},
        ),
        object_spec(
            "UserSchedulerConfig",
            api_version="v1",
            kind="ConfigMap",
            name=name,
            labels=labels,
            data={_CONFIG_KEY: config},
        ),
        object_spec(
            "UserScheduler",
            api_version="apps/v1",
            kind="Deployment",
            name=name,
            labels=labels,
            annotations=skip_annotations(
                unpinned(scheduler.image),
                {"CKV_K8S_38": "kube-scheduler binds pods through the Kubernetes API"},
            ),
            spec={
                "replicas": scheduler.replicas,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": pod_spec},
            },
        ),
        object_spec(
            "UserSchedulerDisruptionBudget",
            api_version="policy/v1",
            kind="PodDisruptionBudget",
            name=name,
            labels=labels,
            spec={"maxUnavailable": 1, "selector": {"matchLabels": dict(labels)}},
        ),
    ]


def _isolated(id: str, name: str, labels: dict[str, str]) -> ObjectSpec:
    """A NetworkPolicy that admits nothing to or from the pods of ``labels``: a pause
    container serves nothing and calls nothing, and image pulls are the kubelet's, not the
    pod's (Kubernetes docs, "Network Policies": an empty rule list of a listed policy type
    denies that direction)."""
    return network_policy_spec(
        id, name=name, labels=labels, pods=dict(labels), ingress=[], egress=[]
    )


def _pause_container(resources: Mapping[str, str], name: str = "pause") -> dict[str, Any]:
    return {
        "name": name,
        "image": PAUSE_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "resources": {"requests": dict(resources), "limits": dict(resources)},
        "securityContext": restricted_container(
            run_as_user=NOBODY, run_as_group=NOBODY, read_only_root=True
        ),
    }


def _placement(
    scheduling: Scheduling, scheduler: UserScheduler | None, release: str
) -> dict[str, Any]:
    placed = scheduling.pod_spec()
    if scheduler is not None:
        placed["schedulerName"] = UserScheduler.name(release)
    return placed


def placeholder_size(
    profile: ProfileSettings, labels: Mapping[str, str], annotations: Mapping[str, str]
) -> dict[str, str]:
    """What one user server of ``profile`` requests (its sidecar and init containers counted
    as Kubernetes counts them): the room a placeholder holds for it."""
    spec = {
        "containers": [
            {
                "name": "notebook",
                "resources": {
                    "requests": {
                        "cpu": f"{profile.cpu_request_millicores}m",
                        "memory": str(profile.memory_request_bytes),
                    },
                    "limits": {
                        "cpu": f"{profile.cpu_limit_millicores}m",
                        "memory": str(profile.memory_limit_bytes),
                    },
                },
            }
        ]
    }
    usage = pod_usage({"labels": dict(labels), "annotations": dict(annotations)}, spec)
    return {
        "cpu": format_cpu(usage.get("requests.cpu")),
        "memory": format_memory(usage.get("requests.memory")),
    }


def placeholder_specs(
    *,
    release: str,
    count: int,
    priority: int,
    size: Mapping[str, str],
    scheduling: Scheduling,
    scheduler: UserScheduler | None,
) -> list[ObjectSpec]:
    """The placeholders' PriorityClass, Deployment (``count`` pause pods of ``size``) and
    NetworkPolicy (no traffic either way)."""
    name = f"{release}-user-placeholder"
    labels = _component_labels(release, "user-placeholder")
    return [
        object_spec(
            "UserPlaceholderPriorityClass",
            api_version="scheduling.k8s.io/v1",
            kind="PriorityClass",
            name=name,
            labels=labels,
            cluster_scoped=True,
            value=priority,
            globalDefault=False,
            # A placeholder never evicts anything to make room for itself.
            preemptionPolicy="Never",
            description="JupyterHub user placeholders: hold room for user servers, which "
            "preempt them; at or above the cluster autoscaler's cutoff, so that pending "
            "ones add a node.",
        ),
        object_spec(
            "UserPlaceholders",
            api_version="apps/v1",
            kind="Deployment",
            name=name,
            labels=labels,
            annotations=skip_annotations(_PAUSE_EXCEPTIONS),
            spec={
                "replicas": count,
                # Replaced all at once: a surge would take room from user servers.
                "strategy": {"type": "Recreate"},
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "priorityClassName": name,
                        "automountServiceAccountToken": False,
                        "enableServiceLinks": False,
                        # Evicted at once: the user server waiting for its room starts sooner.
                        "terminationGracePeriodSeconds": 0,
                        "securityContext": restricted_pod(),
                        "containers": [_pause_container(size)],
                        **_placement(scheduling, scheduler, release),
                    },
                },
            },
        ),
        _isolated("UserPlaceholdersIsolated", name, labels),
    ]


def puller_images(profiles: Iterable[ProfileSettings]) -> list[str]:
    """Every image a user pod may run, each once, in the profiles' order: the profile's,
    its choices', its extra and init containers'."""
    images: dict[str, None] = {}
    for profile in profiles:
        images[profile.image] = None
        for option in profile.options:
            for choice in option.choices:
                if choice.image:
                    images[choice.image] = None
        for container in (*profile.extra_containers, *profile.init_containers):
            images[container.image] = None
    return list(images)


def puller_specs(
    *,
    release: str,
    profiles: Sequence[ProfileSettings],
    tolerations: Sequence[Toleration],
    resources: Mapping[str, str],
    priority_class: str | None,
    image_pull_secrets: tuple[str, ...],
) -> list[ObjectSpec]:
    """The continuous image puller: a DaemonSet, on every node user pods may run on (the
    profiles' tolerations), whose init containers pull each image and exit; a NetworkPolicy
    lets no traffic to or from its pods."""
    name = f"{release}-continuous-image-puller"
    labels = _component_labels(release, "continuous-image-puller")
    policies = {p.image: p.image_pull_policy for p in profiles}
    images = puller_images(profiles)
    pulls = [
        {
            "name": f"image-pull-{index}",
            "image": image,
            "imagePullPolicy": policies.get(image, "IfNotPresent"),
            "command": list(_PULLED),
            "resources": {"requests": dict(resources), "limits": dict(resources)},
            "securityContext": restricted_container(
                run_as_user=NOBODY, run_as_group=NOBODY, read_only_root=True
            ),
        }
        for index, image in enumerate(images)
    ]
    spec: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 0,
        "securityContext": restricted_pod(),
        "initContainers": pulls,
        "containers": [_pause_container(_PAUSE_RESOURCES)],
    }
    if tolerations:
        spec["tolerations"] = [t.to_manifest() for t in tolerations]
    if priority_class:
        spec["priorityClassName"] = priority_class
    if image_pull_secrets:
        spec["imagePullSecrets"] = [{"name": secret} for secret in image_pull_secrets]
    exceptions = dict(_PAUSE_EXCEPTIONS)
    for image in images:
        exceptions |= unpinned(image)
        if policies.get(image, "IfNotPresent") != "Always":
            exceptions["CKV_K8S_15"] = "the profiles' own pull policy"
    return [
        object_spec(
            "ImagePuller",
            api_version="apps/v1",
            kind="DaemonSet",
            name=name,
            labels=labels,
            annotations=skip_annotations(exceptions),
            spec={
                "selector": {"matchLabels": labels},
                # Every node pulls a new image at once: nothing waits on a puller pod.
                "updateStrategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": "100%"},
                },
                "template": {"metadata": {"labels": labels}, "spec": spec},
            },
        ),
        _isolated("ImagePullerIsolated", name, labels),
    ]


def user_tolerations(scheduling: Iterable[Scheduling]) -> tuple[Toleration, ...]:
    """The tolerations of every profile, each once: the puller goes wherever any user pod
    may run."""
    seen: dict[Toleration, None] = {}
    for rules in scheduling:
        for toleration in rules.tolerations:
            seen[toleration] = None
    return tuple(seen)


def check_placeholders(
    scope: Construct, count: object, priority: object, user_priority: int | None
) -> None:
    """``count`` a whole number, ``priority`` below the user pods' (``user_priority``, None
    when their class is the cluster's: its value is not known here) and at or above the
    autoscaler's cutoff."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise invalid(scope, "user_pods.placeholders", count, "must be a whole number, 0 or more")
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise invalid(scope, "user_pods.placeholder_priority", priority, "must be a whole number")
    if priority < AUTOSCALER_CUTOFF:
        raise invalid(
            scope,
            "user_pods.placeholder_priority",
            priority,
            f"must be {AUTOSCALER_CUTOFF} or more (the cluster autoscaler's cutoff: pending "
            "pods below it never add a node)",
        )
    if count and user_priority is not None and priority >= user_priority:
        raise invalid(
            scope,
            "user_pods.placeholder_priority",
            priority,
            f"must be below the user pods' priority ({user_priority}): only pods of lower "
            "priority are preempted for them",
        )
