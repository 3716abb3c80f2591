"""No process outlives the tests: the session-end check in conftest.py (a process a test leaves
running, or an orphan of one, fails the run and is ended; a clean run passes), a deployment
that ends what its hub started even when the hub was killed; and only tests marked slow start
processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.commands import said
from tests.support.leaks import descendants, working_in
from tests.support.manifests import ROOT
from tests.support.processes import deployment

pytestmark = pytest.mark.slow

LEAKY = """
import subprocess

import pytest


@pytest.mark.slow
def test_leaves_a_process_running():
    subprocess.Popen(["sleep", "300"], start_new_session=True)


@pytest.mark.slow
def test_leaves_an_orphan():
    # The shell exits at once; the sleep it started in the background is an orphan.
    subprocess.run(["sh", "-c", "sleep 301 &"], check=True)
"""
CLEAN = """
import subprocess

import pytest


@pytest.mark.slow
def test_waits_for_its_process():
    subprocess.run(["sleep", "0.1"], check=True)
"""
UNMARKED = """
import subprocess


def test_starts_a_process():
    subprocess.run(["true"], check=True)
"""


def _pytest(test_file: Path) -> subprocess.CompletedProcess[str]:
    # With this project's conftest.py as a plugin, in a session of its own.
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.conftest",
            str(test_file),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_leak_fails_the_run_and_is_ended(tmp_path: Path) -> None:
    (tmp_path / "test_leaky.py").write_text(LEAKY)
    result = _pytest(tmp_path / "test_leaky.py")
    assert result.returncode != 0, said(result)
    report = re.findall(r"processes outlived the tests \(ended now\): (.*)", result.stdout)[0]
    leaked = dict(entry.split(" ", 1) for entry in report.split("; "))
    assert sorted(leaked.values()) == ["sleep 300", "sleep 301"]
    # Ended, the orphan too (init's child, found by the session's mark in its environment).
    alive = descendants(1)
    assert [pid for pid in leaked if int(pid) in alive] == []


def test_a_clean_run_passes(tmp_path: Path) -> None:
    (tmp_path / "test_clean.py").write_text(CLEAN)
    result = _pytest(tmp_path / "test_clean.py")
    assert result.returncode == 0, said(result)


def test_a_process_from_a_test_not_marked_slow_fails_it(tmp_path: Path) -> None:
    (tmp_path / "test_unmarked.py").write_text(UNMARKED)
    result = _pytest(tmp_path / "test_unmarked.py")
    assert result.returncode != 0, said(result)
    assert "test_starts_a_process starts a process: mark it @pytest.mark.slow" in result.stdout


def _culler(workdir: Path, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid, command in working_in(workdir).items():
            if "jupyterhub_idle_culler" in command:
                return pid
        time.sleep(0.2)
    raise TimeoutError("the hub started no culler")


def test_a_killed_hub_leaves_no_process(tmp_path: Path) -> None:
    with deployment(tmp_path, None) as hub:
        assert hub.hub is not None
        culler = _culler(tmp_path)
        os.killpg(hub.hub.pid, signal.SIGKILL)
        hub.hub.wait()
        # The hub's service runs on in a session of its own, an orphan now.
        assert culler in working_in(tmp_path)
    assert working_in(tmp_path) == {}


# A script (a benchmark, the demo) that started a process and is then terminated.
TERMINATED = """
import os, sys, time
from pathlib import Path
from tests.support.processes import exit_on_sigterm, start, stop
exit_on_sigterm()
work = Path(sys.argv[1])
child = start(["sleep", "300"], cwd=work, env={"PATH": os.defpath}, log=work / "log")
try:
    print("started", flush=True)
    time.sleep(300)
finally:
    stop(child)
"""


@pytest.mark.slow
def test_a_terminated_script_stops_what_it_started(tmp_path: Path) -> None:
    script = subprocess.Popen(
        [sys.executable, "-c", TERMINATED, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert script.stdout is not None and script.stdout.readline() == "started\n"
        assert [c for c in working_in(tmp_path).values() if c.startswith("sleep")] != []
        script.terminate()
        assert script.wait(15) == 128 + signal.SIGTERM
        assert working_in(tmp_path) == {}
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
            script.wait()
