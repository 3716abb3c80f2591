"""The Kubernetes API server: kmock's ``KubernetesEmulator`` (objects stored as sent, create,
patch, delete, list, watch) plus what a real API server does around storage and what kmock
0.8 leaves out:

- authentication by bearer token (401 without one), RBAC and admission (``admission.py``),
  run *before* kmock stores anything: kmock's emulator stores a create before its reactions
  (handlers) run, so a refusal there would leave the refused object stored and watched;
- defaulting: uid, creationTimestamp, resourceVersion, namespace, a Service's clusterIP,
  a Secret's stringData, a pod's phase and requests;
- label and field selectors, ``timeoutSeconds`` on watches, ``watch=True`` as sent by
  kubernetes_asyncio (kmock recognizes only ``watch=true``);
- graceful pod deletion: a pod on a node gets a deletionTimestamp and stays until its kubelet
  has stopped it and deletes it with grace 0;
- the TokenRequest subresource (``serviceaccounts/<name>/token``), which kubelets use to give
  pods their service account's token.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime
import itertools
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import aiohttp.web
import attrs
from kmock import KubernetesEmulator, KubernetesError, Request, ResourceInfo, action, resource

from tests.cluster.admission import POD, Attributes, User, admit_pod, authorize
from tests.cluster.kinds import Kind, kind_of

__all__ = ["ClusterApi", "now"]

SERVICE = kind_of("Service")
SECRET = kind_of("Secret")
NAMESPACE = kind_of("Namespace")
SERVICE_ACCOUNT = kind_of("ServiceAccount")
_TRUE = ("true", "True", "1")


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@attrs.define(kw_only=True)
class ClusterApi(KubernetesEmulator):
    """The API server of one test cluster. ``cluster_ip`` hands out Service addresses."""

    cluster_ip: Callable[[], str]
    _tokens: dict[str, User] = attrs.field(factory=dict, init=False)
    _kinds: dict[str, Kind] = attrs.field(factory=dict, init=False)
    # Admission and storage of a create happen as one step, as quota admission requires.
    _admission: asyncio.Lock = attrs.field(factory=asyncio.Lock, init=False)
    _versions: Iterator[int] = attrs.field(factory=lambda: itertools.count(1), init=False)

    def serve(self, *kinds: Kind) -> None:
        """Declare resources before anything lists or watches them (else kmock answers 404)."""
        for kind in kinds:
            self._kinds[kind.resource] = kind
            self.resources[kind.resource] = ResourceInfo(
                kind=kind.kind,
                namespaced=kind.namespaced,
                verbs={"get", "list", "watch", "create", "patch", "delete"},
            )

    def issue_token(self, user: User) -> str:
        token = secrets.token_urlsafe(24)
        self._tokens[token] = user
        return token

    # The store, as admission reads it.

    def lookup(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any] | None:
        key = (_key(kind), namespace if kind.namespaced else None, name)
        if key not in self.objects or self.objects[key].deleted:
            return None
        return self.objects[key].raw

    def listing(self, kind: Kind, namespace: str | None) -> list[dict[str, Any]]:
        wanted = _key(kind)
        return [
            obj.raw
            for (res, ns, _), obj in self.objects.items()
            if res == wanted and not obj.deleted and (namespace is None or ns == namespace)
        ]

    # Requests.

    def add_namespace(self, manifest: dict[str, Any]) -> None:
        """Store a Namespace: kmock 0.8 cannot parse the ``namespaces`` resource's own URLs
        (``/api/v1/namespaces[/<name>]``), so namespaces are made here, not over HTTP."""
        metadata = manifest["metadata"]
        metadata.update(
            uid=str(uuid.uuid4()), creationTimestamp=now(), resourceVersion=self._version()
        )
        self.objects[_key(NAMESPACE), None, metadata["name"]] = manifest

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        if re.fullmatch(r"/api/v1/namespaces(/[^/]+)?/?", raw_request.path):
            return aiohttp.web.json_response(
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "status": "Failure",
                    "code": 405,
                    "reason": "MethodNotAllowed",
                    "message": "the test API serves no namespaces over HTTP",
                },
                status=405,
            )
        watch = raw_request.query.get("watch")
        if watch in _TRUE and watch != "true":
            raw_request = raw_request.clone(rel_url=raw_request.rel_url.update_query(watch="true"))
        return await super().__call__(raw_request)

    async def _handle(self, request: Request) -> aiohttp.web.StreamResponse:
        try:
            return await self._handle_recorded(request)
        finally:
            self._forget(request)

    def _forget(self, request: Request) -> None:
        """kmock 0.8 keeps every request it served (``RawHandler.__call__``), for tests that
        assert on them, and matches each new one against its reactions by scanning all of
        them (``View.__contains__``): each request costs the API time in proportion to the
        requests served so far. A benchmark's API spent 89% of its thread there and fell
        minutes behind. Nothing here reads that record: a request is dropped from it once
        served (a reaction is matched before it is answered)."""
        requests: list[Request] = self._requests
        for index in range(len(requests) - 1, -1, -1):
            if requests[index] is request:
                del requests[index]
                return

    async def _handle_recorded(self, request: Request) -> aiohttp.web.StreamResponse:
        user = self._authenticate(request)
        authorize(_attributes(request, user), self)
        kind = self._kind(request)
        if kind is None:
            return await super()._handle(request)
        if kind == SERVICE_ACCOUNT and request.subresource == "token":
            return await self._token_request(request)
        if request.action == action.CREATE:
            async with self._admission:
                self._admit_create(request, kind)
                return await super()._handle(request)
        if request.action in (action.UPDATE, action.DELETE) and request.name:
            self._check_precondition(request, kind)
        if request.action == action.UPDATE and isinstance(request.data, dict):
            request.data.setdefault("metadata", {})["resourceVersion"] = self._version()
        if request.action == action.DELETE and kind == POD and request.name:
            return await self._delete_pod(request)
        return await super()._handle(request)

    def _check_precondition(self, request: Request, kind: Kind) -> None:
        """Optimistic concurrency, as the API server's generic store does it (Kubernetes
        1.33, k8s.io/apiserver pkg/registry/generic/registry/store.go): a patch whose result
        names a resourceVersion other than the stored one (``Store.Update``: "the object has
        been modified"), and a delete whose ``preconditions.resourceVersion`` differs
        (``Store.Delete``, ``Preconditions.Check``), are refused with 409 Conflict."""
        stored = self.lookup(kind, request.namespace, request.name or "")
        data = request.data if isinstance(request.data, dict) else {}
        if stored is None:
            return  # kmock's 404
        current = stored["metadata"].get("resourceVersion")
        if request.action == action.UPDATE:
            wanted = (data.get("metadata") or {}).get("resourceVersion")
            why = (
                "the object has been modified; please apply your changes to the latest "
                "version and try again"
            )
        else:
            wanted = (data.get("preconditions") or {}).get("resourceVersion")
            why = (
                f"Precondition failed: ResourceVersion in precondition: {wanted}, "
                f"ResourceVersion in object meta: {current}"
            )
        if wanted is not None and wanted != current:
            qualified = f"{kind.plural}.{kind.group}" if kind.group else kind.plural
            raise KubernetesError(
                status=409,
                reason="Conflict",
                details={"kind": kind.plural, "name": request.name},
                message=f'Operation cannot be fulfilled on {qualified} "{request.name}": {why}',
            )

    def _authenticate(self, request: Request) -> User:
        header = request.headers.get("Authorization", "")
        user = self._tokens.get(header.removeprefix("Bearer ").strip())
        if user is None:
            raise KubernetesError(
                status=401, reason="Unauthorized", message="Unauthorized", details={"kind": ""}
            )
        return user

    def _kind(self, request: Request) -> Kind | None:
        if request.resource is None or not request.resource.plural:
            return None
        key = f"{request.resource.group}/{request.resource.version}/{request.resource.plural}"
        kind = self._kinds.get(key.lstrip("/"))
        if kind is None:
            raise KubernetesError(
                status=404,
                reason="NotFound",
                details={"kind": ""},
                message="the server could not find the requested resource",
            )
        return kind

    def _version(self) -> str:
        return str(next(self._versions))

    def _admit_create(self, request: Request, kind: Kind) -> None:
        body = request.data
        if not isinstance(body, dict):
            raise KubernetesError(
                status=400,
                reason="BadRequest",
                details={"kind": kind.plural},
                message="the body of the request was in an unknown format",
            )
        metadata = body.setdefault("metadata", {})
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = metadata["generateName"] + secrets.token_hex(3)[:5]
        namespace = request.namespace if kind.namespaced else None
        if kind.namespaced:
            if namespace is None or self.lookup(NAMESPACE, None, namespace) is None:
                raise KubernetesError(
                    status=404,
                    reason="NotFound",
                    details={"kind": "namespaces"},
                    message=f'namespaces "{namespace}" not found',
                )
            metadata["namespace"] = namespace
        metadata.update(
            uid=str(uuid.uuid4()), creationTimestamp=now(), resourceVersion=self._version()
        )
        if kind == SECRET:
            _default_secret(body)
        elif kind == SERVICE:
            _default_service(body, self.cluster_ip)
        elif kind == POD:
            assert namespace is not None
            _default_pod(body)
            admit_pod(body, namespace, self)

    async def _token_request(self, request: Request) -> aiohttp.web.StreamResponse:
        assert request.namespace is not None and request.name is not None
        if self.lookup(SERVICE_ACCOUNT, request.namespace, request.name) is None:
            raise KubernetesError(
                status=404,
                reason="NotFound",
                details={"kind": "serviceaccounts"},
                message=f'serviceaccounts "{request.name}" not found',
            )
        token = self.issue_token(User.service_account(request.namespace, request.name))
        return aiohttp.web.json_response(
            {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "status": {"token": token},
            },
            status=201,
        )

    async def _delete_pod(self, request: Request) -> aiohttp.web.StreamResponse:
        assert request.name is not None
        key = (_key(POD), request.namespace, request.name)
        pod = self.lookup(POD, request.namespace, request.name)
        if pod is None:
            return await super()._handle(request)  # kmock's 404
        grace = _grace_period(request, pod)
        # kmock 0.8 deletes an object on a deletionTimestamp without finalizers, and ignores
        # a second delete: both steps of a graceful deletion go to its store directly.
        async with self._lock:
            stored = self._objects[key]
            if grace > 0 and pod["spec"].get("nodeName"):
                if not stored.raw["metadata"].get("deletionTimestamp"):
                    until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=grace)
                    stored.patch(
                        {
                            "metadata": {
                                "deletionTimestamp": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "deletionGracePeriodSeconds": grace,
                                "resourceVersion": self._version(),
                            }
                        }
                    )
                    await self._buses[key[0]].put({"type": "MODIFIED", "object": stored.raw})
                return aiohttp.web.json_response(stored.raw)
            last = stored.raw
            stored.delete()
            await self._buses[key[0]].put({"type": "DELETED", "object": last})
            return aiohttp.web.json_response(last)

    async def _serve_list(self, request: Request) -> Any:
        listed: Any = await super()._serve_list(request)
        matches = _selectors(request)
        kind = self._kind(request)
        assert kind is not None
        return {
            "kind": f"{kind.kind}List",
            "apiVersion": kind.api_version,
            "metadata": {"resourceVersion": self._version()},
            "items": [item for item in listed["items"] if matches(item)],
        }

    async def _serve_watch(self, request: Request) -> AsyncIterator[Any]:
        matches = _selectors(request)
        timeout = float(request.params.get("timeoutSeconds") or 0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout if timeout else None
        events = aiter(self._listed_then_changed(request))
        # kmock may send an older state after a newer one; a real watch never does: drop what
        # was already sent.
        latest: dict[tuple[str | None, str], int] = {}
        deleted: set[tuple[str | None, str, int]] = set()

        def stale(event: dict[str, Any]) -> bool:
            metadata = event["object"]["metadata"]
            key = (metadata.get("namespace"), metadata["name"])
            version = int(metadata.get("resourceVersion") or 0)
            if event["type"] == "DELETED":
                if (*key, version) in deleted:
                    return True
                deleted.add((*key, version))
            elif version <= latest.get(key, -1):
                return True
            latest[key] = version
            return False

        try:
            while True:
                remaining = None if deadline is None else deadline - loop.time()
                if remaining is not None and remaining <= 0:
                    return  # the server ends a watch after timeoutSeconds
                try:
                    event: Any = await asyncio.wait_for(anext(events), remaining)
                except (TimeoutError, StopAsyncIteration):
                    return
                if isinstance(event, bytes) or (matches(event["object"]) and not stale(event)):
                    yield event
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    async def _listed_then_changed(self, request: Request) -> AsyncIterator[Any]:
        """kmock's watch (``KubernetesEmulator._serve_watch``, kmock 0.8), with its event bus
        marked under the store's lock together with the listing: kmock marks it only once
        the listing is sent, and a change stored meanwhile (while a watch of hundreds of
        pods is written to a busy client) reached that watch never. A real API server sends
        every change after the listing's resourceVersion."""
        yield b""  # the headers, as kmock sends them before anything happens
        assert request.resource is not None
        bus = self._buses[request.resource]
        emulator: Any = self
        async with self._lock:
            # kmock publishes each change while holding this lock (KubernetesEmulator._handle).
            marker = await bus.mark()
            objects = emulator._KubernetesEmulator__get_objs(request, strict=False)
            listed = [{"type": "ADDED", "object": o.raw} for o in objects if not o.deleted]
        try:
            for event in listed:
                yield event
            async for event in bus.stream(since=marker):
                metadata = event.get("object", {}).get("metadata", {})
                if emulator._KubernetesEmulator__check(
                    request,
                    request.resource,
                    metadata.get("namespace"),
                    metadata.get("name"),
                    strict=False,
                ):
                    yield event
        finally:
            await bus.unmark(marker)

    async def changes(self, kind: Kind, namespace: str) -> AsyncIterator[dict[str, Any]]:
        """A watch of the namespace's objects of ``kind`` for machinery in the API's own
        process, without HTTP: every stored object as ADDED, then each change from the
        store's event bus, marked under the store's lock with the listing (as
        ``_listed_then_changed``). An event's object is the stored one, as it is now."""
        bus = self._buses[_key(kind)]
        async with self._lock:
            marker = await bus.mark()
            listed = self.listing(kind, namespace)
        try:
            for raw in listed:
                yield {"type": "ADDED", "object": raw}
            async for event in bus.stream(since=marker):
                if event.get("object", {}).get("metadata", {}).get("namespace") == namespace:
                    yield event
        finally:
            await bus.unmark(marker)


def _key(kind: Kind) -> resource:
    return resource(kind.group, kind.version, kind.plural)


def _attributes(request: Request, user: User) -> Attributes:
    path = request.url.path
    if request.resource is None or not request.resource.plural:
        return Attributes(user=user, verb=str(request.method.value).lower(), path=path)
    method = str(request.method.value).upper()
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method)
    if verb is None and method == "GET":
        verb = (
            "watch" if request.params.get("watch") in _TRUE else "get" if request.name else "list"
        )
    if verb is None and method == "DELETE":
        verb = "delete" if request.name else "deletecollection"
    return Attributes(
        user=user,
        verb=verb or method.lower(),
        path=path,
        group=request.resource.group or "",
        resource=request.resource.plural,
        subresource=request.subresource,
        namespace=request.namespace,
        name=request.name,
    )


def _grace_period(request: Request, pod: Mapping[str, Any]) -> int:
    if "gracePeriodSeconds" in request.params:
        return int(request.params["gracePeriodSeconds"])
    if isinstance(request.data, dict) and request.data.get("gracePeriodSeconds") is not None:
        return int(request.data["gracePeriodSeconds"])
    return int(pod["spec"].get("terminationGracePeriodSeconds", 30))


def _default_secret(secret: dict[str, Any]) -> None:
    secret.setdefault("type", "Opaque")
    data = secret.setdefault("data", {})
    for key, value in (secret.pop("stringData", None) or {}).items():
        data[key] = base64.b64encode(value.encode()).decode()


def _default_service(service: dict[str, Any], cluster_ip: Callable[[], str]) -> None:
    spec = service.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    for port in spec.get("ports", []):
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port["port"])
    if spec.get("clusterIP") != "None":
        spec["clusterIP"] = cluster_ip()
        spec["clusterIPs"] = [spec["clusterIP"]]


def _default_pod(pod: dict[str, Any]) -> None:
    spec = pod.setdefault("spec", {})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    for container in spec.get("initContainers", []) + spec.get("containers", []):
        resources = container.setdefault("resources", {})
        for key, value in resources.get("limits", {}).items():
            resources.setdefault("requests", {}).setdefault(key, value)
    pod["status"] = {"phase": "Pending", "qosClass": "Burstable"}


def _selectors(request: Request) -> Callable[[Mapping[str, Any]], bool]:
    labels = _label_requirements(request.params.get("labelSelector", ""))
    fields = _field_requirements(request.params.get("fieldSelector", ""))

    def matches(obj: Mapping[str, Any]) -> bool:
        have = obj.get("metadata", {}).get("labels") or {}
        return all(test(have) for test in labels) and all(
            (_field(obj, path) == value) == equal for path, value, equal in fields
        )

    return matches


_SET_REQUIREMENT = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


@dataclasses.dataclass(frozen=True)
class _Requirement:
    """One requirement of a label selector: ``k=v``, ``k!=v``, ``k in (..)``, ``k``, ``!k``."""

    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def __call__(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.key)
        if self.operator in ("=", "in"):
            return value in self.values
        if self.operator in ("!=", "notin"):
            return value not in self.values
        return (value is not None) == (self.operator == "exists")


def _label_requirements(selector: str) -> list[_Requirement]:
    requirements = []
    for part in (p.strip() for p in re.split(r",(?![^(]*\))", selector)):
        found = _SET_REQUIREMENT.match(part)
        if not part:
            continue
        if found:
            values = frozenset(v.strip() for v in found[3].split(","))
            requirements.append(_Requirement(found[1], found[2], values))
        elif "!=" in part:
            key, value = part.split("!=", 1)
            requirements.append(_Requirement(key.strip(), "!=", frozenset({value.strip()})))
        elif "=" in part:
            key, value = part.replace("==", "=").split("=", 1)
            requirements.append(_Requirement(key.strip(), "=", frozenset({value.strip()})))
        elif part.startswith("!"):
            requirements.append(_Requirement(part[1:].strip(), "absent"))
        else:
            requirements.append(_Requirement(part, "exists"))
    return requirements


def _field_requirements(selector: str) -> list[tuple[str, str, bool]]:
    requirements = []
    for part in filter(None, (p.strip() for p in selector.split(","))):
        if "!=" in part:
            path, value = part.split("!=", 1)
            requirements.append((path.strip(), value.strip(), False))
        else:
            path, value = part.replace("==", "=").split("=", 1)
            requirements.append((path.strip(), value.strip(), True))
    return requirements


def _field(obj: Mapping[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return "" if value is None else str(value)
