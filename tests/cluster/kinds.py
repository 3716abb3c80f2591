"""Kubernetes kinds and their API paths: what ``kubectl`` learns from API discovery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CLUSTER_SCOPED", "Kind", "kind_of", "kind_of_manifest"]

# Kinds without a namespace (the rest of what the apps use is namespaced).
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "PriorityClass",
        "RuntimeClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterSecretStore",
        "StorageClass",
        "Node",
        "IngressClass",
    }
)

# Where a prerequisite named only by kind (``External(objects=...)``) lives in the API.
_API_VERSIONS = {
    "Secret": "v1",
    "ConfigMap": "v1",
    "ServiceAccount": "v1",
    "Service": "v1",
    "Pod": "v1",
    "Namespace": "v1",
    "Event": "v1",
    "PersistentVolumeClaim": "v1",
    "StorageClass": "storage.k8s.io/v1",
    "ResourceQuota": "v1",
    "PriorityClass": "scheduling.k8s.io/v1",
    "RuntimeClass": "node.k8s.io/v1",
    "IngressClass": "networking.k8s.io/v1",
    "ClusterSecretStore": "external-secrets.io/v1",
    "SecretStore": "external-secrets.io/v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
    "ClusterRole": "rbac.authorization.k8s.io/v1",
    "ClusterRoleBinding": "rbac.authorization.k8s.io/v1",
    "StatefulSet": "apps/v1",
    "Deployment": "apps/v1",
    "DaemonSet": "apps/v1",
}


@dataclass(frozen=True)
class Kind:
    """A kind as the API serves it: group, version, plural and scope."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def resource(self) -> str:
        """kmock's resource key: ``v1/pods``, ``apps/v1/statefulsets``."""
        return f"{self.api_version}/{self.plural}"

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        root = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        parts = [root]
        if self.namespaced and namespace is not None:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.plural)
        if name is not None:
            parts.append(name)
        if subresource is not None:
            parts.append(subresource)
        return "/".join(parts)


def _plural(kind: str) -> str:
    lower = kind.lower()
    if lower.endswith("s"):
        return lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u"):
        return lower[:-1] + "ies"
    return lower + "s"


def kind_of(kind: str, api_version: str | None = None) -> Kind:
    """The kind's API coordinates; ``api_version`` defaults to where the kind usually lives."""
    version = api_version or _API_VERSIONS.get(kind)
    if version is None:
        raise KeyError(f"no API version known for kind {kind}")
    return Kind(version, kind, _plural(kind), kind not in CLUSTER_SCOPED)


def kind_of_manifest(manifest: dict[str, Any]) -> Kind:
    return kind_of(manifest["kind"], manifest["apiVersion"])
