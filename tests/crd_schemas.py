"""Validate custom resources against the openAPIV3Schema of the project's CRD files."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema
import yaml

from tests.conftest import ROOT


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """``(apiVersion, kind) -> schema`` for every served version in crds/."""
    schemas = {}
    for path in sorted((ROOT / "crds").glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd:
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    schema = _strict(version["schema"]["openAPIV3Schema"])
                    schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


def _strict(schema: Any) -> Any:
    """Reject unknown fields where the CRD lists the fields (Kubernetes would prune them)."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: _strict(value) for key, value in schema.items()}
    if ("properties" in schema and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")):
        result["additionalProperties"] = False
    return result


def is_custom(manifest: dict[str, Any]) -> bool:
    group = manifest["apiVersion"].split("/")[0]
    return group.endswith(".io") and not group.endswith(".k8s.io")


def validate_custom(manifest: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` (or ``KeyError`` for a kind with no CRD here)."""
    schema = crd_schemas()[(manifest["apiVersion"], manifest["kind"])]
    # apiVersion, kind and metadata are the API server's to check, not the CRD schema's.
    envelope = {"apiVersion", "kind", "metadata"}
    body = {k: v for k, v in manifest.items() if k not in envelope}
    jsonschema.validate(body, {**schema, "properties": {
        k: v for k, v in schema.get("properties", {}).items() if k not in envelope}})
