"""The verifier on its own: each key verifies only its own algorithms, and nothing a token
holds raises anything but InvalidProof (end to end: tests/adversarial/test_forged_tokens.py)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import RSAAlgorithm

from hub_runtime import jwt_proof
from hub_runtime.jwt_proof import InvalidProof, JwtVerifier, bind_keys
from hub_runtime.settings import JwtSettings
from tests.support.processes import KeyPair, idp_jwt_settings, jwks_server, subject_of

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ALLOWED = ("RS256", "PS256", "ES256")


def pem(private: Any) -> str:
    return str(
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def verifier(public_key: str, **changes: Any) -> JwtVerifier:
    settings = JwtSettings(
        issuer="https://idp",
        audience="hub",
        user_claim="sub",
        jwks_url=None,
        public_key=public_key,
        algorithms=ALLOWED,
        leeway=0,
        max_lifetime=3600,
        groups_claim="groups",
        jwks_max_age_seconds=300,
    )
    return JwtVerifier(JwtSettings(**{**settings.__dict__, **changes}))


def token(private: Any, alg: str, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "sub": "ann",
        "iss": "https://idp",
        "aud": "hub",
        "iat": now,
        "exp": now + 60,
        **claims,
    }
    return jwt.encode(payload, private, algorithm=alg)


def verify(checker: JwtVerifier, value: str) -> dict[str, Any]:
    return asyncio.run(checker.verify(value))


def test_static_rsa_key_verifies_rsa_algorithms() -> None:
    checker = verifier(pem(RSA_KEY))
    assert verify(checker, token(RSA_KEY, "RS256"))["sub"] == "ann"
    assert verify(checker, token(RSA_KEY, "PS256"))["sub"] == "ann"


@pytest.mark.parametrize(
    ("key", "signer", "alg", "why"),
    [
        (
            RSA_KEY,
            EC_KEY,
            "ES256",
            "algorithm 'ES256' does not fit public_key (it verifies PS256, RS256)",
        ),
        (EC_KEY, RSA_KEY, "RS256", "algorithm 'RS256' does not fit public_key (it verifies ES256)"),
    ],
)
def test_static_key_of_another_type_is_invalid_proof(
    key: Any, signer: Any, alg: str, why: str
) -> None:
    with pytest.raises(InvalidProof) as error:
        verify(verifier(pem(key)), token(signer, alg))
    assert str(error.value) == why


def test_lifetime_over_the_limit_is_invalid_proof() -> None:
    now = int(time.time())
    with pytest.raises(InvalidProof, match=r"token lifetime 7200 s \(exp - iat\) exceeds 60 s"):
        verify(
            verifier(pem(RSA_KEY), max_lifetime=60),
            token(RSA_KEY, "RS256", iat=now, exp=now + 7200),
        )


def test_static_key_must_be_a_public_key() -> None:
    with pytest.raises(ValueError, match=r"jwt\.public_key is not a PEM public key"):
        verifier("not a key")


def test_static_key_must_fit_an_algorithm() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    with pytest.raises(ValueError, match=r"jwt\.public_key \(OKP\) fits none of the algorithms"):
        verifier(pem(key))


def rsa_jwk(**fields: Any) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    return {**jwk, "kid": "k", **fields}


@pytest.mark.parametrize(
    ("fields", "bound"),
    [
        ({}, ["PS256", "RS256"]),  # no alg: the key type's, as allowed
        ({"alg": "RS256"}, ["RS256"]),  # alg: that one only
        ({"alg": "RS512"}, []),  # not allowed here
        ({"use": "enc"}, []),  # for encryption
        ({"key_ops": ["encrypt"]}, []),
        ({"key_ops": ["verify"]}, ["PS256", "RS256"]),
        ({"alg": "ES256"}, []),  # alg of another key type
        ({"n": "!!"}, []),  # not a key PyJWT can load
    ],
)
def test_jwks_keys_bind_to_their_algorithms(fields: dict[str, Any], bound: list[str]) -> None:
    assert sorted(bind_keys(rsa_jwk(**fields), ALLOWED)) == bound


def test_symmetric_jwks_key_binds_nothing() -> None:
    secret = {"kty": "oct", "k": "c2VjcmV0", "kid": "s", "alg": "HS256"}
    assert bind_keys(secret, (*ALLOWED, "HS256")) == {}


def test_a_token_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A login's proof costs one parse of the token: the key is picked from the header read
    alone, and jwt.decode's full parse (every segment checked) is the only one."""
    checker = verifier(pem(RSA_KEY))
    value = token(RSA_KEY, "RS256")
    parses: list[object] = []
    load = jwt.api_jws.PyJWS._load

    def counted(self: jwt.api_jws.PyJWS, value: str | bytes) -> Any:
        parses.append(value)
        return load(self, value)

    monkeypatch.setattr(jwt.api_jws.PyJWS, "_load", counted)
    assert verify(checker, value)["sub"] == "ann"
    assert len(parses) == 1


@pytest.mark.parametrize(
    "value",
    ["", ".", "x.y.z", "é.y.z", "WzFd.e30.", "e30", "eyJhbGciOiJSUzI1NiJ9"],
    ids=["empty", "dots", "not-base64", "not-ascii", "header-a-list", "no-dots", "header-only"],
)
def test_malformed_tokens_are_invalid_proof(value: str) -> None:
    with pytest.raises(InvalidProof):
        verify(verifier(pem(RSA_KEY)), value)


class Counted:
    """A published key that counts how often the JWKS was served."""

    def __init__(self, key: KeyPair) -> None:
        self.key, self.served = key, 0

    def jwk(self) -> dict[str, Any]:
        self.served += 1
        return self.key.jwk()


class Clock:
    """The verifier's monotonic clock, moved on by the test: keys age without a wait."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(jwt_proof, "time", moved)
    return moved


def jwks_verifier(url: str, max_age: int) -> JwtVerifier:
    return JwtVerifier(idp_jwt_settings(url, jwks_max_age_seconds=max_age))


def test_withdrawn_key_stops_verifying_within_the_max_age(clock: Clock) -> None:
    """Rotation at the identity provider: the old key leaves the JWKS, its tokens verify until
    the cached keys are jwks_max_age_seconds old (here 1 s) and never after."""
    old, new = KeyPair("old"), KeyPair("new")
    published: list[Any] = [old]

    async def scenario() -> None:
        checker = jwks_verifier(url, max_age=1)
        assert (await checker.verify(old.token("ann")))["preferred_username"] == "ann"
        published[:] = [new]
        # Within the bound the cache still holds the old key.
        assert (await checker.verify(old.token("ann")))["sub"] == subject_of("ann")
        clock.advance(1.2)
        with pytest.raises(InvalidProof, match=r"unknown key id 'old'"):
            await checker.verify(old.token("ann"))
        assert (await checker.verify(new.token("ann")))["preferred_username"] == "ann"

    with jwks_server(published) as url:
        asyncio.run(scenario())


def test_unreachable_jwks_fails_closed_once_keys_age(clock: Clock) -> None:
    """An identity provider that stopped answering: past the max age the cached keys are not
    used, so no token verifies (the hub answers 401, tests/test_oidc_login.py)."""
    key = KeyPair("k")

    async def scenario() -> None:
        with jwks_server([key]) as url:
            checker = jwks_verifier(url, max_age=1)
            assert (await checker.verify(key.token("ann")))["preferred_username"] == "ann"
        clock.advance(1.2)  # the server is gone, the keys age
        for _ in range(3):
            with pytest.raises(InvalidProof, match=r"^no keys younger than 1 s: cannot load keys"):
                await checker.verify(key.token("ann"))

    asyncio.run(scenario())


def test_aged_keys_are_fetched_again_before_use(clock: Clock) -> None:
    """Past the max age the keys are fetched again before verifying (here once per second),
    even though unknown key ids refetch at most every 10 s."""
    key = KeyPair("k")
    counted = Counted(key)

    async def scenario() -> None:
        checker = jwks_verifier(url, max_age=1)
        await checker.verify(key.token("ann"))
        await checker.verify(key.token("ann"))
        assert counted.served == 1
        clock.advance(1.2)
        await checker.verify(key.token("ann"))
        assert counted.served == 2

    with jwks_server([counted]) as url:  # type: ignore[list-item]
        asyncio.run(scenario())


def test_token_without_sub_is_invalid_proof() -> None:
    """OpenID Connect requires sub in every ID token: the account is bound to it."""
    checker = verifier(pem(RSA_KEY))
    value = jwt.encode(
        {"iss": "https://idp", "aud": "hub", "iat": int(time.time()), "exp": int(time.time()) + 60},
        RSA_KEY,
        algorithm="RS256",
    )
    with pytest.raises(InvalidProof, match=r'Token is missing the "sub" claim'):
        verify(checker, value)


@pytest.mark.parametrize("sub", ["", 7, ["ann"]])
def test_sub_not_a_string_is_invalid_proof(sub: Any) -> None:
    with pytest.raises(InvalidProof, match=r"sub|Subject"):
        verify(verifier(pem(RSA_KEY)), token(RSA_KEY, "RS256", sub=sub))


@pytest.mark.parametrize("extra", ["é", " ", "=", "+/", "\n", "."])
def test_a_valid_token_with_characters_appended_is_invalid_proof(extra: str) -> None:
    """Bytes outside base64url after a valid signature (the installed PyJWT's decoder may drop
    them) make a malformed token, never a proof."""
    checker = verifier(pem(RSA_KEY))
    value = token(RSA_KEY, "RS256")
    assert verify(checker, value)["sub"] == "ann"
    with pytest.raises(InvalidProof, match=r"^malformed token: not three base64url segments"):
        verify(checker, value + extra)
