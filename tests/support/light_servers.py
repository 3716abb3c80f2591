"""Light user servers for the scale benchmarks: many in one process, each on its own address
and port, each talking to the hub as jupyterhub-singleuser (JupyterHub 5.5,
``jupyterhub/singleuser/extension.py``) does:

- at start, ``JupyterHubSingleUser.check_hub_version``: one GET of the hub API URL;
- every request under the server's prefix but ``api`` is authenticated by JupyterHub's own
  ``HubOAuth`` (``jupyterhub/services/auth.py``, what the extension's handlers use): a token
  in the ``Authorization`` header or the OAuth cookie, checked at the hub's ``/api/user`` and
  cached for ``cache_max_age`` seconds;
- ``{prefix}api`` answers as jupyter-server's ``APIVersionHandler`` without authentication,
  every answer with the ``X-JupyterHub-Version`` header the extension adds (the hub's
  ``User._wait_up`` reads it);
- ``keep_activity_updated``: every ``JUPYTERHUB_ACTIVITY_INTERVAL`` seconds (300 unless set)
  with 20 % jitter, ``notify_activity`` POSTs ``{"servers": {name: {"last_activity": t}},
  "last_activity": t}`` to ``JUPYTERHUB_ACTIVITY_URL`` with the server's token.

Run as ``python -m tests.support.light_servers``; commands are JSON lines on stdin:
``{"op": "start", "key": k, "ip": a, "port": p, "env": {...}}`` and ``{"op": "stop", "key":
k}``; it prints ``{"started": k}`` once the server listens (or ``{"failed": k, "error": e}``).
``{"op": "route", "ip": a, "port": p, "keys": [k, ...]}`` is a Service's virtual address as
kube-proxy's iptables mode makes it (``scale_cluster.py``, ``NodeServiceRules``): each
connection to ``a:p`` is served by one of the servers ``keys``, at random, as if DNAT had
sent it to that server's own address; with no keys the address refuses connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import socket
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jupyterhub
from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import isoformat, url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.iostream import IOStream
from tornado.netutil import add_accept_handler, bind_sockets

__all__ = ["LightServer", "VirtualAddress", "main"]

# jupyterhub-singleuser's hub_activity_interval default (extension.py).
DEFAULT_ACTIVITY_INTERVAL = 300


class _Versioned(web.RequestHandler):
    def set_default_headers(self) -> None:
        self.set_header("X-JupyterHub-Version", jupyterhub.__version__)


class ApiVersion(_Versioned):
    """jupyter-server's ``GET /api``: its version, no authentication."""

    def get(self) -> None:
        self.finish({"version": "2.17.0"})


class Page(HubOAuthenticated, _Versioned):  # type: ignore[misc]  # untyped JupyterHub
    """Anything else of the server: the hub's user only (HubOAuth: token or cookie)."""

    def initialize(self, server: LightServer) -> None:
        self.server = server
        self._hub_auth = server.auth

    @web.authenticated
    def get(self, path: str = "") -> None:
        user = self.get_current_user()
        self.server.touch()
        self.finish({"user": user["name"] if isinstance(user, dict) else None, "path": path})


class Callback(HubOAuthCallbackHandler, _Versioned):  # type: ignore[misc]
    def initialize(self, server: LightServer) -> None:
        self._hub_auth = server.auth


class LightServer:
    """One user server: its own listening socket, HubOAuth client and activity loop."""

    def __init__(self, ip: str, port: int, env: dict[str, str]) -> None:
        self.ip, self.port, self.env = ip, port, env
        prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", "/")
        self.auth = _hub_oauth(env)
        self.app = web.Application(
            [
                (url_path_join(prefix, "api"), ApiVersion),
                (url_path_join(prefix, "oauth_callback"), Callback, {"server": self}),
                (url_path_join(prefix, "(.*)"), Page, {"server": self}),
            ],
            cookie_secret=random.randbytes(32),
            login_url=url_path_join(prefix, "login"),
            hub_auth=self.auth,
        )
        self.http: HTTPServer | None = None
        self.activity: asyncio.Task[None] | None = None
        self.last_activity = datetime.now(UTC)
        self._client = AsyncHTTPClient()

    def touch(self) -> None:
        self.last_activity = datetime.now(UTC)

    async def start(self) -> None:
        await self._check_hub_version()
        self.http = HTTPServer(self.app, xheaders=True)
        self.http.listen(self.port, address=self.ip)
        self.activity = asyncio.create_task(self._keep_activity_updated())

    async def _check_hub_version(self) -> None:
        for attempt in range(1, 6):
            try:
                await self._client.fetch(self.auth.api_url, raise_error=False)
                return
            except OSError:
                await asyncio.sleep(min(2**attempt, 16))
        raise RuntimeError(f"cannot reach the hub at {self.auth.api_url}")

    async def _keep_activity_updated(self) -> None:
        url = self.env.get("JUPYTERHUB_ACTIVITY_URL", "")
        interval = int(self.env.get("JUPYTERHUB_ACTIVITY_INTERVAL") or DEFAULT_ACTIVITY_INTERVAL)
        if not url or not interval:
            return
        name = self.env.get("JUPYTERHUB_SERVER_NAME", "")
        while True:
            # Each light server stands for a user at work (a kernel busy, a browser open):
            # jupyter-server's last activity is then the moment of the report.
            self.touch()
            stamp = isoformat(self.last_activity)
            request = HTTPRequest(
                url,
                method="POST",
                headers={
                    "Authorization": f"token {self.auth.api_token}",
                    "Content-Type": "application/json",
                },
                body=json.dumps(
                    {"servers": {name: {"last_activity": stamp}}, "last_activity": stamp}
                ),
            )
            # The extension retries with back-off; the next round is soon enough here.
            with contextlib.suppress(OSError):
                await self._client.fetch(request, raise_error=False)
            # extension.py: "add 20% jitter to the interval to avoid alignment"
            await asyncio.sleep(interval * (1 + 0.2 * (random.random() - 0.5)))

    async def stop(self) -> None:
        if self.activity is not None:
            self.activity.cancel()
        if self.http is not None:
            self.http.stop()
            await self.http.close_all_connections()


class VirtualAddress:
    """A Service's ClusterIP and port: a listening socket whose connections the pool hands to
    one of its endpoints' servers, in this process, with no byte copied on the way (what the
    kernel's DNAT amounts to: the connection is the server's own)."""

    def __init__(self, ip: str, port: int, servers: dict[str, LightServer]) -> None:
        self.servers = servers
        self.keys: list[str] = []
        (self._socket,) = bind_sockets(port, address=ip, family=socket.AF_INET)
        self._remove: Callable[[], None] = add_accept_handler(self._socket, self._accept)

    def _accept(self, connection: socket.socket, address: Any) -> None:
        # kube-proxy's "statistic --mode random": every endpoint alike, chosen per connection.
        live = [s.http for k in self.keys if (s := self.servers.get(k)) and s.http is not None]
        if not live:  # the endpoint's server stopped before its rule went
            _note(f"{self._socket.getsockname()}: no server of {self.keys} to take a connection")
            connection.close()
            return
        random.choice(live).handle_stream(IOStream(connection), address)

    def close(self) -> None:
        self._remove()
        self._socket.close()


def _hub_oauth(env: dict[str, str]) -> Any:
    """A ``HubOAuth`` configured as a server's own is: from its environment (the API token
    and URL, the access scopes, the client id, the cookie options...), which its traits'
    defaults read, each read here while ``os.environ`` is the server's; and the hub's
    ``--HubOAuth.cache_max_age`` argument where it is given one."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        auth = HubOAuth(cache_max_age=_cache_max_age(env))
        for name in auth.trait_names():
            getattr(auth, name)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return auth


def _cache_max_age(env: dict[str, str]) -> int:
    for arg in json.loads(env.get("LIGHT_SERVER_ARGS", "[]")):
        option, _, value = arg.partition("=")
        if option == "--HubOAuth.cache_max_age":
            return int(value)
    return 300  # HubAuth.cache_max_age's default


async def _serve() -> None:
    AsyncHTTPClient.configure("tornado.curl_httpclient.CurlAsyncHTTPClient", max_clients=64)
    servers: dict[str, LightServer] = {}
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def start(command: dict[str, Any]) -> None:
        key = command["key"]
        try:
            server = LightServer(command["ip"], int(command["port"]), command["env"])
            await server.start()
        except Exception as error:  # reported to the kubelet, which fails the pod
            _say({"failed": key, "error": repr(error)})
            return
        servers[key] = server
        _note(f"server {key} at {server.ip}:{server.port}")
        _say({"started": key, "at": time.time()})

    def route(command: dict[str, Any]) -> None:
        address = (command["ip"], int(command["port"]))
        _note(f"route {address[0]}:{address[1]} -> {command['keys']}")
        if not command["keys"]:
            # No endpoint: kube-proxy's REJECT rule, a refused connection.
            if (virtual := routes.pop(address, None)) is not None:
                virtual.close()
            return
        if address not in routes:
            routes[address] = VirtualAddress(*address, servers)
        routes[address].keys = list(command["keys"])

    tasks: set[asyncio.Task[None]] = set()
    routes: dict[tuple[str, int], VirtualAddress] = {}
    while line := await reader.readline():
        command = json.loads(line)
        if command["op"] == "start":
            task = asyncio.create_task(start(command))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        elif command["op"] == "route":
            route(command)
        elif command["op"] == "stop" and command["key"] in servers:
            _note(f"stop {command['key']}")
            await servers.pop(command["key"]).stop()
            _note(f"stopped {command['key']}")
    for virtual in routes.values():
        virtual.close()
    for server in servers.values():
        await server.stop()


def _note(message: str) -> None:
    """A line of the pool's log (its stderr), for what a failed spawn's cause may be."""
    sys.stderr.write(f"{datetime.now(UTC).isoformat(timespec='milliseconds')} {message}\n")


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
