"""A real Prometheus (Debian's) on 127.0.0.1 scrapes a real hub and configurable-http-proxy
as HubMonitoring's ServiceMonitors say, loads its PrometheusRule, while users log in, spawns
succeed, fail and are refused with 429, and the proxy answers 503: every alert and dashboard
expression evaluates, on series those programs really export."""

from __future__ import annotations

import shutil
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import yaml

from constructs_lib._core.metrics_token import METRICS_TOKEN_ENV
from constructs_lib._hub._alert_rules import STREAMING_HANDLER
from tests.support.leaks import working_in
from tests.support.monitoring import (
    METRICS_TOKEN,
    Monitoring,
    monitoring,
    scrape_job,
    selected_service,
    selectors,
)
from tests.support.processes import (
    PROXY_TOKEN,
    Deployment,
    deployment,
    free_port,
    start,
    stop,
    wait_for,
)

pytestmark = pytest.mark.slow

# kube-state-metrics (a Kubernetes controller) cannot run here: its series are named after
# its docs/metrics/workload/pod-metrics.md (v2), and promtool's unit tests feed them.
NOT_HERE = {"kube_pod_status_phase", "kube_pod_owner"}
# Spawns: "broken-*" fail in the spawner, "slow-*" take a while (so a second one is throttled).
SPAWN_HOOK = textwrap.dedent(
    """
    import asyncio

    async def _spawn_outcome(spawner):
        if spawner.user.name.startswith("broken"):
            raise RuntimeError("image pull failed")
        if spawner.user.name.startswith("slow"):
            await asyncio.sleep(6)

    c.Spawner.pre_spawn_hook = _spawn_outcome
    """
)


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, expr: str) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        assert body["status"] == "success", (expr, body)
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def series(self, selector: str) -> list[dict[str, str]]:
        response = requests.get(
            f"{self.url}/api/v1/series", params={"match[]": selector}, timeout=10
        )
        body = response.json()
        assert body["status"] == "success", (selector, body)
        found: list[dict[str, str]] = body["data"]
        return found

    def wait(self, expr: str, timeout: float = 90) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.query(expr)
            if result:
                return result
            time.sleep(0.5)
        raise TimeoutError(f"{expr} stayed empty for {timeout} s")


@pytest.fixture(scope="module")
def made() -> Monitoring:
    return monitoring()


@pytest.fixture(scope="module")
def metrics_port() -> int:
    """CHP's metrics port (the container's 8082 in a cluster)."""
    return free_port()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, metrics_port: int) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("monitored")
    patch = pytest.MonkeyPatch()
    patch.setenv(METRICS_TOKEN_ENV, METRICS_TOKEN)
    try:
        with deployment(
            workdir,
            None,
            extra_config=SPAWN_HOOK,
            proxy_args=["--metrics-ip=127.0.0.1", f"--metrics-port={metrics_port}"],
            # As HubOptions(metrics_token=...) writes them.
            metrics_require_auth=True,
            metrics_token_env=METRICS_TOKEN_ENV,
            concurrent_spawn_limit=1,
        ) as hub:
            yield hub
    finally:
        patch.undo()


@pytest.fixture(scope="module")
def prometheus(
    made: Monitoring,
    running: Deployment,
    metrics_port: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Prometheus]:
    workdir = tmp_path_factory.mktemp("prometheus")
    hub_monitor = made.service_monitor("jupyterhub-hub")
    proxy_monitor = made.service_monitor("jupyterhub-proxy-metrics")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(made.write_rules(workdir / "rules.yaml"))],
        "scrape_configs": [
            scrape_job(
                hub_monitor,
                selected_service(made.manifests, hub_monitor),
                running.hub_url.removeprefix("http://"),
                "1s",
                METRICS_TOKEN,
            ),
            scrape_job(
                proxy_monitor,
                selected_service(made.manifests, proxy_monitor),
                f"127.0.0.1:{metrics_port}",
                "1s",
                None,
            ),
        ],
    }
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    binary = shutil.which("prometheus")
    assert binary, "prometheus is missing: `make test` installs Debian's"
    log = workdir / "prometheus.log"
    process = start(
        [
            binary,
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        cwd=workdir,
        env={},
        log=log,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/-/ready", 60, process, log)
        yield Prometheus(f"http://127.0.0.1:{port}")
    finally:
        stop(process)
        assert not working_in(workdir)


@pytest.fixture(scope="module")
def traffic(running: Deployment, prometheus: Prometheus) -> Prometheus:
    """Logins, a spawn that works, three that fail, one refused with 429, 503s of the proxy;
    returns once Prometheus has scraped the outcome."""
    # Prometheus watches the hub before anything happens, as in a cluster: the alerts count
    # what changed since a sample (the hub makes its spawn series at 0 at start).
    prometheus.wait('jupyterhub_server_spawn_duration_seconds_count{status="failure"} == 0')
    for user in ("alice", "bob", "carol"):
        page = requests.get(
            f"{running.proxy_url}/hub/home", headers={"X-Auth-Request-User": user}, timeout=30
        )
        assert page.status_code == 200, page.text[:300]
    running.start_server("alice")
    # The spawn page's event stream: the one handler the latency alert leaves out.
    progress = running.api("GET", "/users/alice/server/progress")
    assert progress.headers["Content-Type"].startswith("text/event-stream")
    for index in range(3):
        running.api("POST", f"/users/broken-{index}")
        running.api("POST", f"/users/broken-{index}/server", json={})
    for user in ("slow-1", "slow-2"):
        running.api("POST", f"/users/{user}")
    assert running.api("POST", "/users/slow-1/server", json={}).status_code == 202
    refused = running.api("POST", "/users/slow-2/server", json={})
    assert refused.status_code == 429, refused.text[:300]
    route = requests.post(
        f"http://127.0.0.1:{running.api_port}/api/routes/gone",
        json={"target": f"http://127.0.0.1:{free_port()}"},
        headers={"Authorization": f"token {PROXY_TOKEN}"},
        timeout=10,
    )
    assert route.status_code == 201
    # 503s until Prometheus sees their rate (a counter's first sample shows no rate).
    deadline = time.monotonic() + 60
    while not prometheus.query('ALERTS{alertname="JupyterHubProxyErrors"}'):
        assert time.monotonic() < deadline, "the 5xx alert never became pending"
        assert requests.get(f"{running.proxy_url}/gone/", timeout=10).status_code == 503
        time.sleep(0.1)
    prometheus.wait('sum(jupyterhub_server_spawn_duration_seconds_count{status="failure"}) >= 3')
    return prometheus


def test_metrics_need_the_token(running: Deployment) -> None:
    url = f"{running.hub_url}/hub/metrics"
    assert requests.get(url, timeout=10).status_code == 403
    through_proxy = requests.get(f"{running.proxy_url}/hub/metrics", timeout=10)
    assert through_proxy.status_code == 403
    wrong = requests.get(url, headers={"Authorization": "Bearer wrong"}, timeout=10)
    assert wrong.status_code == 403
    right = requests.get(url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
    assert right.status_code == 200
    assert "jupyterhub_running_servers" in right.text


def test_the_metrics_token_reads_nothing_else(running: Deployment) -> None:
    """The token's service holds read:metrics and nothing more: no user, server or token."""
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    who = requests.get(f"{running.hub_url}/hub/api/user", headers=bearer, timeout=10)
    assert who.json()["scopes"] == ["read:metrics"]
    assert who.json()["kind"] == "service"
    for path in ("users", "services", "groups", "proxy", "users/alice/tokens"):
        answer = requests.get(f"{running.hub_url}/hub/api/{path}", headers=bearer, timeout=10)
        assert answer.status_code == 403, path


def test_both_targets_are_up(traffic: Prometheus) -> None:
    up = {r["metric"]["job"]: r["value"][1] for r in traffic.query("up")}
    assert up == {"jupyterhub-hub": "1", "jupyterhub-proxy-metrics": "1"}


def test_every_expression_reads_real_series(made: Monitoring, traffic: Prometheus) -> None:
    exprs = [rule["expr"] for rule in made.alert_rules] + made.dashboard_exprs
    checked = set()
    for expr in exprs:
        traffic.query(expr)  # evaluates: a typo'd function or matcher is an error
        for selector in selectors(expr):
            if selector.split("{")[0] in NOT_HERE:
                continue
            assert traffic.series(selector), f"no series for {selector} (in {expr})"
            checked.add(selector.split("{")[0])
    assert checked == {
        "up",
        "jupyterhub_server_spawn_duration_seconds_count",
        "jupyterhub_server_spawn_duration_seconds_bucket",
        "jupyterhub_request_duration_seconds_bucket",
        "jupyterhub_request_duration_seconds_count",
        "jupyterhub_running_servers",
        "jupyterhub_active_users",
        "requests_proxy",
        "process_resident_memory_bytes",
    }


def test_the_latency_alert_leaves_out_a_real_handler(traffic: Prometheus) -> None:
    assert traffic.series(
        f'jupyterhub_request_duration_seconds_count{{handler="{STREAMING_HANDLER}"}}'
    )


def test_failed_spawns_and_429s_fire(traffic: Prometheus) -> None:
    for alert in ("JupyterHubSpawnsFailing", "JupyterHubSpawnsThrottled"):
        traffic.wait(f'ALERTS{{alertname="{alert}",alertstate="firing"}}', 30)


def test_proxy_503s_start_the_5xx_alert(traffic: Prometheus) -> None:
    # Held for 5 minutes before it fires: pending now.
    (alert,) = traffic.query('ALERTS{alertname="JupyterHubProxyErrors"}')
    assert alert["metric"]["alertstate"] == "pending"


def test_a_stopped_hub_is_seen_down(
    traffic: Prometheus, running: Deployment, made: Monitoring
) -> None:
    running.stop_servers()
    running.stop_hub()
    traffic.wait('up{job="jupyterhub-hub"} == 0', 30)
    traffic.wait('ALERTS{alertname="JupyterHubDown"}', 30)
