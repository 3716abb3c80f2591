"""The namespace's ResourceQuota admits exactly the user servers it promises.

Admission is simulated (``tests/support/quota_admission.py``, written from Kubernetes' and Istio's
rules): the app's own pods at their most (the hub, the proxy at its autoscaler's maximum plus
its rolling update's surge, Redis), each with Istio's injected containers, then user pods as
KubeSpawner renders them, until the quota refuses one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

import apps
from apps.previews import PREVIEW_SUFFIX
from constructs_lib import (
    HubResourceQuota,
    JupyterHub,
    KubernetesVersion,
    NotebookProfile,
    ProfileChoice,
    ProfileOption,
    Resources,
    UserContainer,
    UserPods,
    UserVolume,
)
from hub_runtime.preview import render_user_objects
from tests.support.builders import find, make_jupyterhub, synth
from tests.support.manifests import ROOT, read_documents, read_manifests
from tests.support.quota_admission import LAYOUTS, Namespace, app_pods, inject

_MOST = 1000


def _fill(namespace: Namespace, pod: dict[str, Any]) -> int:
    """How many more of ``pod`` the namespace admits."""
    count = 0
    while count < _MOST and namespace.admit(pod):
        count += 1
    return count


def _namespace(manifests: list[dict[str, Any]], layout: str) -> Namespace:
    """The app's quota with all of the app's own pods admitted."""
    namespace = Namespace(find(manifests, "ResourceQuota")["spec"]["hard"])
    for what, pod in app_pods(manifests):
        assert namespace.admit(inject(pod, layout)), f"the quota refuses {what}"
    return namespace


def _preview_pod(app: str, profile: str) -> dict[str, Any]:
    path = ROOT / "dist" / f"{app}{PREVIEW_SUFFIX}" / f"{profile}-user.yaml"
    return next(d for d in read_documents(path) if d["kind"] == "Pod")


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> HubResourceQuota:
    built = apps.APPS["dev"](str(tmp_path_factory.mktemp("dev")), KubernetesVersion.DEFAULT)
    quota: HubResourceQuota = built.app.node.find_child("jupyterhub").quota  # type: ignore[attr-defined]
    return quota


@pytest.mark.parametrize("layout", LAYOUTS)
def test_dev_admits_its_user_servers(dev: HubResourceQuota, layout: str) -> None:
    manifests = read_manifests(ROOT / "dist" / "dev")
    standard = inject(_preview_pod("dev", "standard-notebook"), layout)
    gpu = inject(_preview_pod("dev", "gpu-notebook"), layout)
    assert (dev.user_servers, dev.gpu_servers) == (8, 1)
    assert _fill(_namespace(manifests, layout), standard) == dev.user_servers
    assert _fill(_namespace(manifests, layout), gpu) == dev.gpu_servers
    mixed = _namespace(manifests, layout)
    assert _fill(mixed, gpu) == dev.gpu_servers
    assert _fill(mixed, standard) == dev.user_servers - dev.gpu_servers


def _admitted(
    chart: cdk8s.Chart, quota: HubResourceQuota, jupyterhub: JupyterHub, layout: str
) -> dict[str, int]:
    """Per profile, how many user servers of it alone the synthesized quota admits."""
    manifests = synth(chart)
    counts = {}
    for profile in jupyterhub.hub.settings.profiles:
        pod, *_ = render_user_objects(
            jupyterhub.hub.settings,
            namespace="jupyterhub",
            user="alice",
            admin=False,
            profile=profile.slug,
        )
        counts[profile.slug] = _fill(_namespace(manifests, layout), inject(pod, layout))
    return counts


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_largest_profile_fits_exactly(chart: cdk8s.Chart, layout: str) -> None:
    """One profile is the largest in memory, the other in CPU: exactly N of each fit."""
    big_memory = NotebookProfile(
        chart,
        "Memory",
        display_name="Memory",
        cpu_limit="2",
        memory_request="1Gi",
        memory_limit="24Gi",
        volumes=[],
    )
    big_cpu = NotebookProfile(
        chart,
        "Cpu",
        display_name="Cpu",
        cpu_limit="16",
        memory_request="500M",
        memory_limit="8G",
        volumes=[],
    )
    jupyterhub = make_jupyterhub(chart, profiles=[big_memory, big_cpu])
    quota = HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub, user_servers=5)
    assert _admitted(chart, quota, jupyterhub, layout) == {"memory": 5, "cpu": 5}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_init_containers_count(chart: cdk8s.Chart, layout: str) -> None:
    """A chown init container larger than the notebook sets the pod's size: Kubernetes counts
    max(sum of containers, largest init container)."""
    home = UserVolume.host_path_volume(
        "home", "/data/home", mount_path="/home/jovyan", sub_path="{user}", owner=(1000, 1000)
    )
    profile = NotebookProfile(
        chart,
        "Small",
        display_name="Small",
        cpu_limit="1",
        memory_request="500M",
        memory_limit="1G",
        volumes=[home],
    )
    jupyterhub = make_jupyterhub(
        chart, profiles=[profile], user_pods=UserPods(init_cpu="3", init_memory="40Gi")
    )
    quota = HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub, user_servers=5)
    assert _admitted(chart, quota, jupyterhub, layout) == {"small": 5}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_largest_choice_fits_exactly(chart: cdk8s.Chart, layout: str) -> None:
    """A profile's choices may outgrow the profile: the quota counts the largest pod any
    combination of choices makes, in memory from one option and in CPU from another."""
    profile = NotebookProfile(
        chart,
        "Sized",
        display_name="Sized",
        cpu_limit="2",
        memory_request="1Gi",
        memory_limit="4Gi",
        options={
            "memory": ProfileOption(
                "Memory",
                {
                    "small": ProfileChoice("4 GiB"),
                    "big": ProfileChoice("24 GiB", memory_limit="24Gi"),
                },
            ),
            "cpu": ProfileOption(
                "CPU", {"few": ProfileChoice("2"), "many": ProfileChoice("16", cpu_limit="16")}
            ),
        },
    )
    jupyterhub = make_jupyterhub(chart, profiles=[profile])
    quota = HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub, user_servers=5)
    manifests = synth(chart)
    counts = {}
    for choices in ({"memory": "big", "cpu": "many"}, {"memory": "big"}, {"cpu": "many"}, {}):
        pod, *_ = render_user_objects(
            jupyterhub.hub.settings,
            namespace="jupyterhub",
            user="alice",
            admin=False,
            profile="sized",
            choices=choices,
        )
        counts[tuple(choices.values())] = _fill(_namespace(manifests, layout), inject(pod, layout))
    # The largest combination fits exactly; smaller ones fit at least as often.
    assert counts[("big", "many")] == quota.user_servers
    assert min(counts.values()) == quota.user_servers


@pytest.mark.parametrize("layout", LAYOUTS)
def test_extra_and_init_containers_count(chart: cdk8s.Chart, layout: str) -> None:
    """A profile's extra containers add to the pod; its init container, larger than them all,
    sets the pod's memory (max of the sum of containers and the largest init container)."""
    profile = NotebookProfile(
        chart,
        "Helped",
        display_name="Helped",
        cpu_limit="1",
        memory_request="500M",
        memory_limit="1G",
        extra_containers=[
            UserContainer(
                "cron", "quay.io/example/cron:1", resources=Resources("2", "1Gi", "3", "2Gi")
            )
        ],
        init_containers=[
            UserContainer(
                "fetch", "quay.io/example/fetch:1", resources=Resources("1", "8Gi", "1", "8Gi")
            )
        ],
    )
    jupyterhub = make_jupyterhub(chart, profiles=[profile])
    quota = HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub, user_servers=4)
    assert quota.user_server_usage.get("limits.memory") >= 8 * 2**30
    assert _admitted(chart, quota, jupyterhub, layout) == {"helped": 4}


def test_without_istio_and_gpus(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart, mesh=None)
    quota = HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub, user_servers=3, gpu_servers=0)
    assert _admitted(chart, quota, jupyterhub, "classic") == {
        "standard-notebook": 3,
        "gpu-notebook": 0,
    }


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    jupyterhub = make_jupyterhub(chart)
    HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub)
    assert find(synth(chart), "ResourceQuota") == snapshot_yaml


def test_overrides_replace_derived_entries(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    quota = HubResourceQuota(
        chart, "Quota", jupyterhub=jupyterhub, overrides={"limits.memory": "1Ti", "pods": "50"}
    )
    hard = find(synth(chart), "ResourceQuota")["spec"]["hard"]
    assert (hard["limits.memory"], hard["pods"]) == ("1Ti", "50")
    assert hard["requests.cpu"] == quota.hard["requests.cpu"]


def _error(chart: cdk8s.Chart, **props: Any) -> str:
    jupyterhub = make_jupyterhub(chart)
    with pytest.raises(ValueError) as error:
        HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub, **props)
    return str(error.value)


def test_fails_negative_user_servers(chart: cdk8s.Chart) -> None:
    assert _error(chart, user_servers=-1) == (
        "test/Quota: user_servers must be a whole number, 0 or more, got -1"
    )


def test_fails_more_gpu_servers_than_user_servers(chart: cdk8s.Chart) -> None:
    assert _error(chart, user_servers=2, gpu_servers=3) == (
        "test/Quota: gpu_servers must be at most user_servers (2): GPU servers are user "
        "servers, got 3"
    )


def test_fails_bad_override(chart: cdk8s.Chart) -> None:
    assert _error(chart, overrides={"limits.memory": "lots"}) == (
        "test/Quota: overrides['limits.memory'] must be a Kubernetes quantity such as '500m', "
        "'2', '256Mi' or '1G', got 'lots'"
    )


def test_fails_override_key(chart: cdk8s.Chart) -> None:
    assert _error(chart, overrides={"Limits Memory": "1Gi"}) == (
        "test/Quota: overrides must have keys naming quota resources: 'limits.memory', "
        "'requests.cpu', 'pods', 'count/<resource>', 'requests.<domain>/<extended resource>'..., "
        "got 'Limits Memory'"
    )


def test_fails_container_without_limits(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    cdk8s.ApiObject.of(jupyterhub.hub).add_json_patch(
        cdk8s.JsonPatch.remove("/spec/template/spec/containers/0/resources/limits")
    )
    with pytest.raises(ValueError) as error:
        HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub)
    assert str(error.value) == (
        "test/Quota: jupyterhub's StatefulSet/jupyterhub-hub must give every container CPU and "
        "memory requests and limits (the quota refuses pods without them), got "
        "'hub (limits.cpu), hub (limits.memory)'"
    )


def test_user_server_counts_as_kubespawner_renders_it(dev: HubResourceQuota) -> None:
    """The quota's user server is what KubeSpawner renders: memory in the pod is the profile's
    quantity read as Kubernetes reads it (a 32G limit, not 32 GiB)."""
    pod = _preview_pod("dev", "standard-notebook")
    limits = pod["spec"]["containers"][0]["resources"]["limits"]
    assert limits["memory"] == 32 * 10**9
    sidecar = 128 * 2**20
    assert dev.user_server_usage.get("limits.memory") == 32 * 10**9 + sidecar


def _pod(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {"metadata": {}, "spec": {"containers": list(containers), **spec}}


def _container(name: str, **resources: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "resources": resources}


def test_the_quota_stand_in_counts_pods_and_the_plain_resource_names() -> None:
    """As the API server's pod evaluator: ``pods`` counts each pod, ``cpu`` is the requests'
    total and needs a request in every container, a limit alone makes the request."""
    namespace = Namespace({"pods": "2", "cpu": "1"})
    small = _pod(_container("c", limits={"cpu": "300m"}))
    assert namespace.usage(small) == {"pods": 1, "cpu": Decimal("0.3")}
    assert not namespace.admit(_pod(_container("c")))  # no cpu request
    assert namespace.admit(small) and namespace.admit(small)
    assert not namespace.admit(small)  # a third pod


def test_the_quota_stand_in_adds_the_runtime_class_overhead() -> None:
    namespace = Namespace({"requests.memory": "1Gi", "limits.memory": "2Gi"})
    pod = _pod(
        _container("c", requests={"memory": "256Mi"}, limits={"memory": "512Mi"}),
        overhead={"memory": "64Mi"},
    )
    assert namespace.usage(pod) == {
        "requests.memory": Decimal(320 * 2**20),
        "limits.memory": Decimal(576 * 2**20),
    }
