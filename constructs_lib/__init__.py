"""cdk8s constructs that deploy JupyterHub on Kubernetes."""

from constructs_lib.auth_ingress import AuthProxyIngress
from constructs_lib.hub import DEFAULT_HUB_IMAGE, HubStatefulSet
from constructs_lib.integrity import External, check_references, find_dangling_references
from constructs_lib.jupyterhub import JupyterHub, reference_profiles
from constructs_lib.kubernetes_version import KubernetesVersion
from constructs_lib.namespace import HubNamespace, PodSecurityLevel
from constructs_lib.pod import HealthProbes, IstioSidecar, ProbeTiming, Resources
from constructs_lib.profile import (
    DEFAULT_USER_IMAGE,
    ImagePullPolicy,
    MountAccess,
    NotebookProfile,
    UserVolume,
)
from constructs_lib.proxy import DEFAULT_PROXY_IMAGE, Autoscaling, CHProxy, ProxyLogLevel
from constructs_lib.proxy_token import ExistingSecretToken, ProxyToken
from constructs_lib.user_pods import IdleCuller, UserPods

__all__ = [
    "DEFAULT_HUB_IMAGE",
    "DEFAULT_PROXY_IMAGE",
    "DEFAULT_USER_IMAGE",
    "AuthProxyIngress",
    "Autoscaling",
    "CHProxy",
    "ExistingSecretToken",
    "External",
    "HealthProbes",
    "HubNamespace",
    "HubStatefulSet",
    "IdleCuller",
    "ImagePullPolicy",
    "IstioSidecar",
    "JupyterHub",
    "KubernetesVersion",
    "MountAccess",
    "NotebookProfile",
    "PodSecurityLevel",
    "ProbeTiming",
    "ProxyLogLevel",
    "ProxyToken",
    "Resources",
    "UserPods",
    "UserVolume",
    "check_references",
    "find_dangling_references",
    "reference_profiles",
]
