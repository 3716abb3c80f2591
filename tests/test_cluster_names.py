"""Objects without a namespace (the user pods' PriorityClass, the Namespace) are unique per
hub in an app: a second hub that would create one of the same name is an error naming what to
change, the ``release`` when the name comes from it."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest

from constructs_lib import HubNamespace, JupyterHub, ProxyToken, UserPods, UserPriority
from tests.support.constants import HOSTS, TRUST

TOKEN = ProxyToken.from_existing_secret("proxy-token")
DEFAULT_CLASS = "jupyterhub-singleuser-server"


def _hub(app: cdk8s.App, namespace: str, **props: Any) -> JupyterHub:
    chart = cdk8s.Chart(app, namespace, namespace=namespace)
    return JupyterHub(
        chart, "JupyterHub", proxy_token=TOKEN, header_trust=TRUST, hosts=HOSTS, **props
    )


def _namespace(app: cdk8s.App, name: str, **props: Any) -> HubNamespace:
    chart = cdk8s.Chart(app, f"namespace-{name}")
    return HubNamespace(chart, "Namespace", name=name, profiles=[], **props)


def _error(build: Any) -> str:
    with pytest.raises(ValueError) as error:
        build()
    return str(error.value)


def _priority_classes(app: cdk8s.App) -> list[str]:
    return [
        manifest["metadata"]["name"]
        for chart in app.charts
        for manifest in cdk8s.Testing.synth(chart)
        if manifest["kind"] == "PriorityClass"
    ]


@pytest.fixture
def app() -> cdk8s.App:
    return cdk8s.Testing.app()


def test_fails_default_release_in_two_namespaces(app: cdk8s.App) -> None:
    _hub(app, "a")
    assert _error(lambda: _hub(app, "b")) == (
        "b/JupyterHub/Hub: release must differ from that of a/JupyterHub/Hub (in namespace "
        f"'a'): both would create the cluster-scoped PriorityClass '{DEFAULT_CLASS}', and "
        "deleting either's app would delete the other's (or let one hub create the class "
        "and the other name it with UserPriority.existing), got 'jupyterhub'"
    )


def test_fails_default_release_in_two_hub_namespaces(app: cdk8s.App) -> None:
    _namespace(app, "a")
    _hub(app, "a")
    assert _error(lambda: _namespace(app, "b")) == (
        "namespace-b/Namespace: release must differ from that of namespace-a/Namespace, "
        "which creates namespace 'a' for it (a release lives in one namespace), "
        "got 'jupyterhub'"
    )


def test_fails_second_hub_of_a_release_beside_its_hub_namespace(app: cdk8s.App) -> None:
    _hub(app, "a")
    _namespace(app, "a")
    assert _error(lambda: _hub(app, "b")) == (
        "b/JupyterHub/Hub: release must differ from that of a/JupyterHub/Hub in namespace "
        "'a', which namespace-a/Namespace creates for it (a release lives in one namespace), "
        "got 'jupyterhub'"
    )


def test_fails_hub_namespace_for_hubs_in_two_namespaces(app: cdk8s.App) -> None:
    # Neither hub creates a PriorityClass, so the two may share a release until a
    # HubNamespace has to say which of them it is for.
    pods = UserPods(priority=None)
    _hub(app, "a", user_pods=pods)
    _hub(app, "b", user_pods=pods)
    assert _error(lambda: _namespace(app, "a")) == (
        "namespace-a/Namespace: release must be that of one hub, not of a/JupyterHub/Hub "
        "(namespace 'a') and b/JupyterHub/Hub (namespace 'b'): give each hub a release of "
        "its own, got 'jupyterhub'"
    )


def test_fails_one_named_class_created_by_two_releases(app: cdk8s.App) -> None:
    pods = UserPods(priority=UserPriority.created(name="notebooks"))
    _hub(app, "a", release="first", user_pods=pods)
    assert _error(lambda: _hub(app, "b", release="second", user_pods=pods)) == (
        "b/JupyterHub/Hub: user_pods.priority.name must differ from that of "
        "a/JupyterHub/Hub (release 'first'): both would create the cluster-scoped "
        "PriorityClass 'notebooks', and deleting either's app would delete the other's (or "
        "let one hub create the class and the other name it with UserPriority.existing), "
        "got 'notebooks'"
    )


def test_fails_one_named_class_in_one_namespace(app: cdk8s.App) -> None:
    # Two releases may share a namespace, not a PriorityClass each creates.
    pods = UserPods(priority=UserPriority.created(name="notebooks"))
    chart = cdk8s.Chart(app, "a", namespace="a")
    JupyterHub(
        chart,
        "First",
        proxy_token=TOKEN,
        header_trust=TRUST,
        hosts=HOSTS,
        release="x",
        user_pods=pods,
    )
    assert _error(
        lambda: JupyterHub(
            chart,
            "Second",
            proxy_token=TOKEN,
            header_trust=TRUST,
            hosts=HOSTS,
            release="y",
            user_pods=pods,
        )
    ).startswith("a/Second/Hub: user_pods.priority.name must differ from that of a/First/Hub")


def test_fails_two_hub_namespaces_of_one_name(app: cdk8s.App) -> None:
    chart = cdk8s.Chart(app, "namespaces")
    HubNamespace(chart, "First", name="hub", release="first", profiles=[])
    assert _error(
        lambda: HubNamespace(chart, "Second", name="hub", release="second", profiles=[])
    ) == (
        "namespaces/Second: name must differ from that of namespaces/First (release "
        "'first'): both would create the cluster-scoped Namespace 'hub', and deleting "
        "either's app would delete the other's (or make one HubNamespace for it, with the "
        "profiles of every release there), got 'hub'"
    )


def test_two_releases_in_two_namespaces(app: cdk8s.App) -> None:
    for name in ("a", "b"):
        _namespace(app, name, release=name)
        _hub(app, name, release=name)
    assert sorted(_priority_classes(app)) == ["a-singleuser-server", "b-singleuser-server"]


def test_one_class_created_by_one_hub_and_named_by_another(app: cdk8s.App) -> None:
    _hub(app, "a")
    existing = UserPriority.existing(DEFAULT_CLASS, reason="created by the hub in namespace a")
    second = _hub(app, "b", user_pods=UserPods(priority=existing))
    assert _priority_classes(app) == [DEFAULT_CLASS]
    assert second.hub.settings.spawner.priority_class_name == DEFAULT_CLASS


def test_same_names_in_two_apps() -> None:
    # Each app is deployed on its own (dev and minimal are alternatives): names are
    # claimed per app.
    first, second = cdk8s.Testing.app(), cdk8s.Testing.app()
    _hub(first, "a")
    _hub(second, "a")
    assert _priority_classes(first) == _priority_classes(second) == [DEFAULT_CLASS]
