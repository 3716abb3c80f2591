from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    DEFAULT_STORAGE_CLASS,
    Autoscaling,
    CHProxy,
    HubStatefulSet,
    ProxyLogLevel,
    RedisRouteStore,
    Resources,
    RouteStore,
    check_references,
)
from constructs_lib._proxies.routes import PROXY_REDIS_RECIPE
from constructs_lib.integrity import IMAGE, RELOADER_PREREQUISITE, External, Prerequisite
from tests.support.builders import find, make_bare_hub, synth


def _proxy(chart: cdk8s.Chart, **props: Any) -> CHProxy:
    return CHProxy(chart, "Proxy", hub=make_bare_hub(chart), **props)


def _proxy_objects(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        m
        for m in manifests
        if m["metadata"]["labels"].get("app.kubernetes.io/component") == "proxy"
    ]


def _container(chart: cdk8s.Chart) -> dict[str, Any]:
    container: dict[str, Any] = find(synth(chart), "Deployment")["spec"]["template"]["spec"][
        "containers"
    ][0]
    return container


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    _proxy(chart)
    assert _proxy_objects(synth(chart)) == snapshot_yaml


def test_targets_come_from_the_hub_service(chart: cdk8s.Chart) -> None:
    proxy = _proxy(
        chart,
    )
    args = _container(chart)["args"]
    assert f"--default-target=http://{proxy.hub.service.name}:8081" in args
    assert f"--error-target=http://{proxy.hub.service.name}:8081/hub/error" in args


def test_hub_learns_the_api_url(chart: cdk8s.Chart) -> None:
    proxy = _proxy(chart)
    hub = proxy.hub
    assert isinstance(hub, HubStatefulSet)
    assert hub.settings.proxy_api_url == f"http://{proxy.service.name}:8000"


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
    assert (
        find(synth(chart), "Deployment")["spec"]["template"]["spec"]["automountServiceAccountToken"]
        is False
    )


def test_fails_max_replicas_with_memory_routes(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _proxy(chart, autoscaling=Autoscaling(max_replicas=3))
    assert str(error.value) == (
        "test/Proxy: autoscaling.max_replicas must be 1 while routes are kept in memory (each "
        "replica would keep its own route table; keep them in Redis with "
        "routes=RouteStore.redis(...)), got 3"
    )


def test_fails_limit_below_request(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _proxy(chart, resources=Resources("10m", "256Mi", "1", "128Mi"))
    assert str(error.value) == (
        "test/Proxy: resources.memory_limit must be at least resources.memory_request (256Mi), "
        "got '128Mi'"
    )


def test_fails_second_proxy_for_one_hub(chart: cdk8s.Chart) -> None:
    proxy = _proxy(chart)
    with pytest.raises(ValueError) as error:
        CHProxy(chart, "Other", hub=proxy.hub)
    assert str(error.value) == (
        "test/Other: hub already has the proxy test/Proxy (a release has one proxy per "
        "namespace), got 'test/Hub'"
    )


REDIS_IMAGE = "registry.example.org/jupyterhub/proxy-redis:5.3.0"


def test_existing_redis_routes(chart: cdk8s.Chart) -> None:
    proxy = _proxy(chart, routes=RouteStore.redis(uri_secret="routes-redis"), image=REDIS_IMAGE)
    manifests = synth(chart)
    container = find(manifests, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert "--storage-backend=configurable-http-proxy-redis-backend" in container["args"]
    assert container["env"] == [
        {
            "name": "CONFIGURABLE_PROXY_REDIS_URI",
            "valueFrom": {
                "secretKeyRef": {"name": "routes-redis", "key": "CONFIGURABLE_PROXY_REDIS_URI"}
            },
        }
    ]
    assert container["image"] == REDIS_IMAGE
    # Shared routes: the reference's three replicas are allowed.
    assert find(manifests, "HorizontalPodAutoscaler")["spec"]["maxReplicas"] == 3
    assert proxy.routes.external_secrets == {"routes-redis"}


def test_no_autoscaler_where_it_cannot_scale(chart: cdk8s.Chart) -> None:
    """Routes in memory allow exactly one replica: an HPA from 1 to 1 would scale nothing, so
    the Deployment states its one replica and there is no HPA."""
    proxy = _proxy(chart)
    manifests = synth(chart)
    assert proxy.autoscaler is None
    assert [m for m in manifests if m["kind"] == "HorizontalPodAutoscaler"] == []
    assert find(manifests, "Deployment")["spec"]["replicas"] == 1


def test_equal_minimum_and_maximum_is_a_fixed_count(chart: cdk8s.Chart) -> None:
    _proxy(
        chart,
        routes=RouteStore.redis(uri_secret="routes-redis"),
        image=REDIS_IMAGE,
        autoscaling=Autoscaling(min_replicas=2, max_replicas=2),
    )
    manifests = synth(chart)
    assert [m for m in manifests if m["kind"] == "HorizontalPodAutoscaler"] == []
    assert find(manifests, "Deployment")["spec"]["replicas"] == 2


def test_deployed_redis_routes(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    redis = RedisRouteStore(chart, "Redis")
    _proxy(chart, routes=redis, autoscaling=Autoscaling(max_replicas=5), image=REDIS_IMAGE)
    manifests = synth(chart)
    container = find(manifests, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["env"][1] == {
        "name": "CONFIGURABLE_PROXY_REDIS_URI",
        "value": "redis://:$(REDIS_PASSWORD)@jupyterhub-redis:6379/0?enableOfflineQueue=",
    }
    assert find(manifests, "HorizontalPodAutoscaler")["spec"]["maxReplicas"] == 5
    redis_objects = [
        m
        for m in manifests
        if m["metadata"]["labels"].get("app.kubernetes.io/component") == "redis"
    ]
    assert redis_objects == snapshot_yaml
    check_references(
        manifests,
        External(
            prerequisites=(
                Prerequisite("Secret", "proxy-token", "the proxy token"),
                RELOADER_PREREQUISITE,
                Prerequisite("Secret", "jupyterhub-redis", "the Redis password"),
                Prerequisite("StorageClass", DEFAULT_STORAGE_CLASS, "the hub's data volume"),
                # A placeholder registry: the image is built from the recipe.
                Prerequisite(
                    IMAGE,
                    REDIS_IMAGE,
                    "the proxy with the Redis backend",
                    build_command=f"docker build -f {PROXY_REDIS_RECIPE} -t {REDIS_IMAGE} .",
                ),
            )
        ),
    )
    policy = find(manifests, "NetworkPolicy", "jupyterhub-redis")["spec"]
    assert policy["ingress"][0]["from"] == [
        {
            "podSelector": {
                "matchLabels": {
                    "app.kubernetes.io/name": "jupyterhub",
                    "app.kubernetes.io/component": "proxy",
                }
            }
        }
    ]


def test_default_image_is_public_and_pulled_if_absent(chart: cdk8s.Chart) -> None:
    _proxy(chart)
    container = _container(chart)
    assert container["image"] == "quay.io/jupyterhub/configurable-http-proxy:5.3.0"
    assert container["imagePullPolicy"] == "IfNotPresent"


@pytest.mark.parametrize("routes", ["existing", "deployed"])
def test_fails_redis_routes_without_image(chart: cdk8s.Chart, routes: str) -> None:
    store = (
        RouteStore.redis(uri_secret="routes-redis")
        if routes == "existing"
        else RedisRouteStore(chart, "Redis")
    )
    with pytest.raises(ValueError) as error:
        _proxy(chart, routes=store)
    assert str(error.value) == (
        "test/Proxy: image must be an image of your own with routes in Redis: the official one "
        "lacks "
        "configurable-http-proxy-redis-backend; build docker/proxy-redis.Dockerfile (docker "
        "build -f docker/proxy-redis.Dockerfile -t <registry>/proxy-redis:<tag> .), push it "
        "and pass its reference, got 'quay.io/jupyterhub/configurable-http-proxy:5.3.0'"
    )


def test_fails_blank_image(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        _proxy(chart, image="quay.io/x proxy:1")
    assert str(error.value) == (
        "test/Proxy: image must be an image reference like 'registry.example.org/repo/name:tag' "
        "(lower-case repository path, optional tag and @sha256 digest), got 'quay.io/x proxy:1'"
    )


def test_fails_redis_bad_storage(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        RedisRouteStore(chart, "Redis", storage_size="lots")
    assert str(error.value) == (
        "test/Redis: storage_size must be a Kubernetes quantity such as '500m', '2', '256Mi' "
        "or '1G', got 'lots'"
    )


def test_escape_hatch_appends_a_volume_and_its_mount(chart: cdk8s.Chart) -> None:
    """The lists a patch appends to (``…/-``) exist even when the construct sets none."""
    proxy = _proxy(chart)
    deployment = cdk8s.ApiObject.of(proxy)
    deployment.add_json_patch(
        cdk8s.JsonPatch.add("/spec/template/spec/volumes/-", {"name": "x", "emptyDir": {}})
    )
    deployment.add_json_patch(
        cdk8s.JsonPatch.add(
            "/spec/template/spec/containers/0/volumeMounts/-", {"name": "x", "mountPath": "/x"}
        )
    )
    pod = find(synth(chart), "Deployment")["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "x", "emptyDir": {}}]
    assert pod["containers"][0]["volumeMounts"] == [{"name": "x", "mountPath": "/x"}]


def test_env_adds_variables_after_its_own(chart: cdk8s.Chart) -> None:
    proxy = _proxy(chart, routes=RouteStore.redis(uri_secret="redis"), image="r.example.org/p:1")
    own = proxy.env.names
    proxy.env.add_variable("NODE_OPTIONS", "--max-old-space-size=200")
    proxy.env.add_secret_variable("EXTRA_TOKEN", secret="extra", key="token")
    env = _container(chart)["env"]
    assert own == ("CONFIGURABLE_PROXY_REDIS_URI",)
    assert [variable["name"] for variable in env] == [*own, "NODE_OPTIONS", "EXTRA_TOKEN"]
    assert env[-2] == {"name": "NODE_OPTIONS", "value": "--max-old-space-size=200"}
    assert env[-1] == {
        "name": "EXTRA_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": "extra", "key": "token"}},
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "1ST",
            "env must be a variable name (letters, digits and '_', not starting with a "
            "digit), got '1ST'",
        ),
        (
            "CONFIGPROXY_AUTH_TOKEN",
            "env is read from a Secret the construct names (envFrom), got 'CONFIGPROXY_AUTH_TOKEN'",
        ),
        (
            "CONFIGURABLE_PROXY_REDIS_URI",
            "env is already set in the container, got 'CONFIGURABLE_PROXY_REDIS_URI'",
        ),
    ],
)
def test_env_refuses(chart: cdk8s.Chart, name: str, message: str) -> None:
    proxy = _proxy(chart, routes=RouteStore.redis(uri_secret="redis"), image="r.example.org/p:1")
    with pytest.raises(ValueError) as error:
        proxy.env.add_variable(name, "x")
    assert str(error.value) == f"test/Proxy: {message}"
