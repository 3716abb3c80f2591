"""Which person each account belongs to: the issuer and subject (``iss``, ``sub``) of the ID
token that first logged in to it.

A name claim such as ``preferred_username`` or ``email`` is neither unique nor stable at every
identity provider (OpenID Connect Core 5.1, 5.7): someone who renames themselves to another's
name must not get that account, its servers and its storage. ``iss`` and ``sub`` together are
the one identifier OpenID Connect guarantees to be unique and never reassigned.

The bindings are a table of the hub's own database (beside JupyterHub's tables, which it
leaves alone), so they survive hub restarts and the deletion of a user (the user's storage is
named after the account and outlives the user). An operator releases an account, so that the
next person to log in to it is bound, with this module run as a script in the hub's
container (see :func:`main`).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, MetaData, Table, Text, Unicode, create_engine, delete, select

__all__ = ["DEFAULT_DB_URL", "TABLE", "Binding", "bind", "bound_to", "ensure_table", "main"]

# JupyterHub's own default database, relative to the hub's working directory (its data volume).
DEFAULT_DB_URL = "sqlite:///jupyterhub.sqlite"

TABLE = Table(
    "header_auth_bindings",
    MetaData(),
    # The account (JupyterHub user name), normalized as JupyterHub stores it.
    Column("account", Unicode(255), primary_key=True),
    Column("issuer", Text, nullable=False),
    Column("subject", Text, nullable=False),
    # When the binding was made, ISO 8601 in UTC (for the operator's listing).
    Column("bound_at", Unicode(32), nullable=False),
)


@dataclass(frozen=True)
class Binding:
    """An account and the person it belongs to."""

    account: str
    issuer: str
    subject: str
    bound_at: str

    def same_person(self, issuer: str, subject: str) -> bool:
        return self.issuer == issuer and self.subject == subject


def ensure_table(connection: Any) -> None:
    """Create the table if it is missing (on the caller's connection and transaction)."""
    TABLE.create(connection, checkfirst=True)


def bound_to(connection: Any, account: str) -> Binding | None:
    """The binding of ``account``, or None when no one is bound to it."""
    row = connection.execute(select(TABLE).where(TABLE.c.account == account)).first()
    return None if row is None else Binding(row.account, row.issuer, row.subject, row.bound_at)


def bind(connection: Any, account: str, issuer: str, subject: str) -> tuple[Binding, bool]:
    """Bind ``account`` to the person unless someone is bound to it; returns the binding that
    holds and whether it was made now (then the caller commits; it compares the binding with
    the person)."""
    found = bound_to(connection, account)
    if found is not None:
        return found, False
    made = Binding(account, issuer, subject, datetime.now(UTC).isoformat(timespec="seconds"))
    connection.execute(
        TABLE.insert().values(
            account=made.account,
            issuer=made.issuer,
            subject=made.subject,
            bound_at=made.bound_at,
        )
    )
    return made, True


def main(argv: list[str] | None = None) -> int:
    """``bindings.py [--db-url URL] list | release ACCOUNT``: list the bindings, or release
    one so that the next login to the account binds it to whoever logs in. Run it in the
    hub's container, whose working directory holds the database:
    ``python /usr/local/etc/jupyterhub/hub_runtime/bindings.py release alice``."""
    parser = argparse.ArgumentParser(
        prog="bindings.py", description="The accounts and the person each is bound to."
    )
    parser.add_argument(
        "--db-url",
        default=DEFAULT_DB_URL,
        help=f"the hub's database (JupyterHub's db_url); default {DEFAULT_DB_URL}",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="print account, issuer, subject and time of each binding")
    release = commands.add_parser(
        "release", help="unbind an account: the next person to log in to it is bound to it"
    )
    release.add_argument("account", help="the account (JupyterHub user name)")
    args = parser.parse_args(argv)
    engine = create_engine(args.db_url)
    try:
        with engine.begin() as connection:
            ensure_table(connection)
            if args.command == "list":
                for row in connection.execute(select(TABLE).order_by(TABLE.c.account)):
                    print(f"{row.account}\t{row.issuer}\t{row.subject}\t{row.bound_at}")
                return 0
            found = bound_to(connection, args.account)
            if found is None:
                print(f"{args.account!r} is bound to no one: nothing to release", file=sys.stderr)
                return 1
            connection.execute(delete(TABLE).where(TABLE.c.account == args.account))
            print(
                f"released {found.account!r} (was bound to issuer {found.issuer!r}, "
                f"subject {found.subject!r} since {found.bound_at}); the next login binds it"
            )
            return 0
    finally:
        engine.dispose()


if __name__ == "__main__":
    # Run as a file from the configuration directory, like launch.py: import nothing from it.
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
