"""A constructor that fails leaves nothing behind: not its place in the tree (whose objects
would be synthesized half-made), nor the names and hubs it claimed (which would refuse the
corrected retry as a clash), for it and for the constructs it made before failing."""

from __future__ import annotations

from typing import cast

import cdk8s
from constructs import Construct

from constructs_lib import HubNamespace, IstioIngress, NotebookProfile, ProxyOptions
from tests.support.builders import make_jupyterhub, synth, value_error


def _ids(chart: cdk8s.Chart) -> list[str]:
    return [child.node.id for child in chart.node.children]


def test_a_failed_construct_leaves_the_tree(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: NotebookProfile(chart, "Profile", gpus=-1)).startswith(
        "test/Profile: gpus"
    )
    assert _ids(chart) == []
    NotebookProfile(chart, "Profile")
    assert _ids(chart) == ["Profile"]


def test_a_composite_that_failed_after_its_hub_can_be_made_again(chart: cdk8s.Chart) -> None:
    """JupyterHub makes its hub, then its proxy refuses an option: the hub goes too."""
    message = value_error(
        lambda: make_jupyterhub(chart, proxy_options=ProxyOptions(pre_stop_seconds=-1))
    )
    assert message == "test/JupyterHub/Proxy: pre_stop_seconds must be 0 or more, got -1"
    assert _ids(chart) == []
    jupyterhub = make_jupyterhub(chart)
    assert [m["metadata"]["name"] for m in synth(chart) if m["kind"] == "StatefulSet"] == [
        "jupyterhub-hub"
    ]
    IstioIngress(chart, "Istio", jupyterhub=jupyterhub)


def test_a_failed_namespace_leaves_its_cluster_name_free(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    namespaces = cdk8s.Chart(cast(Construct, chart.node.root), "namespace")
    # Refused after it claimed the cluster-scoped Namespace 'jupyterhub'.
    message = value_error(
        lambda: HubNamespace(namespaces, "Namespace", profiles=jupyterhub.profiles, istio_init=True)
    )
    assert message.startswith("namespace/Namespace: istio_init must be False"), message
    HubNamespace.for_jupyterhub(namespaces, "Retry", jupyterhub)
    assert [m["kind"] for m in cdk8s.Testing.synth(namespaces)] == ["Namespace"]
