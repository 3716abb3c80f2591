from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    HeaderTrust,
    IstioIngress,
    IstioTls,
    JupyterHub,
    MeshTelemetry,
    NetworkPeer,
    OutboundTrafficMode,
    ProxyToken,
    Retries,
)
from tests.conftest import HOSTS, TRUST, find, synth
from tests.crd_schemas import validate_custom
from tests.mesh.authz import Request
from tests.mesh.hops import check_ingress
from tests.mesh.objects import Mesh

PUBLIC = ("a.example.org", "b.example.org", *HOSTS)


def _istio(chart: cdk8s.Chart, *, public_hosts: Any = PUBLIC, **props: Any) -> IstioIngress:
    jupyterhub = JupyterHub(
        chart,
        "JupyterHub",
        header_trust=TRUST,
        hosts=public_hosts,
        proxy_token=ProxyToken.from_existing_secret("t"),
    )
    return IstioIngress(chart, "Istio", jupyterhub=jupyterhub, **props)


def _istio_objects(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in manifests if ".istio.io/" in m["apiVersion"]]


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    _istio(chart)
    assert _istio_objects(synth(chart)) == snapshot_yaml


def test_routes_to_the_proxy_service(chart: cdk8s.Chart) -> None:
    istio = _istio(chart, retries=Retries(attempts=5))
    http = find(synth(chart), "VirtualService")["spec"]["http"][0]
    assert http["route"][0]["destination"] == {
        "host": istio.proxy.service.name,
        "port": {"number": istio.proxy.port},
    }
    assert http["retries"]["attempts"] == 5


def test_gateway_selector_is_the_gateway_peer(chart: cdk8s.Chart) -> None:
    _istio(chart, gateway=NetworkPeer({"name": "edge"}, {"app": "edge-gw"}, namespace="edge"))
    assert find(synth(chart), "Gateway")["spec"]["selector"] == {"app": "edge-gw"}


def test_hosts_default_to_the_hubs_public_hosts(chart: cdk8s.Chart) -> None:
    _istio(chart)
    gateway = find(synth(chart), "Gateway")
    assert gateway["spec"]["servers"][0]["hosts"] == list(PUBLIC)


def test_fails_host_the_hub_does_not_know(chart: cdk8s.Chart) -> None:
    assert _error(chart, hosts=["c.example.org"]) == (
        "test/Istio: hosts[0] must be one of the hub's public_hosts ['a.example.org', "
        "'b.example.org', 'hub.example.org'] (user servers accept the browser's Origin only "
        "from those), got 'c.example.org'"
    )


def test_ext_authz_in_the_gateway_namespace(chart: cdk8s.Chart) -> None:
    _istio(chart, ext_authz_provider="oauth2-proxy", hosts=["a.example.org", "b.example.org"])
    policy = find(synth(chart), "AuthorizationPolicy", "jupyterhub-ext-authz")
    assert policy["metadata"]["namespace"] == "istio-system"
    assert policy["spec"]["action"] == "CUSTOM"
    assert policy["spec"]["provider"] == {"name": "oauth2-proxy"}
    # The hub's paths only: oauth2-proxy and its cookies live there, user servers do not.
    # Each host bare and with any port: the gateway routes "h:443" as "h".
    assert policy["spec"]["rules"] == [
        {
            "to": [
                {
                    "operation": {
                        "hosts": [
                            "a.example.org",
                            "a.example.org:*",
                            "b.example.org",
                            "b.example.org:*",
                        ],
                        "paths": ["/hub", "/hub/*"],
                    }
                }
            ]
        }
    ]


def test_no_ext_authz_by_default(chart: cdk8s.Chart) -> None:
    _istio(chart)
    assert not [
        m
        for m in synth(chart)
        if m["kind"] == "AuthorizationPolicy" and m["spec"]["action"] == "CUSTOM"
    ]


def test_user_egress_hosts_and_mode(chart: cdk8s.Chart) -> None:
    _istio(
        chart,
        user_egress_hosts=["data/minio.data.svc.cluster.local"],
        user_outbound=OutboundTrafficMode.REGISTRY_ONLY,
    )
    sidecar = find(synth(chart), "Sidecar", "jupyterhub-singleuser-server")["spec"]
    assert sidecar["egress"][0]["hosts"][-1] == "data/minio.data.svc.cluster.local"
    assert sidecar["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}


def test_sampling(chart: cdk8s.Chart) -> None:
    _istio(chart, telemetry=MeshTelemetry(sampling_percentage=5.0))
    telemetry = find(synth(chart), "Telemetry", "jupyterhub-hub")["spec"]
    assert telemetry["tracing"][0]["randomSamplingPercentage"] == 5


def _error(chart: cdk8s.Chart, **props: Any) -> str:
    with pytest.raises(ValueError) as error:
        _istio(chart, **props)
    return str(error.value)


def test_fails_invalid_hostname(chart: cdk8s.Chart) -> None:
    assert _error(chart, hosts=["hub example.org"]) == (
        "test/Istio: hosts[0] must be a lower-case DNS host name such as 'hub.example.org', "
        "got 'hub example.org'"
    )


def test_fails_duplicate_hosts(chart: cdk8s.Chart) -> None:
    assert _error(chart, hosts=["a.example.org", "a.example.org"]) == (
        "test/Istio: hosts[1] must not repeat another host, got 'a.example.org'"
    )


def test_fails_sampling_out_of_range(chart: cdk8s.Chart) -> None:
    assert _error(chart, telemetry=MeshTelemetry(sampling_percentage=101)) == (
        "test/Istio: telemetry.sampling_percentage must be a percentage from 0 to 100, got 101"
    )


def test_fails_unknown_outbound_mode(chart: cdk8s.Chart) -> None:
    assert _error(chart, user_outbound="DENY_ALL") == (
        "test/Istio: user_outbound must be one of REGISTRY_ONLY, ALLOW_ANY, got 'DENY_ALL'"
    )


def test_fails_egress_host_without_namespace(chart: cdk8s.Chart) -> None:
    assert _error(chart, user_egress_hosts=["pypi.org"]) == (
        "test/Istio: user_egress_hosts[0] must be '<namespace>/<host>' as Istio Sidecar egress "
        "expects, got 'pypi.org'"
    )


# Istio's default install: the ingress gateway in istio-system.
GATEWAY_ID = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"


def _authz_allows(
    policies: list[dict[str, Any]], target: dict[str, str], source: str, port: int, path: str
) -> bool:
    """Istio ALLOW semantics: no ALLOW policy on the workload allows all, else one must match."""
    selecting = [
        p
        for p in policies
        if p["spec"]["action"] == "ALLOW"
        and all(target.get(k) == v for k, v in p["spec"]["selector"]["matchLabels"].items())
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"]["rules"]:
            sources = [s for f in rule["from"] for s in f["source"]["principals"]]
            operation = rule["to"][0]["operation"]
            paths = operation.get("paths")
            if (
                source in sources
                and str(port) in operation["ports"]
                and (
                    paths is None
                    or any(
                        path.startswith(p.removesuffix("*")) if p.endswith("*") else path == p
                        for p in paths
                    )
                )
            ):
                return True
    return False


def test_mesh_authorization_admits_exactly_the_flows(chart: cdk8s.Chart) -> None:
    istio = _istio(chart)
    jupyterhub = chart.node.find_child("JupyterHub")
    assert isinstance(jupyterhub, JupyterHub)
    hub, proxy = jupyterhub.hub, jupyterhub.proxy
    policies = [m for m in synth(chart) if m["kind"] == "AuthorizationPolicy"]
    ids = {
        "gateway": GATEWAY_ID,
        "proxy": f"cluster.local/ns/jupyterhub/sa/{proxy.service_account.name}",
        "hub": f"cluster.local/ns/jupyterhub/sa/{hub.service_account.name}",
        "user": f"cluster.local/ns/jupyterhub/sa/{jupyterhub.user_service_account.name}",
        "outsider": "cluster.local/ns/other/sa/default",
    }
    targets = {"proxy": proxy.labels, "hub": hub.labels, "user": hub.user_pod_labels}
    allowed = {
        ("gateway", "proxy", 8080, "/"),
        ("hub", "proxy", 8081, "/api/routes"),
        ("proxy", "hub", 8081, "/hub/login"),
        ("proxy", "hub", 8081, "/hub/api/users"),
        ("proxy", "hub", 8081, "/hub/admin"),
        ("user", "hub", 8081, "/hub/api/users"),
        ("hub", "hub", 8081, "/hub/api/users"),
        # jupyterhub-singleuser's start-up check GETs JUPYTERHUB_API_URL, without a slash.
        ("user", "hub", 8081, "/hub/api"),
        ("hub", "hub", 8081, "/hub/api"),
        ("proxy", "hub", 8081, "/hub/api"),
        ("proxy", "hub", 8081, "/hub/apix"),
        ("proxy", "user", 8888, "/user/a/"),
        ("hub", "user", 8888, "/user/a/api"),
        ("proxy", "user", 8888, "/user/a/api"),
        ("hub", "user", 8888, "/user/a/"),
    }
    probes = [
        ("proxy", 8080, "/"),
        ("proxy", 8081, "/api/routes"),
        ("hub", 8081, "/hub/login"),
        ("hub", 8081, "/hub/api/users"),
        ("hub", 8081, "/hub/api"),
        ("hub", 8081, "/hub/apix"),
        ("hub", 8081, "/hub/admin"),
        ("user", 8888, "/user/a/"),
        ("user", 8888, "/user/a/api"),
    ]
    for source, principal in ids.items():
        for target, port, path in probes:
            expected = (source, target, port, path) in allowed
            assert _authz_allows(policies, targets[target], principal, port, path) is expected, (
                source,
                target,
                port,
                path,
            )
    assert istio.gateway.namespace == "istio-system"


def test_fails_malformed_gateway_principal(chart: cdk8s.Chart) -> None:
    assert _error(chart, gateway_principal="istio-ingressgateway") == (
        "test/Istio: gateway_principal must look like '<trust domain>/ns/<namespace>/sa/"
        "<service account>', got 'istio-ingressgateway'"
    )


def test_fails_without_chart_namespace() -> None:
    chart = cdk8s.Chart(cdk8s.Testing.app(), "test")
    with pytest.raises(ValueError) as error:
        _istio(chart)
    assert str(error.value) == (
        "test/Istio: namespace must be set on the chart: mesh identities name the namespace, "
        "got None"
    )


def test_hub_reaches_its_identity_provider_through_a_service_entry(chart: cdk8s.Chart) -> None:
    """A REGISTRY_ONLY sidecar reaches only hosts in the mesh's registry: the JWKS host needs
    a ServiceEntry (Istio docs, "Accessing External Services"). The hub speaks TLS itself, so
    the port is TLS (routed by SNI), visible to this namespace only."""
    _istio(chart)
    (entry,) = [m for m in synth(chart) if m["kind"] == "ServiceEntry"]
    assert entry["spec"] == {
        "hosts": ["auth.example.org"],
        "exportTo": ["."],
        "location": "MESH_EXTERNAL",
        "resolution": "DNS",
        "ports": [{"number": 443, "name": "tls-443", "protocol": "TLS"}],
    }


def test_no_service_entry_without_outside_urls(chart: cdk8s.Chart) -> None:
    jupyterhub = JupyterHub(
        chart,
        "JupyterHub",
        header_trust=HeaderTrust.mesh_enforced(),
        hosts=HOSTS,
        proxy_token=ProxyToken.from_existing_secret("t"),
    )
    IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    assert [m for m in synth(chart) if m["kind"] == "ServiceEntry"] == []


EXT_AUTHZ_HEADERS = {"x-auth-request-user": "alice", "authorization": "Bearer <ID token>"}


def _headers_forwarded(virtual_service: dict[str, Any], path: str) -> dict[str, str]:
    """What the gateway forwards for ``path``, by Istio's VirtualService rules: the first http
    route whose match fits (``uri.prefix``; no match = every request) applies its
    ``headers.request.remove`` in Envoy's router, after the ext-authz filter added the auth
    headers (Istio docs, "Virtual Service": HTTPRoute, Headers)."""
    for route in virtual_service["spec"]["http"]:
        matches = route.get("match")
        if matches is None or any(path.startswith(m["uri"]["prefix"]) for m in matches):
            removed = set(route.get("headers", {}).get("request", {}).get("remove", []))
            return {k: v for k, v in EXT_AUTHZ_HEADERS.items() if k not in removed}
    raise AssertionError(f"no route for {path}")


@pytest.mark.parametrize(
    ("path", "reaches"),
    [
        ("/hub/login", True),
        ("/hub/api/user", True),
        ("/hub/spawn/alice", True),
        ("/user/alice/lab", False),
        ("/user/alice/api/kernels", False),
        ("/", False),
        ("/hub", False),
        ("/users/alice", False),
        ("/hubx/login", False),
    ],
)
def test_auth_headers_reach_the_hub_paths_only(
    chart: cdk8s.Chart, path: str, reaches: bool
) -> None:
    """A user server's owner could record a visitor's header and ID token and replay them to
    the hub's login; the gateway passes them to the hub's paths only. (Envoy normalizes
    ``/hub/../user/…`` to ``/user/…`` before matching: Istio's default path normalization.)"""
    _istio(chart)
    virtual_service = find(synth(chart), "VirtualService")
    assert (_headers_forwarded(virtual_service, path) == EXT_AUTHZ_HEADERS) is reaches
    if not reaches:
        assert _headers_forwarded(virtual_service, path) == {}


def test_tls_serves_https_and_redirects_http(chart: cdk8s.Chart) -> None:
    """Istio's Gateway (istio.io/latest/docs/reference/config/networking/gateway/): an HTTPS
    server ends TLS with ``tls.mode: SIMPLE`` and the Secret named by ``credentialName`` (in
    the gateway workload's namespace); ``tls.httpsRedirect`` on the HTTP server sends a 301
    to HTTPS for every request. Both match the vendored Istio CRD's schema."""
    istio = _istio(chart, tls=IstioTls(credential_name="hub-tls"))
    gateway = find(synth(chart), "Gateway")
    assert gateway["spec"]["servers"] == [
        {
            "hosts": list(PUBLIC),
            "port": {"name": "https", "number": 443, "protocol": "HTTPS"},
            "tls": {"mode": "SIMPLE", "credentialName": "hub-tls"},
        },
        {
            "hosts": list(PUBLIC),
            "port": {"name": "http", "number": 80, "protocol": "HTTP"},
            "tls": {"httpsRedirect": True},
        },
    ]
    validate_custom(gateway)
    assert istio.tls == IstioTls(credential_name="hub-tls")


def test_tls_reaches_the_proxy_on_https_only(chart: cdk8s.Chart) -> None:
    """By the mesh model's reading of the same semantics: on 443 the VirtualService routes to
    the proxy, on 80 the gateway answers 301 and routes nothing."""
    _istio(chart, tls=IstioTls(credential_name="hub-tls"))
    gateway_pod = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "ingressgateway", "namespace": "istio-system"},
        "spec": {
            "selector": {"matchLabels": {"istio": "ingressgateway"}},
            "template": {
                "metadata": {
                    "labels": {"istio": "ingressgateway"},
                    "annotations": {"sidecar.istio.io/inject": "false"},
                },
                "spec": {
                    "serviceAccountName": "istio-ingressgateway-service-account",
                    "containers": [{"name": "istio-proxy", "image": "istio/proxyv2"}],
                },
            },
        },
    }
    model = Mesh.of([*synth(chart), gateway_pod])
    gateway = model.workload({"istio": "ingressgateway"})
    request = Request("GET", "hub.example.org", "/hub/login")
    served = check_ingress(model, gateway, request, 443)
    assert served.allowed, served.reason
    assert served.service is not None and served.service.name == "jupyterhub-proxy"
    redirected = check_ingress(model, gateway, request, 80)
    assert not redirected.allowed and "301" in redirected.reason


def test_tls_without_http(chart: cdk8s.Chart) -> None:
    _istio(chart, tls=IstioTls(credential_name="hub-tls", port=8443, redirect_http=False))
    (server,) = find(synth(chart), "Gateway")["spec"]["servers"]
    assert server["port"] == {"name": "https", "number": 8443, "protocol": "HTTPS"}


def test_no_tls_by_default(chart: cdk8s.Chart) -> None:
    _istio(chart)
    (server,) = find(synth(chart), "Gateway")["spec"]["servers"]
    assert server == {
        "hosts": list(PUBLIC),
        "port": {"name": "http", "number": 80, "protocol": "HTTP"},
    }


def test_fails_tls_credential_not_a_secret_name(chart: cdk8s.Chart) -> None:
    assert _error(chart, tls=IstioTls(credential_name="Hub TLS")).startswith(
        "test/Istio: tls.credential_name must be a DNS subdomain"
    )


def test_fails_tls_port_out_of_range(chart: cdk8s.Chart) -> None:
    assert _error(chart, tls=IstioTls(credential_name="hub-tls", port=0)) == (
        "test/Istio: tls.port must be a TCP port from 1 to 65535, got 0"
    )


def test_fails_tls_port_is_the_http_port(chart: cdk8s.Chart) -> None:
    assert _error(chart, port=443, tls=IstioTls(credential_name="hub-tls")) == (
        "test/Istio: tls.port must differ from the HTTP port 443, got 443"
    )


def test_ext_authz_skips_the_redirecting_http_listeners(chart: cdk8s.Chart) -> None:
    """Envoy runs the ext-authz filter before the route that answers ``httpsRedirect``, so a
    CUSTOM policy on the HTTP listener sends plain-HTTP requests to the auth proxy instead of
    redirecting them (istio/istio#36498). At a gateway a policy's ports are the pods' ports
    (ISTIO-SECURITY-2021-002: 8080 behind 80 in istioctl's install; Istio's gateway chart
    listens on 80 itself): the policy skips those, which only redirect."""
    _istio(chart, ext_authz_provider="oauth2-proxy", tls=IstioTls(credential_name="hub-tls"))
    policy = find(synth(chart), "AuthorizationPolicy", "jupyterhub-ext-authz")
    (rule,) = policy["spec"]["rules"]
    assert rule["to"][0]["operation"]["notPorts"] == ["80", "8080"]
    validate_custom(policy)


def test_ext_authz_on_every_port_without_redirect(chart: cdk8s.Chart) -> None:
    _istio(
        chart,
        ext_authz_provider="oauth2-proxy",
        tls=IstioTls(credential_name="hub-tls", redirect_http=False),
    )
    policy = find(synth(chart), "AuthorizationPolicy", "jupyterhub-ext-authz")
    assert "notPorts" not in policy["spec"]["rules"][0]["to"][0]["operation"]


def test_fails_tls_workload_port_out_of_range(chart: cdk8s.Chart) -> None:
    assert _error(chart, tls=IstioTls(credential_name="hub-tls", http_workload_ports=(80, 0))) == (
        "test/Istio: tls.http_workload_ports[1] must be a TCP port from 1 to 65535, got 0"
    )
