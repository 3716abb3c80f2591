"""The hub's routes as Istio VirtualServices, written by the hub itself (``IstioProxy``).

Each user's routes (their default server's and their named servers') become one
VirtualService in the hub's namespace, bound to the release's Gateway, so the ingress gateway
sends requests to the hub and to user servers with no proxy process between; every other
route (the hub's ``/``, a service's) one of its own. Within one object the routes are
ordered longest path first, as configurable-http-proxy matches: the Gateway tries the
VirtualServices of a host in creation order, so a route per object would let a user's
default server (``/user/alice/``) take a named server's requests (``/user/alice/lab/``).

The objects keep the shape splunk/jupyterhub-istio-proxy v0.3.0 gave them
(``proxy/create.go``, ``virtualService``; ``proxy/istio.go``; ``proxy/route.go``): the name
``<prefix>-<sha256>`` of the group's first route spec (the user's default server's, the one
route's), the routes in the annotation ``<prefix>.splunk.io/proxy-data`` (v0.3.0's one route
object, or a list of them), so a hub that replaces that proxy lists, extends and deletes the
routes it wrote. Unlike it, a route spec with a host (JupyterHub's ``subdomain_host``:
``alice.users.example.org/user/alice/``) is matched on that host, not as a path prefix.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import ipaddress
import json
import os
import re
import string
import weakref
from typing import Any
from urllib.parse import urlsplit

from jupyterhub.proxy import Proxy
from kubernetes_asyncio.client.rest import ApiException
from kubespawner import KubeSpawner
from kubespawner.clients import load_config, shared_client
from traitlets import Integer, List, Unicode, default

from hub_runtime.settings import VIRTUAL_SERVICE_API

__all__ = [
    "PROXY_CLASS",
    "VirtualServiceProxy",
    "decode_routes",
    "group_of",
    "virtual_service",
    "virtual_service_name",
]

GROUP, _, VERSION = VIRTUAL_SERVICE_API.partition("/")
PLURAL = "virtualservices"
# Where a pod's namespace is when no variable names it (what KubeSpawner reads too).
_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
# A host as Istio's VirtualService validation takes it (validation.go, ValidateFQDN's
# labels): lowercase DNS labels; the route spec's host is JupyterHub's idna hook's output.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# A Service's name in the cluster's DNS: <service>.<namespace>.svc, then its domain if any.
_SERVICE_HOST = re.compile(r"^([^.]+\.[^.]+)\.svc(?:\..+)?$")
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


def _route_object(route: dict[str, Any]) -> dict[str, Any]:
    """proxy/route.go's ``route`` (its json tags) of one of ours."""
    return {
        "route_spec": route["routespec"],
        "target": route["target"],
        "jupyterhub": True,
        "data": route["data"],
    }


def encode_routes(routes: list[dict[str, Any]]) -> str:
    """proxy/route.go, ``encodeRoute``: base64 of the route's JSON; a list of them for a
    group of more than one."""
    objects = [_route_object(route) for route in routes]
    value = objects[0] if len(objects) == 1 else objects
    return base64.b64encode(json.dumps(value, sort_keys=True).encode()).decode()


def _decoded(route: object) -> dict[str, Any] | None:
    if not isinstance(route, dict):
        return None
    spec, target, data = route.get("route_spec"), route.get("target"), route.get("data") or {}
    if not isinstance(spec, str) or not isinstance(target, str) or not isinstance(data, dict):
        return None
    return {"routespec": spec, "target": target, "data": data}


def decode_routes(value: object) -> list[dict[str, Any]] | None:
    """proxy/route.go, ``decodeRoute`` (or a list of such routes, entries that are none
    left out); ``None`` when no route is left (the list skips it, as proxy/list.go does)."""
    if not isinstance(value, str):
        return None
    try:
        decoded = json.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return None
    routes = [_decoded(item) for item in (decoded if isinstance(decoded, list) else [decoded])]
    # One entry that is no route leaves the others (a group's object holds a user's servers).
    return [route for route in routes if route is not None] or None


# The user a route spec belongs to: its path's first "user/<name>/" (JupyterHub's
# User.proxy_spec: [host]<base_url>user/<escaped name>/, then a named server's name).
_USER_PATH = re.compile(r"^(/(?:[^/]+/)*?user/[^/]+/)")


def group_of(routespec: str) -> str:
    """The route spec whose VirtualService holds ``routespec``: its user's default server's
    (host and ``<base_url>user/<name>/``), else itself."""
    host, path = _split(routespec)
    found = _USER_PATH.match(path)
    return (host or "") + (found.group(1) if found else path)


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
    (``<host>.<namespace>.svc.<cluster domain>``) unless it names one already
    (``<service>.<namespace>.svc``, with a domain or without: KubeSpawner's
    dns_name_template writes ``cluster.local`` whatever the cluster's is, so its domain is
    replaced by ``cluster_domain``); the port is the target's (proxy/route.go,
    ``splitTarget``), else its scheme's. A pod's address is refused: the mesh routes to
    Services."""
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
    service = _SERVICE_HOST.match(host)
    if service is not None:
        host = f"{service.group(1)}.svc.{cluster_domain}"
    else:
        host = f"{host}.{namespace}.svc.{cluster_domain}"
    return host, parts.port or _DEFAULT_PORTS[parts.scheme]


def virtual_service(
    *,
    name: str,
    annotation: tuple[str, str],
    gateway: str,
    hosts: list[str],
    routes: list[tuple[str, tuple[str, int]]],
) -> dict[str, Any]:
    """proxy/create.go, ``virtualService``: per route a URI prefix match to one destination
    (without its response header, which only its warm-up read); here the routes of a group,
    ``(path, destination)``, longest path first."""
    ordered = sorted(routes, key=lambda route: (-len(route[0]), route[0]))
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
                for path, (host, port) in ordered
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
    conflict_retries = Integer(
        20,
        config=True,
        help="""How often a route's change is tried again when another write to its user's
        VirtualService came between its read and its write (409 Conflict).""",
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

    def _spawner_class(self) -> Any:  # KubeSpawner has no type hints
        """The hub's spawner class (``JupyterHub.spawner_class``, resolved by the hub), else
        KubeSpawner (a writer made without a hub)."""
        spawner_class = getattr(self.app, "spawner_class", None)
        if isinstance(spawner_class, type) and issubclass(spawner_class, KubeSpawner):
            return spawner_class
        return KubeSpawner

    def _kubespawner(self, name: str) -> Any:
        """The spawner's trait ``name`` as configured, else its default: the sections
        traitlets reads for the spawner class, most general first (``Spawner``,
        ``KubeSpawner``, then its subclasses': ``Configurable.section_names``), the last
        setting winning, as the spawners' own value does."""
        spawner_class = self._spawner_class()
        value = spawner_class.class_traits()[name].default()
        for section in spawner_class.section_names():
            if section in self.config and name in self.config[section]:
                value = self.config[section][name]
        return value

    async def _api(self) -> Any:
        # KubeSpawner's own call (its k8s_api_* traits): the loaded configuration is global
        # and cached by these arguments, so the same call keeps the same one.
        load_config(
            host=self._kubespawner("k8s_api_host"),
            ssl_ca_cert=self._kubespawner("k8s_api_ssl_ca_cert"),
            verify_ssl=self._kubespawner("k8s_api_verify_ssl"),
        )
        return shared_client("CustomObjectsApi")

    @property
    def _timeout(self) -> Any:
        """Every call's timeout: KubeSpawner's k8s_api_request_timeout (kubernetes_asyncio
        has none, so a hung API server would hang the hub's start and every spawn)."""
        return self._kubespawner("k8s_api_request_timeout")

    def _lock(self, name: str) -> asyncio.Lock:
        """One change at a time to an object from this hub (the API server's 409 settles
        what other writers do)."""
        # A lock belongs to one event loop (the hub has one; a test may run several).
        loops = self.__dict__.setdefault("_object_locks", weakref.WeakKeyDictionary())
        locks: dict[str, asyncio.Lock] = loops.setdefault(asyncio.get_running_loop(), {})
        return locks.setdefault(name, asyncio.Lock())

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

    def build(self, routes: list[dict[str, Any]]) -> dict[str, Any]:
        """The VirtualService of a group's routes (``routespec``, ``target``, ``data``), each
        validated as JupyterHub does first."""
        specs = [self.validate_routespec(route["routespec"]) for route in routes]
        groups = {group_of(spec) for spec in specs}
        if len(groups) != 1:
            raise ValueError(f"routes {specs} are not one user's")
        (group,) = groups
        host, _ = _split(group)
        built = []
        for spec, route in zip(specs, routes, strict=True):
            _, path = _split(spec)
            built.append(
                (
                    _check_path(path, spec),
                    destination(route["target"], self.namespace, self.cluster_domain),
                )
            )
        stored = [{**route, "routespec": spec} for spec, route in zip(specs, routes, strict=True)]
        return virtual_service(
            name=virtual_service_name(self.name_prefix, group),
            annotation=(annotation_key(self.name_prefix), encode_routes(stored)),
            gateway=self.gateway,
            hosts=self._hosts(host, group),
            routes=built,
        )

    def build_route(self, routespec: str, target: str, data: dict[str, Any]) -> dict[str, Any]:
        """The VirtualService of one route alone (its user's first)."""
        return self.build([{"routespec": routespec, "target": target, "data": data}])

    async def _read(self, api: Any, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = await api.get_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURAL, name, _request_timeout=self._timeout
            )
        except ApiException as error:
            if error.status != 404:
                raise
            return None
        return found

    def _held(self, found: dict[str, Any] | None) -> list[dict[str, Any]]:
        """The routes an object holds (none if it holds none of ours)."""
        if found is None:
            return []
        annotations = (found.get("metadata") or {}).get("annotations") or {}
        decoded = decode_routes(annotations.get(annotation_key(self.name_prefix))) or []
        return self._ours_of(found["metadata"].get("name"), decoded) or []

    async def _write(self, api: Any, name: str, found: dict[str, Any] | None, routes: Any) -> None:
        """Create the object, or replace it if it is still ``found`` (a patch naming its
        resourceVersion: the API server refuses it with 409 if another write came first);
        delete it when no route is left, on the same condition."""
        where = (GROUP, VERSION, self.namespace, PLURAL)
        if found is None:
            await api.create_namespaced_custom_object(
                *where, self.build(routes), _request_timeout=self._timeout
            )
            return
        version = found["metadata"].get("resourceVersion")
        if not routes:
            await api.delete_namespaced_custom_object(
                *where,
                name,
                body={"preconditions": {"resourceVersion": version}},
                _request_timeout=self._timeout,
            )
            return
        body = self.build(routes)
        # A merge patch replaces the lists and this annotation; a key of the found spec the
        # writer does not write (``tcp``, ``exportTo`` added by hand) is removed by a null,
        # else the object would never read as written and be patched at every listing.
        spec = {key: None for key in found.get("spec") or {}} | body["spec"]
        patch = {"metadata": {**body["metadata"], "resourceVersion": version}, "spec": spec}
        await api.patch_namespaced_custom_object(
            *where,
            name,
            patch,
            _content_type="application/merge-patch+json",
            _request_timeout=self._timeout,
        )

    async def _change(self, routespec: str, change: Any) -> None:
        """Read the group's object, ``change`` its routes, write them back; again from the
        read when another write came between (409)."""
        api = await self._api()
        name = virtual_service_name(self.name_prefix, group_of(routespec))
        async with self._lock(name):
            await self._change_once(api, name, routespec, change)

    async def _change_once(self, api: Any, name: str, routespec: str, change: Any) -> None:
        for _ in range(self.conflict_retries):
            found = await self._read(api, name)
            routes = change(self._held(found))
            if routes is None:
                return
            try:
                await self._write(api, name, found, routes)
            except ApiException as error:
                if error.status in (404, 409):
                    # Deleted, created or changed by another writer since the read.
                    self.log.info(
                        "Route %s: %s changed meanwhile (%s)", routespec, name, error.status
                    )
                    continue
                raise
            return
        raise RuntimeError(f"route {routespec!r}: still conflicting after retries")

    async def add_route(self, routespec: str, target: str, data: dict[str, Any]) -> None:
        """Add the route to its user's VirtualService (creating it), or replace what it says
        (JupyterHub re-adds a route to change its target: ``Proxy.check_routes``).
        proxy/create.go skipped an existing one, leaving the old target."""
        routespec = self.validate_routespec(routespec)
        route = {"routespec": routespec, "target": target, "data": data}
        self.build([route])  # refused before anything is written

        def added(held: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [*(r for r in held if r["routespec"] != routespec), route]

        await self._change(routespec, added)

    async def delete_route(self, routespec: str) -> None:
        """Remove the route (the object with its last route); one already gone is deleted
        (JupyterHub's contract: "if it exists"). Not validated: a route written before the
        hub's hosts changed (a path route, now that user_hosts is set) is one
        ``Proxy.check_routes`` deletes as stale, and a refusal would stop the hub's start."""
        if not routespec.endswith("/"):
            routespec += "/"  # Proxy.validate_routespec's one change

        def removed(held: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
            if all(r["routespec"] != routespec for r in held):
                self.log.warning("Route %s already deleted", routespec)
                return None
            return [r for r in held if r["routespec"] != routespec]

        await self._change(routespec, removed)

    async def get_all_routes(self) -> dict[str, dict[str, Any]]:
        """Every route of a VirtualService in the namespace holding this prefix's annotation
        (proxy/list.go, ``listRegisteredRoutes``) under the name this writer gives its
        routes; other objects, and annotations that are not such routes, are skipped.

        An object that says other than what this writer would write for its routes (one
        jupyterhub-istio-proxy wrote, with hosts ``*`` and its response header; or written
        before the hub's hosts or gateway changed) is written again: JupyterHub re-adds a
        route only when its target changes (``Proxy.check_routes``), and a hub route left on
        ``*`` would take requests on every user's host, past the edge's auth."""
        api = await self._api()
        listed = await api.list_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, _request_timeout=self._timeout
        )
        routes: dict[str, dict[str, Any]] = {}
        for item in listed.get("items") or []:
            held = self._routes_of(item)
            if held is None:
                continue
            for route in held:
                routes[route["routespec"]] = route
            await self._repair(api, item, held)
        return routes

    def _routes_of(self, item: object) -> list[dict[str, Any]] | None:
        """The routes ``item`` holds if it is one of this writer's objects, else None."""
        metadata = item.get("metadata") if isinstance(item, dict) else None
        if not isinstance(metadata, dict):
            return None
        annotations = metadata.get("annotations")
        key = annotation_key(self.name_prefix)
        if not isinstance(annotations, dict) or key not in annotations:
            return None
        name = metadata.get("name")
        return self._ours_of(name, decode_routes(annotations[key]) or [])

    def _ours_of(self, name: object, decoded: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """The routes of ``decoded`` that are ours in the object ``name``; None if none is.
        Another entry is dropped when the object is next written (by _repair or a change):
        kept, it would fail every rewrite, and the running server's route, not listed, would
        be added again at every poll."""
        held = [route for route in decoded if self._ours(route, name)]
        key = annotation_key(self.name_prefix)
        if not held:
            self.log.warning("Skipping %s: its %s holds no routes of ours", name, key)
            return None
        if len(held) < len(decoded):
            dropped = len(decoded) - len(held)
            self.log.warning("%s: %d entries of its %s are no routes of ours", name, dropped, key)
        return held

    def _ours(self, route: dict[str, Any], name: object) -> bool:
        """A route as add_route stores it: its spec JupyterHub's (a trailing slash, a path or
        a host then a path), in the object its group names, its data JSON scalars only
        (JupyterHub reads ``user``, ``server_name``, ``service`` as keys)."""
        spec = route["routespec"]
        if not spec.endswith("/") or spec.startswith("//") or " " in spec:
            return False
        if name != virtual_service_name(self.name_prefix, group_of(spec)):
            return False
        scalars = (str, bool, int, float, type(None))
        return all(isinstance(value, scalars) for value in route["data"].values())

    async def _repair(self, api: Any, item: dict[str, Any], held: list[dict[str, Any]]) -> None:
        """Write ``item`` again as build() would, if it says otherwise or holds entries that
        are no routes of ours (a route the writer refuses now is left to check_routes, which
        deletes it as stale). Best effort: a write the API refuses or does not answer is
        logged and tried again at the next listing, never raised, since one object must not
        stop the hub's start or the checking of every other route."""
        try:
            wanted = self.build(held)
        except ValueError:
            return
        name = item["metadata"]["name"]
        key = annotation_key(self.name_prefix)
        if item.get("spec") == wanted["spec"] and (
            item["metadata"]["annotations"][key] == wanted["metadata"]["annotations"][key]
        ):
            return
        self.log.warning("Rewriting %s: it says other than its routes", name)
        async with self._lock(name):
            try:
                await self._write(api, name, item, held)
            except ApiException as error:
                if error.status not in (404, 409):  # else changed meanwhile: seen next time
                    self.log.error("Could not rewrite %s: %s %s", name, error.status, error.reason)
            except Exception as error:  # a timeout, a connection the API dropped
                self.log.error("Could not rewrite %s: %r", name, error)


# What JupyterHub.proxy_class names (an import string the hub resolves at start).
PROXY_CLASS = f"{VirtualServiceProxy.__module__}.{VirtualServiceProxy.__name__}"
