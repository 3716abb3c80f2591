from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import AuthProxyIngress, JupyterHub, ProxyToken
from tests.conftest import HOSTS, TRUST, find, synth


def _ingress(chart: cdk8s.Chart, **props: Any) -> AuthProxyIngress:
    jupyterhub = JupyterHub(chart, "JupyterHub", header_trust=TRUST, hosts=HOSTS,
            proxy_token=ProxyToken.from_existing_secret("t"))
    props.setdefault("hosts", ["hub.example.org"])
    return AuthProxyIngress(chart, "Ingress", proxy=jupyterhub.proxy, **props)


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    _ingress(chart)
    assert find(synth(chart), "Ingress") == snapshot_yaml


def test_passes_user_and_proof_headers(chart: cdk8s.Chart) -> None:
    _ingress(chart)
    annotations = find(synth(chart), "Ingress")["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/auth-response-headers"] == (
        "X-Auth-Request-User,Authorization")


def test_tls_secret(chart: cdk8s.Chart) -> None:
    _ingress(chart, tls_secret="hub-tls", hosts=["a.example.org", "b.example.org"])
    tls = find(synth(chart), "Ingress")["spec"]["tls"]
    assert tls == [{"hosts": ["a.example.org", "b.example.org"], "secretName": "hub-tls"}]


def test_routes_to_the_proxy_service(chart: cdk8s.Chart) -> None:
    ingress = _ingress(chart, ingress_class="internal")
    spec = find(synth(chart), "Ingress")["spec"]
    assert spec["ingressClassName"] == "internal"
    assert spec["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == (
        ingress.node.scope.node.find_child("JupyterHub").proxy.service.name)  # type: ignore[union-attr]


def test_fails_empty_host_list(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _ingress(chart, hosts=[])
    assert str(error.value) == "test/Ingress: hosts must be a non-empty list of host names, got []"


def test_fails_invalid_host(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _ingress(chart, hosts=["Hub_Example.org"])
    assert str(error.value) == (
        "test/Ingress: hosts[0] must be a lower-case DNS host name such as 'hub.example.org', "
        "got 'Hub_Example.org'")


def test_fails_duplicate_host(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _ingress(chart, hosts=["hub.example.org", "hub.example.org"])
    assert str(error.value) == (
        "test/Ingress: hosts[1] must not repeat another host, got 'hub.example.org'")
