"""The constructs made for one hub (its policies, quota, ingress): in the hub's namespace, and
one of each kind per hub.

Their objects land in their own chart's namespace and select the hub's pods by label, so one
made in a chart of another namespace would serve or protect nothing; a second one of the same
kind would emit the same objects (kind, namespace, name) again.
"""

from __future__ import annotations

from collections.abc import Iterator

from constructs import Construct

from constructs_lib._core._construct import undo_if_construction_fails
from constructs_lib._core._errors import invalid
from constructs_lib._core._placement import chart_namespace, ref

__all__ = ["claim_companion", "companions", "profile_readers"]

# Hub (jsii reference) -> the constructs made for it, in order (jsii never frees a hub either).
_companions: dict[str, list[Construct]] = {}
# The jsii references of the companions derived from their hub's profiles.
_readers: set[str] = set()


def claim_companion(
    construct: Construct, hub: object, *, field: str, reads_profiles: bool = False
) -> None:
    """Record that ``construct`` is made for ``hub`` (given as ``field``): refused when its
    chart's namespace is not the hub's, or when one of its kind is already made for the hub.
    ``reads_profiles``: it is derived from the hub's profiles (``add_profile`` then refuses)."""
    if not isinstance(hub, Construct):
        return  # a hub of another library: nothing here knows where it lands
    namespace, hub_namespace = chart_namespace(construct), chart_namespace(hub)
    if namespace != hub_namespace:
        raise invalid(
            construct,
            "namespace",
            namespace,
            f"must be {hub_namespace!r}, the namespace of the chart of {hub.node.path} (its "
            f"{field}): its objects would land in another namespace and serve nothing; make it "
            "in a chart of the hub's namespace",
        )
    made = _companions.setdefault(ref(hub), [])
    for other in made:
        if type(other) is type(construct):
            raise invalid(
                construct,
                field,
                hub.node.path,
                f"must be a hub no {type(construct).__name__} is made for yet: "
                f"{other.node.path} is, and both would create the same objects",
            )
    made.append(construct)
    # A constructor failing after this line must not keep the hub taken (a retry is no twin).
    undo_if_construction_fails(lambda: made.remove(construct))
    if reads_profiles:
        _readers.add(ref(construct))
        undo_if_construction_fails(lambda: _readers.discard(ref(construct)))


def profile_readers(hub: Construct) -> Iterator[Construct]:
    """The constructs made for ``hub`` from its profiles."""
    for construct in _companions.get(ref(hub), ()):
        if ref(construct) in _readers:
            yield construct


def companions(hub: Construct) -> tuple[Construct, ...]:
    """The constructs made for ``hub`` so far, in order."""
    return tuple(_companions.get(ref(hub), ()))
