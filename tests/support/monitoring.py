"""A synthesized HubMonitoring as Prometheus would load it: its rule file (what Prometheus
Operator writes from a PrometheusRule) and its scrape jobs (what it writes from a
ServiceMonitor), for promtool and a real Prometheus on 127.0.0.1."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cdk8s
import yaml

from constructs_lib import HubMonitoring, HubNetworkPolicies, HubOptions, MetricsToken, NetworkPeer
from tests.support.builders import find, make_chart, make_jupyterhub, synth

NAMESPACE = "jupyterhub"
METRICS_TOKEN = "metrics-token-" + "7" * 32
# A vector selector as the rules and panels write them: a metric name and its matchers.
_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})")


@dataclass(frozen=True)
class Monitoring:
    manifests: list[dict[str, Any]]
    monitoring: HubMonitoring

    @property
    def rule(self) -> dict[str, Any]:
        return find(self.manifests, "PrometheusRule")

    @property
    def alert_rules(self) -> list[dict[str, Any]]:
        return [r for group in self.rule["spec"]["groups"] for r in group["rules"]]

    def service_monitor(self, name: str) -> dict[str, Any]:
        return find(self.manifests, "ServiceMonitor", name)

    @property
    def dashboard_exprs(self) -> list[str]:
        config_map = find(self.manifests, "ConfigMap", "jupyterhub-dashboard")
        (text,) = config_map["data"].values()
        return [t["expr"] for p in json.loads(text)["panels"] for t in p["targets"]]

    def write_rules(self, path: Path) -> Path:
        """The rule file Prometheus Operator generates: the PrometheusRule's spec, as is
        (prometheus-operator v0.93.0 ``pkg/operator/rules.go``, ``generateContent``)."""
        path.write_text(yaml.safe_dump(self.rule["spec"], sort_keys=False))
        return path


def monitoring() -> Monitoring:
    """The default HubMonitoring of a JupyterHub without a mesh, synthesized."""
    chart: cdk8s.Chart = make_chart()
    jupyterhub = make_jupyterhub(
        chart,
        hub_options=HubOptions(metrics_token=MetricsToken(secret_name="hub-metrics-token")),
        mesh=None,
    )
    made = HubMonitoring(chart, "Monitoring", jupyterhub=jupyterhub)
    HubNetworkPolicies(
        chart, "Policies", jupyterhub=jupyterhub, ingress_from=NetworkPeer.ISTIO_INGRESS_GATEWAY
    )
    return Monitoring(synth(chart), made)


def selectors(expr: str) -> list[str]:
    """Every vector selector of ``expr`` (``name{matchers}``)."""
    return [name + matchers for name, matchers in _SELECTOR.findall(expr)]


def selected_service(
    manifests: list[dict[str, Any]], service_monitor: dict[str, Any]
) -> dict[str, Any]:
    """The one Service of the monitor's namespace its selector picks (as the operator's
    endpoints discovery would)."""
    wanted = service_monitor["spec"]["selector"]["matchLabels"].items()
    picked = [
        m
        for m in manifests
        if m["kind"] == "Service"
        and m["metadata"]["namespace"] == service_monitor["metadata"]["namespace"]
        and wanted <= m["metadata"].get("labels", {}).items()
    ]
    assert len(picked) == 1, [m["metadata"]["name"] for m in picked]
    return picked[0]


def scrape_job(
    service_monitor: dict[str, Any],
    service: dict[str, Any],
    address: str,
    interval: str,
    token: str | None,
) -> dict[str, Any]:
    """The scrape job Prometheus Operator v0.93.0 generates for the ServiceMonitor's one
    endpoint (``pkg/prometheus/promcfg.go``, ``generateServiceMonitorConfig``): job name
    ``serviceMonitor/<namespace>/<name>/0``; the endpoint's path, scheme and bearer
    credentials (the Secret's value); relabelled ``job`` = the Service's name (no
    ``jobLabel``), ``namespace``, ``service`` and ``endpoint`` (the port's name). The
    Kubernetes service discovery it uses is replaced by the one local ``address``."""
    metadata, spec = service_monitor["metadata"], service_monitor["spec"]
    (endpoint,) = spec["endpoints"]
    name = service["metadata"]["name"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    job: dict[str, Any] = {
        "job_name": f"serviceMonitor/{metadata['namespace']}/{metadata['name']}/0",
        "scrape_interval": interval,
        "metrics_path": endpoint["path"],
        "scheme": endpoint["scheme"],
        "static_configs": [
            {
                "targets": [address],
                "labels": {
                    "job": name,
                    "namespace": metadata["namespace"],
                    "service": name,
                    "endpoint": endpoint["port"],
                },
            }
        ],
    }
    if "authorization" in endpoint:
        assert endpoint["authorization"]["type"] == "Bearer"
        job["authorization"] = {"type": "Bearer", "credentials": token}
    return job
