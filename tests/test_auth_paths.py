"""Where each edge asks oauth2-proxy, read from the synthesized objects (``dist/dev``, and an
``AuthProxyIngress`` made here): on the hub's paths only, never on a user server's;
oauth2-proxy's own paths reach it unchecked; and the flags the deploy guide gives it keep its
cookies on the hub's path, where its callback is. ``minimal`` asks no one: its one Ingress
sends every path to the proxy, and the hub logs people in itself.
``tests/adversarial/test_cookie_replay.py`` attacks the same edges with real processes."""

from __future__ import annotations

from typing import Any

import pytest

from constructs_lib import AUTH_PROXY_FLAGS
from constructs_lib._ingresses.auth_proxy import AUTH_COOKIE_PATH, AUTH_PROXY_PREFIX
from tests.mesh.authz import Request, admit
from tests.mesh.objects import Mesh
from tests.support.browser import Browser
from tests.support.builders import auth_proxy_ingresses
from tests.support.deploy_guide import guide_proxy
from tests.support.ingress_nginx import route
from tests.support.manifests import ROOT, read_manifests

NGINX = "nginx.ingress.kubernetes.io"
HUB_PATHS = [
    "/hub",
    "/hub/",
    "/hub/login",
    "/hub/home",
    "/hub/api/user",
    "/hub/api/oauth2/authorize",
]
AUTH_PROXY_PATHS = [f"{AUTH_PROXY_PREFIX}/{name}" for name in ("start", "callback", "auth")]
OTHER_PATHS = [
    "/",
    "/user/bob/lab",
    "/user/bob/hub/login",
    "/user/bob/oauth_callback",
    "/hubx/login",
    "/oauth2/start",
    "/services/culler/",
]


def _ingresses() -> list[dict[str, Any]]:
    return auth_proxy_ingresses()


def _checked(path: str) -> bool:
    ingresses = _ingresses()
    host = ingresses[0]["spec"]["rules"][0]["host"]
    return f"{NGINX}/auth-url" in (
        route(ingresses, host, path)["metadata"].get("annotations") or {}
    )


@pytest.mark.parametrize("path", HUB_PATHS)
def test_auth_proxy_ingress_checks_the_hub_paths(path: str) -> None:
    assert _checked(path)


@pytest.mark.parametrize("path", [*OTHER_PATHS, *AUTH_PROXY_PATHS])
def test_auth_proxy_ingress_checks_nothing_else(path: str) -> None:
    assert not _checked(path)


def test_auth_proxy_ingress_routes_the_auth_proxy_paths_to_it() -> None:
    ingresses = _ingresses()
    host = ingresses[0]["spec"]["rules"][0]["host"]
    for path in AUTH_PROXY_PATHS:
        ingress = route(ingresses, host, path)
        (entry,) = ingress["spec"]["rules"][0]["http"]["paths"]
        assert entry["backend"]["service"]["name"] == "oauth2-proxy", path
    # Its check and sign-in are where the hub's Ingress sends the controller and the browser.
    hub = route(ingresses, host, "/hub/login")["metadata"]["annotations"]
    assert hub[f"{NGINX}/auth-url"] == f"https://$host{AUTH_PROXY_PREFIX}/auth"
    assert hub[f"{NGINX}/auth-signin"].startswith(f"https://$host{AUTH_PROXY_PREFIX}/start?")


def test_auth_proxy_ingress_root_has_no_auth() -> None:
    (root,) = [i for i in _ingresses() if i["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/"]
    assert not root["metadata"].get("annotations")


@pytest.mark.parametrize("path", [*HUB_PATHS, *OTHER_PATHS, "/hub/oauth_callback"])
def test_minimal_sends_every_path_to_the_proxy_unchecked(path: str) -> None:
    manifests = read_manifests(ROOT / "dist" / "minimal")
    ingresses = [m for m in manifests if m["kind"] == "Ingress"]
    host = ingresses[0]["spec"]["rules"][0]["host"]
    ingress = route(ingresses, host, path)
    assert not ingress["metadata"].get("annotations")
    (entry,) = ingress["spec"]["rules"][0]["http"]["paths"]
    backend = entry["backend"]["service"]
    # The proxy's public port: a Service of the proxy's pods with that port's name.
    (service,) = [
        m for m in manifests if m["kind"] == "Service" and m["metadata"]["name"] == backend["name"]
    ]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "proxy"
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


@pytest.mark.parametrize(
    ("path", "checked"),
    [
        *((p, True) for p in [*HUB_PATHS, *AUTH_PROXY_PATHS]),
        *((p, False) for p in OTHER_PATHS),
    ],
)
def test_dev_ext_authz_only_on_the_hub_paths(path: str, checked: bool) -> None:
    mesh = Mesh.of(read_manifests(ROOT / "dist" / "dev"), read_manifests(ROOT / "analysis"))
    gateway = next(w for w in mesh.workloads if w.labels.get("istio") == "ingressgateway")
    # The hub's VirtualService (the other serves the user servers' own hosts).
    (service,) = [vs for vs in mesh.virtual_services if not vs.hosts[0].startswith("*.")]
    request = Request("GET", service.hosts[0], path)
    # At the gateway's pods' HTTPS port (the gateway chart's 8443, behind the Gateway's 443):
    # dev's HTTP server only redirects, and the check skips the HTTP ports.
    _, why = admit(mesh, gateway, 8443, mtls=False, principal=None, request=request)
    assert ("delegated to the CUSTOM provider" in why) == checked, why


def test_readme_runs_oauth2_proxy_with_its_flags() -> None:
    auth = guide_proxy("dev")
    assert set(AUTH_PROXY_FLAGS) <= set(auth.args), auth.args
    assert auth.prefix == AUTH_PROXY_PREFIX
    assert auth.flag("cookie-path") == AUTH_COOKIE_PATH


def test_auth_proxy_cookies_reach_its_callback_and_the_hub_only() -> None:
    auth = guide_proxy("dev")
    browser = Browser("https://hub.example.org")
    browser.receive(f"{auth.prefix}/start", auth.start())
    browser.receive(f"{auth.prefix}/start", [auth.set_cookie(auth.cookie_name, "s")])
    assert {path for _, path in browser.names()} == {AUTH_COOKIE_PATH}
    for path in [*HUB_PATHS, *AUTH_PROXY_PATHS]:
        assert auth.cookie_name in browser.cookie_header(path), path
    for path in OTHER_PATHS:
        assert browser.cookie_header(path) == "", path
