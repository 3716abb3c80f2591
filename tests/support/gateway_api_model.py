"""Which rule of an HTTPRoute a request takes and which headers it removes, by Gateway API
v1.6.1 (the CRDs of ``crds/gateway-api.yaml``, whose field descriptions are the spec):

- ``HTTPPathMatch`` ``PathPrefix`` matches whole path elements, a trailing ``/`` ignored:
  ``/hub`` matches ``/hub`` and ``/hub/…``, never ``/hubx``.
- Among the rules whose matches fit, precedence goes to the ``PathPrefix`` match with the
  largest number of characters, whatever the rules' order (``HTTPRouteSpec.rules``).
- ``RequestHeaderModifier.remove`` drops headers by name, case-insensitively, before the
  request goes to the backend.

Only ``PathPrefix`` matches and ``RequestHeaderModifier`` filters are read: anything else in
a rule is refused rather than skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["prefix_matches", "removed_headers", "rule_for"]


def prefix_matches(prefix: str, path: str) -> bool:
    """Gateway API ``PathPrefix``: whole path elements, a trailing "/" ignored."""
    prefix = prefix.rstrip("/")
    bare = path.split("?", 1)[0]
    return prefix == "" or bare == prefix or bare.startswith(f"{prefix}/")


def rule_for(http_route: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """The rule a request for ``path`` takes: the longest matching ``PathPrefix``."""
    candidates = []
    for rule in http_route["spec"]["rules"]:
        for match in rule["matches"]:
            if set(match) != {"path"} or match["path"]["type"] != "PathPrefix":
                raise ValueError(f"match {match} is not modelled")
            if prefix_matches(match["path"]["value"], path):
                candidates.append((len(match["path"]["value"]), rule))
    if not candidates:
        raise LookupError(f"no rule of {http_route['metadata']['name']} for {path}")
    chosen: Mapping[str, Any] = max(candidates, key=lambda candidate: candidate[0])[1]
    return chosen


def removed_headers(rule: Mapping[str, Any]) -> set[str]:
    """The headers (lower case) a rule's ``RequestHeaderModifier`` filters remove."""
    removed = set()
    for item in rule.get("filters", []):
        modifier = item.get("requestHeaderModifier") or {}
        if item["type"] != "RequestHeaderModifier" or set(modifier) - {"remove"}:
            raise ValueError(f"filter {item} is not modelled")
        removed |= {name.lower() for name in modifier.get("remove", [])}
    return removed
