"""Validate custom resources against the openAPIV3Schema of the project's CRD files."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import jsonschema

from tests.support.manifests import ROOT, read_documents


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """``(apiVersion, kind) -> schema`` for every served version in crds/."""
    schemas = {}
    for path in sorted((ROOT / "crds").glob("*.yaml")):
        for crd in read_documents(path):
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    schema = _strict(version["schema"]["openAPIV3Schema"])
                    schemas[(f"{group}/{version['name']}", kind)] = schema
    schemas[("networking.istio.io/v1", "ServiceEntry")] = _strict(_SERVICE_ENTRY)
    return schemas


# ServiceEntry's CRD is not among the vendored files (crds/README.md): its spec as Istio's
# reference documents it (istio.io/v1.30/docs/reference/config/networking/service-entry/),
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
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and pattern.startswith("^(?i)"):
        # Go's regexp (the API server's) takes a flag group anywhere; Python's only first.
        result["pattern"] = "(?i)^" + pattern[len("^(?i)") :]
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
    """Raise ``jsonschema.ValidationError`` (or ``KeyError`` for a kind with no CRD here):
    the CRD's OpenAPI schema, then its CEL rules (``x-kubernetes-validations``) as the API
    server evaluates them on a create."""
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
            # Argo CD's Application and CloudNativePG's Cluster require metadata at the top, too.
            "required": [k for k in schema.get("required", []) if k not in envelope],
        },
    )
    problems = _cel_problems(schema, _defaulted(schema, copy.deepcopy(body)), "")
    if problems:
        raise jsonschema.ValidationError("; ".join(problems))


# CEL's reserved words; a property so named is reached as __<word>__ in a rule (Kubernetes
# "Validation rules": escaping of property names).
_CEL_RESERVED = {
    *("true", "false", "null", "in", "as", "break", "const", "continue", "else", "for"),
    *("function", "if", "import", "let", "loop", "package", "namespace", "return", "var"),
    *("void", "while"),
}


def _escaped(name: str) -> str:
    if name in _CEL_RESERVED:
        return f"__{name}__"
    for plain, escape in (("__", "__underscores__"), (".", "__dot__"), ("-", "__dash__")):
        name = name.replace(plain, escape)
    return name.replace("/", "__slash__")


def defaulted(manifest: dict[str, Any]) -> dict[str, Any]:
    """A custom resource as the API server stores it: its CRD's defaults filled in."""
    schema = crd_schemas()[(manifest["apiVersion"], manifest["kind"])]
    envelope = {"apiVersion", "kind", "metadata"}
    body = {k: v for k, v in copy.deepcopy(manifest).items() if k not in envelope}
    return {**manifest, **_defaulted(schema, body)}


def _defaulted(schema: dict[str, Any], value: Any) -> Any:
    """The API server fills in each absent field's ``default`` before it validates."""
    if isinstance(value, dict) and "properties" in schema:
        for name, sub in schema["properties"].items():
            if name not in value and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
            if name in value:
                value[name] = _defaulted(sub, value[name])
    elif isinstance(value, list) and "items" in schema:
        value = [_defaulted(schema["items"], item) for item in value]
    return value


def _cel_value(schema: dict[str, Any], value: Any) -> Any:
    """``value`` as a rule sees it: an object's fields by their escaped names."""
    if isinstance(value, dict) and "properties" in schema:
        properties = schema["properties"]
        return {_escaped(k): _cel_value(properties.get(k, {}), v) for k, v in value.items()}
    if isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        return {k: _cel_value(schema["additionalProperties"], v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cel_value(schema.get("items", {}), item) for item in value]
    return value


@cache
def _program(rule: str) -> Any:
    import celpy

    environment = celpy.Environment()
    return environment.program(environment.compile(rule))


def _cel_problems(schema: dict[str, Any], value: Any, path: str) -> list[str]:
    """Every rule that does not hold, at every node of ``value`` that has rules. Transition
    rules (those reading ``oldSelf``) do not apply to a create."""
    from celpy.adapter import json_to_cel
    from celpy.celtypes import BoolType
    from celpy.evaluation import CELEvalError

    problems = []
    for rule in schema.get("x-kubernetes-validations", []):
        if "oldSelf" in rule["rule"]:
            continue
        try:
            result = _program(rule["rule"]).evaluate(
                {"self": json_to_cel(_cel_value(schema, value))}
            )
        except CELEvalError as error:
            result = error
        # A rule holds only if it yields true: an error (a field it reads is absent) fails.
        if not (isinstance(result, BoolType) and result):
            problems.append(f"{path or '.'}: {rule.get('message', rule['rule'])}")
    if isinstance(value, dict):
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                problems += _cel_problems(sub, value[name], f"{path}.{name}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and "properties" not in schema:
            for name, item in value.items():
                problems += _cel_problems(extra, item, f"{path}[{name!r}]")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += _cel_problems(schema["items"], item, f"{path}[{index}]")
    return problems
