"""The NetworkPolicy object every construct writes: its pods, and the rules of each direction
it restricts."""

from __future__ import annotations

from typing import Any

from constructs_lib._core._objects import ObjectSpec, object_spec

__all__ = ["network_policy_spec"]


def network_policy_spec(
    id: str,
    *,
    name: str,
    labels: dict[str, str],
    pods: dict[str, str],
    ingress: list[dict[str, Any]] | None = None,
    egress: list[dict[str, Any]] | None = None,
) -> ObjectSpec:
    """A NetworkPolicy on the pods matching ``pods`` (every pod when empty). Each direction
    given is restricted to its rules, an empty list admitting nothing in it; a direction not
    given (``None``) this policy leaves alone (Kubernetes: ``policyTypes`` lists the
    directions a policy isolates)."""
    spec: dict[str, Any] = {
        "podSelector": {"matchLabels": pods} if pods else {},
        "policyTypes": [
            kind for kind, rules in (("Ingress", ingress), ("Egress", egress)) if rules is not None
        ],
    }
    if ingress:
        spec["ingress"] = ingress
    if egress:
        spec["egress"] = egress
    return object_spec(
        id,
        api_version="networking.k8s.io/v1",
        kind="NetworkPolicy",
        name=name,
        labels=labels,
        spec=spec,
    )
