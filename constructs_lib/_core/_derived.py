"""Defaults that are derived from other values, named for what they are derived from.

A field whose default depends on another value (a profile's description on its sizes, the
proxy's replicas on where it keeps its routes) carries one of these members as its default,
so the signature and ``help()`` say where the value comes from; a value given replaces it.
No field takes ``None`` to mean "the default".
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar

from constructs import Construct

from constructs_lib._core._errors import invalid

__all__ = ["Derived", "resolve"]

T = TypeVar("T")


class Derived(Enum):
    """Where a field's default comes from (each field's default is one member; the value
    says where from, as ``help()`` shows it)."""

    FROM_DISPLAY_NAME = "derived from display_name"
    FROM_SIZES = "derived from the limits, as '4 CPU / 32 GB RAM / 1 GPU'"
    FROM_GPUS = "GPU_TOLERATION with GPUs, else none"
    FROM_ROUTES = "3 with routes in Redis, 1 with routes in memory"
    FROM_PROXY = "the proxy's HubLimits"
    FROM_RELEASE = "the release"
    FROM_HUB = "the hub's public_hosts"
    FROM_AUTH_PROXY = "the auth proxy's endpoint under the hub's path"
    FROM_USER_HEADER = "the hub's user header and Authorization"
    FROM_USER_PODS = "UserPods.init_cpu and init_memory, requested and limited"
    FROM_PROFILE = "the profile's"
    FROM_GATEWAY = "the pods of the Gateway, by its gateway-name label"
    FROM_OPTIONS = "hub_options' or proxy_options' field"
    FROM_SCRAPE_ANNOTATIONS = "each pod's port, as its Prometheus scrape annotations say"
    REFERENCE_PROFILES = "reference_profiles()"
    FROM_START_TIMEOUT = "half the user pods' start_timeout_seconds"
    FROM_SERVERS = "user_servers plus the user placeholders (one node each at most)"
    FROM_USERS = "a tenth of expected_users, within [10, 500]"

    def __repr__(self) -> str:
        return f"Derived.{self.name}"


def resolve(
    scope: Construct, field: str, value: T | Derived, default: Derived, derive: Callable[[], T]
) -> T:
    """``value``, or the value ``derive`` makes when it is the field's derived default;
    another member is a ``ValueError`` (it names another field's derivation)."""
    if value is default:
        return derive()
    if isinstance(value, Derived):
        raise invalid(scope, field, value, f"must be a value or {default!r} ({default.value})")
    return value
