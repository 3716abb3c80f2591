from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    AuthProxy,
    AuthProxyIngress,
    CHProxy,
    NotebookProfile,
)
from constructs_lib._ingresses.auth_proxy import AUTH_PROXY_PREFIX
from tests.support.builders import make_bare_hub, make_jupyterhub, synth
from tests.support.constants import HOSTS
from tests.support.ingress_nginx import upstream_headers

NGINX = "nginx.ingress.kubernetes.io"


PUBLIC = ("a.example.org", "b.example.org", *HOSTS)


def _ingress(chart: cdk8s.Chart, **props: Any) -> AuthProxyIngress:
    jupyterhub = make_jupyterhub(chart, hosts=PUBLIC)
    props.setdefault("hosts", list(HOSTS))
    return AuthProxyIngress(chart, "Ingress", proxy=jupyterhub.proxy, **props)


def _ingresses(chart: cdk8s.Chart) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in synth(chart) if m["kind"] == "Ingress"}


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    _ingress(chart)
    assert sorted(_ingresses(chart).values(), key=lambda m: m["metadata"]["name"]) == (
        snapshot_yaml
    )


def test_only_the_hub_ingress_checks_and_passes_user_and_proof_headers(
    chart: cdk8s.Chart,
) -> None:
    ingress = _ingress(chart)
    ingresses = _ingresses(chart)
    assert sorted(ingresses) == ["jupyterhub", "jupyterhub-auth-proxy", "jupyterhub-hub"]
    assert ingress.hub_ingress.name == "jupyterhub-hub"
    assert ingress.auth_proxy_ingress.name == "jupyterhub-auth-proxy"
    hub, rest = ingresses["jupyterhub-hub"], ingresses["jupyterhub"]
    auth_proxy = ingresses["jupyterhub-auth-proxy"]
    assert hub["metadata"]["annotations"] == {
        f"{NGINX}/auth-url": "https://$host/hub/oauth2/auth",
        f"{NGINX}/auth-signin": "https://$host/hub/oauth2/start?rd=$escaped_request_uri",
        f"{NGINX}/auth-response-headers": "X-Auth-Request-User,Authorization",
    }
    # User servers and oauth2-proxy's own endpoints are not checked at the edge.
    assert "annotations" not in rest["metadata"]
    assert "annotations" not in auth_proxy["metadata"]
    assert [p["path"] for p in hub["spec"]["rules"][0]["http"]["paths"]] == ["/hub"]
    assert [p["path"] for p in rest["spec"]["rules"][0]["http"]["paths"]] == ["/"]
    (entry,) = auth_proxy["spec"]["rules"][0]["http"]["paths"]
    assert entry == {
        "path": AUTH_PROXY_PREFIX,
        "pathType": "Prefix",
        "backend": {"service": {"name": "oauth2-proxy", "port": {"number": 80}}},
    }


def test_auth_proxy_service(chart: cdk8s.Chart) -> None:
    _ingress(chart, auth_proxy=AuthProxy(service="sso", port=8080))
    entry = _ingresses(chart)["jupyterhub-auth-proxy"]["spec"]["rules"][0]["http"]["paths"][0]
    assert entry["backend"] == {"service": {"name": "sso", "port": {"number": 8080}}}


def test_fails_bad_auth_proxy(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _ingress(chart, auth_proxy=AuthProxy(port=0))
    assert (
        str(error.value)
        == "test/Ingress: auth_proxy.port must be a TCP port from 1 to 65535, got 0"
    )


def test_fails_bad_auth_proxy_target_port(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _ingress(chart, auth_proxy=AuthProxy(target_port=70000))
    assert (
        str(error.value)
        == "test/Ingress: auth_proxy.target_port must be a TCP port from 1 to 65535, got 70000"
    )


@pytest.mark.parametrize(
    ("path", "gets_auth_headers"),
    [
        ("/hub/login", True),
        ("/hub", True),
        ("/hub/api/user", True),
        ("/user/bob/lab", False),
        ("/user/bob/hub/login", False),
        ("/", False),
        ("/hubx/login", False),
        ("/services/culler/", False),
    ],
)
def test_what_each_path_receives(chart: cdk8s.Chart, path: str, gets_auth_headers: bool) -> None:
    _ingress(chart)
    answer = {"X-Auth-Request-User": "alice", "Authorization": "Bearer id-token"}
    client = {"X-Auth-Request-User": "admin", "Cookie": "c=1"}
    received = upstream_headers(
        list(_ingresses(chart).values()), "hub.example.org", path, client, answer
    )
    if gets_auth_headers:
        assert (received["x-auth-request-user"], received["authorization"]) == (
            "alice",
            "Bearer id-token",
        )
    else:
        # A client's own copy reaches its own request's target; never the auth proxy's.
        assert received.get("x-auth-request-user") == "admin"
        assert "authorization" not in received


def test_tls_secret(chart: cdk8s.Chart) -> None:
    _ingress(chart, tls_secret="hub-tls", hosts=["a.example.org", "b.example.org"])
    for manifest in _ingresses(chart).values():
        assert manifest["spec"]["tls"] == [
            {"hosts": ["a.example.org", "b.example.org"], "secretName": "hub-tls"}
        ]


def test_hosts_and_headers_follow_the_hub(chart: cdk8s.Chart) -> None:
    hub = make_bare_hub(
        chart,
        public_hosts=PUBLIC,
        user_header="X-Forwarded-User",
        profiles=[NotebookProfile(chart, "P")],
    )
    ingress = AuthProxyIngress(chart, "Ingress", proxy=CHProxy(chart, "Proxy", hub=hub))
    assert ingress.hosts == PUBLIC
    assert ingress.auth_response_headers == ("X-Forwarded-User", "Authorization")


def test_fails_host_the_hub_does_not_know(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _ingress(chart, hosts=["c.example.org"])
    assert str(error.value) == (
        "test/Ingress: hosts[0] must be one of the hub's public_hosts ['a.example.org', "
        "'b.example.org', 'hub.example.org'] (user servers accept the browser's Origin only "
        "from those), got 'c.example.org'"
    )


def test_routes_to_the_proxy_service(chart: cdk8s.Chart) -> None:
    ingress = _ingress(chart, ingress_class="internal")
    proxy = ingress.node.scope.node.find_child("JupyterHub").proxy  # type: ignore[union-attr]
    for name, manifest in _ingresses(chart).items():
        if name == "jupyterhub-auth-proxy":
            assert manifest["spec"]["ingressClassName"] == "internal"
            continue
        spec = manifest["spec"]
        assert spec["ingressClassName"] == "internal"
        backend = spec["rules"][0]["http"]["paths"][0]["backend"]
        assert backend["service"] == {"name": proxy.service.name, "port": {"name": "http"}}


def test_controller_is_the_ingress_nginx_pods(chart: cdk8s.Chart) -> None:
    assert _ingress(chart).controller.to_policy_peer() == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/name": "ingress-nginx",
                "app.kubernetes.io/component": "controller",
            }
        },
    }


def test_fails_empty_host_list(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _ingress(chart, hosts=[])
    assert str(error.value) == "test/Ingress: hosts must be a non-empty list of host names, got []"


def test_fails_invalid_host(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _ingress(chart, hosts=["Hub_Example.org"])
    assert str(error.value) == (
        "test/Ingress: hosts[0] must be a lower-case DNS host name such as 'hub.example.org', "
        "got 'Hub_Example.org'"
    )


def test_fails_duplicate_host(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _ingress(chart, hosts=["hub.example.org", "hub.example.org"])
    assert str(error.value) == (
        "test/Ingress: hosts[1] must not repeat another host, got 'hub.example.org'"
    )
