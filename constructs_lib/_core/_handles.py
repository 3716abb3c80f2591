"""Read-only handles to what a construct made (cdk8s-plus's readonly properties)."""

from __future__ import annotations

from typing import Generic, TypeVar, overload

from constructs_lib._core._construct import is_made

__all__ = ["Handle"]

T = TypeVar("T")


class Handle(Generic[T]):
    """An attribute the constructor sets once; after that (or once the construct is made,
    even if it left it unset) it is read-only.

    ``service = Handle[cdk8s.ApiObject]("The proxy's Service.")`` in the class body documents
    it for ``help()``; ``self.service = ...`` in ``__init__`` sets it.
    """

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self._attribute = ""
        self._public = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._public = name
        self._attribute = f"_handle_{name}"

    @overload
    def __get__(self, instance: None, owner: type) -> Handle[T]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> T: ...
    def __get__(self, instance: object | None, owner: type) -> Handle[T] | T:
        if instance is None:
            return self
        try:
            value: T = getattr(instance, self._attribute)
        except AttributeError:
            raise AttributeError(f"{self._public} is not made yet") from None
        return value

    def __set__(self, instance: object, value: T) -> None:
        if hasattr(instance, self._attribute) or is_made(instance):
            raise AttributeError(
                f"{type(instance).__name__}.{self._public} is read-only: it is the object the "
                "construct made (change it with add_json_patch, or cdk8s.ApiObject.of)"
            )
        object.__setattr__(instance, self._attribute, value)

    def __repr__(self) -> str:
        return f"<handle {self._public}: {self.__doc__}>"
