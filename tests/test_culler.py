"""The idle culler's options (zero-to-jupyterhub's ``cull`` values): typed props, the flags
the real jupyterhub-idle-culler parses from the service command, and the role's scopes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion
from traitlets.config import Config

from constructs_lib import IdleCuller
from hub_runtime.config import (
    CULLER_SCOPES,
    apply,
    culler_service,
    point_services_at,
    services_api_url,
)
from hub_runtime.settings import CullerSettings, HubSettings, dump_settings
from tests.support.builders import make_jupyterhub, value_error
from tests.support.processes import dev_settings


def _culler(chart: cdk8s.Chart, culler: IdleCuller = IdleCuller()) -> CullerSettings:  # noqa: B008
    hub = make_jupyterhub(chart, culler=culler)
    return hub.hub.settings.culler


def _settings(**changes: Any) -> HubSettings:
    settings = dev_settings()
    return dataclasses.replace(settings, culler=dataclasses.replace(settings.culler, **changes))


def _applied(tmp_path: Path, settings: HubSettings) -> Config:
    path = tmp_path / "settings.json"
    path.write_text(dump_settings(settings))
    config = Config()
    apply(config, path)
    return config


class _Parsed(Exception):
    """Raised by the culler's own flag parsing once done, before it starts culling."""


def _parsed(command: list[str]) -> dict[str, Any]:
    """What the installed jupyterhub-idle-culler (1.x: tornado.options, defined and parsed in
    its ``main``) makes of the service command's flags: its ``main`` runs with a parser of
    its own in place of tornado's global one, and stops right after parsing."""
    import jupyterhub_idle_culler  # type: ignore[import-untyped]
    from tornado.options import OptionParser

    assert command[1:3] == ["-m", "jupyterhub_idle_culler"]
    parser = OptionParser()

    def parse_command_line() -> None:
        parser.parse_command_line([command[0], *command[3:]])
        raise _Parsed

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jupyterhub_idle_culler, "define", parser.define)
        patch.setattr(jupyterhub_idle_culler, "options", parser)
        patch.setattr(jupyterhub_idle_culler, "parse_command_line", parse_command_line)
        with pytest.raises(_Parsed):
            jupyterhub_idle_culler.main()
    names = [
        *("url", "timeout", "cull_every", "concurrency", "max_age"),
        *("cull_users", "cull_admin_users", "remove_named_servers"),
    ]
    return {name: getattr(parser, name) for name in names}


def test_defaults_are_z2jhs(chart: cdk8s.Chart) -> None:
    """cull.users false, cull.adminUsers true, cull.removeNamedServers false, timeout 3600,
    every 600, concurrency 10, maxAge 0."""
    assert _culler(chart) == CullerSettings(
        enabled=True,
        timeout_seconds=3600,
        every_seconds=600,
        concurrency=10,
        max_age_seconds=0,
        users=False,
        admin_users=True,
        remove_named_servers=False,
    )


def test_options_reach_the_settings(chart: cdk8s.Chart) -> None:
    culler = IdleCuller(
        users=True, admin_users=False, remove_named_servers=True, max_age_seconds=86400
    )
    settings = _culler(chart, culler)
    assert (settings.users, settings.admin_users, settings.remove_named_servers) == (
        True,
        False,
        True,
    )
    assert settings.max_age_seconds == 86400


def test_the_culler_parses_every_flag(tmp_path: Path) -> None:
    settings = _settings(
        timeout_seconds=120,
        every_seconds=30,
        concurrency=3,
        max_age_seconds=7200,
        users=True,
        admin_users=False,
        remove_named_servers=True,
    )
    (service,) = _applied(tmp_path, settings).JupyterHub.services
    assert service == culler_service(settings)
    assert _parsed(service["command"]) == {
        "url": "http://127.0.0.1:8081/hub/api",
        "timeout": 120,
        "cull_every": 30,
        "concurrency": 3,
        "max_age": 7200,
        "cull_users": True,
        "cull_admin_users": False,
        "remove_named_servers": True,
    }


def test_the_culler_parses_the_defaults(tmp_path: Path) -> None:
    (service,) = _applied(tmp_path, dev_settings()).JupyterHub.services
    assert _parsed(service["command"]) == {
        "url": "http://127.0.0.1:8081/hub/api",
        "timeout": 3600,
        "cull_every": 600,
        "concurrency": 10,
        "max_age": 0,
        "cull_users": False,
        "cull_admin_users": True,
        "remove_named_servers": False,
    }


@pytest.mark.parametrize(
    ("changes", "scopes"),
    [
        ({}, CULLER_SCOPES),
        # Removing a named server is a DELETE with {"remove": true}: delete:servers.
        ({"remove_named_servers": True}, CULLER_SCOPES),
        # Deleting users (and reading their activity and admin flag) is admin:users.
        ({"users": True}, [*CULLER_SCOPES, "admin:users"]),
        ({"users": True, "admin_users": False}, [*CULLER_SCOPES, "admin:users"]),
    ],
    ids=["servers", "remove named servers", "users", "users but not admins"],
)
def test_role_has_only_the_scopes_needed(
    tmp_path: Path, changes: dict[str, Any], scopes: list[str]
) -> None:
    config = _applied(tmp_path, _settings(**changes))
    (role,) = [r for r in config.JupyterHub.load_roles if r["name"] == "idle-culler"]
    assert role == {"name": "idle-culler", "scopes": scopes, "services": ["idle-culler"]}


def test_disabled_culler_has_no_service_and_no_role(tmp_path: Path) -> None:
    config = _applied(tmp_path, _settings(enabled=False))
    assert "services" not in config.JupyterHub or not config.JupyterHub.services.to_dict()
    assert not [r for r in config.JupyterHub.load_roles if r["name"] == "idle-culler"]


def _error(chart: cdk8s.Chart, culler: IdleCuller) -> str:
    return value_error(lambda: _culler(chart, culler))


def test_fails_users_not_a_bool(chart: cdk8s.Chart) -> None:
    assert _error(chart, IdleCuller(users="yes")) == (  # type: ignore[arg-type]
        "test/JupyterHub/Hub: culler.users must be True or False, got 'yes'"
    )


def test_fails_sparing_admins_without_culling_users(chart: cdk8s.Chart) -> None:
    assert _error(chart, IdleCuller(admin_users=False)) == (
        "test/JupyterHub/Hub: culler.admin_users must be True unless users=True (it says "
        "whether culling users spares admins), got False"
    )


def test_fails_timeout_not_a_number(chart: cdk8s.Chart) -> None:
    assert _error(chart, IdleCuller(timeout_seconds=1.5)) == (  # type: ignore[arg-type]
        "test/JupyterHub/Hub: culler.timeout_seconds must be a whole number, got 1.5"
    )


def test_fails_zero_concurrency(chart: cdk8s.Chart) -> None:
    assert _error(chart, IdleCuller(concurrency=0)) == (
        "test/JupyterHub/Hub: culler.concurrency must be positive, got 0"
    )


def test_service_and_role_snapshot(tmp_path: Path, snapshot_yaml: SnapshotAssertion) -> None:
    """The hub's culler service and role with every option on (the interpreter, which is
    the hub's own, shown as ``python``)."""
    settings = _settings(
        max_age_seconds=86400, users=True, admin_users=False, remove_named_servers=True
    )
    config = _applied(tmp_path, settings)
    (service,) = config.JupyterHub.services
    (role,) = [r for r in config.JupyterHub.load_roles if r["name"] == "idle-culler"]
    shown = {**service, "command": ["python", *service["command"][1:]]}
    assert {"service": shown, "role": role} == snapshot_yaml


def test_fails_concurrency_not_a_number(chart: cdk8s.Chart) -> None:
    assert _error(chart, IdleCuller(concurrency="10")) == (  # type: ignore[arg-type]
        "test/JupyterHub/Hub: culler.concurrency must be a whole number, got '10'"
    )


@pytest.mark.parametrize(
    ("bind_url", "api_url"),
    [
        ("http://0.0.0.0:8081", "http://127.0.0.1:8081/hub/api"),
        ("http://:8081", "http://127.0.0.1:8081/hub/api"),
        ("http://[::]:8081", "http://[::1]:8081/hub/api"),
        ("http://10.42.0.7:8081", "http://10.42.0.7:8081/hub/api"),
        ("http://[fd00::7]:8081", "http://[fd00::7]:8081/hub/api"),
    ],
)
def test_services_reach_the_hub_where_it_binds(bind_url: str, api_url: str) -> None:
    """Inside the hub's pod: loopback for every interface (as JupyterHub's Service.start means
    to), else the one address bound."""
    assert services_api_url(bind_url) == api_url


def test_the_launcher_points_the_culler_at_the_final_bind_address() -> None:
    """The command line may bind the hub elsewhere than the settings: the culler follows it,
    and a service without --url is left as it is."""
    culler = culler_service(dev_settings())
    other = {"name": "other", "command": ["serve", "--port=1"]}
    services = [culler, other]
    point_services_at(services, "http://10.42.0.7:8081")
    assert "--url=http://10.42.0.7:8081/hub/api" in culler["command"]
    assert not any(a.startswith("--url=http://127.0.0.1") for a in culler["command"])
    assert other == {"name": "other", "command": ["serve", "--port=1"]}
