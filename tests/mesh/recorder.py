"""A recording hop: a TCP forwarding proxy on 127.0.0.1 that passes every byte on unchanged
and records each HTTP request it carries (method, target, Host, Origin, upgrade) and which
local process sent it.

It parses only what it must to find request boundaries on a keep-alive connection (the head,
then a ``Content-Length`` or chunked body); after a request asking for an ``Upgrade``
(websocket) the connection is piped as it is. Responses are never parsed.

The sender is found the way ``ss -p`` finds it: the client's socket (local address = the
peer address, remote = ours) in ``/proc/net/tcp`` gives an inode, and the processes holding
``socket:[inode]`` among their file descriptors are the sender.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Peer", "Record", "Recorders", "recorders"]

_HEAD_LIMIT = 1 << 20
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Peer:
    """A process holding the client end of a recorded connection."""

    pid: int
    pgid: int
    cmdline: tuple[str, ...]


@dataclass(frozen=True)
class Record:
    """One request as it passed through the recorder named ``hop``."""

    hop: str
    peers: tuple[Peer, ...]
    method: str
    target: str
    host: str | None
    origin: str | None
    upgrade: bool


def _address(field: str) -> tuple[str, int]:
    host, port = field.split(":")
    return socket.inet_ntoa(bytes.fromhex(host)[::-1]), int(port, 16)


def _peers(client: tuple[str, int], server: tuple[str, int]) -> tuple[Peer, ...]:
    # IPv4 only: the recorders listen on 127.0.0.1.
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if _address(fields[1]) == client and _address(fields[2]) == server:
            inode = fields[9]
            break
    if inode is None:
        return ()
    wanted = f"socket:[{inode}]"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
            if not any(os.readlink(f"/proc/{entry}/fd/{fd}") == wanted for fd in fds):
                continue
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            found.append(
                Peer(
                    int(entry),
                    os.getpgid(int(entry)),
                    tuple(part.decode(errors="replace") for part in cmdline if part),
                )
            )
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # a process that ended meanwhile, or one of another user
    return tuple(found)


def _header(lines: list[str], name: str) -> str | None:
    values = [
        line.split(":", 1)[1].strip()
        for line in lines
        if line.split(":", 1)[0].strip().lower() == name
    ]
    return ", ".join(values) if values else None


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(_CHUNK):
        writer.write(data)
        await writer.drain()


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, size: int) -> None:
    while size > 0:
        data = await reader.read(min(size, _CHUNK))
        if not data:
            raise asyncio.IncompleteReadError(b"", size)
        writer.write(data)
        size -= len(data)
    await writer.drain()


async def _body(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, lines: list[str]
) -> None:
    if "chunked" in (_header(lines, "transfer-encoding") or "").lower():
        while True:
            line = await reader.readuntil(b"\r\n")
            writer.write(line)
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                    writer.write(trailer)
                writer.write(b"\r\n")
                break
            await _copy(reader, writer, size + 2)  # the chunk and its CRLF
        await writer.drain()
    elif (length := _header(lines, "content-length")) is not None:
        await _copy(reader, writer, int(length))


class _Listener:
    def __init__(self, owner: Recorders, name: str, target: tuple[str, int]) -> None:
        self.owner, self.name, self.target = owner, name, target
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.owner.tasks.add(task)
        client = writer.get_extra_info("peername")
        peers = _peers(client, writer.get_extra_info("sockname"))
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            self.owner.tasks.discard(task)
            return
        self.owner.writers.update({writer, up_writer})
        back = asyncio.ensure_future(_pipe(up_reader, writer))
        back.add_done_callback(lambda _: writer.close())
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, *_ = lines[0].split(" ")
                upgrade = (
                    _header(lines, "upgrade") is not None
                    and "upgrade" in (_header(lines, "connection") or "").lower()
                )
                self.owner.add(
                    Record(
                        self.name,
                        peers,
                        method,
                        target,
                        _header(lines[1:], "host"),
                        _header(lines[1:], "origin"),
                        upgrade,
                    )
                )
                up_writer.write(head)
                if upgrade:
                    await up_writer.drain()
                    await _pipe(reader, up_writer)
                    break
                await _body(reader, up_writer, lines[1:])
                await up_writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            up_writer.close()
            writer.close()
            await asyncio.gather(back, return_exceptions=True)
            self.owner.writers.difference_update({writer, up_writer})
            self.owner.tasks.discard(task)


class Recorders:
    """Recording hops on 127.0.0.1, served by an event loop on a thread of their own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.listeners: dict[str, _Listener] = {}
        self.writers: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self._records: list[Record] = []
        self._lock = threading.Lock()
        self.thread.start()

    def add(self, record: Record) -> None:
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> list[Record]:
        with self._lock:
            return list(self._records)

    def listen(self, name: str, target_port: int) -> str:
        """Start the recorder ``name`` in front of ``127.0.0.1:target_port``; its URL."""
        listener = _Listener(self, name, ("127.0.0.1", target_port))

        async def start() -> int:
            listener.server = await asyncio.start_server(
                listener.handle, "127.0.0.1", 0, limit=_HEAD_LIMIT
            )
            port: int = listener.server.sockets[0].getsockname()[1]
            return port

        port = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.listeners[name] = listener
        return f"http://127.0.0.1:{port}"

    def close(self) -> None:
        async def stop() -> None:
            for listener in self.listeners.values():
                if listener.server is not None:
                    listener.server.close()
            for writer in list(self.writers):
                writer.close()
            if self.tasks:
                await asyncio.wait(list(self.tasks), timeout=5)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@contextmanager
def recorders() -> Iterator[Recorders]:
    running = Recorders()
    try:
        yield running
    finally:
        running.close()
