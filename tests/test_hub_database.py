"""The hub's database across JupyterHub versions, with real database files made by the installed
JupyterHub, the upgrade step run as the hub pod's ``upgrade-db`` init container runs it and a
real hub started as the hub container starts it (without ``--upgrade-db``): an older database
is copied into the backup directory, then migrated; one written by a newer JupyterHub (a
schema revision none of the installed migrations knows) stops the step with a message that
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
from hub_runtime.upgrade import upgrade
from tests.support.processes import deployment, hub_command, hub_pod, upgrade_command

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


def test_hub_migrates_nothing_itself() -> None:
    """The hub container's args: no --upgrade-db, the init container migrates first."""
    assert "--upgrade-db" not in hub_command(Path("test_config.py"))
    pod, _container = hub_pod()
    assert [c["name"] for c in pod["initContainers"]] == ["upgrade-db"]
    assert upgrade_command(Path("config"))[1:] == ["config/hub_runtime/upgrade.py"]


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


def test_the_step_leaves_a_new_database_to_the_hub(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    _, head = migration_revisions()
    done = upgrade(f"sqlite:///{path}", str(tmp_path / "backups"))
    assert (
        done
        == f"database sqlite:///{path} has no schema yet: the hub creates it at revision {head}"
    )
    assert not path.exists()


def test_the_step_leaves_a_current_database_alone(database: Path) -> None:
    before = database.read_bytes()
    _, head = migration_revisions()
    done = upgrade(f"sqlite:///{database}", str(database.parent / "backups"))
    assert done.endswith(f"is at revision {head}, the newest: nothing to upgrade")
    assert database.read_bytes() == before
    assert not (database.parent / "backups").exists()


def test_fails_a_backup_that_cannot_be_written(database: Path) -> None:
    """A backup directory that is a file (a missing volume): nothing is migrated."""
    older = downgrade_one(database)
    (database.parent / "backups").write_text("not a directory")
    from hub_runtime.upgrade import UpgradeError

    with pytest.raises(UpgradeError, match=r"cannot back up .* not upgrading it"):
        upgrade(f"sqlite:///{database}", str(database.parent / "backups"))
    assert revision_of(database) == older


@pytest.mark.slow
def test_hub_refuses_a_database_newer_than_the_code(database: Path) -> None:
    """The upgrade step, run as the init container runs it, stops before the hub starts and
    before touching the file."""
    stamp(database, NEWER)
    before = database.read_bytes()
    with (
        pytest.raises(RuntimeError, match=r"upgrade step exited with 1") as raised,
        deployment(database.parent, None),
    ):
        pass
    log = str(raised.value)
    assert f"Not upgrading: database sqlite:///{DB_NAME} is at schema revision {NEWER!r}" in log
    assert "Traceback" not in log
    assert database.read_bytes() == before
    assert sorted(p.name for p in database.parent.glob(f"{DB_NAME}*")) == [DB_NAME]
    assert not (database.parent / "backups").exists()


@pytest.mark.slow
def test_the_step_copies_an_older_database_before_migrating(database: Path) -> None:
    """SQLite's online backup into the data volume's backups/, named with the revision and
    the time; the hub then runs on the migrated database."""
    _, head = migration_revisions()
    older = downgrade_one(database)
    assert older != head
    before = sqlite3.connect(database).execute("SELECT count(*) FROM users").fetchone()
    with deployment(database.parent, None) as hub:
        assert hub.api("GET", "/users").status_code == 200
    (copy,) = (database.parent / "backups").iterdir()
    pattern = re.escape(f"{DB_NAME}.{older}.") + r"\d{4}-\d{2}-\d{2}-\d{6}"
    assert re.fullmatch(pattern, copy.name), copy.name
    assert revision_of(copy) == older
    assert sqlite3.connect(copy).execute("SELECT count(*) FROM users").fetchone() == before
    assert revision_of(database) == head
    log = (database.parent / "upgrade.log").read_text()
    assert f"upgraded database sqlite:///{DB_NAME} from revision {older} to {head}" in log


@pytest.mark.slow
def test_the_hub_alone_refuses_an_older_database(database: Path) -> None:
    """Without the step (the container's args have no --upgrade-db), JupyterHub stops on a
    database behind its code instead of migrating it."""
    older = downgrade_one(database)
    with (
        pytest.raises(RuntimeError, match=r"exited with 1 before .* answered") as raised,
        deployment(database.parent, None, skip_upgrade=True),
    ):
        pass
    assert "upgrade-db" in str(raised.value)
    assert revision_of(database) == older
