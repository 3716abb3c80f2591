"""The account bindings on their own (end to end: tests/test_oidc_login.py): the first person
holds an account, and the operator's command lists and releases bindings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from hub_runtime import bindings


def test_first_person_holds_the_account(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    with engine.begin() as connection:
        bindings.ensure_table(connection)
        first, made = bindings.bind(connection, "alice", "https://idp", "s-1")
        assert made and first.same_person("https://idp", "s-1")
        again, made = bindings.bind(connection, "alice", "https://idp", "s-2")
        assert not made and again == first and not again.same_person("https://idp", "s-2")
        # Another issuer's subject is another person, whatever its value.
        assert not first.same_person("https://other", "s-1")
        assert bindings.bound_to(connection, "bob") is None
    engine.dispose()


def test_list_and_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        bindings.ensure_table(connection)
        bound, _ = bindings.bind(connection, "alice", "https://idp", "s-1")
    engine.dispose()
    assert bindings.main(["--db-url", url, "list"]) == 0
    assert capsys.readouterr().out == f"alice\thttps://idp\ts-1\t{bound.bound_at}\n"
    assert bindings.main(["--db-url", url, "release", "alice"]) == 0
    assert capsys.readouterr().out == (
        "released 'alice' (was bound to issuer 'https://idp', subject 's-1' since "
        f"{bound.bound_at}); the next login binds it\n"
    )
    assert bindings.main(["--db-url", url, "release", "alice"]) == 1
    assert capsys.readouterr().err == "'alice' is bound to no one: nothing to release\n"


def test_list_of_a_database_without_bindings_is_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hub where no one logged in with a token yet: the table is made, nothing listed."""
    assert bindings.main(["--db-url", f"sqlite:///{tmp_path / 'hub.sqlite'}", "list"]) == 0
    assert capsys.readouterr().out == ""
