"""The base of every construct of this library: a bad construct id is a ``ValueError`` that
names the construct, not a stack trace from the constructs library's Node.js side."""

from __future__ import annotations

import cdk8s
from constructs import Construct

__all__ = ["LibraryConstruct"]

# The messages of constructs' Node.addChild (constructs 10.x, src/construct.ts) for the ids
# it refuses; any other error from it is passed on unchanged.
_DUPLICATE = "There is already a Construct with name"
_EMPTY = "Only root constructs may have an empty ID"


class LibraryConstruct(Construct):
    """A ``Construct`` whose refused scope or id is a ``ValueError`` naming it. The types are
    checked here; the rest only once the constructs library has refused the id, so a valid
    one costs nothing more."""

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
