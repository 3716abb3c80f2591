"""The base of every construct of this library: a bad construct id is a ``ValueError`` that
names the construct, not a stack trace from the constructs library's Node.js side; a
construct's public attributes are fixed once it is made (synthesis uses the props it was
given, so a later assignment would be silently ignored); and a constructor that fails leaves
nothing behind (not its place in the tree, nor a claim that would refuse a retry)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import cdk8s
from constructs import Construct
from jsii._runtime import JSIIMeta

__all__ = ["LibraryConstruct", "is_made", "made_in", "undo_if_construction_fails"]

# The messages of constructs' Node.addChild (constructs 10.x, src/construct.ts) for the ids
# it refuses; any other error from it is passed on unchanged.
_DUPLICATE = "There is already a Construct with name"
_EMPTY = "Only root constructs may have an empty ID"


class _Construction:
    """One constructor call under way: the construct once it is in the tree, and how to undo
    what it (and the constructs made during it) registered."""

    def __init__(self) -> None:
        self.construct: LibraryConstruct | None = None
        self.undo: list[Callable[[], None]] = []


# The constructor calls under way, innermost last (jsii runs on one thread).
_under_way: list[_Construction] = []
# Set on a construct once its constructor has returned: its public attributes are then fixed.
_SEALED = "_library_construct_sealed"
# The scope each construct of this library was made in, kept here so that finding its chart
# or app asks nothing of jsii (``_placement``).
_SCOPE = "_library_construct_scope"


def made_in(construct: object) -> Construct | None:
    """The scope a construct of this library was made in; None for any other construct."""
    scope: Construct | None = getattr(construct, _SCOPE, None)
    return scope


def undo_if_construction_fails(undo: Callable[[], None]) -> None:
    """Run ``undo`` if the constructor under way fails, or the one of a construct it is made
    in (its registrations would otherwise outlive it); nothing outside a constructor."""
    if _under_way:
        _under_way[-1].undo.append(undo)


class _LibraryConstructMeta(JSIIMeta):
    """Wraps each construction: on success the construct is sealed and what it registered is
    handed to the construction it is part of; on failure that is undone and the construct
    leaves the tree, so the same id and the same hub can be used again."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        construction = _Construction()
        _under_way.append(construction)
        try:
            made: object = super().__call__(*args, **kwargs)
        except BaseException:
            _under_way.pop()
            _roll_back(construction)
            raise
        _under_way.pop()
        if _under_way:
            _under_way[-1].undo.extend(construction.undo)
        object.__setattr__(made, _SEALED, True)
        return made


def _roll_back(construction: _Construction) -> None:
    for undo in reversed(construction.undo):
        undo()
    made = construction.construct
    if made is not None and made.node.scope is not None:
        made.node.scope.node.try_remove_child(made.node.id)


class LibraryConstruct(Construct, metaclass=_LibraryConstructMeta):
    """A ``Construct`` whose refused scope or id is a ``ValueError`` naming it. The types are
    checked here; the rest only once the constructs library has refused the id, so a valid
    one costs nothing more.

    Once made, its public attributes cannot be set (an ``AttributeError`` names the prop to
    pass instead); names starting with ``_`` stay free, as jsii and the constructs library
    set their own (``__jsii_ref__``), and so do descriptors, which decide for themselves
    (``Handle``)."""

    def __init__(self, scope: Construct, id: str) -> None:
        if not isinstance(scope, Construct):
            raise ValueError(
                f"{id!r}: scope must be a construct (a Chart, or a construct in one), got {scope!r}"
            )
        if not isinstance(id, str):
            raise _id_error(_child_path(scope, repr(id)), id, "must be a string")
        _check_in_chart(scope, id)
        try:
            super().__init__(scope, id)
        except RuntimeError as error:
            problem = _refusal(scope, id, str(error))
            if problem is None:
                raise
            raise problem from None
        object.__setattr__(self, _SCOPE, scope)
        if _under_way and _under_way[-1].construct is None:
            _under_way[-1].construct = self

    if not TYPE_CHECKING:  # mypy would take any attribute of a class with __setattr__

        def __setattr__(self, name: str, value: object) -> None:
            _check_settable(self, name)
            super().__setattr__(name, value)

        def __delattr__(self, name: str) -> None:
            _check_settable(self, name)
            super().__delattr__(name)


def is_made(construct: object) -> bool:
    """Whether ``construct``'s constructor has returned (its attributes are then fixed)."""
    return bool(getattr(construct, "__dict__", {}).get(_SEALED, False))


def _check_settable(construct: LibraryConstruct, name: str) -> None:
    if name.startswith("_") or not is_made(construct):
        return
    if hasattr(inspect.getattr_static(type(construct), name, None), "__set__"):
        return  # a property or Handle: its own rules
    kind = type(construct).__name__
    if name in inspect.signature(type(construct).__init__).parameters:
        how = f"pass {name}= to {kind}(...) instead"
    elif hasattr(construct, name):
        how = f"it follows from the props given to {kind}(...): change those instead"
    else:
        how = f"{kind} takes its props at construction, and {name} is none of them"
    raise AttributeError(
        f"{construct.node.path}: {kind}.{name} cannot be set after construction (synthesis "
        f"uses what the constructor was given): {how}"
    )


def _check_in_chart(scope: Construct, id: str) -> None:
    """Every object is written by a chart: without one, cdk8s fails deep inside with a
    Node.js trace. A chart or a construct of this library (checked itself) as the scope asks
    nothing of the Node.js side."""
    if isinstance(scope, (cdk8s.Chart, LibraryConstruct)):
        return
    try:
        cdk8s.Chart.of(scope)
    except RuntimeError:
        raise ValueError(
            f"{_child_path(scope, id)}: scope must be a cdk8s.Chart or a construct inside one "
            f"(this construct writes Kubernetes objects), got {scope!r}"
        ) from None


def _refusal(scope: Construct, id: str, message: str) -> ValueError | None:
    if message.startswith(_DUPLICATE):
        other = scope.node.try_find_child(id)
        kind = type(other).__name__ if other is not None else "construct"
        return _id_error(
            _child_path(scope, id),
            id,
            f"must be unique among the children of {scope.node.path or 'the app'} (a {kind} "
            "there has it)",
        )
    if message.startswith(_EMPTY):
        return _id_error(scope.node.path, id, "must not be empty (only an app's root has none)")
    return None


def _child_path(scope: Construct, name: str) -> str:
    """The path the construct would have had."""
    return f"{scope.node.path}/{name}" if scope.node.path else name


def _id_error(path: str, id: object, allowed: str) -> ValueError:
    """``test/JupyterHub: id must be unique among the children of test (...), got
    'JupyterHub'``: the shape of ``invalid``."""
    return ValueError(f"{path}: id {allowed}, got {id!r}")
