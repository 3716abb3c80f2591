"""The logins the hub does itself: the real authenticator classes (oauthenticator 17.4's
``GenericOAuthenticator``, ``GitHubOAuthenticator``, ``GoogleOAuthenticator``,
``AzureAdOAuthenticator``; jupyterhub-ldapauthenticator 2.0's ``LDAPAuthenticator``),
configured from :class:`~hub_runtime.login_settings.LoginSettings`.

Each is used as a subclass that only adds this hub's handlers: the spawn form and server API
that refuse forged spawn options (:mod:`hub_runtime.spawn_requests`), and a logout that also
ends the user's other sessions (:mod:`hub_runtime.session_handlers`), before the class's own.
"""

from __future__ import annotations

import importlib
import json
import os
import urllib.error
import urllib.request
from typing import Any

from tornado import web
from tornado.httpclient import HTTPClientError

from hub_runtime import bindings
from hub_runtime.log_values import shown
from hub_runtime.login_settings import LoginSettings
from hub_runtime.session_handlers import EndingLogoutHandler, session_handlers
from hub_runtime.settings import SettingsError
from hub_runtime.spawn_requests import SPAWN_REQUEST_HANDLERS

__all__ = ["DISCOVERY_PATH", "authenticator_class", "configure_login", "discover"]

# OpenID Connect Discovery 1.0, section 4: where an issuer publishes its configuration.
DISCOVERY_PATH = "/.well-known/openid-configuration"
# The discovery document's endpoints, as GenericOAuthenticator's traits.
_ENDPOINT_TRAITS = {
    "authorization_endpoint": "authorize_url",
    "token_endpoint": "token_url",
    "userinfo_endpoint": "userdata_url",
}
# How long the hub waits for the discovery document at start.
_DISCOVERY_TIMEOUT_SECONDS = 10


def _base_class(path: str) -> type:
    module, _, name = path.partition(":")
    try:
        found: type = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise SettingsError(
            f"login.authenticator_class: cannot import {path!r} ({error}): the hub image "
            "needs oauthenticator 17.4 and jupyterhub-ldapauthenticator 2.0 (z2jh's has both)"
        ) from None
    return found


def authenticator_class(path: str, issuer: str | None = None) -> type:
    """The class at ``path`` ("module:Class"), with this hub's handlers added (its traits,
    defaults and checks are the class's own: config of its name applies unchanged); with an
    OpenID Connect ``issuer``, each account bound to the person (``sub``) of its first login."""
    base = _base_class(path)
    oauth_logout = getattr(base, "logout_handler", None)
    # Logout ends every session of the user, then does what the class's logout does.
    logout = (
        type("EndingOAuthLogoutHandler", (EndingLogoutHandler, oauth_logout), {})
        if oauth_logout is not None
        else EndingLogoutHandler
    )

    def get_handlers(self: Any, app: Any) -> list[tuple[Any, ...]]:
        own = [route for route in base.get_handlers(self, app) if route[0] != "/logout"]  # type: ignore[attr-defined]
        ours = [
            (path, logout if path == "/logout" else handler) for path, handler in session_handlers()
        ]
        return [*SPAWN_REQUEST_HANDLERS, *ours, *own]

    members: dict[str, Any] = {"get_handlers": get_handlers}
    if hasattr(base, "get_token_info"):
        members["get_token_info"] = _refused_codes_are_403(base.get_token_info)
    if issuer is not None:
        members["run_post_auth_hook"] = _bound_to_the_person(base.run_post_auth_hook, issuer)  # type: ignore[attr-defined]
    return type(f"Hub{base.__name__}", (base,), members)


def _bound_to_the_person(post_auth_hook: Any, issuer: str) -> Any:
    """A name claim (``preferred_username``, ``email``) is neither unique nor stable at every
    provider (OpenID Connect Core 5.7): the account is bound to the issuer and ``sub`` of its
    first login (:mod:`hub_runtime.bindings`, as for the header login), and another person's
    login to it is 403."""

    async def bound(self: Any, handler: Any, auth_model: dict[str, Any]) -> Any:
        user_info = (auth_model.get("auth_state") or {}).get(self.user_auth_state_key) or {}
        subject = user_info.get("sub")
        if not isinstance(subject, str) or not subject:
            self.log.warning("Refused login to %s: the user info has no sub", auth_model["name"])
            raise web.HTTPError(403, "the identity provider named no subject (sub)")
        db = handler.db
        bindings.ensure_table(db.connection())
        holder, made = bindings.bind(db.connection(), auth_model["name"], issuer, subject)
        if made:
            db.commit()
        if not holder.same_person(issuer, subject):
            self.log.warning(
                "Refused login to %s: it is bound to subject %s since %s, the provider names %s",
                shown(auth_model["name"]),
                shown(holder.subject),
                holder.bound_at,
                shown(subject),
            )
            raise web.HTTPError(
                403,
                "%s",
                f"account {auth_model['name']!r} belongs to another person of the identity "
                "provider (another sub): ask an administrator if it should be yours",
            )
        return await post_auth_hook(self, handler, auth_model)

    return bound


def _refused_codes_are_403(get_token_info: Any) -> Any:
    """OAuthenticator 17.4 lets the token endpoint's refusal (a replayed, expired or
    another client's code: 400 ``invalid_grant``, RFC 6749 5.2) through as a 500 with a
    traceback; it is the person's login that failed: 403, logged. A refused refresh token
    (revoked, expired) comes here too, from ``refresh_user``, which then asks for a new
    login."""

    async def checked(self: Any, handler: Any, params: Any) -> Any:
        try:
            return await get_token_info(self, handler, params)
        except HTTPClientError as error:
            if error.code is None or not 400 <= error.code < 500:
                raise
            self.log.warning("The identity provider refused a code or refresh token: %s", error)
            raise web.HTTPError(
                403,
                "the identity provider refused this login (a used or foreign code, a revoked "
                "or expired refresh token): log in again",
            ) from None

    return checked


def discover(issuer: str) -> dict[str, str]:
    """GenericOAuthenticator's endpoint traits from ``issuer``'s discovery document, whose
    ``issuer`` must be exactly ``issuer`` (OpenID Connect Discovery 1.0, section 4.3)."""
    url = issuer.rstrip("/") + DISCOVERY_PATH
    try:
        with urllib.request.urlopen(url, timeout=_DISCOVERY_TIMEOUT_SECONDS) as response:
            document = json.load(response)
    except (OSError, ValueError) as error:
        raise SettingsError(
            f"login.discovery_issuer: cannot read {url} ({error}): the hub needs its identity "
            "provider's discovery document at start"
        ) from None
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        found = document.get("issuer") if isinstance(document, dict) else document
        raise SettingsError(
            f"login.discovery_issuer: {url} names issuer {found!r}, not {issuer!r} "
            "(OpenID Connect Discovery 1.0, 4.3: they must be identical)"
        )
    traits = {}
    for key, trait in _ENDPOINT_TRAITS.items():
        value = document.get(key)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise SettingsError(f"login.discovery_issuer: {url} has no {key} URL, got {value!r}")
        traits[trait] = value
    return traits


def configure_login(c: Any, login: LoginSettings) -> type:
    """Set ``c`` up for ``login``: the class, its traits, its secrets from the environment,
    and (OpenID Connect) the endpoints from the issuer; returns the class."""
    klass = authenticator_class(login.authenticator_class, login.discovery_issuer)
    section = c[klass.__mro__[1].__name__]
    for trait, value in login.traits.items():
        section[trait] = value
    for trait, variable in login.secret_traits.items():
        value = os.environ.get(variable, "")
        if not value:
            raise SettingsError(
                f"login.secret_traits.{trait}: the hub's environment has no {variable} "
                "(the Secret key the authenticator names is missing or empty)"
            )
        section[trait] = value
    if login.discovery_issuer is not None:
        for trait, value in discover(login.discovery_issuer).items():
            section[trait] = value
    c.JupyterHub.authenticator_class = klass
    return klass
