"""100 simulated users through the real proxy against one hub.

Each user signs in with the header and its JWT proof, gets a running server (a lightweight
server that authenticates through the hub's OAuth like jupyter-server does), and fetches a
page of it; then tries another user's server, which must refuse. Prints p50/p99, errors and
the peak RSS of the proxy and the hub.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_login import PeakRss
from tests.support.processes import KeyPair, deployment, exit_on_sigterm, jwks_server

USERS = 100
CONCURRENCY = 20
SERVER = Path(__file__).resolve().parent.parent / "tests" / "support" / "whoami_server.py"


async def user_session(
    url: str, key: KeyPair, user: str, other: str, latencies: list[float], problems: list[str]
) -> None:
    headers = {"X-Auth-Request-User": user, "Authorization": f"Bearer {key.token(user)}"}
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, headers=headers) as session:
        start = time.perf_counter()
        async with session.get(f"{url}/hub/login", allow_redirects=False) as response:
            if response.status != 302:
                problems.append(f"{user}: login {response.status}")
                return
        async with session.get(f"{url}/user/{user}/whoami") as response:
            body = await response.text()
            latencies.append(time.perf_counter() - start)
            if response.status != 200 or body != user:
                problems.append(f"{user}: own server {response.status} {body[:40]!r}")
        async with session.get(f"{url}/user/{other}/whoami") as response:
            body = await response.text()
            if response.status == 200:
                problems.append(f"{user} SAW {other}'s server: {body[:40]!r}")


async def run(url: str, key: KeyPair) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    problems: list[str] = []
    names = [f"load{i:03d}" for i in range(USERS)]
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def one(index: int) -> None:
        async with semaphore:
            await user_session(
                url, key, names[index], names[(index + 1) % USERS], latencies, problems
            )

    await asyncio.gather(*(one(i) for i in range(USERS)))
    return latencies, problems


def main() -> None:
    exit_on_sigterm()
    key = KeyPair()
    extra = f"c.Spawner.cmd = [{sys.executable!r}, {str(SERVER)!r}]\nc.Spawner.args = []\n"
    with (
        tempfile.TemporaryDirectory() as tmp,
        jwks_server([key]) as jwks_url,
        deployment(Path(tmp), jwks_url, extra_config=extra) as hub,
    ):
        assert hub.proxy is not None and hub.hub is not None
        start = time.monotonic()
        for i in range(USERS):
            hub.api("POST", f"/users/load{i:03d}", json={})
            hub.api("POST", f"/users/load{i:03d}/server", json={})
        for i in range(USERS):
            hub.start_server(f"load{i:03d}", timeout=180)
        spawned = time.monotonic() - start
        rss = PeakRss({"proxy": hub.proxy.pid, "hub": hub.hub.pid})
        latencies, problems = asyncio.run(run(hub.proxy_url, key))
        peak = rss.stop()
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    print(
        f"{USERS} users, {CONCURRENCY} at a time, through configurable-http-proxy "
        f"({spawned:.0f} s to start {USERS} servers)"
    )
    print(
        f"login + own server page: p50 {cuts[49] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms, "
        f"{len(latencies)} measured"
    )
    print(f"errors: {len(problems)}; cross-user access: {sum('SAW' in p for p in problems)}")
    print(f"peak RSS: proxy {peak['proxy']:.1f} MiB, hub {peak['hub']:.1f} MiB")
    for problem in problems[:10]:
        print(f"  {problem}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
