"""oauth2-proxy v7.15.3 (commit 66b3a17, the version the deploy guide names) as far as the
tests need it, since it cannot run here: how it reads its flags, config file and
environment, when it refuses to start, the session it makes from an ID token, what its
``/auth`` check answers and with which headers, and the cookies it sets.

Each rule cites the file and function of oauth2-proxy's source it follows (paths in the
``oauth2-proxy/oauth2-proxy`` repository at that tag). Defaults are the program's own, from
``tests.support.oauth2_proxy_options`` (its flag definitions), never this project's.

What it leaves out: the sign-in page's HTML, the PKCE and nonce round trip, session stores
other than the cookie, htpasswd, and any provider but ``oidc``. ID tokens are checked as
go-oidc's verifier does for ``iss``, ``aud`` and ``exp`` (``pkg/providers/oidc/verifier.go``
``idTokenVerifier.Verify``), with their signature checked against ``keys`` when given.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import csv
import json
import re
import secrets
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.cookies import SimpleCookie
from typing import Any

import jwt

from tests.support.oauth2_proxy_options import CONFIG_FLAGS, FLAGS, RESPONSE_HEADERS, Flag

__all__ = [
    "AuthAnswer",
    "InvalidConfiguration",
    "OAuth2Proxy",
    "Refused",
    "Session",
    "TokenResponse",
    "parse_cookie_header",
    "parse_duration",
    "secret_bytes",
]

# providers/provider_data.go: oidcUserClaim, the claim SessionState.User comes from (no
# flag of this version changes it for the oidc provider).
USER_CLAIM = "sub"
# pkg/apis/options/providers.go: OIDCEmailClaim, the default --oidc-email-claim.
DEFAULT_EMAIL_CLAIM = "email"
# providers/oidc.go: oidcDefaultScope.
OIDC_DEFAULT_SCOPE = "openid email profile"
# pkg/apis/options/load.go Load: v.SetEnvPrefix("OAUTH2_PROXY").
ENV_PREFIX = "OAUTH2_PROXY_"
# oauthproxy.go: authOnlyPath and the other paths under --proxy-prefix.
AUTH_ONLY_PATH = "/auth"


class InvalidConfiguration(Exception):
    """oauth2-proxy exits at start with this message (``main.go`` ``main``: "ERROR: ...")."""


class Refused(Exception):
    """oauth2-proxy answers ``status`` instead of making a session."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class TokenResponse:
    """What the identity provider's token endpoint returned (code or refresh grant)."""

    id_token: str
    access_token: str = ""
    refresh_token: str = ""
    expires_in_seconds: int | None = None


@dataclass
class Session:
    """``pkg/apis/sessions/session_state.go`` ``SessionState``: the fields the headers read."""

    user: str
    email: str
    groups: list[str]
    preferred_username: str
    id_token: str
    access_token: str
    refresh_token: str
    created_at: float
    expires_on: float | None
    # Set by a refresh within one request only (not serialized into the cookie).
    refreshed: bool = False

    def claim(self, name: str) -> list[str]:
        """``SessionState.GetClaim``: the values a header built from ``name`` gets."""
        values = {
            "access_token": [self.access_token],
            "id_token": [self.id_token],
            "refresh_token": [self.refresh_token],
            "email": [self.email],
            "user": [self.user],
            "groups": list(self.groups),
            "preferred_username": [self.preferred_username],
        }
        return values.get(name, [])


@dataclass(frozen=True)
class AuthAnswer:
    """An answer of oauth2-proxy: of ``<prefix>/auth`` (``oauthproxy.go`` ``AuthOnly``), or of
    any path (``serve``)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    # The session after the check (refreshed, or None when it was cleared).
    session: Session | None = None
    # Why there is no session: "needs login" (none, or cleared), "access denied".
    denied: str = ""
    set_cookies: list[str] = field(default_factory=list)


_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in a Go duration (``time.ParseDuration``: ``"0"``, ``"1h30m"``, ``"90s"``)."""
    if text in ("0", "+0", "-0"):
        return 0.0
    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text.lstrip("+"):
        raise ValueError(f'time: invalid duration "{text}"')
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)


def secret_bytes(secret: str) -> bytes:
    """``pkg/encryption/utils.go`` ``SecretBytes``: the URL-safe base64 decoding when it
    gives 16, 24 or 32 bytes, else the string's own bytes."""
    try:
        trimmed = secret.rstrip("=")
        decoded = base64.b64decode(
            trimmed.replace("-", "+").replace("_", "/") + "=" * (-len(trimmed) % 4),
            validate=True,
        )
        # RawURLEncoding rejects the standard alphabet's '+' and '/'.
        if "+" not in trimmed and "/" not in trimmed and len(decoded) in (16, 24, 32):
            return decoded
    except (binascii.Error, ValueError):
        pass
    return secret.encode()


def _coerce(flag: Flag, value: Any, where: str) -> Any:
    """A flag, environment or config value as the option's Go type."""
    if flag.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        # strconv.ParseBool
        if text in ("1", "t", "true"):
            return True
        if text in ("0", "f", "false"):
            return False
        raise InvalidConfiguration(f'invalid argument "{value}" for "{where}": strconv.ParseBool')
    if flag.kind == "strings":
        if isinstance(value, list | tuple):
            return tuple(str(v) for v in value)
        # pflag's StringSlice reads one occurrence as a CSV record.
        return tuple(next(csv.reader([str(value)]), []))
    if flag.kind == "duration":
        try:
            parse_duration(str(value))
        except ValueError as error:
            raise InvalidConfiguration(
                f'invalid argument "{value}" for "{where}": {error}'
            ) from None
        return str(value)
    if flag.kind == "int":
        try:
            return int(value)
        except ValueError:
            raise InvalidConfiguration(f'invalid argument "{value}" for "{where}"') from None
    return str(value)


def _parse_args(args: Sequence[str]) -> dict[str, Any]:
    """pflag's parse of ``args`` (``main.go`` ``loadLegacyOptions``: ``NewLegacyFlagSet``
    plus the config flags): ``--name=value`` or ``--name value``, a bare boolean is true; a
    StringSlice flag given again appends; an unknown flag stops the program."""
    known = {**FLAGS, **CONFIG_FLAGS}
    given: dict[str, Any] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if not arg.startswith("-"):
            continue  # pflag keeps positional arguments; oauth2-proxy ignores them
        if not arg.startswith("--"):
            # oauth2-proxy defines no shorthand flags.
            raise InvalidConfiguration(
                f"failed to parse flags: unknown shorthand flag: {arg[1:2]!r} in {arg}"
            )
        name, sep, value = arg[2:].partition("=")
        if name not in known:
            raise InvalidConfiguration(f"failed to parse flags: unknown flag: --{name}")
        flag = known[name]
        if not sep:
            if flag.kind == "bool":
                value = "true"
            elif index < len(args):
                value = args[index]
                index += 1
            else:
                raise InvalidConfiguration(
                    f"failed to parse flags: flag needs an argument: --{name}"
                )
        parsed = _coerce(flag, value, f"--{name}")
        if flag.kind == "strings" and name in given:
            given[name] = given[name] + parsed
        else:
            given[name] = parsed
    return given


class OAuth2Proxy:
    """oauth2-proxy started with ``args``, its ``--config`` file's text ``config`` (TOML)
    and the environment ``env``. Refuses to start (``InvalidConfiguration``) as the
    program does.

    ``options[name]`` is each flag's value: given on the command line, else from the
    environment (``OAUTH2_PROXY_<CFG KEY>``), else from the config file, else its default
    (``pkg/apis/options/load.go`` ``Load``: viper binds each flag under its ``cfg`` key).
    """

    def __init__(
        self,
        args: Sequence[str],
        *,
        config: str = "",
        env: Mapping[str, str] | None = None,
        keys: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.args = tuple(args)
        self.clock = clock
        self.keys = keys
        given = _parse_args(self.args)
        try:
            from_file = tomllib.loads(config) if config else {}
        except tomllib.TOMLDecodeError as error:
            raise InvalidConfiguration(f"failed to load config: {error}") from None
        by_cfg = {key: name for name, flag in FLAGS.items() for key in flag.cfg}
        # load.go Load: v.UnmarshalExact fails on a key no option has.
        unknown = sorted(set(from_file) - set(by_cfg))
        if unknown:
            raise InvalidConfiguration(
                "failed to load config: error unmarshalling config: "
                f"'' has invalid keys: {', '.join(unknown)}"
            )
        env = env or {}
        self.options: dict[str, Any] = {}
        for name, flag in FLAGS.items():
            value: Any = flag.default
            for key in flag.cfg:
                if key in from_file:
                    value = _coerce(flag, from_file[key], key)
            for key in flag.cfg:
                if f"{ENV_PREFIX}{key.upper()}" in env:
                    value = _coerce(flag, env[f"{ENV_PREFIX}{key.upper()}"], key)
            if name in given:
                value = given[name]
            self.options[name] = value
        self._sessions: dict[str, Session] = {}
        self._csrf: set[str] = set()
        self._validate()

    # -- options ------------------------------------------------------------------------

    def flag(self, name: str) -> Any:
        return self.options[name]

    @property
    def prefix(self) -> str:
        return str(self.flag("proxy-prefix"))

    @property
    def cookie_name(self) -> str:
        return str(self.flag("cookie-name"))

    @property
    def email_claim(self) -> str:
        """providers/providers.go ``newProviderDataFromConfig``: ``--oidc-email-claim``;
        "Backwards Compatibility for Deprecated UserIDClaim option": a ``--user-id-claim``
        other than ``email`` replaces it while ``--oidc-email-claim`` is the default."""
        email_claim = str(self.flag("oidc-email-claim"))
        user_id_claim = str(self.flag("user-id-claim")) or DEFAULT_EMAIL_CLAIM
        if email_claim == DEFAULT_EMAIL_CLAIM and user_id_claim != DEFAULT_EMAIL_CLAIM:
            return user_id_claim
        return email_claim

    @property
    def scope(self) -> str:
        """providers/oidc.go ``NewOIDCProvider``: ``--scope``, else ``oidcDefaultScope``,
        plus ``groups`` when ``--allowed-group`` is set."""
        if self.flag("scope"):
            return str(self.flag("scope"))
        return OIDC_DEFAULT_SCOPE + (" groups" if self._allowed_groups else "")

    @property
    def _allowed_groups(self) -> set[str]:
        # provider_data.go setAllowedGroups: empty names are dropped.
        return {g for g in self.flag("allowed-group") if g}

    def response_headers(self) -> list[tuple[str, str, str]]:
        """legacy_options.go ``LegacyHeaders.getResponseHeaders``: (name, claim, prefix) of
        each header the ``/auth`` answer carries, in its order."""
        headers = []
        if self.flag("set-xauthrequest"):
            # getXAuthRequestHeaders, then getXAuthRequestAccessTokenHeader
            for name, (flag, claim, prefix) in RESPONSE_HEADERS.items():
                if flag == "set-xauthrequest" or (
                    flag == "pass-access-token" and self.flag("pass-access-token")
                ):
                    headers.append((name, claim, prefix))
        if self.flag("set-basic-auth"):
            # getBasicAuthHeader: "Basic " + base64(user:password)
            claim = "email" if self.flag("prefer-email-to-user") else "user"
            headers.append(("Authorization", claim, "Basic "))
        if self.flag("set-authorization-header"):
            # getAuthorizationHeader
            headers.append(("Authorization", "id_token", "Bearer "))
        return headers

    # -- start-up -----------------------------------------------------------------------

    def _validate(self) -> None:
        """pkg/validation/options.go ``Validate`` (the messages it collects, in its order),
        then the provider it builds (providers/providers.go ``NewProvider``)."""
        msgs: list[str] = []
        # pkg/validation/cookie.go validateCookie / validateCookieSecret
        secret, secret_file = self.flag("cookie-secret"), self.flag("cookie-secret-file")
        if not secret and not secret_file:
            msgs.append("missing setting: cookie-secret or cookie-secret-file")
        elif secret and len(secret_bytes(secret)) not in (16, 24, 32):
            msgs.append(
                "cookie_secret must be 16, 24, or 32 bytes to create an AES cipher, but is "
                f"{len(secret_bytes(secret))} bytes"
            )
        expire = parse_duration(self.flag("cookie-expire"))
        refresh = parse_duration(self.flag("cookie-refresh"))
        if expire != 0 and refresh >= expire:
            msgs.append(
                f'cookie_refresh ("{self.flag("cookie-refresh")}") must be less than '
                f'cookie_expire ("{self.flag("cookie-expire")}")'
            )
        if self.flag("cookie-samesite") not in ("", "none", "lax", "strict"):
            msgs.append(
                f'cookie_samesite ("{self.flag("cookie-samesite")}") must be one of '
                "['', 'lax', 'strict', 'none']"
            )
        # validateCookieName: net/http drops a cookie whose name is not a token.
        if not re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", self.cookie_name):
            msgs.append(f'invalid cookie name: "{self.cookie_name}"')
        # pkg/validation/sessions.go validateSessionCookieMinimal
        if self.flag("session-cookie-minimal"):
            for name, claim, _ in self.response_headers():
                if claim in ("access_token", "id_token"):
                    msgs.append(
                        f'{claim} claim for header "{name}" requires oauth tokens in '
                        "sessions. session_cookie_minimal cannot be set"
                    )
            if refresh:
                msgs.append(
                    "cookie_refresh > 0 requires oauth tokens in sessions. "
                    "session_cookie_minimal cannot be set"
                )
        # pkg/validation/providers.go validateProvider
        if not self.flag("client-id"):
            msgs.append("provider missing setting: client-id")
        if not self.flag("client-secret") and not self.flag("client-secret-file"):
            msgs.append("missing setting: client-secret or client-secret-file")
        # options.go Validate: an email rule is required.
        if (
            not self.flag("authenticated-emails-file")
            and not self.flag("email-domain")
            and not self.flag("htpasswd-file")
        ):
            msgs.append(
                "missing setting for email validation: email-domain or "
                "authenticated-emails-file required.\n      use email-domain=* to authorize "
                "all email addresses"
            )
        if msgs:
            raise InvalidConfiguration("invalid configuration:\n  " + "\n  ".join(msgs))
        # providers/providers.go providerRequiresOIDCProviderVerifier / NewProvider
        provider = self.flag("provider")
        if provider != "oidc":
            # Not a refusal of the program's (its default is google): a limit of this model.
            raise NotImplementedError(f"only --provider=oidc is modelled, got {provider!r}")
        # main.go main: "ERROR: Failed to initialise OAuth2 Proxy: ..." from oauthproxy.go
        # NewOAuthProxy; pkg/providers/oidc/provider_verifier.go
        # ProviderVerifierOptions.validate
        if not self.flag("oidc-issuer-url"):
            raise InvalidConfiguration(
                "ERROR: Failed to initialise OAuth2 Proxy: error initialising provider: could "
                "not create provider data: error building OIDC ProviderVerifier: invalid "
                "provider verifier options: missing required setting: issuer-url"
            )

    # -- sessions -----------------------------------------------------------------------

    def _verify(self, raw_id_token: str) -> dict[str, Any]:
        """pkg/providers/oidc/verifier.go ``idTokenVerifier.Verify`` (go-oidc's checks of
        signature, issuer and expiry, then ``verifyAudience`` against ``--client-id`` and
        ``--oidc-extra-audience`` in the ``--oidc-audience-claim`` claims)."""
        try:
            if self.keys is not None:
                key = self.keys(raw_id_token) if callable(self.keys) else self.keys
                claims: dict[str, Any] = jwt.decode(
                    raw_id_token,
                    key,
                    algorithms=["RS256", "ES256", "PS256", "EdDSA"],
                    options={"verify_aud": False, "verify_iss": False, "verify_exp": False},
                )
            else:
                claims = jwt.decode(raw_id_token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise Refused(
                500, f"could not verify id_token: failed to verify token: {error}"
            ) from None
        if claims.get("iss") != self.flag("oidc-issuer-url"):
            raise Refused(
                500,
                "could not verify id_token: failed to verify token: oidc: id token issued by "
                f"a different provider, expected {self.flag('oidc-issuer-url')!r} got "
                f"{claims.get('iss')!r}",
            )
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= self.clock():
            raise Refused(
                500, "could not verify id_token: failed to verify token: token is expired"
            )
        allowed = {self.flag("client-id"), *self.flag("oidc-extra-audience")}
        for claim in self.flag("oidc-audience-claim"):
            if claim in claims:
                audience = claims[claim]
                audience = [audience] if isinstance(audience, str) else list(audience)
                if not allowed & set(audience):
                    raise Refused(
                        500,
                        f"could not verify id_token: audience from claim {claim} with value "
                        f"{audience} does not match with any of allowed audiences",
                    )
                break
        else:
            raise Refused(500, "could not verify id_token: audience claims do not exist")
        return claims

    def _claim(self, claims: Mapping[str, Any], name: str, userinfo: Mapping[str, Any]) -> Any:
        """pkg/providers/util/claim_extractor.go ``GetClaim``: the ID token's claim (a
        dotted name is a path), else the profile URL's (userinfo) unless
        ``--skip-claims-from-profile-url``."""
        sources = [claims]
        if not self.flag("skip-claims-from-profile-url"):
            sources.append(userinfo)
        for source in sources:
            if name in source:
                return source[name]
            value: Any = source
            for part in name.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
            if value is not None:
                return value
        return None

    @staticmethod
    def _strings(value: Any) -> list[str]:
        # pkg/util/claims.go CoerceClaim: a string, or a list of them.
        if value is None:
            return []
        if isinstance(value, list | tuple):
            return [v if isinstance(v, str) else json.dumps(v) for v in value]
        return [value if isinstance(value, str) else json.dumps(value)]

    def session_from(
        self, tokens: TokenResponse | str, *, userinfo: Mapping[str, Any] | None = None
    ) -> Session:
        """The session made from the identity provider's token response:
        providers/oidc.go ``createSession`` (the ID token is required and verified) and
        providers/provider_data.go ``buildSessionFromClaims``: ``User`` from ``sub``,
        ``Email`` from the email claim, ``Groups`` from ``--oidc-groups-claim``,
        ``PreferredUsername`` from ``preferred_username``; an ``email_verified`` of false
        refuses it when the email claim is ``email`` (unless
        ``--insecure-oidc-allow-unverified-email``). Then oidc.go ``EnrichSession``: no
        email refuses it. ``tokens`` may be the raw ID token alone."""
        if isinstance(tokens, str):
            tokens = TokenResponse(tokens)
        if not tokens.id_token.strip():
            raise Refused(500, "token response did not contain an id_token")
        claims = self._verify(tokens.id_token)
        info = userinfo or {}
        session = Session(
            user=" ".join(self._strings(self._claim(claims, USER_CLAIM, info))[:1]),
            email=" ".join(self._strings(self._claim(claims, self.email_claim, info))[:1]),
            groups=self._strings(self._claim(claims, str(self.flag("oidc-groups-claim")), info)),
            preferred_username=" ".join(
                self._strings(self._claim(claims, "preferred_username", info))[:1]
            ),
            id_token=tokens.id_token,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            created_at=self.clock(),
            # oauthproxy.go redeemCode: without an expiry, --cookie-expire.
            expires_on=self.clock()
            + (
                tokens.expires_in_seconds
                if tokens.expires_in_seconds is not None
                else parse_duration(self.flag("cookie-expire"))
            ),
        )
        verify_email = self.email_claim == DEFAULT_EMAIL_CLAIM and not self.flag(
            "insecure-oidc-allow-unverified-email"
        )
        if verify_email and self._claim(claims, "email_verified", info) is False:
            raise Refused(500, f"email in id_token ({session.email}) isn't verified")
        if not session.email:
            raise Refused(500, "neither the id_token nor the profileURL set an email")
        return session

    def email_allowed(self, email: str) -> bool:
        """validator.go ``newValidatorImpl``: ``*`` allows every email; else its domain is
        one of ``--email-domain`` (``.example.org`` and ``*.example.org`` take subdomains),
        case-insensitively. (``--authenticated-emails-file`` is not modelled.)"""
        if not email:
            return False
        domains = [d.lower() for d in self.flag("email-domain")]
        if "*" in domains:
            return True
        email = email.lower()
        if email.count("@") != 1:
            return False
        host = email.split("@")[1]
        return any(
            email.endswith(f"@{d}")
            or (d.startswith(".") and host.endswith(d))
            or (d.startswith("*.") and host.endswith(d[1:]))
            for d in domains
        )

    def authorized(self, session: Session) -> bool:
        """providers/provider_default.go ``ProviderData.Authorize``: any of the session's
        groups in ``--allowed-group`` (everyone when it is empty)."""
        allowed = self._allowed_groups
        return not allowed or bool(allowed & set(session.groups))

    def headers(self, session: Session) -> dict[str, str]:
        """The response headers of an allowed check: pkg/header/injector.go
        ``newClaimInjector`` adds one value per non-empty claim value (with its prefix);
        pkg/middleware/headers.go ``flattenHeaders`` joins repeated values with ","."""
        out: dict[str, list[str]] = {}
        for name, claim, prefix in self.response_headers():
            for value in session.claim(claim):
                if not value:
                    continue
                if prefix == "Basic ":
                    password = self.flag("basic-auth-password")
                    value = base64.b64encode(f"{value}:{password}".encode()).decode()
                out.setdefault(name, []).append(prefix + value)
        return {name: ",".join(values) for name, values in out.items()}

    def check(
        self,
        session: Session | None,
        *,
        refresh: Callable[[str], TokenResponse | None] | None = None,
    ) -> AuthAnswer:
        """``<prefix>/auth`` for a request carrying ``session``'s cookie.

        pkg/middleware/stored_session.go ``refreshSessionIfNeeded``: past
        ``--cookie-refresh`` (0: never) the session is refreshed with its refresh token
        (``refresh`` is the identity provider's token endpoint; none, or no refresh
        token, leaves it as it is), then ``validateSession``: expired (``IsExpired``), or
        an ID token that no longer verifies (providers/oidc.go ``ValidateSession``, unless
        just refreshed) clears it. oauthproxy.go ``getAuthenticatedSession``: an email the
        validator refuses or a provider ``Authorize`` failure clears it; ``AuthOnly``
        answers 401 without a session, else 202 with the headers."""
        if session is None:
            return AuthAnswer(401, denied="needs login")
        now = self.clock()
        period = parse_duration(self.flag("cookie-refresh"))
        # stored_session.go needsRefresh: refreshPeriod > 0 && session.Age() > refreshPeriod
        if period > 0 and now - session.created_at > period:
            if session.refresh_token and refresh is not None:
                answer = refresh(session.refresh_token)
                # refreshSessionIfNeeded: a refresh error that is not fatal keeps the
                # session, and validateSession decides.
                with contextlib.suppress(Refused):
                    if answer is not None:
                        session = self._refreshed(session, answer)
            if session.expires_on is not None and session.expires_on < now:
                return AuthAnswer(401, denied="needs login")  # "session is expired"
            if not session.refreshed:
                try:
                    self._verify(session.id_token)
                except Refused:
                    return AuthAnswer(401, denied="needs login")  # "session is invalid"
        if (session.email and not self.email_allowed(session.email)) or not self.authorized(
            session
        ):
            return AuthAnswer(401, denied="access denied")
        return AuthAnswer(202, self.headers(session), session)

    def _refreshed(self, session: Session, answer: TokenResponse) -> Session:
        """providers/oidc.go ``redeemRefreshToken``: the new tokens; a response with an ID
        token (verified, ``createSession`` with refresh) replaces the identity, one without
        keeps the old ID token and identity. golang.org/x/oauth2 keeps the old refresh token
        when none comes back; stored_session.go ``refreshSession`` resets ``CreatedAt``."""
        identity = session
        if answer.id_token.strip():
            identity = self.session_from(answer)
        now = self.clock()
        return replace(
            identity,
            access_token=answer.access_token,
            refresh_token=answer.refresh_token or session.refresh_token,
            created_at=now,
            expires_on=now + answer.expires_in_seconds
            if answer.expires_in_seconds is not None
            else session.expires_on,
            refreshed=True,
        )

    def headers_for(
        self, tokens: TokenResponse | str, *, userinfo: Mapping[str, Any] | None = None
    ) -> dict[str, str]:
        """The headers ``/auth`` answers with right after a sign-in with ``tokens``
        (oauthproxy.go ``OAuthCallback`` refuses, 403, an email or groups its rules do
        not allow). ``tokens`` may be the raw ID token an identity provider issued:
        ``OAuth2Proxy(args).headers_for(raw_id_token)``."""
        session = self.session_from(tokens, userinfo=userinfo)
        if not (self.email_allowed(session.email) and self.authorized(session)):
            raise Refused(403, "Invalid session: unauthorized")
        answer = self.check(session)
        assert answer.status == 202, answer
        return answer.headers

    # -- cookies and endpoints ----------------------------------------------------------

    def endpoint(self, path: str) -> str | None:
        """Which of its endpoints ``path`` is (``start``, ``callback``, ``auth``...), if any
        (oauthproxy.go ``buildServeMux``: everything under ``--proxy-prefix``)."""
        if not path.startswith(f"{self.prefix.rstrip('/')}/"):
            return None
        return path[len(self.prefix.rstrip("/")) + 1 :].split("?", 1)[0]

    def set_cookie(
        self, name: str, value: str, *, expire: bool = False, lifetime: str = "cookie-expire"
    ) -> str:
        """A ``Set-Cookie`` value as pkg/cookies/cookies.go ``MakeCookieFromOptions`` makes
        it: ``--cookie-path``, ``--cookie-domain`` (none: the request's host only),
        ``--cookie-expire``, ``--cookie-httponly``, ``--cookie-secure``,
        ``--cookie-samesite``."""
        parts = [f"{name}={value}", f"Path={self.flag('cookie-path')}"]
        domains = self.flag("cookie-domain")
        if domains:
            parts.append(f"Domain={domains[-1]}")
        max_age = 0 if expire else int(parse_duration(self.flag(lifetime)))
        parts.append(f"Max-Age={max_age}")
        if self.flag("cookie-httponly"):
            parts.append("HttpOnly")
        if self.flag("cookie-secure"):
            parts.append("Secure")
        if self.flag("cookie-samesite"):
            parts.append(f"SameSite={str(self.flag('cookie-samesite')).capitalize()}")
        return "; ".join(parts)

    def start(self) -> list[str]:
        """``<prefix>/start``: the CSRF cookie ``<cookie-name>_csrf`` (pkg/cookies/csrf.go
        ``GenerateCookieName``; ``csrf.SetCookie``: it lives ``--cookie-csrf-expire``),
        before the identity provider."""
        token = secrets.token_urlsafe(16)
        self._csrf.add(token)
        return [self.set_cookie(f"{self.cookie_name}_csrf", token, lifetime="cookie-csrf-expire")]

    def callback(self, cookies: Mapping[str, str], tokens: TokenResponse) -> list[str]:
        """``<prefix>/callback`` after the identity provider answered with ``tokens``
        (oauthproxy.go ``OAuthCallback``): 403 without the CSRF cookie ``start`` set, or
        when its email or group rules refuse the session; else the session cookie."""
        csrf = cookies.get(f"{self.cookie_name}_csrf")
        if csrf not in self._csrf:
            raise Refused(403, "CSRF token mismatch, potential attack")
        self._csrf.discard(csrf)
        session = self.session_from(tokens)
        if not (self.email_allowed(session.email) and self.authorized(session)):
            raise Refused(403, "Invalid session: unauthorized")
        value = secrets.token_urlsafe(24)
        self._sessions[value] = session
        return [
            self.set_cookie(self.cookie_name, value),
            self.set_cookie(f"{self.cookie_name}_csrf", "", expire=True),
        ]

    def session_for(self, cookie_header: str) -> Session | None:
        """The session whose cookie a request's ``Cookie`` header carries: whoever presents
        it is its user (the cookie is checked by its signature only)."""
        value = parse_cookie_header(cookie_header).get(self.cookie_name)
        return self._sessions.get(value or "")

    def auth(
        self,
        cookie_header: str,
        *,
        refresh: Callable[[str], TokenResponse | None] | None = None,
    ) -> AuthAnswer:
        """``<prefix>/auth`` for a request with ``cookie_header``: a refreshed session is
        saved, a refused one cleared (its cookie no longer names a session)."""
        value = parse_cookie_header(cookie_header).get(self.cookie_name) or ""
        answer = self.check(self._sessions.get(value), refresh=refresh)
        if value in self._sessions:
            if answer.session is None:
                del self._sessions[value]
            else:
                # session_state.go: Refreshed is not serialized into the cookie.
                self._sessions[value] = replace(answer.session, refreshed=False)
        return answer

    def serve(
        self,
        path: str,
        cookie_header: str = "",
        *,
        accept: str = "",
        refresh: Callable[[str], TokenResponse | None] | None = None,
    ) -> AuthAnswer:
        """Any request, routed as oauthproxy.go ``buildServeMux`` does (what an Envoy
        ext-authz check reaches: it asks with the request's own path).

        ``<prefix>/auth``: ``AuthOnly``. ``<prefix>/start``: ``OAuthStart`` (302 to the
        identity provider, the CSRF cookie set). ``<prefix>/callback``: ``OAuthCallback``
        without the provider's answer: 403 without the CSRF cookie, else 500 (no code to
        redeem). ``<prefix>/sign_in``: the sign-in page (200). Another path under the
        prefix: no route (404). Everything else: ``Proxy``: with an allowed session the
        upstream answers with the headers (a ``static://<code>`` upstream, its code; any
        other, 200 here); without a session 401 for JSON requests (``isAjax``),
        ``--api-route`` paths or ``--force-json-errors``, else 302 to the provider with
        ``--skip-provider-button``, else the sign-in page (403); a session its rules
        refuse: 403."""
        endpoint = self.endpoint(path)
        if endpoint == AUTH_ONLY_PATH.lstrip("/"):
            return self.auth(cookie_header, refresh=refresh)
        if endpoint == "start":
            return AuthAnswer(302, set_cookies=self.start())
        if endpoint == "callback":
            csrf = parse_cookie_header(cookie_header).get(f"{self.cookie_name}_csrf")
            return AuthAnswer(500 if csrf in self._csrf else 403)
        if endpoint == "sign_in":
            return AuthAnswer(200)
        if endpoint is not None:
            return AuthAnswer(404)
        answer = self.auth(cookie_header, refresh=refresh)
        if answer.status == 202:
            upstream = next(iter(self.flag("upstream")), "")
            code = re.fullmatch(r"static://(\d+)", upstream)
            return replace(answer, status=int(code.group(1)) if code else 200)
        json_errors = self.flag("force-json-errors")
        if answer.denied == "access denied":
            return replace(answer, status=403)
        ajax = "application/json" in [m.strip() for m in accept.split(",")]
        api = any(re.search(r, path) for r in self.flag("api-route"))
        if json_errors or ajax or api:
            return replace(answer, status=401)
        if self.flag("skip-provider-button"):
            return replace(answer, status=302, set_cookies=self.start())
        return replace(answer, status=403)


def parse_cookie_header(header: str) -> dict[str, str]:
    """A request's ``Cookie`` header as name -> value."""
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}
