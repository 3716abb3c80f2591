"""What it costs that user servers ask the hub about their cookie's token every
``USER_SERVER_AUTH_CACHE_SECONDS`` (the hub's ``USER_SERVER_ARGS``) rather than every 300 s
(jupyterhub-singleuser's default), and how soon after logout a copy of the cookie is refused.

One proxy and hub (the dev settings, header login) and two local jupyterhub-singleuser
servers: alice's with the hub's arguments, bob's with jupyterhub's default. Each round, in an
order that rotates, one block of sequential ``GET /user/<name>/api/status`` through the
proxy for each of:

- cached: bob's server, one browser: every request answered from the server's cache.
- asked: alice's server, a new ``jupyterhub-session-id`` cookie at every request (part of the
  server's cache key), so every request asks the hub: a request once the second has passed.

Per side: median client latency per request and hub and server CPU per request (utime +
stime from /proc, in the kernel's ticks), medians over the rounds with range. Then one
browser sends alice's server requests back to back for ``--steady`` seconds: how often the
hub is asked (its log's ``GET /hub/api/user`` lines). Then ``--logouts`` times: alice logs
in and opens her server, a copy of her cookies is taken, she logs out, and the copy is
replayed every 20 ms until her server refuses it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub_runtime.settings import USER_SERVER_ARGS, USER_SERVER_AUTH_CACHE_SECONDS
from scripts.bench_login import cpu_seconds
from tests.support.leaks import working_in
from tests.support.processes import Deployment, deployment, exit_on_sigterm

ROUNDS, BLOCK, LOGOUTS, STEADY_SECONDS = 5, 200, 5, 10
# jupyterhub-singleuser's HubAuth.cache_max_age when nothing sets it.
DEFAULT_CACHE_SECONDS = 300
FAST, DEFAULT = "alice", "bob"
CONFIG = f"""
c.Spawner.args = ["--allow-root", *{list(USER_SERVER_ARGS)!r}]
def _default_cache(spawner):
    if spawner.user.name == {DEFAULT!r}:
        spawner.args = ["--allow-root", "--HubOAuth.cache_max_age={DEFAULT_CACHE_SECONDS}"]
c.Spawner.pre_spawn_hook = _default_cache
"""


def signed_in(hub: Deployment, user: str) -> requests.Session:
    """A browser logged in to the hub (the auth proxy's header) and to the user's server
    (its OAuth, through a page that needs a login)."""
    browser = requests.Session()
    response = browser.get(
        f"{hub.proxy_url}/hub/login",
        headers={"X-Auth-Request-User": user},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, (response.status_code, response.text[:300])
    browser.get(f"{hub.proxy_url}/user/{user}/files/missing.txt", timeout=30)
    assert status(hub, browser, user) == 200, "no login to the server"
    return browser


def status(hub: Deployment, browser: requests.Session, user: str) -> int:
    url = f"{hub.proxy_url}/user/{user}/api/status"
    return browser.get(url, allow_redirects=False, timeout=30).status_code


def server_pid(hub: Deployment, user: str) -> int:
    """The user's server: the process working in the user's home."""
    (pid,) = working_in(hub.workdir / "home" / user)
    return pid


@dataclass
class Side:
    name: str
    user: str
    # Before each request: a new session id (every request asks the hub), or none.
    prepare: Callable[[requests.Session], None] | None = None
    latency_ms: list[float] = field(default_factory=list)  # median of each block
    hub_cpu_ms: list[float] = field(default_factory=list)  # per request, each block
    server_cpu_ms: list[float] = field(default_factory=list)


def new_session_id(browser: requests.Session) -> None:
    browser.cookies.set("jupyterhub-session-id", uuid.uuid4().hex, path="/")


def block(hub: Deployment, side: Side, browser: requests.Session, size: int) -> None:
    assert hub.hub is not None
    server = server_pid(hub, side.user)
    hub_before, server_before = cpu_seconds(hub.hub.pid), cpu_seconds(server)
    latencies = []
    for _ in range(size):
        if side.prepare is not None:
            side.prepare(browser)
        started = time.perf_counter()
        assert status(hub, browser, side.user) == 200
        latencies.append((time.perf_counter() - started) * 1000)
    side.latency_ms.append(statistics.median(latencies))
    side.hub_cpu_ms.append((cpu_seconds(hub.hub.pid) - hub_before) * 1000 / size)
    side.server_cpu_ms.append((cpu_seconds(server) - server_before) * 1000 / size)


def steady(hub: Deployment, browser: requests.Session, seconds: float) -> tuple[int, int]:
    """Requests sent back to back for ``seconds``, and the hub's checks of a token for them."""
    mark = len(hub.hub_log())
    sent, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert status(hub, browser, FAST) == 200
        sent += 1
    time.sleep(0.2)  # the hub logs a request after answering it
    return sent, hub.hub_log()[mark:].count(f"GET /hub/api/user ({FAST}@")


def refused_after(hub: Deployment) -> float:
    """Seconds from alice's logout to the first replay of a copy of her cookies that her
    server refuses."""
    browser = signed_in(hub, FAST)
    copy = requests.Session()
    for cookie in browser.cookies:
        copy.cookies.set_cookie(cookie)
    assert status(hub, copy, FAST) == 200
    browser.get(f"{hub.proxy_url}/hub/logout", timeout=30)
    logged_out = time.monotonic()
    while status(hub, copy, FAST) == 200:
        time.sleep(0.02)
    return time.monotonic() - logged_out


def shown(values: list[float], unit: str) -> str:
    return f"{statistics.median(values):.2f} {unit} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--block", type=int, default=BLOCK, help="requests per side per round")
    parser.add_argument("--steady", type=float, default=STEADY_SECONDS, help="seconds")
    parser.add_argument("--logouts", type=int, default=LOGOUTS)
    options = parser.parse_args()
    sides = [
        Side(f"cached ({DEFAULT_CACHE_SECONDS} s)", DEFAULT),
        Side(f"asked ({USER_SERVER_AUTH_CACHE_SECONDS} s, every request)", FAST, new_session_id),
    ]
    with (
        tempfile.TemporaryDirectory() as tmp,
        deployment(Path(tmp), None, extra_config=CONFIG) as hub,
    ):
        for user in (FAST, DEFAULT):
            hub.start_server(user)
        browsers = {side.name: signed_in(hub, side.user) for side in sides}
        for round_ in range(options.rounds):
            for side in sides[round_ % len(sides) :] + sides[: round_ % len(sides)]:
                block(hub, side, browsers[side.name], options.block)
        sent, asked = steady(hub, signed_in(hub, FAST), options.steady)
        refusals = [refused_after(hub) for _ in range(options.logouts)]
    print(f"{options.rounds} rounds of {options.block} requests per side; medians (range)")
    print("| | latency per request | hub CPU per request | server CPU per request |")
    print("| --- | --- | --- | --- |")
    for side in sides:
        print(
            f"| {side.name} | {shown(side.latency_ms, 'ms')} | {shown(side.hub_cpu_ms, 'ms')} "
            f"| {shown(side.server_cpu_ms, 'ms')} |"
        )
    print(
        f"one browser, back to back for {options.steady:g} s: {sent} requests, the hub asked "
        f"{asked} times ({asked / options.steady:.2f}/s)"
    )
    print(
        f"a copy replayed after logout is refused after {shown(refusals, 's')} "
        f"({options.logouts} logouts; bound {USER_SERVER_AUTH_CACHE_SECONDS} s)"
    )


if __name__ == "__main__":
    main()
