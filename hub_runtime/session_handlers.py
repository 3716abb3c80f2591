"""Logout that ends the session, and "log out everywhere" for admins (see
:func:`hub_runtime.revocation.end_sessions`)."""

from __future__ import annotations

from typing import Any

from jupyterhub.apihandlers.base import APIHandler
from jupyterhub.handlers.login import LogoutHandler
from jupyterhub.scopes import needs_scope
from tornado import web

from hub_runtime.log_values import shown
from hub_runtime.revocation import end_sessions

__all__ = ["SESSIONS_API_PATH", "EndingLogoutHandler", "UserSessionsAPIHandler", "session_handlers"]

# Under the hub's prefix: DELETE /hub/api/users/<name>/sessions.
SESSIONS_API_PATH = "/api/users/([^/]+)/sessions"


class EndingLogoutHandler(LogoutHandler):  # type: ignore[misc]
    """JupyterHub's logout (cookies cleared, the session's own tokens deleted), then the
    user's sessions ended: JupyterHub's login cookie carries the user's ``cookie_id``, the
    same in every copy and never changed by its logout, so a copy of it kept logging in."""

    async def handle_logout(self) -> None:
        user = self.current_user
        if user is not None:
            revoked = end_sessions(self.db, user.orm_user)
            self.log.info("Ended %s's sessions (%d tokens revoked)", shown(user.name), revoked)
        await super().handle_logout()


class UserSessionsAPIHandler(APIHandler):  # type: ignore[misc]
    """``DELETE /hub/api/users/<name>/sessions``: log the user out everywhere (scope
    ``admin:users``); 204. Their servers keep running; tokens they made stay."""

    @needs_scope("admin:users")  # type: ignore[untyped-decorator]
    async def delete(self, user_name: str) -> None:
        user = self.find_user(user_name)
        if user is None:
            raise web.HTTPError(404, f"no user {shown(user_name)}")
        revoked = end_sessions(self.db, user.orm_user)
        self.log.info(
            "%s ended %s's sessions (%d tokens revoked)",
            shown(self.current_user.name),
            shown(user.name),
            revoked,
        )
        self.set_status(204)
        self.finish()


def session_handlers() -> list[tuple[str, Any]]:
    """The authenticator's handlers for logout and the admin action."""
    return [("/logout", EndingLogoutHandler), (SESSIONS_API_PATH, UserSessionsAPIHandler)]
