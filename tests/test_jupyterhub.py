from __future__ import annotations

import json
from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    DEFAULT_STORAGE_CLASS,
    HubNamespace,
    IstioMesh,
    NotebookProfile,
    PodSecurityLevel,
    UserVolume,
    check_references,
)
from constructs_lib.integrity import RELOADER_PREREQUISITE, External, Prerequisite
from tests.support.builders import find, make_chart, make_jupyterhub, synth, value_error


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    make_jupyterhub(chart)
    assert synth(chart) == snapshot_yaml


def test_references_resolve(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    check_references(
        synth(chart),
        External(
            prerequisites=(
                Prerequisite("Secret", "proxy-token", "the proxy token"),
                RELOADER_PREREQUISITE,
                Prerequisite("StorageClass", DEFAULT_STORAGE_CLASS, "the hub's data volume"),
            ),
            pod_labels=(jupyterhub.hub.user_pod_labels,),
        ),
    )


def test_user_pods_use_the_user_service_account(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    assert jupyterhub.hub.settings.spawner.service_account == "jupyterhub-singleuser-server"
    find(synth(chart), "ServiceAccount", "jupyterhub-singleuser-server")


def test_reference_profiles(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    gpu = jupyterhub.hub.settings.profiles[1]
    assert (gpu.display_name, gpu.runtime_class_name) == ("GPU Notebook", "nvidia")
    assert gpu.extra_resource_limits == {"nvidia.com/gpu": "1"}


def test_admin_users(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart, admin_users=["alice"])
    assert jupyterhub.hub.settings.auth.admin_users == ("alice",)


def test_namespace_privileged_only_for_host_paths(chart: cdk8s.Chart) -> None:
    safe = NotebookProfile(
        chart, "Safe", volumes=[UserVolume.memory_volume("scratch", mount_path="/scratch")]
    )
    assert HubNamespace(chart, "Restricted", profiles=[safe]).pod_security is (
        PodSecurityLevel.RESTRICTED
    )
    host = NotebookProfile(chart, "Host", display_name="Host", volumes=UserVolume.reference_set())
    # Another namespace, so another release (a release lives in one namespace).
    privileged = HubNamespace(
        chart, "Privileged", name="other", release="other", profiles=[safe, host]
    )
    assert privileged.pod_security is PodSecurityLevel.PRIVILEGED


def test_namespace_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    HubNamespace(chart, "Namespace", profiles=[NotebookProfile(chart, "P")])
    assert find(synth(chart), "Namespace") == snapshot_yaml


def test_namespace_privileged_for_istio_init(chart: cdk8s.Chart) -> None:
    safe = NotebookProfile(
        chart, "Safe", volumes=[UserVolume.memory_volume("scratch", mount_path="/scratch")]
    )
    namespace = HubNamespace(chart, "Namespace", profiles=[safe], istio_init=True)
    assert namespace.pod_security is PodSecurityLevel.PRIVILEGED


def test_namespace_follows_the_mesh() -> None:
    """Made for a JupyterHub, the namespace takes its profiles, release and mesh: Istio's
    init container (the mesh's choice, not the namespace's) needs a privileged namespace."""
    levels = {}
    for mesh in (None, IstioMesh(), IstioMesh(init_container=True)):
        app = cdk8s.Testing.app()
        chart = cdk8s.Chart(app, "test", namespace="hub")
        jupyterhub = make_jupyterhub(chart, release="lab", mesh=mesh)
        namespace = HubNamespace.for_jupyterhub(
            cdk8s.Chart(app, "namespace"), "Namespace", jupyterhub, name="hub"
        )
        assert namespace.release == "lab"
        levels[mesh and mesh.init_container] = namespace.pod_security
    assert levels == {
        None: PodSecurityLevel.RESTRICTED,
        False: PodSecurityLevel.RESTRICTED,
        True: PodSecurityLevel.PRIVILEGED,
    }


def test_namespace_disagreeing_with_the_mesh_names_it() -> None:
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "test", namespace="jupyterhub")
    make_jupyterhub(chart, mesh=IstioMesh(init_container=True))
    namespace = cdk8s.Chart(app, "namespace")
    assert value_error(lambda: HubNamespace(namespace, "Namespace", profiles=[])) == (
        "namespace/Namespace: istio_init must be True, as the mesh of test/JupyterHub says "
        "(its IstioMesh.init_container): make the namespace with "
        "HubNamespace.for_jupyterhub(scope, id, jupyterhub), got False"
    )


def test_namespace_for_a_jupyterhub_names_a_wrong_one(chart: cdk8s.Chart) -> None:
    wrong: Any = "hub"
    assert value_error(lambda: HubNamespace.for_jupyterhub(chart, "Namespace", wrong)) == (
        "test: jupyterhub must be a JupyterHub, got 'hub'"
    )


def _with_profiles(add: bool) -> list[dict[str, Any]]:
    """Two profiles: both given, or the second added after."""
    chart = make_chart()
    standard = NotebookProfile(chart, "Standard", display_name="Standard", default=True)
    large = NotebookProfile(chart, "Large", display_name="Large", cpu_limit="8")
    jupyterhub = make_jupyterhub(chart, profiles=[standard] if add else [standard, large])
    if add:
        jupyterhub.add_profile(large)
        assert jupyterhub.profiles == (standard, large) == jupyterhub.hub.profiles
    return sorted(synth(chart), key=lambda m: (m["kind"], m["metadata"]["name"]))


def test_add_profile_is_as_if_given() -> None:
    """The ConfigMap is the one both profiles give (name, settings) and the hub mounts it."""
    added = _with_profiles(add=True)
    assert added == _with_profiles(add=False)
    settings = json.loads(find(added, "ConfigMap")["data"]["settings.json"])
    assert [profile["display_name"] for profile in settings["profiles"]] == ["Standard", "Large"]


def test_add_profile_refuses(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    with pytest.raises(ValueError) as error:
        jupyterhub.add_profile("gpu")  # type: ignore[arg-type]
    assert str(error.value).startswith("test/JupyterHub/Hub: profile must be")
    twin = NotebookProfile(chart, "Twin", display_name="Standard Notebook")
    with pytest.raises(ValueError) as error:
        jupyterhub.add_profile(twin)
    assert "must have unique slugs" in str(error.value)
    assert len(jupyterhub.profiles) == 2
