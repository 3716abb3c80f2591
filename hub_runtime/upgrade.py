"""The hub's database upgrade: an explicit step before the hub starts (the hub pod's
``upgrade-db`` init container), so that the hub itself never migrates (it runs without
``--upgrade-db`` and refuses a database older than its code).

In order:

1. a database written by a newer JupyterHub is refused, untouched (:mod:`hub_runtime.database`);
2. no schema yet (a new SQLite file or an empty PostgreSQL database): nothing to do, the hub
   creates it at start;
3. at the installed JupyterHub's newest revision: nothing to do;
4. else a SQLite file is copied first (SQLite's online backup, a consistent copy) into the
   settings' ``backup_dir`` as ``<file>.<revision>.<YYYY-MM-DD-HHMMSS>``: a failed copy stops
   the step before any change. A database server is backed up by its operator before the
   upgrade (the README's upgrade guide);
5. JupyterHub's own alembic migrations take it to the newest revision, each migration in a
   transaction of its own (its ``transaction_per_migration``): on PostgreSQL, whose DDL is
   transactional, a failed one is rolled back and the revision names the last one done.

Each step is one log line; a failure is one line and exit status 1 (the init container
restarts with back-off and the hub does not start), never a traceback.

Run as a file from the configuration directory the hub ConfigMap fills:
``python <config dir>/hub_runtime/upgrade.py``.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path

__all__ = ["UpgradeError", "backup_sqlite", "main", "upgrade"]


def say(level: str, message: str) -> None:
    """One line on stderr: not through logging, which alembic's migrations configure anew
    (its alembic.ini sets the root logger to WARNING)."""
    print(f"[{level} upgrade-db] {message}", file=sys.stderr, flush=True)


class UpgradeError(Exception):
    """Why the step stopped; the database is as it was."""


def backup_sqlite(file: Path, backup_dir: Path, revision: str) -> Path:
    """A consistent copy of ``file`` into ``backup_dir``, named after its revision and the
    time (UTC); never over an existing copy."""
    stamp = time.strftime("%Y-%m-%d-%H%M%S", time.gmtime())
    target = backup_dir / f"{file.name}.{revision}.{stamp}"
    try:
        backup_dir.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise UpgradeError(f"backup {target} exists already: not overwriting it")
        source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
    except (OSError, sqlite3.Error) as error:
        if target.is_file():
            target.unlink()  # a partial copy is no backup
        raise UpgradeError(
            f"cannot back up {file} into {backup_dir} ({error}): not upgrading it"
        ) from None
    return target


def upgrade(db_url: str, backup_dir: str | None) -> str:
    """Take the database to the installed JupyterHub's newest revision; returns what was
    done. :class:`UpgradeError` says why not."""
    import sqlalchemy

    from hub_runtime.database import (
        DatabaseUnreachable,
        migration_revisions,
        newer_database_problem,
        stored_revision,
    )

    url = sqlalchemy.make_url(db_url)
    shown = url.render_as_string(hide_password=True)
    try:
        revision = stored_revision(db_url)
    except DatabaseUnreachable as error:
        raise UpgradeError(str(error)) from None
    problem = newer_database_problem(db_url, backup_dir=backup_dir)
    if problem is not None:
        raise UpgradeError(problem)
    _, head = migration_revisions()
    if revision is None:
        return f"database {shown} has no schema yet: the hub creates it at revision {head}"
    if revision == head:
        return f"database {shown} is at revision {head}, the newest: nothing to upgrade"
    if url.get_backend_name() == "sqlite":
        if backup_dir is None:
            raise UpgradeError(f"database {shown}: no backup_dir to copy it into before upgrading")
        copy = backup_sqlite(Path(str(url.database)), Path(backup_dir), revision)
        say("I", f"copied {url.database} to {copy}")
    _migrate(db_url)
    return f"upgraded database {shown} from revision {revision} to {head}"


def _migrate(db_url: str) -> None:
    """JupyterHub's migrations (``jupyterhub.dbutil``'s alembic environment), in-process."""
    import alembic.command
    import alembic.config
    from jupyterhub import dbutil
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with dbutil._temp_alembic_ini(db_url) as ini:
            alembic.command.upgrade(alembic.config.Config(ini), "head")
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        raise UpgradeError(f"migration failed: {reason[0] if reason else error}") from None


def main() -> int:
    from hub_runtime.settings import SettingsError, load_settings, settings_path

    try:
        database = load_settings(settings_path()).database
        say("I", upgrade(database.url, database.backup_dir))
    except (SettingsError, UpgradeError) as error:
        say("C", f"Not upgrading: {error}")
        return 1
    return 0


if __name__ == "__main__":
    # As hub_runtime/launch.py: the configuration directory leads sys.path.
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
