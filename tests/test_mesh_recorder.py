"""The recording hop passes requests on unchanged (keep-alive, bodies, websockets) and names
the process that sent each one."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import tornado.httpserver
import tornado.web
import tornado.websocket
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from tests.mesh.recorder import Recorders, recorders
from tests.support.processes import free_port


class Echo(tornado.web.RequestHandler):
    def _echo(self) -> None:
        self.write(
            {
                "method": self.request.method,
                "uri": self.request.uri,
                "host": self.request.headers.get("Host"),
                "origin": self.request.headers.get("Origin"),
                "body": self.request.body.decode(),
            }
        )

    get = post = delete = _echo


class EchoSocket(tornado.websocket.WebSocketHandler):
    def check_origin(self, origin: str) -> bool:
        return True

    def on_message(self, message: str | bytes) -> None:
        self.write_message(message)


@pytest.fixture(scope="module")
def backend() -> Iterator[int]:
    """An echo server (HTTP and websocket) on a thread of its own."""
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    server: list[tornado.httpserver.HTTPServer] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        app = tornado.web.Application([(r"/ws", EchoSocket), (r"/.*", Echo)])
        server.append(app.listen(port, "127.0.0.1"))
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait(10)
    yield port
    loop.call_soon_threadsafe(server[0].stop)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture
def recording(backend: int) -> Iterator[tuple[Recorders, str]]:
    with recorders() as running:
        yield running, running.listen("echo", backend)


def _send(
    connection: http.client.HTTPConnection, method: str, path: str, **kwargs: Any
) -> dict[str, Any]:
    connection.request(method, path, **kwargs)
    response = connection.getresponse()
    body: dict[str, Any] = json.loads(response.read())
    return body


def test_requests_pass_unchanged_on_one_connection(recording: tuple[Recorders, str]) -> None:
    running, url = recording
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    first = _send(
        connection,
        "POST",
        "/a?x=1",
        body=b"abc",
        headers={"Host": "public.example", "Origin": "https://public.example"},
    )
    second = _send(connection, "GET", "/b", headers={"Host": "svc:8081"})
    third = _send(
        connection,
        "POST",
        "/c",
        body=iter([b"ab", b"cd"]),
        encode_chunked=True,
        headers={"Host": "svc:8081", "Transfer-Encoding": "chunked"},
    )
    connection.close()
    assert first == {
        "method": "POST",
        "uri": "/a?x=1",
        "host": "public.example",
        "origin": "https://public.example",
        "body": "abc",
    }
    assert second["uri"] == "/b" and second["host"] == "svc:8081"
    assert third["body"] == "abcd"
    records = running.records
    assert [(r.method, r.target, r.host, r.origin) for r in records] == [
        ("POST", "/a?x=1", "public.example", "https://public.example"),
        ("GET", "/b", "svc:8081", None),
        ("POST", "/c", "svc:8081", None),
    ]
    assert all(r.hop == "echo" and not r.upgrade for r in records)
    assert {p.pid for r in records for p in r.peers} == {os.getpid()}


@pytest.mark.slow
def test_the_sending_process_is_named(recording: tuple[Recorders, str]) -> None:
    running, url = recording
    client = subprocess.Popen(
        [sys.executable, "-c", f"import urllib.request; urllib.request.urlopen({url!r}).read()"]
    )
    assert client.wait(30) == 0
    (record,) = running.records
    assert [p.pid for p in record.peers] == [client.pid]
    assert record.peers[0].cmdline[0] == sys.executable


def test_websocket_is_piped_after_the_upgrade(recording: tuple[Recorders, str]) -> None:
    running, url = recording

    async def exchange() -> str | bytes | None:
        request = HTTPRequest(
            url.replace("http://", "ws://") + "/ws", headers={"Origin": "https://public.example"}
        )
        connection = await websocket_connect(request)
        await connection.write_message("hello")
        reply = await connection.read_message()
        connection.close()
        return reply

    assert asyncio.run(exchange()) == "hello"
    (record,) = running.records
    assert record.upgrade and record.target == "/ws"
    assert record.origin == "https://public.example"
