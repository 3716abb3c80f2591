"""The hub's database against the installed JupyterHub's schema migrations.

JupyterHub records its schema revision (alembic's) in the database's ``alembic_version``
table. A revision that none of the installed JupyterHub's migrations knows was written by a
newer JupyterHub: this one can neither run on it nor migrate it (alembic has no script to go
from there), and ``--upgrade-db`` would fail with a traceback after copying the file. The
launcher refuses such a database first, with this module's message.

Before an upgrade JupyterHub itself copies a SQLite database beside it
(``jupyterhub.dbutil.upgrade_if_needed`` calls ``backup_db_file``:
``<file>.<YYYY-MM-DD-HHMMSS>``), on the hub's data volume where the file is.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = [
    "DatabaseUnreachable",
    "database_revision",
    "migration_revisions",
    "newer_database_problem",
    "stored_revision",
]


class DatabaseUnreachable(Exception):
    """The database server did not answer (or refused the hub's login)."""


def migration_revisions() -> tuple[set[str], str]:
    """Every schema revision the installed JupyterHub's migrations know, and its newest."""
    import jupyterhub
    from alembic.script import ScriptDirectory

    # jupyterhub.dbutil's ALEMBIC_DIR, without importing dbutil (its ORM: half a second of
    # every upgrade step).
    script = ScriptDirectory(os.path.join(os.path.dirname(jupyterhub.__file__), "alembic"))
    return {revision.revision for revision in script.walk_revisions()}, str(
        script.get_current_head()
    )


def stored_revision(db_url: str, db_kwargs: dict[str, Any] | None = None) -> str | None:
    """The revision stored in the database, or None where there is none yet (no SQLite
    file, no ``alembic_version`` table: JupyterHub creates the schema at start).
    :class:`DatabaseUnreachable` when it cannot be read, its message without a password."""
    import sqlalchemy
    from sqlalchemy.exc import SQLAlchemyError

    url = sqlalchemy.make_url(db_url)
    file = url.database if url.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not os.path.exists(str(file)):
        return None  # connecting would create the file: JupyterHub makes a new database
    engine = sqlalchemy.create_engine(url, **(db_kwargs or {}))
    try:
        with engine.connect() as connection:
            if not sqlalchemy.inspect(connection).has_table("alembic_version"):
                return None
            row = connection.execute(sqlalchemy.text("SELECT version_num FROM alembic_version"))
            found = row.first()
    except SQLAlchemyError as error:
        # The driver's first line says why (refused, timed out, password failed); never
        # the statement or parameters SQLAlchemy appends.
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        raise DatabaseUnreachable(
            f"cannot read database {url.render_as_string(hide_password=True)}: "
            f"{reason[0] if reason else type(error).__name__}"
        ) from None
    finally:
        engine.dispose()
    return None if found is None else str(found[0])


def database_revision(db_url: str, db_kwargs: dict[str, Any] | None = None) -> str | None:
    """As :func:`stored_revision`, None also where the database cannot be read (JupyterHub
    reports that itself when it connects)."""
    try:
        return stored_revision(db_url, db_kwargs)
    except DatabaseUnreachable:
        return None


def newer_database_problem(
    db_url: str, db_kwargs: dict[str, Any] | None = None, *, backup_dir: str | None = None
) -> str | None:
    """Why the hub must not start on this database (written by a newer JupyterHub), or None.
    ``backup_dir``: where the upgrade step keeps its copies of a SQLite file."""
    import jupyterhub
    import sqlalchemy

    revision = database_revision(db_url, db_kwargs)
    known, head = migration_revisions()
    if revision is None or revision in known:
        return None
    url = sqlalchemy.make_url(db_url)
    if url.get_backend_name() == "sqlite" and backup_dir is not None:
        name = os.path.basename(str(url.database))
        restore = (
            f"or restore the copy the upgrade step made before that upgrade "
            f"({backup_dir}/{name}.<revision>.<YYYY-MM-DD-HHMMSS>)"
        )
    elif url.get_backend_name() == "sqlite":
        restore = (
            f"or restore the copy JupyterHub made beside it before that upgrade "
            f"({url.database}.<YYYY-MM-DD-HHMMSS>)"
        )
    else:
        restore = "or restore the backup taken before that upgrade"
    return (
        f"database {url.render_as_string(hide_password=True)} is at schema revision "
        f"{revision!r}, which JupyterHub {jupyterhub.__version__} does not know (its newest is "
        f"{head!r}): a newer JupyterHub wrote it, and this one can neither use nor downgrade "
        f"it. Run the hub image that wrote it, {restore}; the database is left as it is."
    )
