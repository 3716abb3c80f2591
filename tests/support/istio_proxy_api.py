"""A stand-in for jupyterhub-istio-proxy's REST API (splunk/jupyterhub-istio-proxy v0.3.0,
commit d57a2e0a), whose Go binary no registry here has. Each rule follows that version's
source, cited beside it; the VirtualServices it would keep in the Kubernetes API are a dict
(``virtual_services``), so a test can remove one behind the proxy's back."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

if TYPE_CHECKING:  # the hub runtime's tests import this module where cdk8s is not installed
    from constructs_lib import IstioProxy

__all__ = ["IstioProxyApi", "istio_proxy_api", "written_virtual_service"]

# main.go: VIRTUAL_SERVICE_PREFIX defaults to "jupyter".
DEFAULT_PREFIX = "jupyter"


class IstioProxyApi:
    """The proxy's state: the VirtualServices by name, each holding its route annotation."""

    def __init__(self, token: str, prefix: str = DEFAULT_PREFIX) -> None:
        self.token = token
        self.prefix = prefix
        self.virtual_services: dict[str, dict[str, Any]] = {}
        self.deletes: list[tuple[str, int]] = []

    def name(self, path: str) -> str:
        # proxy/istio.go, virtualServiceNameWithPrefix: prefix, "-", SHA-256 of the path.
        return f"{self.prefix}-{hashlib.sha256(path.encode()).hexdigest()}"

    def annotation(self) -> str:
        # proxy/istio.go, virtualServiceAnnotationNameWithPrefix.
        return f"{self.prefix}.splunk.io/proxy-data"


class _Handler(tornado.web.RequestHandler):
    def initialize(self, api: IstioProxyApi) -> None:
        self.api = api

    def prepare(self) -> None:
        # proxy/http.go, authorizedWithToken: split on "token "; exactly two parts, the second
        # the token, else 403 {"error": "invalid credentials"}.
        parts = self.request.headers.get("Authorization", "").split("token ")
        if len(parts) != 2 or parts[1] != self.api.token:
            self._abort(403, "invalid credentials")

    def _abort(self, status: int, error: str) -> None:
        # gin's AbortWithStatusJSON; the handler's later c.Status(...) cannot change a status
        # already written (gin's responseWriter.WriteHeader only warns).
        self.set_status(status)
        self.finish({"error": error})

    def get(self, path: str) -> None:
        if path:  # proxy/http.go registers GET /api/routes only.
            raise tornado.web.HTTPError(404)
        # proxy/list.go, listRegisteredRoutes: every VirtualService with the annotation, keyed
        # by its route_spec; proxy/route.go, marshalRoute: target, jupyterhub, then the data.
        routes: dict[str, Any] = {}
        for vs in self.api.virtual_services.values():
            encoded = vs["metadata"]["annotations"][self.api.annotation()]
            route = json.loads(base64.b64decode(encoded))
            routes[route["route_spec"]] = {
                "target": route["target"],
                "jupyterhub": route.get("jupyterhub", False),
                **route.get("data", {}),
            }
        self.finish(routes)

    def post(self, path: str) -> None:
        # proxy/http.go: the route is gin's *path parameter (with its leading "/");
        # proxy/route.go, unmarshalRoute: target and jupyterhub out of the body, the rest data.
        try:
            body = json.loads(self.request.body)
        except ValueError:
            self._abort(400, "improper json body")
            return
        route: dict[str, Any] = {"route_spec": path, "target": body.pop("target", "")}
        if body.pop("jupyterhub", False) is True:
            route["jupyterhub"] = True
        body.pop("routespec", None)
        if body:
            route["data"] = body
        name = self.api.name(path)
        # proxy/create.go, createVirtualService: an existing VirtualService ("already exists")
        # is kept as it is, and the answer is still 201.
        self.api.virtual_services.setdefault(
            name,
            {
                "metadata": {
                    "name": name,
                    "annotations": {
                        self.api.annotation(): base64.b64encode(
                            json.dumps(route, separators=(",", ":")).encode()
                        ).decode()
                    },
                }
            },
        )
        self.set_status(201)
        self.finish()

    def delete(self, path: str) -> None:
        # proxy/delete.go, deleteRoute: Delete of the VirtualService by name; a missing one is
        # the Kubernetes API's NotFound error, and proxy/http.go answers every error with 500
        # {"error": "failed to delete route"}. Success is 204.
        name = self.api.name(path)
        if self.api.virtual_services.pop(name, None) is None:
            self.api.deletes.append((path, 500))
            self._abort(500, "failed to delete route")
            return
        self.api.deletes.append((path, 204))
        self.set_status(204)
        self.finish()


@asynccontextmanager
async def istio_proxy_api(token: str) -> AsyncIterator[tuple[IstioProxyApi, str]]:
    """Serve the stand-in on 127.0.0.1 in this event loop; yields it and its base URL."""
    api = IstioProxyApi(token)
    app = tornado.web.Application([(r"/api/routes(/.*)?", _Handler, {"api": api})])
    sockets = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(app)
    server.add_sockets(sockets)
    try:
        yield api, f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
    finally:
        server.stop()
        await server.close_all_connections()


def written_virtual_service(
    proxy: IstioProxy, namespace: str, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    """The VirtualService the proxy creates for ``POST /api/routes<path>`` with ``body``, as
    its code builds it: the name from proxy/istio.go (``virtualServiceNameWithPrefix``:
    prefix, "-", SHA-256 of the path), the annotation from proxy/create.go
    (``annotationForRoute``) and proxy/route.go (``encodeRoute``), the destination host from
    proxy/create.go:45-52 (``splitTarget``, then ``.<namespace>.svc.<cluster domain>``
    unless the host already ends in ``.svc.<cluster domain>``) and the spec from
    ``virtualService`` in proxy/create.go:118-158."""
    name = f"{proxy.virtual_service_prefix}-{hashlib.sha256(path.encode()).hexdigest()}"
    route: dict[str, Any] = {"route_spec": path, "target": body["target"]}
    if body.get("jupyterhub"):
        route["jupyterhub"] = True
    data = {k: v for k, v in body.items() if k not in ("jupyterhub", "target", "routespec")}
    if data:
        route["data"] = dict(sorted(data.items()))  # Go's json.Marshal sorts map keys
    target = urlsplit(body["target"])
    host = target.hostname or ""
    if not host.endswith(f".svc.{proxy.cluster_domain}"):
        host = f"{host}.{namespace}.svc.{proxy.cluster_domain}"
    return {
        "apiVersion": "networking.istio.io/v1alpha3",
        "kind": "VirtualService",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {
                f"{proxy.virtual_service_prefix}.splunk.io/proxy-data": base64.b64encode(
                    json.dumps(route, separators=(",", ":")).encode()
                ).decode()
            },
        },
        "spec": {
            "hosts": [proxy.host],
            "gateways": [proxy.gateway_name],
            "http": [
                {
                    "match": [{"uri": {"prefix": path}}],
                    "route": [{"destination": {"host": host, "port": {"number": target.port}}}],
                    "headers": {"response": {"set": {"jupyter-proxy-id": name}}},
                }
            ],
        },
    }
