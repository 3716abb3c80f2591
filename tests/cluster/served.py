"""The test cluster's API alone, served on a loopback port, for tests of one watch or
listing (the whole cluster: :class:`tests.cluster.cluster.Cluster`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp.web

from tests.cluster.admission import User
from tests.cluster.api import ClusterApi
from tests.cluster.kinds import Kind

__all__ = ["ADMIN", "served_api"]

ADMIN = User("kubernetes-admin", ("system:masters", "system:authenticated"))


@asynccontextmanager
async def served_api(kind: Kind, namespace: str) -> AsyncIterator[tuple[ClusterApi, str, str]]:
    """The API serving ``kind`` with ``namespace``: itself, its URL and an admin's token."""
    api = ClusterApi(cluster_ip=lambda: "10.0.0.1")
    api.serve(kind)
    api.add_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    await api.__aenter__()
    runner = aiohttp.web.ServerRunner(aiohttp.web.Server(api))
    try:
        await runner.setup()
        site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        yield api, url, api.issue_token(ADMIN)
    finally:
        await runner.cleanup()
        await api.__aexit__(None, None, None)
