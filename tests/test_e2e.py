"""End to end on 127.0.0.1: real configurable-http-proxy, real JupyterHub with hub_runtime and
the dev app's settings, jupyter-server user servers, a JWKS the test serves."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.processes import Deployment, KeyPair, deployment, dev_settings, jwks_server

pytestmark = pytest.mark.slow  # real proxy, hub and user server processes

KEY = KeyPair()
ROGUE = KeyPair("test-key")  # same key id, different key: a bad signature


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with (
        jwks_server([KEY]) as jwks_url,
        deployment(tmp_path_factory.mktemp("e2e"), jwks_url) as running,
    ):
        yield running


def login(
    hub: Deployment,
    user: str | bytes | None,
    token: str | None,
    session: requests.Session | None = None,
) -> requests.Response:
    headers: dict[str, str | bytes] = {}
    if user is not None:
        headers["X-Auth-Request-User"] = user
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    client = session or requests.Session()
    return client.get(
        f"{hub.proxy_url}/hub/login", headers=headers, allow_redirects=False, timeout=30
    )


def _user_from_api(hub: Deployment, session: requests.Session) -> str:
    """Who the session's cookie belongs to, from /hub/api/user (cookie auth needs XSRF)."""
    session.get(f"{hub.proxy_url}/hub/home", allow_redirects=False, timeout=30)
    xsrf = session.cookies.get("_xsrf", path="/hub/") or session.cookies.get("_xsrf") or ""
    response = session.get(
        f"{hub.proxy_url}/hub/api/user", timeout=30, headers={"X-XSRFToken": xsrf}
    )
    assert response.status_code == 200, (response.status_code, response.text[:300])
    return str(response.json()["name"])


def test_valid_token_logs_in(hub: Deployment) -> None:
    session = requests.Session()
    response = login(hub, "alice", KEY.token("alice"), session)
    assert response.status_code == 302, response.text[:300]
    assert _user_from_api(hub, session) == "alice"


@pytest.mark.parametrize(
    ("case", "token"),
    [
        ("no token (forged header)", None),
        ("token for another user", KEY.token("mallory")),
        ("expired", KEY.token("alice", expires_in=-60)),
        ("wrong issuer", KEY.token("alice", issuer="https://evil.test")),
        ("wrong audience", KEY.token("alice", audience="other")),
        ("unknown key id", KEY.token("alice", kid="other-key")),
        ("bad signature", ROGUE.token("alice")),
        ("not a JWT", "not-a-jwt"),
    ],
)
def test_without_valid_proof_401(hub: Deployment, case: str, token: str | None) -> None:
    assert login(hub, "alice", token).status_code == 401, case


def test_missing_header_401(hub: Deployment) -> None:
    assert login(hub, None, KEY.token("alice")).status_code == 401


@pytest.mark.parametrize(
    "name",
    [
        "alice, admin",  # two header copies, joined by the proxy
        "../x",
        "a/b",
        "x" * 65,
        "al ice",
        "..",
    ],
)
def test_invalid_names_403(hub: Deployment, name: str) -> None:
    assert login(hub, name, KEY.token(name)).status_code == 403
    assert "Rejected invalid user name" in hub.hub_log()


def test_duplicate_header_copies_401(hub: Deployment) -> None:
    # Two copies of the header reach the hub joined by ", ": a header that names neither the
    # token's sub nor its user claim.
    host, port = hub.proxy_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("GET", "/hub/login")
    connection.putheader("X-Auth-Request-User", "alice")
    connection.putheader("X-Auth-Request-User", "admin")
    connection.putheader("Authorization", f"Bearer {KEY.token('alice')}")
    connection.endheaders()
    assert connection.getresponse().status == 401
    connection.close()
    assert "X-Auth-Request-User 'alice, admin' is neither the ID token's sub" in hub.hub_log()


def test_utf8_name_arrives_intact(hub: Deployment) -> None:
    session = requests.Session()
    response = login(hub, "jürgen".encode(), KEY.token("jürgen"), session)
    assert response.status_code == 302, response.text[:300]
    assert _user_from_api(hub, session) == "jürgen"


def test_header_user_replaces_cookie_user(hub: Deployment) -> None:
    session = requests.Session()
    assert login(hub, "carol", KEY.token("carol"), session).status_code == 302
    assert _user_from_api(hub, session) == "carol"
    response = login(hub, "dave", KEY.token("dave"), session)
    assert response.status_code == 302
    assert _user_from_api(hub, session) == "dave"


def test_admin_page(hub: Deployment) -> None:
    """dev's admins are the members of its admin group; a user called "admin" is not one."""
    (group,) = dev_settings().auth.admin_groups
    admin, other = requests.Session(), requests.Session()
    assert login(hub, "ines", KEY.token("ines", groups=[group]), admin).status_code == 302
    assert login(hub, "admin", KEY.token("admin", groups=["staff"]), other).status_code == 302
    assert admin.get(f"{hub.proxy_url}/hub/admin", timeout=30).status_code == 200
    assert other.get(f"{hub.proxy_url}/hub/admin", timeout=30).status_code == 403


def test_login_reaches_the_running_server(hub: Deployment) -> None:
    session = requests.Session()
    headers = {"X-Auth-Request-User": "frank", "Authorization": f"Bearer {KEY.token('frank')}"}
    session.headers.update(headers)  # the auth proxy adds these to every request
    assert (
        session.get(f"{hub.proxy_url}/hub/login", allow_redirects=False, timeout=30).status_code
        == 302
    )
    hub.start_server("frank")
    (hub.workdir / "home" / "frank" / "hello.txt").write_text("hello from frank's server")
    # A page of the server sends the browser through the hub's OAuth and back.
    response = session.get(f"{hub.proxy_url}/user/frank/files/hello.txt", timeout=60)
    assert response.status_code == 200, (response.status_code, response.url)
    assert response.text == "hello from frank's server"
    assert response.url == f"{hub.proxy_url}/user/frank/files/hello.txt"
    assert "/hub/api/oauth2/authorize" in " ".join(r.url for r in response.history)


def test_culler_stops_idle_server(tmp_path: Path) -> None:
    from dataclasses import replace

    culler = replace(dev_settings().culler, timeout_seconds=2, every_seconds=1)
    with jwks_server([KEY]) as jwks_url, deployment(tmp_path, jwks_url, culler=culler) as hub:
        hub.api("POST", "/users/idle", json={})
        assert hub.api("POST", "/users/idle/server", json={}).status_code in (201, 202)
        # Started, then (idle past the 2 s timeout) culled; it may go before a poll sees it ready.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "Culling server idle" not in hub.hub_log():
            time.sleep(0.5)
        while hub.server_running("idle") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "Culling server idle" in hub.hub_log(), hub.hub_log()[-2000:]
        assert not hub.server_running("idle")


def test_culler_deletes_idle_users_and_removes_named_servers(tmp_path: Path) -> None:
    """IdleCuller(users=True, admin_users=False, remove_named_servers=True) in the real
    culler: an idle user's server is stopped and the user deleted; an idle admin's named
    server is stopped and removed, and the admin kept."""
    from dataclasses import replace

    culler = replace(
        dev_settings().culler,
        timeout_seconds=2,
        every_seconds=1,
        users=True,
        admin_users=False,
        remove_named_servers=True,
    )
    admin = "boss"
    with (
        jwks_server([KEY]) as jwks_url,
        deployment(
            tmp_path, jwks_url, culler=culler, auth_changes={"admin_users": (admin,)}
        ) as hub,
    ):
        hub.api("POST", "/users/idle", json={})
        assert hub.api("POST", "/users/idle/server", json={}).status_code in (201, 202)
        started = hub.api("POST", f"/users/{admin}/servers/lab", json={})
        assert started.status_code in (201, 202), started.text

        def gone() -> bool:
            idle = hub.api("GET", "/users/idle").status_code
            servers = hub.api("GET", f"/users/{admin}?include_stopped_servers=1").json()
            return idle == 404 and "lab" not in servers.get("servers", {})

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not gone():
            time.sleep(0.5)
        log = hub.hub_log()
        assert "Culling user idle" in log, log[-3000:]
        assert hub.api("GET", "/users/idle").status_code == 404
        model = hub.api("GET", f"/users/{admin}?include_stopped_servers=1").json()
        assert model["admin"] is True and "lab" not in model["servers"], model
        assert f"Culling user {admin}" not in log
