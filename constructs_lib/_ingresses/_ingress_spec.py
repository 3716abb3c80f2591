"""What the Kubernetes Ingresses before the proxy share: the proxy they route to, and the
Ingress object itself (one Prefix path per host, a TLS section when a Secret is given)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from constructs import Construct

from constructs_lib._core._companions import claim_companion
from constructs_lib._core._errors import invalid
from constructs_lib._core._names import APP_LABEL
from constructs_lib._core._objects import ObjectSpec, object_spec
from constructs_lib._proxies._flows import IngressTarget
from constructs_lib._proxies._proxy_checks import ingress_target
from constructs_lib._proxies.interfaces import IProxy

__all__ = ["ingress_spec", "proxy_backend"]


def proxy_backend(scope: Construct, proxy: object) -> dict[str, Any]:
    """The backend of the proxy's public port, after checking ``proxy`` is one this
    Ingress may front (one ingress per hub)."""
    if not isinstance(proxy, IProxy):
        raise invalid(scope, "proxy", proxy, "must be a proxy (an IProxy such as CHProxy)")
    claim_companion(scope, proxy.hub, field="proxy")
    target: IngressTarget = ingress_target(scope, proxy)
    return {"service": {"name": target.service_name, "port": {"name": target.port_name}}}


def ingress_spec(
    construct_id: str,
    *,
    name: str,
    release: str,
    ingress_class: str,
    tls_secret: str | None,
    rules: Sequence[tuple[str, str]],
    backend: dict[str, Any],
    annotations: dict[str, str] | None = None,
) -> ObjectSpec:
    """An Ingress sending each ``(host, path)`` of ``rules`` (a Prefix path) to ``backend``;
    its TLS section names every host, with ``tls_secret``, if one is given."""
    return object_spec(
        construct_id,
        api_version="networking.k8s.io/v1",
        kind="Ingress",
        name=name,
        labels={APP_LABEL: release},
        annotations=annotations,
        spec={
            "ingressClassName": ingress_class,
            "tls": [{"hosts": [host for host, _ in rules], "secretName": tls_secret}]
            if tls_secret
            else None,
            "rules": [
                {
                    "host": host,
                    "http": {"paths": [{"path": at, "pathType": "Prefix", "backend": backend}]},
                }
                for host, at in rules
            ],
        },
    )
