"""The hub container's command: JupyterHub, started as ``python -m jupyterhub`` would, once
the IRI grammar jsonschema loads at import is deferred to its first use (see
:mod:`hub_runtime.lazy_iri`). JupyterHub imports jsonschema before it reads
jupyterhub_config.py, so this cannot happen there. Before JupyterHub opens its database (and,
with ``--upgrade-db``, copies and migrates it), a database written by a newer JupyterHub stops
the hub with a message saying so (:mod:`hub_runtime.database`); a SQLite database is used in
WAL mode (:mod:`hub_runtime.sqlite_tuning`). KubeSpawner's watches make no API client at each
restart (:mod:`hub_runtime.kube_watch`). Its HTTP client resolves
names at every request (:func:`hub_runtime.config.configure_http_client`). Its managed
services (the idle culler) call its API at the address it binds, loopback for every
interface (:func:`hub_runtime.config.point_services_at`).

Run as a file from the configuration directory the hub ConfigMap fills:
``python <config dir>/hub_runtime/launch.py --config <config dir>/jupyterhub_config.py``.
"""

from __future__ import annotations

import os
import sys


def hub_class() -> type:
    """JupyterHub's application, checking the database's version before it opens it and
    keeping the hub's HTTP client as :func:`hub_runtime.config.configure_http_client` sets
    it; KubeSpawner's reflectors use :class:`hub_runtime.kube_watch.RawWatch`."""
    from jupyterhub.app import JupyterHub

    from hub_runtime.config import configure_http_client, point_services_at
    from hub_runtime.database import newer_database_problem
    from hub_runtime.kube_watch import use_raw_watches
    from hub_runtime.sqlite_tuning import tune_sqlite

    use_raw_watches()

    class Hub(JupyterHub):  # type: ignore[misc]
        def init_services(self) -> None:
            # The address the hub binds is final now (the command line may set it).
            point_services_at(self.services, self.hub_bind_url)
            super().init_services()

        def init_pycurl(self) -> None:
            # JupyterHub's configures curl with no defaults, dropping the config file's.
            configure_http_client()

        def init_db(self) -> None:
            # Config and command line are read by now: db_url and db_kwargs are final.
            problem = newer_database_problem(self.db_url, self.db_kwargs)
            if problem is not None:
                self.log.critical("Not starting: %s", problem)
                self.exit(1)
            if self.upgrade_db:
                # JupyterHub's own first step of init_db, taken first here: its copy of the
                # database (backup_db_file) is then of the file as it was, before WAL mode.
                from jupyterhub import dbutil

                dbutil.upgrade_if_needed(self.db_url, log=self.log, db_kwargs=self.db_kwargs)
                self.set_trait("upgrade_db", False)
            tune_sqlite(self.db_url)
            super().init_db()

    return Hub


def main() -> None:
    from hub_runtime.lazy_iri import defer_iri_grammar

    defer_iri_grammar()
    hub_class().launch_instance()  # type: ignore[attr-defined]


if __name__ == "__main__":
    # Run as a file, its own directory leads sys.path: the configuration directory instead,
    # so that hub_runtime is the package the ConfigMap delivers and its modules shadow nothing.
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    main()
