"""Shared fixtures: YAML snapshots, synthesis helpers, the apps synthesized once per version."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import cdk8s
import pytest
import yaml
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from apps import APPS, BuiltApp
from constructs_lib import HeaderTrust, KubernetesVersion
from tests.leaks import end, mark_session, session_processes
from tests.manifests import ROOT, read_manifests

__all__ = ["HOSTS", "ROOT", "TRUST", "VERSIONS", "find", "read_manifests", "synth"]

TRUST = HeaderTrust.jwt_proof(
    issuer="https://auth.example.org",
    audience="jupyterhub",
    jwks_url="https://auth.example.org/jwks",
)
# The public host names of the hubs the tests build.
HOSTS = ("hub.example.org",)
# Every Kubernetes version the output must validate against.
VERSIONS = [
    KubernetesVersion(1, minor)
    for minor in range(KubernetesVersion.OLDEST.minor, KubernetesVersion.NEWEST.minor + 1)
]


# The test running now (its fixtures included), so that a test not marked slow cannot start a
# process: the fast tier (`-m "not slow"`) starts none, and a new test says when it does.
_running: list[pytest.Item] = []
_popen_init = subprocess.Popen.__init__


def _popen_init_of_slow_tests(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
    if _running and _running[-1].get_closest_marker("slow") is None:
        raise RuntimeError(f"{_running[-1].nodeid} starts a process: mark it @pytest.mark.slow")
    _popen_init(self, *args, **kwargs)


subprocess.Popen.__init__ = _popen_init_of_slow_tests  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


# How long processes may take to exit after the last test before the run fails.
LEAK_GRACE_SECONDS = 5


@pytest.fixture(scope="session", autouse=True)
def no_process_outlives_the_tests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fail the run if any process the tests started (or an orphan of one) is still alive at
    the end; such processes are ended then."""
    token = mark_session()
    temp = tmp_path_factory.getbasetemp()
    # Running before any test: jsii's Node.js, started by `import cdk8s`.
    before = set(session_processes(token, temp))
    yield
    deadline = time.monotonic() + LEAK_GRACE_SECONDS
    while True:
        left = {
            pid: command
            for pid, command in session_processes(token, temp).items()
            if pid not in before
        }
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if left:
        end(set(left))
        pytest.fail(
            "processes outlived the tests (ended now): "
            + "; ".join(f"{pid} {command}" for pid, command in sorted(left.items())),
            pytrace=False,
        )


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (settings.json in the hub ConfigMap) as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


class YamlSnapshot(SingleFileSnapshotExtension):
    """One YAML file per snapshot, so a snapshot diff reads like a manifest diff."""

    file_extension = "yaml"
    _write_mode = WriteMode.TEXT

    def serialize(self, data: Any, **kwargs: Any) -> str:
        # Unicode as written (the hub runtime's source in the hub ConfigMap has some).
        return yaml.dump(
            data,
            Dumper=_Dumper,
            sort_keys=True,
            default_flow_style=False,
            width=100,
            allow_unicode=True,
        )


@pytest.fixture
def snapshot_yaml(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(YamlSnapshot)


@pytest.fixture
def chart() -> cdk8s.Chart:
    return cdk8s.Chart(cdk8s.Testing.app(), "test", namespace="jupyterhub")


def synth(chart: cdk8s.Chart) -> list[dict[str, Any]]:
    return list(cdk8s.Testing.synth(chart))


def find(manifests: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [
        m
        for m in manifests
        if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)
    ]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Any]:
    """``(app, version) -> (BuiltApp, manifests)`` for every app and every version, synthesized
    once per session (one jsii runtime)."""
    result: dict[tuple[str, str], Any] = {}
    base = tmp_path_factory.mktemp("apps")
    for version in VERSIONS:
        for name, build in APPS.items():
            outdir = base / str(version) / name
            built: BuiltApp = build(str(outdir), version)
            built.app.synth()
            result[(name, str(version))] = (built, read_manifests(outdir))
    return result
