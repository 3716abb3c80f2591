"""A real LDAP directory for the tests: OpenLDAP's ``slapd`` (Debian's package) on 127.0.0.1,
its configuration and database in a directory of the test's, seeded with people and groups by
``slapadd`` before it starts; stopped with its process group."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.processes import free_port, start, stop

__all__ = ["BASE", "GROUPS", "PEOPLE", "LdapPerson", "Slapd", "slapd"]

BASE = "dc=example,dc=org"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
# The account the hub searches with (the LdapLogin's bind_dn).
SEARCH_DN = f"cn=hub,ou=services,{BASE}"
SEARCH_PASSWORD = "hub-search-password"
# Debian's slapd (package slapd, in /usr/sbin, which a user's PATH may lack): its programs,
# modules and schemas.
_SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
_SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
_MODULES = "/usr/lib/ldap"
_SCHEMAS = "/etc/ldap/schema"


@dataclass(frozen=True)
class LdapPerson:
    uid: str
    password: str
    groups: tuple[str, ...] = field(default=())

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE}"


def _config(directory: Path) -> str:
    schemas = "".join(
        f"include {_SCHEMAS}/{name}.schema\n" for name in ("core", "cosine", "inetorgperson", "nis")
    )
    return f"""{schemas}
modulepath {_MODULES}
moduleload back_mdb
pidfile {directory}/slapd.pid
database mdb
suffix "{BASE}"
rootdn "cn=admin,{BASE}"
rootpw admin-password
directory {directory}/data
# People and the search account bind; nobody reads a password.
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
"""


def _seed(people: list[LdapPerson]) -> str:
    groups = sorted({group for person in people for group in person.groups})
    entries = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=services,{BASE}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {SEARCH_DN}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\n"
        f"cn: hub\nuserPassword: {SEARCH_PASSWORD}",
    ]
    for person in people:
        entries.append(
            f"dn: {person.dn}\nobjectClass: inetOrgPerson\nuid: {person.uid}\n"
            f"cn: {person.uid}\nsn: {person.uid}\nuserPassword: {person.password}"
        )
    for group in groups:
        members = "".join(f"member: {p.dn}\n" for p in people if group in p.groups)
        entries.append(
            f"dn: cn={group},{GROUPS}\nobjectClass: groupOfNames\ncn: {group}\n{members}"
        )
    return "\n\n".join(entry.rstrip("\n") for entry in entries) + "\n"


class Slapd:
    """slapd serving ``ldap://127.0.0.1:<port>`` (plain LDAP: the test is on loopback)."""

    def __init__(self, directory: Path, people: list[LdapPerson]) -> None:
        self.directory = directory
        (directory / "data").mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.config = directory / "slapd.conf"
        self.config.write_text(_config(directory))
        self.log = directory / "slapd.log"
        seed = directory / "seed.ldif"
        seed.write_text(_seed(people))
        result = subprocess.run(
            [_SLAPADD, "-f", str(self.config), "-l", str(seed)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"slapadd failed: {result.stdout}{result.stderr}")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # -d: in the foreground, in its own process group; "stats" logs each bind and search.
        self.process = start(
            [_SLAPD, "-f", str(self.config), "-h", f"{self.url}/", "-d", "stats"],
            cwd=self.directory,
            env=dict(os.environ),
            log=self.log,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(self.log.read_text()[-2000:])

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def searches(self) -> list[str]:
        """The search filters slapd logged (its "stats" level)."""
        return [
            line.split("filter=", 1)[1].split(" attrs=", 1)[0].strip().strip('"')
            for line in self.log.read_text(errors="replace").splitlines()
            if " SRCH " in line and "filter=" in line
        ]


@contextmanager
def slapd(directory: Path, people: list[LdapPerson]) -> Iterator[Slapd]:
    server = Slapd(directory, people)
    server.start()
    try:
        yield server
    finally:
        server.stop()
