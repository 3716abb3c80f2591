"""hub_runtime.config: what the settings turn into, and a bad settings file stopping the hub."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from traitlets.config import Config

from hub_runtime.config import CULLER_SCOPES, SETTINGS_ENV, apply
from hub_runtime.logins import DISCOVERY_PATH, discover
from hub_runtime.settings import SETTINGS_FILE_NAME, SettingsError, dump_settings, parse_settings
from tests.support.commands import run, said
from tests.support.processes import (
    deliver_config,
    deployment,
    dev_settings,
    free_port,
    hub_command,
    hub_config_file,
    hub_env,
)


def _applied(tmp_path: Path) -> Config:
    path = tmp_path / "settings.json"
    path.write_text(dump_settings(dev_settings()))
    config = Config()
    apply(config, path)
    return config


def test_culler_role_has_only_its_scopes(tmp_path: Path) -> None:
    config = _applied(tmp_path)
    (role,) = [r for r in config.JupyterHub.load_roles if r["name"] == "idle-culler"]
    assert role["scopes"] == CULLER_SCOPES == ["list:users", "read:servers", "delete:servers"]
    (service,) = config.JupyterHub.services
    assert "--timeout=3600" in service["command"] and "--cull-every=600" in service["command"]
    assert "--concurrency=10" in service["command"]


def test_reference_hub_settings(tmp_path: Path) -> None:
    config = _applied(tmp_path)
    hub = config.JupyterHub
    assert (hub.hub_bind_url, hub.hub_connect_url) == (
        "http://0.0.0.0:8081",
        "http://jupyterhub-hub:8081",
    )
    assert config.ConfigurableHTTPProxy.should_start is False
    assert config.ConfigurableHTTPProxy.api_url == "http://jupyterhub-proxy:8000"
    assert (hub.allow_named_servers, hub.named_server_limit_per_user) == (True, 3)
    assert (hub.concurrent_spawn_limit, hub.cleanup_servers) == (0, False)
    assert hub.authenticate_prometheus is False
    assert hub.tornado_settings == {"slow_spawn_timeout": 0, "websocket_max_message_size": 1024**3}
    # dev's admins come from a group of the ID token, never from a name.
    assert config.Authenticator.admin_users == set()
    assert config.HeaderAuthenticator.admin_groups == {"jupyterhub-admins"}
    assert config.HeaderAuthenticator.allowed_groups == set()
    # The settings alone decide who is an admin (hub_runtime.revocation).
    assert config.HeaderAuthenticator.admins_managed_in_hub is False
    assert config.KubeSpawner.start_timeout == 300


@pytest.mark.slow
def test_bad_settings_stop_the_hub(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(dump_settings(dev_settings()).replace('"every_seconds"', '"evry_seconds"'))
    env = hub_env({**os.environ, SETTINGS_ENV: str(settings)})
    result = subprocess.run(
        hub_command(hub_config_file(tmp_path)),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0, said(result)
    assert f"{settings}: unknown field culler.evry_seconds" in result.stderr, said(result)


@contextmanager
def discovery_document() -> Iterator[str]:
    """An issuer on 127.0.0.1 serving its OpenID Connect discovery document; yields it."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            issuer = f"http://{self.headers['Host']}"
            body = json.dumps(
                {
                    "issuer": issuer,
                    "authorization_endpoint": f"{issuer}/auth",
                    "token_endpoint": f"{issuer}/token",
                    "userinfo_endpoint": f"{issuer}/me",
                }
            ).encode()
            self.send_response(200 if self.path == DISCOVERY_PATH else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_hub_runs_the_delivered_runtime(tmp_path: Path) -> None:
    """The delivered jupyterhub_config.py imports hub_runtime from its own directory, ahead of
    any installed copy (and with none installed, as in z2jh's image), and configures the
    delivered settings' login: its class, its secret from the environment, its endpoints from
    the issuer's discovery document (served here, the issuer pointed at it)."""
    config = deliver_config(tmp_path / "config")
    settings_file = config.parent / SETTINGS_FILE_NAME
    delivered = parse_settings(settings_file.read_text())
    assert delivered.login is not None
    probe = (
        "import sys\n"
        "from traitlets.config.loader import PyFileConfigLoader\n"
        f"c = PyFileConfigLoader({config.name!r}, path={str(config.parent)!r}).load_config()\n"
        # As JupyterHub imports the classes the config names.
        "import hub_runtime.auth, hub_runtime.spawner\n"
        "for name in ('config', 'auth', 'spawner', 'logins'):\n"
        "    print(sys.modules['hub_runtime.' + name].__file__)\n"
        "print(c.JupyterHub.authenticator_class.__mro__[1].__name__)\n"
        "print(c.GenericOAuthenticator.token_url, c.GenericOAuthenticator.client_secret)\n"
    )
    with discovery_document() as issuer:
        login = dataclasses.replace(delivered.login, discovery_issuer=issuer)
        settings_file.write_text(dump_settings(dataclasses.replace(delivered, login=login)))
        env = hub_env(
            {**os.environ, SETTINGS_ENV: str(settings_file), "HUB_LOGIN_CLIENT_SECRET": "s3cret"}
        )
        result = run([sys.executable, "-c", probe], cwd=tmp_path, env=env, timeout=60)
    *modules, klass, endpoints = result.stdout.splitlines()
    assert modules == [
        str(config.parent / "hub_runtime" / f"{name}.py")
        for name in ("config", "auth", "spawner", "logins")
    ]
    assert klass == "GenericOAuthenticator"
    assert endpoints == f"{issuer}/token s3cret"


def _with_extra(tmp_path: Path, extra: dict[str, dict[str, object]]) -> Path:
    path = tmp_path / "settings.json"
    path.write_text(dump_settings(dataclasses.replace(dev_settings(), extra_config=extra)))
    return path


def test_extra_config_is_applied_last(tmp_path: Path) -> None:
    config = Config()
    apply(
        config, _with_extra(tmp_path, {"KubeSpawner": {"http_timeout": 60, "start_timeout": 900}})
    )
    assert config.KubeSpawner.http_timeout == 60
    # The typed setting (300 s in dev) is overridden by the pass-through.
    assert config.KubeSpawner.start_timeout == 900


def test_fails_extra_config_trait_the_class_lacks(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as error:
        apply(Config(), _with_extra(tmp_path, {"KubeSpawner": {"http_timout": 60}}))
    assert str(error.value) == (
        "extra_config.KubeSpawner.http_timout: KubeSpawner has no configurable trait 'http_timout'"
    )


def test_fails_spawner_args_setting_what_the_hub_sets(tmp_path: Path) -> None:
    settings = dev_settings()
    spawner = dataclasses.replace(settings.spawner, args=("--HubOAuth.cache_max_age", "300"))
    path = tmp_path / "settings.json"
    path.write_text(dump_settings(dataclasses.replace(settings, spawner=spawner)))
    with pytest.raises(SettingsError) as error:
        apply(Config(), path)
    assert str(error.value) == (
        "spawner.args: '--HubOAuth.cache_max_age' sets what the hub sets itself "
        "(--HubOAuth.cache_max_age=1)"
    )


def test_every_named_class_is_known_to_the_runtime() -> None:
    import importlib

    from traitlets.config import Configurable

    from hub_runtime.settings import CONFIGURABLE_CLASSES

    for name, where in CONFIGURABLE_CLASSES.items():
        module, _, attribute = where.partition(":")
        klass = getattr(importlib.import_module(module), attribute)
        assert klass.__name__ == name and issubclass(klass, Configurable), where


# Run inside the hub (appended to its configuration): once JupyterHub has its event logger,
# check it and write what was found to REPORT.
_EVENT_PROBE = """
import asyncio, json, logging, sys
from jupyterhub.app import JupyterHub
from jupyter_events.validators import draft7_format_checker

c.EventLogger.handlers = [logging.FileHandler({events!r})]
_SERVER_ACTION = "https://schema.jupyter.org/jupyterhub/events/server-action"


async def _probe():
    app = JupyterHub.instance()
    while _SERVER_ACTION not in getattr(getattr(app, "eventlog", None), "schemas", ()):
        await asyncio.sleep(0.05)
    report = {{"grammar_built_at_start": "lark" in sys.modules}}
    try:
        data = {{"action": "explode", "username": "x", "servername": ""}}  # action: not in enum
        app.eventlog.emit(schema_id=_SERVER_ACTION, data=data)
        report["invalid_event"] = "accepted"
    except Exception as error:
        report["invalid_event"] = type(error).__name__ + ": " + str(error).splitlines()[0]
    report["iri"] = [
        draft7_format_checker.conforms(value, "iri")
        for value in ("https://example.org/caf\\u00e9", "http://[not-an-iri")
    ]
    with open({report!r}, "w") as file:
        json.dump(report, file)


_probe_task = asyncio.get_running_loop().create_task(_probe())
"""


@pytest.mark.slow
def test_running_hub_validates_its_events(tmp_path: Path) -> None:
    """Started by the hub's command (the launcher that defers the IRI grammar), the hub still
    validates every event against its schema, formats included: an invalid event is refused,
    a real one (a server start) is recorded, and IRIs are still checked, by the grammar built
    on first use instead of at start."""
    events, report = tmp_path / "events.jsonl", tmp_path / "report.json"
    probe = _EVENT_PROBE.format(events=str(events), report=str(report))
    with deployment(tmp_path / "hub", None, extra_config=probe) as hub:
        hub.start_server("ann")
        found = json.loads(report.read_text())
        recorded = [json.loads(line) for line in events.read_text().splitlines()]
    assert found["invalid_event"].startswith("ValidationError: 'explode' is not one of"), found
    assert found["iri"] == [True, False]
    assert found["grammar_built_at_start"] is False
    assert [(e["action"], e["username"]) for e in recorded] == [("start", "ann")]


def test_discovery_names_the_endpoints() -> None:
    with discovery_document() as issuer:
        assert discover(issuer) == {
            "authorize_url": f"{issuer}/auth",
            "token_url": f"{issuer}/token",
            "userdata_url": f"{issuer}/me",
        }


def test_fails_discovery_of_another_issuer() -> None:
    """OpenID Connect Discovery 1.0, 4.3: the document's issuer must be the one asked for
    exactly (one with a trailing '/' is another issuer)."""
    with discovery_document() as issuer, pytest.raises(SettingsError) as error:
        discover(issuer + "/")
    assert str(error.value) == (
        f"login.discovery_issuer: {issuer}{DISCOVERY_PATH} names issuer {issuer!r}, not "
        f"{issuer + '/'!r} (OpenID Connect Discovery 1.0, 4.3: they must be identical)"
    )


def test_fails_discovery_of_an_issuer_that_does_not_answer() -> None:
    issuer = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SettingsError) as error:
        discover(issuer)
    assert str(error.value).startswith(
        f"login.discovery_issuer: cannot read {issuer}{DISCOVERY_PATH} ("
    )
    assert str(error.value).endswith(
        "the hub needs its identity provider's discovery document at start"
    )
