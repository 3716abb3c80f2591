"""Revocation: what an operator or a logout takes away must be gone, for copies of cookies
and tokens kept from before.

One hub (real configurable-http-proxy and JupyterHub, local user servers) whose settings
are changed between restarts on the same database: ``admin`` is taken out of
``admin_users``, ``harry`` out of ``allowed_users`` (``allow_all`` and
``allow_existing_users`` off), ``mallory`` into ``blocked_users``, then admins are
managed in the hub. Each user keeps the cookies and tokens of before and tries them again.
The local user servers get the arguments the hub gives KubeSpawner's (``USER_SERVER_ARGS``).
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from hub_runtime.preview import render_user_objects
from hub_runtime.settings import (
    USER_SERVER_ARGS,
    USER_SERVER_AUTH_CACHE_SECONDS,
    dump_settings,
    parse_settings,
)
from tests.adversarial.kit import Hub, KeyPair, claims, running_hub, sign
from tests.support.processes import dev_settings, hub_config_file

pytestmark = pytest.mark.slow  # a real hub and proxy (tests/adversarial/kit.py)

KEY = KeyPair("rsa")
USERS = ("alice", "bob", "harry", "mallory")


# Bob's server runs jupyterhub-singleuser as a subclass of the server app (its mode before
# Jupyter Server 2) rather than as an extension of it (the default with Jupyter Server 2).
LEGACY_USER = "bob"
LEGACY_SERVER = f"""
def _mode(spawner):
    if spawner.user.name == {LEGACY_USER!r}:
        spawner.environment = {{**spawner.environment, "JUPYTERHUB_SINGLEUSER_EXTENSION": "0"}}
c.Spawner.pre_spawn_hook = _mode
"""


def allowed(*users: str) -> str:
    """The hub's configuration beyond the settings: who may log in, and the user servers'
    arguments."""
    return (
        f"c.Authenticator.allowed_users = {set(users)!r}\n"
        "c.Authenticator.allow_existing_users = False\n"
        f"c.Spawner.args = ['--allow-root', *{USER_SERVER_ARGS!r}]\n"
        f"{LEGACY_SERVER}"
    )


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(
        tmp_path_factory.mktemp("revocation"),
        [KEY],
        extra_config=allowed(*USERS),
        auth_changes={"admin_users": ("admin",), "allow_all": False},
    ) as running:
        yield running


def restart(hub: Hub, extra_config: str, **auth_changes: Any) -> None:
    """Stop the hub, change its settings and configuration, start it on the same database
    (user servers keep running, as in a rollout of a new hub ConfigMap)."""
    running = hub.running
    running.stop_hub()
    path = running.workdir / "settings.json"
    settings = parse_settings(path.read_text())
    auth = dataclasses.replace(settings.auth, **auth_changes)
    path.write_text(dump_settings(dataclasses.replace(settings, auth=auth)))
    hub_config_file(running.workdir, extra_config)
    running.start_hub()


def signed_in(hub: Hub, user: str) -> requests.Session:
    """A browser that logged ``user`` in through the auth proxy's header and ID token."""
    browser = requests.Session()
    response = hub.login(user, sign(KEY.private, claims(user), "RS256", kid="rsa"), session=browser)
    assert response.status_code == 302, (user, response.status_code, response.text[:300])
    return browser


def copied(browser: requests.Session) -> requests.Session:
    """A second browser holding copies of every cookie the first one has."""
    copy = requests.Session()
    for cookie in browser.cookies:
        copy.cookies.set_cookie(cookie)
    return copy


def as_browser(
    hub: Hub, browser: requests.Session, method: str, path: str, **kwargs: Any
) -> requests.Response:
    """A hub API request with the browser's cookies (and its XSRF token, as pages send it)."""
    xsrf = browser.cookies.get("_xsrf", path="/hub/") or browser.cookies.get("_xsrf") or ""
    return browser.request(
        method,
        f"{hub.proxy_url}/hub/api{path}",
        headers={"X-XSRFToken": xsrf},
        allow_redirects=False,
        timeout=30,
        **kwargs,
    )


def with_token(hub: Hub, token: str, method: str, path: str) -> requests.Response:
    return requests.request(
        method,
        f"{hub.proxy_url}/hub/api{path}",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )


def who(hub: Hub, browser: requests.Session) -> str:
    """Whom the hub takes the browser for: ``name (admin)``, ``name``, or the status."""
    response = as_browser(hub, browser, "GET", "/user")
    if response.status_code != 200:
        return f"nobody ({response.status_code})"
    model = response.json()
    return f"{model['name']}{' (admin)' if model.get('admin') else ''}"


def token_on_purpose(hub: Hub, browser: requests.Session, user: str) -> str:
    """A token the user makes on the token page (the API, with their cookie)."""
    response = as_browser(
        hub, browser, "POST", f"/users/{user}/tokens", json={"note": "made on purpose"}
    )
    assert response.status_code == 201, (response.status_code, response.text[:300])
    return str(response.json()["token"])


def login_tokens(hub: Hub, user: str) -> int:
    """How many of the user's tokens came from an OAuth login (not the hub's own client)."""
    with sqlite3.connect(hub.running.workdir / "jupyterhub.sqlite") as db:
        (count,) = db.execute(
            "SELECT count(*) FROM api_tokens JOIN users ON users.id = api_tokens.user_id "
            "WHERE users.name = ? AND api_tokens.client_id != 'jupyterhub'",
            (user,),
        ).fetchone()
    return int(count)


def opens_own_server(hub: Hub, browser: requests.Session, user: str) -> None:
    """The browser opens the user's server: its OAuth login makes the server a token."""
    hub.running.start_server(user)
    # A page that needs a login (jupyter-server has no notebook UI here): OAuth, then 404.
    browser.get(f"{hub.proxy_url}/user/{user}/files/missing.txt", timeout=30)
    assert login_tokens(hub, user) >= 1, hub.running.hub_log()[-2000:]


def wait_until(what: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(0.2)
    return what()


def test_logout_ends_the_session(hub: Hub, report: Callable[[str, str], None]) -> None:
    alice = signed_in(hub, "alice")
    opens_own_server(hub, alice, "alice")
    kept = token_on_purpose(hub, alice, "alice")
    stolen = copied(alice)
    other_device = signed_in(hub, "alice")
    assert who(hub, stolen) == "alice"
    response = alice.get(f"{hub.proxy_url}/hub/logout", timeout=30)
    assert response.status_code == 200, response.status_code
    seen = who(hub, stolen)
    report("Alice logs out; a copy of her cookies from before is replayed", f"hub sees {seen}")
    assert seen.startswith("nobody")
    assert who(hub, other_device).startswith("nobody")
    report(
        "her tokens after logout",
        f"OAuth login tokens left {login_tokens(hub, 'alice')}; the token she made: "
        f"{with_token(hub, kept, 'GET', '/user').status_code}",
    )
    assert login_tokens(hub, "alice") == 0
    assert with_token(hub, kept, "GET", "/user").status_code == 200
    # Logging in again works, and is a new session.
    assert who(hub, signed_in(hub, "alice")) == "alice"


def on_server(hub: Hub, browser: requests.Session, user: str) -> int:
    """The status of an API request to the user's server with the browser's cookies: 200
    logged in, 403 not."""
    url = f"{hub.proxy_url}/user/{user}/api/status"
    return browser.get(url, allow_redirects=False, timeout=30).status_code


def test_pods_get_the_user_server_arguments() -> None:
    """The local servers below stand for KubeSpawner's: its pod has the same arguments."""
    pod = render_user_objects(
        dev_settings(),
        namespace="jupyterhub",
        user="alice",
        admin=False,
        profile="standard-notebook",
    )[0]
    container = pod["spec"]["containers"][0]
    assert container["args"][-len(USER_SERVER_ARGS) :] == list(USER_SERVER_ARGS)


@pytest.mark.parametrize("user", ["alice", LEGACY_USER])
def test_logout_closes_the_server_to_copies(
    hub: Hub, report: Callable[[str, str], None], user: str
) -> None:
    """The server's cookie holds an OAuth token that logout revokes; the server believes
    the hub's last answer about it for ``USER_SERVER_AUTH_CACHE_SECONDS``."""
    browser = signed_in(hub, user)
    opens_own_server(hub, browser, user)
    stolen = copied(browser)
    before = on_server(hub, stolen, user)
    assert before == 200, before
    assert browser.get(f"{hub.proxy_url}/hub/logout", timeout=30).status_code == 200
    logged_out = time.monotonic()
    while True:
        sent = time.monotonic() - logged_out
        status = on_server(hub, stolen, user)
        if status != 200 or sent >= USER_SERVER_AUTH_CACHE_SECONDS:
            break
        time.sleep(0.05)
    mode = "subclass" if user == LEGACY_USER else "extension"
    report(
        f"{user} logs out; a copy of the cookies of their server ({mode}) is replayed to it",
        f"before {before}; {status} for the replay sent {sent:.2f} s after the logout "
        f"(servers believe the hub for {USER_SERVER_AUTH_CACHE_SECONDS} s)",
    )
    assert status == 403, (sent, status)
    # Logging in again opens it again (through the server's OAuth).
    again = signed_in(hub, user)
    again.get(f"{hub.proxy_url}/user/{user}/files/missing.txt", timeout=30)
    assert on_server(hub, again, user) == 200


def test_admin_logs_a_user_out_everywhere(hub: Hub, report: Callable[[str, str], None]) -> None:
    alice = signed_in(hub, "alice")
    laptop, phone = copied(alice), signed_in(hub, "alice")
    opens_own_server(hub, alice, "alice")
    kept = token_on_purpose(hub, alice, "alice")
    bob = signed_in(hub, "bob")
    by_bob = as_browser(hub, bob, "DELETE", "/users/alice/sessions")
    assert by_bob.status_code == 403, by_bob.status_code
    missing = hub.running.api("DELETE", "/users/nobody/sessions")
    assert missing.status_code == 404, missing.status_code
    mark = hub.log_size()
    hostile = [
        hub.running.api("DELETE", f"/users/{name}/sessions").status_code
        for name in ("..%2Falice", "alice%0A%5BI%20forged", "%C3%A0lice", "a" * 300)
    ]
    log = hub.log_since(mark)
    assert hostile == [404] * 4 and "Traceback" not in log and "\n[I forged" not in log, log
    response = hub.running.api("DELETE", "/users/alice/sessions")
    assert response.status_code == 204, (response.status_code, response.text[:300])
    seen = [who(hub, browser) for browser in (alice, laptop, phone)]
    report(
        "an admin logs Alice out everywhere (DELETE /hub/api/users/alice/sessions)",
        f"her three browsers: {seen}; Bob asking: {by_bob.status_code}; no such user: "
        f"{missing.status_code}; hostile names {hostile}",
    )
    assert all(s.startswith("nobody") for s in seen), seen
    assert login_tokens(hub, "alice") == 0
    assert with_token(hub, kept, "GET", "/user").status_code == 200
    assert who(hub, bob) == "bob"


def test_settings_take_away_admin_and_access(hub: Hub, report: Callable[[str, str], None]) -> None:
    admin = signed_in(hub, "admin")
    harry = signed_in(hub, "harry")
    bob = signed_in(hub, "bob")
    mallory = signed_in(hub, "mallory")
    assert who(hub, admin) == "admin (admin)"
    harrys_token = token_on_purpose(hub, harry, "harry")
    hub.running.start_server("harry")

    # An admin made through the API, while the settings say admins are not managed there.
    granted = as_browser(hub, admin, "PATCH", "/users/bob", json={"admin": True})
    assert granted.status_code == 200 and granted.json()["admin"], granted.text[:300]
    seen = who(hub, bob)
    report("bob made admin through the API (admins not managed in the hub)", f"next: {seen}")
    assert seen == "bob"

    blocked = 'c.Authenticator.blocked_users = {"mallory"}\n'
    restart(hub, allowed("admin", "alice", "bob", "mallory") + blocked, admin_users=())
    old_cookie, page = who(hub, admin), admin.get(f"{hub.proxy_url}/hub/admin", timeout=30)
    new_login = who(hub, signed_in(hub, "admin"))
    report(
        "restarted without admin in admin_users",
        f"old cookie: {old_cookie}, /hub/admin {page.status_code}; new login: {new_login}",
    )
    assert old_cookie == "admin" and new_login == "admin" and page.status_code == 403

    seen_harry = who(hub, harry)
    spawn = as_browser(hub, harry, "POST", "/users/harry/server", json={})
    token = with_token(hub, harrys_token, "GET", "/user")
    stopped = wait_until(lambda: not hub.running.server_running("harry"))
    for_him = hub.running.api("POST", "/users/harry/server", json={})
    login = hub.login("harry", sign(KEY.private, claims("harry"), "RS256", kid="rsa"))
    report(
        "restarted without harry in allowed_users",
        f"old cookie: {seen_harry}, its spawn {spawn.status_code}; his token "
        f"{token.status_code}; spawned for him by an admin {for_him.status_code}; his "
        f"running server {'stopped' if stopped else 'still running'}; new login "
        f"{login.status_code}",
    )
    assert seen_harry.startswith("nobody") and spawn.status_code in (401, 403)
    assert token.status_code == 403 and for_him.status_code == 403
    assert stopped and login.status_code == 403
    assert "harry" in for_him.json().get("message", ""), for_him.text[:300]

    seen_mallory = who(hub, mallory)
    login = hub.login("mallory", sign(KEY.private, claims("mallory"), "RS256", kid="rsa"))
    report(
        "restarted with mallory in blocked_users",
        f"old cookie: {seen_mallory}; new login {login.status_code}",
    )
    assert seen_mallory.startswith("nobody") and login.status_code == 403

    # Admins managed in the hub: JupyterHub's own rule, an API grant stays.
    managed = {"admin_users": ("admin",), "admins_managed_in_hub": True}
    restart(hub, allowed("admin", "alice", "bob"), **managed)
    granted = as_browser(hub, admin, "PATCH", "/users/bob", json={"admin": True})
    assert granted.status_code == 200, granted.text[:300]
    next_request = who(hub, bob)
    restart(hub, allowed("admin", "alice", "bob"), **managed)
    after_restart = who(hub, bob)
    report(
        "bob made admin through the API with admins_managed_in_hub",
        f"next: {next_request}; after a restart: {after_restart}",
    )
    assert next_request == after_restart == "bob (admin)"
