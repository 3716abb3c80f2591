"""The package's public surface as ``help()`` and tracebacks show it.

Each exported class and function names the package as its module (httpx does the same), so
``help()`` and error messages give the one import path users write. A construct's class
shows its constructor's signature: jsii's metaclass defines ``__call__(cls, *args,
**kwargs)``, which ``inspect.signature`` would report instead, and a constructor without a
docstring would inherit ``Construct.__init__``'s generic "Creates a new construct node.".

``typing.get_type_hints`` evaluates a class's string annotations in the module its
``__module__`` names, which the package's namespace cannot stand in for (``Sequence``,
private types): each class's own annotations are evaluated where it was defined first.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

from constructs import Construct

__all__ = ["publish"]


class _ConstructorSignature:
    """``cls.__signature__``: its ``__init__``'s without ``self``, asked of each subclass."""

    def __get__(self, obj: object, owner: type) -> inspect.Signature:
        signature = inspect.signature(owner.__init__)  # type: ignore[misc]
        return signature.replace(parameters=list(signature.parameters.values())[1:])


def _constructor_doc(cls: type) -> str:
    return (
        f"Define a ``{cls.__name__}`` named ``id`` in ``scope``: every prop is described "
        f"under ``Args:`` in ``help({cls.__name__})``."
    )


def _show_constructor(cls: type[Construct]) -> None:
    cls.__signature__ = _ConstructorSignature()
    init = vars(cls).get("__init__")
    if init is not None and init.__doc__ is None:
        init.__doc__ = _constructor_doc(cls)


def _resolve_annotations(cls: type) -> None:
    own = vars(cls).get("__annotations__")
    if not own:
        return
    defined_in = vars(sys.modules[cls.__module__])
    resolved: dict[str, Any] = {}
    for name, hint in own.items():
        try:
            # What typing.get_type_hints does with a string, in the module that wrote it.
            resolved[name] = (
                eval(hint, defined_in, dict(vars(cls))) if isinstance(hint, str) else hint
            )
        except NameError:
            # A name only the type checker sees: left as written, as get_type_hints would fail.
            resolved[name] = hint
    cls.__annotations__ = resolved


def publish(namespace: MutableMapping[str, Any], names: Iterable[str]) -> None:
    """Present ``names`` of the package ``namespace`` (its ``globals()``) as its own."""
    for name in names:
        obj = namespace[name]
        if inspect.isclass(obj):
            _resolve_annotations(obj)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            obj.__module__ = namespace["__name__"]
        if inspect.isclass(obj) and issubclass(obj, Construct):
            _show_constructor(obj)
