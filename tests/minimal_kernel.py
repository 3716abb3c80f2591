"""A minimal Jupyter kernel for the end-to-end tests: it binds the five ZeroMQ sockets of its
connection file and speaks the kernel messaging protocol (signed with the file's key) for
``kernel_info_request`` and ``shutdown_request``, publishing busy/idle status on IOPub, and
echoes heartbeats. That is all jupyter-server needs to open a kernel's websocket and relay
messages through it; no code is executed.

    python tests/minimal_kernel.py -f <connection file>
"""

from __future__ import annotations

import json
import sys
from typing import Any

import zmq
from jupyter_client.session import Session

PROTOCOL_VERSION = "5.3"
KERNEL_INFO = {
    "status": "ok",
    "protocol_version": PROTOCOL_VERSION,
    "implementation": "minimal",
    "implementation_version": "1.0",
    "language_info": {"name": "text", "version": "1.0", "mimetype": "text/plain",
                      "file_extension": ".txt"},
    "banner": "minimal kernel (tests)",
    "help_links": [],
}


def main(connection_file: str) -> None:
    with open(connection_file) as handle:
        info: dict[str, Any] = json.load(handle)
    session = Session(key=info["key"].encode(), signature_scheme=info["signature_scheme"])
    context = zmq.Context()
    base = f"{info['transport']}://{info['ip']}:"

    def bind(kind: int, port: str) -> zmq.Socket[bytes]:
        sock: zmq.Socket[bytes] = context.socket(kind)
        sock.bind(f"{base}{info[port]}")
        return sock

    shell, control, stdin = (bind(zmq.ROUTER, p) for p in ("shell_port", "control_port",
                                                           "stdin_port"))
    iopub, heartbeat = bind(zmq.PUB, "iopub_port"), bind(zmq.REP, "hb_port")
    poller = zmq.Poller()
    for sock in (shell, control, stdin, heartbeat):
        poller.register(sock, zmq.POLLIN)
    session.send(iopub, "status", {"execution_state": "starting"})
    while True:
        for sock, _ in poller.poll():
            if sock is heartbeat:
                heartbeat.send(heartbeat.recv())
                continue
            identities, parts = session.feed_identities(sock.recv_multipart())
            message = session.deserialize(parts)
            kind = message["header"]["msg_type"]
            parent = message["header"]
            session.send(iopub, "status", {"execution_state": "busy"}, parent=parent)
            if kind == "kernel_info_request":
                session.send(sock, "kernel_info_reply", KERNEL_INFO, parent=parent,
                             ident=identities)
            elif kind == "shutdown_request":
                session.send(sock, "shutdown_reply", {"status": "ok", **message["content"]},
                             parent=parent, ident=identities)
                session.send(iopub, "status", {"execution_state": "idle"}, parent=parent)
                return
            session.send(iopub, "status", {"execution_state": "idle"}, parent=parent)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "-f":
        sys.exit("usage: minimal_kernel.py -f <connection file>")
    main(sys.argv[2])
