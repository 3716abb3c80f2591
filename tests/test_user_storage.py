"""Per-user persistent claims: the volume kind, what the hub writes, and what KubeSpawner
itself renders from it (claim, pod volume, names), validated for every Kubernetes version."""

from __future__ import annotations

import dataclasses
from typing import Any

import cdk8s
import kubernetes_validate
import pytest
from syrupy.assertion import SnapshotAssertion
from traitlets.config import Config

from constructs_lib import (
    CHProxy,
    ClaimAccessMode,
    HubStatefulSet,
    NotebookProfile,
    ProxyToken,
    UserPods,
    UserVolume,
)
from hub_runtime.config import apply
from hub_runtime.preview import render_user_objects
from hub_runtime.settings import HubSettings, dump_settings, parse_settings
from hub_runtime.slugs import user_key
from tests.conftest import HOSTS, ROOT, TRUST, VERSIONS, read_manifests


def _hub(chart: cdk8s.Chart, *volumes: UserVolume, **props: Any) -> HubStatefulSet:
    profiles = props.pop("profiles", None) or [
        NotebookProfile(chart, "Lab", display_name="Lab", volumes=volumes)
    ]
    hub = HubStatefulSet(
        chart,
        "Hub",
        proxy_token=ProxyToken.from_existing_secret("token"),
        header_trust=TRUST,
        profiles=profiles,
        public_hosts=HOSTS,
        **props,
    )
    CHProxy(chart, "Proxy", hub=hub)
    return hub


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
    assert dataclasses.asdict(volume.to_settings()) == snapshot_yaml


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
        kubernetes_validate.validate(manifest, version, strict=True)


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
    with pytest.raises(ValueError) as error:
        NotebookProfile(chart, "Profile", volumes=volumes)
    return str(error.value)


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
