"""jupyterhub-istio-proxy: the proxy API as VirtualServices, with no proxy in the data path.

The hub calls its API (``/api/routes``) as it calls configurable-http-proxy's; each route it
adds becomes a VirtualService bound to the release's Istio Gateway, so the ingress gateway
sends requests to the hub and to user servers itself. Facts below are from the source of
splunk/jupyterhub-istio-proxy v0.3.0 (``main.go``, ``proxy/*.go``).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._core._checks import check_image, check_image_pull_secrets
from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived, resolve
from constructs_lib._core._endpoints import (
    PROXY_SERVICE_API_PORT,
    gateway_name,
    proxy_api_url,
)
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import (
    check_dns_label,
    check_dns_subdomain,
)
from constructs_lib._core._objects import api_objects
from constructs_lib._core._props import merge_props
from constructs_lib._core._rbac import identity_specs
from constructs_lib._core.network_peer import NetworkPeer
from constructs_lib._core.proxy_token import TOKEN_ENV
from constructs_lib._core.scan_exceptions import pulled_if_absent, skip_annotations, unpinned
from constructs_lib._pods._env import ContainerEnv
from constructs_lib._pods.pod import (
    HealthProbes,
    IstioSidecar,
    Resources,
    disruption_budget_spec,
    pre_stop,
    service_object_spec,
)
from constructs_lib._pods.profile import ImagePullPolicy
from constructs_lib._proxies._flows import Flow, route_writer_flows, route_writer_ingress_flows
from constructs_lib._proxies._proxy_checks import check_hub
from constructs_lib._proxies._workload import (
    check_pre_stop,
    proxy_container,
    proxy_deployment,
    proxy_identity,
    service_port,
)
from constructs_lib._proxies.interfaces import HubLimits, IHub
from hub_runtime.frozen import frozen

__all__ = [
    "DEFAULT_ISTIO_PROXY_IMAGE",
    "HUB_PROXY_CLASS",
    "ISTIO_PROXY_ROLE_RULES",
    "IstioProxy",
    "IstioProxyOptions",
]

# The image the project published (its .goreleaser.yaml: splunk/jupyterhub-istio-proxy:
# {{ .Version }}), at its last release. The project announced its deprecation in June 2025,
# with the image to be removed from Docker Hub: mirror it, or build v0.3.0 (a static Go
# binary on distroless), and pass your copy as ``image``.
DEFAULT_ISTIO_PROXY_IMAGE = "docker.io/splunk/jupyterhub-istio-proxy:0.3.0"
# main.go: `Addr: ":8000"`, fixed; the Service's API port (the hub's proxy_api_url) maps to it.
ISTIO_PROXY_API_PORT = 8000
# proxy/http.go: `r.GET("/ping", ...)`, the one path answered without the token.
HEALTH_PATH = "/ping"
# Every Kubernetes API call of the proxy (networking.istio.io/v1alpha3 VirtualServices in
# K8S_NAMESPACE): Create in proxy/create.go:57, List in proxy/list.go:27, Delete in
# proxy/delete.go:27. No get, no watch, no update: an existing route is left as it is.
ISTIO_PROXY_ROLE_RULES = [
    {
        "apiGroups": ["networking.istio.io"],
        "resources": ["virtualservices"],
        "verbs": ["create", "delete", "list"],
    }
]
# The hub's API client for this proxy (hub_runtime/proxy_routes.py; named here, not imported,
# so synthesis does not load JupyterHub): routes keep their trailing slash, else one user's
# route is a string prefix of another's ("/user/alice" of "/user/alicex/").
HUB_PROXY_CLASS = "hub_runtime.proxy_routes.VirtualServiceRoutesProxy"
# Why IstioProxy serves no named servers (the hub's error names it).
_NO_NAMED_SERVERS = (
    "IstioProxy serves no named servers: the Gateway tries the VirtualServices in creation "
    "order, so a user's default server would take a named server's requests"
)
# Routes are VirtualServices: they outlive the proxy, so the hub need not poll them often.
_ROUTES_POLL_SECONDS = 60


@frozen(kw_only=True)
class IstioProxyOptions:
    """Every option of ``IstioProxy`` but its hub; ``JupyterHub(proxy_options=...)`` with this
    value deploys it instead of configurable-http-proxy.

    Fields:
        image: default ``DEFAULT_ISTIO_PROXY_IMAGE``, the project's last published image
            (deprecated upstream: mirror it or build your own).
        image_pull_policy: default ``IfNotPresent``: the image is pinned by tag.
        replicas: default 2: the proxy keeps no state (routes are VirtualServices), so
            replicas agree, and one keeps serving the hub through a node drain.
        resources: default the project's example, 100m/256M requested, 1 CPU/256M limit.
        host: the VirtualServices' host (``SUB_DOMAIN_HOST``); default ``*``: every
            host the Gateway serves (the Gateway is the release's own, listing its hosts).
        wait_for_warmup: whether each route creation waits until ``https://<host>/<route>/``
            answers through it (``WAIT_FOR_WARMUP``); default ``False``: it needs a single
            ``host`` reachable over HTTPS from the proxy's pod past the edge's auth, else
            every route waits out 7 tries (10 s or more) first. JupyterHub itself redirects
            a user URL that reaches the hub before its route is live.
        virtual_service_prefix: the prefix of the VirtualServices' names and annotation
            (``VIRTUAL_SERVICE_PREFIX``); default ``Derived.FROM_RELEASE``: the hub's release.
        cluster_domain: the cluster's DNS domain (``CLUSTER_DOMAIN``); default
            ``cluster.local``.
        probes: liveness and readiness timing on ``/ping``; default ``HealthProbes()``.
        pre_stop_seconds: how long a stopping pod keeps serving while endpoints drop it;
            default 3 (Kubernetes 1.30 and later: the image has no ``sleep`` to exec).
        sidecar: Istio injection and the sidecar's resources; default ``None``, no injection
            (under ``JupyterHub`` its ``mesh`` sets it).
        dns_ndots: the pod's DNS ``ndots``; default 1; ``None`` keeps the cluster's.
        image_pull_secrets: names of Secrets with registry credentials (type
            ``kubernetes.io/dockerconfigjson``) the pod pulls its image with, e.g. for a mirror;
            default none.
    """

    image: str = DEFAULT_ISTIO_PROXY_IMAGE
    # The image is pinned by tag: a node's copy (pulled before, or side-loaded) is the one.
    image_pull_policy: ImagePullPolicy = ImagePullPolicy.IF_NOT_PRESENT
    # Stateless (routes live in VirtualServices): two replicas keep the API up in a drain.
    replicas: int = 2
    # As jupyterhub-istio-proxy's own README deploys it.
    resources: Resources = Resources("100m", "256M", "1", "256M")
    # Every host of the release's Gateway.
    host: str = "*"
    # Off: the warm-up GETs https://<host>/<route>/ from the proxy's pod and needs the route's
    # response header back, which a wildcard host, an HTTP-only Gateway, a REGISTRY_ONLY
    # sidecar or the edge's auth each prevent; it then costs every route 7 tries.
    wait_for_warmup: bool = False
    # VirtualServices "<release>-<sha256 of the route>".
    virtual_service_prefix: str | Derived = Derived.FROM_RELEASE
    cluster_domain: str = "cluster.local"
    probes: HealthProbes = field(default_factory=HealthProbes)
    pre_stop_seconds: int = 3
    # No mesh unless chosen: JupyterHub(mesh=IstioMesh()) is the one choice for every part.
    sidecar: IstioSidecar | None = None
    dns_ndots: int | None = 1
    image_pull_secrets: tuple[str, ...] = ()

    def make_proxy(self, scope: Construct, id: str, hub: IHub) -> IstioProxy:
        """The ``IstioProxy`` these options configure, for ``hub``."""
        return IstioProxy(scope, id, hub=hub, options=self)

    def hub_limits(self) -> HubLimits:
        """No named servers, the slash-keeping API client, and a slow poll of the routes."""
        return HubLimits(
            max_named_servers=0,
            why=_NO_NAMED_SERVERS,
            proxy_class=HUB_PROXY_CLASS,
            activity_interval_seconds=_ROUTES_POLL_SECONDS,
        )


class IstioProxy(LibraryConstruct):
    """jupyterhub-istio-proxy for ``hub``: the proxy API as VirtualServices.

    The hub calls its API at the same URL and with the same token as configurable-http-proxy's
    (the Service ``<release>-proxy``, port ``http-api`` 8000); each route the hub adds (its
    own ``/`` included) becomes a VirtualService bound to the release's Gateway (which
    ``IstioIngress`` creates), so the gateway reaches the hub and user servers directly.
    The Deployment is the default child; the Service, ServiceAccount, Role, RoleBinding and
    PodDisruptionBudget are read-only properties.

    Needs Istio, ``IstioIngress`` for the Gateway, and user servers behind per-user Services
    (``UserPods(per_user_service=True)``, the default): the proxy turns a route's target
    into ``<host>.<namespace>.svc.<cluster domain>``, which a pod IP is not.

    Args:
        hub: the hub whose routes this proxy writes.
        options: every other option, as one value (see :class:`IstioProxyOptions` for each
            field); its fields may also be given as keyword props, which replace them.
    """

    hub = Handle[IHub]("The hub whose routes this proxy writes.")

    API_PORT = ISTIO_PROXY_API_PORT
    SERVICE_API_PORT = PROXY_SERVICE_API_PORT

    service_account = Handle[cdk8s.ApiObject]("The ServiceAccount it writes VirtualServices as.")
    role = Handle[cdk8s.ApiObject]("The Role: create, list and delete VirtualServices.")
    role_binding = Handle[cdk8s.ApiObject]("The RoleBinding of the Role to the ServiceAccount.")
    service = Handle[cdk8s.ApiObject]("The Service: the API port ``http-api`` only.")
    deployment = Handle[cdk8s.ApiObject]("The Deployment (the default child).")
    disruption_budget = Handle[cdk8s.ApiObject]("The PodDisruptionBudget.")
    env = Handle[ContainerEnv]("The proxy container's environment (``env.add_variable``).")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        hub: IHub,
        options: IstioProxyOptions = IstioProxyOptions(),
        **props: Any,
    ) -> None:
        super().__init__(scope, id)
        check_hub(self, hub)
        options = merge_props(self, options, props, IstioProxyOptions)
        self.options = options
        image = check_image(self, "image", options.image)
        self.image_pull_secrets = check_image_pull_secrets(
            self, "image_pull_secrets", options.image_pull_secrets
        )
        resources, probes = options.resources, options.probes
        resources.check(self)
        if options.sidecar is not None:
            options.sidecar.check(self)
        if options.replicas < 1:
            raise invalid(self, "replicas", options.replicas, "must be 1 or more")
        check_pre_stop(self, options.pre_stop_seconds)
        host = _check_host(self, hub, options.host, options.wait_for_warmup)
        prefix = check_dns_label(
            self,
            "virtual_service_prefix",
            resolve(
                self,
                "virtual_service_prefix",
                options.virtual_service_prefix,
                Derived.FROM_RELEASE,
                lambda: hub.release,
            ),
        )
        check_dns_subdomain(self, "cluster_domain", options.cluster_domain)
        _check_hub_settings(self, hub)
        user_pods = getattr(hub, "user_pods", None)
        if user_pods is not None and not getattr(user_pods, "per_user_service", True):
            raise invalid(
                self,
                "hub",
                hub.node.path if isinstance(hub, Construct) else hub.release,
                "must give user servers per-user Services (UserPods(per_user_service=True)): "
                "the proxy routes to <target host>.<namespace>.svc.<cluster domain>, which a "
                "pod IP is not",
            )

        self.hub = hub
        self.release = hub.release
        self.name, self.labels = proxy_identity(self, hub)
        self.gateway_name = gateway_name(hub.release)
        self.host = host
        self.virtual_service_prefix = prefix
        self.cluster_domain = options.cluster_domain
        # IProxy's ports: this proxy has only its API (nothing is proxied through it).
        self.port_name = self.api_port_name = "http-api"
        self.port = self.api_port = self.SERVICE_API_PORT
        self.target_port = self.target_api_port = self.API_PORT
        self.api_url = proxy_api_url(hub.release)
        # Routes are VirtualServices: nothing for the app to deploy (HubResourceQuota reads it).
        self.routes = None
        version = hub.kubernetes_version

        # The proxy writes VirtualServices through the Kubernetes API with the account's token.
        own = identity_specs(name=self.name, labels=self.labels, rules=ISTIO_PROXY_ROLE_RULES)
        service = service_object_spec(
            self.name,
            self.labels,
            [service_port(self.api_port_name, self.SERVICE_API_PORT, "api")],
            version,
        )
        container = proxy_container(
            # The image's ENTRYPOINT is the binary; it reads only its environment.
            image=image,
            image_pull_policy=options.image_pull_policy.value,
            # main.go's variables; each is required there but VIRTUAL_SERVICE_PREFIX
            # (default "jupyter"), WAIT_FOR_WARMUP (on unless "false") and CLUSTER_DOMAIN.
            env=[
                {"name": "ISTIO_GATEWAY", "value": self.gateway_name},
                {
                    "name": "K8S_NAMESPACE",
                    "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
                },
                {"name": "SUB_DOMAIN_HOST", "value": host},
                {"name": "VIRTUAL_SERVICE_PREFIX", "value": prefix},
                {"name": "WAIT_FOR_WARMUP", "value": str(options.wait_for_warmup).lower()},
                {"name": "CLUSTER_DOMAIN", "value": options.cluster_domain},
            ],
            # CONFIGPROXY_AUTH_TOKEN, from the Secret the hub reads it from too.
            env_from=[{"secretRef": {"name": hub.proxy_token.secret_name}}],
            ports=[{"name": "api", "containerPort": self.API_PORT, "protocol": "TCP"}],
            probes=probes.to_manifest(HEALTH_PATH, "api"),
            # The image is distroless (no shell, no sleep): before 1.30, without the kubelet's
            # sleep action, there is no way to wait, so no hook.
            lifecycle=(
                pre_stop(options.pre_stop_seconds, version) if version.has_sleep_action else None
            ),
            resources=resources.to_manifest(),
        )
        deployment = proxy_deployment(
            self.name,
            self.labels,
            annotations={
                **skip_annotations(
                    {
                        "CKV_K8S_35": "CONFIGPROXY_AUTH_TOKEN is read from the environment by "
                        "jupyterhub-istio-proxy and JupyterHub"
                    },
                    unpinned(image),
                    pulled_if_absent(options.image_pull_policy.value),
                    {"CKV_K8S_38": "the proxy writes VirtualServices with its service account"},
                ),
                # A token rotation rolls the proxy with the hub (it reads the token at start).
                **hub.proxy_token.rolling_annotations(),
            },
            replicas=options.replicas,
            container=container,
            sidecar=options.sidecar,
            service_account=self.name,
            automount_token=True,
            dns_ndots=options.dns_ndots,
            image_pull_secrets=self.image_pull_secrets,
        )
        (
            self.service_account,
            self.role,
            self.role_binding,
            self.service,
            self.deployment,
            self.disruption_budget,
        ) = api_objects(
            self, [*own, service, deployment, disruption_budget_spec(self.name, self.labels)]
        )
        self.env = ContainerEnv(self, self.deployment, 0, container["env"], (TOKEN_ENV,))

    @property
    def ingress_target(self) -> None:
        """None: no request goes through this proxy; the gateway follows its routes."""
        return None

    @property
    def route_gateway_name(self) -> str:
        """The release's Gateway (``IstioIngress``'s), which its VirtualServices name."""
        return self.gateway_name

    def flows(self) -> tuple[Flow, ...]:
        """No proxy forwards anything; the hub drives this one's API."""
        return route_writer_flows(self.hub.port, self.target_api_port)

    def ingress_flows(self, ingress: NetworkPeer) -> tuple[Flow, ...]:
        """The gateway reaches the hub and user servers through the routes."""
        return route_writer_ingress_flows(ingress, self.hub.port)

    def hub_limits(self) -> HubLimits:
        """What this proxy asks of its hub (:meth:`IstioProxyOptions.hub_limits`)."""
        return self.options.hub_limits()


def _check_hub_settings(scope: Construct, hub: IHub) -> None:
    """A hub whose settings this construct can read (``HubStatefulSet``) must route through
    the slash-keeping client and run no named servers: a VirtualService route is a string
    prefix, and the Gateway tries them in creation order, not longest first, so a user's
    default server (``/user/alice/``) would take the requests of a named one started later
    (``/user/alice/lab/``). ``JupyterHub`` sets both."""
    settings = getattr(hub, "settings", None)
    if settings is None:
        return
    where = hub.node.path if isinstance(hub, Construct) else hub.release
    proxy_class = settings.extra_config.get("JupyterHub", {}).get("proxy_class")
    if proxy_class != HUB_PROXY_CLASS:
        raise invalid(
            scope,
            "hub",
            where,
            "must call this proxy with the hub runtime's client: HubOptions(extra_config="
            f"{{'JupyterHub': {{'proxy_class': {HUB_PROXY_CLASS!r}}}}}) (routes keep their "
            "trailing slash)",
        )
    if settings.named_servers:
        raise invalid(
            scope,
            "hub",
            where,
            "must run no named servers (named_server_limit=0): the Gateway tries the "
            "VirtualServices in creation order, so a user's default server would take a "
            "named server's requests",
        )


def _check_host(scope: Construct, hub: IHub, chosen: str, warmup: bool) -> str:
    """``*`` (every host of the Gateway) or one of the hub's public hosts; the warm-up
    fetches ``https://<host>/…``, so it needs one real host. Per-user hosts are refused:
    jupyterhub-istio-proxy writes each route as a VirtualService whose one host is
    ``SUB_DOMAIN_HOST`` and whose URI prefix is the whole route spec (proxy/create.go,
    ``virtualService``), so a route JupyterHub writes as ``<host>/user/<name>/`` would match
    no request."""
    if hub.user_hosts is not None:
        raise invalid(
            scope,
            "hub",
            hub.user_hosts,
            "must have no user_hosts: jupyterhub-istio-proxy routes by path on one host "
            "(SUB_DOMAIN_HOST) and cannot route a user's own host; use CHProxy",
        )
    if chosen != "*" and chosen not in hub.public_hosts:
        raise invalid(
            scope,
            "host",
            chosen,
            f"must be '*' or one of the hub's public_hosts {list(hub.public_hosts)}",
        )
    if warmup and chosen.startswith("*"):
        raise invalid(
            scope,
            "host",
            chosen,
            "must name one host with wait_for_warmup (the warm-up fetches https://<host>/<route>/)",
        )
    return chosen
