"""The hub's database across JupyterHub versions, with real database files made by the installed
JupyterHub and a real hub started as the hub container starts it (``--upgrade-db``): an
older database is copied beside itself, then migrated; one written by a newer JupyterHub (a
schema revision none of the installed migrations knows) stops the hub with a message that
says so, and is left untouched. Runs without cdk8s (scripts/test_z2jh runs it too)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import alembic.command
import alembic.config
import jupyterhub
import pytest
from jupyterhub import dbutil, orm

from hub_runtime.database import database_revision, migration_revisions, newer_database_problem
from tests.support.processes import deployment, hub_command

# The file name the hub's settings give the database in the tests (hub_config_file).
DB_NAME = "jupyterhub.sqlite"
# No JupyterHub has this revision: a database "from the future".
NEWER = "0123456789ab"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    """A database JupyterHub made, at its newest revision, where the test hub looks for it."""
    path = tmp_path / DB_NAME
    session = orm.new_session_factory(f"sqlite:///{path}")()
    session.close()
    yield path


def stamp(path: Path, revision: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def revision_of(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        (found,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(found)


def downgrade_one(path: Path) -> str:
    """Migrate the database one revision down with JupyterHub's own migrations."""
    url = f"sqlite:///{path}"
    with dbutil._temp_alembic_ini(url) as ini:
        alembic.command.downgrade(alembic.config.Config(ini), "-1")
    return revision_of(path)


def test_hub_command_upgrades_the_database() -> None:
    """The container's args: the hub migrates its database at start."""
    assert "--upgrade-db" in hub_command(Path("test_config.py"))


def test_a_database_at_a_known_revision_passes(database: Path) -> None:
    known, head = migration_revisions()
    assert revision_of(database) == head
    assert newer_database_problem(f"sqlite:///{database}") is None
    assert database_revision(f"sqlite:///{database}") in known


def test_a_missing_database_passes_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    assert newer_database_problem(f"sqlite:///{path}") is None
    assert not path.exists()


def test_fails_a_database_newer_than_the_code(database: Path) -> None:
    stamp(database, NEWER)
    _, head = migration_revisions()
    assert newer_database_problem(f"sqlite:///{database}") == (
        f"database sqlite:///{database} is at schema revision {NEWER!r}, which JupyterHub "
        f"{jupyterhub.__version__} does not know (its newest is {head!r}): a newer JupyterHub "
        "wrote it, and this one can neither use nor downgrade it. Run the hub image that "
        f"wrote it, or restore the copy JupyterHub made beside it before that upgrade "
        f"({database}.<YYYY-MM-DD-HHMMSS>); the database is left as it is."
    )


def test_fails_a_newer_database_of_a_server_naming_no_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not SQLite: no copy beside it to name, and the URL is shown without its password (the
    revision read is stood in for: no database server runs here)."""
    import hub_runtime.database

    monkeypatch.setattr(hub_runtime.database, "database_revision", lambda url, kwargs: NEWER)
    problem = newer_database_problem("postgresql://hub:secret@db.example.org:5432/jupyterhub")
    assert problem is not None
    assert problem.startswith(
        f"database postgresql://hub:***@db.example.org:5432/jupyterhub is at schema revision "
        f"{NEWER!r}"
    )
    assert problem.endswith(
        "Run the hub image that wrote it, or restore the backup taken before that upgrade; "
        "the database is left as it is."
    )
    assert "secret" not in problem


@pytest.mark.slow
def test_hub_refuses_a_database_newer_than_the_code(database: Path) -> None:
    """The real hub, started as the container starts it, stops before touching the file."""
    stamp(database, NEWER)
    before = database.read_bytes()
    with (
        pytest.raises(RuntimeError, match=r"exited with 1 before .* answered") as raised,
        deployment(database.parent, None),
    ):
        pass
    log = str(raised.value)
    assert f"Not starting: database sqlite:///{database} is at schema revision {NEWER!r}" in log
    assert "Traceback" not in log
    assert database.read_bytes() == before
    assert sorted(p.name for p in database.parent.glob(f"{DB_NAME}*")) == [DB_NAME]


@pytest.mark.slow
def test_hub_copies_an_older_database_beside_it_before_migrating(database: Path) -> None:
    """JupyterHub's own copy (``dbutil.backup_db_file``), on the volume the database is on,
    named with the time; the hub then runs on the migrated database."""
    _, head = migration_revisions()
    older = downgrade_one(database)
    assert older != head
    before = database.read_bytes()
    with deployment(database.parent, None) as hub:
        assert hub.api("GET", "/users").status_code == 200
    (copy,) = [p for p in database.parent.iterdir() if p.name.startswith(f"{DB_NAME}.")]
    assert re.fullmatch(re.escape(DB_NAME) + r"\.\d{4}-\d{2}-\d{2}-\d{6}", copy.name), copy.name
    assert copy.read_bytes() == before
    assert revision_of(copy) == older
    assert revision_of(database) == head
