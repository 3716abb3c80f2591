"""configurable-http-proxy: Deployment, Service, ServiceAccount, PDB and HPA."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._core._checks import check_image, check_image_pull_secrets
from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived, resolve
from constructs_lib._core._endpoints import (
    PROXY_API_PORT,
    PROXY_METRICS_PORT,
    PROXY_PORT,
    PROXY_SERVICE_API_PORT,
    proxy_api_url,
)
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import Component
from constructs_lib._core._objects import name_of
from constructs_lib._core._props import merge_props, renamed
from constructs_lib._core.kubernetes_version import KubernetesVersion
from constructs_lib._core.network_peer import NetworkPeer
from constructs_lib._core.proxy_token import TOKEN_ENV
from constructs_lib._core.scan_exceptions import (
    SECRET_ENV,
    pulled_if_absent,
    skip_annotations,
    unpinned,
)
from constructs_lib._pods._env import ContainerEnv
from constructs_lib._pods.pod import (
    HealthProbes,
    IstioSidecar,
    Resources,
    pre_stop,
)
from constructs_lib._pods.profile import ImagePullPolicy
from constructs_lib._pods.scheduling import Affinity, Scheduling, Toleration
from constructs_lib._proxies._flows import Flow, IngressTarget, in_path_flows
from constructs_lib._proxies._proxy_checks import check_hub
from constructs_lib._proxies._workload import (
    METRICS_PORT_NAME,
    check_pre_stop,
    in_path_container_ports,
    in_path_objects,
    proxy_container,
    proxy_identity,
)
from constructs_lib._proxies.interfaces import HubLimits, IHub
from constructs_lib._proxies.metrics import ProxyMetrics
from constructs_lib._proxies.routes import PROXY_REDIS_RECIPE, REDIS_BACKEND, RouteStore
from hub_runtime.frozen import frozen
from hub_runtime.quantity import memory_bytes

__all__ = ["DEFAULT_PROXY_IMAGE", "Autoscaling", "CHProxy", "ProxyLogLevel", "ProxyOptions"]

# The official image, public; the version the tests run (package.json).
DEFAULT_PROXY_IMAGE = "quay.io/jupyterhub/configurable-http-proxy:5.3.0"


class ProxyLogLevel(StrEnum):
    ERROR = "error"
    WARN = "warn"
    INFO = "info"
    DEBUG = "debug"


@renamed(scale_down_window="scale_down_window_seconds")
@frozen
class Autoscaling:
    """The proxy's HorizontalPodAutoscaler, on CPU utilization."""

    min_replicas: int = 1
    # 3 with routes in Redis; 1 with routes in memory (each replica would have its own
    # route table).
    max_replicas: int | Derived = Derived.FROM_ROUTES
    cpu_utilization: int = 80
    # Scale down slowly (a 5-minute window), up at once.
    scale_down_window_seconds: int = 300

    def resolve(self, scope: Construct, shared_routes: bool) -> Autoscaling:
        """Checked, with max_replicas decided."""
        maximum = resolve(
            scope,
            "autoscaling.max_replicas",
            self.max_replicas,
            Derived.FROM_ROUTES,
            lambda: 3 if shared_routes else 1,
        )
        if self.min_replicas < 1:
            raise invalid(scope, "autoscaling.min_replicas", self.min_replicas, "must be 1 or more")
        if maximum < self.min_replicas:
            raise invalid(
                scope,
                "autoscaling.max_replicas",
                maximum,
                f"must be at least min_replicas ({self.min_replicas})",
            )
        if maximum > 1 and not shared_routes:
            raise invalid(
                scope,
                "autoscaling.max_replicas",
                maximum,
                "must be 1 while routes are kept in memory (each replica would keep its own "
                "route table; keep them in Redis with routes=RouteStore.redis(...))",
            )
        if not 1 <= self.cpu_utilization <= 100:
            raise invalid(
                scope,
                "autoscaling.cpu_utilization",
                self.cpu_utilization,
                "must be a percentage from 1 to 100",
            )
        return dataclasses.replace(self, max_replicas=maximum)

    def spec(self, target: dict[str, str]) -> dict[str, Any]:
        window = 15
        return {
            "scaleTargetRef": target,
            "minReplicas": self.min_replicas,
            "maxReplicas": self.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": self.cpu_utilization,
                        },
                    },
                }
            ],
            "behavior": {
                "scaleDown": {
                    "stabilizationWindowSeconds": self.scale_down_window_seconds,
                    "policies": [{"type": "Percent", "value": 100, "periodSeconds": window}],
                },
                "scaleUp": {
                    "stabilizationWindowSeconds": 0,
                    "policies": [
                        {"type": "Percent", "value": 100, "periodSeconds": window},
                        {"type": "Pods", "value": 4, "periodSeconds": window},
                    ],
                    "selectPolicy": "Max",
                },
            },
        }


@frozen(kw_only=True)
class ProxyOptions:
    """Every option of the proxy but its hub: the value ``JupyterHub(proxy_options=...)``
    forwards whole, and whose fields ``CHProxy`` also takes as keyword props.

    Fields:
        routes: where the routes live; default ``RouteStore.memory()``, in the proxy's memory
            (one replica; the hub re-adds lost routes); ``RouteStore.redis(...)`` shares them
            between replicas.
        image: the proxy image; default ``DEFAULT_PROXY_IMAGE``, the official CHP image.
            Routes in Redis need one of your own with the Redis backend.
        image_pull_policy: default ``IfNotPresent``: images are pinned by tag, so a node's copy is
            the one.
        resources: default 10m/128Mi requested, 1 CPU/256Mi limit (CHP peaked at 94 MiB
            under 20 concurrent logins; the reference's 32Mi gets it OOM-killed).
        log_level: CHP's log level; default ``warn``.
        autoscaling: the HorizontalPodAutoscaler; default ``Autoscaling()`` (1 to 3
            replicas with routes in Redis; exactly 1 with routes in memory, set on the
            Deployment with no HPA, as for any equal minimum and maximum).
        probes: liveness and readiness timing on ``/_chp_healthz``; default ``HealthProbes()``.
        pre_stop_seconds: how long a stopping pod keeps serving while endpoints drop it; default 3.
        sidecar: Istio injection and the sidecar's resources; default ``None``, no injection
            (under ``JupyterHub`` its ``mesh`` sets it).
        dns_ndots: the pod's DNS ``ndots``; default 1, as every name it resolves is a short Service
            name or fully qualified (no search-list fan-out); ``None`` keeps the cluster's.
        image_pull_secrets: names of Secrets with registry credentials (type
            ``kubernetes.io/dockerconfigjson``) the pod pulls its image with; default none, the
            official image is public.
        node_selector: node labels the proxy's pods need; default none.
        tolerations: taints the proxy's pods tolerate (``Toleration``); default none.
        affinity: the proxy pods' node and pod affinity terms (``NodeAffinityTerm``,
            ``PodAffinityTerm``); default none.
    """

    # Routes in the proxy's memory: one replica, nothing else to deploy.
    routes: RouteStore = dataclasses.field(default_factory=RouteStore.memory)
    # The official CHP image. Routes in Redis need an image with the backend, which nobody
    # publishes: build docker/proxy-redis.Dockerfile, push it, and pass it here.
    image: str = DEFAULT_PROXY_IMAGE
    # Images are pinned by tag: a node's copy (pulled before, or side-loaded) is the one.
    image_pull_policy: ImagePullPolicy = ImagePullPolicy.IF_NOT_PRESENT
    # Node-based CHP peaked at 94 MiB under 20 concurrent logins (scripts/bench_login.py):
    # 32Mi (the reference's) gets it OOM-killed.
    resources: Resources = Resources("10m", "128Mi", "1000m", "256Mi")
    log_level: ProxyLogLevel = ProxyLogLevel.WARN
    # On CPU; at most 1 replica with routes in memory, 3 in Redis.
    autoscaling: Autoscaling = Autoscaling()
    probes: HealthProbes = dataclasses.field(default_factory=HealthProbes)
    pre_stop_seconds: int = 3
    # No mesh unless chosen: JupyterHub(mesh=IstioMesh()) is the one choice for every part.
    sidecar: IstioSidecar | None = None
    dns_ndots: int | None = 1
    # None: the official image is public.
    image_pull_secrets: tuple[str, ...] = ()
    # Where the proxy's pods may run: anywhere the cluster puts them unless told.
    node_selector: Mapping[str, str] = dataclasses.field(default_factory=dict)
    tolerations: Sequence[Toleration] = ()
    affinity: Sequence[Affinity] = ()

    def make_proxy(self, scope: Construct, id: str, hub: IHub) -> CHProxy:
        """The ``CHProxy`` these options configure, in front of ``hub``."""
        return CHProxy(scope, id, hub=hub, options=self)

    def hub_limits(self) -> HubLimits:
        """CHP routes by longest prefix, so any number of named servers; the hub polls its
        routes every 60 s either way (routes in Redis outlive a restart, routes in memory
        are back within the poll)."""
        return HubLimits()


class CHProxy(LibraryConstruct):
    """configurable-http-proxy in front of ``hub``.

    Its default and error targets are the hub's Service; its API Service is the one the hub's
    settings name (both follow the release). The Deployment is the default child; the
    Service, ServiceAccount, PodDisruptionBudget and HorizontalPodAutoscaler (none when its
    minimum and maximum agree, as with routes in memory) are read-only properties. Options
    are a :class:`ProxyOptions` (``options=``), or its fields as keyword props.

    Args:
        hub: the hub this proxy fronts; its Service is the default and error target, and the hub
            is told this proxy's API URL.
        options: every other option, as one value (see :class:`ProxyOptions` for each field);
            its fields may also be given as keyword props, which replace them.
    """

    hub = Handle[IHub]("The hub this proxy routes to and takes routes from.")
    routes = Handle[RouteStore]("Where the routes live: in Redis, or in the proxy's memory.")

    PORT = PROXY_PORT
    API_PORT = PROXY_API_PORT
    METRICS_PORT = PROXY_METRICS_PORT
    SERVICE_API_PORT = PROXY_SERVICE_API_PORT

    service_account = Handle[cdk8s.ApiObject]("The pods' ServiceAccount (no API token mounted).")
    service = Handle[cdk8s.ApiObject]("The Service: public port ``http``, API ``http-api``.")
    deployment = Handle[cdk8s.ApiObject]("The Deployment (the default child).")
    disruption_budget = Handle[cdk8s.ApiObject]("The PodDisruptionBudget.")
    autoscaler = Handle[cdk8s.ApiObject | None](
        "The HorizontalPodAutoscaler; ``None`` when min_replicas equals max_replicas."
    )
    env = Handle[ContainerEnv]("The proxy container's environment (``env.add_variable``).")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        hub: IHub,
        options: ProxyOptions = ProxyOptions(),
        **props: Any,
    ) -> None:
        super().__init__(scope, id)
        check_hub(self, hub)
        options = merge_props(self, options, props, ProxyOptions)
        self.options = options
        routes, image = options.routes, options.image
        options.resources.check(self)
        autoscaling = options.autoscaling.resolve(self, routes.shared)
        # The official image has no Redis backend: CHP would fail at start.
        if image == DEFAULT_PROXY_IMAGE and routes.shared:
            raise invalid(
                self,
                "image",
                image,
                f"must be an image of your own with routes in Redis: the official one lacks "
                f"{REDIS_BACKEND}; build {PROXY_REDIS_RECIPE} (docker build -f "
                f"{PROXY_REDIS_RECIPE} -t <registry>/proxy-redis:<tag> .), push it and pass "
                f"its reference",
            )
        check_image(self, "image", image)
        self.image_pull_secrets = check_image_pull_secrets(
            self, "image_pull_secrets", options.image_pull_secrets
        )
        if options.sidecar is not None:
            options.sidecar.check(self)
        check_pre_stop(self, options.pre_stop_seconds)
        scheduling = Scheduling.of_props(self, options)

        self.hub = hub
        self.routes = routes
        self.release = hub.release
        self.name, self.labels = proxy_identity(self, hub)
        self.port_name = "http"
        self.api_port_name = "http-api"
        self.port = self.PORT
        self.api_port = self.SERVICE_API_PORT
        self.target_port = self.PORT
        self.target_api_port = self.API_PORT
        self.api_url = proxy_api_url(hub.release)
        version: KubernetesVersion = hub.kubernetes_version

        container = proxy_container(
            image=image,
            image_pull_policy=options.image_pull_policy.value,
            args=[
                # Empty --ip/--api-ip: listen on every interface, not CHP's default localhost.
                "--ip=",
                f"--port={self.PORT}",
                "--api-ip=",
                f"--api-port={self.API_PORT}",
                "--metrics-ip=",
                f"--metrics-port={self.METRICS_PORT}",
                # Send each hop the Host of its target (the hub's or a user server's Service):
                # Istio sidecars route HTTP by Host, and the browser's host names no Service
                # (istio/istio#30347). Servers accept the browser's Origin via public_hosts.
                "--change-origin",
                f"--default-target={hub.url}",
                f"--error-target={hub.url}/hub/error",
                f"--log-level={options.log_level.value}",
                # Per-user hosts: routes start with the server's host (JupyterHub's
                # subdomain_host), and the hub's route "/" takes every other request.
                *(["--host-routing"] if hub.user_hosts else []),
                *routes.proxy_args(),
            ],
            env=routes.proxy_env(),
            env_from=[{"secretRef": {"name": hub.proxy_token.secret_name}}],
            ports=in_path_container_ports(),
            probes=options.probes.to_manifest("/_chp_healthz", "http"),
            lifecycle=pre_stop(options.pre_stop_seconds, version),
            resources=options.resources.to_manifest(),
        )
        (
            self.service_account,
            self.service,
            self.deployment,
            self.disruption_budget,
            self.autoscaler,
        ) = in_path_objects(
            self,
            self.name,
            self.labels,
            port_name=self.port_name,
            api_port_name=self.api_port_name,
            version=version,
            container=container,
            annotations={
                **skip_annotations(
                    SECRET_ENV, unpinned(image), pulled_if_absent(options.image_pull_policy.value)
                ),
                # A token rotation rolls every replica with the hub: CHP reads it at start.
                **hub.proxy_token.rolling_annotations(),
            },
            autoscaling=autoscaling,
            sidecar=options.sidecar,
            dns_ndots=options.dns_ndots,
            image_pull_secrets=self.image_pull_secrets,
            scheduling=scheduling,
        )
        self.env = ContainerEnv(self, self.deployment, 0, container["env"], (TOKEN_ENV,))
        routes.admit(self.labels)

    @property
    def ingress_target(self) -> IngressTarget:
        """Every request goes to the public port; the proxy routes ``/hub`` to the hub and
        the rest to user servers."""
        return IngressTarget(name_of(self.service), self.port, self.port_name)

    def hub_limits(self) -> HubLimits:
        """What this proxy asks of its hub (:meth:`ProxyOptions.hub_limits`)."""
        return self.options.hub_limits()

    @property
    def metrics(self) -> ProxyMetrics:
        """CHP's ``/metrics`` (``--metrics-port``), as configurable-http-proxy 5.3's
        ``lib/metrics.js`` names its series: the counter ``requests_proxy`` by ``status``,
        and prom-client's default ``process_resident_memory_bytes``."""
        return ProxyMetrics(
            port=self.METRICS_PORT,
            port_name=METRICS_PORT_NAME,
            path="/metrics",
            requests="requests_proxy",
            status_label="status",
            memory="process_resident_memory_bytes",
            memory_limit_bytes=int(memory_bytes(self.options.resources.memory_limit)),
        )

    @property
    def route_gateway_name(self) -> None:
        """None: the proxy keeps its routes itself (in memory or in Redis)."""
        return None

    def flows(self) -> tuple[Flow, ...]:
        """The proxy forwards to the hub and user servers; the hub drives its API."""
        return in_path_flows(self.hub.port, self.target_api_port)

    def ingress_flows(self, ingress: NetworkPeer) -> tuple[Flow, ...]:
        """The ingress reaches the proxy's public port only."""
        return (Flow(ingress, Component.PROXY, self.target_port),)
