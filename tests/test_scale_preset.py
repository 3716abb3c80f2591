"""The scale presets: ``JupyterHub(expected_users=..., expected_concurrent_spawns=...)`` and
what ``ScalePreset`` derives, one value per test; one test per error message."""

from __future__ import annotations

import cdk8s
import pytest

from constructs_lib import RouteStore, ScalePreset
from hub_runtime.settings import dump_settings, parse_settings
from tests.support.builders import find, make_jupyterhub, synth, value_error


def preset(users: int, spawns: int | None = None) -> ScalePreset:
    if spawns is None:
        return ScalePreset(expected_users=users)
    return ScalePreset(expected_users=users, expected_concurrent_spawns=spawns)


@pytest.mark.parametrize(("users", "spawns"), [(50, 10), (1000, 100), (10000, 500), (5, 5)])
def test_default_burst_is_a_tenth_of_the_users_within_10_and_500(users: int, spawns: int) -> None:
    assert preset(users).concurrent_spawns == spawns


def test_spawn_limit_is_the_burst_and_a_quarter() -> None:
    assert preset(10000, 500).concurrent_spawn_limit == 625


@pytest.mark.parametrize(("users", "seconds"), [(100, 10), (1000, 20), (10000, 200), (99999, 300)])
def test_hub_activity_interval_grows_with_users_from_the_proxys(users: int, seconds: int) -> None:
    assert preset(users).activity_interval_seconds(10) == seconds


def test_hub_activity_interval_never_below_the_proxys() -> None:
    assert preset(1000).activity_interval_seconds(60) == 60


@pytest.mark.parametrize(("users", "seconds"), [(100, 300), (5000, 450), (10000, 900)])
def test_user_activity_interval(users: int, seconds: int) -> None:
    assert preset(users).user_activity_interval_seconds == seconds


@pytest.mark.parametrize(("users", "concurrency"), [(100, 10), (10000, 20), (50000, 50)])
def test_culler_concurrency(users: int, concurrency: int) -> None:
    assert preset(users).culler_concurrency == concurrency


@pytest.mark.parametrize(("users", "seconds"), [(999, 10), (1000, 1)])
def test_init_spawners_timeout(users: int, seconds: int) -> None:
    assert preset(users).init_spawners_timeout_seconds == seconds


@pytest.mark.parametrize(("users", "millicores"), [(20, 100), (500, 500), (10000, 1000)])
def test_hub_cpu_request_is_a_whole_core_at_scale(users: int, millicores: int) -> None:
    assert preset(users).hub_cpu_request_millicores == millicores


def test_proxy_memory_limit_grows_per_user() -> None:
    assert preset(10000).proxy_memory_limit_bytes == 256 * 2**20 + 10000 * 64 * 1024


@pytest.mark.parametrize(("shared", "replicas"), [(False, 1), (True, 2)])
def test_proxy_replicas_only_with_shared_routes(shared: bool, replicas: int) -> None:
    assert preset(1000).proxy_min_replicas(shared) == replicas


def test_hub_settings(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart, expected_users=10000, expected_concurrent_spawns=500)
    settings = jupyterhub.hub.settings
    assert (
        settings.concurrent_spawn_limit,
        settings.activity_interval_seconds,
        settings.spawner.env["JUPYTERHUB_ACTIVITY_INTERVAL"],
        settings.culler.concurrency,
        settings.init_spawners_timeout_seconds,
    ) == (625, 200, "900", 20, 1)


def test_settings_round_trip(chart: cdk8s.Chart) -> None:
    settings = make_jupyterhub(chart, expected_users=2000).hub.settings
    assert parse_settings(dump_settings(settings)) == settings


def test_without_preset_the_hub_keeps_jupyterhubs_defaults(chart: cdk8s.Chart) -> None:
    settings = make_jupyterhub(chart).hub.settings
    assert (settings.concurrent_spawn_limit, settings.init_spawners_timeout_seconds) == (0, 10)


def test_explicit_activity_interval_wins(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart, expected_users=10000)
    assert jupyterhub.hub.settings.activity_interval_seconds == 200
    other = make_jupyterhub(
        chart,
        "Other",
        release="other",
        expected_users=10000,
        hub_options=jupyterhub.hub.options.__class__(activity_interval_seconds=15),
    )
    assert other.hub.settings.activity_interval_seconds == 15


def test_users_own_activity_interval_wins(chart: cdk8s.Chart) -> None:
    from constructs_lib import UserPods

    pods = UserPods(env={"JUPYTERHUB_ACTIVITY_INTERVAL": "60"})
    jupyterhub = make_jupyterhub(chart, expected_users=10000, user_pods=pods)
    assert jupyterhub.hub.settings.spawner.env["JUPYTERHUB_ACTIVITY_INTERVAL"] == "60"


def test_hub_cpu_request(chart: cdk8s.Chart) -> None:
    make_jupyterhub(chart, expected_users=5000)
    hub = find(synth(chart), "StatefulSet", "jupyterhub-hub")
    resources = hub["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert (resources["requests"]["cpu"], resources["limits"]["cpu"]) == ("1000m", "1000m")


def test_proxy_memory(chart: cdk8s.Chart) -> None:
    make_jupyterhub(chart, expected_users=10000)
    proxy = find(synth(chart), "Deployment", "jupyterhub-proxy")
    resources = proxy["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert (resources["requests"]["memory"], resources["limits"]["memory"]) == ("441Mi", "881Mi")


def test_proxy_replicas_with_redis_routes(chart: cdk8s.Chart) -> None:
    routes = RouteStore.redis(uri_secret="redis-uri")
    make_jupyterhub(chart, expected_users=1000, proxy_routes=routes, proxy_image="example/chp:1")
    scaler = find(synth(chart), "HorizontalPodAutoscaler")
    assert scaler["spec"]["minReplicas"] == 2


def test_fails_without_expected_users(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: make_jupyterhub(chart, expected_concurrent_spawns=50)) == (
        "test/JupyterHub: expected_concurrent_spawns needs expected_users (the spawns are a "
        "part of them), got 50"
    )


def test_fails_expected_users_zero(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: make_jupyterhub(chart, expected_users=0)) == (
        "test/JupyterHub: expected_users must be at least 1, got 0"
    )


def test_fails_expected_users_not_a_number(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: make_jupyterhub(chart, expected_users=True)) == (
        "test/JupyterHub: expected_users must be a whole number, got True"
    )


def test_fails_more_spawns_than_users(chart: cdk8s.Chart) -> None:
    assert value_error(
        lambda: make_jupyterhub(chart, expected_users=10, expected_concurrent_spawns=11)
    ) == ("test/JupyterHub: expected_concurrent_spawns must be at most expected_users (10), got 11")


def test_fails_spawns_zero(chart: cdk8s.Chart) -> None:
    assert value_error(
        lambda: make_jupyterhub(chart, expected_users=10, expected_concurrent_spawns=0)
    ) == ("test/JupyterHub: expected_concurrent_spawns must be a whole number, at least 1, got 0")
