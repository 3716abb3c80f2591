"""The path Istio's proxies route and authorize: Istio 1.30.3 normalizes it before any filter.

``pilot/pkg/networking/core/listener_builder.go`` (istio/istio 1.30.3) sets, for the mesh
config's default ``pathNormalization`` (``DEFAULT``, the same as ``BASE``),
``normalize_path: true``, no ``merge_slashes`` and ``path_with_escaped_slashes_action:
KEEP_UNCHANGED`` on every HTTP connection manager, sidecar and gateway alike. Envoy's
``normalize_path`` is ``PathUtil::canonicalPath`` (source/common/http/path_utility.cc):
the path before ``?`` goes through Chromium's ``url::CanonicalizePath``
(url/url_canon_path.cc), which turns ``\\`` into ``/``, unescapes the escaped unreserved
characters (letters, digits, ``-._~``: ``kPathCharLookup``'s UNESCAPE class), resolves ``.``
and ``..`` segments, escaped or not (``%2e``), never above the root, and leaves other escapes
(``%2F``, ``%5C``, ``%3B``) and ``;`` as they are; the query follows unchanged. Routing,
AuthorizationPolicy ``paths`` and the upstream all see the result.
"""

from __future__ import annotations

import re

__all__ = ["normalized_path"]

_UNRESERVED = re.compile(r"%([0-9A-Fa-f]{2})")


def _unescape_unreserved(segment: str) -> str:
    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if re.fullmatch(r"[A-Za-z0-9._~-]", char) else match.group(0)

    return _UNRESERVED.sub(one, segment)


def normalized_path(path: str) -> str:
    """The ``:path`` after Istio's default normalization (query kept)."""
    bare, question, query = path.partition("?")
    segments = _unescape_unreserved(bare.replace("\\", "/")).split("/")[1:]
    kept: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment in (".", ".."):
            if segment == ".." and kept:
                kept.pop()
            if last:
                kept.append("")
            continue
        kept.append(segment)
    return "/" + "/".join(kept) + question + query
