"""Where an object lands: its chart's namespace, and the other constructs of the same app.

Two constructs that claim the same names in one namespace (two hubs of one release), or a
chart whose namespace is not the one its ``HubNamespace`` creates, are found here at
construct time, before anything is synthesized.

All of it is kept on the Python side: a construct's chart, a chart's namespace and app are
asked of jsii once each, and the constructs that claim names are registered by app and
release as they are made, so that a check looks only at those of its own release instead of
walking the whole app (which made building an app of many hubs quadratic).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import cdk8s
from constructs import Construct, IConstruct

from constructs_lib._core._construct import LibraryConstruct, made_in, undo_if_construction_fails

__all__ = [
    "DeclaredNamespace",
    "app_of",
    "chart_namespace",
    "join_app",
    "others_in_app",
    "parent_of",
]

T = TypeVar("T")

# Keyed by jsii reference: a construct made on the Node.js side (an App from
# cdk8s.Testing.app()) comes back as a new Python object each time it is returned. jsii never
# frees an object, so neither do these.
# Any construct not of this library -> its chart, as jsii answered once (each of this
# library's knows the scope it was made in: ``made_in``).
_charts: dict[str, cdk8s.Chart] = {}
_namespaces: dict[str, str | None] = {}
# Chart -> its app's root construct.
_roots: dict[str, str] = {}
# App (root construct) -> release -> the constructs that joined it.
_members: dict[str, dict[str, list[Construct]]] = {}


class DeclaredNamespace(LibraryConstruct):
    """A construct that creates the namespace of a release: ``HubNamespace`` is one."""

    name: str
    release: str


def ref(construct: IConstruct) -> str:
    """The construct's jsii reference: the same for every Python object standing for it."""
    return str(construct.__jsii_ref__.ref)  # type: ignore[attr-defined]


def parent_of(construct: Construct) -> Construct:
    """``construct.node.scope``, without asking jsii for a construct of this library."""
    parent = made_in(construct)
    return construct.node.scope if parent is None else parent  # type: ignore[return-value]


def chart_of(scope: Construct) -> cdk8s.Chart:
    """``cdk8s.Chart.of(scope)``, asked of jsii at most once per construct."""
    node = scope
    while not isinstance(node, cdk8s.Chart):
        parent = made_in(node)
        if parent is None:
            chart = _charts.get(ref(node))
            if chart is None:
                chart = _charts[ref(node)] = cdk8s.Chart.of(node)
            return chart
        node = parent
    return node


def chart_namespace(scope: Construct) -> str | None:
    """The namespace the scope's chart puts its objects in (None: the kubectl context's)."""
    chart = chart_of(scope)
    key = ref(chart)
    if key not in _namespaces:
        _namespaces[key] = chart.namespace
    return _namespaces[key]


def app_of(scope: Construct) -> str:
    """The jsii reference of the scope's app (its root construct): a key per app."""
    chart = chart_of(scope)
    root = _roots.get(ref(chart))
    if root is None:
        root = _roots[ref(chart)] = ref(chart.node.root)
    return root


def _release_members(scope: Construct, release: str) -> list[Construct]:
    return _members.setdefault(app_of(scope), {}).setdefault(release, [])


def join_app(construct: Construct, release: str) -> None:
    """Register ``construct`` as one of ``release``'s in its app (for ``others_in_app``)."""
    members = _release_members(construct, release)
    members.append(construct)
    # One that fails to be made is no member: it would clash with its own retry.
    undo_if_construction_fails(lambda: members.remove(construct))


def others_in_app(scope: Construct, kind: type[T], release: str) -> Iterator[T]:
    """Every other construct of type ``kind`` of ``release`` that joined the scope's app."""
    for construct in _release_members(scope, release):
        if isinstance(construct, kind) and construct is not scope:
            yield construct
