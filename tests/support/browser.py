"""A browser's cookie jar at a public origin: Python's ``http.cookiejar`` (RFC 6265's domain
and path rules: a cookie of path ``/hub`` goes with ``/hub`` and ``/hub/…``, not with
``/user/…`` nor ``/hubx``) decides which cookies each request carries, and keeps what each
response sets. Requests travel elsewhere (the processes on 127.0.0.1); the jar sees the
URL the browser would show."""

from __future__ import annotations

import email.message
import urllib.request
from collections.abc import Iterable
from http.cookiejar import CookieJar

__all__ = ["Browser"]


class _Response:
    """What ``CookieJar.extract_cookies`` reads of a response: its headers."""

    def __init__(self, set_cookies: Iterable[str]) -> None:
        self._headers = email.message.Message()
        for value in set_cookies:
            self._headers["Set-Cookie"] = value

    def info(self) -> email.message.Message:
        return self._headers


class Browser:
    def __init__(self, origin: str) -> None:
        self.origin = origin.rstrip("/")
        self.jar = CookieJar()

    def _request(self, path: str) -> urllib.request.Request:
        return urllib.request.Request(f"{self.origin}{path}")

    def cookie_header(self, path: str) -> str:
        """The ``Cookie`` header the browser sends with a request for ``path`` ("" if none)."""
        request = self._request(path)
        self.jar.add_cookie_header(request)
        return request.get_header("Cookie") or ""

    def receive(self, path: str, set_cookies: Iterable[str]) -> None:
        """Keep the cookies a response to ``path`` sets (``Set-Cookie`` values)."""
        self.jar.extract_cookies(_Response(set_cookies), self._request(path))  # type: ignore[arg-type]

    def names(self) -> list[tuple[str, str]]:
        """(name, path) of every cookie held."""
        return sorted((cookie.name, cookie.path) for cookie in self.jar)
