"""The hub's client of the proxy's REST API: JupyterHub's, waiting out a token rotation."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from jupyterhub.proxy import ConfigurableHTTPProxy
from traitlets import Integer

__all__ = ["PROXY_CLIENT_CLASS", "RotatingTokenProxy"]

# A refused token's status: configurable-http-proxy (lib/configproxy.js, authorized) and
# jupyterhub-istio-proxy (proxy/http.go, authorizedWithToken) both answer 403.
_REFUSED = 403


class RotatingTokenProxy(ConfigurableHTTPProxy):  # type: ignore[misc]
    """ConfigurableHTTPProxy, retrying a refused token (403) for ``token_rotation_timeout``.

    A rotation changes the one Secret the hub and the proxy read, and Reloader rolls both:
    for as long as the roll takes, a hub holding the new token meets proxy pods still holding
    the old one (or the reverse). JupyterHub retries only 5xx, so without this the hub's start
    (``get_all_routes``) failed with 403 and it crash-looped until every proxy pod had rolled.
    """

    token_rotation_timeout = Integer(
        120,
        config=True,
        help="""Seconds a proxy API request refused with 403 is retried (a token rotation
        rolling the hub and the proxy pods); then the 403 is raised as JupyterHub does.""",
    )

    async def api_request(self, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + self.token_rotation_timeout
        delay = 0.5
        while True:
            try:
                return await super().api_request(*args, **kwargs)
            except Exception as error:
                if _status(error) != _REFUSED or time.monotonic() + delay > deadline:
                    raise
            self.log.warning(
                "The proxy refused the hub's token (403): retrying in %.1f s while a token "
                "rotation rolls the hub and the proxy",
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


def _status(error: BaseException) -> int | None:
    """The HTTP status of a failed request: ``status`` (aiohttp, JupyterHub 6) or ``code``
    (tornado, JupyterHub 5)."""
    status = getattr(error, "status", None)
    if status is None:
        status = getattr(error, "code", None)
    return status if isinstance(status, int) else None


# What JupyterHub.proxy_class names (an import string the hub resolves at start).
PROXY_CLIENT_CLASS = f"{RotatingTokenProxy.__module__}.{RotatingTokenProxy.__name__}"
