"""Per-user persistent claims: the volume kind, what the hub writes, and what KubeSpawner
itself renders from it (claim, pod volume, names), validated for every Kubernetes version."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion
from traitlets.config import Config

from constructs_lib import (
    ClaimAccessMode,
    HubStatefulSet,
    NotebookProfile,
    PodAffinityTerm,
    UserPods,
    UserVolume,
)
from hub_runtime.config import apply
from hub_runtime.preview import render_user_objects, with_spawner
from hub_runtime.settings import HubSettings, dump_settings, parse_settings
from hub_runtime.slugs import user_key
from hub_runtime.spawner import CLAIM_USER_LABEL
from tests.support.builders import make_chart, make_hub, value_error
from tests.support.constants import VERSIONS
from tests.support.kube_schemas import validate_strictly
from tests.support.manifests import ROOT, read_manifests


def _hub(chart: cdk8s.Chart, *volumes: UserVolume, **props: Any) -> HubStatefulSet:
    profiles = props.pop("profiles", None) or [
        NotebookProfile(chart, "Lab", display_name="Lab", volumes=volumes)
    ]
    return make_hub(chart, profiles=profiles, **props)


def _objects(
    settings: HubSettings, user: str = "alice", server: str = "", profile: str | None = None
) -> dict[str, dict[str, Any]]:
    rendered = render_user_objects(
        settings,
        namespace="jupyterhub",
        user=user,
        admin=False,
        profile=profile or settings.profiles[0].slug,
        server=server,
    )
    return {manifest["kind"]: manifest for manifest in rendered}


def test_claim_settings(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    volume = UserVolume.persistent_claim()
    # As the settings file holds it.
    assert json.loads(json.dumps(dataclasses.asdict(volume))) == snapshot_yaml


def test_claim_needs_no_privilege(chart: cdk8s.Chart) -> None:
    """No host path, no root chown: the namespace can stay at Pod Security restricted."""
    profile = NotebookProfile(chart, "P", volumes=[UserVolume.persistent_claim()])
    assert profile.needs_privileged_pods is False
    assert not {"CKV_K8S_23", "CKV_K8S_25", "CKV_K8S_37"} & set(profile.scan_exceptions)


def test_kubespawner_makes_the_users_claim(chart: cdk8s.Chart) -> None:
    claim = UserVolume.persistent_claim(
        size="20Gi", storage_class="fast-ssd", access_mode=ClaimAccessMode.READ_WRITE_MANY
    )
    objects = _objects(_hub(chart, claim).settings)
    pvc, pod = objects["PersistentVolumeClaim"], objects["Pod"]
    assert pvc["metadata"]["name"] == "claim-alice"
    assert pvc["spec"] == {
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": "20Gi"}},
        "storageClassName": "fast-ssd",
    }
    assert pvc["metadata"]["labels"]["app.kubernetes.io/name"] == "jupyterhub"
    (volume,) = pod["spec"]["volumes"]
    assert volume == {"name": "home", "persistentVolumeClaim": {"claimName": "claim-alice"}}
    (mount,) = pod["spec"]["containers"][0]["volumeMounts"]
    assert (mount["name"], mount["mountPath"]) == ("home", "/home/jovyan")
    # The files are the notebook user's through the pod's fsGroup: no init container.
    assert pod["spec"]["securityContext"]["fsGroup"] == 100
    assert pod["spec"]["securityContext"]["fsGroupChangePolicy"] == "OnRootMismatch"
    assert not pod["spec"].get("initContainers")


def test_default_storage_class_is_the_clusters(chart: cdk8s.Chart) -> None:
    pvc = _objects(_hub(chart, UserVolume.persistent_claim()).settings)["PersistentVolumeClaim"]
    assert "storageClassName" not in pvc["spec"]
    assert "volume.beta.kubernetes.io/storage-class" not in pvc["metadata"]["annotations"]
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "10Gi"


def test_named_servers_share_the_users_claim(chart: cdk8s.Chart) -> None:
    """One claim per user (as zero-to-jupyterhub): every server of the user mounts it."""
    settings = _hub(chart, UserVolume.persistent_claim()).settings
    default = _objects(settings)
    named = _objects(settings, server="gpu")
    assert named["Pod"]["metadata"]["name"] != default["Pod"]["metadata"]["name"]
    assert (
        named["PersistentVolumeClaim"]["metadata"]["name"]
        == default["PersistentVolumeClaim"]["metadata"]["name"]
        == "claim-alice"
    )
    assert named["Pod"]["spec"]["volumes"] == default["Pod"]["spec"]["volumes"]


def _another_chart() -> cdk8s.Chart:
    return make_chart()


def _together(key: str) -> dict[str, Any]:
    return {
        "labelSelector": {"matchLabels": {CLAIM_USER_LABEL: key}},
        "topologyKey": "kubernetes.io/hostname",
    }


def _pod_affinity(pod: dict[str, Any]) -> dict[str, Any]:
    return dict((pod["spec"].get("affinity") or {}).get("podAffinity") or {})


_REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
_PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"


@pytest.mark.parametrize(
    "user", ["alice", "Alice.Smith@example.com", "a" * 70, "名前 with spaces", "x" * 300]
)
def test_a_users_servers_on_one_node_share_a_read_write_once_claim(
    chart: cdk8s.Chart, user: str
) -> None:
    """A ReadWriteOnce volume attaches to one node at a time: a user's second server on
    another node would wait for it (the attach/detach controller's "Multi-Attach error";
    kubernetes.io/docs/concepts/storage/persistent-volumes/#access-modes). Each of the
    user's pods that mounts the claim carries their key as a label and a required pod
    affinity to it on the node level, as KubeSpawner renders them. The pod matches its one
    required term itself: with no pod matching it, the scheduler places it anyway (the first
    of a series with affinity to themselves, kube-scheduler's InterPodAffinity), and the next
    ones beside it."""
    settings = _hub(chart, UserVolume.persistent_claim()).settings
    assert settings.named_servers
    key = user_key(user)
    assert re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", key)
    for server in ("", "gpu"):
        pod = _objects(settings, user=user, server=server)["Pod"]
        labels = pod["metadata"]["labels"]
        assert labels[CLAIM_USER_LABEL] == key
        assert _pod_affinity(pod) == {_REQUIRED: [_together(key)]}
        assert {CLAIM_USER_LABEL: key}.items() <= labels.items()
    other = _objects(settings, user=user + "2")["Pod"]
    assert other["metadata"]["labels"][CLAIM_USER_LABEL] != key


def test_only_servers_mounting_a_read_write_once_claim_share_a_node(chart: cdk8s.Chart) -> None:
    """No label and no term where no claim is shared on a node: ReadWriteMany, one server per
    user, or a profile without the claim (a scratch server beside a home server: were it
    labelled, the next home server could follow it to a node without the volume)."""
    rwx = UserVolume.persistent_claim(access_mode=ClaimAccessMode.READ_WRITE_MANY)
    home = NotebookProfile(chart, "Home", slug="home", volumes=[UserVolume.persistent_claim()])
    scratch = NotebookProfile(chart, "Scratch", slug="scratch")
    mixed = _hub(chart, profiles=[home, scratch]).settings
    cases = {
        "read-write-many": _objects(_hub(_another_chart(), rwx).settings),
        "no named servers": _objects(
            dataclasses.replace(
                _hub(_another_chart(), UserVolume.persistent_claim()).settings,
                named_servers=False,
            )
        ),
        "no claim": _objects(mixed, profile="scratch"),
    }
    for case, objects in cases.items():
        pod = objects["Pod"]
        assert _pod_affinity(pod) == {}, case
        assert CLAIM_USER_LABEL not in pod["metadata"]["labels"], case
    assert _pod_affinity(_objects(mixed, profile="home")["Pod"]) == {
        _REQUIRED: [_together("alice")]
    }


def test_the_term_is_made_per_pod_not_kept(chart: cdk8s.Chart) -> None:
    """Making a pod twice makes the same pod: the spawner's traits are as configured after
    each (a kept term would turn the next one preferred, or repeat)."""
    settings = _hub(chart, UserVolume.persistent_claim()).settings

    async def twice(spawner: Any) -> tuple[Any, ...]:
        spawner.user_options = {"profile": settings.profiles[0].slug}
        await spawner.load_user_options()
        before = (spawner.pod_affinity_required, spawner.extra_labels)
        first = (await spawner.get_pod_manifest()).to_dict()
        after = (spawner.pod_affinity_required, spawner.extra_labels)
        return first, (await spawner.get_pod_manifest()).to_dict(), before, after

    first, second, before, after = with_spawner(
        settings, twice, namespace="jupyterhub", user="alice", admin=False
    )
    assert first == second
    pod_affinity = first["spec"]["affinity"]["pod_affinity"]
    assert len(pod_affinity["required_during_scheduling_ignored_during_execution"]) == 1
    assert pod_affinity["preferred_during_scheduling_ignored_during_execution"] is None
    assert before == after


@pytest.mark.parametrize("where", ["profile", "hub"])
def test_beside_other_required_pod_affinity_the_users_servers_are_preferred(
    chart: cdk8s.Chart, where: str
) -> None:
    """kube-scheduler places a pod no other pod matches all required terms of only if the pod
    matches them all itself (InterPodAffinity's self-affinity check): beside a required term
    that the user's pod does not match (other pods do), the user's first server would never
    be placed. The term on the user is preferred there, at weight 100, whether the other term
    is the profile's or every user pod's (``extra_config``, in KubeSpawner's dict form too)."""
    team = PodAffinityTerm.together({"team": "data"}, topology_key="topology.kubernetes.io/zone")
    team_term = {
        "labelSelector": {"matchLabels": {"team": "data"}},
        "topologyKey": "topology.kubernetes.io/zone",
    }
    claim = [UserVolume.persistent_claim()]
    if where == "profile":
        profile = NotebookProfile(chart, "Lab", volumes=claim, affinity=[team])
        settings = _hub(chart, profiles=[profile]).settings
    else:
        extra = {"KubeSpawner": {"pod_affinity_required": {"team": team_term}}}
        settings = _hub(chart, *claim, extra_config=extra).settings
    for user in ("alice", "bob"):
        affinity = _pod_affinity(_objects(settings, user=user)["Pod"])
        assert affinity[_REQUIRED] == [team_term]
        # The term is made per spawn: each user's pod names their own key.
        assert affinity[_PREFERRED] == [{"weight": 100, "podAffinityTerm": _together(user)}]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # KubeSpawner's safe slugs of these agree (a 32-bit hash birthday pair would too).
        ("Alice.Smith@example.com", "alice-smith-example-com"),
        ("a" * 70, "a" * 71),
        ("bob_", "bob-"),
    ],
)
def test_claim_names_are_the_users_keys(chart: cdk8s.Chart, first: str, second: str) -> None:
    """Claim names come from the 128-bit user keys: two names, two claims."""
    settings = _hub(chart, UserVolume.persistent_claim()).settings
    names = []
    for user in (first, second):
        pvc = _objects(settings, user=user)["PersistentVolumeClaim"]
        assert pvc["metadata"]["name"] == f"claim-{user_key(user)}"
        names.append(pvc["metadata"]["name"])
    assert names[0] != names[1]


def test_claim_is_kept_on_user_deletion_unless_asked(chart: cdk8s.Chart) -> None:
    config = Config()
    settings = _hub(chart, UserVolume.persistent_claim()).settings
    assert settings.spawner.delete_claim_with_user is False
    asked = _hub(
        cdk8s.Chart(cdk8s.App(), "other", namespace="jupyterhub"),
        UserVolume.persistent_claim(),
        user_pods=UserPods(delete_claim_with_user=True),
    ).settings
    for chosen, expected in ((settings, False), (asked, True)):
        config = Config()
        _apply(config, chosen)
        assert config.KubeSpawner.delete_pvc is expected


def _apply(config: Config, settings: HubSettings) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "settings.json"
        path.write_text(dump_settings(settings))
        apply(config, path)


def test_profile_without_claim_turns_creation_off(chart: cdk8s.Chart) -> None:
    """A server's spawner keeps the last profile's traits: every profile says whether to make
    the claim."""
    with_claim = NotebookProfile(
        chart, "Home", display_name="Home", volumes=[UserVolume.persistent_claim()]
    )
    scratch = NotebookProfile(chart, "Scratch", display_name="Scratch")
    settings = _hub(chart, profiles=[with_claim, scratch]).settings
    config = Config()
    _apply(config, settings)
    overrides = {p["slug"]: p["kubespawner_override"] for p in config.KubeSpawner.profile_list}
    assert overrides["home"]["storage_pvc_ensure"] is True
    assert overrides["scratch"]["storage_pvc_ensure"] is False
    assert "PersistentVolumeClaim" not in _objects(settings, profile="scratch")


@pytest.mark.parametrize("version", [str(v) for v in VERSIONS])
def test_claim_and_pod_validate_strictly(chart: cdk8s.Chart, version: str) -> None:
    claim = UserVolume.persistent_claim(
        storage_class="standard", access_mode=ClaimAccessMode.READ_WRITE_ONCE_POD
    )
    for manifest in _objects(_hub(chart, claim).settings).values():
        manifest.setdefault("apiVersion", "v1")
        validate_strictly(manifest, version)


def test_minimal_homes_are_claims() -> None:
    """minimal's default storage: each profile mounts the user's claim at the home."""
    config_map = next(
        m for m in read_manifests(ROOT / "dist" / "minimal") if m["kind"] == "ConfigMap"
    )
    settings = parse_settings(config_map["data"]["settings.json"])
    for profile in settings.profiles:
        (volume,) = profile.volumes
        assert volume.claim is not None and volume.mount_path == "/home/jovyan"
        assert (volume.claim.size, volume.claim.storage_class) == ("10Gi", None)
    preview = read_manifests(ROOT / "dist" / "minimal-preview")
    claims = {m["metadata"]["name"] for m in preview if m["kind"] == "PersistentVolumeClaim"}
    assert claims == {"claim-user", "claim-admin"}


def _error(chart: cdk8s.Chart, *volumes: UserVolume) -> str:
    return value_error(lambda: NotebookProfile(chart, "Profile", volumes=volumes))


def test_fails_zero_size(chart: cdk8s.Chart) -> None:
    assert _error(chart, UserVolume.persistent_claim(size="0")) == (
        "test/Profile: volumes[0].size must be more than 0, got '0'"
    )


def test_fails_malformed_size(chart: cdk8s.Chart) -> None:
    assert _error(chart, UserVolume.persistent_claim(size="10 GB")) == (
        "test/Profile: volumes[0].size must be a Kubernetes quantity such as '500m', '2', "
        "'256Mi' or '1G', got '10 GB'"
    )


def test_fails_storage_class_not_a_name(chart: cdk8s.Chart) -> None:
    assert _error(chart, UserVolume.persistent_claim(storage_class="Fast_SSD")).startswith(
        "test/Profile: volumes[0].storage_class must be a DNS subdomain"
    )


def test_fails_access_mode_not_an_enum(chart: cdk8s.Chart) -> None:
    volume = UserVolume.persistent_claim(access_mode="ReadOnlyMany")  # type: ignore[arg-type]
    assert _error(chart, volume) == (
        "test/Profile: volumes[0].access_mode must be a ClaimAccessMode, got 'ReadOnlyMany'"
    )


def test_fails_two_claims_in_a_profile(chart: cdk8s.Chart) -> None:
    home = UserVolume.persistent_claim()
    data = UserVolume.persistent_claim("data", mount_path="/data")
    assert _error(chart, home, data) == (
        "test/Profile: volumes[1] must not be a second persistent claim (KubeSpawner makes "
        "one claim per server), got 'data'"
    )


def test_fails_owner_on_a_claim(chart: cdk8s.Chart) -> None:
    volume = dataclasses.replace(UserVolume.persistent_claim(), owner=(1000, 100))
    assert _error(chart, volume) == (
        "test/Profile: volumes[0].owner must be None for a claim (the pod's fsGroup owns its "
        "files), got (1000, 100)"
    )


def test_fails_profiles_disagreeing_on_the_claim(chart: cdk8s.Chart) -> None:
    small = NotebookProfile(
        chart, "Small", display_name="Small", volumes=[UserVolume.persistent_claim()]
    )
    big = NotebookProfile(
        chart, "Big", display_name="Big", volumes=[UserVolume.persistent_claim(size="100Gi")]
    )
    with pytest.raises(ValueError) as error:
        _hub(chart, profiles=[small, big])
    assert str(error.value) == (
        "test/Hub: profiles must mount the same persistent claim as small (10Gi, the default "
        "StorageClass, ReadWriteOnce; this one: 100Gi, the default StorageClass, "
        "ReadWriteOnce): each user has one claim, made by whichever profile starts first, "
        "got 'big'"
    )


def _cpu_and_gpu(chart: cdk8s.Chart) -> HubSettings:
    """A CPU and a GPU profile mounting the user's ReadWriteOnce home, named servers on."""
    home = UserVolume.persistent_claim()
    cpu = NotebookProfile(chart, "Cpu", slug="cpu", volumes=[home])
    gpu = NotebookProfile(
        chart, "Gpu", slug="gpu", gpus=1, runtime_class_name="nvidia", volumes=[home]
    )
    return _hub(chart, profiles=[cpu, gpu]).settings


def _start_refusal(
    settings: HubSettings, running: str, starting: str, active: bool = True
) -> str | None:
    """What the spawner of alice's server "second" (profile ``starting``) says at its start,
    while her default server runs profile ``running`` (as KubeSpawner loads the options)."""
    from types import SimpleNamespace

    from tornado import web

    async def body(spawner: Any) -> str | None:
        spawner.user_options = {"profile": starting}
        other = SimpleNamespace(active=active, user_options={"profile": running})
        spawner.user.spawners = {"": other, "second": spawner}
        try:
            await spawner.load_user_options()
        except web.HTTPError as error:
            assert error.status_code == 400
            message: str = error.jupyterhub_message  # type: ignore[attr-defined]
            return message
        return None

    return with_spawner(
        settings, body, namespace="jupyterhub", user="alice", admin=False, server="second"
    )


def test_fails_gpu_server_beside_a_cpu_server(chart: cdk8s.Chart) -> None:
    """The GPU server would have to join the CPU server's node (the claim attaches there),
    which may have no GPU: Pending until start_timeout. The spawn fails at once, saying why."""
    assert _start_refusal(_cpu_and_gpu(chart), "cpu", "gpu") == (
        "Profile 'gpu' cannot start while the default server runs profile 'cpu': both mount "
        "your ReadWriteOnce volume, which attaches to one node at a time, so this server would "
        "have to run on that server's node, and it needs the RuntimeClass nvidia, the "
        "resource nvidia.com/gpu, which 'cpu' does not. Stop the default server first, or "
        "choose 'cpu'"
    )


def test_fails_cpu_server_beside_a_gpu_server(chart: cdk8s.Chart) -> None:
    """The GPU node pool is tainted: a CPU server without the toleration cannot join."""
    assert _start_refusal(_cpu_and_gpu(chart), "gpu", "cpu") == (
        "Profile 'cpu' cannot start while the default server runs profile 'gpu': both mount "
        "your ReadWriteOnce volume, which attaches to one node at a time, so this server would "
        "have to run on that server's node, and it lacks the toleration "
        '{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"} of \'gpu\'. '
        "Stop the default server first, or choose 'gpu'"
    )


def test_servers_that_fit_one_node_start(chart: cdk8s.Chart) -> None:
    settings = _cpu_and_gpu(chart)
    assert _start_refusal(settings, "cpu", "cpu") is None
    assert _start_refusal(settings, "gpu", "gpu") is None
    assert _start_refusal(settings, "cpu", "gpu", active=False) is None
