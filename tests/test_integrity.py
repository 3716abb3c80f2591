"""The integrity check fails, naming both ends, for each kind of broken reference."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import cdk8s
import pytest

import apps
from apps._app import storage_prerequisites
from apps.previews import PREVIEW_SUFFIX
from constructs_lib import (
    DEFAULT_STORAGE_CLASS,
    RELOADER_PREREQUISITE,
    External,
    HubOptions,
    KubernetesVersion,
    Prerequisite,
    RouteStore,
    UserVolume,
    find_dangling_references,
    find_unused_prerequisites,
    reference_profiles,
)
from constructs_lib.integrity import EXTENSION_PROVIDER, IMAGE
from tests.support.builders import find, make_jupyterhub, synth
from tests.support.manifests import ROOT, read_manifests


@pytest.fixture
def manifests(chart: cdk8s.Chart) -> list[dict[str, Any]]:
    make_jupyterhub(chart)
    return synth(chart)


EXTERNAL = External(
    prerequisites=(
        Prerequisite("Secret", "proxy-token", "the proxy token"),
        RELOADER_PREREQUISITE,
        Prerequisite("StorageClass", DEFAULT_STORAGE_CLASS, "the hub's data volume"),
    ),
    pod_labels=(
        {
            "app.kubernetes.io/name": "jupyterhub",
            "app.kubernetes.io/component": "singleuser-server",
        },
    ),
)


def _without(kind: str) -> External:
    """EXTERNAL less its prerequisite of ``kind``."""
    return External(
        prerequisites=tuple(p for p in EXTERNAL.prerequisites if p.kind != kind),
        pod_labels=EXTERNAL.pod_labels,
    )


def _problems(
    manifests: list[dict[str, Any]], kind: str, name: str, edit: Any, external: External = EXTERNAL
) -> list[str]:
    broken = copy.deepcopy(manifests)
    edit(find(broken, kind, name))
    return find_dangling_references(broken, external)


def test_intact_app_has_no_problems(manifests: list[dict[str, Any]]) -> None:
    assert find_dangling_references(manifests, EXTERNAL) == []


def test_missing_external_secret(manifests: list[dict[str, Any]]) -> None:
    assert find_dangling_references(manifests, _without("Secret")) == [
        "StatefulSet/jupyterhub-hub container hub envFrom refers to Secret/proxy-token, "
        "which the app does not have",
        "Deployment/jupyterhub-proxy container proxy envFrom refers to Secret/proxy-token, "
        "which the app does not have",
    ]


def test_reload_annotation_needs_reloader(manifests: list[dict[str, Any]]) -> None:
    """The hub and the proxy roll on a token rotation only where stakater Reloader runs."""
    assert find_dangling_references(manifests, _without("Deployment")) == [
        "StatefulSet/jupyterhub-hub secret.reloader.stakater.com/reload refers to "
        "Deployment/reloader-reloader, which the app does not have",
        "Deployment/jupyterhub-proxy secret.reloader.stakater.com/reload refers to "
        "Deployment/reloader-reloader, which the app does not have",
    ]


def test_reload_annotation_names_a_secret_the_pods_read(manifests: list[dict[str, Any]]) -> None:
    def edit(o: dict[str, Any]) -> None:
        annotations = o["metadata"]["annotations"]
        annotations["secret.reloader.stakater.com/reload"] = "proxy-token,proxy-tokn"

    assert _problems(manifests, "Deployment", "jupyterhub-proxy", edit) == [
        "Deployment/jupyterhub-proxy secret.reloader.stakater.com/reload names Secret/proxy-tokn, "
        "which its pods do not read",
    ]


def test_claims_need_their_storage_class(manifests: list[dict[str, Any]]) -> None:
    """A claim without ``storageClassName`` is provisioned by the cluster's default
    StorageClass, and stays Pending without one (kubernetes.io/docs/concepts/storage/
    persistent-volumes/#class-1); ``""`` asks for no class, a PersistentVolume made beforehand."""
    without_default = _without("StorageClass")
    assert find_dangling_references(manifests, without_default) == [
        "StatefulSet/jupyterhub-hub volumeClaimTemplates data refers to StorageClass/(default), "
        "which the app does not have"
    ]

    def named(o: dict[str, Any]) -> None:
        o["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] = "fast"

    assert _problems(manifests, "StatefulSet", "jupyterhub-hub", named) == [
        "StatefulSet/jupyterhub-hub volumeClaimTemplates data refers to StorageClass/fast, "
        "which the app does not have"
    ]

    def unclassed(o: dict[str, Any]) -> None:
        o["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] = ""

    assert _problems(manifests, "StatefulSet", "jupyterhub-hub", unclassed, without_default) == []
    user_claim: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "claim-alice"},
        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "slow"},
    }
    assert find_dangling_references([*manifests, user_claim], EXTERNAL) == [
        "PersistentVolumeClaim/claim-alice spec.storageClassName refers to StorageClass/slow, "
        "which the app does not have"
    ]
    # The deprecated annotation names the class where set (KubeSpawner still writes it).
    annotated: dict[str, Any] = {
        **user_claim,
        "metadata": {
            "name": "claim-bob",
            "annotations": {"volume.beta.kubernetes.io/storage-class": "fast"},
        },
        "spec": {},
    }
    odd: list[dict[str, Any]] = [
        {**user_claim, "metadata": {"name": "odd"}, "spec": None},
        {**user_claim, "metadata": {"name": "listed"}, "spec": {"storageClassName": ["a"]}},
    ]
    assert find_dangling_references([*manifests, annotated, *odd], EXTERNAL) == [
        "PersistentVolumeClaim/claim-bob spec.storageClassName refers to StorageClass/fast, "
        "which the app does not have",
        "PersistentVolumeClaim/listed spec.storageClassName names StorageClass ['a'], "
        "which is not a name",
    ]

    def bare(o: dict[str, Any]) -> None:
        del o["spec"]["volumeClaimTemplates"][0]["spec"]

    assert _problems(manifests, "StatefulSet", "jupyterhub-hub", bare) == []


def test_service_selector(manifests: list[dict[str, Any]]) -> None:
    def edit(o: dict[str, Any]) -> None:
        o["spec"]["selector"]["app.kubernetes.io/name"] = "jupyterproxy"

    assert _problems(manifests, "Service", "jupyterhub-proxy", edit) == [
        "Service/jupyterhub-proxy spec.selector selects {'app.kubernetes.io/name': "
        "'jupyterproxy', 'app.kubernetes.io/component': 'proxy'}, which matches no pod"
    ]


def test_topology_spread_selector(manifests: list[dict[str, Any]]) -> None:
    def edit(o: dict[str, Any]) -> None:
        spread = o["spec"]["template"]["spec"]["topologySpreadConstraints"][0]
        spread["labelSelector"]["matchLabels"] = {"app.kubernetes.io/name": "jupyterproxy"}

    assert _problems(manifests, "Deployment", "jupyterhub-proxy", edit) == [
        "Deployment/jupyterhub-proxy topologySpreadConstraints (kubernetes.io/hostname) "
        "selects {'app.kubernetes.io/name': 'jupyterproxy'}, which is not this pod"
    ]


def test_stateful_set_service_name(manifests: list[dict[str, Any]]) -> None:
    def edit(o: dict[str, Any]) -> None:
        o["spec"]["serviceName"] = "hub"

    assert _problems(manifests, "StatefulSet", "jupyterhub-hub", edit) == [
        "StatefulSet/jupyterhub-hub spec.serviceName refers to Service/hub, "
        "which the app does not have"
    ]


def test_proxy_target_url(manifests: list[dict[str, Any]]) -> None:
    def edit(o: dict[str, Any]) -> None:
        args = o["spec"]["template"]["spec"]["containers"][0]["args"]
        args[:] = [a.replace("jupyterhub-hub:", "hub:") for a in args]

    assert _problems(manifests, "Deployment", "jupyterhub-proxy", edit) == [
        "Deployment/jupyterhub-proxy container proxy arg --default-target refers to "
        "Service/hub, which the app does not have",
        "Deployment/jupyterhub-proxy container proxy arg --error-target refers to "
        "Service/hub, which the app does not have",
    ]


def test_proxy_api_port(manifests: list[dict[str, Any]]) -> None:
    def edit(o: dict[str, Any]) -> None:
        o["spec"]["ports"] = [p for p in o["spec"]["ports"] if p["name"] != "http-api"]

    problems = _problems(manifests, "Service", "jupyterhub-proxy", edit)
    assert len(problems) == 1
    assert problems[0].startswith("ConfigMap/jupyterhub-hub-")
    assert problems[0].endswith(
        "data[settings.json] refers to Service/jupyterhub-proxy port 8000, which it lacks"
    )


def test_role_binding_subject(manifests: list[dict[str, Any]]) -> None:
    def edit(o: dict[str, Any]) -> None:
        o["subjects"][0]["name"] = "hub"

    assert _problems(manifests, "RoleBinding", "jupyterhub-hub", edit) == [
        "RoleBinding/jupyterhub-hub subjects refers to ServiceAccount/hub, "
        "which the app does not have"
    ]


def test_service_account_name(manifests: list[dict[str, Any]]) -> None:
    def edit(o: dict[str, Any]) -> None:
        o["spec"]["template"]["spec"]["serviceAccountName"] = "proxy"

    assert _problems(manifests, "Deployment", "jupyterhub-proxy", edit) == [
        "Deployment/jupyterhub-proxy serviceAccountName refers to ServiceAccount/proxy, "
        "which the app does not have"
    ]


def test_hpa_target(chart: cdk8s.Chart) -> None:
    # An HPA exists only where the proxy scales: routes shared in Redis.
    make_jupyterhub(
        chart,
        proxy_routes=RouteStore.redis(uri_secret="routes"),
        proxy_image="registry.example.org/proxy-redis:5.3.0",
    )

    def edit(o: dict[str, Any]) -> None:
        o["spec"]["scaleTargetRef"]["name"] = "proxy"

    routes = External(
        prerequisites=(
            *EXTERNAL.prerequisites,
            Prerequisite("Secret", "routes", "Redis"),
            Prerequisite(
                IMAGE,
                "registry.example.org/proxy-redis:5.3.0",
                "the proxy with the Redis route backend",
                build_command="docker build -f docker/proxy-redis.Dockerfile .",
            ),
        ),
        pod_labels=EXTERNAL.pod_labels,
    )
    broken = _problems(synth(chart), "HorizontalPodAutoscaler", "jupyterhub-proxy", edit, routes)
    assert broken == [
        "HorizontalPodAutoscaler/jupyterhub-proxy spec.scaleTargetRef refers to "
        "Deployment/proxy, which the app does not have"
    ]


def test_pdb_selector(manifests: list[dict[str, Any]]) -> None:
    def edit(o: dict[str, Any]) -> None:
        o["spec"]["selector"]["matchLabels"] = {"app": "hub"}

    assert _problems(manifests, "PodDisruptionBudget", "jupyterhub-hub", edit) == [
        "PodDisruptionBudget/jupyterhub-hub spec.selector selects {'app': 'hub'}, "
        "which matches no pod"
    ]


def test_config_map_volume(manifests: list[dict[str, Any]]) -> None:
    def edit(o: dict[str, Any]) -> None:
        o["spec"]["template"]["spec"]["volumes"][1]["configMap"]["name"] = "hub-config"

    assert _problems(manifests, "StatefulSet", "jupyterhub-hub", edit) == [
        "StatefulSet/jupyterhub-hub volume config refers to ConfigMap/hub-config, "
        "which the app does not have"
    ]


def test_network_policy_selector(manifests: list[dict[str, Any]]) -> None:
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "p"},
        "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/component": "hubs"}}},
    }
    assert find_dangling_references([*manifests, policy], EXTERNAL) == [
        "NetworkPolicy/p spec.podSelector selects {'app.kubernetes.io/component': 'hubs'}, "
        "which matches no pod"
    ]


def test_route_destination(manifests: list[dict[str, Any]]) -> None:
    route = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "r"},
        "spec": {
            "http": [{"route": [{"destination": {"host": "proxy", "port": {"number": 8080}}}]}]
        },
    }
    assert find_dangling_references([*manifests, route], EXTERNAL) == [
        "VirtualService/r route destination refers to Service/proxy, which the app does not have"
    ]


@pytest.mark.parametrize("name", sorted(apps.APPS))
def test_app_and_its_user_pods_name_only_what_exists(name: str, tmp_path: Path) -> None:
    """Every PriorityClass, RuntimeClass, ServiceAccount, Secret and ConfigMap a pod names,
    the hub's user pods (the previews, rendered by KubeSpawner) included, is an object of the
    app or a prerequisite it declares; and every declared prerequisite is used."""
    external = apps.APPS[name](str(tmp_path), KubernetesVersion.DEFAULT).external
    manifests = read_manifests(ROOT / "dist" / name) + read_manifests(
        ROOT / "dist" / f"{name}{PREVIEW_SUFFIX}"
    )
    assert find_dangling_references(manifests, external) == []
    assert find_unused_prerequisites(manifests, external) == []


def test_each_claims_storage_class_is_a_prerequisite(chart: cdk8s.Chart) -> None:
    """The hub's class and the users' claims' class, each once, with what it provisions."""
    jupyterhub = make_jupyterhub(
        chart,
        hub_options=HubOptions(storage_class="fast", storage_size="2Gi"),
        profiles=reference_profiles(chart, volumes=[UserVolume.persistent_claim(size="5Gi")]),
    )
    assert [(p.name, p.reason) for p in storage_prerequisites(jupyterhub)] == [
        (
            "fast",
            "provisions the hub's 2Gi data volume (its database): without it the claims stay "
            "Pending, and so do the pods that mount them",
        ),
        (
            DEFAULT_STORAGE_CLASS,
            "the cluster's default StorageClass (annotated "
            "storageclass.kubernetes.io/is-default-class) provisions each user's 5Gi claim "
            "(ReadWriteOnce): without it the claims stay Pending, and so do the pods that "
            "mount them",
        ),
    ]


def test_a_claim_of_no_class_needs_no_storage_class(chart: cdk8s.Chart) -> None:
    """``""``: bound to a PersistentVolume made beforehand, no StorageClass involved."""
    jupyterhub = make_jupyterhub(chart, hub_options=HubOptions(storage_class=""))
    assert storage_prerequisites(jupyterhub) == ()
    assert find_dangling_references(synth(chart), _without("StorageClass")) == []


def _user_pod(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "jupyter-alice"},
        "spec": {
            "serviceAccountName": "jupyterhub-singleuser-server",
            "containers": [{"name": "notebook"}],
            **spec,
        },
    }


def test_user_pod_priority_class(manifests: list[dict[str, Any]]) -> None:
    pod = _user_pod(priorityClassName="low")
    assert find_dangling_references([*manifests, pod], EXTERNAL) == [
        "Pod/jupyter-alice priorityClassName refers to PriorityClass/low, "
        "which the app does not have"
    ]


def test_user_pod_runtime_class(manifests: list[dict[str, Any]]) -> None:
    pod = _user_pod(runtimeClassName="nvidia")
    assert find_dangling_references([*manifests, pod], EXTERNAL) == [
        "Pod/jupyter-alice runtimeClassName refers to RuntimeClass/nvidia, "
        "which the app does not have"
    ]
    gpu = External(
        prerequisites=(
            *EXTERNAL.prerequisites,
            Prerequisite("RuntimeClass", "nvidia", "GPU operator"),
        ),
        pod_labels=EXTERNAL.pod_labels,
    )
    assert find_dangling_references([*manifests, pod], gpu) == []


def test_user_pod_secrets_and_config_maps(manifests: list[dict[str, Any]]) -> None:
    pod = _user_pod(
        imagePullSecrets=[{"name": "registry"}],
        volumes=[
            {
                "name": "p",
                "projected": {
                    "sources": [
                        {"secret": {"name": "s"}},
                        {"configMap": {"name": "c"}},
                        {"secret": {"name": "o", "optional": True}},
                    ]
                },
            },
        ],
    )
    assert find_dangling_references([*manifests, pod], EXTERNAL) == [
        "Pod/jupyter-alice imagePullSecrets refers to Secret/registry, which the app does not have",
        "Pod/jupyter-alice volume p refers to Secret/s, which the app does not have",
        "Pod/jupyter-alice volume p refers to ConfigMap/c, which the app does not have",
    ]


def test_user_pod_service_account(manifests: list[dict[str, Any]]) -> None:
    pod = _user_pod(serviceAccountName="notebooks")
    assert find_dangling_references([*manifests, pod], EXTERNAL) == [
        "Pod/jupyter-alice serviceAccountName refers to ServiceAccount/notebooks, "
        "which the app does not have"
    ]


def test_ingress_class(manifests: list[dict[str, Any]]) -> None:
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "i"},
        "spec": {"ingressClassName": "nginx"},
    }
    assert find_dangling_references([*manifests, ingress], EXTERNAL) == [
        "Ingress/i spec.ingressClassName refers to IngressClass/nginx, which the app does not have"
    ]


def test_http_route_backend(manifests: list[dict[str, Any]]) -> None:
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r"},
        "spec": {
            "rules": [
                {"backendRefs": [{"kind": "Service", "name": "jupyterhub-proxy", "port": 8080}]},
                {"backendRefs": [{"name": "jupyterhub-proxy", "port": 9999}]},
                {"backendRefs": [{"name": "gone", "port": 80}]},
            ]
        },
    }
    assert find_dangling_references([*manifests, route], EXTERNAL) == [
        "HTTPRoute/r backendRef refers to Service/jupyterhub-proxy port 9999, which it lacks",
        "HTTPRoute/r backendRef refers to Service/gone, which the app does not have",
    ]


def test_istio_gateway_credential(manifests: list[dict[str, Any]]) -> None:
    gateway = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "g"},
        "spec": {
            "servers": [
                {
                    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                    "tls": {"mode": "SIMPLE", "credentialName": "hub-tls"},
                },
                {
                    "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                    "tls": {"httpsRedirect": True},
                },
            ]
        },
    }
    assert find_dangling_references([*manifests, gateway], EXTERNAL) == [
        "Gateway/g server https tls refers to Secret/hub-tls, which the app does not have"
    ]


def test_unused_prerequisites(manifests: list[dict[str, Any]]) -> None:
    stale = External(
        prerequisites=(
            *EXTERNAL.prerequisites,
            Prerequisite("RuntimeClass", "nvidia", "GPU operator"),
            Prerequisite("ServiceAccount", "jupyterhub-hub", "made by hand"),
        ),
        pod_labels=EXTERNAL.pod_labels,
    )
    assert find_unused_prerequisites(manifests, stale) == [
        "RuntimeClass/nvidia is declared a prerequisite, but nothing refers to it",
        "ServiceAccount/jupyterhub-hub is declared a prerequisite, but the app creates it",
    ]


def _telemetry(**providers: str) -> dict[str, Any]:
    return {
        "apiVersion": "telemetry.istio.io/v1",
        "kind": "Telemetry",
        "metadata": {"name": "t", "namespace": "jupyterhub"},
        "spec": {section: [{"providers": [{"name": name}]}] for section, name in providers.items()},
    }


def _policy(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "p", "namespace": "jupyterhub"},
        "spec": spec,
    }


def _admitting(*principals: str) -> dict[str, Any]:
    return _policy({"rules": [{"from": [{"source": {"principals": list(principals)}}]}]})


def _with(*prerequisites: Prerequisite) -> External:
    return External(
        prerequisites=(*EXTERNAL.prerequisites, *prerequisites), pod_labels=EXTERNAL.pod_labels
    )


def test_telemetry_provider(manifests: list[dict[str, Any]]) -> None:
    """Every provider a Telemetry names is declared, but Istio's built-in ones."""
    telemetry = _telemetry(tracing="otel-agent", metrics="prometheus", accessLogging="envoy")
    assert find_dangling_references([*manifests, telemetry], EXTERNAL) == [
        "Telemetry/t tracing[0].providers refers to ExtensionProvider/otel-agent, "
        "which the app does not have"
    ]
    declared = _with(Prerequisite(EXTENSION_PROVIDER, "otel-agent", "tracing"))
    assert find_dangling_references([*manifests, telemetry], declared) == []
    assert find_unused_prerequisites([*manifests, telemetry], declared) == []


def test_custom_policy_provider(manifests: list[dict[str, Any]]) -> None:
    policy = _policy({"action": "CUSTOM", "provider": {"name": "oauth2-proxy"}, "rules": [{}]})
    assert find_dangling_references([*manifests, policy], EXTERNAL) == [
        "AuthorizationPolicy/p provider.name refers to ExtensionProvider/oauth2-proxy, "
        "which the app does not have"
    ]
    declared = _with(Prerequisite(EXTENSION_PROVIDER, "oauth2-proxy", "ext-authz"))
    assert find_dangling_references([*manifests, policy], declared) == []


def test_fails_a_custom_policy_without_provider(manifests: list[dict[str, Any]]) -> None:
    policy = _policy({"action": "CUSTOM", "rules": [{}]})
    assert find_dangling_references([*manifests, policy], EXTERNAL) == [
        "AuthorizationPolicy/p is a CUSTOM policy without provider.name"
    ]


def test_principal_of_the_apps_namespace(manifests: list[dict[str, Any]]) -> None:
    """An account the app creates passes; one it does not, in its namespace, is named bare."""
    policy = _admitting(
        "cluster.local/ns/jupyterhub/sa/jupyterhub-hub", "cluster.local/ns/jupyterhub/sa/ghost"
    )
    assert find_dangling_references([*manifests, policy], EXTERNAL) == [
        "AuthorizationPolicy/p rules[0] source.principals refers to ServiceAccount/ghost, "
        "which the app does not have"
    ]


def test_principal_of_another_namespace(manifests: list[dict[str, Any]]) -> None:
    """The gateway's account: a prerequisite in its own namespace; the same name in the app's
    namespace does not stand in for it."""
    policy = _admitting("cluster.local/ns/istio-gateways/sa/istio-ingressgateway")
    problem = (
        "AuthorizationPolicy/p rules[0] source.principals refers to "
        "ServiceAccount/istio-gateways/istio-ingressgateway, which the app does not have"
    )
    assert find_dangling_references([*manifests, policy], EXTERNAL) == [problem]
    elsewhere = _with(Prerequisite("ServiceAccount", "istio-ingressgateway", "the gateway"))
    assert find_dangling_references([*manifests, policy], elsewhere) == [problem]
    declared = _with(
        Prerequisite("ServiceAccount", "istio-ingressgateway", "the gateway", "istio-gateways")
    )
    assert find_dangling_references([*manifests, policy], declared) == []
    assert find_unused_prerequisites([*manifests, policy], declared) == []


def test_fails_a_principal_that_names_no_service_account(
    manifests: list[dict[str, Any]],
) -> None:
    """Patterns (``*``) name no one account and are left alone."""
    policy = _admitting("cluster.local/ns/jupyterhub/sa/*", "*", "jupyterhub-hub")
    assert find_dangling_references([*manifests, policy], EXTERNAL) == [
        "AuthorizationPolicy/p rules[0] source.principals names principal 'jupyterhub-hub', "
        "which is not <trust domain>/ns/<namespace>/sa/<service account>"
    ]


PLACEHOLDER = "registry.example.org/jupyterhub/proxy-redis:5.3.0"


def test_placeholder_image(manifests: list[dict[str, Any]]) -> None:
    """An image in a registry of a reserved example domain passes only when it is listed with
    the command that builds it; public registries need no listing."""
    pods = [
        _user_pod(containers=[{"name": "notebook", "image": image}])
        for image in (PLACEHOLDER, "quay.io/jupyter/scipy-notebook:python-3.12")
    ]
    problem = (
        f"Pod/jupyter-alice container notebook runs {PLACEHOLDER}, a placeholder image (its "
        "registry is an example domain) that the app does not list as a prerequisite with the "
        "command that builds it"
    )
    assert find_dangling_references([*manifests, *pods], EXTERNAL) == [problem]
    listed = _with(Prerequisite(IMAGE, PLACEHOLDER, "the proxy"))
    assert find_dangling_references([*manifests, *pods], listed) == [problem]
    built = _with(Prerequisite(IMAGE, PLACEHOLDER, "the proxy", build_command="docker build ."))
    assert find_dangling_references([*manifests, *pods], built) == []


@pytest.mark.parametrize(
    "image",
    [
        "example.com/hub:1",
        "registry.example.net:5000/hub:1",
        "images.corp.test/hub:1",
        "hub.invalid/hub:1",
    ],
)
def test_reserved_registries_are_placeholders(manifests: list[dict[str, Any]], image: str) -> None:
    pod = _user_pod(containers=[{"name": "notebook", "image": image}])
    (problem,) = find_dangling_references([*manifests, pod], EXTERNAL)
    assert f"runs {image}, a placeholder image" in problem


def test_unused_image_prerequisite(manifests: list[dict[str, Any]]) -> None:
    """An image built for the app counts wherever it is pushed to, but some pod must run it."""
    image = "registry.mine.io/jupyterhub/proxy-redis:5.3.0"
    pod = _user_pod(containers=[{"name": "notebook", "image": image}])
    built = _with(Prerequisite(IMAGE, image, "the proxy", build_command="docker build ."))
    assert find_unused_prerequisites([*manifests, pod], built) == []
    assert find_unused_prerequisites(manifests, built) == [
        f"Image/{image} is declared a prerequisite, but no pod runs it"
    ]


def test_dev_declares_what_its_mesh_policies_name_and_the_image_to_build(tmp_path: Path) -> None:
    """oauth2-proxy as the ext-authz provider, the tracing provider, the gateway's account,
    and the proxy image with its recipe (Istio's built-in providers are not listed)."""
    external = apps.APPS["dev"](str(tmp_path), KubernetesVersion.DEFAULT).external
    declared = {
        (p.kind, p.ref): p.build_command
        for p in external.prerequisites
        if p.kind in (EXTENSION_PROVIDER, IMAGE, "ServiceAccount")
    }
    assert declared == {
        (EXTENSION_PROVIDER, "oauth2-proxy"): None,
        (EXTENSION_PROVIDER, "otel-agent"): None,
        ("ServiceAccount", "istio-gateways/istio-ingressgateway"): None,
        (IMAGE, PLACEHOLDER): f"docker build -f docker/proxy-redis.Dockerfile -t {PLACEHOLDER} . "
        f"&& docker push {PLACEHOLDER}",
    }
