"""User placeholders on the test cluster: a user pod that finds the node full of placeholders
preempts one and runs in its room (tests/cluster/scheduler.py follows kube-scheduler's
DefaultPreemption); the rules of that model on their own."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from constructs_lib import UserPods, UserScheduler
from hub_runtime.preview import render_user_objects
from tests.cluster.cluster import Cluster
from tests.cluster.kinds import kind_of_manifest
from tests.cluster.kubelet import NODE_NAME
from tests.cluster.network import is_ready
from tests.cluster.scheduler import (
    NodeCapacity,
    eligible_to_preempt,
    fit_score,
    requests,
    select_victims,
)
from tests.support.builders import find, make_chart, make_jupyterhub, synth

NAMESPACE = "jupyterhub"
PLACEHOLDER = "jupyterhub-user-placeholder"


def _wait(cluster: Cluster, what: str, done: Callable[[list[dict[str, Any]]], bool]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if done(cluster.pods()):
            return
        time.sleep(0.2)
    pods = [
        (p["metadata"]["name"], p["spec"].get("nodeName"), p.get("status")) for p in cluster.pods()
    ]
    raise TimeoutError(f"not {what} in 60 s: {pods}\n{cluster.logs()}")


def _placeholders(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in pods if p["metadata"]["name"].startswith(PLACEHOLDER)]


def _bound(pod: dict[str, Any]) -> bool:
    return pod["spec"].get("nodeName") == NODE_NAME and not pod["metadata"].get("deletionTimestamp")


@pytest.mark.slow
def test_user_pod_preempts_a_placeholder(tmp_path: Path) -> None:
    chart = make_chart()
    jupyterhub = make_jupyterhub(
        chart, mesh=None, user_pods=UserPods(placeholders=2, scheduler=UserScheduler())
    )
    manifests = synth(chart)
    config = json.loads(
        find(manifests, "ConfigMap", "jupyterhub-user-scheduler")["data"]["config.yaml"]
    )
    # The node the user scheduler would schedule on: its profiles' names are what it serves.
    served = [profile["schedulerName"] for profile in config["profiles"]]
    deployment = find(manifests, "Deployment", PLACEHOLDER)
    one = requests(deployment["spec"]["template"])
    # Room for two user servers and a half.
    capacity = NodeCapacity(
        cpu=f"{int(one['cpu'] * Decimal('2500'))}m", memory=str(int(one["memory"] * 5 // 2))
    )
    applied = [
        m
        for m in manifests
        if m["kind"] == "PriorityClass"
        or (m["kind"] == "ServiceAccount" and m["metadata"]["name"].endswith("singleuser-server"))
        or m is deployment
    ]
    kinds = {kind_of_manifest(m) for m in applied}
    with Cluster(NAMESPACE, kinds, {}, tmp_path, capacity=capacity, schedulers=served) as cluster:
        cluster.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}])
        cluster.apply(applied)
        _wait(
            cluster,
            "two placeholders bound",
            lambda pods: sum(map(_bound, _placeholders(pods))) == 2,
        )
        objects = render_user_objects(
            jupyterhub.hub.settings,
            namespace=NAMESPACE,
            user="ada",
            admin=False,
            profile="standard-notebook",
        )
        pod = next(o for o in objects if o["kind"] == "Pod")
        assert pod["spec"]["schedulerName"] == served[0]
        cluster.apply([pod])
        name = pod["metadata"]["name"]

        def preempted(pods: list[dict[str, Any]]) -> bool:
            user = next((p for p in pods if p["metadata"]["name"] == name), None)
            return user is not None and _bound(user) and len(_placeholders(pods)) == 1

        _wait(cluster, "the user pod bound in a placeholder's room", preempted)
        assert cluster.scheduler is not None
        assert len(cluster.scheduler.preempted) == 1
        user = next(p for p in cluster.pods() if p["metadata"]["name"] == name)
        assert user["spec"]["preemptionPolicy"] == "PreemptLowerPriority"
        assert user["status"].get("nominatedNodeName") == NODE_NAME
        (survivor,) = _placeholders(cluster.pods())
        assert _bound(survivor)


@pytest.mark.slow
def test_image_puller_pulls_and_stays(tmp_path: Path) -> None:
    """The puller's pod on the node: each init container runs in its image and exits 0, then
    the pause container stays, ready."""
    chart = make_chart()
    make_jupyterhub(chart, mesh=None, user_pods=UserPods(image_puller=True))
    manifests = synth(chart)
    applied = [m for m in manifests if m["kind"] == "PriorityClass" or m["kind"] == "DaemonSet"]
    kinds = {kind_of_manifest(m) for m in applied}
    with Cluster(NAMESPACE, kinds, {}, tmp_path) as cluster:
        cluster.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}])
        cluster.apply(applied)

        def pulled(pods: list[dict[str, Any]]) -> bool:
            return any(
                p["metadata"]["name"].startswith("jupyterhub-continuous-image-puller-")
                and is_ready(p)
                for p in pods
            )

        _wait(cluster, "the puller ready", pulled)
        (pod,) = cluster.pods()
        inits = pod["status"]["initContainerStatuses"]
        assert [s["state"]["terminated"]["exitCode"] for s in inits] == [0] * len(inits)
        assert [s["image"] for s in inits] == [
            c["image"]
            for c in find(manifests, "DaemonSet")["spec"]["template"]["spec"]["initContainers"]
        ]


def test_user_scheduler_packs_where_the_default_spreads() -> None:
    """Two nodes, one half full: the user scheduler's configuration (as synthesized) scores the
    busier node higher, kube-scheduler's default (LeastAllocated) the emptier one."""
    chart = make_chart()
    make_jupyterhub(chart, mesh=None, user_pods=UserPods(scheduler=UserScheduler()))
    config = json.loads(
        find(synth(chart), "ConfigMap", "jupyterhub-user-scheduler")["data"]["config.yaml"]
    )
    (fit,) = config["profiles"][0]["pluginConfig"]
    packing = fit["args"]["scoringStrategy"]
    user = _pod("user", 0, "1")
    busy: list[dict[str, Any]] = [_pod("a", 0, "2")]
    empty: list[dict[str, Any]] = []
    assert fit_score(packing, user, busy, NODE) > fit_score(packing, user, empty, NODE)
    assert fit_score({}, user, busy, NODE) < fit_score({}, user, empty, NODE)


def _pod(name: str, priority: int, cpu: str, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "creationTimestamp": f"2026-01-01T00:00:0{len(name) % 10}Z"},
        "spec": {
            "priority": priority,
            "containers": [{"name": "c", "resources": {"requests": {"cpu": cpu, "memory": "1Mi"}}}],
            **spec,
        },
    }


NODE = NodeCapacity(cpu="4", memory="1Gi")


def test_victims_are_the_fewest_of_the_lowest_priority() -> None:
    """SelectVictimsOnNode: the most important potential victims are reprieved first."""
    on_node = [
        _pod("a", -10, "1"),
        _pod("bb", -5, "1"),
        _pod("ccc", 0, "1"),
        _pod("dddd", -10, "1"),
    ]
    victims = select_victims(_pod("user", 0, "2"), on_node, NODE)
    assert victims is not None
    assert sorted(v["metadata"]["name"] for v in victims) == ["a", "dddd"]


def test_no_victims_when_evicting_all_lower_is_not_enough() -> None:
    on_node = [_pod("a", 0, "3"), _pod("b", -10, "1")]
    assert select_victims(_pod("user", 0, "2"), on_node, NODE) is None


def test_equal_priority_is_never_a_victim() -> None:
    on_node = [_pod("a", 0, "4")]
    assert select_victims(_pod("user", 0, "1"), on_node, NODE) is None


def test_never_policy_preempts_nothing() -> None:
    assert not eligible_to_preempt(_pod("user", 0, "1", preemptionPolicy="Never"), [])
    assert eligible_to_preempt(_pod("user", 0, "1", preemptionPolicy="PreemptLowerPriority"), [])


def test_nominated_pod_waits_for_its_victims() -> None:
    user = {**_pod("user", 0, "1"), "status": {"nominatedNodeName": NODE_NAME}}
    leaving = _pod("a", -10, "1")
    leaving["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert not eligible_to_preempt(user, [leaving])
    assert eligible_to_preempt(user, [])
