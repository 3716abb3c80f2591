"""A component's own identity: its ServiceAccount, and a Role bound to it in its namespace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from constructs_lib._core._objects import ObjectSpec, object_spec

__all__ = ["identity_specs"]

_RBAC = "rbac.authorization.k8s.io"


def identity_specs(
    *, name: str, labels: Mapping[str, str], rules: Sequence[Mapping[str, Any]]
) -> list[ObjectSpec]:
    """ServiceAccount, Role (``rules``) and RoleBinding, all named ``name``. The account mounts
    its token: a component with a Role calls the Kubernetes API."""
    return [
        object_spec(
            "ServiceAccount",
            api_version="v1",
            kind="ServiceAccount",
            name=name,
            labels=dict(labels),
            automountServiceAccountToken=True,
        ),
        object_spec(
            "Role",
            api_version=f"{_RBAC}/v1",
            kind="Role",
            name=name,
            labels=dict(labels),
            rules=[dict(rule) for rule in rules],
        ),
        object_spec(
            "RoleBinding",
            api_version=f"{_RBAC}/v1",
            kind="RoleBinding",
            name=name,
            labels=dict(labels),
            subjects=[{"kind": "ServiceAccount", "name": name}],
            roleRef={"apiGroup": _RBAC, "kind": "Role", "name": name},
        ),
    ]
