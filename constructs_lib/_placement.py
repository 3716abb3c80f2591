"""Where an object lands: its chart's namespace, and the other constructs of the same app.

Two constructs that claim the same names in one namespace (two hubs of one release), or a
chart whose namespace is not the one its ``HubNamespace`` creates, are found here at
construct time, before anything is synthesized.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import cdk8s
from constructs import Construct

__all__ = ["DeclaredNamespace", "chart_namespace", "others_in_app"]

T = TypeVar("T")


class DeclaredNamespace(Construct):
    """A construct that creates the namespace of a release: ``HubNamespace`` is one."""

    name: str
    release: str


def chart_namespace(scope: Construct) -> str | None:
    """The namespace the scope's chart puts its objects in (None: the kubectl context's)."""
    return cdk8s.Chart.of(scope).namespace


def others_in_app(scope: Construct, kind: type[T]) -> Iterator[T]:
    """Every other construct of type ``kind`` in the scope's app."""
    for construct in scope.node.root.node.find_all():
        if isinstance(construct, kind) and construct is not scope:
            yield construct
