"""HeaderAuthenticator: log in the user an auth proxy names in a request header."""

from __future__ import annotations

from typing import Any

from tornado import web
from traitlets import Bool, Instance, Integer, Unicode, default, observe

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
    (``Authorization: Bearer …``) whose ``user_claim`` names the same user; otherwise the
    header is believed as is, which is safe only where the mesh lets nothing but the proxy
    reach the hub's login path. A missing header or proof is 401. A name is 403 when it is
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

    @default("allow_all")
    def _allow_all_default(self) -> bool:
        return False

    @observe("jwt")
    def _jwt_changed(self, change: dict[str, Any]) -> None:
        self._verifier = JwtVerifier(change["new"]) if change["new"] is not None else None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._verifier = JwtVerifier(self.jwt) if self.jwt is not None else None

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

    async def authenticate(self, handler: web.RequestHandler, data: Any = None) -> str:
        name = self.header_user(handler)
        if name is None:
            raise web.HTTPError(401, f"missing {self.user_header} header")
        problem = self._name_problem(name)
        if problem is not None:
            self.log.warning(
                "Rejected invalid user name in %s: %s %s", self.user_header, shown(name), problem
            )
            raise web.HTTPError(403, "invalid user name")
        account = self.account_name(name)
        if account != name and not self.case_insensitive_names:
            self.log.warning(
                "Rejected user name in %s: %s would log in as %s, and the identity provider "
                "may tell the two apart (case_insensitive_names is off)",
                self.user_header,
                shown(name),
                shown(account),
            )
            raise web.HTTPError(403, "user name is not in normal form")
        if self._verifier is not None:
            await self._check_proof(handler, name)
        return name

    async def _check_proof(self, handler: web.RequestHandler, name: str) -> None:
        assert self._verifier is not None and self.jwt is not None
        value = handler.request.headers.get(self.proof_header, "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise web.HTTPError(401, f"missing proof in {self.proof_header}")
        try:
            claims = await self._verifier.verify(token.strip())
        except InvalidProof as error:
            # The message quotes token values escaped and cut short (see InvalidProof).
            self.log.warning("Rejected proof for %s: %s", shown(name), error)
            raise web.HTTPError(401, "invalid proof") from None
        claimed = claims.get(self.jwt.user_claim)
        if self.case_insensitive_names and isinstance(claimed, str):
            same = self.account_name(claimed) == self.account_name(name)
        else:
            same = claimed == name
        if not same:
            self.log.warning("Proof names %s, header names %s", shown(claimed), shown(name))
            raise web.HTTPError(401, "proof is for another user")

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
        # JupyterHub 6.1 reads this before token auth ever set it on cookie requests.
        if not hasattr(handler, "_token_authenticated"):
            handler._token_authenticated = False  # type: ignore[attr-defined]
        return False
