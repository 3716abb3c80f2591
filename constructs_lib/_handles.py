"""A construct's handle on an object it made: an attribute that ``help()`` lists, with its doc.

An attribute set in ``__init__`` is invisible to ``help()`` and to the documentation; one
declared in the class body with this descriptor is listed under "Data descriptors" with its
docstring, and keeps its type for mypy.
"""

from __future__ import annotations

from typing import Generic, TypeVar, overload

__all__ = ["Handle"]

_T = TypeVar("_T")


class Handle(Generic[_T]):
    """``name = Handle[Type]("what it is")`` in a class body; ``self.name = ...`` sets it."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Handle[_T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> Handle[_T] | _T:
        if obj is None:
            return self
        try:
            value: _T = vars(obj)[self._name]
        except KeyError:
            # Read before the constructor set it: the same error as any missing attribute.
            raise AttributeError(
                f"{type(obj).__name__!r} object has no attribute {self._name!r} yet"
            ) from None
        return value

    def __set__(self, obj: object, value: _T) -> None:
        vars(obj)[self._name] = value

    def __repr__(self) -> str:
        return f"<handle {self._name}>"
