"""Per-user hosts (``user_hosts``): every part follows the one prop, and bad values are
refused with the prop's name. The browser proves what it buys (tests/test_browser.py)."""

from __future__ import annotations

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
)
from hub_runtime.settings import UserHostSettings
from hub_runtime.user_hosts import ORIGIN_ARG, apply_user_hosts, own_origin_args
from tests.support.builders import find, make_jupyterhub, synth, value_error

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
    AuthProxyIngress(chart, "Ingress", proxy=jupyterhub.proxy, tls_secret="tls")
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
    assert [server["hosts"] for server in gateway["spec"]["servers"]] == [[HUB, USERS]]
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


def test_fails_istio_proxy_with_user_hosts(chart: cdk8s.Chart) -> None:
    message = value_error(
        lambda: _jupyterhub(
            chart, mesh=None, named_server_limit=0, proxy_options=IstioProxyOptions()
        )
    )
    assert message == (
        "test/JupyterHub/Proxy: hub must have no user_hosts: jupyterhub-istio-proxy routes by "
        "path on one host (SUB_DOMAIN_HOST) and cannot route a user's own host; use CHProxy, "
        "got '*.users.example.org'"
    )


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


def test_each_server_accepts_its_own_origin_and_the_hubs_only() -> None:
    hub_pattern = rf"^https?://({HUB.replace('.', chr(92) + '.')})(:[0-9]+)?$"
    args = ["--debug", f"{ORIGIN_ARG}{hub_pattern}"]
    changed = own_origin_args(args, "alice.users.example.org")
    assert changed == [
        "--debug",
        rf"{ORIGIN_ARG}^https?://(alice\.users\.example\.org|hub\.example\.org)(:[0-9]+)?$",
    ]
    assert args == ["--debug", f"{ORIGIN_ARG}{hub_pattern}"]  # the configured list stays
