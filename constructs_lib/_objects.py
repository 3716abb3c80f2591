"""Create Kubernetes objects from plain manifests.

Specs are written as dicts so that fields newer than cdk8s-plus-28's typed API (the 1.30
``sleep`` action, 1.31 ``trafficDistribution``) can be emitted when the target version has them.
The returned ``ApiObject`` is the escape hatch (``add_json_patch``).
"""

from __future__ import annotations

from typing import Any

import cdk8s
from constructs import Construct

__all__ = ["api_object"]


def api_object(
    scope: Construct,
    id: str,
    *,
    api_version: str,
    kind: str,
    name: str,
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
    **body: Any,
) -> cdk8s.ApiObject:
    obj = cdk8s.ApiObject(
        scope,
        id,
        api_version=api_version,
        kind=kind,
        metadata=cdk8s.ApiObjectMetadata(name=name, labels=labels, annotations=annotations),
    )
    for key, value in body.items():
        if value is not None:
            obj.add_json_patch(cdk8s.JsonPatch.add(f"/{key}", value))
    return obj
