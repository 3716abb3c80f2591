"""A whole JupyterHub: hub, proxy, profiles and the user pods' ServiceAccount."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from enum import Enum
from types import MappingProxyType
from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._core._checks import check_image_pull_secrets
from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived, resolve
from constructs_lib._core._endpoints import check_release
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import Component, selector_labels
from constructs_lib._core._objects import api_object
from constructs_lib._core._props import check_arguments, renamed_arguments
from constructs_lib._core.header_trust import HeaderTrust
from constructs_lib._core.kubernetes_version import KubernetesVersion
from constructs_lib._core.logins import HubLogin
from constructs_lib._core.proxy_token import ProxyToken
from constructs_lib._hub._mesh_choice import IstioMesh, check_mesh, mesh_options, mesh_user_pods
from constructs_lib._hub.hub import HubOptions, HubStatefulSet
from constructs_lib._hub.network_policy import Flow, app_flows, component_labels
from constructs_lib._hub.scale_preset import ScalePreset
from constructs_lib._pods.profile import ImagePullPolicy, NotebookProfile, UserVolume
from constructs_lib._pods.profile_options import ProfileOption
from constructs_lib._pods.user_pods import IdleCuller, UserPods
from constructs_lib._proxies.interfaces import IProxy
from constructs_lib._proxies.istio_proxy import IstioProxyOptions
from constructs_lib._proxies.proxy import Autoscaling, ProxyOptions
from constructs_lib._proxies.routes import RouteStore
from constructs_lib._proxies.traefik_proxy import TraefikProxyOptions

__all__ = ["JupyterHub", "reference_profiles"]


def reference_profiles(
    scope: Construct,
    *,
    volumes: Sequence[UserVolume] = (),
    service_account_token: bool = False,
    # A node reuses the copy it has (pulled before, or side-loaded); Always re-pulls on
    # every spawn, to pick up each rebuild under the same tag (the reference does).
    image_pull_policy: ImagePullPolicy = ImagePullPolicy.IF_NOT_PRESENT,
    standard_options: Mapping[str, ProfileOption] = MappingProxyType({}),
) -> tuple[NotebookProfile, ...]:
    """The reference's two profiles: a standard notebook (the default) and one with a GPU.
    ``volumes`` (the reference's: ``UserVolume.reference_set()``) and
    ``service_account_token`` (the reference mounted it) are the same for both;
    ``standard_options`` are choices inside the standard one (the reference has none)."""
    return (
        NotebookProfile(
            scope,
            "StandardProfile",
            display_name="Standard Notebook",
            default=True,
            volumes=volumes,
            service_account_token=service_account_token,
            image_pull_policy=image_pull_policy,
            options=standard_options,
        ),
        NotebookProfile(
            scope,
            "GpuProfile",
            display_name="GPU Notebook",
            gpus=1,
            runtime_class_name="nvidia",
            volumes=volumes,
            service_account_token=service_account_token,
            image_pull_policy=image_pull_policy,
        ),
    )


class _Keep(Enum):
    """A shorthand prop left out: the options' field stands."""

    KEEP = "keep"


KEEP = _Keep.KEEP


def _kept(scope: Construct, name: str, value: object) -> bool:
    """Whether a shorthand was left out (its options' field stands)."""
    return resolve(scope, name, value, Derived.FROM_OPTIONS, lambda: KEEP) is KEEP


def _preset(
    scope: Construct, expected_users: int | None, expected_concurrent_spawns: int | Derived
) -> ScalePreset | None:
    if expected_users is None:
        if expected_concurrent_spawns is not Derived.FROM_USERS:
            raise invalid(
                scope,
                "expected_concurrent_spawns",
                expected_concurrent_spawns,
                "needs expected_users (the spawns are a part of them)",
            )
        return None
    return ScalePreset.of(scope, expected_users, expected_concurrent_spawns)


class JupyterHub(LibraryConstruct):
    """Hub, proxy and user-pod ServiceAccount, wired together.

    ``hosts`` are the public host names of the hub (the ingress constructs default to them).

    ``hub_options`` and ``proxy_options`` are every option of :class:`HubStatefulSet` and
    :class:`CHProxy`, forwarded whole. The other keyword props are shorthands that replace
    one field of them: ``admin_users``, ``admin_groups``, ``hub_image``, ``user_pods``,
    ``culler`` and ``named_server_limit`` the hub's, ``proxy_image``, ``proxy_autoscaling`` and
    ``proxy_routes`` the proxy's. A shorthand left out (its default ``Derived.FROM_OPTIONS``)
    keeps the field of the options; the defaults below are those of ``HubOptions()`` and
    ``ProxyOptions()``. ``mesh`` is the one choice of service mesh for every part:
    ``IstioMesh()`` (the default, the reference's) injects Istio's sidecar into the hub, the
    proxy and the user pods and has Prometheus scrape the user pods' sidecars; ``None`` injects
    none and scrapes nothing.
    The proxy states what it needs of the hub (``hub_limits()``): the hub polls its routes
    every 60 s unless ``activity_interval_seconds`` is set, and a ``named_server_limit``
    above what it serves is refused.

    ``profiles`` defaults to :func:`reference_profiles`. The hub's StatefulSet is the default
    child: ``cdk8s.ApiObject.of(jupyterhub)`` is ``jupyterhub.hub.stateful_set``.

    Args:
        proxy_token: where the hub and the proxy read ``CONFIGPROXY_AUTH_TOKEN``: required.
        authenticator: how people log in (``HubStatefulSet``'s): a login of the hub's own
            (``OidcLogin``, ``GitHubLogin``, ``GoogleLogin``, ``EntraIdLogin``,
            ``LdapLogin``) or an auth proxy's header (``HeaderTrust``); this or
            ``header_trust`` is required, no safe default exists.
        header_trust: the header login, as before ``authenticator``.
        hosts: the public host names of the hub (the ingress constructs default to them).
        user_hosts: each user's server on a host of its own under this DNS wildcard
            (``"*.users.example.org"``); default ``None``, paths on the hub's hosts (see
            ``HubStatefulSet``).
        release: the prefix of every object name, a DNS label of at most 57 characters (the
            Service ``<release>-proxy`` must fit 63); default ``jupyterhub``.
        profiles: the profiles users can spawn; default ``Derived.REFERENCE_PROFILES``:
            :func:`reference_profiles`, made in this construct.
        admin_users: the admins' user names; default none.
        admin_groups: groups of the ID token whose members are admins; default none.
        hub_image: default ``DEFAULT_HUB_IMAGE``, z2jh's public hub image.
        proxy_image: default the chosen proxy's default image (routes in Redis need
            your own).
        mesh: the service mesh of every part; default ``IstioMesh()``, Istio's sidecar in the
            hub, proxy and user pods (each part's sidecar resources are its fields); ``None``
            for no mesh. The parts' own ``sidecar`` (and ``user_pods.prometheus_port`` with a
            mesh) are the mesh's here: setting one is an error naming the mesh's field; the
            former ``sidecar`` shorthand is a ``TypeError`` naming ``mesh``.
        user_pods: what every user pod gets; default ``UserPods()``.
        culler: the idle culler; default ``IdleCuller()``.
        named_server_limit: named servers per user; default 3, 0 turns them off.
        proxy_autoscaling: CHProxy's autoscaler; default ``Autoscaling()``.
        proxy_routes: where CHProxy keeps its routes; default in memory.
        image_pull_secrets: names of Secrets with registry credentials for the hub, proxy and user
            pods alike (replacing each part's own); default each part's (none).
        hub_options: every option of the hub, forwarded whole; default ``HubOptions()``.
        proxy_options: every option of the proxy, forwarded whole, and the choice of proxy:
            default ``ProxyOptions()``, configurable-http-proxy (``CHProxy``);
            ``IstioProxyOptions(...)`` deploys no proxy (``IstioProxy``): the hub writes each
            route as an Istio VirtualService itself (``hub_runtime.virtual_services``);
            ``TraefikProxyOptions(routes=RedisRouteStore(...))`` deploys Traefik replicas
            (``TraefikProxy``) reading the routes the hub writes to Redis (``mesh=None``, and
            a hub image with jupyterhub-traefik-proxy).
        kubernetes_version: the cluster's version; default ``KubernetesVersion.DEFAULT``.
        expected_users: users who may have a server running at once; default ``None``, no
            preset. Given, the hub and the proxy are sized for them (``ScalePreset``: the
            spawn limit, the hub's and the servers' activity intervals, the culler's
            concurrency, ``init_spawners_timeout``, the hub's CPU request, the proxy's memory
            and least replicas; each derived value says why in ``ScalePreset``).
        expected_concurrent_spawns: servers started at once at the busiest moment; default
            ``Derived.FROM_USERS``: a tenth of ``expected_users`` within [10, 500]. Needs
            ``expected_users``.
    """

    hub = Handle[HubStatefulSet]("The hub (``HubStatefulSet``).")
    proxy = Handle[IProxy]("The proxy: ``CHProxy``, or ``IstioProxy`` with IstioProxyOptions.")
    user_service_account = Handle[cdk8s.ApiObject]("The ServiceAccount user pods run as.")
    proxy_token = Handle[ProxyToken]("The proxy token's source, shared by the hub and the proxy.")
    mesh = Handle[IstioMesh | None]("The service mesh every part follows; ``None`` for none.")

    @renamed_arguments(sidecar="mesh")
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        proxy_token: ProxyToken,
        hosts: Sequence[str],
        authenticator: HeaderTrust | HubLogin | None = None,
        header_trust: HeaderTrust | None = None,
        user_hosts: str | None = None,
        release: str = "jupyterhub",
        profiles: Sequence[NotebookProfile] | Derived = Derived.REFERENCE_PROFILES,
        hub_options: HubOptions = HubOptions(),
        proxy_options: ProxyOptions | IstioProxyOptions | TraefikProxyOptions = ProxyOptions(),
        # The shorthands: each replaces one field of hub_options or proxy_options if given.
        admin_users: Sequence[str] | Derived = Derived.FROM_OPTIONS,
        admin_groups: Sequence[str] | Derived = Derived.FROM_OPTIONS,
        hub_image: str | Derived = Derived.FROM_OPTIONS,
        proxy_image: str | Derived = Derived.FROM_OPTIONS,
        mesh: IstioMesh | None = IstioMesh(),  # noqa: B008 - frozen value
        user_pods: UserPods | Derived = Derived.FROM_OPTIONS,
        culler: IdleCuller | Derived = Derived.FROM_OPTIONS,
        named_server_limit: int | Derived = Derived.FROM_OPTIONS,
        proxy_autoscaling: Autoscaling | Derived = Derived.FROM_OPTIONS,
        proxy_routes: RouteStore | Derived = Derived.FROM_OPTIONS,
        image_pull_secrets: Sequence[str] | Derived = Derived.FROM_OPTIONS,
        kubernetes_version: KubernetesVersion = KubernetesVersion.DEFAULT,
        expected_users: int | None = None,
        expected_concurrent_spawns: int | Derived = Derived.FROM_USERS,
    ) -> None:
        super().__init__(scope, id)
        check_release(self, release)
        check_arguments(
            self,
            JupyterHub.__init__,
            profiles=profiles,
            hub_options=hub_options,
            proxy_options=proxy_options,
            # The shorthands, so that an error names the prop given here.
            admin_users=admin_users,
            admin_groups=admin_groups,
            hub_image=hub_image,
            proxy_image=proxy_image,
            user_pods=user_pods,
            culler=culler,
            named_server_limit=named_server_limit,
            proxy_autoscaling=proxy_autoscaling,
            proxy_routes=proxy_routes,
            image_pull_secrets=image_pull_secrets,
        )
        hub_props: dict[str, Any] = {
            name: value
            for name, value in (
                ("admin_users", admin_users),
                ("admin_groups", admin_groups),
                ("image", hub_image),
                ("user_pods", user_pods),
                ("culler", culler),
                ("named_server_limit", named_server_limit),
            )
            if not _kept(self, name, value)
        }
        proxy_props: dict[str, Any] = {
            name: value
            for name, value in (
                ("image", proxy_image),
                ("autoscaling", proxy_autoscaling),
                ("routes", proxy_routes),
            )
            if not _kept(self, f"proxy_{name}", value)
        }
        mesh = check_mesh(self, mesh)
        # A shorthand the chosen proxy's options have no field for (IstioProxy keeps its
        # routes as VirtualServices and runs a fixed number of replicas).
        offered = {field.name for field in dataclasses.fields(proxy_options)}
        for name, value in proxy_props.items():
            if name not in offered:
                raise invalid(
                    self,
                    f"proxy_{name}",
                    value,
                    f"applies to CHProxy only (proxy_options is {type(proxy_options).__name__}, "
                    "which has no such field)",
                )
        if not _kept(self, "image_pull_secrets", image_pull_secrets):
            pull = check_image_pull_secrets(self, "image_pull_secrets", image_pull_secrets)
            hub_props["image_pull_secrets"] = pull
            if "image_pull_secrets" in offered:  # a proxy with pods of its own
                proxy_props["image_pull_secrets"] = pull
            pods = hub_props.get("user_pods", hub_options.user_pods)
            hub_props["user_pods"] = dataclasses.replace(pods, image_pull_secrets=pull)
        proxy_settings = dataclasses.replace(proxy_options, **proxy_props)
        hub_settings = dataclasses.replace(hub_options, **hub_props)
        preset = _preset(self, expected_users, expected_concurrent_spawns)
        if preset is not None:
            proxy_settings = preset.proxy_options(proxy_settings)
            hub_settings = dataclasses.replace(hub_settings, scale=preset)
        # Every part follows the one mesh.
        proxy_settings = mesh_options(self, mesh, proxy_settings, "proxy_options", "proxy")
        hub_settings = mesh_options(self, mesh, hub_settings, "hub_options", "hub")
        if mesh is not None or hub_settings.user_pods is not None:
            pods = mesh_user_pods(self, mesh, hub_settings.user_pods or UserPods())
            hub_settings = dataclasses.replace(hub_settings, user_pods=pods)
        self.mesh = mesh
        chosen = tuple(
            resolve(
                self,
                "profiles",
                profiles,
                Derived.REFERENCE_PROFILES,
                lambda: reference_profiles(self),
            )
        )
        self.user_service_account = api_object(
            self,
            "UserServiceAccount",
            api_version="v1",
            kind="ServiceAccount",
            name=f"{release}-{Component.SINGLEUSER.value}",
            labels=selector_labels(release, Component.SINGLEUSER),
            # Its token is mounted only into pods whose profile asks for it.
            automountServiceAccountToken=False,
        )
        self.hub = HubStatefulSet(
            self,
            "Hub",
            proxy_token=proxy_token,
            authenticator=authenticator,
            header_trust=header_trust,
            profiles=chosen,
            public_hosts=hosts,
            user_hosts=user_hosts,
            release=release,
            user_service_account=self.user_service_account,
            kubernetes_version=kubernetes_version,
            # The proxy is made after the hub it calls: its options answer for it.
            proxy_limits=proxy_settings.hub_limits(),
            options=hub_settings,
        )
        # The options answer for the proxy they configure.
        self.proxy = proxy_settings.make_proxy(self, "Proxy", self.hub)
        self.proxy_token = proxy_token
        # The escape hatch of the whole: the hub's StatefulSet.
        self.node.default_child = self.hub.stateful_set

    def add_profile(self, profile: NotebookProfile) -> None:
        """Offer ``profile`` too, after the others (``HubStatefulSet.add_profile``): make the
        ``NotebookProfile`` in any scope, then add it here, before constructs that read the
        profiles (``HubResourceQuota``, ``HubNamespace``)."""
        self.hub.add_profile(profile)

    @property
    def profiles(self) -> tuple[NotebookProfile, ...]:
        """The profiles users can spawn, the default first unless one is marked."""
        return self.hub.profiles

    @property
    def image_pull_secrets(self) -> tuple[str, ...]:
        """Every Secret the hub, proxy and user pods pull images with (prerequisites)."""
        names = (
            *self.hub.image_pull_secrets,
            *self.proxy.image_pull_secrets,
            *self.hub.user_pods.image_pull_secrets,
        )
        return tuple(sorted(set(names)))

    @property
    def component_labels(self) -> dict[Component, dict[str, str]]:
        """The selector labels of each component's pods."""
        return component_labels(self.proxy)

    @property
    def flows(self) -> tuple[Flow, ...]:
        """Who talks to whom inside the app (:func:`app_flows`)."""
        return app_flows(self.proxy)
