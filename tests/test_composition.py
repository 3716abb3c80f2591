"""Constructs compose however the hub and the proxy were built (issue: a library people adopt).

The ingresses and network policies take any IProxy; the composite forwards every option of
its parts as HubOptions and ProxyOptions; no module needs another that needs it back.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import sys
from pathlib import Path
from typing import Any

import cdk8s
import pytest

import constructs_lib
from constructs_lib import (
    AuthProxyIngress,
    CHProxy,
    HealthProbes,
    HubNetworkPolicies,
    HubOptions,
    HubStatefulSet,
    IHub,
    IProxy,
    IstioIngress,
    IstioMesh,
    IstioSidecar,
    JupyterHub,
    NetworkPeer,
    NotebookProfile,
    ProbeTiming,
    ProxyLogLevel,
    ProxyOptions,
    Resources,
    RouteStore,
    UserPods,
)
from hub_runtime.settings import parse_settings
from tests.support.builders import find, make_bare_hub, make_chart, make_jupyterhub, synth
from tests.support.commands import run
from tests.support.constants import HOSTS
from tests.support.manifests import ROOT

GATEWAY = NetworkPeer.ISTIO_INGRESS_GATEWAY


def _parts(chart: cdk8s.Chart, proxy_sidecar: Any = None, **hub_props: Any) -> CHProxy:
    hub = make_bare_hub(chart, profiles=[NotebookProfile(chart, "P")], **hub_props)
    return CHProxy(chart, "Proxy", hub=hub, sidecar=proxy_sidecar)


def _composite(chart: cdk8s.Chart) -> JupyterHub:
    return make_jupyterhub(chart, profiles=[NotebookProfile(chart, "P")])


def _by_kind_and_name(manifests: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    return {(m["kind"], m["metadata"]["name"]): m for m in manifests}


def test_hub_and_proxy_satisfy_the_protocols(chart: cdk8s.Chart) -> None:
    proxy = _parts(chart)
    assert isinstance(proxy, IProxy)
    assert isinstance(proxy.hub, IHub)


def test_network_policies_from_parts_equal_the_composites() -> None:
    """The same policies whether built from a standalone hub and proxy or the composite
    (whose default mesh gives the hub and the proxy their sidecars, which the parts are
    given: the sidecars' egress to istiod follows them)."""
    outputs = []
    for kind in ("parts", "composite"):
        chart = make_chart()
        if kind == "parts":
            mesh = IstioMesh()
            # What the mesh gives the composite's hub and user pods.
            pods = UserPods(
                sidecar=mesh.user_sidecar,
                prometheus_port=mesh.metrics_port,
                prometheus_path=mesh.metrics_path,
            )
            proxy = _parts(
                chart, proxy_sidecar=mesh.proxy_sidecar, sidecar=mesh.hub_sidecar, user_pods=pods
            )
            HubNetworkPolicies(chart, "NetworkPolicies", proxy=proxy, ingress_from=GATEWAY)
        else:
            HubNetworkPolicies(
                chart, "NetworkPolicies", jupyterhub=_composite(chart), ingress_from=GATEWAY
            )
        outputs.append(
            {k: v for k, v in _by_kind_and_name(synth(chart)).items() if k[0] == "NetworkPolicy"}
        )
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 8


def test_istio_ingress_from_parts(chart: cdk8s.Chart) -> None:
    proxy = _parts(chart, sidecar=IstioSidecar())
    istio = IstioIngress(chart, "Istio", proxy=proxy)
    assert istio.hosts == HOSTS
    kinds = {m["kind"] for m in synth(chart)}
    assert {"Gateway", "VirtualService", "AuthorizationPolicy", "Sidecar"} <= kinds


def test_auth_ingress_follows_the_hubs_user_header(chart: cdk8s.Chart) -> None:
    proxy = _parts(chart, user_header="X-Forwarded-User")
    AuthProxyIngress(chart, "Ingress", proxy=proxy)
    hub_ingress = next(
        m
        for m in synth(chart)
        if m["metadata"]["name"] == "jupyterhub-hub" and m["kind"] == "Ingress"
    )
    assert (
        hub_ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/auth-response-headers"]
        == "X-Forwarded-User,Authorization"
    )


def test_fails_policies_without_a_proxy(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        HubNetworkPolicies(chart, "NetworkPolicies", ingress_from=GATEWAY)
    assert str(error.value) == (
        "test/NetworkPolicies: proxy or jupyterhub is required (an IProxy such as CHProxy, or the "
        "JupyterHub whose proxy that is), got None"
    )


def test_fails_proxy_of_the_wrong_type(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        IstioIngress(chart, "Istio", proxy="jupyterhub-proxy")  # type: ignore[arg-type]
    assert str(error.value) == (
        "test/Istio: proxy must be a proxy (an IProxy such as CHProxy), got 'jupyterhub-proxy'"
    )


def test_fails_auth_ingress_proxy_of_the_wrong_type(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        AuthProxyIngress(chart, "Ingress", proxy=_composite(chart))  # type: ignore[arg-type]
    assert str(error.value).startswith(
        "test/Ingress: proxy must be a proxy (an IProxy such as CHProxy), got <"
    )


def test_composite_forwards_every_option(chart: cdk8s.Chart) -> None:
    probes = HealthProbes(readiness=ProbeTiming(1, 5, 1, 3, 3))
    hub_options = HubOptions(
        user_header="X-Forwarded-User",
        storage_size="10Gi",
        probes=probes,
        resources=Resources("20m", "300Mi", "2", "1Gi"),
        allow_all=False,
        admin_access=True,
        user_pattern=r"[a-z]+",
        activity_interval_seconds=30,
    )
    proxy_options = ProxyOptions(
        log_level=ProxyLogLevel.DEBUG, resources=Resources("20m", "200Mi", "1", "300Mi")
    )
    jupyterhub = make_jupyterhub(
        chart,
        hub_options=hub_options,
        proxy_options=proxy_options,
        admin_users=["alice"],
        # No mesh, which would set the parts' sidecars.
        mesh=None,
    )
    assert jupyterhub.hub.options == dataclasses.replace(hub_options, admin_users=["alice"])
    assert isinstance(jupyterhub.proxy, CHProxy)
    assert jupyterhub.proxy.options == proxy_options
    manifests = synth(chart)
    settings = parse_settings(find(manifests, "ConfigMap")["data"]["settings.json"])
    assert (
        settings.auth.user_header,
        settings.auth.allow_all,
        settings.auth.admin_access,
        settings.auth.user_pattern,
        settings.activity_interval_seconds,
        settings.auth.admin_users,
    ) == ("X-Forwarded-User", False, True, "[a-z]+", 30, ("alice",))
    hub = find(manifests, "StatefulSet")
    assert (
        hub["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "10Gi"
    )
    assert (
        hub["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["initialDelaySeconds"]
        == 1
    )
    proxy = find(manifests, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert "--log-level=debug" in proxy["args"]
    assert proxy["resources"]["requests"] == {"cpu": "20m", "memory": "200Mi"}


def test_composite_shorthands_replace_option_fields(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(
        chart,
        hub_options=HubOptions(storage_size="2Gi"),
        mesh=None,
        hub_image="registry.example.org/hub:1",
    )
    assert jupyterhub.hub.options.storage_size == "2Gi"
    assert jupyterhub.hub.options.image == "registry.example.org/hub:1"
    assert jupyterhub.hub.options.sidecar is None
    assert isinstance(jupyterhub.proxy, CHProxy)
    assert jupyterhub.proxy.options.sidecar is None


def test_redis_routes_poll_every_minute(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(
        chart,
        proxy_routes=RouteStore.redis(uri_secret="redis"),
        proxy_image="registry.example.org/proxy-redis:1",
    )
    assert jupyterhub.hub.settings.activity_interval_seconds == 60


def test_hub_options_cover_every_hub_prop() -> None:
    """Everything HubStatefulSet takes is wiring or a HubOptions field: nothing is out of
    the composite's reach."""
    wiring = {
        "proxy_token",
        "authenticator",
        "header_trust",
        "profiles",
        "public_hosts",
        # Beside public_hosts: JupyterHub's user_hosts forwards it.
        "user_hosts",
        "release",
        "user_service_account",
        "kubernetes_version",
        "proxy_limits",
        "options",
    }
    params = set(inspect.signature(HubStatefulSet.__init__).parameters) - {
        "self",
        "scope",
        "id",
        "props",
    }
    assert params == wiring
    proxy_params = set(inspect.signature(CHProxy.__init__).parameters) - {
        "self",
        "scope",
        "id",
        "props",
    }
    assert proxy_params == {"hub", "options"}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


# Every module of the package, in sub-packages too, but the generated bindings.
SOURCES = sorted(
    p
    for p in (ROOT / "constructs_lib").rglob("*.py")
    if p.stem != "__init__" and "_imports" not in p.relative_to(ROOT).parts
)
MODULES = [_module_name(p) for p in SOURCES]


@pytest.mark.slow
@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone(module: str) -> None:
    """In a fresh interpreter, first of all: a cycle would fail on a half-made module."""
    run([sys.executable, "-c", f"import {module}"], cwd=ROOT)


def _imports(path: Path) -> set[str]:
    """The constructs_lib modules a module imports, type-checking imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("constructs_lib.")
        ):
            found.add(node.module)
    return found


def test_no_import_cycles() -> None:
    graph = {_module_name(p): _imports(p) for p in SOURCES}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, set()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(module for module in graph if reaches(module, module, {module}))
    assert cycles == []


def test_protocols_are_exported() -> None:
    assert {"IHub", "IProxy", "IJupyterHub", "HubOptions", "ProxyOptions"} <= set(
        constructs_lib.__all__
    )
