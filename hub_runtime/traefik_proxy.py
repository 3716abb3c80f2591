"""The hub's client of Traefik (``TraefikProxy``): jupyterhub-traefik-proxy's
``TraefikRedisProxy``, configured from what the hub already has.

Traefik runs in pods of its own (``should_start=False``). The hub writes the routes to the
Redis in ``CONFIGURABLE_PROXY_REDIS_URI`` (the variable CHP's Redis backend reads, from the
same ``RedisRouteStore``), and checks each route on Traefik's API at the hub's
``proxy_api_url``, with the proxy token as the API's password: no second secret to keep.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit

import bcrypt
from jupyterhub_traefik_proxy.redis import TraefikRedisProxy
from traitlets import default

__all__ = ["API_HASH_ROUNDS", "API_USER", "REDIS_URI_ENV", "TraefikRoutesProxy", "redis_parts"]

# The same variable as CHP's Redis backend reads (constructs_lib: routes.REDIS_URI_ENV).
REDIS_URI_ENV = "CONFIGURABLE_PROXY_REDIS_URI"
# The basic-auth user of Traefik's API (the hub writes its route_api router with it).
API_USER = "jupyterhub"
# bcrypt's least work factor for the API's basic-auth hash. Traefik checks the hash on every
# API request, and the hub asks the API twice per poll while it waits for each new route: at
# bcrypt's default 12 rounds each check costs Traefik about 250 ms of CPU, most of a route's
# add time (scripts/bench_proxies.py). The password is the proxy token, a random secret (the
# deploy guide makes it with `openssl rand -hex 32`): stretching does not make it harder to
# guess, it protects guessable passwords. Set traefik_api_hashed_password to choose another.
API_HASH_ROUNDS = 4


def redis_parts(uri: str) -> tuple[str, str]:
    """A Redis URI (``redis`` scheme, optional password, host, port and database) as the URL
    without credentials and the password; a clear error for anything else."""
    parts = urlsplit(uri)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(
            f"{REDIS_URI_ENV} must be a Redis URI (scheme redis or rediss) with a host, got "
            f"scheme {parts.scheme!r} "
            f"with host {parts.hostname!r}"
        )
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError as error:
        raise ValueError(f"{REDIS_URI_ENV}: {error}") from None
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}", unquote(parts.password or "")


class TraefikRoutesProxy(TraefikRedisProxy):  # type: ignore[misc]  # untyped package
    """``TraefikRedisProxy`` for Traefik pods the hub does not start: Redis from
    ``CONFIGURABLE_PROXY_REDIS_URI``, the API at ``ConfigurableHTTPProxy.api_url`` (the
    hub runtime's ``proxy_api_url``) with the proxy token (``ConfigurableHTTPProxy.
    auth_token``) as its password. Every trait can still be set in ``extra_config``."""

    @default("should_start")
    def _external(self) -> bool:
        return False

    @default("redis_url")
    def _redis_url(self) -> str:
        return self._redis()[0]

    @default("redis_password")
    def _redis_password(self) -> str:
        return self._redis()[1]

    def _redis(self) -> tuple[str, str]:
        """From the environment; without the variable, TraefikRedisProxy's own default."""
        uri = os.environ.get(REDIS_URI_ENV)
        if uri is None:
            return str(TraefikRedisProxy.redis_url.default_value), ""
        return redis_parts(uri)

    @default("traefik_api_url")
    def _api_url(self) -> str:
        own = TraefikRedisProxy.traefik_api_url.default_value
        return str(self.config.ConfigurableHTTPProxy.get("api_url", own))

    @default("traefik_api_username")
    def _api_username(self) -> str:
        return API_USER

    @default("traefik_api_password")
    def _api_password(self) -> str:
        token: Any = self.config.ConfigurableHTTPProxy.get("auth_token", "")
        return str(token)

    @default("traefik_api_hashed_password")
    def _api_hash(self) -> str:
        password = self.traefik_api_password.encode()
        return bcrypt.hashpw(password, bcrypt.gensalt(rounds=API_HASH_ROUNDS)).decode("ascii")
