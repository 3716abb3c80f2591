"""A real PostgreSQL (Debian's ``postgresql``) on 127.0.0.1 for the database tests: a cluster
made by ``initdb`` in a temporary directory, password logins only (scram-sha-256), the hub's
role and database made as an operator would, the server in its own process group. It can be
stopped and started again on the same port (fault tests)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2  # type: ignore[import-untyped]  # the hub image's driver, in the hub extra

from tests.support.processes import free_port, start, stop

__all__ = ["HUB_PASSWORD", "PostgresServer", "postgres_server"]

SUPERUSER_PASSWORD = "superuser-password-for-tests"
# Deliberately awkward: quoting mistakes in a URL would show.
HUB_PASSWORD = "p@ss:w/rd%23 with spaces"


def pg_bin(name: str) -> str:
    """A PostgreSQL program: on PATH, else where Debian's ``postgresql`` puts it."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(f"no {name}: install Debian's postgresql (`make test` does)")
    return found


def _account() -> dict[str, Any]:
    """initdb and postgres refuse to run as root: as root, run them as ``postgres``."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres"}


class PostgresServer:
    """One PostgreSQL cluster in a directory of its own, with role and database
    ``jupyterhub`` (password :data:`HUB_PASSWORD`)."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: the postgres account must be able to reach it.
        self.directory = Path(tempfile.mkdtemp(prefix="pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        # As the constructs write it: the hub image's driver named (HubDatabase).
        self.url = f"postgresql+psycopg2://jupyterhub@127.0.0.1:{self.port}/jupyterhub"
        self.process: subprocess.Popen[bytes] | None = None
        account = _account()
        if account:
            entry = pwd.getpwnam(account["user"])
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        password_file = self.directory / "superuser-password"
        password_file.write_text(SUPERUSER_PASSWORD)
        if account:
            os.chown(password_file, entry.pw_uid, entry.pw_gid)
        done = subprocess.run(
            [
                pg_bin("initdb"),
                "--pgdata",
                str(self.data),
                "--username",
                "postgres",
                "--pwfile",
                str(password_file),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--no-instructions",
            ],
            capture_output=True,
            text=True,
            **account,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        log = self.directory / "postgres.log"
        self.process = start(
            [
                pg_bin("postgres"),
                "-D",
                str(self.data),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"port={self.port}",
                # TCP only: no socket file to place.
                "-c",
                "unix_socket_directories=",
                "-c",
                "fsync=off",
            ],
            cwd=self.directory,
            env={**os.environ, "LC_ALL": "C"},
            log=log,
            **_account(),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited: {log.read_text()[-2000:]}")
            try:
                self.connect("postgres", "postgres", SUPERUSER_PASSWORD).close()
                return
            except psycopg2.OperationalError:  # starting up
                time.sleep(0.1)
        raise TimeoutError(f"postgres did not answer: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def connect(self, user: str, database: str, password: str) -> Any:
        return psycopg2.connect(
            host="127.0.0.1",
            port=self.port,
            user=user,
            dbname=database,
            password=password,
            connect_timeout=3,
        )

    def create_hub_database(self) -> None:
        """Role and database ``jupyterhub``, as an operator (or CloudNativePG's initdb) makes
        them: the role owns its database, and is no superuser."""
        connection = self.connect("postgres", "postgres", SUPERUSER_PASSWORD)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("CREATE ROLE jupyterhub LOGIN PASSWORD %s", (HUB_PASSWORD,))
            cursor.execute("CREATE DATABASE jupyterhub OWNER jupyterhub")
        connection.close()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` in the hub's database, as its role."""
        connection = self.connect("jupyterhub", "jupyterhub", HUB_PASSWORD)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return list(cursor.fetchall())
        finally:
            connection.close()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A running server with the hub's role and database."""
    server = PostgresServer()
    try:
        server.start()
        server.create_hub_database()
        yield server
    finally:
        server.remove()
