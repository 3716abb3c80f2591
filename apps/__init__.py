"""Deployable apps built from the constructs; ``python -m apps`` synthesizes them all."""

from __future__ import annotations

from collections.abc import Callable

from apps import dev, minimal
from apps._app import BuiltApp
from constructs_lib import KubernetesVersion

__all__ = ["APPS", "BuiltApp"]

APPS: dict[str, Callable[[str, KubernetesVersion], BuiltApp]] = {
    "dev": dev.build,
    "minimal": minimal.build,
}
