"""The hub's routes as Istio VirtualServices, written by the hub itself (``IstioProxy``).

Each route JupyterHub adds becomes one VirtualService in the hub's namespace, bound to the
release's Gateway, so the ingress gateway sends requests to the hub and to user servers with
no proxy process between. The objects keep the shape splunk/jupyterhub-istio-proxy v0.3.0
gave them (``proxy/create.go``, ``virtualService``; ``proxy/istio.go``; ``proxy/route.go``):
the name ``<prefix>-<sha256 of the route spec>``, the route in the annotation
``<prefix>.splunk.io/proxy-data``, so a hub that replaces that proxy lists and deletes the
routes it wrote. Unlike it, a route spec with a host (JupyterHub's ``subdomain_host``:
``alice.users.example.org/user/alice/``) is matched on that host, not as a path prefix.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import os
import re
import string
from typing import Any
from urllib.parse import urlsplit

from jupyterhub.proxy import Proxy
from kubernetes_asyncio.client.rest import ApiException
from kubespawner import KubeSpawner
from kubespawner.clients import load_config, shared_client
from traitlets import List, Unicode, default

from hub_runtime.settings import VIRTUAL_SERVICE_API

__all__ = ["PROXY_CLASS", "VirtualServiceProxy", "virtual_service", "virtual_service_name"]

GROUP, _, VERSION = VIRTUAL_SERVICE_API.partition("/")
PLURAL = "virtualservices"
# Where a pod's namespace is when no variable names it (what KubeSpawner reads too).
_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
# A host as Istio's VirtualService validation takes it (validation.go, ValidateFQDN's
# labels): lowercase DNS labels; the route spec's host is JupyterHub's idna hook's output.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# An escape as Python's quote writes it (upper-case hex), and the characters whose escapes
# the gateway's normalization decodes (RFC 3986's unreserved: kPathCharLookup's UNESCAPE).
_HEX = re.compile("[0-9A-F]{2}")
_NORMALIZED = frozenset(string.ascii_letters + string.digits + "-._~")


def virtual_service_name(prefix: str, routespec: str) -> str:
    """proxy/istio.go, ``virtualServiceNameWithPrefix``: the prefix, ``-``, the SHA-256 of
    the route spec in hex. Any user name or route spec gives a valid name (a DNS label
    prefix and 64 hex digits) that no other route spec gives."""
    return f"{prefix}-{hashlib.sha256(routespec.encode()).hexdigest()}"


def annotation_key(prefix: str) -> str:
    """proxy/istio.go, ``virtualServiceAnnotationNameWithPrefix``."""
    return f"{prefix}.splunk.io/proxy-data"


def encode_route(routespec: str, target: str, data: dict[str, Any]) -> str:
    """proxy/route.go, ``encodeRoute``: base64 of the route's JSON (its json tags)."""
    route = {"route_spec": routespec, "target": target, "jupyterhub": True, "data": data}
    return base64.b64encode(json.dumps(route, sort_keys=True).encode()).decode()


def decode_route(value: object) -> dict[str, Any] | None:
    """proxy/route.go, ``decodeRoute``; ``None`` for anything that is not such a route (the
    list skips it, as proxy/list.go does)."""
    if not isinstance(value, str):
        return None
    try:
        route = json.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(route, dict):
        return None
    spec, target, data = route.get("route_spec"), route.get("target"), route.get("data") or {}
    if not isinstance(spec, str) or not isinstance(target, str) or not isinstance(data, dict):
        return None
    return {"routespec": spec, "target": target, "data": data}


def _split(routespec: str) -> tuple[str | None, str]:
    """A route spec as host (``None``: a path on the hub's hosts) and path."""
    if routespec.startswith("/"):
        return None, routespec
    host, slash, path = routespec.partition("/")
    return host.lower(), slash + path


def _check_host(host: str, routespec: str) -> str:
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_DNS_LABEL.match(x) for x in labels):
        raise ValueError(f"route {routespec!r}: host {host!r} is not a DNS name")
    return host


def _check_path(path: str, routespec: str) -> str:
    """A path the gateway matches as written. Istio 1.30.3 normalizes every request's path
    before routing (pilot/pkg/networking/core/listener_builder.go: ``normalize_path``, Envoy's
    ``PathUtil::canonicalPath``, Chromium's ``url::CanonicalizePath``): ``\\`` becomes ``/``,
    escapes of unreserved characters are decoded and dot segments resolved, while other
    escapes (``%2F``, JupyterHub's ``%C3%A9``) stay (``path_with_escaped_slashes_action:
    KEEP_UNCHANGED``). A route with a dot segment, a ``\\`` or such an escape would never
    match, or would match another path than it names."""
    if any(part in (".", "..") for part in path.split("/")):
        raise ValueError(f"route {routespec!r}: path {path!r} has a dot segment")
    if any(ord(char) <= 0x20 or ord(char) == 0x7F or char in "?#\\" for char in path):
        raise ValueError(f"route {routespec!r}: path {path!r} is not a URL path")
    for escape in re.finditer("%(.{0,2})", path):
        digits = escape.group(1)
        if not _HEX.fullmatch(digits):
            raise ValueError(f"route {routespec!r}: path {path!r} has a bad escape %{digits}")
        if chr(int(digits, 16)) in _NORMALIZED:
            raise ValueError(
                f"route {routespec!r}: path {path!r} escapes {chr(int(digits, 16))!r}, which "
                "the gateway's path normalization would not keep"
            )
    return path


def destination(target: str, namespace: str, cluster_domain: str) -> tuple[str, int]:
    """proxy/create.go, ``createVirtualService``: the target's host, made a Service's FQDN
    (``<host>.<namespace>.svc.<cluster domain>``) unless it ends in ``.svc.<cluster
    domain>``; the port is the target's (proxy/route.go, ``splitTarget``), else its
    scheme's. A pod's address is refused: the mesh routes to Services."""
    parts = urlsplit(target)
    host = parts.hostname
    if parts.scheme not in _DEFAULT_PORTS or not host:
        raise ValueError(f"target {target!r} is not an http(s) URL with a host")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise ValueError(
            f"target {target!r} is an address: routes go to Services (KubeSpawner's "
            "per-user Services, services_enabled)"
        )
    if not host.endswith(f".svc.{cluster_domain}"):
        host = f"{host}.{namespace}.svc.{cluster_domain}"
    return host, parts.port or _DEFAULT_PORTS[parts.scheme]


def virtual_service(
    *,
    name: str,
    annotation: tuple[str, str],
    gateway: str,
    hosts: list[str],
    path: str,
    destination: tuple[str, int],
) -> dict[str, Any]:
    """proxy/create.go, ``virtualService``: one HTTP route, a URI prefix match, to one
    destination (without its response header, which only its warm-up read)."""
    host, port = destination
    return {
        "apiVersion": VIRTUAL_SERVICE_API,
        "kind": "VirtualService",
        "metadata": {"name": name, "annotations": dict([annotation])},
        "spec": {
            "hosts": hosts,
            "gateways": [gateway],
            "http": [
                {
                    "match": [{"uri": {"prefix": path}}],
                    "route": [{"destination": {"host": host, "port": {"number": port}}}],
                }
            ],
        },
    }


class VirtualServiceProxy(Proxy):  # type: ignore[misc]  # untyped package
    """JupyterHub's proxy API as VirtualServices the hub writes through the Kubernetes API
    (``kubernetes_asyncio``, configured as KubeSpawner configures it: in-cluster, else the
    kube config). Nothing to start: the Gateway follows the objects."""

    should_start = False

    namespace = Unicode(
        config=True,
        help="""The namespace the VirtualServices are written in; default the hub's own
        (POD_NAMESPACE, else the service account's namespace file), as KubeSpawner's.""",
    )
    gateway = Unicode(
        "",
        config=True,
        help="""The Istio Gateway (in ``namespace``) each VirtualService binds to.""",
    )
    name_prefix = Unicode(
        "jupyter",
        config=True,
        help="""The prefix of the VirtualServices' names and of their route annotation
        (jupyterhub-istio-proxy's VIRTUAL_SERVICE_PREFIX, whose default this is).""",
    )
    cluster_domain = Unicode(
        "cluster.local",
        config=True,
        help="""The cluster's DNS domain: a target ``http://<service>:<port>`` goes to
        ``<service>.<namespace>.svc.<cluster_domain>``.""",
    )
    hub_hosts = List(
        Unicode(),
        config=True,
        help="""The hosts of a route without one (the hub's public hosts, ``["*"]``: every
        host of the Gateway); what jupyterhub-istio-proxy's SUB_DOMAIN_HOST was.""",
    )
    user_domain = Unicode(
        "",
        config=True,
        help="""With per-user hosts, the domain every route's host is one label under
        (``users.example.org``); a route with another host is refused. Empty: routes with
        a host are refused.""",
    )

    @default("namespace")
    def _namespace(self) -> str:
        if os.environ.get("POD_NAMESPACE"):
            return os.environ["POD_NAMESPACE"]
        try:
            with open(_NAMESPACE_FILE, encoding="utf-8") as file:
                return file.read().strip()
        except OSError:
            return "default"

    @default("hub_hosts")
    def _hub_hosts(self) -> list[str]:
        return ["*"]

    async def _api(self) -> Any:
        # KubeSpawner's own call (its k8s_api_* traits): the loaded configuration is global
        # and cached by these arguments, so the same call keeps the same one.
        kube = KubeSpawner.class_traits()
        chosen = self.config.KubeSpawner

        def trait(name: str) -> Any:
            return chosen.get(name, kube[name].default())

        load_config(
            host=trait("k8s_api_host"),
            ssl_ca_cert=trait("k8s_api_ssl_ca_cert"),
            verify_ssl=trait("k8s_api_verify_ssl"),
        )
        return shared_client("CustomObjectsApi")

    def _hosts(self, host: str | None, routespec: str) -> list[str]:
        if host is None:
            return list(self.hub_hosts)
        _, _, domain = _check_host(host, routespec).partition(".")
        if not self.user_domain or domain != self.user_domain.lower():
            raise ValueError(
                f"route {routespec!r}: host {host!r} is not one label under the user "
                f"servers' domain {self.user_domain!r}"
            )
        return [host]

    def build(self, routespec: str, target: str, data: dict[str, Any]) -> dict[str, Any]:
        """The VirtualService of a route (validated as JupyterHub does first)."""
        routespec = self.validate_routespec(routespec)
        host, path = _split(routespec)
        return virtual_service(
            name=virtual_service_name(self.name_prefix, routespec),
            annotation=(
                annotation_key(self.name_prefix),
                encode_route(routespec, target, data),
            ),
            gateway=self.gateway,
            hosts=self._hosts(host, routespec),
            path=_check_path(path, routespec),
            destination=destination(target, self.namespace, self.cluster_domain),
        )

    async def add_route(self, routespec: str, target: str, data: dict[str, Any]) -> None:
        """Create the route's VirtualService, or replace what an existing one says (JupyterHub
        re-adds a route to change its target: ``Proxy.check_routes``). proxy/create.go
        skipped an existing one, leaving the old target."""
        body = self.build(routespec, target, data)
        api = await self._api()
        where = (GROUP, VERSION, self.namespace, PLURAL)
        try:
            await api.create_namespaced_custom_object(*where, body)
        except ApiException as error:
            if error.status != 409:
                raise
            # A merge patch replaces the lists (the whole spec) and this annotation.
            patch = {"metadata": body["metadata"], "spec": body["spec"]}
            await api.patch_namespaced_custom_object(
                *where,
                body["metadata"]["name"],
                patch,
                _content_type="application/merge-patch+json",
            )

    async def delete_route(self, routespec: str) -> None:
        """Delete the route's VirtualService; one already gone is deleted (JupyterHub's
        contract: "if it exists")."""
        routespec = self.validate_routespec(routespec)
        api = await self._api()
        name = virtual_service_name(self.name_prefix, routespec)
        try:
            await api.delete_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)
        except ApiException as error:
            if error.status != 404:
                raise
            self.log.warning("Route %s already deleted", routespec)

    async def get_all_routes(self) -> dict[str, dict[str, Any]]:
        """Every route of a VirtualService in the namespace holding this prefix's annotation
        (proxy/list.go, ``listRegisteredRoutes``); others, and annotations that do not decode
        to a route, are skipped."""
        api = await self._api()
        listed = await api.list_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL)
        key = annotation_key(self.name_prefix)
        routes: dict[str, dict[str, Any]] = {}
        for item in listed.get("items") or []:
            metadata = item.get("metadata") if isinstance(item, dict) else None
            if not isinstance(metadata, dict):
                continue
            annotations = metadata.get("annotations")
            if not isinstance(annotations, dict) or key not in annotations:
                continue
            route = decode_route(annotations[key])
            if route is None:
                self.log.warning("Skipping %s: its %s is no route", metadata.get("name"), key)
                continue
            routes[route["routespec"]] = route
        return routes


# What JupyterHub.proxy_class names (an import string the hub resolves at start).
PROXY_CLASS = f"{VirtualServiceProxy.__module__}.{VirtualServiceProxy.__name__}"
