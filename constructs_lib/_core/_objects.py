"""Create Kubernetes objects from plain manifests.

Specs are written as dicts so that fields newer than cdk8s-plus-28's typed API (the 1.30
``sleep`` action, 1.31 ``trafficDistribution``) can be emitted when the target version has them.
The returned ``ApiObject`` is the escape hatch (``add_json_patch``).

Objects are created in one call to jsii's Node.js process per call of :func:`api_objects` (as
``Manifest`` objects, the ``cdk8s.ApiObject`` of jsii/manifest/index.ts), as JSON text: building the
body there, one JSON patch per key, keeps the output what ``add_json_patch`` per key made,
without a round trip per key or per object. The names of the objects made here are kept on
this side, so reading them back costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import field
from typing import Any

import cdk8s
from constructs import Construct
from jsii._reference_map import register_reference

from constructs_lib._core._errors import invalid
from constructs_lib._core._placement import ref
from constructs_lib._imports.manifest import Manifest
from hub_runtime.frozen import frozen

__all__ = [
    "ObjectSpec",
    "api_object",
    "api_objects",
    "kind_of",
    "manifests_of",
    "name_of",
    "object_spec",
    "sorted_keys",
]

# What api_object made, by jsii reference: each object's kind and name (neither can change
# after creation; jsii never frees an object, so neither does this).
_known: dict[str, tuple[str, str]] = {}


@frozen
class ObjectSpec:
    """One object for :func:`api_objects`: the arguments of :func:`api_object`."""

    id: str
    api_version: str
    kind: str
    name: str
    labels: dict[str, str]
    annotations: dict[str, str] | None = None
    namespace: str | None = None
    cluster_scoped: bool = False
    body: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "apiVersion": self.api_version,
            "kind": self.kind,
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": self.labels,
                "annotations": self.annotations,
            },
            "body": self.body,
            "clusterScoped": self.cluster_scoped,
        }


def object_spec(
    id: str,
    *,
    api_version: str,
    kind: str,
    name: str,
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
    namespace: str | None = None,
    cluster_scoped: bool = False,
    **body: Any,
) -> ObjectSpec:
    """An object for :func:`api_objects`, written as a call of :func:`api_object` is."""
    return ObjectSpec(
        id, api_version, kind, name, labels, annotations, namespace, cluster_scoped, body
    )


def api_objects(scope: Construct, specs: Sequence[ObjectSpec]) -> list[cdk8s.ApiObject]:
    """The objects in ``scope``, in the order given, made in one call to jsii's Node.js
    process. Their bodies cross as JSON text: a mapping would be walked value by value on
    both sides of jsii's pipe, and that cost more than all else a create does."""
    made: list[cdk8s.ApiObject] = Manifest.many(
        scope, "[" + ",".join(_json(scope, s) for s in specs) + "]"
    )
    for obj, s in zip(made, specs, strict=True):
        _known[ref(obj)] = (s.kind, s.name)
        # jsii gives a fresh Python object each time it returns one Node.js made, unless it is
        # registered: find_child and ApiObject.of then return this one, as they return the
        # Python object of one made from Python.
        register_reference(obj)
    return made


def _json(scope: Construct, spec: ObjectSpec) -> str:
    try:
        return json.dumps(spec.to_json(), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        # A value from the caller's options that no manifest can hold (a set, NaN...).
        raise invalid(
            scope, f"{spec.kind} {spec.name}", error, "must hold JSON values only"
        ) from None


def api_object(
    scope: Construct,
    id: str,
    *,
    api_version: str,
    kind: str,
    name: str,
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
    namespace: str | None = None,
    cluster_scoped: bool = False,
    **body: Any,
) -> cdk8s.ApiObject:
    """``namespace``: other than the chart's; ``cluster_scoped``: no ``metadata.namespace``,
    whatever the chart's namespace. Several objects in one scope: :func:`api_objects`."""
    one = ObjectSpec(
        id, api_version, kind, name, labels, annotations, namespace, cluster_scoped, body
    )
    return api_objects(scope, [one])[0]


def manifests_of(scopes: Sequence[Construct], kinds: Iterable[str]) -> list[dict[str, Any]]:
    """``to_json()`` of every ApiObject under ``scopes`` (preorder, as ``node.find_all()``)
    whose kind is one of ``kinds``: their final manifests, patches applied. One call to jsii's
    Node.js process, as JSON text: each ``to_json()`` would be a call, its result walked value
    by value across jsii's pipe."""
    return json.loads(Manifest.manifests_of(list(scopes), sorted(kinds)))  # type: ignore[no-any-return]


def name_of(obj: cdk8s.ApiObject) -> str:
    """``obj.name``, without asking jsii when ``api_object`` made the object."""
    known = _known.get(ref(obj))
    return known[1] if known is not None else obj.name


def kind_of(obj: cdk8s.ApiObject) -> str:
    """``obj.kind``, without asking jsii when ``api_object`` made the object."""
    known = _known.get(ref(obj))
    return known[0] if known is not None else obj.kind


def sorted_keys(value: Any) -> Any:
    """``value`` with every mapping's keys sorted and its None values left out: what cdk8s
    renders of an ApiObject's props, and so what its typed CRD bindings emitted."""
    if isinstance(value, dict):
        return {k: sorted_keys(v) for k, v in sorted(value.items()) if v is not None}
    if isinstance(value, list | tuple):
        return [sorted_keys(item) for item in value]
    return value
