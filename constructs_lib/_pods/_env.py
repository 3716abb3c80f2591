"""A container's environment that grows one variable at a time (cdk8s-plus's ``env``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._core._errors import invalid
from constructs_lib._core._names import check_dns_subdomain, check_secret_key

__all__ = ["ContainerEnv"]

# What a shell and most programs read as a variable name (Kubernetes accepts more, but a name
# with '.' or '-' is one no process can read from its shell).
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ContainerEnv:
    """The environment of one container of a workload the construct made.

    ``add_variable`` and ``add_secret_variable`` append to the container's ``env`` (the
    variables the construct sets stay first); a name is set once.
    """

    def __init__(
        self,
        owner: Construct,
        workload: cdk8s.ApiObject,
        container_index: int,
        variables: Sequence[dict[str, Any]],
        from_secret: Sequence[str] = (),
    ) -> None:
        """``from_secret``: names the container reads from a whole Secret (``envFrom``),
        which a variable of the same name would silently replace."""
        self._owner = owner
        self._workload = workload
        self._path = f"/spec/template/spec/containers/{container_index}/env/-"
        self._names = [variable["name"] for variable in variables]
        self._reserved = frozenset(from_secret)

    @property
    def names(self) -> tuple[str, ...]:
        """Every variable's name, the construct's first."""
        return tuple(self._names)

    def add_variable(self, name: str, value: str) -> None:
        """Set ``name`` to ``value`` in the container."""
        if not isinstance(value, str):
            raise invalid(self._owner, f"env[{name!r}]", value, "must be a string")
        self._append({"name": self._check_name(name), "value": value})

    def add_secret_variable(self, name: str, *, secret: str, key: str) -> None:
        """Set ``name`` to the value of ``key`` in Secret ``secret`` (of the same namespace,
        created by you: the pod does not start without it)."""
        check_dns_subdomain(self._owner, f"env[{name!r}].secret", secret)
        check_secret_key(self._owner, f"env[{name!r}].key", key)
        self._append(
            {
                "name": self._check_name(name),
                "valueFrom": {"secretKeyRef": {"name": secret, "key": key}},
            }
        )

    def _check_name(self, name: str) -> str:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise invalid(
                self._owner,
                "env",
                name,
                "must be a variable name (letters, digits and '_', not starting with a digit)",
            )
        if name in self._reserved:
            raise invalid(
                self._owner, "env", name, "is read from a Secret the construct names (envFrom)"
            )
        if name in self._names:
            raise invalid(self._owner, "env", name, "is already set in the container")
        return name

    def _append(self, variable: dict[str, Any]) -> None:
        self._workload.add_json_patch(cdk8s.JsonPatch.add(self._path, variable))
        self._names.append(variable["name"])
