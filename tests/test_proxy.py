from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    Autoscaling,
    CHProxy,
    HubStatefulSet,
    NotebookProfile,
    ProxyLogLevel,
    ProxyToken,
    Resources,
)
from tests.conftest import TRUST, find, synth


def _proxy(chart: cdk8s.Chart, **props: Any) -> CHProxy:
    hub = HubStatefulSet(chart, "Hub", header_trust=TRUST,
            proxy_token=ProxyToken.from_existing_secret("token"),
                         profiles=[NotebookProfile(chart, "Profile")])
    return CHProxy(chart, "Proxy", hub=hub, **props)


def _proxy_objects(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in manifests
            if m["metadata"]["labels"].get("app.kubernetes.io/component") == "proxy"]


def _container(chart: cdk8s.Chart) -> dict[str, Any]:
    container: dict[str, Any] = find(synth(chart), "Deployment")["spec"]["template"]["spec"][
        "containers"][0]
    return container


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    _proxy(chart)
    assert _proxy_objects(synth(chart)) == snapshot_yaml


def test_targets_come_from_the_hub_service(chart: cdk8s.Chart) -> None:
    proxy = _proxy(chart, )
    args = _container(chart)["args"]
    assert f"--default-target=http://{proxy.hub.service.name}:8081" in args
    assert f"--error-target=http://{proxy.hub.service.name}:8081/hub/error" in args


def test_hub_learns_the_api_url(chart: cdk8s.Chart) -> None:
    proxy = _proxy(chart)
    assert proxy.hub.settings.proxy_api_url == f"http://{proxy.service.name}:8000"


def test_default_child_is_the_deployment(chart: cdk8s.Chart) -> None:
    assert cdk8s.ApiObject.of(_proxy(chart)).kind == "Deployment"


def test_log_level(chart: cdk8s.Chart) -> None:
    _proxy(chart, log_level=ProxyLogLevel.DEBUG)
    assert "--log-level=debug" in _container(chart)["args"]


def test_resources(chart: cdk8s.Chart) -> None:
    _proxy(chart, resources=Resources("50m", "200Mi", "2", "400Mi"))
    assert _container(chart)["resources"]["limits"] == {"cpu": "2", "memory": "400Mi"}


def test_no_service_account_token(chart: cdk8s.Chart) -> None:
    _proxy(chart)
    assert find(synth(chart), "Deployment")["spec"]["template"]["spec"][
        "automountServiceAccountToken"] is False


def test_fails_max_replicas_with_memory_routes(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _proxy(chart, autoscaling=Autoscaling(max_replicas=3))
    assert str(error.value) == (
        "test/Proxy: autoscaling.max_replicas must be 1 while routes are kept in memory (each "
        "replica would keep its own route table), got 3")


def test_fails_limit_below_request(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _proxy(chart, resources=Resources("10m", "256Mi", "1", "128Mi"))
    assert str(error.value) == (
        "test/Proxy: resources.memory_limit must be at least resources.memory_request (256Mi), "
        "got '128Mi'")


def test_fails_second_proxy_for_one_hub(chart: cdk8s.Chart) -> None:
    proxy = _proxy(chart)
    with pytest.raises(ValueError) as error:
        CHProxy(chart, "Other", hub=proxy.hub)
    assert str(error.value) == (
        "test/Hub: proxy is already test/Proxy: a hub serves one proxy, got 'test/Other'")
