"""An upgrade from the previous JupyterHub major, with real releases: JupyterHub 4.1.6 (its own
venv, ``.venv-jupyterhub4``, which the Makefile makes) creates the database and fills it through
its REST API (users, a group, a user's token, a running server); then the hub pod's order with
the shipped JupyterHub 5.5.0: the upgrade step migrates the database (a SQLite file copied
first) and the hub starts on it. Everything is still there, the server still runs and is
routed, the token still works, and the users log in. On SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from constructs_lib._hub.database import PASSWORD_ENV
from hub_runtime.database import migration_revisions, stored_revision
from hub_runtime.settings import DEFAULT_DATABASE, DatabaseSettings
from tests.support.manifests import ROOT
from tests.support.postgres import HUB_PASSWORD, postgres_server
from tests.support.processes import (
    CHP,
    PROXY_TOKEN,
    SERVICE_TOKEN,
    deployment,
    free_port,
    node,
    start,
    stop,
    wait_for,
)

pytestmark = pytest.mark.slow  # real JupyterHub 4 and 5, proxy, user server and PostgreSQL

JUPYTERHUB4 = ROOT / ".venv-jupyterhub4" / "bin" / "jupyterhub"
# JupyterHub 4.1's newest schema revision (jupyterhub/alembic/versions at 4.1.6).
REVISION4 = "0eee8c825d24"
USERS = ("alice", "bob")
GROUP = "researchers"


def _config4(workdir: Path, db_url: str, ports: tuple[int, int, int]) -> Path:
    """JupyterHub 4's configuration: the test proxy, local user servers (this venv's
    jupyterhub-singleuser) and a service token allowed to fill the database."""
    _proxy_port, api_port, hub_port = ports
    path = workdir / "jupyterhub4_config.py"
    path.write_text(
        f"""
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.JupyterHub.hub_connect_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.auth_token = {PROXY_TOKEN!r}
c.JupyterHub.db_url = {db_url!r}
c.JupyterHub.cookie_secret_file = {str(workdir / "cookie_secret")!r}
c.JupyterHub.cleanup_servers = False
c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = {str(workdir / "home" / "{username}")!r}
c.Spawner.cmd = [{sys.executable!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--allow-root"]
c.JupyterHub.services = [{{"name": "e2e", "api_token": {SERVICE_TOKEN!r}}}]
c.JupyterHub.load_roles = [{{"name": "e2e", "services": ["e2e"], "scopes": [
    "admin:users", "admin:servers", "admin:groups", "tokens", "list:users", "read:users"]}}]
"""
    )
    return path


def _api4(hub_url: str, method: str, path: str, **kwargs: object) -> requests.Response:
    response = requests.request(
        method,
        f"{hub_url}/hub/api{path}",
        headers={"Authorization": f"token {SERVICE_TOKEN}"},
        timeout=30,
        **kwargs,  # type: ignore[arg-type]
    )
    assert response.status_code < 300, (method, path, response.status_code, response.text[:300])
    return response


def _fill_with_jupyterhub4(
    workdir: Path, db_url: str, ports: tuple[int, int, int], env: dict[str, str]
) -> str:
    """Run JupyterHub 4 behind a proxy, make the users, group, token and alice's server;
    stop it (leaving the server running). Returns alice's token."""
    if not JUPYTERHUB4.exists():
        raise RuntimeError(f"no {JUPYTERHUB4}: run `make test` (its .stamps/jupyterhub4)")
    proxy_port, api_port, hub_port = ports
    hub_url = f"http://127.0.0.1:{hub_port}"
    (workdir / "home").mkdir(parents=True, exist_ok=True)
    proxy = start(
        [
            node(),
            str(CHP),
            "--ip=127.0.0.1",
            f"--port={proxy_port}",
            "--api-ip=127.0.0.1",
            f"--api-port={api_port}",
            f"--default-target={hub_url}",
            "--log-level=warn",
        ],
        cwd=workdir,
        env=env,
        log=workdir / "proxy4.log",
    )
    hub = None
    try:
        wait_for(f"http://127.0.0.1:{proxy_port}/_chp_healthz", 30, proxy, workdir / "proxy4.log")
        config = _config4(workdir, db_url, ports)
        hub = start(
            [str(JUPYTERHUB4), "-f", str(config)],
            cwd=workdir,
            env={k: v for k, v in env.items() if k != "PYTHONPATH"},
            log=workdir / "hub4.log",
        )
        wait_for(f"{hub_url}/hub/health", 90, hub, workdir / "hub4.log")
        version = requests.get(f"{hub_url}/hub/api/", timeout=10).json()["version"]
        assert version.startswith("4."), version
        for user in USERS:
            _api4(hub_url, "POST", f"/users/{user}", json={})
        _api4(hub_url, "POST", f"/groups/{GROUP}", json={"users": list(USERS)})
        made = _api4(hub_url, "POST", "/users/alice/tokens", json={"note": "made by 4.x"})
        token = str(made.json()["token"])
        _api4(hub_url, "POST", "/users/alice/server", json={})
        deadline = time.monotonic() + 60
        while not _ready(_api4(hub_url, "GET", "/users/alice").json()):
            if time.monotonic() > deadline:
                raise TimeoutError((workdir / "hub4.log").read_text()[-3000:])
            time.sleep(0.2)
        served = requests.get(
            f"http://127.0.0.1:{proxy_port}/user/alice/api",
            headers={"Authorization": f"token {token}"},
            timeout=30,
        )
        assert served.status_code == 200, served.text[:300]
        return token
    finally:
        if hub is not None:
            stop(hub)
        stop(proxy)


def _ready(model: dict[str, object]) -> bool:
    servers = model.get("servers")
    server = servers.get("") if isinstance(servers, dict) else None
    return isinstance(server, dict) and server.get("ready") is True


def _login(proxy_url: str, user: str, session: requests.Session) -> int:
    return session.get(
        f"{proxy_url}/hub/login",
        headers={"X-Auth-Request-User": user},
        allow_redirects=False,
        timeout=30,
    ).status_code


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseSettings]:
    """The database the 4.x hub makes, as the 5.5 hub's settings name it."""
    if request.param == "sqlite":
        yield DEFAULT_DATABASE
        return
    with postgres_server() as server:
        yield DatabaseSettings(url=server.url, backup_dir=None)


def test_a_jupyterhub4_database_upgrades_with_everything_in_it(
    tmp_path: Path, database: DatabaseSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This process reads the revision too (libpq reads the password from the environment).
    monkeypatch.setenv(PASSWORD_ENV, HUB_PASSWORD)
    sqlite = database.url.startswith("sqlite")
    # JupyterHub 4 runs in the data directory too: the relative SQLite URL is the same file.
    db_url4 = f"sqlite:///{tmp_path / 'jupyterhub.sqlite'}" if sqlite else database.url
    env = {**os.environ, PASSWORD_ENV: HUB_PASSWORD}
    ports = (free_port(), free_port(), free_port())
    token = _fill_with_jupyterhub4(tmp_path, db_url4, ports, env)
    before = stored_revision(db_url4)
    assert before == REVISION4
    _, head = migration_revisions()

    read_groups = 'c.JupyterHub.load_roles[-1]["scopes"] += ["list:groups", "read:groups"]\n'
    with deployment(
        tmp_path,
        None,
        ports=ports,
        database=database,
        proxy_env={PASSWORD_ENV: HUB_PASSWORD},
        extra_config=read_groups,
    ) as hub:
        upgrade_log = (tmp_path / "upgrade.log").read_text()
        assert f"from revision {REVISION4} to {head}" in upgrade_log, upgrade_log
        assert stored_revision(db_url4) == head
        if sqlite:
            (copy,) = (tmp_path / "backups").iterdir()
            assert re.fullmatch(rf"jupyterhub\.sqlite\.{REVISION4}\.[0-9-]{{17}}", copy.name)
            with sqlite3.connect(copy) as connection:
                names = connection.execute("SELECT name FROM users ORDER BY name").fetchall()
            assert names == [(user,) for user in USERS]

        users = {user["name"]: user for user in hub.api("GET", "/users").json()}
        assert set(users) == set(USERS)
        groups = {g["name"]: sorted(g["users"]) for g in hub.api("GET", "/groups").json()}
        assert groups == {GROUP: sorted(USERS)}
        # The server 4.x started is still running, known to the hub and routed again.
        assert users["alice"]["servers"][""]["ready"] is True
        served = requests.get(
            f"{hub.proxy_url}/user/alice/api",
            headers={"Authorization": f"token {token}"},
            timeout=30,
        )
        assert served.status_code == 200, served.text[:300]
        # The token 4.x issued still says who it belongs to.
        own = requests.get(
            f"{hub.hub_url}/hub/api/user", headers={"Authorization": f"token {token}"}, timeout=30
        )
        assert own.status_code == 200 and own.json()["name"] == "alice"
        # Both users log in, as the accounts 4.x made (same ids, same group).
        for user in USERS:
            session = requests.Session()
            assert _login(hub.proxy_url, user, session) == 302
            assert hub.session_user(session) == user
            assert hub.user_model(user)["groups"] == [GROUP]
        assert {u["name"]: u["created"] for u in hub.api("GET", "/users").json()} == {
            name: user["created"] for name, user in users.items()
        }
