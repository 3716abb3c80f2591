"""HeaderAuthenticator: log in the user an auth proxy names in a request header."""

from __future__ import annotations

import re
from typing import Any

from jupyterhub.auth import Authenticator
from tornado import web
from traitlets import Instance, Integer, Unicode, default, observe

from hub_runtime.jwt_proof import InvalidProof, JwtVerifier
from hub_runtime.settings import JwtSettings

__all__ = ["HeaderAuthenticator"]


class HeaderAuthenticator(Authenticator):  # type: ignore[misc]
    """Auto-login from a header set by an authenticating proxy (oauth2-proxy), no login form.

    With ``jwt`` set, the header is believed only together with the proxy's signed ID token
    (``Authorization: Bearer …``) whose ``user_claim`` names the same user; otherwise the
    header is believed as is, which is safe only where the mesh lets nothing but the proxy
    reach the hub's login path. A missing header or proof is 401; a name that is not a valid
    user name (two joined header copies, ``/``, ``..``, too long, outside the pattern) is 403.
    When the header names another user than the session cookie, the session is replaced.
    """

    auto_login = True
    # Compare the header with the cookie's user on every request (see refresh_user): the
    # trait counts whole seconds, and a header switch must not wait for the next one.
    auth_refresh_age = 1e-9

    user_header = Unicode(
        "X-Auth-Request-User", config=True,
        help="Request header holding the user name the auth proxy signed in.")
    proof_header = Unicode(
        "Authorization", config=True,
        help="Request header holding 'Bearer <JWT>', the auth proxy's proof (JWT mode).")
    user_pattern = Unicode(
        r"\w[\w.@+-]*", config=True,
        help="A user name must match this whole (Python regex) before normalization.")
    max_length = Integer(64, config=True, help="Longest user name accepted, in characters.")
    jwt = Instance(JwtSettings, allow_none=True, config=True,
                   help="Proof required with the header; None trusts the header as is.")

    @default("allow_all")
    def _allow_all_default(self) -> bool:
        return False

    @observe("jwt")
    def _jwt_changed(self, change: dict[str, Any]) -> None:
        self._verifier = JwtVerifier(change["new"]) if change["new"] is not None else None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._verifier = JwtVerifier(self.jwt) if self.jwt is not None else None

    def header_user(self, handler: web.RequestHandler) -> str | None:
        """The header's user name as sent (UTF-8 restored), or None when absent."""
        raw = handler.request.headers.get(self.user_header)
        if raw is None or raw == "":
            return None
        try:
            # Tornado decodes header bytes as latin-1; the proxy sends UTF-8.
            return str(raw.encode("latin-1").decode("utf-8"))
        except (UnicodeEncodeError, UnicodeDecodeError):
            return str(raw)

    def is_valid_name(self, name: str) -> bool:
        return (len(name) <= self.max_length and ".." not in name
                and re.fullmatch(self.user_pattern, name) is not None)

    async def authenticate(self, handler: web.RequestHandler, data: Any = None) -> str:
        name = self.header_user(handler)
        if name is None:
            raise web.HTTPError(401, f"missing {self.user_header} header")
        if not self.is_valid_name(name):
            self.log.warning("Rejected invalid user name in %s: %r", self.user_header,
                             name[:80])
            raise web.HTTPError(403, "invalid user name")
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
            self.log.warning("Rejected proof for %r: %s", name[:80], error)
            raise web.HTTPError(401, "invalid proof") from None
        if claims.get(self.jwt.user_claim) != name:
            self.log.warning("Proof names %r, header names %r",
                             str(claims.get(self.jwt.user_claim))[:80], name[:80])
            raise web.HTTPError(401, "proof is for another user")

    async def refresh_user(self, user: Any, handler: web.RequestHandler | None = None) -> bool:
        """False (log in again) when the header names someone else than the cookie's user."""
        if handler is None:
            return True
        name = self.header_user(handler)
        if name is None or self.normalize_username(name) == user.name:
            return True
        # JupyterHub 6.1 reads this before token auth ever set it on cookie requests.
        if not hasattr(handler, "_token_authenticated"):
            handler._token_authenticated = False  # type: ignore[attr-defined]
        return False
