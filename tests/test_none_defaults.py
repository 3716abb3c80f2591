"""No prop takes ``None`` to mean its default: a default that is a value is written in the
field, one derived from other values is a ``Derived`` member. ``None`` stays only where it
means an absence (no TLS, no weight, no limit, Kubernetes' own unset field) or that a
lower level's value stands (a choice keeps its profile's), each listed here with that
meaning, so a new ``None`` default is a decision made on purpose.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator
from typing import Any

import constructs_lib

NONE_MEANS = {
    "HubOptions.scale": "no scale preset",
    "JupyterHub(expected_users)": "no scale preset",
    "TraefikProxyOptions.routes": "none chosen: refused (Traefik needs a RedisRouteStore)",
    "TraefikProxyOptions.sidecar": "no sidecar (the only choice: a mesh is refused)",
    "AuthProxyIngress(tls_secret)": "no TLS section",
    "GatewayApiIngress(jupyterhub)": "given proxy instead (one of the two)",
    "GatewayApiIngress(proxy)": "given jupyterhub instead (one of the two)",
    "GatewayApiIngress(route_namespace)": "the route in the app's namespace (none set on it)",
    "GatewayApiIngress(tls)": "the listeners' certificate not known here (nothing to check)",
    "GatewayRef.section_name": "every listener of the Gateway (Kubernetes' unset field)",
    "HeaderTrust.jwt": "trust the header as is (no JWT)",
    "HeaderTrust.jwt_proof(jwks_url)": "public_key instead (one of the two)",
    "HeaderTrust.jwt_proof(public_key)": "jwks_url instead (one of the two)",
    "CloudNativePgCluster(storage_class)": "no storageClass (the cluster's default class)",
    "HubCertificate(namespace)": "the chart's namespace",
    "HubDatabase.backup_claim": "SQLite's copies on the hub's own volume (no claim of theirs)",
    "HubDatabase.cluster": "a server outside the app (no CloudNativePgCluster)",
    "HubDatabase.host": "given in the url instead (or SQLite: no host)",
    "HubDatabase.password_secret": "SQLite: no password",
    "HubDatabase.postgresql(host)": "url instead (one of the two)",
    "HubDatabase.postgresql(ssl_mode)": "no sslmode in the URL (libpq's own default)",
    "HubDatabase.postgresql(url)": "host instead (one of the two)",
    "HubDatabase.sqlite(backup_claim)": "the copies on the hub's own volume (no claim of theirs)",
    "HubLimits.max_named_servers": "no limit of the proxy's",
    "HubLimits.proxy_class": "no proxy_class set: the hub runtime's client for CHP's API",
    "HubLimits.virtual_services": "routes go to the proxy's API (the hub writes none)",
    "HubNetworkPolicies(jupyterhub)": "given proxy instead (one of the two)",
    "HubNetworkPolicies(proxy)": "given jupyterhub instead (one of the two)",
    "HubNetworkPolicies(telepresence_port)": "no telepresence port opened",
    "HubOptions.metrics_token": "no token: /hub/metrics open (for the scrape annotations)",
    "HubOptions.sidecar": "no sidecar",
    "HubOptions.storage_class": "no storageClassName (Kubernetes' default class)",
    "HubStatefulSet(authenticator)": "header_trust instead (one of the two)",
    "HubStatefulSet(header_trust)": "authenticator instead (one of the two)",
    "HubStatefulSet(user_hosts)": "no per-user hosts: servers are paths on the hub's hosts",
    "HubStatefulSet(user_service_account)": "no serviceAccountName: the namespace's default",
    "JupyterHub(user_hosts)": "no per-user hosts: servers are paths on the hub's hosts",
    "IstioIngress(ext_authz_provider)": "no external authorization",
    "IstioIngress(jupyterhub)": "given proxy instead (one of the two)",
    "IstioIngress(proxy)": "given jupyterhub instead (one of the two)",
    "IstioIngress(tls)": "HTTP only",
    "IstioTls.certificate": "credential_name alone (no certificate to check the hosts against)",
    "IstioTls.secret": "credential_name alone (no declared hosts to check)",
    "JupyterHub(authenticator)": "header_trust instead (one of the two)",
    "JupyterHub(header_trust)": "authenticator instead (one of the two)",
    "LdapLogin.bind_dn": "dn_templates instead (bind as the person)",
    "LdapLogin.bind_password": "no search account (with bind_dn)",
    "GoogleLogin.service_account_key": "no Google groups read (no key mounted)",
    "GoogleLogin.gsuite_administrator": "no Google groups read (no administrator acted as)",
    "NetworkPeer.namespace": "chosen by labels alone (no namespace named)",
    "NginxIngress(tls_secret)": "no TLS section",
    "NodeAffinityTerm.weight": "required, not preferred",
    "NotebookProfile(default_url)": "the hub-wide UserPods.default_url stands",
    "NotebookProfile(runtime_class_name)": "no runtimeClassName (the cluster's default)",
    "OidcLogin.auth_state_key": "no auth state kept",
    "PodAffinityTerm.apart_from(weight)": "required, not preferred",
    "PodAffinityTerm.together(weight)": "required, not preferred",
    "PodAffinityTerm.weight": "required, not preferred",
    "Prerequisite.build_command": "nothing to build",
    "Prerequisite.namespace": "in the app's namespace",
    "ProfileChoice.cpu_limit": "the profile's stands",
    "ProfileChoice.cpu_request": "the profile's stands",
    "ProfileChoice.default_url": "the profile's stands",
    "ProfileChoice.image": "the profile's stands",
    "ProfileChoice.memory_limit": "the profile's stands",
    "ProfileChoice.memory_request": "the profile's stands",
    "ProxyOptions.sidecar": "no sidecar",
    "Toleration.effect": "every effect (Kubernetes' unset field)",
    "Toleration.equal(effect)": "every effect (Kubernetes' unset field)",
    "Toleration.equal(toleration_seconds)": "tolerated for ever (Kubernetes' unset field)",
    "Toleration.exists(effect)": "every effect (Kubernetes' unset field)",
    "Toleration.exists(toleration_seconds)": "tolerated for ever (Kubernetes' unset field)",
    "Toleration.key": "every taint (Kubernetes' unset field)",
    "Toleration.toleration_seconds": "tolerated for ever (Kubernetes' unset field)",
    "Toleration.value": "no value (Kubernetes' unset field)",
    "UserPods.default_url": "the server's own",
    "UserPods.prometheus_port": "not scraped",
    "UserPods.scheduler": "the cluster's default scheduler",
    "UserPods.sidecar": "no sidecar",
    "UserPriority.reason": "created by the app (an existing class says where it is from)",
    "UserPriority.value": "an existing class (the cluster's value)",
    "UserVolume.claim": "not a claim",
    "UserVolume.host_path": "not a host path",
    "UserVolume.host_path_volume(owner)": "no chown",
    "UserVolume.host_path_volume(sub_path)": "the whole directory",
    "UserVolume.owner": "no chown",
    "UserVolume.persistent_claim(storage_class)": "no storageClassName (the default class)",
    "UserVolume.persistent_claim(sub_path)": "the whole claim",
    "UserVolume.sub_path": "the whole volume",
}


def _none_defaults() -> Iterator[str]:
    """Each public field and parameter whose default is None: ``Type.field``,
    ``Type(parameter)`` for a constructor's, ``Type.method(parameter)`` for a factory's."""
    for name in constructs_lib.__all__:
        kind = getattr(constructs_lib, name)
        if not isinstance(kind, type):
            continue
        fields = set()
        if dataclasses.is_dataclass(kind):
            fields = {field.name for field in dataclasses.fields(kind)}
            yield from (
                f"{name}.{field.name}"
                for field in dataclasses.fields(kind)
                if field.default is None
            )
        for attribute, member in vars(kind).items():
            function: Any = getattr(member, "__func__", member)
            if not inspect.isfunction(function) or (
                attribute.startswith("_") and attribute != "__init__"
            ):
                continue
            for parameter in inspect.signature(function).parameters.values():
                if parameter.default is not None:
                    continue
                if attribute == "__init__":
                    # A dataclass's own __init__ repeats its fields.
                    if parameter.name not in fields:
                        yield f"{name}({parameter.name})"
                else:
                    yield f"{name}.{attribute}({parameter.name})"


def test_every_none_default_means_an_absence() -> None:
    found = set(_none_defaults())
    assert not found - set(NONE_MEANS), (
        "a None default that means the default: write the value in the field, or a Derived "
        "member naming what it is derived from (or, for an absence, list it in NONE_MEANS)"
    )
    assert not set(NONE_MEANS) - found, "NONE_MEANS lists a default that is no longer None"
