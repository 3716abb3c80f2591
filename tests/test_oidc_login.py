"""Logins with ID tokens a real OpenID provider issued: node-oidc-provider (tests/support/oidc.py)
stands in for Keycloak, Entra ID, Okta, Google or Dex, and the requests to /hub/login stand
in for oauth2-proxy with ``--provider=oidc --pass-authorization-header``, which sends the
token's ``sub`` in ``X-Auth-Request-User`` and the ID token as ``Authorization: Bearer``.
The hub is the real JupyterHub behind configurable-http-proxy, with ``dist/dev``'s settings
(admins by the ``jupyterhub-admins`` group) and its keys from the provider's own JWKS
endpoint. The provider's issuer is plain HTTP on loopback: the settings are written here,
past ``HeaderTrust``'s check that an issuer be https."""

from __future__ import annotations

import html
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests

from tests.support.commands import said
from tests.support.oidc import CLIENT_ID, IdpUser, OidcProvider, oidc_provider
from tests.support.processes import Deployment, deployment, dev_settings

pytestmark = pytest.mark.slow  # a provider, a proxy and a hub

# Keys are cached this long here (300 s by default), so a withdrawn key is seen within a test.
MAX_AGE = 2
(ADMIN_GROUP,) = dev_settings().auth.admin_groups
STAFF = "staff"


def person(username: str, sub: str, name: str | None = None, **claims: object) -> IdpUser:
    return IdpUser(
        username, sub, {"preferred_username": name or username, "groups": [STAFF], **claims}
    )


# Every sub differs from the names, as at Keycloak (a UUID), Entra ID, Okta and Google.
ALICE = person("alice", "5b0e3f1c-0001-alice")
DANA = person("dana", "5b0e3f1c-0002-dana", groups=[STAFF, ADMIN_GROUP])
# Calls themselves "admin" at the provider, in no admin group.
NAMED_ADMIN = person("admin", "5b0e3f1c-0003-admin")
# preferred_username is not unique: another person who took the name "alice".
IMPOSTOR = person("eve", "5b0e3f1c-0004-eve", name="alice")
BOB = person("bob", "5b0e3f1c-0005-bob")
BOB_AGAIN = person("bob2", "5b0e3f1c-0006-bob", name="bob")  # bob's account, re-created
OUTSIDER = person("olga", "5b0e3f1c-0007-olga", groups=[])
ODD_GROUPS = person("gina", "5b0e3f1c-0008-gina", groups="staff")
USERS = [ALICE, DANA, NAMED_ADMIN, IMPOSTOR, BOB, BOB_AGAIN, OUTSIDER, ODD_GROUPS]


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    with oidc_provider(tmp_path_factory.mktemp("idp"), USERS) as provider:
        yield provider


@pytest.fixture(scope="module")
def hub(idp: OidcProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployment(
        tmp_path_factory.mktemp("oidc-hub"),
        idp.jwks_url,
        jwt_changes={
            "issuer": idp.issuer,
            "audience": CLIENT_ID,
            "jwks_max_age_seconds": MAX_AGE,
        },
        auth_changes={"allowed_groups": (STAFF,), "allow_all": False},
    ) as running:
        yield running


def login(
    hub: Deployment, header: str, token: str, session: requests.Session | None = None
) -> requests.Response:
    """GET /hub/login as oauth2-proxy forwards it; the error page's text unescaped."""
    response = (session or requests.Session()).get(
        f"{hub.proxy_url}/hub/login",
        headers={"X-Auth-Request-User": header, "Authorization": f"Bearer {token}"},
        allow_redirects=False,
        timeout=30,
    )
    response.encoding = "utf-8"
    response._content = html.unescape(response.text).encode()
    return response


def wait_until(check: object, timeout: float, what: str) -> float:
    """Seconds until ``check()`` held; fails after ``timeout``."""
    began = time.monotonic()
    while not check():  # type: ignore[operator]
        if time.monotonic() - began > timeout:
            raise AssertionError(f"{what} after {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - began


def test_header_naming_the_sub_logs_in_the_token_user_claim(
    idp: OidcProvider, hub: Deployment
) -> None:
    """oauth2-proxy's X-Auth-Request-User for --provider=oidc is the sub: the account is the
    ID token's preferred_username, and the session stays (the header never names the account)."""
    session = requests.Session()
    token = idp.id_token(ALICE)
    response = login(hub, ALICE.sub, token, session)
    assert response.status_code == 302, (response.status_code, response.text[:300])
    # oauth2-proxy sends both with every request: the cookie's user stays, as the same person.
    session.headers.update({"X-Auth-Request-User": ALICE.sub, "Authorization": f"Bearer {token}"})
    assert hub.session_user(session) == "alice"
    assert hub.session_user(session) == "alice"


def test_header_naming_the_user_claim_logs_in(idp: OidcProvider, hub: Deployment) -> None:
    """oauth2-proxy with --prefer-email-to-user, or a proxy set to send the name claim."""
    session = requests.Session()
    assert login(hub, "alice", idp.id_token(ALICE), session).status_code == 302
    assert hub.session_user(session) == "alice"


def test_header_naming_someone_else_is_401_saying_what_it_compared(
    idp: OidcProvider, hub: Deployment
) -> None:
    """A client that sends its own header beside someone's token."""
    for header in ("dana", BOB.sub):
        response = login(hub, header, idp.id_token(ALICE))
        assert response.status_code == 401, response.text[:300]
        compared = (
            f"X-Auth-Request-User '{header}' is neither the ID token's sub '{ALICE.sub}' "
            "nor its preferred_username 'alice'"
        )
        assert compared in response.text
        assert compared in hub.hub_log()


def test_admins_come_from_the_admin_group_not_from_a_name(
    idp: OidcProvider, hub: Deployment
) -> None:
    """dev: whoever calls themselves admin is an ordinary user; the group's members admins."""
    assert login(hub, NAMED_ADMIN.sub, idp.id_token(NAMED_ADMIN)).status_code == 302
    assert hub.user_model("admin")["admin"] is False
    assert login(hub, DANA.sub, idp.id_token(DANA)).status_code == 302
    assert hub.user_model("dana")["admin"] is True


def test_leaving_the_admin_group_ends_admin_rights_at_the_next_login(
    idp: OidcProvider, hub: Deployment
) -> None:
    """An administrator at the provider removes the person from the admin group."""
    assert login(hub, DANA.sub, idp.id_token(DANA)).status_code == 302
    assert hub.user_model("dana")["admin"] is True
    demoted = person(DANA.username, DANA.sub)
    idp.change_users([demoted if user is DANA else user for user in USERS])
    try:
        assert login(hub, DANA.sub, idp.id_token(demoted)).status_code == 302
        assert hub.user_model("dana")["admin"] is False
    finally:
        idp.change_users(USERS)


def test_only_allowed_groups_get_in(idp: OidcProvider, hub: Deployment) -> None:
    """allowed_groups with allow_all off: a person in none of them is refused, and is bound
    to no account (no squatting on a name before its owner's first login)."""
    response = login(hub, OUTSIDER.sub, idp.id_token(OUTSIDER))
    assert response.status_code == 403, response.text[:300]
    assert "olga" not in {user["name"] for user in hub.api("GET", "/users").json()}
    listed = bindings(hub, "list")
    assert listed.returncode == 0, said(listed)
    assert "olga" not in listed.stdout and OUTSIDER.sub not in listed.stdout


def test_groups_claim_not_a_list_is_403_with_the_reason(idp: OidcProvider, hub: Deployment) -> None:
    """A provider whose group mapper sends one string instead of a list: no guessing."""
    response = login(hub, ODD_GROUPS.sub, idp.id_token(ODD_GROUPS))
    assert response.status_code == 403, response.text[:300]
    assert "the ID token's groups claim is not a list of names" in response.text


def test_another_person_with_the_same_name_is_refused_also_after_a_restart(
    idp: OidcProvider, hub: Deployment
) -> None:
    """Someone who renamed themselves "alice" at the provider: the account is bound to the
    person who first logged in to it (issuer and sub), in the hub's database."""
    assert login(hub, ALICE.sub, idp.id_token(ALICE)).status_code == 302
    for _ in range(2):
        response = login(hub, IMPOSTOR.sub, idp.id_token(IMPOSTOR))
        assert response.status_code == 403, response.text[:300]
        assert "account 'alice' belongs to another person" in response.text
        assert f"the token is of subject '{IMPOSTOR.sub}'" in hub.hub_log()
        hub.stop_hub()
        hub.start_hub()
    assert login(hub, ALICE.sub, idp.id_token(ALICE)).status_code == 302


def bindings(hub: Deployment, *command: str) -> subprocess.CompletedProcess[str]:
    """The operator's command, run as in the hub's container: the delivered module as a
    file, against the hub's database."""
    script = hub.workdir / "config" / "hub_runtime" / "bindings.py"
    database = f"sqlite:///{hub.workdir / 'jupyterhub.sqlite'}"
    return subprocess.run(
        [sys.executable, str(script), "--db-url", database, *command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_operator_releases_an_account_for_another_person(
    idp: OidcProvider, hub: Deployment
) -> None:
    """bob's identity at the provider was re-created (a new sub): refused until an operator
    releases the account, then bound to the new person, and the old one is refused."""
    assert login(hub, BOB.sub, idp.id_token(BOB)).status_code == 302
    assert login(hub, BOB_AGAIN.sub, idp.id_token(BOB_AGAIN)).status_code == 403
    done = bindings(hub, "release", "bob")
    assert done.returncode == 0, said(done)
    assert f"released 'bob' (was bound to issuer '{idp.issuer}', subject '{BOB.sub}'" in done.stdout
    session = requests.Session()
    assert login(hub, BOB_AGAIN.sub, idp.id_token(BOB_AGAIN), session).status_code == 302
    assert hub.session_user(session) == "bob"
    assert login(hub, BOB.sub, idp.id_token(BOB)).status_code == 403
    listed = bindings(hub, "list").stdout
    assert f"bob\t{idp.issuer}\t{BOB_AGAIN.sub}\t" in listed, listed
    again = bindings(hub, "release", "nobody")
    assert again.returncode == 1, said(again)
    assert "'nobody' is bound to no one: nothing to release" in again.stderr


def test_withdrawn_key_stops_working_within_the_max_age(idp: OidcProvider, hub: Deployment) -> None:
    """The provider rotates its signing key and withdraws the old one: a token it signed
    before is refused within jwks_max_age_seconds (plus a request's time), and tokens signed
    with the new key are accepted."""
    before = idp.id_token(ALICE)
    assert login(hub, ALICE.sub, before).status_code == 302
    idp.rotate(f"key-{time.monotonic_ns()}")
    took = wait_until(
        lambda: login(hub, ALICE.sub, before).status_code == 401,
        MAX_AGE + 5,
        "the withdrawn key still verifies",
    )
    assert took <= MAX_AGE + 1, took
    assert "Rejected proof for" in hub.hub_log() and "unknown key id" in hub.hub_log()
    after = idp.id_token(ALICE)
    wait_until(
        lambda: login(hub, ALICE.sub, after).status_code == 302,
        MAX_AGE + 1,
        "the new key does not verify",
    )


def test_unreachable_jwks_never_fails_open(idp: OidcProvider, hub: Deployment) -> None:
    """The provider is down: once the cached keys are older than the max age, a token that
    was valid is 401 (not a login, not a 500), and logins work again soon after it is back."""
    token = idp.id_token(ALICE)
    assert login(hub, ALICE.sub, token).status_code == 302
    mark = len(hub.hub_log())
    idp.stop()
    try:
        time.sleep(MAX_AGE + 0.5)
        for _ in range(3):
            response = login(hub, ALICE.sub, token)
            assert response.status_code == 401, (response.status_code, response.text[:300])
        log = hub.hub_log()[mark:]
        assert "no keys younger than 2 s: cannot load keys from" in log, log[-2000:]
        assert "Traceback" not in log and " 500 " not in log, log[-2000:]
    finally:
        idp.start()
    # After a failed fetch the hub tries again at most every 10 s.
    back = idp.id_token(ALICE)
    wait_until(
        lambda: login(hub, ALICE.sub, back).status_code == 302, 12, "no login once it is back"
    )


# Google issues no preferred_username: the account is the verified email.
GOOGLE_LIKE = IdpUser(
    "gus", "104920000000000000001", {"email": "gus@example.org", "email_verified": True}
)
UNVERIFIED = IdpUser(
    "uma", "104920000000000000002", {"email": "uma@example.org", "email_verified": False}
)


def test_email_as_the_user_claim(tmp_path_factory: pytest.TempPathFactory) -> None:
    """HeaderTrust.jwt_proof(user_claim="email"), as for Google: the account is the email,
    and a token whose email is not verified is refused."""
    with (
        oidc_provider(tmp_path_factory.mktemp("idp-email"), [GOOGLE_LIKE, UNVERIFIED]) as idp,
        deployment(
            tmp_path_factory.mktemp("email-hub"),
            idp.jwks_url,
            jwt_changes={"issuer": idp.issuer, "audience": CLIENT_ID, "user_claim": "email"},
        ) as hub,
    ):
        session = requests.Session()
        assert login(hub, GOOGLE_LIKE.sub, idp.id_token(GOOGLE_LIKE), session).status_code == 302
        assert hub.session_user(session) == "gus@example.org"
        response = login(hub, UNVERIFIED.sub, idp.id_token(UNVERIFIED))
        assert response.status_code == 403, response.text[:300]
        assert "the ID token's email is not verified" in response.text
