"""IstioProxy: the hub writes its routes as VirtualServices (hub_runtime.virtual_services),
checked as objects, against the shape jupyterhub-istio-proxy v0.3.0 wrote (its source:
proxy/create.go, proxy/istio.go, proxy/route.go), and through the mesh model routing them.
The real hub writing them against the test cluster's API is tests/test_virtual_services.py.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    AuthProxyIngress,
    GatewayApiIngress,
    GatewayRef,
    HubNetworkPolicies,
    HubOptions,
    HubResourceQuota,
    IProxy,
    IstioIngress,
    IstioProxy,
    IstioProxyOptions,
    JupyterHub,
    NetworkPeer,
    RouteStore,
    UserPods,
    plus,
)
from hub_runtime.preview import render_user_objects
from hub_runtime.settings import VIRTUAL_SERVICE_VERBS
from hub_runtime.virtual_services import PROXY_CLASS, VirtualServiceProxy, group_of
from tests.mesh.authz import Request
from tests.mesh.hops import check_ingress
from tests.mesh.objects import Mesh, Workload
from tests.support.builders import find, make_bare_hub, make_jupyterhub, synth, value_error
from tests.support.crd_schemas import validate_custom
from tests.support.virtual_services import hub_writer, written_virtual_services

COMPONENT = "app.kubernetes.io/component"
HUB = "hub.example.org"
USERS = "*.users.example.org"
# The ingress gateway of Istio's default install (IstioIngress's default peer and principal).
GATEWAY = Workload(
    "Deployment",
    "istio-ingressgateway",
    "istio-system",
    {"istio": "ingressgateway"},
    "istio-ingressgateway-service-account",
    True,
    {},
)


def _app(chart: cdk8s.Chart, *, user_hosts: str | None = USERS, **options: Any) -> JupyterHub:
    jupyterhub = make_jupyterhub(
        chart,
        hosts=(HUB,),
        user_hosts=user_hosts,
        proxy_options=IstioProxyOptions(**options),
    )
    istio = IstioIngress(chart, "Istio", jupyterhub=jupyterhub, ext_authz_provider="oauth2-proxy")
    HubNetworkPolicies(
        chart, "NetworkPolicies", jupyterhub=jupyterhub, ingress_from=istio.gateway_pods
    )
    return jupyterhub


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    """No object of its own: what it puts into the app is the hub's Role's VirtualService
    rule and the hub settings' ``virtual_services``."""
    jupyterhub = _app(chart, user_hosts=None)
    manifests = synth(chart)
    settings = jupyterhub.hub.settings.virtual_services
    assert settings is not None
    assert {
        "proxy_objects": [
            m for m in manifests if m["metadata"].get("labels", {}).get(COMPONENT) == "proxy"
        ],
        "hub_role": find(manifests, "Role", "jupyterhub-hub"),
        "virtual_services": dataclasses.asdict(settings),
    } == snapshot_yaml


def test_creates_no_proxy_objects(chart: cdk8s.Chart) -> None:
    jupyterhub = _app(chart)
    assert isinstance(jupyterhub.proxy, IProxy)
    manifests = synth(chart)
    proxy = [m for m in manifests if "proxy" in m["metadata"]["name"].split("-")]
    assert proxy == []
    assert jupyterhub.proxy.service is jupyterhub.hub.service
    assert jupyterhub.proxy.service_account is jupyterhub.hub.service_account


def test_hub_role_grants_exactly_the_verbs_its_writer_calls(chart: cdk8s.Chart) -> None:
    _app(chart)
    rules = find(synth(chart), "Role", "jupyterhub-hub")["rules"]
    istio = [rule for rule in rules if rule["apiGroups"] == ["networking.istio.io"]]
    assert istio == [
        {
            "apiGroups": ["networking.istio.io"],
            "resources": ["virtualservices"],
            "verbs": list(VIRTUAL_SERVICE_VERBS),
        }
    ]


def test_chp_hub_role_has_no_virtual_service_verbs(chart: cdk8s.Chart) -> None:
    make_jupyterhub(chart)
    rules = find(synth(chart), "Role", "jupyterhub-hub")["rules"]
    assert all("virtualservices" not in rule["resources"] for rule in rules)


def test_hub_runs_the_writer(chart: cdk8s.Chart) -> None:
    writer = hub_writer(_app(chart, virtual_service_prefix="jh"))
    assert type(writer) is VirtualServiceProxy
    assert PROXY_CLASS == "hub_runtime.virtual_services.VirtualServiceProxy"
    assert (writer.gateway, writer.name_prefix, writer.namespace) == (
        "jupyterhub",
        "jh",
        "jupyterhub",
    )
    assert (writer.hub_hosts, writer.user_domain) == ([HUB], "users.example.org")
    assert writer.should_start is False


def test_gateway_serves_user_hosts_and_ext_authz_stays_on_the_hub(chart: cdk8s.Chart) -> None:
    _app(chart)
    manifests = synth(chart)
    hosts = [h for s in find(manifests, "Gateway")["spec"]["servers"] for h in s["hosts"]]
    # Bound by the VirtualServices of the Gateway's namespace, where the hub writes them.
    assert f"./{USERS}" in hosts
    ext_authz = find(manifests, "AuthorizationPolicy", "jupyterhub-ext-authz")
    assert ext_authz["spec"]["rules"][0]["to"][0]["operation"]["hosts"] == [HUB, f"{HUB}:*"]


def test_policies_admit_the_gateway_and_no_proxy(chart: cdk8s.Chart) -> None:
    jupyterhub = _app(chart)
    manifests = synth(chart)
    policies = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "NetworkPolicy"}
    assert "jupyterhub-proxy" not in policies
    assert "jupyterhub-proxy-egress" not in policies
    gateway_peer = NetworkPeer.ISTIO_INGRESS_GATEWAY.to_policy_peer()
    for name, port in (("jupyterhub-hub", 8081), ("jupyterhub-singleuser-server", 8888)):
        peers = [
            peer
            for rule in policies[name]["spec"]["ingress"]
            if {"protocol": "TCP", "port": port} in rule["ports"]
            for peer in rule["from"]
        ]
        assert gateway_peer in peers
    authz = {m["metadata"]["name"] for m in manifests if m["kind"] == "AuthorizationPolicy"}
    assert "jupyterhub-proxy" not in authz
    assert jupyterhub.proxy.ingress_target is None


# --- the objects the hub writes, and the gateway routing them ---------------------------


def _written(writer: Any, routes: list[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    objects = written_virtual_services(writer, routes)
    for manifest in objects:
        # Istio's CRD serves v1alpha3 with the schema of v1 (the vendored file keeps v1).
        validate_custom({**manifest, "apiVersion": "networking.istio.io/v1"})
    return objects


@pytest.fixture(scope="module")
def routed() -> tuple[Mesh, dict[str, Workload], list[dict[str, Any]]]:
    """The app with per-user hosts, the pods and Services KubeSpawner renders for alice's
    default server, bob's and alice's named server "lab", and the VirtualServices the hub's
    writer makes of the routes JupyterHub adds in that order, after the hub's "/" (at its
    start): ``Spawner.proxy_spec`` with subdomain_host, the user's host, ``/user/<name>/``
    and the server's name."""
    from jupyterhub.objects import Hub

    from hub_runtime.spawner import DynamicKubeSpawner
    from tests.support.builders import make_chart

    chart = make_chart()
    jupyterhub = _app(chart)
    writer = hub_writer(jupyterhub)
    settings = jupyterhub.hub.settings
    default = next(p.slug for p in settings.profiles if p.default)
    template = DynamicKubeSpawner.class_traits()["dns_name_template"].default_value
    routes: list[tuple[str, str, dict[str, Any]]] = [
        ("/", Hub(connect_url=settings.connect_url).host, {"hub": True})
    ]
    user_objects: list[dict[str, Any]] = []
    for user, server in (("alice", ""), ("bob", ""), ("alice", "lab")):
        rendered = render_user_objects(
            settings,
            namespace="jupyterhub",
            user=user,
            admin=False,
            profile=default,
            server=server,
        )
        for manifest in rendered:
            manifest.setdefault("apiVersion", "v1")
        (service,) = [m for m in rendered if m["kind"] == "Service"]
        target = "http://{}:{}".format(
            template.format(name=service["metadata"]["name"], namespace="jupyterhub"),
            settings.spawner.port,
        )
        spec = f"{user}.users.example.org/user/{user}/" + (f"{server}/" if server else "")
        routes.append((spec, target, {"user": user, "server_name": server}))
        user_objects.extend(rendered)
    written = _written(writer, routes)
    mesh = Mesh.of(synth(chart), user_objects, written)
    pods = {w.name: w for w in mesh.workloads if w.kind == "Pod"}
    workloads = {
        "hub": mesh.workload(jupyterhub.hub.labels),
        "alice": pods["jupyter-alice"],
        "bob": pods["jupyter-bob"],
        "alice-lab": pods["jupyter-alice--lab"],
    }
    return mesh, workloads, written


@pytest.mark.parametrize(
    ("host", "path", "reaches"),
    [
        ("alice.users.example.org", "/user/alice/lab", "alice"),
        ("alice.users.example.org", "/user/alice/api/kernels", "alice"),
        ("bob.users.example.org", "/user/bob/lab", "bob"),
        ("bob.users.example.org:443", "/user/bob/api", "bob"),
        # Alice's named server, added after her default one: her one VirtualService tries
        # the longer path first.
        ("alice.users.example.org", "/user/alice/lab/lab", "alice-lab"),
        ("alice.users.example.org", "/user/alice/lab/api/kernels", "alice-lab"),
        ("alice.users.example.org", "/user/alice/labx/", "alice"),
        (HUB, "/hub/login", "hub"),
        (HUB, "/", "hub"),
        (f"{HUB}:443", "/hub/home", "hub"),
        # A user's path on the hub's host is the hub's (it redirects to the user's host).
        (HUB, "/user/alice/lab", "hub"),
        # A climb out of Bob's path with escaped slashes (and dots): Envoy keeps %2F and
        # resolves no dot segment in "..%2F.." (tests.mesh.paths), so it stays Bob's path:
        # his own server on his host, the hub (which serves it as his) on the hub's.
        ("bob.users.example.org", "/user/bob/..%2F..%2Fuser/alice/lab", "bob"),
        ("bob.users.example.org", "/user/bob/..%2f..%2fhub/api/users", "bob"),
        ("bob.users.example.org", "/user/bob/%2e%2e%2F%2e%2e%2Fhub/api/users", "bob"),
        ("bob.users.example.org", "/user/bob/%2E%2E%2f..%2Fuser/alice/lab", "bob"),
        (HUB, "/user/bob/..%2F..%2Fhub/api/users", "hub"),
    ],
)
def test_gateway_routes_through_the_written_virtual_services(
    routed: tuple[Mesh, dict[str, Workload], list[dict[str, Any]]],
    host: str,
    path: str,
    reaches: str,
) -> None:
    mesh, workloads, _ = routed
    verdict = check_ingress(mesh, GATEWAY, Request("GET", host, path), 80)
    assert verdict.allowed, verdict.reason
    assert verdict.destination == workloads[reaches], verdict.reason


def test_the_stopped_servers_redirect_goes_to_the_hubs_public_url(chart: cdk8s.Chart) -> None:
    """To the host JupyterHub sends browsers to log in (the public host the users' domain
    is under), not the first host served."""
    jupyterhub = make_jupyterhub(
        chart,
        hosts=("other.example.org", HUB),
        user_hosts=f"*.users.{HUB}",
        proxy_options=IstioProxyOptions(),
    )
    IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    (redirect,) = [m for m in synth(chart) if m["metadata"]["name"].endswith("-users")]
    (route,) = redirect["spec"]["http"]
    assert route["redirect"] == {"scheme": "https", "authority": HUB, "redirectCode": 302}
    hosts = jupyterhub.hub.settings.user_hosts
    assert hosts is not None and hosts.hub_url == f"https://{HUB}"


def test_the_stopped_servers_redirect_is_istios_schema(chart: cdk8s.Chart) -> None:
    jupyterhub = _app(chart)
    istio = next(c for c in chart.node.children if isinstance(c, IstioIngress))
    assert istio.user_virtual_service is not None
    (redirect,) = [
        m for m in synth(chart) if m["metadata"]["name"] == f"{jupyterhub.hub.release}-users"
    ]
    validate_custom(redirect)
    assert redirect["spec"]["hosts"] == ["*.users.example.org"]


@pytest.mark.parametrize(("bare", "reaches"), [(False, "bob"), (True, "tenant")])
def test_a_tenants_virtual_service_takes_no_users_host(
    routed: tuple[Mesh, dict[str, Workload], list[dict[str, Any]]], bare: bool, reaches: str
) -> None:
    """A VirtualService a tenant writes in its own namespace before Bob's server starts
    (Istio tries a host's VirtualServices in creation order) names the release's Gateway and
    Bob's host: the Gateway's ``./`` hosts leave it out, so Bob's own object routes his
    paths; with the bare hosts of before (``*/``) the tenant got them (tests.mesh.routing
    ``_route_table``)."""
    mesh, workloads, _ = routed
    labels = {"app": "tenant"}
    tenant = Mesh.of(
        [
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "tenant", "namespace": "tenant"},
                "spec": {"selector": labels, "ports": [{"name": "http", "port": 8888}]},
            },
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "tenant", "namespace": "tenant", "labels": labels},
                "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8888}]}]},
            },
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "VirtualService",
                "metadata": {"name": "takeover", "namespace": "tenant"},
                "spec": {
                    "gateways": ["jupyterhub/jupyterhub"],
                    "hosts": ["bob.users.example.org"],
                    "http": [
                        {
                            "match": [{"uri": {"prefix": "/user/bob/"}}],
                            "route": [
                                {
                                    "destination": {
                                        "host": "tenant.tenant.svc.cluster.local",
                                        "port": {"number": 8888},
                                    }
                                }
                            ],
                        }
                    ],
                },
            },
        ]
    )
    gateways = [
        dataclasses.replace(
            gateway,
            servers=tuple(
                dataclasses.replace(s, hosts=tuple(h.rpartition("/")[2] for h in s.hosts))
                for s in gateway.servers
            ),
        )
        if bare
        else gateway
        for gateway in mesh.gateways
    ]
    planted = dataclasses.replace(
        mesh,
        gateways=gateways,
        services=[*tenant.services, *mesh.services],
        workloads=[*tenant.workloads, *mesh.workloads],
        virtual_services=[*tenant.virtual_services, *mesh.virtual_services],
    )
    pods = {**workloads, "tenant": planted.workload(labels)}
    for method in ("GET", "POST"):
        request = Request(method, "bob.users.example.org", "/user/bob/api/contents")
        verdict = check_ingress(planted, GATEWAY, request, 80)
        assert verdict.allowed and verdict.destination == pods[reaches], verdict.reason


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("carol.users.example.org", "/user/carol/lab?reset"),
        ("carol.users.example.org:443", "/user/carol/"),
        # A path of no user on a host without a server: the hub answers it too.
        ("x.users.example.org", "/hub/login"),
    ],
)
def test_a_user_host_without_a_server_redirects_to_the_hub(
    routed: tuple[Mesh, dict[str, Workload], list[dict[str, Any]]], host: str, path: str
) -> None:
    """Carol's server is not running: the gateway, not the hub, answers on her host with a
    302 to the hub's host, path kept, where JupyterHub offers to start it (what CHProxy's
    default route to the hub does)."""
    mesh, _, _ = routed
    verdict = check_ingress(mesh, GATEWAY, Request("GET", host, path), 80)
    assert not verdict.allowed
    # On the gateway's plain HTTP port (TLS ended before it) the Location is still HTTPS.
    assert verdict.redirect == f"https://{HUB}{path}", verdict.reason
    assert verdict.reason.endswith(": 302")


@pytest.mark.parametrize(
    ("host", "path"),
    [
        # Alice's host routes alice's paths only: not bob's, nor the hub's (her host's
        # VirtualService is a virtual host of its own: the wildcard's redirect is not tried).
        ("alice.users.example.org", "/user/bob/lab"),
        ("alice.users.example.org", "/hub/login"),
    ],
)
def test_no_route_for_another_path_or_an_unknown_user_host(
    routed: tuple[Mesh, dict[str, Workload], list[dict[str, Any]]], host: str, path: str
) -> None:
    mesh, _, _ = routed
    verdict = check_ingress(mesh, GATEWAY, Request("GET", host, path), 80)
    assert not verdict.allowed
    assert "404" in verdict.reason


def test_written_objects_keep_jupyterhub_istio_proxys_shape(
    routed: tuple[Mesh, dict[str, Workload], list[dict[str, Any]]],
) -> None:
    """proxy/istio.go: "<prefix>-<sha256 of the route spec>" (here the user's default
    server's), the route base64-JSON in "<prefix>.splunk.io/proxy-data" (proxy/route.go's
    json tags; a list for more than one route); create.go's spec, one HTTP route each."""
    _, _, written = routed
    hub, alice, bob = written

    def name(spec: str) -> str:
        return "jupyterhub-" + hashlib.sha256(spec.encode()).hexdigest()

    def routes(manifest: dict[str, Any]) -> Any:
        data = manifest["metadata"]["annotations"]["jupyterhub.splunk.io/proxy-data"]
        return json.loads(base64.b64decode(data))

    def route(path: str, service: str) -> dict[str, Any]:
        return {
            "match": [{"uri": {"prefix": path}}],
            "route": [
                {
                    "destination": {
                        "host": f"{service}.jupyterhub.svc.cluster.local",
                        "port": {"number": 8888},
                    }
                }
            ],
        }

    spec = "bob.users.example.org/user/bob/"
    assert bob["metadata"]["name"] == name(spec)
    assert routes(bob) == {
        "route_spec": spec,
        "target": "http://jupyter-bob.jupyterhub.svc.cluster.local:8888",
        "jupyterhub": True,
        "data": {"user": "bob", "server_name": ""},
    }
    assert bob["spec"] == {
        "hosts": ["bob.users.example.org"],
        "gateways": ["jupyterhub"],
        "http": [route("/user/bob/", "jupyter-bob")],
    }
    # Alice's two servers: one object, named after her default server's route, the longer
    # path first.
    assert alice["metadata"]["name"] == name("alice.users.example.org/user/alice/")
    assert [r["route_spec"] for r in routes(alice)] == [
        "alice.users.example.org/user/alice/",
        "alice.users.example.org/user/alice/lab/",
    ]
    assert alice["spec"]["http"] == [
        route("/user/alice/lab/", "jupyter-alice--lab"),
        route("/user/alice/", "jupyter-alice"),
    ]
    # The hub's route: on the hub's hosts; its target made the Service's FQDN (create.go).
    assert hub["metadata"]["name"] == name("/")
    assert hub["spec"]["hosts"] == [HUB]
    assert hub["spec"]["http"][0]["route"][0]["destination"] == {
        "host": "jupyterhub-hub.jupyterhub.svc.cluster.local",
        "port": {"number": 8081},
    }


@pytest.mark.parametrize(
    ("spec", "group"),
    [
        ("alice.users.example.org/user/alice/", "alice.users.example.org/user/alice/"),
        ("alice.users.example.org/user/alice/lab/", "alice.users.example.org/user/alice/"),
        ("/user/alice/lab/", "/user/alice/"),
        ("/user/alice/user/", "/user/alice/"),
        ("/base/user/al%C3%A9/x/", "/base/user/al%C3%A9/"),
        ("/", "/"),
        ("/services/culler/", "/services/culler/"),
    ],
)
def test_a_users_routes_share_one_object(spec: str, group: str) -> None:
    """``Spawner.proxy_spec``: the user's ``[host]<base_url>user/<name>/``, then a named
    server's name; any other route is its own."""
    assert group_of(spec) == group


# --- attacks on the writer ---------------------------------------------------------------


@pytest.fixture
def writer(chart: cdk8s.Chart) -> Any:
    return hub_writer(_app(chart))


TARGET = "http://jupyter-x.jupyterhub.svc.cluster.local:8888"


@pytest.mark.parametrize(
    "name",
    ["alice/../bob", 'a"b', "x" * 300, "Ünïcödé", "josé", "a b", "a%2Fb", "<script>", "A.B@C"],
)
def test_hostile_user_names_get_valid_distinct_routes(writer: Any, name: str) -> None:
    """A user's route spec as JupyterHub makes it (User.proxy_spec: the idna hook's host,
    the name escaped with ``quote(name, safe="@~")``), for names the default user_pattern
    allows and worse: the object's name is valid and distinct (the route spec's hash), the
    host is the user's, the path the escaped name as the gateway matches it."""
    from urllib.parse import quote

    from jupyterhub.utils import subdomain_hook_idna

    from tests.mesh.paths import normalized_path

    host = subdomain_hook_idna(name, "users.example.org", "user")
    path = f"/user/{quote(name, safe='@~')}/"
    built = writer.build_route(f"{host}{path}", TARGET, {"user": name})
    metadata_name = built["metadata"]["name"]
    assert re.fullmatch(r"jupyterhub-[0-9a-f]{64}", metadata_name)
    assert (
        metadata_name != writer.build_route(f"{host}/user/other/", TARGET, {})["metadata"]["name"]
    )
    assert built["spec"]["hosts"] == [host]
    prefix = built["spec"]["http"][0]["match"][0]["uri"]["prefix"]
    assert prefix == path == normalized_path(path)


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("alice.users.example.org/user/../hub/", "has a dot segment"),
        ("alice.users.example.org/user/alice/./", "has a dot segment"),
        ("alice.users.example.org/user/%2e%2e/hub/", "has a bad escape %2e"),
        ("alice.users.example.org/user/%2E%2E/hub/", "escapes '.'"),
        ("alice.users.example.org/user/%61lice/", "escapes 'a'"),
        ("alice.users.example.org/user/a\\b/", "is not a URL path"),
        ("alice.users.example.org/user/a b/", "is not a URL path"),
        ("alice.users.example.org/user/a%/", "has a bad escape"),
        ("alice.evil.example.com/user/alice/", "is not one label under the user servers'"),
        ("a.b.users.example.org/user/alice/", "is not one label under the user servers'"),
        ("hub.example.org/user/alice/", "is not one label under the user servers'"),
        ("*.users.example.org/user/alice/", "is not a DNS name"),
        ("al_ice.users.example.org/user/alice/", "is not a DNS name"),
    ],
)
def test_fails_routes_the_gateway_must_not_have(writer: Any, spec: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        writer.build_route(spec, TARGET, {})


def test_fails_a_pod_address_target(writer: Any) -> None:
    with pytest.raises(ValueError, match="is an address: routes go to Services"):
        writer.build_route("alice.users.example.org/user/alice/", "http://10.0.0.5:8888", {})


def test_a_long_name_is_a_valid_name(writer: Any) -> None:
    label = "a" * 63
    built = writer.build_route(f"{label}.users.example.org/user/{'a' * 2000}/", TARGET, {})
    assert len(built["metadata"]["name"]) == len("jupyterhub-") + 64


def test_path_routes_without_user_hosts(chart: cdk8s.Chart) -> None:
    """What jupyterhub-istio-proxy did: the path on the hub's hosts; a host route refused."""
    writer = hub_writer(_app(chart, user_hosts=None))
    built = writer.build_route("/user/alice/", TARGET, {})
    assert built["spec"]["hosts"] == [HUB]
    with pytest.raises(ValueError, match="not using host-routing"):
        writer.build_route("alice.users.example.org/user/alice/", TARGET, {})


# --- what the construct refuses -------------------------------------------------------------


def test_fails_user_servers_without_services(chart: cdk8s.Chart) -> None:
    message = value_error(
        lambda: make_jupyterhub(
            chart,
            user_pods=UserPods(per_user_service=False),
            proxy_options=IstioProxyOptions(),
        )
    )
    assert message.startswith("test/JupyterHub/Proxy: hub must give user servers per-user Services")


def test_fails_ingress_that_needs_a_target(chart: cdk8s.Chart) -> None:
    """Every edge that sends requests to the proxy asks it for its ingress_target."""
    jupyterhub = _app(chart)
    reason = (
        "proxy must carry the requests (have an ingress_target, as CHProxy): its routes are "
        "written for the Istio Gateway 'jupyterhub', use IstioIngress, got 'test/JupyterHub/Proxy'"
    )
    with pytest.raises(ValueError) as error:
        AuthProxyIngress(chart, "Ingress", proxy=jupyterhub.proxy)
    assert str(error.value) == f"test/Ingress: {reason}"
    with pytest.raises(ValueError) as error:
        GatewayApiIngress(
            chart, "Route", proxy=jupyterhub.proxy, gateway=GatewayRef("public", "gateways")
        )
    assert str(error.value) == f"test/Route: {reason}"
    with pytest.raises(ValueError) as error:
        plus.proxy_backend(jupyterhub.proxy)
    assert str(error.value) == f"proxy_backend: {reason}"


def test_fails_chp_routes_with_istio_proxy(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        make_jupyterhub(
            chart,
            proxy_routes=RouteStore.redis(uri_secret="r"),
            proxy_options=IstioProxyOptions(),
        )
    assert str(error.value).startswith(
        "test/JupyterHub: proxy_routes applies to CHProxy only (proxy_options is "
        "IstioProxyOptions, which has no such field), got <"
    )


def test_fails_second_proxy(chart: cdk8s.Chart) -> None:
    jupyterhub = _app(chart)
    with pytest.raises(ValueError) as error:
        IstioProxy(chart, "Other", hub=jupyterhub.hub)
    assert str(error.value) == (
        "test/Other: hub already has the proxy test/JupyterHub/Proxy (a release has one proxy "
        "per namespace), got 'test/JupyterHub/Hub'"
    )


def test_quota_counts_no_proxy_pods(chart: cdk8s.Chart) -> None:
    jupyterhub = _app(chart)
    HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub, user_servers=0, gpu_servers=0)
    hard = find(synth(chart), "ResourceQuota")["spec"]["hard"]
    # The hub (10m) and its sidecar (10m) alone.
    assert hard["requests.cpu"] == "20m"


def test_image_pull_secrets_go_to_the_hub_and_user_pods(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(
        chart,
        proxy_options=IstioProxyOptions(),
        image_pull_secrets=["mirror"],
    )
    assert jupyterhub.hub.settings.spawner.image_pull_secrets == ("mirror",)
    assert jupyterhub.proxy.image_pull_secrets == ()


def test_named_servers_are_served(chart: cdk8s.Chart) -> None:
    """No limit of the proxy's: the hub's own (JupyterHub's named_server_limit) stands."""
    jupyterhub = make_jupyterhub(chart, proxy_options=IstioProxyOptions(), named_server_limit=3)
    settings = jupyterhub.hub.settings
    assert (settings.named_servers, settings.named_server_limit_per_user) == (True, 3)
    assert jupyterhub.proxy.hub_limits().max_named_servers is None


def test_fails_hub_that_does_not_write_the_routes(chart: cdk8s.Chart) -> None:
    hub = make_bare_hub(chart)
    with pytest.raises(ValueError) as error:
        IstioProxy(chart, "Proxy", hub=hub)
    assert str(error.value) == (
        "test/Proxy: hub must write its routes as VirtualServices: HubStatefulSet("
        "proxy_limits=IstioProxyOptions(...).hub_limits()), got 'test/Hub'"
    )


def test_a_hub_given_the_limits_works(chart: cdk8s.Chart) -> None:
    hub = make_bare_hub(chart, proxy_limits=IstioProxyOptions().hub_limits())
    IstioProxy(chart, "Proxy", hub=hub)
    assert hub.settings.virtual_services is not None


def test_fails_bad_prefix(chart: cdk8s.Chart) -> None:
    message = value_error(lambda: _app(chart, virtual_service_prefix="Not_A_Label"))
    assert message.startswith("test/JupyterHub/Hub: virtual_service_prefix must be")


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("image", "registry.example.org/istio-proxy:0.3.0", "there is no proxy pod"),
        ("replicas", 2, "there is no proxy pod"),
        ("host", HUB, "the hub's public_hosts"),
        ("wait_for_warmup", True, "the hub redirects"),
    ],
)
def test_removed_options_name_what_replaced_them(field: str, value: Any, why: str) -> None:
    with pytest.raises(TypeError, match=f"{field} was removed from IstioProxyOptions: .*{why}"):
        IstioProxyOptions(**{field: value})


def test_removed_image_constant_says_why() -> None:
    with pytest.raises(ImportError, match="DEFAULT_ISTIO_PROXY_IMAGE was removed; use nothing"):
        from constructs_lib import DEFAULT_ISTIO_PROXY_IMAGE  # noqa: F401


def test_hub_options_keep_named_servers_off(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(
        chart, hub_options=HubOptions(named_server_limit=0), proxy_options=IstioProxyOptions()
    )
    settings = jupyterhub.hub.settings
    assert (settings.named_servers, settings.virtual_services is not None) == (False, True)


@pytest.mark.parametrize(
    ("target", "host"),
    [
        # KubeSpawner's dns_name_template writes cluster.local whatever the cluster's is.
        (
            "http://jupyter-alice.jupyterhub.svc.cluster.local:8888",
            "jupyter-alice.jupyterhub.svc.corp.internal",
        ),
        ("http://jupyter-alice.other.svc:8888", "jupyter-alice.other.svc.corp.internal"),
        # proxy/create.go: a short name is a Service of the hub's namespace.
        ("http://jupyterhub-hub:8081", "jupyterhub-hub.jupyterhub.svc.corp.internal"),
    ],
)
def test_destinations_in_the_clusters_domain(target: str, host: str) -> None:
    from hub_runtime.virtual_services import destination

    assert destination(target, "jupyterhub", "corp.internal")[0] == host
