"""The files the hub ConfigMap delivers into the hub image's configuration directory.

``jupyterhub_config.py``, ``settings.json`` and the ``hub_runtime`` modules the hub runs, the way
z2jh delivers its ``z2jh.py``: so a stock JupyterHub image (z2jh's public hub image by default)
runs this project's hub with no image of its own, and the runtime always matches the settings.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from hub_runtime.frozen import frozen
from hub_runtime.settings import CONFIG_FILE_NAME, SETTINGS_FILE_NAME, HubSettings

__all__ = ["RUNTIME_PACKAGE", "SYNTHESIS_ONLY", "WHEN_USED", "HubFile", "hub_files", "unused"]

# The package jupyterhub_config.py imports; delivered as a directory beside it.
RUNTIME_PACKAGE = "hub_runtime"
# Its modules the hub never runs, left out of the ConfigMap: the previews render user pods
# with the hub's spawner at synthesis (apps.previews), outside any hub.
SYNTHESIS_ONLY = frozenset({"preview.py"})
# Its modules only some hubs run, each with what says a hub runs it (its settings name it):
# left out of the others', whose ConfigMap stays small (``kubectl apply`` copies the whole
# object into an annotation, at most 256 KiB) and does not change with code they never run.
WHEN_USED: dict[str, Callable[[HubSettings], bool]] = {
    "virtual_services.py": lambda settings: settings.virtual_services is not None,
}


def unused(settings: HubSettings) -> frozenset[str]:
    """The modules of :data:`WHEN_USED` a hub with ``settings`` does not run."""
    return frozenset(name for name, used in WHEN_USED.items() if not used(settings))


@frozen
class HubFile:
    """One file: its ConfigMap key, its path under the config directory, its text."""

    key: str
    path: str
    text: str

    def item(self) -> dict[str, str]:
        """The ConfigMap volume item that puts this key at this path."""
        return {"key": self.key, "path": self.path}


def hub_files(settings_json: str, left_out: frozenset[str] = frozenset()) -> tuple[HubFile, ...]:
    """The config, the settings, then every module of the runtime package the hub runs
    (sorted by name): all but the previews' and ``left_out`` (:func:`unused`)."""
    package = resources.files(RUNTIME_PACKAGE)
    files = [
        HubFile(
            CONFIG_FILE_NAME,
            CONFIG_FILE_NAME,
            (package / CONFIG_FILE_NAME).read_text(encoding="utf-8"),
        ),
        HubFile(SETTINGS_FILE_NAME, SETTINGS_FILE_NAME, settings_json),
    ]
    modules = sorted(
        (
            m
            for m in package.iterdir()
            if m.name.endswith(".py")
            and m.name not in {CONFIG_FILE_NAME, *SYNTHESIS_ONLY, *left_out}
        ),
        key=lambda m: m.name,
    )
    for module in modules:
        # Keys cannot hold '/': the package directory becomes a dotted prefix.
        files.append(
            HubFile(
                f"{RUNTIME_PACKAGE}.{module.name}",
                f"{RUNTIME_PACKAGE}/{module.name}",
                module.read_text(encoding="utf-8"),
            )
        )
    return tuple(files)
