"""The constructs made for a hub (policies, quota, ingresses) are made once, in its namespace,
and after its last profile: otherwise they would serve nothing, emit the same objects twice,
or keep sizes and a Pod Security level the profiles no longer have."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import cdk8s
import pytest
from constructs import Construct

from constructs_lib import (
    AuthProxyIngress,
    HubNamespace,
    HubNetworkPolicies,
    HubResourceQuota,
    IstioIngress,
    JupyterHub,
    NetworkPeer,
    NotebookProfile,
)
from tests.support.builders import make_chart, make_jupyterhub, value_error

GATEWAY = NetworkPeer.ISTIO_INGRESS_GATEWAY

Companion = Callable[[cdk8s.Chart, str, JupyterHub], object]

COMPANIONS: dict[str, Companion] = {
    "AuthProxyIngress": lambda c, id, h: AuthProxyIngress(c, id, proxy=h.proxy),
    "HubNetworkPolicies": lambda c, id, h: HubNetworkPolicies(
        c, id, jupyterhub=h, ingress_from=GATEWAY
    ),
    "HubResourceQuota": lambda c, id, h: HubResourceQuota(c, id, jupyterhub=h),
    "IstioIngress": lambda c, id, h: IstioIngress(c, id, jupyterhub=h),
}
# The field each names the hub by.
FIELDS = {"AuthProxyIngress": "proxy"}


def _beside(chart: cdk8s.Chart, id: str, **props: Any) -> cdk8s.Chart:
    """Another chart of the same app."""
    return cdk8s.Chart(cast(Construct, chart.node.root), id, **props)


@pytest.mark.parametrize("kind", COMPANIONS)
def test_a_companion_in_another_namespace_is_refused(chart: cdk8s.Chart, kind: str) -> None:
    jupyterhub = make_jupyterhub(chart)
    other = _beside(chart, "other", namespace="elsewhere")
    message = value_error(lambda: COMPANIONS[kind](other, "C", jupyterhub))
    assert message.startswith(
        "other/C: namespace must be 'jupyterhub', the namespace of the chart of test/JupyterHub/Hub"
    ), message
    assert message.endswith("got 'elsewhere'"), message


@pytest.mark.parametrize("kind", COMPANIONS)
def test_a_second_companion_of_one_hub_is_refused(chart: cdk8s.Chart, kind: str) -> None:
    jupyterhub = make_jupyterhub(chart)
    COMPANIONS[kind](chart, "C", jupyterhub)
    message = value_error(lambda: COMPANIONS[kind](chart, "C2", jupyterhub))
    field = FIELDS.get(kind, "jupyterhub")
    assert message == (
        f"test/C2: {field} must be a hub no {kind} is made for yet: test/C is, and both "
        "would create the same objects, got 'test/JupyterHub/Hub'"
    )


def test_companions_of_two_hubs_are_made(chart: cdk8s.Chart) -> None:
    """One of each per hub: two hubs of two releases each get theirs."""
    first = make_jupyterhub(chart)
    second = make_jupyterhub(chart, "Second", release="second")
    for kind, make in COMPANIONS.items():
        make(chart, kind, first)
        make(chart, f"{kind}2", second)
    assert {child.node.id for child in chart.node.children} >= {*COMPANIONS, "IstioIngress2"}


def _profile(chart: cdk8s.Chart) -> NotebookProfile:
    return NotebookProfile(chart, "Large", display_name="Large", cpu_limit="8")


def test_add_profile_after_the_quota_is_refused(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub)
    large = _profile(chart)
    assert value_error(lambda: jupyterhub.add_profile(large)) == (
        "test/JupyterHub/Hub: profile must be added before test/Quota (HubResourceQuota) is "
        "made from the profiles, which it would not see: add every profile first, got 'large'"
    )
    assert large not in jupyterhub.profiles


def test_add_profile_after_the_namespace_is_refused(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    namespaces = _beside(chart, "namespace")
    HubNamespace.for_jupyterhub(namespaces, "Namespace", jupyterhub)
    message = value_error(lambda: jupyterhub.add_profile(_profile(chart)))
    assert message.startswith(
        "test/JupyterHub/Hub: profile must be added before namespace/Namespace (HubNamespace)"
    ), message


def _quota_cpu(add: bool) -> str:
    """The quota's CPU limit for a standard and a large profile: both given, or one added."""
    chart = make_chart()
    standard = NotebookProfile(chart, "Standard", display_name="Standard", default=True)
    large = _profile(chart)
    jupyterhub = make_jupyterhub(chart, profiles=[standard] if add else [standard, large])
    if add:
        jupyterhub.add_profile(large)
    HubNamespace.for_jupyterhub(_beside(chart, "namespace"), "N", jupyterhub)
    return HubResourceQuota(chart, "Quota", jupyterhub=jupyterhub).hard["limits.cpu"]


def test_add_profile_before_both_is_taken() -> None:
    assert _quota_cpu(add=True) == _quota_cpu(add=False)
