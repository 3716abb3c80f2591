"""Per-user hosts (``user_hosts``): every part follows the one prop, and bad values are
refused with the prop's name. The browser proves what it buys (tests/test_browser.py)."""

from __future__ import annotations

import re
from typing import Any

import cdk8s
import pytest
from traitlets.config import Config

from constructs_lib import (
    AuthProxyIngress,
    GatewayApiIngress,
    GatewayRef,
    IstioIngress,
    IstioProxyOptions,
    IstioTls,
    NginxIngress,
    OidcLogin,
    SecretKeyRef,
    TlsSecret,
)
from hub_runtime.settings import UserHostSettings
from hub_runtime.user_hosts import ORIGIN_ARG, apply_user_hosts, own_origin_args
from tests.support.builders import find, make_jupyterhub, synth, value_error
from tests.support.virtual_services import hub_writer

HUB = "hub.example.org"
USERS = "*.users.example.org"


def _jupyterhub(chart: cdk8s.Chart, **props: Any) -> Any:
    props.setdefault("hosts", (HUB,))
    props.setdefault("user_hosts", USERS)
    return make_jupyterhub(chart, **props)


def test_the_hub_gets_its_url_and_the_servers_wildcard(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    assert jupyterhub.hub.settings.user_hosts == UserHostSettings(
        hub_url=f"https://{HUB}", user_url=f"https://{USERS}"
    )


def test_the_hub_is_at_the_host_the_wildcard_is_under(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart, hosts=("a.example.org", HUB), user_hosts=f"*.users.{HUB}")
    assert jupyterhub.hub.settings.user_hosts.hub_url == f"https://{HUB}"


def test_without_user_hosts_nothing_changes(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart, user_hosts=None)
    assert jupyterhub.hub.settings.user_hosts is None
    proxy = find(synth(chart), "Deployment", "jupyterhub-proxy")
    assert "--host-routing" not in proxy["spec"]["template"]["spec"]["containers"][0]["args"]


def test_chp_routes_by_host(chart: cdk8s.Chart) -> None:
    _jupyterhub(chart)
    proxy = find(synth(chart), "Deployment", "jupyterhub-proxy")
    assert "--host-routing" in proxy["spec"]["template"]["spec"]["containers"][0]["args"]


def test_ingress_serves_the_user_paths_on_the_wildcard_unchecked(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    AuthProxyIngress(
        chart, "Ingress", proxy=jupyterhub.proxy, tls_secret=TlsSecret("tls", hosts=(HUB, USERS))
    )
    ingresses = {m["metadata"]["name"]: m for m in synth(chart) if m["kind"] == "Ingress"}
    rules = {
        name: [(r["host"], r["http"]["paths"][0]["path"]) for r in m["spec"]["rules"]]
        for name, m in ingresses.items()
    }
    assert rules == {
        "jupyterhub": [(HUB, "/"), (USERS, "/user")],
        "jupyterhub-hub": [(HUB, "/hub")],
        "jupyterhub-auth-proxy": [(HUB, "/hub/oauth2")],
    }
    assert ingresses["jupyterhub"]["spec"]["tls"] == [{"hosts": [HUB, USERS], "secretName": "tls"}]
    assert ingresses["jupyterhub-hub"]["spec"]["tls"] == [{"hosts": [HUB], "secretName": "tls"}]


def test_istio_serves_the_wildcard_and_checks_the_hub_host_only(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    ingress = IstioIngress(chart, "Istio", jupyterhub=jupyterhub, ext_authz_provider="oauth2-proxy")
    manifests = synth(chart)
    gateway = find(manifests, "Gateway")
    assert [server["hosts"] for server in gateway["spec"]["servers"]] == [
        [f"./{HUB}", f"./{USERS}"]
    ]
    users = find(manifests, "VirtualService", "jupyterhub-users")
    assert users["spec"]["hosts"] == [USERS]
    assert {m["uri"]["prefix"] for r in users["spec"]["http"] for m in r["match"]} == {"/user/"}
    assert find(manifests, "VirtualService", "jupyterhub")["spec"]["hosts"] == [HUB]
    assert ingress.ext_authz_hosts == (HUB, f"{HUB}:*")


def test_the_http_route_of_the_user_hosts(chart: cdk8s.Chart) -> None:
    jupyterhub = _jupyterhub(chart)
    route = GatewayApiIngress(
        chart, "Route", jupyterhub=jupyterhub, gateway=GatewayRef("public", "gateways")
    )
    assert route.user_route is not None
    manifests = synth(chart)
    users = find(manifests, "HTTPRoute", "jupyterhub-users")
    assert users["spec"]["hostnames"] == [USERS]
    assert [r["matches"][0]["path"]["value"] for r in users["spec"]["rules"]] == ["/user"]
    assert find(manifests, "HTTPRoute", "jupyterhub")["spec"]["hostnames"] == [HUB]


def test_istio_proxy_writes_each_users_route_on_their_host(chart: cdk8s.Chart) -> None:
    """With IstioProxy the hub writes the VirtualServices: a user's route on the user's own
    host, the Gateway serving the wildcard, the edge's auth on the hub's host only. The
    routing itself: tests/test_istio_proxy.py (the mesh model), tests/test_virtual_services.py
    (the real hub against the test cluster's API)."""
    jupyterhub = _jupyterhub(chart, proxy_options=IstioProxyOptions())
    istio = IstioIngress(chart, "Istio", jupyterhub=jupyterhub, ext_authz_provider="oauth2-proxy")
    assert istio.hosts == (HUB,) and istio.user_hosts == USERS
    writer = hub_writer(jupyterhub)
    built = writer.build_route(
        "alice.users.example.org/user/alice/",
        "http://jupyter-alice.jupyterhub.svc.cluster.local:8888",
        {"user": "alice"},
    )
    assert built["spec"]["hosts"] == ["alice.users.example.org"]
    assert writer.build_route("/", "http://jupyterhub-hub:8081", {})["spec"]["hosts"] == [HUB]
    manifests = synth(chart)
    assert f"./{USERS}" in find(manifests, "Gateway")["spec"]["servers"][0]["hosts"]
    ext_authz = find(manifests, "AuthorizationPolicy", "jupyterhub-ext-authz")
    assert ext_authz["spec"]["rules"][0]["to"][0]["operation"]["hosts"] == [HUB, f"{HUB}:*"]


@pytest.mark.parametrize(
    "value", ["users.example.org", "*.org", "*.*.example.org", "*.Users.example.org", "*", ""]
)
def test_fails_not_a_dns_wildcard(chart: cdk8s.Chart, value: str) -> None:
    message = value_error(lambda: _jupyterhub(chart, user_hosts=value))
    assert message == (
        "test/JupyterHub/Hub: user_hosts must be a DNS wildcard of one label over a domain of "
        "at least two labels, such as '*.users.example.org' (each user's server at "
        f"<name>.users.example.org), got {value!r}"
    )


def test_fails_user_hosts_covering_the_hub_host(chart: cdk8s.Chart) -> None:
    message = value_error(lambda: _jupyterhub(chart, user_hosts="*.example.org"))
    assert message == (
        "test/JupyterHub/Hub: user_hosts must not cover the hub's host 'hub.example.org' (a "
        "user of that name would get the hub's origin): use a domain of its own, such as "
        "'*.users.hub.example.org', got '*.example.org'"
    )


def test_fails_a_wildcard_hub_host_with_user_hosts(chart: cdk8s.Chart) -> None:
    message = value_error(lambda: _jupyterhub(chart, hosts=(HUB, "*.hubs.example.org")))
    assert message == (
        "test/JupyterHub/Hub: public_hosts must name the hub's hosts exactly with user_hosts "
        "(a wildcard there would serve the hub on the users' hosts), got "
        "['hub.example.org', '*.hubs.example.org']"
    )


def test_runtime_names_servers_under_the_wildcard() -> None:
    c = Config()
    apply_user_hosts(
        c, UserHostSettings(hub_url=f"https://{HUB}", user_url="https://*.users.example.org:8443")
    )
    hook = c.JupyterHub.subdomain_hook
    assert c.JupyterHub.subdomain_host == "https://users.example.org:8443"
    assert c.JupyterHub.public_url == f"https://{HUB}/"
    # The hub's own domain is ignored: every name lands under the wildcard (idna names).
    assert hook("alice", HUB, "user") == "alice.users.example.org"
    assert hook("jürgen", HUB, "user") == "xn--jrgen-kva.users.example.org"
    assert hook("culler", HUB, "service") == "culler--service.users.example.org"


def test_names_jupyterhub_hashes_get_hosts_of_their_own() -> None:
    """JupyterHub 5's idna hook hashes a name it cannot use as a label into 7 hex digits (28
    bits): these two names, valid under the default user_pattern, share its host (and so an
    origin). Here the hash is 24 digits; the names it keeps are unchanged (above)."""
    from jupyterhub.utils import subdomain_hook_idna

    c = Config()
    apply_user_hosts(
        c, UserHostSettings(hub_url=f"https://{HUB}", user_url="https://*.users.example.org")
    )
    hook = c.JupyterHub.subdomain_hook
    first, second = "abcdefgh_5640", "abcdefgh_16935"
    stock = {subdomain_hook_idna(name, "users.example.org", "user") for name in (first, second)}
    assert stock == {"u-abcdefgh--764b9e8.users.example.org"}
    ours = [hook(name, HUB, "user") for name in (first, second)]
    assert ours == [
        "u-abcdefgh--764b9e86775d0a3e4b16ec46.users.example.org",
        "u-abcdefgh--764b9e8ba6ed8159139c333b.users.example.org",
    ]
    for name in ("alice@example.org", "a--b", "x" * 300, "Ünïcödé"):
        label = hook(name, HUB, "user").removesuffix(".users.example.org")
        assert re.fullmatch(r"u-[a-z0-9]{1,8}--[0-9a-f]{24}", label), label


def test_each_server_accepts_its_own_origin_and_the_hubs_only() -> None:
    hub_pattern = rf"^https?://({HUB.replace('.', chr(92) + '.')})(:[0-9]+)?$"
    args = ["--debug", f"{ORIGIN_ARG}{hub_pattern}"]
    changed = own_origin_args(args, "alice.users.example.org")
    assert changed == [
        "--debug",
        rf"{ORIGIN_ARG}^https?://(alice\.users\.example\.org|hub\.example\.org)(:[0-9]+)?$",
    ]
    assert args == ["--debug", f"{ORIGIN_ARG}{hub_pattern}"]  # the configured list stays


# TLS at every edge: with user_hosts only a value that says which hosts its certificate covers
# (a TlsSecret or a HubCertificate), covering the hub's host and the wildcard.
OIDC = OidcLogin(
    issuer="https://auth.example.org/realms/staff",
    client_id="jupyterhub",
    client_secret=SecretKeyRef("hub-login", "client-secret"),
    allowed_groups=["staff"],
)
COVERING = TlsSecret("hub-tls", hosts=(HUB, USERS))


def _auth_ingress(chart: cdk8s.Chart, tls: Any, **props: Any) -> Any:
    jupyterhub = _jupyterhub(chart, **props)
    return AuthProxyIngress(chart, "Ingress", proxy=jupyterhub.proxy, tls_secret=tls)


def _nginx_ingress(chart: cdk8s.Chart, tls: Any, **props: Any) -> Any:
    jupyterhub = _jupyterhub(chart, header_trust=None, authenticator=OIDC, mesh=None, **props)
    return NginxIngress(chart, "Ingress", proxy=jupyterhub.proxy, tls_secret=tls)


def _istio(chart: cdk8s.Chart, tls: Any, **props: Any) -> Any:
    jupyterhub = _jupyterhub(chart, **props)
    return IstioIngress(
        chart,
        "Ingress",
        jupyterhub=jupyterhub,
        ext_authz_provider="oauth2-proxy",
        tls=tls
        if tls is None or isinstance(tls, IstioTls)
        else IstioTls.from_secret(tls)
        if isinstance(tls, TlsSecret)
        else IstioTls(credential_name=tls),
    )


def _route(chart: cdk8s.Chart, tls: Any, **props: Any) -> Any:
    jupyterhub = _jupyterhub(chart, **props)
    return GatewayApiIngress(
        chart, "Ingress", jupyterhub=jupyterhub, gateway=GatewayRef("public", "gateways"), tls=tls
    )


def _served_secrets(manifests: list[dict[str, Any]]) -> set[str]:
    """The Secrets the Ingresses' TLS sections and the Gateways' HTTPS servers name."""
    names = set()
    for manifest in manifests:
        spec = manifest.get("spec") or {}
        if manifest["kind"] == "Ingress":
            names |= {tls["secretName"] for tls in spec.get("tls") or []}
        if manifest["kind"] == "Gateway":
            names |= {
                server["tls"]["credentialName"]
                for server in spec["servers"]
                if "credentialName" in server.get("tls", {})
            }
    return names


# Each edge, and the field its TLS is named by when the Secret's hosts are unknown / declared.
EDGES = [
    pytest.param(_auth_ingress, "tls_secret", "tls_secret", id="AuthProxyIngress"),
    pytest.param(_nginx_ingress, "tls_secret", "tls_secret", id="NginxIngress"),
    pytest.param(_istio, "tls.credential_name", "tls.secret", id="IstioIngress"),
]
DECLARING_EDGES = [*EDGES, pytest.param(_route, "tls", "tls", id="GatewayApiIngress")]


@pytest.mark.parametrize(("edge", "plain_field", "field"), EDGES)
def test_fails_a_plain_secret_name_with_user_hosts(
    chart: cdk8s.Chart, edge: Any, plain_field: str, field: str
) -> None:
    message = value_error(lambda: edge(chart, "hub-tls"))
    assert message == (
        f"test/Ingress: {plain_field} must say which hosts its certificate covers with the "
        "hub's user_hosts ('*.users.example.org' as well as the hub's hosts): "
        "TlsSecret('hub-tls', hosts=(...)), a HubCertificate, or in a site file tls_secret "
        "with tls_hosts, "
        "got 'hub-tls'"
    )


@pytest.mark.parametrize(("edge", "plain_field", "field"), EDGES)
def test_a_plain_secret_name_stays_without_user_hosts(
    chart: cdk8s.Chart, edge: Any, plain_field: str, field: str
) -> None:
    edge(chart, "hub-tls", user_hosts=None)
    assert _served_secrets(synth(chart)) == {"hub-tls"}


@pytest.mark.parametrize(("edge", "plain_field", "field"), DECLARING_EDGES)
@pytest.mark.parametrize(
    ("hosts", "missing"),
    [
        # A wildcard one label up covers 'a.users.example.org' no more than Go's
        # crypto/x509 matchHostnames or a browser does.
        ((HUB, "*.example.org"), USERS),
        ((HUB,), USERS),
        ((USERS,), HUB),
        ((HUB, "*.other.example.org"), USERS),
    ],
)
def test_fails_tls_not_covering_the_hub_and_the_wildcard(
    chart: cdk8s.Chart,
    edge: Any,
    plain_field: str,
    field: str,
    hosts: tuple[str, ...],
    missing: str,
) -> None:
    secret = TlsSecret("hub-tls", hosts=hosts)
    message = value_error(lambda: edge(chart, secret))
    assert message == (
        f"test/Ingress: {field} must cover every host served, {missing!r} included (a "
        "wildcard covers exactly one label: '*.example.org' covers 'a.example.org', not "
        f"'a.users.example.org'), got {secret!r}"
    )


@pytest.mark.parametrize(("edge", "plain_field", "field"), DECLARING_EDGES)
def test_declared_hosts_are_checked_without_user_hosts_too(
    chart: cdk8s.Chart, edge: Any, plain_field: str, field: str
) -> None:
    secret = TlsSecret("hub-tls", hosts=("other.example.org",))
    message = value_error(lambda: edge(chart, secret, user_hosts=None))
    assert message.startswith(f"test/Ingress: {field} must cover every host served, {HUB!r}")


# Certificate names a CA would not issue, or that match differently than they read.
@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("*.*.example.org", "be a lower-case DNS host name such as 'hub.example.org'"),
        ("foo.*.example.org", "be a lower-case DNS host name such as 'hub.example.org'"),
        ("*x.example.org", "be a lower-case DNS host name such as 'hub.example.org'"),
        ("Hub.example.org", "be a lower-case DNS host name such as 'hub.example.org'"),
        ("hub.example.org.", "be a lower-case DNS host name such as 'hub.example.org'"),
        ("hüb.example.org", "be a lower-case DNS host name such as 'hub.example.org'"),
        ("hub.example.org:443", "be a lower-case DNS host name such as 'hub.example.org'"),
        (
            "*.org",
            "have its wildcard as the whole first label over at least two labels, "
            "such as '*.users.example.org'",
        ),
    ],
)
@pytest.mark.parametrize(("edge", "plain_field", "field"), DECLARING_EDGES)
def test_fails_a_malformed_certificate_host(
    chart: cdk8s.Chart, edge: Any, plain_field: str, field: str, host: str, allowed: str
) -> None:
    message = value_error(lambda: edge(chart, TlsSecret("hub-tls", hosts=(HUB, USERS, host))))
    assert message == f"test/Ingress: {field}.hosts[2] must {allowed}, got {host!r}"


@pytest.mark.parametrize(("edge", "plain_field", "field"), DECLARING_EDGES)
@pytest.mark.parametrize(
    ("secret", "error"),
    [
        (
            TlsSecret("Hub_TLS", hosts=(HUB, USERS)),
            "name must be a DNS subdomain (dot-separated DNS labels, at most 253 characters), "
            "got 'Hub_TLS'",
        ),
        (
            TlsSecret("hub-tls", hosts=HUB),  # type: ignore[arg-type]
            f"hosts must be a non-empty list of host names, got {HUB!r}",
        ),
        (TlsSecret("hub-tls", hosts=()), "hosts must be a non-empty list of host names, got ()"),
    ],
)
def test_fails_bad_tls_values(
    chart: cdk8s.Chart, edge: Any, plain_field: str, field: str, secret: TlsSecret, error: str
) -> None:
    assert value_error(lambda: edge(chart, secret)) == f"test/Ingress: {field}.{error}"


@pytest.mark.parametrize(("edge", "plain_field", "field"), DECLARING_EDGES)
def test_tls_covering_the_hub_and_the_wildcard_is_served(
    chart: cdk8s.Chart, edge: Any, plain_field: str, field: str
) -> None:
    made = edge(chart, COVERING)
    served = _served_secrets(synth(chart))
    if isinstance(made, GatewayApiIngress):
        assert made.tls == COVERING and not served  # the Gateway's listeners serve it
        assert [item["hostname"] for item in COVERING.gateway_listeners()] == [HUB, USERS]
    else:
        assert served == {"hub-tls"}


def test_istio_tls_names_the_secret_of_its_source(chart: cdk8s.Chart) -> None:
    message = value_error(lambda: _istio(chart, IstioTls(credential_name="other", secret=COVERING)))
    assert message == (
        "test/Ingress: tls.credential_name must be the Secret of tls.secret, 'hub-tls', got 'other'"
    )


def test_fails_a_plain_name_for_a_gateway_api_listener(chart: cdk8s.Chart) -> None:
    message = value_error(lambda: _route(chart, "hub-tls", user_hosts=None))
    assert message == (
        "test/Ingress: tls must be a TlsSecret or a HubCertificate (the listeners' certificate "
        "and the hosts it covers), got 'hub-tls'"
    )
