"""A few users at once through the real proxy: each reaches only their own server."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from scripts.load_test import SERVER, user_session
from tests.support.processes import KeyPair, deployment, jwks_server

pytestmark = pytest.mark.slow  # real proxy, hub and user server processes


def test_users_reach_only_their_own_servers(tmp_path: Path) -> None:
    key = KeyPair()
    names = ["ann", "ben", "cat"]
    extra = f"c.Spawner.cmd = [{sys.executable!r}, {str(SERVER)!r}]\nc.Spawner.args = []\n"
    with jwks_server([key]) as jwks_url, deployment(tmp_path, jwks_url, extra_config=extra) as hub:
        for name in names:
            hub.start_server(name)
        latencies: list[float] = []
        problems: list[str] = []

        async def everyone() -> None:
            await asyncio.gather(
                *(
                    user_session(
                        hub.proxy_url, key, name, names[(i + 1) % len(names)], latencies, problems
                    )
                    for i, name in enumerate(names)
                )
            )

        asyncio.run(everyone())
    assert problems == []
    assert len(latencies) == len(names)
