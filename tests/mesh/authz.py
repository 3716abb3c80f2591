"""What the destination's sidecar admits: PeerAuthentication, then AuthorizationPolicies.

Written from Istio 1.30's reference (istio.io/v1.30/docs/reference/config/security/
authorization-policy/ and peer_authentication/, generated from istio/api's
security/v1beta1 protos of that release) and istio/istio 1.30.3's source where cited:

- PeerAuthentication: composed as ``peer_mode`` says (``ComposePeerAuthentication``);
  ``portLevelMtls`` is by workload port. ``STRICT`` refuses plaintext.
- Policies apply to a workload when in its namespace with a selector matching it (or none),
  or in the root namespace. CUSTOM is evaluated first, then DENY, then ALLOW (the filter
  order ``Builder.build`` makes in pilot/pkg/security/authz/builder/builder.go): "If there
  are no ALLOW policies for the workload, allow the request. If any of the ALLOW policies
  match the request, allow the request. Deny the request."
- A rule matches when at least one ``from`` source, one ``to`` operation (each: all fields)
  match; a missing ``from``/``to`` matches anything. A list matches when one value does:
  exact ``abc``, prefix ``abc*`` (matches ``abc`` and ``abcd``), suffix ``*abc``, presence
  ``*`` (any non-empty value). So ``/hub/api/*`` matches ``/hub/api/`` and ``/hub/api/x`` but
  not ``/hub/api``.
- ``principals`` and ``namespaces`` come from the peer certificate: without mTLS they are
  empty and match nothing. ``ports`` are the workload's (container) ports.
- ``hosts``, ``methods``, ``paths`` (and ``requestPrincipals``) exist only for HTTP. On TCP
  an ALLOW rule using them never matches; for DENY (and CUSTOM, which ``Builder`` builds with
  the RBAC DENY action) the fields are dropped and the rest of the rule applies, "missing
  attributes are treated as matches" (pilot/pkg/security/authz/model/model.go
  ``rule.checkError``: "a wider deny ... policy"; the TCP-traffic task,
  istio.io/v1.30/docs/tasks/security/authorization/authz-tcp/).
- Paths are matched after Istio's default normalization (``tests.mesh.paths``: dot
  segments resolved, escaped slashes kept) and without the query string (Envoy's
  ``PathMatcher``).

CUSTOM policies delegate to an external provider, which the model cannot evaluate: a request
they match is reported as delegated, and the rest of the decision stands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.mesh.objects import (
    ROOT_NAMESPACE,
    AuthorizationPolicy,
    Mesh,
    PeerAuthentication,
    Workload,
    selects,
)
from tests.mesh.paths import normalized_path

__all__ = ["Request", "admit", "authorize", "custom_checks", "peer_mode", "string_match"]

_HTTP_ONLY = {
    "hosts",
    "notHosts",
    "methods",
    "notMethods",
    "paths",
    "notPaths",
    "requestPrincipals",
    "notRequestPrincipals",
}


@dataclass(frozen=True)
class Request:
    """An HTTP request as it is sent on one hop."""

    method: str
    host: str
    path: str  # as sent, with any query string


def string_match(pattern: str, value: str | None, *, ignore_case: bool = False) -> bool:
    """Istio's string match: exact, prefix ``abc*``, suffix ``*abc``, presence ``*``
    (``matcher.HeaderMatcher``, pilot/pkg/security/authz/matcher/header.go, Istio 1.30.3).
    ``hosts`` use ``matcher.HostMatcher`` there: the same four forms, case-insensitive, on
    the whole ``:authority`` header, so a Host with a port (``h:443``) matches neither ``h``
    nor ``*.example.org``-style suffixes of ``h`` but only ``h:*`` or ``h:443``."""
    if value is None or value == "":
        return False
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return value == pattern


def _any(patterns: Iterable[str], value: str | None, *, ignore_case: bool = False) -> bool:
    return any(string_match(p, value, ignore_case=ignore_case) for p in patterns)


def peer_mode(mesh: Mesh, workload: Workload, port: int) -> str:
    """The mTLS mode the workload's sidecar applies on ``port``: Istio 1.30.3
    pilot/pkg/security/authn/policy_applier.go ``ComposePeerAuthentication``. A policy
    without ``matchLabels`` is its namespace's (the mesh's in the root namespace); one with
    them is the workload's, except in the root namespace, where it is ignored. Starting from
    PERMISSIVE, the mesh's, the namespace's and the workload's mode each replace the one
    before unless UNSET; ``portLevelMtls`` counts only on the workload's policy, an UNSET
    port taking the mode so composed. Of several at one level the oldest counts (here, the
    first given)."""

    def first(policies: list[PeerAuthentication]) -> PeerAuthentication | None:
        return policies[0] if policies else None

    root = ROOT_NAMESPACE
    mesh_level = first(
        [p for p in mesh.peer_authentications if p.namespace == root and not p.selector]
    )
    namespace_level = first(
        [
            p
            for p in mesh.peer_authentications
            if p.namespace == workload.namespace != root and not p.selector
        ]
    )
    workload_level = first(
        [
            p
            for p in mesh.peer_authentications
            if p.namespace == workload.namespace != root
            and p.selector
            and selects(p.selector, workload.labels)
        ]
    )
    mode = "PERMISSIVE"
    for policy in (mesh_level, namespace_level, workload_level):
        if policy is not None and policy.mode != "UNSET":
            mode = policy.mode
    if workload_level is not None and port in workload_level.port_modes:
        port_mode = workload_level.port_modes[port]
        return mode if port_mode == "UNSET" else port_mode
    return mode


def _path(path: str) -> str:
    # The normalized path (tests.mesh.paths), matched without its query: ``pathGenerator``
    # (pilot/pkg/security/authz/model/generator.go) emits matcher/string.go ``PathMatcher``,
    # Envoy's type.matcher.v3.PathMatcher, which matches the path with query and fragment
    # removed.
    return normalized_path(path).split("?", 1)[0]


def _namespace_of(principal: str | None) -> str | None:
    if principal is None:
        return None
    parts = principal.split("/")
    return parts[parts.index("ns") + 1] if "ns" in parts else None


def _source_matches(source: Mapping[str, Any], principal: str | None) -> bool:
    namespace = _namespace_of(principal)
    checks = [
        ("principals" not in source or _any(source["principals"], principal)),
        ("notPrincipals" not in source or not _any(source["notPrincipals"], principal)),
        ("namespaces" not in source or _any(source["namespaces"], namespace)),
        ("notNamespaces" not in source or not _any(source["notNamespaces"], namespace)),
        # No request authentication (JWT) in this mesh: the request principal is empty, so
        # requestPrincipals never match and notRequestPrincipals always do.
        ("requestPrincipals" not in source),
    ]
    return all(checks)


def _operation_matches(operation: Mapping[str, Any], port: int, request: Request | None) -> bool:
    checks = [
        ("ports" not in operation or str(port) in operation["ports"]),
        ("notPorts" not in operation or str(port) not in operation["notPorts"]),
    ]
    if request is not None:
        path = _path(request.path)
        checks += [
            ("hosts" not in operation or _any(operation["hosts"], request.host, ignore_case=True)),
            (
                "notHosts" not in operation
                or not _any(operation["notHosts"], request.host, ignore_case=True)
            ),
            ("methods" not in operation or _any(operation["methods"], request.method)),
            ("notMethods" not in operation or not _any(operation["notMethods"], request.method)),
            ("paths" not in operation or _any(operation["paths"], path)),
            ("notPaths" not in operation or not _any(operation["notPaths"], path)),
        ]
    return all(checks)


def _uses_http_fields(rule: Mapping[str, Any]) -> bool:
    return any(set(f["source"]) & _HTTP_ONLY for f in rule.get("from", [])) or any(
        set(t["operation"]) & _HTTP_ONLY for t in rule.get("to", [])
    )


def _rule_matches(
    rule: Mapping[str, Any], action: str, port: int, principal: str | None, request: Request | None
) -> bool:
    if request is None and action == "ALLOW" and _uses_http_fields(rule):
        return False  # an ALLOW rule with HTTP-only fields never matches TCP traffic
    sources = rule.get("from")
    operations = rule.get("to")
    return (not sources or any(_source_matches(f["source"], principal) for f in sources)) and (
        not operations or any(_operation_matches(t["operation"], port, request) for t in operations)
    )


def _applying(mesh: Mesh, workload: Workload) -> list[AuthorizationPolicy]:
    return [
        p
        for p in mesh.policies
        if (p.namespace == workload.namespace or p.namespace == ROOT_NAMESPACE)
        and selects(p.selector, workload.labels)
    ]


def admit(
    mesh: Mesh,
    workload: Workload,
    port: int,
    *,
    mtls: bool,
    principal: str | None,
    request: Request | None,
) -> tuple[bool, str]:
    """Whether ``workload``'s sidecar admits a connection on its ``port``: with Istio mTLS
    from ``principal`` (else plaintext), carrying ``request`` (None: TCP, no HTTP attributes).
    Returns the decision and why."""
    mode = peer_mode(mesh, workload, port)
    if not mtls and mode == "STRICT":
        return False, f"plaintext refused: PeerAuthentication STRICT on port {port}"
    return authorize(mesh, workload, port, principal if mtls else None, request)


def custom_checks(
    mesh: Mesh, workload: Workload, port: int, principal: str | None, request: Request | None
) -> tuple[str, ...]:
    """The CUSTOM policies at ``workload`` whose rules match the request on its ``port``:
    each sends the request to its provider before anything else."""
    return tuple(
        policy.name
        for policy in _applying(mesh, workload)
        if policy.action == "CUSTOM"
        and any(_rule_matches(r, "CUSTOM", port, principal, request) for r in policy.rules)
    )


def authorize(
    mesh: Mesh, workload: Workload, port: int, peer: str | None, request: Request | None
) -> tuple[bool, str]:
    """The AuthorizationPolicies of ``workload`` for a request on its ``port`` from ``peer``
    (the mTLS principal, None without): CUSTOM (reported as delegated), DENY, then ALLOW."""
    policies = _applying(mesh, workload)
    notes = [
        f"delegated to the CUSTOM provider of {name}"
        for name in custom_checks(mesh, workload, port, peer, request)
    ]
    for policy in policies:
        if policy.action == "DENY" and any(
            _rule_matches(r, "DENY", port, peer, request) for r in policy.rules
        ):
            return False, f"denied by DENY policy {policy.name}"
    allows = [p for p in policies if p.action == "ALLOW"]
    if not allows:
        return True, "; ".join([*notes, "no ALLOW policy selects the workload"])
    for policy in allows:
        for index, rule in enumerate(policy.rules):
            if _rule_matches(rule, "ALLOW", port, peer, request):
                return True, "; ".join([*notes, f"ALLOW policy {policy.name} rule {index}"])
    what = f"{request.method} {request.path}" if request is not None else "TCP"
    return False, (
        f"403 RBAC: no rule of ALLOW policies {[p.name for p in allows]} matches "
        f"{what} on port {port} from {peer or 'a peer without mTLS identity'}"
    )
