"""Network policies admit exactly the app's flows; checked by evaluating them."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    CHProxy,
    Component,
    EntraIdLogin,
    Flow,
    GitHubLogin,
    GoogleLogin,
    HubDatabase,
    HubNetworkPolicies,
    HubOptions,
    IstioIngress,
    IstioProxyOptions,
    JupyterHub,
    LdapLogin,
    NetworkPeer,
    OidcLogin,
    RedisRouteStore,
    SecretKeyRef,
    TraefikProxyOptions,
)
from tests.support.builders import make_chart, make_jupyterhub, synth
from tests.support.hub_calls import API_SERVERS, PUBLIC_ADDRESS, calls
from tests.support.manifests import ROOT, read_manifests
from tests.support.network_policy import NAMESPACE_LABELS, Destination, allowed, egress_allowed

GATEWAY = NetworkPeer.ISTIO_INGRESS_GATEWAY


def _policies(chart: cdk8s.Chart) -> tuple[JupyterHub, HubNetworkPolicies]:
    jupyterhub = make_jupyterhub(chart)
    policies = HubNetworkPolicies(
        chart, "NetworkPolicies", jupyterhub=jupyterhub, ingress_from=GATEWAY
    )
    return jupyterhub, policies


@pytest.fixture
def setup(chart: cdk8s.Chart) -> tuple[JupyterHub, list[dict[str, Any]]]:
    jupyterhub, _ = _policies(chart)
    return jupyterhub, [m for m in synth(chart) if m["kind"] == "NetworkPolicy"]


def test_defaults(chart: cdk8s.Chart, setup: Any, snapshot_yaml: SnapshotAssertion) -> None:
    _, policies = setup
    assert policies == snapshot_yaml


def test_exactly_the_app_flows(setup: tuple[JupyterHub, list[dict[str, Any]]]) -> None:
    jupyterhub, policies = setup
    pods = {c: (NAMESPACE_LABELS, labels) for c, labels in jupyterhub.component_labels.items()}
    gateway = (dict(GATEWAY.namespace_labels), dict(GATEWAY.pod_labels))
    hub, proxy, user = Component.HUB, Component.PROXY, Component.SINGLEUSER
    ports = {hub: [8081, 8080, 8000, 22], proxy: [8080, 8081, 8082], user: [8888, 22]}
    expected = {
        ("gateway", proxy, 8080),
        ("proxy", hub, 8081),
        ("proxy", user, 8888),
        ("hub", proxy, 8081),
        ("hub", user, 8888),
        ("singleuser-server", hub, 8081),
    }
    sources = {"gateway": gateway, **{c.value: pods[c] for c in Component}}
    for source_name, source in sources.items():
        for target, target_ports in ports.items():
            for port in target_ports:
                is_allowed = allowed(policies, source, pods[target][1], port)
                key = (source_name, target, port)
                assert is_allowed == (key in expected), (source_name, target.value, port)


def test_user_servers_cannot_reach_proxy_or_other_hub_ports(
    setup: tuple[JupyterHub, list[dict[str, Any]]],
) -> None:
    jupyterhub, policies = setup
    assert isinstance(jupyterhub.proxy, CHProxy)
    user = (NAMESPACE_LABELS, jupyterhub.hub.user_pod_labels)
    for port in (jupyterhub.proxy.PORT, jupyterhub.proxy.API_PORT, jupyterhub.proxy.METRICS_PORT):
        assert not allowed(policies, user, jupyterhub.proxy.labels, port)
    for port in (22, 8000, 8080, 15000):
        assert not allowed(policies, user, jupyterhub.hub.labels, port)
    assert allowed(policies, user, jupyterhub.hub.labels, 8081)


def test_prometheus_scrapes_sidecars(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart, hub_options=HubOptions(prometheus_scrape=True))
    HubNetworkPolicies(chart, "NetworkPolicies", jupyterhub=jupyterhub, ingress_from=GATEWAY)
    policies = [m for m in synth(chart) if m["kind"] == "NetworkPolicy"]
    prometheus = (
        dict(NetworkPeer.PROMETHEUS.namespace_labels),
        dict(NetworkPeer.PROMETHEUS.pod_labels),
    )
    assert allowed(policies, prometheus, jupyterhub.hub.labels, 15020)
    assert not allowed(policies, prometheus, jupyterhub.hub.labels, 8081)


def test_without_optional_allowances(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    HubNetworkPolicies(
        chart,
        "NetworkPolicies",
        jupyterhub=jupyterhub,
        ingress_from=GATEWAY,
        prometheus=None,
        telepresence_port=None,
        block_cloud_metadata=False,
    )
    names = [m["metadata"]["name"] for m in synth(chart) if m["kind"] == "NetworkPolicy"]
    assert names == [
        "default-deny",
        "jupyterhub-hub",
        "jupyterhub-proxy",
        "jupyterhub-singleuser-server",
        "jupyterhub-hub-egress",
        "jupyterhub-proxy-egress",
    ]


@pytest.mark.parametrize(
    ("app", "address", "pod", "allowed"),
    [
        (app, address, pod, allowed)
        for app in ("minimal", "dev")
        for address, pod, allowed in [
            ("169.254.169.254", False, False),
            ("fd00:ec2::254", False, False),
            ("8.8.8.8", False, True),
            ("2001:4860:4860::8888", False, True),
            ("10.0.3.7", True, True),
            ("169.254.169.253", False, True),
        ]
    ],
)
def test_user_pods_reach_everything_but_the_cloud_metadata(
    app: str, address: str, pod: bool, allowed: bool
) -> None:
    """The metadata endpoint hands out the node's cloud credentials (z2jh blocks it too)."""
    policies = [m for m in read_manifests(ROOT / "dist" / app) if m["kind"] == "NetworkPolicy"]
    user = {
        "app.kubernetes.io/name": "jupyterhub",
        "app.kubernetes.io/component": "singleuser-server",
    }
    # An in-cluster pod elsewhere: any namespace, any labels.
    to = Destination(address, {"name": "other"}, {"app": "other"}) if pod else Destination(address)
    assert egress_allowed(policies, user, to, 443) is allowed


MONITORING = NetworkPeer.in_namespace("monitoring", {"app": "exporter"})


def test_allow_from_admits_exactly_that_peer_and_port(chart: cdk8s.Chart) -> None:
    jupyterhub, policies = _policies(chart)
    made = policies.allow_from(MONITORING, to=Component.HUB, port=8081)
    assert made.name == "jupyterhub-hub-8081-from-monitoring-02c1ed43"
    assert policies.flows[-1] == Flow(MONITORING, Component.HUB, 8081)
    manifests = [m for m in synth(chart) if m["kind"] == "NetworkPolicy"]
    hub = jupyterhub.component_labels[Component.HUB]
    exporter = (dict(MONITORING.namespace_labels), dict(MONITORING.pod_labels))
    assert allowed(manifests, exporter, hub, 8081)
    assert not allowed(manifests, exporter, hub, 8000)
    assert not allowed(manifests, exporter, jupyterhub.component_labels[Component.PROXY], 8081)
    assert not allowed(manifests, (dict(MONITORING.namespace_labels), {}), hub, 8081)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"peer": "monitoring", "to": Component.HUB, "port": 1},
            "allow_from.peer must be a NetworkPeer, got 'monitoring'",
        ),
        (
            {"peer": MONITORING, "to": "hub", "port": 1},
            "allow_from.to must be one of Component.HUB, Component.PROXY, Component.SINGLEUSER, "
            "got 'hub'",
        ),
        (
            {"peer": MONITORING, "to": Component.HUB, "port": 0},
            "allow_from.port must be a TCP port from 1 to 65535, got 0",
        ),
    ],
)
def test_allow_from_refuses(chart: cdk8s.Chart, args: dict[str, Any], message: str) -> None:
    _, policies = _policies(chart)
    with pytest.raises(ValueError) as error:
        policies.allow_from(args["peer"], to=args["to"], port=args["port"])
    assert str(error.value) == f"test/NetworkPolicies: {message}"


def test_allow_from_refuses_a_flow_admitted_already(chart: cdk8s.Chart) -> None:
    _, policies = _policies(chart)
    policies.allow_from(MONITORING, to=Component.HUB, port=8081)
    with pytest.raises(ValueError, match="allow_from is admitted already"):
        policies.allow_from(MONITORING, to=Component.HUB, port=8081)


def test_egress_evaluation_follows_kubernetes() -> None:
    """The evaluator the egress tests rely on: default-deny once an Egress policy selects the
    pod, rules OR, ipBlock minus except, ports matched with their protocol (TCP by default)."""
    hub = {"app": "hub"}
    policy = {
        "spec": {
            "podSelector": {"matchLabels": hub},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
                    "ports": [{"port": 443}],
                },
                {"to": [{"namespaceSelector": {}}], "ports": [{"port": 53, "protocol": "UDP"}]},
            ],
        }
    }
    outside = Destination("8.8.8.8")
    assert egress_allowed([policy], hub, outside, 443)
    assert not egress_allowed([policy], hub, outside, 80)
    assert not egress_allowed([policy], hub, Destination("10.1.2.3"), 443)
    dns = Destination("10.96.0.10", {"name": "kube-system"}, {"k8s-app": "kube-dns"})
    assert egress_allowed([policy], hub, dns, 53, "UDP")
    assert not egress_allowed([policy], hub, dns, 53, "TCP")
    assert not egress_allowed([policy], hub, outside, 53, "UDP")
    assert egress_allowed([policy], {"app": "other"}, outside, 80)
    # An Egress-only policy does not isolate the pod for ingress.
    assert allowed([policy], (NAMESPACE_LABELS, {}), hub, 8081)


@pytest.mark.parametrize("component", ["user-placeholder", "continuous-image-puller"])
def test_pause_pods_send_and_receive_nothing(component: str) -> None:
    """dev runs placeholders and the image puller: their pods call nothing (pulls are the
    kubelet's) and serve nothing, while an unselected pod still reaches the same places."""
    manifests = read_manifests(ROOT / "dist" / "dev")
    assert any(
        m["kind"] in ("Deployment", "DaemonSet")
        and m["metadata"]["labels"].get("app.kubernetes.io/component") == component
        for m in manifests
    )
    policies = [m for m in manifests if m["kind"] == "NetworkPolicy"]
    pause = {"app.kubernetes.io/name": "jupyterhub", "app.kubernetes.io/component": component}
    dns = Destination("10.96.0.10", {"name": "kube-system"}, {"k8s-app": "kube-dns"})
    for to, port, protocol in ((Destination("8.8.8.8"), 443, "TCP"), (dns, 53, "UDP")):
        assert not egress_allowed(policies, pause, to, port, protocol)
        assert egress_allowed(policies, {"app": "other"}, to, port, protocol)
    peer = ({"name": "jupyterhub"}, {"app.kubernetes.io/name": "jupyterhub"})
    assert not allowed(policies, peer, pause, 8080)


def _egress_policies(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == "NetworkPolicy"]


def _component(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "jupyterhub", "app.kubernetes.io/component": component}


@pytest.mark.parametrize("app", ["minimal", "dev"])
def test_hub_and_proxy_reach_everything_they_call(app: str) -> None:
    """Each connection the shipped app's hub and proxy open (read from its settings, the
    authenticator class, the proxy's arguments and environment, the Roles, DNS, istiod)."""
    manifests = read_manifests(ROOT / "dist" / app)
    policies = _egress_policies(manifests)
    found = list(calls(manifests))
    assert {c.what for c in found} >= {"proxy API", "DNS", "Kubernetes API", "--default-target"}
    for call in found:
        assert egress_allowed(
            policies, _component(call.source), call.to, call.port, call.protocol
        ), call
    # The policies select the pods: an unselected pod is not what makes these pass.
    assert any(
        p["spec"]["podSelector"].get("matchLabels") == _component("hub")
        and "Egress" in p["spec"]["policyTypes"]
        for p in policies
    )


OTHER_POD = Destination("10.42.0.99", NAMESPACE_LABELS, {"app": "other"})
ELSEWHERE = Destination("10.43.0.99", {"kubernetes.io/metadata.name": "other"}, {"app": "other"})


@pytest.mark.parametrize("app", ["minimal", "dev"])
@pytest.mark.parametrize("source", ["hub", "proxy"])
@pytest.mark.parametrize(
    ("to", "port"),
    [
        (Destination("169.254.169.254"), 80),
        (Destination("169.254.169.254"), 443),
        (Destination("fd00:ec2::254"), 80),
        (OTHER_POD, 8081),
        (OTHER_POD, 5432),
        (ELSEWHERE, 8080),
        (ELSEWHERE, 389),
        (Destination(PUBLIC_ADDRESS), 22),
        (Destination(PUBLIC_ADDRESS), 80),
        (Destination("10.1.2.3"), 5432),
    ],
)
def test_hub_and_proxy_reach_nothing_else(
    app: str, source: str, to: Destination, port: int
) -> None:
    """Not the cloud metadata (the node's credentials), not other pods, not the internet but
    on the ports their calls use."""
    policies = _egress_policies(read_manifests(ROOT / "dist" / app))
    assert not egress_allowed(policies, _component(source), to, port)


def test_only_the_hub_reaches_its_provider() -> None:
    policies = _egress_policies(read_manifests(ROOT / "dist" / "minimal"))
    provider = Destination(PUBLIC_ADDRESS)
    assert egress_allowed(policies, _component("hub"), provider, 443)
    assert not egress_allowed(policies, _component("proxy"), provider, 443)
    # Private addresses are not where a provider on the internet is (443 itself is open to
    # them for the API server, unless api_server_cidrs narrows it: the next test).
    assert not egress_allowed(policies, _component("hub"), OTHER_POD, 8443)
    assert not egress_allowed(policies, _component("hub"), Destination("10.1.2.3"), 636)


SECRET = SecretKeyRef("hub-login", "client-secret")
LOGINS = {
    "oidc": OidcLogin(
        issuer="https://auth.example.org/realms/staff",
        client_id="jupyterhub",
        client_secret=SECRET,
        allow_all=True,
    ),
    "oidc-in-cluster": OidcLogin(
        issuer="https://keycloak.identity.svc.cluster.local:8443/realms/staff",
        client_id="jupyterhub",
        client_secret=SECRET,
        allow_all=True,
    ),
    "github": GitHubLogin(client_id="Iv1.0123", client_secret=SECRET, organizations=["org"]),
    "github-enterprise": GitHubLogin(
        client_id="Iv1.0123",
        client_secret=SECRET,
        organizations=["org"],
        github_url="https://github.example.org",
    ),
    "google": GoogleLogin(
        client_id="1234-abc.apps.googleusercontent.com",
        client_secret=SECRET,
        hosted_domains=["example.org"],
        allow_all=True,
    ),
    "entra": EntraIdLogin(
        tenant_id="8a6f1c7e-0d0b-4c9a-9f0e-1f2a3b4c5d6e",
        client_id="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        client_secret=SECRET,
        allow_all=True,
    ),
    "ldaps": LdapLogin(
        server_url="ldaps://ldap.example.org",
        user_search_base="ou=people,dc=example,dc=org",
        dn_templates=["uid={username},ou=people,dc=example,dc=org"],
        allow_all=True,
    ),
    "ldap-in-cluster": LdapLogin(
        server_url="ldap://openldap.directory.svc:1389",
        user_search_base="ou=people,dc=example,dc=org",
        dn_templates=["uid={username},ou=people,dc=example,dc=org"],
        allow_all=True,
    ),
    "ldap-address": LdapLogin(
        server_url="ldap://10.20.30.40",
        user_search_base="ou=people,dc=example,dc=org",
        dn_templates=["uid={username},ou=people,dc=example,dc=org"],
        allow_all=True,
    ),
}
DATABASES = {
    "sqlite": None,
    "postgresql": HubDatabase.postgresql(password_secret="db", host="db.example.org"),
    "postgresql-in-cluster": HubDatabase.postgresql(
        password_secret="db", host="pg-rw.databases.svc.cluster.local"
    ),
}


@pytest.mark.parametrize("mesh", [True, False], ids=["mesh", "no-mesh"])
@pytest.mark.parametrize("database", list(DATABASES))
@pytest.mark.parametrize("login", list(LOGINS))
def test_hub_reaches_its_login_and_database(login: str, database: str, mesh: bool) -> None:
    """For every login type: each endpoint the hub's authenticator calls and its database."""
    chart = make_chart()
    props: dict[str, Any] = {} if mesh else {"mesh": None}
    chosen = DATABASES[database]
    if chosen is not None:
        props["hub_options"] = HubOptions(database=chosen)
    jupyterhub = make_jupyterhub(chart, header_trust=None, authenticator=LOGINS[login], **props)
    if mesh:
        IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    # The API server narrowed to its addresses, so that its 443 admits no provider.
    HubNetworkPolicies(
        chart,
        "Policies",
        jupyterhub=jupyterhub,
        ingress_from=GATEWAY,
        api_server_cidrs=[f"{address}/32" for address, _ in API_SERVERS],
    )
    manifests = synth(chart)
    policies = _egress_policies(manifests)
    found = list(calls(manifests))
    outside = [c for c in found if c.what.startswith(("login", "database"))]
    assert outside, found
    for call in found:
        assert egress_allowed(
            policies, _component(call.source), call.to, call.port, call.protocol
        ), call
    for call in outside:
        # The login's and database's own ports only, and only from the hub.
        assert not egress_allowed(policies, _component("proxy"), call.to, call.port), call
        assert not egress_allowed(policies, _component("hub"), call.to, 22), call
    assert not egress_allowed(policies, _component("hub"), Destination("169.254.169.254"), 80)
    if mesh and login.endswith("in-cluster"):
        # The mesh's Sidecar names the other namespace's Service the hub calls.
        (sidecar,) = [
            m
            for m in manifests
            if m["kind"] == "Sidecar" and m["metadata"]["name"] == "jupyterhub-hub"
        ]
        hosts = sidecar["spec"]["egress"][0]["hosts"]
        assert any(
            h.endswith(".svc.cluster.local")
            and not h.startswith(("istio-system/", "otel/", "default/"))
            for h in hosts
        ), hosts


def test_api_server_can_be_narrowed(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart)
    HubNetworkPolicies(
        chart,
        "Policies",
        jupyterhub=jupyterhub,
        ingress_from=GATEWAY,
        api_server_cidrs=["172.18.0.2/32"],
        api_server_ports=[6443],
    )
    policies = _egress_policies(synth(chart))
    hub = _component("hub")
    assert egress_allowed(policies, hub, Destination("172.18.0.2"), 6443)
    assert not egress_allowed(policies, hub, Destination("10.0.0.1"), 443)
    assert not egress_allowed(policies, hub, Destination("172.18.0.3"), 6443)
    assert not egress_allowed(policies, hub, OTHER_POD, 443)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"api_server_cidrs": "10.0.0.1/32"},
            "api_server_cidrs must be a list of CIDRs, e.g. ['10.0.0.1/32'], got '10.0.0.1/32'",
        ),
        (
            {"api_server_cidrs": ["10.0.0.1/8"]},
            "api_server_cidrs[0] must be a network in CIDR notation (no host bits), got "
            "'10.0.0.1/8'",
        ),
        (
            {"api_server_ports": [0]},
            "api_server_ports[0] must be a TCP port from 1 to 65535, got 0",
        ),
        (
            {"api_server_ports": []},
            "api_server_ports must be a list of TCP ports, e.g. [443, 6443], got []",
        ),
    ],
)
def test_api_server_props_refused(chart: cdk8s.Chart, props: dict[str, Any], message: str) -> None:
    jupyterhub = make_jupyterhub(chart)
    with pytest.raises(ValueError) as error:
        HubNetworkPolicies(chart, "Policies", jupyterhub=jupyterhub, ingress_from=GATEWAY, **props)
    assert str(error.value) == f"test/Policies: {message}"


# A hub image with jupyterhub-traefik-proxy (TraefikProxy refuses z2jh's, which lacks it).
TRAEFIK_HUB_IMAGE = "registry.example/hub-traefik:1"


def _traefik(chart: cdk8s.Chart) -> JupyterHub:
    routes = RedisRouteStore(chart, "Redis")
    return make_jupyterhub(
        chart,
        mesh=None,
        hub_image=TRAEFIK_HUB_IMAGE,
        proxy_options=TraefikProxyOptions(routes=routes),
    )


def _istio_proxy(chart: cdk8s.Chart) -> JupyterHub:
    jupyterhub = make_jupyterhub(chart, proxy_options=IstioProxyOptions())
    IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    return jupyterhub


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (_traefik, {("hub", "route store"), ("proxy", "route store")}),
        # No proxy pod: the hub writes the VirtualServices.
        (_istio_proxy, {("hub", "Kubernetes API"), ("hub", "istiod")}),
    ],
    ids=["traefik", "istio-proxy"],
)
def test_every_proxy_kind_reaches_what_it_calls(build: Any, expected: set[tuple[str, str]]) -> None:
    """Traefik's Redis (which the hub writes too), the API server for IstioProxy (the hub
    writes VirtualServices): read from the manifests, admitted by the policies."""
    chart = make_chart()
    jupyterhub = build(chart)
    HubNetworkPolicies(chart, "Policies", jupyterhub=jupyterhub, ingress_from=GATEWAY)
    manifests = synth(chart)
    policies = _egress_policies(manifests)
    found = list(calls(manifests))
    assert expected <= {(c.source, c.what) for c in found}
    for call in found:
        assert egress_allowed(
            policies, _component(call.source), call.to, call.port, call.protocol
        ), call
    # Redis admits its clients only (its own policy): not the user servers.
    stores = {
        tuple(sorted((c.to.pod_labels or {}).items())) for c in found if c.what == "route store"
    }
    user = (NAMESPACE_LABELS, _component("singleuser-server"))
    for labels in stores:
        assert labels
        assert not allowed(policies, user, dict(labels), 6379)


def test_the_route_store_calls_nothing() -> None:
    """Redis follows no replica and has no sidecar: no address, pod or DNS server is open to
    it, while its clients still reach it."""
    chart = make_chart()
    jupyterhub = _traefik(chart)
    HubNetworkPolicies(chart, "Policies", jupyterhub=jupyterhub, ingress_from=GATEWAY)
    manifests = synth(chart)
    (store,) = [
        m for m in manifests if m["kind"] == "StatefulSet" and "redis" in m["metadata"]["name"]
    ]
    redis = store["spec"]["template"]["metadata"]["labels"]
    policies = _egress_policies(manifests)
    dns = Destination("10.96.0.10", {"name": "kube-system"}, {"k8s-app": "kube-dns"})
    for to, port, protocol in [
        (dns, 53, "UDP"),
        (Destination("8.8.8.8"), 443, "TCP"),
        (Destination("10.1.2.3", NAMESPACE_LABELS, _component("hub")), 8081, "TCP"),
        (Destination("10.1.2.4", NAMESPACE_LABELS, dict(redis)), 6379, "TCP"),
    ]:
        assert not egress_allowed(policies, redis, to, port, protocol), (to, port)
    assert allowed(policies, (NAMESPACE_LABELS, _component("proxy")), dict(redis), 6379)


def test_allow_to_lets_the_hub_reach_one_more_destination(chart: cdk8s.Chart) -> None:
    """A directory at a private address outside the cluster, which no URL rule admits."""
    _, policies = _policies(chart)
    directory = Destination("10.20.0.5")
    before = _egress_policies(synth(chart))
    assert not egress_allowed(before, _component("hub"), directory, 636)
    made = policies.allow_to("10.20.0.5/32", port=636)
    assert made.name == "jupyterhub-hub-egress-636-to-" + made.name.rsplit("-", 1)[1]
    after = _egress_policies(synth(chart))
    assert egress_allowed(after, _component("hub"), directory, 636)
    assert not egress_allowed(after, _component("hub"), directory, 389)
    assert not egress_allowed(after, _component("proxy"), directory, 636)
    peer = NetworkPeer.in_namespace("search", {"app": "solr"})
    policies.allow_to(peer, port=8983, source=Component.PROXY)
    solr = Destination("10.42.1.1", dict(peer.namespace_labels), dict(peer.pod_labels))
    assert egress_allowed(_egress_policies(synth(chart)), _component("proxy"), solr, 8983)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"to": "10.20.0.5", "port": 636, "source": Component.SINGLEUSER},
            "allow_to.source must be Component.HUB or Component.PROXY (user servers reach "
            "anything but the cloud metadata), got <Component.SINGLEUSER: 'singleuser-server'>",
        ),
        (
            {"to": "10.20.0.5/8", "port": 636},
            "allow_to.to must be a network in CIDR notation (no host bits), got '10.20.0.5/8'",
        ),
        ({"to": 5, "port": 636}, "allow_to.to must be a NetworkPeer or a CIDR, got 5"),
        (
            {"to": "10.20.0.5/32", "port": 0},
            "allow_to.port must be a TCP port from 1 to 65535, got 0",
        ),
    ],
)
def test_allow_to_refuses(chart: cdk8s.Chart, args: dict[str, Any], message: str) -> None:
    _, policies = _policies(chart)
    with pytest.raises(ValueError) as error:
        policies.allow_to(**args)
    assert str(error.value) == f"test/NetworkPolicies: {message}"


def _policy(spec: dict[str, Any], namespace: str = "jupyterhub") -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": namespace}, "spec": spec}


OTHER_NAMESPACE = {"kubernetes.io/metadata.name": "elsewhere"}


def test_empty_from_and_ports_admit_everything_as_the_api_documents() -> None:
    """``from: []`` and ``ports: []`` are "empty or missing": every source, every port."""
    policy = _policy({"podSelector": {}, "ingress": [{"from": [], "ports": []}]})
    assert allowed([policy], (OTHER_NAMESPACE, {}), {"a": "b"}, 1234)
    isolated = _policy({"podSelector": {}, "ingress": []})
    assert not allowed([isolated], (NAMESPACE_LABELS, {}), {"a": "b"}, 1234)


def test_selectors_apply_match_expressions() -> None:
    policy = _policy(
        {
            "podSelector": {
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["db"]}]
            },
            "ingress": [
                {
                    "from": [
                        {
                            "podSelector": {
                                "matchExpressions": [
                                    {"key": "role", "operator": "NotIn", "values": ["user"]},
                                    {"key": "blocked", "operator": "DoesNotExist"},
                                ]
                            }
                        }
                    ]
                }
            ],
        }
    )
    db = {"tier": "db"}
    assert allowed([policy], (NAMESPACE_LABELS, {"role": "hub"}), db, 5432)
    assert allowed([policy], (NAMESPACE_LABELS, {}), db, 5432)  # NotIn: the key absent
    assert not allowed([policy], (NAMESPACE_LABELS, {"role": "user"}), db, 5432)
    assert not allowed([policy], (NAMESPACE_LABELS, {"blocked": ""}), db, 5432)
    # The policy selects only tier=db; another pod is not isolated by it.
    assert allowed([policy], (NAMESPACE_LABELS, {"role": "user"}), {"tier": "web"}, 80)


def test_a_pod_selector_alone_means_the_policys_own_namespace() -> None:
    policy = _policy({"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]})
    assert allowed([policy], (NAMESPACE_LABELS, {}), {}, 80)
    assert not allowed([policy], (OTHER_NAMESPACE, {}), {}, 80)
    # A namespace's name label is the API server's, so a selector on it finds the namespace.
    by_name = _policy(
        {
            "podSelector": {},
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "jupyterhub"}
                            }
                        }
                    ]
                }
            ],
        }
    )
    assert allowed([by_name], (NAMESPACE_LABELS, {}), {}, 80)


def test_an_ip_block_peer_admits_no_pod_of_the_namespace() -> None:
    policy = _policy(
        {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}
    )
    assert not allowed([policy], (NAMESPACE_LABELS, {}), {}, 80)


def test_a_named_port_is_the_target_pods_port_of_that_name() -> None:
    policy = _policy({"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]})
    assert allowed([policy], (NAMESPACE_LABELS, {}), {}, 8000, named_ports={"http": 8000})
    assert not allowed([policy], (NAMESPACE_LABELS, {}), {}, 8001, named_ports={"http": 8000})
    with pytest.raises(LookupError):
        allowed([policy], (NAMESPACE_LABELS, {}), {}, 8000)


def test_a_policy_of_another_namespace_does_not_isolate_these_pods() -> None:
    policy = _policy({"podSelector": {}, "ingress": []}, namespace="elsewhere")
    assert allowed([policy], (NAMESPACE_LABELS, {}), {}, 80)
