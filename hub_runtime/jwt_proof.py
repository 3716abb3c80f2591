"""Check the auth proxy's JWT: signature (JWKS or static key), issuer, audience, expiry."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import jwt
from tornado.httpclient import AsyncHTTPClient

from hub_runtime.settings import JwtSettings

__all__ = ["InvalidProof", "JwtVerifier"]

# An unknown key id refetches the JWKS at most this often, so forged kids cannot flood the IdP.
_MIN_REFETCH_SECONDS = 10.0


class InvalidProof(Exception):
    """The token is missing, malformed, unsigned by a known key, or its claims do not fit."""


class JwtVerifier:
    """Verifies tokens against :class:`JwtSettings`; keys from a JWKS URL are cached and
    refetched when a token names a key id the cache does not have."""

    def __init__(self, settings: JwtSettings) -> None:
        self.settings = settings
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        # PyJWT takes a PEM public key as it is.
        self._static = settings.public_key

    async def verify(self, token: str) -> dict[str, Any]:
        """Return the token's claims, or raise :class:`InvalidProof` saying why not."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidProof(f"malformed token: {error}") from None
        if header.get("alg") not in self.settings.algorithms:
            raise InvalidProof(f"algorithm {header.get('alg')!r} not allowed")
        key = self._static if self._static is not None else await self._key(header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key=key, algorithms=list(self.settings.algorithms),
                audience=self.settings.audience, issuer=self.settings.issuer,
                leeway=self.settings.leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidProof(str(error)) from None
        return claims

    async def _key(self, kid: str | None) -> Any:
        if kid is None:
            raise InvalidProof("token has no key id")
        if kid not in self._keys:
            async with self._lock:
                if kid not in self._keys and time.monotonic() - self._fetched_at > (
                        _MIN_REFETCH_SECONDS if self._fetched_at else 0):
                    await self._fetch()
        if kid not in self._keys:
            raise InvalidProof(f"unknown key id {kid!r}")
        return self._keys[kid]

    async def _fetch(self) -> None:
        self._fetched_at = time.monotonic()
        url = self.settings.jwks_url
        assert url is not None
        try:
            response = await AsyncHTTPClient().fetch(url, request_timeout=10)
            keys = jwt.PyJWKSet.from_dict(json.loads(response.body)).keys
        except Exception as error:
            raise InvalidProof(f"cannot load keys from {url}: {error}") from None
        self._keys = {key.key_id: key.key for key in keys if key.key_id}

