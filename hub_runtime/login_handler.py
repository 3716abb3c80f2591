"""The header login's handler: JupyterHub's login, minus the database work that is provably
a no-op for a returning user whose stored data the login would not change."""

from __future__ import annotations

from typing import Any

from jupyterhub import orm
from jupyterhub.handlers.login import LoginHandler
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import object_session

__all__ = ["HeaderLoginHandler"]

# Built once, run at every login.
_USER_ID = select(orm.User.id).where(orm.User.name == bindparam("name"))


class HeaderLoginHandler(LoginHandler):  # type: ignore[misc]
    """``/hub/login`` for :class:`~hub_runtime.auth.HeaderAuthenticator`.

    JupyterHub's ``auth_to_user`` runs on every login: it loads the user with its roles,
    shares and groups (for a user already in the hub's session the reloaded relationships are
    discarded, the session's copies being kept), looks up the ``admin`` and ``user`` roles to
    grant or strip them, and sets ``encrypted_auth_state`` and commits, which flushes the
    user's whole object graph. For a returning user with nothing to change all of it is a
    no-op: the user exists, the default roles are already as ``assign_default_roles`` would
    leave them, auth state is disabled and already empty, the login brings no ``admin`` change
    nor ``user_info``, and neither groups nor roles are managed by the authenticator. Then
    only the user's id is read and the session's own copy of the user is taken, exactly the
    object JupyterHub's lookup would return. In every other case (new user, missing or extra
    default role, auth state enabled or stored, admin change, managed groups or roles, a user
    not loaded in the session) JupyterHub's own ``auth_to_user`` runs unchanged.
    """

    async def auth_to_user(self, authenticated: Any, user: Any = None) -> Any:
        if user is None and isinstance(authenticated, dict):
            unchanged = self._unchanged_user(authenticated)
            if unchanged is not None:
                # JupyterHub's login ends with a commit; the session has nothing to write.
                self.db.commit()
                return unchanged
        return await super().auth_to_user(authenticated, user)

    def _unchanged_user(self, authenticated: dict[str, Any]) -> Any:
        """The cached User when logging it in would change nothing stored, else None."""
        authenticator = self.authenticator
        if (
            authenticator.enable_auth_state
            or authenticator.manage_groups
            or authenticator.manage_roles
            or authenticated.get("user_info") is not None
        ):
            return None
        user_id = self.db.execute(_USER_ID, {"name": authenticated["name"]}).scalar_one_or_none()
        if user_id is None or user_id not in self.users:
            return None
        user = self.users[user_id]
        orm_user = user.orm_user
        state = inspect(orm_user)
        if (
            object_session(orm_user) is not self.db
            or state.expired_attributes
            or "roles" not in state.dict
            or orm_user.encrypted_auth_state is not None
        ):
            return None
        admin = authenticated.get("admin")
        if admin is not None and admin != orm_user.admin:
            return None
        roles = {role.name for role in orm_user.roles}
        if "user" not in roles or ("admin" in roles) != bool(orm_user.admin):
            return None
        # The same User JupyterHub's lookup returns (the cached one, given the session).
        return self._user_from_orm(orm_user)
