"""The scale benchmarks' harness: each hub (ours, and z2jh 4.4.0's configuration) on the test
cluster's API and kubelet, its user servers light ones that answer and authenticate through
the hub as jupyterhub-singleuser does, and a hub restarted with servers running checks them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.cluster.kinds import kind_of
from tests.support.leaks import working_in
from tests.support.scale_hubs import Side, side

pytestmark = pytest.mark.slow


def _wait_ready(hub: Side, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _pending = hub.servers()
        if ready == count:
            return
        time.sleep(0.3)
    raise AssertionError(f"{hub.name}: {hub.servers()} of {count}: {hub.log.read_text()[-3000:]}")


@pytest.fixture(params=["ours", "stock"], scope="module")
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Side]:
    workdir: Path = tmp_path_factory.mktemp("scale") / request.param
    with side(request.param, workdir) as running:
        running.start_hub()
        assert running.api("POST", "/users", json={"usernames": ["ann", "bob"]}).status_code == 201
        for name in ("ann", "bob"):
            assert running.api("POST", f"/users/{name}/server", json={}).status_code in (201, 202)
        _wait_ready(running, 2)
        yield running


def _server_url(hub: Side, name: str) -> str:
    """The server's URL through the proxy (as a browser reaches it)."""
    model = hub.api("GET", f"/users/{name}").json()
    server = model["servers"][""]
    assert server["ready"], model
    return f"{hub.proxy_url}{server['url']}"


def _target(hub: Side, name: str) -> str:
    """Where the proxy sends the server's requests (CHP keys routes without the trailing
    slash; the hub names the user in each one's data)."""
    routes = requests.get(
        f"{hub.proxy_api}/api/routes",
        headers={"Authorization": f"token {hub.env['CONFIGPROXY_AUTH_TOKEN']}"},
        timeout=10,
    ).json()
    (target,) = [r["target"] for r in routes.values() if r.get("user") == name]
    return str(target)


def test_each_server_has_its_own_address(hub: Side) -> None:
    pods = {pod["metadata"]["name"]: pod["status"]["podIP"] for pod in hub.cluster.pods()}
    assert pods["jupyter-ann"] != pods["jupyter-bob"]
    assert _target(hub, "ann") != _target(hub, "bob")


def test_proxy_routes_name_the_ready_servers_users(hub: Side) -> None:
    """What the benchmark waits on in a burst instead of asking the hub."""
    assert hub.routed() == {name for name, ready in hub.active().items() if ready}
    assert hub.routed() >= {"ann", "bob"}


def test_server_answers_its_api_without_a_token(hub: Side) -> None:
    response = requests.get(_server_url(hub, "ann") + "api", timeout=10)
    assert (response.status_code, "X-JupyterHub-Version" in response.headers) == (200, True)


def test_server_lets_its_user_in_with_a_hub_token(hub: Side) -> None:
    token = hub.api("POST", "/users/ann/tokens", json={}).json()["token"]
    response = requests.get(
        _server_url(hub, "ann") + "tree", headers={"Authorization": f"token {token}"}, timeout=10
    )
    assert (response.status_code, response.json()["user"]) == (200, "ann")


def test_server_refuses_another_users_token(hub: Side) -> None:
    token = hub.api("POST", "/users/bob/tokens", json={}).json()["token"]
    response = requests.get(
        _server_url(hub, "ann") + "tree",
        headers={"Authorization": f"token {token}"},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 403


def test_server_sends_a_browser_without_a_cookie_to_the_hubs_login(hub: Side) -> None:
    response = requests.get(_server_url(hub, "ann") + "tree", timeout=10, allow_redirects=False)
    assert (response.status_code, "/hub/api/oauth2/authorize" in response.headers["Location"]) == (
        302,
        True,
    )


def test_server_reports_activity_to_the_hub(hub: Side) -> None:
    assert "POST /hub/api/users/ann/activity" in hub.log.read_text()


def test_restarted_hub_checks_every_running_server(hub: Side) -> None:
    hub.stop_hub()
    hub.start_hub(running=2)
    _wait_ready(hub, 2)


def test_stopped_servers_service_is_collected_with_its_pod(hub: Side) -> None:
    """Ours makes a Service per user owned by the pod; the cluster's garbage collector deletes
    it with the pod, so the next start does not wait for an old one's deletion."""
    services = hub.cluster.run(hub.cluster.admin.list(kind_of("Service"), hub.cluster.namespace))
    names = {service["metadata"]["name"] for service in services}
    assert ("jupyter-bob" in names) == (hub.name == "ours")
    assert hub.api("DELETE", "/users/bob/server").status_code in (202, 204)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        services = hub.cluster.run(
            hub.cluster.admin.list(kind_of("Service"), hub.cluster.namespace)
        )
        if "jupyter-bob" not in {service["metadata"]["name"] for service in services}:
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"{hub.name}: jupyter-bob's Service outlived its pod")
    assert "jupyter-bob" not in {pod["metadata"]["name"] for pod in hub.cluster.pods()}


def _service(hub: Side, name: str, selector: dict[str, str], target: int) -> str:
    """A Service made as the cluster's admin; its ClusterIP."""
    manifest = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"ports": [{"port": 80, "targetPort": target}], "selector": selector},
    }
    made = hub.cluster.run(
        hub.cluster.admin.create(kind_of("Service"), hub.cluster.namespace, manifest)
    )
    return str(made["spec"]["clusterIP"])


def _get(url: str, timeout: float = 30) -> requests.Response:
    """The answer at ``url`` once the Service's rule is written (it follows the watch)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(url, timeout=10)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_service_address_is_served_by_its_pods_server(hub: Side) -> None:
    """The scale cluster's kube-proxy is its iptables mode: a Service's address reaches the
    selected pod's server itself (DNAT), no forwarder between; with no ready pod selected the
    connection is refused (its REJECT rule). Both sides alike, whatever their own Services."""
    (pod,) = [p for p in hub.cluster.pods() if p["metadata"]["name"] == "jupyter-ann"]
    port = pod["spec"]["containers"][0]["ports"][0]["containerPort"]
    prefix = hub.api("GET", "/users/ann").json()["servers"][""]["url"]
    ann = {"hub.jupyter.org/username": "ann", "component": "singleuser-server"}
    assert pod["metadata"]["labels"].items() >= ann.items()
    nobody = _service(hub, "nobody", {**ann, "hub.jupyter.org/username": "nobody"}, port)
    elsewhere = _service(hub, "ann-elsewhere", ann, port + 1)
    address = _service(hub, "ann-direct", ann, port)
    # The rules follow the Services' watch in order: once the last answers, the two made
    # before it have theirs.
    response = _get(f"http://{address}:80{prefix}api")
    assert (response.status_code, "X-JupyterHub-Version" in response.headers) == (200, True)
    for refused in (nobody, elsewhere):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://{refused}:80{prefix}api", timeout=10)


def test_server_replaces_a_service_left_by_an_earlier_pod(hub: Side) -> None:
    """Ours: a Service of the pod's name left from an earlier pod (its owner gone, not yet
    collected) is deleted and made again, owned by the new pod, so it is not collected with
    the old one; the spawn does not fail. Stock makes no Services: it leaves that one be."""
    namespace = hub.cluster.namespace
    left = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "jupyter-carl",
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "Pod", "name": "jupyter-carl", "uid": "gone"}
            ],
        },
        "spec": {"ports": [{"port": 8888}], "selector": {"nothing": "here"}},
    }
    hub.cluster.run(hub.cluster.admin.create(kind_of("Service"), namespace, left))
    assert hub.api("POST", "/users", json={"usernames": ["carl"]}).status_code == 201
    assert hub.api("POST", "/users/carl/server", json={}).status_code in (201, 202)
    _wait_ready(hub, 2)
    (pod,) = [p for p in hub.cluster.pods() if p["metadata"]["name"] == "jupyter-carl"]
    service = hub.cluster.run(hub.cluster.admin.get(kind_of("Service"), namespace, "jupyter-carl"))
    owners = [owner["uid"] for owner in service["metadata"]["ownerReferences"]]
    assert owners == ([pod["metadata"]["uid"]] if hub.name == "ours" else ["gone"])
    response = requests.get(_server_url(hub, "carl") + "api", timeout=10)
    assert response.status_code == 200


def test_speedup_divides_the_intervals_of_servers_a_hub_starts(hub: Side) -> None:
    """Both sides alike: a hub started at a speedup gives the servers it starts the activity
    interval divided by it (jupyterhub-singleuser's 300 s), and its culler its timeouts."""
    hub.stop_hub()
    hub.speedup = 20
    try:
        hub.start_hub()
        assert hub.api("POST", "/users", json={"usernames": ["dora"]}).status_code == 201
        assert hub.api("POST", "/users/dora/server", json={}).status_code in (201, 202)
        _wait_ready(hub, 3)
        (pod,) = [p for p in hub.cluster.pods() if p["metadata"]["name"] == "jupyter-dora"]
        env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
        assert env["JUPYTERHUB_ACTIVITY_INTERVAL"] == "15"
        commands = working_in(hub.workdir).values()
        assert [c for c in commands if "jupyterhub_idle_culler" in c and "--timeout=180" in c], (
            commands
        )
    finally:
        hub.speedup = 1
