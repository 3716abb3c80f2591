"""The two hubs the scale benchmarks compare, each on a test cluster of its own
(``scale_cluster.py``) with a configurable-http-proxy of its own:

- ours: the minimal app's hub ConfigMap files (launcher, jupyterhub_config.py, settings.json,
  hub_runtime), as the StatefulSet's container runs them;
- stock: z2jh 4.4.0's hub image configuration, ``jupyterhub_config.py`` and ``z2jh.py`` at
  that tag, reading the chart's default ``values.yaml`` (``tests/support/z2jh/``, see its
  README) as the chart's hub Secret delivers it (with ``Chart`` and ``Release`` added, as
  ``templates/hub/secret.yaml`` does).

Both run from this venv (the hub image's JupyterHub and KubeSpawner versions) in a private
mount namespace whose /etc/hosts is the cluster's DNS (as the test kubelet runs containers),
with KubeSpawner pointed at the cluster's API by a kubeconfig. The same few lines are added
to both after their own configuration: the hub's loopback address, the proxy's API, an
SQLite file, and an API token for the benchmark (a service with admin scopes).
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from constructs_lib import ScalePreset
from hub_runtime.settings import CONFIG_DIR, SETTINGS_FILE_NAME, dump_settings, parse_settings
from tests.support.leaks import end, working_in
from tests.support.manifests import ROOT, read_manifests
from tests.support.processes import (
    CHP,
    PROXY_TOKEN,
    deliver_config,
    free_port,
    hub_command,
    hub_env,
    node,
    start,
    stop,
    wait_for,
)
from tests.support.scale_cluster import ScaleCluster

__all__ = ["BENCH_TOKEN", "Side", "cpu_seconds", "rss_bytes", "side", "stock_values"]

# Random, as a token the hub makes (32 bytes of entropy): the hub is told to trust it as one.
BENCH_TOKEN = "bench-" + secrets.token_hex(32)
Z2JH = Path(__file__).resolve().parent / "z2jh"
# Kinds of the minimal app a user pod's admission needs (its service account, its priority).
_NEEDED = {"ServiceAccount", "PriorityClass"}
_INITIALIZED = re.compile(rb"Initialized (\d+) spawners in")
_TICKS = os.sysconf("SC_CLK_TCK")
# The factor every interval of a side is divided by at the hub's start (1: real time).
SPEEDUP_ENV = "BENCH_SPEEDUP"


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (not of its children), from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _extra(workdir: Path, hub_url: str, proxy_api: str) -> str:
    """What the benchmark adds after a side's own configuration (the same for both): with
    ``SPEEDUP_ENV`` set at the hub's start, every interval of the side's own is divided by it
    (simulated time)."""
    return (
        _SPEEDUP
        + _GC_STATS
        + f"""
c.JupyterHub.hub_bind_url = {hub_url!r}
c.JupyterHub.hub_connect_url = {hub_url!r}
c.ConfigurableHTTPProxy.api_url = {proxy_api!r}
c.ConfigurableHTTPProxy.should_start = False
c.JupyterHub.db_url = "sqlite:///" + {str(workdir / "jupyterhub.sqlite")!r}
c.JupyterHub.cookie_secret_file = {str(workdir / "cookie_secret")!r}
c.JupyterHub.services.append({{"name": "bench", "api_token": {BENCH_TOKEN!r}}})
# A token from the configuration is otherwise hashed as a password (16,384 rounds of SHA-512,
# ~10 ms of the hub's CPU) at each request: the benchmark's requests are not a spawn's cost
# (a person's spawn comes with a session cookie, a server's requests with a token the hub
# made, checked in one round).
c.JupyterHub.trust_user_provided_tokens = True
# The test API (one Python thread) answers slower under load than a real API server: a request
# may take 30 s, not KubeSpawner's 3, before it is retried.
c.KubeSpawner.k8s_api_request_timeout = 30
c.JupyterHub.load_roles.append({{"name": "bench", "services": ["bench"], "scopes": [
    "admin:users", "admin:servers", "list:users", "read:users", "read:servers", "tokens",
    "access:servers"]}})
"""
    )


# Read at each start of the hub (``Side.speedup``): a hub started at 1 runs in real time;
# servers it starts keep the interval it gave them.
_SPEEDUP = f"""
import os as _os
import re as _re
_factor = float(_os.environ.get({SPEEDUP_ENV!r}, "1"))
if _factor != 1:
    c.JupyterHub.last_activity_interval = max(
        1, round(c.JupyterHub.last_activity_interval / _factor))
    _env = dict(c.KubeSpawner.environment) if "environment" in c.KubeSpawner else {{}}
    # jupyterhub-singleuser's own default: 300 s.
    _env["JUPYTERHUB_ACTIVITY_INTERVAL"] = str(max(1, round(int(_env.get(
        "JUPYTERHUB_ACTIVITY_INTERVAL", 300)) / _factor)))
    c.KubeSpawner.environment = _env
    def _faster(arg):
        match = _re.fullmatch(r"(--(?:timeout|cull-every)=)(\\d+)", arg)
        return f"{{match[1]}}{{max(1, round(int(match[2]) / _factor))}}" if match else arg
    for _service in c.JupyterHub.services:
        if "command" in _service:
            _service["command"] = [_faster(a) for a in _service["command"]]
"""


# With GC_STATS_ENV set in the benchmark's environment, each hub appends its garbage
# collector's figures to gc.jsonl in its working directory every 5 s: the collections' count
# and CPU time per generation, the objects it tracks, the process's CPU time.
GC_STATS_ENV = "BENCH_GC_STATS"
_GC_STATS = f"""
import os as _os
if _os.environ.get({GC_STATS_ENV!r}):
    import gc as _gc, json as _json, threading as _threading, time as _time
    _gc_figures = {{"seconds": [0.0, 0.0, 0.0], "count": [0, 0, 0]}}
    _gc_began = [0.0]
    def _gc_timed(phase, info):
        if phase == "start":
            _gc_began[0] = _time.thread_time()
        else:
            _gc_figures["seconds"][info["generation"]] += _time.thread_time() - _gc_began[0]
            _gc_figures["count"][info["generation"]] += 1
    _gc.callbacks.append(_gc_timed)
    def _gc_write():
        while True:
            _time.sleep(5)
            with open("gc.jsonl", "a") as _out:
                _out.write(_json.dumps({{"time": _time.time(), "cpu": _time.process_time(),
                    "objects": len(_gc.get_objects()), **_gc_figures}}) + "\\n")
    _threading.Thread(target=_gc_write, daemon=True).start()
"""


@dataclass
class Side:
    """One hub, its proxy and its cluster; the hub can be stopped and started again."""

    name: str
    label: str
    workdir: Path
    cluster: ScaleCluster
    command: list[str]
    env: dict[str, str]
    hub_url: str
    proxy_api: str
    # The proxy's public address (what browsers reach through the ingress).
    proxy_url: str
    proxy: subprocess.Popen[bytes]
    hub: subprocess.Popen[bytes] | None = None
    session: requests.Session = field(default_factory=requests.Session)

    starts: int = 0
    # What the hub's next start divides every interval of the side by (simulated time): its
    # activity poll, the culler's, and those of the servers it starts.
    speedup: float = 1.0
    # Where each start of the hub writes its cProfile statistics (None: not profiled).
    profile: Path | None = None

    @property
    def log(self) -> Path:
        return self.workdir / f"hub-{self.starts}.log"

    def start_hub(self, running: int | None = None, timeout: float = 1800) -> tuple[float, float]:
        """Start the hub; wait until /hub/health answers and (with ``running``) it has
        checked the running servers ("Initialized N spawners", N at most ``running``: a
        server may have stopped meanwhile). Returns (wall seconds, hub CPU seconds) then."""
        began = time.perf_counter()
        self.starts += 1
        python, *rest = self.command
        if self.profile is not None:
            out = self.profile / f"{self.label}-{self.starts}.prof"
            rest = ["-m", "cProfile", "-o", str(out), *rest]
        command = in_cluster_dns(self.cluster.hosts.path, [python, *rest])
        env = {**self.env, SPEEDUP_ENV: repr(float(self.speedup))}
        self.hub = start(command, cwd=self.workdir, env=env, log=self.log)
        healthy = False
        while True:
            if self.hub.poll() is not None:
                raise RuntimeError(f"{self.name} hub exited: {self.log.read_text()[-3000:]}")
            if not healthy:
                with suppress(requests.RequestException):
                    healthy = requests.get(f"{self.hub_url}/hub/health", timeout=2).ok
            checked = self._initialized()
            if healthy and (running is None or (checked is not None and checked <= running)):
                return time.perf_counter() - began, cpu_seconds(self.hub.pid)
            if time.perf_counter() - began > timeout:
                raise TimeoutError(f"{self.name} hub: {self.log.read_text()[-3000:]}")
            time.sleep(0.02)

    def _initialized(self) -> int | None:
        found = _INITIALIZED.findall(self.log.read_bytes())
        return int(found[-1]) if found else None

    def stop_hub(self) -> None:
        if self.hub is not None:
            stop(self.hub, timeout=60)
            self.hub = None
        # The culler runs in a session of its own.
        end(set(working_in(self.workdir)))

    def hub_cpu(self) -> float:
        assert self.hub is not None
        return cpu_seconds(self.hub.pid)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"token {BENCH_TOKEN}", **kwargs.pop("headers", {})}
        url = f"{self.hub_url}/hub/api{path}"
        try:
            return self.session.request(method, url, timeout=120, headers=headers, **kwargs)
        except requests.ConnectionError:
            # A kept-alive connection the hub closed meanwhile: once more, on a new one.
            self.session.close()
            return self.session.request(method, url, timeout=120, headers=headers, **kwargs)

    def routed(self) -> set[str]:
        """Users whose default server has a route in the proxy (the hub adds it when the
        server is ready): asked of the proxy, at no cost to the hub."""
        response = self.session.get(
            f"{self.proxy_api}/api/routes",
            headers={"Authorization": f"token {self.env['CONFIGPROXY_AUTH_TOKEN']}"},
            timeout=60,
        )
        response.raise_for_status()
        return {
            route["user"]
            for route in response.json().values()
            if route.get("user") and not route.get("server_name")
        }

    def servers(self) -> tuple[int, int]:
        """(ready, pending) default servers, from the API's active users, page by page
        (its ``state=ready`` filter counts a server being spawned as ready)."""
        active = self.active()
        return sum(active.values()), len(active) - sum(active.values())

    def active(self) -> dict[str, bool]:
        """Every user with a default server, and whether it is ready."""
        found: dict[str, bool] = {}
        offset = 0
        while True:
            response = self.api(
                "GET",
                f"/users?state=active&offset={offset}&limit=200",
                headers={"Accept": "application/jupyterhub-pagination+json"},
            )
            response.raise_for_status()
            page = response.json()
            for user in page["items"]:
                server = user.get("servers", {}).get("")
                if server is not None:
                    found[user["name"]] = bool(server.get("ready"))
            offset += len(page["items"])
            if not page["items"] or offset >= page["_pagination"]["total"]:
                return found


def in_cluster_dns(hosts: Path, command: list[str]) -> list[str]:
    """``command`` in a private mount namespace whose /etc/hosts is the cluster's DNS (as
    the test kubelet runs containers): the hub and the proxy reach user Services by name."""
    mount = 'mount --bind "$0" /etc/hosts && exec "$@"'
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        mount,
        str(hosts),
        *command,
    ]


def _proxy(
    stack: ExitStack, workdir: Path, hub_url: str, hosts: Path
) -> tuple[subprocess.Popen[bytes], str, str]:
    api = free_port()
    env = {**os.environ, "CONFIGPROXY_AUTH_TOKEN": PROXY_TOKEN}
    # Beside the hub's directory: stopping the hub ends what works in its directory.
    workdir = workdir.parent / f"{workdir.name}-proxy"
    workdir.mkdir()
    port = free_port()
    command = [
        node(),
        str(CHP),
        "--ip=127.0.0.1",
        f"--port={port}",
        "--api-ip=127.0.0.1",
        f"--api-port={api}",
        f"--default-target={hub_url}",
        "--log-level=warn",
    ]
    process = start(
        in_cluster_dns(hosts, command),
        cwd=workdir,
        env=env,
        log=workdir / "proxy.log",
    )
    stack.callback(stop, process)
    url = f"http://127.0.0.1:{api}"
    wait_for(f"{url}/api/routes", 30, process, workdir / "proxy.log")
    return process, url, f"http://127.0.0.1:{port}"


def _ours(
    workdir: Path,
    hub_url: str,
    proxy_api: str,
    kubeconfig: Path,
    preset: ScalePreset | None,
) -> tuple[list[str], dict[str, str]]:
    config = deliver_config(workdir / "config")
    path = workdir / "config" / SETTINGS_FILE_NAME
    settings = parse_settings(path.read_text(), source=str(path))
    # The benchmark signs in through the API with its token, not through the auth proxy.
    # minimal's own OpenID Connect login is left out the same way (it would ask its provider
    # at the hub's start); tests/test_hub_login_oidc.py runs it.
    auth = dataclasses.replace(settings.auth, trust="header", jwt=None)
    settings = dataclasses.replace(
        settings,
        auth=auth,
        login=None,
        bind_url=hub_url,
        connect_url=hub_url,
        proxy_api_url=proxy_api,
    )
    if preset is not None:
        # The minimal app leaves the hub's interval to its proxy's.
        settings = preset.apply(settings, settings.activity_interval_seconds)
    (workdir / "settings.json").write_text(dump_settings(settings))
    wrapper = workdir / "bench_config.py"
    wrapper.write_text(
        f"exec(compile(open({str(config)!r}).read(), {str(config)!r}, 'exec'),\n"
        f"     {{**globals(), '__file__': {str(config)!r}}})\n"
        + _extra(workdir, hub_url, proxy_api)
    )
    command = hub_command(wrapper, delivered=config.parent)
    env = hub_env({**os.environ})
    env |= {
        "CONFIGPROXY_AUTH_TOKEN": PROXY_TOKEN,
        "HUB_SETTINGS": str(workdir / "settings.json"),
        "POD_NAMESPACE": "jupyterhub",
        "KUBECONFIG": str(kubeconfig),
    }
    return command, env


def stock_values() -> dict[str, Any]:
    """The chart's default values as its hub Secret holds them."""
    values: dict[str, Any] = yaml.safe_load((Z2JH / "values.yaml").read_text())
    values["Chart"] = {"Name": "jupyterhub", "Version": "4.4.0", "AppVersion": "5.5.0"}
    values["Release"] = {"Name": "stock", "Namespace": "stock", "Service": "Helm"}
    return values


def _stock(
    workdir: Path,
    hub_url: str,
    proxy_api: str,
    kubeconfig: Path,
    preset: ScalePreset | None,
) -> tuple[list[str], dict[str, str]]:
    etc = workdir / "etc"
    port = hub_url.rsplit(":", 1)[1]
    for name in ("jupyterhub_config.py", "z2jh.py"):
        text = (Z2JH / name).read_text()
        # The one rewrite: the image's config directory is here, and the hub's port (8081 in
        # the image, whose pod has the address to itself) is one free on this machine.
        text = text.replace(CONFIG_DIR, str(etc))
        text = text.replace("hub_container_port = 8081", f"hub_container_port = {port}")
        text = text.replace("http://localhost:8081", f"http://127.0.0.1:{port}")
        (etc / name).parent.mkdir(parents=True, exist_ok=True)
        (etc / name).write_text(text)
    secret = etc / "secret"
    secret.mkdir()
    (secret / "values.yaml").write_text(yaml.safe_dump(stock_values()))
    (secret / "hub.config.JupyterHub.cookie_secret").write_text(secrets.token_hex(32))
    (secret / "hub.config.CryptKeeper.keys").write_text(secrets.token_hex(32))
    # The ConfigMap's name templates: resource names the config refers to.
    names = etc / "config"
    names.mkdir()
    for short in ("hub", "proxy-api", "proxy-public", "singleuser", "priority", "user-scheduler"):
        (names / short).write_text(f"stock-{short}" if short != "hub" else "hub")
    config = etc / "jupyterhub_config.py"
    wrapper = workdir / "bench_config.py"
    wrapper.write_text(
        f"exec(compile(open({str(config)!r}).read(), {str(config)!r}, 'exec'),\n"
        f"     {{**globals(), '__file__': {str(config)!r}}})\n"
        + _extra(workdir, hub_url, proxy_api)
    )
    scripts = str(Path(sys.executable).parent)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env |= {
        "PATH": f"{scripts}:{env.get('PATH', '')}",
        "CONFIGPROXY_AUTH_TOKEN": PROXY_TOKEN,
        "POD_NAMESPACE": "stock",
        "KUBECONFIG": str(kubeconfig),
        # Kubernetes' Service variables the config reads (get_name_env).
        "HUB_SERVICE_PORT": port,
        "STOCK_PROXY_API_SERVICE_PORT": proxy_api.rsplit(":", 1)[1],
    }
    return [sys.executable, "-m", "jupyterhub", "--config", str(wrapper)], env


@contextmanager
def side(
    name: str,
    workdir: Path,
    *,
    label: str | None = None,
    preset: ScalePreset | None = None,
) -> Iterator[Side]:
    """A side ("ours" or "stock") with its cluster and proxy running, its hub not started;
    ``preset``: ours with the scale presets' settings."""
    namespace = "jupyterhub" if name == "ours" else "stock"
    workdir.mkdir(parents=True)
    with ExitStack() as stack:
        cluster = stack.enter_context(ScaleCluster(namespace, workdir / "cluster"))
        if name == "ours":
            manifests = read_manifests(ROOT / "dist" / "minimal")
            cluster.apply(m for m in manifests if m["kind"] == "Namespace")
            cluster.apply(m for m in manifests if m["kind"] in _NEEDED)
        else:
            cluster.apply(
                [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}]
            )
        kubeconfig = cluster.kubeconfig(workdir / "kubeconfig")
        hub_url = f"http://127.0.0.1:{free_port()}"
        proxy, proxy_api, proxy_url = _proxy(stack, workdir, hub_url, cluster.hosts.path)
        build = _ours if name == "ours" else _stock
        command, env = build(workdir, hub_url, proxy_api, kubeconfig, preset)
        running = Side(
            name,
            label or name,
            workdir,
            cluster,
            command,
            env,
            hub_url,
            proxy_api,
            proxy_url,
            proxy,
        )
        try:
            yield running
        finally:
            running.stop_hub()
