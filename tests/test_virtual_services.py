"""The hub's routes as VirtualServices (``hub_runtime.virtual_services``) against the test
cluster's Kubernetes API (``tests/cluster``: kmock's emulator with the API server's RBAC),
as the hub's own service account with the Role the constructs give it.

First the writer alone (every call of JupyterHub's proxy contract, and what else the
namespace may hold); then the real hub, deployed from a chart with ``IstioProxy`` and
per-user hosts, spawning alice's and bob's servers through KubeSpawner, stopping one, and
restarting.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cdk8s
import pytest
import yaml

from constructs_lib import DEFAULT_STORAGE_CLASS, IstioIngress, IstioProxyOptions
from hub_runtime.virtual_services import (
    VirtualServiceProxy,
    decode_routes,
    group_of,
    virtual_service_name,
)
from tests.cluster.client import ApiError
from tests.cluster.cluster import Cluster
from tests.cluster.deployment import Deployed, deployed
from tests.cluster.kinds import kind_of, kind_of_manifest
from tests.support.builders import make_chart, make_jupyterhub, synth
from tests.support.constants import TOKEN
from tests.support.processes import jwks_server
from tests.test_cluster import KEY, User

NAMESPACE = "jupyterhub"
HUB = "hub.example.org"
VIRTUAL_SERVICE = kind_of("VirtualService", "networking.istio.io/v1alpha3")
TARGET = "http://jupyter-alice.jupyterhub.svc.cluster.local:8888"
LAB = "http://jupyter-alice--lab.jupyterhub.svc.cluster.local:8888"


def _chart_manifests() -> list[dict[str, Any]]:
    """The app: a hub whose routes are VirtualServices, each user on a host of their own,
    its Gateway, and the namespace."""
    chart: cdk8s.Chart = make_chart()
    jupyterhub = make_jupyterhub(
        chart,
        hosts=(HUB,),
        user_hosts="*.users.example.org",
        proxy_options=IstioProxyOptions(),
    )
    IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    return [namespace, *synth(chart)]


def _hub_account(manifests: list[dict[str, Any]]) -> str:
    (hub,) = [m for m in manifests if m["kind"] == "StatefulSet"]
    return str(hub["spec"]["template"]["spec"]["serviceAccountName"])


def _kubeconfig(cluster: Cluster, token: str, path: Path) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "hub",
                "clusters": [{"name": "c", "cluster": {"server": cluster.api_url}}],
                "users": [{"name": "hub", "user": {"token": token}}],
                "contexts": [{"name": "hub", "context": {"cluster": "c", "user": "hub"}}],
            }
        )
    )
    return path


@pytest.fixture
def writer_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Cluster, VirtualServiceProxy]]:
    """A cluster holding the app's RBAC objects, and the writer as the hub's account (its
    kube config, loaded the way KubeSpawner loads it: kubespawner.clients.load_config)."""
    from kubernetes_asyncio.client import Configuration
    from kubespawner.clients import load_config

    manifests = _chart_manifests()
    rbac = [m for m in manifests if m["kind"] in ("ServiceAccount", "Role", "RoleBinding")]
    kinds = {kind_of_manifest(m) for m in rbac} | {VIRTUAL_SERVICE}
    with Cluster(NAMESPACE, kinds, {}, tmp_path) as cluster:
        cluster.apply([manifests[0], *rbac])
        token = cluster.token(_hub_account(manifests))
        from kubernetes_asyncio.config import kube_config

        # kubernetes_asyncio reads KUBECONFIG once, at import.
        path = str(_kubeconfig(cluster, token, tmp_path / "kube"))
        monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", path)
        load_config.cache_clear()
        writer = VirtualServiceProxy(
            namespace=NAMESPACE,
            gateway="jupyterhub",
            name_prefix="jupyterhub",
            hub_hosts=[HUB],
            user_domain="users.example.org",
            host_routing=True,
        )
        try:
            yield cluster, writer
        finally:
            # Other tests of this process load their own (KubeSpawner's mock kube configs).
            load_config.cache_clear()
            Configuration.set_default(Configuration())


def _stored(cluster: Cluster) -> dict[str, dict[str, Any]]:
    items = cluster.run(cluster.admin.list(VIRTUAL_SERVICE, NAMESPACE))
    return {item["metadata"]["name"]: item for item in items}


def _plant(cluster: Cluster, name: str, annotations: dict[str, str]) -> None:
    """A VirtualService the writer did not write, with these annotations."""
    body = {
        "apiVersion": VIRTUAL_SERVICE.api_version,
        "kind": "VirtualService",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"hosts": ["x.example.org"], "http": []},
    }
    cluster.run(cluster.admin.create(VIRTUAL_SERVICE, NAMESPACE, body))


def test_the_contract_against_the_api(
    writer_cluster: tuple[Cluster, VirtualServiceProxy],
) -> None:
    """add_route creates, a second add_route replaces the target (Proxy.check_routes re-adds
    a route whose target changed), get_all_routes returns routespec, target and data,
    delete_route removes it, and a second delete is no error."""
    cluster, writer = writer_cluster
    spec = "alice.users.example.org/user/alice/"
    data = {"user": "alice", "server_name": ""}
    asyncio.run(writer.add_route(spec, TARGET, data))
    asyncio.run(writer.add_route("/", "http://jupyterhub-hub:8081", {"hub": True}))
    moved = TARGET.replace(":8888", ":9999")
    name = virtual_service_name("jupyterhub", spec)
    # A create of a name that exists is refused as the API server refuses it: the writer
    # patches instead.
    with pytest.raises(ApiError) as exists:
        cluster.run(cluster.admin.create(VIRTUAL_SERVICE, NAMESPACE, _stored(cluster)[name]))
    assert exists.value.status == 409
    asyncio.run(writer.add_route(spec, moved, data))
    stored = _stored(cluster)[name]
    assert stored["spec"]["hosts"] == ["alice.users.example.org"]
    assert stored["spec"]["http"][0]["route"][0]["destination"]["port"] == {"number": 9999}
    routes = asyncio.run(writer.get_all_routes())
    assert routes == {
        spec: {"routespec": spec, "target": moved, "data": data},
        "/": {"routespec": "/", "target": "http://jupyterhub-hub:8081", "data": {"hub": True}},
    }
    asyncio.run(writer.delete_route(spec))
    assert name not in _stored(cluster)
    asyncio.run(writer.delete_route(spec))
    assert list(asyncio.run(writer.get_all_routes())) == ["/"]


def test_a_users_servers_share_one_object(
    writer_cluster: tuple[Cluster, VirtualServiceProxy],
) -> None:
    """A named server's route joins its user's VirtualService, longest path first; deleting
    one leaves the other; deleting the last deletes the object."""
    cluster, writer = writer_cluster
    default, lab = "alice.users.example.org/user/alice/", "alice.users.example.org/user/alice/lab/"
    asyncio.run(writer.add_route(default, TARGET, {"user": "alice", "server_name": ""}))
    asyncio.run(writer.add_route(lab, LAB, {"user": "alice", "server_name": "lab"}))
    name = virtual_service_name("jupyterhub", default)
    assert list(_stored(cluster)) == [name]
    prefixes = [r["match"][0]["uri"]["prefix"] for r in _stored(cluster)[name]["spec"]["http"]]
    assert prefixes == ["/user/alice/lab/", "/user/alice/"]
    assert sorted(asyncio.run(writer.get_all_routes())) == [default, lab]
    asyncio.run(writer.delete_route(default))
    assert list(asyncio.run(writer.get_all_routes())) == [lab]
    asyncio.run(writer.delete_route(lab))
    assert _stored(cluster) == {}


def test_concurrent_changes_of_one_users_routes_all_hold(
    writer_cluster: tuple[Cluster, VirtualServiceProxy],
) -> None:
    """JupyterHub adds and deletes routes concurrently (check_routes gathers them; servers
    start together): one writer makes them one at a time per object, and between writers
    (two here, as during a hub's replacement) each change reads the object and writes it back
    naming the version it read, so the API server refuses a write that would lose another
    (409), which is then done again from a fresh read."""
    cluster, first = writer_cluster
    second = VirtualServiceProxy(
        **{name: getattr(first, name) for name in ("namespace", "gateway", "name_prefix")},
        hub_hosts=first.hub_hosts,
        user_domain=first.user_domain,
        host_routing=True,
    )
    writers = [first, second]
    servers = [f"s{index}" for index in range(30)]

    def spec(server: str) -> str:
        return f"alice.users.example.org/user/alice/{server}/"

    async def together(*changes: Any) -> None:
        await asyncio.gather(*changes)

    asyncio.run(
        together(
            *(
                writers[index % 2].add_route(spec(s), LAB, {"user": "alice", "server_name": s})
                for index, s in enumerate(servers)
            )
        )
    )
    assert sorted(asyncio.run(first.get_all_routes())) == sorted(spec(s) for s in servers)
    asyncio.run(
        together(
            *(writers[index % 2].delete_route(spec(s)) for index, s in enumerate(servers[:25]))
        )
    )
    assert sorted(asyncio.run(second.get_all_routes())) == sorted(spec(s) for s in servers[25:])
    (stored,) = _stored(cluster).values()
    assert len(stored["spec"]["http"]) == 5


def test_the_writer_loads_kubespawners_configuration(
    writer_cluster: tuple[Cluster, VirtualServiceProxy],
) -> None:
    """The loaded client configuration is global, cached by load_config's arguments: the
    writer's call is KubeSpawner's own (kubespawner 7.0.0 spawner.py, ``KubeSpawner.__init__``:
    host, ssl_ca_cert and verify_ssl from its k8s_api_* traits), so neither reloads it over
    the other's (a reload would undo a configured k8s_api_host)."""
    from kubespawner import KubeSpawner
    from kubespawner.clients import load_config

    _, writer = writer_cluster
    asyncio.run(writer.get_all_routes())
    loaded = load_config.cache_info().currsize
    # An unconfigured KubeSpawner's values: its traits' defaults.
    traits = KubeSpawner.class_traits()
    load_config(
        host=traits["k8s_api_host"].default(),
        ssl_ca_cert=traits["k8s_api_ssl_ca_cert"].default(),
        verify_ssl=traits["k8s_api_verify_ssl"].default(),
    )
    assert load_config.cache_info().currsize == loaded == 1


def test_foreign_and_broken_objects_are_skipped(
    writer_cluster: tuple[Cluster, VirtualServiceProxy],
) -> None:
    """The namespace's other VirtualServices (no annotation, another prefix's, one that does
    not decode, one whose route is not an object, one not under the name its route gets, a
    spec without its trailing slash, data JupyterHub could not take) are no routes; a route
    jupyterhub-istio-proxy v0.3.0 wrote (proxy/route.go's JSON, data beside target) is read
    back."""
    cluster, writer = writer_cluster
    writer.host_routing = False  # the Go proxy's routes were paths on one host

    def create(name: str, annotations: dict[str, str]) -> None:
        _plant(cluster, name, annotations)

    key = "jupyterhub.splunk.io/proxy-data"
    create("plain", {})
    create("other-prefix", {"other.splunk.io/proxy-data": "e30="})
    create("not-base64", {key: "%%%"})
    create("not-json", {key: base64.b64encode(b"{").decode()})
    create("a-list", {key: base64.b64encode(b"[1, 2]").decode()})
    create("no-target", {key: base64.b64encode(b'{"route_spec": "/x/"}').decode()})

    def route(spec: str, **data: Any) -> str:
        value = {"route_spec": spec, "target": "http://jupyter-x:8888", "data": data}
        return base64.b64encode(json.dumps(value).encode()).decode()

    # Claims on alice's routes and the hub's, which check_routes would act on.
    create("not-its-name", {key: route("/user/alice/", user="alice")})
    create(virtual_service_name("jupyterhub", "/user/alice"), {key: route("/user/alice")})
    create(virtual_service_name("jupyterhub", ""), {key: route("")})
    create(
        virtual_service_name("jupyterhub", "/services/x/"), {key: route("/services/x/", service=[])}
    )
    old = {
        "route_spec": "/user/carol/",
        "target": "http://jupyter-carol:8888",
        "jupyterhub": True,
        "data": {"user": "carol", "server_name": ""},
    }
    create(
        virtual_service_name("jupyterhub", "/user/carol/"),
        {key: base64.b64encode(json.dumps(old).encode()).decode()},
    )
    assert asyncio.run(writer.get_all_routes()) == {
        "/user/carol/": {
            "routespec": "/user/carol/",
            "target": "http://jupyter-carol:8888",
            "data": {"user": "carol", "server_name": ""},
        }
    }
    # The route it wrote is deleted by the same name (proxy/delete.go's), even by a hub that
    # now routes by host (check_routes deletes it as stale at the start).
    writer.host_routing = True
    asyncio.run(writer.delete_route("/user/carol/"))
    assert virtual_service_name("jupyterhub", "/user/carol/") not in _stored(cluster)


def test_objects_that_say_otherwise_are_written_again(
    writer_cluster: tuple[Cluster, VirtualServiceProxy],
) -> None:
    """After an upgrade from jupyterhub-istio-proxy (its objects on hosts ``*``, with its
    response header) or a change of the hub's hosts, the listing writes each object as the
    writer would now: JupyterHub re-adds a route only when its target changes, and a hub
    route left on ``*`` would take requests on every user's host."""
    cluster, writer = writer_cluster
    key = "jupyterhub.splunk.io/proxy-data"
    hub_route = {"route_spec": "/", "target": "http://jupyterhub-hub:8081", "jupyterhub": True}
    name = virtual_service_name("jupyterhub", "/")
    # What proxy/create.go's virtualService wrote for the hub's route (SUB_DOMAIN_HOST "*").
    go = {
        "apiVersion": VIRTUAL_SERVICE.api_version,
        "kind": "VirtualService",
        "metadata": {
            "name": name,
            "annotations": {key: base64.b64encode(json.dumps(hub_route).encode()).decode()},
        },
        "spec": {
            "hosts": ["*"],
            "gateways": ["jupyterhub"],
            "http": [
                {
                    "match": [{"uri": {"prefix": "/"}}],
                    "route": [
                        {
                            "destination": {
                                "host": "jupyterhub-hub.jupyterhub.svc.cluster.local",
                                "port": {"number": 8081},
                            }
                        }
                    ],
                    "headers": {"response": {"set": {"jupyter-proxy-id": name}}},
                }
            ],
        },
    }
    cluster.run(cluster.admin.create(VIRTUAL_SERVICE, NAMESPACE, go))
    routes = asyncio.run(writer.get_all_routes())
    assert routes["/"]["target"] == "http://jupyterhub-hub:8081"
    stored = _stored(cluster)[name]
    assert stored["spec"] == writer.build_route("/", "http://jupyterhub-hub:8081", {})["spec"]
    assert stored["spec"]["hosts"] == [HUB]
    # The hub's hosts changed: the next listing moves the route.
    writer.hub_hosts = ["new.example.org"]
    asyncio.run(writer.get_all_routes())
    assert _stored(cluster)[name]["spec"]["hosts"] == ["new.example.org"]
    version = _stored(cluster)[name]["metadata"]["resourceVersion"]
    asyncio.run(writer.get_all_routes())
    assert _stored(cluster)[name]["metadata"]["resourceVersion"] == version  # nothing to do


@pytest.mark.parametrize(
    "others",
    [
        [
            {"route_spec": "/user/alice/x", "target": TARGET, "data": {}},
            {"route_spec": "/user/bob/", "target": TARGET, "data": {"user": "bob"}},
            "not a route",
        ],
        ["not a route"],
        [{"route_spec": 5}],
    ],
    ids=["mixed", "a-string", "not-a-spec"],
)
def test_an_entry_that_is_no_route_leaves_the_others(
    writer_cluster: tuple[Cluster, VirtualServiceProxy], others: list[Any]
) -> None:
    """A user's object holding her routes and an entry that is none (a spec without its
    trailing slash, another user's, one that does not decode as a route): her routes are
    listed, so the running servers are not added again at every poll, the object is written
    once without the others, and her next server's route is added beside them."""
    cluster, writer = writer_cluster
    writer.host_routing = False
    key = "jupyterhub.splunk.io/proxy-data"
    alice = {"route_spec": "/user/alice/", "target": TARGET, "data": {"user": "alice"}}
    name = virtual_service_name("jupyterhub", "/user/alice/")
    value = base64.b64encode(json.dumps([alice, *others]).encode()).decode()
    # Its spec as the writer would write it: the entries alone say otherwise.
    body = writer.build_route("/user/alice/", TARGET, {"user": "alice"})
    body["metadata"]["annotations"] = {key: value}
    cluster.run(cluster.admin.create(VIRTUAL_SERVICE, NAMESPACE, body))
    expected = {"routespec": "/user/alice/", "target": TARGET, "data": {"user": "alice"}}
    assert asyncio.run(writer.get_all_routes()) == {"/user/alice/": expected}
    stored = _stored(cluster)[name]
    # Written again without the other entries (decode_routes would leave them out anyway).
    raw = json.loads(base64.b64decode(stored["metadata"]["annotations"][key]))
    assert decode_routes(stored["metadata"]["annotations"][key]) == [expected]
    assert raw == {**alice, "jupyterhub": True}
    assert stored["spec"] == writer.build_route("/user/alice/", TARGET, {})["spec"]
    version = stored["metadata"]["resourceVersion"]
    asyncio.run(writer.get_all_routes())
    assert _stored(cluster)[name]["metadata"]["resourceVersion"] == version
    asyncio.run(writer.add_route("/user/alice/lab/", LAB, {"user": "alice"}))
    assert set(asyncio.run(writer.get_all_routes())) == {"/user/alice/", "/user/alice/lab/"}


@pytest.mark.parametrize(
    "sections",
    [
        {"Spawner": 7},
        {"KubeSpawner": 7},
        {"DynamicKubeSpawner": 7},
        {"KubeSpawner": 9, "DynamicKubeSpawner": 7},
    ],
    ids=lambda sections: "+".join(sections),
)
def test_the_spawners_settings_are_read_as_traitlets_reads_them(sections: dict[str, int]) -> None:
    """The writer calls the API with the hub's spawner's k8s_api_* settings, however they are
    configured: traitlets gives a DynamicKubeSpawner the sections Spawner, KubeSpawner,
    DynamicKubeSpawner, the last winning (``Configurable.section_names``)."""
    from traitlets.config import Config

    from hub_runtime.spawner import DynamicKubeSpawner

    class Hub:
        spawner_class = DynamicKubeSpawner

    config = Config()
    for section, seconds in sections.items():
        config[section].k8s_api_request_timeout = seconds
    writer = VirtualServiceProxy(config=config, app=Hub(), namespace=NAMESPACE, gateway="x")
    assert writer._kubespawner("k8s_api_request_timeout") == 7
    # Without a hub: KubeSpawner's sections only.
    alone = VirtualServiceProxy(config=config, namespace=NAMESPACE, gateway="x")
    from kubespawner import KubeSpawner

    default = KubeSpawner.class_traits()["k8s_api_request_timeout"].default()
    expected = sections.get("KubeSpawner", sections.get("Spawner", default))
    assert alone._kubespawner("k8s_api_request_timeout") == expected


def test_a_key_added_to_an_objects_spec_is_removed_once(
    writer_cluster: tuple[Cluster, VirtualServiceProxy],
) -> None:
    """A key of the spec the writer does not write (added by hand, or by another version)
    goes at the next listing, which then finds the object as written: a merge patch keeps
    what it does not name, so without a null for it the object was patched at every poll."""
    cluster, writer = writer_cluster
    asyncio.run(writer.add_route("/", "http://jupyterhub-hub:8081", {"hub": True}))
    name = virtual_service_name("jupyterhub", "/")
    cluster.run(
        cluster.admin.patch(VIRTUAL_SERVICE, NAMESPACE, name, {"spec": {"exportTo": ["."]}})
    )
    assert _stored(cluster)[name]["spec"]["exportTo"] == ["."]
    asyncio.run(writer.get_all_routes())
    rewritten = _stored(cluster)[name]
    assert "exportTo" not in rewritten["spec"]
    assert rewritten["spec"] == writer.build_route("/", "http://jupyterhub-hub:8081", {})["spec"]
    version = rewritten["metadata"]["resourceVersion"]
    asyncio.run(writer.get_all_routes())
    assert _stored(cluster)[name]["metadata"]["resourceVersion"] == version  # nothing to do


@pytest.mark.parametrize("refusal", ["422", "timeout"])
def test_a_refused_rewrite_stops_no_other(
    writer_cluster: tuple[Cluster, VirtualServiceProxy],
    monkeypatch: pytest.MonkeyPatch,
    refusal: str,
) -> None:
    """The API refusing one object's rewrite (a validating webhook's 422) or not answering
    it is logged: the listing still returns every route and rewrites the other objects, so
    the hub starts and checks its routes (JupyterHub awaits get_all_routes before it
    listens)."""
    from kubernetes_asyncio.client.exceptions import ApiException

    cluster, writer = writer_cluster
    for user in ("alice", "bob"):
        asyncio.run(
            writer.add_route(f"{user}.users.example.org/user/{user}/", TARGET, {"user": user})
        )
    # Both objects now say other than the writer would write: the Gateway changed.
    writer.gateway = "other-gateway"
    alice = virtual_service_name("jupyterhub", group_of("alice.users.example.org/user/alice/"))
    write = writer._write

    async def refuse_alice(api: Any, name: str, *args: Any) -> Any:
        if name != alice:
            return await write(api, name, *args)
        if refusal == "timeout":
            raise TimeoutError
        raise ApiException(status=422, reason="denied by an admission webhook")

    monkeypatch.setattr(writer, "_write", refuse_alice)
    routes = asyncio.run(writer.get_all_routes())
    assert {spec.split("/", 1)[0] for spec in routes} == {
        "alice.users.example.org",
        "bob.users.example.org",
    }
    stored = _stored(cluster)
    assert stored[alice]["spec"]["gateways"] == ["jupyterhub"]  # refused: left as it was
    others = [item for name, item in stored.items() if name != alice]
    assert others and all(item["spec"]["gateways"] == ["other-gateway"] for item in others)


def test_a_hung_api_server_times_out(
    writer_cluster: tuple[Cluster, VirtualServiceProxy], tmp_path: Path
) -> None:
    """Every call has KubeSpawner's k8s_api_request_timeout (kubernetes_asyncio sets none):
    an API server that accepts and never answers fails the call instead of hanging the
    hub's start or a spawn."""
    from kubernetes_asyncio.client import Configuration
    from kubernetes_asyncio.config import kube_config
    from kubespawner.clients import load_config
    from traitlets.config import Config

    # The fixture for its teardown: the client configuration loaded here is global.
    del writer_cluster

    async def hung() -> tuple[bool, bool]:
        server = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        path = tmp_path / "hung"
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "hung",
                    "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                    "users": [{"name": "u", "user": {"token": "x"}}],
                    "contexts": [{"name": "hung", "context": {"cluster": "c", "user": "u"}}],
                }
            )
        )
        kube_config.KUBE_CONFIG_DEFAULT_LOCATION = str(path)
        load_config.cache_clear()
        Configuration.set_default(Configuration())
        config = Config()
        config.KubeSpawner.k8s_api_request_timeout = 1
        writer = VirtualServiceProxy(config=config, namespace=NAMESPACE, gateway="jupyterhub")
        failed = False
        async with asyncio.timeout(120) as outer:
            try:
                await writer.get_all_routes()
            except TimeoutError:
                failed = True
        server.close()
        return failed, outer.expired()

    failed, outer_expired = asyncio.run(hung())
    assert (failed, outer_expired) == (True, False)


def test_the_hub_account_may_do_nothing_else(
    writer_cluster: tuple[Cluster, VirtualServiceProxy],
) -> None:
    """RBAC: the Role grants the writer's calls and no more (no update, watch or
    deletecollection, no VirtualService of another namespace)."""
    cluster, _ = writer_cluster
    from tests.cluster.client import ApiClient

    client = ApiClient(
        cluster.admin.session, cluster.api_url, cluster.token(_hub_account(_chart_manifests()))
    )
    for method, path in (
        ("PUT", VIRTUAL_SERVICE.path(NAMESPACE, "x")),
        ("GET", VIRTUAL_SERVICE.path(NAMESPACE) + "?watch=true"),
        ("DELETE", VIRTUAL_SERVICE.path(NAMESPACE)),
        ("GET", VIRTUAL_SERVICE.path("default")),
    ):
        with pytest.raises(ApiError) as refused:
            cluster.run(client.request(method, path, body={"metadata": {"name": "x"}}))
        assert refused.value.status == 403


# --- the real hub -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    manifests = _chart_manifests()
    with (
        jwks_server([KEY]) as jwks_url,
        deployed(
            "istio-proxy",
            jwks_url,
            tmp_path_factory.mktemp("istio-proxy"),
            manifests=manifests,
            # The proxy token's Secret, and the default StorageClass of the hub's claim.
            external=frozenset(
                {("Secret", TOKEN.secret_name), ("StorageClass", DEFAULT_STORAGE_CLASS)}
            ),
            kinds=frozenset({VIRTUAL_SERVICE}),
        ) as running,
    ):
        yield running


def _routes(deployment: Deployed) -> dict[str, dict[str, Any]]:
    """The stored VirtualServices by each route spec they hold (their annotation's)."""
    cluster = deployment.cluster
    found = {}
    for item in cluster.run(cluster.admin.list(VIRTUAL_SERVICE, NAMESPACE)):
        value = item["metadata"].get("annotations", {}).get("jupyterhub.splunk.io/proxy-data")
        for route in decode_routes(value) or []:
            found[route["routespec"]] = item
    return found


def _wait_for(check: Any, what: str, timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"not within {timeout} s: {what}")


def _restart_hub(deployment: Deployed) -> None:
    """The hub's pod deleted and made again from its StatefulSet (what the StatefulSet
    controller does; the test cluster's does not recreate pods), then ready."""
    from tests.cluster.network import is_ready

    cluster = deployment.cluster
    pod_kind = kind_of("Pod")
    (stateful_set,) = cluster.run(cluster.admin.list(kind_of("StatefulSet"), NAMESPACE))
    name = f"{stateful_set['metadata']['name']}-0"
    cluster.run(cluster.admin.delete(pod_kind, NAMESPACE, name))
    _wait_for(lambda: name not in {p["metadata"]["name"] for p in cluster.pods()}, "hub gone")
    cluster.run(cluster.controllers._create_pods(stateful_set))
    _wait_for(
        lambda: any(p["metadata"]["name"] == name and is_ready(p) for p in cluster.pods()),
        "hub ready again",
        timeout=90,
    )


def _check_routing(deployment: Deployed) -> None:
    """The objects the hub wrote, with the app's and the user pods and Services the test
    cluster holds, routed by the mesh model (tests/mesh: Istio 1.30.3's gateway rules)."""
    from tests.mesh.authz import Request
    from tests.mesh.hops import check_ingress
    from tests.mesh.objects import Mesh
    from tests.test_istio_proxy import GATEWAY

    cluster = deployment.cluster
    # KubeSpawner's: each server's pod and its Service (which the pod owns).
    pods = [
        {**pod, "apiVersion": "v1", "kind": "Pod"}
        for pod in cluster.run(cluster.admin.list(kind_of("Pod"), NAMESPACE))
        if pod["metadata"]["labels"].get("app.kubernetes.io/component") == "singleuser-server"
    ]
    owners = {pod["metadata"]["name"] for pod in pods}
    services = [
        {**service, "apiVersion": "v1", "kind": "Service"}
        for service in cluster.run(cluster.admin.list(kind_of("Service"), NAMESPACE))
        if {ref["name"] for ref in service["metadata"].get("ownerReferences", [])} & owners
    ]
    user_objects = [*pods, *services]
    written = cluster.run(cluster.admin.list(VIRTUAL_SERVICE, NAMESPACE))
    mesh = Mesh.of(_chart_manifests(), user_objects, written)
    gateway = GATEWAY
    workloads = {w.name: w for w in mesh.workloads if w.kind == "Pod"}
    for host, path, pod in (
        ("alice.users.example.org", "/user/alice/lab/api/kernels", "jupyter-alice--lab"),
        ("alice.users.example.org", "/user/alice/api/kernels", "jupyter-alice"),
        ("bob.users.example.org", "/user/bob/lab", "jupyter-bob"),
    ):
        verdict = check_ingress(mesh, gateway, Request("GET", host, path), 80)
        assert verdict.destination == workloads[pod], verdict.reason


@pytest.mark.slow
def test_the_hub_writes_each_users_route_on_their_own_host(hub: Deployed) -> None:
    """At its start the hub's "/" route (on its public host); alice's and bob's servers each a
    VirtualService on their own host, to their own Service, alice's named server in hers
    (the gateway, as the mesh model routes these objects, sends each path to its server); a
    stop deletes its route; after a restart the hub reads the routes back (get_all_routes)
    and deletes only the stale one, past objects that are no routes of its."""
    _wait_for(lambda: "/" in _routes(hub), "the hub's route")
    root = _routes(hub)["/"]
    assert root["spec"]["hosts"] == [HUB]
    assert root["spec"]["gateways"] == ["jupyterhub"]
    assert root["spec"]["http"][0]["route"][0]["destination"] == {
        "host": "jupyterhub-hub.jupyterhub.svc.cluster.local",
        "port": {"number": 8081},
    }
    users = {name: User(hub, name) for name in ("alice", "bob")}
    for user in users.values():
        user.spawn("")
    for user in users.values():
        user.wait_ready("")
    users["alice"].spawn("lab")
    users["alice"].wait_ready("lab")
    routes = _routes(hub)
    for name in users:
        spec = f"{name}.users.example.org/user/{name}/"
        assert spec in routes, sorted(routes)
        written = routes[spec]["spec"]
        assert written["hosts"] == [f"{name}.users.example.org"]
        (default,) = [
            r for r in written["http"] if r["match"] == [{"uri": {"prefix": f"/user/{name}/"}}]
        ]
        (service,) = [
            s
            for s in hub.cluster.run(hub.cluster.admin.list(kind_of("Service"), NAMESPACE))
            if s["metadata"]["name"] == f"jupyter-{name}"
        ]
        assert default["route"][0]["destination"] == {
            "host": f"{service['metadata']['name']}.jupyterhub.svc.cluster.local",
            "port": {"number": 8888},
        }

    lab = "alice.users.example.org/user/alice/lab/"
    assert routes[lab] == routes["alice.users.example.org/user/alice/"]
    assert [r["match"][0]["uri"]["prefix"] for r in routes[lab]["spec"]["http"]] == [
        "/user/alice/lab/",
        "/user/alice/",
    ]
    _check_routing(hub)
    users["alice"].stop("lab")
    users["alice"].wait_stopped("lab")
    _wait_for(lambda: lab not in _routes(hub), "alice's named server's route deleted")
    assert "alice.users.example.org/user/alice/" in _routes(hub)

    users["bob"].stop("")
    users["bob"].wait_stopped("")
    _wait_for(lambda: "bob.users.example.org/user/bob/" not in _routes(hub), "bob's route deleted")

    # Before the restart: a stale route (a user with no server) and objects that are no
    # routes of the hub's; alice's route as stored.
    cluster = hub.cluster
    stale = "ghost.users.example.org/user/ghost/"
    ghost = {
        "route_spec": stale,
        "target": "http://jupyter-ghost.jupyterhub.svc.cluster.local:8888",
        "jupyterhub": True,
        "data": {"user": "ghost", "server_name": ""},
    }
    for name, annotation in (
        (virtual_service_name("jupyterhub", stale), json.dumps(ghost)),
        ("broken", "{"),
        ("foreign", None),
    ):
        annotations = (
            {"jupyterhub.splunk.io/proxy-data": base64.b64encode(annotation.encode()).decode()}
            if annotation
            else {}
        )
        _plant(cluster, name, annotations)
    alice = _routes(hub)["alice.users.example.org/user/alice/"]

    _restart_hub(hub)
    _wait_for(lambda: stale not in _routes(hub), "the stale route deleted at the start")
    after = _routes(hub)
    # Alice's route was listed as it is: not written again (the same resourceVersion).
    assert after["alice.users.example.org/user/alice/"] == alice
    assert sorted(after) == ["/", "alice.users.example.org/user/alice/"]
    names = {
        item["metadata"]["name"]
        for item in cluster.run(cluster.admin.list(VIRTUAL_SERVICE, NAMESPACE))
    }
    assert {"broken", "foreign"} <= names
    users["alice"].stop("")
    users["alice"].wait_stopped("")
