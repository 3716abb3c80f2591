"""The test processes' own plumbing."""

from __future__ import annotations

from pathlib import Path

from tests.support.processes import free_port


def test_free_ports_are_distinct_and_below_the_ephemeral_range() -> None:
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    # Where no bind to port 0 and no outgoing connection can take one before its server binds.
    assert all(1024 <= port < low for port in ports)
