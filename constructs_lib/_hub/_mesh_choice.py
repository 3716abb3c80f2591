"""The service mesh, chosen once for a whole JupyterHub: Istio (``IstioMesh``) or none.

Everything that exists only with a mesh follows that one choice: the sidecar injection of the
hub, the proxy and the user pods (each with its sidecar's resources), the user pods' scrape
annotations for the sidecar's merged metrics, ``HubNetworkPolicies``' allowance for
Prometheus on the ports the pods are scraped on (``scrape_ports``), ``IstioIngress`` (which
needs the mesh), and the Pod Security level ``HubNamespace.for_jupyterhub`` gives.
The parts' own ``sidecar`` fields (``HubOptions``, ``ProxyOptions``, ``UserPods``) default
to none and are for a part used on its own: under ``JupyterHub`` the mesh sets them, and one
given there is an error naming the mesh's field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import field
from typing import TYPE_CHECKING, Any, TypeVar

from constructs import Construct

from constructs_lib._core._checks import check_instance
from constructs_lib._core._endpoints import HUB_PORT
from constructs_lib._core._errors import invalid
from constructs_lib._core._names import Component
from constructs_lib._pods.pod import IstioSidecar
from constructs_lib._pods.user_pods import UserPods
from hub_runtime.frozen import frozen

if TYPE_CHECKING:
    from constructs_lib._proxies.interfaces import IProxy

__all__ = [
    "ISTIO_METRICS_PORT",
    "IstioMesh",
    "check_mesh",
    "mesh_options",
    "mesh_user_pods",
    "scrape_ports",
]

# The Istio sidecar's merged metrics (Envoy's and the application's, when annotated).
ISTIO_METRICS_PORT = 15020


# HubOptions, ProxyOptions or a proxy's other options (frozen dataclasses; IstioProxyOptions
# has no sidecar field: no pods).
_Options = TypeVar("_Options")


@frozen(kw_only=True)
class IstioMesh:
    """Istio sidecars in every pod of the hub: injected into the hub, the proxy and the user
    pods, with the resources of each part's sidecar; Prometheus scrapes the user pods'
    sidecars on ``metrics_port`` (``None``: not scraped). ``init_container`` says whether
    injected pods get Istio's init container (``istio-init``, NET_ADMIN and NET_RAW), which
    only a privileged namespace admits (``HubNamespace.for_jupyterhub`` follows it); default
    ``False``: Istio's CNI plugin sets up the traffic redirection instead."""

    hub_sidecar: IstioSidecar = field(default_factory=IstioSidecar)
    proxy_sidecar: IstioSidecar = field(default_factory=IstioSidecar)
    # Small: a user server's traffic is one browser's.
    user_sidecar: IstioSidecar = field(
        default_factory=lambda: IstioSidecar("10m", "128Mi", "100m", "128Mi")
    )
    metrics_port: int | None = ISTIO_METRICS_PORT
    # Envoy's Prometheus endpoint on that port.
    metrics_path: str = "/stats/prometheus"
    # False: Istio's CNI plugin, so the pods meet the restricted Pod Security level.
    init_container: bool = False

    def check(self, scope: Construct) -> None:
        for name in ("hub_sidecar", "proxy_sidecar", "user_sidecar"):
            sidecar = getattr(self, name)
            check_instance(scope, f"mesh.{name}", sidecar, IstioSidecar)
            sidecar.check(scope, f"mesh.{name}")
        check_instance(scope, "mesh.metrics_port", self.metrics_port, (int, type(None)))
        check_instance(scope, "mesh.init_container", self.init_container, bool)
        if self.metrics_port is not None and not 0 < self.metrics_port < 65536:
            raise invalid(scope, "mesh.metrics_port", self.metrics_port, "must be a TCP port")


def check_mesh(scope: Construct, mesh: object) -> IstioMesh | None:
    """The mesh, checked: an ``IstioMesh`` or ``None`` (no mesh)."""
    if mesh is None:
        return None
    if not isinstance(mesh, IstioMesh):
        raise invalid(scope, "mesh", mesh, "must be an IstioMesh or None")
    mesh.check(scope)
    return mesh


def _refuse_own(scope: Construct, field: str, value: Any, mesh_field: str) -> None:
    """A part's own setting that the mesh decides under JupyterHub."""
    if value is not None:
        raise invalid(
            scope,
            field,
            value,
            f"is the mesh's under JupyterHub: give mesh=IstioMesh({mesh_field}=...), or "
            "mesh=None for no mesh",
        )


def mesh_options(
    scope: Construct, mesh: IstioMesh | None, options: _Options, name: str, part: str
) -> _Options:
    """``options`` (a HubOptions or a proxy's options, as ``name``) with the sidecar of
    ``part`` (``hub`` or ``proxy``) that the mesh gives; options without a ``sidecar`` field
    (a proxy with no pods, ``IstioProxyOptions``) as they are."""
    own: Any = options
    if "sidecar" not in {spec.name for spec in dataclasses.fields(own)}:
        return options  # a proxy with no pods of its own (IstioProxy)
    _refuse_own(scope, f"{name}.sidecar", own.sidecar, f"{part}_sidecar")
    sidecar = getattr(mesh, f"{part}_sidecar") if mesh is not None else None
    replaced: _Options = dataclasses.replace(own, sidecar=sidecar)
    return replaced


def mesh_user_pods(scope: Construct, mesh: IstioMesh | None, pods: UserPods) -> UserPods:
    """``pods`` with the mesh's sidecar and, with one, the scrape of its merged metrics."""
    if not isinstance(pods, UserPods):
        return pods  # the hub names the wrong type
    _refuse_own(scope, "user_pods.sidecar", pods.sidecar, "user_sidecar")
    if mesh is None:
        return pods
    _refuse_own(scope, "user_pods.prometheus_port", pods.prometheus_port, "metrics_port")
    return dataclasses.replace(
        pods,
        sidecar=mesh.user_sidecar,
        prometheus_port=mesh.metrics_port,
        prometheus_path=mesh.metrics_path,
    )


def scrape_ports(proxy: IProxy) -> dict[Component, int]:
    """The port Prometheus scrapes on each component's pods, as their annotations say: the
    user pods' ``prometheus_port`` (under JupyterHub the mesh's ``metrics_port``), and the
    hub's ``/hub/metrics``, through its sidecar's merged metrics where it has one (Istio
    rewrites the hub's annotations to that port) or else on the hub's own port."""
    hub = proxy.hub
    ports: dict[Component, int] = {}
    if getattr(getattr(hub, "options", None), "scraped_by_annotations", False):
        sidecar = getattr(hub, "sidecar", None)
        ports[Component.HUB] = ISTIO_METRICS_PORT if sidecar is not None else HUB_PORT
    user_port = getattr(getattr(hub, "user_pods", None), "prometheus_port", None)
    if user_port is not None:
        ports[Component.SINGLEUSER] = user_port
    return ports
