"""A whole JupyterHub: hub, proxy, profiles and the user pods' ServiceAccount."""

from __future__ import annotations

from collections.abc import Sequence

from constructs import Construct

from constructs_lib._names import Component, check_dns_label, selector_labels
from constructs_lib._objects import api_object
from constructs_lib.header_trust import HeaderTrust
from constructs_lib.hub import DEFAULT_HUB_IMAGE, HubStatefulSet
from constructs_lib.kubernetes_version import KubernetesVersion
from constructs_lib.network_policy import Flow
from constructs_lib.pod import IstioSidecar
from constructs_lib.profile import ImagePullPolicy, NotebookProfile, UserVolume
from constructs_lib.proxy import Autoscaling, CHProxy
from constructs_lib.proxy_token import ProxyToken
from constructs_lib.routes import RouteStore
from constructs_lib.user_pods import USER_PORT, IdleCuller, UserPods

__all__ = ["JupyterHub", "reference_profiles"]


def reference_profiles(
    scope: Construct, *,
    volumes: Sequence[UserVolume] = (),
    service_account_token: bool = False,
    # A node reuses the copy it has (pulled before, or side-loaded); Always re-pulls on
    # every spawn, to pick up each rebuild under the same tag (the reference does).
    image_pull_policy: ImagePullPolicy = ImagePullPolicy.IF_NOT_PRESENT,
) -> tuple[NotebookProfile, ...]:
    """The reference's two profiles: a standard notebook (the default) and one with a GPU.
    ``volumes`` (the reference's: ``UserVolume.reference_set()``) and
    ``service_account_token`` (the reference mounted it) are the same for both."""
    return (
        NotebookProfile(scope, "StandardProfile", display_name="Standard Notebook",
                        description="4 CPU / 32 GB RAM", default=True, volumes=volumes,
                        service_account_token=service_account_token,
                        image_pull_policy=image_pull_policy),
        NotebookProfile(scope, "GpuProfile", display_name="GPU Notebook",
                        description="4 CPU / 32 GB RAM / 1 GPU", gpus=1,
                        runtime_class_name="nvidia", volumes=volumes,
                        service_account_token=service_account_token,
                        image_pull_policy=image_pull_policy),
    )


class JupyterHub(Construct):
    """Hub, proxy and user-pod ServiceAccount, wired together.

    ``hosts`` are the public host names of the hub (the ingress constructs default to them).

    ``profiles`` defaults to :func:`reference_profiles`. ``sidecar`` (Istio injection and the
    sidecar's resources) applies to the hub and the proxy; ``None`` turns injection off for
    both, and user pods follow ``user_pods.sidecar``.

    Args:
        proxy_token: where the hub and the proxy read ``CONFIGPROXY_AUTH_TOKEN``: required.
        header_trust: when the user header counts: required, no safe default exists.
        hosts: the public host names of the hub (the ingress constructs default to them).
        release: the prefix of every object name; default ``jupyterhub``.
        profiles: the profiles users can spawn; default ``None``, :func:`reference_profiles`.
        admin_users: the admins' user names; default none.
        hub_image: default ``DEFAULT_HUB_IMAGE``, z2jh's public hub image.
        proxy_image: default ``None``, the official CHP image (routes in Redis need your own).
        sidecar: Istio injection for the hub and the proxy; default ``IstioSidecar()``, ``None``
            turns injection off for both (user pods follow ``user_pods.sidecar``).
        user_pods: what every user pod gets; default ``UserPods()``.
        culler: the idle culler; default ``IdleCuller()``.
        named_server_limit: named servers per user; default 3, 0 turns them off.
        proxy_autoscaling: the proxy's autoscaler; default ``Autoscaling()``.
        proxy_routes: where the proxy keeps its routes; default in memory.
        kubernetes_version: the cluster's version; default ``KubernetesVersion.DEFAULT``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        proxy_token: ProxyToken,
        header_trust: HeaderTrust,
        hosts: Sequence[str],
        release: str = "jupyterhub",
        profiles: Sequence[NotebookProfile] | None = None,
        admin_users: Sequence[str] = (),
        hub_image: str = DEFAULT_HUB_IMAGE,
        proxy_image: str | None = None,
        sidecar: IstioSidecar | None = IstioSidecar(),  # noqa: B008 - frozen value
        user_pods: UserPods | None = None,
        culler: IdleCuller | None = None,
        named_server_limit: int = 3,
        proxy_autoscaling: Autoscaling | None = None,
        proxy_routes: RouteStore | None = None,
        kubernetes_version: KubernetesVersion = KubernetesVersion.DEFAULT,
    ) -> None:
        super().__init__(scope, id)
        check_dns_label(self, "release", release)
        chosen = tuple(profiles) if profiles is not None else reference_profiles(self)
        self.user_service_account = api_object(
            self, "UserServiceAccount", api_version="v1", kind="ServiceAccount",
            name=f"{release}-{Component.SINGLEUSER.value}",
            labels=selector_labels(release, Component.SINGLEUSER),
            # Its token is mounted only into pods whose profile asks for it.
            automountServiceAccountToken=False,
        )
        self.hub = HubStatefulSet(
            self, "Hub", proxy_token=proxy_token, header_trust=header_trust, profiles=chosen,
            public_hosts=hosts, release=release,
            image=hub_image, admin_users=admin_users,
            user_service_account=self.user_service_account, user_pods=user_pods,
            culler=culler, named_server_limit=named_server_limit, sidecar=sidecar,
            kubernetes_version=kubernetes_version,
        )
        self.proxy = CHProxy(
            self, "Proxy", hub=self.hub, image=proxy_image, sidecar=sidecar,
            autoscaling=proxy_autoscaling, routes=proxy_routes,
        )
        self.profiles = chosen
        self.proxy_token = proxy_token

    @property
    def component_labels(self) -> dict[Component, dict[str, str]]:
        """The selector labels of each component's pods."""
        return {
            Component.HUB: dict(self.hub.labels),
            Component.PROXY: dict(self.proxy.labels),
            Component.SINGLEUSER: self.hub.user_pod_labels,
        }

    @property
    def flows(self) -> tuple[Flow, ...]:
        """Who talks to whom inside the app: the proxy forwards to the hub and user servers,
        the hub drives the proxy's API and calls user servers, user servers call the hub API."""
        hub, proxy = self.hub, self.proxy
        return (
            Flow(Component.PROXY, Component.HUB, hub.port),
            Flow(Component.SINGLEUSER, Component.HUB, hub.port),
            Flow(Component.HUB, Component.PROXY, proxy.API_PORT),
            Flow(Component.PROXY, Component.SINGLEUSER, USER_PORT),
            Flow(Component.HUB, Component.SINGLEUSER, USER_PORT),
        )
