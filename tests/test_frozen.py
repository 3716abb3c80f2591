"""``hub_runtime.frozen.frozen`` behaves as ``dataclasses.dataclass(frozen=True)`` does."""

from __future__ import annotations

import dataclasses

import pytest

from hub_runtime.frozen import frozen


@frozen
class Point:
    x: int
    y: int = 0
    note: str = dataclasses.field(default="", compare=False, repr=False)


@frozen(kw_only=True)
class Named:
    name: str
    tags: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class StockPoint:
    x: int
    y: int = 0
    note: str = dataclasses.field(default="", compare=False, repr=False)


def test_fields_cannot_be_assigned_or_deleted_nor_attributes_added() -> None:
    point = Point(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.x
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.other = 1  # type: ignore[attr-defined]
    assert (point.x, point.y) == (1, 2)


def test_equality_hash_and_repr_match_the_stock_frozen_dataclass() -> None:
    ours = [Point(1, 2, note="a"), Point(1, 2, note="b"), Point(2)]
    stock = [StockPoint(1, 2, note="a"), StockPoint(1, 2, note="b"), StockPoint(2)]
    assert [a == b for a in ours for b in ours] == [a == b for a in stock for b in stock]
    assert hash(ours[0]) == hash(ours[1]) == hash(stock[0])
    assert repr(ours[0]) == repr(stock[0]).replace("StockPoint", "Point")
    assert Point(1) != StockPoint(1)  # type: ignore[comparison-overlap]
    assert len({Point(1), Point(1), Point(2)}) == 2


def test_keyword_only_defaults_replace_and_fields() -> None:
    named = Named(name="a")
    assert named.tags == ()
    with pytest.raises(TypeError):
        Named("a")  # type: ignore[call-arg]
    changed = dataclasses.replace(named, tags=("x",))
    assert (changed.name, changed.tags, named.tags) == ("a", ("x",), ())
    assert [spec.name for spec in dataclasses.fields(Named)] == ["name", "tags"]
    assert dataclasses.is_dataclass(named)


def test_a_subclass_adds_fields_and_stays_frozen() -> None:
    @frozen
    class Point3(Point):
        z: int = 0

    point = Point3(1, 2, z=3)
    assert (point.x, point.y, point.z) == (1, 2, 3)
    assert point != Point(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.z = 4  # type: ignore[misc]
