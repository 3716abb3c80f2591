"""What oauth2-proxy does with a browser's cookies, decided from its flags alone: where it
serves its endpoints, which cookies it sets with which attributes, and whose session a
request's cookies carry.

It encodes oauth2-proxy's code (v7):
- ``--proxy-prefix`` (default ``/oauth2``) is where it serves ``/start`` (sets the CSRF
  cookie, sends the browser to the identity provider), ``/callback`` (needs that CSRF
  cookie; sets the session cookie) and ``/auth`` (the check an edge asks about a request).
- Every cookie it sets, the session cookie ``--cookie-name`` (default ``_oauth2_proxy``)
  and the CSRF cookie ``<name>_csrf``, is made by ``MakeCookieFromOptions``
  (``pkg/cookies/cookies.go``): ``Path`` is ``--cookie-path`` (default ``/``), ``Domain``
  ``--cookie-domain`` (default none: the request's host only), ``HttpOnly``
  ``--cookie-httponly`` (default true), ``Secure`` ``--cookie-secure`` (default true),
  ``SameSite`` ``--cookie-samesite`` (default none set).
- The session cookie is checked by its signature: whoever presents it is its user, so a
  replayed cookie is as good as the browser's own.

``documented_flags`` reads the flags the README tells a deployer to run it with.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from http.cookies import SimpleCookie

from tests.manifests import ROOT

__all__ = ["OAuth2Proxy", "documented_flags", "parse_cookie_header"]

_README = ROOT / "README.md"
# The step of the README's deploy guide that lists oauth2-proxy's flags (both apps run it
# with these; dev adds its upstream).
_FLAGS_STEP = "2. **oauth2-proxy**"


def documented_flags() -> tuple[str, ...]:
    """The flags of the README's ``minimal`` deploy step for oauth2-proxy (``#`` comments
    and ``...`` values as written)."""
    text = _README.read_text()
    start = text.index(_FLAGS_STEP)
    block = text[start:].split("```", 2)[1]
    flags: list[str] = []
    for line in block.splitlines():
        flags.extend(token for token in line.split("#", 1)[0].split() if token.startswith("--"))
    return tuple(flags)


def parse_cookie_header(header: str) -> dict[str, str]:
    """A request's ``Cookie`` header as name -> value."""
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


class OAuth2Proxy:
    """oauth2-proxy run with ``flags``: the cookies it sets and the sessions it issued."""

    def __init__(self, flags: tuple[str, ...]) -> None:
        self.flags = flags
        self._sessions: dict[str, str] = {}  # session cookie value -> user
        self._csrf: set[str] = set()

    def flag(self, name: str, default: str) -> str:
        """The value of ``--name=value`` (the last one given), else ``default``; a bare
        boolean flag is ``true``."""
        value = default
        for flag in self.flags:
            key, sep, given = flag.partition("=")
            if key == f"--{name}":
                value = given if sep else "true"
        return value

    @property
    def prefix(self) -> str:
        return self.flag("proxy-prefix", "/oauth2").rstrip("/")

    @property
    def cookie_name(self) -> str:
        return self.flag("cookie-name", "_oauth2_proxy")

    def endpoint(self, path: str) -> str | None:
        """Which of its endpoints ``path`` is (``start``, ``callback``, ``auth``...), if any."""
        if not path.startswith(f"{self.prefix}/"):
            return None
        return path[len(self.prefix) + 1 :].split("?", 1)[0]

    def set_cookie(self, name: str, value: str, *, expire: bool = False) -> str:
        """A ``Set-Cookie`` value as ``MakeCookieFromOptions`` makes it."""
        parts = [f"{name}={value}", f"Path={self.flag('cookie-path', '/')}"]
        domain = self.flag("cookie-domain", "")
        if domain:
            parts.append(f"Domain={domain.split(',')[-1]}")
        parts.append("Max-Age=0" if expire else "Max-Age=604800")
        if self.flag("cookie-httponly", "true") == "true":
            parts.append("HttpOnly")
        if self.flag("cookie-secure", "true") == "true":
            parts.append("Secure")
        same_site = self.flag("cookie-samesite", "")
        if same_site:
            parts.append(f"SameSite={same_site.capitalize()}")
        return "; ".join(parts)

    def start(self) -> list[str]:
        """``<prefix>/start``: the CSRF cookie, before the identity provider."""
        token = secrets.token_urlsafe(16)
        self._csrf.add(token)
        return [self.set_cookie(f"{self.cookie_name}_csrf", token)]

    def callback(self, cookies: Mapping[str, str], user: str) -> list[str]:
        """``<prefix>/callback`` after ``user`` signed in at the identity provider: refused
        without the CSRF cookie ``start`` set; else the session cookie."""
        csrf = cookies.get(f"{self.cookie_name}_csrf")
        if csrf not in self._csrf:
            raise PermissionError("callback without the CSRF cookie of /start: 403")
        self._csrf.discard(csrf)
        session = f"{user}.{secrets.token_urlsafe(16)}"
        self._sessions[session] = user
        return [
            self.set_cookie(self.cookie_name, session),
            self.set_cookie(f"{self.cookie_name}_csrf", "", expire=True),
        ]

    def user_for(self, cookie_header: str) -> str | None:
        """``<prefix>/auth``: the user whose session the request's cookies carry, if any."""
        value = parse_cookie_header(cookie_header).get(self.cookie_name)
        return self._sessions.get(value or "")
