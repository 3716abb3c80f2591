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
    "check_label_key",
    "check_label_value",
    "check_port",
    "check_secret_key",
    "is_dns_subdomain",
    "selector_labels",
]

APP_LABEL = "app.kubernetes.io/name"
COMPONENT_LABEL = "app.kubernetes.io/component"

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"(\*\.)?{_LABEL}(\.{_LABEL})*")
# A label key: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters
# (Kubernetes' "qualified name"); a label value: at most 63 such characters, or empty.
_LABEL_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_PREFIX = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_QUALIFIED = re.compile(rf"(?:(?P<prefix>{_PREFIX})/)?{_LABEL_NAME}")
_LABEL_VALUE = re.compile(rf"(?:{_LABEL_NAME})?")
# A Secret or ConfigMap key (Kubernetes validation.IsConfigMapKey).
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")


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


def is_dns_subdomain(value: object) -> bool:
    return isinstance(value, str) and bool(_DNS_SUBDOMAIN.fullmatch(value)) and ".." not in value


def check_dns_subdomain(scope: Construct, field: str, value: str) -> str:
    if not is_dns_subdomain(value):
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


def check_label_key(scope: Construct, field: str, key: object) -> str:
    match = _QUALIFIED.fullmatch(key) if isinstance(key, str) else None
    if match is None or len(match.group("prefix") or "") > 253:
        raise invalid(
            scope,
            field,
            key,
            "must be a label key: an optional DNS-subdomain prefix and '/', then 1-63 "
            "letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
        )
    return key  # type: ignore[return-value]


def check_label_value(scope: Construct, field: str, value: object) -> str:
    if not isinstance(value, str) or not _LABEL_VALUE.fullmatch(value):
        raise invalid(
            scope,
            field,
            value,
            "must be a label value: at most 63 letters, digits, '-', '_' or '.', starting "
            "and ending with a letter or digit (or empty)",
        )
    return value


def check_secret_key(scope: Construct, field: str, key: object) -> str:
    """A key of a Secret's data, as the API server accepts it (``IsConfigMapKey``)."""
    if (
        not isinstance(key, str)
        or len(key) > 253
        or not _SECRET_KEY.fullmatch(key)
        or key in {".", ".."}
        or key.startswith("..")
    ):
        raise invalid(
            scope,
            field,
            key,
            "must be a Secret key: 1-253 letters, digits, '-', '_' or '.' (not '.' or '..')",
        )
    return key


def check_port(scope: Construct, field: str, port: object) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise invalid(scope, field, port, "must be a TCP port from 1 to 65535")
    return port
