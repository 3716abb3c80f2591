"""In a real browser (headless Chromium): real configurable-http-proxy, real JupyterHub with
the hub runtime, jupyter-server user servers, all on 127.0.0.1 and reached by hosts under
``.localhost``. Alice opens a page that Bob's server serves; its script acts on the hub as
her. With one origin for the hub and every server it succeeds (the gap this test keeps
proven); with per-user hosts every attempt fails."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.keys import Keys

from hub_runtime.config import origin_pattern
from hub_runtime.settings import USER_SERVER_ARGS, USER_SERVER_AUTH_CACHE_SECONDS, UserHostSettings
from tests.support.chromium import Chromium, chromium
from tests.support.processes import (
    Deployment,
    KeyPair,
    deployment,
    dev_settings,
    free_port,
    jwks_server,
)

pytestmark = pytest.mark.slow  # real proxy, hub, user servers and browser

KEY = KeyPair()
PAGES = Path(__file__).parent / "support" / "pages"
ALICE, BOB = "alice", "bob"
# The hub's service API lists tokens only with read:tokens; Bob lets Alice use his server
# (as a JupyterHub share does), for the hub's OAuth confirmation form.
TOKENS = f"""
c.JupyterHub.load_roles.append({{"name": "e2e-tokens", "services": ["e2e"],
    "scopes": ["read:tokens"]}})
c.JupyterHub.load_roles.append({{"name": "bob-shares", "users": [{ALICE!r}],
    "scopes": ["access:servers!user={BOB}"]}})
"""
HUB_HOSTS = ("hub.localhost",)
# The local user servers get the arguments the hub gives KubeSpawner's: the Origins they
# accept, and how long they believe the hub about a token.
ORIGINS = origin_pattern(replace(dev_settings(), public_hosts=HUB_HOSTS))
SERVER_ARGS = [
    f"--ServerApp.allow_origin_pat={ORIGINS}",
    *USER_SERVER_ARGS,
]
TOKENS += f"c.Spawner.args = ['--allow-root', *{SERVER_ARGS!r}]\n"
# The note of the tokens the attack page makes (attack.html).
TAKEN_NOTE = "taken by a page of another user"
ATTACKS = ("read_hub_page", "read_hub_api", "make_token", "stop_server")
# On the visitor's own server, which she has opened (its cookie is in her browser).
SERVER_ATTACKS = ("read_her_server", "open_her_websocket")


def identity(user: str) -> dict[str, str]:
    """What the auth proxy adds to the browser's requests for ``user``."""
    return {
        "X-Auth-Request-User": user,
        "Authorization": f"Bearer {KEY.token(user, expires_in=3000)}",
    }


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.fixture
def browser(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Chromium]:
    with chromium(tmp_path) as running:
        yield running
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            path = running.screenshot(request.node.name)
            console = running.console()
            print(
                f"screenshot: {path}\nbrowser console: {console}\nat: {running.driver.current_url}"
            )


def plant_attack(hub: Deployment) -> None:
    """Bob's server serves the attack page: his own extension, enabled by his own config."""
    home = hub.workdir / "home" / BOB
    (home / ".jupyter").mkdir(parents=True, exist_ok=True)
    for name in ("attack.html", "hostile_server.py"):
        (home / name).write_text((PAGES / name).read_text())
    (home / ".jupyter" / "jupyter_server_config.py").write_text(
        'c.ServerApp.jpserver_extensions = {"hostile_server": True}\n'
    )


def taken_tokens(hub: Deployment, user: str) -> int:
    """How many of ``user``'s API tokens the attack page made (by their note)."""
    response = hub.api("GET", f"/users/{user}/tokens")
    assert response.status_code == 200, response.text[:300]
    return sum(t["note"] == TAKEN_NOTE for t in response.json()["api_tokens"])


def run_attack(
    hub: Deployment, browser: Chromium, page_url: str, her_server: str
) -> dict[str, Any]:
    """Alice logs in, opens her running server (at ``her_server``), then Bob's page; what
    the page did."""
    plant_attack(hub)
    hub.start_server(ALICE)
    hub.start_server(BOB)
    log_in(browser, hub, ALICE)
    contents = f"{her_server}/user/{ALICE}/api/contents"
    assert browser.open(contents) == contents  # her server's cookie, through the hub's OAuth
    shown = browser.open(page_url)
    assert shown.startswith(page_url.split("?")[0]), shown
    results: dict[str, Any] = browser.page_json("result")
    return results


def log_in(browser: Chromium, hub: Deployment, user: str) -> None:
    """Log in at the hub through the auth proxy's headers. They go with that request only:
    the auth proxy adds them on the hub's paths alone, and on every request they would make
    each of the page's requests a CORS preflight, which no real browser sends."""
    browser.send_headers(identity(user))
    browser.open(hub_origin(hub) + "/hub/login")
    browser.send_headers({})


def hub_origin(hub: Deployment) -> str:
    return f"http://hub.localhost:{port_of(hub.proxy_url)}"


@pytest.fixture
def shared_origin(tmp_path: Path) -> Iterator[Deployment]:
    with (
        jwks_server([KEY]) as jwks_url,
        deployment(
            tmp_path / "hub", jwks_url, extra_config=TOKENS, public_hosts=HUB_HOSTS
        ) as running,
    ):
        yield running


def test_shared_origin_lets_a_users_page_act_as_the_visitor(
    shared_origin: Deployment, browser: Chromium
) -> None:
    """The gap: on the hub's origin, Bob's page reads Alice's hub pages and API, makes a token
    for her, reads her server's API, opens its websocket and stops her server."""
    hub = shared_origin
    origin = hub_origin(hub)
    results = run_attack(hub, browser, f"{origin}/user/{BOB}/attack?victim={ALICE}", origin)
    # Her server's API answers the page (a same-origin no-cors read, which skips the XSRF
    # check: attack.html says why) and her websocket opens (the Origin is the hub's, which her
    # server accepts).
    proven = (*ATTACKS, *SERVER_ATTACKS)
    assert {name: results[name]["ok"] for name in proven} == dict.fromkeys(proven, True), results
    assert taken_tokens(hub, ALICE) == 1
    assert not hub.server_running(ALICE)


USERS_DOMAIN = "users.localhost"


def user_origin(hub: Deployment, user: str) -> str:
    return f"http://{user}.{USERS_DOMAIN}:{port_of(hub.proxy_url)}"


@pytest.fixture
def per_user_hosts(tmp_path: Path) -> Iterator[Deployment]:
    ports = (free_port(), free_port(), free_port())
    hosts = UserHostSettings(
        hub_url=f"http://hub.localhost:{ports[0]}", user_url=f"http://*.{USERS_DOMAIN}:{ports[0]}"
    )
    with (
        jwks_server([KEY]) as jwks_url,
        deployment(
            tmp_path / "hub",
            jwks_url,
            ports=ports,
            extra_config=TOKENS,
            # As CHProxy runs it: each hop gets its target's Host, not the browser's.
            proxy_args=["--host-routing", "--change-origin"],
            public_hosts=HUB_HOSTS,
            user_hosts=hosts,
        ) as running,
    ):
        yield running


def test_per_user_hosts_stop_a_users_page_acting_as_the_visitor(
    per_user_hosts: Deployment, browser: Chromium
) -> None:
    """On his own host, Bob's page reaches neither the hub (CORS; a request sent blind fails
    the hub's XSRF check) nor Alice's server (CORS; her server refuses the websocket's
    Origin), and her server keeps running."""
    hub = per_user_hosts
    hers = user_origin(hub, ALICE)
    page = f"{user_origin(hub, BOB)}/user/{BOB}/attack?victim={ALICE}&hub={hub_origin(hub)}"
    results = run_attack(hub, browser, f"{page}&server={hers}", hers)
    every = (*ATTACKS, *SERVER_ATTACKS)
    assert {name: results[name]["ok"] for name in every} == dict.fromkeys(every, False), results
    assert taken_tokens(hub, ALICE) == 0
    assert hub.server_running(ALICE)


TOKEN_FORM_BOUND = (
    "window.require && require.defined('jquery') && !!(require('jquery')"
    "._data(document.getElementById('request-token-form'), 'events') || {}).submit"
)
KERNEL_IDLE = (
    "[...document.querySelectorAll('.jp-StatusBar-TextItem')]"
    ".some(item => item.textContent.includes('| Idle'))"
)


def open_lab(browser: Chromium, hub: Deployment, user: str) -> str:
    """``user`` logs in and opens JupyterLab on her server; returns the URL it shows."""
    hub.start_server(user)
    log_in(browser, hub, user)
    shown = browser.open(f"{hub_origin(hub)}/hub/user/{user}/lab")
    browser.element(".jp-LabShell", timeout=120)
    return shown


def test_jupyterlab_runs_code_in_a_kernel_on_the_users_host(
    per_user_hosts: Deployment, browser: Chromium
) -> None:
    """Alice's JupyterLab loads on her own host; a new notebook (the contents API, which
    needs the server's XSRF token) starts a kernel, which runs her code over its websocket."""
    hub = per_user_hosts
    shown = open_lab(browser, hub, ALICE)
    assert shown.startswith(f"{user_origin(hub, ALICE)}/user/{ALICE}/lab"), shown
    browser.element('.jp-LauncherCard[data-category="Notebook"]').click()
    # Her kernel up and its websocket open (the status bar says so), then her code.
    browser.wait_for(KERNEL_IDLE, timeout=180)
    browser.element(".jp-Notebook .jp-Cell .cm-content", timeout=120).click()
    browser.type_keys("import os; print(os.environ['JUPYTERHUB_USER'], 6 * 7)")
    browser.chord(Keys.SHIFT, Keys.ENTER)  # run the cell
    output = browser.element(".jp-OutputArea-output", timeout=120)
    assert output.text.strip() == f"{ALICE} 42"


def test_logout_at_the_hub_ends_access_to_her_server(
    per_user_hosts: Deployment, browser: Chromium
) -> None:
    """The hub cannot clear cookies of her server's host; logging out revokes the OAuth
    token they carry, and her server believes the hub about it for at most a second."""
    hub = per_user_hosts
    open_lab(browser, hub, ALICE)
    contents = f"{user_origin(hub, ALICE)}/user/{ALICE}/api/contents"
    # A query of its own each time, as JupyterLab's requests have: no answer from the cache.
    assert browser.open(f"{contents}?before") == f"{contents}?before"
    assert '"type": "directory"' in browser.driver.page_source
    browser.open(f"{hub_origin(hub)}/hub/logout")
    time.sleep(USER_SERVER_AUTH_CACHE_SECONDS + 1)
    browser.open(f"{contents}?after")
    assert '"type": "directory"' not in browser.driver.page_source
    shown = browser.open(f"{user_origin(hub, ALICE)}/user/{ALICE}/lab?after")
    assert shown.startswith(f"{hub_origin(hub)}/hub/login"), shown  # sent to log in again


def test_cookies_are_host_only_and_scoped_per_host(
    per_user_hosts: Deployment, browser: Chromium
) -> None:
    """No cookie has a Domain: the hub's login stays on the hub's host, each server's OAuth
    cookie and XSRF token on the server's host and path."""
    hub = per_user_hosts
    open_lab(browser, hub, ALICE)
    found = {(c["name"], c["domain"], c["path"]) for c in browser.all_cookies()}
    alice_host = f"{ALICE}.{USERS_DOMAIN}"
    assert found == {
        ("jupyterhub-hub-login", "hub.localhost", "/hub/"),
        # JupyterHub's session id has the domain of its public URL (for logout), so it
        # reaches the hub's subdomains, not the user servers' hosts.
        ("jupyterhub-session-id", ".hub.localhost", "/"),
        ("_xsrf", "hub.localhost", "/hub/"),
        (f"jupyterhub-user-{ALICE}", alice_host, f"/user/{ALICE}/"),
        ("_xsrf", alice_host, f"/user/{ALICE}/"),
    }, found


def test_the_hubs_forms_and_api_calls_pass_their_xsrf_checks(
    per_user_hosts: Deployment, browser: Chromium
) -> None:
    """On the hub's host, its token page's form asks the hub's API for a token (with the
    hub's XSRF token); on Bob's host, the OAuth confirmation form the hub shows for a
    shared server is posted back to the hub, which sends Alice on to Bob's server."""
    hub = per_user_hosts
    (hub.workdir / "home" / BOB).mkdir(parents=True, exist_ok=True)
    (hub.workdir / "home" / BOB / "hello.txt").write_text("hello from bob's server")
    hub.start_server(BOB)
    log_in(browser, hub, ALICE)
    browser.open(f"{hub_origin(hub)}/hub/token")
    # Its script has bound the form (token.js binds it once jQuery and the API client load).
    browser.wait_for(TOKEN_FORM_BOUND)
    browser.element("#request-token-form [type=submit]").click()
    browser.wait_for("document.getElementById('token-result').textContent.trim()")
    page = f"{user_origin(hub, BOB)}/user/{BOB}/files/hello.txt"
    shown = browser.open(page)
    assert shown.startswith(f"{hub_origin(hub)}/hub/api/oauth2/authorize"), shown
    assert browser.submit("form") == page
    assert "hello from bob's server" in browser.driver.page_source
