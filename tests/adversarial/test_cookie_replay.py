"""Cookie replay: the owner of a user server records the cookies a visitor's browser sends it
and presents them at the edge and at the hub, to be logged in as the visitor.

What the browser sends is decided by a real cookie jar (``tests.support.browser``: RFC 6265's path
rules) holding the cookies oauth2-proxy sets when installed as the deploy guide installs it
(``tests.support.oauth2_proxy``, a model of its v7.15.3 source; the test's issuer is the site's own)
and those the real hub sets; its check answers with the headers that source sets. Each
edge is modelled from its synthesized objects: an ``AuthProxyIngress``'s Ingresses
(``tests.support.ingress_nginx``), ``dev``'s ext-authz AuthorizationPolicy and VirtualService
(``tests.mesh``) with the extension provider the deploy guide configures. The rest is real:
configurable-http-proxy, the hub, and Bob's user server, which records every request it
gets.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import pytest
import requests

from constructs_lib import AuthProxy
from tests.adversarial.kit import ISSUER, Hub, KeyPair, claims, recorded, recording_hub, sign
from tests.mesh.authz import Request, admit
from tests.mesh.objects import Mesh, Workload
from tests.mesh.paths import normalized_path
from tests.mesh.routing import route_matches
from tests.support.browser import Browser
from tests.support.builders import auth_proxy_ingresses
from tests.support.deploy_guide import guide_proxy, mesh_provider
from tests.support.ingress_nginx import normalized_path as nginx_path
from tests.support.ingress_nginx import serve
from tests.support.manifests import ROOT, read_manifests
from tests.support.oauth2_proxy import OAuth2Proxy, TokenResponse, parse_cookie_header

pytestmark = pytest.mark.slow  # a real hub and proxy (tests/adversarial/kit.py)

KEY = KeyPair("rsa")
# oauth2-proxy's Service, to which AuthProxyIngress sends its paths.
AUTH_PROXY_SERVICE = AuthProxy().service
# Headers a replay leaves out: they describe the hop to Bob's server, not the visitor.
HOP_HEADERS = {"host", "content-length"}


def tokens(user: str) -> TokenResponse:
    """The identity provider's answer for ``user`` (here ``sub`` is the name, the one case
    today's hub accepts; ``tests/test_deploy_guide.py`` holds the header to a real ``sub``)."""
    signed = sign(
        KEY.private, claims(user, sub=user, email=f"{user}@example.org"), "RS256", kid="rsa"
    )
    return TokenResponse(signed, access_token=f"{user}-access", expires_in_seconds=300)


def oauth2_proxy(edge: Edge) -> OAuth2Proxy:
    """oauth2-proxy as the deploy guide installs it, for the test's identity provider."""
    return guide_proxy(
        "dev",
        {"extraArgs": {"oidc-issuer-url": ISSUER}},
        keys=KEY.private.public_key(),
    )


@dataclass(frozen=True)
class Passed:
    """What an edge did with a request: passed it on with ``headers`` to ``target`` (the
    proxy, or the auth proxy itself), or answered ``status`` itself (``headers`` None)."""

    headers: dict[str, str] | None
    target: str
    status: int | None = None
    # The request target passed on: nginx passes the client's as sent; Envoy the path it
    # normalized (tests.mesh.paths).
    path: str | None = None


class Edge(Protocol):
    name: str
    host: str
    auth_service: str  # where oauth2-proxy is reached

    def request(self, path: str, client: Mapping[str, str], auth: OAuth2Proxy) -> Passed: ...


class NginxEdge:
    """ingress-nginx with an ``AuthProxyIngress``'s synthesized Ingresses."""

    name = "AuthProxyIngress"
    auth_service = AUTH_PROXY_SERVICE

    def __init__(self) -> None:
        self.ingresses = auth_proxy_ingresses()
        self.host = str(self.ingresses[0]["spec"]["rules"][0]["host"])

    def request(self, path: str, client: Mapping[str, str], auth: OAuth2Proxy) -> Passed:
        def check(headers: Mapping[str, str]) -> Mapping[str, str] | int:
            answer = auth.auth(headers.get("cookie", ""))
            return answer.headers if 200 <= answer.status < 300 else answer.status

        served = serve(self.ingresses, self.host, path, client, check)
        if served.headers is None:  # nginx, the auth service or the default backend answered
            return Passed(None, self.auth_service, served.status)
        assert served.service is not None  # a request passed on has its backend
        return Passed(served.headers, served.service["name"], served.status, path)


class IstioEdge:
    """``dev``: the Istio gateway with the synthesized ext-authz policy and VirtualService,
    and the extension provider of the deploy guide's mesh config. Envoy's ext-authz filter runs
    before the router: on allow it sets ``headersToUpstreamOnAllow`` from the answer, then
    the route's header removal applies."""

    name = "dev"

    def __init__(self) -> None:
        self.mesh = Mesh.of(
            read_manifests(ROOT / "dist" / "dev"), read_manifests(ROOT / "analysis")
        )
        self.gateway: Workload = next(
            w for w in self.mesh.workloads if w.labels.get("istio") == "ingressgateway"
        )
        # The hub host's (dev's user servers' wildcard host has a VirtualService of its own).
        (service,) = [vs for vs in self.mesh.virtual_services if not vs.hosts[0].startswith("*.")]
        self.routes = service.http
        self.host = service.hosts[0]
        self.provider = mesh_provider()
        self.auth_service = str(self.provider["service"]).split(".", 1)[0]

    def request(self, path: str, client: Mapping[str, str], auth: OAuth2Proxy) -> Passed:
        sent = {name.lower(): value for name, value in client.items()}
        # At the gateway's pods (8443: the gateway chart's HTTPS container port, behind the
        # Gateway's 443; dev's HTTP port only redirects, and its check skips the HTTP ports),
        # as the client sent it.
        _, why = admit(
            self.mesh,
            self.gateway,
            8443,
            mtls=False,
            principal=None,
            request=Request("GET", self.host, path),
        )
        if "delegated to the CUSTOM provider" in why:
            checked = {
                name: sent[name]
                for name in self.provider["includeRequestHeadersInCheck"]
                if name in sent
            }
            # Envoy asks with the request's own path, and oauth2-proxy's router answers
            # (its sign-in and callback, or the check): a 2xx allows the request, anything
            # else goes back to the browser.
            allowed = auth.serve(path, checked.get("cookie", ""), accept=sent.get("accept", ""))
            if not 200 <= allowed.status < 300:
                return Passed(None, self.auth_service, allowed.status)
            answer = {k.lower(): v for k, v in allowed.headers.items()}
            for name in self.provider["headersToUpstreamOnAllow"]:
                sent.pop(name, None)
                if name in answer:
                    sent[name] = answer[name]
        route = next(r for r in self.routes if route_matches(r, path))
        for name in ((route.get("headers") or {}).get("request") or {}).get("remove", []):
            sent.pop(name.lower(), None)
        return Passed(sent, route["route"][0]["destination"]["host"], path=normalized_path(path))


EDGES: list[Callable[[], Edge]] = [NginxEdge, IstioEdge]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with recording_hub(tmp_path_factory.mktemp("cookies"), [KEY]) as running:
        yield running


@pytest.fixture(params=EDGES, ids=lambda edge: edge.name)
def edge(request: pytest.FixtureRequest) -> Edge:
    made: Edge = request.param()
    return made


def signed_in(browser: Browser, auth: OAuth2Proxy, user: str) -> None:
    """``user`` signs in at oauth2-proxy (its /start, the identity provider, its /callback):
    the browser keeps the cookies it sets, with the attributes its flags give them."""
    browser.receive(f"{auth.prefix}/start", auth.start())
    callback = f"{auth.prefix}/callback?state=s&code=c"
    sent = parse_cookie_header(browser.cookie_header(callback))
    browser.receive(callback, auth.callback(sent, tokens(user)))


def visit(
    hub: Hub,
    edge: Edge,
    auth: OAuth2Proxy,
    browser: Browser,
    path: str,
    headers: Mapping[str, str] | None = None,
) -> requests.Response | Passed:
    """The browser requests ``path`` (with ``headers`` besides its cookies) through the
    edge; the response's cookies go to its jar. The edge's own answer (when it did not pass
    the request on) is returned as it is."""
    cookie = browser.cookie_header(path)
    client = {**(headers or {}), **({"Cookie": cookie} if cookie else {})}
    passed = edge.request(path, client, auth)
    if passed.headers is None:
        return passed
    response = requests.get(
        f"{hub.proxy_url}{passed.path or path}",
        headers=passed.headers,
        allow_redirects=False,
        timeout=30,
    )
    browser.receive(path, response.raw.headers.getlist("Set-Cookie"))
    return response


def status(answer: requests.Response | Passed) -> str:
    if isinstance(answer, Passed):
        return f"the edge answered {answer.status}"
    return str(answer.status_code)


def who(
    hub: Hub,
    edge: Edge,
    auth: OAuth2Proxy,
    headers: Mapping[str, str],
    browser: Browser | None = None,
) -> str:
    """Whom the hub takes a browser sending ``headers`` (its ``cookie`` added to the
    browser's own, on path ``/``) for: it goes through the edge to ``/hub/login``, then
    ``/hub/home`` and ``/hub/api/user`` with the cookies it gets."""
    browser = browser or Browser(f"https://{edge.host}")
    for name, value in parse_cookie_header(headers.get("cookie", "")).items():
        browser.receive("/", [f"{name}={value}; Path=/"])
    rest = {k: v for k, v in headers.items() if k != "cookie"}
    steps = []
    for path in ("/hub/login", "/hub/home"):
        steps.append(f"{path} {status(visit(hub, edge, auth, browser, path, rest))}")
    xsrf = next((c.value for c in browser.jar if c.name == "_xsrf"), None) or ""
    api = visit(hub, edge, auth, browser, "/hub/api/user", {**rest, "X-XSRFToken": xsrf})
    if isinstance(api, requests.Response) and api.status_code == 200:
        return str(api.json()["name"])
    return f"nobody ({', '.join(steps)}, /hub/api/user {status(api)})"


def alice_visits_bob(hub: Hub, edge: Edge, auth: OAuth2Proxy) -> tuple[Browser, dict[str, str]]:
    """Alice signs in, logs in to the hub, then opens a notebook on Bob's server: what her
    browser holds, and the headers Bob's server recorded."""
    browser = Browser(f"https://{edge.host}")
    signed_in(browser, auth, "alice")
    login = visit(hub, edge, auth, browser, "/hub/login")
    assert isinstance(login, requests.Response) and login.status_code == 302, login
    before = len(recorded(hub))
    page = visit(hub, edge, auth, browser, "/user/bob/lab/tree/shared.ipynb")
    assert isinstance(page, requests.Response) and page.status_code == 200, page
    (request,) = recorded(hub)[before:]
    headers = {k.lower(): v for k, v in request["headers"].items() if k.lower() not in HOP_HEADERS}
    return browser, headers


def test_auth_proxy_cookies_never_reach_a_user_server(
    hub: Hub, edge: Edge, report: Callable[[str, str], None]
) -> None:
    auth = oauth2_proxy(edge)
    browser, stolen = alice_visits_bob(hub, edge, auth)
    sent = sorted(parse_cookie_header(stolen.get("cookie", "")))
    report(
        f"{edge.name}: Alice's browser ({browser.names()}) visits Bob's server",
        f"Bob's server saw cookies {sent}",
    )
    assert not [name for name in sent if name.startswith(auth.cookie_name)], sent


def test_replayed_cookies_do_not_log_in(
    hub: Hub, edge: Edge, report: Callable[[str, str], None]
) -> None:
    auth = oauth2_proxy(edge)
    _, stolen = alice_visits_bob(hub, edge, auth)
    seen = who(hub, edge, auth, stolen)
    report(f"{edge.name}: Bob replays what his server recorded at the edge", f"hub sees {seen}")
    assert seen != "alice"
    for target, url in (("the hub's port", hub.hub_url), ("the proxy", hub.proxy_url)):
        responses = [
            requests.get(f"{url}{path}", headers=stolen, allow_redirects=False, timeout=30)
            for path in ("/hub/login", "/hub/api/user")
        ]
        statuses = [r.status_code for r in responses]
        report(
            f"{edge.name}: Bob replays it to {target} (/hub/login, /hub/api/user)",
            f"{statuses}",
        )
        assert statuses[0] in (401, 403) and statuses[1] in (401, 403), statuses


def test_sign_in_reaches_the_auth_proxy_unchecked(
    edge: Edge, report: Callable[[str, str], None]
) -> None:
    """The control: oauth2-proxy's sign-in, callback and check, under its prefix on the
    hub's path, reach it without a session; its CSRF cookie reaches its callback."""
    auth = oauth2_proxy(edge)
    browser = Browser(f"https://{edge.host}")
    seen = []
    for endpoint in ("start", "callback", "auth"):
        passed = edge.request(f"{auth.prefix}/{endpoint}", {}, auth)
        seen.append(f"{endpoint} -> {passed.target}")
        assert passed.target == edge.auth_service, passed
    signed_in(browser, auth, "carol")  # refused without the CSRF cookie at the callback
    report(f"{edge.name}: a browser without a session signs in", f"{', '.join(seen)}")


def test_hub_session_id_does_not_log_in(
    hub: Hub, edge: Edge, report: Callable[[str, str], None]
) -> None:
    """JupyterHub's ``jupyterhub-session-id`` has path ``/`` (services read it), so Bob's
    server gets the visitor's: it names a session, it does not log anyone in."""
    auth = oauth2_proxy(edge)
    _, stolen = alice_visits_bob(hub, edge, auth)
    session_id = parse_cookie_header(stolen.get("cookie", "")).get("jupyterhub-session-id")
    assert session_id, stolen
    alone = requests.get(
        f"{hub.hub_url}/hub/api/user",
        headers={"Cookie": f"jupyterhub-session-id={session_id}"},
        timeout=30,
    )
    bob = Browser(f"https://{edge.host}")
    signed_in(bob, auth, "bob")
    as_bob = who(hub, edge, auth, {"cookie": f"jupyterhub-session-id={session_id}"}, bob)
    report(
        f"{edge.name}: Bob presents Alice's jupyterhub-session-id",
        f"alone at the hub: {alone.status_code}; with his own sign-in: {as_bob}",
    )
    assert alone.status_code in (401, 403) and as_bob == "bob"


# Spellings of the hub's login an attacker may try at either edge: what each edge checks
# differs (nginx merges slashes and decodes %2F, Envoy does neither), so each must either
# check it or strip the user header on the way to a hub that does not serve it as its login.
LOGIN_SPELLINGS = [
    "//hub/login",
    "/hub//login",
    "/hub%2Flogin",
    "/HUB/login",
    "/hub;x/login",
    "/hub\\login",
    "/user/bob/../../hub/login",
    "/user/bob/%2e%2e/%2e%2e/hub/login",
    "/user/bob/..%2F..%2Fhub/login",
    "/user/bob/%2E%2E%2f..%2fhub/login",
]


@pytest.mark.parametrize("path", LOGIN_SPELLINGS)
def test_a_forged_user_header_on_any_spelling_of_the_login_logs_no_one_in(
    hub: Hub, edge: Edge, path: str, report: Callable[[str, str], None]
) -> None:
    auth = oauth2_proxy(edge)
    browser = Browser(f"https://{edge.host}")
    forged = {
        "X-Auth-Request-User": "mallory",
        "Authorization": f"Bearer {tokens('mallory').id_token}",
    }
    answer = visit(hub, edge, auth, browser, path, forged)
    report(f"{edge.name}: a forged X-Auth-Request-User at {path}", status(answer))
    assert "mallory" not in hub.users()
    assert not any(c.name == "jupyterhub-hub-login" for c in browser.jar), browser.names()


# A climb out of Bob's path to the hub's API or to Alice's server, its slashes escaped (and
# its dots, upper and lower case, mixed). nginx decodes %2F and resolves the dots before it
# matches a location (tests/test_ingress_inputs.py): the hub's path is checked, Alice's is
# not, and either is passed on as written. Envoy keeps %2F (tests.mesh.paths): the route for
# every other path, to CHP, the user header removed. CHP decodes only to pick the route
# (configurable-http-proxy 5.3.0 lib/configproxy.js, ``targetForReq``:
# ``decodeURIComponent`` of the WHATWG pathname, where "..%2F.." is no dot segment): Bob's,
# and it forwards the path as sent.
ESCAPED_CLIMBS = [
    f"/user/{owner}/{up}{to}"
    for up in ("..%2F..%2F", "..%2f..%2f", "%2e%2e%2F%2e%2e%2F", "%2E%2E%2f..%2F")
    for owner, to in (
        ("bob", "hub/api/users"),
        ("bob", "user/alice/api/contents"),
        # Carol has no server: CHP sends her path to the hub, which serves it as hers.
        ("carol", "hub/api/users"),
    )
]


@pytest.fixture(scope="module")
def alice_server(hub: Hub) -> str:
    """Alice's server runs too: a climb that reached it would be recorded under her path."""
    hub.running.start_server("alice")
    return "/user/alice/"


def raw_get(proxy_url: str, path: str, headers: Mapping[str, str]) -> tuple[int, str, bytes]:
    """GET ``path`` byte for byte (``requests`` would re-spell its escapes: ``%2e`` as
    ``.``, ``%2f`` as ``%2F``): the status, ``Location`` and body."""
    parts = urlsplit(proxy_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request("GET", path, headers=dict(headers))
        response = connection.getresponse()
        return response.status, response.getheader("Location") or "", response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", ESCAPED_CLIMBS)
def test_an_escaped_climb_out_of_a_users_path_reaches_no_one_elses_server_nor_the_hub(
    hub: Hub, edge: Edge, alice_server: str, path: str, report: Callable[[str, str], None]
) -> None:
    """From Alice's signed-in browser (a link on Bob's page) and from a client forging the
    user header. The climb to the hub: nginx checks it, and the browser, whose cookies of the
    auth proxy are for the hub's path, sends none (RFC 6265 path-match on the path as
    written): sent to sign in. Any other reaches Bob's own server, as a visit to it does
    (or, for Carol, who has none, the hub, which redirects to her path under its own):
    without the auth proxy's cookies or Alice's token, and with no user header but the
    client's own, which nginx passes on a path it does not check (tests/test_ingress_inputs.py)
    and Istio's route removes."""
    auth = oauth2_proxy(edge)
    browser = Browser(f"https://{edge.host}")
    signed_in(browser, auth, "alice")
    cookie = browser.cookie_header(path)
    forged = {
        "X-Auth-Request-User": "mallory",
        "Authorization": f"Bearer {tokens('mallory').id_token}",
    }
    seen = []
    for client, sent in (("alice", {"Cookie": cookie} if cookie else {}), ("forged", forged)):
        before = len(recorded(hub))
        passed = edge.request(path, sent, auth)
        if passed.headers is None:
            seen.append(f"{client}: the edge answered {passed.status}")
            assert edge.name == NginxEdge.name and passed.status == 302, passed
            assert nginx_path(path).startswith("/hub/"), path  # the hub's path: checked
            continue
        forwarded = passed.path or path
        status, location, body = raw_get(hub.proxy_url, forwarded, passed.headers)
        if path.startswith("/user/carol/"):
            # The hub: to its own spelling of Carol's path (JupyterHub's UserUrlHandler),
            # which the edge checks, and where the forging client is sent to sign in.
            seen.append(f"{client}: the hub answered {status} to {location}")
            assert not recorded(hub)[before:]
            assert (status, body) == (302, b""), (status, body[:300])
            assert location == f"/hub{forwarded}", location
            if client == "forged":
                # No session: oauth2-proxy's sign-in page (403, its ``Proxy`` without
                # --skip-provider-button), the gateway passes nothing on.
                followed = edge.request(location, sent, auth)
                assert (followed.headers, followed.status) == (None, 403), followed
            continue
        (got,) = recorded(hub)[before:]
        seen.append(f"{client}: {status} from the server at {got['path']}")
        assert (status, body) == (200, b"recorded"), (status, location, body[:300])
        assert got["path"] == forwarded and got["path"].startswith("/user/bob/"), got
        assert not got["path"].startswith(alice_server), got
        headers = {k.lower(): v for k, v in got["headers"].items()}
        own = sent.get("X-Auth-Request-User") if edge.name == NginxEdge.name else None
        assert headers.get("x-auth-request-user") == own, headers
        assert headers.get("authorization") == sent.get("Authorization"), headers
        cookies = parse_cookie_header(headers.get("cookie", ""))
        assert not [name for name in cookies if name.startswith(auth.cookie_name)], cookies
    report(f"{edge.name}: {path}", "; ".join(seen))
    assert "mallory" not in hub.users()
