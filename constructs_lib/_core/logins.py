"""Logins the hub does itself, with the authenticators the default hub image ships
(oauthenticator 17.4, jupyterhub-ldapauthenticator 2.0.2): OpenID Connect, GitHub, Google,
Microsoft Entra ID and LDAP. Each is a frozen value passed as ``authenticator=``; it checks
itself and becomes the traits of its real class (``LoginSettings``).

Who may log in is said on the value: ``allowed_users`` (and groups, organizations, domains
where the provider has them), or ``allow_all=True``, which is a choice to make on purpose. A
value that would let nobody in is an error (the z2jh failure where everyone gets 403), as is
``allow_all`` beside a rule it would make meaningless.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from constructs import Construct

from constructs_lib._core._errors import invalid
from constructs_lib._core._names import check_dns_subdomain, check_secret_key
from constructs_lib._core._props import check_fields
from constructs_lib._core.header_trust import HeaderTrust
from hub_runtime.frozen import frozen
from hub_runtime.login_settings import LOGIN_SECRET_ENV_PREFIX, LoginSettings

__all__ = [
    "EntraIdLogin",
    "GitHubLogin",
    "GoogleLogin",
    "HubLogin",
    "LdapLogin",
    "OidcLogin",
    "SecretKeyRef",
]

# Where JupyterHub's CryptKeeper reads the key auth state is encrypted with.
AUTH_STATE_KEY_ENV = "JUPYTERHUB_CRYPT_KEY"
# What JupyterHub calls the callback: <hub prefix>oauth_callback (OAuthenticator's route).
CALLBACK_PATH = "oauth_callback"
# A claim name as OpenID Connect Core 5.1 names them (and Keycloak/Okta custom claims):
# letters, digits, '_', '-', ':' and '.' (a dotted path into nested claims).
_CLAIM = re.compile(r"[A-Za-z_][A-Za-z0-9_:.-]*")
# An OAuth 2.0 scope token (RFC 6749 3.3): printable ASCII but space, '"' and '\'.
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
# A GitHub login or organization: letters, digits and single '-' (GitHub's sign-up rule);
# a team slug is lower case letters, digits, '-' and '_'.
_GITHUB_NAME = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9])*")
_GITHUB_TEAM = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9])*:[a-z0-9][a-z0-9_-]*")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}")
# An Entra ID tenant: its GUID, or a verified domain.
_TENANT = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|" + _DOMAIN.pattern)
# An LDAP DN (RFC 4514): attribute=value pairs joined by ','; a value escapes ',' with '\'.
_DN = re.compile(
    r"[A-Za-z][A-Za-z0-9-]*=(?:[^,\\]|\\.)+(?:,[A-Za-z][A-Za-z0-9-]*=(?:[^,\\]|\\.)+)*"
)
_ATTRIBUTE = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
# An email (a Google group's, a Workspace administrator's): a local part and a domain.
_EMAIL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._+-]*[A-Za-z0-9])?@" + _DOMAIN.pattern)
# Where the hub's pod has GoogleLogin's service account key (a Secret volume, read-only).
GOOGLE_KEY_VOLUME = "google-service-account"
GOOGLE_KEY_DIR = "/etc/jupyterhub/google"
GOOGLE_KEY_FILE = "service-account.json"
# JupyterHub's Authenticator.auth_refresh_age default, and the longest we take (a day).
DEFAULT_REFRESH_SECONDS = 300
_MAX_REFRESH_SECONDS = 86400
# The OAuth logins' one secret trait, read from this variable of the hub's environment.
_CLIENT_SECRET_TRAITS = {"client_secret": f"{LOGIN_SECRET_ENV_PREFIX}CLIENT_SECRET"}


@frozen
class SecretKeyRef:
    """A key of a Secret in the hub's namespace, created outside the app (``kubectl create
    secret generic ...``): the hub's pod reads it into its environment. Client secrets and
    bind passwords are only ever given so, never as strings."""

    name: str
    key: str

    def check(self, scope: Construct, field: str) -> None:
        check_dns_subdomain(scope, f"{field}.name", self.name)
        check_secret_key(scope, f"{field}.key", self.key)


class HubLogin:
    """What every login of the hub's own provides; ``authenticator=`` takes any of them
    (or a ``HeaderTrust``, the auth proxy's header login)."""

    # As a HeaderTrust reads: no header is trusted, no JWT proof, names as the class makes them.
    mode: ClassVar[Literal["hub"]] = "hub"
    jwt: ClassVar[None] = None
    case_insensitive_names: ClassVar[bool] = False
    # "module:Class" of the real authenticator.
    authenticator_class: ClassVar[str] = ""
    # The hub container's variable for each secret, by the trait it fills.
    _SECRET_TRAITS: ClassVar[dict[str, str]] = {}

    def check(self, scope: Construct, field: str = "authenticator") -> None:
        """Types, values, and that someone but not everyone by accident may log in."""
        _refuse_plain_secrets(scope, field, self)
        check_fields(scope, self, f"{field}.")
        # First what the value's fields say together (LDAP's bind_dn with its password).
        self._check(scope, field)
        for name in self._SECRET_TRAITS:
            ref = getattr(self, _secret_field(name))
            ref.check(scope, f"{field}.{_secret_field(name)}")
        _check_users(scope, field, getattr(self, "allowed_users", ()))

    def check_access(self, scope: Construct, admin_users: Sequence[str], field: str) -> None:
        """Someone may log in (``allow_all``, an allow rule, or an admin), and ``allow_all``
        is not given beside a rule it would void."""
        rules = self._allow_rules()
        allow_all = getattr(self, "allow_all", False)
        given = [name for name, value in rules.items() if value]
        if allow_all and given:
            raise invalid(
                scope,
                f"{field}.allow_all",
                allow_all,
                f"lets everyone in, whatever {given[0]} says: pass one or the other",
            )
        if not allow_all and not given and not admin_users:
            raise invalid(
                scope,
                field,
                type(self).__name__,
                f"would let nobody in: name {' or '.join(rules)}, or pass allow_all=True "
                f"({self._everyone})",
            )

    # Who allow_all lets in, in the nobody-in error.
    _everyone: ClassVar[str] = "everyone the identity provider signs in"

    # The fields that let people in (the nobody-in check reads them), by name.
    _ALLOW_FIELDS: ClassVar[tuple[str, ...]] = ("allowed_users",)

    def _allow_rules(self) -> dict[str, Any]:
        return {name: getattr(self, name, ()) for name in self._ALLOW_FIELDS}

    def _check(self, scope: Construct, field: str) -> None:
        raise NotImplementedError

    def _traits(self, callback_url: str) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def endpoints(self) -> tuple[str, ...]:
        """The URLs the hub calls for this login (its egress must reach each)."""
        raise NotImplementedError

    def volumes(self) -> list[dict[str, Any]]:
        """The hub pod's volumes this login reads files from (none but Google's key)."""
        return []

    def volume_mounts(self) -> list[dict[str, Any]]:
        """Where the hub container mounts them."""
        return []

    def secrets(self) -> dict[str, SecretKeyRef]:
        """The hub container's variables and the Secret key each is read from."""
        return {
            variable: getattr(self, _secret_field(trait))
            for trait, variable in self._SECRET_TRAITS.items()
        }

    def login_settings(self, callback_url: str) -> LoginSettings:
        """The class and its traits, the callback at ``callback_url``."""
        traits = self._traits(callback_url)
        traits["allowed_users"] = sorted(getattr(self, "allowed_users", ()))
        traits["allow_all"] = bool(getattr(self, "allow_all", False))
        return LoginSettings(
            authenticator_class=self.authenticator_class,
            traits=dict(sorted(traits.items())),
            secret_traits=dict(self._SECRET_TRAITS),
            discovery_issuer=self._discovery_issuer,
        )

    # The issuer whose discovery document names the endpoints (OpenID Connect only).
    _discovery_issuer: ClassVar[str | None] = None


def _secret_field(trait: str) -> str:
    """The value's field holding the Secret key of ``trait``."""
    return {"lookup_dn_search_password": "bind_password"}.get(trait, trait)


# The fields of a login that hold a Secret's key (a client secret, a bind password, the
# auth-state key): a value of another type is refused without being shown.
_SECRET_FIELDS = ("client_secret", "bind_password", "auth_state_key", "service_account_key")


def _refuse_plain_secrets(scope: Construct, field: str, login: HubLogin) -> None:
    for name in _SECRET_FIELDS:
        if not hasattr(login, name):
            continue
        value = getattr(login, name)
        optional = name in ("bind_password", "auth_state_key", "service_account_key")
        if isinstance(value, SecretKeyRef) or (optional and value is None):
            continue
        shown = "<a string, not shown>" if isinstance(value, str) else type(value).__name__
        raise ValueError(
            f"{scope.node.path}: {field}.{name} must be a SecretKeyRef(name, key), a key of "
            f"a Secret the hub reads (never the secret itself), got {shown}"
        )


def _check_users(scope: Construct, field: str, users: Sequence[str]) -> None:
    for index, user in enumerate(users):
        if not user or user != user.strip():
            raise invalid(scope, f"{field}.allowed_users[{index}]", user, "must be a user name")


def _check_groups(scope: Construct, field: str, name: str, groups: Sequence[str]) -> None:
    for index, group in enumerate(groups):
        if not group:
            raise invalid(scope, f"{field}.{name}[{index}]", group, "must not be empty")


def _check_client_id(scope: Construct, field: str, client_id: str) -> None:
    if not client_id:
        raise invalid(scope, f"{field}.client_id", client_id, "must not be empty")


def _check_each(
    scope: Construct, field: str, values: Sequence[str], pattern: re.Pattern[str], allowed: str
) -> None:
    """Each of ``values`` matches ``pattern``; the first that does not is named by index."""
    for index, value in enumerate(values):
        if not pattern.fullmatch(value):
            raise invalid(scope, f"{field}[{index}]", value, allowed)


def _check_claim(scope: Construct, field: str, value: object) -> None:
    if not isinstance(value, str) or not _CLAIM.fullmatch(value):
        raise invalid(
            scope,
            field,
            value,
            "must be a claim name (letters, digits, '_', '-', ':', '.'; a '.' path into "
            "nested claims)",
        )


def _check_https(scope: Construct, field: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise invalid(
            scope,
            field,
            url,
            "must be an https:// URL with no query or fragment (OpenID "
            "Connect Core 2: the issuer is an https URL)",
        )


def _group_traits(
    groups_key: str | None, allowed: Sequence[str], admin: Sequence[str]
) -> dict[str, Any]:
    """OAuthenticator 17's groups: managed in the hub (JupyterHub's groups follow every
    login), read from the user info at ``groups_key``; admins decided at every login."""
    if groups_key is None:
        return {}
    return {
        "manage_groups": True,
        "auth_state_groups_key": groups_key,
        "allowed_groups": sorted(allowed),
        "admin_groups": sorted(admin),
    }


@frozen(kw_only=True)
class OidcLogin(HubLogin):
    """Any OpenID Connect provider (Keycloak, Okta, Dex, Authentik, Auth0, ...), with
    oauthenticator's ``GenericOAuthenticator``: the authorization-code flow with PKCE, the
    endpoints read from ``issuer``'s discovery document when the hub starts, the user info
    from the provider's userinfo endpoint.

    Fields:
        issuer: the provider's issuer, an https URL (Keycloak: ``https://<host>/realms/<realm>``).
        client_id: the client registered for the hub.
        client_secret: the client's secret (a ``SecretKeyRef``).
        username_claim: the claim the account name comes from; default
            ``preferred_username`` (readable; pick ``sub`` where names can be taken over).
        groups_claim: the claim listing the person's groups; default ``groups`` (Keycloak's
            group mapper, Okta, Dex); ``None`` for none, then no group rule may be given.
        scopes: what the hub asks for; default ``openid``, ``profile``, ``email`` (add the
            provider's groups scope where groups need one, e.g. Dex's ``groups``).
        allowed_users: account names that may log in; default none.
        allowed_groups: groups whose members may log in; default none.
        admin_groups: groups whose members are admins, decided at every login (a person
            removed from the group is no admin from their next login); default none.
        allow_all: every person the provider signs in may log in; default ``False``.
        login_service: the provider's name on the login button; default ``OpenID Connect``.
        auth_state_key: a Secret key holding the key the hub encrypts each person's tokens
            with (``openssl rand -hex 32``), a ``SecretKeyRef``; default ``None``, no tokens
            kept. With it the hub keeps the tokens (auth state) and asks the provider again
            every ``refresh_seconds`` and before each spawn (OAuthenticator's
            ``refresh_user``): the userinfo endpoint with the access token, and once that
            has expired, the token endpoint with the refresh token (where the provider
            issued one: Keycloak does by default, Okta and others for the ``offline_access``
            scope). Groups and admin rights so follow the provider between logins; a person
            the provider no longer knows, or whose refresh token it refused (revoked,
            expired), is logged out and must log in again.
        refresh_seconds: how old a person's auth state may be before the hub asks the
            provider again, at their next request (``Authenticator.auth_refresh_age``);
            default 300, JupyterHub's, well within the access tokens' 5 minutes to an hour
            at Keycloak, Entra ID, Okta. Only with ``auth_state_key``.
    """

    issuer: str
    client_id: str
    client_secret: SecretKeyRef
    username_claim: str = "preferred_username"
    groups_claim: str | None = "groups"
    scopes: Sequence[str] = ("openid", "profile", "email")
    allowed_users: Sequence[str] = ()
    allowed_groups: Sequence[str] = ()
    admin_groups: Sequence[str] = ()
    allow_all: bool = False
    login_service: str = "OpenID Connect"
    auth_state_key: SecretKeyRef | None = None
    refresh_seconds: int = DEFAULT_REFRESH_SECONDS

    authenticator_class: ClassVar[str] = "oauthenticator.generic:GenericOAuthenticator"
    _SECRET_TRAITS: ClassVar[dict[str, str]] = _CLIENT_SECRET_TRAITS

    def secrets(self) -> dict[str, SecretKeyRef]:
        """The client secret's variable; with ``auth_state_key``, JupyterHub's own
        ``JUPYTERHUB_CRYPT_KEY`` too (its ``CryptKeeper`` reads it)."""
        found = super().secrets()
        if self.auth_state_key is not None:
            found[AUTH_STATE_KEY_ENV] = self.auth_state_key
        return found

    def _check(self, scope: Construct, field: str) -> None:
        if self.auth_state_key is not None:
            self.auth_state_key.check(scope, f"{field}.auth_state_key")
        if not 1 <= self.refresh_seconds <= _MAX_REFRESH_SECONDS:
            raise invalid(
                scope,
                f"{field}.refresh_seconds",
                self.refresh_seconds,
                f"must be 1 to {_MAX_REFRESH_SECONDS} (a day): how old auth state may get",
            )
        if self.auth_state_key is None and self.refresh_seconds != DEFAULT_REFRESH_SECONDS:
            raise invalid(
                scope,
                f"{field}.refresh_seconds",
                self.refresh_seconds,
                "needs an auth_state_key: without kept tokens the hub has nothing to refresh",
            )
        _check_https(scope, f"{field}.issuer", self.issuer)
        _check_client_id(scope, field, self.client_id)
        _check_claim(scope, f"{field}.username_claim", self.username_claim)
        if self.groups_claim is not None:
            _check_claim(scope, f"{field}.groups_claim", self.groups_claim)
        for name in ("allowed_groups", "admin_groups"):
            groups = getattr(self, name)
            _check_groups(scope, field, name, groups)
            if groups and self.groups_claim is None:
                raise invalid(
                    scope,
                    f"{field}.{name}",
                    list(groups),
                    "needs a groups_claim: the groups are read from it",
                )
        if "openid" not in self.scopes:
            raise invalid(
                scope,
                f"{field}.scopes",
                list(self.scopes),
                "must include 'openid' (OpenID Connect)",
            )
        _check_each(scope, f"{field}.scopes", self.scopes, _SCOPE, "must be a scope token")

    _ALLOW_FIELDS: ClassVar[tuple[str, ...]] = ("allowed_users", "allowed_groups", "admin_groups")

    def _traits(self, callback_url: str) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "oauth_callback_url": callback_url,
            "scope": list(self.scopes),
            "username_claim": self.username_claim,
            # The userinfo endpoint's answer, with the access token the hub got itself.
            "userdata_from_id_token": False,
            "login_service": self.login_service,
            "enable_auth_state": self.auth_state_key is not None,
            # Refreshed at a request once this old, and before every spawn (a server
            # started with the provider's current word, JupyterHub's default is not to).
            **(
                {"auth_refresh_age": self.refresh_seconds, "refresh_pre_spawn": True}
                if self.auth_state_key is not None
                else {}
            ),
            **_group_traits(
                f"oauth_user.{self.groups_claim}" if self.groups_claim else None,
                self.allowed_groups,
                self.admin_groups,
            ),
        }

    @property
    def _discovery_issuer(self) -> str:  # type: ignore[override]
        return self.issuer

    @property
    def endpoints(self) -> tuple[str, ...]:
        # Discovery, authorization (the browser's), token, userinfo: the issuer's host at
        # Keycloak, Okta, Dex and Authentik.
        return (self.issuer,)


@frozen(kw_only=True)
class GitHubLogin(HubLogin):
    """GitHub (or GitHub Enterprise), with oauthenticator's ``GitHubOAuthenticator``; the
    account name is the GitHub login.

    Fields:
        client_id: the OAuth app's client id.
        client_secret: its secret (a ``SecretKeyRef``).
        organizations: organizations whose members may log in; default none.
        teams: teams (``org:team-slug``) whose members may log in; default none.
        allowed_users: GitHub logins that may log in; default none.
        allow_all: every GitHub user may log in; default ``False``.
        github_url: default ``https://github.com``; GitHub Enterprise's URL otherwise.

    Admins: the hub's ``admin_users`` only. ``GitHubOAuthenticator`` 17.4 has no admin rule
    of its own (no admin organizations or teams), and OAuthenticator's ``admin_groups``
    would need its groups from the auth state, where GitHub's teams are objects
    (``populate_teams_in_auth_state``), not names a settings value can point at.
    """

    client_id: str
    client_secret: SecretKeyRef
    organizations: Sequence[str] = ()
    teams: Sequence[str] = ()
    allowed_users: Sequence[str] = ()
    allow_all: bool = False
    github_url: str = "https://github.com"

    authenticator_class: ClassVar[str] = "oauthenticator.github:GitHubOAuthenticator"
    _SECRET_TRAITS: ClassVar[dict[str, str]] = _CLIENT_SECRET_TRAITS
    _everyone: ClassVar[str] = "every GitHub user"

    def _check(self, scope: Construct, field: str) -> None:
        _check_client_id(scope, field, self.client_id)
        _check_https(scope, f"{field}.github_url", self.github_url)
        _check_each(
            scope,
            f"{field}.organizations",
            self.organizations,
            _GITHUB_NAME,
            "must be a GitHub organization",
        )
        _check_each(
            scope, f"{field}.teams", self.teams, _GITHUB_TEAM, "must be 'organization:team-slug'"
        )

    _ALLOW_FIELDS: ClassVar[tuple[str, ...]] = ("allowed_users", "organizations", "teams")

    def _traits(self, callback_url: str) -> dict[str, Any]:
        traits: dict[str, Any] = {
            "client_id": self.client_id,
            "oauth_callback_url": callback_url,
            # GitHubOAuthenticator takes teams as "org:team" among the organizations.
            "allowed_organizations": sorted({*self.organizations, *self.teams}),
            # Membership of private organizations and teams needs read:org.
            "scope": ["read:org"] if self.organizations or self.teams else [],
        }
        if self.github_url != "https://github.com":
            traits["github_url"] = self.github_url
        return traits

    @property
    def endpoints(self) -> tuple[str, ...]:
        if self.github_url == "https://github.com":
            return ("https://github.com", "https://api.github.com")
        return (self.github_url,)


@frozen(kw_only=True)
class GoogleLogin(HubLogin):
    """Google accounts, with oauthenticator's ``GoogleOAuthenticator``; the account name is
    the verified email.

    Fields:
        client_id: the OAuth client's id (Google Cloud console, "Web application").
        client_secret: its secret (a ``SecretKeyRef``).
        hosted_domains: Google Workspace domains whose accounts alone may log in (the
            others are refused whatever else allows them); default none, any account.
            A domain allows no one by itself: add ``allow_all=True`` for everyone of them.
        allowed_users: emails that may log in; default none.
        allowed_google_groups: Google groups, by their email (``staff@example.org``), whose
            members may log in; default none. The hub reads a person's groups from the Admin
            SDK Directory API at every login, as ``service_account_key`` acting as
            ``gsuite_administrator``; a group counts for the people of its own domain only.
        admin_google_groups: Google groups, by email, whose members are admins, decided at
            every login (a person out of them is no admin from their next login, unless in
            the hub's ``admin_users``); default none.
        service_account_key: the JSON key of a service account with domain-wide delegation
            of ``https://www.googleapis.com/auth/admin.directory.group.readonly`` (a
            ``SecretKeyRef``); mounted read-only into the hub's pod as a file. Needed by,
            and only with, a groups rule.
        gsuite_administrator: the email of a Workspace administrator the service account
            acts as (``admin@example.org``), of the groups' domain; with the key.
        allow_all: every account (of the hosted domains, if any) may log in; default ``False``.
    """

    client_id: str
    client_secret: SecretKeyRef
    hosted_domains: Sequence[str] = ()
    allowed_users: Sequence[str] = ()
    allowed_google_groups: Sequence[str] = ()
    admin_google_groups: Sequence[str] = ()
    service_account_key: SecretKeyRef | None = None
    gsuite_administrator: str | None = None
    allow_all: bool = False

    authenticator_class: ClassVar[str] = "oauthenticator.google:GoogleOAuthenticator"
    _SECRET_TRAITS: ClassVar[dict[str, str]] = _CLIENT_SECRET_TRAITS
    _everyone: ClassVar[str] = "every Google account of the hosted_domains, or every one"
    _ALLOW_FIELDS: ClassVar[tuple[str, ...]] = (
        "allowed_users",
        "allowed_google_groups",
        "admin_google_groups",
    )

    def _check(self, scope: Construct, field: str) -> None:
        _check_client_id(scope, field, self.client_id)
        _check_each(
            scope, f"{field}.hosted_domains", self.hosted_domains, _DOMAIN, "must be a DNS domain"
        )
        groups = (*self.allowed_google_groups, *self.admin_google_groups)
        for name in ("allowed_google_groups", "admin_google_groups"):
            _check_each(
                scope,
                f"{field}.{name}",
                getattr(self, name),
                _EMAIL,
                "must be a Google group's email, e.g. 'staff@example.org'",
            )
        if not groups:
            for name in ("service_account_key", "gsuite_administrator"):
                if getattr(self, name) is not None:
                    raise invalid(
                        scope,
                        f"{field}.{name}",
                        "<given>" if name == "service_account_key" else getattr(self, name),
                        "is only read for allowed_google_groups or admin_google_groups: "
                        "name a group, or leave it out",
                    )
            return
        for name, purpose in (
            ("service_account_key", "the service account's JSON key (a SecretKeyRef)"),
            ("gsuite_administrator", "a Workspace administrator's email"),
        ):
            if getattr(self, name) is None:
                raise invalid(
                    scope,
                    f"{field}.{name}",
                    None,
                    f"must be given with Google groups: {purpose}, with which the hub reads "
                    "a person's groups from the Admin SDK Directory API",
                )
        assert self.service_account_key is not None and self.gsuite_administrator is not None
        self.service_account_key.check(scope, f"{field}.service_account_key")
        if not _EMAIL.fullmatch(self.gsuite_administrator):
            raise invalid(
                scope,
                f"{field}.gsuite_administrator",
                self.gsuite_administrator,
                "must be an administrator's email, e.g. 'admin@example.org'",
            )
        domain = self._domain
        for name in ("allowed_google_groups", "admin_google_groups"):
            for index, group in enumerate(getattr(self, name)):
                if group.partition("@")[2] != domain:
                    raise invalid(
                        scope,
                        f"{field}.{name}[{index}]",
                        group,
                        f"must be of gsuite_administrator's domain, {domain}: the class "
                        "acts as the administrator of the person's own domain",
                    )

    @property
    def _domain(self) -> str:
        """The Workspace domain of the groups (the administrator's)."""
        return (self.gsuite_administrator or "").partition("@")[2]

    def _traits(self, callback_url: str) -> dict[str, Any]:
        traits: dict[str, Any] = {
            "client_id": self.client_id,
            "oauth_callback_url": callback_url,
            "hosted_domain": list(self.hosted_domains),
        }
        if self.allowed_google_groups or self.admin_google_groups:
            # GoogleOAuthenticator 17.4 keys all four by the person's email domain, names
            # groups by their email's local part and the administrator likewise
            # (_fetch_member_groups, _service_client_credentials).
            domain = self._domain
            traits.update(
                google_service_account_keys={domain: self.service_account_key_path},
                gsuite_administrator={domain: (self.gsuite_administrator or "").partition("@")[0]},
                allowed_google_groups={
                    domain: sorted(g.partition("@")[0] for g in self.allowed_google_groups)
                },
                admin_google_groups={
                    domain: sorted(g.partition("@")[0] for g in self.admin_google_groups)
                },
            )
        return traits

    @property
    def service_account_key_path(self) -> str:
        """Where the hub's pod has the service account's key."""
        return f"{GOOGLE_KEY_DIR}/{GOOGLE_KEY_FILE}"

    def volumes(self) -> list[dict[str, Any]]:
        if self.service_account_key is None:
            return []
        ref = self.service_account_key
        return [
            {
                "name": GOOGLE_KEY_VOLUME,
                "secret": {
                    "secretName": ref.name,
                    "items": [{"key": ref.key, "path": GOOGLE_KEY_FILE}],
                    # The owner and the pod's fsGroup (the hub's gid) read it; no one writes.
                    "defaultMode": 0o440,
                },
            }
        ]

    def volume_mounts(self) -> list[dict[str, Any]]:
        if self.service_account_key is None:
            return []
        return [{"name": GOOGLE_KEY_VOLUME, "mountPath": GOOGLE_KEY_DIR, "readOnly": True}]

    @property
    def endpoints(self) -> tuple[str, ...]:
        # GoogleOAuthenticator 17.4's token_url and userdata_url (google_api_url's host),
        # and its groups: the Directory API (www.googleapis.com/admin/directory/v1), the
        # service account's token (google-auth's token URI, oauth2.googleapis.com) and
        # admin.googleapis.com, the Admin SDK's own host.
        if self.service_account_key is None:
            return ("https://www.googleapis.com",)
        return (
            "https://www.googleapis.com",
            "https://oauth2.googleapis.com",
            "https://admin.googleapis.com",
        )


@frozen(kw_only=True)
class EntraIdLogin(HubLogin):
    """Microsoft Entra ID (Azure AD), with oauthenticator's ``AzureAdOAuthenticator``; the
    user info is the ID token's claims.

    Fields:
        tenant_id: the directory (tenant) id, a GUID or a verified domain.
        client_id: the app registration's application (client) id.
        client_secret: its client secret (a ``SecretKeyRef``).
        username_claim: default ``preferred_username`` (the sign-in name; the class's own
            default, ``name``, is the display name, which people share).
        allowed_users: account names that may log in; default none.
        allowed_groups: group object ids (the ``groups`` claim, with the app's "groups
            claim" on) whose members may log in; default none.
        admin_groups: group object ids whose members are admins, at every login; default none.
        allow_all: everyone of the tenant may log in; default ``False``.
    """

    tenant_id: str
    client_id: str
    client_secret: SecretKeyRef
    username_claim: str = "preferred_username"
    allowed_users: Sequence[str] = ()
    allowed_groups: Sequence[str] = ()
    admin_groups: Sequence[str] = ()
    allow_all: bool = False

    authenticator_class: ClassVar[str] = "oauthenticator.azuread:AzureAdOAuthenticator"
    _SECRET_TRAITS: ClassVar[dict[str, str]] = _CLIENT_SECRET_TRAITS
    _everyone: ClassVar[str] = "everyone of the tenant"

    def _check(self, scope: Construct, field: str) -> None:
        if not _TENANT.fullmatch(self.tenant_id):
            raise invalid(
                scope, f"{field}.tenant_id", self.tenant_id, "must be a tenant GUID or domain"
            )
        _check_client_id(scope, field, self.client_id)
        _check_claim(scope, f"{field}.username_claim", self.username_claim)
        _check_groups(scope, field, "allowed_groups", self.allowed_groups)
        _check_groups(scope, field, "admin_groups", self.admin_groups)

    _ALLOW_FIELDS: ClassVar[tuple[str, ...]] = ("allowed_users", "allowed_groups", "admin_groups")

    def _traits(self, callback_url: str) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "tenant_id": self.tenant_id,
            "oauth_callback_url": callback_url,
            "username_claim": self.username_claim,
            **_group_traits(
                "user.groups" if self.allowed_groups or self.admin_groups else None,
                self.allowed_groups,
                self.admin_groups,
            ),
        }

    @property
    def endpoints(self) -> tuple[str, ...]:
        return ("https://login.microsoftonline.com",)


@frozen(kw_only=True)
class LdapLogin(HubLogin):
    """An LDAP directory (OpenLDAP, Active Directory, FreeIPA), with
    jupyterhub-ldapauthenticator's ``LDAPAuthenticator``: the hub's login form, the
    password checked by binding as the person.

    Fields:
        server_url: ``ldaps://host[:port]`` (TLS from the start, port 636), or
            ``ldap://host[:port]`` (StartTLS before any bind, port 389).
        user_search_base: where people are searched (``ou=people,dc=example,dc=org``).
        bind_dn: the account that searches for the person's DN; with ``bind_password``.
            ``None`` (the default) binds with ``dn_templates`` instead.
        bind_password: its password (a ``SecretKeyRef``).
        user_attribute: the attribute holding the login name; default ``uid`` (Active
            Directory: ``sAMAccountName``).
        dn_templates: DNs to bind as, ``{username}`` standing for the (escaped) login name,
            when there is no ``bind_dn``; default none.
        allowed_users: login names that may log in; default none.
        allowed_groups: group DNs whose members (``member``, ``uniqueMember`` or
            ``memberUid``) may log in; default none.
        allow_all: everyone the directory knows may log in; default ``False``.
        insecure_plaintext: ``ldap://`` without StartTLS (passwords in clear); default
            ``False``. Only for a directory on the same host.

    Admins: the hub's ``admin_users`` only. ``LDAPAuthenticator`` 2.0.2 has no admin rule
    (no admin groups: it reads ``allowed_groups`` membership alone, and returns no groups
    for JupyterHub's ``manage_groups``), so a group cannot make admins here.
    """

    server_url: str
    user_search_base: str
    bind_dn: str | None = None
    bind_password: SecretKeyRef | None = None
    user_attribute: str = "uid"
    dn_templates: Sequence[str] = ()
    allowed_users: Sequence[str] = ()
    allowed_groups: Sequence[str] = ()
    allow_all: bool = False
    insecure_plaintext: bool = False

    authenticator_class: ClassVar[str] = "ldapauthenticator:LDAPAuthenticator"
    _everyone: ClassVar[str] = "everyone the directory knows"

    @property
    def _SECRET_TRAITS(self) -> dict[str, str]:  # type: ignore[override]
        if self.bind_dn is None:
            return {}
        return {"lookup_dn_search_password": f"{LOGIN_SECRET_ENV_PREFIX}BIND_PASSWORD"}

    def _check(self, scope: Construct, field: str) -> None:
        parts = urlsplit(self.server_url)
        if (
            parts.scheme not in ("ldap", "ldaps")
            or not parts.hostname
            or parts.path
            not in (
                "",
                "/",
            )
        ):
            raise invalid(
                scope,
                f"{field}.server_url",
                self.server_url,
                "must be ldaps://host[:port] or ldap://host[:port]",
            )
        if self.insecure_plaintext and parts.scheme == "ldaps":
            raise invalid(
                scope, f"{field}.insecure_plaintext", True, "applies to ldap:// only, not ldaps://"
            )
        for name, dn in (("user_search_base", self.user_search_base), ("bind_dn", self.bind_dn)):
            if dn is not None and not _DN.fullmatch(dn):
                raise invalid(scope, f"{field}.{name}", dn, "must be an LDAP DN (RFC 4514)")
        if (self.bind_dn is None) != (self.bind_password is None):
            raise invalid(
                scope, f"{field}.bind_password", self.bind_password, "and bind_dn go together"
            )
        if (self.bind_dn is None) == (not self.dn_templates):
            raise invalid(
                scope,
                f"{field}.dn_templates",
                list(self.dn_templates),
                "or bind_dn (with bind_password) must be given, not both",
            )
        for index, template in enumerate(self.dn_templates):
            if "{username}" not in template or not _DN.fullmatch(
                template.replace("{username}", "x")
            ):
                raise invalid(
                    scope,
                    f"{field}.dn_templates[{index}]",
                    template,
                    "must be a DN with {username}, e.g. 'uid={username},ou=people,dc=org'",
                )
        if not _ATTRIBUTE.fullmatch(self.user_attribute):
            raise invalid(
                scope, f"{field}.user_attribute", self.user_attribute, "must be an attribute name"
            )
        _check_each(
            scope, f"{field}.allowed_groups", self.allowed_groups, _DN, "must be a group's DN"
        )

    _ALLOW_FIELDS: ClassVar[tuple[str, ...]] = ("allowed_users", "allowed_groups")

    def _traits(self, callback_url: str) -> dict[str, Any]:
        parts = urlsplit(self.server_url)
        tls = "on_connect" if parts.scheme == "ldaps" else "before_bind"
        traits: dict[str, Any] = {
            "server_address": parts.hostname,
            "server_port": parts.port or (636 if parts.scheme == "ldaps" else 389),
            "tls_strategy": "insecure" if self.insecure_plaintext else tls,
            "user_search_base": self.user_search_base,
            "user_attribute": self.user_attribute,
            "allowed_groups": list(self.allowed_groups),
        }
        if self.bind_dn is not None:
            traits.update(
                lookup_dn=True,
                lookup_dn_search_user=self.bind_dn,
                # One entry with the login name, escaped by the class (RFC 4515).
                lookup_dn_search_filter="({login_attr}={login})",
                lookup_dn_user_dn_attribute=self.user_attribute,
            )
        else:
            traits["bind_dn_template"] = list(self.dn_templates)
        return traits

    @property
    def endpoints(self) -> tuple[str, ...]:
        return (self.server_url,)


def chosen_authenticator(
    scope: Construct, authenticator: HeaderTrust | HubLogin | None, header_trust: HeaderTrust | None
) -> HeaderTrust | HubLogin:
    """The one login of the hub: ``authenticator``, or ``header_trust`` (its former name,
    still taken for the header login)."""
    if (authenticator is None) == (header_trust is None):
        raise invalid(
            scope,
            "authenticator",
            authenticator,
            "must be given (OidcLogin, GitHubLogin, GoogleLogin, EntraIdLogin, LdapLogin, or "
            "HeaderTrust for an auth proxy's header), once: not beside header_trust",
        )
    chosen = authenticator if authenticator is not None else header_trust
    assert chosen is not None
    return chosen


def callback_url(scope: Construct, hosts: Sequence[str], hub_prefix: str) -> str:
    """Where the provider sends the browser back: the first public host's callback (the
    one URL registered at the provider)."""
    host = hosts[0]
    if host.startswith("*."):
        raise invalid(
            scope,
            "public_hosts[0]",
            host,
            "must be a host name, not a wildcard: the provider sends the browser back to "
            "its first host's /hub/oauth_callback",
        )
    return f"https://{host}{hub_prefix}{CALLBACK_PATH}"
