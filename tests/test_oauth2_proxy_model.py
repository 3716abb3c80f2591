"""The model of oauth2-proxy v7.15.3 (``tests.support.oauth2_proxy``) against the behaviour of its
source: one test per start-up refusal (the messages of ``pkg/validation``), the session it
makes from an ID token (``providers/provider_data.go``, ``providers/oidc.go``), and the
headers of its ``/auth`` answer (``pkg/apis/options/legacy_options.go``)."""

from __future__ import annotations

import base64
import time
from dataclasses import replace
from typing import Any

import pytest

from tests.adversarial.kit import KeyPair, sign
from tests.support.oauth2_proxy import (
    InvalidConfiguration,
    OAuth2Proxy,
    Refused,
    TokenResponse,
    parse_duration,
    secret_bytes,
)
from tests.support.oauth2_proxy_options import FLAGS

ISSUER = "https://idp.example.org"
KEY = KeyPair("model")
OTHER = KeyPair("other")
# A 32-byte secret, URL-safe base64 (what `openssl rand -base64 32 | tr -- '+/' '-_'` makes).
COOKIE_SECRET = base64.urlsafe_b64encode(bytes(range(32))).decode()
BASE = (
    "--provider=oidc",
    f"--oidc-issuer-url={ISSUER}",
    "--client-id=jupyterhub",
    "--client-secret=s3cret",
    f"--cookie-secret={COOKIE_SECRET}",
    "--email-domain=example.org",
    "--set-xauthrequest",
    "--set-authorization-header",
)


def proxy(*extra: str, drop: tuple[str, ...] = (), **model: Any) -> OAuth2Proxy:
    args = [a for a in BASE if a.split("=", 1)[0].lstrip("-") not in drop]
    return OAuth2Proxy([*args, *extra], keys=KEY.private.public_key(), **model)


def tokens(key: KeyPair = KEY, **claims: Any) -> TokenResponse:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": "jupyterhub",
        "sub": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        "preferred_username": "alice",
        "email": "alice@example.org",
        "groups": ["staff", "gpu"],
        "iat": now,
        "exp": now + 300,
        **claims,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    return TokenResponse(sign(key.private, payload, "RS256", kid=key.kid), access_token="at")


def refusal(*args: str, drop: tuple[str, ...] = (), config: str = "") -> str:
    kept = [a for a in BASE if a.split("=", 1)[0].lstrip("-") not in drop]
    with pytest.raises(InvalidConfiguration) as error:
        OAuth2Proxy([*kept, *args], config=config)
    return str(error.value)


# -- defaults are the program's --------------------------------------------------------


def test_defaults_are_the_programs() -> None:
    started = proxy()
    assert started.flag("proxy-prefix") == "/oauth2"
    assert started.flag("cookie-path") == "/"
    assert started.flag("cookie-refresh") == "0s"
    assert started.flag("cookie-expire") == "168h0m0s"
    assert started.flag("oidc-groups-claim") == "groups"
    assert started.flag("http-address") == "127.0.0.1:4180"
    assert started.email_claim == "email"
    assert FLAGS["provider"].default == "google"


def test_config_file_environment_and_flags_in_viper_order() -> None:
    started = OAuth2Proxy(
        [*BASE, "--cookie-name=from-flag"],
        config='cookie_name = "from-file"\nemail_domains = ["*"]\nupstreams = ["file:///dev/null"]\n',
        env={"OAUTH2_PROXY_COOKIE_NAME": "from-env", "OAUTH2_PROXY_PROXY_PREFIX": "/env"},
    )
    assert started.cookie_name == "from-flag"
    assert started.prefix == "/env"
    # --email-domain given on the command line wins over the file's.
    assert started.flag("email-domain") == ("example.org",)


# -- start-up refusals -----------------------------------------------------------------


def test_fails_without_an_email_rule() -> None:
    assert refusal(drop=("email-domain",)) == (
        "invalid configuration:\n  missing setting for email validation: email-domain or "
        "authenticated-emails-file required.\n      use email-domain=* to authorize all email "
        "addresses"
    )


def test_an_allowed_group_is_no_email_rule() -> None:
    assert "missing setting for email validation" in refusal(
        "--allowed-group=staff", drop=("email-domain",)
    )


def test_fails_without_a_cookie_secret() -> None:
    assert refusal(drop=("cookie-secret",)) == (
        "invalid configuration:\n  missing setting: cookie-secret or cookie-secret-file"
    )


def test_fails_on_a_standard_base64_cookie_secret() -> None:
    """`openssl rand -base64 32` without the `tr`: '+' or '/' make it no URL-safe base64, so
    its 44 characters are taken as they are."""
    secret = base64.b64encode(bytes([251] * 32)).decode()
    assert "+" in secret or "/" in secret
    assert refusal(f"--cookie-secret={secret}") == (
        "invalid configuration:\n  cookie_secret must be 16, 24, or 32 bytes to create an AES "
        "cipher, but is 44 bytes"
    )


def test_cookie_secret_lengths() -> None:
    assert secret_bytes("x" * 16) == b"x" * 16
    assert secret_bytes(COOKIE_SECRET) == bytes(range(32))
    assert len(secret_bytes(base64.urlsafe_b64encode(bytes(24)).decode().rstrip("="))) == 24


def test_fails_when_cookie_refresh_is_not_below_cookie_expire() -> None:
    assert refusal("--cookie-refresh=2h", "--cookie-expire=1h") == (
        'invalid configuration:\n  cookie_refresh ("2h") must be less than cookie_expire ("1h")'
    )


def test_fails_on_a_bad_samesite() -> None:
    assert refusal("--cookie-samesite=loose") == (
        "invalid configuration:\n  cookie_samesite (\"loose\") must be one of ['', 'lax', "
        "'strict', 'none']"
    )


def test_fails_without_a_client_id() -> None:
    assert refusal(drop=("client-id",)) == (
        "invalid configuration:\n  provider missing setting: client-id"
    )


def test_fails_without_a_client_secret() -> None:
    assert refusal(drop=("client-secret",)) == (
        "invalid configuration:\n  missing setting: client-secret or client-secret-file"
    )


def test_fails_with_minimal_cookies_and_tokens_in_headers() -> None:
    assert refusal("--session-cookie-minimal", "--cookie-refresh=1m") == (
        "invalid configuration:\n"
        '  id_token claim for header "Authorization" requires oauth tokens in sessions. '
        "session_cookie_minimal cannot be set\n"
        "  cookie_refresh > 0 requires oauth tokens in sessions. session_cookie_minimal "
        "cannot be set"
    )


def test_fails_without_an_issuer() -> None:
    assert refusal(drop=("oidc-issuer-url",)).endswith("missing required setting: issuer-url")


def test_other_providers_are_not_modelled() -> None:
    with pytest.raises(NotImplementedError):
        OAuth2Proxy([a for a in BASE if not a.startswith("--provider=")])


def test_fails_on_an_unknown_flag() -> None:
    assert refusal("--user-claim=preferred_username") == (
        "failed to parse flags: unknown flag: --user-claim"
    )


def test_fails_on_a_single_dash_flag() -> None:
    assert refusal("-cookie-secure=false") == (
        "failed to parse flags: unknown shorthand flag: 'c' in -cookie-secure=false"
    )


def test_csrf_cookie_lives_its_own_time() -> None:
    (csrf,) = proxy().start()
    assert "Max-Age=900" in csrf


def test_fails_on_an_unknown_config_key() -> None:
    assert refusal(config='user_claim = "x"\n') == (
        "failed to load config: error unmarshalling config: '' has invalid keys: user_claim"
    )


def test_fails_on_a_bad_duration() -> None:
    assert refusal("--cookie-refresh=4 minutes") == (
        'invalid argument "4 minutes" for "--cookie-refresh": time: invalid duration "4 minutes"'
    )
    assert parse_duration("1h30m") == 5400


# -- the session from the ID token ------------------------------------------------------


def test_user_is_the_sub_claim() -> None:
    session = proxy().session_from(tokens())
    assert session.user == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
    assert session.preferred_username == "alice"
    assert session.email == "alice@example.org"
    assert session.groups == ["staff", "gpu"]


def test_user_id_claim_only_renames_the_email_claim() -> None:
    """The deprecated --user-id-claim=preferred_username (the old guide's) makes the *email*
    "alice", which the email rule then refuses; the user header stays the sub."""
    started = proxy("--user-id-claim=preferred_username")
    session = started.session_from(tokens())
    assert (session.user, session.email) == ("f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "alice")
    with pytest.raises(Refused) as error:
        started.headers_for(tokens())
    assert error.value.status == 403


def test_oidc_email_claim_wins_over_user_id_claim() -> None:
    started = proxy("--oidc-email-claim=upn", "--user-id-claim=preferred_username")
    assert started.session_from(tokens(upn="a@example.org")).email == "a@example.org"


def test_groups_claim_and_a_single_group() -> None:
    started = proxy("--oidc-groups-claim=roles")
    assert started.session_from(tokens(roles="admins")).groups == ["admins"]


def test_unverified_email_is_refused() -> None:
    with pytest.raises(Refused) as error:
        proxy().session_from(tokens(email_verified=False))
    assert error.value.message == "email in id_token (alice@example.org) isn't verified"
    allowed = proxy("--insecure-oidc-allow-unverified-email")
    assert allowed.session_from(tokens(email_verified=False)).email == "alice@example.org"


def test_no_email_is_refused_unless_userinfo_has_it() -> None:
    with pytest.raises(Refused) as error:
        proxy().session_from(tokens(email=None))
    assert error.value.message == "neither the id_token nor the profileURL set an email"
    session = proxy().session_from(tokens(email=None), userinfo={"email": "a@example.org"})
    assert session.email == "a@example.org"


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (lambda: tokens(iss="https://evil.example.org"), "issued by a different provider"),
        (lambda: tokens(aud="another-client"), "does not match with any of allowed audiences"),
        (lambda: tokens(exp=int(time.time()) - 1), "token is expired"),
        (lambda: tokens(key=OTHER), "Signature verification failed"),
        (lambda: TokenResponse("not.a.jwt"), "failed to verify token"),
        (lambda: TokenResponse(""), "token response did not contain an id_token"),
    ],
)
def test_forged_or_stale_id_tokens_make_no_session(token: Any, why: str) -> None:
    with pytest.raises(Refused) as error:
        proxy().session_from(token())
    assert why in error.value.message


@pytest.mark.parametrize(
    ("domains", "email", "allowed"),
    [
        ("example.org", "Alice@Example.org", True),
        ("example.org", "alice@sub.example.org", False),
        (".example.org", "alice@sub.example.org", True),
        ("example.org", "alice@example.org@evil.org", False),
        ("*", "anyone@anywhere", True),
    ],
)
def test_email_domains(domains: str, email: str, allowed: bool) -> None:
    started = proxy(f"--email-domain={domains}", drop=("email-domain",))
    assert started.email_allowed(email) is allowed


def test_allowed_groups() -> None:
    started = proxy("--allowed-group=gpu")
    assert started.scope == "openid email profile groups"
    assert started.headers_for(tokens())
    with pytest.raises(Refused):
        started.headers_for(tokens(groups=["staff"]))


# -- the /auth answer's headers ---------------------------------------------------------


def test_set_xauthrequest_and_authorization_headers() -> None:
    token = tokens()
    assert proxy().headers_for(token) == {
        "X-Auth-Request-User": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        "X-Auth-Request-Email": "alice@example.org",
        "X-Auth-Request-Preferred-Username": "alice",
        "X-Auth-Request-Groups": "staff,gpu",
        "Authorization": f"Bearer {token.id_token}",
    }


def test_headers_for_a_raw_id_token() -> None:
    raw = tokens().id_token
    assert proxy().headers_for(raw)["Authorization"] == f"Bearer {raw}"


def test_access_token_header_needs_pass_access_token() -> None:
    headers = proxy("--pass-access-token").headers_for(tokens())
    assert headers["X-Auth-Request-Access-Token"] == "at"


def test_no_headers_without_their_flags() -> None:
    started = proxy(drop=("set-xauthrequest", "set-authorization-header"))
    assert started.headers_for(tokens()) == {}


def test_without_cookie_refresh_an_expired_id_token_is_passed_on() -> None:
    """Why the guide sets --cookie-refresh: the program's default (0) never looks at the
    session again, so its first ID token is passed on after it expired."""
    now = [time.time()]
    started = proxy(clock=lambda: now[0])
    token = tokens(exp=int(now[0]) + 300)
    session = started.session_from(token)
    now[0] += 3600
    answer = started.check(session)
    assert answer.status == 202
    assert answer.headers["Authorization"] == f"Bearer {token.id_token}"


def test_cookie_refresh_drops_a_session_whose_token_expired() -> None:
    now = [time.time()]
    started = proxy("--cookie-refresh=1m", clock=lambda: now[0])
    session = started.session_from(tokens(exp=int(now[0]) + 300))
    now[0] += 120
    assert started.check(session).status == 202  # refresh due, no refresh token, still valid
    now[0] += 300
    assert started.check(session).status == 401


def test_refresh_replaces_the_id_token_and_resets_the_timer() -> None:
    now = [time.time()]
    started = proxy("--cookie-refresh=1m", clock=lambda: now[0])
    first = tokens(exp=int(now[0]) + 300)
    session = started.session_from(replace(first, refresh_token="rt-1"))
    now[0] += 61
    second = tokens(exp=int(now[0]) + 300, groups=["staff"])
    answer = started.check(session, refresh=lambda token: second if token == "rt-1" else None)
    assert answer.status == 202
    assert answer.headers["Authorization"] == f"Bearer {second.id_token}"
    assert answer.headers["X-Auth-Request-Groups"] == "staff"
    assert answer.session is not None and answer.session.refresh_token == "rt-1"
    assert answer.session.created_at == now[0]


def test_refresh_without_an_id_token_keeps_the_identity() -> None:
    now = [time.time()]
    started = proxy("--cookie-refresh=1m", clock=lambda: now[0])
    first = tokens(exp=int(now[0]) + 300)
    session = started.session_from(replace(first, refresh_token="rt-1"))
    now[0] += 61
    answer = started.check(session, refresh=lambda _: TokenResponse("", access_token="at-2"))
    assert answer.status == 202
    assert answer.headers["Authorization"] == f"Bearer {first.id_token}"
    assert answer.headers["X-Auth-Request-User"] == session.user


def test_a_refused_session_is_cleared_from_its_cookie() -> None:
    started = proxy("--email-domain=example.org", drop=("email-domain",))
    set_cookies = started.start()
    csrf = set_cookies[0].split(";", 1)[0].split("=", 1)
    cookies = started.callback({csrf[0]: csrf[1]}, tokens())
    session_cookie = cookies[0].split(";", 1)[0]
    assert started.auth(session_cookie).status == 202
    # The same cookie after the email rule changed (a restart with another --email-domain).
    started.options["email-domain"] = ("other.org",)
    assert started.auth(session_cookie).status == 401
    started.options["email-domain"] = ("example.org",)
    assert started.auth(session_cookie).status == 401


def test_callback_needs_the_csrf_cookie() -> None:
    with pytest.raises(Refused) as error:
        proxy().callback({}, tokens())
    assert error.value.status == 403


def signed_in(started: OAuth2Proxy) -> str:
    """A session cookie header from a sign-in through ``start`` and ``callback``."""
    name, value = started.start()[0].split(";", 1)[0].split("=", 1)
    return started.callback({name: value}, tokens())[0].split(";", 1)[0]


def test_serve_routes_as_its_mux() -> None:
    started = proxy("--proxy-prefix=/hub/oauth2", "--upstream=static://200")
    cookie = signed_in(started)
    assert started.serve("/hub/oauth2/auth", cookie).status == 202
    assert started.serve("/hub/oauth2/auth").status == 401
    assert started.serve("/hub/oauth2/start").status == 302
    assert started.serve("/hub/oauth2/start").set_cookies[0].startswith("_oauth2_proxy_csrf=")
    assert started.serve("/hub/oauth2/callback").status == 403
    assert started.serve("/hub/oauth2/nothing").status == 404
    upstream = started.serve("/hub/home", cookie)
    assert upstream.status == 200
    assert upstream.headers["X-Auth-Request-User"] == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"


def test_serve_without_a_session() -> None:
    started = proxy("--upstream=static://200")
    assert started.serve("/hub/home").status == 403  # its sign-in page
    assert started.serve("/hub/home", accept="application/json").status == 401
    assert proxy("--skip-provider-button").serve("/hub/home").status == 302
    assert proxy("--api-route=^/hub/api/").serve("/hub/api/user").status == 401
