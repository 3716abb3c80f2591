"""The hub: a one-replica StatefulSet with its Service, RBAC, PDB and settings ConfigMap."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._core._checks import (
    check_image,
    check_image_pull_secrets,
    check_instance,
    check_strings,
)
from constructs_lib._core._companions import profile_readers
from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived, resolve
from constructs_lib._core._endpoints import (
    HUB_PORT,
    check_release,
    component_name,
    gateway_name,
    hub_url,
    proxy_api_url,
)
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import (
    Component,
    check_dns_label,
    check_dns_subdomain,
    check_hosts,
    selector_labels,
)
from constructs_lib._core._objects import ObjectSpec, api_objects, name_of, object_spec
from constructs_lib._core._placement import (
    DeclaredNamespace,
    chart_namespace,
    join_app,
    others_in_app,
)
from constructs_lib._core._props import check_arguments, merge_props, renamed
from constructs_lib._core._quantity import check_quantity
from constructs_lib._core._rbac import identity_specs
from constructs_lib._core.header_trust import HeaderTrust, require_enforcing_edge
from constructs_lib._core.kubernetes_version import KubernetesVersion
from constructs_lib._core.logins import HubLogin, callback_url, chosen_authenticator
from constructs_lib._core.metrics_token import METRICS_TOKEN_ENV, MetricsToken, with_metrics_token
from constructs_lib._core.proxy_token import TOKEN_ENV, ProxyToken
from constructs_lib._core.scan_exceptions import (
    SECRET_ENV,
    pulled_if_absent,
    skip_annotations,
    unpinned,
)
from constructs_lib._core.user_hosts import check_user_hosts, user_host_settings
from constructs_lib._hub._burst_objects import (
    BURST_SCOPE,
    burst_specs,
    claim_burst_names,
    scheduler_name,
)
from constructs_lib._hub._extra_config import check_trait, check_value
from constructs_lib._hub.database import HubDatabase
from constructs_lib._hub.hub_files import RUNTIME_PACKAGE, HubFile, hub_files, unused
from constructs_lib._hub.scale_preset import ScalePreset
from constructs_lib._pods._env import ContainerEnv
from constructs_lib._pods.pod import (
    HealthProbes,
    IstioSidecar,
    Resources,
    check_dns_ndots,
    disruption_budget_spec,
    hardened_container,
    pod_template,
    pre_stop,
    service_object_spec,
)
from constructs_lib._pods.profile import ImagePullPolicy, NotebookProfile
from constructs_lib._pods.scheduling import Affinity, Scheduling, Toleration
from constructs_lib._pods.user_pods import USER_PORT, IdleCuller, UserPods
from constructs_lib._proxies.interfaces import HubLimits, VirtualServiceRoutes
from hub_runtime.frozen import frozen
from hub_runtime.settings import (
    CONFIG_DIR,
    CONFIG_FILE_NAME,
    CONFIGURABLE_CLASSES,
    VIRTUAL_SERVICE_API,
    VIRTUAL_SERVICE_VERBS,
    AuthSettings,
    ClaimSettings,
    CullerSettings,
    HubSettings,
    ProfileSettings,
    SpawnerSettings,
    VirtualServiceSettings,
    dump_settings,
)
from hub_runtime.user_names import name_problem

__all__ = ["DEFAULT_HUB_IMAGE", "HUB_COMMAND", "HUB_ENTRYPOINT", "HubOptions", "HubStatefulSet"]

# z2jh's public hub image (release 4.4.0: JupyterHub 5.5.0, KubeSpawner 7.0.0, idle culler
# 1.4.0, PyJWT, cryptography, pycurl on Python 3.12): it has every package hub_runtime needs,
# and the hub ConfigMap delivers hub_runtime itself, so no image has to be built. The
# Dockerfile bakes an image of your own instead (pass it as ``image``).
DEFAULT_HUB_IMAGE = "quay.io/jupyterhub/k8s-hub:4.4.0"
# The hub container's command: the hub image's own ENTRYPOINT (z2jh's images/hub/Dockerfile at
# 4.4.0; the Dockerfile here too), so tini stays PID 1: it reaps orphaned processes (a
# JupyterHub as PID 1 reaps only its own children) and passes SIGTERM on to the hub.
HUB_ENTRYPOINT = ("tini", "--")
# The hub's program, as the container's args (in place of the image's CMD): JupyterHub
# started by the runtime's launcher from the ConfigMap (hub_runtime/launch.py), which
# starts it without building the IRI grammar it never uses (about a second).
HUB_COMMAND = (
    "python",
    f"{CONFIG_DIR}/{RUNTIME_PACKAGE}/launch.py",
    "--config",
    f"{CONFIG_DIR}/{CONFIG_FILE_NAME}",
)
HUB_PORT_NAME = "http"
DATA_DIR = "/srv/jupyterhub"
# Every path the hub serves starts here (JupyterHub's base URL is "/"); the rest is the
# proxy's routes to user servers.
HUB_PATH_PREFIX = "/hub/"
# The environment variable that turns on debug logging in the hub runtime.
DEBUG_ENV = "LOG_LEVEL"
NAMESPACE_ENV = "POD_NAMESPACE"

# What KubeSpawner does in the hub's namespace: create and watch user pods, their PVCs,
# Secrets (internal SSL) and per-user Services, and read events for the spawn progress page.
_ROLE_RULES = [
    {
        "apiGroups": [""],
        "resources": ["pods", "persistentvolumeclaims", "secrets", "services"],
        "verbs": ["get", "watch", "list", "create", "delete"],
    },
    {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "watch", "list"]},
]
# With routes as VirtualServices (HubLimits.virtual_services): the calls of
# hub_runtime.virtual_services, in the hub's namespace.
_VIRTUAL_SERVICE_RULE = {
    "apiGroups": [VIRTUAL_SERVICE_API.partition("/")[0]],
    "resources": ["virtualservices"],
    "verbs": list(VIRTUAL_SERVICE_VERBS),
}


@renamed(activity_interval="activity_interval_seconds")
@frozen(kw_only=True)
class HubOptions:
    r"""Every option of the hub but its wiring (token, trust, profiles, hosts, release): the
    value ``JupyterHub(hub_options=...)`` forwards whole, and whose fields
    ``HubStatefulSet`` also takes as keyword props.

    Fields:
        image: the hub image; default ``DEFAULT_HUB_IMAGE``, z2jh's public one (no build needed).
        image_pull_policy: default ``IfNotPresent``: the image is pinned by tag.
        replicas: must be 1 (the default): JupyterHub keeps state in one database.
        database: where the hub keeps its state (``HubDatabase``); default
            ``HubDatabase.sqlite()``, a file on the hub's data volume. An ``upgrade-db`` init
            container migrates it before the hub starts.
        admin_users: the admins' user names; default none.
        admin_groups: groups (the ID token's ``groups_claim``) whose members are admins,
            decided at every login; default none. Needs ``HeaderTrust.jwt_proof``.
        allowed_groups: groups whose members may use the hub (besides admins); default none.
            Needs ``HeaderTrust.jwt_proof`` and ``allow_all=False``.
        allow_all: whether every user the auth proxy lets through may use the hub; default ``True``.
        admin_access: the reference's JupyterHub setting; default ``False``. It cannot keep
            admins out of users' servers in JupyterHub 5: the admin role holds
            ``access:servers`` and ``tokens`` for every user, and JupyterHub refuses a narrower
            admin role (``jupyterhub/roles.py``, ``create_role``). Whoever must not open other
            users' servers must not be an admin.
        admins_managed_in_hub: whether admins may be made and unmade in the hub (its admin
            page, its API); default ``False``: ``admin_users`` alone decides, and an admin
            the settings no longer name is none once the hub starts or at their next request.
        user_header: the request header naming the user; default ``X-Auth-Request-User``
            (oauth2-proxy's).
        user_pattern: the regular expression a user name must match; default
            ``\w[\w.@+-]*`` (no ``/``, no ``,`` from two joined header copies, no leading
            ``.``).
        user_max_length: the longest user name accepted; default 64.
        user_pods: what every user pod gets; default ``UserPods()``.
        named_server_limit: named servers per user; default 3, 0 turns them off. A proxy that
            serves fewer refuses more (``HubLimits.max_named_servers``).
        activity_interval_seconds: seconds between the hub's polls of the proxy's routes (it
            re-adds lost ones); default ``Derived.FROM_PROXY``: the proxy's own interval
            (``HubLimits.activity_interval_seconds``: 60, z2jh's; with routes in memory a
            restarted proxy has them back within it).
        culler: the idle culler; default ``IdleCuller()``, stopping servers idle for an hour.
        resources: default 10m/256Mi requested, 1 CPU/512Mi limit.
        storage_size: the data volume (cookie secret, SQLite database and its pre-upgrade
            copies); default ``1Gi``.
        storage_class: the data volume's StorageClass; default ``None``, the cluster's default.
        probes: liveness and readiness timing on ``/hub/health``; default ``HealthProbes()``.
        pre_stop_seconds: how long a stopping pod keeps serving while endpoints drop it; default 3.
        sidecar: Istio injection and the sidecar's resources; default ``None``, no injection
            (under ``JupyterHub`` its ``mesh`` sets it).
        prometheus_scrape: whether the pod carries Prometheus scrape annotations for
            ``/hub/metrics``, which the hub then answers without a token, to anyone the proxy
            lets through as well (it forwards every ``/hub/`` path); default ``False``, as
            JupyterHub and z2jh: ``/hub/metrics`` needs a token with ``read:metrics``
            (``authenticate_prometheus``). ``True`` is the reference's. None with a
            ``metrics_token``: such a scrape sends no token.
        metrics_token: the Secret holding the token Prometheus reads ``/hub/metrics`` with
            (``MetricsToken``): the hub then answers it only with that token (JupyterHub's
            ``read:metrics``), as ``HubMonitoring`` needs; default ``None``.
        dns_ndots: the pod's DNS ``ndots``; default 1 (no search-list fan-out); ``None`` keeps the
            cluster's.
        extra_config: traits the typed options do not cover, by configurable class (one of
            ``hub_runtime.settings.CONFIGURABLE_CLASSES``), with JSON values; default none. Each
            trait must be a configurable trait of its class at the hub's versions (the ``hub``
            extra installs them).
        image_pull_secrets: names of Secrets with registry credentials (type
            ``kubernetes.io/dockerconfigjson``) the hub pod pulls its image with; default none,
            the default image is public (user pods: ``UserPods.image_pull_secrets``).
        node_selector: node labels the hub's pod needs; default none.
        tolerations: taints the hub's pod tolerates (``Toleration``); default none.
        affinity: the hub pod's node and pod affinity terms (``NodeAffinityTerm``,
            ``PodAffinityTerm``); default none.
        scale: the settings derived from the expected users (``ScalePreset``: spawn limit,
            activity intervals, culler concurrency, ``init_spawners_timeout``, CPU request);
            default ``None``, JupyterHub's own (``JupyterHub(expected_users=...)`` sets it).
    """

    image: str = DEFAULT_HUB_IMAGE
    # The image is pinned by tag: a node's copy (pulled before, or side-loaded) is the one.
    image_pull_policy: ImagePullPolicy = ImagePullPolicy.IF_NOT_PRESENT
    # JupyterHub keeps state in one database it alone writes: a second hub would corrupt it.
    replicas: int = 1
    # No database server to run: a file on the hub's volume, as z2jh's default.
    database: HubDatabase = HubDatabase.sqlite()
    admin_users: Sequence[str] = ()
    admin_groups: Sequence[str] = ()
    allowed_groups: Sequence[str] = ()
    # Every user the auth proxy lets through may use the hub.
    allow_all: bool = True
    # Admins may not open other users' servers.
    admin_access: bool = False
    # The settings alone decide who is an admin: what an operator takes away is gone.
    admins_managed_in_hub: bool = False
    # The one place the user header is named: the ingress constructs pass on this header.
    user_header: str = "X-Auth-Request-User"
    # Word characters, then word characters, '.', '@', '+' or '-': no '/', no ','
    # (two joined header copies), no leading '.'. The hub also wants names in Unicode
    # form NFKC and in one script (hub_runtime.user_names): no look-alike of 'admin'
    # with a Cyrillic a.
    user_pattern: str = r"\w[\w.@+-]*"
    user_max_length: int = 64
    # KubeSpawner's settings shared by every user pod.
    user_pods: UserPods = dataclasses.field(default_factory=UserPods)
    named_server_limit: int = 3
    # How often the hub polls the proxy's routes and activity, re-adding missing routes: it
    # bounds how long user routes stay lost after a proxy with in-memory routes restarts.
    # The proxy says (60 s, the reference's, for every proxy of this library).
    activity_interval_seconds: int | Derived = Derived.FROM_PROXY
    # Culls servers idle for an hour.
    culler: IdleCuller = dataclasses.field(default_factory=IdleCuller)
    resources: Resources = Resources("10m", "256Mi", "1000m", "512Mi")
    storage_size: str = "1Gi"
    # None: the cluster's default StorageClass.
    storage_class: str | None = None
    probes: HealthProbes = dataclasses.field(default_factory=HealthProbes)
    pre_stop_seconds: int = 3
    # No mesh unless chosen: JupyterHub(mesh=IstioMesh()) is the one choice for every part.
    sidecar: IstioSidecar | None = None
    # The metrics answer only a token unless scraped by annotations (JupyterHub's default).
    prometheus_scrape: bool = False
    # None: no token; /hub/metrics then needs none while scraped by annotations.
    metrics_token: MetricsToken | None = None
    dns_ndots: int | None = 1
    # JupyterHub/KubeSpawner traits the typed options do not cover, by class (as z2jh's
    # hub.config): e.g. {"KubeSpawner": {"http_timeout": 60}}. Each trait is checked against its
    # class at the hub's versions when the hub is made; applied last at the hub's start.
    extra_config: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    # None: the default image is public.
    image_pull_secrets: tuple[str, ...] = ()
    # Where the hub's pod may run: anywhere the cluster puts it unless told.
    node_selector: Mapping[str, str] = dataclasses.field(default_factory=dict)
    tolerations: Sequence[Toleration] = ()
    affinity: Sequence[Affinity] = ()
    # None: no preset; each setting is the field's or JupyterHub's default.
    scale: ScalePreset | None = None

    @property
    def scraped_by_annotations(self) -> bool:
        """Whether the pod carries the scrape annotations: a scrape by annotation sends no
        token, so with a ``metrics_token`` (read by ``HubMonitoring``) there are none."""
        return self.prometheus_scrape and self.metrics_token is None


class HubStatefulSet(LibraryConstruct):
    r"""The JupyterHub hub.

    ``public_hosts`` are the host names browsers reach the hub by (those of the ingress in
    front of the proxy): the proxy hands each hop the Host of its destination Service, so user
    servers are told to accept these as the browser's Origin.

    Creates the StatefulSet (the default child, ``ApiObject.of(hub)``), its headless-free
    ClusterIP Service, ServiceAccount, Role, RoleBinding, PodDisruptionBudget, the PriorityClass
    of user pods (when ``user_pods.priority`` creates one) and the settings ConfigMap
    (immutable, named after a hash of its content so that a change rolls the hub); each is a
    read-only property. The proxy's API URL is fixed by the release (``CHProxy`` in the same
    namespace serves it), so the hub is complete on its own.

    Options are a :class:`HubOptions` (``options=``), or its fields as keyword props (which
    replace the options' fields). Defaults are the reference deployment's; see each field.

    Args:
        proxy_token: where the hub reads ``CONFIGPROXY_AUTH_TOKEN`` (a ``ProxyToken``, never a
            plain value): required, the hub and the proxy must share it.
        authenticator: how people log in: a login of the hub's own (``OidcLogin``,
            ``GitHubLogin``, ``GoogleLogin``, ``EntraIdLogin``, ``LdapLogin``; their client
            secret or bind password read from a Secret into the hub's environment, the
            callback ``https://<public_hosts[0]>/hub/oauth_callback``), or an auth proxy's
            header (a ``HeaderTrust``, as ``header_trust``). Required (this or
            ``header_trust``): no safe default exists.
        header_trust: the header login (its prop before ``authenticator``, still taken): when
            the user header counts (``HeaderTrust.jwt_proof(...)`` or
            ``HeaderTrust.mesh_enforced()``). With
            ``mesh_enforced()``, synthesis fails unless the app has an ``IstioIngress`` with
            ``ext_authz_provider`` for the hub's proxy.
        profiles: the profiles users can spawn (at least one; the first is the default unless one
            is marked).
        public_hosts: the host names browsers reach the hub by; user servers accept them as Origin.
        user_hosts: each user's server on a host of its own under this DNS wildcard
            (``"*.users.example.org"``: Alice's at ``alice.users.example.org``, JupyterHub's
            ``subdomain_host``), the hub at its first public host; the proxy routes by host and
            the edges serve the wildcard too. Default ``None``: servers are paths on the hub's
            hosts and share its origin, so a page one user's server serves can act on the hub
            as whoever opens it.
        release: the prefix of every object name and the ``app.kubernetes.io/name`` label, a DNS
            label of at most 57 characters (the Service ``<release>-proxy`` must fit 63); default
            ``jupyterhub``.
        user_service_account: the ServiceAccount user pods run as; default ``None``, the namespace's
            ``default`` (``JupyterHub`` creates one).
        kubernetes_version: the cluster's version, deciding which newer fields are emitted; default
            ``KubernetesVersion.DEFAULT``.
        proxy_limits: what the proxy in front asks of the hub (its ``hub_limits()``); default
            ``HubLimits()``, those of ``CHProxy`` with routes in memory.
        options: every other option, as one value (see :class:`HubOptions` for each field);
            its fields may also be given as keyword props, which replace them.
    """

    service_account = Handle[cdk8s.ApiObject]("The hub's ServiceAccount (KubeSpawner's).")
    role = Handle[cdk8s.ApiObject]("The Role: what KubeSpawner does in the namespace.")
    role_binding = Handle[cdk8s.ApiObject]("The RoleBinding of the Role to the ServiceAccount.")
    service = Handle[cdk8s.ApiObject]("The hub's ClusterIP Service.")
    stateful_set = Handle[cdk8s.ApiObject]("The hub's StatefulSet (the default child).")
    disruption_budget = Handle[cdk8s.ApiObject]("The hub's PodDisruptionBudget.")
    env = Handle[ContainerEnv]("The hub container's environment (``env.add_variable``).")
    proxy_token = Handle[ProxyToken]("Where the hub reads ``CONFIGPROXY_AUTH_TOKEN``.")
    user_priority_class = Handle[cdk8s.ApiObject | None](
        "The PriorityClass of user pods; ``None`` unless ``user_pods.priority`` creates one."
    )

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        proxy_token: ProxyToken,
        profiles: Sequence[NotebookProfile],
        public_hosts: Sequence[str],
        authenticator: HeaderTrust | HubLogin | None = None,
        header_trust: HeaderTrust | None = None,
        user_hosts: str | None = None,
        release: str = "jupyterhub",
        user_service_account: cdk8s.ApiObject | None = None,
        kubernetes_version: KubernetesVersion = KubernetesVersion.DEFAULT,
        proxy_limits: HubLimits = HubLimits(),  # noqa: B008 - frozen value
        options: HubOptions = HubOptions(),
        **props: Any,
    ) -> None:
        super().__init__(scope, id)
        check_arguments(
            self,
            HubStatefulSet.__init__,
            proxy_token=proxy_token,
            authenticator=authenticator,
            header_trust=header_trust,
            profiles=profiles,
            release=release,
            user_service_account=user_service_account,
            kubernetes_version=kubernetes_version,
            proxy_limits=proxy_limits,
        )
        options = merge_props(self, options, props, HubOptions)
        if options.scale is not None:
            resources = options.scale.hub_resources(options.resources)
            options = dataclasses.replace(options, resources=resources)
        self.options = options
        check_image(self, "image", options.image)
        self.image_pull_secrets = check_image_pull_secrets(
            self, "image_pull_secrets", options.image_pull_secrets
        )
        kubernetes_version.check(self)
        check_release(self, release)
        _check_options(self, options, proxy_limits)
        options.database.check(self, release, options.extra_config)
        _check_profiles(self, profiles)
        self.public_hosts = check_hosts(self, "public_hosts", public_hosts)
        login = chosen_authenticator(self, authenticator, header_trust)
        login.check(self, "authenticator" if authenticator is not None else "header_trust")
        self.user_hosts = check_user_hosts(self, "user_hosts", user_hosts, self.public_hosts)
        admin_groups = check_strings(self, "admin_groups", options.admin_groups)
        allowed_groups = check_strings(self, "allowed_groups", options.allowed_groups)
        _check_groups(self, login, options.allow_all, admin_groups, allowed_groups)
        _check_users(self, options)
        if isinstance(login, HubLogin):
            login.check_access(self, tuple(options.admin_users), "authenticator")
            callback_url(self, self.public_hosts, HUB_PATH_PREFIX)
        _check_placement(self, release)
        if options.user_pods.priority is not None:
            options.user_pods.priority.claim(self, "user_pods.priority", release)
        claim_burst_names(self, options.user_pods, release)
        scheduling = Scheduling.of_props(self, options)
        user_pods = options.user_pods

        self.release = release
        join_app(self, release)
        self.name = component_name(release, Component.HUB)
        self.labels = selector_labels(release, Component.HUB)
        self.port = HUB_PORT
        self.port_name = HUB_PORT_NAME
        self.url = hub_url(release)
        self.proxy_token = proxy_token
        self.user_header = options.user_header
        # The hub's login: the header's trust, or a login of its own (HubLogin).
        self.header_trust = self.authenticator = login
        require_enforcing_edge(self, release)
        # None: no Istio sidecar, so no AuthorizationPolicy applies to the hub's pod.
        self.sidecar = options.sidecar
        self.kubernetes_version = kubernetes_version
        self._profiles = tuple(profiles)
        self._user_pods = user_pods
        self._user_service_account = user_service_account
        self._extra_config = _check_extra_config(
            self, _with_proxy_class(options.extra_config, proxy_limits)
        )
        # Routes written as VirtualServices by the hub itself (IstioProxy), or None.
        self._virtual_services = _virtual_service_settings(
            self, release, proxy_limits.virtual_services
        )
        # The proxy's interval, where the options leave it to the proxy (a preset may raise it).
        self._proxy_activity_seconds = (
            proxy_limits.activity_interval_seconds
            if options.activity_interval_seconds is Derived.FROM_PROXY
            else None
        )
        # The one resolved value the proxy decides unless the options do.
        self._activity_interval_seconds = resolve(
            self,
            "activity_interval_seconds",
            options.activity_interval_seconds,
            Derived.FROM_PROXY,
            lambda: proxy_limits.activity_interval_seconds,
        )
        self._groups = (admin_groups, allowed_groups)
        files, data, config_map_name = self._config_files()

        # KubeSpawner talks to the Kubernetes API with the account's token; that identity and
        # the rest are made in one call.
        rules = [*_ROLE_RULES, *([_VIRTUAL_SERVICE_RULE] if self._virtual_services else [])]
        own = identity_specs(name=self.name, labels=self.labels, rules=rules)
        service = service_object_spec(
            self.name,
            self.labels,
            [
                {
                    "name": HUB_PORT_NAME,
                    "port": HUB_PORT,
                    "targetPort": HUB_PORT_NAME,
                    "protocol": "TCP",
                },
            ],
            kubernetes_version,
        )
        stateful_set = object_spec(
            "Resource",
            api_version="apps/v1",
            kind="StatefulSet",
            name=self.name,
            labels=self.labels,
            annotations={
                **skip_annotations(
                    SECRET_ENV,
                    unpinned(options.image),
                    pulled_if_absent(options.image_pull_policy.value),
                    {"CKV_K8S_38": "KubeSpawner creates user pods with the hub's token"},
                ),
                # A token rotation restarts the hub with the proxies: both read it at start.
                **with_metrics_token(proxy_token.rolling_annotations(), options.metrics_token),
            },
            spec=self._stateful_set_spec(
                options,
                proxy_env=proxy_limits.hub_env,
                scheduling=scheduling,
                config_volume={
                    "name": "config",
                    "configMap": {
                        "name": config_map_name,
                        "items": [file.item() for file in files],
                    },
                },
            ),
        )
        # The PriorityClass user pods name, where the app creates it.
        priority = (
            user_pods.priority.object_spec(release, preempt=user_pods.placeholders > 0)
            if user_pods.priority
            else None
        )
        config_map = self._config_map_spec(config_map_name, data)
        (
            self.service_account,
            self.role,
            self.role_binding,
            self.service,
            self.stateful_set,
            self.disruption_budget,
            *priority_class,
            self._config_map,
        ) = api_objects(
            self,
            [
                *own,
                service,
                stateful_set,
                disruption_budget_spec(self.name, self.labels),
                *([priority] if priority else []),
                config_map,
            ],
        )
        self.user_priority_class = priority_class[0] if priority_class else None
        self._burst_scope: Construct | None = None
        self._add_burst_objects()
        hub_container = stateful_set.body["spec"]["template"]["spec"]["containers"][0]
        self.env = ContainerEnv(self, self.stateful_set, 0, hub_container["env"], (TOKEN_ENV,))
        if isinstance(login, HubLogin):
            for variable, ref in login.secrets().items():
                self.env.add_secret_variable(variable, secret=ref.name, key=ref.key)

    @property
    def config_map(self) -> cdk8s.ApiObject:
        """The settings ConfigMap the hub mounts (replaced by ``add_profile``)."""
        return self._config_map

    def _config_files(self) -> tuple[tuple[HubFile, ...], dict[str, str], str]:
        """The settings file and the rest of the ConfigMap's keys, and its name after their
        hash."""
        files = hub_files(dump_settings(self.settings), unused(self.settings))
        data = {file.key: file.text for file in files}
        digest = hashlib.sha256()
        for key in sorted(data):
            digest.update(f"{key}\0{data[key]}\0".encode())
        return files, data, f"{self.name}-{digest.hexdigest()[:10]}"

    def _config_map_spec(self, name: str, data: dict[str, str]) -> ObjectSpec:
        # Immutable, named after a hash of its content: a change makes a new one and rolls
        # the hub. Each key at its path under the config directory (hub_runtime/ a package).
        return object_spec(
            "ConfigMap",
            api_version="v1",
            kind="ConfigMap",
            name=name,
            labels=self.labels,
            immutable=True,
            data=data,
        )

    @property
    def profiles(self) -> tuple[NotebookProfile, ...]:
        """The profiles users can spawn, in the order the form offers them (``add_profile``
        adds one)."""
        return self._profiles

    def add_profile(self, profile: NotebookProfile) -> None:
        """Offer ``profile`` too, after the others, checked as they are (unique slug, one
        default, the same user claim). The settings ConfigMap is replaced by one with it (named
        after its new hash) and the StatefulSet mounts that one, so the hub rolls, as for any
        change of its settings. Constructs that read the profiles (``HubResourceQuota``,
        ``HubNamespace``) must be made after the last call: once one is, this refuses."""
        check_instance(self, "profile", profile, NotebookProfile)
        _check_unread(self, profile)
        profiles = (*self.profiles, profile)
        _check_profiles(self, profiles)
        self._profiles = profiles
        files, data, name = self._config_files()
        volumes = self.stateful_set.to_json()["spec"]["template"]["spec"]["volumes"]
        index = next(i for i, volume in enumerate(volumes) if volume["name"] == "config")
        self.stateful_set.add_json_patch(
            cdk8s.JsonPatch.replace(
                f"/spec/template/spec/volumes/{index}/configMap",
                {"name": name, "items": [file.item() for file in files]},
            )
        )
        self.node.try_remove_child(self._config_map.node.id)
        self._config_map = api_objects(self, [self._config_map_spec(name, data)])[0]
        self._add_burst_objects()

    def _add_burst_objects(self) -> None:
        """Placeholders, image puller and user scheduler (as ``user_pods`` asks), made again
        from the profiles when one is added."""
        if self._burst_scope is not None:
            self.node.try_remove_child(BURST_SCOPE)
            self._burst_scope = None
        specs = burst_specs(
            self._user_pods,
            release=self.release,
            namespace=chart_namespace(self),
            profiles=self.profiles,
            priority_class=self.settings.spawner.priority_class_name,
        )
        if specs:
            self._burst_scope = Construct(self, BURST_SCOPE)
            api_objects(self._burst_scope, specs)

    @property
    def settings(self) -> HubSettings:
        """The settings written into the ConfigMap."""
        options = self.options
        culler = options.culler
        user_pods = self._user_pods
        admin_groups, allowed_groups = self._groups
        settings = HubSettings(
            bind_url=f"http://0.0.0.0:{HUB_PORT}",
            connect_url=self.url,
            public_hosts=self.public_hosts,
            # The proxy's API Service is named after the release (CHProxy creates it).
            proxy_api_url=proxy_api_url(self.release),
            proxy_token_env=TOKEN_ENV,
            named_servers=options.named_server_limit > 0,
            named_server_limit_per_user=options.named_server_limit,
            # 0: no limit on spawns in flight.
            concurrent_spawn_limit=0,
            # User servers keep running while the hub restarts.
            cleanup_servers=False,
            activity_interval_seconds=self._activity_interval_seconds,
            # Anyone the proxy lets through may read what needs no token.
            metrics_require_auth=not options.scraped_by_annotations,
            metrics_token_env=METRICS_TOKEN_ENV if options.metrics_token is not None else None,
            debug_env=DEBUG_ENV,
            auth=AuthSettings(
                user_header=options.user_header,
                admin_users=tuple(options.admin_users),
                admin_groups=admin_groups,
                allowed_groups=allowed_groups,
                allow_all=options.allow_all,
                admin_access=options.admin_access,
                trust=self.header_trust.mode,
                jwt=self.header_trust.jwt,
                proof_header="Authorization",
                user_pattern=options.user_pattern,
                max_length=options.user_max_length,
                case_insensitive_names=self.header_trust.case_insensitive_names,
                admins_managed_in_hub=options.admins_managed_in_hub,
            ),
            spawner=SpawnerSettings(
                namespace_env=NAMESPACE_ENV,
                start_timeout_seconds=user_pods.start_timeout_seconds,
                port=USER_PORT,
                cmd=tuple(user_pods.cmd),
                args=tuple(user_pods.server_args),
                service_account=self.user_service_account_name,
                priority_class_name=(
                    user_pods.priority.resolve_name(self.release) if user_pods.priority else None
                ),
                env=dict(sorted(user_pods.env.items())),
                labels=dict(sorted(user_pods.pod_labels().items())),
                annotations=dict(sorted(user_pods.pod_annotations().items())),
                ephemeral_storage_guarantee=user_pods.ephemeral_storage_guarantee,
                init_cpu=user_pods.init_cpu,
                init_memory=user_pods.init_memory,
                per_user_service=user_pods.per_user_service,
                image_pull_secrets=tuple(user_pods.image_pull_secrets),
                delete_claim_with_user=user_pods.delete_claim_with_user,
                default_url=user_pods.default_url,
                scheduler_name=scheduler_name(user_pods, self.release),
            ),
            # The plain settings value, as the hub reads it back (IdleCuller is one).
            culler=CullerSettings(**dataclasses.asdict(culler)),
            extra_config=self._extra_config,
            profiles=_profile_settings(self.profiles, user_pods),
            login=(
                self.authenticator.login_settings(
                    callback_url(self, self.public_hosts, HUB_PATH_PREFIX)
                )
                if isinstance(self.authenticator, HubLogin)
                else None
            ),
            database=options.database.settings(),
            user_hosts=user_host_settings(self.public_hosts, self.user_hosts),
            virtual_services=self._virtual_services,
        )
        if options.scale is None:
            return settings
        return options.scale.apply(settings, self._proxy_activity_seconds)

    def ingress_hosts(self, scope: Construct, hosts: Sequence[str] | Derived) -> tuple[str, ...]:
        """The hosts an ingress in front of this hub serves: its public hosts by default, else
        some of them (user servers accept the browser's Origin only from those)."""
        given = resolve(scope, "hosts", hosts, Derived.FROM_HUB, lambda: self.public_hosts)
        chosen = check_hosts(scope, "hosts", given)
        for index, host in enumerate(chosen):
            if host not in self.public_hosts:
                raise invalid(
                    scope,
                    f"hosts[{index}]",
                    host,
                    f"must be one of the hub's public_hosts {list(self.public_hosts)} "
                    "(user servers accept the browser's Origin only from those)",
                )
        return chosen

    @property
    def outbound_urls(self) -> tuple[str, ...]:
        """Every URL the hub calls at run time (its mesh egress must reach each)."""
        settings = self.settings
        jwt = settings.auth.jwt
        return (
            settings.proxy_api_url,
            settings.connect_url,
            *((jwt.jwks_url,) if jwt is not None and jwt.jwks_url else ()),
            *(self.authenticator.endpoints if isinstance(self.authenticator, HubLogin) else ()),
            *self.options.database.outbound_urls,
        )

    @property
    def user_pods(self) -> UserPods:
        """What every user pod gets (the defaults filled in)."""
        return self._user_pods

    @property
    def user_service_account_name(self) -> str:
        """The ServiceAccount user pods run as (the namespace's ``default`` unless given)."""
        sa = self._user_service_account
        return name_of(sa) if sa is not None else "default"

    @property
    def user_pod_labels(self) -> dict[str, str]:
        """Labels on every user pod: the selector labels of the singleuser component."""
        return selector_labels(self.release, Component.SINGLEUSER)

    def _stateful_set_spec(
        self,
        options: HubOptions,
        *,
        proxy_env: Sequence[Mapping[str, Any]],
        scheduling: Scheduling,
        config_volume: dict[str, Any],
    ) -> dict[str, Any]:
        container = {
            "name": Component.HUB.value,
            "image": options.image,
            "imagePullPolicy": options.image_pull_policy.value,
            "command": list(HUB_ENTRYPOINT),
            # No --upgrade-db: the upgrade-db init container migrated the database, and a
            # database older than the code stops the hub instead of changing under it.
            "args": list(HUB_COMMAND),
            # SQLite database and cookie secret go to the working directory: the data volume.
            "workingDir": DATA_DIR,
            "env": [
                {
                    "name": NAMESPACE_ENV,
                    "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
                },
                # The hub's uid has no home in an image that does not know it (z2jh's: HOME
                # would be /, read-only): anything written under ~ goes to the writable /tmp.
                {"name": "HOME", "value": "/tmp"},
                # Log lines reach the pod log as written (z2jh's image leaves this unset).
                {"name": "PYTHONUNBUFFERED", "value": "1"},
                *([options.metrics_token.env()] if options.metrics_token is not None else []),
                *options.database.env(),
                # What the proxy's client reads (HubLimits.hub_env): Traefik's Redis.
                *(dict(variable) for variable in proxy_env),
            ],
            "envFrom": [{"secretRef": {"name": self.proxy_token.secret_name}}],
            "ports": [{"name": HUB_PORT_NAME, "containerPort": HUB_PORT, "protocol": "TCP"}],
            **options.probes.to_manifest("/hub/health", HUB_PORT_NAME),
            "lifecycle": pre_stop(options.pre_stop_seconds, self.kubernetes_version),
            "resources": options.resources.to_manifest(),
            "securityContext": hardened_container(),
            "volumeMounts": [
                {"name": "tmp", "mountPath": "/tmp"},
                # jupyterhub_config.py, settings.json and hub_runtime/, over whatever the
                # image has there.
                {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                {"name": "data", "mountPath": DATA_DIR},
            ],
        }
        login = self.authenticator
        login_volumes = login.volumes() if isinstance(login, HubLogin) else []
        login_mounts = login.volume_mounts() if isinstance(login, HubLogin) else []
        annotations = options.database.pod_annotations(options.sidecar is not None)
        if options.scraped_by_annotations:
            annotations |= {
                "prometheus.io/scrape": "true",
                "prometheus.io/scheme": "http",
                "prometheus.io/port": str(HUB_PORT),
                "prometheus.io/path": "/hub/metrics",
            }
        claim_spec: dict[str, Any] = {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": options.storage_size}},
        }
        if options.storage_class is not None:
            claim_spec["storageClassName"] = options.storage_class
        template = pod_template(
            self.labels,
            sidecar=options.sidecar,
            service_account=self.name,
            automount_token=True,
            dns_ndots=options.dns_ndots,
            revision_key="controller-revision-hash",
            containers=[container],
            annotations=annotations,
            volumes=[
                {"name": "tmp", "emptyDir": {"medium": "Memory"}},
                config_volume,
                *options.database.volumes(),
                *login_volumes,
            ],
            image_pull_secrets=self.image_pull_secrets,
            scheduling=scheduling,
        )
        # The database is migrated (or refused) before the hub starts, in its own step.
        template["spec"]["initContainers"] = [options.database.upgrade_container(container)]
        # The login's files (Google's service account key) are the hub's alone: the upgrade
        # step, made from the container above, does not mount them.
        template["spec"]["containers"][0]["volumeMounts"].extend(login_mounts)
        return {
            "replicas": 1,
            "serviceName": self.name,
            # One pod: nothing to order, and a stuck pod must not block its replacement.
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "selector": {"matchLabels": dict(self.labels)},
            "template": template,
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": claim_spec}],
        }


def _check_groups(
    scope: Construct,
    trust: HeaderTrust | HubLogin,
    allow_all: bool,
    admin_groups: tuple[str, ...],
    allowed_groups: tuple[str, ...],
) -> None:
    """Groups come from the verified ID token only, and allowed_groups must decide."""
    for field, groups in (("admin_groups", admin_groups), ("allowed_groups", allowed_groups)):
        for index, group in enumerate(groups):
            if not group:
                raise invalid(scope, f"{field}[{index}]", group, "must not be empty")
        if groups and trust.mode == "hub":
            raise invalid(
                scope,
                field,
                list(groups),
                f"is the header login's: give {type(trust).__name__} its own {field}",
            )
        if groups and trust.mode != "jwt":
            raise invalid(
                scope,
                field,
                list(groups),
                "needs header_trust=HeaderTrust.jwt_proof(...): groups are read from the "
                "verified ID token, and the mesh_enforced header carries none",
            )
    if allowed_groups and allow_all:
        raise invalid(
            scope,
            "allowed_groups",
            list(allowed_groups),
            "needs allow_all=False (with allow_all every user is allowed, whatever the groups)",
        )


# An HTTP field name is a token; these are the characters a proxy passes unchanged.
_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


def _check_options(hub: HubStatefulSet, options: HubOptions, limits: HubLimits) -> None:
    """What the types alone do not say: ranges, quantities, and the proxy's limits."""
    if options.replicas != 1:
        raise invalid(hub, "replicas", options.replicas, "must be 1 (JupyterHub runs one hub)")
    options.resources.check(hub)
    options.user_pods.check(hub)
    options.culler.check(hub)
    if options.sidecar is not None:
        options.sidecar.check(hub)
    if options.metrics_token is not None:
        options.metrics_token.check(hub, "metrics_token")
    if check_quantity(hub, "storage_size", options.storage_size) == 0:
        raise invalid(hub, "storage_size", options.storage_size, "must be more than 0 bytes")
    check_dns_ndots(hub, "dns_ndots", options.dns_ndots)
    if options.storage_class:  # "": no class, bound to a PersistentVolume made beforehand
        check_dns_subdomain(hub, "storage_class", options.storage_class)
    _check_named_servers(hub, options.named_server_limit, limits)
    if limits.hub_packages and options.image == DEFAULT_HUB_IMAGE:
        raise invalid(
            hub,
            "image",
            options.image,
            f"must be an image with {', '.join(limits.hub_packages)} for the proxy's client "
            f"{limits.proxy_class} (z2jh's has none): build the Dockerfile with --build-arg "
            f"HUB_EXTRAS={limits.hub_extra}, push it and pass its reference",
        )
    if options.pre_stop_seconds < 0:
        raise invalid(hub, "pre_stop_seconds", options.pre_stop_seconds, "must be 0 or more")
    interval = options.activity_interval_seconds
    if isinstance(interval, int) and interval < 1:
        raise invalid(
            hub, "activity_interval_seconds", interval, "must be a positive number of seconds"
        )


def _check_named_servers(hub: HubStatefulSet, limit: int, limits: HubLimits) -> None:
    """0 or more, and no more than the proxy serves: refused, never lowered."""
    if limit < 0:
        raise invalid(hub, "named_server_limit", limit, "must be 0 (named servers off) or more")
    most = limits.max_named_servers
    if most is not None and limit > most:
        raise invalid(
            hub,
            "named_server_limit",
            limit,
            f"must be at most {most} with this proxy ({limits.why}); "
            f"pass named_server_limit={most}",
        )


def _check_users(hub: HubStatefulSet, options: HubOptions) -> None:
    """The user pattern compiles, the header is a header, and every admin is a valid user."""
    admin_users = check_strings(hub, "admin_users", options.admin_users)
    try:
        re.compile(options.user_pattern)
    except re.error as error:
        raise invalid(
            hub,
            "user_pattern",
            options.user_pattern,
            f"must be a valid regular expression ({error})",
        ) from None
    if options.user_max_length < 1:
        raise invalid(hub, "user_max_length", options.user_max_length, "must be 1 or more")
    if not _HEADER_NAME.fullmatch(options.user_header):
        raise invalid(
            hub,
            "user_header",
            options.user_header,
            "must be an HTTP header name (letters, digits and '-')",
        )
    for index, user in enumerate(admin_users):
        problem = name_problem(
            user, pattern=options.user_pattern, max_length=options.user_max_length
        )
        if problem is not None:
            raise invalid(
                hub,
                f"admin_users[{index}]",
                user,
                f"must be a user name the hub accepts (this one {problem})",
            )


def _virtual_service_settings(
    hub: HubStatefulSet, release: str, routes: VirtualServiceRoutes | None
) -> VirtualServiceSettings | None:
    """What the hub needs to write its routes as VirtualServices, resolved for its release."""
    if routes is None:
        return None
    prefix = resolve(
        hub, "virtual_service_prefix", routes.name_prefix, Derived.FROM_RELEASE, lambda: release
    )
    return VirtualServiceSettings(
        gateway=gateway_name(release),
        name_prefix=check_dns_label(hub, "virtual_service_prefix", prefix),
        cluster_domain=check_dns_subdomain(hub, "cluster_domain", routes.cluster_domain),
    )


def _with_proxy_class(
    extra: Mapping[str, Mapping[str, Any]], limits: HubLimits
) -> Mapping[str, Mapping[str, Any]]:
    """The proxy's API client as JupyterHub's proxy_class, unless extra_config names one."""
    if limits.proxy_class is None or not isinstance(extra, Mapping):
        return extra
    hub_traits = extra.get("JupyterHub", {})
    if not isinstance(hub_traits, Mapping) or "proxy_class" in hub_traits:
        return extra
    return {**extra, "JupyterHub": {**hub_traits, "proxy_class": limits.proxy_class}}


def _check_unread(hub: HubStatefulSet, profile: NotebookProfile) -> None:
    """A construct derived from the profiles (a quota's sizes, a namespace's Pod Security
    level) would silently keep the old ones."""
    readers = [
        *profile_readers(hub),
        *others_in_app(hub, DeclaredNamespace, hub.release),
    ]
    if readers:
        raise invalid(
            hub,
            "profile",
            profile.slug,
            f"must be added before {readers[0].node.path} ({type(readers[0]).__name__}) is "
            "made from the profiles, which it would not see: add every profile first",
        )


def _check_placement(hub: HubStatefulSet, release: str) -> None:
    """One hub per release and namespace; the namespace its release's HubNamespace creates."""
    namespace = chart_namespace(hub)
    for other in others_in_app(hub, HubStatefulSet, release):
        if chart_namespace(other) == namespace:
            raise invalid(
                hub,
                "release",
                release,
                f"must differ from that of {other.node.path} in namespace "
                f"{namespace!r} (both would create the same objects)",
            )
    for declared in others_in_app(hub, DeclaredNamespace, release):
        if declared.name != namespace:
            _check_one_hub(hub, release, declared)
            raise invalid(
                hub,
                "namespace",
                namespace,
                f"must be {declared.name!r}, the namespace {declared.node.path} "
                f"creates for release {release!r} (the chart's namespace)",
            )


def _check_one_hub(hub: HubStatefulSet, release: str, declared: DeclaredNamespace) -> None:
    """A hub outside its release's namespace when the release has a hub there: a second hub
    of the release, not a misplaced one."""
    other = next(others_in_app(hub, HubStatefulSet, release), None)
    if other is not None:
        raise invalid(
            hub,
            "release",
            release,
            f"must differ from that of {other.node.path} in namespace {declared.name!r}, "
            f"which {declared.node.path} creates for it (a release lives in one namespace)",
        )


def _check_profiles(hub: HubStatefulSet, profiles: Sequence[NotebookProfile]) -> None:
    if not profiles:
        raise invalid(hub, "profiles", list(profiles), "must name at least one NotebookProfile")
    slugs: dict[str, NotebookProfile] = {}
    defaults = [profile for profile in profiles if profile.default]
    for profile in profiles:
        if slugs.get(profile.slug) is profile:
            raise invalid(
                hub,
                "profiles",
                profile.node.path,
                "must list each NotebookProfile once (this one is already added)",
            )
        if profile.slug in slugs:
            first = slugs[profile.slug].node.path
            raise invalid(
                hub,
                "profiles",
                profile.slug,
                f"must have unique slugs ({first} and {profile.node.path} share one)",
            )
        slugs[profile.slug] = profile
    if len(defaults) > 1:
        raise invalid(
            hub,
            "profiles",
            [profile.slug for profile in defaults],
            "must mark at most one profile as default",
        )
    # Every profile's claim is the user's one claim: made once, by whichever profile starts
    # first, so they must agree on what it is.
    claims = [
        (owner, volume.claim)
        for owner in profiles
        for volume in owner.volumes
        if volume.claim is not None
    ]
    for owner, claim in claims[1:]:
        first_owner, expected = claims[0]
        if claim != expected:
            raise invalid(
                hub,
                "profiles",
                owner.slug,
                f"must mount the same persistent claim as {first_owner.slug} "
                f"({_claim_text(expected)}; "
                f"this one: {_claim_text(claim)}): each user has one claim, made by whichever "
                "profile starts first",
            )


def _claim_text(claim: ClaimSettings) -> str:
    storage_class = claim.storage_class or "the default StorageClass"
    return f"{claim.size}, {storage_class}, {claim.access_mode}"


def _profile_settings(
    profiles: Sequence[NotebookProfile], user_pods: UserPods
) -> tuple[ProfileSettings, ...]:
    """The profiles' settings; the first one is the default when none is marked."""
    chosen = tuple(
        dataclasses.replace(
            profile.settings,
            annotations=skip_annotations(
                user_pods.scan_exceptions,
                profile.scan_exceptions,
                pulled_if_absent(profile.settings.image_pull_policy),
            ),
        )
        for profile in profiles
    )
    if chosen and not any(profile.default for profile in chosen):
        chosen = (dataclasses.replace(chosen[0], default=True), *chosen[1:])
    return chosen


def _check_extra_config(
    hub: HubStatefulSet, extra: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Known classes, traits those classes have (at the hub's versions), JSON values."""
    if not isinstance(extra, Mapping):
        raise invalid(hub, "extra_config", extra, "must be a mapping of class name to traits")
    checked: dict[str, dict[str, Any]] = {}
    for name, traits in sorted(extra.items()):
        if name not in CONFIGURABLE_CLASSES:
            raise invalid(
                hub,
                "extra_config",
                name,
                f"must name a configurable class: one of {', '.join(CONFIGURABLE_CLASSES)}",
            )
        if not isinstance(traits, Mapping):
            raise invalid(hub, f"extra_config.{name}", traits, "must be a mapping of traits")
        for trait, value in traits.items():
            if not isinstance(trait, str) or not trait.isidentifier():
                raise invalid(hub, f"extra_config.{name}", trait, "must name a trait")
            check_trait(hub, name, trait)
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                raise invalid(
                    hub, f"extra_config.{name}.{trait}", value, "must be a JSON value"
                ) from None
            check_value(hub, name, trait, value)
        checked[name] = dict(sorted(traits.items()))
    return checked
