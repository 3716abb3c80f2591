"""Names of the cluster's objects (those without a namespace: the user pods' PriorityClass,
the Namespace), claimed once per app.

Two hubs in two namespaces may share a release, but an object without a namespace is not
theirs alone: two hubs emitting the same PriorityClass would each delete the other's with
their own app (``kubectl delete -f``). Each construct claims the cluster-scoped names it
creates; a second claim in the same app is an error naming what to change: the ``release``
when the name is derived from it, or the prop that named it.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib._core._construct import undo_if_construction_fails
from constructs_lib._core._errors import invalid
from constructs_lib._core._placement import app_of, chart_namespace
from hub_runtime.frozen import frozen

__all__ = ["claim_cluster_name"]


@frozen
class _Claim:
    construct: Construct
    release: str


# App (root construct) -> (kind, name) -> who creates it (jsii never frees an app either).
_claims: dict[str, dict[tuple[str, str], _Claim]] = {}


def claim_cluster_name(
    scope: Construct, kind: str, name: str, *, release: str, field: str | None, share: str
) -> None:
    """Record that ``scope`` (of ``release``) creates the cluster-scoped ``kind`` ``name``.

    ``field``: the prop that named it, or None when the name is derived from the release;
    ``share``: how two hubs would share one instead."""
    claims = _claims.setdefault(app_of(scope), {})
    other = claims.get((kind, name))
    if other is None:
        claims[(kind, name)] = _Claim(scope, release)

        def give_back() -> None:
            # A construct that fails to be made creates nothing: a retry may take the name.
            del claims[(kind, name)]

        undo_if_construction_fails(give_back)
        return
    clash = (
        f"both would create the cluster-scoped {kind} {name!r}, and deleting either's app "
        "would delete the other's"
    )
    if field is None:
        raise invalid(
            scope,
            "release",
            release,
            f"must differ from that of {other.construct.node.path} (in namespace "
            f"{chart_namespace(other.construct)!r}): {clash} (or {share})",
        )
    raise invalid(
        scope,
        field,
        name,
        f"must differ from that of {other.construct.node.path} (release "
        f"{other.release!r}): {clash} (or {share})",
    )
