"""The controllers the apps rely on, reduced to what they do for them:

- StatefulSet, Deployment and DaemonSet: create the workload's pods from its template
  (``<name>-<i>`` with its volumeClaimTemplates as PersistentVolumeClaims;
  ``<name>-<hash>-<random>``; ``<name>-<random>`` on the one node, pinned to it by node
  affinity as pkg/controller/daemon's ``util.ReplaceDaemonSetPodNodeNameNodeAffinity`` does),
  retrying a refused create as the controllers do and recording why (FailedCreate);
- External Secrets Operator: an ExternalSecret's target Secret, from a test Vault;
- the garbage collector: objects whose ownerReferences name a deleted pod are deleted
  (KubeSpawner's per-user Service belongs to its pod).

Not emulated: rolling updates, scaling (HPA), recreating deleted pods, PodDisruptionBudgets,
nodes a DaemonSet's node selector or tolerations would leave out.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import secrets
from collections.abc import Mapping
from typing import Any

from tests.cluster.api import now
from tests.cluster.client import ApiClient, ApiError
from tests.cluster.kinds import kind_of
from tests.cluster.kubelet import NODE_NAME

__all__ = ["EXTERNAL_SECRET", "Controllers"]

POD, SECRET, SERVICE = kind_of("Pod"), kind_of("Secret"), kind_of("Service")
PVC, EVENT = kind_of("PersistentVolumeClaim"), kind_of("Event")
STATEFUL_SET, DEPLOYMENT = kind_of("StatefulSet"), kind_of("Deployment")
DAEMON_SET = kind_of("DaemonSet")
EXTERNAL_SECRET = kind_of("ExternalSecret", "external-secrets.io/v1")
# What objects the garbage collector looks at for owners.
_OWNED = (SERVICE, SECRET)
_RETRY = 1.0


def _on_node() -> dict[str, Any]:
    """The node affinity a DaemonSet pod gets for its node."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [NODE_NAME]}]}
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}
        }
    }


class Controllers:
    def __init__(
        self,
        client: ApiClient,
        namespace: str,
        vault: Mapping[tuple[str, str], str],
        external_secrets: bool,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.vault = vault
        self.external_secrets = external_secrets
        self.failures: dict[str, str] = {}

    async def run(self) -> None:
        await asyncio.gather(
            self._workloads(STATEFUL_SET),
            self._workloads(DEPLOYMENT),
            self._workloads(DAEMON_SET),
            self._external_secrets(),
            self._garbage_collector(),
        )

    async def _workloads(self, kind: Any) -> None:
        tasks = set()
        async for event in self.client.watch(kind, self.namespace):
            if event["type"] == "ADDED":
                task = asyncio.create_task(self._create_pods(event["object"]))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

    async def _create_pods(self, workload: dict[str, Any]) -> None:
        spec = workload["spec"]
        template = copy.deepcopy(spec["template"])
        labels = template["metadata"].setdefault("labels", {})
        revision = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
        owner = {
            "apiVersion": workload["apiVersion"],
            "kind": workload["kind"],
            "name": workload["metadata"]["name"],
            "uid": workload["metadata"]["uid"],
            "controller": True,
        }
        daemon = workload["kind"] == "DaemonSet"
        for index in range(1 if daemon else spec.get("replicas", 1)):
            pod = copy.deepcopy(template)
            metadata = pod["metadata"]
            metadata["ownerReferences"] = [owner]
            name = workload["metadata"]["name"]
            if workload["kind"] == "StatefulSet":
                metadata["name"] = f"{name}-{index}"
                labels_of = {
                    "controller-revision-hash": f"{name}-{revision}",
                    "statefulset.kubernetes.io/pod-name": metadata["name"],
                }
                await self._claims(workload, metadata["name"], pod["spec"])
            elif daemon:
                metadata["name"] = f"{name}-{secrets.token_hex(3)[:5]}"
                labels_of = {"controller-revision-hash": revision, "pod-template-generation": "1"}
                pod["spec"]["affinity"] = {**pod["spec"].get("affinity", {}), **_on_node()}
            else:
                metadata["name"] = f"{name}-{revision}-{secrets.token_hex(3)[:5]}"
                labels_of = {"pod-template-hash": revision}
            metadata["labels"] = {**labels, **labels_of}
            await self._create_retrying(workload, pod)

    async def _claims(
        self, workload: dict[str, Any], pod_name: str, pod_spec: dict[str, Any]
    ) -> None:
        for template in workload["spec"].get("volumeClaimTemplates", []):
            claim = f"{template['metadata']['name']}-{pod_name}"
            if await self.client.find(PVC, self.namespace, claim) is None:
                await self.client.create(
                    PVC,
                    self.namespace,
                    {
                        "apiVersion": "v1",
                        "kind": "PersistentVolumeClaim",
                        "metadata": {"name": claim},
                        "spec": template["spec"],
                    },
                )
            pod_spec.setdefault("volumes", []).append(
                {
                    "name": template["metadata"]["name"],
                    "persistentVolumeClaim": {"claimName": claim},
                }
            )

    async def _create_retrying(self, workload: dict[str, Any], pod: dict[str, Any]) -> None:
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        while True:
            try:
                await self.client.create(POD, self.namespace, pod)
                self.failures.pop(where, None)
                return
            except ApiError as error:
                if error.status == 409:
                    return
                if self.failures.get(where) != error.message:
                    self.failures[where] = error.message
                    await self._event(
                        workload,
                        "FailedCreate",
                        f"create Pod "
                        f"{pod['metadata']['name']} in {where} failed error: "
                        f"{error.message}",
                    )
            await asyncio.sleep(_RETRY)

    async def _event(self, about: dict[str, Any], reason: str, message: str) -> None:
        await self.client.create(
            EVENT,
            self.namespace,
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"generateName": f"{about['metadata']['name']}."},
                "involvedObject": {
                    "kind": about["kind"],
                    "name": about["metadata"]["name"],
                    "namespace": self.namespace,
                    "uid": about["metadata"]["uid"],
                },
                "reason": reason,
                "message": message,
                "type": "Warning",
                "firstTimestamp": now(),
                "lastTimestamp": now(),
                "count": 1,
            },
        )

    async def _external_secrets(self) -> None:
        if not self.external_secrets:
            return  # the operator is installed only where its CRDs are
        async for event in self.client.watch(EXTERNAL_SECRET, self.namespace):
            if event["type"] != "ADDED":
                continue
            spec = event["object"]["spec"]
            where = f"ExternalSecret/{event['object']['metadata']['name']}"
            try:
                data = {
                    item["secretKey"]: self.vault[
                        (item["remoteRef"]["key"], item["remoteRef"]["property"])
                    ]
                    for item in spec.get("data", [])
                }
            except KeyError as error:
                self.failures[where] = f"no such key in the test Vault: {error}"
                continue
            target = spec.get("target", {}).get("name") or event["object"]["metadata"]["name"]
            await self.client.create(
                SECRET,
                self.namespace,
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": target},
                    "stringData": data,
                },
            )

    async def _garbage_collector(self) -> None:
        async for event in self.client.watch(POD, self.namespace):
            if event["type"] != "DELETED":
                continue
            uid = event["object"]["metadata"]["uid"]
            for kind in _OWNED:
                for obj in await self.client.list(kind, self.namespace):
                    owners = obj["metadata"].get("ownerReferences", [])
                    if any(owner.get("uid") == uid for owner in owners):
                        try:
                            await self.client.delete(kind, self.namespace, obj["metadata"]["name"])
                        except ApiError as error:
                            if error.status != 404:
                                raise
