"""A site's settings for one app (``python -m apps --app <app> --site site.yaml``): the values
the committed ``dist/`` holds as placeholders, read from a small YAML file and turned into the
app chart's props.

::

    hosts: [hub.example.edu]            # the hub's public host names
    user_hosts: "*.users.hub.example.edu"  # each user's server on a host of its own
    identity_provider:                  # HeaderTrust.jwt_proof: the ID token's issuer,
      issuer: https://login.example.edu #   audience (the client id oauth2-proxy uses)
      audience: jupyterhub              #   and the JWKS the hub fetches keys from
      jwks_url: https://login.example.edu/jwks
    tls_secret: hub-tls                 # the TLS Secret the edge serves
    images:                             # the app's images (keys: the app's SiteKeys.images)
      hub: registry.example.edu/jupyterhub/k8s-hub:4.4.0

Every key is optional (the app's default stays) except ``identity_provider`` and its three keys;
unknown keys are refused. Values are checked by the library's own checks, with the file and
key named in the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from constructs import Construct

from constructs_lib import HeaderTrust
from constructs_lib._core._checks import check_image
from constructs_lib._core._errors import invalid
from constructs_lib._core._names import check_dns_subdomain, check_hosts
from constructs_lib._core.user_hosts import check_user_hosts

__all__ = ["SiteKeys", "load_site"]

# The identity provider's keys: HeaderTrust.jwt_proof's arguments of the same names.
IDENTITY_PROVIDER_KEYS = ("issuer", "audience", "jwks_url")


@dataclass(frozen=True)
class SiteKeys:
    """Which chart prop each site key sets, for one app."""

    # The chart's prop for ``tls_secret``.
    tls_secret: str
    # ``images.<key>`` -> the chart's prop.
    images: Mapping[str, str]

    @property
    def keys(self) -> tuple[str, ...]:
        return ("hosts", "user_hosts", "identity_provider", "tls_secret", "images")


def _scope(path: Path) -> Construct:
    """What the library's checks name in an error: they read only ``scope.node.path``."""
    return cast(Construct, SimpleNamespace(node=SimpleNamespace(path=str(path))))


def _mapping(
    scope: Construct, field: str, value: Any, allowed: tuple[str, ...], app: str
) -> dict[str, Any]:
    """``value`` as a mapping with keys among ``allowed``; ``field`` "" is the file itself."""
    if not isinstance(value, dict):
        raise invalid(
            scope, field or "the file", value, f"must be a mapping of {', '.join(allowed)}"
        )
    for key in value:
        if key not in allowed:
            raise invalid(
                scope,
                f"{field}.{key}" if field else str(key),
                value[key],
                f"is not a setting of {app} (allowed: {', '.join(allowed)})",
            )
    return value


def _read(path: Path) -> Any:
    import yaml  # the synth extra's: only a site file needs it

    try:
        text = path.read_text()
    except OSError as error:
        raise ValueError(f"{path}: cannot read the site file: {error.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not YAML: {error}") from None


def _identity_provider(scope: Construct, site: Mapping[str, Any], app: str) -> HeaderTrust:
    """The required ``identity_provider``: the ID tokens the hub believes."""
    if "identity_provider" not in site:
        # Without it, the app would trust the placeholder provider of dist/.
        raise invalid(
            scope,
            "identity_provider",
            None,
            f"is required (a mapping of {', '.join(IDENTITY_PROVIDER_KEYS)}: the site's "
            "identity provider, which the hub checks the ID tokens against)",
        )
    provider = _mapping(
        scope, "identity_provider", site["identity_provider"], IDENTITY_PROVIDER_KEYS, app
    )
    for key in IDENTITY_PROVIDER_KEYS:
        value = provider.get(key)
        if not isinstance(value, str) or not value:
            raise invalid(scope, f"identity_provider.{key}", value, "must be a non-empty string")
    trust = HeaderTrust.jwt_proof(**{key: provider[key] for key in IDENTITY_PROVIDER_KEYS})
    trust.check(scope, "identity_provider")
    return trust


def load_site(path: Path, app: str, keys: SiteKeys) -> dict[str, Any]:
    """The chart props the site file at ``path`` sets for ``app``; ``ValueError`` naming the
    file, the key and its value for anything else."""
    scope = _scope(path)
    site = _mapping(scope, "", _read(path), keys.keys, app)
    props: dict[str, Any] = {}
    if "hosts" in site:
        props["hosts"] = check_hosts(scope, "hosts", site["hosts"])
    if "user_hosts" in site:
        props["user_hosts"] = check_user_hosts(
            scope, "user_hosts", site["user_hosts"], props.get("hosts", ())
        )
    if "tls_secret" in site:
        props[keys.tls_secret] = check_dns_subdomain(scope, "tls_secret", site["tls_secret"])
    if "images" in site:
        images = _mapping(scope, "images", site["images"], tuple(keys.images), app)
        for key, value in images.items():
            props[keys.images[key]] = check_image(scope, f"images.{key}", value)
    # Last, so that a bad key is named first.
    props["header_trust"] = _identity_provider(scope, site, app)
    return props
