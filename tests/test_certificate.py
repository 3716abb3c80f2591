"""HubCertificate: a cert-manager Certificate for the hub's hosts and the user servers'
wildcard, validated against the vendored cert-manager CRD, serving the Ingress's TLS
Secret, the Istio Gateway's credentialName and Gateway API listeners."""

from __future__ import annotations

from typing import Any

import cdk8s
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    AuthProxyIngress,
    CertificateIssuer,
    HubCertificate,
    IssuerKind,
    IstioIngress,
    IstioTls,
    NetworkPeer,
)
from tests.support.builders import find, make_jupyterhub, synth, value_error
from tests.support.crd_schemas import validate_custom

HUB = "hub.example.org"
USERS = "*.users.example.org"
ISSUER = CertificateIssuer.cluster_issuer("letsencrypt-dns01")
GATEWAYS = "istio-gateways"


def _jupyterhub(chart: cdk8s.Chart, **props: Any) -> Any:
    props.setdefault("hosts", (HUB,))
    props.setdefault("user_hosts", USERS)
    return make_jupyterhub(chart, **props)


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    jupyterhub = _jupyterhub(chart)
    HubCertificate(chart, "Certificate", hub=jupyterhub.hub, issuer=ISSUER)
    certificate = find(synth(chart), "Certificate")
    validate_custom(certificate)
    assert certificate == snapshot_yaml


def test_names_the_hub_hosts_and_the_wildcard(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    made = HubCertificate(
        chart, "Certificate", hub=jupyterhub.hub, issuer=CertificateIssuer.issuer("local")
    )
    spec = find(synth(chart), "Certificate")["spec"]
    assert spec["dnsNames"] == [HUB, USERS]
    assert spec["issuerRef"] == {"group": "cert-manager.io", "kind": "Issuer", "name": "local"}
    assert spec["secretName"] == made.secret_name == "jupyterhub-tls"
    assert made.covers("alice.users.example.org") and not made.covers("a.b.users.example.org")


def test_serves_the_ingress_tls(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    made = HubCertificate(chart, "Certificate", hub=jupyterhub.hub, issuer=ISSUER)
    AuthProxyIngress(chart, "Ingress", proxy=jupyterhub.proxy, tls_secret=made)
    ingress = find(synth(chart), "Ingress", "jupyterhub")
    assert ingress["spec"]["tls"] == [{"hosts": [HUB, USERS], "secretName": "jupyterhub-tls"}]


def test_serves_the_istio_gateway_in_the_gateways_namespace(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    made = HubCertificate(
        chart, "Certificate", hub=jupyterhub.hub, issuer=ISSUER, namespace=GATEWAYS
    )
    IstioIngress(
        chart,
        "Istio",
        jupyterhub=jupyterhub,
        gateway_pods=NetworkPeer.in_namespace(GATEWAYS, {"istio": "ingressgateway"}),
        tls=IstioTls.from_certificate(made),
    )
    manifests = synth(chart)
    assert find(manifests, "Certificate")["metadata"]["namespace"] == GATEWAYS
    (https, _redirect) = find(manifests, "Gateway")["spec"]["servers"]
    assert https["tls"] == {"mode": "SIMPLE", "credentialName": "jupyterhub-tls"}
    assert https["hosts"] == [f"./{HUB}", f"./{USERS}"]


def test_gateway_listeners(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    made = HubCertificate(chart, "Certificate", hub=jupyterhub.hub, issuer=ISSUER)
    listeners = made.gateway_listeners()
    assert [(item["hostname"], item["port"], item["protocol"]) for item in listeners] == [
        (HUB, 443, "HTTPS"),
        (USERS, 443, "HTTPS"),
    ]
    assert {ref["name"] for item in listeners for ref in item["tls"]["certificateRefs"]} == {
        "jupyterhub-tls"
    }


def test_fails_certificate_without_the_wildcard(chart: cdk8s.Chart) -> None:
    """A certificate made before user_hosts was set names the hub's host only."""
    plain = make_jupyterhub(chart, "Plain", hosts=(HUB,), release="plain")
    made = HubCertificate(chart, "Certificate", hub=plain.hub, issuer=ISSUER)
    jupyterhub = _jupyterhub(chart)
    message = value_error(
        lambda: AuthProxyIngress(chart, "Ingress", proxy=jupyterhub.proxy, tls_secret=made)
    )
    assert message == (
        "test/Ingress: tls_secret must be a certificate for every host served, "
        "'*.users.example.org' included (it names ['hub.example.org']), got 'test/Certificate'"
    )


def test_fails_istio_certificate_outside_the_gateways_namespace(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    made = HubCertificate(chart, "Certificate", hub=jupyterhub.hub, issuer=ISSUER)
    message = value_error(
        lambda: IstioIngress(
            chart,
            "Istio",
            jupyterhub=jupyterhub,
            gateway_pods=NetworkPeer.in_namespace(GATEWAYS, {"istio": "ingressgateway"}),
            tls=IstioTls.from_certificate(made),
        )
    )
    assert message == (
        "test/Istio: tls.certificate must be made in the gateway pods' namespace "
        "'istio-gateways' (HubCertificate(namespace=...)), where Istio reads credentialName, "
        "got None"
    )


def test_fails_bad_issuer(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    message = value_error(
        lambda: HubCertificate(
            chart, "Certificate", hub=jupyterhub.hub, issuer=CertificateIssuer("Bad Name")
        )
    )
    assert message == (
        "test/Certificate: issuer.name must be a DNS subdomain (dot-separated DNS labels, at "
        "most 253 characters), got 'Bad Name'"
    )
    assert IssuerKind.CLUSTER_ISSUER.value == "ClusterIssuer"
