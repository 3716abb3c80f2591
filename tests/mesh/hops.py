"""One verdict per hop: routed by the source's sidecar (or the ingress gateway), then admitted
by the destination's sidecar (``tests.mesh.routing`` and ``tests.mesh.authz``, Istio 1.30.3).
A Service load-balances over all its endpoints, so every one must admit the request."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.mesh.authz import Request, admit, authorize, custom_checks
from tests.mesh.objects import Mesh, Service, ServiceEntry, Workload
from tests.mesh.routing import HTTP, Outbound, ingress, outbound

__all__ = ["Verdict", "check", "check_ingress", "target_port"]


@dataclass(frozen=True)
class Verdict:
    """``allowed``: the request reaches ``destination`` (a workload behind ``service``) or
    the external ``entry``; ``reason`` says which rule decided, at each side."""

    allowed: bool
    reason: str
    service: Service | None = None
    entry: ServiceEntry | None = None
    destination: Workload | None = None
    # The CUSTOM policies at the ingress gateway that send the request to their provider.
    checked_by: tuple[str, ...] = ()
    # What the gateway's route removes from the request (lower case), and its retries.
    removed_headers: tuple[str, ...] = ()
    retries: Mapping[str, Any] | None = None
    # The Location of the redirect the gateway answers with, if it answers with one.
    redirect: str | None = None


def target_port(service: Service, port: int, workload: Workload) -> int | None:
    """The workload (container) port a Service port forwards to: ``targetPort`` by number or
    by container port name, and the ``port`` itself when unset (Kubernetes 1.33
    ``ServicePort.targetPort``, core/v1/types.go of kubernetes/api v0.33.13: "If this is a
    string, it will be looked up as a named port in the target Pod's container ports. If this
    is not specified, the value of the 'port' field is used"; tests.mesh.objects applies that
    default)."""
    declared = service.port(port)
    if declared is None:
        return None
    if isinstance(declared.target_port, int):
        return declared.target_port
    if declared.target_port.isdigit():
        return int(declared.target_port)
    return workload.ports.get(declared.target_port)


def _deliver(mesh: Mesh, route: Outbound, principal: str, request: Request) -> Verdict:
    if not route.routed:
        return Verdict(False, route.reason)
    if route.entry is not None:
        return Verdict(True, route.reason, entry=route.entry)
    service = route.service
    if service is None or route.port is None:
        return Verdict(True, f"{route.reason} (outside the registry)")
    endpoints = mesh.endpoints(service)
    if not endpoints:
        return Verdict(False, f"{route.reason}; {service.hostname} selects no workload")
    http = request if route.protocol == HTTP else None
    reasons = []
    for workload in endpoints:  # every endpoint must admit it: any may get the request
        port = target_port(service, route.port, workload)
        if port is None:
            return Verdict(
                False,
                f"{route.reason}; {service.hostname}:{route.port} names no port of {workload.name}",
            )
        allowed, why = admit(
            mesh, workload, port, mtls=route.mtls, principal=principal, request=http
        )
        if not allowed:
            return Verdict(
                False,
                f"{route.reason}; at {workload.name}: {why}",
                service=service,
                destination=workload,
            )
        reasons.append(f"at {workload.name}: {why}")
    return Verdict(
        True, "; ".join([route.reason, *reasons]), service=service, destination=endpoints[0]
    )


def check(mesh: Mesh, source: Workload, url: str, request: Request) -> Verdict:
    """A hop from a pod of ``source`` that dialled ``url`` and sent ``request``."""
    return _deliver(mesh, outbound(mesh, source, url, request.host), source.principal, request)


def check_ingress(
    mesh: Mesh, gateway: Workload, request: Request, port: int, workload_port: int | None = None
) -> Verdict:
    """A hop from the ingress gateway workload, for a request that reached it on ``port`` (its
    Gateway server's), which its pod listens on as ``workload_port`` (default the same, as
    with Istio's gateway chart). First the gateway's own AuthorizationPolicies, on the pod's
    port as Istio matches them there, for a client from outside the mesh (no principal):
    CUSTOM ones report the check in ``checked_by``, DENY and ALLOW ones can refuse it. Then
    routing, and the destination's policies."""
    listening = port if workload_port is None else workload_port
    checked_by = custom_checks(mesh, gateway, listening, None, request)
    allowed, why = authorize(mesh, gateway, listening, None, request)
    if not allowed:
        return Verdict(False, f"at the gateway: {why}", checked_by=checked_by)
    route = ingress(mesh, gateway, request.host, request.path, port, request.method)
    verdict = _deliver(mesh, route, gateway.principal, request)
    return dataclasses.replace(
        verdict,
        checked_by=checked_by,
        removed_headers=route.removed_headers,
        retries=route.retries,
        redirect=route.redirect,
    )
