"""What an edge (an Ingress, an Istio Gateway, a Gateway API listener) ends TLS with, checked
against the hosts it serves: with per-user hosts, only a value that says which hosts its
certificate covers, and covers the hub's hosts and the user servers' wildcard."""

from __future__ import annotations

from collections.abc import Sequence

from constructs import Construct

from constructs_lib._core._errors import invalid
from constructs_lib._core._names import check_dns_subdomain
from constructs_lib._ingresses.certificate import HubCertificate
from constructs_lib._ingresses.tls import TlsSecret

__all__ = ["TlsSource", "check_tls"]

# What an edge's TLS prop takes: a Secret's name (its hosts unknown: refused with per-user
# hosts), a Secret made outside the app with its hosts, or a cert-manager Certificate.
TlsSource = str | TlsSecret | HubCertificate


def check_tls(
    scope: Construct,
    field: str,
    tls: object,
    served: Sequence[str],
    user_hosts: str | None,
) -> str | None:
    """The name of the Secret an edge serving ``served`` ends TLS with (``None``: TLS ends
    before it). With ``user_hosts``, a plain name is refused (it says nothing of the hosts it
    covers); a ``TlsSecret`` or ``HubCertificate`` must cover every host served."""
    if tls is None:
        return None
    if isinstance(tls, str):
        if user_hosts is not None:
            raise invalid(
                scope,
                field,
                tls,
                "must say which hosts its certificate covers with the hub's user_hosts "
                f"({user_hosts!r} as well as the hub's hosts): "
                f"TlsSecret({tls!r}, hosts=(...)), a HubCertificate, or in a site file "
                "tls_secret with tls_hosts",
            )
        return check_dns_subdomain(scope, field, tls)
    if isinstance(tls, HubCertificate):
        return tls.check_covers(scope, field, served)
    if not isinstance(tls, TlsSecret):
        raise invalid(scope, field, tls, "must be a Secret's name, a TlsSecret or a HubCertificate")
    tls.check(scope, field)
    for host in served:
        if not tls.covers(host):
            raise invalid(
                scope,
                field,
                tls,
                f"must cover every host served, {host!r} included (a wildcard covers "
                "exactly one label: '*.example.org' covers 'a.example.org', not "
                "'a.users.example.org')",
            )
    return tls.name
