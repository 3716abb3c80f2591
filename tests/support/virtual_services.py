"""The hub's VirtualService writer (``hub_runtime.virtual_services``) as a hub with
``IstioProxy`` runs it, and the objects it writes for given routes."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traitlets.config import Config

from hub_runtime.config import apply
from hub_runtime.settings import dump_settings

if TYPE_CHECKING:
    from constructs_lib import JupyterHub

__all__ = ["hub_writer", "written_virtual_services"]


def hub_writer(jupyterhub: JupyterHub, namespace: str = "jupyterhub") -> Any:
    """The proxy class the hub runs: its settings applied by the hub runtime, then
    ``JupyterHub.proxy_class`` resolved and built from that config as JupyterHub does
    (``host_routing`` as JupyterHub.init_proxy passes it), in ``namespace`` (the hub's pod's,
    from POD_NAMESPACE)."""
    from jupyterhub.app import JupyterHub as HubApp

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "settings.json"
        path.write_text(dump_settings(jupyterhub.hub.settings))
        config = Config()
        apply(config, path)
    config.VirtualServiceProxy.namespace = namespace
    app = HubApp(config=config)
    host_routing = bool(config.JupyterHub.get("subdomain_host"))
    return app.proxy_class(config=config, host_routing=host_routing)


def written_virtual_services(
    writer: Any, routes: list[tuple[str, str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The VirtualServices ``writer.add_route(routespec, target, data)`` leaves for
    ``routes`` added in this order, as stored (with their namespace): one per user (per
    ``group_of``), in the order each was first created."""
    from hub_runtime.virtual_services import group_of

    groups: dict[str, list[dict[str, Any]]] = {}
    for spec, target, data in routes:
        group = groups.setdefault(group_of(spec), [])
        group[:] = [r for r in group if r["routespec"] != spec]
        group.append({"routespec": spec, "target": target, "data": data})
    written = []
    for group in groups.values():
        built: dict[str, Any] = writer.build(group)
        written.append({**built, "metadata": {**built["metadata"], "namespace": writer.namespace}})
    return written
