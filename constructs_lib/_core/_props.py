"""One validator for every props type, driven by its dataclass type hints.

A props type declares each field once, with its type and its default; this module reads
those hints, so no construct keeps a second table of field types. A wrong type is a
``ValueError`` naming the construct and the field (``test/Hub: replicas must be a whole
number, got '1'``), never a later ``AttributeError``.

Renamed fields: a props type decorated with :func:`renamed` refuses an old field name with
an error naming the new one, whether it comes as a keyword of the type or as a construct's
keyword prop.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar

from constructs import Construct

from constructs_lib._core._checks import enum_members, type_name
from constructs_lib._core._derived import Derived
from constructs_lib._core._errors import invalid

__all__ = [
    "check_arguments",
    "check_fields",
    "check_removed",
    "check_value",
    "merge_props",
    "removed",
    "renamed",
    "renamed_arguments",
    "renamed_fields",
]

T = TypeVar("T")

_RENAMED = "__renamed_fields__"
_REMOVED = "__removed_fields__"


def renamed(**old_to_new: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: ``old=new`` keywords make the old field names fail, naming the new
    one (apply it above ``@dataclass``)."""

    def decorate(kind: type[T]) -> type[T]:
        setattr(kind, _RENAMED, dict(old_to_new))
        init = kind.__init__

        @functools.wraps(init)
        def checked_init(self: Any, *args: Any, **kwargs: Any) -> None:
            check_renamed(kind, kwargs)
            init(self, *args, **kwargs)

        kind.__init__ = checked_init  # type: ignore[method-assign]
        return kind

    return decorate


def removed(**field_to_why: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: ``old="why"`` keywords make a removed field fail with what replaced
    it (apply it above ``@dataclass``), as a keyword of the type or a construct's prop."""

    def decorate(kind: type[T]) -> type[T]:
        setattr(kind, _REMOVED, dict(field_to_why))
        init = kind.__init__

        @functools.wraps(init)
        def checked_init(self: Any, *args: Any, **kwargs: Any) -> None:
            check_removed(kind, kwargs)
            init(self, *args, **kwargs)

        kind.__init__ = checked_init  # type: ignore[method-assign]
        return kind

    return decorate


def check_removed(kind: type, names: Mapping[str, object], where: str = "") -> None:
    """A ``TypeError`` (as for any unknown keyword) that says why the field is gone."""
    for old, why in getattr(kind, _REMOVED, {}).items():
        if old in names:
            raise TypeError(
                f"{where or kind.__name__}: {old} was removed from {kind.__name__}: {why}; "
                "see the CHANGELOG's migration table"
            )


F = TypeVar("F", bound=Callable[..., None])


def renamed_arguments(**old_to_new: str) -> Callable[[F], F]:
    """Decorator of a construct's ``__init__``: the old keyword names fail, naming the new
    one (``help()`` keeps showing the real signature)."""

    def decorate(init: F) -> F:
        @functools.wraps(init)
        def checked_init(self: Any, *args: Any, **kwargs: Any) -> None:
            for old, new in old_to_new.items():
                if old in kwargs:
                    raise TypeError(
                        f"{type(self).__name__}: {old} was renamed {new} "
                        f"({type(self).__name__}(..., {new}=...)); see the CHANGELOG's "
                        "migration table"
                    )
            init(self, *args, **kwargs)

        checked_init.__renamed__ = dict(old_to_new)  # type: ignore[attr-defined]
        return checked_init  # type: ignore[return-value]

    return decorate


def renamed_fields(kind: type) -> dict[str, str]:
    """The old field names of ``kind`` and the new name of each."""
    return dict(getattr(kind, _RENAMED, {}))


def check_renamed(kind: type, names: Mapping[str, object], where: str = "") -> None:
    """A ``TypeError`` (as for any unknown keyword) that names the field's new name."""
    for old, new in renamed_fields(kind).items():
        if old in names:
            raise TypeError(
                f"{where or kind.__name__}: {old} was renamed {new} "
                f"({kind.__name__}({new}=...)); see the CHANGELOG's migration table"
            )


def merge_props(scope: Construct, options: T | None, props: dict[str, Any], kind: type[T]) -> T:
    """``options`` (a ``kind``; None: ``kind()``, every default) with the keyword props given
    beside it replacing its fields, every field checked against its type hint."""
    if options is None:
        options = kind()
    elif not isinstance(options, kind):
        raise invalid(scope, "options", options, f"must be {type_name(kind)}")
    # The path (a jsii round trip) only for the error.
    if any(old in props for old in renamed_fields(kind)):
        check_renamed(kind, props, scope.node.path)
    if any(old in props for old in getattr(kind, _REMOVED, {})):
        check_removed(kind, props, scope.node.path)
    fields = {spec.name for spec in dataclasses.fields(options)}  # type: ignore[arg-type]
    for name in props:
        if name not in fields:
            raise invalid(
                scope,
                name,
                props[name],
                f"is not a prop of {type(scope).__name__} (its options are "
                f"{', '.join(sorted(fields))})",
            )
    merged = dataclasses.replace(options, **props)  # type: ignore[type-var]
    check_fields(scope, merged)
    return merged


def check_fields(scope: Construct, value: Any, prefix: str = "") -> None:
    """Every field of the dataclass ``value`` must match its type hint; nested props types
    (dataclasses) are checked the same way, field by field."""
    hints = _hints(type(value))
    for spec in dataclasses.fields(value):
        name = f"{prefix}{spec.name}"
        check_value(scope, name, getattr(value, spec.name), hints[spec.name])


def check_arguments(scope: Construct, function: Callable[..., Any], **values: Any) -> None:
    """The keyword arguments of a construct's ``__init__`` against its own type hints (their
    own fields are theirs to check: a wiring value such as ``HeaderTrust`` checks itself)."""
    hints = _hints(function)
    for name, value in values.items():
        check_value(scope, name, value, hints[name], deep=False)


def check_value(scope: Construct, field: str, value: Any, hint: Any, *, deep: bool = True) -> None:
    """``value`` must be what the type hint ``hint`` says (``bool`` is not an ``int``); with
    ``deep``, a dataclass value's fields too."""
    origin = typing.get_origin(hint)
    if hint is Any or hint is object:
        return
    if origin in (typing.Union, types.UnionType):
        _check_union(scope, field, value, typing.get_args(hint), deep)
        return
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise invalid(scope, field, value, f"must be one of {list(allowed)}")
        return
    if origin is tuple or origin in (Sequence, list):
        _check_sequence(scope, field, value, hint)
        return
    if origin in (Mapping, dict):
        _check_mapping(scope, field, value, hint)
        return
    kind = origin or hint
    if not _matches(value, kind):
        if isinstance(kind, type) and issubclass(kind, Enum) and kind is not Derived:
            raise invalid(scope, field, value, f"must be one of {enum_members(kind, value)}")
        raise invalid(scope, field, value, f"must be {_describe(kind)}")
    if deep and dataclasses.is_dataclass(kind) and not isinstance(value, type):
        check_fields(scope, value, f"{field}.")


def _check_union(
    scope: Construct, field: str, value: Any, options: tuple[Any, ...], deep: bool
) -> None:
    for option in options:
        if not _may_match(value, option):
            continue
        try:
            check_value(scope, field, value, option, deep=deep)
        except ValueError:
            continue
        return
    kinds = tuple(typing.get_origin(option) or option for option in options)
    if all(isinstance(kind, type) for kind in kinds):
        # The outer type matched and an inner field did not: that field's error says more.
        for option, kind in zip(options, kinds, strict=True):
            if kind is not type(None) and _matches(value, kind):
                check_value(scope, field, value, option, deep=deep)
        if Derived in kinds:
            # A field whose default is derived: None never stands for that default.
            shown = type_name(tuple(kind for kind in kinds if kind is not Derived))
            hint = ", or left out for its derived default" if value is None else ""
            raise invalid(scope, field, value, f"must be {shown}{hint}")
        raise invalid(scope, field, value, f"must be {type_name(kinds)}")
    raise invalid(scope, field, value, f"must be one of {options}")


def _may_match(value: Any, option: Any) -> bool:
    """False when check_value would refuse ``value`` for ``option`` at its first test (the
    outer type, a literal's values), found without building the error: that asks the jsii
    process for the scope's path, twice per member a union tries."""
    origin = typing.get_origin(option)
    if origin is tuple or origin in (Sequence, list):
        return isinstance(value, Sequence) and not isinstance(value, str)
    if origin in (Mapping, dict):
        return isinstance(value, Mapping)
    if origin is typing.Literal:
        return value in typing.get_args(option)
    if option is Any or origin is not None:
        return True
    return _matches(value, option)


def _check_sequence(scope: Construct, field: str, value: Any, hint: Any) -> None:
    args = typing.get_args(hint)
    item = args[0] if args and (len(args) == 1 or args[1] is Ellipsis) else Any
    what = f"a list of {_plural(item)}"
    if isinstance(value, str):
        raise invalid(scope, field, value, f"must be {what}, not a single string")
    if not isinstance(value, Sequence):
        raise invalid(scope, field, value, f"must be {what}")
    for index, element in enumerate(value):
        check_value(scope, f"{field}[{index}]", element, item)


def _check_mapping(scope: Construct, field: str, value: Any, hint: Any) -> None:
    args = typing.get_args(hint)
    key_hint, value_hint = args if len(args) == 2 else (Any, Any)
    if not isinstance(value, Mapping):
        raise invalid(scope, field, value, f"must be a mapping of {_plural(key_hint)} to values")
    for key, element in value.items():
        check_value(scope, f"{field}", key, key_hint)
        check_value(scope, f"{field}[{key!r}]", element, value_hint)


def _matches(value: Any, kind: Any) -> bool:
    if not isinstance(kind, type):
        return True
    # True is an int to Python, never a count to a user.
    if isinstance(value, bool) and kind is not bool and kind is not object:
        return False
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind)


def _describe(kind: Any) -> str:
    return type_name(kind) if isinstance(kind, type) else str(kind)


def _plural(hint: Any) -> str:
    if hint is str:
        return "strings"
    if hint is int:
        return "whole numbers"
    kinds = (
        typing.get_args(hint)
        if typing.get_origin(hint) in (typing.Union, types.UnionType)
        else (hint,)
    )
    return " or ".join(getattr(kind, "__name__", str(kind)) for kind in kinds)


_HINTS: dict[Any, dict[str, Any]] = {}


def _hints(kind: Any) -> dict[str, Any]:
    # Resolved once per type: the hints are strings under ``from __future__ import annotations``.
    if kind not in _HINTS:
        _HINTS[kind] = typing.get_type_hints(kind)
    return _HINTS[kind]
