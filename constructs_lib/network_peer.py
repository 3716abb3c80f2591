"""Pods outside the app that talk to it: chosen by namespace labels and pod labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["NetworkPeer"]


@dataclass(frozen=True)
class NetworkPeer:
    """Pods of another namespace, as a NetworkPolicy peer (and, for a gateway, as the
    Gateway's selector). ``namespace`` is the namespace's name, where objects must live in it."""

    namespace_labels: Mapping[str, str]
    pod_labels: Mapping[str, str]
    namespace: str | None = None

    ISTIO_INGRESS_GATEWAY: ClassVar[NetworkPeer]
    PROMETHEUS: ClassVar[NetworkPeer]

    def to_policy_peer(self) -> dict[str, Any]:
        return {
            "namespaceSelector": {"matchLabels": dict(self.namespace_labels)},
            "podSelector": {"matchLabels": dict(self.pod_labels)},
        }


NetworkPeer.ISTIO_INGRESS_GATEWAY = NetworkPeer(
    {"name": "istio-gateways"}, {"istio": "ingressgateway"}, namespace="istio-gateways")
NetworkPeer.PROMETHEUS = NetworkPeer(
    {"name": "prometheus"}, {"app.kubernetes.io/name": "prometheus"}, namespace="prometheus")
