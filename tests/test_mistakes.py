"""Every mistake a user can make with the main props is a ``ValueError`` at construct time,
naming the construct path, the field, the value and what is allowed."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest

from constructs_lib import (
    HubNamespace,
    KubernetesVersion,
    NotebookProfile,
    Resources,
    UserPods,
    UserPriority,
)
from tests.support.builders import make_bare_hub, make_jupyterhub, value_error

IMAGE_RULE = (
    "must be an image reference like 'registry.example.org/repo/name:tag' "
    "(lower-case repository path, optional tag and @sha256 digest)"
)


def test_fails_admin_users_as_one_string(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: make_jupyterhub(chart, admin_users="alice")) == (
        "test/JupyterHub: admin_users must be a list of strings, not a single string, got 'alice'"
    )


def test_fails_admin_name_the_user_pattern_rejects(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: make_jupyterhub(chart, admin_users=["alice", "bob/eve"])) == (
        "test/JupyterHub/Hub: admin_users[1] must be a user name the hub accepts (this one "
        "does not match the user name pattern '\\\\w[\\\\w.@+-]*'), got 'bob/eve'"
    )


def test_fails_admin_name_longer_than_allowed(chart: cdk8s.Chart) -> None:
    hub = value_error(
        lambda: make_bare_hub(
            chart, profiles=[NotebookProfile(chart, "P")], admin_users=["alice"], user_max_length=3
        )
    )
    assert hub == (
        "test/Hub: admin_users[0] must be a user name the hub accepts (this one "
        "is longer than 3 characters), got 'alice'"
    )


def test_fails_empty_hub_image(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: make_jupyterhub(chart, hub_image="")) == (
        f"test/JupyterHub/Hub: image {IMAGE_RULE}, got ''"
    )


def test_fails_malformed_hub_image(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: make_jupyterhub(chart, hub_image="Quay.io/JupyterHub/Hub")) == (
        f"test/JupyterHub/Hub: image {IMAGE_RULE}, got 'Quay.io/JupyterHub/Hub'"
    )


def test_fails_malformed_proxy_image(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: make_jupyterhub(chart, proxy_image="chp latest")) == (
        f"test/JupyterHub/Proxy: image {IMAGE_RULE}, got 'chp latest'"
    )


def test_fails_malformed_profile_image(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: NotebookProfile(chart, "P", image="repo/name:")) == (
        f"test/P: image {IMAGE_RULE}, got 'repo/name:'"
    )


@pytest.mark.parametrize(
    "image",
    [
        "quay.io/jupyter/scipy-notebook:python-3.12",
        "localhost:5000/hub",
        "hub@sha256:" + "a" * 64,
        "registry.example.org/team/hub:0.1.0@sha256:" + "0" * 64,
    ],
)
def test_image_references(chart: cdk8s.Chart, image: str) -> None:
    assert NotebookProfile(chart, "P", image=image).settings.image == image


def test_fails_kubernetes_version_newer_than_any_schema() -> None:
    assert value_error(lambda: KubernetesVersion.of("2.0")) == (
        "kubernetes_version must be 1.37 or older (the newest whose API schemas the output "
        "is validated against), got '2.0'"
    )


def test_fails_kubernetes_version_built_directly(chart: cdk8s.Chart) -> None:
    assert value_error(
        lambda: make_jupyterhub(chart, kubernetes_version=KubernetesVersion(1, 40))
    ) == (
        "test/JupyterHub/Hub: kubernetes_version must be 1.37 or older (the newest whose API "
        "schemas the output is validated against), got '1.40'"
    )


def test_fails_chart_namespace_other_than_the_hub_namespace(chart: cdk8s.Chart) -> None:
    namespace = cdk8s.Chart(chart.node.scope, "namespace")  # type: ignore[arg-type]
    HubNamespace(namespace, "Namespace", name="hub", profiles=[])
    assert value_error(lambda: make_jupyterhub(chart)) == (
        "test/JupyterHub/Hub: namespace must be 'hub', the namespace namespace/Namespace "
        "creates for release 'jupyterhub' (the chart's namespace), got 'jupyterhub'"
    )


def test_fails_hub_namespace_other_than_the_chart_namespace(chart: cdk8s.Chart) -> None:
    make_jupyterhub(chart)
    namespace = cdk8s.Chart(chart.node.scope, "namespace")  # type: ignore[arg-type]
    assert value_error(lambda: HubNamespace(namespace, "Namespace", name="hub", profiles=[])) == (
        "namespace/Namespace: name must be 'jupyterhub', the namespace the chart of "
        "test/JupyterHub/Hub (release 'jupyterhub') puts it in, got 'hub'"
    )


def test_two_releases_in_one_namespace(chart: cdk8s.Chart) -> None:
    make_jupyterhub(chart)
    second = make_jupyterhub(chart, "Second", release="second")
    assert second.hub.name == "second-hub"


def test_fails_two_hubs_of_one_release_in_one_namespace(chart: cdk8s.Chart) -> None:
    make_jupyterhub(chart)
    assert value_error(lambda: make_jupyterhub(chart, "Second")) == (
        "test/Second/Hub: release must differ from that of test/JupyterHub/Hub in namespace "
        "'jupyterhub' (both would create the same objects), got 'jupyterhub'"
    )


def test_fails_malformed_priority_class_name(chart: cdk8s.Chart) -> None:
    pods = UserPods(priority=UserPriority.created(name="Low_Priority"))
    assert value_error(lambda: make_jupyterhub(chart, user_pods=pods)) == (
        "test/JupyterHub/Hub: user_pods.priority.name must be a DNS subdomain (dot-separated "
        "DNS labels, at most 253 characters), got 'Low_Priority'"
    )


def test_fails_reserved_priority_class_name(chart: cdk8s.Chart) -> None:
    pods = UserPods(priority=UserPriority.created(name="system-users"))
    assert value_error(lambda: make_jupyterhub(chart, user_pods=pods)) == (
        "test/JupyterHub/Hub: user_pods.priority.name must not start with 'system-' "
        "(Kubernetes reserves those names), got 'system-users'"
    )


def test_fails_fractional_extended_resource(chart: cdk8s.Chart) -> None:
    assert value_error(
        lambda: NotebookProfile(chart, "P", extra_resource_limits={"nvidia.com/gpu": "0.5"})
    ) == (
        "test/P: extra_resource_limits['nvidia.com/gpu'] must be a whole number: Kubernetes "
        "hands out extended resources whole (no fraction of a device), got '0.5'"
    )


def test_fails_unknown_extended_resource(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: NotebookProfile(chart, "P", extra_resource_limits={"gpu": "1"})) == (
        "test/P: extra_resource_limits must name an extended resource '<domain>/<name>' such "
        "as 'nvidia.com/gpu' (outside kubernetes.io), 'ephemeral-storage' or "
        "'hugepages-<size>' (CPU and memory have their own props), got 'gpu'"
    )


def test_fails_overcommitted_extended_resource(chart: cdk8s.Chart) -> None:
    assert value_error(
        lambda: NotebookProfile(
            chart,
            "P",
            extra_resource_guarantees={"example.com/fpga": "1"},
            extra_resource_limits={"example.com/fpga": "2"},
        )
    ) == (
        "test/P: extra_resource_limits['example.com/fpga'] must equal "
        "extra_resource_guarantees['example.com/fpga'] (1): Kubernetes does not overcommit "
        "extended resources, got '2'"
    )


def test_fails_zero_cpu(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: NotebookProfile(chart, "P", cpu_request="0")) == (
        "test/P: cpu_request must be more than 0 (at least 1m), got '0'"
    )


def test_fails_zero_memory(chart: cdk8s.Chart) -> None:
    resources = Resources("10m", "0", "1", "1Gi")
    assert value_error(
        lambda: make_bare_hub(chart, profiles=[NotebookProfile(chart, "P")], resources=resources)
    ) == (
        "test/Hub: resources.memory_request must be more than 0 (no container runs in no "
        "memory), got '0'"
    )


def test_fails_proxy_token_as_a_name(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: make_jupyterhub(chart, proxy_token="proxy-token")) == (
        "test/JupyterHub/Hub: proxy_token must be a ProxyToken, got 'proxy-token'"
    )


def test_fails_header_trust_as_a_string(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: make_jupyterhub(chart, header_trust="jwt")) == (
        "test/JupyterHub/Hub: header_trust must be a HeaderTrust or None, got 'jwt'"
    )


def test_fails_profile_as_a_name(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: make_jupyterhub(chart, profiles=["standard"])) == (
        "test/JupyterHub: profiles[0] must be a NotebookProfile, got 'standard'"
    )


def test_fails_server_args_setting_what_the_hub_sets(chart: cdk8s.Chart) -> None:
    pods = UserPods(server_args=("--HubOAuth.cache_max_age=300",))
    assert value_error(lambda: make_jupyterhub(chart, user_pods=pods)) == (
        "test/JupyterHub/Hub: user_pods.server_args must leave to the hub what it sets itself "
        "(--HubOAuth.cache_max_age=1), got '--HubOAuth.cache_max_age=300'"
    )


def test_fails_user_pods_as_a_dict(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: make_jupyterhub(chart, user_pods={"sidecar": None})) == (
        "test/JupyterHub: user_pods must be a UserPods, got {'sidecar': None}"
    )


def test_fails_flag_as_a_string(chart: cdk8s.Chart) -> None:
    assert value_error(
        lambda: make_bare_hub(chart, profiles=[NotebookProfile(chart, "P")], allow_all="no")
    ) == ("test/Hub: allow_all must be True or False, got 'no'")


def test_fails_count_as_a_bool(chart: cdk8s.Chart) -> None:
    assert value_error(lambda: make_jupyterhub(chart, named_server_limit=True)) == (
        "test/JupyterHub: named_server_limit must be a whole number, got True"
    )


def test_fails_extra_config_unknown_class(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        make_bare_hub(
            chart,
            profiles=[NotebookProfile(chart, "P")],
            extra_config={"LocalProcessSpawner": {"cmd": ["x"]}},
        )
    assert str(error.value) == (
        "test/Hub: extra_config must name a configurable class: one of JupyterHub, "
        "Authenticator, HeaderAuthenticator, Spawner, KubeSpawner, DynamicKubeSpawner, Proxy, "
        "ConfigurableHTTPProxy, VirtualServiceProxy, got 'LocalProcessSpawner'"
    )


def test_fails_extra_config_value_not_json(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        make_bare_hub(
            chart,
            profiles=[NotebookProfile(chart, "P")],
            extra_config={"KubeSpawner": {"http_timeout": object}},
        )
    assert str(error.value).startswith(
        "test/Hub: extra_config.KubeSpawner.http_timeout must be a JSON value, got "
    )


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("display_name", None, "must be a string"),
        ("display_name", 3, "must be a string"),
        ("description", ["Lab"], "must be a string"),
        ("default", "yes", "must be True or False"),
    ],
)
def test_fails_profile_text_of_another_type(
    chart: cdk8s.Chart, field: str, value: Any, allowed: str
) -> None:
    assert value_error(lambda: NotebookProfile(chart, "P", **{field: value})) == (
        f"test/P: {field} {allowed}, got {value!r}"
    )
