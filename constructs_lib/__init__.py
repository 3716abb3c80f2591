"""cdk8s constructs that deploy JupyterHub on Kubernetes."""

import sys as _sys

from constructs_lib._core import _moved
from constructs_lib._core._derived import Derived
from constructs_lib._core._names import Component
from constructs_lib._core._public import publish as _publish
from constructs_lib._core.header_trust import HeaderTrust
from constructs_lib._core.kubernetes_version import KubernetesVersion
from constructs_lib._core.logins import (
    EntraIdLogin,
    GitHubLogin,
    GoogleLogin,
    HubLogin,
    LdapLogin,
    OidcLogin,
    SecretKeyRef,
)
from constructs_lib._core.metrics_token import MetricsToken
from constructs_lib._core.network_peer import NetworkPeer
from constructs_lib._core.proxy_token import ExistingSecretToken, ProxyToken
from constructs_lib._delivery.argocd import ArgoCdApplication, GitSource, SyncWave
from constructs_lib._hub._mesh_choice import IstioMesh
from constructs_lib._hub.database import CloudNativePgCluster, HubDatabase
from constructs_lib._hub.hub import DEFAULT_HUB_IMAGE, HubOptions, HubStatefulSet
from constructs_lib._hub.jupyterhub import JupyterHub, reference_profiles
from constructs_lib._hub.monitoring import AlertThresholds, HubMonitoring
from constructs_lib._hub.namespace import HubNamespace, HubResourceQuota, PodSecurityLevel
from constructs_lib._hub.network_policy import Flow, HubNetworkPolicies, app_flows
from constructs_lib._hub.scale_preset import ScalePreset
from constructs_lib._hub.vault_secret import (
    SecretStore,
    SecretStoreKind,
    VaultDelivery,
    VaultSecret,
)
from constructs_lib._ingresses.auth_ingress import AuthProxyIngress
from constructs_lib._ingresses.auth_proxy import AUTH_PROXY_FLAGS, AuthProxy
from constructs_lib._ingresses.certificate import CertificateIssuer, HubCertificate, IssuerKind
from constructs_lib._ingresses.gateway_api import GatewayApiIngress, GatewayRef
from constructs_lib._ingresses.nginx_ingress import NginxIngress
from constructs_lib._ingresses.tls import TlsSecret
from constructs_lib._mesh.istio import (
    IstioIngress,
    IstioTls,
    MeshPolicies,
    MeshTelemetry,
    OutboundTrafficMode,
    Retries,
)
from constructs_lib._pods.burst import KUBE_SCHEDULER_IMAGE, PAUSE_IMAGE, UserScheduler
from constructs_lib._pods.pod import HealthProbes, IstioSidecar, ProbeTiming, Resources
from constructs_lib._pods.profile import (
    DEFAULT_USER_IMAGE,
    ClaimAccessMode,
    ImagePullPolicy,
    MountAccess,
    NotebookProfile,
    UserVolume,
)
from constructs_lib._pods.profile_options import ProfileChoice, ProfileOption
from constructs_lib._pods.scheduling import (
    GPU_TOLERATION,
    NodeAffinityTerm,
    NodeOperator,
    NodeRequirement,
    PodAffinityTerm,
    TaintEffect,
    Toleration,
    TolerationOperator,
)
from constructs_lib._pods.user_containers import UserContainer
from constructs_lib._pods.user_pods import (
    REFERENCE_SERVER_ARGS,
    USER_PORT,
    IdleCuller,
    UserPods,
    UserPriority,
)
from constructs_lib._proxies.interfaces import HubLimits, IHub, IJupyterHub, IngressTarget, IProxy
from constructs_lib._proxies.interfaces import removed_name as _removed_name
from constructs_lib._proxies.istio_proxy import (
    IstioProxy,
    IstioProxyOptions,
)
from constructs_lib._proxies.metrics import ProxyMetrics
from constructs_lib._proxies.proxy import (
    DEFAULT_PROXY_IMAGE,
    Autoscaling,
    CHProxy,
    ProxyLogLevel,
    ProxyOptions,
)
from constructs_lib._proxies.routes import RedisRouteStore, RouteStore
from constructs_lib._proxies.traefik_proxy import (
    DEFAULT_TRAEFIK_IMAGE,
    TraefikProxy,
    TraefikProxyOptions,
)
from constructs_lib.integrity import (
    DEFAULT_STORAGE_CLASS,
    RELOADER_PREREQUISITE,
    External,
    Prerequisite,
    check_references,
    find_dangling_references,
    find_unused_prerequisites,
)

__all__ = [
    "AUTH_PROXY_FLAGS",
    "DEFAULT_HUB_IMAGE",
    "DEFAULT_PROXY_IMAGE",
    "DEFAULT_STORAGE_CLASS",
    "DEFAULT_TRAEFIK_IMAGE",
    "DEFAULT_USER_IMAGE",
    "GPU_TOLERATION",
    "KUBE_SCHEDULER_IMAGE",
    "PAUSE_IMAGE",
    "REFERENCE_SERVER_ARGS",
    "RELOADER_PREREQUISITE",
    "USER_PORT",
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
    "Derived",
    "EntraIdLogin",
    "ExistingSecretToken",
    "External",
    "Flow",
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


def __getattr__(name: str) -> object:
    """A name removed from the public surface: an error naming what replaced it."""
    raise _removed_name(__name__, name)


_publish(globals(), __all__)
_moved.install(_sys.modules[__name__])
