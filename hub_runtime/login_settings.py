"""The settings of a login the hub does itself (OpenID Connect, GitHub, Google, Entra ID, LDAP).

Written by the constructs (``OidcLogin``, ``GitHubLogin``, ...), read by the hub runtime
(:mod:`hub_runtime.logins`). Standard library only: the synthesizer imports it too.
"""

from __future__ import annotations

from typing import Any

from hub_runtime.frozen import frozen

__all__ = ["LOGIN_SECRET_ENV_PREFIX", "LoginSettings"]

# The hub container's variables holding the login's secrets (from Secrets) start so.
LOGIN_SECRET_ENV_PREFIX = "HUB_LOGIN_"


@frozen
class LoginSettings:
    """One real authenticator class and its traits, exactly as that class takes them."""

    # "module:Class" of oauthenticator 17.4 or jupyterhub-ldapauthenticator 2.0.
    authenticator_class: str
    # The class's traits (JSON values): c.<Class>.<trait> = value.
    traits: dict[str, Any]
    # Traits read from the hub's environment at start (the variable of each), which the
    # pod fills from Secrets: a client secret or a bind password is never in the settings.
    secret_traits: dict[str, str]
    # OpenID Connect: the issuer whose discovery document (OpenID Connect Discovery 1.0)
    # names the endpoints, read at the hub's start; None for the other logins.
    discovery_issuer: str | None = None
