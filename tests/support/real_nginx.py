"""Real nginx on loopback, serving a configuration ``tests.support.nginx_config`` renders,
with a raw TLS client and recording backends: what the differential test of the
ingress-nginx model (``tests/test_ingress_nginx_real.py``) sends and sees.

The client writes the request bytes exactly as given (``requests`` and ``http.client``
normalize the target and refuse odd headers), from ``CLIENT_ADDR``, so that nginx's
``$remote_addr`` tells a client's request from nginx's own subrequest coming back through
itself (from ``NGINX_ADDR``). The backends are threads of the test process that keep each
request's raw target and header lines and answer as the test tells them.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import free_port, start, stop

__all__ = [
    "CLIENT_ADDR",
    "NGINX_ADDR",
    "Answer",
    "Backend",
    "Received",
    "Response",
    "nginx_binary",
    "request",
    "running_nginx",
    "self_signed",
]

# nginx listens on this one and connects from it to itself and to the backends.
NGINX_ADDR = "127.0.0.1"
# The client's source address: another loopback address (Linux routes all of 127/8 to lo).
CLIENT_ADDR = "127.0.0.2"

Lines = list[tuple[str, str]]


@dataclass(frozen=True)
class Received:
    """One request a backend received: its request target and header lines, as sent."""

    backend: str
    target: str
    headers: Lines
    status: int  # what the backend answered


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Sequence[tuple[str, str]] = ()


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class Backend:
    """A recording HTTP/1.1 server on ``NGINX_ADDR``: keeps every request in ``received``
    and answers with ``answer(target, headers)`` (one response per connection)."""

    def __init__(self, name: str, answer: Callable[[str, Lines], Answer]) -> None:
        self.name = name
        self.answer = answer
        self.received: list[Received] = []
        backend = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    head += chunk
                line, *rest = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
                target = line.split(" ")[1]
                # nginx writes "<name>: <value>": the value is what follows the one space.
                pairs = (h.partition(":") for h in rest)
                lines = [(n, v.removeprefix(" ")) for n, _, v in pairs]
                answer = backend.answer(target, lines)
                backend.received.append(Received(backend.name, target, lines, answer.status))
                out = [f"HTTP/1.1 {answer.status} Recorded", "Content-Length: 0"]
                out += [f"{name}: {value}" for name, value in answer.headers]
                out += ["Connection: close", "", ""]
                self.request.sendall("\r\n".join(out).encode("latin-1"))

        self.server = _Server((NGINX_ADDR, free_port()), Handler)
        self.port: int = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Backend:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def self_signed(directory: Path, host: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``host`` and its key, made with ``openssl``."""
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", f"/CN={host}", "-addext", f"subjectAltName=DNS:{host}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def nginx_binary() -> str:
    """Debian's nginx (``/usr/sbin`` is not on every user's PATH)."""
    path = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if path is None:
        raise RuntimeError("no nginx: run `make setup` (Debian's nginx and set-misc module)")
    return path


@contextmanager
def running_nginx(directory: Path, config: str, port: int) -> Iterator[None]:
    """nginx serving ``config`` (which listens on ``NGINX_ADDR:port`` and keeps its pid,
    logs and temporary files in ``directory``), in the foreground in a process group of its
    own: ``-p`` makes relative paths the directory's, ``-g`` keeps it one process."""
    conf = directory / "nginx.conf"
    conf.write_text(config)
    command = [nginx_binary(), "-p", f"{directory}/", "-c", str(conf)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx -t refused the configuration: {checked.stderr}")
    log = directory / "nginx.out"
    process = start(
        [*command, "-g", "daemon off; master_process off;"],
        cwd=directory,
        env=dict(os.environ),
        log=log,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited: {log.read_text()[-2000:]}")
            try:
                socket.create_connection((NGINX_ADDR, port), timeout=1).close()
                break
            except OSError as error:
                if time.monotonic() > deadline:
                    said = log.read_text()[-2000:]
                    raise TimeoutError(f"nginx did not listen: {said}") from error
                time.sleep(0.05)
        yield
    finally:
        stop(process)


@dataclass(frozen=True)
class Response:
    status: int
    headers: Lines

    def header(self, name: str) -> str | None:
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return values[0] if values else None


def request(port: int, server_name: str, raw: bytes) -> Response:
    """Send ``raw`` (a whole request) over TLS with SNI ``server_name`` and read the
    response to the end (the request should say ``Connection: close``)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the self-signed certificate: TLS is not under test
    with (
        socket.create_connection(
            (NGINX_ADDR, port), timeout=10, source_address=(CLIENT_ADDR, 0)
        ) as plain,
        context.wrap_socket(plain, server_hostname=server_name) as sock,
    ):
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    # An interim response (``100 Continue``, for a client's ``Expect``) comes first.
    while re.match(rb"HTTP/1\.1 1\d\d ", data):
        data = data.split(b"\r\n\r\n", 1)[1]
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split(" ")[1])
    lines = [(n, v.strip()) for n, _, v in (h.partition(":") for h in head[1:])]
    return Response(status, lines)
