"""A component's own identity: its ServiceAccount, and a Role bound to it in its namespace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._objects import api_object, name_of

__all__ = ["Identity", "identity"]

_RBAC = "rbac.authorization.k8s.io"


@dataclass(frozen=True)
class Identity:
    service_account: cdk8s.ApiObject
    role: cdk8s.ApiObject
    role_binding: cdk8s.ApiObject


def identity(
    scope: Construct, *, name: str, labels: Mapping[str, str], rules: Sequence[Mapping[str, Any]]
) -> Identity:
    """ServiceAccount, Role (``rules``) and RoleBinding, all named ``name``. The account mounts
    its token: a component with a Role calls the Kubernetes API."""
    service_account = api_object(
        scope,
        "ServiceAccount",
        api_version="v1",
        kind="ServiceAccount",
        name=name,
        labels=dict(labels),
        automountServiceAccountToken=True,
    )
    role = api_object(
        scope,
        "Role",
        api_version=f"{_RBAC}/v1",
        kind="Role",
        name=name,
        labels=dict(labels),
        rules=[dict(rule) for rule in rules],
    )
    role_binding = api_object(
        scope,
        "RoleBinding",
        api_version=f"{_RBAC}/v1",
        kind="RoleBinding",
        name=name,
        labels=dict(labels),
        subjects=[{"kind": "ServiceAccount", "name": name_of(service_account)}],
        roleRef={"apiGroup": _RBAC, "kind": "Role", "name": name_of(role)},
    )
    return Identity(service_account, role, role_binding)
