"""Header replay: the owner of a user server records what a visitor's browser sends it and
replays it to the hub's login. The edge is an ``AuthProxyIngress``'s synthesized Ingresses
(read by ``tests.support.ingress_nginx``), the rest is real:
configurable-http-proxy, the hub, and Bob's user server, which records every request it gets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.adversarial.kit import Hub, KeyPair, claims, recorded, recording_hub, sign, summary
from tests.support.builders import auth_proxy_ingresses
from tests.support.ingress_nginx import upstream_headers
from tests.support.manifests import ROOT, read_manifests
from tests.support.network_policy import NAMESPACE_LABELS, allowed

pytestmark = pytest.mark.slow  # a real hub and proxy (tests/adversarial/kit.py)

KEY = KeyPair("rsa")
AUTH_HEADERS = ("x-auth-request-user", "authorization")
# Spellings of the hub's login that nginx matches to no hub location (tests/test_ingress_inputs.py).
UNCHECKED_SPELLINGS = ["/HUB/login", "/Hub/login", "/hub;x/login", "/hub%3B/login", "/hub\\login"]


def proof(user: str) -> str:
    return sign(KEY.private, claims(user), "RS256", kid="rsa")


@pytest.fixture(scope="module")
def edge() -> list[dict[str, Any]]:
    return auth_proxy_ingresses()


@pytest.fixture(scope="module")
def host(edge: list[dict[str, Any]]) -> str:
    return str(edge[0]["spec"]["rules"][0]["host"])


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with recording_hub(tmp_path_factory.mktemp("replay"), [KEY]) as running:
        yield running


def through_edge(
    hub: Hub,
    edge: list[dict[str, Any]],
    host: str,
    path: str,
    user: str,
    client: dict[str, str] | None = None,
    session: requests.Session | None = None,
) -> requests.Response:
    """``user``'s browser, signed in at the auth proxy, requests ``path`` through the edge:
    the Ingress decides which of the auth proxy's headers reach the proxy."""
    answer = {"X-Auth-Request-User": user, "Authorization": f"Bearer {proof(user)}"}
    headers = upstream_headers(
        edge, host, path, {"Cookie": f"_oauth2_proxy={user}-session", **(client or {})}, answer
    )
    # The session files the hub's cookies under the Host it sent, and asks the proxy at its
    # local address afterwards: the edge's Host (the public name) gives way to that address.
    headers.pop("host")
    session = session or requests.Session()
    response = session.get(
        f"{hub.proxy_url}{path}", headers=headers, allow_redirects=False, timeout=30
    )
    # The edge tells the hub the browser came over HTTPS (X-Scheme, X-Forwarded-Proto), so
    # the hub marks its cookies Secure; the test reaches the proxy over plain HTTP, where
    # the session would otherwise keep them back.
    for cookie in session.cookies:
        cookie.secure = False
    return response


def test_user_server_never_sees_visitor_credentials(
    hub: Hub, edge: list[dict[str, Any]], host: str, report: Callable[[str, str], None]
) -> None:
    before = len(recorded(hub))
    response = through_edge(hub, edge, host, "/user/bob/lab/tree/shared.ipynb", "alice")
    assert response.status_code == 200, response.text[:300]
    (request,) = recorded(hub)[before:]
    names = sorted(name.lower() for name in request["headers"])
    report("Alice visits Bob's server through the edge", f"Bob's server saw headers {names}")
    assert not set(AUTH_HEADERS) & set(names), request["headers"]


def test_replayed_headers_do_not_log_in(
    hub: Hub, edge: list[dict[str, Any]], host: str, report: Callable[[str, str], None]
) -> None:
    through_edge(hub, edge, host, "/user/bob/", "alice")
    stolen = {
        name: value
        for name, value in recorded(hub)[-1]["headers"].items()
        if name.lower() not in ("host", "content-length")
    }
    for target, url in (("the hub's port", hub.hub_url), ("the proxy", hub.proxy_url)):
        mark = hub.log_size()
        response = requests.get(
            f"{url}/hub/login", headers=stolen, allow_redirects=False, timeout=30
        )
        report(
            f"Bob replays what his server recorded to {target}",
            summary(response, hub.log_since(mark), ("Rejected", "401", "403")),
        )
        assert response.status_code in (401, 403), response.status_code
    assert "alice" not in hub.users()


def test_forged_headers_through_the_edge_name_the_signed_in_user(
    hub: Hub, edge: list[dict[str, Any]], host: str, report: Callable[[str, str], None]
) -> None:
    """On the hub's paths the auth proxy's headers replace the client's own copies."""
    session = requests.Session()
    forged = {"X-Auth-Request-User": "alice", "Authorization": f"Bearer {proof('alice')}"}
    response = through_edge(hub, edge, host, "/hub/login", "bob", forged, session)
    who = hub.whoami(session)
    report(
        "Bob sends Alice's name and token through the edge to /hub/login",
        f"{response.status_code}, signed in as {who!r}",
    )
    assert response.status_code == 302 and who == "bob"


@pytest.mark.parametrize("path", UNCHECKED_SPELLINGS)
def test_forged_headers_on_a_path_nginx_leaves_unchecked_log_no_one_in(
    hub: Hub, edge: list[dict[str, Any]], host: str, path: str, report: Callable[[str, str], None]
) -> None:
    """nginx matches these to no hub path, so the client's own headers pass with the target
    as sent (``tests/test_ingress_inputs.py``); the real proxy and hub must not take them for
    the hub's login."""
    forged = {"X-Auth-Request-User": "mallory", "Authorization": f"Bearer {proof('mallory')}"}
    headers = upstream_headers(edge, host, path, forged, {})
    assert headers["x-auth-request-user"] == "mallory"  # unchecked: the forgery passes
    headers.pop("host")
    response = requests.get(
        f"{hub.proxy_url}{path}", headers=headers, allow_redirects=False, timeout=30
    )
    report(
        f"Mallory sends a forged name and token to {path}",
        f"{response.status_code} {response.headers.get('location', '')}",
    )
    assert "mallory" not in hub.users()
    assert not any(c.name.startswith("jupyterhub-") for c in response.cookies), response.cookies


def test_hub_still_gets_the_proof(
    hub: Hub, edge: list[dict[str, Any]], host: str, report: Callable[[str, str], None]
) -> None:
    """The control: the hub's paths receive the auth proxy's headers."""
    session = requests.Session()
    response = through_edge(hub, edge, host, "/hub/login", "carol", session=session)
    report(
        "control: Carol signs in through the edge",
        f"{response.status_code} as {hub.whoami(session)!r}",
    )
    assert response.status_code == 302


def test_network_policies_confine_user_servers(report: Callable[[str, str], None]) -> None:
    """In ``minimal``, a user server reaches the hub's port and nothing else of the app."""
    manifests = read_manifests(ROOT / "dist" / "minimal")
    policies = [m for m in manifests if m["kind"] == "NetworkPolicy"]
    labels = {
        m["metadata"]["name"]: m["spec"]["selector"] for m in manifests if m["kind"] == "Service"
    }
    hub_pods, proxy_pods = labels["jupyterhub-hub"], labels["jupyterhub-proxy"]
    user_pods = {
        "app.kubernetes.io/name": "jupyterhub",
        "app.kubernetes.io/component": "singleuser-server",
    }
    user = (NAMESPACE_LABELS, user_pods)
    reachable = [
        f"{name}:{port}"
        for name, pods, ports in (
            ("hub", hub_pods, (8081,)),
            ("proxy", proxy_pods, (8080, 8081, 8082)),
            ("another user server", user_pods, (8888,)),
        )
        for port in ports
        if allowed(policies, user, pods, port)
    ]
    report("a user server connects to the app's pods", f"reaches only {reachable}")
    assert reachable == ["hub:8081"]
