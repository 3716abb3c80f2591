"""Image pull secrets: on the hub's and the proxy's pods, on user pods through KubeSpawner's
``image_pull_secrets``, and among an app's prerequisites."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from apps.dev import DevChart
from apps.minimal import MinimalChart
from constructs_lib import (
    CHProxy,
    External,
    KubernetesVersion,
    NotebookProfile,
    UserPods,
    find_dangling_references,
    find_unused_prerequisites,
)
from hub_runtime.preview import render_user_objects
from hub_runtime.settings import parse_settings
from tests.support.builders import find, make_bare_hub, make_jupyterhub, synth, value_error
from tests.support.constants import VERSIONS
from tests.support.kube_schemas import validate_strictly


def _pull_secrets(manifest: dict[str, Any]) -> list[str]:
    spec = manifest["spec"]["template"]["spec"] if manifest["kind"] != "Pod" else manifest["spec"]
    return [secret["name"] for secret in spec.get("imagePullSecrets", [])]


def _user_pods(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The user pods KubeSpawner renders from the hub's settings (every profile)."""
    config_map = next(m for m in manifests if m["kind"] == "ConfigMap")
    settings = parse_settings(config_map["data"]["settings.json"])
    rendered = []
    for profile in settings.profiles:
        for manifest in render_user_objects(
            settings, namespace="jupyterhub", user="alice", admin=False, profile=profile.slug
        ):
            manifest.setdefault("apiVersion", "v1")
            rendered.append(manifest)
    return rendered


def test_none_by_default(chart: cdk8s.Chart) -> None:
    """The default images are public: no pod names a pull secret."""
    jupyterhub = make_jupyterhub(chart)
    manifests = synth(chart)
    assert jupyterhub.image_pull_secrets == ()
    assert _pull_secrets(find(manifests, "StatefulSet")) == []
    assert _pull_secrets(find(manifests, "Deployment")) == []
    (pod, *_) = _user_pods(manifests)
    assert _pull_secrets(pod) == []


def test_one_list_for_every_pod(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(
        chart,
        user_pods=UserPods(start_timeout_seconds=600),
        image_pull_secrets=["regcred", "mirror-creds"],
    )
    manifests = synth(chart)
    assert _pull_secrets(find(manifests, "StatefulSet")) == ["regcred", "mirror-creds"]
    assert _pull_secrets(find(manifests, "Deployment")) == ["regcred", "mirror-creds"]
    pods = [m for m in _user_pods(manifests) if m["kind"] == "Pod"]
    assert [_pull_secrets(pod) for pod in pods] == [["regcred", "mirror-creds"]] * 2
    # The other user pod settings given stay.
    assert jupyterhub.hub.user_pods.start_timeout_seconds == 600
    assert jupyterhub.image_pull_secrets == ("mirror-creds", "regcred")


def test_snapshot(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    """Where the names land: the hub's and the proxy's pod templates, and the user pod."""
    make_jupyterhub(chart, image_pull_secrets=["regcred"])
    manifests = synth(chart)
    (pod, *_) = _user_pods(manifests)
    assert {
        "hub": find(manifests, "StatefulSet")["spec"]["template"]["spec"]["imagePullSecrets"],
        "proxy": find(manifests, "Deployment")["spec"]["template"]["spec"]["imagePullSecrets"],
        "user": pod["spec"]["imagePullSecrets"],
    } == snapshot_yaml


def test_each_part_its_own(chart: cdk8s.Chart) -> None:
    hub = make_bare_hub(
        chart,
        profiles=[NotebookProfile(chart, "Lab")],
        image_pull_secrets=["hub-creds"],
        user_pods=UserPods(image_pull_secrets=("user-creds",)),
    )
    CHProxy(chart, "Proxy", hub=hub, image_pull_secrets=["proxy-creds"])
    manifests = synth(chart)
    assert _pull_secrets(find(manifests, "StatefulSet")) == ["hub-creds"]
    assert _pull_secrets(find(manifests, "Deployment")) == ["proxy-creds"]
    (pod, *_) = _user_pods(manifests)
    assert _pull_secrets(pod) == ["user-creds"]


@pytest.mark.parametrize("chart_class", [MinimalChart, DevChart], ids=["minimal", "dev"])
def test_apps_declare_them_as_prerequisites(chart_class: Any) -> None:
    """An app given pull secrets names them on its pods and the user pods, and lists each as
    a prerequisite, which the integrity check finds used."""
    app = cdk8s.App()
    chart = chart_class(app, "jupyterhub", image_pull_secrets=["regcred"])
    manifests = synth(chart) + _user_pods(synth(chart))
    external: External = chart.external
    assert ("Secret", "regcred") in external.objects
    assert find_dangling_references(manifests, external) == []
    assert find_unused_prerequisites(manifests, external) == []
    hub_and_proxy = [
        m
        for m in manifests
        if m["kind"] in ("StatefulSet", "Deployment")
        and m["metadata"]["labels"].get("app.kubernetes.io/component") in ("hub", "proxy")
    ]
    assert len(hub_and_proxy) == 2
    for manifest in hub_and_proxy + [m for m in manifests if m["kind"] == "Pod"]:
        assert _pull_secrets(manifest) == ["regcred"], manifest["metadata"]["name"]


@pytest.mark.parametrize("version", [str(v) for v in VERSIONS])
def test_validate_strictly(version: str) -> None:
    app = cdk8s.App()
    chart = MinimalChart(
        app,
        "jupyterhub",
        image_pull_secrets=["regcred"],
        kubernetes_version=KubernetesVersion.of(version),
    )
    manifests = synth(chart)
    for manifest in manifests + _user_pods(manifests):
        if manifest["kind"] in ("StatefulSet", "Deployment", "Pod"):
            validate_strictly(manifest, version)


def _error(chart: cdk8s.Chart, names: Any) -> str:
    return value_error(lambda: make_jupyterhub(chart, image_pull_secrets=names))


def test_fails_one_name_not_in_a_list(chart: cdk8s.Chart) -> None:
    assert _error(chart, "regcred") == (
        "test/JupyterHub: image_pull_secrets must be a list of strings, not a single string, "
        "got 'regcred'"
    )


def test_fails_name_not_a_secret_name(chart: cdk8s.Chart) -> None:
    assert _error(chart, ["Reg_Cred"]).startswith(
        "test/JupyterHub: image_pull_secrets[0] must be a DNS subdomain"
    )


def test_fails_name_twice(chart: cdk8s.Chart) -> None:
    assert _error(chart, ["regcred", "regcred"]) == (
        "test/JupyterHub: image_pull_secrets[1] must be unique, got 'regcred'"
    )


def test_fails_user_pods_name(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        make_bare_hub(
            chart,
            profiles=[NotebookProfile(chart, "Lab")],
            user_pods=UserPods(image_pull_secrets=("",)),
        )
    assert str(error.value).startswith(
        "test/Hub: user_pods.image_pull_secrets[0] must be a DNS subdomain"
    )
