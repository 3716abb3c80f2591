"""The alerts and dashboard panels of ``HubMonitoring``, as PromQL over the metrics the hub,
configurable-http-proxy and kube-state-metrics export.

Every metric name is written once, here, and each comes from its program's source:

- JupyterHub 5.5 ``jupyterhub/metrics.py``: ``jupyterhub_server_spawn_duration_seconds``
  (a histogram; label ``status`` of ``ServerSpawnStatus``: ``success``, ``failure``,
  ``already-pending``, ``throttled``, ``too-many-users``), ``jupyterhub_request_duration_seconds``
  (``method``, ``handler``, ``code``), ``jupyterhub_running_servers``,
  ``jupyterhub_active_users`` (``period``). ``handlers/base.py`` ``spawn_single_user`` answers
  429 when ``concurrent_spawn_limit`` spawns are pending, and counts the attempt as
  ``throttled``; ``too-many-users`` is ``active_server_limit``'s 429.
- the proxy's own (``ProxyMetrics``, its ``metrics`` property): for configurable-http-proxy
  5.3 (``lib/metrics.js``) the counter ``requests_proxy`` by ``status`` (the code each proxied
  request got, or CHP's own 503 when the target is down, ``lib/configproxy.js``) and
  prom-client's default ``process_resident_memory_bytes``.
- kube-state-metrics 2 ``docs/metrics/workload/pod-metrics.md``: ``kube_pod_status_phase``
  (``namespace``, ``pod``, ``phase``); KubeSpawner's pods are named ``jupyter-...``
  (``hub_runtime.spawner.POD_NAME_PREFIX``) and have no owner, unlike the hub's and the
  proxy's (a release named ``jupyter-x`` names them ``jupyter-x-hub-0``...):
  ``kube_pod_owner`` of a pod without owners has ``owner_kind=""`` (v2.20
  ``internal/store/pod.go``, ``createPodOwnerFamilyGenerator``; ``"<none>"`` before v2.8.0).
- Prometheus' own ``up`` for each target.

The tests run them in a real Prometheus scraping a real hub and CHP.
"""

from __future__ import annotations

from typing import Any

from constructs_lib._proxies.metrics import ProxyMetrics
from hub_runtime.frozen import frozen
from hub_runtime.slugs import POD_NAME_PREFIX

__all__ = ["Alert", "Panel", "Targets", "alerts", "panels"]

SPAWNS = "jupyterhub_server_spawn_duration_seconds"
REQUESTS = "jupyterhub_request_duration_seconds"
RUNNING = "jupyterhub_running_servers"
ACTIVE = "jupyterhub_active_users"
POD_PHASE = "kube_pod_status_phase"
POD_OWNER = "kube_pod_owner"
_NO_OWNER = 'owner_kind=~"|<none>"'
# The one handler that streams for as long as a client listens (the spawn page's progress
# events, text/event-stream, apihandlers/users.py): its durations are no latency.
STREAMING_HANDLER = "jupyterhub.apihandlers.users.SpawnProgressAPIHandler"
_NOT_STREAMING = f'handler!="{STREAMING_HANDLER}"'
_FAILED = 'status="failure"'
_REFUSED = 'status=~"throttled|too-many-users"'
_SUCCEEDED = 'status="success"'
_PENDING = 'phase="Pending"'
_DAY = 'period="24h"'


def _increase(counter: str, window: str) -> str:
    """How much ``counter`` grew in ``window``.

    JupyterHub makes every ``status`` series of the spawn histogram at 0 when it starts
    (jupyterhub/metrics.py: ``for s in ServerSpawnStatus: ...labels(status=s)``), so plain
    ``increase`` sees each failure. Counting a series' whole value when it has no sample
    ``window`` ago would page on the hub's lifetime total whenever Prometheus has no older
    data (a restarted Prometheus, a new scrape job)."""
    return f"increase({counter}[{window}])"


@frozen
class Targets:
    """The label matchers of each scrape job (Prometheus Operator names a ServiceMonitor's
    job after the Service it scrapes) and of the release's namespace."""

    namespace: str | None
    hub_job: str
    proxy_job: str | None
    # The proxy's series; None with proxy_job.
    proxy_metrics: ProxyMetrics | None = None

    def hub(self, *extra: str) -> str:
        """The hub job's selector, with ``extra`` matchers (``'status="failure"'``)."""
        return self._matchers(f'job="{self.hub_job}"', extra)

    def proxy(self, *extra: str) -> str:
        return self._matchers(f'job="{self.proxy_job}"', extra)

    def pods(self, *extra: str) -> str:
        """kube-state-metrics' series of the user pods (KubeSpawner's pod names)."""
        return self._matchers(f'pod=~"{POD_NAME_PREFIX}.*"', extra)

    def _matchers(self, first: str, extra: tuple[str, ...]) -> str:
        parts = [first]
        if self.namespace is not None:
            parts.append(f'namespace="{self.namespace}"')
        return "{" + ",".join([*parts, *extra]) + "}"


@frozen
class Alert:
    name: str
    expr: str
    for_seconds: int
    severity: str
    summary: str
    description: str

    def rule(self, release: str) -> dict[str, Any]:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": f"{self.for_seconds}s",
            "labels": {"severity": self.severity, "release": release},
            "annotations": {"summary": self.summary, "description": self.description},
        }


@frozen
class Panel:
    title: str
    exprs: tuple[str, ...]
    unit: str = "short"


def alerts(
    t: Targets,
    *,
    failed_spawns: int,
    request_p95_seconds: float,
    proxy_5xx_ratio: float,
    proxy_memory_ratio: float,
    pending_seconds: int,
) -> tuple[Alert, ...]:
    """The alerts an operator pages on, with their thresholds."""
    hub = [
        Alert(
            "JupyterHubDown",
            f"up{t.hub()} == 0 or absent(up{t.hub()})",
            120,
            "critical",
            "The hub cannot be scraped",
            "Prometheus has not reached /hub/metrics for 2 minutes: the hub is down, "
            "restarting, or refuses the metrics token. Nobody can log in or spawn.",
        ),
        Alert(
            "JupyterHubSpawnsFailing",
            f"sum({_increase(SPAWNS + '_count' + t.hub(_FAILED), '15m')}) >= {failed_spawns}",
            0,
            "critical",
            "User servers fail to start",
            f"At least {failed_spawns} spawns failed in 15 minutes. The hub log names each "
            "user and the reason (image pull, quota, scheduling, start timeout).",
        ),
        Alert(
            "JupyterHubSpawnsThrottled",
            f"sum({_increase(SPAWNS + '_count' + t.hub(_REFUSED), '10m')}) > 0",
            0,
            "warning",
            "Spawns are refused with 429",
            "The hub answered 429 to spawns in the last 10 minutes: too many spawns in flight "
            "(concurrent_spawn_limit) or too many servers running (active_server_limit). "
            "Users see 'Too many users trying to log in right now'.",
        ),
        Alert(
            "JupyterHubSlowRequests",
            f"histogram_quantile(0.95, sum by (le) (rate({REQUESTS}_bucket"
            f"{t.hub(_NOT_STREAMING)}[5m]))) "
            f"> {request_p95_seconds:g}",
            600,
            "warning",
            "The hub answers slowly",
            f"For 10 minutes the 95th percentile of hub requests took over "
            f"{request_p95_seconds:g} s: the hub's single process is saturated (CPU limit, "
            "database, slow Kubernetes API). Pages load slowly and spawns queue.",
        ),
    ]
    pods = Alert(
        "JupyterHubUserPodsPending",
        # One series per pod on the right (several kube-state-metrics replicas repeat it).
        f"max by (pod) ({POD_PHASE}{t.pods(_PENDING)} * on (namespace, pod) group_left () "
        f"max by (namespace, pod) ({POD_OWNER}{t.pods(_NO_OWNER)})) == 1",
        pending_seconds,
        "warning",
        "User pods wait to be scheduled",
        f"A user pod has been Pending for {pending_seconds} s: no node fits it (GPU, memory, "
        "quota) or its image pull is slow, and its spawn will time out. `kubectl describe "
        "pod` shows why.",
    )
    proxy_metrics = t.proxy_metrics
    if t.proxy_job is None or proxy_metrics is None:
        return (*hub, pods)
    requests, memory = proxy_metrics.requests, proxy_metrics.memory
    server_error = f'{proxy_metrics.status_label}=~"5.."'
    memory_bytes = int(proxy_metrics.memory_limit_bytes * proxy_memory_ratio)
    proxy = [
        Alert(
            "JupyterHubProxyDown",
            f"up{t.proxy()} == 0 or absent(up{t.proxy()})",
            120,
            "critical",
            "The proxy cannot be scraped",
            "Prometheus has not reached the proxy's metrics for 2 minutes: no request "
            "reaches the hub or the user servers.",
        ),
        Alert(
            "JupyterHubProxyErrors",
            f"sum(rate({requests}{t.proxy(server_error)}[5m])) "
            f"/ sum(rate({requests}{t.proxy()}[5m])) > {proxy_5xx_ratio:g}",
            300,
            "warning",
            "The proxy answers 5xx",
            f"More than {proxy_5xx_ratio:.0%} of proxied requests got a 5xx for 5 minutes: "
            "503 is CHP's own (a route's target is gone: a server died, or the proxy lost "
            "its routes); other codes come from the hub or the user servers.",
        ),
    ]
    proxy.append(
        Alert(
            "JupyterHubProxyMemoryGrowth",
            f"{memory}{t.proxy()} > {memory_bytes} and deriv({memory}{t.proxy()}[30m]) > 0",
            900,
            "warning",
            "The proxy's memory keeps growing",
            "configurable-http-proxy's resident memory is near its limit and still "
            "rising (a known leak with many websockets, jupyterhub/"
            "configurable-http-proxy#388): it will be OOM-killed. Restart it in a quiet "
            "hour; the hub re-adds the routes.",
        )
    )
    return (*hub, *proxy, pods)


def panels(t: Targets) -> tuple[Panel, ...]:
    """The dashboard: usage, spawns, latency, the proxy."""
    hub = [
        Panel("Running servers", (f"sum({RUNNING}{t.hub()})",)),
        Panel("Active users (24 h)", (f"sum({ACTIVE}{t.hub(_DAY)})",)),
        Panel(
            "Spawns by outcome (per minute)",
            (f"sum by (status) (rate({SPAWNS}_count{t.hub()}[5m])) * 60",),
        ),
        Panel(
            "Spawn duration (p50, p95)",
            tuple(
                f"histogram_quantile({q}, sum by (le) (rate({SPAWNS}_bucket"
                f"{t.hub(_SUCCEEDED)}[15m])))"
                for q in ("0.5", "0.95")
            ),
            "s",
        ),
        Panel(
            "Hub request latency p95 by handler",
            (
                f"histogram_quantile(0.95, sum by (le, handler) (rate({REQUESTS}_bucket"
                f"{t.hub(_NOT_STREAMING)}[5m])))",
            ),
            "s",
        ),
        Panel(
            "Hub responses by code (per second)",
            (f"sum by (code) (rate({REQUESTS}_count{t.hub()}[5m]))",),
        ),
        Panel("Hub up", (f"up{t.hub()}",)),
    ]
    proxy = t.proxy_metrics
    if t.proxy_job is None or proxy is None:
        return tuple(hub)
    return (
        *hub,
        Panel(
            "Proxied requests by status (per second)",
            (f"sum by ({proxy.status_label}) (rate({proxy.requests}{t.proxy()}[5m]))",),
        ),
        Panel("Proxy resident memory", (f"{proxy.memory}{t.proxy()}",), "bytes"),
        Panel("Proxy up", (f"up{t.proxy()}",)),
    )
