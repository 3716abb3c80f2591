"""What the settings take away is gone: admin rights, access and login sessions.

JupyterHub's own defaults only ever grant: ``admin_users`` makes admins and never unmakes
them, ``allowed_users`` and ``blocked_users`` are checked at login only (a hub cookie lives
14 days), and logout leaves the user's ``cookie_id``, which every copy of the login cookie
carries, as it was. :class:`SettingsEnforcement`, a base of the authenticator, checks the
settings again when the hub has started and at every request (``refresh_user``), and
:func:`end_sessions` is what logging out does.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyterhub import orm, roles
from jupyterhub.auth import Authenticator
from jupyterhub.utils import maybe_future, new_token
from sqlalchemy.orm import Session, object_session, selectinload
from tornado import web
from traitlets import Bool, default

from hub_runtime.log_values import shown

__all__ = ["HUB_CLIENT", "SettingsEnforcement", "end_sessions"]

# JupyterHub's own OAuth client: the tokens a user makes through the API (the token page)
# and their servers' own tokens belong to it; every other client's token came from an
# OAuth login (a user server's or a service's), made for a browser session.
HUB_CLIENT = "jupyterhub"


# Users checked at the hub's start between two turns of its event loop.
_AT_START_BATCH = 200


class _Held:
    """What the settings' checks read of a user the hub holds: the name and the database
    row. The start's pass over every user makes a JupyterHub ``User`` (1.7 ms each,
    measured: 17 s of the hub's one event loop at 10,000 users, at every start) only for one
    whose sessions and servers it ends."""

    def __init__(self, orm_user: orm.User) -> None:
        self.orm_user = orm_user
        self.name = orm_user.name


def end_sessions(db: Session, orm_user: orm.User) -> int:
    """Log ``orm_user`` out everywhere; returns how many tokens were revoked.

    A new ``cookie_id``: no copy of any of the user's hub login cookies (and no XSRF token
    made for one) logs anyone in. Every token a login obtained through OAuth (user servers'
    and services' browser sessions) is deleted. Tokens the user made on purpose and their
    servers' own tokens stay."""
    orm_user.cookie_id = new_token()
    tokens = db.query(orm.APIToken).filter(
        orm.APIToken.user_id == orm_user.id, orm.APIToken.client_id != HUB_CLIENT
    )
    revoked = 0
    for token in tokens:
        db.delete(token)
        revoked += 1
    db.commit()
    return revoked


def _session(orm_user: orm.User) -> Session:
    """The hub's database session the user was loaded in."""
    db = object_session(orm_user)
    assert db is not None, orm_user
    return db


def _for_someone_else(handler: Any, user: Any) -> bool:
    """Whether ``handler``'s request is made by another user than ``user`` (an admin's
    spawn of their server). The requester is set only once known: while JupyterHub is
    still finding out who makes the request, it is the user being refreshed."""
    requester = getattr(handler, "_jupyterhub_user", None)
    return requester is not None and requester is not user


class SettingsEnforcement(Authenticator):  # type: ignore[misc]
    """An authenticator under which the current settings decide, at the hub's start and at
    every request, who is an admin and who may use the hub.

    Admin: exactly whom ``is_admin(handler, authentication)`` names (JupyterHub's: the
    ``admin_users``), with an authentication model of the user's name and the groups the
    hub holds for them (:meth:`settings_model`): an authenticator whose logins bring
    groups overrides ``is_admin`` (admin groups) or :meth:`settings_model`. Anyone else
    loses the ``admin`` flag and role, unless ``admins_managed_in_hub``.

    Access: JupyterHub's login checks (``check_blocked_users``, then ``allow_all`` or
    ``check_allowed``) on the same model. A user who fails them is refused at their next
    request, cookie or token alike, and cannot be spawned for; their servers are stopped
    and their sessions ended (:func:`end_sessions`), once, at the hub's start or at the
    request that finds it."""

    admins_managed_in_hub = Bool(
        False,
        config=True,
        help="""Whether admins may be made and unmade in the hub (the admin page, the API).

        False: the settings alone decide (``is_admin``, i.e. ``admin_users``); an admin
        granted through the API loses it at their next request, and whoever the settings
        no longer name is no admin once the hub has started. True: JupyterHub's own rule,
        ``admin_users`` only ever grants; admins the hub holds stay until unmade there.""",
    )

    # JupyterHub 6.1's default (False) lets token requests through when refresh_user refuses
    # them; earlier versions refuse them, as this does.
    auth_refresh_strict = True

    @default("refresh_pre_spawn")
    def _refresh_pre_spawn_default(self) -> bool:
        # A spawn for someone else (an admin's, the API's) checks its owner first.
        return True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Users whose sessions and servers were ended since the start: once is enough.
        self._ended: set[int] = set()
        self._background: set[asyncio.Future[None]] = set()

    def settings_model(self, user: Any, handler: web.RequestHandler | None) -> dict[str, Any]:
        """The authentication model the settings are checked on between logins: the name,
        and the groups the hub holds for the user (from their last login where the
        authenticator manages groups)."""
        return {"name": user.name, "groups": [group.name for group in user.orm_user.groups]}

    def admin_under_settings(self, user: Any, handler: web.RequestHandler | None = None) -> bool:
        """Whether the settings make ``user`` an admin (see the class)."""
        return bool(self.is_admin(handler, self.settings_model(user, handler)))

    async def access_problem(
        self, user: Any, handler: web.RequestHandler | None = None
    ) -> str | None:
        """Why the settings refuse ``user`` now, or None: JupyterHub's login checks."""
        model = self.settings_model(user, handler)
        try:
            if not await maybe_future(self.check_blocked_users(user.name, model)):
                return "is blocked (blocked_users)"
            if not self.allow_all and not await maybe_future(self.check_allowed(user.name, model)):
                return "is not allowed (allow_all, allowed_users)"
        except web.HTTPError as error:
            return f"is not allowed ({error.log_message or error.status_code})"
        return None

    async def run_post_auth_hook(self, handler: Any, authentication: Any) -> Any:
        """At login: the admin flag follows the settings both ways (JupyterHub only grants)."""
        authentication = await super().run_post_auth_hook(handler, authentication)
        if not self.admins_managed_in_hub and isinstance(authentication, dict):
            authentication["admin"] = bool(authentication.get("admin"))
        return authentication

    async def refresh_user(self, user: Any, handler: web.RequestHandler | None = None) -> Any:
        """Every request: a user the settings refuse is refused (cookie and token alike)
        and loses their sessions and servers; the admin flag follows the settings."""
        problem = await self.access_problem(user, handler)
        if problem is not None:
            self._end(user, problem)
            if handler is not None and _for_someone_else(handler, user):
                raise web.HTTPError(403, f"user {user.name} {problem}")
            if handler is not None and not hasattr(handler, "_token_authenticated"):
                # JupyterHub 6.1 reads this before token auth ever set it on cookie requests.
                handler._token_authenticated = False  # type: ignore[attr-defined]
            return False
        self._ended.discard(user.id)
        self._sync_admin(user, handler)
        return await super().refresh_user(user, handler)

    def _sync_admin(self, user: Any, handler: web.RequestHandler | None) -> None:
        if self.admins_managed_in_hub:
            return
        orm_user = user.orm_user
        admin = self.admin_under_settings(user, handler)
        has_role = any(role.name == "admin" for role in orm_user.roles)
        if bool(orm_user.admin) == admin and has_role == admin:
            return
        self.log.warning(
            "%s %s admin under the settings", shown(user.name), "is" if admin else "is no longer"
        )
        orm_user.admin = admin
        db = _session(orm_user)
        roles.assign_default_roles(db, entity=orm_user)
        db.commit()

    def _end(self, user: Any, problem: str) -> None:
        """End the user's sessions now, and stop their servers in the background."""
        if user.id in self._ended:
            return
        self._ended.add(user.id)
        revoked = end_sessions(_session(user.orm_user), user.orm_user)
        self.log.warning(
            "%s %s: sessions ended (%d tokens revoked), servers stopping",
            shown(user.name),
            problem,
            revoked,
        )
        task = asyncio.ensure_future(self._stop_servers(user))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _stop_servers(self, user: Any) -> None:
        proxy = getattr(self.parent, "proxy", None)
        for name, spawner in list(user.spawners.items()):
            if not spawner.active or spawner.pending:
                continue
            try:
                if proxy is not None:
                    await proxy.delete_user(user, name)
                await user.stop(name)
            except Exception:
                self.log.exception("Failed to stop %s's server %r", shown(user.name), name)

    def check_allow_config(self) -> None:
        """At start (JupyterHub calls it before loading users): once the hub is up, with its
        users and servers loaded, the settings are applied to every user it holds."""
        super().check_allow_config()
        # JupyterHub 5.0 and later resolve it at the end of their start.
        started = getattr(self.parent, "_start_future", None)
        if isinstance(started, asyncio.Future):
            task = asyncio.ensure_future(self._apply_at_start(started))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _apply_at_start(self, started: asyncio.Future[None]) -> None:
        await started
        app = self.parent
        try:
            query = app.db.query(orm.User).options(
                selectinload(orm.User.groups), selectinload(orm.User.roles)
            )
            for index, orm_user in enumerate(list(query)):
                if index and index % _AT_START_BATCH == 0:
                    await asyncio.sleep(0)  # the hub's requests are served meanwhile
                held = _Held(orm_user)
                problem = await self.access_problem(held)
                if problem is not None:
                    self._end(app.users[orm_user], problem)
                else:
                    self._sync_admin(held, None)
        except Exception:
            self.log.exception("Failed to apply the settings to the hub's users at start")
