"""The proxy's pods and the objects around them, the same for every proxy kind: its name and
labels, the container's fixed parts, the Deployment, the Service and, for the proxies in the
data path, the PodDisruptionBudget and HorizontalPodAutoscaler."""

from __future__ import annotations

from typing import Any, Protocol

import cdk8s
from constructs import Construct

from constructs_lib._core._derived import Derived
from constructs_lib._core._endpoints import (
    PROXY_API_PORT,
    PROXY_METRICS_PORT,
    PROXY_PORT,
    PROXY_SERVICE_API_PORT,
    component_name,
)
from constructs_lib._core._errors import invalid
from constructs_lib._core._names import Component, selector_labels
from constructs_lib._core._objects import ObjectSpec, api_objects, object_spec
from constructs_lib._core._placement import join_app
from constructs_lib._core.kubernetes_version import KubernetesVersion
from constructs_lib._pods.pod import (
    IstioSidecar,
    disruption_budget_spec,
    hardened_container,
    pod_template,
    service_object_spec,
)
from constructs_lib._pods.scheduling import Scheduling
from constructs_lib._proxies._proxy_checks import check_one_proxy
from constructs_lib._proxies.interfaces import IHub

__all__ = [
    "METRICS_PORT_NAME",
    "check_pre_stop",
    "in_path_container_ports",
    "in_path_objects",
    "in_path_service",
    "proxy_container",
    "proxy_deployment",
    "proxy_identity",
    "service_port",
    "tokenless_service_account",
]


# The name of an in-path proxy's metrics port in its pod.
METRICS_PORT_NAME = "metrics"


class ResolvedScaling(Protocol):
    """What the objects need of a resolved ``Autoscaling`` (proxy.py's, which imports this
    module: a Protocol keeps the import one-way)."""

    @property
    def min_replicas(self) -> int: ...

    @property
    def max_replicas(self) -> int | Derived: ...

    def spec(self, target: dict[str, str]) -> dict[str, Any]: ...


def check_pre_stop(scope: Construct, seconds: int) -> None:
    """A stopping pod's wait cannot be negative."""
    if seconds < 0:
        raise invalid(scope, "pre_stop_seconds", seconds, "must be 0 or more")


def proxy_identity(proxy: Construct, hub: IHub) -> tuple[str, dict[str, str]]:
    """The proxy's object name and selector labels, after checking it is the release's only
    proxy and joining it to the hub's app."""
    name = component_name(hub.release, Component.PROXY)
    check_one_proxy(proxy, hub)
    join_app(proxy, hub.release)
    return name, selector_labels(hub.release, Component.PROXY)


def service_port(name: str, port: int, target: str) -> dict[str, Any]:
    """One TCP port of the proxy's Service, aimed at a named container port."""
    return {"name": name, "port": port, "targetPort": target, "protocol": "TCP"}


def in_path_container_ports() -> list[dict[str, Any]]:
    """The container ports of a proxy in the data path: public, API and metrics."""
    return [
        {"name": "http", "containerPort": PROXY_PORT, "protocol": "TCP"},
        {"name": "api", "containerPort": PROXY_API_PORT, "protocol": "TCP"},
        {"name": METRICS_PORT_NAME, "containerPort": PROXY_METRICS_PORT, "protocol": "TCP"},
    ]


def in_path_service(
    name: str,
    labels: dict[str, str],
    port_name: str,
    api_port_name: str,
    version: KubernetesVersion,
) -> ObjectSpec:
    """The Service of a proxy in the data path: its public port and its API port."""
    return service_object_spec(
        name,
        labels,
        [
            service_port(port_name, PROXY_PORT, "http"),
            service_port(api_port_name, PROXY_SERVICE_API_PORT, "api"),
        ],
        version,
    )


def tokenless_service_account(name: str, labels: dict[str, str]) -> ObjectSpec:
    """The ServiceAccount of a proxy that never calls the Kubernetes API: no token mounted."""
    return object_spec(
        "ServiceAccount",
        api_version="v1",
        kind="ServiceAccount",
        name=name,
        labels=labels,
        automountServiceAccountToken=False,
    )


def proxy_container(
    *,
    image: str,
    image_pull_policy: str,
    env: list[dict[str, Any]],
    ports: list[dict[str, Any]],
    probes: dict[str, Any],
    lifecycle: dict[str, Any] | None,
    resources: dict[str, Any],
    args: list[str] | None = None,
    env_from: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The proxy's one container, hardened; ``args``, ``envFrom`` and ``lifecycle`` only
    where given."""
    return {
        "name": Component.PROXY.value,
        "image": image,
        "imagePullPolicy": image_pull_policy,
        **({"args": args} if args is not None else {}),
        # Present even when empty: a JSON patch appends to it ("./containers/0/env/-").
        "env": env,
        **({"envFrom": env_from} if env_from is not None else {}),
        "ports": ports,
        **probes,
        **({"lifecycle": lifecycle} if lifecycle is not None else {}),
        "resources": resources,
        "securityContext": hardened_container(),
        # Present even when empty: ".../volumeMounts/-" patches append to it.
        "volumeMounts": [],
    }


def proxy_deployment(
    name: str,
    labels: dict[str, str],
    *,
    annotations: dict[str, str],
    replicas: int | None,
    container: dict[str, Any],
    sidecar: IstioSidecar | None,
    service_account: str,
    automount_token: bool,
    dns_ndots: int | None,
    image_pull_secrets: tuple[str, ...],
    scheduling: Scheduling | None = None,
) -> ObjectSpec:
    """The proxy's Deployment, rolled one pod at a time; ``replicas`` ``None`` leaves the
    count to a HorizontalPodAutoscaler."""
    return object_spec(
        "Resource",
        api_version="apps/v1",
        kind="Deployment",
        name=name,
        labels=labels,
        annotations=annotations,
        spec={
            **({"replicas": replicas} if replicas is not None else {}),
            "revisionHistoryLimit": 1,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1},
            },
            "selector": {"matchLabels": dict(labels)},
            "template": pod_template(
                labels,
                sidecar=sidecar,
                service_account=service_account,
                automount_token=automount_token,
                dns_ndots=dns_ndots,
                revision_key="pod-template-hash",
                containers=[container],
                image_pull_secrets=image_pull_secrets,
                scheduling=scheduling,
            ),
        },
    )


def in_path_objects(
    scope: Construct,
    name: str,
    labels: dict[str, str],
    *,
    port_name: str,
    api_port_name: str,
    version: KubernetesVersion,
    container: dict[str, Any],
    annotations: dict[str, str],
    autoscaling: ResolvedScaling,
    sidecar: IstioSidecar | None,
    dns_ndots: int | None,
    image_pull_secrets: tuple[str, ...],
    scheduling: Scheduling,
) -> tuple[
    cdk8s.ApiObject, cdk8s.ApiObject, cdk8s.ApiObject, cdk8s.ApiObject, cdk8s.ApiObject | None
]:
    """The ServiceAccount, Service, Deployment, PodDisruptionBudget and the
    HorizontalPodAutoscaler of a proxy in the data path, which calls no Kubernetes API (no
    token mounted); no HPA (``None``) where its minimum is its maximum, as it would scale
    nothing (with routes in memory: exactly one replica): the Deployment states that count
    itself."""
    fixed = autoscaling.min_replicas == autoscaling.max_replicas
    service_account = tokenless_service_account(name, labels)
    service = in_path_service(name, labels, port_name, api_port_name, version)
    deployment = proxy_deployment(
        name,
        labels,
        annotations=annotations,
        # With an HPA, it owns the replica count, so none is set here.
        replicas=autoscaling.min_replicas if fixed else None,
        container=container,
        sidecar=sidecar,
        service_account=service_account.name,
        automount_token=False,
        dns_ndots=dns_ndots,
        image_pull_secrets=image_pull_secrets,
        scheduling=scheduling,
    )
    autoscaler = object_spec(
        "HorizontalPodAutoscaler",
        api_version="autoscaling/v2",
        kind="HorizontalPodAutoscaler",
        name=name,
        labels=labels,
        spec=autoscaling.spec(
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment.name}
        ),
    )
    made = api_objects(
        scope,
        [
            service_account,
            service,
            deployment,
            disruption_budget_spec(name, labels),
            *(() if fixed else (autoscaler,)),
        ],
    )
    return made[0], made[1], made[2], made[3], made[4] if len(made) > 4 else None
