"""``dev``: the reference deployment, corrected.

Istio ingress gateway (HTTPS, HTTP redirected) with oauth2-proxy ext-authz on the hub's paths
(oauth2-proxy runs under /hub/oauth2 with its cookies on /hub, ``AUTH_PROXY_FLAGS``) and mesh
authorization per component, the proxy token from Vault via the External Secrets Operator, the
proxy's routes in a Redis of its own, default-deny network policies with exactly the app's
flows, the namespace's quota and a Pod Security level derived from the profiles.
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
    REFERENCE_SERVER_ARGS,
    RELOADER_PREREQUISITE,
    Derived,
    External,
    HeaderTrust,
    HubNetworkPolicies,
    HubOptions,
    HubResourceQuota,
    ImagePullPolicy,
    IstioIngress,
    IstioTls,
    JupyterHub,
    KubernetesVersion,
    MeshTelemetry,
    NetworkPeer,
    Prerequisite,
    RedisRouteStore,
    TlsSecret,
    UserPods,
    UserVolume,
    VaultSecret,
    reference_profiles,
)
from constructs_lib._core._derived import resolve
from constructs_lib._hub.network_policy import TELEPRESENCE_LABELS
from constructs_lib._proxies.routes import PROXY_REDIS_RECIPE
from constructs_lib.integrity import (
    EXTENSION_PROVIDER,
    IMAGE,
    ISTIO_BUILTIN_PROVIDERS,
    principal_account,
)

__all__ = ["PROXY_REDIS_IMAGE", "SITE", "DevChart", "build"]

# Built from docker/proxy-redis.Dockerfile and pushed to image_registry (docs/guide/apps.md):
# the official CHP image of the version the tests run, plus the Redis route backend.
PROXY_REDIS_IMAGE = "proxy-redis:5.3.0"
# The Secret the Istio gateway ends TLS with, by default.
TLS_SECRET = "jupyterhub-tls"


class DevChart(cdk8s.Chart):
    """Everything of the ``dev`` app but the Namespace."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        hosts: Sequence[str] = ("notebook.minikube.127.0.0.1.nip.io", "notebook.kaidotio.dev"),
        # Each user's server on a host of its own (its own origin): by default under the last
        # host, the reference's public one (*.users.notebook.kaidotio.dev), which the hub's
        # URL is then; None: servers share the hub's origin.
        user_hosts: str | Derived | None = Derived.FROM_HUB,
        # Admins by group membership in the ID token, never by name: whoever calls themselves
        # "admin" at the identity provider is no one special.
        admin_groups: Sequence[str] = ("jupyterhub-admins",),
        admin_users: Sequence[str] = (),
        ext_authz_provider: str | None = "oauth2-proxy",
        # User servers can reach the hub's port, so the header needs the auth proxy's ID token.
        header_trust: HeaderTrust = HeaderTrust.jwt_proof(  # noqa: B008 - frozen value
            issuer="https://auth.kaidotio.dev",
            audience="jupyterhub",
            jwks_url="https://auth.kaidotio.dev/.well-known/jwks.json",
        ),
        # The reference's ingress gateway: its own namespace, installed by Istio's gateway chart
        # (release istio-ingressgateway, whose service account has the release's name).
        gateway: NetworkPeer = NetworkPeer.in_namespace(  # noqa: B008 - frozen value
            "istio-gateways", {"istio": "ingressgateway"}
        ),
        gateway_principal: str = "cluster.local/ns/istio-gateways/sa/istio-ingressgateway",
        # HTTPS with this Secret's certificate, in the gateway's namespace; HTTP redirects. By
        # default Secret jupyterhub-tls, whose certificate must name the hub's hosts and the
        # user servers' wildcard (its prerequisite lists them); a Secret's name alone is
        # refused with user_hosts (nothing says what it covers): give a TlsSecret.
        tls_credential: str | TlsSecret | Derived | None = Derived.FROM_HUB,
        # Where you push the images you build (the proxy with the Redis backend): a
        # placeholder, set it to your registry.
        image_registry: str = "registry.example.org/jupyterhub",
        # The proxy image whole, e.g. pinned by digest once pushed; None: PROXY_REDIS_IMAGE
        # in image_registry.
        proxy_image: str | None = None,
        # z2jh's public hub image, or the one you build from the Dockerfile (pinned by digest).
        hub_image: str = DEFAULT_HUB_IMAGE,
        # Secrets with credentials for that registry, for every pod; none by default.
        image_pull_secrets: Sequence[str] = (),
        kubernetes_version: KubernetesVersion = KubernetesVersion.DEFAULT,
    ) -> None:
        super().__init__(scope, id, namespace=NAMESPACE)
        token = VaultSecret(self, "ProxyToken")
        # Routes in Redis: the proxy keeps the reference's three replicas, and survives restarts.
        routes = RedisRouteStore(self, "Routes")
        if proxy_image is None:
            proxy_image = f"{image_registry.rstrip('/')}/{PROXY_REDIS_IMAGE}"
        # What `docker build -t` takes: the reference without its digest.
        proxy_tag = proxy_image.partition("@")[0]
        # The mesh config's providers, the default ones: named here for the prerequisites.
        telemetry = MeshTelemetry()
        self.jupyterhub = JupyterHub(
            self,
            "JupyterHub",
            proxy_token=token,
            header_trust=header_trust,
            hosts=hosts,
            user_hosts=resolve(
                self, "user_hosts", user_hosts, Derived.FROM_HUB, lambda: f"*.users.{hosts[-1]}"
            ),
            admin_users=admin_users,
            admin_groups=admin_groups,
            proxy_routes=routes,
            proxy_image=proxy_image,
            hub_image=hub_image,
            # The reference's notebooks use the Kubernetes API with the user service account,
            # and it rebuilds its user image under one tag: Always takes each rebuild.
            profiles=reference_profiles(
                self,
                service_account_token=True,
                image_pull_policy=ImagePullPolicy.ALWAYS,
                volumes=UserVolume.reference_set(),
            ),
            # Checkpoints per directory, beside the notebooks (the reference's, corrected);
            # ready for a class starting at once: one user server's room held by a placeholder,
            # and every image pulled onto each node before anyone spawns there.
            user_pods=UserPods(
                server_args=REFERENCE_SERVER_ARGS, placeholders=1, image_puller=True
            ),
            image_pull_secrets=image_pull_secrets,
            kubernetes_version=kubernetes_version,
            # The reference's tokenless scrape of /hub/metrics (through the sidecar's merged
            # metrics); only signed-in users get past the edge's check to read it too.
            hub_options=HubOptions(prometheus_scrape=True),
        )
        hub = self.jupyterhub.hub
        tls = resolve(
            self,
            "tls_credential",
            tls_credential,
            Derived.FROM_HUB,
            lambda: TlsSecret(
                TLS_SECRET,
                hosts=(*hub.public_hosts, *((hub.user_hosts,) if hub.user_hosts else ())),
            ),
        )
        self.ingress = IstioIngress(
            self,
            "Istio",
            jupyterhub=self.jupyterhub,
            ext_authz_provider=ext_authz_provider,
            gateway_pods=gateway,
            gateway_principal=gateway_principal,
            tls=IstioTls.from_secret(tls)
            if isinstance(tls, TlsSecret)
            else IstioTls(credential_name=tls)
            if tls
            else None,
            telemetry=telemetry,
        )
        HubNetworkPolicies(
            self,
            "NetworkPolicies",
            jupyterhub=self.jupyterhub,
            ingress_from=self.ingress.gateway_pods,
            # The reference's developers intercept its workloads with telepresence (its
            # traffic agent's default port).
            telepresence_port=9900,
        )
        # 8 user servers: the reference's quota of 32 CPUs at the profiles' 4-CPU limit; its one
        # GPU is one GPU server. The hub, proxies, Redis and sidecars come on top.
        self.quota = HubResourceQuota(
            self, "ResourceQuota", jupyterhub=self.jupyterhub, user_servers=8, gpu_servers=1
        )
        self.external = External(
            prerequisites=(
                Prerequisite(
                    token.store.kind.value,
                    token.store.name,
                    "the External Secrets Operator's store for Vault, through which "
                    f"the proxy token ({token.key} at {token.path}) reaches the "
                    f"Secret {token.secret_name} the hub and the proxy read",
                ),
                *(
                    (
                        Prerequisite(
                            "Secret",
                            tls.name if isinstance(tls, TlsSecret) else tls,
                            "the hosts' TLS certificate and key (type kubernetes.io/tls) in the "
                            f"gateway's namespace {gateway.namespace}, where Istio's gateway "
                            "reads it"
                            + (
                                f", its certificate naming {', '.join(tls.hosts)} (a wildcard "
                                "covers one label; e.g. a HubCertificate from cert-manager, "
                                "issued with DNS-01)"
                                if isinstance(tls, TlsSecret)
                                else ""
                            ),
                        ),
                    )
                    if tls
                    else ()
                ),
                *(
                    Prerequisite(
                        "Secret",
                        name,
                        "the password of the proxy's Redis (key "
                        "REDIS_PASSWORD), which the proxy and Redis read",
                    )
                    for name in sorted(routes.external_secrets)
                ),
                RELOADER_PREREQUISITE,
                Prerequisite(
                    IMAGE,
                    proxy_image,
                    "the proxy with the Redis route backend, which nobody publishes: push it "
                    "where the cluster pulls from (image_registry)",
                    build_command=f"docker build -f {PROXY_REDIS_RECIPE} -t {proxy_tag} . "
                    f"&& docker push {proxy_tag}",
                ),
                *(
                    (
                        Prerequisite(
                            EXTENSION_PROVIDER,
                            ext_authz_provider,
                            "the mesh config's ext-authz provider (envoyExtAuthzHttp) the "
                            "gateway asks about every request to the hub's paths: oauth2-proxy "
                            "in front of your identity provider, run with "
                            f"{' '.join(AUTH_PROXY_FLAGS)} among the deploy guide's flags",
                        ),
                    )
                    if ext_authz_provider
                    else ()
                ),
                *(
                    Prerequisite(
                        EXTENSION_PROVIDER,
                        name,
                        f"the mesh config's {use} provider the hub's, the proxy's and the user "
                        "servers' Telemetry name",
                    )
                    for name, use in (
                        (telemetry.tracing_provider, "tracing"),
                        (telemetry.metrics_provider, "metrics"),
                        (telemetry.access_log_provider, "access-log"),
                    )
                    # Istio's own, in every mesh (see ISTIO_BUILTIN_PROVIDERS).
                    if name not in ISTIO_BUILTIN_PROVIDERS
                ),
                *(
                    Prerequisite(
                        "ServiceAccount",
                        account[1],
                        "the Istio ingress gateway's pods run as it (Istio's gateway chart "
                        "names it after its release): the proxy's AuthorizationPolicy admits "
                        "its principal, and only to the proxy's public port",
                        namespace=account[0],
                    )
                    for account in [principal_account(gateway_principal)]
                    if account is not None
                ),
                *storage_prerequisites(self.jupyterhub),
                *user_pod_prerequisites(self.jupyterhub),
                *pull_secret_prerequisites(self.jupyterhub),
            ),
            pod_labels=(self.jupyterhub.hub.user_pod_labels, TELEPRESENCE_LABELS),
        )


# What a site file sets: tls_secret is the Gateway's credential (in the gateway's namespace),
# images.registry where the proxy image is pushed; images.proxy and images.hub the images
# whole (a CI pins them by digest: docs/guide/gitops.md).
SITE = SiteKeys(
    tls_secret="tls_credential",
    images={"registry": "image_registry", "proxy": "proxy_image", "hub": "hub_image"},
)


def build(
    outdir: str, kubernetes_version: KubernetesVersion, props: Mapping[str, Any] | None = None
) -> BuiltApp:
    return build_app("dev", DevChart, outdir, kubernetes_version, props)
