"""Apply the hub settings to JupyterHub's config object (called by jupyterhub_config.py)."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tornado.httpclient import AsyncHTTPClient

from hub_runtime.logins import configure_login
from hub_runtime.metrics_access import metrics_reader
from hub_runtime.pod_security import (
    NOTEBOOK_GID,
    NOTEBOOK_UID,
    restricted_container,
    restricted_pod,
)
from hub_runtime.proxy_client import PROXY_CLIENT_CLASS
from hub_runtime.settings import (
    CONFIGURABLE_CLASSES,
    SCHEDULING_TRAITS,
    SETTINGS_ENV,
    USER_SERVER_ARGS,
    ChoiceSettings,
    ClaimAccessMode,
    ContainerSettings,
    HubSettings,
    MountAccess,
    ProfileOptionSettings,
    ProfileSettings,
    SettingsError,
    VirtualServiceSettings,
    VolumeSettings,
    load_settings,
    reserved_server_arg,
    settings_path,
)
from hub_runtime.user_hosts import ORIGIN_ARG, apply_user_hosts, user_domain

__all__ = [
    "CULLER_SCOPES",
    "SETTINGS_ENV",
    "apply",
    "configure_http_client",
    "culler_scopes",
    "culler_service",
    "origin_pattern",
    "point_services_at",
    "profile_list",
    "services_api_url",
]

# The flag of jupyterhub-idle-culler that names the hub's API (its default: JUPYTERHUB_API_URL).
SERVICE_URL_FLAG = "--url="

# The culler lists users, reads their servers and stops idle ones (deleting a named server
# needs no more): nothing else.
CULLER_SCOPES = ["list:users", "read:servers", "delete:servers"]
# Culling users also reads their activity and admin flag and deletes them.
CULLER_USER_SCOPES = ["admin:users"]
# libcurl's CURLOPT_DNS_CACHE_TIMEOUT: seconds it reuses a name's address, whatever the DNS
# record's TTL; its default is 60 (and cluster DNS's TTL 5: CoreDNS's kubernetes plugin).
_DNS_CACHE_SECONDS = 0
_READ_ONLY = {
    MountAccess.READ_WRITE: False,
    MountAccess.READ_ONLY: True,
    MountAccess.READ_ONLY_UNLESS_ADMIN: "{is_not_admin}",
    MountAccess.READ_ONLY_IF_ADMIN: "{is_admin}",
}


def configure_http_client() -> None:
    """JupyterHub's HTTP client: curl (HTTP/1.1 keep-alive and better concurrency towards the
    proxy and user servers), resolving a name again at every request. A user's Service goes
    with its pod (its owner reference) and is made again at the server's next start
    (``DynamicKubeSpawner.per_user_service``), and Kubernetes gives the new one a new
    ClusterIP: with libcurl's 60 s cache, a server started again within a minute was waited
    for at its old Service's address until the spawn failed.
    JupyterHub's ``init_pycurl`` configures curl again, without these defaults, after reading
    the config: the launcher calls this once more after it."""
    AsyncHTTPClient.configure(
        "tornado.curl_httpclient.CurlAsyncHTTPClient",
        defaults={"prepare_curl_callback": _resolve_at_every_request},
    )


def _resolve_at_every_request(curl: Any) -> None:
    import pycurl  # type: ignore[import-untyped]  # only with curl, as in the hub image

    curl.setopt(pycurl.DNS_CACHE_TIMEOUT, _DNS_CACHE_SECONDS)


def apply(c: Any, path: str | Path | None = None) -> HubSettings:
    """Configure JupyterHub from the settings file; a bad file stops the hub before anything
    is configured (``SettingsError`` names the file and field)."""
    path = path or settings_path()
    settings = load_settings(path)
    debug = os.environ.get(settings.debug_env, "").upper() == "DEBUG"

    hub = c.JupyterHub
    hub.hub_bind_url = settings.bind_url
    hub.hub_connect_url = settings.connect_url
    hub.cleanup_servers = settings.cleanup_servers
    # Migrated beforehand by hub_runtime.upgrade (the hub runs without --upgrade-db).
    hub.db_url = settings.database.url
    hub.allow_named_servers = settings.named_servers
    hub.named_server_limit_per_user = settings.named_server_limit_per_user
    hub.concurrent_spawn_limit = settings.concurrent_spawn_limit
    hub.last_activity_interval = settings.activity_interval_seconds
    hub.init_spawners_timeout = settings.init_spawners_timeout_seconds
    hub.authenticate_prometheus = settings.metrics_require_auth
    hub.tornado_settings = {"slow_spawn_timeout": 0, "websocket_max_message_size": 1024**3}
    if settings.user_hosts is not None:
        apply_user_hosts(c, settings.user_hosts)
    configure_http_client()
    if debug:
        hub.log_level = logging.DEBUG
        c.Spawner.debug = True

    # Waits out a token rotation.
    hub.proxy_class = PROXY_CLIENT_CLASS
    c.ConfigurableHTTPProxy.should_start = False
    c.ConfigurableHTTPProxy.api_url = settings.proxy_api_url
    c.ConfigurableHTTPProxy.auth_token = os.environ.get(settings.proxy_token_env, "")
    if settings.virtual_services is not None:
        _virtual_services(c, settings, settings.virtual_services)

    auth = settings.auth
    hub.authenticator_class = "hub_runtime.auth.HeaderAuthenticator"
    c.HeaderAuthenticator.user_header = auth.user_header
    c.HeaderAuthenticator.proof_header = auth.proof_header
    c.HeaderAuthenticator.user_pattern = auth.user_pattern
    c.HeaderAuthenticator.max_length = auth.max_length
    c.HeaderAuthenticator.case_insensitive_names = auth.case_insensitive_names
    c.HeaderAuthenticator.jwt = auth.jwt if auth.trust == "jwt" else None
    c.Authenticator.admin_users = set(auth.admin_users)
    c.HeaderAuthenticator.admin_groups = set(auth.admin_groups)
    c.HeaderAuthenticator.allowed_groups = set(auth.allowed_groups)
    c.Authenticator.allow_all = auth.allow_all
    c.HeaderAuthenticator.admins_managed_in_hub = auth.admins_managed_in_hub
    if settings.login is not None:
        # The hub logs people in itself: the header settings above then concern no class.
        configure_login(c, settings.login)
    roles: list[dict[str, Any]] = []
    if auth.admin_access:
        roles.append(
            {"name": "admin-access", "scopes": ["access:servers"], "users": list(auth.admin_users)}
        )

    _spawner(c, settings)
    services, metrics_roles = metrics_reader(settings)
    if settings.culler.enabled:
        services.append(culler_service(settings))
        roles.append(
            {"name": "idle-culler", "scopes": culler_scopes(settings), "services": ["idle-culler"]}
        )
    if services:
        hub.services = services
    hub.load_roles = roles + metrics_roles
    _extra_config(c, settings)
    return settings


def _extra_config(c: Any, settings: HubSettings) -> None:
    """The pass-through traits, after the typed settings (so they win); each must be a
    configurable trait of its class."""
    import importlib

    for name, traits in settings.extra_config.items():
        if name not in CONFIGURABLE_CLASSES:
            raise SettingsError(
                f"extra_config.{name}: not a configurable class here (known: "
                f"{', '.join(sorted(CONFIGURABLE_CLASSES))})"
            )
        module, _, attribute = CONFIGURABLE_CLASSES[name].partition(":")
        klass = getattr(importlib.import_module(module), attribute)
        known = klass.class_traits(config=True)
        for trait, value in traits.items():
            if trait not in known:
                raise SettingsError(
                    f"extra_config.{name}.{trait}: {name} has no configurable trait {trait!r}"
                )
            c[name][trait] = value


def culler_service(settings: HubSettings) -> dict[str, Any]:
    """The idle culler as a hub-managed service (the hub starts and stops it)."""
    culler = settings.culler
    command = [
        sys.executable,
        "-m",
        "jupyterhub_idle_culler",
        # The hub's API from inside its pod, as z2jh's jupyterhub_config.py gives it:
        # JUPYTERHUB_API_URL names the hub's Service, a detour out of the pod that its
        # NetworkPolicies and mesh rules would have to admit. The launcher sets it again from
        # the address the hub binds in the end (point_services_at).
        f"{SERVICE_URL_FLAG}{services_api_url(settings.bind_url)}",
        f"--timeout={culler.timeout_seconds}",
        f"--cull-every={culler.every_seconds}",
        f"--concurrency={culler.concurrency}",
    ]
    if culler.max_age_seconds:
        command.append(f"--max-age={culler.max_age_seconds}")
    # "=true"/"=false": culler 2.x (traitlets) refuses a bare flag, 1.x (tornado) takes both.
    if culler.users:
        command.append("--cull-users=true")
        if not culler.admin_users:
            command.append("--cull-admin-users=false")
    if culler.remove_named_servers:
        command.append("--remove-named-servers=true")
    return {"name": "idle-culler", "command": command}


def services_api_url(bind_url: str) -> str:
    """The hub's API as a process of the hub's pod reaches it: at the address the hub binds,
    loopback where that is every interface (JupyterHub 5.5's rule for its managed services,
    services/service.py ``Service.start``, whose copy of the hub it then leaves unused)."""
    bind = urlsplit(bind_url)
    host = bind.hostname or ""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "[::1]"
    elif ":" in host:
        host = f"[{host}]"
    return f"{bind.scheme}://{host}:{bind.port}/hub/api"


def point_services_at(services: list[dict[str, Any]], bind_url: str) -> None:
    """Give every managed service that takes the hub's API as ``--url=`` the one of
    ``bind_url``, the address the hub binds once its command line is read too."""
    for service in services:
        command = service.get("command") or []
        for index, arg in enumerate(command):
            if arg.startswith(SERVICE_URL_FLAG):
                command[index] = f"{SERVICE_URL_FLAG}{services_api_url(bind_url)}"


def culler_scopes(settings: HubSettings) -> list[str]:
    """The scopes the culler's role grants: ``CULLER_SCOPES``, and ``admin:users`` when it
    deletes users (jupyterhub-idle-culler's README)."""
    return CULLER_SCOPES + (CULLER_USER_SCOPES if settings.culler.users else [])


def _virtual_services(c: Any, settings: HubSettings, routes: VirtualServiceSettings) -> None:
    """The hub writes its routes as VirtualServices (``IstioProxy``): in its namespace (the
    spawner's), a path route on the hub's public hosts, a host route under the user
    servers' domain only."""
    # Imported here: the module is delivered only to a hub with these settings (hub_files).
    from hub_runtime.virtual_services import PROXY_CLASS

    c.JupyterHub.proxy_class = PROXY_CLASS
    proxy = c.VirtualServiceProxy
    namespace = os.environ.get(settings.spawner.namespace_env)
    if namespace:
        proxy.namespace = namespace
    proxy.gateway = routes.gateway
    proxy.name_prefix = routes.name_prefix
    proxy.cluster_domain = routes.cluster_domain
    # No public host named: every host of the Gateway (the release's own).
    proxy.hub_hosts = list(settings.public_hosts) or ["*"]
    if settings.user_hosts is not None:
        proxy.user_domain = user_domain(settings.user_hosts)


def _spawner(c: Any, settings: HubSettings) -> None:
    spawner = settings.spawner
    c.JupyterHub.spawner_class = "hub_runtime.spawner.DynamicKubeSpawner"
    kube = c.KubeSpawner
    namespace = os.environ.get(spawner.namespace_env)
    if namespace:
        kube.namespace = namespace
    kube.slug_scheme = "safe"
    kube.start_timeout = spawner.start_timeout_seconds
    kube.port = spawner.port
    kube.cmd = list(spawner.cmd)
    kube.args = [*spawner.args, *_user_server_args(settings)]
    kube.service_account = spawner.service_account
    # No Kubernetes API credentials in a user's pod unless their profile asks for them.
    kube.automount_service_account_token = False
    if spawner.priority_class_name:
        kube.priority_class_name = spawner.priority_class_name
    if spawner.scheduler_name:
        kube.scheduler_name = spawner.scheduler_name
    kube.environment = dict(spawner.env)
    kube.extra_labels = dict(spawner.labels)
    kube.extra_annotations = dict(spawner.annotations)
    # DynamicKubeSpawner's own, not KubeSpawner's services_enabled (its docstring says why).
    c.DynamicKubeSpawner.per_user_service = spawner.per_user_service
    kube.image_pull_secrets = [{"name": name} for name in spawner.image_pull_secrets]
    # A user's claim outlives their servers; deleting the user deletes it only if asked.
    kube.delete_pvc = spawner.delete_claim_with_user
    if spawner.ephemeral_storage_guarantee:
        kube.extra_resource_guarantees = {"ephemeral-storage": spawner.ephemeral_storage_guarantee}
    kube.profile_list = profile_list(settings)
    # The restricted Pod Security profile, as the docker-stacks images' notebook user; the
    # kubelet makes volumes (a fresh claim is root-owned) group-writable for its gid.
    kube.uid = NOTEBOOK_UID
    kube.fs_gid = NOTEBOOK_GID
    kube.pod_security_context = restricted_pod()
    # The notebook container and every extra or init container a profile adds.
    kube.container_security_context = restricted_container()
    if spawner.default_url:
        kube.default_url = spawner.default_url


def _user_server_args(settings: HubSettings) -> list[str]:
    """What the hub adds to the configured arguments: the public hosts' Origins, and how
    long a server believes the hub about a token (``USER_SERVER_ARGS``), which the
    arguments may not set themselves."""
    taken = reserved_server_arg(settings.spawner.args)
    if taken is not None:
        raise SettingsError(
            f"spawner.args: {taken!r} sets what the hub sets itself ({', '.join(USER_SERVER_ARGS)})"
        )
    added = list(USER_SERVER_ARGS)
    if settings.public_hosts:
        added.insert(0, f"{ORIGIN_ARG}{origin_pattern(settings)}")
    return added


def origin_pattern(settings: HubSettings) -> str:
    """The browser Origins a user server accepts for API and websocket requests.

    The proxy sends each hop the Host of its destination Service (a sidecar mesh routes by
    Host), so a browser's Origin never equals the Host a user server sees: name the public
    hosts instead (any scheme and port of exactly those hosts)."""
    hosts = "|".join(_host_pattern(host.lower()) for host in settings.public_hosts)
    return rf"^https?://({hosts})(:[0-9]+)?$"


def _host_pattern(host: str) -> str:
    # "*.example.org" (as an ingress host) stands for exactly one more DNS label.
    if host.startswith("*."):
        return r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\." + re.escape(host[2:])
    return re.escape(host)


def profile_list(settings: HubSettings) -> list[dict[str, Any]]:
    """KubeSpawner's ``profile_list`` for the settings' profiles."""
    return [_profile(profile, settings) for profile in settings.profiles]


def _profile(profile: ProfileSettings, settings: HubSettings) -> dict[str, Any]:
    guarantees = dict(profile.extra_resource_guarantees)
    if settings.spawner.ephemeral_storage_guarantee:
        guarantees.setdefault("ephemeral-storage", settings.spawner.ephemeral_storage_guarantee)
    override: dict[str, Any] = {
        "image": profile.image,
        "image_pull_policy": profile.image_pull_policy,
        **_sizes(profile),
        "extra_resource_guarantees": guarantees,
        "extra_resource_limits": dict(profile.extra_resource_limits),
        "volumes": [_volume(v) for v in profile.volumes],
        "volume_mounts": [_mount(v) for v in profile.volumes],
        # The chown containers first: the profile's own init containers find the user's
        # directories owned by the user.
        "init_containers": [
            *(_chown(v, profile, settings) for v in profile.volumes if v.owner),
            *(_container(c, settings) for c in profile.init_containers),
        ],
        "extra_containers": [_container(c, settings) for c in profile.extra_containers],
        "extra_annotations": {**settings.spawner.annotations, **profile.annotations},
        "automount_service_account_token": profile.service_account_token,
        # Set by every profile: a server's spawner keeps the last profile's values.
        **_claim_overrides(profile, settings),
    }
    if profile.runtime_class_name:
        override["extra_pod_config"] = {"runtimeClassName": profile.runtime_class_name}
    unknown = sorted(set(profile.scheduling) - set(SCHEDULING_TRAITS))
    if unknown:
        raise SettingsError(
            f"profiles[{profile.slug}].scheduling.{unknown[0]}: not a scheduling trait "
            f"(known: {', '.join(SCHEDULING_TRAITS)})"
        )
    override.update(profile.scheduling)
    if profile.default_url:
        override["default_url"] = profile.default_url
    entry: dict[str, Any] = {
        "display_name": profile.display_name,
        "slug": profile.slug,
        "description": profile.description,
        "default": profile.default,
        "kubespawner_override": override,
    }
    if profile.options:
        entry["profile_options"] = {
            option.key: _option(option, profile) for option in profile.options
        }
    return entry


def _option(option: ProfileOptionSettings, profile: ProfileSettings) -> dict[str, Any]:
    """KubeSpawner's ``profile_options`` entry: no free-form ("unlisted") choice, so only the
    choices the settings list can be spawned."""
    return {
        "display_name": option.display_name,
        "choices": {
            choice.key: {
                "display_name": choice.display_name,
                "default": choice.default,
                "kubespawner_override": _choice_override(choice),
            }
            for choice in option.choices
        },
    }


def _choice_override(choice: ChoiceSettings) -> dict[str, Any]:
    override: dict[str, Any] = {}
    if choice.image is not None:
        override["image"] = choice.image
    override.update(_sizes(choice))
    if choice.default_url is not None:
        override["default_url"] = choice.default_url
    return override


def _container(container: ContainerSettings, settings: HubSettings) -> dict[str, Any]:
    """An extra or init container of the profile, with the notebook's restricted context."""
    init = {"cpu": settings.spawner.init_cpu, "memory": settings.spawner.init_memory}
    requests = {
        "cpu": container.cpu_request or init["cpu"],
        "memory": container.memory_request or init["memory"],
    }
    limits = {
        "cpu": container.cpu_limit or init["cpu"],
        "memory": container.memory_limit or init["memory"],
    }
    manifest: dict[str, Any] = {
        "name": container.name,
        "image": container.image,
        "imagePullPolicy": container.image_pull_policy,
        "securityContext": restricted_container(run_as_user=container.run_as_user),
        "resources": {"requests": requests, "limits": limits},
        "env": [{"name": name, "value": value} for name, value in container.env.items()],
    }
    if container.command:
        manifest["command"] = list(container.command)
    if container.args:
        manifest["args"] = list(container.args)
    return manifest


def _claim_overrides(profile: ProfileSettings, settings: HubSettings) -> dict[str, Any]:
    """KubeSpawner creates the user's claim before the pod when the profile mounts it, and
    never deletes it when the server stops. Where a user may run several servers (named
    servers), those mounting a ReadWriteOnce claim share a node, where it is attached."""
    claims = [volume.claim for volume in profile.volumes if volume.claim is not None]
    if not claims:
        return {"storage_pvc_ensure": False, "servers_share_a_node": False}
    if len(claims) > 1:
        raise SettingsError(
            f"profiles[{profile.slug}].volumes: at most one claim (KubeSpawner makes one per "
            f"server), got {len(claims)}"
        )
    (claim,) = claims
    return {
        "storage_pvc_ensure": True,
        "storage_capacity": claim.size,
        "storage_class": claim.storage_class,
        "storage_access_modes": [str(claim.access_mode)],
        "servers_share_a_node": (
            settings.named_servers and claim.access_mode == ClaimAccessMode.READ_WRITE_ONCE
        ),
    }


def _volume(volume: VolumeSettings) -> dict[str, Any]:
    if volume.claim is not None:
        # KubeSpawner's own name for the claim it made (or remembered) for this server.
        return {"name": volume.name, "persistentVolumeClaim": {"claimName": "{pvc_name}"}}
    if volume.host_path is not None:
        return {
            "name": volume.name,
            "hostPath": {"path": volume.host_path, "type": "DirectoryOrCreate"},
        }
    return {"name": volume.name, "emptyDir": {"medium": "Memory" if volume.memory else ""}}


def _mount(volume: VolumeSettings) -> dict[str, Any]:
    mount: dict[str, Any] = {
        "name": volume.name,
        "mountPath": volume.mount_path,
        "readOnly": _READ_ONLY[volume.access],
    }
    if volume.sub_path:
        mount["subPath"] = volume.sub_path
    return mount


def _chown(
    volume: VolumeSettings, profile: ProfileSettings, settings: HubSettings
) -> dict[str, Any]:
    """Root with only CHOWN: makes the user's directory theirs before the notebook starts."""
    assert volume.owner is not None
    uid, gid = volume.owner
    target = "/mnt/target"
    mount: dict[str, Any] = {"name": volume.name, "mountPath": target}
    if volume.sub_path:
        mount["subPath"] = volume.sub_path
    resources = {"cpu": settings.spawner.init_cpu, "memory": settings.spawner.init_memory}
    return {
        "name": f"chown-{volume.name}",
        "image": profile.image,
        "imagePullPolicy": profile.image_pull_policy,
        "command": ["chown", f"{uid}:{gid}", target],
        "securityContext": {
            "runAsUser": 0,
            "runAsNonRoot": False,
            "privileged": False,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"], "add": ["CHOWN"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "resources": {"requests": resources, "limits": resources},
        "volumeMounts": [mount],
    }


# KubeSpawner's trait for each size field of a profile or choice, and how it takes the value:
# CPUs as cores; memory in bytes, never a quantity (KubeSpawner would read "8Gi" as an error
# and "32G" as 32 GiB).
_SIZE_TRAITS: dict[str, tuple[str, Callable[[int], float | int]]] = {
    "cpu_request_millicores": ("cpu_guarantee", lambda millicores: millicores / 1000),
    "cpu_limit_millicores": ("cpu_limit", lambda millicores: millicores / 1000),
    "memory_request_bytes": ("mem_guarantee", int),
    "memory_limit_bytes": ("mem_limit", int),
}


def _sizes(sized: ProfileSettings | ChoiceSettings) -> dict[str, float | int]:
    """The sizes ``sized`` sets, as KubeSpawner's traits."""
    return {
        trait: convert(getattr(sized, name))
        for name, (trait, convert) in _SIZE_TRAITS.items()
        if getattr(sized, name) is not None
    }
