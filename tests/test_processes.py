"""The test processes' own plumbing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.commands import run
from tests.support.processes import free_port


def test_free_ports_are_distinct_and_below_the_ephemeral_range() -> None:
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    # Where no bind to port 0 and no outgoing connection can take one before its server binds.
    assert all(1024 <= port < low for port in ports)


@pytest.mark.slow
def test_a_failed_command_shows_what_it_said() -> None:
    with pytest.raises(pytest.fail.Exception) as failure:
        run(["sh", "-c", "echo to stdout; echo to stderr >&2; exit 3"])
    assert str(failure.value) == (
        "`sh -c 'echo to stdout; echo to stderr >&2; exit 3'` exited with 3\n"
        "stdout:\nto stdout\n\nstderr:\nto stderr\n"
    )


@pytest.mark.slow
def test_a_command_that_hangs_shows_what_it_said() -> None:
    with pytest.raises(pytest.fail.Exception) as failure:
        run(["sh", "-c", "echo started; exec sleep 5"], timeout=0.5)
    assert str(failure.value) == (
        "`sh -c 'echo started; exec sleep 5'` did not finish in 0.5 s\nstdout:\nstarted\n"
    )


@pytest.mark.slow
def test_a_command_that_succeeds_returns_its_output() -> None:
    assert run(["sh", "-c", "echo done"]).stdout == "done\n"
