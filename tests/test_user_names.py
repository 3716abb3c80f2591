"""The rules a user name follows (the hub refuses the rest: tests/adversarial)."""

from __future__ import annotations

import pytest

from hub_runtime.user_names import from_header, name_problem, scripts

PATTERN = r"\w[\w.@+-]*"


def problem(name: str) -> str | None:
    return name_problem(name, pattern=PATTERN, max_length=64)


@pytest.mark.parametrize(
    "name",
    [
        "admin",
        "j\u00fcrgen",
        "\u0430\u0434\u043c\u0438\u043d",
        "\u5c71\u7530\u305f\u308d\u3046",
        "\ud64d\uae38\ub3d9kim",
        "\u03b1\u03b2\u03b3",
        "a.b@c+d-e_f",
        "stra\u00dfe",
    ],
)
def test_valid_names(name: str) -> None:
    assert problem(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "is empty"),
        ("x" * 65, "is longer than 64 characters"),
        ("a..b", "contains '..'"),
        ("a/b", r"does not match the user name pattern '\\w[\\w.@+-]*'"),
        ("\uff41dmin", "is not in Unicode normal form NFKC"),
        ("\u212aate", "is not in Unicode normal form NFKC"),
        ("\u0430dmin", "mixes scripts (CYRILLIC, LATIN)"),
        ("\u03c9mega", "mixes scripts (GREEK, LATIN)"),
        ("\u5c71\u7530\u0430", "mixes scripts (CYRILLIC, HAN)"),
    ],
)
def test_invalid_names(name: str, why: str) -> None:
    assert problem(name) == why


def test_scripts_of_digits_and_marks() -> None:
    assert scripts("abc123_") == frozenset({"LATIN"})
    assert scripts("\u0645\u062d\u0645\u062f\u0661") == frozenset({"ARABIC"})


def test_header_bytes_must_be_utf8() -> None:
    # Tornado hands header bytes over decoded as Latin-1.
    assert from_header("j\u00fcrgen".encode().decode("latin-1")) == "j\u00fcrgen"
    with pytest.raises(ValueError, match="not UTF-8"):
        from_header("j\u00fcrgen")
