"""hub_runtime.revocation on a JupyterHub database in memory: what the settings decide for
one user, and what ending their sessions removes. The whole flow, through a real hub and
proxy restarted with changed settings, is tests/adversarial/test_revocation.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from jupyterhub import orm, roles
from jupyterhub.user import User
from tornado import web
from traitlets.config import Configurable

from hub_runtime.revocation import HUB_CLIENT, SettingsEnforcement, end_sessions


@pytest.fixture
def db() -> Iterator[Any]:
    session = orm.new_session_factory("sqlite://")()
    for role in roles.get_default_roles():
        roles.create_role(session, role)
    session.add(orm.OAuthClient(identifier=HUB_CLIENT))
    session.add(orm.OAuthClient(identifier="jupyterhub-user-alice"))
    session.commit()
    yield session
    session.close()


def user(db: Any, name: str, *, admin: bool = False, groups: tuple[str, ...] = ()) -> User:
    orm_user = orm.User(name=name, admin=admin)
    db.add(orm_user)
    for name_ in groups:
        orm_user.groups.append(orm.Group.find(db, name_) or orm.Group(name=name_))
    db.commit()
    roles.assign_default_roles(db, entity=orm_user)
    db.commit()
    return User(orm_user, {})


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_access_follows_blocked_and_allowed(db: Any) -> None:
    alice, harry, mallory = user(db, "alice"), user(db, "harry"), user(db, "mallory")
    auth = SettingsEnforcement(allowed_users={"alice", "mallory"}, blocked_users={"mallory"})
    assert run(auth.access_problem(alice)) is None
    assert run(auth.access_problem(harry)) == "is not allowed (allow_all, allowed_users)"
    assert run(auth.access_problem(mallory)) == "is blocked (blocked_users)"
    assert run(SettingsEnforcement(allow_all=True).access_problem(harry)) is None


class GroupAuthenticator(SettingsEnforcement):
    """What a login with groups plugs in: admin and access by group."""

    def is_admin(self, handler: Any, authentication: dict[str, Any]) -> bool:
        return "admins" in authentication["groups"]

    def check_allowed(self, username: str, authentication: Any = None) -> bool:
        if "staff" not in (authentication or {}).get("groups", []):
            raise web.HTTPError(403, "not in an allowed group")
        return True


def test_groups_plug_in_through_is_admin_and_check_allowed(db: Any) -> None:
    ann = user(db, "ann", groups=("admins", "staff"))
    ben = user(db, "ben", admin=True, groups=("staff",))
    cat = user(db, "cat")
    auth = GroupAuthenticator()
    assert auth.admin_under_settings(ann) and not auth.admin_under_settings(ben)
    assert run(auth.access_problem(cat)) == "is not allowed (not in an allowed group)"
    assert run(auth.refresh_user(ben, None)) is True
    assert ben.admin is False and "admin" not in {role.name for role in ben.roles}


def test_admin_follows_the_settings_both_ways(db: Any) -> None:
    made_in_hub, named = user(db, "bob", admin=True), user(db, "carol")
    auth = SettingsEnforcement(allow_all=True, admin_users={"carol"})
    for each in (made_in_hub, named):
        assert run(auth.refresh_user(each, None)) is True
    assert (made_in_hub.admin, named.admin) == (False, True)
    assert {role.name for role in named.roles} == {"user", "admin"}


def test_admins_managed_in_hub_keep_what_the_hub_gave(db: Any) -> None:
    bob = user(db, "bob", admin=True)
    auth = SettingsEnforcement(allow_all=True, admins_managed_in_hub=True)
    assert run(auth.refresh_user(bob, None)) is True
    assert bob.admin is True


def test_login_sets_the_admin_flag_either_way() -> None:
    auth = SettingsEnforcement(allow_all=True, admin_users={"carol"})
    assert run(auth.run_post_auth_hook(None, {"name": "bob", "admin": None}))["admin"] is False
    managed = SettingsEnforcement(allow_all=True, admins_managed_in_hub=True)
    assert run(managed.run_post_auth_hook(None, {"name": "bob", "admin": None}))["admin"] is None


def test_a_spawn_for_a_refused_user_is_403_naming_them(db: Any) -> None:
    harry, admin = user(db, "harry"), user(db, "admin", admin=True)
    auth = SettingsEnforcement(allowed_users={"admin"}, admin_users={"admin"})
    handler = SimpleNamespace(_jupyterhub_user=admin)

    async def spawn_for_harry() -> None:
        await auth.refresh_user(harry, handler)  # type: ignore[arg-type]

    with pytest.raises(web.HTTPError) as error:
        run(spawn_for_harry())
    assert (error.value.status_code, error.value.log_message) == (
        403,
        "user harry is not allowed (allow_all, allowed_users)",
    )
    # Harry's own request: refused as a stale login (JupyterHub answers 403 or a login).
    assert run(auth.refresh_user(harry, SimpleNamespace())) is False  # type: ignore[arg-type]


def test_end_sessions_revokes_login_tokens_and_keeps_the_rest(db: Any) -> None:
    alice = user(db, "alice")
    cookie_id = alice.cookie_id
    made = orm.APIToken.new(user=alice.orm_user, note="made on purpose")
    server = orm.APIToken.new(user=alice.orm_user, note="Server at /user/alice/")
    oauth = orm.APIToken.new(
        user=alice.orm_user, client_id="jupyterhub-user-alice", session_id="s1", scopes=[]
    )
    assert end_sessions(db, alice.orm_user) == 1
    assert alice.cookie_id != cookie_id
    assert orm.APIToken.find(db, oauth) is None
    assert orm.APIToken.find(db, made) is not None and orm.APIToken.find(db, server) is not None


def test_start_applies_the_settings_to_every_user_it_holds(db: Any) -> None:
    """Once the hub has started: an admin the settings no longer name is no admin, one they
    name is, and a user they refuse has their sessions ended; the others are left as they
    are."""
    user(db, "bob", admin=True)
    user(db, "carol")
    user(db, "dave")
    user(db, "mallory")
    auth = SettingsEnforcement(allow_all=True, admin_users={"carol"}, blocked_users={"mallory"})
    wrapped: list[str] = []

    class Users(dict[Any, Any]):
        def __getitem__(self, orm_user: Any) -> User:
            wrapped.append(orm_user.name)
            return User(orm_user, {})

    async def scenario() -> None:
        started = asyncio.get_running_loop().create_future()
        hub = Configurable()
        hub.db, hub.users = db, Users()  # type: ignore[attr-defined]
        auth.parent = hub
        task = asyncio.ensure_future(auth._apply_at_start(started))
        started.set_result(None)
        await task
        await asyncio.gather(*auth._background)

    run(scenario())
    admins = {u.name: u.admin for u in db.query(orm.User)}
    assert admins == {"bob": False, "carol": True, "dave": False, "mallory": False}
    # Only the refused user is made a JupyterHub User (to stop their servers).
    assert wrapped == ["mallory"]
