"""Validate manifests against Kubernetes' strict schemas (kubernetes-validate's)."""

from __future__ import annotations

from functools import cache
from typing import Any

import kubernetes_validate
from kubernetes_validate import utils

__all__ = ["validate_strictly"]

# kubernetes-validate reads and parses a kind's schema and the 1.5 MB file of definitions it
# refers to on every call, nine tenths of a call's time: each file is parsed once per run
# instead (jsonschema never modifies a schema it is given).
utils.schema_contents = cache(utils.schema_contents)


def validate_strictly(manifest: dict[str, Any], version: object) -> None:
    """Raise ``kubernetes_validate.ValidationError`` unless ``manifest`` is valid for the
    Kubernetes ``version`` (a ``KubernetesVersion`` or "1.33"), unknown fields refused."""
    kubernetes_validate.validate(manifest, str(version), strict=True)
