"""A user's Service made again under a new address, as the hub meets it: run in a mount
namespace whose /etc/hosts is ``hosts`` (the test cluster's DNS, :class:`HostsFile`).

``python -m tests.support.recreated_service HOSTS stock|hub`` configures the HTTP client as
JupyterHub's own ``init_pycurl`` does (``stock``) or as the hub's launcher does (``hub``),
fetches the Service's name, deletes the Service (its address answers no more) and makes it
again at the next address, fetches the name again, and prints what each fetch got.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from jupyterhub.app import JupyterHub
from tornado.httpclient import AsyncHTTPClient

from hub_runtime.launch import hub_class
from tests.cluster.network import HostsFile

NAME = "jupyter-carol.jupyterhub.svc.cluster.local"
PORT = 8888
# Two Service addresses in turn (all of 127.0.0.0/8 is local on Linux).
FIRST, SECOND = "127.0.0.2", "127.0.0.3"


async def _service(address: str, body: bytes) -> asyncio.Server:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (len(body), body)
        )
        await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, address, PORT)


async def _fetch() -> str:
    try:
        response = await AsyncHTTPClient().fetch(f"http://{NAME}:{PORT}/", request_timeout=5)
    except Exception as error:
        return f"failed: {error}"
    return response.body.decode()


async def main(hosts: HostsFile) -> None:
    first = await _service(FIRST, b"first")
    hosts.add(FIRST, [NAME])
    print(await _fetch())
    first.close()
    await first.wait_closed()
    hosts.remove(NAME)
    second = await _service(SECOND, b"second")
    hosts.add(SECOND, [NAME])
    print(await _fetch())
    second.close()


if __name__ == "__main__":
    path, client = Path(sys.argv[1]), sys.argv[2]
    application = JupyterHub() if client == "stock" else hub_class()()
    application.init_pycurl()
    asyncio.run(main(HostsFile(path)))
