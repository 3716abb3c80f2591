"""Ready for bursts: user placeholders, the continuous image puller and the user scheduler, as
the hub makes them from ``UserPods``; their pods pass restricted Pod Security, the scheduler's
configuration kube-scheduler's schema, and the quota and the integrity check count them."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from typing import Any

import cdk8s
import pytest

from constructs_lib import (
    HubResourceQuota,
    JupyterHub,
    NotebookProfile,
    ProfileChoice,
    ProfileOption,
    UserPods,
    UserPriority,
    UserScheduler,
    find_dangling_references,
)
from constructs_lib._pods.burst import KUBE_SCHEDULER_IMAGE, PAUSE_IMAGE
from hub_runtime.preview import render_user_objects
from hub_runtime.quantity import parse_quantity
from tests.cluster.scheduler import requests
from tests.support.builders import find, make_jupyterhub, synth, value_error
from tests.support.kube_scheduler_config import scheduler_config_problems
from tests.support.pod_security import restricted_problems

BURST = UserPods(placeholders=3, image_puller=True, scheduler=UserScheduler())


def _hub(chart: cdk8s.Chart, user_pods: UserPods = BURST, **props: Any) -> JupyterHub:
    props.setdefault("mesh", None)
    return make_jupyterhub(chart, user_pods=user_pods, **props)


def _template(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = find(manifests, kind, name)["spec"]["template"]["spec"]
    return spec


def _user_pod(jupyterhub: JupyterHub, profile: str = "standard-notebook") -> dict[str, Any]:
    objects = render_user_objects(
        jupyterhub.hub.settings, namespace="jupyterhub", user="ada", admin=False, profile=profile
    )
    return next(o for o in objects if o["kind"] == "Pod")


def test_none_by_default(chart: cdk8s.Chart) -> None:
    jupyterhub = _hub(chart, UserPods())
    manifests = synth(chart)
    names = {m["metadata"]["name"] for m in manifests}
    assert not names & {
        "jupyterhub-user-placeholder",
        "jupyterhub-continuous-image-puller",
        "jupyterhub-user-scheduler",
    }
    assert find(manifests, "PriorityClass")["preemptionPolicy"] == "Never"
    assert "schedulerName" not in _user_pod(jupyterhub)["spec"]


def test_placeholders_below_user_pods(chart: cdk8s.Chart) -> None:
    _hub(chart)
    manifests = synth(chart)
    placeholder = find(manifests, "PriorityClass", "jupyterhub-user-placeholder")
    user = find(manifests, "PriorityClass", "jupyterhub-singleuser-server")
    assert (placeholder["value"], user["value"]) == (-10, 0)
    assert placeholder["preemptionPolicy"] == "Never"
    # kube-scheduler preempts nothing for a pod whose class says Never: with placeholders
    # the user pods' class preempts lower priorities.
    assert user["preemptionPolicy"] == "PreemptLowerPriority"
    deployment = find(manifests, "Deployment", "jupyterhub-user-placeholder")
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    spec = deployment["spec"]["template"]["spec"]
    assert spec["priorityClassName"] == "jupyterhub-user-placeholder"
    assert spec["containers"][0]["image"] == PAUSE_IMAGE


@pytest.mark.parametrize("mesh", [False, True])
def test_placeholder_holds_one_user_server(chart: cdk8s.Chart, mesh: bool) -> None:
    """The room one placeholder holds is what kube-scheduler counts for one user server of
    the default profile (the pod KubeSpawner makes; with a mesh, its injected sidecar)."""
    kwargs: dict[str, Any] = {} if mesh else {"mesh": None}
    jupyterhub = make_jupyterhub(chart, user_pods=BURST, **kwargs)
    spec = _template(synth(chart), "Deployment", "jupyterhub-user-placeholder")
    held = requests({"spec": spec})
    pod = _user_pod(jupyterhub)
    wanted = requests(pod)
    if mesh:  # Istio's sidecar, injected at admission with the pod's annotated resources
        annotations = pod["metadata"]["annotations"]
        wanted = {
            "cpu": wanted["cpu"] + parse_quantity(annotations["sidecar.istio.io/proxyCPU"]),
            "memory": wanted["memory"]
            + parse_quantity(annotations["sidecar.istio.io/proxyMemory"]),
        }
    assert held["cpu"] == wanted["cpu"]
    assert wanted["memory"] <= held["memory"] < wanted["memory"] + 2**20


def test_placeholders_placed_as_the_default_profile(chart: cdk8s.Chart) -> None:
    profiles = [
        NotebookProfile(chart, "Cpu", display_name="CPU", node_selector={"pool": "users"}),
        NotebookProfile(
            chart, "Big", display_name="Big", default=True, node_selector={"pool": "big"}
        ),
    ]
    _hub(chart, profiles=profiles)
    spec = _template(synth(chart), "Deployment", "jupyterhub-user-placeholder")
    assert spec["nodeSelector"] == {"pool": "big"}


def test_pods_pass_restricted_pod_security(chart: cdk8s.Chart) -> None:
    _hub(chart)
    manifests = synth(chart)
    for kind, name in (
        ("Deployment", "jupyterhub-user-placeholder"),
        ("DaemonSet", "jupyterhub-continuous-image-puller"),
        ("Deployment", "jupyterhub-user-scheduler"),
    ):
        assert restricted_problems(_template(manifests, kind, name)) == [], name


def test_puller_pulls_every_image(chart: cdk8s.Chart) -> None:
    option = ProfileOption(
        display_name="Image",
        choices={
            "scipy": ProfileChoice(display_name="SciPy", default=True),
            "r": ProfileChoice(display_name="R", image="quay.io/jupyter/r-notebook:2025-01-06"),
        },
    )
    profiles = [
        NotebookProfile(chart, "Standard", display_name="Standard", options={"image": option}),
        NotebookProfile(
            chart,
            "Gpu",
            display_name="GPU",
            gpus=1,
            image="quay.io/jupyter/pytorch-notebook:cuda12-2025-01-06",
        ),
    ]
    jupyterhub = _hub(chart, profiles=profiles)
    spec = _template(synth(chart), "DaemonSet", "jupyterhub-continuous-image-puller")
    pulled = [c["image"] for c in spec["initContainers"]]
    assert pulled == [
        jupyterhub.profiles[0].settings.image,
        "quay.io/jupyter/r-notebook:2025-01-06",
        "quay.io/jupyter/pytorch-notebook:cuda12-2025-01-06",
    ]
    assert {c["command"][0] for c in spec["initContainers"]} == {"/bin/sh"}
    # It goes where the GPU profile's pods go too.
    assert spec["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    # Above the placeholders: it may preempt them on a node they fill.
    assert spec["priorityClassName"] == "jupyterhub-singleuser-server"


def test_puller_follows_added_profiles(chart: cdk8s.Chart) -> None:
    jupyterhub = _hub(chart)
    jupyterhub.add_profile(
        NotebookProfile(chart, "R", display_name="R", image="quay.io/jupyter/r-notebook:2025-01-06")
    )
    spec = _template(synth(chart), "DaemonSet", "jupyterhub-continuous-image-puller")
    assert spec["initContainers"][-1]["image"] == "quay.io/jupyter/r-notebook:2025-01-06"


def test_scheduler_config_is_valid_and_packs(chart: cdk8s.Chart) -> None:
    _hub(chart)
    manifests = synth(chart)
    config = json.loads(
        find(manifests, "ConfigMap", "jupyterhub-user-scheduler")["data"]["config.yaml"]
    )
    assert scheduler_config_problems(config) == []
    assert config["leaderElection"] == {
        "leaderElect": True,
        "resourceLock": "leases",
        "resourceName": "jupyterhub-user-scheduler-lock",
        "resourceNamespace": "jupyterhub",
    }
    (profile,) = config["profiles"]
    assert profile["schedulerName"] == "jupyterhub-user-scheduler"
    (fit,) = profile["pluginConfig"]
    assert fit["args"]["scoringStrategy"]["type"] == "MostAllocated"


def test_schema_refuses_what_kube_scheduler_refuses() -> None:
    """The schema is no rubber stamp: an unknown field, plugin or strategy is an error."""
    base: dict[str, Any] = {
        "apiVersion": "kubescheduler.config.k8s.io/v1",
        "kind": "KubeSchedulerConfiguration",
    }
    assert scheduler_config_problems(base) == []
    assert scheduler_config_problems({**base, "leaderElect": True})
    assert scheduler_config_problems(
        {**base, "profiles": [{"plugins": {"score": {"enabled": [{"name": "MostAllocated"}]}}}]}
    )
    assert scheduler_config_problems(
        {
            **base,
            "profiles": [
                {
                    "pluginConfig": [
                        {"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "Most"}}}
                    ]
                }
            ],
        }
    )
    assert scheduler_config_problems(
        {**base, "profiles": [{"plugins": {"score": {"enabled": [{"name": "NodeAffinity"}]}}}]}
    )


def test_user_pods_and_placeholders_name_the_scheduler(chart: cdk8s.Chart) -> None:
    jupyterhub = _hub(chart)
    manifests = synth(chart)
    assert _user_pod(jupyterhub)["spec"]["schedulerName"] == "jupyterhub-user-scheduler"
    placeholders = _template(manifests, "Deployment", "jupyterhub-user-placeholder")
    assert placeholders["schedulerName"] == "jupyterhub-user-scheduler"


def test_scheduler_deployment_and_rbac(chart: cdk8s.Chart) -> None:
    _hub(chart)
    manifests = synth(chart)
    deployment = find(manifests, "Deployment", "jupyterhub-user-scheduler")
    assert deployment["spec"]["replicas"] == 2
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == KUBE_SCHEDULER_IMAGE
    assert container["command"][:2] == [
        "/usr/local/bin/kube-scheduler",
        "--config=/etc/user-scheduler/config.yaml",
    ]
    role = find(manifests, "ClusterRole", "jupyterhub-user-scheduler")

    def allows(group: str, resource: str, verb: str, name: str | None = None) -> bool:
        return any(
            group in r["apiGroups"]
            and resource in r["resources"]
            and verb in r["verbs"]
            and (name is None or name in r.get("resourceNames", [name]))
            for r in role["rules"]
        )

    # Binding, preemption and its leader election's lease.
    assert allows("", "pods/binding", "create")
    assert allows("", "pods", "delete")
    assert allows("", "pods/status", "patch")
    assert allows("coordination.k8s.io", "leases", "update", "jupyterhub-user-scheduler-lock")
    assert not allows("coordination.k8s.io", "leases", "update", "kube-scheduler")
    binding = find(manifests, "ClusterRoleBinding", "jupyterhub-user-scheduler")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "jupyterhub-user-scheduler", "namespace": "jupyterhub"}
    ]


def test_integrity_counts_them(chart: cdk8s.Chart) -> None:
    jupyterhub = _hub(chart)
    manifests = synth(chart)
    pod = _user_pod(jupyterhub)
    problems = find_dangling_references([*manifests, pod])
    assert not [p for p in problems if "Scheduler" in p or "placeholder" in p or "puller" in p]
    # Without the scheduler's configuration, every pod naming it dangles.
    without = [m for m in manifests if m["metadata"]["name"] != "jupyterhub-user-scheduler"]
    dangling = [p for p in find_dangling_references([*without, pod]) if "Scheduler/" in p]
    assert sorted(p.split(" ")[0] for p in dangling) == [
        "Deployment/jupyterhub-user-placeholder",
        f"Pod/{pod['metadata']['name']}",
    ]


def test_quota_counts_them(chart: cdk8s.Chart) -> None:
    plain = cdk8s.Chart(cdk8s.Testing.app(), "plain", namespace="jupyterhub")
    without = HubResourceQuota(plain, "Quota", jupyterhub=_hub(plain, UserPods()))
    quota = HubResourceQuota(chart, "Quota", jupyterhub=_hub(chart))
    assert quota.nodes == 8 + 3  # user servers and placeholders
    added = {
        key: quota.app_usage.get(key) - without.app_usage.get(key)
        for key in ("requests.cpu", "limits.memory")
    }
    placeholders = _template(synth(chart), "Deployment", "jupyterhub-user-placeholder")
    one = requests({"spec": placeholders})
    # 3 placeholders; 11 puller pods, each its init containers' 10m and 32Mi (they run one at
    # a time, before the pause container's 1m and 8Mi); 2 schedulers and the rolling update's
    # surge of one.
    cpu = 3 * one["cpu"] + 11 * Decimal("0.010") + 3 * Decimal("0.05")
    assert added["requests.cpu"] == cpu
    memory = 3 * one["memory"] + 11 * 32 * 2**20 + 3 * 512 * 2**20
    assert added["limits.memory"] == memory


def test_quota_nodes_given(chart: cdk8s.Chart) -> None:
    quota = HubResourceQuota(chart, "Quota", jupyterhub=_hub(chart), nodes=4)
    assert quota.nodes == 4


def test_fails_negative_nodes(chart: cdk8s.Chart) -> None:
    jupyterhub = _hub(chart)
    assert value_error(
        lambda: HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub, nodes=-1)
    ) == ("test/Quota: nodes must be a whole number, 0 or more, got -1")


def _error(chart: cdk8s.Chart, **user_pods: Any) -> str:
    return value_error(lambda: _hub(chart, UserPods(**user_pods)))


def test_fails_negative_placeholders(chart: cdk8s.Chart) -> None:
    assert _error(chart, placeholders=-1) == (
        "test/JupyterHub/Hub: user_pods.placeholders must be a whole number, 0 or more, got -1"
    )


def test_fails_placeholder_priority_not_below_users(chart: cdk8s.Chart) -> None:
    priority = UserPriority.created(value=-10)
    assert _error(chart, placeholders=1, priority=priority) == (
        "test/JupyterHub/Hub: user_pods.placeholder_priority must be below the user pods' "
        "priority (-10): only pods of lower priority are preempted for them, got -10"
    )


def test_fails_placeholder_priority_below_cutoff(chart: cdk8s.Chart) -> None:
    assert _error(chart, placeholders=1, placeholder_priority=-11) == (
        "test/JupyterHub/Hub: user_pods.placeholder_priority must be -10 or more (the cluster "
        "autoscaler's cutoff: pending pods below it never add a node), got -11"
    )


def test_fails_bad_scheduler_replicas(chart: cdk8s.Chart) -> None:
    assert _error(chart, scheduler=UserScheduler(replicas=0)) == (
        "test/JupyterHub/Hub: user_pods.scheduler.replicas must be a whole number from 1 to 10, "
        "got 0"
    )


def test_fails_image_puller_not_bool(chart: cdk8s.Chart) -> None:
    assert _error(chart, image_puller="yes") == (
        "test/JupyterHub/Hub: user_pods.image_puller must be True or False, got 'yes'"
    )


def test_fails_two_hubs_of_one_release_with_placeholders(chart: cdk8s.Chart) -> None:
    other = cdk8s.Chart(chart.node.scope, "other", namespace="other")  # type: ignore[arg-type]
    _hub(chart)
    own_class = dataclasses.replace(BURST, priority=UserPriority.created(name="other-users"))
    assert value_error(lambda: _hub(other, own_class)) == (
        "other/JupyterHub/Hub: release must differ from that of test/JupyterHub/Hub (in "
        "namespace 'jupyterhub'): both would create the cluster-scoped PriorityClass "
        "'jupyterhub-user-placeholder', and deleting either's app would delete the other's (or "
        "let one of them run placeholders: user_pods.placeholders=0 for the other), got "
        "'jupyterhub'"
    )


def test_fails_scheduler_without_namespace() -> None:
    chart = cdk8s.Chart(cdk8s.Testing.app(), "test")
    assert value_error(
        lambda: make_jupyterhub(chart, user_pods=UserPods(scheduler=UserScheduler()))
    ).startswith(
        "test/JupyterHub/Hub: user_pods.scheduler needs the hub's chart to have a namespace: its "
        "ClusterRoleBinding and leader election Lease name the namespace it runs in, got "
    )
