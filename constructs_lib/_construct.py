"""The base of every construct of this library: a bad construct id is a ``ValueError`` that
names the construct, not a stack trace from the constructs library's Node.js side."""

from __future__ import annotations

from constructs import Construct

__all__ = ["LibraryConstruct"]

# The messages of constructs' Node.addChild (constructs 10.x, src/construct.ts) for the ids
# it refuses; any other error from it is passed on unchanged.
_DUPLICATE = "There is already a Construct with name"
_EMPTY = "Only root constructs may have an empty ID"


class LibraryConstruct(Construct):
    """A ``Construct`` whose id is checked in Python first (the checks cost nothing when the
    id is valid: they run only once the constructs library has refused it)."""

    def __init__(self, scope: Construct, id: str) -> None:
        if not isinstance(id, str):
            raise _id_error(scope, repr(id), id, "must be a string")
        try:
            super().__init__(scope, id)
        except RuntimeError as error:
            problem = _refusal(scope, id, str(error))
            if problem is None:
                raise
            raise problem from None


def _refusal(scope: Construct, id: str, message: str) -> ValueError | None:
    if message.startswith(_DUPLICATE):
        other = scope.node.try_find_child(id)
        kind = type(other).__name__ if other is not None else "construct"
        return _id_error(
            scope,
            id,
            id,
            f"must be unique among the children of {_where(scope)} (a {kind} there has it)",
        )
    if message.startswith(_EMPTY):
        return _id_error(scope, "''", id, "must not be empty")
    return None


def _where(scope: Construct) -> str:
    return scope.node.path or "the app"


def _id_error(scope: Construct, name: str, id: object, allowed: str) -> ValueError:
    """``test/JupyterHub: id must be unique among the children of test (...), got 'JupyterHub'``:
    the shape of ``invalid``, the path being the one the construct would have had."""
    path = f"{scope.node.path}/{name}" if scope.node.path else name
    return ValueError(f"{path}: id {allowed}, got {id!r}")
