"""JupyterHub's spawn form and REST API spawn handlers, refusing a request whose options ask for
what the profile does not offer with a 400 at once, before JupyterHub starts the spawn.

The spawner's own refusal (in ``load_user_options``) comes too late for both: JupyterHub
answers an API spawn before the spawner runs (``slow_spawn_timeout`` is 0, so a 202, then a
failure in the background), and its spawn form logs a traceback for every refusal raised
under it (JupyterHub 5.5 and 6.1 ``handlers/pages.py``, ``SpawnHandler._post``). These
handlers take the routes of the ones they extend (:data:`SPAWN_REQUEST_HANDLERS`, served
before JupyterHub's own through ``Authenticator.get_handlers``) and ask the spawner
(:class:`ChecksSpawnOptions`) first.
"""

from __future__ import annotations

import inspect
import json
from typing import Any, Protocol, runtime_checkable

from jupyterhub.apihandlers import users as user_api
from jupyterhub.apihandlers.base import APIHandler
from jupyterhub.handlers import pages

from hub_runtime.log_values import escaped
from hub_runtime.spawn_options import json_type, refused

__all__ = [
    "SPAWN_REQUEST_HANDLERS",
    "ChecksSpawnOptions",
    "ServerApiHandler",
    "SpawnFormHandler",
]


@runtime_checkable
class ChecksSpawnOptions(Protocol):
    """A spawner that says, before it is started, why options would fail its spawn; with
    JupyterHub's record of the server (its stored options)."""

    orm_spawner: Any

    async def spawn_options_problem(self, options: object) -> str | None:
        """The reason, naming the option, or None."""


async def _problem(spawner: Any, options: object) -> str | None:
    if not isinstance(spawner, ChecksSpawnOptions):
        return None
    if options is None:
        # No options in the request: JupyterHub spawns with the stored ones (User.spawn),
        # which a PUT or PATCH may have set unchecked, or the last spawn before the
        # operator took a choice away.
        options = spawner.orm_spawner.user_options or {}
    return await spawner.spawn_options_problem(options)


def _arguments(method: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """A call's arguments by name, whichever JupyterHub's signature is (5.5 has no
    ``display_name``)."""
    return dict(inspect.signature(method).bind(*args, **kwargs).arguments)


class SpawnFormHandler(pages.SpawnHandler):  # type: ignore[misc]
    """JupyterHub's spawn form (POST, and GET with options in the query): forged options
    show the form again with a 400 and the reason, and one warning in the log."""

    async def _wrap_spawn_single_user(
        self, user: Any, server_name: str, *args: Any, **kw: Any
    ) -> Any:
        # JupyterHub's one step, for the form and the query alike, between the parsed
        # options and the spawn; it has no documented hook.
        call = _arguments(super()._wrap_spawn_single_user, user, server_name, *args, **kw)
        spawner = call["spawner"]
        problem = await _problem(spawner, call.get("options"))
        if problem is None:
            return await super()._wrap_spawn_single_user(user, server_name, *args, **kw)
        # The server's name comes from the URL: escaped like the problem itself.
        self.log.warning("Refused to spawn %s: %s", escaped(spawner._log_name), problem)
        self.set_status(400)
        form = await self._render_form(
            for_user=user,
            spawner_options_form=await spawner.get_options_form(),
            message=problem,
        )
        self.finish(form)
        return None


class _JsonObjectBody(APIHandler):  # type: ignore[misc]
    """A request body that is not a JSON object (in UTF-8) is a 400 with one warning.
    JupyterHub logs a traceback for a body that is not JSON, answers one not in UTF-8 with a
    500 (5.5) and one that is not an object with a 500 on DELETE and PATCH."""

    def get_json_body(self) -> Any:
        if not self.request.body:
            return None
        try:
            body = json.loads(self.request.body.decode("utf-8"))
        except ValueError as error:  # UnicodeDecodeError and JSONDecodeError both
            problem = f"Request body is not JSON in UTF-8: {escaped(str(error))}"
            raise refused(problem) from None
        if body is not None and not isinstance(body, dict):
            raise refused(f"Request body must be a JSON object, got {json_type(body)}")
        return body


# After JupyterHub's handler in the method order: its own super().get_json_body()
# (JupyterHub 6.1's get_server_json_body) reads the body through _JsonObjectBody too.
class ServerApiHandler(user_api.UserServerAPIHandler, _JsonObjectBody):  # type: ignore[misc]
    """JupyterHub's server API (``/api/users/<name>/server`` and ``…/servers/<name>``): a
    POST with forged options is a 400 naming the option, before the spawn starts."""

    async def spawn_single_user(
        self, user: Any, server_name: str = "", *args: Any, **kw: Any
    ) -> Any:
        # Called by POST once the request is authorized and the server is free to start.
        call = _arguments(super().spawn_single_user, user, server_name, *args, **kw)
        problem = await _problem(user.spawners.get(server_name), call.get("options"))
        if problem is not None:
            raise refused(problem)
        return await super().spawn_single_user(user, server_name, *args, **kw)


def _routes(handlers: list[tuple[Any, ...]], base: type, handler: type) -> list[tuple[Any, ...]]:
    """JupyterHub's routes to ``base``, to ``handler``: one source of the URL patterns."""
    return [(route[0], handler, *route[2:]) for route in handlers if route[1] is base]


SPAWN_REQUEST_HANDLERS: list[tuple[Any, ...]] = [
    *_routes(pages.default_handlers, pages.SpawnHandler, SpawnFormHandler),
    *_routes(user_api.default_handlers, user_api.UserServerAPIHandler, ServerApiHandler),
]
