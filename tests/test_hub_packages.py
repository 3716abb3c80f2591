"""The hub's packages in this test environment are the versions of the hub image under test:
the Dockerfile's pins (docker/hub-constraints.txt) here, or with HUB_IMAGE_REQUIREMENTS set
(scripts/test_z2jh) those of the default hub image, z2jh's. Runs without cdk8s."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata

import pytest

from tests.manifests import ROOT

# The image's package list, read by scripts/test_z2jh's environment.
REQUIREMENTS_ENV = "HUB_IMAGE_REQUIREMENTS"


def _pins(path: str) -> dict[str, str]:
    text = (ROOT / path).read_text()
    return {
        name.lower().replace("_", "-"): version
        for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.MULTILINE)
    }


@pytest.mark.slow
def test_hub_packages_are_the_images_versions() -> None:
    pins = _pins(os.environ.get(REQUIREMENTS_ENV, "docker/hub-constraints.txt"))
    names = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "hub_requirements.py"), "--names"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    packages = {name.split("[")[0] for name in names} | {"cryptography", "tornado", "traitlets"}
    installed = {name: metadata.version(name) for name in sorted(packages)}
    assert installed == {name: pins[name] for name in sorted(packages)}
