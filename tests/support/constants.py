"""The values most tests build a hub with, defined once."""

from __future__ import annotations

from constructs_lib import HeaderTrust, KubernetesVersion, ProxyToken

# The proxy token's Secret, made elsewhere (the tests do not make it).
TOKEN = ProxyToken.from_existing_secret("proxy-token")
TRUST = HeaderTrust.jwt_proof(
    issuer="https://auth.example.org",
    audience="jupyterhub",
    jwks_url="https://auth.example.org/jwks",
)
# The public host names of the hubs the tests build.
HOSTS = ("hub.example.org",)
# Every Kubernetes version the output must validate against.
VERSIONS = [
    KubernetesVersion(1, minor)
    for minor in range(KubernetesVersion.OLDEST.minor, KubernetesVersion.NEWEST.minor + 1)
]
# Istio's default install: the gateway's pods, as the mesh model reads them.
GATEWAY_POD = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "ingressgateway", "namespace": "istio-system"},
    "spec": {
        "selector": {"matchLabels": {"istio": "ingressgateway"}},
        "template": {
            "metadata": {
                "labels": {"istio": "ingressgateway"},
                "annotations": {"sidecar.istio.io/inject": "false"},
            },
            "spec": {
                "serviceAccountName": "istio-ingressgateway-service-account",
                "containers": [{"name": "istio-proxy", "image": "istio/proxyv2"}],
            },
        },
    },
}
