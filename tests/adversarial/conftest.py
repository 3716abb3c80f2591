"""The adversarial suite: one module per attack class, each against a real configurable-http-proxy
and JupyterHub on 127.0.0.1 (one hub per module). Every attack reports one line, printed in
the terminal summary of every run (no ``-s`` needed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

# (attack class, attack, what it saw), in the order the attacks ran.
_SEEN: list[tuple[str, str, str]] = []


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``report(attack, saw)``: one line for the summary, under the module's attack class."""
    attack_class = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")

    def saw(attack: str, what: str) -> None:
        _SEEN.append((attack_class.replace("_", " "), attack, what))

    return saw


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _SEEN:
        return
    terminalreporter.section("adversarial suite: what each attack saw")
    for attack_class, attack, what in _SEEN:
        terminalreporter.write_line(f"[{attack_class}] {attack}: {what}")
