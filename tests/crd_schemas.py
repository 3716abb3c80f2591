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
    schemas[("networking.istio.io/v1", "ServiceEntry")] = _strict(_SERVICE_ENTRY)
    return schemas


# ServiceEntry's CRD is not among the vendored files (crds/README.md): its spec as Istio's
# reference documents it (istio.io/latest/docs/reference/config/networking/service-entry/),
# limited to the fields and values the constructs may set; anything else is rejected.
_SERVICE_ENTRY = {
    "type": "object",
    "required": ["spec"],
    "properties": {
        "spec": {
            "type": "object",
            "required": ["hosts"],
            "properties": {
                "hosts": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                "exportTo": {"type": "array", "items": {"type": "string"}},
                "location": {"enum": ["MESH_EXTERNAL", "MESH_INTERNAL"]},
                "resolution": {"enum": ["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"]},
                "ports": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["number", "protocol", "name"],
                        "properties": {
                            "number": {"type": "integer", "minimum": 1, "maximum": 65535},
                            "protocol": {
                                "enum": ["HTTP", "HTTPS", "HTTP2", "GRPC", "TLS", "TCP", "MONGO"]
                            },
                            "name": {"type": "string"},
                            "targetPort": {"type": "integer"},
                        },
                    },
                },
            },
        }
    },
}


def _strict(schema: Any) -> Any:
    """Reject unknown fields where the CRD lists the fields (Kubernetes would prune them)."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: _strict(value) for key, value in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        result["additionalProperties"] = False
    return result


def is_custom(manifest: dict[str, Any]) -> bool:
    """A kind of a CRD: one of crds/ (Gateway API's group ends in .k8s.io, yet it is no
    built-in kind), or any other group outside Kubernetes' own."""
    group = manifest["apiVersion"].split("/")[0]
    if group in _crd_groups():
        return True
    return group.endswith(".io") and not group.endswith(".k8s.io")


@cache
def _crd_groups() -> frozenset[str]:
    return frozenset(api_version.split("/")[0] for api_version, _ in crd_schemas())


def validate_custom(manifest: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` (or ``KeyError`` for a kind with no CRD here)."""
    schema = crd_schemas()[(manifest["apiVersion"], manifest["kind"])]
    # apiVersion, kind and metadata are the API server's to check, not the CRD schema's.
    envelope = {"apiVersion", "kind", "metadata"}
    body = {k: v for k, v in manifest.items() if k not in envelope}
    jsonschema.validate(
        body,
        {
            **schema,
            "properties": {
                k: v for k, v in schema.get("properties", {}).items() if k not in envelope
            },
        },
    )
