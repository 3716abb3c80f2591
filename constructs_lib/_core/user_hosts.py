"""Per-user hosts: each user's server on a host of its own, under one DNS wildcard
(``*.users.example.org``), so that a page a server serves never has the hub's origin nor
another server's. The hub, the proxy and every edge read the one value checked here."""

from __future__ import annotations

import re
from collections.abc import Sequence

from constructs import Construct

from constructs_lib._core._errors import invalid
from hub_runtime.settings import UserHostSettings

__all__ = [
    "PUBLIC_SCHEME",
    "check_user_hosts",
    "hub_host",
    "matches_wildcard",
    "user_host_settings",
]

# Browsers reach the hub and the servers over HTTPS (TLS ends at the edge or before it):
# JupyterHub builds every server URL from this scheme.
PUBLIC_SCHEME = "https"
_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
# "*." then at least two labels: a wildcard over a whole top-level domain is refused.
_WILDCARD = re.compile(rf"\*\.{_LABEL}(\.{_LABEL})+")


def matches_wildcard(wildcard: str, host: str) -> bool:
    """Whether ``host`` is one of the hosts ``wildcard`` (``*.<domain>``) stands for: exactly
    one more DNS label, as a DNS wildcard and a TLS certificate's wildcard name match."""
    domain = wildcard.removeprefix("*.")
    label, _, rest = host.partition(".")
    return rest == domain and bool(label) and label != "*"


def check_user_hosts(
    scope: Construct, field: str, value: str | None, hub_hosts: Sequence[str]
) -> str | None:
    """``None`` (servers are paths on the hub's hosts) or a DNS wildcard of one label over a
    domain of at least two labels that names none of the hub's own hosts."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 253 or not _WILDCARD.fullmatch(value):
        raise invalid(
            scope,
            field,
            value,
            "must be a DNS wildcard of one label over a domain of at least two labels, "
            "such as '*.users.example.org' (each user's server at <name>.users.example.org)",
        )
    for host in hub_hosts:
        if host == value or matches_wildcard(value, host):
            raise invalid(
                scope,
                field,
                value,
                f"must not cover the hub's host {host!r} (a user of that name would get the "
                "hub's origin): use a domain of its own, such as "
                f"'*.users.{host.removeprefix('*.')}'",
            )
    for host in hub_hosts:
        if host.startswith("*."):
            raise invalid(
                scope,
                "public_hosts",
                list(hub_hosts),
                "must name the hub's hosts exactly with user_hosts (a wildcard there would "
                "serve the hub on the users' hosts)",
            )
    return value


def hub_host(hub_hosts: Sequence[str], user_hosts: str) -> str:
    """The one host the hub is at with per-user hosts (JupyterHub's ``public_url``, where
    servers send browsers to log in): the first public host whose subdomain the wildcard's
    domain is (``notebook.example.org`` for ``*.users.notebook.example.org``), else the
    first public host."""
    domain = user_hosts.removeprefix("*.")
    under = [host for host in hub_hosts if domain.endswith(f".{host}")]
    return (under or list(hub_hosts))[0]


def user_host_settings(hub_hosts: Sequence[str], user_hosts: str | None) -> UserHostSettings | None:
    """The hub's settings for per-user hosts."""
    if user_hosts is None:
        return None
    return UserHostSettings(
        hub_url=f"{PUBLIC_SCHEME}://{hub_host(hub_hosts, user_hosts)}",
        user_url=f"{PUBLIC_SCHEME}://{user_hosts}",
    )
