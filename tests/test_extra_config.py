"""``extra_config`` names traits that exist: each is checked at construct time against its
class at the hub's versions (installed for synthesis), as the hub's start checks it."""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import cdk8s
import pytest
from traitlets.config import Config

from constructs_lib import HubOptions, JupyterHub, ProxyToken
from constructs_lib._hub._extra_config import _configurable_traits
from hub_runtime.config import _extra_config
from hub_runtime.preview import with_spawner
from hub_runtime.settings import CONFIGURABLE_CLASSES, HubSettings, SettingsError
from tests.support.builders import make_chart
from tests.support.constants import HOSTS, TRUST

TOKEN = ProxyToken.from_existing_secret("proxy-token")


def _jupyterhub(chart: cdk8s.Chart, extra: Any) -> JupyterHub:
    return JupyterHub(
        chart,
        "JupyterHub",
        proxy_token=TOKEN,
        header_trust=TRUST,
        hosts=HOSTS,
        hub_options=HubOptions(extra_config=extra),
    )


def _error(chart: cdk8s.Chart, extra: Any) -> str:
    with pytest.raises(ValueError) as error:
        _jupyterhub(chart, extra)
    return str(error.value)


def test_fails_misspelled_trait_with_a_suggestion(chart: cdk8s.Chart) -> None:
    assert _error(chart, {"KubeSpawner": {"http_timout": 60}}) == (
        "test/JupyterHub/Hub: extra_config.KubeSpawner must name a configurable trait of "
        "KubeSpawner (at jupyterhub-kubespawner 7.0.0; did you mean 'http_timeout'?), "
        "got 'http_timout'"
    )


def test_fails_unknown_trait_of_the_hub(chart: cdk8s.Chart) -> None:
    assert _error(chart, {"JupyterHub": {"no_such_setting": 1}}) == (
        "test/JupyterHub/Hub: extra_config.JupyterHub must name a configurable trait of "
        "JupyterHub (at jupyterhub 5.5.0), got 'no_such_setting'"
    )


def test_fails_trait_of_a_subclass_on_its_base(chart: cdk8s.Chart) -> None:
    # KubeSpawner's trait, set on the base Spawner class: the hub would refuse it too.
    assert _error(chart, {"Spawner": {"namespace": "users"}}).startswith(
        "test/JupyterHub/Hub: extra_config.Spawner must name a configurable trait of Spawner "
        "(at jupyterhub 5.5.0"
    )


def test_fails_trait_of_this_library_class(chart: cdk8s.Chart) -> None:
    assert _error(chart, {"DynamicKubeSpawner": {"start_timeot": 60}}) == (
        "test/JupyterHub/Hub: extra_config.DynamicKubeSpawner must name a configurable trait "
        "of DynamicKubeSpawner (at hub_runtime.spawner; did you mean 'start_timeout'?), "
        "got 'start_timeot'"
    )


def test_fails_trait_that_is_not_configuration(chart: cdk8s.Chart) -> None:
    # Spawner.user_options is a trait the form fills at each spawn, not configuration.
    assert _error(chart, {"Spawner": {"user_options": {}}}).endswith("got 'user_options'")


def test_known_traits_pass(chart: cdk8s.Chart) -> None:
    extra = {
        "KubeSpawner": {"http_timeout": 60},
        "JupyterHub": {"shutdown_on_logout": True},
        "HeaderAuthenticator": {"admin_users": ["alice"]},
    }
    hub = _jupyterhub(chart, extra).hub
    assert hub.settings.extra_config["KubeSpawner"] == {"http_timeout": 60}


@pytest.fixture
def hub_packages_missing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As without the ``hub`` extra: importing kubespawner fails."""
    _configurable_traits.cache_clear()
    monkeypatch.setitem(sys.modules, "kubespawner", None)
    yield
    _configurable_traits.cache_clear()


@pytest.mark.usefixtures("hub_packages_missing")
def test_fails_without_the_hub_packages(chart: cdk8s.Chart) -> None:
    assert _error(chart, {"KubeSpawner": {"http_timeout": 60}}) == (
        "test/JupyterHub/Hub: extra_config.KubeSpawner is checked against KubeSpawner of "
        "the hub's packages, and kubespawner is not installed here (pip install "
        "'jupyterhub-cdk8s[hub]' installs them at the versions the hub runs), got 'http_timeout'"
    )


@pytest.mark.parametrize("name", sorted(CONFIGURABLE_CLASSES))
def test_construct_time_agrees_with_the_hub_start(name: str) -> None:
    """What the construct accepts, the hub's start applies; what it refuses, the start does."""
    known = sorted(_configurable_traits(name))
    assert known
    config = Config()
    _extra_config(config, _settings({name: {known[0]: None}}))
    assert known[0] in config[name]
    with pytest.raises(SettingsError):
        _extra_config(config, _settings({name: {known[0] + "_x": None}}))


def _settings(extra: dict[str, dict[str, Any]]) -> HubSettings:
    """Settings as the hub's start reads them for extra_config (that field alone)."""
    return cast(HubSettings, SimpleNamespace(extra_config=extra))


def test_fails_value_of_the_wrong_type(chart: cdk8s.Chart) -> None:
    assert _error(chart, {"KubeSpawner": {"start_timeout": "60"}}) == (
        "test/JupyterHub/Hub: extra_config.KubeSpawner.start_timeout must be an int for "
        "KubeSpawner at jupyterhub-kubespawner 7.0.0 (The 'start_timeout' trait of a "
        "KubeSpawner instance expected an int, not the str '60'.), got '60'"
    )


def test_fails_value_its_validator_cannot_read(chart: cdk8s.Chart) -> None:
    # JupyterHub's ByteSpecification fails with a TypeError on a list: still a ValueError here.
    assert _error(chart, {"KubeSpawner": {"mem_limit": ["1G"]}}) == (
        "test/JupyterHub/Hub: extra_config.KubeSpawner.mem_limit must be an int for "
        "KubeSpawner at jupyterhub-kubespawner 7.0.0 (float() argument must be a string or a "
        "real number, not 'list'), got ['1G']"
    )


def test_fails_a_function_named_by_string(chart: cdk8s.Chart) -> None:
    # Callable traits take functions, which a JSON value cannot be.
    assert _error(chart, {"KubeSpawner": {"modify_pod_hook": "hooks.modify"}}).startswith(
        "test/JupyterHub/Hub: extra_config.KubeSpawner.modify_pod_hook must be a callable for "
        "KubeSpawner at jupyterhub-kubespawner 7.0.0 ("
    )


def test_fails_a_class_trait_given_no_name(chart: cdk8s.Chart) -> None:
    assert _error(chart, {"JupyterHub": {"authenticator_class": 3}}).startswith(
        "test/JupyterHub/Hub: extra_config.JupyterHub.authenticator_class must be a subclass "
        "of 'jupyterhub.auth.Authenticator' for JupyterHub at jupyterhub 5.5.0 ("
    )


def test_values_are_checked_as_the_hub_reads_them(chart: cdk8s.Chart) -> None:
    extra = {
        # A tuple is a JSON list; a set trait takes a list, or one name.
        "KubeSpawner": {"image_pull_secrets": ("registry",), "cpu_limit": None},
        "HeaderAuthenticator": {"blocked_users": "mallory"},
        # Named classes are imported by the hub, in its image.
        "JupyterHub": {"spawner_class": "mypackage.MySpawner"},
    }
    hub = _jupyterhub(chart, extra).hub
    assert hub.settings.extra_config["KubeSpawner"]["image_pull_secrets"] == ("registry",)


# (class, trait, value): accepted or refused at construct time as the class itself does.
AGREEMENT = [
    ("KubeSpawner", "start_timeout", 60),
    ("KubeSpawner", "start_timeout", "60"),
    ("KubeSpawner", "start_timeout", 1.5),
    ("KubeSpawner", "mem_limit", "2G"),
    ("KubeSpawner", "mem_limit", "2 lots"),
    ("KubeSpawner", "mem_limit", ["1G"]),
    ("KubeSpawner", "image_pull_secrets", ["registry"]),
    ("KubeSpawner", "image_pull_secrets", 5),
    ("KubeSpawner", "extra_labels", {"team": "physics"}),
    ("KubeSpawner", "extra_labels", ["team"]),
    ("KubeSpawner", "tolerations", [{"key": "gpu", "operator": "Exists"}]),
    ("KubeSpawner", "tolerations", "gpu"),
    ("KubeSpawner", "modify_pod_hook", "hooks.modify"),
    ("DynamicKubeSpawner", "start_timeout", True),
    ("JupyterHub", "shutdown_on_logout", True),
    ("JupyterHub", "shutdown_on_logout", "yes"),
    ("JupyterHub", "load_roles", [{"name": "r", "scopes": ["read:users"]}]),
    ("JupyterHub", "load_roles", {"name": "r"}),
    ("JupyterHub", "cookie_max_age_days", 7),
    ("JupyterHub", "cookie_max_age_days", "7"),
    ("Authenticator", "admin_users", ["alice"]),
    ("Authenticator", "admin_users", "alice"),
    ("Authenticator", "admin_users", 5),
    ("HeaderAuthenticator", "jwt", {}),
    ("ConfigurableHTTPProxy", "command", "configurable-http-proxy"),
    ("ConfigurableHTTPProxy", "command", 8000),
]


def _hub_accepts(name: str, trait: str, value: Any, settings: HubSettings) -> bool:
    """Whether the hub's start takes the value: its configuration applied to the class, as
    the hub makes it (the spawners through the hub runtime, as a spawn makes them)."""
    extra = {name: {trait: value}}
    try:
        if name in {"KubeSpawner", "DynamicKubeSpawner", "Spawner"}:

            async def nothing(spawner: object) -> None:
                return None

            with_spawner(
                dataclasses.replace(settings, extra_config=extra),
                nothing,
                namespace="jupyterhub",
                user="alice",
                admin=False,
            )
        else:
            module, _, attribute = CONFIGURABLE_CLASSES[name].partition(":")
            getattr(importlib.import_module(module), attribute)(config=Config(extra))
    except Exception:  # any failure is the start failing
        return False
    return True


@pytest.mark.parametrize(("name", "trait", "value"), AGREEMENT)
def test_construct_time_values_agree_with_the_hub_start(
    chart: cdk8s.Chart, name: str, trait: str, value: Any
) -> None:
    settings = _jupyterhub(chart, {}).hub.settings
    try:
        _jupyterhub(make_chart(), {name: {trait: value}})
    except ValueError:
        accepted = False
    else:
        accepted = True
    assert accepted == _hub_accepts(name, trait, value, settings)
