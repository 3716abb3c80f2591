"""One test cluster: API server, cluster DNS and kube-proxy, controllers and a kubelet, all in
an event loop of their own (a thread), for one namespace. Tests talk to it synchronously."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import aiohttp.web

from tests.cluster.admission import User
from tests.cluster.api import ClusterApi
from tests.cluster.client import ApiClient
from tests.cluster.controllers import EXTERNAL_SECRET, Controllers
from tests.cluster.kinds import Kind, kind_of, kind_of_manifest
from tests.cluster.kubelet import NODE_NAME, Kubelet
from tests.cluster.network import AddressPool, HostsFile, ServiceProxy
from tests.cluster.scheduler import DEFAULT_SCHEDULER, NodeCapacity, Scheduler

__all__ = ["BASE_KINDS", "Cluster"]

T = TypeVar("T")

# What every cluster serves, whatever the apps bring.
BASE_KINDS = tuple(
    kind_of(k)
    for k in (
        "Pod",
        "Service",
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        "Event",
        "ResourceQuota",
        "PersistentVolumeClaim",
        "StorageClass",
        "StatefulSet",
        "Deployment",
        "DaemonSet",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
        "PriorityClass",
        "RuntimeClass",
    )
)
NAMESPACE = kind_of("Namespace")
_MACHINERY = User("kubernetes-admin", ("system:masters", "system:authenticated"))


class Cluster:
    def __init__(
        self,
        namespace: str,
        kinds: Iterable[Kind],
        vault: Mapping[tuple[str, str], str],
        workdir: Path,
        *,
        capacity: NodeCapacity | None = None,
        schedulers: Iterable[str] = (DEFAULT_SCHEDULER,),
    ) -> None:
        """``capacity``: the node's, with a scheduler (``scheduler.py``, serving the
        ``schedulers`` names) binding pods within it; None: the kubelet takes every pod."""
        self.namespace = namespace
        self.capacity = capacity
        self.schedulers = tuple(schedulers)
        self.addresses = AddressPool()
        self.workdir = workdir
        self.hosts = HostsFile(self.workdir / "hosts")
        self.api = ClusterApi(cluster_ip=self.addresses.service)
        self.kinds = {*BASE_KINDS, *kinds}
        self.api.serve(*self.kinds)
        self._vault = vault
        self._loop = asyncio.new_event_loop()
        # The kubelet waits on each running container in a thread of its own: the default
        # pool (CPUs + 4 threads) would leave none for stopping one once enough run.
        self._loop.set_default_executor(
            concurrent.futures.ThreadPoolExecutor(max_workers=256, thread_name_prefix="cluster")
        )
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name=f"cluster-{self.addresses.prefix}"
        )
        self._tasks: list[asyncio.Task[None]] = []

    def __enter__(self) -> Cluster:
        self._thread.start()
        try:
            self.run(self._start())
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *_: object) -> None:
        with contextlib.suppress(Exception):
            self.run(self._stop(), timeout=120)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _start(self) -> None:
        await self.api.__aenter__()
        # kmock's handler served by aiohttp's low-level server (what kmock.Server does, minus
        # its client-side DNS interception, which is global and not needed here).
        self._runner = aiohttp.web.ServerRunner(aiohttp.web.Server(self.api))
        await self._runner.setup()
        site = aiohttp.web.TCPSite(self._runner, self.addresses.api, 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.api_url = f"http://{self.addresses.api}:{port}"
        self._session = aiohttp.ClientSession()
        self.admin = ApiClient(self._session, self.api_url, self.api.issue_token(_MACHINERY))
        self.proxy = ServiceProxy(self.admin, self.namespace, self.hosts)
        self.controllers = Controllers(
            self.admin, self.namespace, self._vault, external_secrets=EXTERNAL_SECRET in self.kinds
        )
        self.kubelet = Kubelet(
            self.admin,
            self.namespace,
            self.addresses,
            self.hosts.path,
            self.workdir,
            self.api_url,
            binds=self.capacity is None,
        )
        parts: list[Any] = [self.proxy, self.controllers, self.kubelet]
        self.scheduler = None
        if self.capacity is not None:
            self.scheduler = Scheduler(
                self.admin, self.namespace, NODE_NAME, self.capacity, self.schedulers
            )
            parts.append(self.scheduler)
        self._tasks = [asyncio.create_task(part.run()) for part in parts]

    async def _stop(self) -> None:
        await self.kubelet.shutdown()
        await self.proxy.close()
        # Everything else of the loop: the machinery, open watches, probes.
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await self._session.close()
        await self._runner.cleanup()
        await self.api.__aexit__(None, None, None)

    def apply(self, manifests: Iterable[dict[str, Any]]) -> None:
        """``kubectl apply`` as the cluster's admin, in order."""
        for manifest in manifests:
            kind = kind_of_manifest(manifest)
            if kind == NAMESPACE:
                self.api.add_namespace(dict(manifest))
                # The service account controller's part: every namespace has "default".
                self.run(
                    self.admin.create(
                        kind_of("ServiceAccount"),
                        manifest["metadata"]["name"],
                        {"metadata": {"name": "default"}},
                    )
                )
                continue
            namespace = manifest["metadata"].get("namespace", self.namespace)
            self.run(
                self.admin.create(kind, namespace if kind.namespaced else None, dict(manifest))
            )

    def token(self, service_account: str) -> str:
        """A token of a service account of the namespace (as TokenRequest gives one)."""
        return self.api.issue_token(User.service_account(self.namespace, service_account))

    def pods(self) -> list[dict[str, Any]]:
        return self.run(self.admin.list(kind_of("Pod"), self.namespace))

    def running(self) -> set[str]:
        """The pods whose containers the kubelet runs (or is stopping)."""

        async def names() -> set[str]:
            return set(self.kubelet.pods)

        return self.run(names())

    def logs(self) -> str:
        """Every container's log, every kubelet error and whatever of the machinery failed,
        for a failing test's message."""
        parts = [
            f"--- machinery failed: {task.exception()!r}"
            for task in self._tasks
            if task.done() and not task.cancelled() and task.exception()
        ]
        for path in sorted((self.workdir / "pods").glob("*/*")):
            if path.suffix in (".log", ".txt"):
                parts.append(
                    f"--- {path.parent.name}/{path.name}\n"
                    f"{path.read_text(errors='replace')[-4000:]}"
                )
        return "\n".join(parts)
