"""Name normalisation and look-alikes: one person is one account. A name the identity
provider signed is refused (403, logged) rather than changed into another account's name:
case folding (unless the identity provider is declared case-insensitive), Unicode
compatibility forms (NFKC), mixed scripts (``\\u0430dmin`` with a Cyrillic a) and header bytes
that are not UTF-8. Each attack carries a valid proof for exactly the name it sends."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from tests.adversarial.kit import Hub, KeyPair, claims, running_hub, sign, summary
from tests.support.processes import subject_of

pytestmark = pytest.mark.slow  # a real hub and proxy (tests/adversarial/kit.py)

KEY = KeyPair("rsa")


def proof(user: str) -> str:
    # One person whatever the case of their name (the opt-in's premise): one sub.
    return sign(KEY.private, claims(user, sub=subject_of(user.lower())), "RS256", kid="rsa")


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("names"), [KEY]) as running:
        yield running


@pytest.fixture(scope="module")
def case_insensitive_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """The opt-in, for identity providers whose names are case-insensitive."""
    with running_hub(
        tmp_path_factory.mktemp("names-fold"), [KEY], auth_changes={"case_insensitive_names": True}
    ) as running:
        yield running


# (header as sent, the name the proof is for, the account it must not become or create)
REFUSED: dict[str, tuple[str | bytes, str]] = {
    "upper case of the admin": ("ADMIN", "ADMIN"),
    "capitalised name": ("Alice", "Alice"),
    "Cyrillic \u0430 in admin": ("\u0430dmin", "\u0430dmin"),
    "Cyrillic \u0456 in alice": ("al\u0456ce", "al\u0456ce"),
    "Greek \u03bf in bob": ("b\u03bfb", "b\u03bfb"),
    "fullwidth letters": ("\uff41\uff44\uff4d\uff49\uff4e", "\uff41\uff44\uff4d\uff49\uff4e"),
    "ligature ﬁ (NFKC: fi)": ("ﬁona", "ﬁona"),
    "Kelvin sign K (NFKC: K)": ("\u212aate", "\u212aate"),
    "superscript digit (NFKC: 2)": ("user²", "user²"),
    "decomposed ü (u + combining diaeresis)": ("ju\u0308rgen", "ju\u0308rgen"),
    "Latin-1 bytes for jürgen": ("jürgen".encode("latin-1"), "jürgen"),
}


@pytest.mark.parametrize("attack", list(REFUSED))
def test_name_that_would_change_is_refused(
    hub: Hub, attack: str, report: Callable[[str, str], None]
) -> None:
    header, signed = REFUSED[attack]
    before = hub.users()
    mark = hub.log_size()
    response = hub.login(header, proof(signed))
    report(attack, summary(response, hub.log_since(mark)))
    assert response.status_code == 403, response.status_code
    assert hub.users() == before, "no account was created or entered"


@pytest.mark.parametrize(
    ("attack", "name"),
    [
        ("plain ASCII", "admin"),
        ("UTF-8, one script (Latin)", "jürgen"),
        ("one script (Cyrillic)", "\u0430дмин"),
        ("Han and Hiragana (Japanese)", "山田たろう"),
    ],
)
def test_names_in_normal_form_log_in(
    hub: Hub, attack: str, name: str, report: Callable[[str, str], None]
) -> None:
    """The control: a name already in normal form is its own account."""
    session = requests.Session()
    response = hub.login(name.encode(), proof(name), session=session)
    report(f"control: {attack}", f"{response.status_code} as {hub.whoami(session)!r}")
    assert response.status_code == 302
    assert hub.whoami(session) == name


def test_api_refuses_look_alike_account(hub: Hub, report: Callable[[str, str], None]) -> None:
    """The same rules hold where an admin creates users (JupyterHub's validate_username)."""
    response = hub.running.api("POST", "/users/\u0430dmin", json={})
    report("admin API creates '\u0430dmin' (Cyrillic \u0430)", str(response.status_code))
    assert response.status_code == 400


def test_log_says_why(hub: Hub) -> None:
    mark = hub.log_size()
    hub.login("ADMIN", proof("ADMIN"))
    log = hub.log_since(mark)
    said = "Rejected user name in claim preferred_username: 'ADMIN' would log in as 'admin'"
    assert said in log, log


@pytest.mark.parametrize(
    ("attack", "header", "signed", "status"),
    [
        ("capitalised name, proof as sent", "Alice", "Alice", 302),
        ("upper-case header, lower-case proof", "ALICE", "alice", 302),
        ("capitalised name, proof for another", "Alice", "bob", 401),
        ("Cyrillic \u0430, still refused", "\u0430lice", "\u0430lice", 403),
    ],
)
def test_case_insensitive_opt_in(
    case_insensitive_hub: Hub,
    attack: str,
    header: str,
    signed: str,
    status: int,
    report: Callable[[str, str], None],
) -> None:
    session = requests.Session()
    mark = case_insensitive_hub.log_size()
    response = case_insensitive_hub.login(header.encode(), proof(signed), session=session)
    seen = summary(response, case_insensitive_hub.log_since(mark))
    if response.status_code == 302:
        seen += f" as {case_insensitive_hub.whoami(session)!r}"
    report(f"opt-in case-insensitive: {attack}", seen)
    assert response.status_code == status
    if status == 302:
        assert case_insensitive_hub.whoami(session) == "alice"
