"""Login latency through the real proxy: header login with JWT proof (HeaderAuthenticator)
against JupyterHub's stock DummyAuthenticator form login, same hub settings, same run.

20 concurrent clients make 1000 logins each way (fresh session per login, 200 distinct
users); prints p50/p99 latency, errors, and the peak RSS of the proxy and the hub.
Target: header p99 within 1.2x of the form baseline, 0 errors.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.processes import Deployment, KeyPair, deployment, jwks_server

CLIENTS, LOGINS, USERS = 20, 1000, 200


class PeakRss:
    """Samples VmRSS of the given pids every 50 ms."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids, self.peak = pids, dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            for name, pid in self.pids.items():
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            self.peak[name] = max(self.peak[name], int(line.split()[1]))
                except OSError:
                    pass

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {name: kib / 1024 for name, kib in self.peak.items()}


async def run(url: str, login: object) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(LOGINS):
        queue.put_nowait(i)

    async def client() -> None:
        nonlocal errors
        while not queue.empty():
            i = queue.get_nowait()
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
                start = time.perf_counter()
                ok = await login(s, url, f"user{i % USERS}")  # type: ignore[operator]
                latencies.append(time.perf_counter() - start)
                errors += not ok

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return latencies, errors


def header_login(key: KeyPair) -> object:
    async def login(session: aiohttp.ClientSession, url: str, user: str) -> bool:
        headers = {"X-Auth-Request-User": user, "Authorization": f"Bearer {key.token(user)}"}
        async with session.get(
            f"{url}/hub/login", headers=headers, allow_redirects=False
        ) as response:
            return response.status == 302

    return login


async def form_login(session: aiohttp.ClientSession, url: str, user: str) -> bool:
    # The form needs the _xsrf token its page sets; the POST is what is timed in production
    # too, but the page fetch is part of a form login, so both are counted.
    async with session.get(f"{url}/hub/login") as page:
        text = await page.text()
    xsrf = text.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
    async with session.post(
        f"{url}/hub/login?next=",
        allow_redirects=False,
        data={"username": user, "password": "x", "_xsrf": xsrf},
    ) as response:
        return response.status == 302


def measure(hub: Deployment, login: object) -> tuple[list[float], int, dict[str, float]]:
    assert hub.proxy is not None and hub.hub is not None  # started by deployment()
    rss = PeakRss({"proxy": hub.proxy.pid, "hub": hub.hub.pid})
    latencies, errors = asyncio.run(run(hub.proxy_url, login))
    return latencies, errors, rss.stop()


def report(name: str, latencies: list[float], errors: int, rss: dict[str, float]) -> float:
    cuts = statistics.quantiles(latencies, n=100)
    p50, p99 = cuts[49] * 1000, cuts[98] * 1000
    print(
        f"{name:<34} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  errors {errors:4d}  "
        f"peak RSS proxy {rss['proxy']:6.1f} MiB  hub {rss['hub']:6.1f} MiB"
    )
    return p99


def main() -> None:
    key = KeyPair()
    with tempfile.TemporaryDirectory() as tmp:
        with jwks_server([key]) as jwks_url, deployment(Path(tmp) / "header", jwks_url) as hub:
            header = measure(hub, header_login(key))
        with deployment(
            Path(tmp) / "form",
            None,
            extra_config=(
                'c.JupyterHub.authenticator_class = "dummy"\n'
                "c.DummyAuthenticator.allow_all = True\n"
            ),
        ) as hub:
            form = measure(hub, form_login)
    print(f"{CLIENTS} concurrent clients, {LOGINS} logins each, through configurable-http-proxy")
    header_p99 = report("header login + JWT (HeaderAuth)", *header)
    form_p99 = report("form login (DummyAuthenticator)", *form)
    print(f"p99 ratio header/form: {header_p99 / form_p99:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
