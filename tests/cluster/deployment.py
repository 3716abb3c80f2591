"""An app of ``dist/`` deployed into a test cluster as an operator would: the prerequisites
the app declares (``External``: Secrets made by hand as the README says, the secret store,
RuntimeClasses), the namespaces of other installations it puts objects into (Istio's
gateway namespace), then every object of ``dist/<app>/`` in file order.

Two things differ from what is committed, both in the hub's settings: the identity
provider's issuer and JWKS URL are the test's, and the culler's timings may be shortened.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apps import APPS
from constructs_lib import DEFAULT_STORAGE_CLASS, KubernetesVersion
from hub_runtime.settings import (
    SETTINGS_FILE_NAME,
    CullerSettings,
    HubSettings,
    dump_settings,
    parse_settings,
)
from tests.cluster.cluster import Cluster
from tests.cluster.containers import DEFAULT_CLASS_ANNOTATION
from tests.cluster.kinds import Kind, kind_of, kind_of_manifest
from tests.cluster.network import is_ready
from tests.support.manifests import ROOT, read_manifests
from tests.support.processes import ISSUER, PROXY_TOKEN, idp_jwt_settings

__all__ = ["Deployed", "app_manifests", "deployed", "external_objects"]

# The test Vault behind the ExternalSecrets (path and key as the README gives them).
VAULT = {("kv/jupyterhub", "CONFIGPROXY_AUTH_TOKEN"): PROXY_TOKEN}
# What an operator puts in the Secrets the README asks them to create: every test value goes
# into each (the proxy token's Secret, the Redis password's, the TLS certificate's).
SECRET_VALUES = {"CONFIGPROXY_AUTH_TOKEN": PROXY_TOKEN, "REDIS_PASSWORD": secrets.token_hex(16)}


@dataclass
class Deployed:
    app: str
    cluster: Cluster
    settings: HubSettings
    # Where an ingress sends users: the proxy Service's public port.
    proxy_url: str
    # The proxy's API, at its Service (where the hub reaches it).
    proxy_api_url: str

    def pod_log(self, prefix: str) -> str:
        return "\n".join(
            path.read_text(errors="replace")
            for path in sorted((self.cluster.workdir / "pods").glob(f"{prefix}*/*.log"))
        )


def app_manifests(app: str) -> list[dict[str, Any]]:
    return read_manifests(ROOT / "dist" / app)


@functools.cache
def external_objects(app: str) -> frozenset[tuple[str, str]]:
    """The objects the app declares it needs in its namespace, from the app's own build
    (jsii: one thread at a time). Mesh config entries, images and objects of other
    namespaces (the gateway's account) are not the test cluster's to make."""
    with tempfile.TemporaryDirectory() as outdir:
        external = APPS[app](outdir, KubernetesVersion.DEFAULT).external
    return frozenset(
        (p.kind, p.name) for p in external.prerequisites if p.is_object and p.namespace is None
    )


def _secret_keys(manifests: list[dict[str, Any]], name: str) -> set[str]:
    """The keys of the Secret ``name`` the app's containers read (secretKeyRef)."""

    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if "secretKeyRef" in node:
                yield node["secretKeyRef"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    return {ref["key"] for ref in walk(manifests) if ref.get("name") == name}


def _prerequisite(kind: str, name: str, manifests: list[dict[str, Any]]) -> dict[str, Any]:
    found = kind_of(kind)
    manifest: dict[str, Any] = {
        "apiVersion": found.api_version,
        "kind": kind,
        "metadata": {"name": name},
    }
    if kind == "Secret":
        # What the operator puts there: the known values, and a random one for every other
        # key the containers read (a login's client secret, its auth-state key: 32 bytes hex).
        extra = {key: secrets.token_hex(32) for key in _secret_keys(manifests, name)}
        manifest["stringData"] = extra | SECRET_VALUES
    elif kind == "RuntimeClass":
        manifest["handler"] = name
    elif kind == "StorageClass":
        # What a cluster's storage (its CSI driver) brings; the default is one so annotated.
        manifest["provisioner"] = "csi.example.org"
        if name == DEFAULT_STORAGE_CLASS:
            manifest["metadata"] = {
                "name": "standard",
                "annotations": {DEFAULT_CLASS_ANNOTATION: "true"},
            }
    return manifest


def _with_test_settings(
    manifest: dict[str, Any], jwks_url: str, culler: tuple[int, int] | None
) -> HubSettings | None:
    data = manifest.get("data", {})
    if manifest["kind"] != "ConfigMap" or SETTINGS_FILE_NAME not in data:
        return None
    settings = parse_settings(data[SETTINGS_FILE_NAME], source=manifest["metadata"]["name"])
    if settings.auth.trust == "hub":
        # A hub that logs users in itself (minimal's OpenID Connect) would ask its provider
        # at start: here it takes the test IdP's header and ID token, as dev's hub does. Its
        # own login runs against node-oidc-provider in tests/test_hub_login_oidc.py.
        auth = dataclasses.replace(settings.auth, trust="jwt", jwt=idp_jwt_settings(jwks_url))
        settings = dataclasses.replace(settings, auth=auth, login=None)
    assert settings.auth.jwt is not None, "the apps' hubs ask for the ID token as proof"
    jwt = dataclasses.replace(settings.auth.jwt, issuer=ISSUER, jwks_url=jwks_url)
    settings = dataclasses.replace(settings, auth=dataclasses.replace(settings.auth, jwt=jwt))
    if settings.user_hosts is not None:
        # The test reaches the proxy over plain HTTP (TLS ends at the edge, which is not
        # here): with https URLs the hub's cookies would be Secure, and never sent back.
        hosts = settings.user_hosts
        settings = dataclasses.replace(
            settings,
            user_hosts=dataclasses.replace(
                hosts,
                hub_url=hosts.hub_url.replace("https://", "http://", 1),
                user_url=hosts.user_url.replace("https://", "http://", 1),
            ),
        )
    if culler is not None:
        timeout, every = culler
        settings = dataclasses.replace(
            settings,
            culler=CullerSettings(
                **{
                    **dataclasses.asdict(settings.culler),
                    "timeout_seconds": timeout,
                    "every_seconds": every,
                }
            ),
        )
    data[SETTINGS_FILE_NAME] = dump_settings(settings)
    return settings


@contextmanager
def deployed(
    app: str,
    jwks_url: str,
    workdir: Path,
    *,
    culler: tuple[int, int] | None = None,
    timeout: float = 90,
    manifests: list[dict[str, Any]] | None = None,
    external: frozenset[tuple[str, str]] | None = None,
    kinds: frozenset[Kind] = frozenset(),
) -> Iterator[Deployed]:
    """``app`` of ``dist/``, or ``manifests`` (a chart's, named ``app``) needing the objects
    ``external``; ``kinds`` the API serves besides the manifests' (what a program of the app
    writes)."""
    if manifests is None:
        manifests = app_manifests(app)
    found = [s for m in manifests if (s := _with_test_settings(m, jwks_url, culler))]
    assert len(found) == 1, f"dist/{app} has {len(found)} hub settings ConfigMaps"
    needed = external_objects(app) if external is None else external
    prerequisites = [_prerequisite(kind, name, manifests) for kind, name in sorted(needed)]
    namespaces = [m for m in manifests if m["kind"] == "Namespace"]
    namespace = namespaces[0]["metadata"]["name"]
    # Namespaces of other installations the app puts objects into (Istio's gateways').
    namespaces += [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        for name in sorted(
            {m["metadata"].get("namespace", namespace) for m in manifests} - {namespace}
        )
    ]
    served = {kind_of_manifest(m) for m in manifests + prerequisites} | kinds
    with Cluster(namespace, served, VAULT, workdir) as cluster:
        cluster.apply(namespaces)
        cluster.apply(prerequisites)
        cluster.apply(m for m in manifests if m["kind"] != "Namespace")
        _wait_for_workloads(cluster, manifests, timeout)
        services = {
            m["metadata"]["labels"].get("app.kubernetes.io/component"): m
            for m in manifests
            if m["kind"] == "Service"
        }
        # No proxy Service where the hub writes its routes itself (IstioProxy): the hub's,
        # as the gateway reaches it for every path of the hub's hosts.
        proxy = services.get("proxy") or services["hub"]
        service = cluster.run(
            cluster.admin.get(kind_of("Service"), namespace, proxy["metadata"]["name"])
        )
        address = service["spec"]["clusterIP"]
        ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
        yield Deployed(
            app,
            cluster,
            found[0],
            f"http://{address}:{ports['http']}",
            f"http://{address}:{ports.get('http-api', ports['http'])}",
        )


def _wait_for_workloads(cluster: Cluster, manifests: list[dict[str, Any]], timeout: float) -> None:
    """Every StatefulSet's and Deployment's pods ready (each has one replica here)."""
    workloads = {
        m["metadata"]["name"] for m in manifests if m["kind"] in ("StatefulSet", "Deployment")
    }
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        owners = {
            ref["name"]
            for pod in cluster.pods()
            if is_ready(pod)
            for ref in pod["metadata"].get("ownerReferences", [])
        }
        if workloads <= owners:
            return
        time.sleep(0.5)
    raise TimeoutError(
        f"workloads not ready in {timeout} s: "
        f"{sorted(workloads - owners)}; refused: {cluster.controllers.failures}"
        f"\n{cluster.logs()}"
    )
