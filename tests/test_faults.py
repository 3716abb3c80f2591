"""Faults with real processes on 127.0.0.1, measured as a user sees them: CHP restarts (routes in
Redis or in memory), Redis restarts and outages, hub restarts. Each prints its figure."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from constructs_lib._proxies.routes import FAIL_FAST, REDIS_BACKEND, REDIS_URI_ENV
from hub_runtime.settings import parse_settings
from tests.support.manifests import ROOT, read_manifests
from tests.support.processes import Deployment, RedisServer, deployment, redis_server

pytestmark = pytest.mark.slow  # real proxy, hub, user server and redis processes

USER = "frank"


def _report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n  [figure] {text}")


def _answers(url: str, timeout: float) -> bool:
    try:
        return requests.get(url, timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def _seconds_until_answer(url: str, limit: float, since: float | None = None) -> float:
    """Seconds from ``since`` (default: now) until ``url`` answers 200 through the proxy."""
    since = since if since is not None else time.monotonic()
    while time.monotonic() - since < limit:
        if _answers(url, 2):
            return time.monotonic() - since
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {limit} s")


def _targets(hub: Deployment) -> dict[str, str]:
    return {path: route["target"] for path, route in hub.routes().items()}


def _server_url(hub: Deployment) -> str:
    # jupyter-server's /api answers without authentication: it shows the route works.
    return f"{hub.proxy_url}/user/{USER}/api"


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def redis_hub(tmp_path: Path, redis: RedisServer) -> Iterator[Deployment]:
    with deployment(
        tmp_path / "hub",
        None,
        proxy_args=[f"--storage-backend={REDIS_BACKEND}"],
        proxy_env={REDIS_URI_ENV: redis.uri + FAIL_FAST},
    ) as hub:
        hub.start_server(USER)
        assert _answers(_server_url(hub), 10)
        yield hub


def test_proxy_restart_with_redis_routes(
    redis_hub: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _targets(redis_hub)
    redis_hub.stop_proxy()
    up = redis_hub.start_proxy()
    elapsed = _seconds_until_answer(_server_url(redis_hub), 30, since=up)
    _report(
        capsys,
        f"CHP restart, Redis routes: user server answers {elapsed:.2f} s after the new proxy is up",
    )
    assert elapsed <= 2
    assert _targets(redis_hub) == before


def test_proxy_restart_with_memory_routes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The minimal app keeps routes in memory; its hub re-adds them every activity_interval_seconds.
    config_map = next(
        m for m in read_manifests(ROOT / "dist" / "minimal") if m["kind"] == "ConfigMap"
    )
    interval = parse_settings(config_map["data"]["settings.json"]).activity_interval_seconds
    with deployment(tmp_path, None, activity_interval_seconds=interval) as hub:
        hub.start_server(USER)
        before = _targets(hub)
        hub.stop_proxy()
        up = hub.start_proxy()
        elapsed = _seconds_until_answer(_server_url(hub), interval + 20, since=up)
        _report(
            capsys,
            f"CHP restart, memory routes: hub restored the routes in {elapsed:.1f} s "
            f"(bounded by activity_interval_seconds = {interval} s)",
        )
        assert elapsed <= interval + 5
        assert _targets(hub) == before


def test_redis_restart_keeps_routes(
    redis_hub: Deployment, redis: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _targets(redis_hub)
    redis.stop()
    redis.start()
    elapsed = _seconds_until_answer(_server_url(redis_hub), 60)
    _report(
        capsys,
        f"Redis restart (append-only file): user server answers again "
        f"{elapsed:.2f} s after Redis is back, no route lost",
    )
    assert _targets(redis_hub) == before


def test_redis_outage_is_bounded_and_recovers(
    redis_hub: Deployment, redis: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    redis.stop()
    client_limit = 10.0
    start = time.monotonic()
    try:
        status: int | str = requests.get(_server_url(redis_hub), timeout=client_limit).status_code
    except requests.Timeout:
        status = "no answer"
    waited = time.monotonic() - start
    _report(
        capsys,
        f"Redis down: the proxy's answer to a user request: {status} after "
        f"{waited:.1f} s (client limit {client_limit:.0f} s)",
    )
    redis.start()
    elapsed = _seconds_until_answer(_server_url(redis_hub), 60)
    _report(
        capsys,
        f"Redis back: user server answers again after {elapsed:.2f} s, without restarting anything",
    )
    assert status == 500 and waited <= 1


def test_hub_restart_keeps_servers(
    redis_hub: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    redis_hub.stop_hub()
    down_answers = [_answers(_server_url(redis_hub), 5) for _ in range(5)]
    start = time.monotonic()
    redis_hub.start_hub()
    restart = time.monotonic() - start
    model = redis_hub.api("GET", f"/users/{USER}").json()
    ready = model["servers"][""]["ready"]
    _report(
        capsys,
        f"Hub down: user server answered {sum(down_answers)}/5 requests; hub back "
        f"in {restart:.1f} s with {USER}'s server ready={ready}",
    )
    assert all(down_answers)
    assert model["servers"][""]["ready"] is True
    assert _answers(_server_url(redis_hub), 5)
