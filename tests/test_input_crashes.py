"""Bad input that used to crash inside the library (an AttributeError, a KeyError, a bare
TypeError or a Node.js trace) is a ValueError naming the construct's path and the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cdk8s
import pytest

from constructs_lib import (
    HeaderTrust,
    HubNamespace,
    HubNetworkPolicies,
    HubOptions,
    HubResourceQuota,
    ImagePullPolicy,
    IstioIngress,
    NetworkPeer,
    NotebookProfile,
    ProfileChoice,
    ProfileOption,
    VaultDelivery,
    VaultSecret,
)
from tests.support.builders import make_jupyterhub, synth, value_error
from tests.support.constants import HOSTS, TOKEN


def _image_choice(chart: cdk8s.Chart, **sizes: Any) -> NotebookProfile:
    choice = ProfileChoice("A", **sizes)
    return NotebookProfile(chart, "P", options={"image": ProfileOption("Image", {"a": choice})})


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        (
            {"memory_limit": "1M"},
            "test/P: options['image'='a'].memory_limit must be at least "
            "options['image'='a'].memory_request (245Mi), got '1Mi'",
        ),
        (
            {"memory_request": "64G"},
            "test/P: options['image'='a'].memory_limit must be at least "
            "options['image'='a'].memory_request (61036Mi), got '30518Mi'",
        ),
    ],
)
def test_fails_a_choice_whose_memory_limit_is_below_its_request(
    chart: cdk8s.Chart, sizes: dict[str, str], message: str
) -> None:
    assert value_error(lambda: _image_choice(chart, **sizes)) == message


def test_a_pull_policy_may_be_the_string_kubernetes_writes(chart: cdk8s.Chart) -> None:
    profile = NotebookProfile(chart, "P", image_pull_policy="Always")  # type: ignore[arg-type]
    assert profile.settings.image_pull_policy == ImagePullPolicy.ALWAYS.value


def test_fails_an_unknown_pull_policy(chart: cdk8s.Chart) -> None:
    assert value_error(
        lambda: NotebookProfile(chart, "P", image_pull_policy="Sometimes")  # type: ignore[arg-type]
    ) == (
        "test/P: image_pull_policy must be one of ImagePullPolicy.ALWAYS, "
        "ImagePullPolicy.IF_NOT_PRESENT, ImagePullPolicy.NEVER or its value ('Always', "
        "'IfNotPresent', 'Never'), got 'Sometimes'"
    )


def test_fails_a_props_pull_policy_given_as_a_string(chart: cdk8s.Chart) -> None:
    options = HubOptions(image_pull_policy="Always")  # type: ignore[arg-type]
    assert value_error(lambda: make_jupyterhub(chart, hub_options=options)) == (
        "test/JupyterHub/Hub: image_pull_policy must be one of ImagePullPolicy.ALWAYS, "
        "ImagePullPolicy.IF_NOT_PRESENT, ImagePullPolicy.NEVER (the member, not its string), "
        "got 'Always'"
    )


def test_a_vault_delivery_may_be_its_string(chart: cdk8s.Chart) -> None:
    secret = VaultSecret(chart, "V", delivery="kustomize-generator")  # type: ignore[arg-type]
    assert secret.delivery is VaultDelivery(secret.delivery.value)
    assert value_error(
        lambda: VaultSecret(chart, "W", delivery="sometimes")  # type: ignore[arg-type]
    ).startswith("test/W: delivery must be one of VaultDelivery.")


def _quota(chart: cdk8s.Chart, **props: Any) -> HubResourceQuota:
    jupyterhub = make_jupyterhub(chart)
    props.setdefault("jupyterhub", jupyterhub)
    if props["jupyterhub"] == "its hub":
        props["jupyterhub"] = jupyterhub.hub
    return HubResourceQuota(chart, "Q", **props)


# Each construct given a bad prop (built in a chart) and the start of its error.
BAD: list[tuple[str, Callable[[cdk8s.Chart], object], str]] = [
    (
        "quota without jupyterhub",
        lambda c: _quota(c, jupyterhub=None),
        "test/Q: jupyterhub must be a JupyterHub, got None",
    ),
    (
        "quota given the hub",
        lambda c: _quota(c, jupyterhub="its hub"),
        "test/Q: jupyterhub must be a JupyterHub, got <",
    ),
    (
        "quota overrides None",
        lambda c: _quota(c, overrides=None),
        "test/Q: overrides must be a mapping of strings to values, got None",
    ),
    (
        "policies ingress_from None",
        lambda c: HubNetworkPolicies(c, "N", jupyterhub=make_jupyterhub(c), ingress_from=None),  # type: ignore[arg-type]
        "test/N: ingress_from must be a NetworkPeer, got None",
    ),
    (
        "istio gateway_pods None",
        lambda c: IstioIngress(c, "I", jupyterhub=make_jupyterhub(c), gateway_pods=None),  # type: ignore[arg-type]
        "test/I: gateway_pods must be a NetworkPeer, got None",
    ),
    (
        "profile volumes None",
        lambda c: NotebookProfile(c, "P", volumes=None),  # type: ignore[arg-type]
        "test/P: volumes must be a list of UserVolume, got None",
    ),
    (
        "profile limits None",
        lambda c: NotebookProfile(c, "P", extra_resource_limits=None),  # type: ignore[arg-type]
        "test/P: extra_resource_limits must be a mapping of strings to values, got None",
    ),
    (
        "namespace profiles None",
        lambda c: HubNamespace(c, "N", profiles=None),  # type: ignore[arg-type]
        "test/N: profiles must be a list of NotebookProfile, got None",
    ),
    (
        "no chart",
        lambda c: make_jupyterhub(cdk8s.App(), "J"),  # type: ignore[arg-type]
        "J: scope must be a cdk8s.Chart or a construct inside one (this construct writes "
        "Kubernetes objects), got <cdk8s.App",
    ),
    (
        "slug derived from nothing",
        lambda c: NotebookProfile(c, "P", display_name="🚀"),
        "test/P: display_name must give a slug that is a DNS label (it gives ''): pass slug= as "
        "well, e.g. slug='gpu-notebook', got '🚀'",
    ),
    (
        "a profile added twice",
        lambda c: (lambda p: make_jupyterhub(c, profiles=[p, p]))(NotebookProfile(c, "P2")),
        "test/JupyterHub/Hub: profiles must list each NotebookProfile once (this one is already "
        "added), got 'test/P2'",
    ),
    (
        "policies without a proxy",
        lambda c: HubNetworkPolicies(c, "N", ingress_from=NetworkPeer.PROMETHEUS),
        "test/N: proxy or jupyterhub is required (an IProxy such as CHProxy, or the JupyterHub "
        "whose proxy that is), got None",
    ),
    (
        "istio without a proxy",
        lambda c: IstioIngress(c, "I"),
        "test/I: proxy or jupyterhub is required (an IProxy such as CHProxy, or the JupyterHub "
        "whose proxy that is), got None",
    ),
]


@pytest.mark.parametrize(("build", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_fails_bad_input_naming_the_field(
    chart: cdk8s.Chart, build: Callable[[cdk8s.Chart], object], message: str
) -> None:
    assert value_error(lambda: build(chart)).startswith(message)


JWKS = "https://login.example.org/jwks"


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"issuer": None}, "header_trust.issuer must be a string, got None"),
        ({"audience": None}, "header_trust.audience must be a string, got None"),
        ({"jwks_url": 3}, "header_trust.jwks_url must be a string or None, got 3"),
        ({"algorithms": None}, "header_trust.algorithms must be a list of strings, got None"),
        ({"algorithms": [256]}, "header_trust.algorithms must be a list of strings, got (256,)"),
        (
            {"max_token_lifetime": None},
            "header_trust.max_token_lifetime must be a whole number, got None",
        ),
    ],
)
def test_fails_a_jwt_proof_of_the_wrong_types(
    chart: cdk8s.Chart, props: dict[str, Any], message: str
) -> None:
    given = {"issuer": "https://login.example.org", "audience": "hub", "jwks_url": JWKS, **props}
    trust = HeaderTrust.jwt_proof(**given)
    assert value_error(lambda: make_jupyterhub(chart, header_trust=trust)) == (
        f"test/JupyterHub/Hub: {message}"
    )


def test_a_construct_in_a_plain_construct_in_a_chart_is_made(chart: cdk8s.Chart) -> None:
    from constructs import Construct

    group = Construct(chart, "Group")
    make_jupyterhub(group, proxy_token=TOKEN, hosts=HOSTS)  # type: ignore[arg-type]
    assert synth(chart)
