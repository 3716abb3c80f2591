"""Cluster networking on loopback.

- Addresses: every pod and every Service ("ClusterIP") gets its own address in a random
  127.A.B.0/24 (all of 127.0.0.0/8 is local on Linux), so two test runs on one machine do not
  meet and every pod can bind the ports its containers declare.
- Cluster DNS: a hosts file with ``name``, ``name.ns``, ``name.ns.svc`` and
  ``name.ns.svc.cluster.local`` for every Service, which the kubelet bind-mounts over
  /etc/hosts in each pod's private mount namespace. A Service deleted loses its lines, and
  one made again resolves to its new address only (a bind mount follows the file's inode, so
  it is rewritten in place, never replaced). Like cluster DNS, no address is kept for a
  client: one that keeps an address itself (libcurl: 60 s) meets the old one, served no more.
- kube-proxy: a TCP forwarder on every Service port, to a ready pod the Service selects, at the
  port's targetPort (a container port's name or number). With no ready pod, the connection
  is reset, as kube-proxy's reject rule does.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import random
from pathlib import Path
from typing import Any

from tests.cluster.client import ApiClient
from tests.cluster.kinds import kind_of

__all__ = ["AddressPool", "HostsFile", "ServiceProxy", "is_ready"]

POD, SERVICE = kind_of("Pod"), kind_of("Service")
CLUSTER_DOMAIN = "cluster.local"


class AddressPool:
    """Loopback addresses of one cluster: the API server, Services, pods. Never reused."""

    def __init__(self) -> None:
        rng = random.SystemRandom()
        self.prefix = f"127.{rng.randrange(16, 250)}.{rng.randrange(1, 250)}"
        self.api = f"{self.prefix}.1"
        self._services = itertools.count(10)
        self._pods = itertools.count(100)

    def service(self) -> str:
        return self._next(self._services, 99)

    def pod(self) -> str:
        return self._next(self._pods, 254)

    def _next(self, counter: itertools.count[int], last: int) -> str:
        number = next(counter)
        if number > last:
            raise RuntimeError(f"no addresses left in {self.prefix}.0/24")
        return f"{self.prefix}.{number}"


class HostsFile:
    """The cluster's DNS: the machine's /etc/hosts, then one line per Service. A Service made
    again (KubeSpawner 7.0 deletes and recreates a user's at every start) gets a new address,
    and its names resolve to that one only, as cluster DNS answers: the resolver takes the
    first line that matches, so the file is rewritten in place (the same inode, which pods
    bind-mount), never appended to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._machine = Path("/etc/hosts").read_text()
        self._lines: dict[str, str] = {}
        path.write_text(self._machine)
        path.chmod(0o644)

    def add(self, address: str, names: list[str]) -> None:
        self._lines[names[0]] = f"{address} {' '.join(names)}\n"
        self._write()

    def remove(self, name: str) -> None:
        if self._lines.pop(name, None) is not None:
            self._write()

    def _write(self) -> None:
        with self.path.open("r+") as hosts:
            hosts.write(self._machine + "".join(self._lines.values()))
            hosts.truncate()


def is_ready(pod: dict[str, Any]) -> bool:
    """An endpoint: ready, with an address, and not terminating."""
    status = pod.get("status", {})
    return (
        bool(status.get("podIP"))
        and not pod["metadata"].get("deletionTimestamp")
        and any(
            c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", [])
        )
    )


class ServiceProxy:
    """kube-proxy and cluster DNS for the Services of one namespace."""

    def __init__(self, client: ApiClient, namespace: str, hosts: HostsFile) -> None:
        self.client = client
        self.namespace = namespace
        self.hosts = hosts
        self._pods: dict[str, dict[str, Any]] = {}
        self._servers: dict[str, list[asyncio.Server]] = {}
        self._connections: set[asyncio.StreamWriter] = set()

    async def run(self) -> None:
        await asyncio.gather(self._watch_pods(), self._watch_services())

    async def close(self) -> None:
        for servers in self._servers.values():
            for server in servers:
                server.close()
        for writer in list(self._connections):
            writer.transport.abort()
        self._servers.clear()

    async def _watch_pods(self) -> None:
        async for event in self.client.watch(POD, self.namespace):
            name = event["object"]["metadata"]["name"]
            if event["type"] == "DELETED":
                self._pods.pop(name, None)
            else:
                self._pods[name] = event["object"]

    async def _watch_services(self) -> None:
        async for event in self.client.watch(SERVICE, self.namespace):
            service = event["object"]
            name = service["metadata"]["name"]
            if event["type"] == "DELETED":
                for server in self._servers.pop(name, []):
                    server.close()
                self.hosts.remove(name)
            elif name not in self._servers:
                await self._add(service)

    async def _add(self, service: dict[str, Any]) -> None:
        name = service["metadata"]["name"]
        address = service["spec"].get("clusterIP")
        if not address or address == "None":
            return
        self._servers[name] = [
            await asyncio.start_server(
                functools.partial(self._forward, service, port), address, port["port"]
            )
            for port in service["spec"].get("ports", [])
        ]
        namespace = self.namespace
        self.hosts.add(
            address,
            [
                name,
                f"{name}.{namespace}",
                f"{name}.{namespace}.svc",
                f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}",
            ],
        )

    def _endpoint(self, service: dict[str, Any], port: dict[str, Any]) -> tuple[str, int] | None:
        selector = service["spec"].get("selector") or {}
        ready = [
            pod
            for pod in self._pods.values()
            if is_ready(pod)
            and selector
            and all(pod["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())
        ]
        if not ready:
            return None
        pod = random.choice(ready)
        target = port.get("targetPort", port["port"])
        if isinstance(target, str):
            declared = [
                p
                for c in pod["spec"]["containers"]
                for p in c.get("ports", [])
                if p.get("name") == target
            ]
            if not declared:
                return None
            target = declared[0]["containerPort"]
        return pod["status"]["podIP"], int(target)

    async def _forward(
        self,
        service: dict[str, Any],
        port: dict[str, Any],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        endpoint = self._endpoint(service, port)
        if endpoint is None:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*endpoint)
        except OSError:
            writer.transport.abort()
            return
        self._connections |= {writer, upstream_writer}
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        except asyncio.CancelledError:
            pass  # the cluster is going away: the connection ends with it
        finally:
            self._connections -= {writer, upstream_writer}
            for end in (writer, upstream_writer):
                end.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
