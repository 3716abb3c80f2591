"""Hub start: time from process start to /hub/health answering, this project's hub against a
plain JupyterHub, in interleaved rounds, with the default hub image's packages (.venv-z2jh).

- ours: the hub container's command (the runtime's launcher) with the files of the minimal
  app's hub ConfigMap (jupyterhub_config.py, settings.json, hub_runtime), KubeSpawner and the
  idle culler configured, as the StatefulSet runs it;
- ours, python -m jupyterhub: the same files started the way the command did before the
  launcher (jsonschema builds its IRI grammar at import);
- plain: ``python -m jupyterhub`` with JupyterHub's defaults (PAM, local processes).

Each side keeps its own SQLite database in its own directory (a restart: the first,
uncounted start creates it) and has a configurable-http-proxy of its own that it does not
start (ours never does; plain is told not to, so both do the same work). Prints the median
wall time and the hub process's CPU time at the moment /hub/health answered, with spread,
and the per-round ratios. Target: ours at most plain's.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub_runtime.settings import SETTINGS_FILE_NAME, dump_settings, parse_settings
from scripts.bench_login import cpu_seconds
from tests.support.leaks import end, working_in
from tests.support.manifests import ROOT
from tests.support.processes import (
    CHP,
    PROXY_TOKEN,
    deliver_config,
    exit_on_sigterm,
    free_port,
    hub_command,
    node,
    start,
    stop,
)

ROUNDS = 7
# The default hub image's packages (z2jh's): see the Makefile's .stamps/z2jh.
Z2JH_PYTHON = ROOT / ".venv-z2jh" / "bin" / "python"


@dataclass
class Side:
    name: str
    workdir: Path
    command: list[str]
    env: dict[str, str]
    health: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def start_once(side: Side, timeout: float = 120) -> tuple[float, float]:
    """Start the hub, wait for /hub/health, stop it; (wall seconds, hub CPU seconds)."""
    began = time.perf_counter()
    process = start(side.command, cwd=side.workdir, env=side.env, log=side.workdir / "hub.log")
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError((side.workdir / "hub.log").read_text()[-3000:])
            try:
                if requests.get(side.health, timeout=1).status_code == 200:
                    wall = time.perf_counter() - began
                    return wall, cpu_seconds(process.pid)
            except requests.RequestException:
                pass
            if time.perf_counter() - began > timeout:
                raise TimeoutError((side.workdir / "hub.log").read_text()[-3000:])
            time.sleep(0.01)
    finally:
        stop(process)
        # The culler runs in a session of its own; a hub stopped this early may leave it.
        end(set(working_in(side.workdir)))


def proxy(stack: ExitStack, workdir: Path, env: dict[str, str]) -> str:
    """A CHP for one side (never counted), working beside the hub's directory; returns its
    API URL."""
    workdir = workdir.parent / f"{workdir.name}-proxy"
    workdir.mkdir()
    api = free_port()
    process = start(
        [
            node(),
            str(CHP),
            "--ip=127.0.0.1",
            f"--port={free_port()}",
            "--api-ip=127.0.0.1",
            f"--api-port={api}",
            "--log-level=warn",
        ],
        cwd=workdir,
        env=env,
        log=workdir / "proxy.log",
    )
    stack.callback(stop, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{api}/api/routes", timeout=1)
            return f"http://127.0.0.1:{api}"
        except requests.RequestException:
            time.sleep(0.1)
    raise TimeoutError((workdir / "proxy.log").read_text())


def ours(stack: ExitStack, workdir: Path, python: str, launcher: bool) -> Side:
    """The minimal app's hub ConfigMap files, settings pointed at loopback."""
    config = deliver_config(workdir / "config")
    settings_path = workdir / "config" / SETTINGS_FILE_NAME
    settings = parse_settings(settings_path.read_text(), source=str(settings_path))
    port = free_port()
    env = {
        key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "HUB_SETTINGS")
    }
    env |= {"CONFIGPROXY_AUTH_TOKEN": PROXY_TOKEN, "POD_NAMESPACE": "jupyterhub"}
    api = proxy(stack, workdir, env)
    local = dataclasses.replace(
        settings,
        bind_url=f"http://127.0.0.1:{port}",
        connect_url=f"http://127.0.0.1:{port}",
        proxy_api_url=api,
    )
    (workdir / "settings.json").write_text(dump_settings(local))
    env["HUB_SETTINGS"] = str(workdir / "settings.json")
    command = [python, *hub_command(config, delivered=config.parent)[1:]]
    if not launcher:
        command = [python, "-m", "jupyterhub", *command[2:]]
    name = "ours" if launcher else "ours, python -m jupyterhub"
    return Side(name, workdir, command, env, f"http://127.0.0.1:{port}/hub/health")


def plain(stack: ExitStack, workdir: Path, python: str) -> Side:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["CONFIGPROXY_AUTH_TOKEN"] = PROXY_TOKEN
    api = proxy(stack, workdir, env)
    port = free_port()
    command = [
        python,
        "-m",
        "jupyterhub",
        f"--JupyterHub.hub_bind_url=http://127.0.0.1:{port}",
        "--ConfigurableHTTPProxy.should_start=False",
        f"--ConfigurableHTTPProxy.api_url={api}",
    ]
    return Side("plain JupyterHub", workdir, command, env, f"http://127.0.0.1:{port}/hub/health")


def spread(values: Sequence[float]) -> str:
    q1, _, q3 = statistics.quantiles(values, n=4)
    return (
        f"{statistics.median(values):6.2f} s  IQR {q1:5.2f}-{q3:5.2f}  "
        f"range {min(values):5.2f}-{max(values):5.2f}"
    )


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="starts per side (>= 5)")
    parser.add_argument(
        "--python",
        default=str(Z2JH_PYTHON) if Z2JH_PYTHON.exists() else sys.executable,
        help="the hubs' interpreter (default: .venv-z2jh's, the default hub image's packages)",
    )
    args = parser.parse_args()
    if args.rounds < 5:
        parser.error("--rounds: at least 5 (medians of fewer say little)")
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        dirs = [Path(tmp) / name for name in ("ours", "ours-m", "plain")]
        for directory in dirs:
            directory.mkdir()
        sides = [
            ours(stack, dirs[0], args.python, launcher=True),
            ours(stack, dirs[1], args.python, launcher=False),
            plain(stack, dirs[2], args.python),
        ]
        for side in sides:  # creates each database; not counted
            start_once(side)
        for round_ in range(args.rounds):
            shift = round_ % len(sides)
            for side in sides[shift:] + sides[:shift]:
                wall, cpu = start_once(side)
                side.wall.append(wall)
                side.cpu.append(cpu)
    version = subprocess.run(
        [args.python, "-c", "import jupyterhub; print(jupyterhub.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(
        f"{args.rounds} interleaved rounds, JupyterHub {version} ({args.python}), SQLite, "
        "from process start to /hub/health answering"
    )
    for side in sides:
        print(f"  {side.name:<28} wall {spread(side.wall)}")
        print(f"  {'':<28} CPU  {spread(side.cpu)}")
    base = sides[2]
    for side in sides[:2]:
        for what, mine, theirs in (("wall", side.wall, base.wall), ("CPU", side.cpu, base.cpu)):
            ratios = [a / b for a, b in zip(mine, theirs, strict=True)]
            print(
                f"ratio {side.name} / plain, {what}: median {statistics.median(ratios):.2f} "
                f"(rounds {min(ratios):.2f}-{max(ratios):.2f}; target <= 1.0)"
            )


if __name__ == "__main__":
    main()
