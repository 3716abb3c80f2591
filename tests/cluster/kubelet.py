"""A kubelet for one node and one namespace: it watches the pods, and for each new one takes
an address (the pod IP), binds the pod to its node, runs its init containers to completion,
then its containers (``containers.py``), and writes the pod's status through the status
subresource: phase, podIP, conditions, container states and readiness (readiness probes,
httpGet and tcpSocket, with their delays, periods and thresholds; a container without one is
ready once started). Containers are restarted as the pod's restartPolicy says, after the
kubelet's back-off.

A pod being deleted gracefully (deletionTimestamp) has its containers sent SIGTERM, SIGKILL
after its grace period, and is then deleted with grace 0; a pod deleted at once has its
containers killed. A pod naming a Secret, ConfigMap or PersistentVolumeClaim that does not
exist waits, with the kubelet's reason and message in its container status, until it exists.

Not emulated: liveness and startup probes, image pulls, resource limits (see also
``containers.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from tests.cluster.api import now
from tests.cluster.client import ApiClient, ApiError
from tests.cluster.containers import (
    ConfigError,
    Process,
    References,
    claimed,
    environment,
    launch,
    referenced,
    volumes,
)
from tests.cluster.kinds import kind_of
from tests.cluster.network import AddressPool

__all__ = ["Kubelet"]

POD, SECRET, CONFIG_MAP = kind_of("Pod"), kind_of("Secret"), kind_of("ConfigMap")
SERVICE_ACCOUNT = kind_of("ServiceAccount")
PVC, STORAGE_CLASS = kind_of("PersistentVolumeClaim"), kind_of("StorageClass")
NODE_NAME = "test-node"
# The kubelet's crash back-off: 10 s, doubling, at most 5 minutes.
_BACKOFF, _MAX_BACKOFF = 10.0, 300.0
# Where pods find their service account (the kubelet's projected volume).
_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


@dataclass
class _State:
    """One container's status, as the kubelet reports it."""

    name: str
    image: str
    state: dict[str, Any] = field(
        default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}}
    )
    ready: bool = False
    restarts: int = 0

    def status(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "image": self.image,
            "imageID": "",
            "ready": self.ready,
            "started": "running" in self.state,
            "restartCount": self.restarts,
            "state": self.state,
        }


class Kubelet:
    # What runs a pod (a subclass may run pods otherwise).
    worker: type[_PodWorker]

    def __init__(
        self,
        client: ApiClient,
        namespace: str,
        addresses: AddressPool,
        hosts: Path,
        workdir: Path,
        api_url: str,
        *,
        binds: bool = True,
    ) -> None:
        self.client = client
        # False: a scheduler binds pods (scheduler.py); the kubelet runs those bound to it.
        self.binds = binds
        self.namespace = namespace
        self.addresses = addresses
        self.hosts = hosts
        self.workdir = workdir
        self.api_url = api_url
        self.pods: dict[str, _PodWorker] = {}

    async def run(self) -> None:
        async for event in self.client.watch(POD, self.namespace):
            pod = event["object"]
            name, uid = pod["metadata"]["name"], pod["metadata"]["uid"]
            worker = self.pods.get(name)
            if worker is not None and worker.uid != uid:
                if event["type"] != "ADDED":
                    continue  # a late event of the pod this name had before: not this one's
                await self._forget(name, kill=True)  # a new pod of the same name
                worker = None
            if event["type"] == "DELETED":
                if worker is not None:
                    await self._forget(name, kill=True)
            elif worker is None:
                bound = self.binds or pod["spec"].get("nodeName") == NODE_NAME
                if bound and not pod["metadata"].get("deletionTimestamp"):
                    self.pods[name] = self.worker(self, pod)
            elif pod["metadata"].get("deletionTimestamp"):
                worker.terminate(pod)

    async def _forget(self, name: str, *, kill: bool) -> None:
        worker = self.pods.pop(name)
        if kill:
            await worker.kill()

    async def shutdown(self) -> None:
        """Stop every container (the node goes away; the API is not told)."""
        await asyncio.gather(*(worker.kill() for worker in self.pods.values()))
        self.pods.clear()


class _PodWorker:
    def __init__(self, kubelet: Kubelet, pod: dict[str, Any]) -> None:
        self.kubelet = kubelet
        self.pod = pod
        self.name: str = pod["metadata"]["name"]
        self.uid: str = pod["metadata"]["uid"]
        self.ip = kubelet.addresses.pod()
        self.directory = kubelet.workdir / "pods" / self.name
        if self.directory.exists():  # an earlier pod of the same name: keep its logs
            self.directory = self.directory.with_name(f"{self.name}-{self.uid[:8]}")
        self.directory.mkdir(parents=True)
        # The pod's own volumes, and the node's claims (a claim outlives its pods).
        self._volume_roots = (self.directory / "volumes", kubelet.workdir / "claims")
        spec = pod["spec"]
        self.init = [_State(c["name"], c["image"]) for c in spec.get("initContainers", [])]
        self.main = [_State(c["name"], c["image"]) for c in spec.get("containers", [])]
        self.phase = "Pending"
        self.initialized = not self.init
        self.processes: dict[str, Process] = {}
        self.terminating = False
        self.termination: asyncio.Task[None] | None = None
        self.task = asyncio.create_task(self._run())

    @property
    def client(self) -> ApiClient:
        return self.kubelet.client

    async def _run(self) -> None:
        try:
            if self.kubelet.binds:
                await self.client.patch(
                    POD, self.kubelet.namespace, self.name, {"spec": {"nodeName": NODE_NAME}}
                )
            await self._write_status()
            references, env = await self._prepare()
            specs = self.pod["spec"].get("initContainers", [])
            for spec, state in zip(specs, self.init, strict=True):
                while not await self._run_once(spec, state, references, env):
                    if self.pod["spec"]["restartPolicy"] == "Never":
                        self.phase = "Failed"
                        await self._write_status()
                        return
                    await self._back_off(state)
            self.initialized = True
            specs = self.pod["spec"]["containers"]
            results = await asyncio.gather(
                *(
                    self._supervise(spec, state, references, env)
                    for spec, state in zip(specs, self.main, strict=True)
                )
            )
            self.phase = "Succeeded" if all(results) else "Failed"
            await self._write_status()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a kubelet bug must not pass silently
            (self.directory / "kubelet-error.txt").write_text(repr(error))
            raise

    async def _prepare(self) -> tuple[References, dict[str, str]]:
        """Fetch what the pod refers to, waiting (as the kubelet does) for what is missing;
        the service account's token, as a kubeconfig."""
        namespace = self.kubelet.namespace
        extra: dict[str, str] = {}
        account = self.pod["spec"].get("serviceAccountName", "default")
        automount = self.pod["spec"].get("automountServiceAccountToken")
        if automount is None:
            found = await self.client.find(SERVICE_ACCOUNT, namespace, account)
            automount = (found or {}).get("automountServiceAccountToken", True)
        if automount:
            extra["KUBECONFIG"] = str(await self._kubeconfig(account))
        while True:
            secrets, config_maps = referenced(self.pod)
            claims = claimed(self.pod)
            references = References(
                namespace,
                {name: await self.client.find(SECRET, namespace, name) for name in secrets},
                {name: await self.client.find(CONFIG_MAP, namespace, name) for name in config_maps},
                {name: await self.client.find(PVC, namespace, name) for name in claims},
                {c["metadata"]["name"]: c for c in await self.client.list(STORAGE_CLASS)}
                if claims
                else {},
            )
            try:
                for spec in (
                    self.pod["spec"].get("initContainers", []) + self.pod["spec"]["containers"]
                ):
                    environment(self.pod, spec, references)
                    volumes(self.pod, spec, references, *self._volume_roots)
                return references, extra
            except ConfigError as error:
                for state in self.init + self.main:
                    state.state = {"waiting": {"reason": error.reason, "message": error.message}}
                await self._write_status()
                await asyncio.sleep(1)

    async def _kubeconfig(self, account: str) -> Path:
        """The in-cluster configuration needs HTTPS at KUBERNETES_SERVICE_HOST; the test API
        speaks HTTP, so the pod gets its service account's token in a kubeconfig (which
        kubernetes_asyncio reads when in-cluster configuration is not there)."""
        namespace = self.kubelet.namespace
        path = SERVICE_ACCOUNT.path(namespace, account, "token")
        token = (await self.client.request("POST", path, body={"spec": {}}))["status"]["token"]
        directory: Path = self.directory / "serviceaccount"
        directory.mkdir(exist_ok=True)
        (directory / "token").write_text(token)
        (directory / "namespace").write_text(namespace)
        kubeconfig: Path = directory / "kubeconfig"
        kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "pod",
                    "clusters": [{"name": "cluster", "cluster": {"server": self.kubelet.api_url}}],
                    "users": [{"name": account, "user": {"token": token}}],
                    "contexts": [
                        {
                            "name": "pod",
                            "context": {
                                "cluster": "cluster",
                                "user": account,
                                "namespace": namespace,
                            },
                        }
                    ],
                }
            )
        )
        for item in (directory, *directory.iterdir()):
            item.chmod(0o755 if item.is_dir() else 0o644)
        return kubeconfig

    async def _start(
        self, spec: dict[str, Any], state: _State, references: References, extra: dict[str, str]
    ) -> Process | None:
        try:
            env = {**environment(self.pod, spec, references), **extra}
            mounts = volumes(self.pod, spec, references, *self._volume_roots)
            if "KUBECONFIG" in extra:
                mounts[_TOKEN_PATH] = Path(extra["KUBECONFIG"]).parent
            suffix = f".restart{state.restarts}" if state.restarts else ""
            process = launch(
                self.pod,
                spec,
                env,
                mounts,
                self.ip,
                self.directory / "containers" / spec["name"],
                self.kubelet.hosts,
                self.directory / f"{spec['name']}{suffix}.log",
            )
        except ConfigError as error:
            state.state = {"waiting": {"reason": error.reason, "message": error.message}}
            await self._write_status()
            return None
        await asyncio.to_thread(process.record_namespace)
        self.processes[spec["name"]] = process
        state.state = {"running": {"startedAt": now()}}
        return process

    async def _run_once(
        self, spec: dict[str, Any], state: _State, references: References, extra: dict[str, str]
    ) -> bool:
        """Run an init container to its end; True if it succeeded."""
        process = await self._start(spec, state, references, extra)
        if process is None:
            return False
        await self._write_status()
        code = await asyncio.to_thread(process.popen.wait)
        await asyncio.to_thread(process.stop, 0)  # a container ends with its main process
        self._terminated(state, code)
        await self._write_status()
        return code == 0

    async def _supervise(
        self, spec: dict[str, Any], state: _State, references: References, extra: dict[str, str]
    ) -> bool:
        """Run a container, restarting it as the restartPolicy says; True if it ended well."""
        policy = self.pod["spec"]["restartPolicy"]
        while True:
            process = await self._start(spec, state, references, extra)
            if process is not None:
                self.phase = "Running"
                state.ready = "readinessProbe" not in spec
                await self._write_status()
                probe = asyncio.create_task(self._probe(spec, state))
                code = await asyncio.to_thread(process.popen.wait)
                await asyncio.to_thread(process.stop, 0)  # a container ends with its main process
                probe.cancel()
                state.ready = False
                self._terminated(state, code)
                await self._write_status()
                if policy == "Never" or (policy == "OnFailure" and code == 0):
                    return code == 0
            await self._back_off(state)

    async def _back_off(self, state: _State) -> None:
        delay = min(_BACKOFF * 2**state.restarts, _MAX_BACKOFF)
        state.restarts += 1
        await asyncio.sleep(delay)

    def _terminated(self, state: _State, code: int) -> None:
        state.state = {
            "terminated": {
                "exitCode": code,
                "finishedAt": now(),
                "reason": "Completed" if code == 0 else "Error",
            }
        }

    async def _probe(self, spec: dict[str, Any], state: _State) -> None:
        probe = spec.get("readinessProbe")
        if probe is None:
            return
        await asyncio.sleep(probe.get("initialDelaySeconds", 0))
        successes = failures = 0
        while True:
            if await self._check(spec, probe):
                successes, failures = successes + 1, 0
                if not state.ready and successes >= probe.get("successThreshold", 1):
                    state.ready = True
                    await self._write_status()
            else:
                successes, failures = 0, failures + 1
                if state.ready and failures >= probe.get("failureThreshold", 3):
                    state.ready = False
                    await self._write_status()
            await asyncio.sleep(probe.get("periodSeconds", 10))

    async def _check(self, spec: dict[str, Any], probe: dict[str, Any]) -> bool:
        timeout = probe.get("timeoutSeconds", 1)
        for kind in ("httpGet", "tcpSocket"):
            if kind not in probe:
                continue
            port = _port(spec, probe[kind]["port"])
            try:
                if kind == "tcpSocket":
                    _, writer = await asyncio.wait_for(
                        asyncio.open_connection(self.ip, port), timeout
                    )
                    writer.close()
                    return True
                url = f"http://{self.ip}:{port}{probe[kind].get('path', '/')}"
                async with (
                    aiohttp.ClientSession() as session,
                    session.get(
                        url, timeout=aiohttp.ClientTimeout(total=timeout), allow_redirects=False
                    ) as response,
                ):
                    return 200 <= response.status < 400
            except (OSError, TimeoutError, aiohttp.ClientError):
                return False
        return False  # exec probes are not emulated: never ready

    async def _write_status(self) -> None:
        if self.terminating:
            return  # a terminating pod's status is no longer written (it is being deleted)
        ready = self.phase == "Running" and all(s.ready for s in self.main)
        conditions = [
            {"type": "PodScheduled", "status": "True"},
            {"type": "Initialized", "status": str(self.initialized)},
            {"type": "ContainersReady", "status": str(ready)},
            {"type": "Ready", "status": str(ready)},
        ]
        status = {
            "phase": self.phase,
            "hostIP": "127.0.0.1",
            "podIP": self.ip,
            "podIPs": [{"ip": self.ip}],
            "startTime": self.pod["metadata"].get("creationTimestamp"),
            "conditions": conditions,
            "initContainerStatuses": [s.status() for s in self.init],
            "containerStatuses": [s.status() for s in self.main],
        }
        try:
            await self.client.patch(
                POD,
                self.kubelet.namespace,
                self.name,
                {"status": json.loads(json.dumps(status))},
                "status",
            )
        except ApiError as error:
            if error.status != 404:
                raise

    def terminate(self, pod: dict[str, Any]) -> None:
        """A graceful deletion: stop the containers within the grace period, then delete."""
        if self.terminating:
            return
        self.terminating = True
        grace = float(pod["metadata"].get("deletionGracePeriodSeconds", 30))
        self.termination = asyncio.create_task(self._terminate(grace))

    async def _terminate(self, grace: float) -> None:
        await self._stop(grace)
        with contextlib.suppress(ApiError):
            await self.client.delete(POD, self.kubelet.namespace, self.name, grace_period_seconds=0)

    async def kill(self) -> None:
        self.terminating = True
        await self._stop(0)

    async def _stop(self, grace: float) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task
        await asyncio.gather(*(asyncio.to_thread(p.stop, grace) for p in self.processes.values()))


Kubelet.worker = _PodWorker


def _port(spec: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    for declared in spec.get("ports", []):
        if declared.get("name") == port:
            return int(declared["containerPort"])
    raise ConfigError("Unhealthy", f"no port named {port} in container {spec['name']}")
