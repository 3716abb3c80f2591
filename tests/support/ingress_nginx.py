"""What ingress-nginx makes of a request, decided from the Ingress objects alone: which
Ingress serves a path, and which headers the backend receives after external auth.

It encodes what the controller does, as documented and as its template generates:
- Paths: among the Ingresses' rules for the request's host, the longest matching path wins
  (Kubernetes Ingress API, "Multiple matches"); ``Prefix`` matches by path element
  (``/hub`` matches ``/hub`` and ``/hub/login``, not ``/hubx``), ``Exact`` only itself.
- External auth (``auth-url``): for every header named in ``auth-response-headers`` the
  controller emits ``auth_request_set $authHeaderN $upstream_http_<name>;`` and
  ``proxy_set_header '<name>' $authHeaderN;`` (``buildAuthResponseHeaders`` in
  ``internal/ingress/controller/template/template.go``). nginx never passes a client's own
  header of a name it sets, and does not send a header set to an empty value: a listed
  header carries the auth service's value or is absent, on every path of that Ingress
  (SPEC section 10). Headers not listed pass from the client unchanged.
- The auth subrequest carries the client's request headers (its ``Cookie`` too:
  ``proxy_pass_request_headers``); a 2xx answer lets the request through, a 401 or 403
  ends it there: with ``auth-signin`` a redirect (302) to that URL, else the status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Served", "route", "serve", "upstream_headers"]

_NGINX = "nginx.ingress.kubernetes.io"


def _matches(path_type: str, rule: str, path: str) -> bool:
    if path_type == "Exact":
        return path == rule
    prefix = rule.rstrip("/")
    return prefix == "" or path == prefix or path.startswith(prefix + "/")


def route(ingresses: Iterable[Mapping[str, Any]], host: str, path: str) -> Mapping[str, Any]:
    """The Ingress whose rule serves ``host`` and ``path``."""
    return _rule(ingresses, host, path)[0]


def _rule(
    ingresses: Iterable[Mapping[str, Any]], host: str, path: str
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The Ingress and its path entry that serve ``host`` and ``path``."""
    path = path.split("?", 1)[0]
    candidates = []
    for ingress in ingresses:
        for rule in ingress["spec"]["rules"]:
            if rule.get("host") != host:
                continue
            for entry in rule["http"]["paths"]:
                if _matches(entry["pathType"], entry["path"], path):
                    exact = entry["pathType"] == "Exact"
                    length = len(entry["path"].rstrip("/"))
                    candidates.append(((length, exact), (ingress, entry)))
    if not candidates:
        raise LookupError(f"no Ingress serves {host}{path}")
    return max(candidates, key=lambda candidate: candidate[0])[1]


def upstream_headers(
    ingresses: Iterable[Mapping[str, Any]],
    host: str,
    path: str,
    client: Mapping[str, str],
    auth_answer: Mapping[str, str],
) -> dict[str, str]:
    """The headers (lower-case names) the backend receives for a client's request, when the
    auth service accepts it with ``auth_answer`` as its response headers."""
    ingress = route(ingresses, host, path)
    annotations = ingress["metadata"].get("annotations") or {}
    sent = {name.lower(): value for name, value in client.items()}
    if f"{_NGINX}/auth-url" not in annotations:
        return sent
    answer = {name.lower(): value for name, value in auth_answer.items()}
    listed = annotations.get(f"{_NGINX}/auth-response-headers", "")
    for name in (h.strip().lower() for h in listed.split(",") if h.strip()):
        sent.pop(name, None)
        if answer.get(name):
            sent[name] = answer[name]
    return sent


@dataclass(frozen=True)
class Served:
    """What the controller did with a request: passed it to ``service`` (a path's backend)
    with ``headers``, or answered ``status`` itself (``location``: where a 302 sends)."""

    service: Mapping[str, Any]
    headers: dict[str, str] | None
    status: int | None = None
    location: str | None = None


def serve(
    ingresses: Iterable[Mapping[str, Any]],
    host: str,
    path: str,
    client: Mapping[str, str],
    check: Callable[[Mapping[str, str]], Mapping[str, str] | None],
) -> Served:
    """A client's request through the controller. ``check`` is the auth service: given the
    subrequest's headers, its answer's headers when it accepts, ``None`` when it refuses."""
    ingresses = list(ingresses)
    ingress, entry = _rule(ingresses, host, path)
    service = entry["backend"]["service"]
    annotations = ingress["metadata"].get("annotations") or {}
    if f"{_NGINX}/auth-url" not in annotations:
        return Served(service, {name.lower(): value for name, value in client.items()})
    answer = check(client)
    if answer is None:
        signin = annotations.get(f"{_NGINX}/auth-signin")
        if signin is None:
            return Served(service, None, 401)
        return Served(service, None, 302, signin.replace("$host", host))
    return Served(service, upstream_headers(ingresses, host, path, client, answer))
