"""The header login's handler (hub_runtime.login_handler) against a real configurable-http-proxy
and JupyterHub: a returning user's login reads one id and writes nothing, and everything
JupyterHub's own login guarantees still holds whenever a login has something to change."""

from __future__ import annotations

import dataclasses
import secrets
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.processes import Deployment, deployment, dev_settings

pytestmark = pytest.mark.slow  # real proxy and hub processes

# Names listed in this file (beside the hub's database) are blocked at the hub's next start.
BLOCKED_FILE = "blocked_users.txt"
BLOCKED_CONFIG = f"""
import os as _os
_blocked = _os.path.join(_os.path.dirname(c.JupyterHub.db_url.removeprefix("sqlite:///")),
                         {BLOCKED_FILE!r})
if _os.path.exists(_blocked):
    c.Authenticator.blocked_users = set(open(_blocked).read().split())
"""
# Only an admin may change an admin user through the API.
ADMIN_SERVICE_CONFIG = 'c.JupyterHub.load_roles.append({"name": "admin", "services": ["e2e"]})\n'
# The test service may read and write auth state (admin:users includes admin:auth_state).
AUTH_STATE_CONFIG = "c.Authenticator.enable_auth_state = True\n"
# A hook that gives each login's auth state a value of its own: it runs at every login, and
# what it returns is stored encrypted with the first key (key rotation).
MARKING_AUTH_STATE_CONFIG = (
    AUTH_STATE_CONFIG
    + "import secrets as _secrets\n"
    + "c.Authenticator.post_auth_hook = "
    + "lambda auth, handler, model: {**model, 'auth_state': {'login': _secrets.token_hex(8)}}\n"
)


# An admin by name (admin_users): with the header trusted as is, no token brings groups.
ADMIN = "ada"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployment(
        tmp_path_factory.mktemp("login"),
        None,
        extra_config=BLOCKED_CONFIG + ADMIN_SERVICE_CONFIG,
        auth_changes={"admin_users": (ADMIN,), "admin_groups": ()},
    ) as hub:
        yield hub


def login(hub: Deployment, user: str) -> requests.Session:
    """A header login in a fresh session; the session then carries the hub's cookie."""
    session = requests.Session()
    response = session.get(
        f"{hub.proxy_url}/hub/login",
        headers={"X-Auth-Request-User": user},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, (response.status_code, response.text[:300])
    return session


def database(hub: Deployment) -> sqlite3.Connection:
    return sqlite3.connect(hub.workdir / "jupyterhub.sqlite")


def stored_auth_state(hub: Deployment, user: str) -> bytes | None:
    with database(hub) as db:
        (stored,) = db.execute(
            "SELECT encrypted_auth_state FROM users WHERE name = ?", (user,)
        ).fetchone()
    return stored  # type: ignore[no-any-return]


def restart(hub: Deployment) -> None:
    hub.stop_hub()
    hub.start_hub()


def test_returning_user_is_logged_in(hub: Deployment) -> None:
    login(hub, "rita")
    session = login(hub, "rita")
    assert hub.session_user(session) == "rita"
    assert sorted(hub.user_model("rita")["roles"]) == ["user"]


def test_an_admin_opens_every_server(hub: Deployment) -> None:
    """What ``HubOptions.admin_access`` says: JupyterHub 5's admin role holds
    ``access:servers`` (and ``tokens``, for any user), whatever ``admin_access`` is."""
    scopes = set(hub.session_model(login(hub, ADMIN))["scopes"])
    assert {"access:servers", "admin:servers", "tokens"} <= scopes
    assert "access:servers" not in hub.session_model(login(hub, "rosa"))["scopes"]


def test_removed_default_role_is_granted_again_at_login(hub: Deployment) -> None:
    """JupyterHub's login guarantees the ``user`` role; the hub's start does not restore it."""
    login(hub, "dora")
    hub.stop_hub()
    with database(hub) as db:
        removed = db.execute(
            "DELETE FROM user_role_map WHERE user_id = (SELECT id FROM users WHERE name = ?) "
            "AND role_id = (SELECT id FROM roles WHERE name = 'user')",
            ("dora",),
        ).rowcount
    assert removed == 1
    hub.start_hub()
    assert hub.user_model("dora")["roles"] == []
    login(hub, "dora")
    assert hub.user_model("dora")["roles"] == ["user"]


def test_admin_demoted_through_the_api_is_admin_again_at_login(hub: Deployment) -> None:
    """``admin_users`` wins at every login, as in JupyterHub: the flag and the admin role."""
    admin = ADMIN
    login(hub, admin)
    assert hub.user_model(admin)["admin"] is True
    assert hub.api("PATCH", f"/users/{admin}", json={"admin": False}).status_code == 200
    assert hub.user_model(admin)["admin"] is False
    assert "admin" not in hub.user_model(admin)["roles"]
    login(hub, admin)
    assert hub.user_model(admin)["admin"] is True
    assert sorted(hub.user_model(admin)["roles"]) == ["admin", "user"]


def test_stored_auth_state_is_cleared_at_login_when_disabled(hub: Deployment) -> None:
    """A value left from a configuration with auth state enabled is cleared, as JupyterHub's
    login does."""
    login(hub, "sam")
    hub.stop_hub()
    with database(hub) as db:
        db.execute("UPDATE users SET encrypted_auth_state = x'00' WHERE name = 'sam'")
    hub.start_hub()
    assert stored_auth_state(hub, "sam") == b"\x00"
    assert hub.user_model("sam")["name"] == "sam"  # the hub has the user loaded, as after any use
    login(hub, "sam")
    assert stored_auth_state(hub, "sam") is None


def test_blocked_returning_user_is_refused(hub: Deployment) -> None:
    login(hub, "bert")
    (Path(hub.workdir) / BLOCKED_FILE).write_text("bert\n")
    try:
        restart(hub)
        assert hub.user_model("bert")["name"] == "bert"  # the hub has the user loaded
        response = requests.get(
            f"{hub.proxy_url}/hub/login",
            headers={"X-Auth-Request-User": "bert"},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 403
        assert "User 'bert' blocked" in hub.hub_log()
    finally:
        (Path(hub.workdir) / BLOCKED_FILE).unlink()
        restart(hub)
    login(hub, "bert")


def test_enabled_auth_state_is_cleared_at_login(tmp_path: Path) -> None:
    """With auth state enabled, a login that brings none clears the stored value."""
    key = {"JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32)}
    with deployment(tmp_path, None, extra_config=AUTH_STATE_CONFIG, proxy_env=key) as hub:
        login(hub, "tess")
        stored = {"token": "from the identity provider"}
        assert hub.api("PATCH", "/users/tess", json={"auth_state": stored}).status_code == 200
        assert hub.user_model("tess")["auth_state"] == stored
        login(hub, "tess")
        assert hub.user_model("tess")["auth_state"] is None


def test_auth_state_hook_runs_at_every_login_and_rotates_the_key(tmp_path: Path) -> None:
    """post_auth_hook runs at every login, a user's first included (created through the API,
    nothing stored yet), a returning user's too; with a new key put first, the login stores
    the result encrypted with it, so that it is still readable once the old key is gone."""
    old, new = secrets.token_hex(32), secrets.token_hex(32)
    with deployment(
        tmp_path,
        None,
        extra_config=MARKING_AUTH_STATE_CONFIG,
        proxy_env={"JUPYTERHUB_CRYPT_KEY": old},
    ) as hub:
        assert hub.api("POST", "/users/kim").status_code == 201
        login(hub, "kim")
        first = hub.user_model("kim")["auth_state"]
        assert set(first) == {"login"}
        hub.stop_hub()
        hub.env["JUPYTERHUB_CRYPT_KEY"] = f"{new};{old}"
        hub.start_hub()
        login(hub, "kim")
        second = hub.user_model("kim")["auth_state"]
        assert set(second) == {"login"} and second != first
        hub.stop_hub()
        hub.env["JUPYTERHUB_CRYPT_KEY"] = new
        hub.start_hub()
        assert hub.user_model("kim")["auth_state"] == second


def sql_of(hub: Deployment, user: str) -> str:
    """The SQL the hub logged (debug_db) while logging ``user`` in."""
    mark = len(hub.hub_log())
    login(hub, user)
    deadline = time.monotonic() + 10
    while "302 GET /hub/login" not in hub.hub_log()[mark:] and time.monotonic() < deadline:
        time.sleep(0.05)
    return hub.hub_log()[mark:].split("302 GET /hub/login", 1)[0]


def test_returning_user_login_reads_its_id_and_writes_nothing(tmp_path: Path) -> None:
    """What the handler saves: a new user's login runs JupyterHub's (user and roles loaded,
    rows written); a returning user's reads only its id."""
    culler = dataclasses.replace(dev_settings().culler, enabled=False)  # no other SQL
    config = "c.JupyterHub.debug_db = True\n"
    with deployment(tmp_path, None, extra_config=config, culler=culler) as hub:
        first = sql_of(hub, "una")
        assert "INSERT INTO users" in first and "FROM roles" in first, first
        again = sql_of(hub, "una")
        assert "SELECT users.id \nFROM users \nWHERE users.name = ?" in again, again
        for absent in ("INSERT", "UPDATE", "DELETE", "FROM roles", "users.id AS users_id"):
            assert absent not in again, (absent, again)
