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
from constructs_lib._core._companions import claim_companion
from constructs_lib._core._construct import LibraryConstruct
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


# A prop each companion checks only after it has claimed the hub.
LATE_MISTAKES: dict[str, Companion] = {
    "AuthProxyIngress": lambda c, id, h: AuthProxyIngress(
        c, id, proxy=h.proxy, ingress_class="Not A Class"
    ),
    "IstioIngress": lambda c, id, h: IstioIngress(c, id, jupyterhub=h, port=0),
}


@pytest.mark.parametrize("kind", LATE_MISTAKES)
@pytest.mark.parametrize("id", ["C", "C2"])
def test_a_companion_that_failed_leaves_the_hub_free(
    chart: cdk8s.Chart, kind: str, id: str
) -> None:
    """A retry after a mistake (same id or another) is not refused as a second one."""
    jupyterhub = make_jupyterhub(chart)
    value_error(lambda: LATE_MISTAKES[kind](chart, "C", jupyterhub))
    COMPANIONS[kind](chart, id, jupyterhub)
    assert [child.node.id for child in chart.node.children if child.node.id.startswith("C")] == [id]


class _FailsAfterItsClaim(LibraryConstruct):
    """Any constructor that fails once it has claimed the hub."""

    def __init__(self, scope: Construct, id: str, hub: object, *, fail: bool) -> None:
        super().__init__(scope, id)
        claim_companion(self, hub, field="jupyterhub", reads_profiles=True)
        if fail:
            raise ValueError("late")


def test_a_failed_constructor_releases_its_claim(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    value_error(lambda: _FailsAfterItsClaim(chart, "C", jupyterhub.hub, fail=True))
    _FailsAfterItsClaim(chart, "C", jupyterhub.hub, fail=False)
    assert value_error(lambda: _FailsAfterItsClaim(chart, "C2", jupyterhub.hub, fail=False)) == (
        "test/C2: jupyterhub must be a hub no _FailsAfterItsClaim is made for yet: test/C is, "
        "and both would create the same objects, got 'test/JupyterHub/Hub'"
    )


def test_a_failed_profile_reader_leaves_the_profiles_open(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    value_error(lambda: _FailsAfterItsClaim(chart, "C", jupyterhub.hub, fail=True))
    jupyterhub.add_profile(_profile(chart))
    assert "large" in [profile.slug for profile in jupyterhub.profiles]
