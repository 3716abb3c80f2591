"""Where configurable-http-proxy keeps its routing table: in memory, or in Redis."""

from __future__ import annotations

from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._core._checks import check_image
from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import APP_LABEL, COMPONENT_LABEL, check_dns_subdomain
from constructs_lib._core._network_policy_spec import network_policy_spec
from constructs_lib._core._objects import api_objects, name_of, object_spec
from constructs_lib._core._outbound import PRIVATE_NETWORKS
from constructs_lib._core._quantity import check_quantity
from constructs_lib._core.scan_exceptions import skip_annotations, unpinned
from constructs_lib._pods.pod import Resources, disruption_budget_spec
from hub_runtime.pod_security import restricted_container

__all__ = [
    "FAIL_FAST",
    "PROXY_REDIS_RECIPE",
    "REDIS_BACKEND",
    "REDIS_PASSWORD_ENV",
    "REDIS_URI_ENV",
    "RedisRouteStore",
    "RouteStore",
]

# CHP loads this npm module with --storage-backend and reads the URI from this variable.
REDIS_BACKEND = "configurable-http-proxy-redis-backend"
# The official CHP image plus that module; nobody publishes it, so the deployer builds it.
PROXY_REDIS_RECIPE = "docker/proxy-redis.Dockerfile"
REDIS_URI_ENV = "CONFIGURABLE_PROXY_REDIS_URI"
REDIS_PORT = 6379
# ioredis (inside the backend) takes options from the URI query. Without its offline queue a
# route lookup fails at once while Redis is down (CHP answers 500) instead of hanging until
# Redis returns; it reconnects by itself either way.
FAIL_FAST = "?enableOfflineQueue="
# The variable the Redis password is read from, in every pod that dials it.
REDIS_PASSWORD_ENV = "REDIS_PASSWORD"
_PASSWORD_ENV = REDIS_PASSWORD_ENV
_REDIS_UID = 10001


class RouteStore:
    """CHP's route table. In memory (the default) every proxy replica has its own table, so
    only one replica is allowed; in Redis the replicas share it and survive restarts."""

    #: Whether replicas share the table (so the proxy may scale out).
    shared = False

    @staticmethod
    def memory() -> RouteStore:
        return RouteStore()

    @staticmethod
    def redis(*, uri_secret: str, uri_key: str = REDIS_URI_ENV) -> RouteStore:
        """An existing Redis whose URI (``redis://…``) is key ``uri_key`` of Secret
        ``uri_secret``, created outside the app. End the URI with ``?enableOfflineQueue=`` so
        that requests fail fast instead of hanging while Redis is down."""
        return _ExistingRedis(uri_secret, uri_key)

    def proxy_args(self) -> list[str]:
        return [f"--storage-backend={REDIS_BACKEND}"] if self.shared else []

    def proxy_env(self) -> list[dict[str, Any]]:
        return []

    @property
    def external_secrets(self) -> frozenset[str]:
        return frozenset()

    def admit(self, *peer_labels: dict[str, str]) -> None:
        """Let the pods of each of ``peer_labels`` (the proxy's; with Traefik the hub's too)
        reach the store, where the app deploys it. Called by the proxy."""

    def client_egress(self, labels: dict[str, str]) -> list[dict[str, Any]]:
        """The NetworkPolicy egress rules the pods of ``labels`` need to reach the store
        (none unless ``admit`` named them; none in memory)."""
        return []


class _ExistingRedis(RouteStore):
    shared = True

    def __init__(self, secret: str, key: str) -> None:
        self.secret, self.key = secret, key
        self._clients: list[dict[str, str]] = []

    def admit(self, *peer_labels: dict[str, str]) -> None:
        self._clients.extend(dict(labels) for labels in peer_labels)

    def client_egress(self, labels: dict[str, str]) -> list[dict[str, Any]]:
        """Redis's port on any pod of the cluster or private address: only the URI Secret
        says where this Redis is."""
        if labels not in self._clients:
            return []
        to = [{"namespaceSelector": {}}, *({"ipBlock": {"cidr": c}} for c in PRIVATE_NETWORKS)]
        return [{"to": to, "ports": [{"protocol": "TCP", "port": REDIS_PORT}]}]

    def proxy_env(self) -> list[dict[str, Any]]:
        return [
            {
                "name": REDIS_URI_ENV,
                "valueFrom": {"secretKeyRef": {"name": self.secret, "key": self.key}},
            }
        ]

    @property
    def external_secrets(self) -> frozenset[str]:
        return frozenset({self.secret})


class RedisRouteStore(LibraryConstruct, RouteStore):
    """A Redis for the proxy's routes: a one-replica StatefulSet with append-only persistence
    on a volume, its Service, a NetworkPolicy that admits only the proxy, and a PDB. The
    password is key ``REDIS_PASSWORD`` of Secret ``password_secret`` (create it yourself).

    Args:
        release: the prefix of the objects' names; default ``jupyterhub``.
        password_secret: the Secret holding ``REDIS_PASSWORD``, created by you; default
            ``jupyterhub-redis``.
        image: the Redis image; default ``docker.io/library/redis:7.4-alpine``, public and pinned.
        storage_size: the append-only file's volume; default ``1Gi`` (routes are small).
        resources: default 10m/64Mi requested, 500m/256Mi limit.
    """

    shared = True
    service = Handle[cdk8s.ApiObject]("Redis's Service.")
    stateful_set = Handle[cdk8s.ApiObject]("Redis's StatefulSet, one replica with its volume.")
    disruption_budget = Handle[cdk8s.ApiObject]("Redis's PodDisruptionBudget.")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        release: str = "jupyterhub",
        password_secret: str = "jupyterhub-redis",
        image: str = "docker.io/library/redis:7.4-alpine",
        storage_size: str = "1Gi",
        resources: Resources = Resources("10m", "64Mi", "500m", "256Mi"),  # noqa: B008 - frozen
    ) -> None:
        super().__init__(scope, id)
        check_dns_subdomain(self, "password_secret", password_secret)
        check_quantity(self, "storage_size", storage_size)
        resources.check(self)
        check_image(self, "image", image)
        self.name = f"{release}-redis"
        self.password_secret = password_secret
        self.labels = {APP_LABEL: release, COMPONENT_LABEL: "redis"}
        self.release = release
        service = object_spec(
            "Service",
            api_version="v1",
            kind="Service",
            name=self.name,
            labels=self.labels,
            spec={
                "type": "ClusterIP",
                "selector": dict(self.labels),
                "ports": [
                    {"name": "redis", "port": REDIS_PORT, "targetPort": "redis", "protocol": "TCP"}
                ],
            },
        )
        container = {
            "name": "redis",
            "image": image,
            "imagePullPolicy": "Always",
            # Every write is appended to /data and replayed at start: routes survive restarts.
            "args": ["--appendonly", "yes", "--save", "", "--requirepass", f"$({_PASSWORD_ENV})"],
            "env": [self._password_env()],
            "ports": [{"name": "redis", "containerPort": REDIS_PORT, "protocol": "TCP"}],
            "readinessProbe": {"tcpSocket": {"port": "redis"}, "periodSeconds": 2},
            "livenessProbe": {"tcpSocket": {"port": "redis"}, "initialDelaySeconds": 30},
            "resources": resources.to_manifest(),
            # A high uid of no one on the host; the data volume is writable via fsGroup.
            "securityContext": restricted_container(
                run_as_user=_REDIS_UID, run_as_group=_REDIS_UID, read_only_root=True
            ),
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
        }
        stateful_set = object_spec(
            "Resource",
            api_version="apps/v1",
            kind="StatefulSet",
            name=self.name,
            labels=self.labels,
            annotations=skip_annotations(
                unpinned(image),
                {
                    "CKV_K8S_35": "redis-server takes its password on the command line, from this "
                    "variable"
                },
            ),
            spec={
                "replicas": 1,
                "serviceName": service.name,
                "selector": {"matchLabels": dict(self.labels)},
                "template": {
                    "metadata": {"labels": dict(self.labels)},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "securityContext": {
                            "fsGroup": _REDIS_UID,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [container],
                    },
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": storage_size}},
                        },
                    }
                ],
            },
        )
        self.service, self.stateful_set, self.disruption_budget = api_objects(
            self, [service, stateful_set, disruption_budget_spec(self.name, self.labels)]
        )
        self._network_policy: cdk8s.ApiObject | None = None
        self._clients: list[dict[str, str]] = []

    def admit(self, *peer_labels: dict[str, str]) -> None:
        """Admit the pods of ``peer_labels`` (the proxy's, and the hub's where it writes the
        routes) and nothing else to Redis, and let Redis call nothing: it has no replica to
        follow and no sidecar (its pods carry no injection label), so a compromised store
        cannot send the routes anywhere."""
        self._clients.extend(dict(labels) for labels in peer_labels)
        rule = {
            "from": [{"podSelector": {"matchLabels": dict(labels)}} for labels in peer_labels],
            "ports": [{"protocol": "TCP", "port": REDIS_PORT}],
        }
        spec = network_policy_spec(
            "NetworkPolicy",
            name=self.name,
            labels=self.labels,
            pods=dict(self.labels),
            ingress=[rule],
            egress=[],
        )
        self._network_policy = api_objects(self, [spec])[0]

    def client_egress(self, labels: dict[str, str]) -> list[dict[str, Any]]:
        """Redis's pods on its port, for a client ``admit`` named."""
        if labels not in self._clients:
            return []
        to = [{"podSelector": {"matchLabels": dict(self.labels)}}]
        return [{"to": to, "ports": [{"protocol": "TCP", "port": REDIS_PORT}]}]

    @property
    def network_policy(self) -> cdk8s.ApiObject | None:
        """The NetworkPolicy admitting the proxy's pods; made when a proxy takes these
        routes (``None`` before)."""
        return self._network_policy

    def proxy_env(self) -> list[dict[str, Any]]:
        return [
            self._password_env(),
            # Kubernetes expands $(REDIS_PASSWORD) from the variable above.
            {
                "name": REDIS_URI_ENV,
                "value": f"redis://:$({_PASSWORD_ENV})@{name_of(self.service)}:{REDIS_PORT}/0"
                f"{FAIL_FAST}",
            },
        ]

    @property
    def external_secrets(self) -> frozenset[str]:
        return frozenset({self.password_secret})

    @property
    def endpoint(self) -> str:
        """``host:port`` of the Service (what Traefik's Redis provider dials)."""
        return f"{name_of(self.service)}:{REDIS_PORT}"

    def password_env(self) -> dict[str, Any]:
        """The variable ``REDIS_PASSWORD``, from the password Secret."""
        return self._password_env()

    def _password_env(self) -> dict[str, Any]:
        return {
            "name": _PASSWORD_ENV,
            "valueFrom": {"secretKeyRef": {"name": self.password_secret, "key": _PASSWORD_ENV}},
        }
