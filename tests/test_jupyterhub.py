from __future__ import annotations

import cdk8s
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    DEFAULT_STORAGE_CLASS,
    HubNamespace,
    NotebookProfile,
    PodSecurityLevel,
    UserVolume,
    check_references,
)
from constructs_lib.integrity import RELOADER_PREREQUISITE, External, Prerequisite
from tests.support.builders import find, make_jupyterhub, synth


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
    assert HubNamespace(chart, "Privileged", name="other", profiles=[safe, host]).pod_security is (
        PodSecurityLevel.PRIVILEGED
    )


def test_namespace_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    HubNamespace(chart, "Namespace", profiles=[NotebookProfile(chart, "P")])
    assert find(synth(chart), "Namespace") == snapshot_yaml


def test_namespace_privileged_for_istio_init(chart: cdk8s.Chart) -> None:
    safe = NotebookProfile(
        chart, "Safe", volumes=[UserVolume.memory_volume("scratch", mount_path="/scratch")]
    )
    namespace = HubNamespace(chart, "Namespace", profiles=[safe], istio_init=True)
    assert namespace.pod_security is PodSecurityLevel.PRIVILEGED
