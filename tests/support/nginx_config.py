"""The nginx configuration ingress-nginx controller v1.15.1 generates for a set of Ingresses,
rendered as its template would render it, for a real nginx to serve in a test.

Each block cites what it follows at tag ``controller-v1.15.1`` of ``kubernetes/ingress-nginx``:
``rootfs/etc/nginx/template/nginx.tmpl`` ("nginx.tmpl" and its line), the template's functions
(``internal/ingress/controller/template/template.go``), the servers and locations the
controller builds (``controller.go`` createServers/getBackendServers, ``location.go``
updateServerLocations), the annotations' parsers (``internal/ingress/annotations/``) and the
ConfigMap's defaults (``config/config.go`` NewDefault). Only what these Ingresses use is
rendered: the annotations ``auth-url``, ``auth-signin`` and ``auth-response-headers``,
``Prefix``, ``Exact`` and ``ImplementationSpecific`` paths, and exact and "*." hosts; another
annotation is refused.

Where the controller needs a cluster, the configuration says instead:

- Backends: the controller's ``upstream upstream_balancer`` picks each request's endpoint in
  Lua (``balancer_by_lua_file``, nginx.tmpl 518-538); here each Service is a plain ``upstream``
  of that Service's upstream name with one server, a local recording backend, and the
  keepalive settings the balancer's upstream has.
- The default backend: with no ``--default-backend-service`` the controller points
  ``upstream-default-backend`` at its own ``listen 8181`` server that returns 404
  (nginx.tmpl 669-680); here a recording backend that answers 404.
- The auth subrequest: ``auth-url: https://$host/...`` has nginx ``proxy_pass`` to the
  request's own host; in a cluster DNS resolves that name to the load balancer in front of the
  controller, so the subrequest comes back through the controller itself and is served by the
  Ingress of that path. Here an ``upstream`` named after each Ingress host points at this
  nginx's own address (a ``proxy_pass`` with variables looks its host up among the upstreams
  first: nginx proxy module docs, proxy_pass), which is what DNS does there.
- TLS: one self-signed certificate for every server (the controller's Lua picks each host's
  by SNI); one HTTPS listener on a loopback port instead of 443 and no HTTP listener (the
  HTTP-to-HTTPS redirect is Lua's). ``http2 on`` (UseHTTP2) is left out: Debian's nginx
  1.22.1 has no such directive (1.25.1 added it) and the client speaks HTTP/1.1.
- Lua's other hooks (``rewrite_by_lua_file``, ``header_filter_by_lua_file``,
  ``log_by_lua_file``) and ``more_clear_headers`` (headers-more) change nothing the test
  compares and are left out.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["DEFAULT_BACKEND", "NginxSite", "render", "upstream_name"]

_NGINX = "nginx.ingress.kubernetes.io"
_RENDERED = {f"{_NGINX}/{name}" for name in ("auth-url", "auth-signin", "auth-response-headers")}
# controller.go defUpstreamName: the default backend's upstream.
DEFAULT_BACKEND = "upstream-default-backend"
# controller.go defServerName.
_DEFAULT_SERVER = "_"
# Set-misc and its NDK, which ingress-nginx builds into its nginx (images/nginx/rootfs/build.sh)
# and Debian ships as dynamic modules.
_MODULES = ("ndk_http_module.so", "ngx_http_set_misc_module.so")
_MODULE_DIR = Path("/usr/lib/nginx/modules")


def upstream_name(namespace: str, service: Mapping[str, Any]) -> str:
    """controller.go upstreamName: ``<namespace>-<service>-<port name or number>``."""
    port = service["port"]
    return f"{namespace}-{service['name']}-{port.get('name') or port.get('number')}"


@dataclass
class _Location:
    path: str
    path_type: str  # Exact, Prefix or ImplementationSpecific
    backend: str
    ingress: Mapping[str, Any]

    @property
    def annotations(self) -> Mapping[str, str]:
        return self.ingress.get("metadata", {}).get("annotations") or {}

    @property
    def exact(self) -> bool:
        return self.path_type == "Exact"


@dataclass
class _Server:
    hostname: str
    locations: list[_Location] = field(default_factory=list)


def _servers(ingresses: Iterable[Mapping[str, Any]]) -> list[_Server]:
    servers: dict[str, _Server] = {}

    def server(host: str) -> _Server:
        # controller.go createServers: every server starts with a root location on the
        # default backend (IsDefBackend), which a rule's "/" path takes over.
        if host not in servers:
            servers[host] = _Server(host, [_Location("/", "Prefix", DEFAULT_BACKEND, {})])
        return servers[host]

    server(_DEFAULT_SERVER)
    for ingress in ingresses:
        unknown = set(ingress["metadata"].get("annotations") or {}) - _RENDERED
        if unknown:
            raise ValueError(f"Ingress {ingress['metadata']['name']}: not rendered: {unknown}")
        namespace = ingress["metadata"]["namespace"]
        for rule in ingress["spec"].get("rules") or []:
            # controller.go getBackendServers: a rule without a host joins the default server.
            entry = server(rule.get("host") or _DEFAULT_SERVER)
            for path in (rule.get("http") or {}).get("paths") or []:
                location = _Location(
                    path.get("path") or "/",
                    path.get("pathType", "ImplementationSpecific"),
                    upstream_name(namespace, path["backend"]["service"]),
                    ingress,
                )
                same = [
                    loc
                    for loc in entry.locations
                    if loc.path == location.path and loc.path_type == location.path_type
                ]
                if same and same[0].backend == DEFAULT_BACKEND:
                    entry.locations.remove(same[0])  # the rule's "/" takes the root location
                elif same:
                    continue  # getBackendServers: the first Ingress of a path keeps it
                entry.locations.append(location)
    for entry in servers.values():
        entry.locations = _update_server_locations(entry.locations)
        # controller.go getBackendServers: locations by path, descending, then by length.
        entry.locations.sort(key=lambda loc: loc.path, reverse=True)
        entry.locations.sort(key=lambda loc: len(loc.path), reverse=True)
    # getBackendServers: servers by hostname.
    return sorted(servers.values(), key=lambda s: s.hostname)


def _update_server_locations(locations: list[_Location]) -> list[_Location]:
    """location.go updateServerLocations: a Prefix path other than "/" becomes the prefix
    location ``<path>/`` and, unless an Exact location of the path exists, an Exact
    location of the path itself. ImplementationSpecific paths stay as they are."""
    exact = {loc.path for loc in locations if loc.exact}
    out: list[_Location] = []
    for loc in locations:
        if loc.path == "/" or loc.path_type != "Prefix":
            out.append(loc)
            continue
        copy = _Location(loc.path, "Exact", loc.backend, loc.ingress)
        loc.path = loc.path if loc.path.endswith("/") else loc.path + "/"
        out.append(loc)
        if copy.path not in exact:
            out.append(copy)
    return out


def _quote(value: str) -> str:
    # template.go sanitizeQuotedRegex (buildLocation): backslashes and quotes escaped.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _auth_path(loc: _Location) -> str:
    # template.go buildAuthLocation.
    encoded = base64.urlsafe_b64encode(loc.path.encode()).decode().rstrip("=")
    return f"/_external-auth-{encoded}-{loc.path_type}"


def _signin_location(loc: _Location, signin: str) -> str:
    # template.go buildAuthSignURLLocation.
    return "@" + hashlib.sha1((loc.path + signin).encode()).hexdigest()


def _signin_url(signin: str) -> str:
    # template.go buildAuthSignURL, with the default redirect param "rd".
    query = parse_qs(urlsplit(signin).query)
    if not urlsplit(signin).query:
        return f"{signin}?rd=$pass_access_scheme://$http_host$escaped_request_uri"
    if query.get("rd", [""])[0]:
        return signin
    return f"{signin}&rd=$pass_access_scheme://$http_host$escaped_request_uri"


def _auth_location(loc: _Location) -> list[str]:
    """nginx.tmpl 1007-1126, ``location = {{ $authPath }}``, with auth-keepalive 0
    (authreq/main.go: the default, and forced to 0 for a ``$`` in the URL's host), so the
    ``proxy_pass $target`` branch (nginx.tmpl 1121-1125)."""
    url = loc.annotations[f"{_NGINX}/auth-url"]
    # authreq/main.go Parse: ``Host: authURL.Hostname()``.
    host = urlsplit(url).hostname or ""
    return [
        f"location = {_auth_path(loc)} {{",
        "    internal;",
        "    access_log off;",  # EnableAuthAccessLog: false
        f"    set $proxy_upstream_name {_quote(loc.backend)};",
        "    proxy_intercept_errors off;",
        "    proxy_pass_request_body off;",
        '    proxy_set_header Content-Length "";',
        '    proxy_set_header X-Forwarded-Proto "";',
        "    proxy_set_header X-Request-ID $req_id;",
        f"    proxy_set_header Host {host};",
        "    proxy_set_header X-Original-URL $scheme://$http_host$request_uri;",
        "    proxy_set_header X-Original-Method $request_method;",
        '    proxy_set_header X-Sent-From "nginx-ingress-controller";',
        "    proxy_set_header X-Real-IP $remote_addr;",
        # UseForwardedHeaders and ComputeFullForwardedFor: false.
        "    proxy_set_header X-Forwarded-For $remote_addr;",
        # auth-request-redirect unset.
        "    proxy_set_header X-Auth-Request-Redirect $request_uri;",
        "    proxy_buffering off;",  # ProxyBuffering "off"
        "    proxy_buffer_size 4k;",
        "    proxy_buffers 4 4k;",
        "    proxy_request_buffering on;",
        "    proxy_ssl_server_name on;",
        "    proxy_pass_request_headers on;",
        "    client_max_body_size 1m;",  # ProxyBodySize "1m"
        "    proxy_http_version 1.1;",  # ProxyHTTPVersion "1.1"
        f"    set $target {_quote(url)};",
        "    proxy_pass $target;",
        "}",
    ]


def _main_location(loc: _Location, upstreams: Mapping[str, str]) -> list[str]:
    """nginx.tmpl 1150-1430, ``location {{ $path }}``, with NewDefault's settings."""
    annotations = loc.annotations
    # template.go buildLocation: ``= "<path>"`` for Exact, ``"<path>"`` otherwise.
    path = f"= {_quote(loc.path)}" if loc.exact else _quote(loc.path)
    lines = [
        f"location {path} {{",
        "    port_in_redirect off;",  # UsePortInRedirects: false
        f"    set $proxy_upstream_name {_quote(loc.backend)};",
        "    set $pass_access_scheme $scheme;",
        # UseProxyProtocol: false.
        "    set $pass_server_port $server_port;",
        "    set $best_http_host $http_host;",
        "    set $pass_port $pass_server_port;",
    ]
    if f"{_NGINX}/auth-url" in annotations:
        # nginx.tmpl 1235-1245: auth_request, not the Lua branch (auth-keepalive 0).
        lines += [
            f"    auth_request {_auth_path(loc)};",
            "    auth_request_set $auth_cookie $upstream_http_set_cookie;",
            "    add_header Set-Cookie $auth_cookie;",
        ]
        # template.go buildAuthResponseHeaders (lua false); authreq/main.go splits the
        # annotation on "," and trims spaces.
        listed = annotations.get(f"{_NGINX}/auth-response-headers", "")
        names = [name.strip() for name in listed.split(",") if name.strip()]
        for index, name in enumerate(names):
            variable = name.lower().replace("-", "_")
            lines += [
                f"    auth_request_set $authHeader{index} $upstream_http_{variable};",
                f"    proxy_set_header '{name}' $authHeader{index};",
            ]
    signin = annotations.get(f"{_NGINX}/auth-signin")
    if signin is not None:
        # nginx.tmpl 1249-1252.
        lines += [
            "    set_escape_uri $escaped_request_uri $request_uri;",
            f"    error_page 401 = {_signin_location(loc, signin)};",
        ]
    lines += [
        "    client_max_body_size 1m;",
        # nginx.tmpl 1277-1328, UpstreamVhost unset, no client certificates,
        # Connection annotation unset, ProxyAddOriginalURIHeader false.
        "    proxy_set_header Host $best_http_host;",
        "    proxy_set_header Upgrade $http_upgrade;",
        "    proxy_set_header Connection $connection_upgrade;",
        "    proxy_set_header X-Request-ID $req_id;",
        "    proxy_set_header X-Real-IP $remote_addr;",
        "    proxy_set_header X-Forwarded-For $remote_addr;",
        "    proxy_set_header X-Forwarded-Host $best_http_host;",
        "    proxy_set_header X-Forwarded-Port $pass_port;",
        "    proxy_set_header X-Forwarded-Proto $pass_access_scheme;",
        "    proxy_set_header X-Forwarded-Scheme $pass_access_scheme;",
        "    proxy_set_header X-Scheme $pass_access_scheme;",
        # template.go buildForwardedFor/buildForwardedHost of ForwardedForHeader
        # "X-Forwarded-For" and ForwardedHostHeader "X-Forwarded-Host".
        "    proxy_set_header X-Original-Forwarded-For $http_x_forwarded_for;",
        "    proxy_set_header X-Original-Forwarded-Host $http_x_forwarded_host;",
        '    proxy_set_header Proxy "";',
        "    proxy_connect_timeout 5s;",
        "    proxy_send_timeout 60s;",
        "    proxy_read_timeout 60s;",
        "    proxy_buffering off;",
        "    proxy_buffer_size 4k;",
        "    proxy_buffers 4 4k;",
        "    proxy_max_temp_file_size 1024m;",
        "    proxy_request_buffering on;",
        "    proxy_http_version 1.1;",
        "    proxy_cookie_domain off;",
        "    proxy_cookie_path off;",
        # template.go buildNextUpstream of "error timeout".
        "    proxy_next_upstream error timeout;",
        "    proxy_next_upstream_timeout 0;",
        "    proxy_next_upstream_tries 3;",
        # template.go buildProxyPass: no rewrite target, HTTP backend; the balancer's
        # upstream is the Service's own here (module docstring).
        f"    proxy_pass http://{upstreams[loc.backend]};",
        "    proxy_redirect off;",  # ProxyRedirectFrom "off"
        "}",
    ]
    return lines


def _server_name(hostname: str) -> str:
    r"""template.go buildServerName: a "*." host becomes the regular expression
    ``~^(?<subdomain>[\w-]+)\.<the rest, dots escaped>$``."""
    if not hostname.startswith("*"):
        return hostname
    rest = hostname.replace("*.", "", 1)
    return r"~^(?<subdomain>[\w-]+)\." + "\\.".join(rest.split(".")) + "$"


def _server_block(server: _Server, port: int, upstreams: Mapping[str, str]) -> list[str]:
    # template.go buildHTTPSListener/commonListenOptions: default_server on "_" only.
    default = " default_server" if server.hostname == _DEFAULT_SERVER else ""
    lines = [
        "server {",
        # nginx.tmpl 639, ``buildServerName $server.Hostname | quote`` (Go's %q, which
        # escapes as _quote does; nginx reads "\\" in a quoted string as "\").
        f"    server_name {_quote(_server_name(server.hostname))};",
        f"    listen 127.0.0.1:{port}{default} ssl;",
        '    set $proxy_upstream_name "-";',
    ]
    body: list[str] = []
    for loc in server.locations:
        if f"{_NGINX}/auth-url" in loc.annotations:
            body += _auth_location(loc)
        signin = loc.annotations.get(f"{_NGINX}/auth-signin")
        if signin is not None:
            # nginx.tmpl 1131-1146.
            body += [
                f"location {_signin_location(loc, signin)} {{",
                "    internal;",
                "    add_header Set-Cookie $auth_cookie;",
                f"    return 302 {_signin_url(signin)};",
                "}",
            ]
        body += _main_location(loc, upstreams)
    if server.hostname == _DEFAULT_SERVER:
        # nginx.tmpl 1455-1488: the catch-all server's health check and status page
        # (NginxStatusIpv4Whitelist: 127.0.0.1; IPv6 is not listened on here).
        body += [
            "location /healthz {",
            "    access_log off;",
            "    return 200;",
            "}",
            "location /nginx_status {",
            "    allow 127.0.0.1;",
            "    deny all;",
            "    access_log off;",
            "    stub_status on;",
            "}",
        ]
    return lines + ["    " + line for line in body] + ["}"]


@dataclass(frozen=True)
class NginxSite:
    """Where the rendered nginx runs: its port on 127.0.0.1, its working directory (pid,
    logs, temporary files), its certificate, and the port of each upstream's backend."""

    port: int
    directory: Path
    certificate: Path
    key: Path
    backends: Mapping[str, int]


def render(ingresses: Iterable[Mapping[str, Any]], site: NginxSite) -> str:
    """The whole nginx.conf for ``ingresses``."""
    ingresses = list(ingresses)
    servers = _servers(ingresses)
    used = {loc.backend for server in servers for loc in server.locations}
    missing = used - set(site.backends)
    if missing:
        raise ValueError(f"no backend port for upstreams {sorted(missing)}")
    upstreams = {name: name for name in used}
    lines = [f"load_module {_MODULE_DIR / module};" for module in _MODULES]
    lines += [
        f"pid {site.directory / 'nginx.pid'};",
        f"error_log {site.directory / 'error.log'} info;",
        "events {",
        "    worker_connections 1024;",
        "}",
        "http {",
    ]
    http = [
        # nginx.tmpl 259-268: temporary paths here, not /tmp/nginx or Debian's.
        "log_subrequest on;",
        "reset_timedout_connection on;",
        "keepalive_timeout 75s;",  # KeepAlive 75
        "keepalive_requests 1000;",  # KeepAliveRequests 1000
        *(
            f"{kind}_temp_path {site.directory / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
        # nginx.tmpl 270-274 with NewDefault's sizes.
        "client_header_buffer_size 1k;",
        "client_header_timeout 60s;",
        "large_client_header_buffers 4 8k;",
        "client_body_buffer_size 8k;",
        "client_body_timeout 60s;",
        # nginx.tmpl 302-303: EnableUnderscoresInHeaders false, IgnoreInvalidHeaders true.
        "underscores_in_headers off;",
        "ignore_invalid_headers on;",
        "server_tokens off;",  # ShowServerTokens false (nginx.tmpl 338)
        "uninitialized_variable_warn off;",
        f"access_log {site.directory / 'access.log'};",
        # nginx.tmpl 380-388: UpstreamKeepaliveConnections 320 > 0.
        "map $http_upgrade $connection_upgrade {",
        "    default upgrade;",
        "    '' '';",
        "}",
        # nginx.tmpl 392-397: GenerateRequestID true.
        "map $http_x_request_id $req_id {",
        "    default $http_x_request_id;",
        '    "" $request_id;',
        "}",
        # nginx.tmpl 453-454.
        "server_name_in_redirect off;",
        "port_in_redirect off;",
        "ssl_protocols TLSv1.2 TLSv1.3;",  # NewDefault sslProtocols
        f"ssl_certificate {site.certificate};",
        f"ssl_certificate_key {site.key};",
        "proxy_ssl_session_reuse on;",
    ]
    for name in sorted(upstreams):
        # nginx.tmpl 518-538, the balancer's upstream, one per Service here.
        http += [
            f"upstream {name} {{",
            f"    server 127.0.0.1:{site.backends[name]};",
            "    keepalive 320;",
            "    keepalive_time 1h;",
            "    keepalive_timeout 60s;",
            "    keepalive_requests 10000;",
            "}",
        ]
    for server in servers:
        if server.hostname != _DEFAULT_SERVER and not server.hostname.startswith("*"):
            # What the cluster's DNS does for auth-url's $host (module docstring).
            http += [f"upstream {server.hostname} {{", f"    server 127.0.0.1:{site.port};", "}"]
    for server in servers:
        http += _server_block(server, site.port, upstreams)
    return "\n".join(lines + ["    " + line for line in http] + ["}", ""])
