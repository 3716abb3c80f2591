"""The PriorityClass user pods name exists: the app creates it, or declares it a prerequisite."""

from __future__ import annotations

from typing import Any

import cdk8s

from constructs_lib import JupyterHub, Prerequisite, UserPods, UserPriority
from tests.support.builders import find, make_jupyterhub, synth, value_error


def _hub(chart: cdk8s.Chart, **user_pods: Any) -> tuple[JupyterHub, list[dict[str, Any]]]:
    jupyterhub = make_jupyterhub(chart, user_pods=UserPods(**user_pods))
    return jupyterhub, synth(chart)


def test_created_by_default(chart: cdk8s.Chart) -> None:
    jupyterhub, manifests = _hub(chart)
    priority_class = find(manifests, "PriorityClass")
    assert priority_class == {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {
            "name": "jupyterhub-singleuser-server",
            "labels": {
                "app.kubernetes.io/name": "jupyterhub",
                "app.kubernetes.io/component": "singleuser-server",
            },
        },
        "value": 0,
        "globalDefault": False,
        "preemptionPolicy": "Never",
        "description": "JupyterHub user servers: never preempt other pods, and are not "
        "preempted by pods without a priority class.",
    }
    assert jupyterhub.hub.settings.spawner.priority_class_name == "jupyterhub-singleuser-server"


def test_created_with_a_name_and_value(chart: cdk8s.Chart) -> None:
    jupyterhub, manifests = _hub(chart, priority=UserPriority.created(name="notebooks", value=-5))
    priority_class = find(manifests, "PriorityClass", "notebooks")
    assert priority_class["value"] == -5
    assert jupyterhub.hub.settings.spawner.priority_class_name == "notebooks"


def test_existing_is_a_prerequisite(chart: cdk8s.Chart) -> None:
    priority = UserPriority.existing("low", reason="the cluster's class for batch work")
    jupyterhub, manifests = _hub(chart, priority=priority)
    assert [m for m in manifests if m["kind"] == "PriorityClass"] == []
    assert jupyterhub.hub.settings.spawner.priority_class_name == "low"
    assert priority.prerequisite("jupyterhub") == Prerequisite(
        "PriorityClass", "low", "the cluster's class for batch work"
    )


def test_none_names_no_class(chart: cdk8s.Chart) -> None:
    jupyterhub, manifests = _hub(chart, priority=None)
    assert [m for m in manifests if m["kind"] == "PriorityClass"] == []
    assert jupyterhub.hub.settings.spawner.priority_class_name is None


def _error(chart: cdk8s.Chart, priority: UserPriority) -> str:
    return value_error(lambda: _hub(chart, priority=priority))


def test_fails_positive_value(chart: cdk8s.Chart) -> None:
    assert _error(chart, UserPriority.created(value=1000)) == (
        "test/JupyterHub/Hub: user_pods.priority.value must be a whole number, 0 or less (user "
        "servers must not outrank other workloads), got 1000"
    )


def test_fails_existing_without_reason(chart: cdk8s.Chart) -> None:
    assert _error(chart, UserPriority.existing("low", reason=" ")) == (
        "test/JupyterHub/Hub: user_pods.priority must name an existing PriorityClass and say "
        "where it comes from, got 'low'"
    )


def test_fails_bad_name(chart: cdk8s.Chart) -> None:
    assert _error(chart, UserPriority.created(name="Low")) == (
        "test/JupyterHub/Hub: user_pods.priority.name must be a DNS subdomain (dot-separated "
        "DNS labels, at most 253 characters), got 'Low'"
    )
