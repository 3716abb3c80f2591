"""Log injection: what an attacker puts in a token or a header reaches the hub's log only
escaped (no newline, control or bidirectional character) and cut short, so one request
can neither forge a log line nor add kilobytes to the log."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from tests.adversarial.kit import Hub, KeyPair, claims, raw_token, running_hub, sign, summary

pytestmark = pytest.mark.slow  # a real hub and proxy (tests/adversarial/kit.py)

RSA = KeyPair("rsa")
FORGED = "\n[I 2031-01-01 00:00:00.000 JupyterHub base:1] User logged in: admin"
# Control characters, ANSI escapes and bidirectional overrides that must not reach the log.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# A hub log line for a rejected login: its own fields plus the escaped, capped values.
LONGEST_LINE = 400
MOST_BYTES = 2000


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("log"), [RSA]) as running:
        yield running


# Each: (user header, token) the attacker sends, and where to (None: through the proxy).
ATTACKS: dict[str, Callable[[], tuple[str | bytes, str | None]]] = {
    "9 KB key id": lambda: ("alice", sign(RSA.private, claims("alice"), "RS256", kid="k" * 9000)),
    "key id forging a log line": lambda: (
        "alice",
        sign(RSA.private, claims("alice"), "RS256", kid="rsa" + FORGED),
    ),
    "key id with ANSI and bidi controls": lambda: (
        "alice",
        sign(RSA.private, claims("alice"), "RS256", kid="\x1b[2J\x1b[31mrsa\u202egnp.exe"),
    ),
    "9 KB algorithm with a newline": lambda: (
        "alice",
        raw_token({"alg": "RS256" + FORGED + "x" * 9000, "kid": "rsa"}, claims("alice")),
    ),
    "signed user claim forging a log line": lambda: (
        "alice",
        sign(RSA.private, claims("alice" + FORGED), "RS256", kid="rsa"),
    ),
    "signed 9 KB user claim": lambda: (
        "alice",
        sign(RSA.private, claims("a" * 9000), "RS256", kid="rsa"),
    ),
    "signed user claim of nested lists": lambda: (
        "alice",
        sign(
            RSA.private,
            claims([["x" * 3000] * 3]),  # type: ignore[arg-type]
            "RS256",
            kid="rsa",
        ),
    ),
    "9 KB user header": lambda: ("a" * 9000, None),
    # Tornado answers 400 to ASCII control characters in a header; these it lets through.
    "user header with bidi override and zero-width space": lambda: (
        "ad\u202emin\u200b".encode(),
        None,
    ),
    "user header not UTF-8, with C1 controls (NEL, CSI)": lambda: (
        b"\xff\xfe\x85\x9b31madmin",
        None,
    ),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attacker_values_are_escaped_and_capped(
    hub: Hub, attack: str, report: Callable[[str, str], None]
) -> None:
    user, token = ATTACKS[attack]()
    mark = hub.log_size()
    # Straight to the hub's port (a user server can): the proxy would refuse some of these.
    response = hub.login(user, token, via=hub.hub_url)
    log = hub.log_since(mark)
    longest = max((len(line) for line in log.splitlines()), default=0)
    report(attack, f"{summary(response, log)} ({len(log)} bytes logged, longest line {longest})")
    assert response.status_code in (401, 403)
    assert log, "the rejection is logged"
    assert len(log.encode()) <= MOST_BYTES, log[:3000]
    assert longest <= LONGEST_LINE, log[:3000]
    assert not RAW_CONTROL.search(log), log[:3000]
    assert "User logged in: admin" not in [line.split("] ", 1)[-1] for line in log.splitlines()]
