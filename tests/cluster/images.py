"""What the apps' images run, as local programs: each image's entrypoint with this machine's
binaries (the venv's JupyterHub and jupyter-server, CHP from npm, redis-server from Debian).

A pod has a network namespace of its own, where a wildcard address (0.0.0.0, ``--ip=``) is
the pod's address. Here every pod shares the machine's, so each image binds its pod's address
instead: that is the one rewrite of what an image would run. Volumes are the kubelet's local
directories (``mounts``: path in the container -> local path); an image whose program reads a
fixed path is pointed at the local one (the hub runtime's ``HUB_SETTINGS``, documented as the
override of where settings.json is read from).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hub_runtime.config import SETTINGS_ENV
from hub_runtime.settings import CONFIG_DIR, CONFIG_FILE_NAME, SETTINGS_FILE_NAME
from tests.support.processes import CHP

__all__ = ["IMAGES", "Container", "Image", "Start", "image_for"]

_WILDCARDS = ("", "0.0.0.0", "*", "::", "[::]")
_VENV_BIN = Path(sys.executable).parent
# The notebook user's home in the docker-stacks images.
NOTEBOOK_HOME = "/home/jovyan"


@dataclass(frozen=True)
class Container:
    """What an image's program gets from its container."""

    command: list[str] | None
    args: list[str]
    env: dict[str, str]
    pod_ip: str
    # Volume mounts: path in the container -> local directory or file.
    mounts: dict[str, Path]
    # A writable directory of this container (for the image's working directory).
    scratch: Path

    def local(self, path: str) -> Path | None:
        """Where a path of the container is here, if it is on a volume."""
        for mount, local in sorted(self.mounts.items(), key=lambda m: -len(m[0])):
            if path == mount or path.startswith(mount.rstrip("/") + "/"):
                return local / path[len(mount) :].lstrip("/")
        return None


@dataclass(frozen=True)
class Start:
    argv: list[str]
    env: dict[str, str]
    cwd: Path


@dataclass(frozen=True)
class Image:
    """An image: the user it runs as (USER in its Dockerfile: what runAsNonRoot is checked
    against) and how it starts."""

    user: tuple[int, int]
    start: Callable[[Container], Start]


# The hub images' ENTRYPOINT: z2jh's images/hub/Dockerfile at tag 4.4.0 (commit
# 5c5f5df751588a68a7781ead01d0f62e88e2e72f), `ENTRYPOINT ["tini", "--"]`, and the Dockerfile's.
HUB_IMAGE_ENTRYPOINT = ["tini", "--"]


def _hub(container: Container) -> Start:
    """The hub image (z2jh's k8s-hub, or this repository's Dockerfile): tini, then the
    container's args, ``python <config dir>/hub_runtime/launch.py --config <config
    dir>/jupyterhub_config.py``, whose config directory is the hub ConfigMap's volume
    (settings.json and the hub runtime). Run with this venv's python and the volume's local
    directory, without PYTHONPATH: the hub runtime is imported from where the ConfigMap
    delivers it."""
    # No command: the image's ENTRYPOINT (tini -- in both hub images); tini runs the rest as
    # its child, which here runs directly.
    argv = [*(HUB_IMAGE_ENTRYPOINT if container.command is None else container.command)]
    argv += container.args
    if argv[: len(HUB_IMAGE_ENTRYPOINT)] == HUB_IMAGE_ENTRYPOINT:
        argv = argv[len(HUB_IMAGE_ENTRYPOINT) :]
    python, launcher, *arguments = argv
    if python != "python":
        raise ValueError(f"the hub container runs {python!r}, not python")
    local_launcher = container.local(launcher)
    if local_launcher is None or not local_launcher.exists():
        raise ValueError(f"{launcher} is on no volume of the hub container")
    # The hub reads --config; the pod's upgrade-db step (hub_runtime/upgrade.py) only the
    # settings.
    if "--config" in arguments:
        config = arguments[arguments.index("--config") + 1]
        if config != f"{CONFIG_DIR}/{CONFIG_FILE_NAME}":
            raise ValueError(f"the hub container reads {config}, not the hub runtime's")
        local_config = container.local(config)
        if local_config is None or not local_config.exists():
            raise ValueError(f"{config} is on no volume of the hub container")
        arguments[arguments.index("--config") + 1] = str(local_config)
    env = {"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    argv = [sys.executable, str(local_launcher), *arguments]
    settings = container.local(f"{CONFIG_DIR}/{SETTINGS_FILE_NAME}")
    if settings is not None:
        env[SETTINGS_ENV] = str(settings)
        bind = json.loads(settings.read_text())["bind_url"]
        scheme, _, rest = bind.partition("://")
        host, _, port = rest.partition("/")[0].rpartition(":")
        if host in _WILDCARDS and "--config" in arguments:
            argv.append(f"--JupyterHub.hub_bind_url={scheme}://{container.pod_ip}:{port}")
    cwd = container.local("/srv/jupyterhub") or container.scratch
    return Start(argv, env, cwd)


def _chp(container: Container) -> Start:
    """configurable-http-proxy (and the same with the Redis backend): ENTRYPOINT
    configurable-http-proxy; ``--ip=``, ``--api-ip=``, ``--metrics-ip=`` empty = every
    interface."""
    args = []
    for arg in container.args:
        option, equals, value = arg.partition("=")
        if equals and option in ("--ip", "--api-ip", "--metrics-ip") and value in _WILDCARDS:
            arg = f"{option}={container.pod_ip}"
        args.append(arg)
    return Start([str(CHP), *args], {}, container.scratch)


def _redis(container: Container) -> Start:
    """redis (docker-entrypoint.sh: arguments starting with '-' go to redis-server; WORKDIR
    /data); redis-server binds every interface unless told."""
    args = container.command or []
    args = [*args, *container.args]
    if not args or args[0].startswith("-"):
        args = ["redis-server", *args]
    return Start(
        [*args, "--bind", container.pod_ip], {}, container.local("/data") or container.scratch
    )


def _notebook(container: Container) -> Start:
    """The docker-stacks notebook images: CMD start-notebook.py, which with
    JUPYTERHUB_API_TOKEN set runs start-singleuser.py: ``jupyterhub-singleuser --ip=0.0.0.0
    $NOTEBOOK_ARGS "$@"`` (no --ip of its own if NOTEBOOK_ARGS has one), as jovyan (1000:100)
    in /home/jovyan. Arguments of the container replace that CMD (the hub starts
    ``jupyterhub-singleuser <args>`` so); a container with a command of its own (the chown
    init container) runs it, with paths on volumes pointed at the local directories."""
    # The home is a volume where one is mounted there (a user's claim), else the image's.
    home = container.local(NOTEBOOK_HOME) or container.scratch / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {"HOME": str(home), "NB_USER": "jovyan", "NB_UID": "1000", "NB_GID": "100"}
    if container.command:
        argv = [
            str(container.local(a) or a) if a.startswith("/") else a
            for a in [*container.command, *container.args]
        ]
        return Start(argv, env, home)
    if "JUPYTERHUB_API_TOKEN" not in container.env:
        raise ValueError("only the JupyterHub single-user start of the notebook image is here")
    if container.args:
        program, *server_args = container.args
        if program != "jupyterhub-singleuser":
            raise ValueError(f"the notebook image here runs jupyterhub-singleuser, not {program}")
        # KubeSpawner's ip (0.0.0.0) reaches the server as JUPYTERHUB_SERVICE_URL's host.
        notebook_args, ip = [], ["--ip=0.0.0.0"]
    else:
        notebook_args = shlex.split(container.env.get("NOTEBOOK_ARGS", ""))
        ip = [] if any(a.startswith("--ip=") for a in notebook_args) else ["--ip=0.0.0.0"]
        server_args = []
    args = [
        f"--ip={container.pod_ip}" if a.startswith("--ip=") and a[5:] in _WILDCARDS else a
        for a in [*ip, *notebook_args, *server_args]
    ]
    # The image runs as jovyan; here processes run as the test's user, which may be root.
    root = ["--allow-root"] if os.geteuid() == 0 else []
    return Start([str(_VENV_BIN / "jupyterhub-singleuser"), *args, *root], env, home)


def _pause(container: Container) -> Start:
    """The pause image (kubernetes build/pause: ``ENTRYPOINT ["/pause"]``, which sleeps
    until a signal ends it; ``USER 65535:65535``)."""
    return Start(["sleep", "infinity"], {}, container.scratch)


IMAGES: dict[str, Image] = {
    # z2jh's public hub image (USER jovyan), and this repository's Dockerfile's.
    "quay.io/jupyterhub/k8s-hub": Image((1000, 1000), _hub),
    "jupyterhub-cdk8s/hub": Image((65532, 65532), _hub),
    "quay.io/jupyterhub/configurable-http-proxy": Image((65534, 65534), _chp),
    # docker/proxy-redis.Dockerfile, as dev pushes it to its registry.
    "registry.example.org/jupyterhub/proxy-redis": Image((65534, 65534), _chp),
    "docker.io/library/redis": Image((999, 1000), _redis),
    "quay.io/jupyter/scipy-notebook": Image((1000, 100), _notebook),
    "registry.k8s.io/pause": Image((65535, 65535), _pause),
}


def image_for(reference: str) -> Image | None:
    """The stand-in for an image reference (any tag or digest)."""
    repository = reference.split("@")[0]
    name, _, tag = repository.rpartition(":")
    if "/" in tag or not name:
        name = repository
    return IMAGES.get(name)
