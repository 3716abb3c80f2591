"""NetworkPolicies evaluated as Kubernetes does for ingress: a pod is isolated once a policy
selects it, then admitted by the union of those policies' rules."""

from __future__ import annotations

from typing import Any

# The labels of the namespace the tests deploy into.
NAMESPACE_LABELS = {"name": "jupyterhub"}


def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def allowed(
    policies: list[dict[str, Any]],
    source: tuple[dict[str, str], dict[str, str]],
    target: dict[str, str],
    port: int,
) -> bool:
    """Kubernetes semantics for ingress: isolated once selected, then the union of rules."""
    selecting = [p for p in policies if _matches(p["spec"]["podSelector"], target)]
    if not selecting:
        return True
    namespace_labels, pod_labels = source
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            if "ports" in rule and not any(p["port"] == port for p in rule["ports"]):
                continue
            if "from" not in rule:
                return True
            for peer in rule["from"]:
                in_namespace = (
                    _matches(peer["namespaceSelector"], namespace_labels)
                    if "namespaceSelector" in peer
                    else namespace_labels == NAMESPACE_LABELS
                )
                if in_namespace and _matches(peer.get("podSelector", {}), pod_labels):
                    return True
    return False
