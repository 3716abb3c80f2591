"""Where the hub and the proxy read ``CONFIGPROXY_AUTH_TOKEN`` from."""

from __future__ import annotations

from constructs_lib._names import Component

__all__ = ["ExistingSecretToken", "ProxyToken"]

# The variable both configurable-http-proxy and JupyterHub read the shared token from.
TOKEN_ENV = "CONFIGPROXY_AUTH_TOKEN"


class ProxyToken:
    """A source of the proxy token; the hub and the proxy take this object, never a name.

    A plain base class rather than an ABC, so that constructs (whose jsii metaclass excludes
    ABCMeta) can be token sources too, like ``VaultSecret``.
    """

    def secret_name(self, component: Component) -> str:
        """The Secret whose keys become ``component``'s environment."""
        raise NotImplementedError(f"{type(self).__name__} must implement secret_name")

    @property
    def external_secrets(self) -> frozenset[str]:
        """Secrets this token expects to exist without the app creating them."""
        return frozenset()

    @staticmethod
    def from_existing_secret(name: str) -> ProxyToken:
        """A Secret you create yourself, holding the key ``CONFIGPROXY_AUTH_TOKEN``."""
        return ExistingSecretToken(name)


class ExistingSecretToken(ProxyToken):
    """One Secret, created outside the app, read by both the hub and the proxy."""

    def __init__(self, name: str) -> None:
        self.name = name

    def secret_name(self, component: Component) -> str:
        return self.name

    @property
    def external_secrets(self) -> frozenset[str]:
        return frozenset({self.name})
