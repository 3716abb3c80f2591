"""GatewayApiIngress: the HTTPRoute (and ReferenceGrant) against Gateway API's own rules."""

from __future__ import annotations

import copy
from typing import Any

import cdk8s
import jsonschema
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    GatewayApiIngress,
    GatewayRef,
    HubNetworkPolicies,
    HubOptions,
    KubernetesVersion,
    NetworkPeer,
)
from tests.support.builders import find, make_jupyterhub, synth, value_error
from tests.support.constants import HOSTS, VERSIONS
from tests.support.crd_schemas import is_custom, validate_custom
from tests.support.gateway_api_model import removed_headers, rule_for
from tests.support.kube_schemas import validate_strictly

PUBLIC = ("a.example.org", *HOSTS)
GATEWAY = GatewayRef("public", "gateways")


def _route(
    chart: cdk8s.Chart, version: KubernetesVersion = KubernetesVersion.DEFAULT, **props: Any
) -> GatewayApiIngress:
    jupyterhub = make_jupyterhub(chart, hosts=PUBLIC, kubernetes_version=version)
    props.setdefault("gateway", GATEWAY)
    return GatewayApiIngress(chart, "Route", jupyterhub=jupyterhub, **props)


def _gateway_api(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in manifests if m["apiVersion"].startswith("gateway.networking.k8s.io/")]


def test_defaults(chart: cdk8s.Chart, snapshot_yaml: SnapshotAssertion) -> None:
    _route(chart)
    assert _gateway_api(synth(chart)) == snapshot_yaml


def test_routes_the_hosts_to_the_proxys_public_port(chart: cdk8s.Chart) -> None:
    route = _route(chart)
    spec = find(synth(chart), "HTTPRoute")["spec"]
    assert spec["hostnames"] == list(PUBLIC)
    for rule in spec["rules"]:
        assert rule["backendRefs"] == [
            {"kind": "Service", "name": route.proxy.service.name, "port": route.proxy.port}
        ]


def test_attaches_to_the_named_gateway_and_listener(chart: cdk8s.Chart) -> None:
    _route(chart, gateway=GatewayRef("edge", "ingress", section_name="https"))
    assert find(synth(chart), "HTTPRoute")["spec"]["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": "edge",
            "namespace": "ingress",
            "sectionName": "https",
        }
    ]


def test_hosts_narrow_the_public_hosts(chart: cdk8s.Chart) -> None:
    _route(chart, hosts=["a.example.org"])
    assert find(synth(chart), "HTTPRoute")["spec"]["hostnames"] == ["a.example.org"]


def test_no_reference_grant_in_the_services_namespace(chart: cdk8s.Chart) -> None:
    """A backendRef to a Service of the route's own namespace needs no ReferenceGrant
    (Gateway API, "ReferenceGrant": only references across namespaces need one)."""
    route = _route(chart, route_namespace="jupyterhub")
    manifests = synth(chart)
    assert route.reference_grant is None
    assert [m["kind"] for m in _gateway_api(manifests)] == ["HTTPRoute"]
    http_route = find(manifests, "HTTPRoute")
    assert http_route["metadata"]["namespace"] == "jupyterhub"
    assert all("namespace" not in b for r in http_route["spec"]["rules"] for b in r["backendRefs"])


def test_route_elsewhere_gets_a_reference_grant(chart: cdk8s.Chart) -> None:
    route = _route(chart, route_namespace="edge")
    manifests = synth(chart)
    http_route = find(manifests, "HTTPRoute")
    assert http_route["metadata"]["namespace"] == "edge"
    for rule in http_route["spec"]["rules"]:
        assert rule["backendRefs"][0]["namespace"] == "jupyterhub"
    grant = find(manifests, "ReferenceGrant")
    # Lives in the namespace of the Service it opens, for routes of the route's namespace only.
    assert grant["metadata"]["namespace"] == "jupyterhub"
    assert grant["spec"] == {
        "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "edge"}],
        "to": [{"group": "", "kind": "Service", "name": route.proxy.service.name}],
    }


@pytest.mark.parametrize("route_namespace", [None, "edge"])
def test_objects_match_the_gateway_api_crds(chart: cdk8s.Chart, route_namespace: Any) -> None:
    _route(chart, route_namespace=route_namespace, gateway=GatewayRef("gw", "gw", "https"))
    objects = _gateway_api(synth(chart))
    assert objects and all(is_custom(m) for m in objects)
    for manifest in objects:
        validate_custom(manifest)


def test_crd_check_can_fail(chart: cdk8s.Chart) -> None:
    _route(chart)
    route = find(synth(chart), "HTTPRoute")
    bad = copy.deepcopy(route)
    bad["spec"]["rules"][1]["filters"][0]["type"] = "RemoveHeaders"
    with pytest.raises(jsonschema.ValidationError, match="RemoveHeaders"):
        validate_custom(bad)
    bad = copy.deepcopy(route)
    bad["spec"]["parentRefs"][0]["sectionName"] = "HTTPS"
    with pytest.raises(jsonschema.ValidationError, match="HTTPS"):
        validate_custom(bad)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda r: r["spec"]["rules"][1]["filters"][0].pop("requestHeaderModifier"),
            "filter.requestHeaderModifier must be specified for RequestHeaderModifier",
        ),
        # group "" and kind Service are the API server's defaults, applied before the rule.
        (lambda r: r["spec"]["rules"][0]["backendRefs"][0].pop("port"), "Must have port"),
        (
            lambda r: r["spec"]["rules"][0]["matches"][0]["path"].update(value="hub"),
            "value must be an absolute path",
        ),
        (
            lambda r: r["spec"]["parentRefs"].append(dict(r["spec"]["parentRefs"][0])),
            "sectionName must be unique when parentRefs includes 2 or more references",
        ),
    ],
)
def test_crd_rules_are_evaluated(chart: cdk8s.Chart, edit: Any, message: str) -> None:
    """The CRD's CEL rules (x-kubernetes-validations) count as the API server counts them."""
    _route(chart)
    route = find(synth(chart), "HTTPRoute")
    validate_custom(route)
    edit(route)
    with pytest.raises(jsonschema.ValidationError, match=message):
        validate_custom(route)


# What an auth filter on the hub rule sets (oauth2-proxy's user header and ID token), and
# what a client may send on its own (an API token, a forged user name).
AUTH_HEADERS = {"X-Auth-Request-User": "alice", "Authorization": "Bearer <ID token>"}
CLIENT_HEADERS = {"X-Auth-Request-User": "admin", "Authorization": "token <API token>"}


def _headers_forwarded(http_route: dict[str, Any], path: str) -> dict[str, str]:
    """What the gateway forwards for ``path`` (``tests/support/gateway_api_model.py``): the auth
    filter's headers on the ``hub`` rule, where it is attached, else the client's; less what
    the rule's RequestHeaderModifier removes."""
    rule = rule_for(http_route, path)
    sent = AUTH_HEADERS if rule["name"] == "hub" else CLIENT_HEADERS
    removed = removed_headers(rule)
    return {k: v for k, v in sent.items() if k.lower() not in removed}


@pytest.mark.parametrize(
    ("path", "reaches"),
    [
        ("/hub", True),
        ("/hub/login", True),
        ("/hub/api/user", True),
        ("/hub/spawn/alice", True),
        ("/user/alice/lab", False),
        ("/user/alice/api/kernels", False),
        ("/", False),
        ("/users/alice", False),
        ("/hubx/login", False),
        ("/services/culler", False),
    ],
)
def test_auth_headers_reach_the_hub_paths_only(
    chart: cdk8s.Chart, path: str, reaches: bool
) -> None:
    """As at the other edges: the auth filter's headers reach the hub's paths; elsewhere a
    client's own Authorization (an API token) reaches its server, and no user header does.
    Reversing the rules' order changes nothing (precedence is by prefix length)."""
    _route(chart)
    http_route = find(synth(chart), "HTTPRoute")
    reversed_route = copy.deepcopy(http_route)
    reversed_route["spec"]["rules"].reverse()
    for candidate in (http_route, reversed_route):
        assert _headers_forwarded(candidate, path) == (
            AUTH_HEADERS if reaches else {"Authorization": "token <API token>"}
        )


def test_removes_the_hubs_user_header(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart, hub_options=HubOptions(user_header="X-Forwarded-User"))
    GatewayApiIngress(chart, "Route", jupyterhub=jupyterhub, gateway=GATEWAY)
    other = find(synth(chart), "HTTPRoute")["spec"]["rules"][1]
    assert other["filters"] == [
        {
            "type": "RequestHeaderModifier",
            "requestHeaderModifier": {"remove": ["X-Forwarded-User"]},
        }
    ]


@pytest.mark.parametrize("version", VERSIONS, ids=str)
def test_network_policies_admit_the_gateways_pods(
    chart: cdk8s.Chart, version: KubernetesVersion
) -> None:
    """By default the pods GEP-1762 labels with the Gateway's name, in its namespace; every
    core object validates strictly on each Kubernetes version."""
    route = _route(chart, version)
    HubNetworkPolicies(chart, "NetworkPolicies", proxy=route.proxy, ingress_from=route.gateway_pods)
    manifests = synth(chart)
    policy = find(manifests, "NetworkPolicy", "jupyterhub-proxy")
    public = next(r for r in policy["spec"]["ingress"] if r["ports"][0]["port"] == 8080)
    assert public["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateways"}},
            "podSelector": {"matchLabels": {"gateway.networking.k8s.io/gateway-name": "public"}},
        }
    ]
    for manifest in manifests:
        if not is_custom(manifest):
            validate_strictly(manifest, version)


def test_gateway_pods_given(chart: cdk8s.Chart) -> None:
    envoy = NetworkPeer.in_namespace(
        "envoy-gateway-system", {"gateway.envoyproxy.io/owning-gateway-name": "public"}
    )
    assert _route(chart, gateway_pods=envoy).gateway_pods == envoy


def _error(chart: cdk8s.Chart, **props: Any) -> str:
    return value_error(lambda: _route(chart, **props))


def test_fails_gateway_not_a_reference(chart: cdk8s.Chart) -> None:
    assert _error(chart, gateway="public") == (
        "test/Route: gateway must be a GatewayRef(name, namespace), got 'public'"
    )


def test_fails_bad_gateway_name(chart: cdk8s.Chart) -> None:
    assert _error(chart, gateway=GatewayRef("Public", "gateways")).startswith(
        "test/Route: gateway.name must be a DNS subdomain"
    )


def test_fails_bad_gateway_namespace(chart: cdk8s.Chart) -> None:
    assert _error(chart, gateway=GatewayRef("public", "gate.ways")).startswith(
        "test/Route: gateway.namespace must be a DNS label"
    )


def test_fails_bad_section_name(chart: cdk8s.Chart) -> None:
    assert _error(chart, gateway=GatewayRef("public", "gateways", "HTTPS")).startswith(
        "test/Route: gateway.section_name must be a DNS subdomain"
    )


def test_fails_bad_route_namespace(chart: cdk8s.Chart) -> None:
    assert _error(chart, route_namespace="Edge").startswith(
        "test/Route: route_namespace must be a DNS label"
    )


def test_fails_host_the_hub_does_not_know(chart: cdk8s.Chart) -> None:
    assert _error(chart, hosts=["c.example.org"]) == (
        "test/Route: hosts[0] must be one of the hub's public_hosts ['a.example.org', "
        "'hub.example.org'] (user servers accept the browser's Origin only from those), "
        "got 'c.example.org'"
    )


def test_fails_route_elsewhere_without_chart_namespace() -> None:
    chart = cdk8s.Chart(cdk8s.Testing.app(), "test")
    with pytest.raises(ValueError) as error:
        _route(chart, route_namespace="edge")
    assert str(error.value) == (
        "test/Route: namespace must be set on the chart when route_namespace is: the route "
        "names the Service's namespace, got None"
    )


def test_fails_without_proxy(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as error:
        GatewayApiIngress(chart, "Route", gateway=GATEWAY)
    assert str(error.value) == (
        "test/Route: proxy or jupyterhub is required (an IProxy such as CHProxy, or the "
        "JupyterHub whose proxy that is), got None"
    )
