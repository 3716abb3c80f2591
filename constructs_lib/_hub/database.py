"""The hub's database: SQLite on the hub's volume (the default) or PostgreSQL, its password
from a Secret; the upgrade step that migrates it before the hub starts; and a CloudNativePG
``Cluster`` that gives the app a PostgreSQL of its own."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import cdk8s
from constructs import Construct

from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._endpoints import check_release
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import (
    APP_LABEL,
    Component,
    check_dns_label,
    check_dns_subdomain,
    check_port,
    check_secret_key,
    selector_labels,
)
from constructs_lib._core._network_policy_spec import network_policy_spec
from constructs_lib._core._objects import api_objects, name_of, object_spec
from constructs_lib._core._placement import chart_namespace
from constructs_lib._core._quantity import check_quantity
from constructs_lib._core.network_peer import NetworkPeer
from hub_runtime.frozen import frozen
from hub_runtime.settings import CONFIG_DIR, DEFAULT_DATABASE, DatabaseSettings

__all__ = [
    "CLOUDNATIVE_PG_OPERATOR",
    "DRIVER_SCHEME",
    "PASSWORD_ENV",
    "POSTGRES_PORT",
    "UPGRADE_CONTAINER",
    "CloudNativePgCluster",
    "HubDatabase",
]

POSTGRES_PORT = 5432
# libpq reads the password from here (psycopg2, the hub image's driver, is libpq): it never
# appears in the URL, the settings or the ConfigMap.
PASSWORD_ENV = "PGPASSWORD"
# The init container that migrates the database before the hub starts (hub_runtime.upgrade).
UPGRADE_CONTAINER = "upgrade-db"
UPGRADE_SCRIPT = f"{CONFIG_DIR}/hub_runtime/upgrade.py"
# Where a backup claim is mounted in the upgrade container.
BACKUP_DIR = "/srv/jupyterhub-backups"
# SQLAlchemy's PostgreSQL dialect with psycopg2, the one driver in the hub image. A bare
# "postgresql" is written with it: SQLAlchemy 2.1 reads that as psycopg 3, which the image
# lacks. (SQLAlchemy 1.4 dropped the "postgres" alias.)
DRIVER_SCHEME = "postgresql+psycopg2"
_SCHEMES = ("postgresql", DRIVER_SCHEME)
# The CloudNativePG operator's pods as its release manifest installs them (cnpg-1.30.0.yaml:
# namespace cnpg-system, label app.kubernetes.io/name=cloudnative-pg); it calls each
# instance's status port (CloudNativePG docs, "Networking": port 8000).
CLOUDNATIVE_PG_OPERATOR = NetworkPeer.in_namespace(
    "cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"}
)
_INSTANCE_STATUS_PORT = 8000
# libpq's sslmode values (PostgreSQL docs, "libpq: Connection Parameters").
_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# Why a URL (its user:password part, or a password query parameter) holds no password.
_NO_PASSWORD = (
    "must not hold a password (it would be written into the hub's ConfigMap): name the "
    "Secret that holds it as password_secret"
)
# JupyterHub's traits the database prop decides.
_DATABASE_TRAITS = ("db_url", "db_kwargs", "upgrade_db")


def _shown(url: str) -> str:
    """The URL with any password (in its user part or its query) masked: error messages
    never repeat a secret."""
    parts = urlsplit(url)
    try:
        password = parts.password
    except ValueError:
        password = None
    query = parse_qsl(parts.query, True)
    if password is None and all(key != "password" for key, _ in query):
        return url
    if password is not None:
        user = parts.username or ""
        host = parts.netloc.rpartition("@")[2]
        parts = parts._replace(netloc=f"{user}:***@{host}")
    masked = [(key, "***" if key == "password" else value) for key, value in query]
    return parts._replace(query=urlencode(masked, safe="*")).geturl()


@frozen
class HubDatabase:
    """Where the hub keeps its state (users, tokens, servers, groups): make one with
    :meth:`sqlite`, :meth:`postgresql` or ``CloudNativePgCluster(...).database``.

    Before the hub starts, its pod's ``upgrade-db`` init container refuses a database a newer
    JupyterHub wrote, copies a SQLite file into its backup directory, then migrates the
    schema; the hub itself never migrates."""

    url: str
    # A database server (PostgreSQL), not a file.
    server: bool = False
    password_secret: str | None = None
    password_key: str = "password"
    # The host given to postgresql(host=...), checked as given (the URL would hide a '/').
    host: str | None = None
    backup_claim: cdk8s.ApiObject | None = None
    cluster: CloudNativePgCluster | None = None

    @staticmethod
    def sqlite(*, backup_claim: cdk8s.ApiObject | None = None) -> HubDatabase:
        """SQLite in the hub's data volume (the default). The upgrade step copies the file
        before migrating it: into ``backup_claim`` (a PersistentVolumeClaim of the app, in the
        hub's namespace), else the data volume's ``backups/`` directory."""
        return HubDatabase(url=DEFAULT_DATABASE.url, backup_claim=backup_claim)

    @staticmethod
    def postgresql(
        *,
        password_secret: str,
        password_key: str = "password",
        url: str | None = None,
        host: str | None = None,
        port: int = POSTGRES_PORT,
        database: str = "jupyterhub",
        user: str = "jupyterhub",
        ssl_mode: str | None = None,
    ) -> HubDatabase:
        """A PostgreSQL server: its ``url`` (``postgresql://user@host:port/database``, no
        password in it), or ``host`` and the other parts. The password is key
        ``password_key`` of Secret ``password_secret`` (create it yourself). ``ssl_mode``:
        libpq's ``sslmode`` (``require``, ``verify-full``, ...); default none, libpq's
        ``prefer``. Back it up before an upgrade (the README's upgrade guide)."""
        for name, value in (("url", url), ("host", host), ("user", user), ("database", database)):
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(
                    f"HubDatabase.postgresql: {name} must be a non-empty string, got {value!r}"
                )
        if (url is None) == (host is None):
            raise ValueError(
                "HubDatabase.postgresql: give url or host (with port, database and user), "
                f"one of them, got url={_shown(url) if url else url!r} and host={host!r}"
            )
        if url is None:
            query = f"?{urlencode({'sslmode': ssl_mode})}" if ssl_mode else ""
            netloc = f"{quote(user, safe='')}@{host or ''}:{port}"
            url = f"{DRIVER_SCHEME}://{netloc}/{quote(database, safe='')}{query}"
        elif ssl_mode:
            separator = "&" if "?" in url else "?"
            url = f"{url}{separator}{urlencode({'sslmode': ssl_mode})}"
        return HubDatabase(
            url=url,
            server=True,
            password_secret=password_secret,
            password_key=password_key,
            host=host,
        )

    @property
    def is_sqlite(self) -> bool:
        return not self.server

    def check(
        self,
        scope: Construct,
        release: str,
        extra_config: Mapping[str, Mapping[str, Any]],
        field: str = "database",
    ) -> None:
        """For the hub ``scope`` of ``release``: the URL's scheme, host, port, database and
        ``sslmode``, no password in it, the Secret's name and key, a cluster of the hub's own
        release and namespace, the backup claim one of the app's in the hub's namespace, and
        no database chosen in ``extra_config`` as well."""
        self._check_extra_config(scope, extra_config)
        if not isinstance(self.url, str):
            raise invalid(scope, f"{field}.url", self.url, "must be a string")
        if self.cluster is not None:
            self._check_cluster(scope, release, f"{field}")
        if self.is_sqlite:
            if self.url != DEFAULT_DATABASE.url:
                raise invalid(
                    scope,
                    f"{field}.url",
                    _shown(self.url),
                    f"must be {DEFAULT_DATABASE.url} for SQLite (the hub's volume); a "
                    "database server's is made by HubDatabase.postgresql(...)",
                )
            self._check_backup_claim(scope, f"{field}.backup_claim")
            return
        if self.backup_claim is not None:
            raise invalid(
                scope,
                f"{field}.backup_claim",
                name_of(self.backup_claim),
                "is for SQLite only (back a PostgreSQL server up with its own tools)",
            )
        if self.host is not None and (not isinstance(self.host, str) or not _is_host(self.host)):
            raise invalid(scope, f"{field}.host", self.host, "must be a DNS name or an IP address")
        self._check_url(scope, f"{field}.url")
        if self.password_secret is None:
            raise invalid(
                scope, f"{field}.password_secret", None, "must name the Secret with the password"
            )
        check_dns_subdomain(scope, f"{field}.password_secret", self.password_secret)
        check_secret_key(scope, f"{field}.password_key", self.password_key)

    def _check_extra_config(
        self, scope: Construct, extra_config: Mapping[str, Mapping[str, Any]]
    ) -> None:
        """The typed prop is the one place the database is chosen: extra_config may not
        choose another (the upgrade step would migrate one database, the hub open another)."""
        traits = extra_config.get("JupyterHub") if isinstance(extra_config, Mapping) else None
        for trait in _DATABASE_TRAITS:
            if isinstance(traits, Mapping) and trait in traits:
                raise invalid(
                    scope,
                    f"extra_config.JupyterHub.{trait}",
                    "***" if trait == "db_url" else traits[trait],
                    "is set by the database prop (HubDatabase): set that instead",
                )

    def _check_url(self, scope: Construct, field: str) -> None:
        shown = _shown(self.url)
        try:
            parts = urlsplit(self.url)
            port = parts.port
        except ValueError as error:
            raise invalid(scope, field, shown, f"must be a valid URL ({error})") from None
        if parts.scheme not in _SCHEMES:
            raise invalid(
                scope,
                field,
                shown,
                f"must use scheme {' or '.join(_SCHEMES)} (PostgreSQL through psycopg2, the "
                "hub image's driver; SQLite is HubDatabase.sqlite())",
            )
        if parts.password is not None:
            raise invalid(scope, field, shown, _NO_PASSWORD)
        if not parts.hostname or not _is_host(parts.hostname):
            raise invalid(
                scope,
                field,
                shown,
                "must name the database server's host (a DNS name or an IP address)",
            )
        if port is not None:
            check_port(scope, f"{field} port", port)
        if not parts.path.strip("/"):
            raise invalid(scope, field, shown, "must name the database (…/jupyterhub)")
        query = parse_qsl(parts.query, True)
        for key, value in query:
            if key == "sslmode" and value not in _SSL_MODES:
                raise invalid(
                    scope,
                    f"{field} sslmode",
                    value,
                    f"must be one of libpq's: {', '.join(_SSL_MODES)}",
                )
        if any(key == "password" for key, _ in query):
            raise invalid(scope, field, shown, _NO_PASSWORD)

    def _check_cluster(self, scope: Construct, release: str, field: str) -> None:
        """The cluster admits its release's hub, and its Service is named for its namespace."""
        cluster = self.cluster
        assert cluster is not None
        if cluster.release != release:
            raise invalid(
                scope,
                field,
                cluster.node.path,
                f"must be a CloudNativePgCluster of the hub's release {release!r} (this one "
                f"is release {cluster.release!r}, whose NetworkPolicy admits that hub only)",
            )
        mine, theirs = chart_namespace(scope), chart_namespace(cluster)
        if mine != theirs:
            raise invalid(
                scope,
                field,
                cluster.node.path,
                f"must be a CloudNativePgCluster in the hub's namespace {mine!r} (this one is "
                f"in {theirs!r})",
            )

    def _check_backup_claim(self, scope: Construct, field: str) -> None:
        claim = self.backup_claim
        if claim is None:
            return
        if not isinstance(claim, cdk8s.ApiObject) or claim.kind != "PersistentVolumeClaim":
            shown = (
                f"{claim.kind} {name_of(claim)}" if isinstance(claim, cdk8s.ApiObject) else claim
            )
            raise invalid(
                scope,
                field,
                shown,
                "must be a PersistentVolumeClaim of the app (an ApiObject), where the upgrade "
                "step copies the SQLite file before migrating it",
            )
        mine, theirs = chart_namespace(scope), chart_namespace(claim)
        if (claim.metadata.namespace or theirs) != mine:
            raise invalid(
                scope,
                field,
                name_of(claim),
                f"must be in the hub's namespace {mine!r} (a pod mounts only its own "
                "namespace's claims)",
            )

    def settings(self) -> DatabaseSettings:
        """What the hub runtime reads: the URL and where the upgrade step copies SQLite."""
        if not self.is_sqlite:
            rest = self.url.split(":", 1)[1]
            return DatabaseSettings(url=f"{DRIVER_SCHEME}:{rest}", backup_dir=None)
        backup_dir = BACKUP_DIR if self.backup_claim is not None else DEFAULT_DATABASE.backup_dir
        return DatabaseSettings(url=self.url, backup_dir=backup_dir)

    def env(self) -> list[dict[str, Any]]:
        """The hub's and the upgrade step's variables: the password, from its Secret."""
        if self.password_secret is None:
            return []
        ref = {"name": self.password_secret, "key": self.password_key}
        return [{"name": PASSWORD_ENV, "valueFrom": {"secretKeyRef": ref}}]

    @property
    def outbound_urls(self) -> tuple[str, ...]:
        """The database server the hub calls (none for SQLite)."""
        if self.is_sqlite:
            return ()
        parts = urlsplit(self.url)
        host = str(parts.hostname)
        host = f"[{host}]" if ":" in host else host  # IPv6, bracketed as in the URL
        return (f"postgresql://{host}:{parts.port or POSTGRES_PORT}",)

    @property
    def external_secrets(self) -> frozenset[str]:
        """Secrets the pod reads that the app does not create (CloudNativePG's is made by
        its operator)."""
        return frozenset({self.password_secret}) if self.password_secret else frozenset()

    def pod_annotations(self, meshed: bool) -> dict[str, str]:
        """With an Istio sidecar, the database's port bypasses it: an init container runs
        before the sidecar, whose redirection would leave the upgrade step no route (Istio
        docs, "Compatibility with application init containers")."""
        if not meshed or self.is_sqlite:
            return {}
        port = urlsplit(self.url).port or POSTGRES_PORT
        return {"traffic.sidecar.istio.io/excludeOutboundPorts": str(port)}

    def upgrade_container(self, hub_container: Mapping[str, Any]) -> dict[str, Any]:
        """The init container: the hub's image, environment, mounts and limits, running the
        upgrade step instead of the hub."""
        # Not the proxy's token (envFrom): the step talks to the database only.
        kept = ("image", "imagePullPolicy", "command", "workingDir", "env")
        container = {key: hub_container[key] for key in kept if key in hub_container}
        mounts = list(hub_container["volumeMounts"])
        if self.backup_claim is not None:
            mounts.append({"name": "backups", "mountPath": BACKUP_DIR})
        return {
            "name": UPGRADE_CONTAINER,
            **container,
            "args": ["python", UPGRADE_SCRIPT],
            "resources": hub_container["resources"],
            "securityContext": hub_container["securityContext"],
            "volumeMounts": mounts,
        }

    def volumes(self) -> list[dict[str, Any]]:
        if self.backup_claim is None:
            return []
        claim = {"claimName": name_of(self.backup_claim)}
        return [{"name": "backups", "persistentVolumeClaim": claim}]


def _is_host(host: str) -> bool:
    """A DNS name (letters, digits, '-' and '.') or an IP address, as the URL parser gives it
    (IPv6 without its brackets)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return (
            re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", host)
            is not None
        )
    return True


class CloudNativePgCluster(LibraryConstruct):
    """A PostgreSQL of the app's own, run by the CloudNativePG operator (install it first:
    its release manifest, 1.30): a ``Cluster`` (``postgresql.cnpg.io/v1``) named
    ``<release>-db`` whose ``initdb`` bootstrap creates database ``jupyterhub`` owned by
    user ``jupyterhub``, and a NetworkPolicy admitting the hub's pods, the cluster's own
    instances (replication) and the operator to the instances. The operator makes the
    Secret ``<release>-db-app`` with the password and the Service ``<release>-db-rw`` of the
    primary; :attr:`database` points the hub at them
    (``HubOptions(database=cluster.database)``).

    Args:
        release: the hub's release (the objects' prefix, the hub's pods admitted); default
            ``jupyterhub``.
        instances: PostgreSQL instances (one primary, the rest standbys it fails over to);
            default 2, so a node's loss does not stop the hub for long.
        storage_size: each instance's volume; default ``1Gi`` (the hub's rows are small).
        storage_class: the volumes' StorageClass; default ``None``, the cluster's default.
        operator: the operator's pods; default ``CLOUDNATIVE_PG_OPERATOR`` (namespace
            ``cnpg-system``).
    """

    cluster = Handle[cdk8s.ApiObject]("The CloudNativePG ``Cluster`` (the default child).")
    network_policy = Handle[cdk8s.ApiObject]("The NetworkPolicy admitting the hub's pods.")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        release: str = "jupyterhub",
        instances: int = 2,
        storage_size: str = "1Gi",
        storage_class: str | None = None,
        operator: NetworkPeer = CLOUDNATIVE_PG_OPERATOR,
    ) -> None:
        super().__init__(scope, id)
        check_release(self, release)
        if isinstance(instances, bool) or not isinstance(instances, int) or instances < 1:
            raise invalid(self, "instances", instances, "must be 1 or more")
        if check_quantity(self, "storage_size", storage_size) == 0:
            raise invalid(self, "storage_size", storage_size, "must be more than 0 bytes")
        if storage_class:
            check_dns_subdomain(self, "storage_class", storage_class)
        if not isinstance(operator, NetworkPeer):
            raise invalid(self, "operator", operator, "must be a NetworkPeer")
        operator.check(self, "operator")
        self.release = release
        self.name = check_dns_label(self, "release", f"{release}-db")
        labels = {APP_LABEL: release}
        # The operator labels every instance pod with its cluster's name.
        instance_labels = {"cnpg.io/cluster": self.name}
        storage: dict[str, Any] = {"size": storage_size}
        if storage_class:
            storage["storageClass"] = storage_class
        own = {"podSelector": {"matchLabels": instance_labels}}
        hub = {"podSelector": {"matchLabels": selector_labels(release, Component.HUB)}}
        self.cluster, self.network_policy = api_objects(
            self,
            [
                object_spec(
                    "Resource",
                    api_version="postgresql.cnpg.io/v1",
                    kind="Cluster",
                    name=self.name,
                    labels=labels,
                    spec={
                        "instances": instances,
                        "bootstrap": {"initdb": {"database": "jupyterhub", "owner": "jupyterhub"}},
                        "storage": storage,
                    },
                ),
                network_policy_spec(
                    "NetworkPolicy",
                    name=self.name,
                    labels=labels,
                    pods=instance_labels,
                    ingress=[
                        {
                            "from": [hub, own],
                            "ports": [{"protocol": "TCP", "port": POSTGRES_PORT}],
                        },
                        {
                            "from": [own, operator.to_policy_peer()],
                            "ports": [{"protocol": "TCP", "port": _INSTANCE_STATUS_PORT}],
                        },
                    ],
                ),
            ],
        )

    @property
    def database(self) -> HubDatabase:
        """The hub's database in this cluster: its primary's Service, the app user's Secret
        (made by the operator)."""
        return HubDatabase(
            url=f"{DRIVER_SCHEME}://jupyterhub@{self.name}-rw:{POSTGRES_PORT}/jupyterhub",
            server=True,
            password_secret=f"{self.name}-app",
            password_key="password",
            cluster=self,
        )
