"""``minimal``: hub, proxy and the two reference profiles behind ingress-nginx; the hub logs
people in itself with OpenID Connect (``OidcLogin``), so no auth proxy runs.

Each user's home is a PersistentVolumeClaim of their own, made at their first start. No mesh
and no Vault: the proxy token and the login's client secret are Secrets you create once (see
docs/guide/deploying.md). NetworkPolicies admit exactly the app's flows, so inside the app a
user server reaches only the hub's port. Servers open in JupyterLab, and the standard profile
offers a choice of image.
"""

from __future__ import annotations

import dataclasses
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
    DEFAULT_HUB_IMAGE,
    DEFAULT_PROXY_IMAGE,
    DEFAULT_USER_IMAGE,
    RELOADER_PREREQUISITE,
    External,
    HubLogin,
    HubNetworkPolicies,
    JupyterHub,
    KubernetesVersion,
    NginxIngress,
    OidcLogin,
    Prerequisite,
    ProfileChoice,
    ProfileOption,
    ProxyToken,
    SecretKeyRef,
    TlsSecret,
    UserPods,
    UserVolume,
    reference_profiles,
)

__all__ = [
    "DATASCIENCE_IMAGE",
    "LOGIN",
    "LOGIN_SECRET",
    "SITE",
    "TOKEN_SECRET",
    "MinimalChart",
    "build",
]

# Created by hand: kubectl create secret generic jupyterhub-proxy-token ...
TOKEN_SECRET = "jupyterhub-proxy-token"
# Created by hand too: the login's client secret and the key of the hub's auth state.
LOGIN_SECRET = "jupyterhub-login"
# The identity provider's placeholder (a site gives its own issuer and client id): members of
# jupyterhub-users may log in, of jupyterhub-admins are admins (a Keycloak realm's groups,
# through its "groups" mapper, or any provider's groups claim).
LOGIN = OidcLogin(
    issuer="https://auth.example.org/realms/jupyterhub",
    client_id="jupyterhub",
    client_secret=SecretKeyRef(LOGIN_SECRET, "client-secret"),
    allowed_groups=("jupyterhub-users",),
    admin_groups=("jupyterhub-admins",),
    # The hub keeps each person's tokens and asks the provider again every 5 minutes, so
    # groups and admin rights follow the provider between logins.
    auth_state_key=SecretKeyRef(LOGIN_SECRET, "auth-state-key"),
)
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

    The defaults of ``hosts``, ``authenticator`` and ``tls_secret`` are placeholders: a site
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
        # The Ingress's TLS Secret; with user_hosts, a TlsSecret naming the hosts and the
        # wildcard its certificate covers (a Secret's name alone is refused then).
        tls_secret: str | TlsSecret | None = "jupyterhub-tls",
        # The hub's own login at the identity provider.
        authenticator: HubLogin = LOGIN,
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
            authenticator=authenticator,
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
        self.ingress = NginxIngress(
            self,
            "Ingress",
            proxy=self.jupyterhub.proxy,
            ingress_class=ingress_class,
            tls_secret=tls_secret,
        )
        # No mesh and no telepresence: the app's own flows, and Prometheus to the hub's
        # /hub/metrics on its own port.
        HubNetworkPolicies(
            self,
            "NetworkPolicies",
            jupyterhub=self.jupyterhub,
            ingress_from=self.ingress.controller,
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
                            self.ingress.tls_secret or "",
                            "the hosts' TLS certificate and key (type kubernetes.io/tls), "
                            "e.g. from cert-manager"
                            + (
                                f", its certificate naming {', '.join(tls_secret.hosts)}"
                                if isinstance(tls_secret, TlsSecret)
                                else ""
                            ),
                        ),
                    )
                    if tls_secret
                    else ()
                ),
                *(
                    Prerequisite(
                        "Secret",
                        name,
                        f"the hub's login at its identity provider (keys {', '.join(keys)}); "
                        "create it as shown below",
                    )
                    for name, keys in _secret_keys(authenticator).items()
                ),
                Prerequisite(
                    "IngressClass",
                    ingress_class,
                    "ingress-nginx, which serves the Ingress in front of the proxy",
                ),
                RELOADER_PREREQUISITE,
                *storage_prerequisites(self.jupyterhub),
                *user_pod_prerequisites(self.jupyterhub),
                *pull_secret_prerequisites(self.jupyterhub),
            ),
            pod_labels=(self.jupyterhub.hub.user_pod_labels,),
        )


def _secret_keys(login: HubLogin) -> dict[str, list[str]]:
    """The Secrets the login reads and their keys."""
    found: dict[str, list[str]] = {}
    for ref in login.secrets().values():
        found.setdefault(ref.name, []).append(ref.key)
    return {name: sorted(keys) for name, keys in sorted(found.items())}


# What a site file sets: tls_secret is the Ingress's Secret in the app's namespace.
SITE = SiteKeys(
    tls_secret="tls_secret",
    images={"hub": "hub_image", "proxy": "proxy_image"},
    # The placeholder login with the site's provider and client.
    identity_keys=("issuer", "client_id"),
    identity_prop="authenticator",
    identity=lambda **given: dataclasses.replace(LOGIN, **given),
)


def build(
    outdir: str, kubernetes_version: KubernetesVersion, props: Mapping[str, Any] | None = None
) -> BuiltApp:
    return build_app("minimal", MinimalChart, outdir, kubernetes_version, props)
