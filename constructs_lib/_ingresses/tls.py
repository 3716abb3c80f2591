"""TLS at an edge and the hosts its certificate covers. With per-user hosts a browser reaches
every user server over HTTPS on the wildcard's hosts, so an edge that ends TLS must serve a
certificate for the wildcard as well as the hub's hosts: a Secret's name alone does not say
which hosts it covers, a ``HubCertificate`` or a ``TlsSecret`` does."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from constructs import Construct

from constructs_lib._core._errors import invalid
from constructs_lib._core._names import check_dns_subdomain, check_hosts
from constructs_lib._core.user_hosts import matches_wildcard
from hub_runtime.frozen import frozen

__all__ = ["TlsSecret", "certificate_covers", "check_tls_hosts", "https_listeners"]

_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
# A certificate's wildcard: "*." as the whole first label, then at least two labels (no CA
# issues one over a whole top-level domain, and browsers refuse it).
_CERT_WILDCARD = re.compile(rf"\*\.{_LABEL}(\.{_LABEL})+")


def certificate_covers(names: Sequence[str], host: str) -> bool:
    """Whether a certificate listing DNS names ``names`` is valid for ``host``: a name equal
    to it, or a wildcard ``*.<domain>`` and ``host`` exactly one label more than
    ``<domain>`` (RFC 6125 6.4.3, as Go's crypto/x509 ``matchHostnames`` and browsers match:
    ``*.example.org`` covers ``a.example.org``, not ``a.b.example.org``). A served wildcard
    (the user servers' ``*.users.example.org``) is covered only by that same wildcard."""
    return host in names or any(
        name.startswith("*.") and matches_wildcard(name, host) for name in names
    )


def https_listeners(secret_name: str, hosts: Sequence[str], port: int) -> list[dict[str, Any]]:
    """HTTPS listeners of a Gateway API ``Gateway``, one per host (a listener has one
    ``hostname``), ending TLS with Secret ``secret_name``. Routes of the Gateway's namespace
    only, as Gateway API defaults: add ``allowedRoutes`` for the app's."""
    return [
        {
            "name": f"https-{index}",
            "protocol": "HTTPS",
            "port": port,
            "hostname": host,
            "tls": {
                "mode": "Terminate",
                "certificateRefs": [{"kind": "Secret", "name": secret_name}],
            },
        }
        for index, host in enumerate(hosts)
    ]


@frozen
class TlsSecret:
    """A TLS Secret (type ``kubernetes.io/tls``) made outside the app, with the DNS names its
    certificate lists (``hosts``, its subjectAltNames): with the hub's ``user_hosts``, an edge
    takes TLS only from a value that says which hosts it covers (this or a
    ``HubCertificate``), and refuses one that misses the hub's hosts or the wildcard.

    ``TlsSecret("hub-tls", hosts=("hub.example.org", "*.users.example.org"))``."""

    name: str
    hosts: tuple[str, ...]

    def check(self, scope: Construct, field: str) -> TlsSecret:
        """The Secret's name a DNS subdomain; ``hosts`` lower-case DNS names (A-labels for an
        IDN), no port, no trailing dot, a wildcard only as a whole first label over at least
        two labels."""
        check_dns_subdomain(scope, f"{field}.name", self.name)
        check_tls_hosts(scope, f"{field}.hosts", self.hosts)
        return self

    def covers(self, host: str) -> bool:
        return certificate_covers(self.hosts, host)

    def gateway_listeners(self, port: int = 443) -> list[dict[str, Any]]:
        """HTTPS listeners for a Gateway API ``Gateway``, one per host, with this Secret."""
        return https_listeners(self.name, self.hosts, port)


def check_tls_hosts(scope: Construct, field: str, hosts: object) -> tuple[str, ...]:
    """The DNS names a certificate lists, as a site file or a ``TlsSecret`` gives them."""
    if isinstance(hosts, str) or not isinstance(hosts, Sequence):
        raise invalid(scope, field, hosts, "must be a non-empty list of host names")
    checked = check_hosts(scope, field, hosts)
    for index, host in enumerate(checked):
        if "*" in host and not _CERT_WILDCARD.fullmatch(host):
            raise invalid(
                scope,
                f"{field}[{index}]",
                host,
                "must have its wildcard as the whole first label over at least two labels, "
                "such as '*.users.example.org'",
            )
    return checked
