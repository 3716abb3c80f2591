"""``@frozen``: a frozen dataclass that costs a third of ``@dataclass(frozen=True)`` to define.

Every synthesis imports the library, so the cost of defining its props types is paid on every
run. ``dataclasses`` compiles six methods per frozen class from source (``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``): most of the time
it takes. Here only ``__init__`` is compiled; the other five are shared functions that read
the class's fields, with the same behaviour as the generated ones: assigning or deleting a
field raises ``FrozenInstanceError``, equality and hashing use the fields with
``compare=True`` (``hash`` where set) of two instances of the same class, and the repr lists
the fields with ``repr=True``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

__all__ = ["frozen"]

T = TypeVar("T")

# Per class: the names compared, hashed and shown (set once, when the class is made).
_COMPARED = "__frozen_compared__"
_HASHED = "__frozen_hashed__"
_SHOWN = "__frozen_shown__"


def _setattr(self: Any, name: str, value: Any) -> None:
    # __init__ sets each field once, through here: a field already set, or any other
    # attribute, is what frozen forbids.
    if name in self.__dict__ or name not in self.__dataclass_fields__:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def _delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _values(self: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in names)


def _eq(self: Any, other: object) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = getattr(self, _COMPARED)
    return _values(self, names) == _values(other, names)


def _hash(self: Any) -> int:
    return hash(_values(self, getattr(self, _HASHED)))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in getattr(self, _SHOWN))
    return f"{type(self).__qualname__}({shown})"


def _make(kind: type[T], kw_only: bool) -> type[T]:
    made = dataclasses.dataclass(kind, repr=False, eq=False, kw_only=kw_only)
    fields = dataclasses.fields(made)  # type: ignore[arg-type]
    compared = tuple(spec.name for spec in fields if spec.compare)
    setattr(made, _COMPARED, compared)
    hashed = [spec.name for spec in fields if (spec.compare if spec.hash is None else spec.hash)]
    setattr(made, _HASHED, tuple(hashed))
    setattr(made, _SHOWN, tuple(spec.name for spec in fields if spec.repr))
    methods = {
        "__setattr__": _setattr,
        "__delattr__": _delattr,
        "__eq__": _eq,
        "__hash__": _hash,
        "__repr__": _repr,
    }
    for name, method in methods.items():
        # A method the class defines itself wins, as with dataclasses.
        if name not in kind.__dict__ or (name == "__hash__" and kind.__dict__[name] is None):
            setattr(made, name, method)
    return made


@overload
def frozen(kind: type[T], /) -> type[T]: ...
@overload
def frozen(*, kw_only: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(
    kind: type[T] | None = None, /, *, kw_only: bool = False
) -> type[T] | Callable[[type[T]], type[T]]:
    """Class decorator: ``@frozen`` or ``@frozen(kw_only=True)``, as ``@dataclass(frozen=True)``."""
    if kind is not None:
        return _make(kind, kw_only)
    return lambda later: _make(later, kw_only)
