"""Every alert of HubMonitoring's PrometheusRule under ``promtool test rules`` (Debian's
Prometheus): the series that make it fire, with the labels it carries, and healthy series
that leave it quiet."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib._hub._alert_rules import STREAMING_HANDLER
from tests.support.commands import run
from tests.support.monitoring import NAMESPACE, Monitoring, monitoring

pytestmark = pytest.mark.slow

HUB = f'job="jupyterhub-hub",namespace="{NAMESPACE}"'
PROXY = f'job="jupyterhub-proxy-metrics",namespace="{NAMESPACE}"'
SPAWNS = "jupyterhub_server_spawn_duration_seconds_count"
BUCKETS = "jupyterhub_request_duration_seconds_bucket"
MEMORY = "process_resident_memory_bytes"
# 80% of the proxy's default 256Mi limit: the threshold of the memory alert.
MEMORY_THRESHOLD = int(256 * 1024**2 * 0.8)
HOME = 'handler="jupyterhub.handlers.pages.HomeHandler",method="GET",code="200"'
PROGRESS = f'handler="{STREAMING_HANDLER}",method="GET",code="200"'


def series(name: str, labels: str, values: str) -> dict[str, str]:
    return {"series": f"{name}{{{labels}}}", "values": values}


def histogram(labels: str, slow_per_minute: int) -> list[dict[str, str]]:
    """Request durations: ``slow_per_minute`` requests a minute of 2.5-5 s."""
    counts = {"1": 0, "2.5": 0, "5": slow_per_minute, "+Inf": slow_per_minute}
    return [
        series(BUCKETS, f'{labels},{HUB},le="{le}"', f"0+{count}x40")
        for le, count in counts.items()
    ]


def _no_owner(pod: str, *, instance: str, kind: str) -> list[dict[str, str]]:
    """kube-state-metrics' kube_pod_owner of a pod without owners (KubeSpawner's)."""
    labels = f'namespace="{NAMESPACE}",pod="{pod}",instance="{instance}",owner_kind="{kind}"'
    return [series("kube_pod_owner", labels, "1x10")]


# alert -> (input series, minute to evaluate at, the labels of each alert expected);
# each alert also has a healthy case with no alert.
FIRING: dict[str, tuple[list[dict[str, str]], int, list[dict[str, str]]]] = {
    "JupyterHubDown": (
        [series("up", HUB, "1 1 0x10")],
        10,
        [{"job": "jupyterhub-hub", "namespace": NAMESPACE}],
    ),
    "JupyterHubSpawnsFailing": (
        [series(SPAWNS, f'{HUB},status="failure"', "0+1x30")],
        10,
        [{}],
    ),
    "JupyterHubSpawnsThrottled": (
        [series(SPAWNS, f'{HUB},status="throttled"', "0 0 0 1 1 1 1 1 1 1")],
        5,
        [{}],
    ),
    "JupyterHubSlowRequests": (histogram(HOME, 10), 25, [{}]),
    "JupyterHubProxyDown": (
        [series("up", PROXY, "0x10")],
        10,
        [{"job": "jupyterhub-proxy-metrics", "namespace": NAMESPACE}],
    ),
    "JupyterHubProxyErrors": (
        [
            series("requests_proxy", f'{PROXY},status="503"', "0+10x30"),
            series("requests_proxy", f'{PROXY},status="200"', "0+10x30"),
        ],
        20,
        [{}],
    ),
    "JupyterHubProxyMemoryGrowth": (
        [series(MEMORY, PROXY, f"{MEMORY_THRESHOLD - 5_000_000}+1000000x60")],
        40,
        [{"job": "jupyterhub-proxy-metrics", "namespace": NAMESPACE}],
    ),
    "JupyterHubUserPodsPending": (
        [
            series(
                "kube_pod_status_phase",
                f'namespace="{NAMESPACE}",pod="jupyter-alice",phase="Pending"',
                "1x10",
            ),
            # Two kube-state-metrics replicas; v2.20 writes an empty owner_kind, older "<none>".
            *_no_owner("jupyter-alice", instance="ksm-0", kind=""),
            *_no_owner("jupyter-alice", instance="ksm-1", kind="<none>"),
        ],
        5,
        [{"pod": "jupyter-alice"}],
    ),
}

QUIET: dict[str, tuple[list[dict[str, str]], int]] = {
    "JupyterHubDown": ([series("up", HUB, "1x10")], 10),
    "JupyterHubSpawnsFailing": (
        [
            series(SPAWNS, f'{HUB},status="failure"', "0 1 1 1 1 1 1 1 1 1 1"),
            series(SPAWNS, f'{HUB},status="success"', "0+5x10"),
        ],
        10,
    ),
    "JupyterHubSpawnsThrottled": ([series(SPAWNS, f'{HUB},status="success"', "0+1x10")], 10),
    # Slow answers of a streaming handler are no latency.
    "JupyterHubSlowRequests": (histogram(PROGRESS, 10), 25),
    "JupyterHubProxyDown": ([series("up", PROXY, "1x10")], 10),
    "JupyterHubProxyErrors": (
        [
            series("requests_proxy", f'{PROXY},status="503"', "0+1x30"),
            series("requests_proxy", f'{PROXY},status="200"', "0+100x30"),
        ],
        20,
    ),
    # High but flat: no growth.
    "JupyterHubProxyMemoryGrowth": ([series(MEMORY, PROXY, f"{MEMORY_THRESHOLD + 1}x60")], 40),
    "JupyterHubUserPodsPending": (
        [
            series(
                "kube_pod_status_phase",
                f'namespace="{NAMESPACE}",pod="jupyter-alice",phase="Pending"',
                "1 1 0x8",
            ),
            *_no_owner("jupyter-alice", instance="ksm-0", kind=""),
            # A release named jupyter-x: its proxy's pod is no user's, though its name fits.
            series(
                "kube_pod_status_phase",
                f'namespace="{NAMESPACE}",pod="jupyter-x-proxy-5d8f7-abcde",phase="Pending"',
                "1x10",
            ),
            series(
                "kube_pod_owner",
                f'namespace="{NAMESPACE}",pod="jupyter-x-proxy-5d8f7-abcde",'
                'owner_kind="ReplicaSet",owner_name="jupyter-x-proxy-5d8f7"',
                "1x10",
            ),
        ],
        5,
    ),
}


@pytest.fixture(scope="module")
def made() -> Monitoring:
    return monitoring()


def _expected(rule: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    return {
        "exp_labels": {**rule["labels"], **labels},
        "exp_annotations": rule["annotations"],
    }


def test_every_alert_has_cases(made: Monitoring) -> None:
    names = {rule["alert"] for rule in made.alert_rules}
    assert names == set(FIRING) == set(QUIET)


def test_promtool_checks_the_rule_file(made: Monitoring, tmp_path: Path) -> None:
    result = run([_promtool(), "check", "rules", made.write_rules(tmp_path / "rules.yaml")])
    assert f"SUCCESS: {len(made.alert_rules)} rules found" in result.stdout


def test_promtool_unit_tests_of_every_alert(made: Monitoring, tmp_path: Path) -> None:
    made.write_rules(tmp_path / "rules.yaml")
    rules = {rule["alert"]: rule for rule in made.alert_rules}
    tests = []
    for name, (inputs, minute, alerts) in FIRING.items():
        tests.append(
            {
                "name": f"{name} fires",
                "interval": "1m",
                "input_series": inputs,
                "alert_rule_test": [
                    {
                        "eval_time": f"{minute}m",
                        "alertname": name,
                        "exp_alerts": [_expected(rules[name], labels) for labels in alerts],
                    }
                ],
            }
        )
    for name, (inputs, minute) in QUIET.items():
        tests.append(
            {
                "name": f"{name} stays quiet",
                "interval": "1m",
                "input_series": inputs,
                "alert_rule_test": [
                    {"eval_time": f"{minute}m", "alertname": name, "exp_alerts": []}
                ],
            }
        )
    # The hub makes its spawn series at 0 when it starts (jupyterhub/metrics.py), so old
    # failures are old: a Prometheus that first sees a hub with 5 failed spawns in its
    # lifetime (it restarted, or the job is new) pages for none of them, and pages once
    # three more fail.
    tests.append(
        {
            "name": "JupyterHubSpawnsFailing counts no failure older than its first sample",
            "interval": "1m",
            "input_series": [series(SPAWNS, f'{HUB},status="failure"', "5x10 6 7 8 8 8")],
            "alert_rule_test": [
                {"eval_time": "5m", "alertname": "JupyterHubSpawnsFailing", "exp_alerts": []},
                {
                    "eval_time": "14m",
                    "alertname": "JupyterHubSpawnsFailing",
                    "exp_alerts": [_expected(rules["JupyterHubSpawnsFailing"], {})],
                },
            ],
        }
    )
    # A hub that has never been scraped (no `up` at all) is down too.
    tests.append(
        {
            "name": "JupyterHubDown fires with no target at all",
            "interval": "1m",
            "input_series": [series("up", PROXY, "1x10")],
            "alert_rule_test": [
                {
                    "eval_time": "5m",
                    "alertname": "JupyterHubDown",
                    "exp_alerts": [
                        _expected(
                            rules["JupyterHubDown"],
                            {"job": "jupyterhub-hub", "namespace": NAMESPACE},
                        )
                    ],
                }
            ],
        }
    )
    test_file = tmp_path / "alerts_test.yaml"
    test_file.write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "tests": tests}))
    result = run([_promtool(), "test", "rules", test_file], cwd=tmp_path)
    assert "SUCCESS" in result.stdout


def test_promtool_fails_a_wrong_expectation(made: Monitoring, tmp_path: Path) -> None:
    """The unit tests above can fail: a healthy series expected to fire is a failure."""
    made.write_rules(tmp_path / "rules.yaml")
    rule = next(r for r in made.alert_rules if r["alert"] == "JupyterHubDown")
    test = {
        "name": "wrong",
        "interval": "1m",
        "input_series": [series("up", HUB, "1x10")],
        "alert_rule_test": [
            {
                "eval_time": "10m",
                "alertname": "JupyterHubDown",
                "exp_alerts": [_expected(rule, {"job": "jupyterhub-hub"})],
            }
        ],
    }
    test_file = tmp_path / "wrong_test.yaml"
    test_file.write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "tests": [test]}))
    import subprocess

    result = subprocess.run(
        [_promtool(), "test", "rules", str(test_file)], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED" in result.stdout + result.stderr


def _promtool() -> str:
    path = shutil.which("promtool")
    assert path is not None, "promtool is missing: `make test` installs Debian's prometheus"
    return path
