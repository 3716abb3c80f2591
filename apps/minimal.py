"""``minimal``: hub, proxy and the two reference profiles behind ingress-nginx + oauth2-proxy.

Each user's home is a PersistentVolumeClaim of their own, made at their first start. No mesh
and no Vault: the proxy token is a Secret you create once (see docs/guide/apps.md), and oauth2-proxy
runs in the app's namespace under the hub's path (``AUTH_PROXY_FLAGS``).
NetworkPolicies admit exactly the app's flows, so inside the app a user server reaches
only the hub's port. Servers open in JupyterLab, and the standard profile offers a choice of
image.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cdk8s
from constructs import Construct

from apps._app import (
    NAMESPACE,
    BuiltApp,
    build_app,
    pull_secret_prerequisites,
    storage_prerequisites,
    user_pod_prerequisites,
)
from apps._site import SiteKeys
from constructs_lib import (
    AUTH_PROXY_FLAGS,
    DEFAULT_HUB_IMAGE,
    DEFAULT_PROXY_IMAGE,
    DEFAULT_USER_IMAGE,
    RELOADER_PREREQUISITE,
    AuthProxy,
    AuthProxyIngress,
    External,
    HeaderTrust,
    HubNetworkPolicies,
    JupyterHub,
    KubernetesVersion,
    Prerequisite,
    ProfileChoice,
    ProfileOption,
    ProxyToken,
    UserPods,
    UserVolume,
    reference_profiles,
)
from constructs_lib._core._names import APP_LABEL
from constructs_lib._core._objects import api_object

__all__ = ["DATASCIENCE_IMAGE", "SITE", "TOKEN_SECRET", "MinimalChart", "build"]

# Created by hand: kubectl create secret generic jupyterhub-proxy-token ...
TOKEN_SECRET = "jupyterhub-proxy-token"
# The standard profile's other image: docker-stacks' scipy image with R and Julia.
DATASCIENCE_IMAGE = "quay.io/jupyter/datascience-notebook:python-3.12"


# The standard profile's choice of image: the default, or the data-science one.
_IMAGES = ProfileOption(
    "Image",
    {
        "scipy": ProfileChoice("SciPy (Python)", image=DEFAULT_USER_IMAGE),
        "datascience": ProfileChoice("Data science (Python, R, Julia)", image=DATASCIENCE_IMAGE),
    },
)


class MinimalChart(cdk8s.Chart):
    """Everything of the ``minimal`` app but the Namespace.

    The defaults of ``hosts``, ``header_trust`` and ``tls_secret`` are placeholders: a site
    gives its own (``python -m apps --app minimal --site site.yaml``, see :data:`SITE`).
    ``hub_image`` and ``proxy_image``: the public images (``DEFAULT_HUB_IMAGE``,
    ``DEFAULT_PROXY_IMAGE``) unless given, e.g. mirrored copies.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        hosts: Sequence[str] = ("jupyterhub.example.org",),
        # None: user servers share the hub's origin. "*.users.jupyterhub.example.org" gives
        # each its own host (a wildcard DNS record and certificate, docs/guide/deploying.md).
        user_hosts: str | None = None,
        ingress_class: str = "nginx",
        tls_secret: str | None = "jupyterhub-tls",
        # oauth2-proxy, deployed in the app's namespace (by its Helm chart).
        auth_proxy: AuthProxy = AuthProxy(),  # noqa: B008 - frozen value
        # The identity provider behind oauth2-proxy, whose ID token proves the user header.
        header_trust: HeaderTrust = HeaderTrust.jwt_proof(  # noqa: B008 - frozen value
            issuer="https://auth.example.org",
            audience="jupyterhub",
            jwks_url="https://auth.example.org/.well-known/jwks.json",
        ),
        # Each user's home: a claim of the cluster's default StorageClass (z2jh's default).
        home: UserVolume = UserVolume.persistent_claim(),  # noqa: B008 - frozen value
        # Secrets with registry credentials for every pod; none: the images are public.
        image_pull_secrets: Sequence[str] = (),
        hub_image: str = DEFAULT_HUB_IMAGE,
        proxy_image: str = DEFAULT_PROXY_IMAGE,
        kubernetes_version: KubernetesVersion = KubernetesVersion.DEFAULT,
    ) -> None:
        super().__init__(scope, id, namespace=NAMESPACE)
        token = ProxyToken.from_existing_secret(TOKEN_SECRET)
        self.jupyterhub = JupyterHub(
            self,
            "JupyterHub",
            proxy_token=token,
            header_trust=header_trust,
            hosts=hosts,
            user_hosts=user_hosts,
            # The reference's two profiles with the user's home instead of its volumes; GPU
            # nodes' taint is tolerated by default (a profile with GPUs). A node reuses the
            # image copy it has: the tags are the Python 3.12 line's.
            profiles=reference_profiles(self, volumes=[home], standard_options={"image": _IMAGES}),
            # No service mesh: no sidecar in any pod, nothing of Istio's to scrape or admit.
            mesh=None,
            # Every server opens in JupyterLab.
            user_pods=UserPods(default_url="/lab"),
            image_pull_secrets=image_pull_secrets,
            hub_image=hub_image,
            proxy_image=proxy_image,
            kubernetes_version=kubernetes_version,
        )
        self.ingress = AuthProxyIngress(
            self,
            "Ingress",
            proxy=self.jupyterhub.proxy,
            ingress_class=ingress_class,
            tls_secret=tls_secret,
            auth_proxy=auth_proxy,
        )
        # No mesh and no telepresence: the app's own flows, and Prometheus to the hub's
        # /hub/metrics on its own port.
        HubNetworkPolicies(
            self,
            "NetworkPolicies",
            jupyterhub=self.jupyterhub,
            ingress_from=self.ingress.controller,
        )
        # oauth2-proxy's pods are under the namespace's default-deny too: only the controller
        # reaches them (its check, sign-in and callback), on the pods' port its Service
        # forwards to (a NetworkPolicy admits pod ports, not Service ports).
        api_object(
            self,
            "AuthProxyNetworkPolicy",
            api_version="networking.k8s.io/v1",
            kind="NetworkPolicy",
            name=auth_proxy.service,
            labels={APP_LABEL: self.jupyterhub.proxy.release},
            spec={
                "podSelector": {"matchLabels": dict(auth_proxy.pod_labels)},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [self.ingress.controller.to_policy_peer()],
                        "ports": [{"protocol": "TCP", "port": auth_proxy.target_port}],
                    }
                ],
            },
        )
        self.external = External(
            prerequisites=(
                *(
                    Prerequisite(
                        "Secret",
                        name,
                        "the proxy token the hub and the proxy share (key "
                        "CONFIGPROXY_AUTH_TOKEN); create it as shown below",
                    )
                    for name in sorted(token.external_secrets)
                ),
                *(
                    (
                        Prerequisite(
                            "Secret",
                            tls_secret,
                            "the hosts' TLS certificate and key (type kubernetes.io/tls), "
                            "e.g. from cert-manager",
                        ),
                    )
                    if tls_secret
                    else ()
                ),
                Prerequisite(
                    "IngressClass",
                    ingress_class,
                    "ingress-nginx, which serves the Ingresses and asks oauth2-proxy "
                    f"(at {auth_proxy.prefix} on the same hosts) about every request to the hub",
                ),
                Prerequisite(
                    "Service",
                    auth_proxy.service,
                    f"oauth2-proxy in the app's namespace (port {auth_proxy.port} to the pods' "
                    f"{auth_proxy.target_port}, pods "
                    "labelled "
                    + ", ".join(f"{k}={v}" for k, v in auth_proxy.pod_labels.items())
                    + f"), run with {' '.join(AUTH_PROXY_FLAGS)} among the deploy guide's "
                    f"flags: the Ingress sends {auth_proxy.prefix} to it",
                ),
                RELOADER_PREREQUISITE,
                *storage_prerequisites(self.jupyterhub),
                *user_pod_prerequisites(self.jupyterhub),
                *pull_secret_prerequisites(self.jupyterhub),
            ),
            pod_labels=(self.jupyterhub.hub.user_pod_labels, auth_proxy.pod_labels),
        )


# What a site file sets: tls_secret is the Ingress's Secret in the app's namespace.
SITE = SiteKeys(tls_secret="tls_secret", images={"hub": "hub_image", "proxy": "proxy_image"})


def build(
    outdir: str, kubernetes_version: KubernetesVersion, props: Mapping[str, Any] | None = None
) -> BuiltApp:
    return build_app("minimal", MinimalChart, outdir, kubernetes_version, props)
