"""HeaderAuthenticator: log in the user an auth proxy names in a request header."""

from __future__ import annotations

from typing import Any

from tornado import web
from traitlets import Bool, Instance, Integer, Set, Unicode, default, observe

from hub_runtime import bindings
from hub_runtime.jwt_proof import InvalidProof, JwtVerifier
from hub_runtime.log_values import shown
from hub_runtime.login_handler import HeaderLoginHandler
from hub_runtime.revocation import SettingsEnforcement
from hub_runtime.session_handlers import session_handlers
from hub_runtime.settings import JwtSettings
from hub_runtime.spawn_requests import SPAWN_REQUEST_HANDLERS
from hub_runtime.user_names import from_header, name_problem

__all__ = ["HeaderAuthenticator"]


class HeaderAuthenticator(SettingsEnforcement):
    """Auto-login from a header set by an authenticating proxy (oauth2-proxy), no login form.

    With ``jwt`` set, the header is believed only together with the proxy's signed ID token
    (``Authorization: Bearer …``) that names the header's person, by its ``sub`` (what
    oauth2-proxy sends for OIDC) or by its ``user_claim``; the account name is then the
    token's ``user_claim``, the account is bound to the token's issuer and ``sub`` at its first
    login (:mod:`hub_runtime.bindings`; another person's token for it is 403), and its groups
    claim may make the person an admin (``admin_groups``) or an allowed user
    (``allowed_groups``). Otherwise the header is believed as is, which is safe only where
    the mesh lets nothing but the proxy reach the hub's login path. A missing header or
    proof is 401. A name is 403 when it is
    not UTF-8, not a valid user name (:meth:`validate_username`: two joined header copies,
    ``/``, ``..``, too long, outside the pattern, not NFKC, mixed scripts), or when
    JupyterHub's normalization (lower case) would change it and ``case_insensitive_names``
    is off. When the header names another user than the session cookie, the session is
    replaced. Values from the request are logged escaped and cut short. Admins, access and
    sessions follow the settings at every request (:class:`SettingsEnforcement`).
    """

    auto_login = True
    # Compare the header with the cookie's user on every request (see refresh_user): the
    # trait counts whole seconds, and a header switch must not wait for the next one.
    auth_refresh_age = 1e-9

    user_header = Unicode(
        "X-Auth-Request-User",
        config=True,
        help="Request header holding the user name the auth proxy signed in.",
    )
    proof_header = Unicode(
        "Authorization",
        config=True,
        help="Request header holding 'Bearer <JWT>', the auth proxy's proof (JWT mode).",
    )
    user_pattern = Unicode(
        r"\w[\w.@+-]*",
        config=True,
        help="A user name must match this whole (Python regex) before normalization.",
    )
    max_length = Integer(64, config=True, help="Longest user name accepted, in characters.")
    case_insensitive_names = Bool(
        False,
        config=True,
        help="""Whether names that differ only in case are one person at the identity provider.

        False: a header name that normalize_username would change (JupyterHub lower-cases
        names) is refused, so "Ann" and "ann" never share an account. True: "Ann" logs in
        as "ann", and the proof's user claim is compared after the same normalization.""",
    )
    jwt = Instance(
        JwtSettings,
        allow_none=True,
        config=True,
        help="Proof required with the header; None trusts the header as is.",
    )

    admin_groups = Set(
        Unicode(),
        config=True,
        help="""Members of any of these groups (the ID token's groups claim) are admins.

        Decided at every login: leaving the group ends admin rights at the next one.
        admin_users stay admins whatever their groups. Needs ``jwt``.""",
    )
    allowed_groups = Set(
        Unicode(),
        config=True,
        help="""Members of any of these groups (the ID token's groups claim) may log in,
        besides allowed_users and admins (allow_all off). Needs ``jwt``.""",
    ).tag(allow_config=True)

    @default("allow_all")
    def _allow_all_default(self) -> bool:
        return False

    @default("manage_groups")
    def _manage_groups_default(self) -> bool:
        # The hub keeps each login's groups, so the checks between logins (admin and access
        # at every request and at start, hub_runtime.revocation) see the groups it decided on.
        # Groups come only with the ID token (jwt).
        return self.jwt is not None and bool(self.admin_groups or self.allowed_groups)

    def is_admin(self, handler: Any, authentication: dict[str, Any]) -> bool | None:
        """JupyterHub's (``admin_users``), or a member of ``admin_groups``."""
        if set(authentication.get("groups") or ()) & self.admin_groups:
            return True
        return super().is_admin(handler, authentication)  # type: ignore[no-any-return]

    @observe("jwt")
    def _jwt_changed(self, change: dict[str, Any]) -> None:
        self._verifier = JwtVerifier(change["new"]) if change["new"] is not None else None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._verifier = JwtVerifier(self.jwt) if self.jwt is not None else None
        self._table_ready = False
        # account -> bound subject, as this hub bound or read it.
        self._subjects: dict[str, str] = {}

    def get_handlers(self, app: Any) -> list[tuple[Any, ...]]:
        """JupyterHub's login page, minus its no-op writes for returning users (see
        :class:`HeaderLoginHandler`); its spawn form and server API, refusing forged spawn
        options at once (:mod:`hub_runtime.spawn_requests`); logout and "log out everywhere"
        ending sessions (:mod:`hub_runtime.session_handlers`). Served before JupyterHub's own."""
        return [("/login", HeaderLoginHandler), *SPAWN_REQUEST_HANDLERS, *session_handlers()]

    def header_user(self, handler: web.RequestHandler) -> str | None:
        """The header's user name (UTF-8 restored), or None when absent; 403 if not UTF-8."""
        raw = handler.request.headers.get(self.user_header)
        if raw is None or raw == "":
            return None
        try:
            return from_header(raw)
        except ValueError:
            self.log.warning(
                "Rejected user name in %s that is not UTF-8: %s", self.user_header, shown(raw)
            )
            raise web.HTTPError(403, "user name is not UTF-8") from None

    def validate_username(self, username: str) -> bool:
        """JupyterHub's checks, then the name rules: see :func:`name_problem`."""
        return self._name_problem(username) is None

    def _name_problem(self, name: str) -> str | None:
        problem = name_problem(name, pattern=self.user_pattern, max_length=self.max_length)
        if problem is None and not super().validate_username(name):
            problem = "is not a valid JupyterHub user name"
        return problem

    def account_name(self, name: str) -> str:
        """The account a valid header name logs in as."""
        return str(self.normalize_username(name))

    async def authenticate(self, handler: web.RequestHandler, data: Any = None) -> dict[str, Any]:
        """The auth model: ``name``; with ``jwt``, also the token's ``groups`` (a list), its
        person (``identity``: issuer and subject, bound to the account after the allow
        checks, see :meth:`run_post_auth_hook`) and ``admin`` when ``admin_groups`` decide it
        (None otherwise: ``admin_users`` decide, as in JupyterHub)."""
        header = self.header_user(handler)
        if header is None:
            raise web.HTTPError(401, f"missing {self.user_header} header")
        if self._verifier is None:
            bare: dict[str, Any] = {"name": self._checked_name(header, self.user_header)}
            # JupyterHub requires groups in every login's model where groups are managed.
            return {**bare, "groups": []} if self.manage_groups else bare
        claims = await self._verified_claims(handler, header)
        assert self.jwt is not None
        name = self._checked_name(claims[self.jwt.user_claim], f"claim {self.jwt.user_claim}")
        groups = self._groups(claims, name)
        model: dict[str, Any] = {
            "name": name,
            "groups": sorted(groups),
            "identity": {"issuer": claims["iss"], "subject": claims["sub"]},
            "admin": None,
        }
        if self.admin_groups:
            # Membership decides at every login, so a person removed from the group is
            # no longer an admin at the next one; admin_users stay admins.
            model["admin"] = bool(groups & self.admin_groups) or self.account_name(name) in set(
                self.admin_users
            )
        return model

    def _checked_name(self, name: str, source: str) -> str:
        """``name`` if it is a valid user name in normal form, else 403 (logged)."""
        problem = self._name_problem(name)
        if problem is not None:
            self.log.warning(
                "Rejected invalid user name in %s: %s %s", source, shown(name), problem
            )
            raise web.HTTPError(403, "invalid user name")
        account = self.account_name(name)
        if account != name and not self.case_insensitive_names:
            self.log.warning(
                "Rejected user name in %s: %s would log in as %s, and the identity provider "
                "may tell the two apart (case_insensitive_names is off)",
                source,
                shown(name),
                shown(account),
            )
            raise web.HTTPError(403, "user name is not in normal form")
        return name

    def _same_name(self, header: str, claimed: str) -> bool:
        if self.case_insensitive_names:
            return self.account_name(claimed) == self.account_name(header)
        return claimed == header

    async def _verified_claims(self, handler: web.RequestHandler, header: str) -> dict[str, Any]:
        """The proof's claims, once it is valid, has the user claim, and names the header's
        person (by ``sub`` or by the user claim); 401 saying what was compared otherwise."""
        assert self._verifier is not None and self.jwt is not None
        value = handler.request.headers.get(self.proof_header, "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise web.HTTPError(401, f"missing proof in {self.proof_header}")
        try:
            claims = await self._verifier.verify(token.strip())
        except InvalidProof as error:
            # The message quotes token values escaped and cut short (see InvalidProof).
            self.log.warning("Rejected proof for %s: %s", shown(header), error)
            raise web.HTTPError(401, "invalid proof") from None
        user_claim = self.jwt.user_claim
        claimed = claims.get(user_claim)
        if not isinstance(claimed, str) or not claimed:
            self.log.warning(
                "Rejected proof for %s: its %s is %s, not a name (claims: %s)",
                shown(header),
                user_claim,
                shown(claimed),
                shown(sorted(claims)),
            )
            raise web.HTTPError(401, "%s", f"the ID token has no {user_claim} claim")
        if user_claim == "email" and claims.get("email_verified") is False:
            # OpenID Connect Core 5.1: an email is the person's only when email_verified says so.
            self.log.warning("Rejected proof for %s: email_verified is false", shown(claimed))
            raise web.HTTPError(403, "the ID token's email is not verified")
        if header != claims["sub"] and not self._same_name(header, claimed):
            compared = (
                f"{self.user_header} {shown(header)} is neither the ID token's sub "
                f"{shown(claims['sub'])} nor its {user_claim} {shown(claimed)}"
            )
            self.log.warning("Rejected proof: %s", compared)
            raise web.HTTPError(401, "%s", f"proof is for another user: {compared}")
        return claims

    def _groups(self, claims: dict[str, Any], name: str) -> set[str]:
        """The token's groups claim (none when absent); 403 when it is not a list of strings."""
        assert self.jwt is not None
        value = claims.get(self.jwt.groups_claim, [])
        if not isinstance(value, list) or not all(isinstance(g, str) for g in value):
            self.log.warning(
                "Rejected proof for %s: its %s claim is %s, not a list of strings",
                shown(name),
                self.jwt.groups_claim,
                shown(value),
            )
            raise web.HTTPError(
                403, "%s", f"the ID token's {self.jwt.groups_claim} claim is not a list of names"
            )
        return set(value)

    def check_allowed(self, username: str, authentication: dict[str, Any] | None = None) -> bool:
        """JupyterHub's (``allow_all``, ``allowed_users``), then admins (``admin_users``, and
        ``admin_groups`` members) and members of ``allowed_groups``."""
        if super().check_allowed(username, authentication) or username in self.admin_users:
            return True
        model = authentication or {"name": username}
        groups = set(model.get("groups") or ())
        return bool(model.get("admin")) or bool(groups & (self.admin_groups | self.allowed_groups))

    async def run_post_auth_hook(self, handler: Any, auth_model: dict[str, Any]) -> Any:
        """Once the person is allowed in: bind the account to them at their first login, and
        refuse (403) anyone else's token for it; then JupyterHub's ``post_auth_hook``."""
        identity = auth_model.get("identity")
        if identity is not None:
            self._bind(handler.db, auth_model["name"], identity["issuer"], identity["subject"])
        return await super().run_post_auth_hook(handler, auth_model)

    def _bindings(self, db: Any) -> Any:
        """The hub session's connection, the bindings table created once per process. The
        hub's own connection: a second one could wait on locks the session holds."""
        if not self._table_ready:
            bindings.ensure_table(db.connection())
            db.commit()
            self._table_ready = True
        return db.connection()

    def _bind(self, db: Any, account: str, issuer: str, subject: str) -> None:
        # Between the read and the write nothing awaits: no other login comes in between.
        holder, made = bindings.bind(self._bindings(db), account, issuer, subject)
        if made:
            db.commit()
        self._subjects[account] = holder.subject
        if not holder.same_person(issuer, subject):
            self.log.warning(
                "Refused login to %s: it is bound to subject %s of %s since %s, the token is of "
                "subject %s of %s (an operator releases it with hub_runtime/bindings.py)",
                shown(account),
                shown(holder.subject),
                shown(holder.issuer),
                holder.bound_at,
                shown(subject),
                shown(issuer),
            )
            raise web.HTTPError(
                403,
                "%s",
                f"account {account!r} belongs to another person of the identity provider "
                "(another sub): ask an administrator if it should be yours",
            )

    def _subject_of(self, db: Any, account: str) -> str | None:
        """The subject bound to ``account`` (cached from logins, else read once)."""
        if account not in self._subjects:
            holder = bindings.bound_to(self._bindings(db), account)
            if holder is None:
                return None
            self._subjects[account] = holder.subject
        return self._subjects[account]

    async def refresh_user(self, user: Any, handler: web.RequestHandler | None = None) -> Any:
        """False (log in again) when the header names someone else than the cookie's user;
        then the settings' checks (:meth:`SettingsEnforcement.refresh_user`)."""
        if handler is None:
            return await super().refresh_user(user, handler)
        try:
            name = self.header_user(handler)
        except web.HTTPError:
            name = ""  # not UTF-8: the login refuses it
        if (
            name is None
            or name == user.name
            or (self.case_insensitive_names and self.account_name(name) == user.name)
        ):
            return await super().refresh_user(user, handler)
        # oauth2-proxy names the person by sub: the same person as the account's.
        if self._verifier is not None and name == self._subject_of(
            handler.db,  # type: ignore[attr-defined]  # a JupyterHub BaseHandler
            user.name,
        ):
            return await super().refresh_user(user, handler)
        # JupyterHub 6.1 reads this before token auth ever set it on cookie requests.
        if not hasattr(handler, "_token_authenticated"):
            handler._token_authenticated = False  # type: ignore[attr-defined]
        return False
