"""The test cluster at scale: its API server (kmock), kube-proxy and cluster DNS, and its
kubelet, with two changes for thousands of pods on two cores:

- addresses from a /16 of loopback (the test cluster's /24 holds 155 pods);
- a user pod's containers are a light user server (``light_servers.py``) in one shared pool
  process, on the pod's own address and its container's port, not a jupyter-server process
  each: the kubelet's part (bind to the node, status through the status subresource,
  readiness, graceful deletion) is the test kubelet's own;
- kube-proxy as its default iptables mode is (``NodeServiceRules``): a Service's address is
  served by its endpoints' servers themselves, with no forwarder between (the test cluster's
  is a userspace copy of every byte, in the API's thread, which fell behind in bursts of
  100 Services' connections).

Of the controllers, only the garbage collector (KubeSpawner's per-user Service belongs to its
pod, and a Service left from a server's previous start would make the next one wait for its
deletion): nothing here makes StatefulSets or Deployments, the hub and the proxy of a
benchmark run as local processes pointed at this API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import aiohttp.web
import yaml

from tests.cluster.api import now
from tests.cluster.client import ApiClient, ApiError
from tests.cluster.cluster import _MACHINERY, Cluster
from tests.cluster.containers import ConfigError, References, environment
from tests.cluster.kinds import Kind, kind_of
from tests.cluster.kubelet import NODE_NAME, POD, Kubelet, _PodWorker
from tests.cluster.network import (
    CLUSTER_DOMAIN,
    SERVICE,
    AddressPool,
    HostsFile,
    ServiceProxy,
    is_ready,
)
from tests.support.manifests import ROOT

__all__ = ["GarbageCollector", "LightPool", "NodeServiceRules", "ScaleCluster"]

# What the garbage collector looks at for owners (KubeSpawner's per-user Service and, with
# internal SSL, Secret).
_OWNED = (kind_of("Service"), kind_of("Secret"))


class WideAddressPool(AddressPool):
    """127.A.0.0/16: Services in 127.A.0-15.x, pods in 127.A.16-254.x."""

    def __init__(self) -> None:
        super().__init__()
        self.prefix = f"127.{random.SystemRandom().randrange(16, 250)}"
        self.api = f"{self.prefix}.0.1"
        self._wide_services = iter(range(10, 16 * 256))
        self._wide_pods = iter(range(16 * 256, 255 * 256))

    def service(self) -> str:
        return self._address(self._wide_services)

    def pod(self) -> str:
        return self._address(self._wide_pods)

    def _address(self, numbers: Iterator[int]) -> str:
        for number in numbers:
            high, low = divmod(number, 256)
            if low not in (0, 255):  # what looks like a network or broadcast address
                return f"{self.prefix}.{high}.{low}"
        raise RuntimeError(f"no addresses left in {self.prefix}.0.0/16")


class LightPool:
    """The process of light user servers, and the kubelet's side of its protocol."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self._waiting: dict[str, asyncio.Future[None]] = {}
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.light_servers",
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log.open("wb"),
            start_new_session=True,
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while line := await self.process.stdout.readline():
            message = json.loads(line)
            key = message.get("started") or message.get("failed")
            future = self._waiting.pop(key, None)
            if future is None or future.done():
                continue
            if "failed" in message:
                future.set_exception(RuntimeError(message["error"]))
            else:
                future.set_result(None)

    def _send(self, command: dict[str, Any]) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write((json.dumps(command) + "\n").encode())

    async def serve(self, key: str, ip: str, port: int, env: dict[str, str]) -> None:
        future = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        self._send({"op": "start", "key": key, "ip": ip, "port": port, "env": env})
        await future

    def route(self, ip: str, port: int, keys: Iterable[str]) -> None:
        """Connections to ``ip:port`` served by the servers ``keys`` (none: refused)."""
        self._send({"op": "route", "ip": ip, "port": port, "keys": sorted(keys)})

    def end(self, key: str) -> None:
        if self.process is not None and self.process.returncode is None:
            self._send({"op": "stop", "key": key})

    async def close(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.process.wait(), 10)
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


class _LightPod(_PodWorker):
    """A user pod whose one container is a light server in the pool."""

    kubelet: LightKubelet

    async def _run(self) -> None:
        try:
            await self.client.patch(
                POD,
                self.kubelet.namespace,
                self.name,
                {"spec": {"nodeName": NODE_NAME}},
            )
            spec = self.pod["spec"]["containers"][0]
            try:
                env = environment(self.pod, spec, References(self.kubelet.namespace, {}, {}))
            except ConfigError as error:
                self.main[0].state = {"waiting": {"reason": error.reason, "message": error.message}}
                await self._write_status()
                return
            env["LIGHT_SERVER_ARGS"] = json.dumps(spec.get("args", []))
            port = int((spec.get("ports") or [{"containerPort": 8888}])[0]["containerPort"])
            await self.kubelet.pool.serve(self.uid, self.ip, port, env)
            self.phase = "Running"
            for state in self.main:
                state.state, state.ready = {"running": {"startedAt": now()}}, True
            await self._write_status()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            (self.directory / "kubelet-error.txt").write_text(repr(error))
            self.phase = "Failed"
            await self._write_status()

    async def _stop(self, grace: float) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task
        self.kubelet.pool.end(self.uid)


class NodeServiceRules(ServiceProxy):
    """kube-proxy in iptables mode, its default on Linux (Kubernetes 1.31,
    ``pkg/proxy/iptables/proxier.go``; "Virtual IPs and Service Proxies" in the reference
    docs): it watches Services and their endpoints and writes kernel rules, and forwards no
    byte itself. Per Service port, ``syncProxyRules``: with no ready endpoint, a REJECT rule
    ("has no endpoints": the connection is refused); else ``writeServiceToEndpointRules``, one
    rule per endpoint, each a ``statistic --mode random`` match of 1/(n-i) ("the final (or only
    if n == 1) rule is a guaranteed match"), jumping to that endpoint's chain, whose DNAT
    rewrites the destination to the pod's address and targetPort. The connection is then the
    pod's own. Here every pod is a light server in the pool, so the pool listens on the
    Service's address and hands each connection to one of the endpoints' servers at random
    (``light_servers.VirtualAddress``). An endpoint is a pod the selector matches and
    ``is_ready`` holds for; a targetPort other than the port its server listens on has
    nothing to DNAT to, as a pod with no such port would refuse it. Cluster DNS is the
    hosts file, as in the test cluster.

    kube-proxy learns of Services and endpoints through watches and writes its rules
    within its ``minSyncPeriod`` (1 s by default). Here it reads the API's change stream in
    the API's own process (``ClusterApi.changes``), not an HTTP watch: in a burst the test
    API's one thread is busy all the time, and its HTTP watches fell behind by more than
    the 30 s the hub waits for a started server to answer, while KubeSpawner, which lists
    its pods again every 10 s, had seen the pod running: spawns of ours failed on that lag,
    which a cluster's API server does not have."""

    def __init__(
        self,
        client: ApiClient,
        namespace: str,
        hosts: HostsFile,
        pool: LightPool,
        changes: Callable[[Kind, str], AsyncIterator[dict[str, Any]]],
    ) -> None:
        super().__init__(client, namespace, hosts)
        self.pool = pool
        self.changes = changes
        self._services: dict[str, dict[str, Any]] = {}
        # Services by their selector: (its sorted keys, their values) -> names. A pod's
        # change looks up the Services that select it, one look-up per distinct set of
        # keys (every per-user Service has the same), not a match against each of thousands.
        self._by_selector: dict[tuple[str, ...], dict[tuple[Any, ...], set[str]]] = {}
        # Service name -> its endpoints, the names of the ready pods it selects; and the
        # other way round. An event's object is the stored one, changed in place: what an
        # earlier event showed is kept here, not read again from it.
        self._endpoints: dict[str, set[str]] = {}
        self._member_of: dict[str, set[str]] = {}
        # Service name -> its selector's key in _by_selector, and the addresses ruled for it.
        self._selector_of: dict[str, tuple[tuple[str, ...], tuple[Any, ...]]] = {}
        self._addresses_of: dict[str, list[tuple[str, int]]] = {}
        # (ClusterIP, port) -> the endpoint pods' uids last written for it.
        self._rules: dict[tuple[str, int], frozenset[str]] = {}

    async def close(self) -> None:
        await super().close()
        self._rules.clear()

    async def _watch_pods(self) -> None:
        async for event in self.changes(POD, self.namespace):
            pod = event["object"]
            name = pod["metadata"]["name"]
            deleted = event["type"] == "DELETED"
            if deleted:
                self._pods.pop(name, None)
            else:
                self._pods[name] = pod
            selecting = set() if deleted or not is_ready(pod) else self._selecting(pod)
            before = self._member_of.pop(name, set())
            if selecting:
                self._member_of[name] = selecting
            for service in before | selecting:
                if service not in self._services:
                    continue
                if service in selecting:
                    self._endpoints[service].add(name)
                else:
                    self._endpoints[service].discard(name)
                self._sync(self._services[service])

    async def _watch_services(self) -> None:
        async for event in self.changes(SERVICE, self.namespace):
            service = event["object"]
            name = service["metadata"]["name"]
            deleted = event["type"] == "DELETED"
            if (key := self._selector_of.pop(name, None)) is not None:
                self._by_selector.get(key[0], {}).get(key[1], set()).discard(name)
            for pod in self._endpoints.pop(name, set()):
                self._member_of.get(pod, set()).discard(name)
            now = [] if deleted else _addresses(service)
            for address in self._addresses_of.pop(name, []):
                if address not in now:
                    self._write(address, frozenset())
            if deleted:
                self._services.pop(name, None)
                self.hosts.remove(name)
                continue
            if name not in self._services:
                self._add_names(service)
            self._services[name] = service
            keys, values = self._selector_of[name] = _selector_key(service)
            self._by_selector.setdefault(keys, {}).setdefault(values, set()).add(name)
            self._endpoints[name] = {
                pod_name
                for pod_name, pod in self._pods.items()
                if keys and is_ready(pod) and _pod_values(pod, keys) == values
            }
            for pod in self._endpoints[name]:
                self._member_of.setdefault(pod, set()).add(name)
            self._addresses_of[name] = now
            self._sync(service)

    def _add_names(self, service: dict[str, Any]) -> None:
        name, address = service["metadata"]["name"], service["spec"].get("clusterIP")
        if not address or address == "None":
            return
        names = [name, f"{name}.{self.namespace}", f"{name}.{self.namespace}.svc"]
        self.hosts.add(address, [*names, f"{name}.{self.namespace}.svc.{CLUSTER_DOMAIN}"])

    def _selecting(self, pod: dict[str, Any] | None) -> set[str]:
        """The Services whose selector matches the pod (a Service with none selects none)."""
        if pod is None:
            return set()
        names: set[str] = set()
        for keys, services in self._by_selector.items():
            if keys:
                names |= services.get(_pod_values(pod, keys), set())
        return names

    def _sync(self, service: dict[str, Any]) -> None:
        ip = service["spec"].get("clusterIP")
        if not ip or ip == "None":  # headless: DNS only, no rule
            return
        endpoints = [self._pods[name] for name in self._endpoints[service["metadata"]["name"]]]
        for port in service["spec"].get("ports", []):
            target = port.get("targetPort", port["port"])
            uids = frozenset(pod["metadata"]["uid"] for pod in endpoints if _serves(pod, target))
            self._write((ip, int(port["port"])), uids)

    def _write(self, address: tuple[str, int], uids: frozenset[str]) -> None:
        if self._rules.get(address, frozenset()) == uids:
            return
        if uids:
            self._rules[address] = uids
        else:
            self._rules.pop(address, None)
        self.pool.route(*address, uids)


_MISSING = object()


def _selector_key(service: dict[str, Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    selector = service["spec"].get("selector") or {}
    keys = tuple(sorted(selector))
    return keys, tuple(selector[k] for k in keys)


def _pod_values(pod: dict[str, Any], keys: tuple[str, ...]) -> tuple[Any, ...]:
    """The pod's values of the labels ``keys`` (a missing one as a value no selector has)."""
    labels = pod["metadata"].get("labels") or {}
    return tuple(labels.get(k, _MISSING) for k in keys)


def _addresses(service: dict[str, Any]) -> list[tuple[str, int]]:
    address = service["spec"].get("clusterIP")
    if not address or address == "None":  # headless: DNS only, no rule
        return []
    return [(address, int(port["port"])) for port in service["spec"].get("ports", [])]


def _serves(pod: dict[str, Any], target: int | str) -> bool:
    """Whether the pod's light server listens at the port ``target`` names (``_LightPod``:
    its first container's first port)."""
    ports = pod["spec"]["containers"][0].get("ports") or [{"containerPort": 8888}]
    first = ports[0]
    if isinstance(target, str):
        return bool(first.get("name") == target)
    return int(first["containerPort"]) == int(target)


class GarbageCollector:
    """Kubernetes' garbage collector for objects owned by pods, indexed by owner: a dependent
    whose ownerReferences are all pods, none of them left, is deleted (background
    propagation; ``pkg/controller/garbagecollector/garbagecollector.go``, ``attemptToDeleteItem``:
    "if all owners are absent, delete the dependent"). The test cluster's own collector
    (``tests/cluster/controllers.py``) lists every Service at each pod's deletion; at
    thousands of pods that is what the API would spend its time on."""

    def __init__(self, client: ApiClient, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self._live: set[str] = set()
        self._gone: set[str] = set()
        # Owner pod uid -> the dependents (kind index, name) it owns.
        self._dependents: dict[str, set[tuple[int, str]]] = {}
        self._owners: dict[tuple[int, str], set[str]] = {}

    async def run(self) -> None:
        await asyncio.gather(
            self._watch_pods(), *(self._watch_owned(index) for index in range(len(_OWNED)))
        )

    async def _watch_pods(self) -> None:
        async for event in self.client.watch(POD, self.namespace):
            uid = event["object"]["metadata"]["uid"]
            if event["type"] != "DELETED":
                self._live.add(uid)
                continue
            self._live.discard(uid)
            self._gone.add(uid)
            for dependent in self._dependents.pop(uid, set()):
                await self._collect(dependent)

    async def _watch_owned(self, index: int) -> None:
        async for event in self.client.watch(_OWNED[index], self.namespace):
            metadata = event["object"]["metadata"]
            dependent = (index, metadata["name"])
            self._forget(dependent)
            if event["type"] == "DELETED":
                continue
            references = metadata.get("ownerReferences") or []
            if not references or any(r.get("kind") != "Pod" for r in references):
                continue
            owners = {r["uid"] for r in references}
            self._owners[dependent] = owners
            for uid in owners:
                self._dependents.setdefault(uid, set()).add(dependent)
            # Made after its owner was deleted (the watch may show the two either way round).
            if owners <= self._gone:
                await self._collect(dependent)

    def _forget(self, dependent: tuple[int, str]) -> None:
        for uid in self._owners.pop(dependent, set()):
            self._dependents.get(uid, set()).discard(dependent)

    async def _collect(self, dependent: tuple[int, str]) -> None:
        owners = self._owners.get(dependent, set())
        if owners & self._live:
            return
        index, name = dependent
        try:
            await self.client.delete(_OWNED[index], self.namespace, name)
        except ApiError as error:
            if error.status != 404:
                raise


class LightKubelet(Kubelet):
    worker = _LightPod

    def __init__(self, *args: Any, pool: LightPool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool = pool


class ScaleCluster(Cluster):
    """One namespace's API server, kube-proxy, DNS and light kubelet, in a thread."""

    def __init__(self, namespace: str, workdir: Path, kinds: Iterable[Kind] = ()) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(namespace, kinds, {}, workdir)
        self.addresses = WideAddressPool()
        self.api.cluster_ip = self.addresses.service

    def __enter__(self) -> ScaleCluster:
        super().__enter__()
        return self

    async def _start(self) -> None:
        await self.api.__aenter__()
        self._runner = aiohttp.web.ServerRunner(aiohttp.web.Server(self.api))
        await self._runner.setup()
        site = aiohttp.web.TCPSite(self._runner, self.addresses.api, 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.api_url = f"http://{self.addresses.api}:{port}"
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self.admin = ApiClient(self._session, self.api_url, self.api.issue_token(_MACHINERY))
        self.pool = LightPool(self.workdir / "light-servers.log")
        await self.pool.start()
        self.proxy = NodeServiceRules(
            self.admin, self.namespace, self.hosts, self.pool, self.api.changes
        )
        self.kubelet = LightKubelet(
            self.admin,
            self.namespace,
            self.addresses,
            self.hosts.path,
            self.workdir,
            self.api_url,
            pool=self.pool,
        )
        self.collector = GarbageCollector(self.admin, self.namespace)
        parts = (self.proxy, self.kubelet, self.collector)
        self._tasks = [asyncio.create_task(part.run()) for part in parts]

    async def _stop(self) -> None:
        await super()._stop()
        await self.pool.close()

    def kubeconfig(self, path: Path) -> Path:
        """A kubeconfig of the cluster's admin (the hub's KubeSpawner uses it)."""
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "bench",
                    "clusters": [{"name": "c", "cluster": {"server": self.api_url}}],
                    "users": [{"name": "admin", "user": {"token": self.admin.token}}],
                    "contexts": [
                        {
                            "name": "bench",
                            "context": {
                                "cluster": "c",
                                "user": "admin",
                                "namespace": self.namespace,
                            },
                        }
                    ],
                }
            )
        )
        return path
