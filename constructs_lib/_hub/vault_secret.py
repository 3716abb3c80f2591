"""The proxy token from Vault, delivered to the one Secret the hub and the proxy read."""

from __future__ import annotations

import re
from enum import StrEnum

import cdk8s
from constructs import Construct

from constructs_lib._core._checks import check_enum
from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._endpoints import check_release
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import (
    APP_LABEL,
    check_dns_subdomain,
    check_secret_key,
)
from constructs_lib._core._objects import api_object, sorted_keys
from constructs_lib._core.proxy_token import TOKEN_ENV, ProxyToken
from hub_runtime.frozen import frozen

__all__ = ["SecretStore", "SecretStoreKind", "VaultDelivery", "VaultSecret"]

_DURATION = re.compile(r"(\d+(\.\d+)?(ns|us|ms|s|m|h))+")


class SecretStoreKind(StrEnum):
    SECRET_STORE = "SecretStore"
    CLUSTER_SECRET_STORE = "ClusterSecretStore"


@frozen
class SecretStore:
    """An External Secrets Operator store, configured for Vault outside this app."""

    name: str = "vault"
    kind: SecretStoreKind = SecretStoreKind.CLUSTER_SECRET_STORE


class VaultDelivery(StrEnum):
    """How the value gets from Vault into the Secret."""

    #: External Secrets Operator ``ExternalSecret`` objects (the default).
    EXTERNAL_SECRET = "external-secret"
    #: The reference's kustomize ``SecretsFromVault`` generator documents.
    KUSTOMIZE_GENERATOR = "kustomize-generator"


class VaultSecret(LibraryConstruct, ProxyToken):
    """``CONFIGPROXY_AUTH_TOKEN`` from Vault into the one Secret ``<release>-proxy-token``.

    ``path`` is the KV API path (``/kv/data/jupyterhub`` is mount ``kv``, KV v2, secret
    ``jupyterhub``). Pass this object as the hub's ``proxy_token``. No secret value is ever
    synthesized: the operator (or the generator) fetches it in the cluster. The hub and the
    proxy both read this one Secret (two copies could be refreshed at different times), and
    a rotation in Vault, once the operator has copied it (within ``refresh_interval``), rolls
    both through stakater Reloader (``ProxyToken.rolling_annotations``).

    Args:
        release: the prefix of the Secret's name; default ``jupyterhub``.
        path: the KV API path; default ``/kv/data/jupyterhub`` (mount ``kv``, KV v2, secret
            ``jupyterhub``), the reference's.
        key: the key within the Vault secret; default ``CONFIGPROXY_AUTH_TOKEN``.
        store: the External Secrets Operator store; default ``SecretStore()``, the
            ``ClusterSecretStore`` named ``vault``.
        refresh_interval: how often the operator re-reads Vault; default ``1h``.
        delivery: how the value reaches the Secret; default ``EXTERNAL_SECRET`` (the External
            Secrets Operator), or ``KUSTOMIZE_GENERATOR``.
    """

    delivery_object = Handle[cdk8s.ApiObject](
        "What delivers the Secret: the ExternalSecret, or kustomize's SecretsFromVault generator."
    )

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        release: str = "jupyterhub",
        path: str = "/kv/data/jupyterhub",
        key: str = TOKEN_ENV,
        store: SecretStore = SecretStore(),
        refresh_interval: str = "1h",
        delivery: VaultDelivery = VaultDelivery.EXTERNAL_SECRET,
    ) -> None:
        super().__init__(scope, id)
        delivery = check_enum(self, "delivery", delivery, VaultDelivery)
        check_release(self, release)
        segments = path.strip("/").split("/") if isinstance(path, str) else []
        if not path.startswith("/") or len(segments) < 2 or "" in segments or ".." in segments:
            raise invalid(
                self,
                "path",
                path,
                "must be a Vault KV path like '/kv/data/jupyterhub' (mount and secret)",
            )
        # The key becomes a key of the synced Secret's data.
        check_secret_key(self, "key", key)
        check_dns_subdomain(self, "store.name", store.name)
        if delivery is VaultDelivery.EXTERNAL_SECRET and not _is_duration(refresh_interval):
            raise invalid(
                self,
                "refresh_interval",
                refresh_interval,
                "must be a duration such as '1h' or '15m'",
            )
        self.release = release
        self.path = path
        self.key = key
        self.store = store
        self.delivery = delivery
        # ESO addresses KV v2 secrets by mount and name; the API's "data" segment is implied.
        logical = (
            [segments[0], *segments[2:]]
            if segments[1] == "data" and len(segments) > 2
            else segments
        )
        self.remote_key = "/".join(logical)
        labels = {APP_LABEL: release}
        self.delivery_object = (
            self._external_secret(self.secret_name, labels, refresh_interval)
            if delivery is VaultDelivery.EXTERNAL_SECRET
            else api_object(
                self,
                "Generator",
                api_version="kustomize.kaidotio.github.io/v1",
                kind="SecretsFromVault",
                name=self.secret_name,
                labels=labels,
                spec={"vaultSecrets": [{"path": path, "key": key}]},
            )
        )

    @property
    def secret_name(self) -> str:
        return f"{self.release}-proxy-token"

    @property
    def external_secrets(self) -> frozenset[str]:
        # The generator's Secret is made by kustomize, outside the synthesized objects.
        if self.delivery is VaultDelivery.KUSTOMIZE_GENERATOR:
            return frozenset({self.secret_name})
        return frozenset()

    @property
    def external_objects(self) -> frozenset[tuple[str, str]]:
        """Objects this app refers to but does not create."""
        objects = {("Secret", name) for name in self.external_secrets}
        if self.delivery is VaultDelivery.EXTERNAL_SECRET:
            objects.add((self.store.kind.value, self.store.name))
        return frozenset(objects)

    def _external_secret(
        self, name: str, labels: dict[str, str], refresh_interval: str
    ) -> cdk8s.ApiObject:
        return api_object(
            self,
            "ExternalSecret",
            api_version="external-secrets.io/v1",
            kind="ExternalSecret",
            name=name,
            labels=labels,
            # Keys sorted, as the typed CRD binding rendered them.
            spec=sorted_keys(
                {
                    "refreshInterval": refresh_interval,
                    "secretStoreRef": {"kind": self.store.kind.value, "name": self.store.name},
                    "target": {"name": name},
                    "data": [
                        {
                            "secretKey": TOKEN_ENV,
                            "remoteRef": {"key": self.remote_key, "property": self.key},
                        }
                    ],
                }
            ),
        )


def _is_duration(text: str) -> bool:
    """ESO durations: numbers with units, e.g. ``1h`` or ``30m15s``."""
    return isinstance(text, str) and _DURATION.fullmatch(text) is not None
