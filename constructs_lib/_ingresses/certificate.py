"""A cert-manager ``Certificate`` for the hub's hosts and the user servers' wildcard: the
Secret an Ingress's TLS section, an Istio Gateway's ``credentialName`` or a Gateway API
listener's ``certificateRefs`` name. cert-manager (not the hub) asks the ACME server and
renews; a wildcard name can only be proven with a DNS-01 solver on the issuer."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived, resolve
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import APP_LABEL, check_dns_label, check_dns_subdomain
from constructs_lib._core._objects import api_objects, object_spec
from constructs_lib._ingresses.tls import certificate_covers, https_listeners
from constructs_lib._proxies.interfaces import IHub
from hub_runtime.frozen import frozen

__all__ = ["CERT_MANAGER_GROUP", "CertificateIssuer", "HubCertificate", "IssuerKind"]

CERT_MANAGER_GROUP = "cert-manager.io"


class IssuerKind(StrEnum):
    """Where cert-manager finds the issuer: the Certificate's namespace, or the cluster."""

    ISSUER = "Issuer"
    CLUSTER_ISSUER = "ClusterIssuer"


@frozen
class CertificateIssuer:
    """The cert-manager issuer that signs the certificate (``issuerRef``)."""

    name: str
    kind: IssuerKind = IssuerKind.CLUSTER_ISSUER

    @classmethod
    def issuer(cls, name: str) -> CertificateIssuer:
        """An ``Issuer`` in the Certificate's namespace."""
        return cls(name, IssuerKind.ISSUER)

    @classmethod
    def cluster_issuer(cls, name: str) -> CertificateIssuer:
        """A ``ClusterIssuer``."""
        return cls(name, IssuerKind.CLUSTER_ISSUER)


class HubCertificate(LibraryConstruct):
    """A cert-manager ``Certificate`` (``cert-manager.io/v1``) whose Secret holds the TLS
    certificate and key of the hub's public hosts and, with ``user_hosts``, their wildcard.

    Pass it as ``AuthProxyIngress(tls_secret=certificate)``,
    ``IstioTls.from_certificate(certificate)`` (made in the gateway pods' namespace: Istio
    reads ``credentialName`` there) or list ``certificate.gateway_listeners()`` on your Gateway
    API Gateway (in the Gateway's namespace). A wildcard needs the issuer to solve DNS-01
    (Let's Encrypt validates ``*.`` names only that way).

    Args:
        hub: the hub (``jupyterhub.hub``) whose hosts the certificate names.
        issuer: the issuer or cluster issuer that signs it: required (cert-manager's own).
        secret_name: the Secret cert-manager writes; default ``Derived.FROM_RELEASE``,
            ``<release>-tls``.
        namespace: where the Certificate and its Secret live; default ``None``, the chart's
            (give the gateway pods' namespace for Istio, the Gateway's for Gateway API).
    """

    certificate = Handle[cdk8s.ApiObject]("The Certificate (the default child).")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        hub: IHub,
        issuer: CertificateIssuer,
        secret_name: str | Derived = Derived.FROM_RELEASE,
        namespace: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        if not isinstance(hub, IHub):
            raise invalid(self, "hub", hub, "must be a hub (an IHub such as jupyterhub.hub)")
        if not isinstance(issuer, CertificateIssuer):
            raise invalid(self, "issuer", issuer, "must be a CertificateIssuer")
        check_dns_subdomain(self, "issuer.name", issuer.name)
        self.secret_name = check_dns_subdomain(
            self,
            "secret_name",
            resolve(
                self, "secret_name", secret_name, Derived.FROM_RELEASE, lambda: f"{hub.release}-tls"
            ),
        )
        if namespace is not None:
            check_dns_label(self, "namespace", namespace)
        self.namespace = namespace
        self.issuer = issuer
        self.dns_names = (*hub.public_hosts, *((hub.user_hosts,) if hub.user_hosts else ()))
        (self.certificate,) = api_objects(
            self,
            [
                object_spec(
                    "Resource",
                    api_version=f"{CERT_MANAGER_GROUP}/v1",
                    kind="Certificate",
                    name=self.secret_name,
                    labels={APP_LABEL: hub.release},
                    namespace=namespace,
                    spec={
                        "secretName": self.secret_name,
                        "dnsNames": list(self.dns_names),
                        "issuerRef": {
                            "group": CERT_MANAGER_GROUP,
                            "kind": issuer.kind.value,
                            "name": issuer.name,
                        },
                    },
                )
            ],
        )

    def covers(self, host: str) -> bool:
        """Whether the certificate is valid for ``host`` (a name or a wildcard it lists)."""
        return certificate_covers(self.dns_names, host)

    def check_covers(self, scope: Construct, field: str, hosts: Sequence[str]) -> str:
        """The Secret's name, once every one of ``hosts`` is covered; else a ValueError."""
        for host in hosts:
            if not self.covers(host):
                raise invalid(
                    scope,
                    field,
                    self.node.path,
                    f"must be a certificate for every host served, {host!r} included "
                    f"(it names {list(self.dns_names)})",
                )
        return self.secret_name

    def gateway_listeners(self, port: int = 443) -> list[dict[str, Any]]:
        """HTTPS listeners for a Gateway API ``Gateway`` (one per name: a listener has one
        ``hostname``), ending TLS with this certificate's Secret. Routes of the Gateway's
        namespace only, as Gateway API defaults: add ``allowedRoutes`` for the app's."""
        return https_listeners(self.secret_name, self.dns_names, port)
