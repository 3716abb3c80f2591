"""Fixtures and hooks only: what they use, and what tests share, is in ``tests/support``."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from apps import APPS, BuiltApp
from hub_runtime.lazy_iri import defer_iri_grammar
from tests.support.builders import make_chart
from tests.support.constants import VERSIONS
from tests.support.leaks import end, mark_session, session_processes
from tests.support.manifests import read_manifests
from tests.support.snapshots import YamlSnapshot


def pytest_configure(config: pytest.Config) -> None:
    # jsonschema builds the RFC 3987 grammar when it is imported, a second of CPU in every test
    # process: deferred to the first IRI checked, as the hub's command defers it.
    defer_iri_grammar()


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


@pytest.fixture
def snapshot_yaml(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(YamlSnapshot)


@pytest.fixture
def chart() -> cdk8s.Chart:
    return make_chart()


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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Each phase's report on the item, so a fixture can act on a failed test (a browser test
    # takes its screenshot).
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
