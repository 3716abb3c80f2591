"""HubMonitoring: ServiceMonitors, PrometheusRule, dashboard, against the vendored CRDs."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import sys
from pathlib import Path
from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    AlertThresholds,
    Derived,
    HubMonitoring,
    HubNetworkPolicies,
    HubOptions,
    IstioIngress,
    IstioProxyOptions,
    MetricsToken,
    NetworkPeer,
    UserPods,
)
from tests.support.builders import find, make_jupyterhub, synth, value_error
from tests.support.commands import run
from tests.support.constants import VERSIONS
from tests.support.crd_schemas import validate_custom
from tests.support.docs import README, example, section
from tests.support.kube_schemas import validate_strictly
from tests.support.manifests import ROOT, read_manifests

TOKEN_SECRET = MetricsToken(secret_name="prometheus-hub-token")
GATEWAY = NetworkPeer.ISTIO_INGRESS_GATEWAY
_KINDS = {"ServiceMonitor", "PrometheusRule", "ConfigMap", "Service", "NetworkPolicy"}


def monitored(chart: cdk8s.Chart, **props: Any) -> HubMonitoring:
    hub_options = props.pop("hub_options", HubOptions(metrics_token=TOKEN_SECRET))
    jupyterhub = make_jupyterhub(chart, hub_options=hub_options, mesh=None)
    made = HubMonitoring(chart, "Monitoring", jupyterhub=jupyterhub, **props)
    _policies(chart, jupyterhub)
    return made


def _policies(chart: cdk8s.Chart, jupyterhub: Any) -> None:
    """The default-deny HubMonitoring's NetworkPolicies open."""
    HubNetworkPolicies(chart, "Policies", jupyterhub=jupyterhub, ingress_from=GATEWAY)


def _own(manifests: list[dict[str, Any]], monitoring: HubMonitoring) -> list[dict[str, Any]]:
    made = {
        (child.kind, child.name)
        for child in monitoring.node.children
        if isinstance(child, cdk8s.ApiObject)
    }
    return [m for m in manifests if (m["kind"], m["metadata"]["name"]) in made]


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    monitoring = monitored(chart)
    assert _own(synth(chart), monitoring) == snapshot_yaml


def test_objects_fit_the_vendored_crds_and_kubernetes(chart: cdk8s.Chart) -> None:
    monitoring = monitored(chart)
    own = _own(synth(chart), monitoring)
    assert {m["kind"] for m in own} == _KINDS
    for manifest in own:
        if manifest["apiVersion"].startswith("monitoring.coreos.com/"):
            validate_custom(manifest)
        else:
            for version in VERSIONS:
                validate_strictly(manifest, version)


def test_hub_metrics_are_read_with_the_token(chart: cdk8s.Chart) -> None:
    monitored(chart)
    manifests = synth(chart)
    endpoint = find(manifests, "ServiceMonitor", "jupyterhub-hub")["spec"]["endpoints"][0]
    assert endpoint["path"] == "/hub/metrics"
    assert endpoint["authorization"] == {
        "type": "Bearer",
        "credentials": {"name": "prometheus-hub-token", "key": "token"},
    }
    hub = find(manifests, "StatefulSet", "jupyterhub-hub")["spec"]["template"]["spec"]
    env = {e["name"]: e for e in hub["containers"][0]["env"]}
    assert env["JUPYTERHUB_METRICS_TOKEN"]["valueFrom"] == {
        "secretKeyRef": {"name": "prometheus-hub-token", "key": "token"}
    }
    settings = json.loads(
        next(
            m
            for m in manifests
            if m["kind"] == "ConfigMap" and "settings.json" in m.get("data", {})
        )["data"]["settings.json"]
    )
    annotations = find(manifests, "StatefulSet", "jupyterhub-hub")["metadata"]["annotations"]
    # A rotated token restarts the hub, which reads it at start.
    assert annotations["secret.reloader.stakater.com/reload"].split(",") == [
        "proxy-token",
        "prometheus-hub-token",
    ]
    # A scrape by annotation would send no token.
    template = find(manifests, "StatefulSet", "jupyterhub-hub")["spec"]["template"]
    assert not any(
        key.startswith("prometheus.io/") for key in template["metadata"].get("annotations", {})
    )
    assert settings["metrics_require_auth"] is True
    assert settings["metrics_token_env"] == "JUPYTERHUB_METRICS_TOKEN"


def test_proxy_metrics_service_selects_the_proxy_pods(chart: cdk8s.Chart) -> None:
    monitored(chart)
    manifests = synth(chart)
    service = find(manifests, "Service", "jupyterhub-proxy-metrics")
    pods = find(manifests, "Deployment", "jupyterhub-proxy")["spec"]["template"]["metadata"]
    assert service["spec"]["selector"].items() <= pods["labels"].items()
    monitor = find(manifests, "ServiceMonitor", "jupyterhub-proxy-metrics")
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )


def test_prometheus_may_reach_both_ports(chart: cdk8s.Chart) -> None:
    monitored(chart)
    manifests = synth(chart)
    ports = {
        m["metadata"]["name"]: m["spec"]["ingress"][0]["ports"][0]["port"]
        for m in manifests
        if m["kind"] == "NetworkPolicy" and m["metadata"]["name"].endswith("allow-prometheus")
    }
    assert ports == {
        "jupyterhub-hub-allow-prometheus": 8081,
        "jupyterhub-proxy-allow-prometheus": 8082,
    }


def test_every_listed_alert(chart: cdk8s.Chart) -> None:
    monitored(chart)
    rule = find(synth(chart), "PrometheusRule", "jupyterhub")
    names = [r["alert"] for r in rule["spec"]["groups"][0]["rules"]]
    assert names == [
        "JupyterHubDown",
        "JupyterHubSpawnsFailing",
        "JupyterHubSpawnsThrottled",
        "JupyterHubSlowRequests",
        "JupyterHubProxyDown",
        "JupyterHubProxyErrors",
        "JupyterHubProxyMemoryGrowth",
        "JupyterHubUserPodsPending",
    ]


def test_memory_threshold_follows_the_proxy_limit(chart: cdk8s.Chart) -> None:
    monitoring = monitored(chart, thresholds=AlertThresholds(proxy_memory_ratio=0.5))
    growth = next(a for a in monitoring.alerts if a.name == "JupyterHubProxyMemoryGrowth")
    # The proxy's default limit is 256Mi.
    assert f"> {256 * 1024 * 1024 // 2} and" in growth.expr


def test_pending_is_half_the_start_timeout(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(
        chart,
        hub_options=HubOptions(metrics_token=TOKEN_SECRET),
        user_pods=UserPods(start_timeout_seconds=600),
        mesh=None,
    )
    monitoring = HubMonitoring(chart, "Monitoring", jupyterhub=jupyterhub)
    pending = next(a for a in monitoring.alerts if a.name == "JupyterHubUserPodsPending")
    assert pending.for_seconds == 300


def test_monitor_labels_for_the_prometheus_selectors(chart: cdk8s.Chart) -> None:
    monitored(chart, monitor_labels={"release": "kube-prometheus-stack"})
    manifests = synth(chart)
    for kind, name in (
        ("ServiceMonitor", "jupyterhub-hub"),
        ("ServiceMonitor", "jupyterhub-proxy-metrics"),
        ("PrometheusRule", "jupyterhub"),
    ):
        assert find(manifests, kind, name)["metadata"]["labels"]["release"] == (
            "kube-prometheus-stack"
        )


def test_dashboard_for_the_grafana_sidecar(chart: cdk8s.Chart) -> None:
    monitoring = monitored(chart)
    config_map = find(synth(chart), "ConfigMap", "jupyterhub-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["jupyterhub.json"])
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert exprs == [e for p in monitoring.panels for e in p.exprs]


def test_another_proxy_gets_hub_alerts_only(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(
        chart,
        hub_options=HubOptions(metrics_token=TOKEN_SECRET),
        proxy_options=IstioProxyOptions(),
    )
    monitoring = HubMonitoring(chart, "Monitoring", jupyterhub=jupyterhub)
    assert monitoring.proxy_monitor is None
    assert not any("Proxy" in a.name for a in monitoring.alerts)


def test_fails_without_a_metrics_token(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: monitored(chart, hub_options=HubOptions())) == (
        "test/Monitoring: jupyterhub must have a metrics token: give it hub_options="
        "HubOptions(metrics_token=MetricsToken(secret_name=...)) (JupyterHub answers "
        "/hub/metrics only to a token with read:metrics; without it the metrics are public "
        "through the proxy), got 'test/JupyterHub'"
    )


def test_fails_on_a_bad_token_secret(chart: cdk8s.Chart) -> None:
    message = value_error(
        lambda: make_jupyterhub(
            chart, hub_options=HubOptions(metrics_token=MetricsToken(secret_name="Not A Name"))
        )
    )
    assert "metrics_token.secret_name must be a DNS subdomain" in message


def test_fails_on_a_pending_time_past_the_start_timeout(chart: cdk8s.Chart) -> None:
    message = value_error(lambda: monitored(chart, thresholds=AlertThresholds(pending_seconds=300)))
    assert message == (
        "test/Monitoring: thresholds.pending_seconds must be more than 0 and less than the "
        "spawn timeout (300 s, user_pods.start_timeout_seconds): KubeSpawner deletes the pod "
        "then, got 300"
    )


@pytest.mark.parametrize(
    ("thresholds", "field"),
    [
        (AlertThresholds(failed_spawns=0), "thresholds.failed_spawns"),
        (AlertThresholds(proxy_5xx_ratio=1.5), "thresholds.proxy_5xx_ratio"),
        (AlertThresholds(request_p95_seconds=0), "thresholds.request_p95_seconds"),
        (AlertThresholds(request_p95_seconds=math.nan), "thresholds.request_p95_seconds"),
        (AlertThresholds(proxy_memory_ratio=math.nan), "thresholds.proxy_memory_ratio"),
        (AlertThresholds(pending_seconds=Derived.FROM_PROXY), "thresholds.pending_seconds"),
    ],
)
def test_fails_on_bad_thresholds(
    chart: cdk8s.Chart, thresholds: AlertThresholds, field: str
) -> None:
    assert f"test/Monitoring: {field} " in value_error(
        lambda: monitored(chart, thresholds=thresholds)
    )


def test_fails_on_a_peer_selecting_everything(chart: cdk8s.Chart) -> None:
    assert "prometheus" in value_error(
        lambda: monitored(chart, prometheus=NetworkPeer.in_namespace("", {}))
    )


def test_fails_on_the_release_label(chart: cdk8s.Chart) -> None:
    assert "monitor_labels must not set app.kubernetes.io/name" in value_error(
        lambda: monitored(chart, monitor_labels={"app.kubernetes.io/name": "x"})
    )


def test_hub_refuses_to_start_without_the_token_it_was_told_of(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hub_runtime.metrics_access import metrics_reader
    from hub_runtime.settings import SettingsError
    from tests.support.processes import dev_settings

    settings = dataclasses.replace(dev_settings(), metrics_token_env="JUPYTERHUB_METRICS_TOKEN")
    monkeypatch.setenv("JUPYTERHUB_METRICS_TOKEN", "")
    with pytest.raises(SettingsError) as error:
        metrics_reader(settings)
    assert str(error.value) == (
        "metrics_token_env: the variable JUPYTERHUB_METRICS_TOKEN is unset or empty: it must "
        "hold the token Prometheus reads /hub/metrics with (the MetricsToken's Secret)"
    )
    monkeypatch.setenv("JUPYTERHUB_METRICS_TOKEN", "secret-value")
    services, roles = metrics_reader(settings)
    assert services == [{"name": "prometheus", "api_token": "secret-value"}]
    assert roles == [
        {"name": "metrics-reader", "scopes": ["read:metrics"], "services": ["prometheus"]}
    ]


def test_readme_explains_every_alert(chart: cdk8s.Chart) -> None:
    """The README's operations table has a row for each alert, and no other."""
    monitoring = monitored(chart)
    table = section("## Operations: what to watch and what each alert means", README.read_text())
    rows = re.findall(r"^\| `(\w+)` \(", table, flags=re.M)
    assert rows == [alert.name for alert in monitoring.alerts]


@pytest.mark.slow
def test_guide_example_synthesizes(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(example("# Monitoring and alerts (`HubMonitoring`)"))
    run([sys.executable, "main.py"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    manifests = read_manifests(tmp_path / "dist")
    kinds = sorted(m["kind"] for m in manifests if m["apiVersion"].startswith("monitoring."))
    assert kinds == ["PrometheusRule", "ServiceMonitor", "ServiceMonitor"]
    for manifest in manifests:
        if manifest["apiVersion"].startswith("monitoring."):
            validate_custom(manifest)
            assert manifest["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_fails_twice_for_one_hub(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart, hub_options=HubOptions(metrics_token=TOKEN_SECRET))
    HubMonitoring(chart, "Monitoring", jupyterhub=jupyterhub)
    message = value_error(lambda: HubMonitoring(chart, "Again", jupyterhub=jupyterhub))
    assert message.startswith(
        "test/Again: jupyterhub must be a hub no HubMonitoring is made for yet: "
    )


def test_fails_in_another_namespace(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart, hub_options=HubOptions(metrics_token=TOKEN_SECRET))
    app = chart.node.scope
    assert isinstance(app, cdk8s.App)
    other = cdk8s.Chart(app, "other", namespace="monitoring")
    message = value_error(lambda: HubMonitoring(other, "Monitoring", jupyterhub=jupyterhub))
    assert message.startswith("other/Monitoring: namespace must be 'jupyterhub', ")


@pytest.mark.parametrize("ingress_first", [True, False])
def test_fails_behind_istio_ingress(chart: cdk8s.Chart, ingress_first: bool) -> None:
    """IstioIngress's STRICT mutual TLS and ALLOW policies refuse Prometheus' plain scrapes:
    every hub and proxy alert would fire for good. Refused whichever is made first."""
    jupyterhub = make_jupyterhub(chart, hub_options=HubOptions(metrics_token=TOKEN_SECRET))
    if ingress_first:
        IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    HubMonitoring(chart, "Monitoring", jupyterhub=jupyterhub)
    if not ingress_first:
        IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    with pytest.raises(RuntimeError) as error:
        chart.to_json()
    assert (
        "test/Monitoring: jupyterhub must be scrapable by a Prometheus outside the mesh, but "
        "test/Istio makes the hub's and the proxy's pods refuse it (STRICT mutual TLS, and "
        "AuthorizationPolicies for the mesh's own workloads only): the hub and proxy alerts "
        "would fire for good; monitor a hub without IstioIngress"
    ) in str(error.value)


def test_a_mesh_without_istio_ingress_is_monitored(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart, hub_options=HubOptions(metrics_token=TOKEN_SECRET))
    HubMonitoring(chart, "Monitoring", jupyterhub=jupyterhub)
    _policies(chart, jupyterhub)
    assert find(synth(chart), "ServiceMonitor", "jupyterhub-hub")


def test_fails_with_network_policies_but_no_hub_network_policies(chart: cdk8s.Chart) -> None:
    """Alone, a NetworkPolicy selecting the hub's and the proxy's pods would admit only
    Prometheus to them: the proxy would lose the hub, and users the proxy."""
    jupyterhub = make_jupyterhub(chart, hub_options=HubOptions(metrics_token=TOKEN_SECRET))
    HubMonitoring(chart, "Monitoring", jupyterhub=jupyterhub)
    with pytest.raises(RuntimeError) as error:
        chart.to_json()
    assert (
        "test/Monitoring: prometheus: its NetworkPolicies select the hub's and the proxy's "
        "pods, which admits nothing else to them; without HubNetworkPolicies for this hub "
        "(which admits what they serve) the proxy could not reach the hub, nor users the "
        "proxy: make HubNetworkPolicies for it, or give prometheus=None (no NetworkPolicies)"
    ) in str(error.value)


def test_no_network_policies_without_a_peer(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(
        chart, hub_options=HubOptions(metrics_token=TOKEN_SECRET), mesh=None
    )
    monitoring = HubMonitoring(chart, "Monitoring", jupyterhub=jupyterhub, prometheus=None)
    assert monitoring.network_policies == ()
    assert not [m for m in synth(chart) if m["kind"] == "NetworkPolicy"]
    assert find(synth(chart), "ServiceMonitor", "jupyterhub-hub")
