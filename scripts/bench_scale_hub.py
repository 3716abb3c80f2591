"""The hub at scale, this project's against the stock setup (z2jh 4.4.0's hub configuration
with the chart's default values), on the test cluster's API (kmock) and kubelet with light
user servers (``tests/support/scale_cluster.py``, ``light_servers.py``, ``scale_hubs.py``),
the real hub and the real configurable-http-proxy, in interleaved rounds:

- restart: with U users in the database and R running servers, the time and hub CPU from
  the hub's start until it answers /hub/health and has checked every running server
  ("Initialized R spawners": each polled at the API and its URL answered);
- burst: B users start their servers, their requests spread over ``--burst-seconds``; a
  429 (the concurrent spawn limit) is retried after its Retry-After, as the hub asks.
  Counted: the 429s, the failures (a spawn that ended without a server), the time to all
  ready (each server's route in the proxy, which the hub adds as the spawn ends: watched
  there, the hub asked only every 15 s whether a spawn is still pending), the hub CPU per
  spawn;
- steady: R running servers reporting activity as jupyterhub-singleuser does; hub CPU per
  minute and the proxy's RSS sampled over ``--steady-seconds``. The servers' activity
  interval and the hub's are the sides' own (``--speedup`` divides every one of them, the
  servers', the hub's and the culler's, to compress time; the figures are then given per
  simulated minute). Restarts and bursts run in real time: compressed, the hub's background
  work (its activity poll every 3 s instead of every 60) would be counted as the spawns'.
  For the steady part each hub is started again at the speedup, and its running servers
  with it (a server reports at the interval its hub gave it at its start).

Sides: ours (the minimal app's hub as synthesized), ours with the scale presets for the
largest size (``expected_users``, ``expected_concurrent_spawns``), and stock. Ratios are
ours / stock per round, with medians and ranges. ``--full`` runs the sizes of the goals
(1k/5k/10k users, 1,000 running, 500 in a burst, 30 minutes steady); the default is a
reduced run of a few minutes. Draws docs/scale-hub.png.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from constructs_lib import ScalePreset
from tests.support.processes import exit_on_sigterm
from tests.support.scale_hubs import BENCH_TOKEN, Side, rss_bytes, side

ROOT = Path(__file__).resolve().parent.parent
PLOT = ROOT / "docs" / "scale-hub.png"
GOAL = 0.8


@dataclass(frozen=True)
class Sizes:
    users: tuple[int, ...]
    running: int
    burst: int
    burst_seconds: float
    steady_seconds: float
    rounds: int
    # Every interval of both sides divided by this in the steady part (simulated time).
    speedup: float = 1.0
    # The servers running in the steady part, where a --render of figures joined from
    # several runs had another number than its restarts (None: ``running``).
    steady_running: int | None = None


# Minutes: 90 s of steady state stand for 30 simulated minutes.
REDUCED = Sizes(
    users=(100, 300),
    running=20,
    burst=30,
    burst_seconds=15,
    steady_seconds=90,
    rounds=3,
    speedup=20,
)
FULL = Sizes(
    users=(1000, 5000, 10000),
    running=1000,
    burst=500,
    burst_seconds=60,
    steady_seconds=1800,
    rounds=3,
)


@dataclass
class Figures:
    """One side's measurements, by what and size."""

    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, key: str, value: float) -> None:
        self.values.setdefault(key, []).append(value)


def spread(values: Sequence[float], unit: str = "") -> str:
    if not values:
        return "-"
    return (
        f"{statistics.median(values):8.2f}{unit} (range {min(values):.2f}-{max(values):.2f}, "
        f"n={len(values)})"
    )


# Load generation: the benchmark's own client, as many browsers' spawn requests.


async def _post_spawn(
    session: aiohttp.ClientSession, base: str, name: str, tally: dict[str, int]
) -> None:
    """POST the user's server, retrying a 429 after its Retry-After (as the hub asks)."""
    while True:
        async with session.post(f"{base}/users/{name}/server", json={}) as response:
            if response.status == 429:
                tally["429"] += 1
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if response.status not in (201, 202, 400):  # 400: already running or pending
                tally["failed"] += 1
            return


async def _spawn_all(
    base: str, names: Sequence[str], over_seconds: float, tally: dict[str, int]
) -> None:
    headers = {"Authorization": f"token {BENCH_TOKEN}"}
    timeout = aiohttp.ClientTimeout(total=600)
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(
        headers=headers, timeout=timeout, connector=connector
    ) as session:
        began = time.monotonic()
        tasks = []
        for index, name in enumerate(names):
            delay = began + over_seconds * index / max(len(names), 1) - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_post_spawn(session, base, name, tally)))
        await asyncio.gather(*tasks)


# How often a spawn's wait asks the hub whether any server is still pending (the proxy's
# routes say which are ready at no cost to the hub; a listing of the active users costs the
# hub about 0.1 s of CPU, counted as the spawns' if asked every few seconds).
_HUB_LOOK_SECONDS = 15


def spawn(
    hub: Side, names: Sequence[str], over_seconds: float, timeout: float = 3600
) -> dict[str, float]:
    """Start the servers of ``names``; wait until each is ready (its route is in the proxy,
    which the hub adds as the spawn ends) or has failed (neither routed nor pending at the
    hub). Returns the 429s, failures, seconds to all ready and hub CPU seconds used."""
    tally = {"429": 0, "failed": 0}
    wanted = set(names)
    cpu = hub.hub_cpu()
    began = time.perf_counter()
    asyncio.run(_spawn_all(f"{hub.hub_url}/hub/api", names, over_seconds, tally))
    looked = time.perf_counter()
    while True:
        routed = hub.routed() & wanted
        if len(routed) == len(wanted):
            break
        if time.perf_counter() - looked > _HUB_LOOK_SECONDS:
            looked = time.perf_counter()
            if not {name for name, ready in hub.active().items() if not ready} & wanted:
                routed = hub.routed() & wanted
                break
        if time.perf_counter() - began > timeout:
            raise TimeoutError(f"{hub.name}: {len(routed)} of {len(wanted)} ready")
        time.sleep(0.5)
    wall = time.perf_counter() - began
    used = hub.hub_cpu() - cpu
    failed = max(tally["failed"], len(wanted) - len(routed))
    return {"429": tally["429"], "failed": failed, "wall": wall, "cpu": used}


def stop_servers(hub: Side, names: Sequence[str], timeout: float = 600) -> None:
    async def stop_all() -> None:
        headers = {"Authorization": f"token {BENCH_TOKEN}"}
        async with aiohttp.ClientSession(headers=headers) as session:

            async def one(name: str) -> None:
                async with session.delete(f"{hub.hub_url}/hub/api/users/{name}/server"):
                    pass

            await asyncio.gather(*(one(name) for name in names))

    asyncio.run(stop_all())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not set(names) & set(hub.active()):
            return
        time.sleep(2)
    raise TimeoutError(f"{hub.name}: servers did not stop")


def add_users(hub: Side, count: int) -> None:
    """Users u0 .. u<count-1> in the hub's database (the API's bulk create)."""
    existing = int(
        hub.api(
            "GET", "/users?limit=1", headers={"Accept": "application/jupyterhub-pagination+json"}
        ).json()["_pagination"]["total"]
    )
    for first in range(existing, count, 500):
        names = [f"u{i}" for i in range(first, min(first + 500, count))]
        response = hub.api("POST", "/users", json={"usernames": names})
        if response.status_code != 201:
            raise RuntimeError(f"{hub.name}: {response.status_code} {response.text[:300]}")


# What the hubs log for each activity report of a server (JupyterHub's request log).
_ACTIVITY_REPORT = re.compile(rb"POST /hub/api/users/[^/ ]+/activity ")


def steady(hub: Side, seconds: float, speedup: float) -> dict[str, Any]:
    """Hub CPU per simulated minute, the activity reports it answered per simulated minute
    (as many on every side unless a side's servers fell behind, as on a machine short of
    CPU) and the proxy's RSS over the window."""
    logged = hub.log.stat().st_size
    cpu, began = hub.hub_cpu(), time.perf_counter()
    samples: list[tuple[float, int]] = []
    while (elapsed := time.perf_counter() - began) < seconds:
        samples.append((elapsed * speedup, rss_bytes(hub.proxy.pid)))
        time.sleep(min(5.0, seconds / 60))
    minutes = (time.perf_counter() - began) * speedup / 60
    used = hub.hub_cpu() - cpu
    with hub.log.open("rb") as log:
        log.seek(logged)
        reports = len(_ACTIVITY_REPORT.findall(log.read()))
    return {
        "cpu_per_minute": used / minutes,
        "reports_per_minute": reports / minutes,
        "rss": samples,
    }


def start_running(hub: Side, running: int, attempts: int = 3) -> None:
    """Users u0 .. u<running-1> with a server each, five spawns a second (the setup is not
    measured, and the test API is not to be flooded); a failed spawn is tried again, so that
    every side's restarts check as many servers."""
    names = [f"u{i}" for i in range(running)]
    for attempt in range(1, attempts + 1):
        missing = [name for name in names if name not in hub.routed()]
        if not missing:
            return
        result = spawn(hub, missing, over_seconds=len(missing) / 5)
        print(
            f"{hub.label}: {len(missing)} servers started (attempt {attempt}) after "
            f"{result['wall']:.1f} s ({result['429']} 429s, {result['failed']} failed)",
            flush=True,
        )
    missing = [name for name in names if name not in hub.routed()]
    if missing:
        raise RuntimeError(f"{hub.label}: {len(missing)} of {running} servers would not start")


def at_speedup(hub: Side, speedup: float, running: int) -> None:
    """Start the hub again dividing its intervals by ``speedup``, and its ``running`` servers
    (users u0 ..) again with it, at the setup's pace: each server keeps the activity interval
    its hub gave it at its start."""
    names = [f"u{i}" for i in range(running)]
    stop_servers(hub, names)
    hub.stop_hub()
    hub.speedup = speedup
    hub.start_hub()
    print(f"{hub.label}: started again at speedup {speedup:g}", flush=True)
    start_running(hub, running)


@contextlib.contextmanager
def sides(workdir: Path, names: Sequence[str], preset: ScalePreset) -> Iterator[list[Side]]:
    """The hubs of ``names``: ours, ours+presets (``preset``) and stock."""
    with ExitStack() as stack:
        found = []
        for name in names:
            kind = "stock" if name == "stock" else "ours"
            chosen = preset if name == "ours+presets" else None
            directory = workdir / name.replace("+", "-")
            found.append(stack.enter_context(side(kind, directory, label=name, preset=chosen)))
        yield found


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the goals' sizes (hours)")
    parser.add_argument("--rounds", type=int, help="rounds per figure (default 3)")
    parser.add_argument("--users", type=lambda s: tuple(int(x) for x in s.split(",")))
    parser.add_argument("--running", type=int)
    parser.add_argument("--burst", type=int)
    parser.add_argument("--burst-seconds", type=float)
    parser.add_argument("--steady-seconds", type=float)
    parser.add_argument(
        "--speedup", type=float, help="in the steady part, divide every interval by this"
    )
    parser.add_argument("--only", default="restart,burst,steady", help="which parts")
    parser.add_argument("--sides", default="ours,ours+presets,stock")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--plot", type=Path, default=PLOT)
    parser.add_argument(
        "--profile", type=Path, help="run each hub under cProfile, its statistics here"
    )
    parser.add_argument("--workdir", type=Path, help="keep the hubs' files here")
    parser.add_argument(
        "--render", type=Path, help="print and plot the figures of an earlier --json, run nothing"
    )
    args = parser.parse_args()
    if args.render:
        render(args.render, args.plot)
        return
    sizes = FULL if args.full else REDUCED
    sizes = dataclasses.replace(
        sizes,
        **{
            key: value
            for key, value in {
                "users": args.users,
                "running": args.running,
                "burst": args.burst,
                "burst_seconds": args.burst_seconds,
                "steady_seconds": args.steady_seconds,
                "rounds": args.rounds,
                "speedup": args.speedup,
            }.items()
            if value is not None
        },
    )
    parts = set(args.only.split(","))
    names = args.sides.split(",")
    figures = {name: Figures() for name in names}
    rss: dict[str, list[tuple[float, int]]] = {}
    started = time.perf_counter()
    preset = ScalePreset(expected_users=max(sizes.users), expected_concurrent_spawns=sizes.burst)
    with (
        tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp,
        sides(args.workdir or Path(tmp), names, preset) as hubs,
    ):
        for hub in hubs:
            hub.profile = args.profile
            # Real time, unless the steady state is all there is to measure.
            hub.speedup = sizes.speedup if parts == {"steady"} else 1.0
            hub.start_hub()
        # The running servers: users u0 .. u<running-1>, started at the hub's own pace.
        for hub in hubs:
            add_users(hub, sizes.running)
            start_running(hub, sizes.running)
        if "restart" in parts:
            for users in sizes.users:
                for hub in hubs:
                    add_users(hub, users)
                for round_ in range(sizes.rounds):
                    shift = round_ % len(hubs)
                    for hub in hubs[shift:] + hubs[:shift]:
                        hub.stop_hub()
                        wall, cpu = hub.start_hub(running=sizes.running)
                        figures[hub.label].add(f"restart wall {users}", wall)
                        figures[hub.label].add(f"restart cpu {users}", cpu)
                        print(
                            f"restart {hub.label} {users} users: {wall:.2f} s, CPU {cpu:.2f} s",
                            flush=True,
                        )
        if "burst" in parts:
            # At the largest size measured or asked for; else as few users as the burst needs.
            given = "restart" in parts or args.users is not None
            users = max(sizes.users) if given else sizes.running + sizes.burst
            for hub in hubs:
                add_users(hub, max(users, sizes.running + sizes.burst))
            names_ = [f"u{i}" for i in range(sizes.running, sizes.running + sizes.burst)]
            for round_ in range(sizes.rounds):
                shift = round_ % len(hubs)
                for hub in hubs[shift:] + hubs[:shift]:
                    result = spawn(hub, names_, sizes.burst_seconds)
                    for key, value in result.items():
                        figures[hub.label].add(f"burst {key}", value)
                    figures[hub.label].add("burst cpu per spawn", result["cpu"] / sizes.burst)
                    print(f"burst {hub.label}: {json.dumps(result)}", flush=True)
                    stop_servers(hub, names_)
        if "steady" in parts:
            for hub in hubs:
                if hub.speedup != sizes.speedup:
                    at_speedup(hub, sizes.speedup, sizes.running)
            # Every side's hub and servers run through every side's window: in interleaved
            # rounds each is measured once a round, the order rotated, as the other parts are.
            for round_ in range(sizes.rounds):
                shift = round_ % len(hubs)
                for hub in hubs[shift:] + hubs[:shift]:
                    measured = steady(hub, sizes.steady_seconds, sizes.speedup)
                    figures[hub.label].add("steady cpu per minute", measured["cpu_per_minute"])
                    figures[hub.label].add(
                        "steady activity reports per minute", measured["reports_per_minute"]
                    )
                    # The plot shows each proxy's first window.
                    rss.setdefault(hub.label, measured["rss"])
                    print(
                        f"steady {hub.label}: {measured['cpu_per_minute']:.2f} CPU s/min, "
                        f"{measured['reports_per_minute']:.0f} activity reports/min, "
                        f"proxy RSS {measured['rss'][-1][1] / 2**20:.0f} MiB",
                        flush=True,
                    )
        for hub in hubs:
            hub.stop_hub()
    report(sizes, figures, names)
    print()
    print(markdown(figures, names))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "sizes": dataclasses.asdict(sizes),
                    "figures": {k: v.values for k, v in figures.items()},
                    "rss": rss,
                },
                indent=1,
            )
        )
    plot(args.plot, sizes, figures, rss)
    print(f"total {time.perf_counter() - started:.0f} s")


def render(path: Path, plot_path: Path) -> None:
    saved = json.loads(path.read_text())
    sizes = Sizes(**saved["sizes"])
    sizes = dataclasses.replace(sizes, users=tuple(sizes.users))
    figures = {name: Figures(values) for name, values in saved["figures"].items()}
    rss = {name: [(t, r) for t, r in samples] for name, samples in saved["rss"].items()}
    names = list(figures)
    report(sizes, figures, names)
    print()
    print(markdown(figures, names))
    plot(plot_path, sizes, figures, rss)


def report(sizes: Sizes, figures: dict[str, Figures], names: Sequence[str]) -> None:
    print(f"\n{sizes}")
    keys = sorted({key for f in figures.values() for key in f.values})
    for key in keys:
        print(key)
        for name in names:
            print(f"  {name:<14} {spread(figures[name].values.get(key, []))}")
        if "stock" not in figures:
            continue
        stock = figures["stock"].values.get(key, [])
        for name in names:
            mine = figures[name].values.get(key, [])
            if name == "stock" or not mine or not stock or not all(stock):
                continue
            ratios = [a / b for a, b in zip(mine, stock, strict=False)]
            print(
                f"  ratio {name}/stock: median {statistics.median(ratios):.2f} "
                f"(range {min(ratios):.2f}-{max(ratios):.2f}; goal <= {GOAL})"
            )


def markdown(figures: dict[str, Figures], names: Sequence[str]) -> str:
    """The figures as a Markdown table: each side's median (range), and each ratio to stock's
    (median of the rounds' ratios, range)."""
    others = [name for name in names if name != "stock"]
    header = ["figure", *names, *(f"{name} / stock" for name in others if "stock" in figures)]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    keys = sorted({key for found in figures.values() for key in found.values})
    for key in keys:
        cells = [key]
        for name in names:
            values = figures[name].values.get(key, [])
            cells.append(
                f"{statistics.median(values):.3g} ({min(values):.3g}-{max(values):.3g})"
                if values
                else "-"
            )
        stock = figures["stock"].values.get(key, []) if "stock" in figures else []
        for name in others if "stock" in figures else []:
            mine = figures[name].values.get(key, [])
            ratios = [a / b for a, b in zip(mine, stock, strict=False) if b]
            cells.append(
                f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
                if ratios
                else "-"
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(
    path: Path, sizes: Sizes, figures: dict[str, Figures], rss: dict[str, list[tuple[float, int]]]
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(14, 4), layout="constrained")
    for name, found in figures.items():
        points = [
            (u, statistics.median(found.values[f"restart cpu {u}"]))
            for u in sizes.users
            if f"restart cpu {u}" in found.values
        ]
        if points:
            left.plot(*zip(*points, strict=True), marker="o", label=name)
        if "burst cpu per spawn" in found.values:
            middle.bar(name, statistics.median(found.values["burst cpu per spawn"]))
    for name, samples in rss.items():
        right.plot([t / 60 for t, _ in samples], [r / 2**20 for _, r in samples], label=name)
    left.set(
        title=f"hub restart, {sizes.running} running",
        xlabel="users in the database",
        ylabel="hub CPU s",
    )
    middle.set(title=f"burst of {sizes.burst}", ylabel="hub CPU s per spawn")
    right.set(
        title=f"steady, {sizes.steady_running or sizes.running} running",
        xlabel="minutes (simulated)",
        ylabel="proxy RSS MiB",
    )
    for axes in (left, right):
        axes.legend()
    figure.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
