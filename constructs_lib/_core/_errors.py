"""One shape for every construct error: path, field, value and what is allowed."""

from __future__ import annotations

from constructs import Construct

__all__ = ["invalid"]


def invalid(scope: Construct, field: str, value: object, allowed: str) -> ValueError:
    """``jupyterhub/Hub: replicas must be 1 (JupyterHub runs one hub), got 3``."""
    return ValueError(f"{scope.node.path}: {field} {allowed}, got {value!r}")
