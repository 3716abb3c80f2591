"""The NetworkPolicy that admits traffic to a component's pods, as every construct writes it."""

from __future__ import annotations

from typing import Any

from constructs_lib._core._objects import ObjectSpec, object_spec

__all__ = ["ingress_policy_spec"]


def ingress_policy_spec(
    id: str,
    *,
    name: str,
    labels: dict[str, str],
    pods: dict[str, str],
    ingress: list[dict[str, Any]],
) -> ObjectSpec:
    """A NetworkPolicy on the pods matching ``pods`` (every pod when empty) admitting only
    the ``ingress`` rules (none: all ingress denied)."""
    return object_spec(
        id,
        api_version="networking.k8s.io/v1",
        kind="NetworkPolicy",
        name=name,
        labels=labels,
        spec={
            "podSelector": {"matchLabels": pods} if pods else {},
            "policyTypes": ["Ingress"],
            "ingress": ingress or None,
        },
    )
