"""What ingress-nginx (``tests.support.ingress_nginx``, a model of controller v1.15.1 and its
nginx 1.27.1, checked against real nginx by ``tests/test_ingress_nginx_real.py``) makes of
the inputs an attacker chooses, against the synthesized edges: an ``AuthProxyIngress``'s
Ingresses and ``minimal``'s. A Host with a port, in upper case or with a trailing dot is the
same server; a path nginx normalizes to one of the hub's is checked as that path; a header
the edge sets replaces every copy the client sends.
``tests/adversarial/test_header_replay.py`` sends the paths nginx leaves unchecked, with
forged headers, to a real proxy and hub."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.builders import auth_proxy_ingresses
from tests.support.ingress_nginx import (
    CONTROLLER_ADDR,
    DEFAULT_BACKEND,
    REMOTE_ADDR,
    BadRequest,
    normalized_path,
    route,
    serve,
    server_name,
    upstream_headers,
)
from tests.support.manifests import ROOT, read_manifests

NGINX = "nginx.ingress.kubernetes.io"
# Paths that nginx matches as one of the hub's (merge_slashes, %XX decoding, dot segments).
HUB_SPELLINGS = [
    "//hub/login",
    "/hub//login",
    "/hub%2Flogin",
    "/hub%2flogin",
    "/./hub/login",
    "/hub/./login",
    "/user/bob/../../hub/login",
    "/user/bob/%2e%2e/%2E%2E/hub/login",
    "/user/bob/..%2F..%2Fhub/login",
    "/user/bob/..%2f..%2fhub/login",
    "/user/bob/%2e%2e%2F%2e%2e%2Fhub/login",
    "/user/bob/%2E%2E%2f..%2Fhub/login",
    "/hu%62/login",
]
# Paths nginx matches as no hub path: case matters and ";" is a plain character.
NOT_HUB = ["/HUB/login", "/Hub/login", "/hub;x/login", "/hub%3B/login", "/hub\\login"]


@pytest.fixture(scope="module")
def ingresses() -> list[dict[str, Any]]:
    return auth_proxy_ingresses()


@pytest.fixture(scope="module")
def host(ingresses: list[dict[str, Any]]) -> str:
    return str(ingresses[0]["spec"]["rules"][0]["host"])


def _checked(ingresses: list[dict[str, Any]], host: str, path: str) -> bool:
    return f"{NGINX}/auth-url" in (
        route(ingresses, host, path)["metadata"].get("annotations") or {}
    )


def _hosts(host: str) -> list[str]:
    return [host, f"{host}:443", f"{host}:8443", host.upper(), f"{host}.", f"{host}.:443"]


def test_every_spelling_of_the_host_is_the_same_server(
    ingresses: list[dict[str, Any]], host: str
) -> None:
    for spelling in _hosts(host):
        assert server_name(spelling) == host, spelling
        assert _checked(ingresses, spelling, "/hub/login"), spelling
        assert not _checked(ingresses, spelling, "/user/bob/lab"), spelling


@pytest.mark.parametrize("path", HUB_SPELLINGS)
def test_a_path_nginx_normalizes_to_the_hub_is_checked(
    ingresses: list[dict[str, Any]], host: str, path: str
) -> None:
    assert normalized_path(path) == "/hub/login"
    assert _checked(ingresses, host, path)
    # The auth service refuses: nginx sends the browser to sign in, never to the hub.
    served = serve(ingresses, host, path, {}, lambda _: 401)
    assert (served.status, served.service) == (302, None), served
    assert served.location is not None and served.location.startswith(f"https://{host}/")


@pytest.mark.parametrize("path", NOT_HUB)
def test_a_path_nginx_does_not_match_to_the_hub_goes_unchecked(
    ingresses: list[dict[str, Any]], host: str, path: str
) -> None:
    """nginx leaves these to the root Ingress (the proxy); the adversarial suite shows the
    real proxy and hub do not serve them as the hub's login."""
    assert not _checked(ingresses, host, path)


@pytest.mark.parametrize("path", ["/..", "/hub/../../login", "/%00", "/hub%zz", "/hub%2"])
def test_nginx_refuses_a_path_that_leaves_the_root_or_a_bad_escape(
    ingresses: list[dict[str, Any]], host: str, path: str
) -> None:
    with pytest.raises(BadRequest):
        normalized_path(path)
    assert serve(ingresses, host, path, {}, lambda _: 401).status == 400


@pytest.mark.parametrize("bad", ["", "a..b", "h/x", "h x", "h\x7f"])
def test_nginx_refuses_a_bad_host(ingresses: list[dict[str, Any]], bad: str) -> None:
    with pytest.raises(BadRequest):
        server_name(bad)
    assert serve(ingresses, bad, "/hub/login", {}, lambda _: 401).status == 400


def test_another_host_reaches_only_the_default_backend(ingresses: list[dict[str, Any]]) -> None:
    for other in ("evil.example.org", "x.jupyterhub.example.org", "localhost"):
        with pytest.raises(LookupError):
            route(ingresses, other, "/hub/login")
        served = serve(ingresses, other, "/hub/login", {}, lambda _: {})
        assert (served.status, served.service) == (404, DEFAULT_BACKEND), other


def test_duplicate_and_underscored_auth_headers_never_reach_the_hub(
    ingresses: list[dict[str, Any]], host: str
) -> None:
    client = [
        ("X-Auth-Request-User", "admin"),
        ("x-auth-request-user", "root"),
        ("X_Auth_Request_User", "admin"),
        ("Authorization", "Bearer forged"),
    ]
    answer = {"X-Auth-Request-User": "bob", "Authorization": "Bearer bob"}
    received = upstream_headers(ingresses, f"{host.upper()}:443", "//hub/login", client, answer)
    assert received["x-auth-request-user"] == "bob"
    assert received["authorization"] == "Bearer bob"
    assert not any("_" in name for name in received)
    # On an unchecked path the client's own copies pass (both of them), but not an
    # underscored spelling a backend might read as the same header.
    unchecked = upstream_headers(ingresses, host, "/user/bob/lab", client, answer)
    assert unchecked["x-auth-request-user"] == "admin, root"
    assert not any("_" in name for name in unchecked)
    # A second Authorization line nginx refuses outright, checked path or not.
    twice = [*client, ("Authorization", "Bearer forged-too")]
    for path in ("/hub/login", "/user/bob/lab"):
        assert serve(ingresses, host, path, twice, lambda _: answer).status == 400


def test_the_edge_sets_the_forwarding_headers_over_the_clients(
    ingresses: list[dict[str, Any]], host: str
) -> None:
    client = {
        "X-Forwarded-For": "10.0.0.1",
        "X-Real-IP": "10.0.0.1",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Host": "evil.example.org",
        "Proxy": "http://evil.example.org",
    }
    for path in ("/hub/login", "/user/bob/lab"):
        received = upstream_headers(ingresses, host, path, client, {"X-Auth-Request-User": "b"})
        assert received["x-forwarded-for"] == REMOTE_ADDR
        assert received["x-real-ip"] == REMOTE_ADDR
        assert received["x-forwarded-proto"] == "https"
        assert received["x-forwarded-host"] == host
        assert "proxy" not in received
        # The client's own, under the names the controller passes them on with.
        assert received["x-original-forwarded-for"] == "10.0.0.1"
        assert received["x-original-forwarded-host"] == "evil.example.org"


def test_minimal_routes_every_spelling_of_its_host_and_no_other() -> None:
    manifests = read_manifests(ROOT / "dist" / "minimal")
    ingresses = [m for m in manifests if m["kind"] == "Ingress"]
    host = ingresses[0]["spec"]["rules"][0]["host"]
    (ingress,) = ingresses
    for spelling in _hosts(host):
        for path in ("/hub/login", "//hub/login", "/user/bob/../../hub/login"):
            assert route(ingresses, spelling, path) is ingress, (spelling, path)
    with pytest.raises(LookupError):
        route(ingresses, "evil.example.org", "/hub/login")


def test_the_sign_in_redirect_names_the_host_and_the_escaped_target(
    ingresses: list[dict[str, Any]], host: str
) -> None:
    """The auth-signin URL's ``$host`` is nginx's server name (no port, lower case) and its
    ``rd`` the request target escaped by set_escape_uri; a 403 stays a 403, another status
    is a 500."""
    served = serve(ingresses, f"{host.upper()}:443", "/hub/login?next=/hub/home", {}, lambda _: 401)
    assert served.status == 302
    assert served.location == (
        f"https://{host}/hub/oauth2/start?rd=%2Fhub%2Flogin%3Fnext%3D%2Fhub%2Fhome"
    )
    assert serve(ingresses, host, "/hub/login", {}, lambda _: 403).status == 403
    assert serve(ingresses, host, "/hub/login", {}, lambda _: 502).status == 500


def test_the_auth_subrequest_carries_the_cookie_and_the_edges_own_headers(
    ingresses: list[dict[str, Any]], host: str
) -> None:
    seen: list[dict[str, str]] = []

    def check(headers: Any) -> dict[str, str]:
        seen.append(dict(headers))
        return {"X-Auth-Request-User": "bob"}

    client = {
        "Cookie": "_oauth2_proxy=s",
        "X-Original-URL": "https://evil/",
        "X-Forwarded-For": "1.2.3.4",
    }
    served = serve(ingresses, f"{host}:443", "/hub/login", client, check)
    assert served.headers is not None and served.headers["x-auth-request-user"] == "bob"
    (sent,) = seen
    assert sent["cookie"] == "_oauth2_proxy=s"
    assert sent["host"] == host
    assert sent["x-original-url"] == f"https://{host}:443/hub/login"
    # auth-url is https://$host/...: the check comes back through the controller, so the
    # auth service sees the controller's address, and the client's as the original.
    assert sent["x-forwarded-for"] == CONTROLLER_ADDR
    assert sent["x-original-forwarded-for"] == REMOTE_ADDR


def test_a_second_host_header_is_refused(ingresses: list[dict[str, Any]], host: str) -> None:
    served = serve(ingresses, host, "/hub/login", {"Host": "evil.example.org"}, lambda _: {})
    assert (served.status, served.headers) == (400, None)
