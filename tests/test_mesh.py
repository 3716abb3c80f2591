"""The service mesh is one choice, ``JupyterHub(mesh=...)``, and every part follows it: the
sidecar of the hub, the proxy and the user pods, the user pods' scrape of the sidecar's
metrics and HubNetworkPolicies' allowance for it."""

from __future__ import annotations

import json
from typing import Any

import cdk8s
import pytest

from constructs_lib import (
    HubNetworkPolicies,
    HubOptions,
    IstioMesh,
    IstioProxy,
    IstioProxyOptions,
    IstioSidecar,
    JupyterHub,
    NetworkPeer,
    ProxyOptions,
    ProxyToken,
    UserPods,
)
from constructs_lib._core._endpoints import HUB_PORT
from hub_runtime.settings import SETTINGS_FILE_NAME
from tests.support.builders import find, make_chart, synth
from tests.support.constants import HOSTS, TRUST
from tests.support.network_policy import allowed

TOKEN = ProxyToken.from_existing_secret("proxy-token")
INJECT = "sidecar.istio.io/inject"
GATEWAY = NetworkPeer.ISTIO_INGRESS_GATEWAY

# The hub scraped by its annotations (tokenless /hub/metrics), as the reference has it.
SCRAPED = HubOptions(prometheus_scrape=True)


def _jupyterhub(chart: cdk8s.Chart, **props: Any) -> JupyterHub:
    return JupyterHub(
        chart, "JupyterHub", proxy_token=TOKEN, header_trust=TRUST, hosts=HOSTS, **props
    )


def _error(build: Any) -> str:
    with pytest.raises(ValueError) as error:
        build()
    return str(error.value)


def _pod_metadata(manifests: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    metadata: dict[str, Any] = find(manifests, kind)["spec"]["template"]["metadata"]
    return metadata


def _spawner(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    settings = json.loads(find(manifests, "ConfigMap")["data"][SETTINGS_FILE_NAME])
    spawner: dict[str, Any] = settings["spawner"]
    return spawner


def _policies(chart: cdk8s.Chart, **props: Any) -> set[str]:
    jupyterhub = _jupyterhub(chart, **props)
    HubNetworkPolicies(chart, "NetworkPolicies", jupyterhub=jupyterhub, ingress_from=GATEWAY)
    return {m["metadata"]["name"] for m in synth(chart) if m["kind"] == "NetworkPolicy"}


def test_istio_by_default_in_every_part(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    manifests = synth(chart)
    mesh = IstioMesh()
    assert jupyterhub.mesh == mesh
    for kind in ("StatefulSet", "Deployment"):
        assert _pod_metadata(manifests, kind)["labels"][INJECT] == "true", kind
    spawner = _spawner(manifests)
    assert spawner["labels"][INJECT] == "true"
    assert (
        spawner["annotations"]["sidecar.istio.io/proxyMemory"] == mesh.user_sidecar.memory_request
    )
    assert spawner["annotations"]["prometheus.io/port"] == "15020"
    assert spawner["annotations"]["prometheus.io/path"] == "/stats/prometheus"


def test_no_mesh_injects_nothing_anywhere(chart: cdk8s.Chart) -> None:
    _jupyterhub(chart, mesh=None)
    text = json.dumps(synth(chart))
    assert INJECT not in text
    assert "sidecar.istio.io" not in text
    assert 'prometheus.io/port\\": \\"15020' not in text
    assert _spawner(synth(chart))["annotations"] == {}


def test_each_part_gets_its_sidecar_of_the_mesh(chart: cdk8s.Chart) -> None:
    mesh = IstioMesh(
        hub_sidecar=IstioSidecar(memory_request="100Mi"),
        proxy_sidecar=IstioSidecar(memory_request="200Mi"),
        user_sidecar=IstioSidecar(memory_request="300Mi"),
    )
    jupyterhub = _jupyterhub(chart, mesh=mesh)
    manifests = synth(chart)
    memory = "sidecar.istio.io/proxyMemory"
    assert _pod_metadata(manifests, "StatefulSet")["annotations"][memory] == "100Mi"
    assert _pod_metadata(manifests, "Deployment")["annotations"][memory] == "200Mi"
    assert _spawner(manifests)["annotations"][memory] == "300Mi"
    assert jupyterhub.hub.sidecar == mesh.hub_sidecar


def test_istio_proxy_has_no_pods_the_mesh_follows(chart: cdk8s.Chart) -> None:
    """The hub writes the routes: the mesh gives the hub its sidecar, and no proxy pods."""
    jupyterhub = _jupyterhub(chart, proxy_options=IstioProxyOptions())
    assert isinstance(jupyterhub.proxy, IstioProxy)
    assert jupyterhub.hub.sidecar == IstioMesh().hub_sidecar
    assert [m for m in synth(chart) if m["kind"] == "Deployment"] == []


def test_metrics_not_scraped(chart: cdk8s.Chart) -> None:
    _jupyterhub(chart, mesh=IstioMesh(metrics_port=None))
    annotations = _spawner(synth(chart))["annotations"]
    assert "prometheus.io/port" not in annotations
    assert annotations["sidecar.istio.io/proxyCPU"] == "10m"


def test_own_scrape_without_a_mesh(chart: cdk8s.Chart) -> None:
    _jupyterhub(chart, mesh=None, user_pods=UserPods(prometheus_port=9100))
    annotations = _spawner(synth(chart))["annotations"]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9100",
        "prometheus.io/path": "/metrics",
    }


PROMETHEUS = (
    {"kubernetes.io/metadata.name": "prometheus"},
    {"app.kubernetes.io/name": "prometheus"},
)


def _scrapes(mesh: IstioMesh | None, **props: Any) -> dict[str, set[int]]:
    """The ports Prometheus is admitted to on the hub and a user pod, of those it might scrape
    (the hub scraped by its annotations unless ``props`` say otherwise)."""
    chart = make_chart()
    props.setdefault("hub_options", SCRAPED)
    jupyterhub = _jupyterhub(chart, mesh=mesh, **props)
    HubNetworkPolicies(chart, "NetworkPolicies", jupyterhub=jupyterhub, ingress_from=GATEWAY)
    policies = [m for m in synth(chart) if m["kind"] == "NetworkPolicy"]
    targets = {"hub": jupyterhub.hub.labels, "user": jupyterhub.hub.user_pod_labels}
    return {
        name: {
            p for p in (HUB_PORT, 9100, 15020, 15090) if allowed(policies, PROMETHEUS, dict(t), p)
        }
        for name, t in targets.items()
    }


def test_prometheus_admitted_to_the_mesh_metrics_port() -> None:
    # The hub's /hub/metrics through its sidecar's merged metrics; the user pods' sidecars.
    assert _scrapes(IstioMesh()) == {"hub": {15020}, "user": {15020}}
    assert _scrapes(IstioMesh(metrics_port=15090)) == {"hub": {15020}, "user": {15090}}


def test_prometheus_not_admitted_to_user_pods_not_scraped() -> None:
    assert _scrapes(IstioMesh(metrics_port=None)) == {"hub": {15020}, "user": set()}


def test_prometheus_admitted_to_the_hub_metrics_without_a_mesh() -> None:
    chart = make_chart()
    _jupyterhub(chart, mesh=None, hub_options=SCRAPED)
    annotations = _pod_metadata(synth(chart), "StatefulSet")["annotations"]
    assert annotations["prometheus.io/port"] == str(HUB_PORT)
    assert _scrapes(None) == {"hub": {HUB_PORT}, "user": set()}
    own = _scrapes(None, user_pods=UserPods(prometheus_port=9100))
    assert own == {"hub": {HUB_PORT}, "user": {9100}}


def test_the_hub_is_not_scraped_by_default() -> None:
    """As JupyterHub and z2jh: /hub/metrics answers a read:metrics token only."""
    chart = make_chart()
    _jupyterhub(chart, mesh=None)
    manifests = synth(chart)
    annotations = _pod_metadata(manifests, "StatefulSet").get("annotations", {})
    assert not [key for key in annotations if key.startswith("prometheus.io/")]
    settings = json.loads(find(manifests, "ConfigMap")["data"][SETTINGS_FILE_NAME])
    assert settings["metrics_require_auth"] is True
    assert _scrapes(None, hub_options=HubOptions()) == {"hub": set(), "user": set()}


def test_no_prometheus_policy_when_nothing_is_scraped() -> None:
    chart = make_chart()
    names = _policies(chart, mesh=None, hub_options=HubOptions(prometheus_scrape=False))
    assert "allow-prometheus" not in names
    # Nor metrics for anyone the proxy lets through: they need a read:metrics token.
    (config_map,) = [
        m for m in synth(chart) if m["kind"] == "ConfigMap" and "settings.json" in m["data"]
    ]
    assert json.loads(config_map["data"]["settings.json"])["metrics_require_auth"] is True


def test_policies_admit_telepresence_only_when_asked(chart: cdk8s.Chart) -> None:
    assert "allow-telepresence" not in _policies(chart)
    jupyterhub = _jupyterhub(
        cdk8s.Chart(chart.node.scope, "other", namespace="other"),  # type: ignore[arg-type]
        release="other",
    )
    policies = HubNetworkPolicies(
        jupyterhub.node.scope,  # type: ignore[arg-type]
        "NetworkPolicies",
        jupyterhub=jupyterhub,
        ingress_from=GATEWAY,
        telepresence_port=9900,
    )
    assert "Telepresence" in policies.policies


@pytest.mark.parametrize("sidecar", [None, IstioSidecar()])
def test_fails_the_old_sidecar_shorthand(chart: cdk8s.Chart, sidecar: object) -> None:
    with pytest.raises(TypeError) as error:
        _jupyterhub(chart, sidecar=sidecar)
    assert str(error.value) == (
        "JupyterHub: sidecar was renamed mesh (JupyterHub(..., mesh=...)); see the CHANGELOG's "
        "migration table"
    )


@pytest.mark.parametrize(
    ("props", "field", "mesh_field"),
    [
        ({"hub_options": HubOptions(sidecar=IstioSidecar())}, "hub_options.sidecar", "hub_sidecar"),
        (
            {"proxy_options": ProxyOptions(sidecar=IstioSidecar())},
            "proxy_options.sidecar",
            "proxy_sidecar",
        ),
        ({"user_pods": UserPods(sidecar=IstioSidecar())}, "user_pods.sidecar", "user_sidecar"),
        (
            {"user_pods": UserPods(prometheus_port=9100)},
            "user_pods.prometheus_port",
            "metrics_port",
        ),
    ],
)
def test_fails_a_parts_own_mesh_setting(
    chart: cdk8s.Chart, props: dict[str, Any], field: str, mesh_field: str
) -> None:
    value = props.get("hub_options") or props.get("proxy_options") or props["user_pods"]
    shown = value.prometheus_port if field.endswith("prometheus_port") else value.sidecar
    assert _error(lambda: _jupyterhub(chart, **props)) == (
        f"test/JupyterHub: {field} is the mesh's under JupyterHub: give "
        f"mesh=IstioMesh({mesh_field}=...), or mesh=None for no mesh, got {shown!r}"
    )


def test_fails_a_sidecar_without_a_mesh_too(chart: cdk8s.Chart) -> None:
    # Asking for one part's sidecar with mesh=None is the same contradiction.
    assert _error(
        lambda: _jupyterhub(chart, mesh=None, user_pods=UserPods(sidecar=IstioSidecar()))
    ).startswith("test/JupyterHub: user_pods.sidecar is the mesh's under JupyterHub")


@pytest.mark.parametrize(
    ("mesh", "message"),
    [
        ("istio", "mesh must be an IstioMesh or None, got 'istio'"),
        (IstioMesh(user_sidecar=None), "mesh.user_sidecar must be an IstioSidecar, got None"),  # type: ignore[arg-type]
        (IstioMesh(metrics_port=0), "mesh.metrics_port must be a TCP port, got 0"),
        (
            IstioMesh(metrics_port=True),
            "mesh.metrics_port must be a whole number or None, got True",
        ),
        (
            IstioMesh(hub_sidecar=IstioSidecar(memory_request="2Gi", memory_limit="1Gi")),
            "mesh.hub_sidecar.memory_limit must be at least mesh.hub_sidecar.memory_request",
        ),
    ],
)
def test_fails_a_bad_mesh(chart: cdk8s.Chart, mesh: object, message: str) -> None:
    assert _error(lambda: _jupyterhub(chart, mesh=mesh)).startswith(f"test/JupyterHub: {message}")


def test_one_prometheus_port_for_every_pod() -> None:
    chart = make_chart()
    jupyterhub = _jupyterhub(chart, mesh=IstioMesh(metrics_port=15090), hub_options=SCRAPED)
    HubNetworkPolicies(
        chart, "NetworkPolicies", jupyterhub=jupyterhub, ingress_from=GATEWAY, prometheus_port=9100
    )
    policy = find(synth(chart), "NetworkPolicy", "allow-prometheus")
    assert policy["spec"]["podSelector"] == {}
    assert policy["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 9100}]


def test_prometheus_port_must_be_a_port(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    message = _error(
        lambda: HubNetworkPolicies(
            chart, "NetworkPolicies", jupyterhub=jupyterhub, ingress_from=GATEWAY, prometheus_port=0
        )
    )
    assert message == (
        "test/NetworkPolicies: prometheus_port must be a TCP port from 1 to 65535, "
        "or Derived.FROM_SCRAPE_ANNOTATIONS, got 0"
    )
