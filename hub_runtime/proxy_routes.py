"""The hub's client of jupyterhub-istio-proxy (``IstioProxy``): CHP's REST API, routes kept
with their trailing slash, and a route already gone taken as deleted."""

from __future__ import annotations

from hub_runtime.proxy_client import RotatingTokenProxy

__all__ = ["PROXY_CLASS", "VirtualServiceRoutesProxy"]


class VirtualServiceRoutesProxy(RotatingTokenProxy):
    """The hub's proxy client (a token rotation waited out), but each route keeps its
    trailing slash on the wire, and deleting a route the proxy no longer has succeeds.

    JupyterHub drops the slash for CHP (``/user/alice/`` becomes ``/user/alice``), which
    matches whole path segments. jupyterhub-istio-proxy turns the path into a VirtualService
    ``uri.prefix``, a plain string prefix in Envoy: ``/user/alice`` would also match
    ``/user/alicex/``, and the Gateway tries the routes of its VirtualServices in their
    creation order, so alicex's requests (and cookies) could reach alice's server. With the
    slash, no user's route is a prefix of another user's. The proxy names a route's
    VirtualService after the path and lists it back under the same path, so adding,
    listing and deleting agree.
    """

    def _routespec_to_chp_path(self, routespec: str) -> str:
        path: str = self.validate_routespec(routespec)
        return path if path.startswith("/") else "/" + path

    async def delete_route(self, routespec: str) -> None:
        """Delete the route unless the proxy no longer lists it.

        jupyterhub-istio-proxy v0.3.0 answers a DELETE of a VirtualService that is gone with
        500 (``proxy/http.go``: every error of ``deleteRoute``, NotFound included), which
        JupyterHub retries and then raises, taking only 404 as gone: the server could then
        never be stopped or culled. The proxy's own list decides instead, before the DELETE
        and again if it fails (another hub task may have removed the route meanwhile).
        """
        routespec = self.validate_routespec(routespec)
        if routespec not in await self.get_all_routes():
            self.log.warning("Route %s already deleted", routespec)
            return
        try:
            await super().delete_route(routespec)
        except Exception:
            if routespec in await self.get_all_routes():
                raise
            self.log.warning("Route %s deleted meanwhile", routespec)


# What JupyterHub.proxy_class names (an import string the hub resolves at start).
PROXY_CLASS = f"{VirtualServiceRoutesProxy.__module__}.{VirtualServiceRoutesProxy.__name__}"
