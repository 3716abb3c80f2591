"""A site's settings for one app (``python -m apps --app <app> --site site.yaml``): the values
the committed ``dist/`` holds as placeholders, read from a small YAML file and turned into the
app chart's props.

::

    hosts: [hub.example.edu]            # the hub's public host names
    user_hosts: "*.users.hub.example.edu"  # each user's server on a host of its own
    identity_provider:                  # minimal: the OidcLogin's issuer and client id
      issuer: https://login.example.edu/realms/hub
      client_id: jupyterhub
    tls_secret: hub-tls                 # the TLS Secret the edge serves
    tls_hosts:                          # the DNS names its certificate lists (required
      - hub.example.edu                 #   with user_hosts: they must cover the hosts and
      - "*.users.hub.example.edu"       #   the wildcard, which covers one label)
    images:                             # the app's images (keys: the app's SiteKeys.images)
      hub: registry.example.edu/jupyterhub/k8s-hub:4.4.0
    argocd:                             # an Argo CD Application for the app (GitSource):
      repo_url: https://git.example.edu/platform/hub.git
      path: site-dist/dev               #   where the synthesized app is committed
      revision: main                    #   default HEAD

``dev``'s ``identity_provider`` has the keys of ``HeaderTrust.jwt_proof`` instead: ``issuer``,
``audience`` (the client id oauth2-proxy uses) and ``jwks_url``. Every key is optional (the
app's default stays) except ``identity_provider`` and its keys; unknown keys are refused.
Values are checked by the library's own checks, with the file and key named in the error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from constructs import Construct

from constructs_lib import GitSource, HeaderTrust
from constructs_lib._core._checks import check_image
from constructs_lib._core._errors import invalid
from constructs_lib._core._names import check_dns_subdomain, check_hosts
from constructs_lib._core.user_hosts import check_user_hosts
from constructs_lib._ingresses.edge_tls import check_tls
from constructs_lib._ingresses.tls import TlsSecret, check_tls_hosts
from hub_runtime.frozen import frozen

__all__ = ["SiteKeys", "load_site"]

# The identity provider's keys: HeaderTrust.jwt_proof's arguments of the same names.
IDENTITY_PROVIDER_KEYS = ("issuer", "audience", "jwks_url")
# The argocd keys: GitSource's fields of the same names.
ARGOCD_KEYS = ("repo_url", "path", "revision")


@frozen
class SiteKeys:
    """Which chart prop each site key sets, for one app."""

    # The chart's prop for ``tls_secret`` (with ``tls_hosts``, a TlsSecret).
    tls_secret: str
    # ``images.<key>`` -> the chart's prop.
    images: Mapping[str, str]
    # The identity provider's keys, the chart's prop they set and what makes its value of
    # them (a value with a ``check(scope, field)``): HeaderTrust.jwt_proof's by default.
    identity_keys: tuple[str, ...] = IDENTITY_PROVIDER_KEYS
    identity_prop: str = "header_trust"
    identity: Callable[..., Any] = HeaderTrust.jwt_proof

    @property
    def keys(self) -> tuple[str, ...]:
        return (
            "hosts",
            "user_hosts",
            "identity_provider",
            "tls_secret",
            "tls_hosts",
            "images",
            "argocd",
        )


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


def _identity_provider(scope: Construct, site: Mapping[str, Any], app: str, keys: SiteKeys) -> Any:
    """The required ``identity_provider``: the provider the hub logs people in with, or
    whose ID tokens it believes."""
    names = keys.identity_keys
    if "identity_provider" not in site:
        # Without it, the app would trust the placeholder provider of dist/.
        raise invalid(
            scope,
            "identity_provider",
            None,
            f"is required (a mapping of {', '.join(names)}: the site's identity provider)",
        )
    provider = _mapping(scope, "identity_provider", site["identity_provider"], names, app)
    for key in names:
        value = provider.get(key)
        if not isinstance(value, str) or not value:
            raise invalid(scope, f"identity_provider.{key}", value, "must be a non-empty string")
    login = keys.identity(**{key: provider[key] for key in names})
    login.check(scope, "identity_provider")
    return login


def _git_source(scope: Construct, value: Any, app: str) -> GitSource:
    """``argocd``: where Argo CD finds the synthesized app (``ArgoCdApplication``)."""
    keys = _mapping(scope, "argocd", value, ARGOCD_KEYS, app)
    for key in ("repo_url", "path"):
        if key not in keys:
            raise invalid(scope, f"argocd.{key}", None, "is required")
    source = GitSource(**keys)
    source.check(scope, "argocd")
    return source


def _tls_secret(scope: Construct, site: Mapping[str, Any], props: Mapping[str, Any]) -> Any:
    """``tls_secret`` as a Secret's name, or with ``tls_hosts`` a ``TlsSecret`` that covers
    the file's hosts and user_hosts (the chart checks them against its own as well)."""
    if "tls_secret" not in site:
        raise invalid(
            scope, "tls_hosts", site["tls_hosts"], "needs tls_secret, the Secret they are of"
        )
    name = check_dns_subdomain(scope, "tls_secret", site["tls_secret"])
    user_hosts = props.get("user_hosts")
    if "tls_hosts" not in site:
        if user_hosts is not None:
            raise invalid(
                scope,
                "tls_hosts",
                None,
                f"is required with user_hosts: the DNS names the certificate of {name!r} "
                f"lists, covering the hosts and {user_hosts!r}",
            )
        return name
    secret = TlsSecret(name, check_tls_hosts(scope, "tls_hosts", site["tls_hosts"]))
    served = (*props.get("hosts", ()), *((user_hosts,) if user_hosts else ()))
    check_tls(scope, "tls_hosts", secret, served, user_hosts)
    return secret


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
    if "tls_secret" in site or "tls_hosts" in site:
        props[keys.tls_secret] = _tls_secret(scope, site, props)
    if "images" in site:
        images = _mapping(scope, "images", site["images"], tuple(keys.images), app)
        for key, value in images.items():
            props[keys.images[key]] = check_image(scope, f"images.{key}", value)
    if "argocd" in site:
        props["argocd"] = _git_source(scope, site["argocd"], app)
    # Last, so that a bad key is named first.
    props[keys.identity_prop] = _identity_provider(scope, site, app, keys)
    return props
