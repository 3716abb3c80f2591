"""Prometheus Operator scraping and alerts for a JupyterHub, and a Grafana dashboard."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import cdk8s
from constructs import Construct, IValidation

import jsii
from constructs_lib._core._companions import claim_companion, companions
from constructs_lib._core._construct import LibraryConstruct
from constructs_lib._core._derived import Derived, resolve
from constructs_lib._core._errors import invalid
from constructs_lib._core._handles import Handle
from constructs_lib._core._names import (
    APP_LABEL,
    COMPONENT_LABEL,
    check_label_key,
    check_label_value,
)
from constructs_lib._core._network_policy_spec import network_policy_spec
from constructs_lib._core._objects import api_objects, object_spec
from constructs_lib._core._placement import chart_namespace
from constructs_lib._core._props import check_arguments, check_fields
from constructs_lib._core.network_peer import NetworkPeer
from constructs_lib._hub._alert_rules import Panel, Targets, alerts, panels
from constructs_lib._hub.jupyterhub import JupyterHub
from constructs_lib._hub.network_policy import HubNetworkPolicies, _check_peer
from constructs_lib._proxies.metrics import ProxyMetrics
from hub_runtime.frozen import frozen

__all__ = ["AlertThresholds", "HubMonitoring"]

_MONITORING = "monitoring.coreos.com/v1"
# The label kube-prometheus-stack's Grafana sidecar looks for (its default, with value "1").
DASHBOARD_LABEL = "grafana_dashboard"


@frozen(kw_only=True)
class AlertThresholds:
    """When the alerts fire.

    Fields:
        failed_spawns: failed spawns within 15 minutes that page; default 3 (one is a user's
            bad luck, three is the platform).
        request_p95_seconds: the hub's 95th-percentile request time that warns, held for
            10 minutes; default 2.0.
        proxy_5xx_ratio: the share of proxied requests answered 5xx that warns, held for 5
            minutes; default 0.05.
        proxy_memory_ratio: the share of the proxy container's memory limit above which a
            proxy whose memory still grows warns; default 0.8.
        pending_seconds: how long a user pod may be Pending; default
            ``Derived.FROM_START_TIMEOUT``: half the hub's ``user_pods.start_timeout_seconds``,
            while its spawn can still succeed.
    """

    failed_spawns: int = 3
    request_p95_seconds: float = 2.0
    proxy_5xx_ratio: float = 0.05
    # Warned before the OOM kill, with time to restart the proxy in a quiet hour.
    proxy_memory_ratio: float = 0.8
    pending_seconds: int | Derived = Derived.FROM_START_TIMEOUT

    def check(self, scope: Construct, start_timeout_seconds: int) -> int:
        """The thresholds checked; returns ``pending_seconds`` resolved."""
        check_fields(scope, self, "thresholds.")
        if self.failed_spawns < 1:
            raise invalid(
                scope, "thresholds.failed_spawns", self.failed_spawns, "must be 1 or more"
            )
        # Written so that NaN fails too (every comparison with it is false).
        if not 0 < self.request_p95_seconds < math.inf:
            raise invalid(
                scope,
                "thresholds.request_p95_seconds",
                self.request_p95_seconds,
                "must be a number of seconds above 0",
            )
        for name in ("proxy_5xx_ratio", "proxy_memory_ratio"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise invalid(scope, f"thresholds.{name}", value, "must be a share in (0, 1]")
        pending = resolve(
            scope,
            "thresholds.pending_seconds",
            self.pending_seconds,
            Derived.FROM_START_TIMEOUT,
            lambda: max(start_timeout_seconds // 2, 1),
        )
        if not 0 < pending < start_timeout_seconds:
            raise invalid(
                scope,
                "thresholds.pending_seconds",
                pending,
                f"must be more than 0 and less than the spawn timeout ({start_timeout_seconds} "
                "s, user_pods.start_timeout_seconds): KubeSpawner deletes the pod then",
            )
        return pending


class HubMonitoring(LibraryConstruct):
    """Prometheus Operator objects that scrape and watch a JupyterHub, and its dashboard.

    - ``hub_monitor``: a ServiceMonitor of the hub's Service, ``/hub/metrics`` with the
      hub's ``metrics_token`` as bearer token (JupyterHub answers it only to a token with
      ``read:metrics``; without one anyone could read it through the proxy, which forwards
      every ``/hub/`` path). The hub needs ``HubOptions(metrics_token=MetricsToken(...))``.
    - ``proxy_monitor`` and ``proxy_metrics_service``: the proxy's metrics where it says
      they are (``proxy.metrics``, a ``ProxyMetrics``: CHP's ``/metrics`` on 8082), through a
      Service of its own (the proxy's Service is the public one); ``None`` for a proxy
      without one.
    - ``rules``: a PrometheusRule with the alerts (``alerts``, each explained in the README's
      operations section): the hub or proxy down, spawns failing, spawns refused with 429,
      slow hub requests, proxy 5xx, the proxy's memory growing toward its limit, user pods
      Pending (from kube-state-metrics). ``panels`` are the dashboard's.
    - ``dashboard``: a ConfigMap labelled ``grafana_dashboard: "1"`` holding a Grafana
      dashboard, which Grafana's dashboard sidecar loads.
    - ``network_policies``: NetworkPolicies admitting ``prometheus`` to the two ports
      scraped, for a hub with ``HubNetworkPolicies`` (which denies everything else; a
      NetworkPolicy selecting a pod admits only what some policy allows, so without it
      synthesis fails); none with ``prometheus=None``.

    Make it in the hub's chart. The ServiceMonitors and the rule carry ``monitor_labels``
    for the Prometheus' ``serviceMonitorSelector`` and ``ruleSelector`` (kube-prometheus-stack
    selects ``release: <its release>``).

    Args:
        jupyterhub: the hub and proxy to watch.
        thresholds: when the alerts fire; default ``AlertThresholds()``.
        scrape_interval_seconds: how often Prometheus scrapes; default 30.
        monitor_labels: labels on the ServiceMonitors and the PrometheusRule; default none.
        prometheus: the pods that scrape; default ``NetworkPeer.PROMETHEUS`` (namespace
            ``prometheus``); ``None`` for no NetworkPolicies (a hub without
            ``HubNetworkPolicies``).
    """

    hub_monitor = Handle[cdk8s.ApiObject]("The ServiceMonitor of the hub's /hub/metrics.")
    proxy_monitor = Handle[cdk8s.ApiObject | None]("The ServiceMonitor of the proxy's metrics.")
    proxy_metrics_service = Handle[cdk8s.ApiObject | None]("The Service of the proxy's metrics.")
    rules = Handle[cdk8s.ApiObject]("The PrometheusRule with the alerts.")
    dashboard = Handle[cdk8s.ApiObject]("The ConfigMap with the Grafana dashboard.")
    network_policies = Handle[tuple[cdk8s.ApiObject, ...]]("Prometheus' way to the ports.")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        jupyterhub: JupyterHub,
        thresholds: AlertThresholds = AlertThresholds(),
        # Twice a minute: a 2-minute "down" alert sees four misses.
        scrape_interval_seconds: int = 30,
        monitor_labels: Mapping[str, str] = MappingProxyType({}),
        prometheus: NetworkPeer | None = NetworkPeer.PROMETHEUS,
    ) -> None:
        super().__init__(scope, id)
        check_arguments(
            self,
            HubMonitoring.__init__,
            jupyterhub=jupyterhub,
            thresholds=thresholds,
            scrape_interval_seconds=scrape_interval_seconds,
            monitor_labels=monitor_labels,
        )
        hub, proxy = jupyterhub.hub, jupyterhub.proxy
        token = hub.options.metrics_token
        if token is None:
            raise invalid(
                self,
                "jupyterhub",
                jupyterhub.node.path,
                "must have a metrics token: give it hub_options=HubOptions(metrics_token="
                "MetricsToken(secret_name=...)) (JupyterHub answers /hub/metrics only to a "
                "token with read:metrics; without it the metrics are public through the proxy)",
            )
        if not 5 <= scrape_interval_seconds <= 300:
            raise invalid(
                self, "scrape_interval_seconds", scrape_interval_seconds, "must be 5 to 300"
            )
        extra_labels = _monitor_labels(self, monitor_labels)
        if prometheus is not None:
            _check_peer(self, "prometheus", prometheus)
        pending = thresholds.check(self, hub.user_pods.start_timeout_seconds)
        # One per hub, in its namespace: a ServiceMonitor's Secret and selector are the
        # namespace's, and a second one would emit the same objects again.
        claim_companion(self, hub, field="jupyterhub")
        # Checked at synthesis: a mesh policy may be made for the hub after this.
        self.node.add_validation(_Scrapable(self, hub, policies=prometheus is not None))

        release = hub.release
        # The proxy says where its metrics are (CHProxy.metrics); one without has none.
        proxy_metrics = getattr(proxy, "metrics", None)
        if not isinstance(proxy_metrics, ProxyMetrics):
            proxy_metrics = None
        metrics_service = f"{proxy.name}-metrics" if proxy_metrics else None
        labels = {APP_LABEL: release}
        interval = f"{scrape_interval_seconds}s"
        targets = Targets(chart_namespace(self), hub.name, metrics_service, proxy_metrics)
        self.alerts = alerts(
            targets,
            failed_spawns=thresholds.failed_spawns,
            request_p95_seconds=thresholds.request_p95_seconds,
            proxy_5xx_ratio=thresholds.proxy_5xx_ratio,
            proxy_memory_ratio=thresholds.proxy_memory_ratio,
            pending_seconds=pending,
        )
        self.panels = panels(targets)

        def monitor(id: str, name: str, selector: dict[str, str], endpoint: dict[str, Any]) -> Any:
            return object_spec(
                id,
                api_version=_MONITORING,
                kind="ServiceMonitor",
                name=name,
                labels={**labels, **extra_labels},
                spec={
                    "selector": {"matchLabels": selector},
                    "endpoints": [{"interval": interval, **endpoint}],
                },
            )

        def allow(id: str, name: str, pods: dict[str, str], port: int, peer: NetworkPeer) -> Any:
            return network_policy_spec(
                id,
                name=name,
                labels=labels,
                pods=pods,
                ingress=[
                    {
                        "from": [peer.to_policy_peer()],
                        "ports": [{"port": port, "protocol": "TCP"}],
                    }
                ],
            )

        specs = [
            monitor(
                "HubMonitor",
                hub.name,
                dict(hub.labels),
                {
                    "port": hub.port_name,
                    "path": "/hub/metrics",
                    "scheme": "http",
                    "authorization": token.bearer(),
                },
            ),
            object_spec(
                "Rules",
                api_version=_MONITORING,
                kind="PrometheusRule",
                name=release,
                labels={**labels, **extra_labels},
                spec={
                    "groups": [
                        {
                            "name": f"{release}.rules",
                            "rules": [alert.rule(release) for alert in self.alerts],
                        }
                    ]
                },
            ),
            object_spec(
                "Dashboard",
                api_version="v1",
                kind="ConfigMap",
                name=f"{release}-dashboard",
                labels={**labels, DASHBOARD_LABEL: "1"},
                data={f"{release}.json": _dashboard(release, self.panels)},
            ),
        ]
        if prometheus is not None:
            specs.append(
                allow(
                    "AllowPrometheusToHub",
                    f"{hub.name}-allow-prometheus",
                    dict(hub.labels),
                    hub.port,
                    prometheus,
                )
            )
        if proxy_metrics is not None and metrics_service is not None:
            specs += [
                object_spec(
                    "ProxyMetricsService",
                    api_version="v1",
                    kind="Service",
                    name=metrics_service,
                    # The ServiceMonitor selects this Service by its own labels, not the
                    # proxy's public Service.
                    labels={**labels, COMPONENT_LABEL: "proxy-metrics"},
                    spec={
                        "selector": dict(proxy.labels),
                        "ports": [
                            {
                                "name": proxy_metrics.port_name,
                                "port": proxy_metrics.port,
                                "targetPort": proxy_metrics.port_name,
                                "protocol": "TCP",
                            }
                        ],
                    },
                ),
                monitor(
                    "ProxyMonitor",
                    metrics_service,
                    {**labels, COMPONENT_LABEL: "proxy-metrics"},
                    {
                        "port": proxy_metrics.port_name,
                        "path": proxy_metrics.path,
                        "scheme": "http",
                    },
                ),
            ]
            if prometheus is not None:
                specs.append(
                    allow(
                        "AllowPrometheusToProxy",
                        f"{proxy.name}-allow-prometheus",
                        dict(proxy.labels),
                        proxy_metrics.port,
                        prometheus,
                    )
                )
        made = dict(zip([s.id for s in specs], api_objects(self, specs), strict=True))
        self.hub_monitor = made["HubMonitor"]
        self.rules = made["Rules"]
        self.dashboard = made["Dashboard"]
        self.proxy_metrics_service = made.get("ProxyMetricsService")
        self.proxy_monitor = made.get("ProxyMonitor")
        self.network_policies = tuple(
            made[key] for key in ("AllowPrometheusToHub", "AllowPrometheusToProxy") if key in made
        )


@jsii.implements(IValidation)
class _Scrapable:
    """A synth-time check: no construct made for the hub keeps Prometheus out."""

    def __init__(self, owner: Construct, hub: Construct, *, policies: bool) -> None:
        self._owner = owner
        self._hub = hub
        self._policies = policies

    def validate(self) -> list[str]:
        made = companions(self._hub)
        errors = [
            f"{self._owner.node.path}: jupyterhub must be scrapable by a Prometheus outside "
            f"the mesh, but {other.node.path} makes the hub's and the proxy's pods refuse it "
            "(STRICT mutual TLS, and AuthorizationPolicies for the mesh's own workloads "
            "only): the hub and proxy alerts would fire for good; monitor a hub without "
            "IstioIngress"
            for other in made
            if getattr(other, "admits_scrapes_from_outside_the_mesh", True) is False
        ]
        # A NetworkPolicy selecting a pod isolates it: Kubernetes then admits only what some
        # policy allows. Without HubNetworkPolicies' policies for what the pods serve, these
        # alone would leave the hub and the proxy reachable by Prometheus only.
        if self._policies and not any(isinstance(c, HubNetworkPolicies) for c in made):
            errors.append(
                f"{self._owner.node.path}: prometheus: its NetworkPolicies select the hub's "
                "and the proxy's pods, which admits nothing else to them; without "
                "HubNetworkPolicies for this hub (which admits what they serve) the proxy "
                "could not reach the hub, nor users the proxy: make HubNetworkPolicies for "
                "it, or give prometheus=None (no NetworkPolicies)"
            )
        return errors


def _monitor_labels(scope: Construct, given: Mapping[str, str]) -> dict[str, str]:
    """Labels for the Prometheus' selectors; the app's own label is the constructs'."""
    for key, value in given.items():
        check_label_key(scope, "monitor_labels", key)
        check_label_value(scope, f"monitor_labels[{key!r}]", value)
        if key == APP_LABEL:
            raise invalid(
                scope, "monitor_labels", key, f"must not set {APP_LABEL} (the release's label)"
            )
    return dict(given)


def _dashboard(release: str, dashboard_panels: tuple[Panel, ...]) -> str:
    """A Grafana dashboard (schema 39) of time series panels, two to a row, on the
    ``prometheus`` data source the user picks when importing (``${datasource}``)."""
    width, height = 12, 8
    body = {
        "title": f"JupyterHub ({release})",
        "uid": f"jupyterhub-{release}"[:40],
        "schemaVersion": 39,
        "editable": True,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Prometheus",
                }
            ]
        },
        "panels": [
            {
                "id": index + 1,
                "type": "timeseries",
                "title": panel.title,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "gridPos": {
                    "x": (index % 2) * width,
                    "y": (index // 2) * height,
                    "w": width,
                    "h": height,
                },
                "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
                "targets": [
                    {"refId": chr(ord("A") + n), "expr": expr} for n, expr in enumerate(panel.exprs)
                ],
            }
            for index, panel in enumerate(dashboard_panels)
        ],
    }
    return json.dumps(body, indent=2, sort_keys=True) + "\n"
