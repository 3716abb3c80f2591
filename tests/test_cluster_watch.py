"""The test cluster's API sends a watch every change stored after its listing, as a real API
server does (``tests/cluster/api.py``), even one stored while the listing is being sent."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from tests.cluster.client import ApiClient
from tests.cluster.kinds import kind_of
from tests.cluster.served import served_api

pytestmark = pytest.mark.slow

CONFIG_MAP = kind_of("ConfigMap")
# A listing larger than the sockets' and the server's buffers: its sending waits for the
# client to read, and a change is stored meanwhile.
_LISTED, _BYTES_EACH = 60, 100_000


async def _change_during_listing() -> set[str]:
    seen: set[str] = set()
    async with served_api(CONFIG_MAP, "ns") as (_, url, token), aiohttp.ClientSession() as session:
        client = ApiClient(session, url, token)
        for index in range(_LISTED):
            await client.create(
                CONFIG_MAP,
                "ns",
                {"metadata": {"name": f"listed-{index}"}, "data": {"x": "x" * _BYTES_EACH}},
            )
        async with session.get(
            url + CONFIG_MAP.path("ns"),
            params={"watch": "true", "timeoutSeconds": "30"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=60),
        ) as response:
            assert response.status == 200
            # The listing is being sent and nothing read yet: a change is stored now.
            await asyncio.sleep(0.5)
            await client.create(CONFIG_MAP, "ns", {"metadata": {"name": "late"}})
            async for line in response.content:
                if line.strip():
                    seen.add(json.loads(line)["object"]["metadata"]["name"])
                if "late" in seen:
                    break
    return seen


def test_watch_gets_a_change_stored_while_its_listing_is_sent() -> None:
    seen = asyncio.run(_change_during_listing())
    assert {f"listed-{i}" for i in range(_LISTED)} <= seen
    assert "late" in seen
