"""The mesh model (``tests/mesh``) on small hand-made meshes, each rule both ways: what Istio
routes and admits, and what it does not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mesh.authz import Request, peer_mode, string_match
from tests.mesh.hops import check, check_ingress
from tests.mesh.objects import ROOT_NAMESPACE, Mesh, Unmodelled, Workload
from tests.mesh.paths import normalized_path
from tests.mesh.routing import (
    HTTP,
    SNIFFED,
    TCP,
    TLS,
    host_without_port,
    port_protocol,
    resolve,
    virtual_host_domains,
)

NS = "apps"
HUB = {"app": "hub"}
CLIENT = {"app": "client"}


def deployment(
    name: str,
    labels: dict[str, str],
    *,
    namespace: str = NS,
    inject: bool = True,
    ports: dict[str, int] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "template": {
                "metadata": {"labels": {**labels, "sidecar.istio.io/inject": str(inject).lower()}},
                "spec": {
                    "serviceAccountName": name,
                    "containers": [
                        {
                            "name": "c",
                            "ports": [
                                {"name": n, "containerPort": p}
                                for n, p in (ports or {"http": 8081}).items()
                            ],
                        }
                    ],
                },
            }
        },
    }


def service(
    name: str,
    selector: dict[str, str],
    *,
    namespace: str = NS,
    port: int = 8081,
    port_name: str | None = "http",
    target: int | str = "http",
    app_protocol: str | None = None,
) -> dict[str, Any]:
    spec_port: dict[str, Any] = {"port": port, "targetPort": target}
    if port_name is not None:
        spec_port["name"] = port_name
    if app_protocol is not None:
        spec_port["appProtocol"] = app_protocol
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": selector, "ports": [spec_port]},
    }


def sidecar(
    hosts: list[str], mode: str, *, namespace: str = NS, selector: dict[str, str] | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {"egress": [{"hosts": hosts}], "outboundTrafficPolicy": {"mode": mode}}
    if selector is not None:
        spec["workloadSelector"] = {"labels": selector}
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Sidecar",
        "metadata": {"name": f"sidecar-{len(hosts)}-{mode}", "namespace": namespace},
        "spec": spec,
    }


def strict(
    namespace: str = NS, mode: str = "STRICT", selector: dict[str, str] | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {"mtls": {"mode": mode}}
    if selector is not None:
        spec["selector"] = {"matchLabels": selector}
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": {"name": f"peer-{mode}", "namespace": namespace},
        "spec": spec,
    }


def policy(
    rules: list[dict[str, Any]] | None,
    *,
    action: str = "ALLOW",
    selector: dict[str, str] | None = None,
    name: str = "policy",
) -> dict[str, Any]:
    spec: dict[str, Any] = {"action": action}
    if rules is not None:
        spec["rules"] = rules
    if selector is not None:
        spec["selector"] = {"matchLabels": selector}
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }


def rule(principals: list[str] | None = None, **operation: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if principals is not None:
        result["from"] = [{"source": {"principals": principals}}]
    if operation:
        result["to"] = [{"operation": operation}]
    return result


def entry(
    hosts: list[str],
    *,
    port: int = 443,
    protocol: str = "TLS",
    namespace: str = NS,
    export_to: list[str] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "hosts": hosts,
        "location": "MESH_EXTERNAL",
        "resolution": "DNS",
        "ports": [{"number": port, "name": "p", "protocol": protocol}],
    }
    if export_to is not None:
        spec["exportTo"] = export_to
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "ServiceEntry",
        "metadata": {"name": f"entry-{hosts[0]}", "namespace": namespace},
        "spec": spec,
    }


CLIENT_PRINCIPAL = f"cluster.local/ns/{NS}/sa/client"


def mesh(*extra: dict[str, Any]) -> Mesh:
    return Mesh.of(
        [deployment("hub", HUB), service("hub", HUB), deployment("client", CLIENT), *extra]
    )


def get(host: str, path: str = "/hub/api/users", method: str = "GET") -> Request:
    return Request(method, host, path)


def test_protocol_selection() -> None:
    assert port_protocol("http", None) == HTTP
    assert port_protocol("http-api", None) == HTTP
    assert port_protocol("http2", None) == HTTP
    assert port_protocol("grpc-web", None) == HTTP
    assert port_protocol("https", None) == TLS
    assert port_protocol("tcp-db", None) == TCP
    assert port_protocol("redis", None) == TCP
    assert port_protocol("web", None) == SNIFFED
    assert port_protocol(None, None) == SNIFFED
    assert port_protocol("http", "tcp") == TCP  # appProtocol takes precedence
    assert port_protocol("web", "http") == HTTP
    # ConvertProtocol parses appProtocol as it parses a name, after the Kubernetes values.
    assert port_protocol("web", "http-api") == HTTP
    assert port_protocol("web", "kubernetes.io/wss") == TLS
    assert port_protocol("http_proxy", None) == HTTP
    # Well-known ports are never sniffed.
    assert port_protocol("db", None, 3306) == TCP
    assert port_protocol("db", None, 3307) == SNIFFED


def test_virtual_host_domains_short_name_only_from_the_same_namespace() -> None:
    hub = mesh().services[0]
    here = virtual_host_domains(hub, NS)
    assert here == {
        "hub",
        "hub.apps",
        "hub.apps.svc",
        "hub.apps.svc.cluster.local",
        "hub.apps.svc.cluster.local.",
    }
    elsewhere = virtual_host_domains(hub, "other")
    assert "hub" not in elsewhere
    assert {"hub.apps", "hub.apps.svc"} <= elsewhere


def test_the_sidecar_ignores_the_hosts_port_and_case() -> None:
    """Istio 1.30 sets ``ignore_port_in_host_matching`` on sidecar routes: any port, any case."""
    assert host_without_port("Hub.Apps:9999") == "hub.apps"
    assert host_without_port("hub") == "hub"
    assert host_without_port("[::1]:80") == "[::1]"
    assert host_without_port("[::1]") == "[::1]"
    assert host_without_port("hub.apps.svc.cluster.local.:8081") == "hub.apps.svc.cluster.local."


def test_host_naming_the_service_is_routed() -> None:
    model = mesh(sidecar(["./*"], "REGISTRY_ONLY"), strict())
    client = model.workload(CLIENT)
    # Istio 1.30 ignores the Host's port and case on sidecar routes; the FQDN may end in a dot.
    for host in (
        "hub:8081",
        "hub",
        "hub.apps.svc.cluster.local:8081",
        "hub:9999",
        "HUB.Apps",
        "hub.apps.svc.cluster.local.",
    ):
        verdict = check(model, client, "http://hub:8081", get(host))
        assert verdict.allowed, verdict.reason
        assert verdict.destination == model.workload(HUB)


def test_public_host_on_an_http_port_is_502_under_registry_only() -> None:
    model = mesh(sidecar(["./*"], "REGISTRY_ONLY"), strict())
    verdict = check(model, model.workload(CLIENT), "http://hub:8081", get("notebook.example.org"))
    assert not verdict.allowed
    assert "502" in verdict.reason


def test_public_host_under_allow_any_passes_through_and_strict_refuses_it() -> None:
    model = mesh(sidecar(["./*"], "ALLOW_ANY"), strict())
    verdict = check(model, model.workload(CLIENT), "http://hub:8081", get("notebook.example.org"))
    assert not verdict.allowed
    assert "plaintext refused" in verdict.reason


def test_public_host_under_allow_any_reaches_a_permissive_workload_without_identity() -> None:
    base = mesh(sidecar(["./*"], "ALLOW_ANY"))
    client = base.workload(CLIENT)
    assert check(base, client, "http://hub:8081", get("notebook.example.org")).allowed
    guarded = mesh(sidecar(["./*"], "ALLOW_ANY"), policy([rule([CLIENT_PRINCIPAL])]))
    verdict = check(guarded, client, "http://hub:8081", get("notebook.example.org"))
    assert not verdict.allowed  # no mTLS: no principal to match
    assert check(guarded, client, "http://hub:8081", get("hub:8081")).allowed


def test_host_of_another_service_on_the_port_goes_there() -> None:
    model = mesh(deployment("other", {"app": "other"}), service("other", {"app": "other"}))
    verdict = check(model, model.workload(CLIENT), "http://hub:8081", get("other:8081"))
    assert verdict.allowed
    assert verdict.destination == model.workload({"app": "other"})


def test_short_name_from_another_namespace_is_not_a_domain() -> None:
    model = mesh(
        deployment("far", {"app": "far"}, namespace="far"),
        sidecar(["*/*"], "REGISTRY_ONLY", namespace="far"),
    )
    far = model.workload({"app": "far"})
    assert not check(model, far, "http://hub.apps:8081", get("hub:8081")).allowed
    assert check(model, far, "http://hub.apps:8081", get("hub.apps:8081")).allowed


def test_detected_protocol_routes_by_address_whatever_the_host() -> None:
    model = Mesh.of(
        [
            deployment("hub", HUB),
            deployment("client", CLIENT),
            service("hub", HUB, port_name="web"),
            sidecar(["./*"], "REGISTRY_ONLY"),
        ]
    )
    assert check(
        model, model.workload(CLIENT), "http://hub:8081", get("notebook.example.org")
    ).allowed


def test_http_fields_never_match_on_a_tcp_port() -> None:
    def on_tcp(*extra: dict[str, Any]) -> Mesh:
        return Mesh.of(
            [
                deployment("hub", HUB),
                deployment("client", CLIENT),
                service("hub", HUB, app_protocol="tcp"),
                strict(),
                *extra,
            ]
        )

    with_paths = on_tcp(policy([rule([CLIENT_PRINCIPAL], paths=["/hub/api/*"])]))
    client = with_paths.workload(CLIENT)
    verdict = check(with_paths, client, "http://hub:8081", get("anything"))
    assert not verdict.allowed, verdict.reason
    ports_only = on_tcp(policy([rule([CLIENT_PRINCIPAL], ports=["8081"])]))
    assert check(ports_only, client, "http://hub:8081", get("anything")).allowed
    # DENY ignores what TCP cannot carry: this one denies all TCP on the port.
    deny = on_tcp(policy([rule(paths=["/admin"], ports=["8081"])], action="DENY"))
    assert not check(deny, client, "http://hub:8081", get("anything")).allowed


def test_sidecar_egress_hosts_decide_what_is_visible() -> None:
    def client_in(hosts: list[str]) -> tuple[Mesh, Any]:
        model = mesh(
            deployment("far", {"app": "far"}, namespace="far"),
            sidecar(hosts, "REGISTRY_ONLY", namespace="far"),
        )
        return model, model.workload({"app": "far"})

    for hosts, visible in [
        (["./*"], False),
        (["apps/*"], True),
        (["*/hub.apps.svc.cluster.local"], True),
        (["apps/other.apps.svc.cluster.local"], False),
        (["~/*"], False),
        (["*/*.apps.svc.cluster.local"], True),
    ]:
        model, far = client_in(hosts)
        verdict = check(model, far, "http://hub.apps:8081", get("hub.apps:8081"))
        assert verdict.allowed is visible, (hosts, verdict.reason)


def test_workload_sidecar_wins_over_the_namespace_default() -> None:
    model = mesh(
        sidecar(["./*"], "REGISTRY_ONLY"), sidecar(["~/*"], "REGISTRY_ONLY", selector=CLIENT)
    )
    assert not check(model, model.workload(CLIENT), "http://hub:8081", get("hub:8081")).allowed


JWKS = "https://idp.example.org/jwks.json"


def test_external_host_needs_a_service_entry_under_registry_only() -> None:
    base = mesh(sidecar(["./*"], "REGISTRY_ONLY"))
    client = base.workload(CLIENT)
    verdict = check(base, client, JWKS, get("idp.example.org", "/jwks.json"))
    assert not verdict.allowed
    assert "not in the registry" in verdict.reason
    with_entry = mesh(
        sidecar(["./*"], "REGISTRY_ONLY"), entry(["idp.example.org"], export_to=["."])
    )
    verdict = check(with_entry, client, JWKS, get("idp.example.org", "/jwks.json"))
    assert verdict.allowed and verdict.entry is not None, verdict.reason
    wildcard = mesh(sidecar(["./*"], "REGISTRY_ONLY"), entry(["*.example.org"]))
    assert check(wildcard, client, JWKS, get("idp.example.org")).allowed
    allow_any = mesh(sidecar(["./*"], "ALLOW_ANY"))
    assert check(allow_any, client, JWKS, get("idp.example.org")).allowed


def test_service_entry_must_be_visible_to_the_sidecar() -> None:
    private = entry(["idp.example.org"], namespace="elsewhere", export_to=["."])
    exported = entry(["idp.example.org"], namespace="elsewhere")
    # exportTo "." keeps it to its own namespace, whatever the Sidecar lists.
    for item, hosts, visible in [
        (private, ["*/*"], False),
        (exported, ["*/*"], True),
        (exported, ["./*", "istio-system/*"], False),
        (exported, ["./*", "elsewhere/idp.example.org"], True),
    ]:
        model = mesh(sidecar(hosts, "REGISTRY_ONLY"), item)
        verdict = check(model, model.workload(CLIENT), JWKS, get("idp.example.org"))
        assert verdict.allowed is visible, (hosts, verdict.reason)


def test_service_entry_protocol_must_fit_the_scheme() -> None:
    plain = mesh(sidecar(["./*"], "REGISTRY_ONLY"), entry(["idp.example.org"], protocol="HTTP"))
    assert not check(plain, plain.workload(CLIENT), JWKS, get("idp.example.org")).allowed
    http = mesh(
        sidecar(["./*"], "REGISTRY_ONLY"), entry(["idp.example.org"], port=80, protocol="HTTP")
    )
    client = http.workload(CLIENT)
    assert check(http, client, "http://idp.example.org/jwks", get("idp.example.org")).allowed
    assert not check(http, client, "http://idp.example.org/jwks", get("other.org")).allowed


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("/hub/api", "/hub/api", True),
        ("/hub/api", "/hub/api/", False),
        ("/hub/api/*", "/hub/api", False),
        ("/hub/api/*", "/hub/api/", True),
        ("/hub/api/*", "/hub/api/users/a", True),
        ("*/activity", "/hub/api/users/a/activity", True),
        ("*/activity", "/hub/api/users/a/activity/x", False),
        ("*", "/anything", True),
        ("*", "", False),
        ("*", None, False),
    ],
)
def test_string_match(pattern: str, value: str | None, matches: bool) -> None:
    assert string_match(pattern, value) is matches


def test_paths_prefix_does_not_admit_the_bare_prefix() -> None:
    prefix_only = mesh(strict(), policy([rule([CLIENT_PRINCIPAL], paths=["/hub/api/*"])]))
    client = prefix_only.workload(CLIENT)
    assert check(prefix_only, client, "http://hub:8081", get("hub:8081", "/hub/api/users")).allowed
    assert not check(prefix_only, client, "http://hub:8081", get("hub:8081", "/hub/api")).allowed
    both = mesh(strict(), policy([rule([CLIENT_PRINCIPAL], paths=["/hub/api", "/hub/api/*"])]))
    assert check(both, client, "http://hub:8081", get("hub:8081", "/hub/api")).allowed
    # The query string is not part of the path.
    assert check(both, client, "http://hub:8081", get("hub:8081", "/hub/api?x=1")).allowed


def test_principals_methods_and_ports_must_all_match() -> None:
    other = "cluster.local/ns/apps/sa/other"
    model = mesh(strict(), policy([rule([CLIENT_PRINCIPAL], methods=["GET"], ports=["8081"])]))
    client = model.workload(CLIENT)
    assert check(model, client, "http://hub:8081", get("hub:8081")).allowed
    assert not check(model, client, "http://hub:8081", get("hub:8081", method="POST")).allowed
    wrong_port = mesh(strict(), policy([rule([CLIENT_PRINCIPAL], ports=["9999"])]))
    assert not check(wrong_port, client, "http://hub:8081", get("hub:8081")).allowed
    wrong_source = mesh(strict(), policy([rule([other])]))
    assert not check(wrong_source, client, "http://hub:8081", get("hub:8081")).allowed


def test_allow_semantics() -> None:
    def client_of(model: Mesh) -> Workload:
        return model.workload(CLIENT)

    nothing = mesh(strict())
    assert check(nothing, client_of(nothing), "http://hub:8081", get("hub:8081")).allowed
    allow_nothing = mesh(strict(), policy(None))
    assert not check(
        allow_nothing, client_of(allow_nothing), "http://hub:8081", get("hub:8081")
    ).allowed
    elsewhere = mesh(strict(), policy(None, selector={"app": "other"}))
    assert check(elsewhere, client_of(elsewhere), "http://hub:8081", get("hub:8081")).allowed
    two = mesh(
        strict(),
        policy([rule(["cluster.local/ns/x/sa/y"])], name="a"),
        policy([rule([CLIENT_PRINCIPAL])], name="b"),
    )
    assert check(two, client_of(two), "http://hub:8081", get("hub:8081")).allowed
    denied = mesh(
        strict(),
        policy([rule([CLIENT_PRINCIPAL])], name="allow"),
        policy([rule(paths=["/hub/api/*"])], action="DENY", name="deny"),
    )
    verdict = check(denied, client_of(denied), "http://hub:8081", get("hub:8081"))
    assert not verdict.allowed and "DENY" in verdict.reason


def test_a_source_without_sidecar_has_no_identity() -> None:
    model = Mesh.of(
        [
            deployment("hub", HUB),
            service("hub", HUB),
            deployment("client", CLIENT, inject=False),
            strict(),
        ]
    )
    verdict = check(model, model.workload(CLIENT), "http://hub:8081", get("hub:8081"))
    assert not verdict.allowed and "STRICT" in verdict.reason


def test_peer_authentication_precedence() -> None:
    model = mesh(
        strict(),
        strict(mode="PERMISSIVE", selector=HUB),
        strict(namespace="istio-system", mode="STRICT"),
    )
    hub = model.workload(HUB)
    assert peer_mode(model, hub, 8081) == "PERMISSIVE"
    assert peer_mode(model, model.workload(CLIENT), 8081) == "STRICT"
    assert peer_mode(mesh(), hub, 8081) == "PERMISSIVE"
    assert peer_mode(mesh(strict(namespace="istio-system")), hub, 8081) == "STRICT"


def test_ingress_gateway_routes_only_its_hosts() -> None:
    gateway = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": NS},
        "spec": {
            "selector": {"istio": "ingressgateway"},
            "servers": [
                {
                    "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                    "hosts": ["hub.example.org"],
                }
            ],
        },
    }
    route = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "vs", "namespace": NS},
        "spec": {
            "gateways": ["gw"],
            "hosts": ["hub.example.org"],
            "http": [{"route": [{"destination": {"host": "hub", "port": {"number": 8081}}}]}],
        },
    }
    ingress = deployment("ingress", {"istio": "ingressgateway"}, namespace="gateways")
    principal = "cluster.local/ns/gateways/sa/ingress"
    model = mesh(gateway, route, ingress, strict(), policy([rule([principal])]))
    gw = model.workload({"istio": "ingressgateway"})
    verdict = check_ingress(model, gw, get("hub.example.org"), 80)
    assert verdict.allowed and verdict.destination == model.workload(HUB), verdict.reason
    assert not check_ingress(model, gw, get("other.example.org"), 80).allowed
    assert not check_ingress(model, gw, get("hub.example.org"), 443).allowed
    wrong = mesh(gateway, route, ingress, strict(), policy([rule([CLIENT_PRINCIPAL])]))
    assert not check_ingress(wrong, gw, get("hub.example.org"), 80).allowed


TENANT = {"app": "tenant"}


def _gateway(namespace: str, host: str, *, tls: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Gateway ``gw`` of one HTTP server on port 80 for ``host``, selecting the ingress pods."""
    server: dict[str, Any] = {
        "port": {"number": 80, "name": "http", "protocol": "HTTP"},
        "hosts": [host],
    }
    if tls is not None:
        server["tls"] = tls
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": namespace},
        "spec": {"selector": {"istio": "ingressgateway"}, "servers": [server]},
    }


def _hub_route(namespace: str, gateway: str, match: list[Any] | None, to: str) -> dict[str, Any]:
    """A VirtualService ``vs`` bound to ``gateway`` for hub.example.org: ``match`` to ``to``."""
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "vs", "namespace": namespace},
        "spec": {
            "gateways": [gateway],
            "hosts": ["hub.example.org"],
            "http": [
                {"match": match, "route": [{"destination": {"host": to, "port": {"number": 8081}}}]}
            ],
        },
    }


@pytest.mark.parametrize(
    ("server_host", "login", "other"),
    [
        # No namespace part is "*/": a VirtualService of any namespace binds.
        ("hub.example.org", "tenant", "hub"),
        ("*/hub.example.org", "tenant", "hub"),
        # "." is the Gateway's namespace: only the hub's VirtualService binds.
        ("./hub.example.org", "hub", "hub"),
        (f"{NS}/hub.example.org", "hub", "hub"),
        # Another namespace's: only its VirtualServices bind, not those beside the Gateway.
        ("tenant/hub.example.org", "tenant", None),
    ],
)
def test_gateway_host_namespace_decides_which_virtual_services_bind(
    server_host: str, login: str, other: str | None
) -> None:
    """A tenant's VirtualService in its own namespace names the hub's Gateway and host and
    routes ``/hub/login`` to its own Service (Istio 1.30.3 pilot/pkg/model/gateway.go
    ``sanitizeServerHostNamespace``, pkg/config/host/names.go ``NamesForNamespace``)."""
    model = mesh(
        _gateway(NS, server_host),
        _hub_route(NS, "gw", None, "hub"),
        _hub_route("tenant", f"{NS}/gw", [{"uri": {"prefix": "/hub/login"}}], "tenant"),
        deployment("tenant", TENANT, namespace="tenant"),
        service("tenant", TENANT, namespace="tenant"),
        deployment("ingress", {"istio": "ingressgateway"}, namespace="gateways"),
    )
    gw = model.workload({"istio": "ingressgateway"})
    pods = {"hub": model.workload(HUB), "tenant": model.workload(TENANT)}
    verdict = check_ingress(model, gw, get("hub.example.org", "/hub/login"), 80)
    assert verdict.allowed and verdict.destination == pods[login], verdict.reason
    verdict = check_ingress(model, gw, get("hub.example.org", "/hub/home"), 80)
    if other is None:
        assert not verdict.allowed and "404" in verdict.reason, verdict.reason
    else:
        assert verdict.allowed and verdict.destination == pods[other], verdict.reason


@pytest.mark.parametrize("tenant_first", [False, True], ids=["hub-first", "tenant-first"])
def test_a_gateway_of_another_namespace_on_the_same_pods_shares_the_route_table(
    tenant_first: bool,
) -> None:
    """The hub's Gateway takes only its namespace's VirtualServices (``./``), but a tenant's
    own Gateway selecting the same pods on the same plain HTTP port joins the same route
    table (``http.80``: pilot/pkg/model/gateway.go ``MergeGateways``, with
    ``PILOT_SCOPE_GATEWAY_TO_NAMESPACE`` off), whose virtual hosts are by host name alone:
    the tenant's more specific route wins, whichever Gateway is older. Why the deploy
    guide asks for a gateway of the hub's own."""
    hubs = [_gateway(NS, "./hub.example.org"), _hub_route(NS, "gw", None, "hub")]
    tenants = [
        _gateway("tenant", "./hub.example.org"),
        _hub_route("tenant", "gw", [{"uri": {"prefix": "/hub/login"}}], "tenant"),
    ]
    model = mesh(
        *(tenants + hubs if tenant_first else hubs + tenants),
        deployment("tenant", TENANT, namespace="tenant"),
        service("tenant", TENANT, namespace="tenant"),
        deployment("ingress", {"istio": "ingressgateway"}, namespace="gateways"),
    )
    gw = model.workload({"istio": "ingressgateway"})
    verdict = check_ingress(model, gw, get("hub.example.org", "/hub/login"), 80)
    assert verdict.allowed and verdict.destination == model.workload(TENANT), verdict.reason
    verdict = check_ingress(model, gw, get("hub.example.org", "/hub/home"), 80)
    assert verdict.allowed and verdict.destination == model.workload(HUB), verdict.reason


@pytest.mark.parametrize(
    ("host", "bound", "answer"),
    [
        ("hub.example.org", True, "301"),
        ("hub.example.org", False, "301"),
        ("./hub.example.org", True, "301"),
        # Its redirect-only virtual host is "<namespace>/hub.example.org", which no Host is.
        ("./hub.example.org", False, "404"),
    ],
)
def test_https_redirect_of_a_host_no_virtual_service_binds(
    host: str, bound: bool, answer: str
) -> None:
    """A ``tls.httpsRedirect`` server redirects the virtual hosts its VirtualServices make
    and adds one for each of its hosts as ``sanitizeServerHostNamespace`` left them
    (pilot/pkg/networking/core/gateway.go ``buildGatewayHTTPRouteConfig``): a bare host
    redirects without a VirtualService, a ``./`` host only with one."""
    ingress = deployment("ingress", {"istio": "ingressgateway"}, namespace="gateways")
    gateway = _gateway(NS, host, tls={"httpsRedirect": True})
    routes = [_hub_route(NS, "gw", None, "hub")] if bound else []
    model = mesh(gateway, *routes, ingress, strict())
    gw = model.workload({"istio": "ingressgateway"})
    verdict = check_ingress(model, gw, get("hub.example.org"), 80)
    assert not verdict.allowed and answer in verdict.reason, verdict.reason


def test_ingress_gateway_https_and_http_redirect() -> None:
    """An HTTPS server whose TLS the gateway ends routes like HTTP; an HTTP server with
    ``tls.httpsRedirect`` answers with a 301 instead of routing; a PASSTHROUGH server is no
    HTTP route (istio.io/v1.30/docs/reference/config/networking/gateway/: ServerTLSSettings)."""

    def gateway(mode: str) -> dict[str, Any]:
        return {
            "apiVersion": "networking.istio.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": NS},
            "spec": {
                "selector": {"istio": "ingressgateway"},
                "servers": [
                    {
                        "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                        "hosts": ["hub.example.org"],
                        "tls": {"mode": mode, "credentialName": "hub-tls"},
                    },
                    {
                        "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                        "hosts": ["hub.example.org"],
                        "tls": {"httpsRedirect": True},
                    },
                ],
            },
        }

    route = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "vs", "namespace": NS},
        "spec": {
            "gateways": ["gw"],
            "hosts": ["hub.example.org"],
            "http": [{"route": [{"destination": {"host": "hub", "port": {"number": 8081}}}]}],
        },
    }
    ingress = deployment("ingress", {"istio": "ingressgateway"}, namespace="gateways")
    model = mesh(gateway("SIMPLE"), route, ingress, strict())
    gw = model.workload({"istio": "ingressgateway"})
    verdict = check_ingress(model, gw, get("hub.example.org"), 443)
    assert verdict.allowed and verdict.destination == model.workload(HUB), verdict.reason
    redirected = check_ingress(model, gw, get("hub.example.org"), 80)
    assert not redirected.allowed and "301" in redirected.reason
    passthrough = mesh(gateway("PASSTHROUGH"), route, ingress, strict())
    assert not check_ingress(passthrough, gw, get("hub.example.org"), 443).allowed


@pytest.mark.parametrize(
    "document",
    [
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "DestinationRule",
            "metadata": {"name": "d", "namespace": NS},
            "spec": {"host": "hub"},
        },
        policy([{"when": [{"key": "request.headers[x]", "values": ["y"]}]}]),
        policy([{"from": [{"source": {"ipBlocks": ["10.0.0.0/8"]}}]}]),
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": {"name": "v", "namespace": NS},
            "spec": {"hosts": ["hub"], "http": []},
        },
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "Sidecar",
            "metadata": {"name": "s", "namespace": NS},
            "spec": {"egress": [{"port": {"number": 80}, "hosts": ["./*"]}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "x", "namespace": NS},
            "spec": {"type": "ExternalName", "externalName": "example.org"},
        },
    ],
)
def test_what_is_not_modelled_is_refused(document: dict[str, Any]) -> None:
    with pytest.raises(Unmodelled):
        mesh(document)


@pytest.mark.parametrize(
    ("path", "normalized"),
    [
        ("/hub/../x", "/x"),
        ("/hub/api/../../x", "/x"),
        ("/x/%2e%2E/hub/api/users", "/hub/api/users"),
        ("/hub/./api/users", "/hub/api/users"),
        ("/hub\\api\\users", "/hub/api/users"),
        ("/%68ub/api/users", "/hub/api/users"),
        ("/../../hub/api/users", "/hub/api/users"),
        # Kept: no slash merging, escaped slashes unchanged, ";" a plain character.
        ("/hub//api/users", "/hub//api/users"),
        ("/hub%2Fapi/users", "/hub%2Fapi/users"),
        ("/hub;x/api/users", "/hub;x/api/users"),
        # "..%2F.." is one segment, no dot segment, once %2e is "." (escaped dots resolve only
        # as a whole segment).
        ("/user/bob/..%2F..%2Fhub/x", "/user/bob/..%2F..%2Fhub/x"),
        ("/user/bob/..%2f..%2fhub/x", "/user/bob/..%2f..%2fhub/x"),
        ("/user/bob/%2e%2e%2F%2e%2e%2Fhub/x", "/user/bob/..%2F..%2Fhub/x"),
        ("/user/bob/%2E%2E%2f..%2Fhub/x", "/user/bob/..%2f..%2Fhub/x"),
        ("/hub/api/users?next=/../x", "/hub/api/users?next=/../x"),
    ],
)
def test_paths_are_normalized_as_istio_does(path: str, normalized: str) -> None:
    assert normalized_path(path) == normalized


def test_a_policy_sees_the_normalized_path() -> None:
    model = mesh(strict(), policy([rule([CLIENT_PRINCIPAL], paths=["/hub/api/*"])]))
    client = model.workload(CLIENT)
    for allowed in ("/hub/api/users", "/x/../hub/api/users", "/hub/./api/users"):
        verdict = check(model, client, "http://hub:8081", get("hub:8081", allowed))
        assert verdict.allowed, (allowed, verdict.reason)
    for refused in ("/hub/../x", "/hub/api/../../x", "/hub%2Fapi/users"):
        verdict = check(model, client, "http://hub:8081", get("hub:8081", refused))
        assert not verdict.allowed, (refused, verdict.reason)


@pytest.mark.parametrize(
    ("pattern", "host", "matches"),
    [
        # matcher.HostMatcher (pilot/pkg/security/authz/matcher/header.go, Istio 1.30.3):
        # the whole :authority, port included, case-insensitive.
        ("hub.example.org", "hub.example.org", True),
        ("hub.example.org", "HUB.Example.ORG", True),
        ("hub.example.org", "hub.example.org:443", False),
        ("hub.example.org:*", "hub.example.org:443", True),
        ("hub.example.org:*", "hub.example.org", False),
        ("hub.example.org:*", "hub.example.org.evil:443", False),
        ("*.example.org", "hub.example.org", True),
        ("*.example.org", "hub.example.org:443", False),
        ("*", "anything:1", True),
    ],
)
def test_policy_hosts_match_the_authority_with_its_port(
    pattern: str, host: str, matches: bool
) -> None:
    assert string_match(pattern, host, ignore_case=True) is matches


def _gateway_with_custom_policy(hosts: list[str], *extra: dict[str, Any]) -> tuple[Mesh, Workload]:
    gateway = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": NS},
        "spec": {
            "selector": {"istio": "ingressgateway"},
            "servers": [
                {
                    "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                    "hosts": ["hub.example.org"],
                }
            ],
        },
    }
    route = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "vs", "namespace": NS},
        "spec": {
            "gateways": ["gw"],
            "hosts": ["hub.example.org"],
            "http": [{"route": [{"destination": {"host": "hub", "port": {"number": 8081}}}]}],
        },
    }
    custom = policy(
        [rule(hosts=hosts, paths=["/hub/*"])],
        action="CUSTOM",
        selector={"istio": "ingressgateway"},
        name="ext-authz",
    )
    ingress = deployment("ingress", {"istio": "ingressgateway"})
    model = mesh(gateway, route, ingress, custom, *extra)
    return model, model.workload({"istio": "ingressgateway"})


def test_gateway_routes_a_host_with_any_port_as_the_bare_host() -> None:
    """``ignore_port_in_host_matching`` on the gateway's routes (Istio 1.30.3
    pilot/pkg/networking/core/gateway.go ``buildGatewayHTTPRouteConfig``; Istio's simulation
    ``matchVirtualHost`` splits the port off): any port, any case, routes; another name
    does not."""
    model, gw = _gateway_with_custom_policy(["hub.example.org"])
    for host in ("hub.example.org", "hub.example.org:80", "hub.example.org:9", "HUB.example.org"):
        verdict = check_ingress(model, gw, get(host), 80)
        assert verdict.allowed and verdict.destination == model.workload(HUB), host
    assert not check_ingress(model, gw, get("hub.example.org.evil"), 80).allowed


def test_gateway_custom_policy_sees_the_host_as_sent() -> None:
    """The gateway's CUSTOM policy matches the Host with its port: ``h`` alone misses
    ``h:80`` (which is routed all the same); ``h`` and ``h:*`` catch both."""
    exact, gw = _gateway_with_custom_policy(["hub.example.org"])
    assert check_ingress(exact, gw, get("hub.example.org", "/hub/login"), 80).checked_by == (
        "ext-authz",
    )
    missed = check_ingress(exact, gw, get("hub.example.org:80", "/hub/login"), 80)
    assert missed.allowed and missed.checked_by == ()
    both, gw = _gateway_with_custom_policy(["hub.example.org", "hub.example.org:*"])
    for host in ("hub.example.org", "hub.example.org:80", "Hub.Example.Org:443"):
        assert check_ingress(both, gw, get(host, "/hub/login"), 80).checked_by == ("ext-authz",)
    assert check_ingress(both, gw, get("hub.example.org:80", "/user/a/"), 80).checked_by == ()


def test_gateway_deny_policy_refuses_before_routing() -> None:
    deny = policy(
        [rule(paths=["/hub/admin"])],
        action="DENY",
        selector={"istio": "ingressgateway"},
        name="deny",
    )
    model, gw = _gateway_with_custom_policy(["hub.example.org"], deny)
    verdict = check_ingress(model, gw, get("hub.example.org", "/hub/admin"), 80)
    assert not verdict.allowed and "at the gateway: denied by DENY policy deny" in verdict.reason
    assert check_ingress(model, gw, get("hub.example.org", "/hub/login"), 80).allowed


def _with_ports(document: dict[str, Any], ports: dict[str, str]) -> dict[str, Any]:
    spec = {**document["spec"], "portLevelMtls": {p: {"mode": m} for p, m in ports.items()}}
    return {**document, "spec": spec}


def test_peer_authentication_composes_as_istio_does() -> None:
    """ComposePeerAuthentication: mesh, namespace, workload in turn; ports only from the
    workload's policy; an empty selector is the namespace's; a selector in the root
    namespace is ignored."""
    hub = mesh().workload(HUB)
    assert peer_mode(mesh(), hub, 8081) == "PERMISSIVE"
    assert peer_mode(mesh(strict(ROOT_NAMESPACE)), hub, 8081) == "STRICT"
    assert peer_mode(mesh(strict(ROOT_NAMESPACE), strict(mode="UNSET")), hub, 8081) == "STRICT"
    assert peer_mode(mesh(strict(ROOT_NAMESPACE), strict(mode="DISABLE")), hub, 8081) == "DISABLE"
    assert peer_mode(mesh(strict(selector={})), hub, 8081) == "STRICT"
    assert peer_mode(mesh(strict(ROOT_NAMESPACE, "DISABLE", selector=HUB)), hub, 8081) == (
        "PERMISSIVE"
    )
    # A namespace's portLevelMtls is not applied; a workload's is, an UNSET port inheriting.
    namespace_ports = _with_ports(strict(), {"8081": "DISABLE"})
    assert peer_mode(mesh(namespace_ports), hub, 8081) == "STRICT"
    workload_ports = _with_ports(
        strict(mode="UNSET", selector=HUB), {"8081": "DISABLE", "9": "UNSET"}
    )
    model = mesh(strict(), workload_ports)
    assert peer_mode(model, hub, 8081) == "DISABLE"
    assert peer_mode(model, hub, 9) == "STRICT"


def test_names_resolve_as_a_pods_resolver_does() -> None:
    model = mesh()
    hub = model.services[0]
    assert resolve(model, "hub", NS) == hub  # the search list: hub.apps.svc.cluster.local
    assert resolve(model, "hub.apps", "other") == hub
    assert resolve(model, "hub.apps.svc.cluster.local.", "other") == hub
    assert resolve(model, "hub.", NS) is None  # absolute: no search list
    assert resolve(model, "hub", "other") is None
