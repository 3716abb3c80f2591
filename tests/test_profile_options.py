"""Choices inside a profile (KubeSpawner's ``profile_options``), where a server opens, and the
containers a profile adds: written by the constructs, read by the hub runtime, rendered and
refused by KubeSpawner itself (``_mock=True``, a throwaway kube config)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import cdk8s
import pytest
import requests
from kubespawner import KubeSpawner
from syrupy.assertion import SnapshotAssertion
from tornado import web

from constructs_lib import (
    ImagePullPolicy,
    NotebookProfile,
    ProfileChoice,
    ProfileOption,
    Resources,
    UserContainer,
    UserPods,
    UserVolume,
)
from hub_runtime.config import profile_list
from hub_runtime.preview import UNREACHABLE_KUBECONFIG, render_user_objects, with_spawner
from hub_runtime.settings import HubSettings
from tests.support.builders import make_chart, make_hub, synth, value_error
from tests.support.constants import VERSIONS
from tests.support.kube_schemas import validate_strictly
from tests.support.processes import deployment

BIG_IMAGE = "quay.io/jupyter/datascience-notebook:python-3.12"
IMAGES = ProfileOption(
    "Image",
    {
        "scipy": ProfileChoice("SciPy"),
        "big": ProfileChoice(
            "Data science, more memory",
            image=BIG_IMAGE,
            memory_limit="64G",
            cpu_limit="8",
            default_url="/tree",
        ),
    },
)
FORM_FIELD = "profile-option-lab--image"


def _settings(chart: cdk8s.Chart, *profiles: NotebookProfile, **props: Any) -> HubSettings:
    return make_hub(chart, profiles=list(profiles), **props).settings


def _lab(chart: cdk8s.Chart, **props: Any) -> NotebookProfile:
    props.setdefault("options", {"image": IMAGES})
    return NotebookProfile(chart, "Lab", display_name="Lab", **props)


def _pod(settings: HubSettings, profile: str = "lab", **choices: str) -> dict[str, Any]:
    pod, *_ = render_user_objects(
        settings,
        namespace="jupyterhub",
        user="alice",
        admin=False,
        profile=profile,
        choices=choices,
    )
    return pod


def _notebook(pod: dict[str, Any]) -> dict[str, Any]:
    (container,) = [c for c in pod["spec"]["containers"] if c["name"] == "notebook"]
    found: dict[str, Any] = container
    return found


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def _spawner(settings: HubSettings, body: Any) -> Any:
    return with_spawner(settings, body, namespace="jupyterhub", user="alice", admin=False)


def test_snapshot(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    """The options as the settings hold them, and KubeSpawner's profile_list entry."""
    settings = _settings(chart, _lab(chart))
    entry = profile_list(settings)[0]
    assert {
        "settings": [dataclasses.asdict(option) for option in settings.profiles[0].options],
        "profile_options": entry["profile_options"],
    } == snapshot_yaml


def test_form_lists_the_choices(chart: cdk8s.Chart) -> None:
    settings = _settings(chart, _lab(chart))

    async def form(spawner: Any) -> str:
        html: str = spawner.options_form
        return html

    html = _spawner(settings, form)
    assert f'name="{FORM_FIELD}"' in html
    for key, name in (("scipy", "SciPy"), ("big", "Data science, more memory")):
        assert f'value="{key}"' in html and name in html


def test_default_choice_is_the_first(chart: cdk8s.Chart) -> None:
    settings = _settings(chart, _lab(chart))
    (option,) = settings.profiles[0].options
    assert [(c.key, c.default) for c in option.choices] == [("scipy", True), ("big", False)]
    container = _notebook(_pod(settings))
    assert container["image"] == settings.profiles[0].image
    assert container["resources"]["limits"]["memory"] == 32 * 10**9


def test_chosen_override_reaches_the_pod(chart: cdk8s.Chart) -> None:
    settings = _settings(chart, _lab(chart))
    container = _notebook(_pod(settings, image="big"))
    assert container["image"] == BIG_IMAGE
    # 64G read as Kubernetes reads it, handed to KubeSpawner in bytes.
    assert container["resources"]["limits"]["memory"] == 64 * 10**9
    assert container["resources"]["limits"]["cpu"] == 8.0
    assert _env(container)["JUPYTERHUB_DEFAULT_URL"] == "/tree"


def test_form_choice_reaches_the_pod(chart: cdk8s.Chart) -> None:
    """The spawn form's fields, parsed by KubeSpawner, then its load_user_options."""
    settings = _settings(chart, _lab(chart))

    async def spawn(spawner: Any) -> str:
        spawner.user_options = spawner.options_from_form({"profile": ["lab"], FORM_FIELD: ["big"]})
        await spawner.load_user_options()
        image: str = spawner.image
        return image

    assert _spawner(settings, spawn) == BIG_IMAGE


def test_forged_choice_in_the_form_fails_the_spawn_clearly(chart: cdk8s.Chart) -> None:
    """The form's parsing refuses nothing (JupyterHub would log a traceback): the hub's spawn
    handlers refuse it before the spawn (tests/adversarial/test_forged_spawn_options.py), and
    the spawner again when it loads the options."""
    settings = _settings(chart, _lab(chart))

    async def submit(spawner: Any) -> web.HTTPError:
        spawner.user_options = spawner.options_from_form(
            {"profile": ["lab"], FORM_FIELD: ["../forged\n"]}
        )
        with pytest.raises(web.HTTPError) as error:
            await spawner.load_user_options()
        return error.value

    error = _spawner(settings, submit)
    assert error.status_code == 400
    assert error.jupyterhub_message == (
        "Spawn option 'image': profile 'lab' has no Image '../forged\\n' (choose one of scipy, big)"
    )


def test_forged_choice_through_the_api_fails_the_spawn_clearly(chart: cdk8s.Chart) -> None:
    """Options from the REST API reach the spawner unparsed: the spawn fails with the reason.
    KubeSpawner alone fails there with a bare KeyError."""
    settings = _settings(chart, _lab(chart))

    async def load(spawner: Any) -> tuple[BaseException, web.HTTPError]:
        spawner.user_options = {"profile": "lab", "image": "forged"}
        with pytest.raises(KeyError) as bare:
            await KubeSpawner.load_user_options(spawner)
        with pytest.raises(web.HTTPError) as ours:
            await spawner.load_user_options()
        return bare.value, ours.value

    bare, ours = _spawner(settings, load)
    assert repr(bare) == "KeyError('forged')"
    assert ours.status_code == 400
    assert ours.jupyterhub_message == (
        "Spawn option 'image': profile 'lab' has no Image 'forged' (choose one of scipy, big)"
    )


def test_forged_profile_is_refused(chart: cdk8s.Chart) -> None:
    settings = _settings(chart, _lab(chart))

    async def load(spawner: Any) -> web.HTTPError:
        spawner.user_options = spawner.options_from_form({"profile": ["nope"]})
        with pytest.raises(web.HTTPError) as error:
            await spawner.load_user_options()
        return error.value

    assert _spawner(settings, load).jupyterhub_message == (
        "Spawn option 'profile': no profile 'nope' (choose one of lab)"
    )


def test_unlisted_choice_is_refused(chart: cdk8s.Chart) -> None:
    """No free-form value (the constructs never enable one): refused naming the option, where
    KubeSpawner alone fails with a bare ValueError."""
    settings = _settings(chart, _lab(chart))

    async def load(spawner: Any) -> tuple[BaseException, web.HTTPError]:
        spawner.user_options = {"profile": "lab", "image--unlisted-choice": "evil/image:1"}
        with pytest.raises(ValueError) as bare:
            await KubeSpawner.load_user_options(spawner)
        with pytest.raises(web.HTTPError) as ours:
            await spawner.load_user_options()
        return bare.value, ours.value

    bare, ours = _spawner(settings, load)
    assert str(bare) == "Received unlisted_choice for image without being enabled."
    assert ours.jupyterhub_message == (
        "Spawn option 'image--unlisted-choice': profile 'lab' takes no free-form Image (choose "
        "one of scipy, big)"
    )


def test_default_url_hub_wide_profile_and_choice(chart: cdk8s.Chart) -> None:
    """The profile's replaces the hub-wide one; a choice's replaces the profile's."""
    plain = NotebookProfile(chart, "Plain", display_name="Plain")
    lab = _lab(chart, default_url="/lab/tree/work")
    settings = _settings(chart, plain, lab, user_pods=UserPods(default_url="/lab"))
    assert _env(_notebook(_pod(settings, "plain")))["JUPYTERHUB_DEFAULT_URL"] == "/lab"
    assert _env(_notebook(_pod(settings)))["JUPYTERHUB_DEFAULT_URL"] == "/lab/tree/work"
    assert _env(_notebook(_pod(settings, image="big")))["JUPYTERHUB_DEFAULT_URL"] == "/tree"


def test_no_default_url_unless_given(chart: cdk8s.Chart) -> None:
    settings = _settings(chart, NotebookProfile(chart, "Plain", display_name="Plain"))
    assert "JUPYTERHUB_DEFAULT_URL" not in _env(_notebook(_pod(settings, "plain")))


def _helped(chart: cdk8s.Chart) -> NotebookProfile:
    home = UserVolume.host_path_volume(
        "home", "/data/home", mount_path="/home/jovyan", sub_path="{user}", owner=(1000, 1000)
    )
    return NotebookProfile(
        chart,
        "Helped",
        display_name="Helped",
        volumes=[home],
        extra_containers=[
            UserContainer(
                "sync",
                "quay.io/example/sync:1.0",
                command=("sync", "--to", "s3://bucket/{user}"),
                env={"PERIOD": "60", "LITERAL": "{{not a field}}"},
                resources=Resources("50m", "64Mi", "500m", "256Mi"),
                image_pull_policy=ImagePullPolicy.IF_NOT_PRESENT,
            )
        ],
        init_containers=[UserContainer("fetch", "quay.io/example/fetch:1.0", args=("--once",))],
    )


def test_extra_and_init_containers_reach_the_pod(chart: cdk8s.Chart) -> None:
    settings = _settings(chart, _helped(chart))
    spec = _pod(settings, "helped")["spec"]
    restricted = {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    sync = spec["containers"][1]
    assert sync == {
        "name": "sync",
        "image": "quay.io/example/sync:1.0",
        "imagePullPolicy": "IfNotPresent",
        # Templates expanded per user by KubeSpawner; a doubled brace is a literal one.
        "command": ["sync", "--to", "s3://bucket/alice"],
        "env": [{"name": "LITERAL", "value": "{not a field}"}, {"name": "PERIOD", "value": "60"}],
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "securityContext": restricted,
    }
    # The chown init container first, then the profile's (the directory is the user's).
    assert [c["name"] for c in spec["initContainers"]] == ["chown-home", "fetch"]
    fetch = spec["initContainers"][1]
    assert fetch["args"] == ["--once"] and "command" not in fetch
    # No resources given: the chown container's, requested and limited.
    small = {"cpu": "10m", "memory": "32Mi"}
    assert fetch["resources"] == {"requests": small, "limits": small}
    assert fetch["securityContext"] == restricted
    # Pulled as the profile's image is unless the container says otherwise.
    assert fetch["imagePullPolicy"] == "Always"


@pytest.mark.parametrize("version", VERSIONS, ids=str)
def test_pods_validate_strictly(version: Any) -> None:
    chart = make_chart()
    settings = _settings(chart, _helped(chart), _lab(chart))
    synth(chart)
    for profile, choices in (("helped", {}), ("lab", {"image": "big"})):
        pod = {"apiVersion": "v1", **_pod(settings, profile, **choices)}
        validate_strictly(pod, version)


def test_choice_and_container_images_are_scan_exceptions(chart: cdk8s.Chart) -> None:
    """Images given by tag (a choice's, a container's) carry the digest exception."""
    profile = NotebookProfile(
        chart,
        "Pinned",
        display_name="Pinned",
        image="quay.io/jupyter/scipy-notebook@sha256:" + "a" * 64,
        options={"image": ProfileOption("Image", {"tag": ProfileChoice("Tag", image=BIG_IMAGE)})},
    )
    assert "CKV_K8S_43" in profile.scan_exceptions
    helper = NotebookProfile(
        chart,
        "Helper",
        display_name="Helper",
        image="quay.io/jupyter/scipy-notebook@sha256:" + "a" * 64,
        extra_containers=[UserContainer("x", "quay.io/example/x:1")],
    )
    assert "CKV_K8S_43" in helper.scan_exceptions


def _error(chart: cdk8s.Chart, **props: Any) -> str:
    return value_error(lambda: NotebookProfile(chart, "Profile", **props))


def _options(**choices: ProfileChoice) -> dict[str, ProfileOption]:
    return {"size": ProfileOption("Size", choices)}


def test_fails_option_key_profile(chart: cdk8s.Chart) -> None:
    assert _error(chart, options={"profile": IMAGES}) == (
        "test/Profile: options must have keys of lower-case letters, digits, '_' and single "
        "'-' (1-63 characters, not 'profile'), got 'profile'"
    )


def test_fails_option_key_with_double_dash(chart: cdk8s.Chart) -> None:
    assert _error(chart, options={"image--unlisted-choice": IMAGES}).endswith(
        "got 'image--unlisted-choice'"
    )


def test_fails_choice_key(chart: cdk8s.Chart) -> None:
    assert _error(chart, options={"size": ProfileOption("Size", {"Big": ProfileChoice("B")})}) == (
        "test/Profile: options['size'].choices must have keys of lower-case letters, digits, "
        "'-', '_' and '.' (1-63 characters, starting and ending with a letter or digit), "
        "got 'Big'"
    )


def test_fails_two_default_choices(chart: cdk8s.Chart) -> None:
    options = _options(a=ProfileChoice("A", default=True), b=ProfileChoice("B", default=True))
    assert _error(chart, options=options) == (
        "test/Profile: options['size'].choices must mark at most one choice as default, "
        "got ['a', 'b']"
    )


def test_fails_no_choices(chart: cdk8s.Chart) -> None:
    assert _error(chart, options=_options()) == (
        "test/Profile: options['size'].choices must offer at least one choice, got {}"
    )


def test_fails_choice_image(chart: cdk8s.Chart) -> None:
    assert _error(chart, options=_options(x=ProfileChoice("X", image="Bad Image"))) == (
        "test/Profile: options['size'].choices['x'].image must be an image reference like "
        "'registry.example.org/repo/name:tag' (lower-case repository path, optional tag and "
        "@sha256 digest), got 'Bad Image'"
    )


def test_fails_choice_memory(chart: cdk8s.Chart) -> None:
    assert _error(chart, options=_options(x=ProfileChoice("X", memory_limit="1500m"))) == (
        "test/Profile: options['size'].choices['x'].memory_limit must be a whole number of bytes, "
        "got '1500m'"
    )


def test_fails_choice_limit_below_the_guarantee(chart: cdk8s.Chart) -> None:
    """Checked per combination: the profile's guarantee of 1 CPU against a choice's limit."""
    assert _error(chart, options=_options(x=ProfileChoice("X", cpu_limit="500m"))) == (
        "test/Profile: options['size'='x'].cpu_limit must be at least "
        "options['size'='x'].cpu_request (1), got '500m'"
    )


@pytest.mark.parametrize("url", ["lab", "//evil.example.org/", "/../hub", "/lab?x", "/{username}"])
def test_fails_default_url(chart: cdk8s.Chart, url: str) -> None:
    assert _error(chart, default_url=url) == (
        "test/Profile: default_url must be a path in the user's server such as '/lab' or "
        "'/tree' (letters, digits, '.', '_', '~', '-' and '/', starting with one '/', no '..'), "
        f"got {url!r}"
    )


def test_fails_container_name_taken(chart: cdk8s.Chart) -> None:
    assert _error(chart, extra_containers=[UserContainer("notebook", "quay.io/a/b:1")]) == (
        "test/Profile: extra_containers[0].name must not be one the pod already uses "
        "(istio-init, istio-proxy, istio-validation, notebook), got 'notebook'"
    )


def test_fails_container_names_repeated(chart: cdk8s.Chart) -> None:
    container = UserContainer("helper", "quay.io/a/b:1")
    assert _error(chart, extra_containers=[container], init_containers=[container]) == (
        "test/Profile: init_containers[0].name must be unique among the pod's containers and "
        "init containers, got 'helper'"
    )


def test_fails_container_unknown_template_field(chart: cdk8s.Chart) -> None:
    container = UserContainer("helper", "quay.io/a/b:1", command=("sh", "-c", "echo ${HOME}"))
    assert _error(chart, init_containers=[container]) == (
        "test/Profile: init_containers[0].command[2] may only use the template fields "
        "{safe_username}, {servername}, {user}, {user_server}, {username} (write a literal "
        "brace twice: '{{' or '}}'), got 'echo ${HOME}'"
    )


def test_fails_container_as_root(chart: cdk8s.Chart) -> None:
    container = UserContainer("helper", "quay.io/a/b:1", run_as_user=0)
    assert _error(chart, extra_containers=[container]) == (
        "test/Profile: extra_containers[0].run_as_user must be a uid of 1 or more (user pods "
        "run no container as root), got 0"
    )


def test_fails_container_image(chart: cdk8s.Chart) -> None:
    assert _error(chart, extra_containers=[UserContainer("helper", "")]).startswith(
        "test/Profile: extra_containers[0].image must be an image reference"
    )


def test_fails_one_container_not_in_a_list(chart: cdk8s.Chart) -> None:
    container = UserContainer("helper", "quay.io/a/b:1")
    assert _error(chart, extra_containers=container).startswith(
        "test/Profile: extra_containers must be a list of UserContainer, got "
    )


@pytest.mark.slow
def test_a_running_hub_refuses_forged_choices(tmp_path: Path) -> None:
    """A real JupyterHub and CHP with DynamicKubeSpawner (its Kubernetes API unreachable: no
    choice here gets as far as the cluster): the spawn form lists the choices; a forged one
    is a 400 naming it, in the form and through the REST API alike (every way to forge one:
    tests/adversarial/test_forged_spawn_options.py)."""
    chart = make_chart()
    settings = _settings(chart, _lab(chart))
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(UNREACHABLE_KUBECONFIG)
    with deployment(
        tmp_path / "hub",
        None,
        profiles=settings.profiles,
        extra_config='c.JupyterHub.spawner_class = "hub_runtime.spawner.DynamicKubeSpawner"\n',
        proxy_env={"KUBECONFIG": str(kubeconfig)},
    ) as hub:
        session = requests.Session()
        session.headers[settings.auth.user_header] = "alice"
        form = session.get(f"{hub.proxy_url}/hub/spawn", timeout=30)
        assert form.status_code == 200, form.text[:500]
        assert f'name="{FORM_FIELD}"' in form.text and 'value="big"' in form.text
        xsrf = session.cookies.get("_xsrf", path="/hub/") or ""
        forged = session.post(
            f"{hub.proxy_url}/hub/spawn",
            data={"_xsrf": xsrf, "profile": "lab", FORM_FIELD: "forged"},
            timeout=30,
        )
        assert forged.status_code == 400, forged.text[:500]
        assert "profile &#39;lab&#39; has no Image &#39;forged&#39;" in forged.text
        assert not hub.server_running("alice")

        api = session.post(
            f"{hub.proxy_url}/hub/api/users/alice/server",
            json={"profile": "lab", "image": "forged"},
            headers={"X-XSRFToken": xsrf},
            timeout=30,
        )
        assert api.status_code == 400, (api.status_code, api.text[:500])
        assert api.json()["message"] == (
            "Spawn option 'image': profile 'lab' has no Image 'forged' (choose one of scipy, big)"
        )
        assert not hub.server_running("alice")
