"""The hub's keys for storage and object names: valid, readable where possible, and never
shared by two users or two servers (adversarial cases: tests/adversarial)."""

from __future__ import annotations

import random
import re

import pytest

from hub_runtime.slugs import HASH_HEX_DIGITS, server_key, user_key

DNS_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
# Characters a hostile name may use: separators, upper case, digits, look-alikes, '--'.
ALPHABET = "aAbB01-._@+--ü\u0430\u212a/ "


def hostile_names(count: int, seed: int) -> list[str]:
    chance = random.Random(seed)
    return [
        "".join(chance.choice(ALPHABET) for _ in range(chance.randint(1, 70))) for _ in range(count)
    ]


@pytest.mark.parametrize("name", ["alice", "a", "bob-smith", "x1", "a" * 63])
def test_plain_names_are_their_own_key(name: str) -> None:
    assert user_key(name) == name


@pytest.mark.parametrize(
    "name", ["Alice", "a.b", "a--b", "1abc", "abc-", "a" * 64, "ü", "a/b", "", "x---0123"]
)
def test_other_names_are_hashed(name: str) -> None:
    key = user_key(name)
    assert DNS_LABEL.fullmatch(key) and len(key) <= 63, key
    readable, _, digest = key.rpartition("---")
    assert re.fullmatch(f"[0-9a-f]{{{HASH_HEX_DIGITS}}}", digest) and readable


def test_keys_are_injective_and_valid_over_hostile_names() -> None:
    names = set(hostile_names(20_000, seed=9))
    keys = {user_key(name) for name in names}
    assert len(keys) == len(names)
    for key in keys:
        assert DNS_LABEL.fullmatch(key) and len(key) <= 63, key
        assert "/" not in key and ".." not in key


def test_server_keys_are_injective_over_pairs() -> None:
    users = [*hostile_names(200, seed=1), "a", "a-b", "b", "alice"]
    servers = ["", *hostile_names(60, seed=2), "b", "b-c", "c", "lab"]
    keys = {(user, server): server_key(user, server, 55) for user in users for server in servers}
    assert len(set(keys.values())) == len(keys)
    assert all(DNS_LABEL.fullmatch(key) and len(key) <= 55 for key in keys.values())


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("a-b", "c"), ("a", "b-c")),  # where the join could be split
        (("a", ""), ("a", "a")),  # default server beside a named one
        (("a--b", ""), ("a", "b")),  # a user name that looks like a join
        (("ab", "c"), ("a", "bc")),
    ],
)
def test_ambiguous_joins_stay_apart(first: tuple[str, str], second: tuple[str, str]) -> None:
    assert server_key(*first) != server_key(*second)


def test_plain_pairs_are_readable() -> None:
    assert server_key("alice", "lab") == "alice--lab"
    assert server_key("alice", "") == "alice"


def test_too_short_a_limit_is_an_error() -> None:
    with pytest.raises(ValueError, match="keys need at least 36 characters, got 20"):
        user_key("Alice", 20)
