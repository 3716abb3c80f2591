"""Check the auth proxy's JWT: signature (JWKS or static key), issuer, audience, expiry and
lifetime. Every key is bound to the algorithms it may verify, so a token cannot pick one."""

from __future__ import annotations

import asyncio
import binascii
import json
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from jwt.utils import base64url_decode
from tornado.httpclient import AsyncHTTPClient

from hub_runtime.log_values import escaped, shown
from hub_runtime.settings import JwtSettings

__all__ = ["MAX_TOKEN_CHARS", "InvalidProof", "JwtVerifier", "bind_keys"]

# An unknown key id refetches the JWKS at most this often, so forged kids cannot flood the IdP.
_MIN_REFETCH_SECONDS = 10.0
# ID tokens are a few KB even with many group claims; longer ones are not parsed.
MAX_TOKEN_CHARS = 16 * 1024
# A JWS in compact serialization: three base64url segments, unpadded, nothing else (RFC 7515
# sections 2 and 7.1). PyJWT up to 2.13 (the hub image's) decodes with Python's lenient base64,
# which drops characters outside the alphabet: a valid token with bytes appended verified.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# What a key may verify when its JWK names no "alg" (RFC 7518 section 3.1), by kty and crv.
_RSA = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
_EC = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512", "secp256k1": "ES256K"}
_OKP = {"Ed25519": "EdDSA", "Ed448": "EdDSA"}

# Each algorithm one key verifies, and the key bound to it.
BoundKeys = dict[str, jwt.PyJWK]


class InvalidProof(Exception):
    """The token is missing, malformed, unsigned by a known key, or its claims do not fit.

    The message is safe to log: values from the token are escaped and cut short."""


def _header(token: str) -> dict[str, Any]:
    """The token's JOSE header, only to pick the key: jwt.decode then checks the whole token,
    this header included. (PyJWT's own get_unverified_header would parse and check every
    segment of the token once more: a third of a verification's CPU.)"""
    try:
        header = json.loads(base64url_decode(token.partition(".")[0].encode("ascii")))
    except (ValueError, binascii.Error) as error:  # UnicodeError and JSON errors included
        raise InvalidProof(f"malformed token: {escaped(str(error))}") from None
    if not isinstance(header, dict):
        raise InvalidProof("malformed token: its header is not a JSON object")
    return header


def _algorithms_of(jwk: Mapping[str, Any]) -> tuple[str, ...]:
    """The algorithms a JWK may verify: its ``alg`` if it names one, else its key type's."""
    if "alg" in jwk:
        alg = jwk["alg"]
        return (alg,) if isinstance(alg, str) else ()
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "RSA":
        return _RSA
    if kty == "EC" and crv in _EC:
        return (_EC[crv],)
    if kty == "OKP" and crv in _OKP:
        return (_OKP[crv],)
    return ()


def bind_keys(jwk: Mapping[str, Any], allowed: Sequence[str]) -> BoundKeys:
    """One ``PyJWK`` per algorithm that both ``allowed`` and the key admit. A key meant for
    encryption (``use``/``key_ops``) or that PyJWT cannot load binds nothing."""
    # A symmetric key in a JWKS is public: it proves nothing.
    if jwk.get("kty") == "oct" or jwk.get("use", "sig") != "sig":
        return {}
    operations = jwk.get("key_ops")
    if operations is not None and (not isinstance(operations, list) or "verify" not in operations):
        return {}
    bound: BoundKeys = {}
    for alg in _algorithms_of(jwk):
        if alg not in allowed:
            continue
        try:
            bound[alg] = jwt.PyJWK(dict(jwk), algorithm=alg)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            continue
    return bound


def _static_key(pem: str, allowed: Sequence[str]) -> BoundKeys:
    """A PEM public key, bound to the allowed algorithms of its type (and curve)."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError as error:
        raise ValueError(f"jwt.public_key is not a PEM public key: {error}") from None
    jwk: dict[str, Any]
    if isinstance(key, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(key, as_dict=True)
    elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        jwk = OKPAlgorithm.to_jwk(key, as_dict=True)
    else:
        raise ValueError(f"jwt.public_key: unsupported key type {type(key).__name__}")
    bound = bind_keys(jwk, allowed)
    if not bound:
        raise ValueError(
            f"jwt.public_key ({jwk['kty']}) fits none of the algorithms {list(allowed)}"
        )
    return bound


class JwtVerifier:
    """Verifies tokens against :class:`JwtSettings`. Keys from a JWKS URL are cached for at
    most ``jwks_max_age_seconds``, then fetched again before the next verification; a token
    naming a key id the cache does not have refetches them too. Keys past their age are never
    used: while the JWKS cannot be loaded, no proof passes."""

    def __init__(self, settings: JwtSettings) -> None:
        self.settings = settings
        self._keys: dict[str, BoundKeys] = {}
        # When the keys were loaded, and when a load was last tried (monotonic seconds).
        self._loaded_at: float | None = None
        self._tried_at: float | None = None
        # Why the last load failed (None: it succeeded).
        self._failure: str | None = None
        self._lock = asyncio.Lock()
        self._static = (
            _static_key(settings.public_key, settings.algorithms)
            if settings.public_key is not None
            else None
        )

    async def verify(self, token: str) -> dict[str, Any]:
        """Return the token's claims, or raise :class:`InvalidProof` saying why not."""
        if len(token) > MAX_TOKEN_CHARS:
            raise InvalidProof(f"token of {len(token)} characters (at most {MAX_TOKEN_CHARS})")
        if not _COMPACT_JWS.fullmatch(token):
            raise InvalidProof("malformed token: not three base64url segments (RFC 7515)")
        header = _header(token)
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in self.settings.algorithms:
            raise InvalidProof(f"algorithm {shown(alg)} not allowed")
        bound = self._static if self._static is not None else await self._key(kid)
        key = bound.get(alg)
        if key is None:
            which = "public_key" if self._static is not None else f"key {shown(kid)}"
            raise InvalidProof(
                f"algorithm {shown(alg)} does not fit {which} "
                f"(it verifies {', '.join(sorted(bound))})"
            )
        settings = self.settings
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=settings.audience,
                issuer=settings.issuer,
                leeway=settings.leeway,
                # sub: the person, which OpenID Connect requires of every ID token (Core 2).
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
            lifetime = int(claims["exp"]) - int(claims["iat"])
        except jwt.PyJWTError as error:
            raise InvalidProof(escaped(str(error))) from None
        except Exception as error:  # a token that breaks a check is no proof
            raise InvalidProof(f"cannot verify ({type(error).__name__})") from None
        if lifetime > settings.max_lifetime:
            raise InvalidProof(
                f"token lifetime {lifetime} s (exp - iat) exceeds {settings.max_lifetime} s"
            )
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise InvalidProof(f"sub {shown(claims['sub'])} is not a non-empty string")
        return claims

    def _fresh(self, now: float) -> bool:
        loaded = self._loaded_at
        return loaded is not None and now - loaded < self.settings.jwks_max_age_seconds

    async def _key(self, kid: object) -> BoundKeys:
        if not isinstance(kid, str) or not kid:
            raise InvalidProof("token has no key id")
        if not self._fresh(time.monotonic()) or kid not in self._keys:
            async with self._lock:
                now = time.monotonic()
                fresh = self._fresh(now)
                # Keys that merely aged are fetched at once; after a failed load, or for an
                # unknown key id, at most every _MIN_REFETCH_SECONDS.
                if (not fresh or kid not in self._keys) and (
                    self._tried_at is None
                    or now - self._tried_at >= _MIN_REFETCH_SECONDS
                    or (not fresh and self._failure is None)
                ):
                    await self._fetch()
        if not self._fresh(time.monotonic()):
            age = self.settings.jwks_max_age_seconds
            raise InvalidProof(f"no keys younger than {age} s: {self._failure or 'not loaded'}")
        if kid not in self._keys:
            failed = f" ({self._failure})" if self._failure else ""
            raise InvalidProof(f"unknown key id {shown(kid)}{failed}")
        return self._keys[kid]

    async def _fetch(self) -> None:
        self._tried_at = time.monotonic()
        url = self.settings.jwks_url
        assert url is not None
        try:
            response = await AsyncHTTPClient().fetch(url, request_timeout=10)
            document = json.loads(response.body)
            jwks = document["keys"] if isinstance(document, dict) else None
            if not isinstance(jwks, list):
                raise ValueError("no list of keys")
        except Exception as error:  # any failure: the cached keys only until their age is up
            self._failure = (
                f"cannot load keys from {url}: {escaped(str(error) or type(error).__name__)}"
            )
            return
        keys: dict[str, BoundKeys] = {}
        for jwk in jwks:
            kid = jwk.get("kid") if isinstance(jwk, dict) else None
            if isinstance(kid, str) and kid:
                bound = bind_keys(jwk, self.settings.algorithms)
                if bound:
                    keys[kid] = bound
        self._keys, self._loaded_at, self._failure = keys, self._tried_at, None
