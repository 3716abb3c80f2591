"""User pods through KubeSpawner itself (no cluster: _mock=True and a throwaway kubeconfig),
configured by hub_runtime from the dev app's synthesized settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from hub_runtime.config import apply
from hub_runtime.preview import render_user_objects
from hub_runtime.settings import USER_SERVER_ARGS, HubSettings, dump_settings, parse_settings
from tests.support.manifests import ROOT, read_manifests


@pytest.fixture(scope="module")
def settings() -> HubSettings:
    config_map = next(m for m in read_manifests(ROOT / "dist" / "dev") if m["kind"] == "ConfigMap")
    return parse_settings(config_map["data"]["settings.json"])


def pod_for(settings: HubSettings, name: str, *, admin: bool, profile: str) -> dict[str, Any]:
    pod, *_ = render_user_objects(
        settings, namespace="jupyterhub", user=name, admin=admin, profile=profile
    )
    return pod


def _container(pod: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = pod["spec"]["containers"][0]
    return container


@pytest.mark.parametrize("admin", [True, False])
@pytest.mark.parametrize("profile", ["standard-notebook", "gpu-notebook"])
def test_pod_has_the_reference_shape(settings: HubSettings, profile: str, admin: bool) -> None:
    pod = pod_for(settings, "alice", admin=admin, profile=profile)
    spec, container = pod["spec"], _container(pod)
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["persistent"]["hostPath"]["path"] == "/data/jupyterhub/persistent"
    # Checkpoints stay beside their notebooks (test_checkpoints_stay_per_directory).
    assert "checkpoints" not in volumes
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["persistent"]["subPath"] == "alice"
    assert mounts["persistent"]["readOnly"] is False
    assert mounts["shared"]["readOnly"] is (not admin)
    assert mounts["torch"]["readOnly"] is (not admin)
    resources = container["resources"]
    assert (resources["requests"]["cpu"], resources["limits"]["cpu"]) == (1.0, 4.0)
    # The profile's 256M and 32G, read as Kubernetes reads them (tests/test_quantity.py).
    assert (resources["requests"]["memory"], resources["limits"]["memory"]) == (
        256 * 10**6,
        32 * 10**9,
    )
    assert container["resources"]["requests"]["ephemeral-storage"] == "1G"
    assert container["imagePullPolicy"] == "Always"
    # The server is started directly, so the hub's arguments reach it (checkpoints per
    # directory, the public hosts' Origins accepted, the hub asked about a token every second).
    assert container["args"] == [
        "jupyterhub-singleuser",
        "--FileCheckpoints.checkpoint_dir=.ipynb_checkpoints",
        r"--ServerApp.allow_origin_pat=^https?://(notebook\.minikube\.127\.0\.0\.1\.nip\.io"
        r"|notebook\.kaidotio\.dev)(:[0-9]+)?$",
        *USER_SERVER_ARGS,
    ]
    labels = pod["metadata"]["labels"]
    assert labels["app.kubernetes.io/component"] == "singleuser-server"
    assert labels["sidecar.istio.io/inject"] == "true"
    assert labels["policy.cilium.io/l7-visibility"] == "true"
    assert pod["metadata"]["annotations"]["sidecar.istio.io/proxyMemory"] == "128Mi"
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == "15020"
    assert spec["serviceAccountName"] == "jupyterhub-singleuser-server"
    assert spec["priorityClassName"] == "jupyterhub-singleuser-server"
    gpu = profile == "gpu-notebook"
    assert spec.get("runtimeClassName") == ("nvidia" if gpu else None)
    assert ("nvidia.com/gpu" in container["resources"]["limits"]) is gpu


def test_init_container_needs_only_chown(settings: HubSettings) -> None:
    pod = pod_for(settings, "alice", admin=False, profile="standard-notebook")
    (init,) = pod["spec"]["initContainers"]
    # docker-stacks' jovyan: uid 1000, primary group users (100), the gid the pod's fsGroup
    # makes volumes writable for: one owner for chowned directories and fresh volumes alike.
    assert init["command"] == ["chown", "1000:100", "/mnt/target"]
    assert (
        pod["spec"]["securityContext"]["fsGroup"],
        _container(pod)["securityContext"]["runAsUser"],
    ) == (100, 1000)
    assert init["volumeMounts"] == [
        {"name": "persistent", "mountPath": "/mnt/target", "subPath": "alice"}
    ]
    security = init["securityContext"]
    assert security["capabilities"] == {"add": ["CHOWN"], "drop": ["ALL"]}
    assert security["privileged"] is False and security["allowPrivilegeEscalation"] is False
    assert init["resources"]["limits"] == {"cpu": "10m", "memory": "32Mi"}


HOSTILE = ["../etc", "a/b", "Alice.Smith@example.com", "ünï", "x" * 300, "{user}", "alice"]


def test_hostile_names_give_safe_distinct_paths(settings: HubSettings) -> None:
    paths = {}
    for name in HOSTILE:
        pod = pod_for(settings, name, admin=False, profile="standard-notebook")
        sub_path = {m["name"]: m for m in _container(pod)["volumeMounts"]}["persistent"]["subPath"]
        assert "/" not in sub_path and ".." not in sub_path and sub_path, (name, sub_path)
        assert len(sub_path) <= 63, (name, sub_path)
        paths[name] = sub_path
    assert len(set(paths.values())) == len(HOSTILE), paths
    assert paths["alice"] == "alice"
    assert paths["{user}"] != paths["alice"]


def test_templates_do_not_mutate_shared_config(settings: HubSettings, tmp_path: Path) -> None:
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(dump_settings(settings))
    config = Config()
    apply(config, settings_file)
    before = repr(config.KubeSpawner.profile_list)
    pods = [
        render_user_objects(
            settings,
            namespace="jupyterhub",
            user=user,
            admin=admin,
            profile="standard-notebook",
            config=config,
        )[0]
        for user, admin in (("bob", True), ("carol", False))
    ]
    assert repr(config.KubeSpawner.profile_list) == before
    assert "{user}" in before and "{is_not_admin}" in before
    mounts = [{m["name"]: m for m in _container(pod)["volumeMounts"]} for pod in pods]
    assert [m["persistent"]["subPath"] for m in mounts] == ["bob", "carol"]
    assert [m["shared"]["readOnly"] for m in mounts] == [False, True]


@pytest.mark.parametrize("user", ["alice", "Alice.Smith@example.com"])
def test_minimal_user_claim_is_per_user(user: str) -> None:
    """minimal's profiles mount the user's claim, named by the user's 128-bit key, the same
    for every server and profile of the user (run again at the hub image's KubeSpawner)."""
    from hub_runtime.slugs import user_key

    config_map = next(
        m for m in read_manifests(ROOT / "dist" / "minimal") if m["kind"] == "ConfigMap"
    )
    minimal = parse_settings(config_map["data"]["settings.json"])
    names = set()
    for profile in minimal.profiles:
        for server in ("", "lab"):
            objects = render_user_objects(
                minimal,
                namespace="jupyterhub",
                user=user,
                admin=False,
                profile=profile.slug,
                server=server,
            )
            pod, *_, claim = objects
            assert claim["kind"] == "PersistentVolumeClaim"
            (volume,) = pod["spec"]["volumes"]
            assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
            names.add(claim["metadata"]["name"])
    assert names == {f"claim-{user_key(user)}"}


@pytest.fixture(scope="module")
def minimal() -> HubSettings:
    config_map = next(
        m for m in read_manifests(ROOT / "dist" / "minimal") if m["kind"] == "ConfigMap"
    )
    return parse_settings(config_map["data"]["settings.json"])


def test_image_choice_reaches_the_pod(minimal: HubSettings) -> None:
    """minimal's standard profile offers two images; the chosen one is the pod's."""
    (option,) = minimal.profiles[0].options
    other = next(choice for choice in option.choices if not choice.default)
    pod, *_ = render_user_objects(
        minimal,
        namespace="jupyterhub",
        user="alice",
        admin=False,
        profile=minimal.profiles[0].slug,
        choices={option.key: other.key},
    )
    assert _container(pod)["image"] == other.image
    env = {e["name"]: e.get("value") for e in _container(pod)["env"]}
    assert env["JUPYTERHUB_DEFAULT_URL"] == "/lab"


def test_forged_choice_is_a_400(minimal: HubSettings) -> None:
    from tornado import web

    from hub_runtime.preview import with_spawner

    profile = minimal.profiles[0].slug

    async def load(spawner: Any) -> web.HTTPError:
        spawner.user_options = {"profile": profile, "image": "forged"}
        with pytest.raises(web.HTTPError) as error:
            await spawner.load_user_options()
        return error.value

    error = with_spawner(minimal, load, namespace="jupyterhub", user="alice", admin=False)
    assert error.status_code == 400
    assert error.jupyterhub_message == (  # type: ignore[attr-defined]
        f"Spawn option 'image': profile {profile!r} has no Image 'forged' (choose one of "
        "scipy, datascience)"
    )


def test_checkpoints_stay_per_directory(settings: HubSettings, tmp_path: Path) -> None:
    """The user server's own arguments, read as jupyter_server reads its command line, and its
    real FileCheckpoints: two notebooks of one name in two directories keep their own
    checkpoints, so "revert" restores the notebook it was asked for."""
    import nbformat
    from jupyter_server.services.contents.filemanager import FileContentsManager
    from traitlets.config.loader import KVArgParseConfigLoader

    pod = pod_for(settings, "alice", admin=False, profile="standard-notebook")
    config = KVArgParseConfigLoader(_container(pod)["args"][1:]).load_config()
    checkpoint_dir = config.FileCheckpoints.checkpoint_dir
    # An absolute directory (the reference's /mnt/.ipynb_checkpoints) would be one directory
    # for every notebook: FileCheckpoints.checkpoint_path joins it to the notebook's directory.
    assert not Path(checkpoint_dir).is_absolute(), checkpoint_dir
    # Untyped packages: Any.
    contents: Any = FileContentsManager(root_dir=str(tmp_path), config=config)
    v4: Any = nbformat.v4
    for directory in ("project-a", "project-b"):
        contents.new({"type": "directory"}, directory)
        notebook = v4.new_notebook()
        notebook.cells.append(v4.new_markdown_cell(f"saved in {directory}"))
        contents.save({"type": "notebook", "content": notebook}, f"{directory}/analysis.ipynb")
        contents.create_checkpoint(f"{directory}/analysis.ipynb")
    for directory in ("project-a", "project-b"):
        edited = v4.new_notebook()
        edited.cells.append(v4.new_markdown_cell("edited"))
        contents.save({"type": "notebook", "content": edited}, f"{directory}/analysis.ipynb")
    (checkpoint,) = contents.list_checkpoints("project-a/analysis.ipynb")
    contents.restore_checkpoint(checkpoint["id"], "project-a/analysis.ipynb")
    restored = contents.get("project-a/analysis.ipynb")["content"]
    assert [cell["source"] for cell in restored["cells"]] == ["saved in project-a"]
    for directory in ("project-a", "project-b"):
        assert (tmp_path / directory / checkpoint_dir / "analysis-checkpoint.ipynb").is_file()
