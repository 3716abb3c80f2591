"""The hub's HTTP client reaches a user's Service made again under a new address.

KubeSpawner 7.0 deletes a user's Service and creates it again at every start (its owner, the
old pod, has it deleted anyway), and Kubernetes gives the new one a new ClusterIP. libcurl,
JupyterHub's client, keeps each name's address for 60 s whatever the DNS TTL, so the hub
waited for a server started again within a minute at the old address until the spawn failed.
Run in a mount namespace with its own /etc/hosts, as the test cluster runs the hub."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.support.commands import run
from tests.support.manifests import ROOT


def _fetches(tmp_path: Path, client: str) -> list[str]:
    hosts = tmp_path / "hosts"
    shutil.copy("/etc/hosts", hosts)
    probe = [sys.executable, "-m", "tests.support.recreated_service", str(hosts), client]
    mount = ["unshare", "--mount", "--propagation", "private", "sh", "-c"]
    result = run(
        [*mount, 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, *probe],
        cwd=ROOT,
        timeout=60,
    )
    return result.stdout.splitlines()


@pytest.mark.slow
def test_the_hub_resolves_a_recreated_service_again(tmp_path: Path) -> None:
    assert _fetches(tmp_path, "hub") == ["first", "second"]


@pytest.mark.slow
def test_jupyterhubs_own_client_keeps_the_old_address(tmp_path: Path) -> None:
    """What the hub's configuration changes: curl as JupyterHub configures it."""
    first, second = _fetches(tmp_path, "stock")
    assert first == "first"
    assert second.startswith("failed: HTTP 599: Failed to connect to "), second
