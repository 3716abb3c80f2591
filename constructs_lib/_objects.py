"""Create Kubernetes objects from plain manifests.

Specs are written as dicts so that fields newer than cdk8s-plus-28's typed API (the 1.30
``sleep`` action, 1.31 ``trafficDistribution``) can be emitted when the target version has them.
The returned ``ApiObject`` is the escape hatch (``add_json_patch``).

Each object is created in one call to jsii's Node.js process (a ``Manifest``, the
``cdk8s.ApiObject`` of jsii/manifest/index.ts): building the body there, one JSON patch per
key, keeps the output what ``add_json_patch`` per key made, without a round trip per key. The
names of the objects made here are kept on this side, so reading them back costs nothing.
"""

from __future__ import annotations

from typing import Any

import cdk8s
from constructs import Construct

from constructs_lib._imports.manifest import Manifest
from constructs_lib._placement import ref

__all__ = ["api_object", "kind_of", "name_of", "sorted_keys"]

# What api_object made, by jsii reference: each object's kind and name (neither can change
# after creation; jsii never frees an object, so neither does this).
_known: dict[str, tuple[str, str]] = {}


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
    whatever the chart's namespace."""
    obj: cdk8s.ApiObject = Manifest(
        scope,
        id,
        api_version=api_version,
        kind=kind,
        metadata=cdk8s.ApiObjectMetadata(
            name=name, namespace=namespace, labels=labels, annotations=annotations
        ),
        body={key: value for key, value in body.items() if value is not None},
        cluster_scoped=cluster_scoped,
    )
    _known[ref(obj)] = (kind, name)
    return obj


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
