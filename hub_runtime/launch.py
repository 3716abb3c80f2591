"""The hub container's command: JupyterHub, started as ``python -m jupyterhub`` would, once
the IRI grammar jsonschema loads at import is deferred to its first use (see
:mod:`hub_runtime.lazy_iri`). JupyterHub imports jsonschema before it reads
jupyterhub_config.py, so this cannot happen there.

Run as a file from the configuration directory the hub ConfigMap fills:
``python <config dir>/hub_runtime/launch.py --config <config dir>/jupyterhub_config.py``.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    from hub_runtime.lazy_iri import defer_iri_grammar

    defer_iri_grammar()
    from jupyterhub.app import main as jupyterhub

    jupyterhub()


if __name__ == "__main__":
    # Run as a file, its own directory leads sys.path: the configuration directory instead,
    # so that hub_runtime is the package the ConfigMap delivers and its modules shadow nothing.
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    main()
