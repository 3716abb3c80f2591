"""Scheduling: node selector, tolerations and affinity for user pods (through KubeSpawner),
the hub and the proxy; valid against every Kubernetes version's strict schema."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    GPU_TOLERATION,
    HubOptions,
    HubStatefulSet,
    NodeAffinityTerm,
    NodeOperator,
    NodeRequirement,
    NotebookProfile,
    PodAffinityTerm,
    ProxyOptions,
    TaintEffect,
    Toleration,
    TolerationOperator,
)
from hub_runtime.preview import render_user_objects
from tests.support.builders import find, make_chart, make_hub, synth, value_error
from tests.support.constants import VERSIONS
from tests.support.kube_schemas import validate_strictly

SELECTOR = {"node.kubernetes.io/instance-type": "m5.xlarge"}
TOLERATIONS = (
    Toleration.equal("dedicated", "jupyter", TaintEffect.NO_SCHEDULE),
    Toleration.exists(
        "node.kubernetes.io/unreachable", TaintEffect.NO_EXECUTE, toleration_seconds=60
    ),
)
AFFINITY = (
    NodeAffinityTerm.required(NodeRequirement.in_("topology.kubernetes.io/zone", "a", "b")),
    NodeAffinityTerm.preferred(50, NodeRequirement.greater_than("example.org/cores", 8)),
    PodAffinityTerm.together({"app": "cache"}, weight=10),
    PodAffinityTerm.apart_from({"app.kubernetes.io/component": "hub"}),
)
EXPECTED_AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {
                    "matchExpressions": [
                        {
                            "key": "topology.kubernetes.io/zone",
                            "operator": "In",
                            "values": ["a", "b"],
                        }
                    ]
                }
            ]
        },
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 50,
                "preference": {
                    "matchExpressions": [
                        {"key": "example.org/cores", "operator": "Gt", "values": ["8"]}
                    ]
                },
            }
        ],
    },
    "podAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 10,
                "podAffinityTerm": {
                    "labelSelector": {"matchLabels": {"app": "cache"}},
                    "topologyKey": "kubernetes.io/hostname",
                },
            }
        ]
    },
    "podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {
                "labelSelector": {"matchLabels": {"app.kubernetes.io/component": "hub"}},
                "topologyKey": "kubernetes.io/hostname",
            }
        ]
    },
}
EXPECTED_TOLERATIONS = [
    {"key": "dedicated", "operator": "Equal", "value": "jupyter", "effect": "NoSchedule"},
    {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 60,
    },
]


def _hub(chart: cdk8s.Chart, *profiles: NotebookProfile, **props: Any) -> HubStatefulSet:
    if profiles:
        props["profiles"] = list(profiles)
    options = ProxyOptions(node_selector=SELECTOR, tolerations=TOLERATIONS, affinity=AFFINITY)
    return make_hub(chart, proxy={"options": options}, **props)


def _user_pod(hub: HubStatefulSet, profile: str) -> dict[str, Any]:
    pod, *_ = render_user_objects(
        hub.settings, namespace="jupyterhub", user="alice", admin=False, profile=profile
    )
    return pod


def _placed(chart: cdk8s.Chart) -> HubStatefulSet:
    profile = NotebookProfile(
        chart,
        "Placed",
        display_name="Placed",
        node_selector=SELECTOR,
        tolerations=TOLERATIONS,
        affinity=AFFINITY,
    )
    return _hub(
        chart,
        profile,
        options=HubOptions(node_selector=SELECTOR, tolerations=TOLERATIONS, affinity=AFFINITY),
    )


def test_snapshot(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    """The profile's KubeSpawner override, and the hub's and the proxy's pod spec fields."""
    hub = _placed(chart)
    manifests = synth(chart)
    fields = ("nodeSelector", "tolerations", "affinity")
    pods = {
        kind: {
            k: v
            for k, v in find(manifests, kind)["spec"]["template"]["spec"].items()
            if k in fields
        }
        for kind in ("StatefulSet", "Deployment")
    }
    assert {"profile": hub.settings.profiles[0].scheduling, **pods} == snapshot_yaml


def test_profile_rules_reach_the_user_pod(chart: cdk8s.Chart) -> None:
    spec = _user_pod(_placed(chart), "placed")["spec"]
    assert spec["nodeSelector"] == SELECTOR
    assert spec["tolerations"] == EXPECTED_TOLERATIONS
    assert spec["affinity"] == EXPECTED_AFFINITY


def test_hub_and_proxy_pods_are_placed(chart: cdk8s.Chart) -> None:
    _placed(chart)
    manifests = synth(chart)
    for kind in ("StatefulSet", "Deployment"):
        spec = find(manifests, kind)["spec"]["template"]["spec"]
        assert spec["nodeSelector"] == SELECTOR, kind
        assert spec["tolerations"] == EXPECTED_TOLERATIONS, kind
        assert spec["affinity"] == EXPECTED_AFFINITY, kind


def test_nothing_placed_unless_asked(chart: cdk8s.Chart) -> None:
    hub = _hub(chart)
    spec = find(synth(chart), "StatefulSet")["spec"]["template"]["spec"]
    assert not {"nodeSelector", "tolerations", "affinity"} & set(spec)
    pod = _user_pod(hub, "standard-notebook")["spec"]
    assert not pod.get("nodeSelector") and not pod.get("tolerations") and not pod.get("affinity")


def test_gpu_profile_tolerates_the_gpu_taint(chart: cdk8s.Chart) -> None:
    gpu = NotebookProfile(chart, "Gpu", display_name="GPU", gpus=1, runtime_class_name="nvidia")
    hub = _hub(chart, gpu)
    assert _user_pod(hub, "gpu")["spec"]["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert GPU_TOLERATION.operator is TolerationOperator.EXISTS


def test_gpu_toleration_can_be_replaced(chart: cdk8s.Chart) -> None:
    none = NotebookProfile(chart, "None", display_name="None", gpus=1, tolerations=())
    own = NotebookProfile(
        chart, "Own", display_name="Own", gpus=1, tolerations=[Toleration.exists("gpu")]
    )
    assert "tolerations" not in none.settings.scheduling
    assert own.settings.scheduling["tolerations"] == [{"key": "gpu", "operator": "Exists"}]


@pytest.mark.parametrize("version", VERSIONS, ids=str)
def test_validates_strictly(version: Any) -> None:
    chart = make_chart()
    profile = NotebookProfile(
        chart, "Placed", display_name="Placed", gpus=1, node_selector=SELECTOR, affinity=AFFINITY
    )
    hub = _hub(
        chart,
        profile,
        kubernetes_version=version,
        options=HubOptions(node_selector=SELECTOR, tolerations=TOLERATIONS, affinity=AFFINITY),
    )
    manifests = [*synth(chart), {"apiVersion": "v1", **_user_pod(hub, "placed")}]
    for manifest in manifests:
        if manifest["kind"] in ("StatefulSet", "Deployment", "Pod"):
            validate_strictly(manifest, version)


def _error(chart: cdk8s.Chart, **props: Any) -> str:
    return value_error(lambda: NotebookProfile(chart, "Profile", **props))


def test_fails_exists_with_value(chart: cdk8s.Chart) -> None:
    toleration = Toleration("gpu", TolerationOperator.EXISTS, "yes")
    assert _error(chart, tolerations=[toleration]) == (
        "test/Profile: tolerations[0].value must not be given with operator Exists (it matches "
        "any value), got 'yes'"
    )


def test_fails_unknown_effect(chart: cdk8s.Chart) -> None:
    toleration = Toleration("gpu", TolerationOperator.EXISTS, None, "NoSchedul")  # type: ignore[arg-type]
    assert _error(chart, tolerations=[toleration]) == (
        "test/Profile: tolerations[0].effect must be one of TaintEffect.NO_SCHEDULE, "
        "TaintEffect.PREFER_NO_SCHEDULE, TaintEffect.NO_EXECUTE (the member, not its string) "
        "(or None: all), got 'NoSchedul'"
    )


def test_fails_toleration_seconds_without_no_execute(chart: cdk8s.Chart) -> None:
    toleration = Toleration.exists("gpu", TaintEffect.NO_SCHEDULE, toleration_seconds=5)
    assert _error(chart, tolerations=[toleration]) == (
        "test/Profile: tolerations[0].toleration_seconds must only be given with effect "
        "NoExecute (other effects never evict), got 5"
    )


def test_fails_equal_without_key(chart: cdk8s.Chart) -> None:
    assert _error(chart, tolerations=[Toleration(value="x")]) == (
        "test/Profile: tolerations[0].operator must be Exists when no key is given (it then "
        "tolerates every taint), got 'Equal'"
    )


def test_fails_bad_label_key(chart: cdk8s.Chart) -> None:
    assert _error(chart, node_selector={"-disk": "ssd"}) == (
        "test/Profile: node_selector must be a label key: an optional DNS-subdomain prefix and "
        "'/', then 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or "
        "digit, got '-disk'"
    )


def test_fails_bad_label_value(chart: cdk8s.Chart) -> None:
    assert _error(chart, node_selector={"disk": "fast ssd"}) == (
        "test/Profile: node_selector['disk'] must be a label value: at most 63 letters, digits, "
        "'-', '_' or '.', starting and ending with a letter or digit (or empty), got 'fast ssd'"
    )


def test_fails_in_without_values(chart: cdk8s.Chart) -> None:
    term = NodeAffinityTerm.required(NodeRequirement.in_("zone"))
    assert _error(chart, affinity=[term]) == (
        "test/Profile: affinity[0].requirements[0].values must name at least one value for "
        "operator In, got []"
    )


def test_fails_gt_not_a_number(chart: cdk8s.Chart) -> None:
    term = NodeAffinityTerm.required(NodeRequirement("cores", NodeOperator.GT, ("many",)))
    assert _error(chart, affinity=[term]) == (
        "test/Profile: affinity[0].requirements[0].values must be one whole number for "
        "operator Gt, got ['many']"
    )


def test_fails_weight_out_of_range(chart: cdk8s.Chart) -> None:
    term = PodAffinityTerm.apart_from({"app": "x"}, weight=101)
    assert _error(chart, affinity=[term]) == (
        "test/Profile: affinity[0].weight must be a whole number from 1 to 100, got 101"
    )


def test_fails_pod_term_without_labels(chart: cdk8s.Chart) -> None:
    assert _error(chart, affinity=[PodAffinityTerm.together({})]) == (
        "test/Profile: affinity[0].match_labels must name at least one label, got {}"
    )


def test_fails_one_toleration_not_in_a_list(chart: cdk8s.Chart) -> None:
    assert _error(chart, tolerations=GPU_TOLERATION).startswith(
        "test/Profile: tolerations must be a list of Toleration, got "
    )


def test_fails_hub_toleration(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _hub(chart, tolerations=[Toleration("gpu", TolerationOperator.EXISTS, "yes")])
    assert str(error.value) == (
        "test/Hub: tolerations[0].value must not be given with operator Exists (it matches "
        "any value), got 'yes'"
    )
