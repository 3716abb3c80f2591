"""Every hop of a browser's session through the dev app's Istio mesh: recorded on real
processes, then checked against the Sidecars, Services and AuthorizationPolicies of
``dist/dev/`` by the mesh model (``tests/mesh``).

The run: the real configurable-http-proxy (with the flags of ``dist/dev``'s proxy Deployment
that name no address) and JupyterHub with the dev app's settings on 127.0.0.1; a browser that
logs in with the header and the identity provider's JWT, spawns its server, calls its API,
starts a kernel and opens the kernel's websocket with ``Origin: https://<public host>``; the
user server checks the hub's API at start. Recording hops stand where the cluster has a
Service; each stands for one (``HOPS``).

In a cluster the source's sidecar sees the Host the client sends, and the client dials the
Service's URL; here every client dials a recorder on 127.0.0.1. A Host equal to the
recorder's own address is the one a client derives from the URL it dialled, so it stands for
the cluster URL's authority; any other Host (the browser's, passed on) is kept as sent. The
path, method and Origin are kept as sent, and the source is the process that really sent
the request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import os
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from hub_runtime.preview import render_user_objects
from hub_runtime.settings import HubSettings
from tests.mesh.authz import Request
from tests.mesh.hops import Verdict, check, check_ingress
from tests.mesh.objects import Mesh, Workload, selects
from tests.mesh.recorder import Record, recorders
from tests.support.manifests import ROOT, read_manifests
from tests.support.processes import KeyPair, deployment, dev_settings, free_port, jwks_server

pytestmark = pytest.mark.slow  # real proxy, hub, user server and kernel processes

USER = "alice"
KERNEL = "python3-test"
KEY = KeyPair()
DIST = ROOT / "dist" / "dev"
CLUSTER = ROOT / "analysis" / "cluster-environment.yaml"
COMPONENT = "app.kubernetes.io/component"
# Proxy flags that name addresses, ports, targets or the route store: local in this run.
LOCAL_PROXY_FLAGS = {
    "--ip",
    "--port",
    "--api-ip",
    "--api-port",
    "--metrics-ip",
    "--metrics-port",
    "--default-target",
    "--error-target",
    "--storage-backend",
    "--log-level",
}
# Each (source, recorder) pair a session produces.
HOPS = [
    ("browser", "gateway"),  # browser -> ingress gateway -> proxy's public port
    ("proxy", "hub"),  # proxy -> Service jupyterhub-hub 8081
    ("proxy", "user"),  # proxy -> the user's Service, port 8888 (pages, API, websocket)
    ("singleuser", "hub"),  # user server -> hub API (start-up check, OAuth, activity)
    # Not the hub's services (the idle culler, in the hub's pod): they call the hub's API over
    # the pod's loopback (--url), no hop (test_the_hubs_services_stay_in_its_pod).
    ("hub", "proxy-api"),  # hub -> Service jupyterhub-proxy 8000 (routes)
    ("hub", "user"),  # hub -> user server (is it up?)
]
# Who dials each URL in the hub settings. "recorded": the proxy, user servers and the hub's
# services dial it, and the run records those hops.
SETTINGS_URLS = {
    "bind_url": "nobody (the hub listens there)",
    "connect_url": "recorded",  # by the user servers
    "proxy_api_url": "hub",
    "auth.jwt.jwks_url": "hub",
    "auth.jwt.issuer": "nobody (compared with the tokens' iss claim)",
    "database.url": "nobody (dev's SQLite: a file on the hub's volume)",
    "user_hosts.hub_url": "nobody (the hub's public URL, which browsers open)",
    "user_hosts.user_url": "nobody (the user servers' public URLs, which browsers open)",
}


@functools.cache
def _dist() -> list[dict[str, Any]]:
    return read_manifests(DIST)


def _public_host() -> str:
    """A host of the dev app's Gateway: the name the browser uses (the hub's, not the user
    servers' wildcard)."""
    gateway = next(m for m in _dist() if m["kind"] == "Gateway")
    # A server host less its namespace part ("./hub.example.org").
    names = (h.rpartition("/")[2] for s in gateway["spec"]["servers"] for h in s["hosts"])
    hosts: list[str] = sorted(h for h in names if not h.startswith("*."))
    return hosts[0]


def dist_proxy_flags() -> list[str]:
    """The dist proxy's flags that the local proxy takes as they are."""
    deployment = next(
        m
        for m in _dist()
        if m["kind"] == "Deployment"
        and m["spec"]["template"]["metadata"]["labels"].get(COMPONENT) == "proxy"
    )
    args: list[str] = deployment["spec"]["template"]["spec"]["containers"][0].get("args", [])
    return [a for a in args if a.split("=", 1)[0] not in LOCAL_PROXY_FLAGS]


def _user_objects(settings: HubSettings) -> list[dict[str, Any]]:
    """The user's pod and Service as DynamicKubeSpawner creates them from the dev settings."""
    namespace = next(m for m in _dist() if m["kind"] == "ConfigMap")["metadata"]["namespace"]
    default = next(p.slug for p in settings.profiles if p.default)
    objects = render_user_objects(
        settings, namespace=namespace, user=USER, admin=False, profile=default
    )
    for manifest in objects:
        manifest.setdefault("apiVersion", "v1")  # core objects; the API server adds it
    return objects


def _user_url(service: Mapping[str, Any], settings: HubSettings) -> str:
    """The URL the hub and the proxy dial for the user's server: with per-user Services,
    KubeSpawner's ``dns_name_template`` (see ``KubeSpawner._get_pod_url``)."""
    from hub_runtime.spawner import DynamicKubeSpawner

    assert settings.spawner.per_user_service, "without a Service the hub dials the pod's IP"
    template = DynamicKubeSpawner.class_traits()["dns_name_template"].default_value
    host = template.format(
        name=service["metadata"]["name"], namespace=service["metadata"]["namespace"]
    )
    return f"http://{host}:{settings.spawner.port}"


@dataclass
class Run:
    mesh: Mesh
    records: list[Record]
    fronts: dict[str, str]  # recorder -> its local URL
    cluster_urls: dict[str, str]  # recorder -> the URL its clients dial in the cluster
    destinations: dict[str, Workload]  # recorder -> the workload behind the Service
    sources: dict[str, Workload]  # role -> workload
    gateway_port: int
    proxy_pid: int
    hub_pid: int
    kernel_reply: dict[str, Any] | str  # the code's output and reply, or what went wrong
    public_host: str
    hub_log: str

    def role(self, record: Record) -> str:
        """Which component sent a recorded request, from the processes holding its socket."""
        roles = set()
        for peer in record.peers:
            command = " ".join(peer.cmdline)
            if peer.pid == os.getpid():
                roles.add("browser")
            elif peer.pgid == self.proxy_pid:
                roles.add("proxy")
            elif "jupyterhub.singleuser" in command or "jupyterhub-singleuser" in command:
                roles.add("singleuser")
            elif peer.pgid == self.hub_pid or "jupyterhub_idle_culler" in command:
                roles.add("hub")  # the hub's services run in the hub's pod
        assert len(roles) == 1, f"sender of {record} is not one component: {roles}"
        return roles.pop()

    def request(self, record: Record) -> Request:
        """The request as the source's sidecar would see it in the cluster."""
        host = record.host or ""
        if record.hop != "gateway" and host == urlsplit(self.fronts[record.hop]).netloc:
            host = urlsplit(self.cluster_urls[record.hop]).netloc
        return Request(record.method, host, record.target)

    def verdict(self, record: Record) -> Verdict:
        request = self.request(record)
        if record.hop == "gateway":
            return check_ingress(self.mesh, self.sources["browser"], request, self.gateway_port)
        return check(
            self.mesh, self.sources[self.role(record)], self.cluster_urls[record.hop], request
        )


class Browser:
    """A browser through the ingress gateway: every request goes to the recorder in front of
    the proxy with the public Host, and those for the hub's paths with the headers the auth
    proxy adds there (its ext-authz check covers those paths only); a redirect is followed
    only if it stays on the public host."""

    def __init__(self, front: str, host: str, user: str, token: str) -> None:
        self.front, self.host = front, host
        self.origin = f"https://{host}"
        self.session = requests.Session()
        self.auth_headers = {"X-Auth-Request-User": user, "Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Host": self.host, **kwargs.pop("headers", {})}
        for _ in range(10):
            checked = path == "/hub" or path.startswith("/hub/")
            response = self.session.request(
                method,
                self.front + path,
                headers={**headers, **(self.auth_headers if checked else {})},
                allow_redirects=False,
                timeout=60,
                **kwargs,
            )
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            location = urlsplit(urljoin(path, response.headers["Location"]))
            assert location.netloc in ("", self.host), (
                f"{method} {path} redirects off the public host: {response.headers['Location']}"
            )
            path = location.path + (f"?{location.query}" if location.query else "")
            method = method if response.status_code in (307, 308) else "GET"
        raise AssertionError(f"too many redirects from {path}")

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A call of the user server's API from its page: XSRF token and the page's Origin."""
        xsrf = (
            next(
                (
                    c.value
                    for c in self.session.cookies
                    if c.name == "_xsrf" and f"/user/{USER}/".startswith(c.path)
                ),
                None,
            )
            or ""
        )
        headers = {"X-XSRFToken": xsrf, "Origin": self.origin}
        return self.request(method, path, headers=headers, **kwargs)

    def cookie_header(self, path: str) -> str:
        """The cookies a browser sends with a request for ``path``."""
        return "; ".join(
            f"{c.name}={c.value}" for c in self.session.cookies if path.startswith(c.path)
        )


async def _execute(url: str, headers: dict[str, str]) -> dict[str, Any]:
    """Open a kernel's websocket, run ``print(6 * 7)`` over it; the output and the reply."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(
        HTTPRequest(url, headers=headers, connect_timeout=30, request_timeout=30)
    )
    msg_id = uuid.uuid4().hex
    connection.write_message(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "execute_request",
                    "username": USER,
                    "session": uuid.uuid4().hex,
                    "date": "",
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "channel": "shell",
                "buffers": [],
                "content": {
                    "code": "print(6 * 7)",
                    "silent": False,
                    "store_history": False,
                    "user_expressions": {},
                    "allow_stdin": False,
                },
            }
        )
    )
    output, reply, idle = "", None, False
    try:
        # Shell and IOPub are separate channels: the reply may come before the output; the
        # kernel's "idle" status on IOPub follows all output of the request.
        while reply is None or not idle:
            raw = await asyncio.wait_for(connection.read_message(), 60)
            if raw is None:
                raise ConnectionError("the websocket closed before the reply")
            message: dict[str, Any] = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                output += message["content"]["text"]
            elif message["msg_type"] == "execute_reply":
                reply = message
            elif message["msg_type"] == "status":
                idle = message["content"]["execution_state"] == "idle"
        return {"output": output, "reply": reply}
    finally:
        connection.close()


def _session(browser: Browser, running: Any) -> dict[str, Any] | str:
    """Log in, spawn, load a page of the server, then use a kernel (``_kernel``)."""
    assert browser.request("GET", "/hub/login").status_code == 200
    assert browser.request("GET", "/hub/spawn").status_code == 200
    running.start_server(USER)  # waits until the hub reports the server ready
    # A page of the server: the browser goes through the hub's OAuth and back.
    (running.workdir / "home" / USER / "page.txt").write_text("page")
    response = browser.request("GET", f"/user/{USER}/files/page.txt")
    assert response.status_code == 200, (response.status_code, response.text[:300])
    response = browser.request("GET", f"/user/{USER}/api/status")
    assert response.status_code == 200, (response.status_code, response.text[:300])
    return _kernel(browser)


def _kernel(browser: Browser) -> dict[str, Any] | str:
    """Start a kernel from the page (the page's Origin), run code over its websocket, stop
    it. Returns the reply, or what went wrong (the websocket test says so;
    the hops recorded until then are still checked)."""
    response = browser.api("POST", f"/user/{USER}/api/kernels", json={"name": KERNEL})
    if response.status_code != 201:
        return f"starting a kernel: {response.status_code} {response.text[:300]}"
    kernel = response.json()["id"]
    try:
        path = f"/user/{USER}/api/kernels/{kernel}/channels"
        ws = f"{browser.front.replace('http://', 'ws://')}{path}?session_id={uuid.uuid4().hex}"
        headers = {
            "Host": browser.host,
            "Origin": browser.origin,
            "Cookie": browser.cookie_header(path),
        }
        return asyncio.run(_execute(ws, headers))
    except Exception as error:
        return f"kernel websocket: {type(error).__name__}: {error}"
    finally:
        browser.api("DELETE", f"/user/{USER}/api/kernels/{kernel}")


def _extra_config(server_port: int, user_front: str, jupyter_path: Path) -> str:
    """The hub's local spawner, with the user server behind its recorder, the arguments and
    environment the hub gives user pods on Kubernetes, and an IPython kernel."""
    return f"""
from jupyterhub.spawner import SimpleLocalProcessSpawner


class RecordedSpawner(SimpleLocalProcessSpawner):
    async def start(self):
        self.port = {server_port}
        await super().start()
        # The hub and the proxy reach the server through its recorder.
        return ("127.0.0.1", {urlsplit(user_front).port})

    def get_args(self):
        return [*super().get_args(), *self.config.KubeSpawner.get("args", [])]

    def get_env(self):
        env = super().get_env()
        env.update(self.config.KubeSpawner.get("environment", {{}}))
        env["JUPYTER_PATH"] = {str(jupyter_path)!r}
        return env


c.JupyterHub.spawner_class = RecordedSpawner
"""


def _kernel_spec(directory: Path) -> Path:
    spec = directory / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (tests)",
                "language": "python",
            }
        )
    )
    return directory


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    workdir = tmp_path_factory.mktemp("mesh")
    settings = dev_settings()
    user_objects = _user_objects(settings)
    mesh = Mesh.of(_dist(), read_manifests(CLUSTER.parent), user_objects)
    user_service = next(o for o in user_objects if o["kind"] == "Service")
    gateway_object = next(g for g in mesh.gateways)
    gateway = next(w for w in mesh.workloads if selects(gateway_object.selector, w.labels))
    proxy = mesh.workload({COMPONENT: "proxy"})
    hub = mesh.workload({COMPONENT: "hub"})
    user_pod = mesh.workload({"hub.jupyter.org/username": USER})
    public_host = _public_host()
    proxy_port, api_port, hub_port, server_port = (free_port() for _ in range(4))
    with recorders() as recording, jwks_server([KEY]) as jwks_url:
        fronts = {
            "gateway": recording.listen("gateway", proxy_port),
            "hub": recording.listen("hub", hub_port),
            "proxy-api": recording.listen("proxy-api", api_port),
            "user": recording.listen("user", server_port),
        }
        extra = _extra_config(server_port, fronts["user"], _kernel_spec(workdir / "jupyter"))
        with deployment(
            workdir,
            jwks_url,
            ports=(proxy_port, api_port, hub_port),
            extra_config=extra,
            # The hub here runs without dev's per-user hosts (deployment()), so CHP routes by
            # path, as for any hub without them; per-user hosts: tests/test_browser.py.
            proxy_args=[flag for flag in dist_proxy_flags() if flag != "--host-routing"],
            connect_url=fronts["hub"],
            proxy_api_url=fronts["proxy-api"],
        ) as running:
            assert running.proxy is not None and running.hub is not None
            browser = Browser(fronts["gateway"], public_host, USER, KEY.token(USER))
            reply = _session(browser, running)
            proxy_pid, hub_pid = running.proxy.pid, running.hub.pid
            hub_log = running.hub_log()
        records = recording.records
    yield Run(
        mesh=mesh,
        records=records,
        fronts=fronts,
        cluster_urls={
            "hub": settings.connect_url,
            "proxy-api": settings.proxy_api_url,
            "user": _user_url(user_service, settings),
        },
        destinations={"gateway": proxy, "hub": hub, "proxy-api": proxy, "user": user_pod},
        sources={"browser": gateway, "proxy": proxy, "hub": hub, "singleuser": user_pod},
        # The port the browser ends up on: HTTPS where the HTTP server only redirects to it.
        gateway_port=next(s.port for s in gateway_object.servers if not s.https_redirect),
        proxy_pid=proxy_pid,
        hub_pid=hub_pid,
        kernel_reply=reply,
        public_host=public_host,
        hub_log=hub_log,
    )


def _describe(run: Run, record: Record, verdict: Verdict) -> str:
    request = run.request(record)
    return (
        f"{run.role(record)} -> {record.hop}: {request.method} {request.path} "
        f"Host={request.host!r}: {verdict.reason}"
    )


@pytest.mark.parametrize(("source", "hop"), HOPS)
def test_recorded_hops_are_routed_and_allowed(run: Run, source: str, hop: str) -> None:
    records = [r for r in run.records if r.hop == hop and run.role(r) == source]
    assert records, f"no request from {source} through {hop} was recorded"
    failures = []
    for record in records:
        verdict = run.verdict(record)
        if not verdict.allowed or verdict.destination != run.destinations[hop]:
            failures.append(_describe(run, record, verdict))
    assert not failures, "\n".join(failures)


def test_every_recorded_hop_is_checked(run: Run) -> None:
    """No request took a path outside ``HOPS`` (which the test above would not check)."""
    unexpected = {(run.role(r), r.hop) for r in run.records} - set(HOPS)
    assert not unexpected


def test_the_hubs_services_stay_in_its_pod(run: Run) -> None:
    """The idle culler's first round (at its start) reached the hub's API, over loopback:
    no request of the hub's went through the hub's Service (test_every_recorded_hop_is_checked
    refuses one), and the hub logged the culler's listing of the users as answered."""
    assert not [r for r in run.records if r.hop == "hub" and run.role(r) == "hub"]
    assert any(
        line.split("]", 1)[-1].lstrip().startswith("200 GET /hub/api/users")
        and "(idle-culler@127.0.0.1)" in line
        for line in run.hub_log.splitlines()
    ), run.hub_log[-3000:]


def test_user_server_checks_the_hub_api_url_exactly(run: Run) -> None:
    """jupyterhub-singleuser GETs JUPYTERHUB_API_URL as it is (``/hub/api``, no slash) at
    start, and gives up after 5 failures: the mesh must admit exactly that."""
    checks = [
        r
        for r in run.records
        if r.hop == "hub"
        and run.role(r) == "singleuser"
        and r.method == "GET"
        and r.target == "/hub/api"
    ]
    assert checks, [(r.method, r.target) for r in run.records]
    verdict = run.verdict(checks[0])
    assert verdict.allowed, verdict.reason


def test_kernel_websocket_with_browser_origin_through_the_proxy(run: Run) -> None:
    reply = run.kernel_reply
    assert isinstance(reply, dict), reply
    assert reply["reply"]["content"]["status"] == "ok", reply
    assert reply["output"] == "42\n"
    origin = f"https://{run.public_host}"
    upgrades = {(run.role(r), r.hop) for r in run.records if r.upgrade and r.origin == origin}
    assert upgrades == {("browser", "gateway"), ("proxy", "user")}


def _urls(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every URL-valued field of the settings, by its dotted path."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _urls(getattr(value, field.name), f"{path}{field.name}.")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _urls(item, f"{path}{key}.")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _urls(item, f"{path}{index}.")
    elif isinstance(value, str) and "://" in value:
        yield path.rstrip("."), value


def test_every_settings_url_has_a_known_caller() -> None:
    """A URL added to the hub settings must say who dials it (and so what checks it)."""
    assert {path for path, _ in _urls(dev_settings())} == set(SETTINGS_URLS)


def test_hub_settings_urls_are_reachable_through_the_hub_sidecar() -> None:
    """Every URL the hub itself dials (the identity provider's JWKS, the proxy's API) is
    routed by the hub's sidecar and admitted where it lands."""
    settings = dev_settings()
    mesh = Mesh.of(_dist(), read_manifests(CLUSTER.parent))
    hub = mesh.workload({COMPONENT: "hub"})
    failures = []
    for path, url in _urls(settings):
        if SETTINGS_URLS[path] != "hub":
            continue
        parts = urlsplit(url)
        request = Request("GET", parts.netloc, parts.path or "/")
        verdict = check(mesh, hub, url, request)
        if not verdict.allowed:
            failures.append(f"{path} = {url}: {verdict.reason}")
    assert not failures, "\n".join(failures)
