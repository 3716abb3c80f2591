"""The hub's own LDAP login (``LdapLogin``: jupyterhub-ldapauthenticator 2.0.2's
``LDAPAuthenticator``) against a real directory: OpenLDAP's slapd (tests/support/ldap.py) on
127.0.0.1 seeded with people and groups, the real configurable-http-proxy and JupyterHub run
from the files the hub ConfigMap delivers, and the hub's login form filled in as a browser
does. The settings are the constructs' (an ``LdapLogin`` in a ``JupyterHub``); the search
account's password reaches the hub through its environment, as from its Secret."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cdk8s
import pytest
import requests

from constructs_lib import JupyterHub, LdapLogin, ProxyToken, SecretKeyRef
from hub_runtime.login_settings import LoginSettings
from tests.support.ldap import (
    GROUPS,
    PEOPLE,
    SEARCH_DN,
    SEARCH_PASSWORD,
    LdapPerson,
    Slapd,
    slapd,
)
from tests.support.processes import Deployment, deployment

pytestmark = pytest.mark.slow  # a directory, a proxy and a hub

STAFF = "staff"
ALICE = LdapPerson("alice", "alice-password", (STAFF,))
BOB = LdapPerson("bob", "bob-password")  # in the directory, in no allowed group
# Shares alice's password: a filter that matched more than one person would let a wildcard in.
ALINA = LdapPerson("alina", "alice-password", (STAFF,))
PEOPLE_OF_THE_DIRECTORY = [ALICE, BOB, ALINA]


def construct_login(server_url: str) -> LoginSettings:
    """The settings the constructs write for an LdapLogin of the test's directory."""
    chart = cdk8s.Chart(cdk8s.Testing.app(), "test", namespace="jupyterhub")
    login = LdapLogin(
        server_url=server_url,
        # The directory is on loopback, without TLS: the explicit choice the value offers.
        insecure_plaintext=True,
        user_search_base=PEOPLE,
        bind_dn=SEARCH_DN,
        bind_password=SecretKeyRef("hub-ldap", "password"),
        allowed_groups=[f"cn={STAFF},{GROUPS}"],
    )
    hub = JupyterHub(
        chart,
        "JupyterHub",
        proxy_token=ProxyToken.from_existing_secret("token"),
        authenticator=login,
        hosts=["hub.example.org"],
        mesh=None,
    ).hub
    assert hub.settings.login is not None
    return hub.settings.login


@dataclass
class Running:
    directory: Slapd
    hub: Deployment


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with (
        slapd(tmp_path_factory.mktemp("slapd"), PEOPLE_OF_THE_DIRECTORY) as directory,
        deployment(
            tmp_path_factory.mktemp("hub-ldap"),
            None,
            proxy_env={"HUB_LOGIN_BIND_PASSWORD": SEARCH_PASSWORD},
            login=construct_login(directory.url),
        ) as hub,
    ):
        yield Running(directory, hub)


def log_in(running: Running, username: str, password: str) -> tuple[requests.Session, int]:
    """The hub's login form, posted as a browser does (its XSRF token from the form's page)."""
    session = requests.Session()
    url = f"{running.hub.proxy_url}/hub/login"
    page = session.get(url, timeout=30)
    assert page.status_code == 200, page.text[:300]
    xsrf = session.cookies.get("_xsrf", path="/hub/") or session.cookies.get("_xsrf") or ""
    response = session.post(
        url,
        data={"username": username, "password": password, "_xsrf": xsrf},
        allow_redirects=False,
        timeout=30,
    )
    return session, response.status_code


def who(running: Running, session: requests.Session) -> str | None:
    session.get(f"{running.hub.proxy_url}/hub/home", allow_redirects=False, timeout=30)
    xsrf = session.cookies.get("_xsrf", path="/hub/") or session.cookies.get("_xsrf") or ""
    response = session.get(
        f"{running.hub.proxy_url}/hub/api/user", headers={"X-XSRFToken": xsrf}, timeout=30
    )
    return str(response.json()["name"]) if response.status_code == 200 else None


def hub_users(running: Running) -> set[str]:
    return {user["name"] for user in running.hub.api("GET", "/users").json()}


def test_login_form_is_the_hubs(running: Running) -> None:
    page = requests.get(f"{running.hub.proxy_url}/hub/login", timeout=30)
    assert 'name="password"' in page.text


def test_bind_and_search_log_in(running: Running) -> None:
    """The search account finds alice's DN by her uid, then her password binds as her."""
    session, status = log_in(running, "alice", ALICE.password)
    assert status == 302
    assert who(running, session) == "alice"
    assert "(uid=alice)" in running.directory.searches()


def test_person_outside_the_allowed_group_is_refused(running: Running) -> None:
    session, status = log_in(running, "bob", BOB.password)
    assert status != 302
    assert who(running, session) is None
    assert "bob" not in hub_users(running)
    # His password bound (he is in the directory); the group search found him in none.
    assert "User 'bob' not allowed." in running.hub.hub_log()
    assert f'filter="(|(member=uid=bob,{PEOPLE})' in running.directory.log.read_text()


def test_wrong_password_is_refused(running: Running) -> None:
    before = running.directory.log.read_text().count("RESULT tag=97 err=49")
    session, status = log_in(running, "alice", "not-her-password")
    assert status != 302
    assert who(running, session) is None
    # slapd refused the bind as her: invalidCredentials (49) for a BIND (tag 97).
    assert running.directory.log.read_text().count("RESULT tag=97 err=49") == before + 1


@pytest.mark.parametrize(
    "username",
    ["*", "al*", "alice)(uid=*", "*)(|(uid=*", "alice\\2a", "uid=alice,ou=people"],
)
def test_ldap_injection_in_the_user_name_is_refused(running: Running, username: str) -> None:
    """A user name that is an LDAP filter or DN fragment logs no one in, not even with the
    password of someone it would match, and never reaches the directory as a filter."""
    before = len(running.directory.searches())
    session, status = log_in(running, username, ALICE.password)
    assert status != 302, username
    assert who(running, session) is None
    assert hub_users(running) <= {"alice"}
    # Refused before any search: the directory never saw it.
    assert running.directory.searches()[before:] == []
    assert f"username:{username} Illegal characters in username" in running.hub.hub_log()
