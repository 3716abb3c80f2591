"""IstioProxy: jupyterhub-istio-proxy's objects, checked against its source (v0.3.0 of
splunk/jupyterhub-istio-proxy), the hub's proxy settings, and the mesh model routing the
VirtualServices it writes.

No end-to-end run: the proxy is a Go binary published only as a container image and as
archives on GitHub releases (its .goreleaser.yaml); neither npm, PyPI nor Debian has it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion
from traitlets.config import Config

import constructs_lib
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
    KubernetesVersion,
    NetworkPeer,
    NotebookProfile,
    RouteStore,
    UserPods,
    plus,
)
from constructs_lib._proxies.istio_proxy import HUB_PROXY_CLASS, ISTIO_PROXY_ROLE_RULES
from hub_runtime.config import apply
from hub_runtime.preview import render_user_objects
from hub_runtime.settings import dump_settings
from tests.mesh.authz import Request
from tests.mesh.hops import check_ingress
from tests.mesh.objects import Mesh, Workload
from tests.support.builders import (
    find,
    make_bare_hub,
    make_chart,
    make_jupyterhub,
    synth,
    value_error,
)
from tests.support.constants import HOSTS
from tests.support.crd_schemas import is_custom, validate_custom
from tests.support.istio_proxy_api import istio_proxy_api, written_virtual_service
from tests.support.kube_schemas import validate_strictly

COMPONENT = "app.kubernetes.io/component"

# The calls the proxy makes to the Kubernetes API, as in its source (v0.3.0):
KUBERNETES_CALLS = {
    # proxy/create.go:57
    "create.go": "_, err = i.NetworkingV1alpha3().VirtualServices(i.namespace).Create("
    "context.Background(), vs, metav1.CreateOptions{})",
    # proxy/list.go:27
    "list.go": "vsList, err := i.NetworkingV1alpha3().VirtualServices(i.namespace).List("
    "context.Background(), metav1.ListOptions{})",
    # proxy/delete.go:27
    "delete.go": "return i.NetworkingV1alpha3().VirtualServices(i.namespace).Delete("
    "context.Background(), name, v1.DeleteOptions{})",
}
# main.go's constants: every variable it reads, and its defaults.
MAIN_GO_ENV = {
    "ISTIO_GATEWAY",  # gatewayEnvKey, required
    "CONFIGPROXY_AUTH_TOKEN",  # proxyAuthTokenEnvKey, required
    "SUB_DOMAIN_HOST",  # subDomainHostEnvKey, required
    "K8S_NAMESPACE",  # namespaceKey, required
    "WAIT_FOR_WARMUP",  # waitForWarmupKey: on unless "false"
    "VIRTUAL_SERVICE_PREFIX",  # virtualServicePrefixKey, default "jupyter"
    "CLUSTER_DOMAIN",  # clusterDomainEnvKey, default "cluster.local"
}
# main.go: `Addr: ":8000"`; proxy/http.go: `r.GET("/ping", ...)` outside the token group.
LISTEN_PORT, HEALTH_PATH = 8000, "/ping"
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
# What the user pods' sidecars remove: the hub's user header; a client's own Authorization
# (an API token) passes, as the provider adds its ID token only on the hub's paths.
USER_POD_REMOVES = {"x-auth-request-user"}
SECRET_TOKEN = "token-from-the-secret"


def _app(chart: cdk8s.Chart, **options: Any) -> JupyterHub:
    jupyterhub = make_jupyterhub(
        chart,
        # IstioProxy serves no named servers: the hub must not offer them.
        named_server_limit=0,
        proxy_options=IstioProxyOptions(**options),
    )
    istio = IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    HubNetworkPolicies(
        chart, "NetworkPolicies", jupyterhub=jupyterhub, ingress_from=istio.gateway_pods
    )
    return jupyterhub


def _proxy(jupyterhub: JupyterHub) -> IstioProxy:
    assert isinstance(jupyterhub.proxy, IstioProxy)
    return jupyterhub.proxy


def _container(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = find(manifests, "Deployment")
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


def _env(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in _container(manifests)["env"]}


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    _app(chart)
    proxy_objects = [m for m in synth(chart) if m["metadata"]["labels"].get(COMPONENT) == "proxy"]
    assert proxy_objects == snapshot_yaml


def test_is_the_composites_proxy_and_an_iproxy(chart: cdk8s.Chart) -> None:
    proxy = _proxy(_app(chart))
    assert isinstance(proxy, IProxy)
    assert proxy.ingress_target is None
    assert proxy.route_gateway_name == "jupyterhub"
    assert cdk8s.ApiObject.of(proxy).kind == "Deployment"


def test_role_covers_exactly_the_calls_in_its_source(chart: cdk8s.Chart) -> None:
    """The Role grants the verbs the proxy's code calls on VirtualServices, no more."""
    called = {
        re.search(r"\.VirtualServices\(i\.namespace\)\.(\w+)\(", line).group(1).lower()  # type: ignore[union-attr]
        for line in KUBERNETES_CALLS.values()
    }
    assert all("NetworkingV1alpha3()" in line for line in KUBERNETES_CALLS.values())
    _app(chart)
    manifests = synth(chart)
    role = find(manifests, "Role", "jupyterhub-proxy")
    assert (
        role["rules"]
        == ISTIO_PROXY_ROLE_RULES
        == [
            {
                "apiGroups": ["networking.istio.io"],
                "resources": ["virtualservices"],
                "verbs": sorted(called),
            }
        ]
    )
    binding = find(manifests, "RoleBinding", "jupyterhub-proxy")
    account = find(manifests, "ServiceAccount", "jupyterhub-proxy")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"]}]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    # rest.InClusterConfig() (proxy/istio.go) reads the mounted token.
    assert account["automountServiceAccountToken"] is True
    pod = find(manifests, "Deployment")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    assert pod["automountServiceAccountToken"] is True


def test_environment_is_what_main_go_reads(chart: cdk8s.Chart) -> None:
    _app(chart)
    manifests = synth(chart)
    container = _container(manifests)
    env = _env(manifests)
    token_secret = container["envFrom"][0]["secretRef"]["name"]
    assert set(env) | {"CONFIGPROXY_AUTH_TOKEN"} == MAIN_GO_ENV
    assert env["K8S_NAMESPACE"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    assert env["SUB_DOMAIN_HOST"] == "*"
    assert env["VIRTUAL_SERVICE_PREFIX"] == "jupyterhub"
    assert env["WAIT_FOR_WARMUP"] == "false"
    assert env["CLUSTER_DOMAIN"] == "cluster.local"
    assert token_secret == "proxy-token"
    assert container["ports"] == [{"name": "api", "containerPort": LISTEN_PORT, "protocol": "TCP"}]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": HEALTH_PATH, "port": "api"}
    assert container["image"] == "docker.io/splunk/jupyterhub-istio-proxy:0.3.0"


def test_restricted_security_context(chart: cdk8s.Chart) -> None:
    _app(chart)
    manifests = synth(chart)
    pod = find(manifests, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert _container(manifests)["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def test_gateway_is_the_one_istio_ingress_creates(chart: cdk8s.Chart) -> None:
    """ISTIO_GATEWAY without a namespace names a Gateway in the VirtualServices' namespace
    (K8S_NAMESPACE, the pod's): IstioIngress's Gateway, in the same chart."""
    _app(chart)
    manifests = synth(chart)
    gateway = find(manifests, "Gateway")
    assert _env(manifests)["ISTIO_GATEWAY"] == gateway["metadata"]["name"]
    assert (
        gateway["metadata"]["namespace"] == find(manifests, "Deployment")["metadata"]["namespace"]
    )
    # No VirtualService of IstioIngress's own: the proxy writes them.
    assert [m for m in manifests if m["kind"] == "VirtualService"] == []


def test_hub_talks_to_the_proxy_service(
    chart: cdk8s.Chart, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hub's settings, applied by the hub runtime, name this proxy's Service at a port
    that reaches the port main.go listens on, with the token from the proxy's Secret, and the
    hub does not start a proxy of its own."""
    jupyterhub = _app(chart)
    manifests = synth(chart)
    service = find(manifests, "Service", "jupyterhub-proxy")
    (port,) = service["spec"]["ports"]
    container = _container(manifests)
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert named[port["targetPort"]] == LISTEN_PORT
    client = _hub_proxy(jupyterhub, tmp_path, monkeypatch)
    assert type(client).__name__ == "VirtualServiceRoutesProxy"
    assert client.should_start is False
    assert client.api_url == f"http://{service['metadata']['name']}:{port['port']}"
    assert client.auth_token == SECRET_TOKEN
    # Routes keep their slash on the wire, and come back as the hub's routespecs.
    assert client._routespec_to_chp_path("/user/alice/") == "/user/alice/"
    assert client._routespec_from_chp_path("/user/alice/") == "/user/alice/"
    assert client._routespec_to_chp_path("/") == "/"
    hub = find(manifests, "StatefulSet")["spec"]["template"]["spec"]["containers"][0]
    assert hub["envFrom"] == container["envFrom"]  # CONFIGPROXY_AUTH_TOKEN, one Secret
    # Routes are objects that outlive the proxy: the hub re-checks them as rarely as with Redis.
    assert client.config.JupyterHub.last_activity_interval == 60
    assert client.config.JupyterHub.allow_named_servers is False


def test_objects_validate(chart: cdk8s.Chart) -> None:
    """Core kinds against Kubernetes' strict schema, Istio kinds against the vendored CRDs."""
    _app(chart)
    for manifest in synth(chart):
        if is_custom(manifest):
            validate_custom(manifest)
        else:
            validate_strictly(manifest, "1.33")


def _hub_proxy(jupyterhub: JupyterHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The proxy client the hub runs: its settings applied by the hub runtime (with the
    token in the hub's environment, as its Secret puts it), then ``JupyterHub.proxy_class``
    resolved and built from that config, as JupyterHub does."""
    from jupyterhub.app import JupyterHub as HubApp

    monkeypatch.setenv("CONFIGPROXY_AUTH_TOKEN", SECRET_TOKEN)
    path = tmp_path / "settings.json"
    path.write_text(dump_settings(jupyterhub.hub.settings))
    config = Config()
    apply(config, path)
    app = HubApp(config=config)
    return app.proxy_class(config=config)


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Mesh, dict[str, Workload]]]:
    """Built once for the tests that only read it."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield _routed(make_chart(), tmp_path_factory.mktemp("routed"), monkeypatch)


def _routed(
    chart: cdk8s.Chart, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Mesh, dict[str, Workload]]:
    """The app, the pods and Services KubeSpawner renders for alice and alicex, and the
    VirtualServices the proxy writes for the hub's own route (added first, at the hub's
    start), alice's and then alicex's, from the paths and bodies the hub's proxy client
    sends (ConfigurableHTTPProxy.add_route: its data, "target" and "jupyterhub": true)."""
    from jupyterhub.objects import Hub

    from hub_runtime.spawner import DynamicKubeSpawner

    jupyterhub = _app(chart)
    proxy = _proxy(jupyterhub)
    client = _hub_proxy(jupyterhub, tmp_path, monkeypatch)
    settings = jupyterhub.hub.settings
    default = next(p.slug for p in settings.profiles if p.default)
    template = DynamicKubeSpawner.class_traits()["dns_name_template"].default_value
    # JupyterHub's add_hub_route: hub.routespec "/" to Hub.host (the connect URL's origin).
    hub_target = Hub(connect_url=settings.connect_url).host
    written = [
        written_virtual_service(
            proxy,
            "jupyterhub",
            client._routespec_to_chp_path("/"),
            {"hub": True, "target": hub_target, "jupyterhub": True},
        )
    ]
    user_objects: list[dict[str, Any]] = []
    for user in ("alice", "alicex"):
        rendered = render_user_objects(
            settings, namespace="jupyterhub", user=user, admin=False, profile=default
        )
        for manifest in rendered:
            manifest.setdefault("apiVersion", "v1")
        (service,) = [m for m in rendered if m["kind"] == "Service"]
        # KubeSpawner._get_pod_url with per-user Services: dns_name_template.
        target = "http://{}:{}".format(
            template.format(name=service["metadata"]["name"], namespace="jupyterhub"),
            settings.spawner.port,
        )
        body = {"user": user, "server_name": "", "target": target, "jupyterhub": True}
        written.append(
            written_virtual_service(
                proxy, "jupyterhub", client._routespec_to_chp_path(f"/user/{user}/"), body
            )
        )
        user_objects.extend(rendered)
    for manifest in written:
        # Istio's CRD serves v1alpha3 with the schema of v1 (the vendored file keeps v1).
        validate_custom({**manifest, "apiVersion": "networking.istio.io/v1"})
    mesh = Mesh.of(synth(chart), user_objects, written)
    pods = {w.name: w for w in mesh.workloads if w.kind == "Pod"}
    return mesh, {
        "hub": mesh.workload(jupyterhub.hub.labels),
        "alice": pods["jupyter-alice"],
        "alicex": pods["jupyter-alicex"],
    }


@pytest.mark.parametrize(
    ("path", "reaches"),
    [
        ("/user/alice/lab", "alice"),
        ("/user/alice/api/kernels", "alice"),
        # alice's route was written first: a route without its slash would take these.
        ("/user/alicex/lab", "alicex"),
        ("/user/alicex/api/kernels", "alicex"),
        ("/hub/login", "hub"),
        ("/hub/spawn/alice", "hub"),
        ("/", "hub"),
        ("/user/bob/", "hub"),  # no route yet: the hub answers (and redirects once it has one)
    ],
)
def test_gateway_routes_through_the_written_virtual_services(
    routed: tuple[Mesh, dict[str, Workload]], path: str, reaches: str
) -> None:
    """The hub's "/" VirtualService is written first, yet user routes win: Istio merges the
    Gateway's VirtualServices and moves catch-all routes last. The gateway's request is then
    admitted by the destination's policies (mTLS, the gateway's identity)."""
    mesh, workloads = routed
    verdict = check_ingress(mesh, GATEWAY, Request("GET", HOSTS[0], path), 80)
    assert verdict.allowed, verdict.reason
    assert verdict.destination == workloads[reaches], verdict.reason


def test_auth_headers_reach_the_hub_only(routed: tuple[Mesh, dict[str, Workload]]) -> None:
    """The proxy's VirtualServices remove no header; the user pods' sidecars remove the hub's
    user header at their port and keep Authorization, the hub's keep both."""
    mesh, workloads = routed
    assert mesh.removed_headers(workloads["alice"], 8888) == USER_POD_REMOVES
    assert mesh.removed_headers(workloads["hub"], 8081) == set()


def test_policies_admit_the_gateway_not_the_proxy(chart: cdk8s.Chart) -> None:
    jupyterhub = _app(chart)
    manifests = synth(chart)
    policies = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "NetworkPolicy"}
    gateway_peer = NetworkPeer.ISTIO_INGRESS_GATEWAY.to_policy_peer()

    def sources(name: str, port: int) -> list[dict[str, Any]]:
        return [
            peer
            for rule in policies[name]["spec"]["ingress"]
            if {"protocol": "TCP", "port": port} in rule["ports"]
            for peer in rule["from"]
        ]

    assert gateway_peer in sources("jupyterhub-hub", 8081)
    assert gateway_peer in sources("jupyterhub-singleuser-server", 8888)
    hub_peer = {"podSelector": {"matchLabels": jupyterhub.hub.labels}}
    assert sources("jupyterhub-proxy", LISTEN_PORT) == [hub_peer]
    proxy_peer = {"podSelector": {"matchLabels": jupyterhub.proxy.labels}}
    assert proxy_peer not in sources("jupyterhub-hub", 8081)
    assert proxy_peer not in sources("jupyterhub-singleuser-server", 8888)
    authz = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "AuthorizationPolicy"}
    gateway_id = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
    proxy_rules = authz["jupyterhub-proxy"]["spec"]["rules"]
    assert [r["to"][0]["operation"]["ports"] for r in proxy_rules] == [[str(LISTEN_PORT)]]
    assert proxy_rules[0]["from"][0]["source"]["principals"] == [
        "cluster.local/ns/jupyterhub/sa/jupyterhub-hub"
    ]
    for name in ("jupyterhub-hub", "jupyterhub-singleuser-server"):
        principals = authz[name]["spec"]["rules"][0]["from"][0]["source"]["principals"]
        assert gateway_id in principals
        assert "cluster.local/ns/jupyterhub/sa/jupyterhub-proxy" not in principals


def test_chp_stays_the_default(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    assert type(jupyterhub.proxy).__name__ == "CHProxy"


def test_warmup_with_one_host(chart: cdk8s.Chart) -> None:
    _app(chart, host=HOSTS[0], wait_for_warmup=True, replicas=3)
    manifests = synth(chart)
    env = _env(manifests)
    assert (env["SUB_DOMAIN_HOST"], env["WAIT_FOR_WARMUP"]) == (HOSTS[0], "true")
    assert find(manifests, "Deployment")["spec"]["replicas"] == 3


def _error(chart: cdk8s.Chart, **props: Any) -> str:
    return value_error(lambda: _app(chart, **props))


def test_fails_warmup_with_wildcard_host(chart: cdk8s.Chart) -> None:
    assert _error(chart, wait_for_warmup=True) == (
        "test/JupyterHub/Proxy: host must name one host with wait_for_warmup (the warm-up "
        "fetches https://<host>/<route>/), got '*'"
    )


def test_fails_host_the_hub_does_not_serve(chart: cdk8s.Chart) -> None:
    assert _error(chart, host="other.example.org") == (
        "test/JupyterHub/Proxy: host must be '*' or one of the hub's public_hosts "
        "['hub.example.org'], got 'other.example.org'"
    )


def test_fails_no_replicas(chart: cdk8s.Chart) -> None:
    assert _error(chart, replicas=0) == "test/JupyterHub/Proxy: replicas must be 1 or more, got 0"


def test_fails_user_servers_without_services(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        make_jupyterhub(
            chart,
            user_pods=UserPods(per_user_service=False),
            named_server_limit=0,
            proxy_options=IstioProxyOptions(),
        )
    assert str(error.value) == (
        "test/JupyterHub/Proxy: hub must give user servers per-user Services "
        "(UserPods(per_user_service=True)): the proxy routes to <target host>.<namespace>."
        "svc.<cluster domain>, which a pod IP is not, got 'test/JupyterHub/Hub'"
    )


def test_fails_chp_routes_with_istio_proxy(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        make_jupyterhub(
            chart,
            proxy_routes=RouteStore.redis(uri_secret="r"),
            named_server_limit=0,
            proxy_options=IstioProxyOptions(),
        )
    assert str(error.value).startswith(
        "test/JupyterHub: proxy_routes applies to CHProxy only (proxy_options is "
        "IstioProxyOptions, which has no such field), got <"
    )


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


def test_fails_second_proxy(chart: cdk8s.Chart) -> None:
    jupyterhub = _app(chart)
    with pytest.raises(ValueError) as error:
        IstioProxy(chart, "Other", hub=jupyterhub.hub)
    assert str(error.value) == (
        "test/Other: hub already has the proxy test/JupyterHub/Proxy (a release has one proxy "
        "per namespace), got 'test/JupyterHub/Hub'"
    )


def test_no_pre_stop_hook_before_the_sleep_action(chart: cdk8s.Chart) -> None:
    """The image is distroless: ``exec sleep`` (the hook before 1.30) has nothing to run."""
    make_jupyterhub(
        chart,
        named_server_limit=0,
        proxy_options=IstioProxyOptions(),
        kubernetes_version=KubernetesVersion.of("1.29"),
    )
    assert "lifecycle" not in _container(synth(chart))


def test_quota_counts_the_replicas_and_their_surge(chart: cdk8s.Chart) -> None:
    jupyterhub = _app(chart, replicas=3)
    HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub, user_servers=0, gpu_servers=0)
    hard = find(synth(chart), "ResourceQuota")["spec"]["hard"]
    # Hub (10m) and its sidecar (10m), three proxies and one surging (100m and 10m each).
    assert hard["requests.cpu"] == "460m"


def test_stopping_a_server_whose_virtual_service_is_gone(
    chart: cdk8s.Chart, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hub's proxy client against a stand-in answering as jupyterhub-istio-proxy v0.3.0
    does (tests/support/istio_proxy_api.py): a DELETE of a VirtualService already gone is its 500,
    which JupyterHub would retry for 30 s and raise, so the server could never stop. The
    client deletes a route that is there, and takes one that is gone as deleted at once."""
    import asyncio

    client = _hub_proxy(_app(chart), tmp_path, monkeypatch)
    target = "http://jupyter-alice:8888"

    async def scenario() -> list[tuple[str, int]]:
        async with istio_proxy_api(SECRET_TOKEN) as (api, url):
            client.api_url = url
            await client.add_route("/user/alice/", target, {"user": "alice"})
            assert list(await client.get_all_routes()) == ["/user/alice/"]
            await asyncio.wait_for(client.delete_route("/user/alice/"), 5)
            assert api.virtual_services == {}
            await client.add_route("/user/alice/", target, {"user": "alice"})
            # Removed behind the hub's back (by hand, or a DELETE whose answer was lost).
            api.virtual_services.clear()
            await asyncio.wait_for(client.delete_route("/user/alice/"), 5)
            return api.deletes

    assert asyncio.run(scenario()) == [("/user/alice/", 204)]


def test_proxy_class_is_the_runtimes() -> None:
    from hub_runtime.proxy_routes import PROXY_CLASS

    assert PROXY_CLASS == HUB_PROXY_CLASS


@pytest.mark.parametrize(
    "named_servers",
    [
        # The default limit (3), left out or given: the proxy's limit refuses it either way,
        # never lowering it to 0 behind the user's back.
        {},
        {"hub_options": HubOptions(named_server_limit=3)},
        {"hub_options": HubOptions(named_server_limit=2)},
        {"named_server_limit": 3},
    ],
    ids=["default", "options-default-value", "options-other-value", "shorthand"],
)
def test_fails_named_servers(chart: cdk8s.Chart, named_servers: dict[str, Any]) -> None:
    with pytest.raises(ValueError) as error:
        make_jupyterhub(chart, proxy_options=IstioProxyOptions(), **named_servers)
    limit = (named_servers.get("hub_options") or HubOptions(**named_servers)).named_server_limit
    assert str(error.value) == (
        "test/JupyterHub/Hub: named_server_limit must be at most 0 with this proxy (IstioProxy "
        "serves no named servers: the Gateway tries the VirtualServices in creation order, so "
        "a user's default server would take a named server's requests); pass "
        f"named_server_limit=0, got {limit}"
    )


def test_named_servers_off_are_honoured(chart: cdk8s.Chart) -> None:
    """Either way of saying 0 gives a hub with no named servers and the proxy's client."""
    ways: tuple[dict[str, Any], ...] = (
        {"named_server_limit": 0},
        {"hub_options": HubOptions(named_server_limit=0)},
    )
    for index, named_servers in enumerate(ways):
        jupyterhub = make_jupyterhub(
            chart,
            f"JupyterHub{index}",
            release=f"hub{index}",
            proxy_options=IstioProxyOptions(),
            **named_servers,
        )
        settings = jupyterhub.hub.settings
        assert (settings.named_servers, settings.named_server_limit_per_user) == (False, 0)
        assert settings.extra_config["JupyterHub"]["proxy_class"] == HUB_PROXY_CLASS
        assert jupyterhub.proxy.hub_limits().max_named_servers == 0


def test_fails_hub_without_the_proxy_client(chart: cdk8s.Chart) -> None:
    hub = make_bare_hub(chart, profiles=[NotebookProfile(chart, "Profile")], named_server_limit=0)
    with pytest.raises(ValueError) as error:
        IstioProxy(chart, "Proxy", hub=hub)
    assert str(error.value) == (
        "test/Proxy: hub must call this proxy with the hub runtime's client: HubOptions("
        "extra_config={'JupyterHub': {'proxy_class': 'hub_runtime.proxy_routes."
        "VirtualServiceRoutesProxy'}}) (routes keep their trailing slash), got 'test/Hub'"
    )


def test_the_removed_protocol_names_its_replacement() -> None:
    with pytest.raises(ImportError, match=r"IMeshRoutedProxy was removed; use IProxy: a proxy"):
        from constructs_lib import IMeshRoutedProxy
    with pytest.raises(ImportError, match=r"interfaces.IMeshRoutedProxy was removed"):
        from constructs_lib._proxies.interfaces import (  # type: ignore[no-redef]
            IMeshRoutedProxy,  # noqa: F401
        )
    assert not hasattr(constructs_lib, "NoSuchName")


def test_env_adds_a_variable_after_main_gos(chart: cdk8s.Chart) -> None:
    proxy = _proxy(_app(chart))
    own = proxy.env.names
    proxy.env.add_variable("HTTP_PROXY", "http://egress.example.org:3128")
    env = _container(synth(chart))["env"]
    assert [variable["name"] for variable in env] == [*own, "HTTP_PROXY"]
    with pytest.raises(
        ValueError, match="env is already set in the container, got 'ISTIO_GATEWAY'"
    ):
        proxy.env.add_variable("ISTIO_GATEWAY", "other")
