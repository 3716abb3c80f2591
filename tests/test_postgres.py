"""The hub on a real PostgreSQL (Debian's, ``initdb`` in a temporary directory, 127.0.0.1,
password logins), started as its pod starts it: the upgrade step, then the hub, the password
only in ``PGPASSWORD`` (as the construct sets it from a Secret). The hub creates its schema;
users, tokens and running servers survive a hub restart; the database going away and coming
back is shown as a user sees it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from constructs_lib._hub.database import PASSWORD_ENV
from hub_runtime.database import migration_revisions
from hub_runtime.settings import DatabaseSettings
from tests.support.postgres import HUB_PASSWORD, PostgresServer, postgres_server
from tests.support.processes import Deployment, deployment

pytestmark = pytest.mark.slow  # real PostgreSQL, proxy, hub and user server processes

USER = "alice"


def login(hub: Deployment, user: str, session: requests.Session) -> requests.Response:
    """The header login, through the proxy (the hub trusts the header in these tests)."""
    return session.get(
        f"{hub.proxy_url}/hub/login",
        headers={"X-Auth-Request-User": user},
        allow_redirects=False,
        timeout=30,
    )


def user_token(hub: Deployment, session: requests.Session) -> str:
    """A token the logged-in user makes for themselves (their token page's API call)."""
    session.get(f"{hub.proxy_url}/hub/home", allow_redirects=False, timeout=30)
    xsrf = session.cookies.get("_xsrf", path="/hub/") or session.cookies.get("_xsrf") or ""
    made = session.post(
        f"{hub.proxy_url}/hub/api/users/{USER}/tokens",
        json={"note": "kept"},
        headers={"X-XSRFToken": xsrf},
        timeout=30,
    )
    assert made.status_code == 201, (made.status_code, made.text[:300])
    return str(made.json()["token"])


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def hub(tmp_path: Path, postgres: PostgresServer) -> Iterator[Deployment]:
    with deployment(
        tmp_path,
        None,
        database=DatabaseSettings(url=postgres.url, backup_dir=None),
        proxy_env={PASSWORD_ENV: HUB_PASSWORD},
    ) as running:
        yield running


def test_the_hub_creates_its_schema(hub: Deployment, postgres: PostgresServer) -> None:
    _, head = migration_revisions()
    assert postgres.query("SELECT version_num FROM alembic_version") == [(head,)]
    tables = {row[0] for row in postgres.query("SELECT tablename FROM pg_tables")}
    assert {"users", "spawners", "api_tokens", "groups", "oauth_clients"} <= tables
    upgrade_log = (hub.workdir / "upgrade.log").read_text()
    assert f"database {postgres.url} has no schema yet" in upgrade_log
    # Neither the settings nor any log holds the password.
    for name in ("settings.json", "upgrade.log", "hub.log"):
        assert HUB_PASSWORD not in (hub.workdir / name).read_text()


def test_users_tokens_and_servers_survive_a_hub_restart(
    hub: Deployment, postgres: PostgresServer
) -> None:
    session = requests.Session()
    assert login(hub, USER, session).status_code == 302
    hub.start_server(USER)
    token = user_token(hub, session)
    assert postgres.query("SELECT name FROM users") == [(USER,)]

    hub.stop_hub()
    hub.start_hub()

    model = hub.user_model(USER)
    assert model["servers"][""]["ready"] is True
    own = requests.get(
        f"{hub.hub_url}/hub/api/user", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert own.status_code == 200 and own.json()["name"] == USER
    # The server kept running and is routed again; the cookie still logs the user in.
    served = requests.get(
        f"{hub.proxy_url}/user/{USER}/api", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert served.status_code == 200, served.text[:300]
    assert hub.session_user(session) == USER


def test_the_database_going_away_and_coming_back(
    hub: Deployment, postgres: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """While PostgreSQL is down a login gets the hub's error page (500, no traceback), a
    running server keeps answering its user, and the hub keeps running; once the database is
    back the next login works, with no hub restart."""
    session = requests.Session()
    assert login(hub, USER, session).status_code == 302
    hub.start_server(USER)
    token = user_token(hub, session)
    contents = f"{hub.proxy_url}/user/{USER}/api/contents"
    auth = {"Authorization": f"token {token}"}
    assert requests.get(contents, headers=auth, timeout=30).status_code == 200
    postgres.stop()
    time.sleep(1.5)  # past the server's cache of the hub's answer (1 s)
    # A running server stays usable: the proxy routes it, and its token check is answered.
    assert requests.get(contents, headers=auth, timeout=30).status_code == 200
    down = login(hub, "bob", requests.Session())
    assert down.status_code == 500, (down.status_code, down.text[:300])
    assert "Traceback" not in down.text
    assert hub.hub is not None and hub.hub.poll() is None

    postgres.start()
    back = time.monotonic()
    while True:
        session = requests.Session()
        if login(hub, "bob", session).status_code == 302:
            break
        assert time.monotonic() - back < 30, hub.hub_log()[-3000:]
        time.sleep(0.2)
    with capsys.disabled():
        print(
            f"\n  [figure] first login {time.monotonic() - back:.2f} s after PostgreSQL came back"
        )
    assert hub.session_user(session) == "bob"
    assert {row[0] for row in postgres.query("SELECT name FROM users")} == {USER, "bob"}


def test_fails_the_upgrade_step_with_the_database_down(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    """The init container stops with one line naming the database (no password, no
    traceback), and the hub is not started: Kubernetes retries the step with back-off."""
    postgres.stop()
    with (
        pytest.raises(RuntimeError, match="upgrade step exited with 1") as raised,
        deployment(
            tmp_path,
            None,
            database=DatabaseSettings(url=postgres.url, backup_dir=None),
            proxy_env={PASSWORD_ENV: HUB_PASSWORD},
        ),
    ):
        pass
    said = str(raised.value)
    assert f"Not upgrading: cannot read database {postgres.url}: connection to server" in said
    assert "Traceback" not in said
    assert HUB_PASSWORD not in said
    assert not (tmp_path / "hub.log").exists()


def test_fails_the_upgrade_step_with_a_wrong_password(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    """A Secret with the wrong password: the step says the login failed."""
    with (
        pytest.raises(RuntimeError, match="upgrade step exited with 1") as raised,
        deployment(
            tmp_path,
            None,
            database=DatabaseSettings(url=postgres.url, backup_dir=None),
            proxy_env={PASSWORD_ENV: "not-the-password"},
        ),
    ):
        pass
    assert 'password authentication failed for user "jupyterhub"' in str(raised.value)


def test_fails_a_database_a_newer_jupyterhub_wrote(
    tmp_path: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the real server: the step refuses a schema revision its JupyterHub does not know,
    names the restore (no copy of a server's database is made here), and changes nothing."""
    monkeypatch.setenv(PASSWORD_ENV, HUB_PASSWORD)
    from jupyterhub import orm

    orm.new_session_factory(postgres.url)().close()  # the schema, as a hub makes it
    connection = postgres.connect("jupyterhub", "jupyterhub", HUB_PASSWORD)
    with connection, connection.cursor() as cursor:
        cursor.execute("UPDATE alembic_version SET version_num = '0123456789ab'")
    connection.close()
    with (
        pytest.raises(RuntimeError, match="upgrade step exited with 1") as raised,
        deployment(
            tmp_path,
            None,
            database=DatabaseSettings(url=postgres.url, backup_dir=None),
            proxy_env={PASSWORD_ENV: HUB_PASSWORD},
        ),
    ):
        pass
    said = str(raised.value)
    assert f"Not upgrading: database {postgres.url} is at schema revision '0123456789ab'" in said
    assert "restore the backup taken before that upgrade; the database is left as it is" in said
    assert postgres.query("SELECT version_num FROM alembic_version") == [("0123456789ab",)]
