"""Forged and malformed proofs: every token that is not a valid ID token of the identity
provider, for the hub, is 401, never a 500 and never a login.

The JWKS publishes an RSA key bound to RS256, a P-256 key bound to ES256, an RSA key that
names no algorithm, an RSA key for encryption only and a symmetric key; the hub allows
RS256, ES256 and PS256 and tokens valid for at most an hour.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterator

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization

from tests.adversarial.kit import (
    EcKeyPair,
    Hub,
    KeyPair,
    Published,
    b64,
    claims,
    raw_token,
    running_hub,
    sign,
    summary,
)

pytestmark = pytest.mark.slow  # a real hub and proxy (tests/adversarial/kit.py)

RSA = KeyPair("rsa")
EC = EcKeyPair("ec")
RSA_ANY = KeyPair("rsa-any-alg")
RSA_ENC = KeyPair("rsa-enc")
SECRET = "c2hhcmVkLXNlY3JldC1vZi10aGUtaWRw"
KEYS = [
    RSA,
    EC,
    Published(RSA_ANY, alg=None),
    Published(RSA_ENC, use="enc"),
    Published(RSA, kty="oct", k=SECRET, kid="oct", alg="HS256", n=None, e=None),
]
RSA_PUBLIC_PEM = RSA.private.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
HOUR = 3600


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(
        tmp_path_factory.mktemp("forged"),
        KEYS,
        jwt_changes={"algorithms": ("RS256", "ES256", "PS256"), "max_lifetime": HOUR},
    ) as running:
        yield running


def _now() -> int:
    return int(time.time())


# Each: what the attacker sends as the token for user "alice".
ATTACKS: dict[str, Callable[[], str | bytes]] = {
    # The key behind the kid is of another type than the header's alg.
    "ES256 header naming the RSA key": lambda: sign(
        EC.private, claims("alice"), "ES256", kid="rsa"
    ),
    "RS256 header naming the EC key": lambda: sign(RSA.private, claims("alice"), "RS256", kid="ec"),
    # The JWKS binds the key to RS256; the hub would otherwise allow PS256.
    "PS256 by a key the JWKS binds to RS256": lambda: sign(
        RSA.private, claims("alice"), "PS256", kid="rsa"
    ),
    "RS256 by a key published for encryption": lambda: sign(
        RSA_ENC.private, claims("alice"), "RS256", kid="rsa-enc"
    ),
    "HS256 with the published symmetric key": lambda: sign(
        SECRET.encode(), claims("alice"), "HS256", kid="oct"
    ),
    "HS256 keyed with the RSA public key (PEM)": lambda: _hmac_with_public_key(),
    "alg none, unsigned": lambda: raw_token({"alg": "none", "kid": "rsa"}, claims("alice"), b""),
    "alg as a list": lambda: raw_token({"alg": ["RS256"], "kid": "rsa"}, claims("alice")),
    "kid as an object": lambda: raw_token({"alg": "RS256", "kid": {"k": 1}}, claims("alice")),
    "no kid": lambda: sign(RSA.private, claims("alice"), "RS256"),
    "unknown kid": lambda: sign(RSA.private, claims("alice"), "RS256", kid="nobody"),
    "unsupported critical extension": lambda: sign(
        RSA.private, claims("alice"), "RS256", kid="rsa", crit=["exp-ext"]
    ),
    "two segments": lambda: f"{b64({'alg': 'RS256', 'kid': 'rsa'})}.{b64(claims('alice'))}",
    "five segments (JWE shape)": lambda: ".".join(["eyJhbGciOiJSUzI1NiJ9"] * 5),
    "header not base64": lambda: "!!!." + b64(claims("alice")) + ".sig",
    "header not JSON": lambda: f"{b64(b'not json')}.{b64(claims('alice'))}.c2ln",
    "header a JSON list": lambda: raw_token(["RS256"], claims("alice")),
    "payload not JSON, signed": lambda: _signed_raw(b"\xff not json"),
    "payload a JSON list, signed": lambda: _signed_raw(b'["alice"]'),
    "signature of another token": lambda: _swap_signature(),
    "empty signature": lambda: (
        sign(RSA.private, claims("alice"), "RS256", kid="rsa").rsplit(".", 1)[0] + "."
    ),
    "non-ASCII bytes in the token": lambda: (
        sign(RSA.private, claims("alice"), "RS256", kid="rsa").encode() + "é".encode()
    ),
    "expired": lambda: sign(RSA.private, claims("alice", exp=_now() - 60), "RS256", kid="rsa"),
    "not yet valid (nbf)": lambda: sign(
        RSA.private, claims("alice", nbf=_now() + 600), "RS256", kid="rsa"
    ),
    "issued in the future": lambda: sign(
        RSA.private, claims("alice", iat=_now() + 600, exp=_now() + 900), "RS256", kid="rsa"
    ),
    "no exp": lambda: sign(RSA.private, claims("alice", exp=None), "RS256", kid="rsa"),
    "no iat": lambda: sign(RSA.private, claims("alice", iat=None), "RS256", kid="rsa"),
    "no aud": lambda: sign(RSA.private, claims("alice", aud=None), "RS256", kid="rsa"),
    "audience of another client": lambda: sign(
        RSA.private, claims("alice", aud="grafana"), "RS256", kid="rsa"
    ),
    "audience list without the hub": lambda: sign(
        RSA.private, claims("alice", aud=["grafana", "wiki"]), "RS256", kid="rsa"
    ),
    "issuer of another IdP": lambda: sign(
        RSA.private, claims("alice", iss="https://evil.test"), "RS256", kid="rsa"
    ),
    "exp a string": lambda: sign(RSA.private, claims("alice", exp="tomorrow"), "RS256", kid="rsa"),
    "valid for two hours (exp - iat)": lambda: sign(
        RSA.private, claims("alice", exp=_now() + 2 * HOUR), "RS256", kid="rsa"
    ),
    "valid for a year, issued long ago": lambda: sign(
        RSA.private,
        claims("alice", iat=_now() - HOUR, exp=_now() + 365 * 24 * HOUR),
        "RS256",
        kid="rsa",
    ),
    "user claim missing": lambda: sign(
        RSA.private, claims("alice", preferred_username=None), "RS256", kid="rsa"
    ),
    "user claim a list": lambda: sign(
        RSA.private,
        claims(["alice"]),  # type: ignore[arg-type]
        "RS256",
        kid="rsa",
    ),
    "proof for another user": lambda: sign(RSA.private, claims("mallory"), "RS256", kid="rsa"),
}


def _signed_raw(payload: bytes) -> str:
    """A payload that is not a JSON object, correctly signed by the IdP's key."""
    return jwt.api_jws.encode(payload, RSA.private, algorithm="RS256", headers={"kid": "rsa"})


def _hmac_with_public_key() -> str:
    """The classic confusion: an HMAC keyed with the published public key."""
    signing_input = f"{b64({'alg': 'HS256', 'kid': 'rsa'})}.{b64(claims('alice'))}"
    mac = hmac.new(RSA_PUBLIC_PEM, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def _swap_signature() -> str:
    mine = sign(RSA.private, claims("mallory"), "RS256", kid="rsa")
    forged = raw_token({"alg": "RS256", "typ": "JWT", "kid": "rsa"}, claims("alice"))
    return forged.rsplit(".", 1)[0] + "." + mine.rsplit(".", 1)[1]


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_forged_proof_is_401(hub: Hub, attack: str, report: Callable[[str, str], None]) -> None:
    mark = hub.log_size()
    response = hub.login("alice", ATTACKS[attack]())
    log = hub.log_since(mark)
    report(attack, summary(response, log))
    assert response.status_code == 401, (response.status_code, log[-2000:])
    assert "Traceback" not in log


def test_oversized_token_is_401(hub: Hub, report: Callable[[str, str], None]) -> None:
    """Sent straight to the hub's port, as a user server can (the proxy refuses headers
    over 16 KB itself)."""
    token = raw_token({"alg": "RS256", "kid": "rsa"}, claims("alice", pad="x" * 20_000))
    mark = hub.log_size()
    response = hub.login("alice", token, via=hub.hub_url)
    report("20 KB token to the hub's port", summary(response, hub.log_since(mark)))
    assert response.status_code == 401


@pytest.mark.parametrize("scheme", ["Basic YWxpY2U6cHc=", "Bearer", "Bearer    ", "token abc", ""])
def test_missing_bearer_proof_is_401(
    hub: Hub, scheme: str, report: Callable[[str, str], None]
) -> None:
    response = hub.login("alice", headers={"Authorization": scheme})
    report(f"Authorization: {scheme!r}", f"{response.status_code}")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("name", "token"),
    [
        ("RS256 by the RSA key", lambda: sign(RSA.private, claims("ann"), "RS256", kid="rsa")),
        ("ES256 by the EC key", lambda: sign(EC.private, claims("ann"), "ES256", kid="ec")),
        (
            "PS256 by the RSA key that names no algorithm",
            lambda: sign(RSA_ANY.private, claims("ann"), "PS256", kid="rsa-any-alg"),
        ),
        (
            "valid for exactly the longest lifetime",
            lambda: sign(RSA.private, claims("ann", exp=_now() + HOUR), "RS256", kid="rsa"),
        ),
    ],
)
def test_valid_proofs_still_log_in(
    hub: Hub, name: str, token: Callable[[], str], report: Callable[[str, str], None]
) -> None:
    """The control: what the identity provider really signs is accepted."""
    session = requests.Session()
    response = hub.login("ann", token(), session=session)
    report(f"control: {name}", f"{response.status_code} as {hub.whoami(session)!r}")
    assert response.status_code == 302


def test_alice_has_no_account(hub: Hub) -> None:
    """Not one of the attacks above logged anyone in as alice."""
    assert "alice" not in hub.users()
