"""End to end against a Kubernetes API: each app of ``dist/`` deployed into a test cluster
(``tests/cluster``), the hub spawning through the real DynamicKubeSpawner.

What stands in for what:

- the API server is kmock's ``KubernetesEmulator`` (objects stored as sent), with RBAC from
  the app's Roles, the admission plugins that refuse a pod naming a missing ServiceAccount,
  PriorityClass or RuntimeClass, and ResourceQuota, each answering with the API's Status;
- the kubelet runs each container's image as a local program (the hub image's entrypoint,
  configurable-http-proxy, redis-server, ``jupyterhub-singleuser`` for the notebook image's
  start-notebook) on the pod's own loopback address, and writes the pod's status;
- cluster DNS and kube-proxy are a hosts file over /etc/hosts in each pod's mount namespace
  and a TCP forwarder per Service port, on an address per Service;
- the identity provider is a JWKS served by the test, the auth proxy (oauth2-proxy) is the
  test client sending the user header and ID token; the test reaches the proxy's Service as
  an ingress would.

Not emulated: the Istio mesh (sidecars, mTLS, AuthorizationPolicies), NetworkPolicies, Pod
Security admission, host paths' contents (a PVC's are a directory per claim), users and
capabilities of containers (see the modules of ``tests/cluster``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from apps import APPS
from apps._app import NAMESPACE
from hub_runtime.config import profile_list
from hub_runtime.quantity import parse_quantity
from hub_runtime.settings import HubSettings
from hub_runtime.spawner import node_conflicts
from hub_runtime.user_hosts import user_domain
from tests.cluster.client import ApiClient, ApiError
from tests.cluster.deployment import Deployed, app_manifests, deployed, external_objects
from tests.cluster.kinds import kind_of
from tests.support.processes import PROXY_TOKEN, KeyPair, jwks_server

pytestmark = pytest.mark.slow  # a hub, its culler and user containers as processes

KEY = KeyPair()
POD, SERVICE, PVC = kind_of("Pod"), kind_of("Service"), kind_of("PersistentVolumeClaim")
STORAGE_CLASS = kind_of("StorageClass")
# The culler's timings in the hubs that test it: idle for 5 s, checked every 2 s.
CULLER = (5, 2)
SPAWN_TIMEOUT = 90


@pytest.fixture(scope="module")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], Deployed]]:
    """Every app as shipped, and every app with the culler's timings shortened: booted
    together (each boot waits mostly on its pods' readiness probes)."""
    wanted = [(app, kind) for app in sorted(APPS) for kind in ("shipped", "culler")]
    for app in APPS:
        external_objects(app)  # builds the app through jsii, which takes one thread at a time
    with jwks_server([KEY]) as jwks_url, ExitStack() as stack:
        lock = threading.Lock()

        workdirs = {(app, kind): tmp_path_factory.mktemp(f"{app}-{kind}") for app, kind in wanted}

        def boot(which: tuple[str, str]) -> Deployed:
            app, kind = which
            context = deployed(
                app, jwks_url, workdirs[which], culler=CULLER if kind == "culler" else None
            )
            running = context.__enter__()
            with lock:
                stack.callback(context.__exit__, None, None, None)
            return running

        with ThreadPoolExecutor(len(wanted)) as pool:
            booted = dict(zip(wanted, pool.map(boot, wanted), strict=True))
        yield booted


@pytest.fixture(params=sorted(APPS))
def app(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def hub(clusters: dict[tuple[str, str], Deployed], app: str) -> Deployed:
    return clusters[(app, "shipped")]


def user_host(settings: HubSettings, user: str) -> str:
    """The host of ``user``'s servers under the settings' per-user hosts ("" without)."""
    if settings.user_hosts is None:
        return ""
    return f"{user}.{user_domain(settings.user_hosts)}"


class User:
    """A browser behind the auth proxy: every request carries the user header and the
    identity provider's ID token, as oauth2-proxy adds them."""

    def __init__(self, deployment: Deployed, name: str) -> None:
        self.deployment = deployment
        self.name = name
        self.url = deployment.proxy_url
        assert deployment.settings.auth.jwt is not None
        token = KEY.token(name, audience=deployment.settings.auth.jwt.audience)
        self.session = requests.Session()
        self.session.headers.update(
            {
                deployment.settings.auth.user_header: name,
                deployment.settings.auth.proof_header: f"Bearer {token}",
            }
        )
        if deployment.settings.user_hosts is not None:
            # As a browser, by the hub's own host (its public_url's): the hub's URLs and XSRF
            # tokens are made for it.
            self.session.headers["Host"] = urlsplit(deployment.settings.user_hosts.hub_url).netloc
        response = self.session.get(f"{self.url}/hub/login", allow_redirects=False, timeout=30)
        assert response.status_code == 302, (response.status_code, response.text[:500])
        self.session.get(f"{self.url}/hub/home", timeout=30)  # sets the _xsrf cookie

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The hub's REST API with the session's cookie (and its XSRF token)."""
        xsrf = self.session.cookies.get("_xsrf", path="/hub/") or ""
        return self.session.request(
            method, f"{self.url}/hub/api{path}", timeout=30, headers={"X-XSRFToken": xsrf}, **kwargs
        )

    def spawn(self, server: str, profile: str | None = None) -> None:
        body = {"profile": profile} if profile else {}
        path = f"/users/{self.name}/servers/{server}" if server else f"/users/{self.name}/server"
        response = self.api("POST", path, json=body)
        assert response.status_code in (201, 202), (response.status_code, response.text)

    def wait_ready(self, server: str) -> None:
        """Follow the spawn's progress, as the spawn-pending page does, to ready or failed."""
        path = (
            f"/users/{self.name}/servers/{server}/progress"
            if server
            else f"/users/{self.name}/server/progress"
        )
        xsrf = self.session.cookies.get("_xsrf", path="/hub/") or ""
        deadline = time.monotonic() + SPAWN_TIMEOUT
        with self.session.get(
            f"{self.url}/hub/api{path}",
            stream=True,
            timeout=SPAWN_TIMEOUT,
            headers={"X-XSRFToken": xsrf},
        ) as response:
            assert response.status_code == 200, (response.status_code, response.text[:500])
            for line in response.iter_lines():
                if line.startswith(b"data:"):
                    event = json.loads(line.removeprefix(b"data:"))
                    if event.get("failed"):
                        pytest.fail(f"{self.name}'s server {server!r}: {event['message']}")
                    if event.get("ready"):
                        return
                if time.monotonic() > deadline:
                    break
        pytest.fail(f"{self.name}'s server {server!r} not ready in {SPAWN_TIMEOUT} s")

    def servers(self) -> dict[str, Any]:
        servers: dict[str, Any] = self.api("GET", f"/users/{self.name}").json()["servers"]
        return servers

    def stop(self, server: str) -> None:
        path = f"/users/{self.name}/servers/{server}" if server else f"/users/{self.name}/server"
        response = self.api("DELETE", path)
        assert response.status_code in (202, 204), (response.status_code, response.text)

    def wait_stopped(self, server: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server not in self.servers():
                return
            time.sleep(0.2)
        pytest.fail(f"{self.name}'s server {server!r} still there after {timeout} s")


def user_pods(deployment: Deployed, user: str) -> dict[str, dict[str, Any]]:
    """The user's pods, by server name (KubeSpawner labels them)."""
    return {
        pod["metadata"]["labels"]["hub.jupyter.org/servername"]: pod
        for pod in deployment.cluster.pods()
        if pod["metadata"].get("labels", {}).get("hub.jupyter.org/username") == user
    }


def _together(settings: HubSettings) -> list[list[str]]:
    """The profiles in groups whose servers may run at once: with a shared ReadWriteOnce
    claim, a user's servers go to one node, and the hub refuses a profile that may not fit
    the node of the user's running server (hub_runtime.spawner.node_conflicts)."""
    entries = {entry["slug"]: entry for entry in profile_list(settings)}
    groups: list[list[str]] = []
    for slug, entry in entries.items():
        shared = entry["kubespawner_override"].get("servers_share_a_node")
        for group in groups:
            others = [entries[member] for member in group]
            if not shared or not any(
                node_conflicts(other, entry) or node_conflicts(entry, other) for other in others
            ):
                group.append(slug)
                break
        else:
            groups.append([slug])
    return groups


@pytest.mark.parametrize("group", [0, 1])
def test_spawn_every_profile(hub: Deployed, group: int) -> None:
    """One user starts a named server of every profile that can run beside the others (at
    once, as named servers allow), reaches each through the proxy, and stops them: pods,
    Services and processes go. A profile that may not fit their node is refused at once."""
    groups = _together(hub.settings)
    if group >= len(groups):
        # Every profile fits one node here: the first case started them all.
        assert group == 1 and len(groups) == 1
        return
    alice = User(hub, "alice")
    profiles = groups[group]
    assert len(profiles) <= hub.settings.named_server_limit_per_user
    for profile in profiles:
        alice.spawn(profile, profile)
    for profile in profiles:
        alice.wait_ready(profile)
    for refused in (slug for other in groups if other is not profiles for slug in other):
        # Refused before the spawn starts: the API answers 400 with the reason, no 202.
        response = alice.api("POST", f"/users/alice/servers/{refused}", json={"profile": refused})
        assert response.status_code == 400, (response.status_code, response.text[:300])
        assert "cannot start while server" in response.json()["message"], response.text

    pods = user_pods(hub, "alice")
    assert sorted(pods) == sorted(profiles)
    routes = requests.get(
        f"{hub.proxy_api_url}/api/routes",
        timeout=30,
        headers={"Authorization": f"token {PROXY_TOKEN}"},
    ).json()
    # With per-user hosts the proxy routes by the server's own host (its routes start with it).
    host = user_host(hub.settings, "alice")
    for profile in profiles:
        response = alice.session.get(
            f"{alice.url}/user/alice/{profile}/api",
            timeout=30,
            headers={"Host": host} if host else {},
        )
        assert response.status_code == 200, (response.status_code, response.text[:300])
        assert "version" in response.json()
        # The proxy reaches the server by its per-user Service's DNS name.
        name = pods[profile]["metadata"]["name"]
        # CHP keeps a host's routes under "/<host>" (its --host-routing).
        target = routes[f"/{host}/user/alice/{profile}" if host else f"/user/alice/{profile}"][
            "target"
        ]
        assert (
            target == f"http://{name}.{hub.cluster.namespace}.svc.cluster.local:"
            f"{hub.settings.spawner.port}"
        ), target

    for profile in profiles:
        alice.stop(profile)
    for profile in profiles:
        alice.wait_stopped(profile)
    assert user_pods(hub, "alice") == {}
    names = {pod["metadata"]["name"] for pod in pods.values()}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        services = hub.cluster.run(hub.cluster.admin.list(SERVICE, hub.cluster.namespace))
        left = names & {s["metadata"]["name"] for s in services}
        if not left and not names & hub.cluster.running():
            break
        time.sleep(0.2)
    assert not left, f"per-user Services left after their pods: {left}"
    assert not names & hub.cluster.running(), "containers still running"


def test_culler_stops_idle_server(clusters: dict[tuple[str, str], Deployed], app: str) -> None:
    """With the culler's timeout at 5 s, a server nobody uses is stopped by the culler (a
    hub-managed service, through the hub's API) and its pod deleted."""
    hub = clusters[(app, "culler")]
    idle = User(hub, "idle")
    idle.spawn("")
    idle.wait_ready("")
    assert "" in user_pods(hub, "idle")
    idle.wait_stopped("", timeout=60)
    assert user_pods(hub, "idle") == {}
    assert "Culling server idle" in hub.pod_log(_hub_pod(hub))


# The apps whose profiles mount the user's claim (minimal's default storage).
CLAIM_APPS = sorted(
    app
    for app in APPS
    if any(
        '"claim": {' in m.get("data", {}).get("settings.json", "")
        for m in app_manifests(app)
        if m["kind"] == "ConfigMap"
    )
)


def _claims(deployment: Deployed) -> dict[str, dict[str, Any]]:
    cluster = deployment.cluster
    return {
        claim["metadata"]["name"]: claim
        for claim in cluster.run(cluster.admin.list(PVC, cluster.namespace))
    }


@pytest.mark.parametrize("claim_app", CLAIM_APPS)
def test_users_claim_outlives_their_servers(
    clusters: dict[tuple[str, str], Deployed], claim_app: str
) -> None:
    """KubeSpawner (with the hub's own RBAC) creates the user's claim before the first pod,
    as the profile says; a file written by the server is there after a stop and a start with
    the other profile, which reuses the claim; stopping never deletes it."""
    hub = clusters[(claim_app, "shipped")]
    assert "claim-carol" not in _claims(hub)
    first, second = (profile.slug for profile in hub.settings.profiles)
    (volume,) = hub.settings.profiles[0].volumes
    assert volume.claim is not None
    carol = User(hub, "carol")
    carol.spawn("", first)
    carol.wait_ready("")

    claim = _claims(hub)["claim-carol"]
    expected: dict[str, Any] = {
        "accessModes": [volume.claim.access_mode],
        "resources": {"requests": {"storage": volume.claim.size}},
    }
    if volume.claim.storage_class is not None:
        expected["storageClassName"] = volume.claim.storage_class
    assert claim["spec"] == expected
    pod = user_pods(hub, "carol")[""]
    assert {"name": volume.name, "persistentVolumeClaim": {"claimName": "claim-carol"}} in pod[
        "spec"
    ]["volumes"]

    # The user's API token (as a notebook has one) writes into the server's home.
    token = carol.api("POST", "/users/carol/tokens", json={"note": "claim test"}).json()["token"]
    contents = f"{carol.url}/user/carol/api/contents/kept.txt"
    written = requests.put(
        contents,
        json={"type": "file", "format": "text", "content": "still here"},
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    assert written.status_code in (200, 201), (written.status_code, written.text[:300])

    carol.stop("")
    carol.wait_stopped("")
    assert user_pods(hub, "carol") == {}
    kept = _claims(hub)["claim-carol"]
    assert kept["metadata"]["uid"] == claim["metadata"]["uid"]

    carol.spawn("", second)
    carol.wait_ready("")
    assert _claims(hub)["claim-carol"]["metadata"]["uid"] == claim["metadata"]["uid"]
    read = requests.get(contents, headers={"Authorization": f"token {token}"}, timeout=30)
    assert read.status_code == 200, (read.status_code, read.text[:300])
    assert read.json()["content"] == "still here"
    owned = [
        name
        for name, found in _claims(hub).items()
        if found["metadata"].get("labels", {}).get("hub.jupyter.org/username") == "carol"
    ]
    assert owned == ["claim-carol"]
    carol.stop("")
    carol.wait_stopped("")
    assert "claim-carol" in _claims(hub)


def _hub_pod(deployment: Deployed) -> str:
    hub = next(
        m
        for m in app_manifests(deployment.app)
        if m["kind"] == "StatefulSet"
        and m["metadata"]["labels"].get("app.kubernetes.io/component") == "hub"
    )
    return str(hub["metadata"]["name"])


# Refusals: what the API server (and, for Secrets and ConfigMaps, the kubelet) does with
# requests of the hub's identity that a real cluster would refuse.


def _hub_client(deployment: Deployed) -> ApiClient:
    """A client with the hub's own identity: its service account's token."""
    hub = next(
        m
        for m in app_manifests(deployment.app)
        if m["kind"] == "StatefulSet"
        and m["metadata"]["labels"].get("app.kubernetes.io/component") == "hub"
    )
    account = hub["spec"]["template"]["spec"]["serviceAccountName"]
    cluster = deployment.cluster
    return ApiClient(cluster.admin.session, cluster.api_url, cluster.token(account))


def _probe_pod(deployment: Deployed, name: str, **spec: Any) -> dict[str, Any]:
    """A small pod as the hub would create it (the user pods' service account and image),
    with small requests and limits, plus ``spec``."""
    profile = deployment.settings.profiles[0]
    resources = {"cpu": "10m", "memory": "16Mi"}
    container = {
        "name": "notebook",
        "image": profile.image,
        "resources": {"requests": resources, "limits": resources},
        **spec.pop("container", {}),
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "serviceAccountName": deployment.settings.spawner.service_account,
            "containers": [container],
            **spec,
        },
    }


def _create(deployment: Deployed, pod: dict[str, Any]) -> ApiError | None:
    cluster = deployment.cluster
    try:
        cluster.run(_hub_client(deployment).create(POD, cluster.namespace, pod))
    except ApiError as error:
        return error
    return None


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            {"priorityClassName": "no-such-class"},
            'pods "probe" is forbidden: no PriorityClass with name no-such-class was found',
        ),
        (
            {"runtimeClassName": "no-such-runtime"},
            'pods "probe" is forbidden: pod rejected: RuntimeClass "no-such-runtime" not found',
        ),
        (
            {"serviceAccountName": "no-such-account"},
            f'pods "probe" is forbidden: error looking up service account '
            f"{NAMESPACE}/no-such-account: "
            'serviceaccount "no-such-account" not found',
        ),
    ],
    ids=["PriorityClass", "RuntimeClass", "ServiceAccount"],
)
def test_pod_naming_missing_object_is_refused(
    hub: Deployed, field: dict[str, str], message: str
) -> None:
    """Admission (Priority, RuntimeClass, ServiceAccount plugins) refuses the pod: 403."""
    error = _create(hub, _probe_pod(hub, "probe", **field))
    assert error is not None, "the pod was admitted"
    assert (error.status, error.body["reason"], error.message) == (403, "Forbidden", message)
    assert "probe" not in {p["metadata"]["name"] for p in hub.cluster.pods()}


@pytest.mark.parametrize(
    ("field", "reason", "message"),
    [
        (
            {
                "container": {
                    "env": [
                        {
                            "name": "TOKEN",
                            "valueFrom": {
                                "secretKeyRef": {"name": "no-such-secret", "key": "token"}
                            },
                        }
                    ]
                }
            },
            "CreateContainerConfigError",
            'secret "no-such-secret" not found',
        ),
        (
            {
                "volumes": [{"name": "config", "configMap": {"name": "no-such-config"}}],
                "container": {"volumeMounts": [{"name": "config", "mountPath": "/etc/config"}]},
            },
            "ContainerCreating",
            'MountVolume.SetUp failed for volume "config" : configmap "no-such-config" not found',
        ),
    ],
    ids=["Secret", "ConfigMap"],
)
def test_pod_naming_missing_secret_waits(
    hub: Deployed, field: dict[str, Any], reason: str, message: str
) -> None:
    """The API server admits a pod naming a missing Secret or ConfigMap; its kubelet does
    not start it and says why in the container's status."""
    name = f"probe-{reason.lower()}"
    assert _create(hub, _probe_pod(hub, name, **field)) is None
    cluster = hub.cluster
    try:
        assert _seen(hub, name, ("Pending", reason, message)) == ("Pending", reason, message)
    finally:
        cluster.run(cluster.admin.delete(POD, cluster.namespace, name, 0))


def _seen(deployment: Deployed, name: str, expected: tuple[Any, ...]) -> tuple[Any, ...]:
    """The pod's phase and its first container's waiting reason and message, polled for up
    to 15 s until they are ``expected``."""
    cluster = deployment.cluster
    deadline = time.monotonic() + 15
    seen: tuple[Any, ...] = ()
    while time.monotonic() < deadline and seen != expected:
        time.sleep(0.2)
        pod = cluster.run(cluster.admin.get(POD, cluster.namespace, name))
        statuses = pod["status"].get("containerStatuses") or [{}]
        waiting = statuses[0].get("state", {}).get("waiting", {})
        seen = (pod["status"]["phase"], waiting.get("reason"), waiting.get("message"))
    return seen


def test_pod_with_an_unbound_claim_waits_for_its_storage_class(hub: Deployed) -> None:
    """A claim whose StorageClass does not exist stays unbound, and a pod mounting it stays
    Pending (the PersistentVolume controller's event says why); once the class exists the
    claim binds and the pod goes on. The apps' claims name no class: the deployment's
    prerequisites give the cluster a default one, as the apps' tables ask."""
    cluster, name = hub.cluster, "probe-claim"
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
            "storageClassName": "no-such-class",
        },
    }
    storage_class = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "no-such-class"},
        "provisioner": "csi.example.org",
    }
    pod = _probe_pod(
        hub,
        name,
        volumes=[{"name": "home", "persistentVolumeClaim": {"claimName": name}}],
        container={
            "command": ["sleep", "60"],
            "volumeMounts": [{"name": "home", "mountPath": "/home/jovyan"}],
        },
    )
    # KubeSpawner makes users' claims with the hub's identity, then their pods.
    cluster.run(_hub_client(hub).create(PVC, cluster.namespace, claim))
    try:
        assert _create(hub, pod) is None
        unbound = (
            "Pending",
            "Pending",
            f'persistentvolumeclaim "{name}" is not bound: '
            'storageclass.storage.k8s.io "no-such-class" not found',
        )
        assert _seen(hub, name, unbound) == unbound
        cluster.run(cluster.admin.create(STORAGE_CLASS, None, storage_class))
        assert _seen(hub, name, ("Running", None, None)) == ("Running", None, None)
    finally:
        cluster.run(cluster.admin.delete(POD, cluster.namespace, name, 0))
        cluster.run(cluster.admin.delete(PVC, cluster.namespace, name))
        if cluster.run(cluster.admin.find(STORAGE_CLASS, None, "no-such-class")):
            cluster.run(cluster.admin.delete(STORAGE_CLASS, None, "no-such-class"))


@pytest.mark.parametrize(
    ("method", "kind", "name", "verb"),
    [
        ("PATCH", kind_of("Pod"), "anything", "patch"),
        ("GET", kind_of("ConfigMap"), None, "list"),
        ("POST", kind_of("Deployment"), None, "create"),
        ("DELETE", kind_of("ResourceQuota"), "jupyterhub", "delete"),
    ],
    ids=["patch pods", "list configmaps", "create deployments", "delete resourcequotas"],
)
def test_request_outside_the_hub_role_is_forbidden(
    hub: Deployed, method: str, kind: Any, name: str | None, verb: str
) -> None:
    """RBAC: only what the hub's Role in dist/ grants (its pods, services, secrets,
    persistentvolumeclaims and events); anything else is 403 with the API's message."""
    cluster = hub.cluster
    client = _hub_client(hub)
    body = {"metadata": {"name": "x"}} if method in ("POST", "PATCH") else None
    with pytest.raises(ApiError) as refused:
        cluster.run(
            client.request(
                method,
                kind.path(cluster.namespace, name),
                body=body,
                content_type="application/merge-patch+json",
            )
        )
    qualified = f"{kind.plural}.{kind.group}" if kind.group else kind.plural
    subject = f'{qualified} "{name}"' if name else qualified
    assert (refused.value.status, refused.value.message) == (
        403,
        (
            f'{subject} is forbidden: User "system:serviceaccount:{cluster.namespace}:'
            f'{_hub_account(hub)}" cannot {verb} resource "{kind.plural}" in API group '
            f'"{kind.group}" in the namespace "{cluster.namespace}"'
        ),
    )
    # ... while what the Role grants is allowed.
    assert isinstance(cluster.run(client.list(POD, cluster.namespace)), list)


def _hub_account(deployment: Deployed) -> str:
    hub = next(
        m
        for m in app_manifests(deployment.app)
        if m["kind"] == "StatefulSet"
        and m["metadata"]["labels"].get("app.kubernetes.io/component") == "hub"
    )
    return str(hub["spec"]["template"]["spec"]["serviceAccountName"])


QUOTA_APPS = sorted(
    app for app in APPS if any(m["kind"] == "ResourceQuota" for m in app_manifests(app))
)


@pytest.mark.parametrize("quota_app", QUOTA_APPS)
def test_pod_over_quota_is_refused(
    clusters: dict[tuple[str, str], Deployed], quota_app: str
) -> None:
    """ResourceQuota: a pod whose memory limit would take the namespace over ``hard`` is
    403 "exceeded quota"; one stating no limits is 403 "must specify"."""
    deployment = clusters[(quota_app, "shipped")]
    quota = next(m for m in app_manifests(quota_app) if m["kind"] == "ResourceQuota")
    hard = parse_quantity(quota["spec"]["hard"]["limits.memory"])
    over = str(int(hard + Decimal(1)))
    pod = _probe_pod(
        deployment,
        "probe-big",
        container={
            "resources": {
                "requests": {"cpu": "10m", "memory": "16Mi"},
                "limits": {"cpu": "10m", "memory": over},
            }
        },
    )
    error = _create(deployment, pod)
    assert error is not None, "the pod was admitted"
    assert error.status == 403
    assert error.message.startswith(
        f'pods "probe-big" is forbidden: exceeded quota: {quota["metadata"]["name"]}, '
        "requested: limits.memory="
    ), error.message

    bare = _probe_pod(deployment, "probe-bare", container={"resources": {}})
    error = _create(deployment, bare)
    assert error is not None, "the pod was admitted"
    assert (error.status, error.message) == (
        403,
        (
            f'pods "probe-bare" is forbidden: failed quota: {quota["metadata"]["name"]}: must '
            "specify limits.cpu for: notebook; limits.memory for: notebook; requests.cpu for: "
            "notebook; requests.memory for: notebook"
        ),
    )
