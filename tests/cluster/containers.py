"""A container runtime's part of the kubelet: a container's environment (env, envFrom,
fieldRef, secretKeyRef, configMapKeyRef, ``$(VAR)`` references), its volumes as local
directories, and its process: its image's program in a private mount namespace (util-linux
``unshare``) whose /etc/hosts is the cluster DNS, in a process group of its own.

Not emulated: the image's filesystem (programs run from this machine), the user and
capabilities of the securityContext (processes run as the test's user, as the venv's Python
need not be readable by any other; only runAsNonRoot's refusal of an image that would run as
root is checked), a read-only root filesystem, resource limits, host paths (each volume is an
empty local directory, a Secret or ConfigMap volume its keys as files). A
PersistentVolumeClaim's volume is one directory per claim that outlives the pods mounting it
(as a bound volume does); a pod waits while its claim does not exist (the scheduler leaves
it pending: 'persistentvolumeclaim "<name>" not found'), and so while its claim is not bound:
a claim binds when its StorageClass exists, or with no class named when a StorageClass is
annotated the default (``""``: bound to a PersistentVolume made beforehand). Capacity, access
modes and provisioners are not emulated.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.cluster.images import Container, image_for
from tests.support.processes import start, stop

__all__ = [
    "ConfigError",
    "Process",
    "References",
    "claimed",
    "environment",
    "launch",
    "volumes",
]

_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


class ConfigError(Exception):
    """The container cannot start yet (the kubelet's CreateContainerConfigError or a volume
    it cannot set up): the message is the kubelet's."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# The annotation that makes a StorageClass the one for claims that name none.
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


@dataclass(frozen=True)
class References:
    """The Secrets, ConfigMaps and PersistentVolumeClaims a pod refers to, as fetched (None:
    does not exist)."""

    namespace: str
    secrets: Mapping[str, dict[str, Any] | None]
    config_maps: Mapping[str, dict[str, Any] | None]
    claims: Mapping[str, dict[str, Any] | None] = field(default_factory=dict)
    # The cluster's StorageClasses by name (fetched only for a pod that mounts a claim).
    storage_classes: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    def unbound(self, claim: Mapping[str, Any]) -> str | None:
        """Why the claim is not bound, as the PersistentVolume controller's event says it;
        None when it is."""
        name = claim["spec"].get("storageClassName")
        if name is None:
            defaults = [
                c
                for c in self.storage_classes.values()
                if c["metadata"].get("annotations", {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
            ]
            if not defaults:
                return "no persistent volumes available for this claim and no storage class is set"
        elif name and name not in self.storage_classes:
            return f'storageclass.storage.k8s.io "{name}" not found'
        return None

    def data(self, kind: str, name: str, optional: bool) -> dict[str, str] | None:
        found = (self.secrets if kind == "Secret" else self.config_maps).get(name)
        if found is None:
            if optional:
                return None
            raise ConfigError("CreateContainerConfigError", f'{kind.lower()} "{name}" not found')
        if kind == "Secret":
            return {k: base64.b64decode(v).decode() for k, v in found.get("data", {}).items()}
        return dict(found.get("data", {}))


def referenced(pod: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """The names of the Secrets and ConfigMaps a pod uses (env, envFrom, volumes)."""
    spec = pod["spec"]
    secrets, config_maps = set(), set()
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            secrets.add(volume["secret"]["secretName"])
        if "configMap" in volume:
            config_maps.add(volume["configMap"]["name"])
    for container in spec.get("initContainers", []) + spec.get("containers", []):
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                secrets.add(source["secretRef"]["name"])
            if "configMapRef" in source:
                config_maps.add(source["configMapRef"]["name"])
        for env in container.get("env", []):
            ref = env.get("valueFrom", {})
            if "secretKeyRef" in ref:
                secrets.add(ref["secretKeyRef"]["name"])
            if "configMapKeyRef" in ref:
                config_maps.add(ref["configMapKeyRef"]["name"])
    return secrets, config_maps


def claimed(pod: Mapping[str, Any]) -> set[str]:
    """The names of the PersistentVolumeClaims a pod mounts."""
    return {
        volume["persistentVolumeClaim"]["claimName"]
        for volume in pod["spec"].get("volumes", [])
        if "persistentVolumeClaim" in volume
    }


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' ``$(VAR)``: a defined variable's value; ``$$`` is a literal ``$``; an
    undefined reference stays as written."""
    return _REFERENCE.sub(lambda m: "$" if m[0] == "$$" else env.get(m[1], m[0]), text)


def environment(
    pod: Mapping[str, Any], container: Mapping[str, Any], references: References
) -> dict[str, str]:
    """The container's variables, in the kubelet's order: envFrom, then env (which may refer
    to variables defined before it)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        for kind, key in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
            if key in source:
                ref = source[key]
                data = references.data(kind, ref["name"], ref.get("optional", False)) or {}
                env |= {source.get("prefix", "") + k: v for k, v in data.items()}
    for variable in container.get("env", []):
        name = variable["name"]
        if "value" in variable:
            env[name] = expand(variable["value"], env)
            continue
        ref = variable.get("valueFrom", {})
        value: str | None = None
        if "fieldRef" in ref:
            value = _field(pod, ref["fieldRef"]["fieldPath"])
        elif "resourceFieldRef" in ref:
            value = _resource_field(container, ref["resourceFieldRef"])
        else:
            for kind, key in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                if key in ref:
                    selector = ref[key]
                    optional = selector.get("optional", False)
                    found = references.data(kind, selector["name"], optional)
                    if found is not None and selector["key"] not in found and not optional:
                        raise ConfigError(
                            "CreateContainerConfigError",
                            f"couldn't find key {selector['key']} in {kind} "
                            f"{references.namespace}/{selector['name']}",
                        )
                    value = None if found is None else found.get(selector["key"])
        if value is not None:
            env[name] = value
    return env


def _field(pod: Mapping[str, Any], path: str) -> str:
    found = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
    if found:
        return str(pod["metadata"].get(found[1], {}).get(found[2], ""))
    value: Any = pod
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return "" if value is None else str(value)


def _resource_field(container: Mapping[str, Any], ref: Mapping[str, Any]) -> str:
    group, _, resource = ref["resource"].partition(".")
    return str(container.get("resources", {}).get(group, {}).get(resource, "0"))


def volumes(
    pod: Mapping[str, Any],
    container: Mapping[str, Any],
    references: References,
    root: Path,
    claims: Path,
) -> dict[str, Path]:
    """The container's mounts as local paths (path in the container -> local path); a claim's
    volume is its directory under ``claims``, shared by every pod that mounts it."""
    local: dict[str, Path] = {}
    for volume in pod["spec"].get("volumes", []):
        directory = root / volume["name"]
        if "persistentVolumeClaim" in volume:
            name = volume["persistentVolumeClaim"]["claimName"]
            claim = references.claims.get(name)
            if claim is None:
                raise ConfigError("Pending", f'persistentvolumeclaim "{name}" not found')
            if why := references.unbound(claim):
                raise ConfigError("Pending", f'persistentvolumeclaim "{name}" is not bound: {why}')
            directory = claims / name
        directory.mkdir(parents=True, exist_ok=True)
        for kind, key, name_key in (
            ("Secret", "secret", "secretName"),
            ("ConfigMap", "configMap", "name"),
        ):
            if key in volume:
                source = volume[key]
                try:
                    data = references.data(kind, source[name_key], source.get("optional", False))
                except ConfigError as error:
                    raise ConfigError(
                        "ContainerCreating",
                        f'MountVolume.SetUp failed for volume "{volume["name"]}" : {error.message}',
                    ) from None
                items = source.get("items") or [{"key": k, "path": k} for k in data or {}]
                for item in items:
                    path = directory / item["path"]
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text((data or {})[item["key"]])
                    path.chmod(0o644)
        local[volume["name"]] = directory
    mounts = {}
    for mount in container.get("volumeMounts", []):
        path = local[mount["name"]]
        if mount.get("subPath"):
            path = path / mount["subPath"]
            if not path.exists():
                path.mkdir(parents=True)
        mounts[mount["mountPath"]] = path
    return mounts


@dataclass
class Process:
    """A running container: its process group and its private mount namespace (every
    process of the container is in it, whatever its process group). The namespace is held
    open, so that its identity is not reused while its processes are looked for."""

    popen: subprocess.Popen[bytes]
    namespace: str | None = None
    _handle: int | None = None

    def record_namespace(self, timeout: float = 5) -> None:
        ours = os.readlink("/proc/self/ns/mnt")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.popen.poll() is None:
            try:
                handle = os.open(f"/proc/{self.popen.pid}/ns/mnt", os.O_RDONLY)
            except OSError:
                return
            namespace = os.readlink(f"/proc/self/fd/{handle}")
            if namespace != ours:
                self.namespace, self._handle = namespace, handle
                return
            os.close(handle)
            time.sleep(0.01)

    def stop(self, grace: float) -> None:
        """SIGTERM, SIGKILL after the grace period, then whatever is left in the container."""
        stop(self.popen, timeout=max(grace, 0.1))
        if self.namespace is None or self._handle is None:
            return
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.readlink(entry / "ns" / "mnt") == self.namespace:
                        os.kill(int(entry.name), signal.SIGKILL)
                except OSError:
                    pass
        os.close(self._handle)
        self._handle = None


def launch(
    pod: Mapping[str, Any],
    container: Mapping[str, Any],
    env: dict[str, str],
    mounts: dict[str, Path],
    pod_ip: str,
    scratch: Path,
    hosts: Path,
    log: Path,
) -> Process:
    """Start the container's image; ConfigError when the kubelet would not."""
    image = image_for(container["image"])
    if image is None:
        raise ConfigError("ErrImagePull", f"image {container['image']} has no local stand-in")
    security = {**pod["spec"].get("securityContext", {}), **container.get("securityContext", {})}
    if security.get("runAsNonRoot") and int(security.get("runAsUser", image.user[0])) == 0:
        raise ConfigError(
            "CreateContainerConfigError",
            "container has runAsNonRoot and image will run as root "
            f"(pod: {pod['metadata']['name']!r}, container: {container['name']})",
        )
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        started = image.start(
            Container(
                command=[expand(a, env) for a in container["command"]]
                if container.get("command")
                else None,
                args=[expand(a, env) for a in container.get("args", [])],
                env=env,
                pod_ip=pod_ip,
                mounts=mounts,
                scratch=scratch,
            )
        )
    except ValueError as error:  # the stand-in cannot run this use of the image
        raise ConfigError("RunContainerError", str(error)) from None
    base = {
        "PATH": os.environ["PATH"],
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOSTNAME": pod["metadata"]["name"],
        "HOME": str(scratch),
    }
    command = [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        'mount --bind "$0" /etc/hosts && exec "$@"',
        str(hosts),
        *started.argv,
    ]
    popen = start(command, cwd=started.cwd, env={**base, **started.env, **env}, log=log)
    return Process(popen)
