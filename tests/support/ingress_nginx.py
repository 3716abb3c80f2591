"""ingress-nginx controller v1.15.1 (its newest release, the one the deploy guide names) as far
as the tests need it, since the controller cannot run here: which server and location of the
nginx configuration it generates from the Ingress objects serve a request, what it answers
itself, and which headers the auth service and the backend receive.

Each rule cites what it follows: the controller's source at tag ``controller-v1.15.1`` of
``kubernetes/ingress-nginx`` (``internal/ingress/controller/controller.go``, ``location.go``,
``template/template.go``, ``config/config.go`` ``NewDefault`` for the ConfigMap's defaults, and
``rootfs/etc/nginx/template/nginx.tmpl``, cited as "nginx.tmpl"), and nginx 1.27.1, which that
release builds (``images/nginx/rootfs/build.sh``: ``NGINX_VERSION=1.27.1``), at tag
``release-1.27.1`` of ``nginx/nginx``, with its documentation at nginx.org for that version.

Checked against real nginx: ``tests/test_ingress_nginx_real.py`` renders the same Ingresses
into the configuration the controller's template makes (``tests.support.nginx_config``), has
Debian's nginx 1.22.1 serve it, and sends both the same hostile requests byte for byte; where
1.22.1 and 1.27.1 differ (repeated lines in ``$http_*`` and ``$upstream_http_*``, joined since
1.23.0) the case says so.

The backend receives the request target as the client sent it, not the normalized path
nginx matched: nginx.tmpl's ``proxy_pass http://upstream_balancer;`` names no URI (nginx proxy
module docs, proxy_pass: "the request URI is passed to the server in the same form as sent
by a client"). An ``auth-url`` on a host these Ingresses serve (``https://$host/...``) is
asked through the controller itself: the auth service gets the subrequest as the Ingress of
that path passes it on, from ``CONTROLLER_ADDR``.

What it leaves out: annotations the constructs do not set (rewrite-target, use-regex, canary,
snippets, CORS, rate limits), the global auth-url, TLS (SNI selects the certificate; nginx then
picks the server by ``Host`` again: ``ngx_http_process_host``), the HTTP-to-HTTPS redirect,
the auth service's ``Set-Cookie`` sent back to the client, methods other than GET, request
bodies, and header size limits (``large_client_header_buffers``). A request is HTTP/1.1 over
TLS on port 443 from ``REMOTE_ADDR``; strings stand for bytes as latin-1 (as tornado decodes
them), so ``"caf\xc3\xa9"`` is "café" in UTF-8.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "CONTROLLER_ADDR",
    "DEFAULT_BACKEND",
    "REMOTE_ADDR",
    "BadRequest",
    "Served",
    "auth_request_headers",
    "normalized_path",
    "route",
    "serve",
    "server_name",
    "upstream_headers",
]

_NGINX = "nginx.ingress.kubernetes.io"
# controller.go: defServerName, the catch-all server of rules without a host and of
# requests no server_name matches (nginx.tmpl: ``listen ... default_server``).
DEFAULT_SERVER = "_"
# controller.go createServers: each server starts with a root location on the default
# backend (``IsDefBackend``), which answers 404 to everything.
DEFAULT_BACKEND: Mapping[str, Any] = {"name": "upstream-default-backend"}
# The client's address and the connection's port and scheme, as nginx's variables see them.
REMOTE_ADDR = "203.0.113.7"
# The controller's own address, as it sees its auth subrequest come back through itself
# (``auth-url: https://$host/...``: the name resolves to the controller's load balancer).
CONTROLLER_ADDR = "10.0.0.10"
SERVER_PORT = "443"
SCHEME = "https"

Headers = Mapping[str, str] | Sequence[tuple[str, str]]


class BadRequest(Exception):
    """nginx answers 400 itself: the request line or ``Host`` header is invalid."""


# -- The server: nginx picks it by the Host header ------------------------------------------


def server_name(host: str) -> str:
    """The name nginx matches server blocks against for a ``Host`` header: nginx 1.27.1
    ``src/http/ngx_http_request.c`` ``ngx_http_validate_host`` drops a port (``:...`` after the
    name, or after a bracketed IPv6 literal) and one trailing dot, lower-cases the rest, and
    refuses (400) two dots in a row, a path separator, a control character or space, or an
    empty name. ``ngx_http_process_request_headers`` refuses an HTTP/1.1 request without
    ``Host`` (400 "client sent HTTP/1.1 request without "Host" header")."""
    if not host:
        raise BadRequest("no Host header")
    dot, end, state = None, len(host), "usual"
    for i, ch in enumerate(host):
        if ch == ".":
            if dot == i - 1:
                raise BadRequest(f"Host {host!r}: two dots in a row")
            dot = i
        elif ch == ":":
            if state == "usual":
                end, state = i, "rest"
        elif ch == "[":
            if i == 0:
                state = "literal"
        elif ch == "]":
            if state == "literal":
                end, state = i + 1, "rest"
        elif ch == "/" or ord(ch) <= 0x20 or ord(ch) == 0x7F:
            raise BadRequest(f"Host {host!r}: invalid character {ch!r}")
    if dot == end - 1:
        end -= 1
    if end == 0:
        raise BadRequest(f"Host {host!r}: empty name")
    return host[:end].lower()


def _wildcard(hostname: str) -> re.Pattern[str]:
    # template.go buildServerName: "*.example.org" becomes the regular expression
    # ``~^(?<subdomain>[\w-]+)\.example\.org$``: exactly one label of word characters or "-".
    rest = hostname.replace("*.", "", 1)
    return re.compile(r"^[A-Za-z0-9_-]+\." + re.escape(rest) + r"$")


def _servers(
    ingresses: Iterable[Mapping[str, Any]],
) -> dict[str, list[tuple[Mapping[str, Any], Mapping[str, Any]]]]:
    """Each server's (Ingress, path entry) pairs, in the order the controller takes them."""
    servers: dict[str, list[tuple[Mapping[str, Any], Mapping[str, Any]]]] = {}
    for ingress in ingresses:
        for rule in ingress["spec"].get("rules") or []:
            # controller.go getBackendServers: a rule without a host joins the default server.
            host = rule.get("host") or DEFAULT_SERVER
            paths = (rule.get("http") or {}).get("paths") or []
            servers.setdefault(host, []).extend((ingress, entry) for entry in paths)
    return servers


def _server(servers: Mapping[str, Any], name: str) -> str:
    # nginx core module docs, server_name: an exact name first, then (no "*." names remain
    # after buildServerName) the first regular expression in the configuration's order:
    # controller.go getBackendServers sorts servers by hostname. No match: default_server.
    if name in servers:
        return name
    for hostname in sorted(servers):
        if hostname.startswith("*.") and _wildcard(hostname).match(name):
            return hostname
    return DEFAULT_SERVER


# -- The location: nginx matches the normalized URI ------------------------------------------


def normalized_path(target: str) -> str:
    """The URI nginx matches locations against, from the request target: nginx 1.27.1
    ``src/http/ngx_http_parse.c`` ``ngx_http_parse_complex_uri`` ends the path at the first
    ``?`` or ``#``, decodes ``%XX`` (400 for a malformed escape or ``%00``) and treats a decoded
    ``/`` or ``.`` as the character itself (``sw_quoted_second`` returns to the state it came
    from), while a decoded ``%``, ``#`` or ``?`` stays a plain character; it merges ``//``
    (``merge_slashes`` is on by default and nginx.tmpl does not set it), drops ``.`` segments
    and resolves ``..`` (400 above the root). ``;`` and ``\\`` are plain characters (``\\`` is a
    separator on Windows only)."""
    if not target.startswith("/"):
        raise BadRequest(f"request target {target!r} does not start with '/'")
    raw = re.split(r"[?#]", target, maxsplit=1)[0]
    decoded = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "%":
            escape = raw[i + 1 : i + 3]
            if not re.fullmatch(r"[0-9A-Fa-f]{2}", escape):
                raise BadRequest(f"{target!r}: malformed escape %{escape}")
            ch = chr(int(escape, 16))
            if ch == "\0":
                raise BadRequest(f"{target!r}: %00")
            i += 3
        else:
            i += 1
        decoded.append(ch)
    segments = "".join(decoded).split("/")[1:]
    kept: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "" and not last:
            continue
        if segment in (".", ".."):
            if segment == "..":
                if not kept:
                    raise BadRequest(f"{target!r} leaves the root")
                kept.pop()
            if last:
                kept.append("")
            continue
        kept.append(segment)
    return "/" + "/".join(kept)


def _locations(
    entries: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
) -> list[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]]:
    """The server's locations as (kind, path, Ingress, entry), kind "=" or "prefix"."""
    # controller.go getBackendServers: a second path of the same path and type (in another
    # Ingress, taken later: store.go sortIngressSlice orders them by creationTimestamp) adds
    # no location; "Same paths but different types are allowed".
    seen: dict[tuple[str, str], tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
    for ingress, entry in entries:
        path = entry.get("path") or "/"
        seen.setdefault((path, entry.get("pathType", "ImplementationSpecific")), (ingress, entry))
    exact = {path for path, kind in seen if kind == "Exact"}
    locations = []
    for (path, kind), (ingress, entry) in seen.items():
        if kind == "Exact":
            # template.go buildLocation: ``location = "<path>"``.
            locations.append(("=", path, ingress, entry))
        elif kind == "Prefix" and path != "/":
            # location.go updateServerLocations: a Prefix path becomes the prefix location
            # normalizePrefixPath gives ("/hub" -> "/hub/") and, unless an Exact location of
            # that path exists, an Exact location of the path itself.
            locations.append(("prefix", path if path.endswith("/") else path + "/", ingress, entry))
            if path not in exact:
                locations.append(("=", path, ingress, entry))
        else:
            # ImplementationSpecific (and "/"): a plain nginx prefix location of the path.
            locations.append(("prefix", path, ingress, entry))
    return locations


# -- The request: its target, its Host and its header lines -----------------------------------

# ngx_http_parse.c ``ngx_http_parse_request_line``, states sw_schema to sw_port: an
# absolute-form target (``https://host[:port]/path``); the host is letters, digits, "." and
# "-" (or a bracketed literal), and the path starts at the first "/" or "?" after it.
_ABSOLUTE = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*://(\[[^\]/ ]*\]|[A-Za-z0-9.-]*)(:[0-9]*)?([/?].*)?"
)


@dataclass(frozen=True)
class _Request:
    """A request as nginx has parsed it: the server name it picks the server by (``$host``),
    the Host header as sent (``$http_host``), the request URI (``$request_uri``, what a
    ``proxy_pass`` without a URI sends on), the URI it matches locations against, and the
    header lines it keeps."""

    name: str
    http_host: str
    request_uri: str
    uri: str
    lines: list[tuple[str, str]]


def _request(host: str, target: str, client: Headers) -> _Request:
    # ``ngx_http_parse_request_line`` (sw_after_slash_in_uri, sw_check_uri, sw_uri): a
    # control character or DEL in the target is 400; a space ends it, and what follows
    # must be the protocol (" HTTP/1.1" here), so a space inside it is 400 too.
    if re.search(r"[\x00-\x20\x7f]", target):
        raise BadRequest(f"request target {target!r}: a space or control character")
    # ``ngx_http_parse_header_line`` (sw_space_before_value, sw_space_after_value): spaces
    # around a value are not part of it (tabs are).
    host = host.strip(" ")
    lines = _lines(client)
    # ngx_http_request.c ``ngx_http_process_host``: a second Host line is 400 ("client sent
    # duplicate host header"); ``host`` is the first, any in ``client`` more. Each is
    # validated (400) even when the request line names the host.
    if any(name == "host" for name, _ in lines):
        raise BadRequest("duplicate Host header")
    name = server_name(host)
    absolute = _ABSOLUTE.fullmatch(target)
    if absolute:
        # ``ngx_http_process_request_line``: the request line's host, validated as a Host
        # header is, picks the server and is ``$host``; ``$request_uri`` is the path on.
        name = server_name(absolute.group(1))
        target = absolute.group(3) or "/"
        if target.startswith("?"):
            target = "/" + target
    return _Request(name, host, target, normalized_path(target), lines)


def _rule(
    ingresses: Iterable[Mapping[str, Any]], request: _Request
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any]] | None:
    """The Ingress and path entry whose location serves the request; (None, {"status": N})
    for a location nginx answers itself; None for the default backend's root location."""
    servers = _servers(ingresses)
    server = _server(servers, request.name)
    locations: list[tuple[str, str, Mapping[str, Any] | None, Mapping[str, Any]]] = list(
        _locations(servers.get(server, []))
    )
    if server == DEFAULT_SERVER:
        # nginx.tmpl, the catch-all server (``{{ if eq $server.Hostname "_" }}``): a health
        # check (``location /healthz { return 200; }``) and the status page, allowed to
        # NginxStatusIpv4Whitelist (config.go NewDefault: 127.0.0.1) only.
        locations += [
            ("prefix", "/healthz", None, {"status": 200}),
            ("prefix", "/nginx_status", None, {"status": 403}),
        ]
    uri = request.uri
    # nginx core module docs, location: an exact ("=") match ends the search; otherwise the
    # longest matching prefix. The comparison is case-sensitive (``ngx_filename_cmp`` on
    # Linux, ``ngx_http_core_find_static_location``).
    for kind, path, ingress, entry in locations:
        if kind == "=" and uri == path:
            return ingress, entry
    prefixes = [
        (len(path), ingress, entry)
        for kind, path, ingress, entry in locations
        if kind == "prefix" and uri.startswith(path)
    ]
    if not prefixes:
        return None  # controller.go createServers: the root location on the default backend
    _, ingress, entry = max(prefixes, key=lambda prefix: prefix[0])
    return ingress, entry


def _ingress_rule(
    ingresses: Iterable[Mapping[str, Any]], request: _Request
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    served = _rule(ingresses, request)
    if served is None or served[0] is None:
        raise LookupError(
            f"no Ingress serves {request.http_host}{request.request_uri}: "
            + ("the default backend answers 404" if served is None else "nginx answers")
        )
    return served[0], served[1]


def route(ingresses: Iterable[Mapping[str, Any]], host: str, path: str) -> Mapping[str, Any]:
    """The Ingress whose rule serves ``Host: host`` and the request target ``path``."""
    return _ingress_rule(ingresses, _request(host, path, []))[0]


# -- Headers ------------------------------------------------------------------------------


def _lines(client: Headers) -> list[tuple[str, str]]:
    """The client's header lines nginx keeps (nginx 1.27.1 ``ngx_http_parse.c``
    ``ngx_http_parse_header_line``): a name that starts with a control character, space, DEL
    or ":", or holds a control character, space or DEL, or a value that holds NUL, is a bad
    request (400 "client sent invalid header line"). ``ignore_invalid_headers on`` and
    ``underscores_in_headers off`` (nginx.tmpl, from config.go NewDefault
    ``IgnoreInvalidHeaders: true``, ``EnableUnderscoresInHeaders: false``) drop a line whose
    name holds anything else but letters, digits and "-" (``lowcase_index`` and
    ``r->invalid_header``)."""
    pairs = list(client.items()) if isinstance(client, Mapping) else list(client)
    kept = []
    for name, value in pairs:
        if (
            not name
            or name[0] == ":"
            or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in name)
            or "\0" in value
        ):
            raise BadRequest(f"invalid header line {name!r}: {value!r}")
        if re.fullmatch(r"[A-Za-z0-9-]+", name):
            kept.append((name.lower(), value.strip(" ")))  # as the Host value (_request)
    # ``ngx_http_headers_in``: these are ``ngx_http_process_unique_header_line``'s, and a
    # second line of one is 400 ("client sent duplicate header line").
    for unique in _UNIQUE:
        if sum(name == unique for name, _ in kept) > 1:
            raise BadRequest(f"duplicate {unique} header")
    return kept


_UNIQUE = (
    "if-modified-since",
    "if-unmodified-since",
    "if-match",
    "if-none-match",
    "content-length",
    "content-range",
    "if-range",
    "transfer-encoding",
    "expect",
    "authorization",
)


# nginx 1.27.1 ``src/http/modules/ngx_http_proxy_module.c`` ``ngx_http_proxy_headers``: what
# every proxied request sets unless the location sets it (``ngx_http_proxy_init_headers``
# merges them under the location's): the client's lines of these names never pass. A
# request without a body (all here) has no Content-Length or Transfer-Encoding to send.
_PROXY_DEFAULTS = [
    ("Connection", "close"),
    ("Content-Length", ""),
    ("Transfer-Encoding", ""),
    ("TE", ""),
    ("Keep-Alive", ""),
    ("Expect", ""),
    ("Upgrade", ""),
]


def _proxied(
    lines: list[tuple[str, str]], set_headers: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    # nginx proxy module docs, proxy_set_header: a header the location sets replaces every
    # line of that name the client sent (``ngx_http_proxy_create_request`` skips the client's
    # lines whose names are in the set headers' hash), and one set to an empty value is not
    # sent at all.
    names = {name.lower() for name, _ in set_headers}
    headers = list(set_headers) + [(n, v) for n, v in _PROXY_DEFAULTS if n.lower() not in names]
    names |= {name.lower() for name, _ in headers}
    kept = [(name, value) for name, value in lines if name not in names]
    return kept + [(name.lower(), value) for name, value in headers if value]


def _joined(lines: list[tuple[str, str]], name: str) -> str:
    # nginx 1.23+ ``ngx_http_variable_headers_internal``: ``$http_<name>`` joins repeated
    # lines with ", " (with "; " for Cookie).
    values = [value for line_name, value in lines if line_name == name]
    return ("; " if name == "cookie" else ", ").join(values)


def _dict(lines: list[tuple[str, str]]) -> dict[str, str]:
    """The lines as one value per name, joined as a backend reads repeated lines (RFC 9110
    section 5.3), so that a duplicate the client sent is not lost."""
    out: dict[str, str] = {}
    for name, value in lines:
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _request_id(lines: list[tuple[str, str]]) -> str:
    # nginx.tmpl's http block: ``map $http_x_request_id $req_id`` (GenerateRequestID: true):
    # the client's own X-Request-ID, else nginx's ``$request_id`` ("req-id" here).
    return _joined(lines, "x-request-id") or "req-id"


def _location_headers(request: _Request, remote_addr: str) -> list[tuple[str, str]]:
    """What every proxied location sets (nginx.tmpl, ``location {{ $path }}``), with the
    defaults of config.go NewDefault (``UseForwardedHeaders: false``,
    ``ComputeFullForwardedFor: false``, ``ProxyAddOriginalURIHeader: false``,
    ``ForwardedForHeader: "X-Forwarded-For"``, ``ForwardedHostHeader: "X-Forwarded-Host"``)."""
    lines = request.lines
    # $best_http_host is $http_host: the Host header as the client sent it.
    http_host = request.http_host
    return [
        ("Host", http_host),
        ("Upgrade", _joined(lines, "upgrade")),
        # nginx.tmpl's http block: map $http_upgrade $connection_upgrade (default
        # "upgrade", "" -> "close"); keepalive to upstreams sets it to "" instead.
        ("Connection", "upgrade" if _joined(lines, "upgrade") else ""),
        ("X-Request-ID", _request_id(lines)),
        ("X-Real-IP", remote_addr),
        ("X-Forwarded-For", remote_addr),
        ("X-Forwarded-Host", http_host),
        ("X-Forwarded-Port", SERVER_PORT),
        ("X-Forwarded-Proto", SCHEME),
        ("X-Forwarded-Scheme", SCHEME),
        ("X-Scheme", SCHEME),
        # template.go buildForwardedFor / buildForwardedHost: $http_x_forwarded_for and
        # $http_x_forwarded_host, the client's own, passed under another name.
        ("X-Original-Forwarded-For", _joined(lines, "x-forwarded-for")),
        ("X-Original-Forwarded-Host", _joined(lines, "x-forwarded-host")),
        # "mitigate HTTPoxy Vulnerability".
        ("Proxy", ""),
    ]


def _auth_response_headers(
    annotations: Mapping[str, str], answer: Mapping[str, str] | Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    # template.go buildAuthResponseHeaders: for each name of auth-response-headers,
    # ``auth_request_set $authHeaderN $upstream_http_<name>;`` and
    # ``proxy_set_header '<name>' $authHeaderN;``. The annotation's list is split on ","
    # with spaces trimmed (internal/ingress/annotations/authreq/main.go ParseAnnotations).
    # nginx 1.23+ (as ``$http_``): ``$upstream_http_<name>`` joins repeated lines with ", ".
    pairs = list(answer.items()) if isinstance(answer, Mapping) else list(answer)
    listed = annotations.get(f"{_NGINX}/auth-response-headers", "")
    names = [name.strip() for name in listed.split(",") if name.strip()]
    return [(name, ", ".join(v for n, v in pairs if n.lower() == name.lower())) for name in names]


def _upstream_headers(
    ingress: Mapping[str, Any],
    request: _Request,
    auth_answer: Mapping[str, str] | Sequence[tuple[str, str]],
    remote_addr: str,
) -> dict[str, str]:
    annotations = ingress["metadata"].get("annotations") or {}
    set_headers = _location_headers(request, remote_addr)
    if f"{_NGINX}/auth-url" in annotations:
        set_headers += _auth_response_headers(annotations, auth_answer)
    return _dict(_proxied(request.lines, set_headers))


def upstream_headers(
    ingresses: Iterable[Mapping[str, Any]],
    host: str,
    path: str,
    client: Headers,
    auth_answer: Mapping[str, str],
) -> dict[str, str]:
    """The headers (lower-case names) the backend receives for a client's request with
    ``Host: host``, when the auth service (if the Ingress names one) accepts it with
    ``auth_answer`` as its response headers."""
    request = _request(host, path, client)
    ingress, _ = _ingress_rule(ingresses, request)
    return _upstream_headers(ingress, request, auth_answer, REMOTE_ADDR)


def _auth_request_lines(
    annotations: Mapping[str, str], request: _Request, remote_addr: str
) -> list[tuple[str, str]]:
    auth_host = urlsplit(annotations[f"{_NGINX}/auth-url"]).hostname or ""
    if auth_host == "$host":
        auth_host = request.name  # nginx's $host: the validated server name
    set_headers = [
        ("Content-Length", ""),
        ("X-Forwarded-Proto", ""),
        ("X-Request-ID", _request_id(request.lines)),
        ("Host", auth_host),
        ("X-Original-URL", f"{SCHEME}://{request.http_host}{request.request_uri}"),
        ("X-Original-Method", "GET"),
        ("X-Sent-From", "nginx-ingress-controller"),
        ("X-Real-IP", remote_addr),
        ("X-Forwarded-For", remote_addr),
        ("X-Auth-Request-Redirect", request.request_uri),
    ]
    return _proxied(request.lines, set_headers)


def auth_request_headers(
    annotations: Mapping[str, str], host: str, target: str, client: Headers
) -> dict[str, str]:
    """What the auth subrequest carries as nginx sends it (nginx.tmpl, ``location =
    {{ $authPath }}``): the client's headers (``proxy_pass_request_headers`` is on by
    default), its ``Cookie`` among them, with these set over them; no body."""
    return _dict(_auth_request_lines(annotations, _request(host, target, client), REMOTE_ADDR))


# -- A request through the controller ---------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """What the controller did with a request: passed it to ``service`` (a path's backend)
    with ``headers`` and the request target ``target``, or answered ``status`` itself
    (``location``: where a 302 sends; ``service`` is None when nginx or the auth service
    refused the request). The default backend, when no location of an Ingress matched, gets
    the request too and answers 404."""

    service: Mapping[str, Any] | None
    headers: dict[str, str] | None
    status: int | None = None
    location: str | None = None
    target: str | None = None


# set-misc-nginx-module v0.33 (ingress-nginx's build.sh: SETMISC_VERSION=v0.33),
# src/ngx_http_set_escape_uri.c ``ngx_escape_uri_patched``, its ``uri`` table: the printable
# ASCII it escapes; controls, DEL and every byte above 0x7F are escaped too.
_ESCAPED = set(' "#%&+/:;<=>?[\\]^{}')


def _escape_uri(target: str) -> str:
    # nginx.tmpl: ``set_escape_uri $escaped_request_uri $request_uri;``, which escapes
    # ``_ESCAPED`` and the non-printable bytes as %XX with upper-case hex.
    return "".join(
        f"%{byte:02X}" if byte < 0x21 or byte > 0x7E or chr(byte) in _ESCAPED else chr(byte)
        for byte in target.encode("latin-1")
    )


def _signin_url(signin: str, request: _Request) -> str:
    # template.go buildAuthSignURL: with no query, "?rd=$pass_access_scheme://$http_host
    # $escaped_request_uri" is added; with a query holding "rd" (the default
    # auth-signin-redirect-param) the URL stays; else "&rd=..." is added. nginx then expands
    # the variables of ``return 302 <url>``.
    query = urlsplit(signin).query
    if not query:
        signin += "?rd=$pass_access_scheme://$http_host$escaped_request_uri"
    elif not re.search(r"(^|&)rd=[^&]", query):
        signin += "&rd=$pass_access_scheme://$http_host$escaped_request_uri"
    variables = {
        "$pass_access_scheme": SCHEME,
        "$escaped_request_uri": _escape_uri(request.request_uri),
        "$request_uri": request.request_uri,
        "$http_host": request.http_host,
        "$host": request.name,
        "$scheme": SCHEME,
    }
    return re.sub(r"\$[a-z_]+", lambda m: variables.get(m.group(0), m.group(0)), signin)


_Check = Callable[[Mapping[str, str]], Mapping[str, str] | Sequence[tuple[str, str]] | int]


def _ask(
    ingresses: list[Mapping[str, Any]],
    annotations: Mapping[str, str],
    request: _Request,
    check: _Check,
) -> Mapping[str, str] | Sequence[tuple[str, str]] | int:
    """The auth service's answer to the subrequest (its response headers, or its status)."""
    lines = _auth_request_lines(annotations, request, REMOTE_ADDR)
    url = urlsplit(annotations[f"{_NGINX}/auth-url"])
    host = request.name if url.hostname == "$host" else url.hostname or ""
    if _server(_servers(ingresses), host) == DEFAULT_SERVER:
        return check(_dict(lines))  # a Service's own address: the auth service directly
    # A host the Ingresses serve: nginx ``proxy_pass``es to it, the name resolves to the
    # controller, and the subrequest (with the auth location's headers as its client's)
    # comes back through the controller, from the controller's own address, and is served
    # by the location of the auth-url's path.
    target = url.path + (f"?{url.query}" if url.query else "")
    again = _Request(host, host, target, normalized_path(target), lines)
    served = _rule(ingresses, again)
    if served is None:
        return 404  # the default backend's
    ingress, entry = served
    if ingress is None:
        return int(entry["status"])
    if f"{_NGINX}/auth-url" in (ingress["metadata"].get("annotations") or {}):
        raise NotImplementedError("an auth-url behind another auth-url is not modelled")
    return check(_upstream_headers(ingress, again, {}, CONTROLLER_ADDR))


def serve(
    ingresses: Iterable[Mapping[str, Any]],
    host: str,
    path: str,
    client: Headers,
    check: _Check,
) -> Served:
    """A client's request for ``path`` (the request target: origin-form or absolute-form)
    with ``Host: host`` ("" for none) and ``client``'s other header lines, through the
    controller. ``check`` is the auth service: given the headers it receives, its answer's
    headers when it answers 2xx, else its status."""
    ingresses = list(ingresses)
    try:
        request = _request(host, path, client)
        served = _rule(ingresses, request)
    except BadRequest:
        return Served(None, None, 400)
    if served is None:
        # controller.go createServers: the root location on the default backend, a proxied
        # location like any other.
        headers = _dict(_proxied(request.lines, _location_headers(request, REMOTE_ADDR)))
        return Served(DEFAULT_BACKEND, headers, 404, target=request.request_uri)
    ingress, entry = served
    if ingress is None:
        return Served(None, None, int(entry["status"]))
    service = entry["backend"]["service"]
    annotations = ingress["metadata"].get("annotations") or {}
    answer: Mapping[str, str] | Sequence[tuple[str, str]] = {}
    if f"{_NGINX}/auth-url" in annotations:
        asked = _ask(ingresses, annotations, request, check)
        if not isinstance(asked, int):
            answer = asked
        else:
            # nginx auth_request module docs: 2xx allows, 401 or 403 denies with that
            # status, anything else is an error (500). nginx.tmpl: ``error_page 401 =
            # <signin location>`` when auth-signin is set, whose ``return 302`` redirects.
            signin = annotations.get(f"{_NGINX}/auth-signin")
            if asked == 401 and signin is not None:
                return Served(None, None, 302, _signin_url(signin, request))
            return Served(None, None, asked if asked in (401, 403) else 500)
    headers = _upstream_headers(ingress, request, answer, REMOTE_ADDR)
    return Served(service, headers, target=request.request_uri)
