"""Write ``<outdir>/<app>-preview/``: what the hub would spawn, never to be applied.

For every app in ``outdir`` whose hub settings are there, for every profile, for an admin and
for a non-admin user: the pod and per-user Service that DynamicKubeSpawner would create,
rendered by KubeSpawner itself from those settings. Run after ``python -m apps``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from apps import APPS
from apps._output import write_all
from hub_runtime.settings import SETTINGS_FILE_NAME, HubSettings, parse_settings

__all__ = ["PREVIEW_SUFFIX", "write_previews"]

PREVIEW_SUFFIX = "-preview"
NON_ADMIN = "user"
# Shown as the admin where an app names none.
ADMIN = "admin"
HEADER = (
    "# Preview only, never applied: the objects the hub spawns for user {user!r} "
    "({role}) choosing profile {profile!r}{choice}.\n"
)


def _settings(app_dir: Path) -> tuple[HubSettings, str]:
    for path in sorted(app_dir.glob("*.yaml")):
        for manifest in yaml.safe_load_all(path.read_text()):
            if (
                manifest
                and manifest["kind"] == "ConfigMap"
                and SETTINGS_FILE_NAME in manifest.get("data", {})
            ):
                source = f"{path}: ConfigMap/{manifest['metadata']['name']}"
                return (
                    parse_settings(manifest["data"][SETTINGS_FILE_NAME], source=source),
                    manifest["metadata"]["namespace"],
                )
    raise ValueError(f"{app_dir}: no hub settings ConfigMap; run python -m apps first")


def write_previews(outdir: Path, names: list[str]) -> list[Path]:
    from hub_runtime.preview import render_user_objects

    def write(staging: Path) -> None:
        for name in names:
            settings, namespace = _settings(outdir / name)
            target = staging / f"{name}{PREVIEW_SUFFIX}"
            target.mkdir()
            admin = settings.auth.admin_users[0] if settings.auth.admin_users else ADMIN
            users = [(admin, "admin"), (NON_ADMIN, "not admin")]
            for profile in settings.profiles:
                for user, role in users:
                    objects: list[dict[str, Any]] = render_user_objects(
                        settings,
                        namespace=namespace,
                        user=user,
                        admin=role == "admin",
                        profile=profile.slug,
                    )
                    for manifest in objects:
                        manifest.setdefault("apiVersion", "v1")
                    kind = "admin" if role == "admin" else "user"
                    (target / f"{profile.slug}-{kind}.yaml").write_text(
                        HEADER.format(user=user, role=role, profile=profile.slug, choice="")
                        + yaml.safe_dump_all(objects, sort_keys=True)
                    )
                # Each other choice of the profile's options, for the non-admin user.
                for option in profile.options:
                    for choice in option.choices:
                        if choice.default:
                            continue
                        objects = render_user_objects(
                            settings,
                            namespace=namespace,
                            user=NON_ADMIN,
                            admin=False,
                            profile=profile.slug,
                            choices={option.key: choice.key},
                        )
                        for manifest in objects:
                            manifest.setdefault("apiVersion", "v1")
                        name = f"{profile.slug}-{option.key}-{choice.key}-user.yaml"
                        (target / name).write_text(
                            HEADER.format(
                                user=NON_ADMIN,
                                role="not admin",
                                profile=profile.slug,
                                choice=f", {option.key} {choice.key!r}",
                            )
                            + yaml.safe_dump_all(objects, sort_keys=True)
                        )

    return write_all(outdir, [f"{name}{PREVIEW_SUFFIX}" for name in names], write)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apps.previews", description=__doc__)
    parser.add_argument("--outdir", default=os.environ.get("CDK8S_OUTDIR", "dist"))
    args = parser.parse_args(argv)
    try:
        written = write_previews(Path(args.outdir), sorted(APPS))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"rendered {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
