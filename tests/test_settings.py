"""The hub settings schema: what the constructs write, the runtime reads back, strictly."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import typing
from pathlib import Path
from typing import Any

import cdk8s
import pytest

from constructs_lib import UserVolume, reference_profiles
from hub_runtime.settings import (
    SCHEMA_VERSION,
    HubSettings,
    SettingsError,
    dump_settings,
    load_settings,
    parse_settings,
)
from tests.support.builders import make_jupyterhub


@pytest.fixture
def written(chart: cdk8s.Chart, tmp_path: Path) -> Path:
    hub = make_jupyterhub(
        chart, profiles=reference_profiles(chart, volumes=UserVolume.reference_set())
    ).hub
    path = tmp_path / "settings.json"
    path.write_text(dump_settings(hub.settings))
    return path


def _edit(path: Path, change: Any) -> Path:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


def _error(path: Path) -> str:
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    return str(error.value)


def test_round_trip(written: Path) -> None:
    settings = load_settings(written)
    assert dump_settings(settings) == written.read_text()
    assert settings.profiles[0].volumes[0].owner == (1000, 100)


def test_settings_equal_what_the_hub_loads(chart: cdk8s.Chart) -> None:
    # The constructs' own value types (UserVolume) are the settings types, not copies; the
    # settings a profile holds are of the settings type itself.
    hub = make_jupyterhub(
        chart, profiles=reference_profiles(chart, volumes=UserVolume.reference_set())
    ).hub
    assert parse_settings(dump_settings(hub.settings)) == hub.settings


def test_missing_file(tmp_path: Path) -> None:
    assert _error(tmp_path / "nope.json") == (
        f"{tmp_path / 'nope.json'}: cannot read hub settings: No such file or directory"
    )


def test_malformed_json(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{")
    assert _error(path).startswith(f"{path}: not valid JSON: ")


def test_unknown_field(written: Path) -> None:
    _edit(written, lambda d: d["culler"].update(timout=5))
    assert _error(written) == (
        f"{written}: unknown field culler.timout "
        "(known: admin_users, concurrency, enabled, every_seconds, max_age_seconds, "
        "remove_named_servers, timeout_seconds, users)"
    )


def test_missing_field(written: Path) -> None:
    _edit(written, lambda d: d["auth"].pop("admin_users"))
    assert _error(written) == f"{written}: missing field auth.admin_users"


def test_missing_field_with_a_default(written: Path) -> None:
    """The constructs write every field: one left out is refused, never defaulted."""
    _edit(written, lambda d: d["culler"].pop("users"))
    assert _error(written) == f"{written}: missing field culler.users"


def test_mistyped_field(written: Path) -> None:
    _edit(written, lambda d: d["culler"].update(timeout_seconds="3600"))
    assert _error(written) == (f"{written}: culler.timeout_seconds must be an integer, got '3600'")


def test_boolean_is_not_an_integer(written: Path) -> None:
    _edit(written, lambda d: d.update(named_server_limit_per_user=True))
    assert _error(written) == (
        f"{written}: named_server_limit_per_user must be an integer, got True"
    )


def test_nested_list_field(written: Path) -> None:
    _edit(written, lambda d: d["profiles"][1]["volumes"][2].update(access="sometimes"))
    assert _error(written) == (
        f"{written}: profiles[1].volumes[2].access must be one of "
        "['never', 'always', 'unless_admin', 'if_admin'], got 'sometimes'"
    )


def test_parse_names_the_source() -> None:
    with pytest.raises(SettingsError, match=r"^configmap: settings must be an object, got \[\]$"):
        parse_settings("[]", source="configmap")


def test_fails_settings_newer_than_the_runtime(written: Path) -> None:
    """A newer schema may carry fields this runtime would misread: refuse it by name."""
    _edit(written, lambda d: d.update(schema_version=SCHEMA_VERSION + 1, new_field=1))
    assert _error(written) == (
        f"{written}: settings schema_version {SCHEMA_VERSION + 1} is newer than this hub "
        f"runtime's ({SCHEMA_VERSION}): run a hub runtime at least as new as the constructs "
        "that wrote them"
    )


def test_settings_carry_the_schema_version(written: Path) -> None:
    assert json.loads(written.read_text())["schema_version"] == SCHEMA_VERSION


# The fingerprint of the settings schema at each version. Changing a settings field (its
# name or type; every field must be in the file) changes the fingerprint: raise
# SCHEMA_VERSION with it (a hub runtime refuses newer settings than its own) and pin the new
# one here.
SCHEMA_FINGERPRINTS = {
    5: "26ceaf60b7198253",
    # Volumes as the constructs' UserVolume: memory, access (MountAccess); enums by value.
    6: "9dc273c20596ebff",
    # metrics_token_env (the hub service that reads /hub/metrics), the hub's own logins (login:
    # LoginSettings, auth.trust "hub"), the database and where the upgrade step backs it up
    # (DatabaseSettings), the spawner's scheduler_name (the app's user scheduler), user_hosts
    # (each user's server on a host of its own), init_spawners_timeout_seconds (the scale
    # presets).
    7: "fab05fb54f4516ac",
    # virtual_services: the hub writes its routes as VirtualServices (IstioProxy).
    8: "3add54b6c5f4d92f",
}


def _shape(hint: Any) -> Any:
    """The schema a type hint stands for: dataclasses by their fields, enums by their values,
    the rest by name."""
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return [hint.__name__, [member.value for member in hint]]
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        return {field.name: _shape(hints[field.name]) for field in dataclasses.fields(hint)}
    args = typing.get_args(hint)
    if args:
        origin = typing.get_origin(hint)
        return [getattr(origin, "__name__", str(origin)), [_shape(arg) for arg in args]]
    return getattr(hint, "__name__", repr(hint))


def test_a_schema_change_raises_the_schema_version() -> None:
    shape = json.dumps(_shape(HubSettings), sort_keys=True)
    fingerprint = hashlib.sha256(shape.encode()).hexdigest()[:16]
    assert SCHEMA_FINGERPRINTS.get(SCHEMA_VERSION) == fingerprint, (
        f"the settings schema changed (fingerprint {fingerprint}): raise SCHEMA_VERSION in "
        "hub_runtime/settings.py and pin the new fingerprint in SCHEMA_FINGERPRINTS"
    )
