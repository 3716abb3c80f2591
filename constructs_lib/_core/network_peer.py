"""Pods outside the app that talk to it: chosen by namespace labels and pod labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from constructs import Construct

from constructs_lib._core._errors import invalid
from constructs_lib._core._names import check_dns_label, check_label_key, check_label_value
from hub_runtime.frozen import frozen

__all__ = ["NAMESPACE_NAME_LABEL", "NetworkPeer"]

# Set by the API server on every namespace (Kubernetes 1.21+); a "name" label is not.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@frozen
class NetworkPeer:
    """Pods of another namespace, as a NetworkPolicy peer (and, for a gateway, as the
    Gateway's selector). ``namespace`` is the namespace's name, where objects must live in it."""

    namespace_labels: Mapping[str, str]
    pod_labels: Mapping[str, str]
    namespace: str | None = None

    ISTIO_INGRESS_GATEWAY: ClassVar[NetworkPeer]
    PROMETHEUS: ClassVar[NetworkPeer]

    @staticmethod
    def in_namespace(namespace: str, pod_labels: Mapping[str, str]) -> NetworkPeer:
        """Pods with ``pod_labels`` in the namespace named ``namespace``, selected by the
        ``kubernetes.io/metadata.name`` label the API server sets on every namespace."""
        return NetworkPeer({NAMESPACE_NAME_LABEL: namespace}, dict(pod_labels), namespace)

    def check(self, scope: Construct, field: str) -> NetworkPeer:
        """The namespace a DNS label, and every selector label a label the API server accepts."""
        if self.namespace is not None:
            check_dns_label(scope, f"{field}.namespace", self.namespace)
        for part in ("namespace_labels", "pod_labels"):
            labels = getattr(self, part)
            if not isinstance(labels, Mapping):
                raise invalid(
                    scope, f"{field}.{part}", labels, "must be a mapping of label to value"
                )
            for key, value in labels.items():
                check_label_key(scope, f"{field}.{part}", key)
                check_label_value(scope, f"{field}.{part}[{key!r}]", value)
        return self

    @property
    def selects_everything(self) -> bool:
        """Whether both selectors are empty: every pod of every namespace."""
        return not self.namespace_labels and not self.pod_labels

    def to_policy_peer(self) -> dict[str, Any]:
        return {
            "namespaceSelector": {"matchLabels": dict(self.namespace_labels)},
            "podSelector": {"matchLabels": dict(self.pod_labels)},
        }


# Istio's default install (istioctl / the default profile): the gateway runs in istio-system.
NetworkPeer.ISTIO_INGRESS_GATEWAY = NetworkPeer.in_namespace(
    "istio-system", {"istio": "ingressgateway"}
)
NetworkPeer.PROMETHEUS = NetworkPeer.in_namespace(
    "prometheus", {"app.kubernetes.io/name": "prometheus"}
)
