"""Where the hub and the proxy read ``CONFIGPROXY_AUTH_TOKEN`` from: one Secret, whose change
rolls every pod that reads it."""

from __future__ import annotations

from constructs_lib._core._names import is_dns_subdomain
from constructs_lib._core._reloader import RELOAD_SECRET_ANNOTATION

__all__ = ["ExistingSecretToken", "ProxyToken"]

# The variable both configurable-http-proxy and JupyterHub read the shared token from.
TOKEN_ENV = "CONFIGPROXY_AUTH_TOKEN"


class ProxyToken:
    """A source of the proxy token; the hub and the proxy take this object, never a name.

    Both read the one Secret ``secret_name`` (so they can never hold two copies that drift),
    and both workloads carry ``rolling_annotations()``: stakater Reloader rolls them when the
    Secret changes, as a token rotation does. A plain base class rather than an ABC, so that
    constructs (whose jsii metaclass excludes ABCMeta) can be token sources too, like
    ``VaultSecret``.
    """

    @property
    def secret_name(self) -> str:
        """The Secret whose key ``CONFIGPROXY_AUTH_TOKEN`` the hub and the proxy read."""
        raise NotImplementedError(f"{type(self).__name__} must implement secret_name")

    @property
    def external_secrets(self) -> frozenset[str]:
        """Secrets this token expects to exist without the app creating them."""
        return frozenset()

    def rolling_annotations(self) -> dict[str, str]:
        """Annotations of a workload that reads the token: Reloader rolls it when the Secret
        changes (the environment of a running container never does)."""
        return {RELOAD_SECRET_ANNOTATION: self.secret_name}

    @staticmethod
    def from_existing_secret(name: str) -> ProxyToken:
        """A Secret you create yourself, holding the key ``CONFIGPROXY_AUTH_TOKEN``; ``name``
        must be a Secret's name (a DNS subdomain), or this raises ``ValueError``."""
        return ExistingSecretToken(name)


class ExistingSecretToken(ProxyToken):
    """One Secret, created outside the app, read by both the hub and the proxy."""

    def __init__(self, name: str) -> None:
        # No construct yet to name: the error names the call.
        if not is_dns_subdomain(name):
            raise ValueError(
                "ProxyToken.from_existing_secret: name must be a Secret's name, a DNS subdomain "
                f"(dot-separated DNS labels, at most 253 characters), got {name!r}"
            )
        self.name = name

    @property
    def secret_name(self) -> str:
        return self.name

    @property
    def external_secrets(self) -> frozenset[str]:
        return frozenset({self.name})
