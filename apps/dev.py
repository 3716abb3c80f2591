"""``dev``: the reference deployment, corrected.

Istio ingress gateway with oauth2-proxy ext-authz in front and mesh authorization per
component, the proxy token from Vault via the External Secrets Operator, the proxy's routes in
a Redis of its own, default-deny network policies with exactly the app's flows, the
namespace's quota and a Pod Security level derived from the profiles.
"""

from __future__ import annotations

from collections.abc import Sequence

import cdk8s
from constructs import Construct

from apps._app import NAMESPACE, BuiltApp, build_app, runtime_classes
from constructs_lib import (
    External,
    HeaderTrust,
    HubNetworkPolicies,
    HubResourceQuota,
    IstioIngress,
    JupyterHub,
    KubernetesVersion,
    RedisRouteStore,
    VaultSecret,
)
from constructs_lib.network_policy import TELEPRESENCE_LABELS

__all__ = ["DevChart", "build"]



class DevChart(cdk8s.Chart):
    """Everything of the ``dev`` app but the Namespace."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        hosts: Sequence[str] = ("notebook.minikube.127.0.0.1.nip.io", "notebook.kaidotio.dev"),
        admin_users: Sequence[str] = ("admin",),
        ext_authz_provider: str | None = "oauth2-proxy",
        # User servers can reach the hub's port, so the header needs the auth proxy's ID token.
        header_trust: HeaderTrust = HeaderTrust.jwt_proof(  # noqa: B008 - frozen value
            issuer="https://auth.kaidotio.dev",
            audience="jupyterhub",
            jwks_url="https://auth.kaidotio.dev/.well-known/jwks.json",
        ),
        kubernetes_version: KubernetesVersion = KubernetesVersion.DEFAULT,
    ) -> None:
        super().__init__(scope, id, namespace=NAMESPACE)
        token = VaultSecret(self, "ProxyToken")
        # Routes in Redis: the proxy keeps the reference's three replicas, and survives restarts.
        routes = RedisRouteStore(self, "Routes")
        self.jupyterhub = JupyterHub(
            self, "JupyterHub", proxy_token=token, header_trust=header_trust,
            admin_users=admin_users, proxy_routes=routes,
            kubernetes_version=kubernetes_version,
        )
        self.ingress = IstioIngress(
            self, "Istio", jupyterhub=self.jupyterhub, hosts=hosts,
            ext_authz_provider=ext_authz_provider,
        )
        HubNetworkPolicies(self, "NetworkPolicies", jupyterhub=self.jupyterhub,
                           ingress_from=self.ingress.gateway)
        HubResourceQuota(self, "ResourceQuota")
        self.external = External(
            objects=token.external_objects | {("Secret", s) for s in routes.external_secrets}
            | runtime_classes(self.jupyterhub),
            pod_labels=(self.jupyterhub.hub.user_pod_labels, TELEPRESENCE_LABELS),
        )


def build(outdir: str, kubernetes_version: KubernetesVersion) -> BuiltApp:
    return build_app("dev", DevChart, outdir, kubernetes_version)
