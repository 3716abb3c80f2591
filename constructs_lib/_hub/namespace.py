"""The namespace a JupyterHub lives in, with a Pod Security level its user pods can meet."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._core._checks import check_instance
from constructs_lib._core._cluster_names import claim_cluster_name
from constructs_lib._core._companions import claim_companion
from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived, resolve
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import APP_LABEL, check_dns_label
from constructs_lib._core._objects import api_object, manifests_of
from constructs_lib._core._placement import (
    DeclaredNamespace,
    chart_namespace,
    join_app,
    others_in_app,
    parent_of,
)
from constructs_lib._core._props import check_arguments
from constructs_lib._core._quantity import check_quantity, format_cpu, format_memory
from constructs_lib._hub.hub import HubStatefulSet
from constructs_lib._hub.jupyterhub import JupyterHub
from constructs_lib._pods._pod_usage import PodUsage, pod_usage
from constructs_lib._pods.profile import NotebookProfile
from constructs_lib._pods.profile_options import profile_variants
from hub_runtime.settings import ContainerSettings, HubSettings, ProfileSettings

__all__ = ["HubNamespace", "HubResourceQuota", "PodSecurityLevel"]


# The extended resource of NVIDIA's device plugin.
GPU = "nvidia.com/gpu"
_SCALED_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "HorizontalPodAutoscaler"}
# requests.cpu, limits.memory, requests.nvidia.com/gpu, pods, services.loadbalancers, ...
# The resources a ResourceQuota's hard may name (Kubernetes' "Resource Quotas" page: compute,
# storage and object count); extended and storage-class resources are qualified ("<x>/<y>").
_QUOTA_RESOURCES = frozenset(
    {
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.storage",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "configmaps",
        "persistentvolumeclaims",
        "pods",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "services",
        "services.loadbalancers",
        "services.nodeports",
    }
)
_QUOTA_PATTERN = re.compile(
    r"((requests\.|limits\.)?hugepages-[0-9A-Za-z.]+"
    r"|count/[a-z0-9]([-a-z0-9.]*[a-z0-9])?"
    r"|[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)"
)


def _is_quota_key(key: object) -> bool:
    return isinstance(key, str) and (key in _QUOTA_RESOURCES or bool(_QUOTA_PATTERN.fullmatch(key)))


class PodSecurityLevel(StrEnum):
    PRIVILEGED = "privileged"
    BASELINE = "baseline"
    RESTRICTED = "restricted"


class HubNamespace(DeclaredNamespace):
    """A Namespace labelled ``name: <name>`` whose Pod Security level is derived from profiles:
    ``privileged`` only when some profile mounts a host path or chowns as root, or when
    ``istio_init`` says injected pods get Istio's init container (NET_ADMIN and NET_RAW; not
    needed with Istio's CNI plugin); otherwise ``restricted``, which the hub, the proxy and the
    hardened user pods meet.

    With a ``JupyterHub``, make it with :meth:`for_jupyterhub`: the profiles, the release and
    the mesh's ``init_container`` are then the hub's, one choice each. The constructor is for
    parts used on their own.

    Args:
        profiles: the profiles whose volumes and init containers decide the Pod Security level.
        name: the Namespace's name; default ``jupyterhub``, the apps' namespace (a chart's
            ``namespace`` must match it).
        release: the release whose objects live here (a release lives in one namespace, and
            a namespace has one HubNamespace); default ``jupyterhub``.
        istio_init: whether injected pods get Istio's init container (NET_ADMIN, NET_RAW), which
            needs ``privileged``; default ``False``, for Istio's CNI plugin or no mesh. Under
            a ``JupyterHub`` it is its mesh's (``IstioMesh.init_container``).
    """

    namespace = Handle[cdk8s.ApiObject]("The Namespace, with its Pod Security labels.")

    @staticmethod
    def for_jupyterhub(
        scope: Construct, id: str, jupyterhub: JupyterHub, *, name: str = "jupyterhub"
    ) -> HubNamespace:
        """The namespace of ``jupyterhub``: its profiles, its release, and its mesh's
        ``init_container`` decide the Pod Security level. Make it after the last
        ``add_profile``. ``name`` is the Namespace's (default ``jupyterhub``, the apps'
        namespace; the hub's chart must put it there)."""
        check_instance(scope, "jupyterhub", jupyterhub, JupyterHub)
        mesh = jupyterhub.mesh
        return HubNamespace(
            scope,
            id,
            profiles=jupyterhub.profiles,
            name=name,
            release=jupyterhub.hub.release,
            istio_init=mesh is not None and mesh.init_container,
        )

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        profiles: Sequence[NotebookProfile],
        name: str = "jupyterhub",
        release: str = "jupyterhub",
        istio_init: bool = False,
    ) -> None:
        super().__init__(scope, id)
        check_arguments(self, HubNamespace.__init__, profiles=profiles, istio_init=istio_init)
        check_dns_label(self, "name", name)
        _check_release(self, name, release)
        claim_cluster_name(
            self,
            "Namespace",
            name,
            release=release,
            field="name",
            share="make one HubNamespace for it, with the profiles of every release there",
        )
        self.name = name
        self.release = release
        _check_mesh(self, release, istio_init)
        join_app(self, release)
        self.pod_security = (
            PodSecurityLevel.PRIVILEGED
            if istio_init or any(profile.needs_privileged_pods for profile in profiles)
            else PodSecurityLevel.RESTRICTED
        )
        self.namespace = api_object(
            self,
            "Resource",
            api_version="v1",
            kind="Namespace",
            name=name,
            labels={
                APP_LABEL: release,
                "name": name,
                "pod-security.kubernetes.io/enforce": self.pod_security.value,
            },
        )


def _check_mesh(namespace: HubNamespace, release: str, istio_init: bool) -> None:
    """The release's JupyterHub, made before, decides whether its pods get Istio's init
    container: a namespace that says otherwise would refuse them or admit too much."""
    for hub in others_in_app(namespace, HubStatefulSet, release):
        owner = parent_of(hub)
        if not isinstance(owner, JupyterHub):
            continue
        wanted = owner.mesh is not None and owner.mesh.init_container
        if istio_init != wanted:
            raise invalid(
                namespace,
                "istio_init",
                istio_init,
                f"must be {wanted}, as the mesh of {owner.node.path} says (its "
                "IstioMesh.init_container): make the namespace with "
                "HubNamespace.for_jupyterhub(scope, id, jupyterhub)",
            )


def _check_release(namespace: HubNamespace, name: str, release: str) -> None:
    """A release's hub and namespace are one: its HubNamespace names its hub's namespace, and
    a second namespace or hub in another namespace needs a release of its own."""
    for declared in others_in_app(namespace, DeclaredNamespace, release):
        if declared.name != name:
            raise invalid(
                namespace,
                "release",
                release,
                f"must differ from that of {declared.node.path}, which creates namespace "
                f"{declared.name!r} for it (a release lives in one namespace)",
            )
    hubs = {chart_namespace(hub): hub for hub in others_in_app(namespace, HubStatefulSet, release)}
    if len(hubs) > 1:
        paths = " and ".join(f"{hub.node.path} (namespace {ns!r})" for ns, hub in hubs.items())
        raise invalid(
            namespace,
            "release",
            release,
            f"must be that of one hub, not of {paths}: give each hub a release of its own",
        )
    for hub_namespace, hub in hubs.items():
        if hub_namespace != name:
            raise invalid(
                namespace,
                "name",
                name,
                f"must be {hub_namespace!r}, the namespace the chart of "
                f"{hub.node.path} (release {release!r}) puts it in",
            )


class HubResourceQuota(LibraryConstruct):
    """The namespace's ResourceQuota, derived from what the app runs at once.

    Every pod of ``jupyterhub`` counts as Kubernetes counts it (init containers and Istio's
    injected sidecar and init container included): the hub, the proxy at its autoscaler's
    maximum plus its rolling update's surge, the pods of its route store when the app deploys
    one, and ``user_servers`` user servers of the largest profile (per resource), of which
    ``gpu_servers`` may have GPUs; the user placeholders, the user scheduler, and the image
    puller's pod on each of ``nodes`` nodes. ``overrides`` replaces single entries of ``hard``
    (e.g. ``{"limits.memory": "512Gi"}``). No LoadBalancer Services: traffic enters through
    the ingress. Make it in the hub's chart's namespace, once per hub, after the last
    ``add_profile``.

    Args:
        jupyterhub: the hub and proxy whose pods the quota must admit.
        user_servers: user servers running at once; default 8, the reference's 32-CPU quota at its
            profiles' 4-CPU limit.
        gpu_servers: how many of those may have GPUs; default 1, the reference's quota had one GPU.
        overrides: single entries of ``hard`` to replace (e.g. ``{"limits.memory": "512Gi"}``);
            default none.
        load_balancers: LoadBalancer Services allowed; default 0, as traffic enters through the
            ingress.
        nodes: the nodes the image puller's DaemonSet runs a pod on (counted only with
            ``UserPods(image_puller=True)``); default ``Derived.FROM_SERVERS``: user_servers
            plus the placeholders, as the cluster autoscaler removes a node that runs no user
            server nor placeholder (it ignores DaemonSet pods when scaling down).
    """

    quota = Handle[cdk8s.ApiObject]("The ResourceQuota.")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        jupyterhub: JupyterHub,
        # The reference's 32-CPU quota at its profiles' 4-CPU limit.
        user_servers: int = 8,
        # The reference's quota had one GPU.
        gpu_servers: int = 1,
        overrides: Mapping[str, str] = MappingProxyType({}),
        load_balancers: int = 0,
        nodes: int | Derived = Derived.FROM_SERVERS,
    ) -> None:
        super().__init__(scope, id)
        check_arguments(self, HubResourceQuota.__init__, jupyterhub=jupyterhub, overrides=overrides)
        for field, count in (
            ("user_servers", user_servers),
            ("gpu_servers", gpu_servers),
            ("load_balancers", load_balancers),
        ):
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise invalid(self, field, count, "must be a whole number, 0 or more")
        if gpu_servers > user_servers:
            raise invalid(
                self,
                "gpu_servers",
                gpu_servers,
                f"must be at most user_servers ({user_servers}): GPU servers are user servers",
            )
        overrides = dict(overrides)
        for key, quantity in overrides.items():
            if not _is_quota_key(key):
                raise invalid(
                    self,
                    "overrides",
                    key,
                    "must have keys naming quota resources: 'limits.memory', 'requests.cpu', "
                    "'pods', 'count/<resource>', 'requests.<domain>/<extended resource>'...",
                )
            check_quantity(self, f"overrides[{key!r}]", quantity)

        hub = jupyterhub.hub
        claim_companion(self, hub, field="jupyterhub", reads_profiles=True)
        settings = hub.settings
        self.nodes = resolve(
            self,
            "nodes",
            nodes,
            Derived.FROM_SERVERS,
            lambda: user_servers + hub.user_pods.placeholders,
        )
        if isinstance(self.nodes, bool) or not isinstance(self.nodes, int) or self.nodes < 0:
            raise invalid(self, "nodes", self.nodes, "must be a whole number, 0 or more")
        self.app_usage = _app_usage(self, jupyterhub, self.nodes)
        self.user_server_usage = _user_server_usage(self, settings)
        self.user_servers = user_servers
        self.gpu_servers = gpu_servers
        total = self.app_usage.plus(self.user_server_usage.times(user_servers))
        gpus = max((_gpus(profile) for profile in settings.profiles), default=0)
        self.hard = {
            "requests.cpu": format_cpu(total.get("requests.cpu")),
            "limits.cpu": format_cpu(total.get("limits.cpu")),
            "requests.memory": format_memory(total.get("requests.memory")),
            "limits.memory": format_memory(total.get("limits.memory")),
            # GPUs cannot be overcommitted: only requests count (as Kubernetes allows).
            f"requests.{GPU}": str(gpu_servers * gpus),
            "services.loadbalancers": str(load_balancers),
            **overrides,
        }
        self.quota = api_object(
            self,
            "Resource",
            api_version="v1",
            kind="ResourceQuota",
            name=hub.release,
            labels={APP_LABEL: hub.release},
            spec={"hard": self.hard},
        )


def _app_usage(scope: Construct, jupyterhub: JupyterHub, nodes: int) -> PodUsage:
    """The most the app's own workloads take at once (a DaemonSet one pod per node)."""
    members: list[Construct] = [jupyterhub]
    if isinstance(jupyterhub.proxy.routes, Construct):
        members.append(jupyterhub.proxy.routes)  # a route store the app deploys
    objects = manifests_of(members, _SCALED_KINDS)
    most = {
        o["spec"]["scaleTargetRef"]["name"]: o["spec"]["maxReplicas"]
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    usage = PodUsage({})
    for obj in objects:
        if obj["kind"] == "HorizontalPodAutoscaler":
            continue
        name = obj["metadata"]["name"]
        template = obj["spec"]["template"]
        if obj["kind"] == "DaemonSet":
            pods = nodes  # its updates replace pods in place (maxSurge 0, the default)
        else:
            pods = most.get(name, obj["spec"].get("replicas", 1)) + _surge(obj, most.get(name))
        one = pod_usage(template["metadata"], template["spec"])
        _check_complete(scope, f"{obj['kind']}/{name}", one)
        usage = usage.plus(one.times(pods))
    return usage


def _surge(workload: dict[str, Any], replicas: int | None) -> int:
    """Extra pods a Deployment's rolling update starts (25% rounded up by default);
    a StatefulSet replaces its pods without surging."""
    if workload["kind"] != "Deployment":
        return 0
    strategy = workload["spec"].get("strategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return 0
    surge = (strategy.get("rollingUpdate") or {}).get("maxSurge", "25%")
    count = replicas if replicas is not None else workload["spec"].get("replicas", 1)
    if isinstance(surge, str):
        return -(-count * int(surge.rstrip("%")) // 100)
    return int(surge)


def _user_server_usage(scope: Construct, settings: HubSettings) -> PodUsage:
    """One user server of the largest profile, per resource: the pod KubeSpawner makes from
    the hub settings (notebook container, the profile's extra containers, chown and other init
    containers, Istio's containers), for every combination of the profile's choices."""
    spawner = settings.spawner
    init = {"cpu": spawner.init_cpu, "memory": spawner.init_memory}

    def container(c: ContainerSettings) -> dict[str, Any]:
        requests = {
            "cpu": c.cpu_request or init["cpu"],
            "memory": c.memory_request or init["memory"],
        }
        limits = {"cpu": c.cpu_limit or init["cpu"], "memory": c.memory_limit or init["memory"]}
        return {"name": c.name, "resources": {"requests": requests, "limits": limits}}

    usage = PodUsage({})
    for base in settings.profiles:
        for _, profile in profile_variants(base):
            # The sizes as numbers (cores, bytes), read once by the profile.
            requests: dict[str, Any] = {
                "cpu": Decimal(profile.cpu_request_millicores) / 1000,
                "memory": Decimal(profile.memory_request_bytes),
                **profile.extra_resource_guarantees,
            }
            limits: dict[str, Any] = {
                "cpu": Decimal(profile.cpu_limit_millicores) / 1000,
                "memory": Decimal(profile.memory_limit_bytes),
                **profile.extra_resource_limits,
            }
            if spawner.ephemeral_storage_guarantee:
                requests.setdefault("ephemeral-storage", spawner.ephemeral_storage_guarantee)
            metadata = {
                "labels": spawner.labels,
                "annotations": {**spawner.annotations, **profile.annotations},
            }
            spec = {
                "containers": [
                    {"name": "notebook", "resources": {"requests": requests, "limits": limits}},
                    *(container(c) for c in profile.extra_containers),
                ],
                "initContainers": [
                    *(
                        {"name": f"chown-{v.name}", "resources": {"requests": init, "limits": init}}
                        for v in profile.volumes
                        if v.owner
                    ),
                    *(container(c) for c in profile.init_containers),
                ],
            }
            one = pod_usage(metadata, spec)
            _check_complete(scope, f"user servers of profile {profile.slug!r}", one)
            usage = usage.most(one)
    return usage


def _check_complete(scope: Construct, what: str, usage: PodUsage) -> None:
    if usage.missing:
        raise invalid(
            scope,
            f"jupyterhub's {what}",
            ", ".join(sorted(set(usage.missing))),
            "must give every container CPU and memory requests and limits (the "
            "quota refuses pods without them)",
        )


def _gpus(profile: ProfileSettings) -> int:
    return int(profile.extra_resource_guarantees.get(GPU, "0"))
