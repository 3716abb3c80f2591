"""``HeaderTrust.mesh_enforced()`` only where the edge and the policies enforce it: behind
``IstioIngress`` with ext-authz, whose AuthorizationPolicies keep user servers to the hub's
API, in front of a hub with its sidecar. Everywhere else anyone who reaches the hub's login
(a user server's owner, through NetworkPolicies that must admit user servers to the hub's
port) could send ``X-Auth-Request-User: admin``: one test per refusal. The edges that cannot
enforce it refuse the hub when they are made; a hub whose app has no enforcing edge at all (in
whatever order its constructs were made) fails synthesis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cdk8s
import pytest

from constructs_lib import (
    AuthProxyIngress,
    CHProxy,
    GatewayApiIngress,
    GatewayRef,
    HeaderTrust,
    HubNetworkPolicies,
    HubOptions,
    IstioIngress,
    IstioProxyOptions,
    IstioSidecar,
    JupyterHub,
    NetworkPeer,
    UserPods,
)
from tests.support.builders import make_bare_hub, make_jupyterhub, synth
from tests.support.constants import TRUST

GATEWAY = NetworkPeer.ISTIO_INGRESS_GATEWAY
SUGGESTION = "use HeaderTrust.jwt_proof(...), or IstioIngress with ext_authz_provider"


def _hub(chart: cdk8s.Chart, trust: HeaderTrust | None = None, **props: Any) -> JupyterHub:
    return make_jupyterhub(chart, header_trust=trust or HeaderTrust.mesh_enforced(), **props)


def _reason(why: str) -> str:
    return (
        "must not trust the user header as is (HeaderTrust.mesh_enforced()) here: "
        f"{why}, so anyone could send X-Auth-Request-User: admin; {SUGGESTION}"
    )


def _refusal(why: str, where: str = "test/JupyterHub/Hub") -> str:
    return f"{_reason(why)}, got {where!r}"


def _synthesis_refusal(why: str, where: str = "test/JupyterHub/Hub") -> str:
    """cdk8s's report of the hub's failed validation (lib/app.js, validate())."""
    failed = "Error: Validation failed with the following errors:"
    return f"{failed}\n  [{where}] header_trust {_reason(why)}"


NO_EDGE = _synthesis_refusal(
    "no IstioIngress with ext_authz_provider for this hub's proxy is in the app, and nothing "
    "else sets the header or keeps user servers off the hub's login path"
)


def test_istio_ingress_with_ext_authz_and_its_policies_enforce_it(chart: cdk8s.Chart) -> None:
    jupyterhub = _hub(chart)
    istio = IstioIngress(chart, "Istio", jupyterhub=jupyterhub, ext_authz_provider="oauth2-proxy")
    HubNetworkPolicies(
        chart, "NetworkPolicies", jupyterhub=jupyterhub, ingress_from=istio.gateway_pods
    )
    assert istio.enforces_user_header(jupyterhub.proxy)
    assert {m["kind"] for m in synth(chart)} >= {"AuthorizationPolicy", "NetworkPolicy"}


def test_the_network_policies_may_come_before_the_istio_ingress(chart: cdk8s.Chart) -> None:
    jupyterhub = _hub(chart)
    HubNetworkPolicies(chart, "NetworkPolicies", jupyterhub=jupyterhub, ingress_from=GATEWAY)
    IstioIngress(chart, "Istio", jupyterhub=jupyterhub, ext_authz_provider="oauth2-proxy")
    assert {m["kind"] for m in synth(chart)} >= {"AuthorizationPolicy", "NetworkPolicy"}


def test_a_hub_and_proxy_made_apart_behind_istio_with_ext_authz(chart: cdk8s.Chart) -> None:
    hub = make_bare_hub(chart, header_trust=HeaderTrust.mesh_enforced(), sidecar=IstioSidecar())
    proxy = CHProxy(chart, "Proxy", hub=hub)
    IstioIngress(chart, "Istio", proxy=proxy, ext_authz_provider="oauth2-proxy")
    assert synth(chart)


def test_the_istio_proxy_behind_istio_with_ext_authz(chart: cdk8s.Chart) -> None:
    jupyterhub = _hub(chart, proxy_options=IstioProxyOptions())
    IstioIngress(chart, "Istio", jupyterhub=jupyterhub, ext_authz_provider="oauth2-proxy")
    assert synth(chart)


def test_fails_synthesis_with_no_edge(chart: cdk8s.Chart) -> None:
    _hub(chart)
    with pytest.raises(RuntimeError) as error:
        synth(chart)
    assert str(error.value) == NO_EDGE


def test_app_synth_runs_the_check_and_writes_nothing(tmp_path: Path) -> None:
    """``App.synth()`` itself (not only the tests' ``Testing.synth``) runs the validation,
    before it writes any file."""
    app = cdk8s.App(outdir=str(tmp_path / "out"))
    _hub(cdk8s.Chart(app, "test", namespace="jupyterhub"))
    with pytest.raises(RuntimeError) as error:
        app.synth()
    assert str(error.value) == NO_EDGE
    assert list((tmp_path / "out").iterdir()) == []


def test_jwt_proof_goes_anywhere(chart: cdk8s.Chart) -> None:
    jupyterhub = _hub(chart, TRUST)
    AuthProxyIngress(chart, "Ingress", proxy=jupyterhub.proxy)
    GatewayApiIngress(chart, "Route", jupyterhub=jupyterhub, gateway=GatewayRef("gw", "gateways"))
    istio = IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    HubNetworkPolicies(
        chart, "NetworkPolicies", jupyterhub=jupyterhub, ingress_from=istio.gateway_pods
    )
    # Every edge is made and the app synthesizes: the proof needs no edge to enforce it.
    assert {m["kind"] for m in synth(chart)} >= {"Ingress", "HTTPRoute", "VirtualService"}


def test_fails_behind_the_nginx_auth_ingress(chart: cdk8s.Chart) -> None:
    jupyterhub = _hub(chart)
    with pytest.raises(ValueError) as error:
        AuthProxyIngress(chart, "Ingress", proxy=jupyterhub.proxy)
    assert str(error.value) == "test/Ingress: proxy.hub " + _refusal(
        "ingress-nginx checks requests at the edge only, and NetworkPolicies let user servers "
        "(which need the hub's API) reach every path of the hub's port"
    )


def test_fails_behind_the_http_route(chart: cdk8s.Chart) -> None:
    jupyterhub = _hub(chart)
    with pytest.raises(ValueError) as error:
        GatewayApiIngress(
            chart, "Route", jupyterhub=jupyterhub, gateway=GatewayRef("gw", "gateways")
        )
    assert str(error.value) == "test/Route: proxy.hub " + _refusal(
        "the HTTPRoute checks nothing itself (an auth filter, if any, is the Gateway's, outside "
        "this app), and NetworkPolicies let user servers (which need the hub's API) reach "
        "every path of the hub's port"
    )


NO_EXT_AUTHZ = (
    "without ext_authz_provider nothing at the gateway sets the user header, so a client's "
    "own copy reaches the hub's login"
)


def test_fails_behind_istio_without_ext_authz(chart: cdk8s.Chart) -> None:
    jupyterhub = _hub(chart)
    with pytest.raises(ValueError) as error:
        IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    assert str(error.value) == "test/Istio: proxy.hub " + _refusal(NO_EXT_AUTHZ)


def test_fails_with_the_istio_proxy_without_ext_authz(chart: cdk8s.Chart) -> None:
    """The gateway reaches the hub itself there: still nothing sets the header but the
    provider."""
    jupyterhub = _hub(chart, proxy_options=IstioProxyOptions())
    with pytest.raises(ValueError) as error:
        IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    assert str(error.value) == "test/Istio: proxy.hub " + _refusal(NO_EXT_AUTHZ)


def test_fails_with_a_hub_outside_the_mesh(chart: cdk8s.Chart) -> None:
    # Its proxy: refused as the composite itself is, with the same message.
    proxy = _hub(chart, mesh=None).proxy
    with pytest.raises(ValueError) as error:
        IstioIngress(chart, "Istio", proxy=proxy, ext_authz_provider="oauth2-proxy")
    assert str(error.value) == (
        "test/Istio: proxy must have the mesh IstioIngress configures (its hub "
        "test/JupyterHub/Hub has no Istio sidecar): JupyterHub(mesh=IstioMesh()), or "
        "sidecar=IstioSidecar() in the options of a hub and a proxy made apart, got "
        "'test/JupyterHub/Proxy'"
    )


def test_fails_synthesis_with_network_policies_alone(chart: cdk8s.Chart) -> None:
    """``minimal``'s shape without its ingress: NetworkPolicies admit user servers (which
    need the hub's API) to every path of the hub's port."""
    jupyterhub = _hub(chart)
    HubNetworkPolicies(chart, "NetworkPolicies", jupyterhub=jupyterhub, ingress_from=GATEWAY)
    with pytest.raises(RuntimeError) as error:
        synth(chart)
    assert str(error.value) == NO_EDGE


def test_fails_synthesis_with_an_enforcing_edge_of_another_hub(chart: cdk8s.Chart) -> None:
    """The same release in another namespace of the app, behind its own IstioIngress."""
    app = chart.node.root
    assert isinstance(app, cdk8s.App)
    elsewhere = cdk8s.Chart(app, "elsewhere", namespace="elsewhere")
    # It names no PriorityClass, as two hubs of one release cannot both create theirs.
    other = _hub(elsewhere, TRUST, user_pods=UserPods(priority=None))
    IstioIngress(elsewhere, "Istio", jupyterhub=other, ext_authz_provider="oauth2-proxy")
    _hub(chart)
    with pytest.raises(RuntimeError) as error:
        synth(chart)
    assert str(error.value) == NO_EDGE


def test_the_refusal_names_the_hubs_own_user_header(chart: cdk8s.Chart) -> None:
    jupyterhub = _hub(chart, hub_options=HubOptions(user_header="X-Forwarded-User"))
    with pytest.raises(ValueError) as error:
        AuthProxyIngress(chart, "Ingress", proxy=jupyterhub.proxy)
    assert "so anyone could send X-Forwarded-User: admin;" in str(error.value)


def test_fails_behind_a_kplus_ingress(chart: cdk8s.Chart) -> None:
    from constructs_lib import plus

    jupyterhub = _hub(chart)
    with pytest.raises(ValueError) as error:
        plus.proxy_backend(jupyterhub.proxy)
    assert str(error.value) == "proxy_backend: proxy.hub " + _refusal(
        "a Kubernetes Ingress to the proxy checks nothing, and the proxy passes a client's own "
        "user header to the hub's login"
    )
