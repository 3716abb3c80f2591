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

The backend receives the request target as the client sent it, not the normalized path
nginx matched: nginx.tmpl's ``proxy_pass http://upstream_balancer;`` names no URI (nginx proxy
module docs, proxy_pass: "the request URI is passed to the server in the same form as sent
by a client").

What it leaves out: annotations the constructs do not set (rewrite-target, use-regex, canary,
snippets, CORS, rate limits), the global auth-url, TLS (SNI selects the certificate; nginx then
picks the server by ``Host`` again: ``ngx_http_process_host``), the HTTP-to-HTTPS redirect,
and the auth service's ``Set-Cookie`` sent back to the client. A request is HTTP/1.1 over TLS
on port 443 from ``REMOTE_ADDR``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_BACKEND",
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


def _rule(
    ingresses: Iterable[Mapping[str, Any]], host: str, target: str
) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """The Ingress and path entry whose location serves the request, None for the default
    backend's root location."""
    servers = _servers(ingresses)
    name = server_name(host)
    uri = normalized_path(target)
    locations = _locations(servers.get(_server(servers, name), []))
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


def route(ingresses: Iterable[Mapping[str, Any]], host: str, path: str) -> Mapping[str, Any]:
    """The Ingress whose rule serves ``Host: host`` and the request target ``path``."""
    served = _rule(ingresses, host, path)
    if served is None:
        raise LookupError(f"no Ingress serves {host}{path}: the default backend answers 404")
    return served[0]


# -- Headers ------------------------------------------------------------------------------


def _lines(client: Headers) -> list[tuple[str, str]]:
    """The client's header lines nginx keeps: ``ignore_invalid_headers on`` and
    ``underscores_in_headers off`` (nginx.tmpl, from config.go NewDefault
    ``IgnoreInvalidHeaders: true``, ``EnableUnderscoresInHeaders: false``) drop a line whose
    name holds anything but letters, digits and "-" (nginx 1.27.1 ``ngx_http_parse.c``
    ``ngx_http_parse_header_line``, ``lowcase_index`` and ``r->invalid_header``)."""
    pairs = list(client.items()) if isinstance(client, Mapping) else list(client)
    return [(n.lower(), v) for n, v in pairs if re.fullmatch(r"[A-Za-z0-9-]+", n)]


def _proxied(
    lines: list[tuple[str, str]], set_headers: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    # nginx proxy module docs, proxy_set_header: a header the location sets replaces every
    # line of that name the client sent (``ngx_http_proxy_create_request`` skips the client's
    # lines whose names are in the set headers' hash), and one set to an empty value is not
    # sent at all.
    names = {name.lower() for name, _ in set_headers}
    kept = [(name, value) for name, value in lines if name not in names]
    return kept + [(name.lower(), value) for name, value in set_headers if value]


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


def _location_headers(host: str, lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What every proxied location sets (nginx.tmpl, ``location {{ $path }}``), with the
    defaults of config.go NewDefault (``UseForwardedHeaders: false``,
    ``ComputeFullForwardedFor: false``, ``ProxyAddOriginalURIHeader: false``,
    ``ForwardedForHeader: "X-Forwarded-For"``, ``ForwardedHostHeader: "X-Forwarded-Host"``)."""
    http_host = host
    return [
        # $best_http_host is $http_host: the Host header as the client sent it.
        ("Host", http_host),
        ("Upgrade", _joined(lines, "upgrade")),
        # nginx.tmpl's http block: map $http_upgrade $connection_upgrade (default
        # "upgrade", "" -> "close"); keepalive to upstreams sets it to "" instead.
        ("Connection", "upgrade" if _joined(lines, "upgrade") else ""),
        ("X-Request-ID", "req-id"),
        ("X-Real-IP", REMOTE_ADDR),
        ("X-Forwarded-For", REMOTE_ADDR),
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
    annotations: Mapping[str, str], answer: Mapping[str, str]
) -> list[tuple[str, str]]:
    # template.go buildAuthResponseHeaders: for each name of auth-response-headers,
    # ``auth_request_set $authHeaderN $upstream_http_<name>;`` and
    # ``proxy_set_header '<name>' $authHeaderN;``. The annotation's list is split on ","
    # with spaces trimmed (internal/ingress/annotations/authreq/main.go ParseAnnotations).
    values = {name.lower(): value for name, value in answer.items()}
    listed = annotations.get(f"{_NGINX}/auth-response-headers", "")
    names = [name.strip() for name in listed.split(",") if name.strip()]
    return [(name, values.get(name.lower(), "")) for name in names]


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
    served = _rule(ingresses, host, path)
    if served is None:
        raise LookupError(f"no Ingress serves {host}{path}: the default backend answers 404")
    annotations = served[0]["metadata"].get("annotations") or {}
    lines = _lines(client)
    set_headers = _location_headers(host, lines)
    if f"{_NGINX}/auth-url" in annotations:
        set_headers += _auth_response_headers(annotations, auth_answer)
    return _dict(_proxied(lines, set_headers))


def auth_request_headers(
    annotations: Mapping[str, str], host: str, target: str, client: Headers
) -> dict[str, str]:
    """What the auth subrequest carries (nginx.tmpl, ``location = {{ $authPath }}``): the
    client's headers (``proxy_pass_request_headers`` is on by default), its ``Cookie`` among
    them, with these set over them; no body."""
    lines = _lines(client)
    auth_host = urlsplit(annotations[f"{_NGINX}/auth-url"]).hostname or ""
    if auth_host == "$host":
        auth_host = server_name(host)  # nginx's $host: the validated server name
    set_headers = [
        ("Content-Length", ""),
        ("X-Forwarded-Proto", ""),
        ("X-Request-ID", "req-id"),
        ("Host", auth_host),
        ("X-Original-URL", f"{SCHEME}://{host}{target}"),
        ("X-Original-Method", "GET"),
        ("X-Sent-From", "nginx-ingress-controller"),
        ("X-Real-IP", REMOTE_ADDR),
        ("X-Forwarded-For", REMOTE_ADDR),
        ("X-Auth-Request-Redirect", target),
    ]
    return _dict(_proxied(lines, set_headers))


# -- A request through the controller ---------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """What the controller did with a request: passed it to ``service`` (a path's backend)
    with ``headers``, or answered ``status`` itself (``location``: where a 302 sends;
    ``service`` is None when nginx or the auth service refused the request, the default
    backend when no location of an Ingress matched)."""

    service: Mapping[str, Any] | None
    headers: dict[str, str] | None
    status: int | None = None
    location: str | None = None


# set-misc-nginx-module v0.33 (ingress-nginx's build.sh: SETMISC_VERSION=v0.33),
# src/ngx_http_set_escape_uri.c ``ngx_escape_uri_patched``, its ``uri`` table: the printable
# ASCII it escapes; controls, DEL and every byte above 0x7F are escaped too.
_ESCAPED = set(' "#%&+/:;<=>?[\\]^{}')


def _escape_uri(target: str) -> str:
    # nginx.tmpl: ``set_escape_uri $escaped_request_uri $request_uri;``, which escapes
    # ``_ESCAPED`` and the non-printable bytes as %XX with upper-case hex.
    return "".join(
        f"%{byte:02X}" if byte < 0x21 or byte > 0x7E or chr(byte) in _ESCAPED else chr(byte)
        for byte in target.encode()
    )


def _signin_url(signin: str, host: str, target: str, lines: list[tuple[str, str]]) -> str:
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
        "$escaped_request_uri": _escape_uri(target),
        "$request_uri": target,
        "$http_host": host,
        "$host": server_name(host),
        "$scheme": SCHEME,
    }
    return re.sub(r"\$[a-z_]+", lambda m: variables.get(m.group(0), m.group(0)), signin)


def serve(
    ingresses: Iterable[Mapping[str, Any]],
    host: str,
    path: str,
    client: Headers,
    check: Callable[[Mapping[str, str]], Mapping[str, str] | int],
) -> Served:
    """A client's request for ``path`` with ``Host: host`` (``client``: its other headers)
    through the controller. ``check``
    is the auth service: given the subrequest's headers, its answer's headers when it
    answers 2xx, else its status."""
    ingresses = list(ingresses)
    # ngx_http_request.c ``ngx_http_process_host``: a second Host line is 400 ("client sent
    # duplicate host header"); ``host`` is the first, any in ``client`` more.
    if any(name == "host" for name, _ in _lines(client)):
        return Served(None, None, 400)
    try:
        served = _rule(ingresses, host, path)
    except BadRequest:
        return Served(None, None, 400)
    if served is None:
        return Served(DEFAULT_BACKEND, None, 404)
    ingress, entry = served
    service = entry["backend"]["service"]
    annotations = ingress["metadata"].get("annotations") or {}
    if f"{_NGINX}/auth-url" in annotations:
        answer = check(auth_request_headers(annotations, host, path, client))
        if not isinstance(answer, Mapping):
            # nginx auth_request module docs: 2xx allows, 401 or 403 denies with that
            # status, anything else is an error (500). nginx.tmpl: ``error_page 401 =
            # <signin location>`` when auth-signin is set, whose ``return 302`` redirects.
            signin = annotations.get(f"{_NGINX}/auth-signin")
            if answer == 401 and signin is not None:
                return Served(None, None, 302, _signin_url(signin, host, path, _lines(client)))
            return Served(None, None, answer if answer in (401, 403) else 500)
        return Served(service, upstream_headers(ingresses, host, path, client, answer))
    return Served(service, upstream_headers(ingresses, host, path, client, {}))
