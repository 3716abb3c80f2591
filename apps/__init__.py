"""Deployable apps built from the constructs; ``python -m apps`` synthesizes them all."""

from __future__ import annotations

from apps import dev, minimal
from apps._app import BuildApp, BuiltApp
from apps._site import SiteKeys

__all__ = ["APPS", "SITES", "BuiltApp"]

APPS: dict[str, BuildApp] = {
    "dev": dev.build,
    "minimal": minimal.build,
}
# What a site file (python -m apps --site) sets in each app.
SITES: dict[str, SiteKeys] = {"dev": dev.SITE, "minimal": minimal.SITE}
