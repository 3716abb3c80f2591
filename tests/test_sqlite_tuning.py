"""The hub's SQLite database in WAL mode with synchronous=NORMAL (hub_runtime.sqlite_tuning),
read back through SQLite itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine

from hub_runtime import sqlite_tuning
from hub_runtime.sqlite_tuning import tune_sqlite


@pytest.fixture(autouse=True)
def _untuned_afterwards() -> Iterator[None]:
    """The listener is the process's (the hub's): other tests' databases keep SQLite's own."""
    yield
    if event.contains(Engine, "connect", sqlite_tuning._set_pragmas):
        event.remove(Engine, "connect", sqlite_tuning._set_pragmas)


def _pragmas(url: str) -> tuple[str, int]:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    finally:
        engine.dispose()
    return str(mode), int(synchronous or 0)


def test_a_sqlite_file_is_used_in_wal_mode_with_normal_sync(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jupyterhub.sqlite'}"
    assert tune_sqlite(url)
    assert _pragmas(url) == ("wal", 1)  # 1: NORMAL


def test_the_journal_mode_stays_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "jupyterhub.sqlite"
    tune_sqlite(f"sqlite:///{path}")
    _pragmas(f"sqlite:///{path}")
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_memory_and_other_databases_are_left_alone() -> None:
    assert (tune_sqlite("sqlite://"), tune_sqlite("postgresql://hub@db/jupyterhub")) == (
        False,
        False,
    )
