"""SQLite as the hub's database at scale: write-ahead logging with ``synchronous=NORMAL``.

JupyterHub commits its session after nearly every change (a spawn makes about ten commits,
each activity report one). In SQLite's default rollback journal every commit waits for
fsync of the journal and the file; measured on the benchmarks' disk, 15 ms a commit, during
which the hub's one event loop serves nothing: 500 spawns spent over a minute waiting. In WAL
mode with ``synchronous=NORMAL`` a commit appends to the log and syncs only at checkpoints
(https://www.sqlite.org/wal.html, "Performance Considerations";
https://www.sqlite.org/pragma.html#pragma_synchronous: "WAL mode is safe from corruption with
synchronous=NORMAL"). What it gives up: the last transactions before a power loss of the
node (never those before a crash of the hub alone), i.e. a few seconds of activity
timestamps or a spawn's record, which the hub's start-up check of every server puts right.

WAL needs the database's directory on a local filesystem of the hub's node (a block volume,
not NFS), as the hub's data volume is. The journal mode is kept in the file: set once, every
later connection uses it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

__all__ = ["tune_sqlite"]

_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")


def tune_sqlite(db_url: str) -> bool:
    """For a SQLite file, have every new connection of the hub use WAL and
    ``synchronous=NORMAL``; True if it applies (other databases are left as they are)."""
    import sqlalchemy
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    url = sqlalchemy.make_url(db_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    if not event.contains(Engine, "connect", _set_pragmas):
        event.listen(Engine, "connect", _set_pragmas)
    return True


def _set_pragmas(connection: Any, _record: Any) -> None:
    if not isinstance(connection, sqlite3.Connection):
        return  # another database of the process (none of the hub's)
    cursor = connection.cursor()
    try:
        for pragma in _PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()
