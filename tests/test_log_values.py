"""Values from requests and tokens as the hub logs them: escaped and cut short."""

from __future__ import annotations

from hub_runtime.log_values import escaped, shown


def test_shown_escapes_controls_and_look_alikes() -> None:
    assert shown("a\nb\x1b[31m\u202e") == "'a\\nb\\x1b[31m\\u202e'"
    assert shown("\u0430dmin") == "'\\u0430dmin'"
    assert shown("it's") == "'it\\'s'"


def test_shown_cuts_long_values() -> None:
    assert shown("k" * 9000) == "'" + "k" * 80 + "'…(9000 chars)"
    assert len(shown("\u5c71" * 100)) < 110


def test_shown_takes_any_value() -> None:
    assert shown(None) == "'None'"
    assert shown({"a": ["b"]}) == "'{\\'a\\': [\\'b\\']}'"


def test_escaped_keeps_quotes() -> None:
    assert escaped("'utf-8' codec\n") == "'utf-8' codec\\n"
    assert escaped("x" * 500, limit=10) == "xxxxxxxxxx…(500 chars)"
