"""User pods through KubeSpawner itself (no cluster: _mock=True and a throwaway kubeconfig),
configured by hub_runtime from the dev app's synthesized settings."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from unittest.mock import Mock

import pytest
from jupyterhub.objects import Hub, Server
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.config import kube_config
from traitlets.config import Config

from hub_runtime.config import apply
from hub_runtime.spawner import DynamicKubeSpawner
from tests.conftest import ROOT, read_manifests

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none, namespace: jupyterhub}}]
current-context: none
"""


class MockUser(Mock):  # type: ignore[misc]
    """The slice of JupyterHub's User that KubeSpawner reads."""

    def __init__(self, name: str, admin: bool) -> None:
        super().__init__()
        self.name = name
        self.admin = admin
        self.id = 1
        self.escaped_name = name.replace("/", "%2F")
        self.url = f"/user/{self.escaped_name}/"
        self.server = Server(base_url=self.url)


@pytest.fixture(scope="module")
def settings_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config_map = next(m for m in read_manifests(ROOT / "dist" / "dev")
                      if m["kind"] == "ConfigMap")
    path = tmp_path_factory.mktemp("settings") / "settings.json"
    path.write_text(config_map["data"]["settings.json"])
    return path


@pytest.fixture(autouse=True)
def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(path))
    # kubernetes_asyncio reads KUBECONFIG once, at import.
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))
    monkeypatch.setenv("POD_NAMESPACE", "jupyterhub")


def pod_for(settings_file: Path, name: str, *, admin: bool, profile: str) -> dict[str, Any]:
    config = Config()
    apply(config, settings_file)

    async def manifest() -> Any:
        # KubeSpawner binds its API client to the running loop.
        spawner = DynamicKubeSpawner(config=config, user=MockUser(name, admin), hub=Hub(),
                                     _mock=True)
        spawner.user_options = {"profile": profile}
        await spawner.load_user_options()
        async with ApiClient() as client:
            return client.sanitize_for_serialization(await spawner.get_pod_manifest())

    pod: dict[str, Any] = asyncio.run(manifest())
    return pod


def _container(pod: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = pod["spec"]["containers"][0]
    return container


@pytest.mark.parametrize("admin", [True, False])
@pytest.mark.parametrize("profile", ["standard-notebook", "gpu-notebook"])
def test_pod_has_the_reference_shape(settings_file: Path, profile: str, admin: bool) -> None:
    pod = pod_for(settings_file, "alice", admin=admin, profile=profile)
    spec, container = pod["spec"], _container(pod)
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["persistent"]["hostPath"]["path"] == "/data/jupyterhub/persistent"
    assert volumes["checkpoints"]["emptyDir"] == {"medium": "Memory"}
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["persistent"]["subPath"] == "alice"
    assert mounts["persistent"]["readOnly"] is False
    assert mounts["shared"]["readOnly"] is (not admin)
    assert mounts["torch"]["readOnly"] is (not admin)
    assert mounts["checkpoints"]["mountPath"] == "/mnt/.ipynb_checkpoints"
    resources = container["resources"]
    assert (resources["requests"]["cpu"], resources["limits"]["cpu"]) == (1.0, 4.0)
    # KubeSpawner reads memory suffixes as powers of 1024 and emits bytes.
    assert (resources["requests"]["memory"], resources["limits"]["memory"]) == (
        256 * 1024**2, 32 * 1024**3)
    assert container["resources"]["requests"]["ephemeral-storage"] == "1G"
    assert container["imagePullPolicy"] == "Always"
    assert {"name": "NOTEBOOK_ARGS",
            "value": "--FileCheckpoints.checkpoint_dir=/mnt/.ipynb_checkpoints"} in container["env"]
    labels = pod["metadata"]["labels"]
    assert labels["app.kubernetes.io/component"] == "singleuser-server"
    assert labels["sidecar.istio.io/inject"] == "true"
    assert labels["policy.cilium.io/l7-visibility"] == "true"
    assert pod["metadata"]["annotations"]["sidecar.istio.io/proxyMemory"] == "128Mi"
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == "15020"
    assert spec["serviceAccountName"] == "jupyterhub-singleuser-server"
    assert spec["priorityClassName"] == "low"
    gpu = profile == "gpu-notebook"
    assert spec.get("runtimeClassName") == ("nvidia" if gpu else None)
    assert ("nvidia.com/gpu" in container["resources"]["limits"]) is gpu


def test_init_container_needs_only_chown(settings_file: Path) -> None:
    pod = pod_for(settings_file, "alice", admin=False, profile="standard-notebook")
    (init,) = pod["spec"]["initContainers"]
    assert init["command"] == ["chown", "1000:1000", "/mnt/target"]
    assert init["volumeMounts"] == [
        {"name": "persistent", "mountPath": "/mnt/target", "subPath": "alice"}]
    security = init["securityContext"]
    assert security["capabilities"] == {"add": ["CHOWN"], "drop": ["ALL"]}
    assert security["privileged"] is False and security["allowPrivilegeEscalation"] is False
    assert init["resources"]["limits"] == {"cpu": "10m", "memory": "32Mi"}


HOSTILE = ["../etc", "a/b", "Alice.Smith@example.com", "ünï", "x" * 300, "{user}", "alice"]


def test_hostile_names_give_safe_distinct_paths(settings_file: Path) -> None:
    paths = {}
    for name in HOSTILE:
        pod = pod_for(settings_file, name, admin=False, profile="standard-notebook")
        sub_path = {m["name"]: m for m in _container(pod)["volumeMounts"]}["persistent"][
            "subPath"]
        assert "/" not in sub_path and ".." not in sub_path and sub_path, (name, sub_path)
        assert len(sub_path) <= 63, (name, sub_path)
        paths[name] = sub_path
    assert len(set(paths.values())) == len(HOSTILE), paths
    assert paths["alice"] == "alice"
    assert paths["{user}"] != paths["alice"]


def test_templates_do_not_mutate_shared_config(settings_file: Path) -> None:
    config = Config()
    apply(config, settings_file)
    before = repr(config.KubeSpawner.profile_list)
    pod_for(settings_file, "bob", admin=True, profile="standard-notebook")

    async def profiles() -> str:
        spawner = DynamicKubeSpawner(config=config, user=MockUser("carol", False), hub=Hub(),
                                     _mock=True)
        return repr(spawner.profile_list)

    assert asyncio.run(profiles()) == before
    assert "{user}" in before and "{is_not_admin}" in before
