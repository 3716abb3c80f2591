"""The ingress-nginx model (``tests.support.ingress_nginx``) against real nginx: the same
Ingresses (an ``AuthProxyIngress``'s, and ``minimal``'s) rendered as the controller's template
renders them (``tests.support.nginx_config``) and served by Debian's nginx 1.22.1 over TLS,
then the same hostile requests sent to both, byte for byte through a raw TLS socket. For each
request the two must agree on the status and ``Location`` the client gets, which backend gets
the request, the request target and headers it gets, and the headers the auth service gets
(its subrequest comes back through nginx itself, as ``auth-url: https://$host/...`` does in a
cluster).

What differs by construction is normalized on the real side: the client's address
(``CLIENT_ADDR``) is the model's ``REMOTE_ADDR``, nginx's own (``NGINX_ADDR``) the model's
``CONTROLLER_ADDR``, the listening port 443, an ``X-Request-ID`` nginx made up the model's
"req-id". What differs by nginx version (the model follows 1.27.1, the controller's) is marked
on the case, with the change that makes it, and checked both ways: the model's answer is not
1.22.1's, and becomes it with exactly that change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.builders import auth_proxy_ingresses
from tests.support.ingress_nginx import CONTROLLER_ADDR, REMOTE_ADDR, serve
from tests.support.manifests import ROOT, read_manifests
from tests.support.nginx_config import DEFAULT_BACKEND, NginxSite, render, upstream_name
from tests.support.processes import free_port
from tests.support.real_nginx import (
    CLIENT_ADDR,
    NGINX_ADDR,
    Answer,
    Backend,
    Received,
    request,
    running_nginx,
    self_signed,
)

# It starts nginx (and openssl): the fast tier starts no process (tests/conftest.py).
pytestmark = pytest.mark.slow

NGINX = "nginx.ingress.kubernetes.io"
# nginx 1.23.0 (CHANGES, docs/xml/nginx/changes.xml at release-1.27.1): "now nginx combines
# arbitrary header lines with identical names ... during lookup of the "$http_...", ...
# "$upstream_http_..." variables". nginx 1.22.1 ``src/http/ngx_http_variables.c``
# ``ngx_http_variable_unknown_header`` returns the first line (only ``$http_cookie`` and
# ``$http_x_forwarded_for`` join there too).
USER_HOSTS = "*.users.example.org"
JOINED_SINCE_1_23 = "nginx 1.23.0: $http_*/$upstream_http_* join repeated lines"


@dataclass(frozen=True)
class Auth:
    """How the auth service answers its check: ``status`` and response header lines."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()


ALLOW = Auth(202, (("X-Auth-Request-User", "bob"), ("Authorization", "Bearer bob")))


@dataclass(frozen=True)
class Case:
    """One request: ``target`` and ``host`` ("{host}" is the Ingresses' host; None sends no
    Host line) and the other header lines, with the auth service answering ``auth``.
    ``first_line_on_1_22`` names the headers whose value nginx 1.22.1 takes from the first of
    repeated lines where 1.27.1 joins them all."""

    id: str
    target: str = "/hub/login"
    host: str | None = "{host}"
    headers: tuple[tuple[str, str], ...] = ()
    auth: Auth = ALLOW
    first_line_on_1_22: tuple[str, ...] = ()


H = "{host}"
HOSTS = [
    Case("host", host=H),
    Case("host-port", host=H + ":443"),
    Case("host-other-port", host=H + ":8443"),
    Case("host-bad-port", host=H + ":x"),
    Case("host-upper", host="{HOST}"),
    Case("host-trailing-dot", host=H + "."),
    Case("host-trailing-dot-port", host=H + ".:443"),
    Case("host-spaces", host="  " + H + "  "),
    Case("host-tab", host=H + "\t"),
    Case("host-other", host="evil.example.org"),
    Case("host-sub", host="x." + H),
    Case("host-ip", host="127.0.0.1"),
    Case("host-ipv6", host="[::1]:443"),
    Case("host-underscore", host="hub_example.org"),
    Case("host-missing", host=None),
    Case("host-empty", host=""),
    Case("host-two-dots", host="a..b"),
    Case("host-slash", host=H + "/x"),
    Case("host-backslash", host=H + "\\x"),
    Case("host-space", host="h x"),
    Case("host-del", host="h\x7f"),
    Case("host-duplicate", headers=(("Host", "evil.example.org"),)),
    Case("host-duplicate-same", headers=(("Host", H),)),
    # A user host (the wildcard Ingress of a hub with user_hosts, "*.users.example.org").
    Case("user-host", target="/user/bob/lab", host="bob.users.example.org"),
    Case("user-host-hub-path", target="/hub/login", host="bob.users.example.org"),
    Case("user-host-upper-dot", target="/user/bob/lab", host="BOB.Users.Example.Org.:443"),
    Case("user-host-underscore", target="/user/bob/lab", host="b_b.users.example.org"),
    Case("user-host-dash", target="/user/bob/lab", host="-.users.example.org"),
    Case("user-host-two-labels", target="/user/bob/lab", host="a.b.users.example.org"),
    Case("user-host-no-label", target="/user/bob/lab", host="users.example.org"),
    Case("user-host-empty-label", target="/user/bob/lab", host=".users.example.org"),
    Case("user-host-non-ascii", target="/user/bob/lab", host="b\xc3\xb8b.users.example.org"),
    Case("user-host-suffix", target="/user/bob/lab", host="bob.users.example.org.evil"),
    Case(
        "user-host-absolute-form",
        target="https://bob.users.example.org/user/bob/lab",
        host="hub.example.org",
    ),
    Case("other-host-healthz", target="/healthz", host="evil.example.org"),
    Case("other-host-healthz-longer", target="/healthz/x?y", host="evil.example.org"),
    Case("other-host-status", target="/nginx_status", host="evil.example.org"),
    Case("other-host-root", target="/", host="evil.example.org"),
    Case("absolute-form", target="https://" + H + "/user/bob/lab", host="evil.example.org"),
    Case("absolute-form-hub", target="https://" + H + "/hub/login", host="evil.example.org"),
    Case("absolute-form-other", target="https://evil.example.org/hub/login"),
    Case("absolute-form-port", target="https://{HOST}:8443/hub/login?x=1"),
    Case("absolute-form-no-path", target="https://" + H),
    Case("absolute-form-query-only", target="https://" + H + "?x=1"),
    Case("absolute-form-bad-host", target="https://a..b/hub/login"),
    Case("absolute-form-bad-host-header", target="https://" + H + "/hub/login", host="a..b"),
]
PATHS = [
    Case(f"path {target}", target=target)
    for target in [
        "/hub/login",
        "/hub",
        "/hub/",
        "/hub?x=1",
        "/hub/login?next=/hub/home",
        "/hub/login#frag",
        "/hub/login%23frag",
        "/hub/login%3Fx",
        "//hub/login",
        "/hub//login",
        "/hub%2Flogin",
        "/hub%2flogin",
        "/./hub/login",
        "/hub/./login",
        "/hub/login/.",
        "/hub/login/..",
        "/user/bob/../../hub/login",
        "/user/bob/%2e%2e/%2E%2E/hub/login",
        "/user/bob/..%2F..%2Fhub/login",
        "/user/bob/..%2f..%2fhub/login",
        "/user/bob/%2e%2e%2F%2e%2e%2Fhub/login",
        "/user/bob/%2E%2E%2f..%2Fhub/login",
        "/user/bob/..%2F..%2Fhub/api/users",
        "/user/bob/..%2F..%2Fuser/alice/lab",
        "/hu%62/login",
        "/hub/%2e%2e/user/bob",
        "/hub/oauth2/../login",
        "/hub/oauth2%2F..%2Flogin",
        "/HUB/login",
        "/Hub/login",
        "/hub;x/login",
        "/hub%3B/login",
        "/hub\\login",
        "/hub%5Clogin",
        "/hubx/login",
        "/hub/caf%C3%A9",
        "/hub/caf\xc3\xa9",
        "/hub/login%20x",
        "/hub/a+b",
        "/user/bob/lab",
        "/user/bob/hub/login",
        "/hub/oauth2",
        "/hub/oauth2/",
        "/hub/oauth2/start?rd=%2Fhub%2F",
        "/hub/oauth2/auth",
        "/hub/oauth2/callback?code=x&state=y",
        "/healthz",
        "/nginx_status",
        "/",
        "/..",
        "/hub/../../login",
        "/%2e%2e/hub/login",
        "/%00",
        "/hub%00/login",
        "/hub%zz",
        "/hub%2",
        "/hub%",
        "*",
        "hub/login",
    ]
]
FORGED = (("X-Auth-Request-User", "admin"), ("Authorization", "Bearer forged"))
HEADERS = [
    Case(f"{where} {name}", target=target, headers=headers, first_line_on_1_22=first)
    for where, target in [("hub", "/hub/login"), ("user", "/user/bob/lab")]
    for name, headers, first in [
        ("forged", FORGED, ()),
        ("forged-twice", (*FORGED, ("x-auth-request-user", "root"), *FORGED), ()),
        ("underscored", (("X_Auth_Request_User", "admin"), ("x_authorization", "x")), ()),
        ("dotted-name", (("X.Auth-Request-User", "admin"),), ()),
        ("non-ascii-name", (("X-Äuth-Request-User", "admin"),), ()),
        ("space-before-colon", (("X-Auth-Request-User ", "admin"),), ()),
        ("control-in-name", (("X-Auth\x01", "admin"),), ()),
        ("folded-line", (("X-Auth-Request-User", "admin"), (" folded", "x")), ()),
        ("colon-first", ((":authority", "evil.example.org"),), ()),
        ("nul-in-value", (("X-Auth-Request-User", "ad\0min"),), ()),
        ("utf8-value", (("X-Auth-Request-User", "b\xc3\xb8b"),), ()),
        (
            "forwarding",
            (
                ("X-Forwarded-For", "10.0.0.1"),
                ("X-Forwarded-For", "10.0.0.2"),
                ("X-Real-IP", "10.0.0.1"),
                ("X-Forwarded-Proto", "http"),
                ("X-Forwarded-Port", "1"),
                ("X-Forwarded-Host", "evil.example.org"),
                ("X-Original-URL", "https://evil.example.org/"),
                ("X-Original-Method", "DELETE"),
                ("X-Sent-From", "me"),
                ("X-Auth-Request-Redirect", "https://evil.example.org/"),
                ("Proxy", "http://evil.example.org"),
            ),
            (),
        ),
        (
            "forwarded-host-twice",
            (("X-Forwarded-Host", "a.example.org"), ("X-Forwarded-Host", "b.example.org")),
            ("x-original-forwarded-host",),
        ),
        ("request-id", (("X-Request-ID", "mine"),), ()),
        ("request-id-twice", (("X-Request-ID", "one"), ("X-Request-ID", "two")), ("x-request-id",)),
        ("upgrade", (("Upgrade", "websocket"), ("Connection", "Upgrade")), ()),
        ("upgrade-twice", (("Upgrade", "websocket"), ("Upgrade", "h2c")), ("upgrade",)),
        (
            "hop-by-hop",
            (("TE", "trailers"), ("Keep-Alive", "timeout=5"), ("Expect", "100-continue")),
            (),
        ),
        ("cookies", (("Cookie", "_oauth2_proxy=s"), ("Cookie", "other=1")), ()),
    ]
]
AUTH = [
    Case(
        f"auth {label} {target}",
        target=target,
        auth=auth,
        headers=headers,
        first_line_on_1_22=first,
    )
    for target in ["/hub/login", "/hub", "/hub/login?next=%2Fhub%2Fhome&x=a b"]
    for label, auth, headers, first in [
        ("allows", ALLOW, (), ()),
        ("allows naming no one", Auth(200), FORGED, ()),
        (
            "allows with another header",
            Auth(202, (("X-Auth-Request-User", "bob"), ("X-Auth-Request-Email", "b@x"))),
            (),
            (),
        ),
        (
            "allows naming two",
            Auth(202, (("X-Auth-Request-User", "bob"), ("X-Auth-Request-User", "admin"))),
            (),
            ("x-auth-request-user",),
        ),
        ("401", Auth(401), FORGED, ()),
        ("403", Auth(403), (), ()),
        ("404", Auth(404), (), ()),
        ("500", Auth(500), (), ()),
        ("502", Auth(502), (), ()),
    ]
] + [
    Case(f"auth 401 {target}", target=target, auth=Auth(401))
    for target in ["/hub/login#frag", "//hub/caf%C3%A9", "/hub/caf\xc3\xa9", "/hub/%22%3C%3E"]
]
CASES = [*HOSTS, *PATHS, *HEADERS, *AUTH]


@dataclass(frozen=True)
class Outcome:
    """What a request came to: the client's ``status`` and ``location``; the backend that got
    it, with its request ``target`` and ``headers``; the headers each auth check got."""

    status: int
    location: str | None
    backend: str | None
    target: str | None
    headers: Mapping[str, str] | None
    checks: tuple[Mapping[str, str], ...] = field(default=())


def _not_found(_target: str, _lines: object) -> Answer:
    # The controller's own default backend (nginx.tmpl: ``location / { return 404; }``).
    return Answer(404)


def _answer(auth_path: str, auth: Auth, target: str) -> Answer:
    """A Service's answer: the auth check's as the case says, anything else 200."""
    if target.split("?")[0] == auth_path:
        return Answer(auth.status, auth.headers)
    return Answer(200)


class Edge:
    """Real nginx serving ``ingresses``, with a recording backend per Service."""

    def __init__(self, ingresses: list[dict[str, Any]], directory: Path) -> None:
        self.ingresses = ingresses
        self.host = str(ingresses[0]["spec"]["rules"][0]["host"])
        urls = [i["metadata"].get("annotations", {}).get(f"{NGINX}/auth-url") for i in ingresses]
        self.auth_path = next((urlsplit(u).path for u in urls if u), "")
        self.auth = ALLOW
        # Each Service's upstream name, and the Service's name its backend records.
        self.services: dict[str, str] = {}
        for ingress in ingresses:
            for rule in ingress["spec"]["rules"]:
                for path in rule["http"]["paths"]:
                    service = path["backend"]["service"]
                    upstream = upstream_name(ingress["metadata"]["namespace"], service)
                    self.services[upstream] = service["name"]
        self.directory = directory
        self.port = free_port()

    def __enter__(self) -> Edge:
        with ExitStack() as stack:
            self.backends = [
                stack.enter_context(Backend(name, self._answer))
                for name in sorted(set(self.services.values()))
            ]
            self.backends.append(stack.enter_context(Backend(DEFAULT_BACKEND, _not_found)))
            ports = {b.name: b.port for b in self.backends}
            cert, key = self_signed(self.directory, self.host)
            upstreams = {upstream: ports[name] for upstream, name in self.services.items()}
            upstreams[DEFAULT_BACKEND] = ports[DEFAULT_BACKEND]
            site = NginxSite(self.port, self.directory, cert, key, upstreams)
            config = render(self.ingresses, site)
            stack.enter_context(running_nginx(self.directory, config, self.port))
            self.stack = stack.pop_all()
        return self

    def _answer(self, target: str, _lines: object) -> Answer:
        return _answer(self.auth_path, self.auth, target)

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def fill(self, text: str) -> str:
        return text.replace("{HOST}", self.host.upper()).replace("{host}", self.host)

    def real(self, case: Case) -> Outcome:
        self.auth = case.auth
        for backend in self.backends:
            backend.received.clear()
        host = None if case.host is None else self.fill(case.host)
        lines = [f"GET {self.fill(case.target)} HTTP/1.1"]
        lines += [] if host is None else [f"Host: {host}"]
        lines += [f"{self.fill(n)}: {self.fill(v)}" for n, v in case.headers]
        raw = "\r\n".join([*lines, "Connection: close", "", ""]).encode("latin-1")
        response = request(self.port, self.host, raw)
        received = [r for b in self.backends for r in b.received]
        checks = [r for r in received if _value(r, "x-real-ip") == NGINX_ADDR]
        others = [r for r in received if r not in checks]
        assert len(others) <= 1, others  # the client's request, passed on once at most
        passed = others[0] if others else None
        sent_id = any(n.lower() == "x-request-id" for n, _ in case.headers)
        return Outcome(
            response.status,
            response.header("Location"),
            passed.backend if passed else None,
            passed.target if passed else None,
            self._normal(passed, sent_id) if passed else None,
            tuple(self._normal(c, sent_id) for c in checks),
        )

    def _normal(self, received: Received, sent_id: bool) -> dict[str, str]:
        """The headers as the model writes them: lower-case names, repeated lines joined,
        and what differs by construction replaced (the module docstring)."""
        out: dict[str, str] = {}
        for name, value in received.headers:
            name = name.lower()
            if name in ("x-real-ip", "x-forwarded-for", "x-original-forwarded-for"):
                address = {CLIENT_ADDR: REMOTE_ADDR, NGINX_ADDR: CONTROLLER_ADDR}
                value = ", ".join(address.get(a, a) for a in value.split(", "))
            elif name == "x-forwarded-port" and value == str(self.port):
                value = "443"
            elif name == "x-request-id" and not sent_id and re.fullmatch("[0-9a-f]{32}", value):
                value = "req-id"
            out[name] = f"{out[name]}, {value}" if name in out else value
        return out

    def model(self, case: Case) -> Outcome:
        checks: list[Mapping[str, str]] = []

        def check(headers: Mapping[str, str]) -> Sequence[tuple[str, str]] | int:
            checks.append(dict(headers))
            auth = case.auth
            return auth.headers if 200 <= auth.status < 300 else auth.status

        headers = [(self.fill(n), self.fill(v)) for n, v in case.headers]
        host = "" if case.host is None else self.fill(case.host)
        served = serve(
            self.ingresses, host, self.fill(case.target), [*headers, ("Connection", "close")], check
        )
        backend = served.service["name"] if served.service else None
        status = served.status
        if status is None:
            assert served.target is not None  # a request passed on has its target
            status = _answer(self.auth_path, case.auth, served.target).status
        return Outcome(
            status, served.location, backend, served.target, served.headers, tuple(checks)
        )


def _value(received: Received, name: str) -> str | None:
    return next((v for n, v in received.headers if n.lower() == name), None)


def _first_lines(outcome: Outcome, names: Sequence[str]) -> Outcome:
    """``outcome`` as nginx 1.22.1 has it, where the ``names`` take the first line's value."""

    def first(headers: Mapping[str, str]) -> dict[str, str]:
        return {n: v.split(", ")[0] if n in names else v for n, v in headers.items()}

    return replace(
        outcome,
        headers=None if outcome.headers is None else first(outcome.headers),
        checks=tuple(first(c) for c in outcome.checks),
    )


def _minimal() -> list[dict[str, Any]]:
    return [m for m in read_manifests(ROOT / "dist" / "minimal") if m["kind"] == "Ingress"]


EDGES: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "AuthProxyIngress": auth_proxy_ingresses,
    "AuthProxyIngress-user_hosts": lambda: auth_proxy_ingresses(user_hosts=USER_HOSTS),
    "minimal": _minimal,
}


@pytest.fixture(scope="module", params=list(EDGES))
def edge(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    ingresses = EDGES[request.param]()
    with Edge(ingresses, tmp_path_factory.mktemp(f"nginx-{request.param}")) as started:
        yield started


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_real_nginx_agrees_with_the_model(edge: Edge, case: Case) -> None:
    real = edge.real(case)
    model = edge.model(case)
    on_1_22 = _first_lines(model, case.first_line_on_1_22)
    if on_1_22 != model:
        # Where the model joins lines of a marked header, 1.22.1 must differ from it, by
        # exactly that change (JOINED_SINCE_1_23).
        assert (model != real, on_1_22) == (True, real)
    else:
        assert model == real
