"""Labels, components and name rules shared by every construct."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from constructs import Construct

from constructs_lib._core._errors import invalid

__all__ = [
    "APP_LABEL",
    "COMPONENT_LABEL",
    "Component",
    "check_dns_label",
    "check_dns_subdomain",
    "check_hosts",
    "selector_labels",
]

APP_LABEL = "app.kubernetes.io/name"
COMPONENT_LABEL = "app.kubernetes.io/component"

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"(\*\.)?{_LABEL}(\.{_LABEL})*")


class Component(StrEnum):
    """The pods of one JupyterHub; the value is the component label and the name suffix."""

    HUB = "hub"
    PROXY = "proxy"
    SINGLEUSER = "singleuser-server"


def selector_labels(release: str, component: Component) -> dict[str, str]:
    """The two labels every selector of a component uses, and nothing else."""
    return {APP_LABEL: release, COMPONENT_LABEL: component.value}


def check_dns_label(scope: Construct, field: str, value: str) -> str:
    if not isinstance(value, str) or not _DNS_LABEL.fullmatch(value):
        raise invalid(
            scope,
            field,
            value,
            "must be a DNS label (lower-case letters, digits and '-', 1-63 characters, "
            "starting and ending with a letter or digit)",
        )
    return value


def check_dns_subdomain(scope: Construct, field: str, value: str) -> str:
    if not isinstance(value, str) or not _DNS_SUBDOMAIN.fullmatch(value) or ".." in value:
        raise invalid(
            scope,
            field,
            value,
            "must be a DNS subdomain (dot-separated DNS labels, at most 253 characters)",
        )
    return value


def check_hosts(scope: Construct, field: str, hosts: Sequence[str]) -> tuple[str, ...]:
    """A non-empty list of distinct DNS host names (a leading ``*.`` wildcard allowed)."""
    if isinstance(hosts, str) or not hosts:
        raise invalid(scope, field, hosts, "must be a non-empty list of host names")
    seen: set[str] = set()
    for index, host in enumerate(hosts):
        if not isinstance(host, str) or len(host) > 253 or not _HOST.fullmatch(host):
            raise invalid(
                scope,
                f"{field}[{index}]",
                host,
                "must be a lower-case DNS host name such as 'hub.example.org'",
            )
        if host in seen:
            raise invalid(scope, f"{field}[{index}]", host, "must not repeat another host")
        seen.add(host)
    return tuple(hosts)
