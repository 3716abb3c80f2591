"""What the attack classes share: the keys an identity provider may publish, hand-made
tokens, a hub (real configurable-http-proxy and JupyterHub, from ``tests.support.processes``) and
what the hub logged during one attack."""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from tests.support.manifests import ROOT
from tests.support.processes import (
    AUDIENCE,
    ISSUER,
    Deployment,
    KeyPair,
    deployment,
    jwks_server,
    subject_of,
)

__all__ = [
    "AUDIENCE",
    "ISSUER",
    "EcKeyPair",
    "Hub",
    "KeyPair",
    "Published",
    "b64",
    "claims",
    "raw_token",
    "running_hub",
]


class EcKeyPair:
    """A P-256 key the test IdP signs ES256 tokens with."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = ec.generate_private_key(ec.SECP256R1())

    def jwk(self) -> dict[str, Any]:
        key: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(self.private.public_key()))
        return {**key, "kid": self.kid, "use": "sig", "alg": "ES256"}


class Published:
    """A key as the JWKS shows it, with JWK fields changed (``None`` removes one)."""

    def __init__(self, key: KeyPair | EcKeyPair, **fields: Any) -> None:
        self.key, self.fields = key, fields

    def jwk(self) -> dict[str, Any]:
        jwk = {**self.key.jwk(), **self.fields}
        return {name: value for name, value in jwk.items() if value is not None}


def claims(user: str, **changes: Any) -> dict[str, Any]:
    """Valid ID-token claims for ``user``; ``changes`` replace (``None`` removes) claims."""
    now = int(time.time())
    base = {
        "sub": subject_of(user),
        "preferred_username": user,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
        **changes,
    }
    return {name: value for name, value in base.items() if value is not None}


def b64(data: bytes | dict[str, Any] | list[Any] | str) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def raw_token(header: Any, payload: Any, signature: bytes = b"signature") -> str:
    """A token put together by hand, signed by nobody."""
    return f"{b64(header)}.{b64(payload)}.{b64(signature)}"


def sign(key: Any, payload: dict[str, Any], alg: str, **header: Any) -> str:
    return jwt.encode(payload, key, algorithm=alg, headers=header or None)


class Hub:
    """A running deployment, seen by an attacker: logins through the proxy, and the hub's
    log since a mark."""

    def __init__(self, running: Deployment) -> None:
        self.running = running
        self.proxy_url = running.proxy_url
        self.hub_url = running.hub_url

    def login(
        self,
        user: str | bytes | None,
        token: str | bytes | None = None,
        *,
        headers: dict[str, str | bytes] | None = None,
        session: requests.Session | None = None,
        via: str | None = None,
    ) -> requests.Response:
        """GET /hub/login with the user header (a ``str`` sent as UTF-8, as the auth proxy
        does; ``bytes`` as they are) and ``Authorization: Bearer <token>``."""
        sent: dict[str, str | bytes] = dict(headers or {})
        if user is not None:
            sent["X-Auth-Request-User"] = user.encode() if isinstance(user, str) else user
        if token is not None:
            sent["Authorization"] = (
                b"Bearer " + token if isinstance(token, bytes) else f"Bearer {token}"
            )
        client = session or requests.Session()
        return client.get(
            f"{via or self.proxy_url}/hub/login", headers=sent, allow_redirects=False, timeout=30
        )

    def whoami(self, session: requests.Session) -> str:
        """The user the session's cookie belongs to."""
        return self.running.session_user(session)

    def users(self) -> set[str]:
        return {user["name"] for user in self.running.api("GET", "/users").json()}

    def log_size(self) -> int:
        return (self.running.workdir / "hub.log").stat().st_size

    def log_since(self, mark: int) -> str:
        """What the hub wrote after ``mark`` (a :meth:`log_size`), once it has flushed."""
        path = self.running.workdir / "hub.log"
        time.sleep(0.2)  # the request's log lines follow its response by a moment
        with path.open("rb") as log:
            log.seek(mark)
            return log.read().decode("utf-8", errors="replace")


def summary(
    response: requests.Response, log: str, markers: tuple[str, ...] = ("Rejected", "Proof names")
) -> str:
    """``<status>`` and the first line the hub logged for the attack with one of
    ``markers``."""
    lines = [line for line in log.splitlines() if any(m in line for m in markers)]
    seen = lines[0].split("] ", 1)[-1] if lines else "(nothing logged)"
    return f"{response.status_code}; log: {seen[:160]}"


@contextmanager
def running_hub(workdir: Path, keys: list[Any], **options: Any) -> Iterator[Hub]:
    """A JWKS serving ``keys`` (anything with ``jwk()``), the proxy and the hub."""
    with jwks_server(keys) as jwks_url, deployment(workdir, jwks_url, **options) as running:
        yield Hub(running)


# A user server that records every request it gets, one JSON line each (``recorded``).
_RECORDER = ROOT / "tests" / "support" / "recording_server.py"


@contextmanager
def recording_hub(workdir: Path, keys: list[Any]) -> Iterator[Hub]:
    """``running_hub`` whose user servers record what reaches them; bob's is running."""
    extra = (
        f"c.Spawner.cmd = [{sys.executable!r}, {str(_RECORDER)!r}]\n"
        "c.Spawner.args = []\n"
        f"c.Spawner.environment = {{'RECORD_TO': {str(workdir / 'recorded.jsonl')!r}}}\n"
    )
    with running_hub(workdir, keys, extra_config=extra) as running:
        running.running.start_server("bob")
        yield running


def recorded(hub: Hub) -> list[dict[str, Any]]:
    """The requests the recording hub's user servers received, oldest first."""
    path = hub.running.workdir / "recorded.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
