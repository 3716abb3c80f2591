from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    CHProxy,
    HeaderTrust,
    IstioIngress,
    IstioSidecar,
    IstioTls,
    JupyterHub,
    MeshTelemetry,
    NetworkPeer,
    OutboundTrafficMode,
    Retries,
)
from tests.mesh.authz import Request
from tests.mesh.hops import Verdict, check_ingress
from tests.mesh.objects import Mesh
from tests.support.builders import find, make_bare_hub, make_jupyterhub, synth, value_error
from tests.support.constants import GATEWAY_POD, HOSTS
from tests.support.crd_schemas import validate_custom

PUBLIC = ("a.example.org", "b.example.org", *HOSTS)
# The Gateway's hosts: bound by the VirtualServices of its own namespace alone.
BOUND_HERE = [f"./{host}" for host in PUBLIC]


def _istio(chart: cdk8s.Chart, *, public_hosts: Any = PUBLIC, **props: Any) -> IstioIngress:
    jupyterhub = make_jupyterhub(chart, hosts=public_hosts)
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
    _istio(chart, gateway_pods=NetworkPeer({"name": "edge"}, {"app": "edge-gw"}, namespace="edge"))
    assert find(synth(chart), "Gateway")["spec"]["selector"] == {"app": "edge-gw"}


def test_hosts_default_to_the_hubs_public_hosts(chart: cdk8s.Chart) -> None:
    _istio(chart)
    gateway = find(synth(chart), "Gateway")
    assert gateway["spec"]["servers"][0]["hosts"] == BOUND_HERE


def test_gateway_hosts_bind_only_the_virtual_services_of_its_namespace(
    chart: cdk8s.Chart,
) -> None:
    """``./<host>``: the Gateway is in the hub's namespace, and so is every VirtualService
    that must bind to it (its own here; the hub's with IstioProxy). A bare host would let a
    VirtualService of any namespace that names the Gateway take the host (istio/api 1.30.3,
    networking/v1alpha3/gateway.proto, ``Server.hosts``: the default is ``*/``)."""
    _istio(chart)
    manifests = synth(chart)
    gateway = find(manifests, "Gateway")
    (service,) = [m for m in manifests if m["kind"] == "VirtualService"]
    namespace = gateway["metadata"]["namespace"]
    assert service["metadata"]["namespace"] == namespace == chart.namespace
    assert service["spec"]["gateways"] == [gateway["metadata"]["name"]]
    assert all(h.startswith("./") for s in gateway["spec"]["servers"] for h in s["hosts"])


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
    return value_error(lambda: _istio(chart, **props))


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
    assert istio.gateway_pods.namespace == "istio-system"


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
    jupyterhub = make_jupyterhub(chart, header_trust=HeaderTrust.mesh_enforced())
    IstioIngress(chart, "Istio", jupyterhub=jupyterhub, ext_authz_provider="oauth2-proxy")
    assert [m for m in synth(chart) if m["kind"] == "ServiceEntry"] == []


# What the ext-authz provider sets on a request it checks (oauth2-proxy: the user header and
# its ID token), and what a client may send on its own (an API token, a forged user name).
EXT_AUTHZ_HEADERS = {"x-auth-request-user": "alice", "authorization": "Bearer <ID token>"}
CLIENT_HEADERS = {"x-auth-request-user": "admin", "authorization": "token <API token>"}


def _through_gateway(chart: cdk8s.Chart, request: Request, port: int = 80) -> Verdict:
    model = Mesh.of([*synth(chart), GATEWAY_POD])
    verdict = check_ingress(model, model.workload({"istio": "ingressgateway"}), request, port)
    assert verdict.allowed, verdict.reason
    return verdict


def _forwarded(verdict: Verdict) -> dict[str, str]:
    """The auth headers the proxy receives: the provider's where its check ran (Envoy's
    ext-authz filter sets them over the client's), else the client's; less what the route
    removes (Istio docs, "Virtual Service": Headers; Envoy's router removes them after every
    HTTP filter, ext-authz included)."""
    sent = EXT_AUTHZ_HEADERS if verdict.checked_by else CLIENT_HEADERS
    return {name: value for name, value in sent.items() if name not in verdict.removed_headers}


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize(
    ("path", "hub_path"),
    [
        ("/hub/login", True),
        ("/hub/api/user", True),
        ("/hub/spawn/alice", True),
        ("/user/alice/lab", False),
        ("/user/alice/api/kernels", False),
        ("/", False),
        ("/users/alice", False),
        ("/hubx/login", False),
    ],
)
def test_auth_headers_reach_the_hub_paths_only(
    chart: cdk8s.Chart, path: str, hub_path: bool, method: str
) -> None:
    """The provider checks the hub's paths and its headers reach the hub; elsewhere nothing
    is added, a client's own Authorization (a JupyterHub API token) reaches the user server,
    and no user header ever does. (Envoy normalizes ``/hub/../user/…`` to ``/user/…`` before
    matching: Istio's default path normalization.)"""
    _istio(chart, ext_authz_provider="oauth2-proxy")
    verdict = _through_gateway(chart, Request(method, "hub.example.org", path))
    assert bool(verdict.checked_by) is hub_path, verdict.reason
    if hub_path:
        assert _forwarded(verdict) == EXT_AUTHZ_HEADERS
    else:
        assert _forwarded(verdict) == {"authorization": "token <API token>"}


def test_routes_remove_only_the_hubs_user_header(chart: cdk8s.Chart) -> None:
    istio = _istio(chart)
    routes = find(synth(chart), "VirtualService")["spec"]["http"]
    removed = {r["name"]: r.get("headers", {}).get("request", {}).get("remove") for r in routes}
    assert removed == {
        "hub-idempotent": None,
        "hub": None,
        "other-idempotent": ["x-auth-request-user"],
        "other": ["x-auth-request-user"],
    }
    assert istio.auth_headers == ("x-auth-request-user",)


def test_tls_serves_https_and_redirects_http(chart: cdk8s.Chart) -> None:
    """Istio's Gateway (istio.io/v1.30/docs/reference/config/networking/gateway/): an HTTPS
    server ends TLS with ``tls.mode: SIMPLE`` and the Secret named by ``credentialName`` (in
    the gateway workload's namespace); ``tls.httpsRedirect`` on the HTTP server sends a 301
    to HTTPS for every request. Both match the vendored Istio CRD's schema."""
    istio = _istio(chart, tls=IstioTls(credential_name="hub-tls"))
    gateway = find(synth(chart), "Gateway")
    assert gateway["spec"]["servers"] == [
        {
            "hosts": BOUND_HERE,
            "port": {"name": "https", "number": 443, "protocol": "HTTPS"},
            "tls": {"mode": "SIMPLE", "credentialName": "hub-tls"},
        },
        {
            "hosts": BOUND_HERE,
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
    model = Mesh.of([*synth(chart), GATEWAY_POD])
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
        "hosts": BOUND_HERE,
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


@pytest.mark.parametrize("path", ["/hub/spawn/alice", "/hub/api/users/alice/server", "/user/a/"])
@pytest.mark.parametrize(
    ("method", "retry_on"),
    [
        ("GET", Retries.retry_on),
        ("HEAD", Retries.retry_on),
        ("PUT", Retries.retry_on),
        ("DELETE", Retries.retry_on),
        ("POST", "connect-failure,refused-stream"),
        ("PATCH", "connect-failure,refused-stream"),
    ],
)
def test_retries_repeat_a_non_idempotent_request_only_if_it_never_arrived(
    chart: cdk8s.Chart, path: str, method: str, retry_on: str
) -> None:
    """Envoy retries any method on the conditions it is given (Istio's HTTPRetry has no
    method rule): a POST answered 504 after the hub began a spawn would be sent again. The
    route each request takes (the mesh model's reading of the VirtualService: the first whose
    match, method included, fits) retries POST and PATCH only on connect-failure and
    refused-stream, when the proxy never processed it."""
    _istio(chart, ext_authz_provider="oauth2-proxy")
    verdict = _through_gateway(chart, Request(method, "hub.example.org", path))
    assert verdict.retries == {"attempts": 3, "retryOn": retry_on}, verdict.reason


def test_no_retries_with_zero_attempts(chart: cdk8s.Chart) -> None:
    """Istio's validation refuses retryOn with attempts 0 ("http retry policy configured when
    attempts are set to 0", pkg/config/validation/validation.go ``validateHTTPRetry``)."""
    _istio(chart, retries=Retries(attempts=0))
    routes = find(synth(chart), "VirtualService")["spec"]["http"]
    assert [r["retries"] for r in routes] == [{"attempts": 0}] * 4


def test_no_retries_for_post_when_asked(chart: cdk8s.Chart) -> None:
    _istio(chart, retries=Retries(unprocessed_retry_on=""))
    routes = {r["name"]: r["retries"] for r in find(synth(chart), "VirtualService")["spec"]["http"]}
    assert routes["hub"] == routes["other"] == {"attempts": 0}
    assert routes["hub-idempotent"] == {"attempts": 3, "retryOn": Retries.retry_on}


def test_retry_status_codes_are_conditions(chart: cdk8s.Chart) -> None:
    _istio(chart, retries=Retries(retry_on="connect-failure,503"))
    (first, *_) = find(synth(chart), "VirtualService")["spec"]["http"]
    assert first["retries"] == {"attempts": 3, "retryOn": "connect-failure,503"}


def test_fails_unknown_retry_condition(chart: cdk8s.Chart) -> None:
    assert _error(chart, retries=Retries(retry_on="gateway-error,5xxx")).startswith(
        "test/Istio: retries.retry_on must list Envoy retry conditions or HTTP status codes, "
        "not '5xxx' (Istio accepts 5xx, cancelled, connect-failure,"
    )


def test_fails_unprocessed_retry_on_that_may_repeat(chart: cdk8s.Chart) -> None:
    assert _error(chart, retries=Retries(unprocessed_retry_on="connect-failure,5xx")) == (
        "test/Istio: retries.unprocessed_retry_on may list only connect-failure, refused-stream "
        "(the upstream never processed the request): 5xx would repeat a POST the hub or a "
        "user server may have carried out, got 'connect-failure,5xx'"
    )


def test_fails_negative_retry_attempts(chart: cdk8s.Chart) -> None:
    assert _error(chart, retries=Retries(attempts=-1)) == (
        "test/Istio: retries.attempts must be 0 or more, got -1"
    )


def test_gateway_is_renamed_gateway_pods(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _istio(chart, gateway=NetworkPeer.ISTIO_INGRESS_GATEWAY)
    assert str(error.value).startswith(
        "test/Istio: gateway is now gateway_pods (.gateway is the Gateway made), got NetworkPeer("
    )


def _outside_the_mesh(field: str, given: str, hub: str) -> str:
    """The one message for a hub without the mesh, whichever way it is given."""
    return (
        f"test/Istio: {field} must have the mesh IstioIngress configures (its hub {hub} has no "
        "Istio sidecar): JupyterHub(mesh=IstioMesh()), or sidecar=IstioSidecar() in the "
        f"options of a hub and a proxy made apart, got {given!r}"
    )


def test_refuses_a_jupyterhub_without_the_mesh(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart, mesh=None)
    message = value_error(lambda: IstioIngress(chart, "Istio", jupyterhub=jupyterhub))
    assert message == _outside_the_mesh("jupyterhub", "test/JupyterHub", "test/JupyterHub/Hub")


def test_refuses_its_proxy_as_well(chart: cdk8s.Chart) -> None:
    # The header trust (jwt_proof) is not the reason: the mesh's objects would act on nothing.
    proxy = make_jupyterhub(chart, mesh=None).proxy
    message = value_error(lambda: IstioIngress(chart, "Istio", proxy=proxy))
    assert message == _outside_the_mesh("proxy", "test/JupyterHub/Proxy", "test/JupyterHub/Hub")


def test_refuses_a_proxy_whose_hub_was_made_without_a_sidecar(chart: cdk8s.Chart) -> None:
    proxy = CHProxy(chart, "Proxy", hub=make_bare_hub(chart))
    message = value_error(lambda: IstioIngress(chart, "Istio", proxy=proxy))
    assert message == _outside_the_mesh("proxy", "test/Proxy", "test/Hub")


def test_takes_a_proxy_whose_hub_has_a_sidecar(chart: cdk8s.Chart) -> None:
    hub = make_bare_hub(chart, sidecar=IstioSidecar())
    proxy = CHProxy(chart, "Proxy", hub=hub, sidecar=IstioSidecar())
    assert IstioIngress(chart, "Istio", proxy=proxy).hosts == HOSTS
