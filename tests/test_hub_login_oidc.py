"""``minimal``'s login end to end: the hub's own OpenID Connect login (``OidcLogin``) as
``dist/minimal`` configures it, against a real provider (node-oidc-provider,
tests/support/oidc.py) that adds the groups to its default scopes as Keycloak's group mapper
does, through the real configurable-http-proxy and JupyterHub run from the files the hub
ConfigMap delivers, with a client that follows redirects and fills in the provider's pages
as a browser does.

Four values of the synthesized login are pointed at the test's servers, past the
construct's check that an issuer be https: the issuer (the provider's, plain HTTP on
127.0.0.1), the callback (the proxy's port), the client id (the provider's) and how old auth
state may get (a second, not the written 300, so a test need not wait five minutes). The
provider issues refresh tokens and access tokens of a few seconds, as Keycloak does (with
5 minutes). The hub reads the client secret and the auth-state key from its environment, as
from their Secrets."""

from __future__ import annotations

import dataclasses
import html
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from hub_runtime.login_settings import LoginSettings
from hub_runtime.settings import HubSettings, parse_settings
from tests.support.manifests import ROOT, read_manifests
from tests.support.oidc import CLIENT_ID, CLIENT_SECRET, IdpUser, OidcProvider, oidc_provider
from tests.support.processes import Deployment, deployment, free_port

pytestmark = pytest.mark.slow  # a provider, a proxy and a hub


def minimal_settings() -> HubSettings:
    """The settings dist/minimal's hub ConfigMap holds."""
    (config_map,) = [
        m
        for m in read_manifests(ROOT / "dist" / "minimal")
        if m["kind"] == "ConfigMap" and "settings.json" in m.get("data", {})
    ]
    return parse_settings(config_map["data"]["settings.json"], source="dist/minimal")


def minimal_login() -> LoginSettings:
    """The login settings dist/minimal's hub ConfigMap holds."""
    login = minimal_settings().login
    assert login is not None, "dist/minimal's hub has no login of its own"
    return login


WRITTEN = minimal_login()
(STAFF,) = WRITTEN.traits["allowed_groups"]
(ADMINS,) = WRITTEN.traits["admin_groups"]
OTHER_CLIENT = "another-app"
# How often the hub asks the provider again about a logged-in person (300 s as written).
REFRESH_SECONDS = 1
# How long the provider's access tokens last; then the hub must use the refresh token.
ACCESS_SECONDS = 3
# Keycloak's group mapper puts the groups into the user info of its default scopes.
KEYCLOAK_LIKE_CLAIMS = {
    "openid": ["sub"],
    "profile": ["preferred_username", "name", "groups"],
    "email": ["email", "email_verified"],
}


def person(username: str, sub: str, *groups: str, **claims: Any) -> IdpUser:
    return IdpUser(
        username, sub, {"preferred_username": username, "groups": list(groups), **claims}
    )


# Every sub differs from the names, as at Keycloak (a UUID), Entra ID, Okta and Google.
ALICE = person("alice", "7c1d-0001", STAFF)
DANA = person("dana", "7c1d-0002", STAFF, ADMINS)
OLGA = person("olga", "7c1d-0003")  # in no group the hub allows
RITA = person("rita", "7c1d-0004", STAFF, ADMINS)  # loses admin at the provider
PAT = person("pat", "7c1d-0006", STAFF)  # made admin at the provider
SAM = person("sam", "7c1d-0007", STAFF)  # whose refresh token is revoked
# Another person who took the name "alice" at the provider (preferred_username is not unique).
IMPOSTOR = IdpUser("eve", "7c1d-0005", {"preferred_username": "alice", "groups": [STAFF]})
USERS = [ALICE, DANA, OLGA, RITA, IMPOSTOR, PAT, SAM]


def test_written_login_refreshes_auth_state() -> None:
    """What the tests below run with instead of the written age: the written login does
    refresh (300 s, JupyterHub's default, and before each spawn)."""
    assert WRITTEN.traits["enable_auth_state"] is True
    assert WRITTEN.traits["auth_refresh_age"] == 300
    assert WRITTEN.traits["refresh_pre_spawn"] is True


def replaced(user: IdpUser, by: IdpUser) -> list[IdpUser]:
    """The provider's users with ``user`` changed to ``by``."""
    return [by if each is user else each for each in USERS]


class Running:
    """The provider and the hub behind its proxy."""

    def __init__(self, idp: OidcProvider, hub: Deployment) -> None:
        self.idp = idp
        self.hub = hub

    @property
    def callback(self) -> str:
        return f"{self.hub.proxy_url}/hub/oauth_callback"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    ports = (free_port(), free_port(), free_port())
    callback = f"http://127.0.0.1:{ports[0]}/hub/oauth_callback"
    with oidc_provider(
        tmp_path_factory.mktemp("idp"),
        USERS,
        (callback,),
        (OTHER_CLIENT,),
        KEYCLOAK_LIKE_CLAIMS,
        access_token_seconds=ACCESS_SECONDS,
    ) as idp:
        login = dataclasses.replace(
            WRITTEN,
            traits={
                **WRITTEN.traits,
                "oauth_callback_url": callback,
                "client_id": CLIENT_ID,
                "auth_refresh_age": REFRESH_SECONDS,
            },
            discovery_issuer=idp.issuer,
        )
        with deployment(
            tmp_path_factory.mktemp("hub-oidc"),
            None,
            ports=ports,
            proxy_env={
                "HUB_LOGIN_CLIENT_SECRET": CLIENT_SECRET,
                "JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32),
            },
            login=login,
            metrics_require_auth=minimal_settings().metrics_require_auth,
        ) as hub:
            yield Running(idp, hub)


class Flow:
    """A browser's walk through the login: every hop's response, the callback's URL."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.callback_url: str | None = None
        self.final: requests.Response | None = None


def walk(
    flow: Flow,
    url: str,
    user: IdpUser | None,
    running: Running,
    stop_at_callback: bool = False,
) -> requests.Response:
    """Follow redirects from ``url`` as a browser does, logging ``user`` in and consenting
    at the provider's pages; stops at the hub's callback when asked (before it is used)."""
    response = flow.session.get(url, allow_redirects=False, timeout=30)
    for _ in range(20):
        if response.status_code in (301, 302, 303, 307):
            target = urljoin(response.url, response.headers["location"])
            if target.startswith(running.callback):
                flow.callback_url = target
                if stop_at_callback:
                    return response
            response = flow.session.get(target, allow_redirects=False, timeout=30)
            continue
        form = re.search(r'<form method="post" action="([^"]+)"', response.text)
        if response.status_code == 200 and form is not None and user is not None:
            action = urljoin(response.url, form.group(1))
            fields = {"username": user.username, "password": user.password}
            response = flow.session.post(
                action,
                data=fields if "/login" in action else {},
                allow_redirects=False,
                timeout=30,
            )
            continue
        break
    flow.final = response
    return response


def log_in(running: Running, user: IdpUser, flow: Flow | None = None) -> Flow:
    flow = flow or Flow()
    walk(flow, f"{running.hub.proxy_url}/hub/oauth_login?next=/hub/home", user, running)
    return flow


def text(response: requests.Response) -> str:
    return html.unescape(response.text)


def session_user(running: Running, flow: Flow) -> str | None:
    """The user the flow's cookies log in, or None (cookie auth needs the XSRF token, which
    /hub/home sets)."""
    session = flow.session
    session.get(f"{running.hub.proxy_url}/hub/home", allow_redirects=False, timeout=30)
    xsrf = session.cookies.get("_xsrf", path="/hub/") or session.cookies.get("_xsrf") or ""
    response = session.get(
        f"{running.hub.proxy_url}/hub/api/user", timeout=30, headers={"X-XSRFToken": xsrf}
    )
    if response.status_code in (401, 403):
        return None
    assert response.status_code == 200, (response.status_code, response.text[:300])
    return str(response.json()["name"])


def test_login_button_names_the_provider(running: Running) -> None:
    response = requests.get(f"{running.hub.proxy_url}/hub/login", timeout=30)
    assert response.status_code == 200
    assert "Sign in with OpenID Connect" in text(response)


def test_username_claim_and_groups_come_through(running: Running) -> None:
    flow = log_in(running, ALICE)
    assert flow.final is not None and flow.final.url.startswith(running.hub.proxy_url)
    assert session_user(running, flow) == "alice"
    model = running.hub.user_model("alice")
    assert model["groups"] == [STAFF]
    assert model["admin"] is False


def test_admin_group_makes_an_admin(running: Running) -> None:
    flow = log_in(running, DANA)
    assert session_user(running, flow) == "dana"
    assert running.hub.user_model("dana")["admin"] is True


def test_person_in_no_allowed_group_is_refused(running: Running) -> None:
    flow = log_in(running, OLGA)
    assert flow.final is not None
    assert flow.final.status_code == 403, (flow.final.status_code, text(flow.final)[:500])
    assert session_user(running, flow) is None
    assert running.hub.api("GET", "/users/olga").status_code == 404


def test_removed_group_loses_admin_and_auth_state_is_refreshed(running: Running) -> None:
    """The provider takes rita out of the admin group: the hub, asking the provider again
    (auth_refresh_age), keeps her tokens' user info up to date and unmakes her admin; a
    fresh login says the same."""
    flow = log_in(running, RITA)
    assert session_user(running, flow) == "rita"
    assert running.hub.user_model("rita")["admin"] is True
    before = running.hub.user_model("rita")["auth_state"]
    assert before["oauth_user"]["groups"] == [STAFF, ADMINS]
    demoted = person("rita", RITA.sub, STAFF)
    running.idp.change_users(replaced(RITA, demoted))
    try:
        time.sleep(REFRESH_SECONDS + 0.5)
        # Her next request refreshes her from the provider.
        assert session_user(running, flow) == "rita"
        model = running.hub.user_model("rita")
        assert model["auth_state"]["oauth_user"]["groups"] == [STAFF]
        assert model["auth_state"]["access_token"]
        assert model["admin"] is False and model["groups"] == [STAFF]
        again = log_in(running, demoted)
        assert session_user(running, again) == "rita"
        assert running.hub.user_model("rita")["admin"] is False
    finally:
        running.idp.change_users(USERS)


def test_expired_access_token_is_renewed_with_the_refresh_token(running: Running) -> None:
    """pat is made admin at the provider; once her access token has expired (the provider's
    userinfo refuses it), her next request makes the hub redeem her refresh token: a new
    access token, the new groups, admin, without a new login."""
    flow = log_in(running, PAT)
    assert session_user(running, flow) == "pat"
    before = running.hub.user_model("pat")
    assert before["admin"] is False
    assert before["auth_state"]["refresh_token"], "the provider issued no refresh token"
    promoted = person("pat", PAT.sub, STAFF, ADMINS)
    running.idp.change_users(replaced(PAT, promoted))
    try:
        time.sleep(ACCESS_SECONDS + 1)
        userinfo = running.idp.discovery()["userinfo_endpoint"]
        expired = requests.get(
            userinfo,
            headers={"Authorization": f"Bearer {before['auth_state']['access_token']}"},
            timeout=10,
        )
        assert expired.status_code == 401, expired.status_code
        assert session_user(running, flow) == "pat"
        after = running.hub.user_model("pat")
        assert after["auth_state"]["access_token"] != before["auth_state"]["access_token"]
        assert after["auth_state"]["refresh_token"]
        assert after["auth_state"]["oauth_user"]["groups"] == [STAFF, ADMINS]
        assert after["admin"] is True and after["groups"] == sorted([STAFF, ADMINS])
    finally:
        running.idp.change_users(USERS)


def test_revoked_refresh_token_sends_to_a_new_login(running: Running) -> None:
    """sam's refresh token is revoked at the provider (with its grant, so his access token
    too): at his next request the hub's refresh fails and he is logged out and sent to
    the login page, not shown an error; logging in again works."""
    flow = log_in(running, SAM)
    assert session_user(running, flow) == "sam"
    running.idp.revoke(running.hub.user_model("sam")["auth_state"]["refresh_token"])
    time.sleep(REFRESH_SECONDS + 0.5)
    home = flow.session.get(f"{running.hub.proxy_url}/hub/home", allow_redirects=False, timeout=30)
    assert home.status_code == 302, (home.status_code, text(home)[:300])
    assert urlsplit(home.headers["location"]).path == "/hub/login"
    assert session_user(running, flow) is None
    # The hub tried the refresh token and the provider refused it (OAuthenticator's
    # refresh_user, oauth2.py: "Error using refresh_token ... Requiring fresh login").
    assert "Error using refresh_token for sam" in running.hub.hub_log()
    again = log_in(running, SAM, flow)
    assert session_user(running, again) == "sam"
    assert running.hub.user_model("sam")["auth_state"]["refresh_token"]


def test_logout_ends_the_session(running: Running) -> None:
    flow = log_in(running, ALICE)
    copy = requests.Session()
    copy.cookies.update(flow.session.cookies)
    assert session_user(running, flow) == "alice"
    response = flow.session.get(f"{running.hub.proxy_url}/hub/logout", timeout=30)
    assert response.status_code == 200
    assert session_user(running, flow) is None
    # A copy of the login cookie kept from before logs no one in either.
    stale = Flow()
    stale.session = copy
    assert session_user(running, stale) is None


def test_forged_state_is_refused(running: Running) -> None:
    flow = Flow()
    walk(flow, f"{running.hub.proxy_url}/hub/oauth_login", ALICE, running, stop_at_callback=True)
    assert flow.callback_url is not None
    query = parse_qs(urlsplit(flow.callback_url).query)
    forged = f"{running.callback}?code={query['code'][0]}&state=forged-{secrets.token_hex(8)}"
    response = flow.session.get(forged, allow_redirects=False, timeout=30)
    assert response.status_code == 400, (response.status_code, text(response)[:300])
    assert "OAuth state mismatch" in text(response)
    assert session_user(running, flow) is None


def test_replayed_code_is_refused(running: Running) -> None:
    flow = Flow()
    walk(flow, f"{running.hub.proxy_url}/hub/oauth_login", ALICE, running, stop_at_callback=True)
    assert flow.callback_url is not None
    # Someone who saw the callback (its code, its state cookie) replays it after the login.
    thief = requests.Session()
    thief.cookies.update(flow.session.cookies)
    assert flow.session.get(flow.callback_url, allow_redirects=False, timeout=30).status_code == 302
    assert session_user(running, flow) == "alice"
    replayed = thief.get(flow.callback_url, allow_redirects=False, timeout=30)
    assert replayed.status_code == 403, (replayed.status_code, text(replayed)[:300])
    stolen = Flow()
    stolen.session = thief
    assert session_user(running, stolen) is None


def test_code_for_another_client_is_refused(running: Running) -> None:
    """A code the provider issued to another application (another audience), brought to
    the hub's callback with the hub's own state: the provider refuses it to the hub."""
    flow = Flow()
    walk(flow, f"{running.hub.proxy_url}/hub/oauth_login", ALICE, running, stop_at_callback=True)
    assert flow.callback_url is not None
    state = parse_qs(urlsplit(flow.callback_url).query)["state"][0]
    other = Flow()
    other.session = flow.session
    walk(
        other,
        f"{running.idp.issuer}/auth?client_id={OTHER_CLIENT}&response_type=code"
        f"&scope=openid&redirect_uri={running.callback}&state={state}",
        ALICE,
        running,
        stop_at_callback=True,
    )
    assert other.callback_url is not None and other.callback_url != flow.callback_url
    response = flow.session.get(other.callback_url, allow_redirects=False, timeout=30)
    assert response.status_code == 403, (response.status_code, text(response)[:300])
    assert session_user(running, flow) is None


def test_metrics_need_a_token_through_the_proxy(running: Running) -> None:
    """``minimal``'s hub logs users in itself, so its proxy is open to anyone: its metrics
    answer only a ``read:metrics`` token, not a visitor, not a signed-in user."""
    url = f"{running.hub.proxy_url}/hub/metrics"
    assert requests.get(url, timeout=30).status_code == 403
    flow = log_in(running, ALICE)
    assert flow.session.get(url, timeout=30).status_code == 403


def test_client_secret_is_not_in_the_settings(running: Running) -> None:
    settings = (running.hub.workdir / "settings.json").read_text()
    assert CLIENT_SECRET not in settings
    assert "HUB_LOGIN_CLIENT_SECRET" in settings


def test_another_person_with_the_name_is_refused(running: Running) -> None:
    """alice's account is bound to her sub at her first login: eve, who calls herself alice
    at the provider, gets 403, not alice's account."""
    assert session_user(running, log_in(running, ALICE)) == "alice"
    flow = log_in(running, IMPOSTOR)
    assert flow.final is not None
    assert flow.final.status_code == 403, (flow.final.status_code, text(flow.final)[:300])
    assert "belongs to another person" in text(flow.final)
    assert session_user(running, flow) is None
