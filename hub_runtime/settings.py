"""The hub settings: the one definition of what the constructs write and the hub reads.

The constructs serialize a :class:`HubSettings` into the hub ConfigMap (``settings.json``);
the hub runtime loads it back with :func:`load_settings`. Both sides use these dataclasses, so
the field list exists once. Loading is strict: an unknown field, a missing field or a value of
the wrong type stops the hub with a message naming the file and the field.

This module uses only the standard library: it is imported by the synthesizer and by the hub.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Sequence
from dataclasses import field
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, Literal

from hub_runtime.frozen import frozen
from hub_runtime.login_settings import LoginSettings

__all__ = [
    "CONFIGURABLE_CLASSES",
    "CONFIG_DIR",
    "CONFIG_FILE_NAME",
    "DEFAULT_DATABASE",
    "SCHEDULING_TRAITS",
    "SCHEMA_VERSION",
    "SETTINGS_ENV",
    "SETTINGS_FILE_NAME",
    "USER_SERVER_ARGS",
    "USER_SERVER_AUTH_CACHE_SECONDS",
    "VIRTUAL_SERVICE_API",
    "VIRTUAL_SERVICE_VERBS",
    "AuthSettings",
    "ChoiceFields",
    "ChoiceSettings",
    "ClaimAccessMode",
    "ClaimSettings",
    "ContainerSettings",
    "CullerSettings",
    "DatabaseSettings",
    "HubSettings",
    "JwtSettings",
    "MountAccess",
    "ProfileOptionSettings",
    "ProfileSettings",
    "SettingsError",
    "SpawnerSettings",
    "UserHostSettings",
    "VirtualServiceSettings",
    "VolumeSettings",
    "dump_settings",
    "load_settings",
    "parse_settings",
    "reserved_server_arg",
    "settings_path",
]

# The hub image's configuration directory: its jupyterhub_config.py reads settings.json here,
# which the hub ConfigMap provides.
CONFIG_DIR = "/usr/local/etc/jupyterhub"
CONFIG_FILE_NAME = "jupyterhub_config.py"
SETTINGS_FILE_NAME = "settings.json"
# Overrides where the settings file is read from (tests and local runs).
SETTINGS_ENV = "HUB_SETTINGS"


def settings_path() -> str:
    """Where the hub reads its settings: ``$HUB_SETTINGS``, else the config directory's."""
    import os

    return os.environ.get(SETTINGS_ENV) or f"{CONFIG_DIR}/{SETTINGS_FILE_NAME}"


# How long a user server believes the hub's answer about the OAuth token in its cookie
# (jupyterhub-singleuser's HubOAuth.cache_max_age, 300 s by default): logout revokes the
# token, but a copy of the cookie opened the server until that answer expired. 1 s is the
# least the trait takes (an integer; 0 caches forever).
USER_SERVER_AUTH_CACHE_SECONDS = 1
# What every user server is given after the configured arguments.
USER_SERVER_ARGS = (f"--HubOAuth.cache_max_age={USER_SERVER_AUTH_CACHE_SECONDS}",)


def reserved_server_arg(args: Sequence[str]) -> str | None:
    """The first of ``args`` that sets a trait ``USER_SERVER_ARGS`` sets, or None: given
    twice, traitlets stops the server ("only accepts one value")."""
    reserved = {arg.partition("=")[0] for arg in USER_SERVER_ARGS}
    return next((arg for arg in args if arg.partition("=")[0] in reserved), None)


# The settings' format: the constructs write it, the hub runtime refuses a newer one (it would
# not know what the newer fields mean). Raise it with every change to the fields.
SCHEMA_VERSION = 8
# The configurable classes ``extra_config`` may set traits of (z2jh's ``hub.config``), and
# where each is defined (the hub imports it at start to check the traits).
CONFIGURABLE_CLASSES = {
    "JupyterHub": "jupyterhub.app:JupyterHub",
    "Authenticator": "jupyterhub.auth:Authenticator",
    "HeaderAuthenticator": "hub_runtime.auth:HeaderAuthenticator",
    "Spawner": "jupyterhub.spawner:Spawner",
    "KubeSpawner": "kubespawner:KubeSpawner",
    "DynamicKubeSpawner": "hub_runtime.spawner:DynamicKubeSpawner",
    "Proxy": "jupyterhub.proxy:Proxy",
    "ConfigurableHTTPProxy": "jupyterhub.proxy:ConfigurableHTTPProxy",
    "VirtualServiceProxy": "hub_runtime.virtual_services:VirtualServiceProxy",
}

# The VirtualServices the hub writes its routes as (VirtualServiceSettings): the API
# version (every current Istio serves v1alpha3, as jupyterhub-istio-proxy v0.3.0 wrote), and
# the verbs hub_runtime.virtual_services calls, which the hub's Role grants and no more.
VIRTUAL_SERVICE_API = "networking.istio.io/v1alpha3"
VIRTUAL_SERVICE_VERBS = ("create", "delete", "get", "list", "patch")

# KubeSpawner's scheduling traits a profile may set, with Kubernetes' own shapes as values
# (the constructs render them from checked types).
SCHEDULING_TRAITS = (
    "node_selector",
    "tolerations",
    "node_affinity_required",
    "node_affinity_preferred",
    "pod_affinity_required",
    "pod_affinity_preferred",
    "pod_anti_affinity_required",
    "pod_anti_affinity_preferred",
)


class MountAccess(StrEnum):
    """Whether a mount is read-only, decided per spawn from the user's admin flag."""

    READ_WRITE = "never"
    READ_ONLY = "always"
    READ_ONLY_UNLESS_ADMIN = "unless_admin"
    READ_ONLY_IF_ADMIN = "if_admin"


class ClaimAccessMode(StrEnum):
    """How the nodes may mount a user's claim (one per user, shared by their servers)."""

    # One node at a time: a user's servers must land on one node to share it.
    READ_WRITE_ONCE = "ReadWriteOnce"
    # Any number of nodes (NFS, CephFS, EFS and the like).
    READ_WRITE_MANY = "ReadWriteMany"
    # One pod at a time: a second server of the user waits for the first to stop.
    READ_WRITE_ONCE_POD = "ReadWriteOncePod"


class SettingsError(ValueError):
    """The settings file is missing, malformed, or does not match the schema."""


@frozen
class ClaimSettings:
    """The user's PersistentVolumeClaim (one per user, made by KubeSpawner at first start)."""

    # A Kubernetes quantity ("10Gi"), written into the claim as given.
    size: str
    # None: the cluster's default StorageClass.
    storage_class: str | None = None
    access_mode: ClaimAccessMode = ClaimAccessMode.READ_WRITE_ONCE


@frozen
class VolumeSettings:
    """One user-pod volume and its mount. Paths may use ``{user}`` (the user's safe slug).
    The constructs' ``UserVolume`` is this type (with its checks and factories): one field
    list. Exactly one of ``host_path``, ``memory`` and ``claim`` says what the volume is."""

    name: str
    mount_path: str
    # A node directory (created if missing).
    host_path: str | None = None
    # A memory-backed emptyDir that lives as long as the pod.
    memory: bool = False
    sub_path: str | None = None
    access: MountAccess = MountAccess.READ_WRITE
    # (uid, gid) the spawner's init container chowns the mounted directory to, if set.
    owner: tuple[int, int] | None = None
    # The volume is the user's PersistentVolumeClaim, if set.
    claim: ClaimSettings | None = None


@frozen
class ContainerSettings:
    """A container of the user pod besides the notebook (or an init container). It runs with
    the notebook container's restricted security context, as ``run_as_user``."""

    name: str
    image: str
    image_pull_policy: str
    command: tuple[str, ...]
    args: tuple[str, ...]
    env: dict[str, str]
    # None: the spawner's init_cpu / init_memory, requested and limited.
    cpu_request: str | None
    cpu_limit: str | None
    memory_request: str | None
    memory_limit: str | None
    run_as_user: int


@frozen
class ChoiceFields:
    """What a choice of a profile option says besides its sizes; a field left None keeps the
    profile's value. The constructs' ``ProfileChoice`` extends it with the sizes as
    quantities, :class:`ChoiceSettings` with the sizes read from them: one field list."""

    display_name: str
    default: bool = False
    image: str | None = None
    # Where the server opens (e.g. "/lab").
    default_url: str | None = None


@frozen(kw_only=True)
class ChoiceSettings(ChoiceFields):
    """One choice as the hub reads it: its key in the option, the default resolved (exactly
    one choice of an option is), the sizes as numbers (read from their quantities once, by
    the constructs; None keeps the profile's)."""

    key: str
    cpu_request_millicores: int | None = None
    cpu_limit_millicores: int | None = None
    memory_request_bytes: int | None = None
    memory_limit_bytes: int | None = None


@frozen
class ProfileOptionSettings:
    """A choice inside one profile (KubeSpawner's ``profile_options``), e.g. the image."""

    key: str
    display_name: str
    choices: tuple[ChoiceSettings, ...]


@frozen
class ProfileSettings:
    """A spawnable profile: what a user can pick on the spawn page."""

    slug: str
    display_name: str
    description: str
    default: bool
    image: str
    image_pull_policy: str
    # Numbers, read from the profile's quantities once (as Kubernetes reads them: "32G" is
    # 32 * 10**9 bytes), so the hub and the quota never parse them again.
    cpu_request_millicores: int
    cpu_limit_millicores: int
    memory_request_bytes: int
    memory_limit_bytes: int
    extra_resource_guarantees: dict[str, str]
    extra_resource_limits: dict[str, str]
    runtime_class_name: str | None
    # Mount the user service account's API token into the pod.
    service_account_token: bool
    volumes: tuple[VolumeSettings, ...]
    # Added to the user pod's annotations (after the spawner's).
    annotations: dict[str, str]
    # KubeSpawner scheduling traits (SCHEDULING_TRAITS) and their values.
    scheduling: dict[str, Any] = field(default_factory=dict)
    # Where the server opens (e.g. "/lab"); None: the hub-wide one.
    default_url: str | None = None
    options: tuple[ProfileOptionSettings, ...] = ()
    extra_containers: tuple[ContainerSettings, ...] = ()
    init_containers: tuple[ContainerSettings, ...] = ()


@frozen
class JwtSettings:
    """The proof the auth proxy passes with the user header: a signed JWT (its ID token)."""

    issuer: str
    audience: str
    # The claim the account name comes from; the user header must name the token's person by
    # it or by ``sub`` (what oauth2-proxy sends for OIDC).
    user_claim: str
    # Keys: a JWKS URL (cached, refetched on an unknown key id) or one static PEM public key.
    jwks_url: str | None
    public_key: str | None
    algorithms: tuple[str, ...]
    # Seconds of clock skew tolerated on exp/nbf/iat.
    leeway: int
    # Longest validity (exp - iat, seconds) of a token the hub accepts: a leaked token is
    # worth little for long.
    max_lifetime: int
    # The claim listing the person's groups (a list of strings), for admin_groups and
    # allowed_groups.
    groups_claim: str
    # Keys fetched from jwks_url are used for at most this long, then fetched again: a key the
    # identity provider withdraws stops verifying within this bound.
    jwks_max_age_seconds: int


@frozen
class AuthSettings:
    """Header authentication: who the user is, what proves it, and who is an admin."""

    user_header: str
    admin_users: tuple[str, ...]
    # Members of any of these groups (the JWT's groups claim) are admins; of allowed_groups,
    # users. Both need trust "jwt": groups come only from the verified token.
    admin_groups: tuple[str, ...]
    allowed_groups: tuple[str, ...]
    allow_all: bool
    admin_access: bool
    # "jwt": the header counts only with a valid JWT naming the same user; "header": the header
    # is believed as is (only where the mesh lets nothing but the proxy reach the login path);
    # "hub": no header, the hub logs users in itself (HubSettings.login).
    trust: Literal["jwt", "header", "hub"]
    jwt: JwtSettings | None
    # Where the JWT arrives, as "Bearer <token>".
    proof_header: str
    # A user name must match this (Python regex, whole string) and be at most max_length long.
    user_pattern: str
    max_length: int
    # False: a name JupyterHub's normalization (lower case) would change is refused, as the
    # identity provider may tell "Ann" from "ann". True: such names are folded to one account
    # (for identity providers whose names are case-insensitive).
    case_insensitive_names: bool
    # False: admin_users alone decides who is an admin (an admin made in the hub, through
    # the admin page or the API, is unmade at their next request). True: JupyterHub's rule,
    # admin_users only grants and the hub keeps the admins it was given.
    admins_managed_in_hub: bool = False


@frozen
class SpawnerSettings:
    """What every user pod gets, whatever the profile."""

    namespace_env: str
    start_timeout_seconds: int
    port: int
    # The user container's command and arguments (the image's entrypoint stays in front).
    cmd: tuple[str, ...]
    args: tuple[str, ...]
    service_account: str
    priority_class_name: str | None
    env: dict[str, str]
    labels: dict[str, str]
    annotations: dict[str, str]
    ephemeral_storage_guarantee: str | None
    init_cpu: str
    init_memory: str
    per_user_service: bool
    # Secrets (names) with registry credentials the user pods pull their images with.
    image_pull_secrets: tuple[str, ...] = ()
    # Whether deleting a user deletes their PersistentVolumeClaim (KubeSpawner's delete_pvc).
    delete_claim_with_user: bool = False
    # Where every server opens unless its profile says otherwise; None: the server's own.
    default_url: str | None = None
    # The scheduler user pods name (the app's user scheduler); None: the cluster's default.
    scheduler_name: str | None = None


@frozen
class CullerSettings:
    """The idle culler, a hub-managed service, with zero-to-jupyterhub's ``cull`` defaults.
    The constructs' ``IdleCuller`` is this type (with its checks): one field list."""

    enabled: bool = True
    # Servers idle this long are stopped.
    timeout_seconds: int = 3600
    every_seconds: int = 600
    # At most this many requests to the hub at once.
    concurrency: int = 10
    # 0: no maximum age; a busy server is never stopped.
    max_age_seconds: int = 0
    # Users are people signed in through the auth proxy: keep them (z2jh's default). True:
    # delete users (their hub state) idle for ``timeout_seconds`` once their servers are
    # culled.
    users: bool = False
    # Only with users: admins are culled like everyone else (the culler's default).
    admin_users: bool = True
    # A culled named server stays on the user's list, to start again (z2jh's default).
    remove_named_servers: bool = False


@frozen
class DatabaseSettings:
    """The hub's database and its upgrade step (``hub_runtime.upgrade``)."""

    # JupyterHub's db_url, never with a password: PostgreSQL's comes from the environment
    # (libpq's PGPASSWORD, set from a Secret). A relative SQLite path is under the hub's
    # working directory, its data volume.
    url: str
    # Where the upgrade step copies a SQLite file before migrating it; None: not SQLite
    # (a database server is backed up by its operator, before the upgrade).
    backup_dir: str | None = None


# The hub's database when none is chosen: SQLite on the hub's data volume.
DEFAULT_DATABASE = DatabaseSettings(url="sqlite:///jupyterhub.sqlite", backup_dir="backups")


@frozen
class UserHostSettings:
    """Each user's server on a host of its own (JupyterHub's ``subdomain_host``), so a page a
    server serves never has the hub's origin nor another server's."""

    # The hub's public URL: scheme, host and port if any ("https://hub.example.org").
    hub_url: str
    # The user servers': the same scheme and port, the host a DNS wildcard of one label
    # ("https://*.users.example.org"): a user's server is at "<name>.users.example.org".
    user_url: str


@frozen
class VirtualServiceSettings:
    """The hub writes each route as a VirtualService (``hub_runtime.virtual_services``) in
    its own namespace, instead of calling a proxy's API."""

    # The Istio Gateway (the release's, in the hub's namespace) they bind to.
    gateway: str
    # Their names' and route annotation's prefix.
    name_prefix: str
    # The cluster's DNS domain, for the Services' names.
    cluster_domain: str


@frozen
class HubSettings:
    """Everything the hub runtime needs at start."""

    bind_url: str
    connect_url: str
    # Host names browsers use to reach the hub (through the proxy). The proxy sends each hop
    # the Host of its destination Service, so servers accept these as websocket/API Origins.
    public_hosts: tuple[str, ...]
    proxy_api_url: str
    proxy_token_env: str
    named_servers: bool
    named_server_limit_per_user: int
    concurrent_spawn_limit: int
    cleanup_servers: bool
    activity_interval_seconds: int
    metrics_require_auth: bool
    debug_env: str
    auth: AuthSettings
    spawner: SpawnerSettings
    culler: CullerSettings
    # How long the hub waits at start for its running servers' checks before it serves
    # (JupyterHub's init_spawners_timeout, whose default this is).
    init_spawners_timeout_seconds: int = 10
    profiles: tuple[ProfileSettings, ...] = field(default=())
    # The variable holding the token of the hub service that may read /hub/metrics (a
    # Secret's); None: no such service.
    metrics_token_env: str | None = None
    # None: user servers are paths on the hub's hosts (one origin for all).
    user_hosts: UserHostSettings | None = None
    # Traits the typed settings do not cover, by configurable class (CONFIGURABLE_CLASSES);
    # applied last, checked against the classes at start.
    extra_config: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The login the hub does itself (auth.trust "hub"); None: the auth proxy's header.
    login: LoginSettings | None = None
    database: DatabaseSettings = DEFAULT_DATABASE
    # None: the routes go to the proxy's API (proxy_api_url).
    virtual_services: VirtualServiceSettings | None = None
    schema_version: int = SCHEMA_VERSION


def dump_settings(settings: HubSettings) -> str:
    """Serialize settings as stable JSON (sorted keys), as written into the hub ConfigMap."""
    return json.dumps(dataclasses.asdict(settings), sort_keys=True, indent=2) + "\n"


def load_settings(path: str | Path) -> HubSettings:
    """Read and validate a settings file; :class:`SettingsError` names the file and field."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise SettingsError(f"{path}: cannot read hub settings: {error.strerror}") from None
    return parse_settings(text, source=str(path))


def parse_settings(text: str, *, source: str = "<settings>") -> HubSettings:
    """Parse settings JSON; :class:`SettingsError` names ``source`` and the offending field."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SettingsError(f"{source}: not valid JSON: {error}") from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise SettingsError(
            f"{source}: settings schema_version {version} is newer than this hub runtime's "
            f"({SCHEMA_VERSION}): run a hub runtime at least as new as the constructs that "
            "wrote them"
        )
    settings: HubSettings = _build(HubSettings, data, source, "")
    return settings


def _build(kind: Any, value: Any, source: str, where: str) -> Any:
    """Convert JSON ``value`` to ``kind`` (a type hint), rejecting anything that doesn't fit."""
    origin = typing.get_origin(kind)
    here = where or "settings"
    if dataclasses.is_dataclass(kind):
        return _build_dataclass(kind, value, source, where)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        (inner,) = (option for option in options if option is not type(None))
        return _build(inner, value, source, where)
    if origin is Literal:
        allowed = typing.get_args(kind)
        if value not in allowed:
            raise SettingsError(f"{source}: {here} must be one of {list(allowed)}, got {value!r}")
        return value
    if origin is tuple:
        args = typing.get_args(kind)
        if not isinstance(value, list):
            raise SettingsError(f"{source}: {here} must be a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v, source, f"{here}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise SettingsError(f"{source}: {here} must have {len(args)} items, got {value!r}")
        pairs = enumerate(zip(args, value, strict=True))
        return tuple(_build(a, v, source, f"{here}[{i}]") for i, (a, v) in pairs)
    if origin is dict:
        _, value_kind = typing.get_args(kind)
        if not isinstance(value, dict):
            raise SettingsError(f"{source}: {here} must be a mapping, got {value!r}")
        return {k: _build(value_kind, v, source, f"{here}.{k}") for k, v in value.items()}
    if isinstance(kind, type) and issubclass(kind, Enum):
        values = [member.value for member in kind]
        if value not in values:
            raise SettingsError(f"{source}: {here} must be one of {values}, got {value!r}")
        return kind(value)
    # bool is an int in Python: check it exactly, so `true` never passes as a number.
    if kind is int and (type(value) is not int):
        raise SettingsError(f"{source}: {here} must be an integer, got {value!r}")
    if kind in (str, bool) and type(value) is not kind:
        raise SettingsError(f"{source}: {here} must be {kind.__name__}, got {value!r}")
    return value


def _build_dataclass(kind: Any, value: Any, source: str, where: str) -> Any:
    if not isinstance(value, dict):
        raise SettingsError(f"{source}: {where or 'settings'} must be an object, got {value!r}")
    hints = typing.get_type_hints(kind)
    fields = {f.name: f for f in dataclasses.fields(kind)}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        name = f"{where}.{unknown[0]}" if where else unknown[0]
        raise SettingsError(f"{source}: unknown field {name} (known: {', '.join(sorted(fields))})")
    kwargs = {}
    for name in fields:
        path = f"{where}.{name}" if where else name
        # The constructs write every field: a missing one, default or not, means the file
        # is not theirs (a default here is the constructs' value, never the file's).
        if name not in value:
            raise SettingsError(f"{source}: missing field {path}")
        kwargs[name] = _build(hints[name], value[name], source, path)
    return kind(**kwargs)
