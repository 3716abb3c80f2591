"""Rotating the proxy token, with real configurable-http-proxy and JupyterHub processes run
from the synthesized apps. Kubernetes gives a container its Secret's values as environment
only when it starts, so what rolls on a rotation is what the workloads' Reloader annotation
names (stakater Reloader's rule, ``secret.reloader.stakater.com/reload``: a comma-separated
list of Secrets, each change a rolling update): the test restarts exactly those processes."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from hub_runtime.proxy_client import RotatingTokenProxy
from tests.support.manifests import ROOT, read_manifests
from tests.support.processes import (
    CHP,
    Deployment,
    deployment,
    free_port,
    hub_env,
    node,
    start,
    stop,
    wait_for,
)

RELOAD = "secret.reloader.stakater.com/reload"
TOKEN_ENV = "CONFIGPROXY_AUTH_TOKEN"
ROTATED = "rotated-proxy-token-" + "1" * 32
USER = "rotor"
# What a hub refused by the proxy (403) logs: the hub runtime's warning, or JupyterHub's error.
REFUSED = "403"


def _token_readers(app: str) -> dict[str, dict[str, Any]]:
    """Every workload of ``app`` whose containers take their environment from a Secret, by
    kind/name: the hub and the proxy read the token so."""
    return {
        f"{m['kind']}/{m['metadata']['name']}": m
        for m in read_manifests(ROOT / "dist" / app)
        if m["kind"] in ("Deployment", "StatefulSet")
        and any(
            "secretRef" in source
            for container in m["spec"]["template"]["spec"]["containers"]
            for source in container.get("envFrom", [])
        )
    }


def _secrets(workload: dict[str, Any]) -> set[str]:
    return {
        source["secretRef"]["name"]
        for container in workload["spec"]["template"]["spec"]["containers"]
        for source in container.get("envFrom", [])
        if "secretRef" in source
    }


def _rolled_by(workload: dict[str, Any], secret: str) -> bool:
    names = (workload["metadata"].get("annotations") or {}).get(RELOAD, "")
    return secret in {name.strip() for name in names.split(",")}


@pytest.mark.parametrize("app", ["minimal", "dev"])
def test_hub_and_proxy_read_one_secret_that_rolls_both(app: str) -> None:
    """Two copies of the token (two Secrets, refreshed by the operator at different times)
    could disagree; one Secret, and each reader rolls when it changes."""
    readers = _token_readers(app)
    assert {"StatefulSet/jupyterhub-hub", "Deployment/jupyterhub-proxy"} <= set(readers)
    (secret,) = set.union(*(_secrets(w) for w in readers.values()))
    for name, workload in readers.items():
        assert _rolled_by(workload, secret), f"{name} keeps the old token after a rotation"


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _restart_hub(hub: Deployment) -> None:
    """A new hub process with the deployment's (rotated) environment, not yet waited for."""
    hub.stop_hub()
    hub.hub = start(
        hub.hub_command, cwd=hub.workdir, env=hub_env(hub.env), log=hub.workdir / "hub.log"
    )


@pytest.mark.slow  # real proxy, hub and user server processes
def test_a_hub_restarted_after_a_rotation_serves(tmp_path: Path) -> None:
    """The token changes in its Secret; the hub restarts first (the worst order: Reloader
    patches both workloads, and the hub's new pod may start before any proxy pod has rolled),
    then the proxy rolls, as the minimal app's annotations say. The new hub waits out the
    proxy's 403 (JupyterHub alone retries only 5xx, and exited), and once both hold the new
    token the user's running server is reachable through the proxy again."""
    readers = _token_readers("minimal")
    (secret,) = set.union(*(_secrets(w) for w in readers.values()))
    proxy_rolls = _rolled_by(readers["Deployment/jupyterhub-proxy"], secret)
    with deployment(tmp_path / "hub", None) as hub:
        hub.start_server(USER)
        server = f"{hub.proxy_url}/user/{USER}/api"
        assert _answers(server)
        hub.env[TOKEN_ENV] = ROTATED
        _restart_hub(hub)
        # The new hub asks the proxy, which still holds the old token: it must wait, not exit.
        assert hub.hub is not None
        deadline = time.monotonic() + 60
        while REFUSED not in hub.hub_log() and hub.hub.poll() is None:
            assert time.monotonic() < deadline, hub.hub_log()[-3000:]
            time.sleep(0.1)
        time.sleep(3)  # JupyterHub alone exits within this, on its first 403
        assert hub.hub.poll() is None, hub.hub_log()[-3000:]
        if proxy_rolls:
            assert hub.proxy is not None
            stop(hub.proxy)
            hub.start_proxy()
        wait_for(f"{hub.hub_url}/hub/health", 90, hub.hub, hub.workdir / "hub.log")
        deadline = time.monotonic() + 60
        while not _answers(server) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _answers(server), hub.hub_log()[-3000:]


@contextmanager
def chp(token: str, workdir: Path) -> Iterator[str]:
    """configurable-http-proxy with its API on loopback, the token in its environment; yields
    the API's URL."""
    port = free_port()
    process = start(
        [
            node(),
            str(CHP),
            "--ip=127.0.0.1",
            f"--port={free_port()}",
            "--api-ip=127.0.0.1",
            f"--api-port={port}",
            "--log-level=warn",
        ],
        cwd=workdir,
        env={**os.environ, TOKEN_ENV: token},
        log=workdir / "chp.log",
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/api/routes", 30, process, workdir / "chp.log")
        yield url
    finally:
        stop(process)


@pytest.mark.slow
def test_a_token_refused_for_good_fails_after_the_rotation_timeout(tmp_path: Path) -> None:
    """The wait is bounded: a token no proxy pod will ever hold is JupyterHub's 403 again,
    once ``token_rotation_timeout`` has passed (against a real configurable-http-proxy,
    which refuses a wrong token with 403: lib/configproxy.js, ``authorized``)."""
    with chp("the-proxy's-token", tmp_path) as url:

        async def refused() -> tuple[int | None, float]:
            client = RotatingTokenProxy(api_url=url, auth_token="a-stale-token", should_start=False)
            client.token_rotation_timeout = 2
            began = time.monotonic()
            with pytest.raises(Exception) as error:
                await client.get_all_routes()
            # aiohttp's status (JupyterHub 6), tornado's code (JupyterHub 5).
            status = getattr(error.value, "status", None) or getattr(error.value, "code", None)
            return status, time.monotonic() - began

        status, seconds = asyncio.run(refused())
    assert status == 403
    assert 1 < seconds < 10
