"""The one public surface: ``constructs_lib``'s ``__all__``, pinned, each name presented as
``constructs_lib``'s own, and the private layers beneath it importing only downwards.

A name added to or removed from the public API changes this list on purpose.
"""

from __future__ import annotations

import ast
import inspect
import types
from pathlib import Path

import constructs_lib

PUBLIC_API = [
    "AUTH_PROXY_FLAGS",
    "AlertThresholds",
    "ArgoCdApplication",
    "AuthProxy",
    "AuthProxyIngress",
    "Autoscaling",
    "CHProxy",
    "CertificateIssuer",
    "ClaimAccessMode",
    "CloudNativePgCluster",
    "Component",
    "DEFAULT_HUB_IMAGE",
    "DEFAULT_PROXY_IMAGE",
    "DEFAULT_STORAGE_CLASS",
    "DEFAULT_TRAEFIK_IMAGE",
    "DEFAULT_USER_IMAGE",
    "Derived",
    "EntraIdLogin",
    "ExistingSecretToken",
    "External",
    "Flow",
    "GPU_TOLERATION",
    "GatewayApiIngress",
    "GatewayRef",
    "GitHubLogin",
    "GitSource",
    "GoogleLogin",
    "HeaderTrust",
    "HealthProbes",
    "HubCertificate",
    "HubDatabase",
    "HubLimits",
    "HubLogin",
    "HubMonitoring",
    "HubNamespace",
    "HubNetworkPolicies",
    "HubOptions",
    "HubResourceQuota",
    "HubStatefulSet",
    "IHub",
    "IJupyterHub",
    "IProxy",
    "IdleCuller",
    "ImagePullPolicy",
    "IngressTarget",
    "IssuerKind",
    "IstioIngress",
    "IstioMesh",
    "IstioProxy",
    "IstioProxyOptions",
    "IstioSidecar",
    "IstioTls",
    "JupyterHub",
    "KUBE_SCHEDULER_IMAGE",
    "KubernetesVersion",
    "LdapLogin",
    "MeshPolicies",
    "MeshTelemetry",
    "MetricsToken",
    "MountAccess",
    "NetworkPeer",
    "NginxIngress",
    "NodeAffinityTerm",
    "NodeOperator",
    "NodeRequirement",
    "NotebookProfile",
    "OidcLogin",
    "OutboundTrafficMode",
    "PAUSE_IMAGE",
    "PodAffinityTerm",
    "PodSecurityLevel",
    "Prerequisite",
    "ProbeTiming",
    "ProfileChoice",
    "ProfileOption",
    "ProxyLogLevel",
    "ProxyMetrics",
    "ProxyOptions",
    "ProxyToken",
    "REFERENCE_SERVER_ARGS",
    "RELOADER_PREREQUISITE",
    "RedisRouteStore",
    "Resources",
    "Retries",
    "RouteStore",
    "ScalePreset",
    "SecretKeyRef",
    "SecretStore",
    "SecretStoreKind",
    "SyncWave",
    "TaintEffect",
    "TlsSecret",
    "Toleration",
    "TolerationOperator",
    "TraefikProxy",
    "TraefikProxyOptions",
    "USER_PORT",
    "UserContainer",
    "UserPods",
    "UserPriority",
    "UserScheduler",
    "UserVolume",
    "VaultDelivery",
    "VaultSecret",
    "app_flows",
    "check_references",
    "find_dangling_references",
    "find_unused_prerequisites",
    "reference_profiles",
]

# The private layers, lowest first: a module imports from its own layer and those before it.
LAYERS = ["_core", "_pods", "_proxies", "_hub", "_ingresses", "_mesh", "_delivery"]
PUBLIC_SUBMODULES = {"integrity", "plus"}
PACKAGE = Path(constructs_lib.__file__).parent


def test_public_api_is_pinned() -> None:
    assert sorted(constructs_lib.__all__) == PUBLIC_API
    assert len(set(constructs_lib.__all__)) == len(constructs_lib.__all__)


def test_each_name_is_presented_as_the_package_s_own() -> None:
    elsewhere = [
        name
        for name in constructs_lib.__all__
        if (inspect.isclass(obj := getattr(constructs_lib, name)) or inspect.isfunction(obj))
        and obj.__module__ != "constructs_lib"
    ]
    assert elsewhere == []


def test_no_other_public_name() -> None:
    extra = {
        name
        for name in vars(constructs_lib)
        if not name.startswith("_") and name not in constructs_lib.__all__
    }
    assert extra <= PUBLIC_SUBMODULES
    assert all(isinstance(getattr(constructs_lib, name), types.ModuleType) for name in extra)


def _imported_layers(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] == "constructs_lib" and len(parts) > 1 and parts[1] in LAYERS:
                found.add(parts[1])
    return found


def test_no_layer_imports_a_layer_above_it() -> None:
    modules = {layer: sorted((PACKAGE / layer).glob("*.py")) for layer in LAYERS}
    assert all(len(paths) > 1 for paths in modules.values()), "a layer without modules"
    upwards = [
        f"{layer}/{path.name} imports {above}"
        for rank, layer in enumerate(LAYERS)
        for path in modules[layer]
        for above in sorted(_imported_layers(path))
        if LAYERS.index(above) > rank
    ]
    assert upwards == []


def test_an_upward_import_is_found(tmp_path: Path) -> None:
    module = tmp_path / "low.py"
    module.write_text("from constructs_lib._mesh.istio import IstioIngress\n")
    assert _imported_layers(module) == {"_mesh"}
