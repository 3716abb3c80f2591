"""A real OpenID provider for end-to-end logins: node-oidc-provider (npm ``oidc-provider``,
OpenID Certified) started on 127.0.0.1 by ``tests/support/oidc_provider.mjs``, and an HTTP client
that gets ID tokens from it through its own authorization-code flow, as oauth2-proxy does:
authorize, the login page, the consent page, the code at the redirect URI, the token
endpoint."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.support.manifests import ROOT
from tests.support.processes import free_port, node, start, stop, wait_for

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "IdpUser", "OidcProvider", "oidc_provider"]

SCRIPT = ROOT / "tests" / "support" / "oidc_provider.mjs"
# The hub's audience: the client id oauth2-proxy is registered with.
CLIENT_ID = "jupyterhub"
CLIENT_SECRET = "oidc-test-client-secret"
# oauth2-proxy's callback under the hub's path (nothing is served there: the flow stops at it).
REDIRECT_URI = "http://127.0.0.1/hub/oauth2/callback"
# What oauth2-proxy asks for; "groups" as Dex names the scope.
SCOPE = "openid profile email groups"


@dataclass(frozen=True)
class IdpUser:
    """A person at the provider: logs in with ``username``; ``sub`` is the provider's
    identifier, ``claims`` what the ID token says besides (``preferred_username``, groups)."""

    username: str
    sub: str
    claims: dict[str, Any] = field(default_factory=dict)
    password: str = "password"


def _private_jwk(kid: str) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key))
    # PyJWT marks a private JWK key_ops ["sign"], which the provider would publish: a key
    # that may not verify (RFC 7517 4.3). Identity providers publish "use" only.
    jwk.pop("key_ops", None)
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OidcProvider:
    """node-oidc-provider in its own process group on 127.0.0.1, signing with RSA keys that
    :meth:`rotate` replaces; stopped and started again on the same port."""

    def __init__(
        self,
        directory: Path,
        users: list[IdpUser],
        redirect_uris: tuple[str, ...] = (REDIRECT_URI,),
        other_clients: tuple[str, ...] = (),
        scope_claims: dict[str, list[str]] | None = None,
        access_token_seconds: int | None = None,
    ) -> None:
        """``redirect_uris``: where the client may be sent back (the hub's callback, when
        the hub is the client); ``other_clients``: the ids of other clients (secret
        :data:`CLIENT_SECRET`) with the same redirect URIs, registered at the provider too;
        ``scope_claims``: the claims of each scope (default: groups with Dex's "groups");
        ``access_token_seconds``: access tokens last that long and come with a refresh
        token, as at Keycloak (default: an hour's access tokens, no refresh tokens)."""
        self.access_token_seconds = access_token_seconds
        self.directory = directory
        self.redirect_uris = redirect_uris
        self.other_clients = other_clients
        self.scope_claims = scope_claims
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.keys_file = directory / "keys.json"
        self.kids: list[str] = []
        self._write_keys(["key-1"])
        self.config = directory / "provider.json"
        self._write_config(users)
        self.log = directory / "provider.log"
        self.process: subprocess.Popen[bytes] | None = None

    def _write_config(self, users: list[IdpUser]) -> None:
        self.config.write_text(
            json.dumps(
                {
                    "issuer": self.issuer,
                    "port": self.port,
                    "keys_file": str(self.keys_file),
                    "client": {
                        "client_id": CLIENT_ID,
                        "client_secret": CLIENT_SECRET,
                        "redirect_uris": list(self.redirect_uris),
                    },
                    "other_clients": [
                        {
                            "client_id": other,
                            "client_secret": CLIENT_SECRET,
                            "redirect_uris": list(self.redirect_uris),
                        }
                        for other in self.other_clients
                    ],
                    **({"claims": self.scope_claims} if self.scope_claims else {}),
                    **(
                        {"access_token_seconds": self.access_token_seconds}
                        if self.access_token_seconds is not None
                        else {}
                    ),
                    "users": [
                        {
                            "username": u.username,
                            "sub": u.sub,
                            "password": u.password,
                            "claims": u.claims,
                        }
                        for u in users
                    ],
                }
            )
        )

    def _write_keys(self, kids: list[str]) -> None:
        self.kids = kids
        self.keys_file.write_text(json.dumps({"keys": [_private_jwk(kid) for kid in kids]}))

    @property
    def jwks_url(self) -> str:
        """The JWKS URL the provider's discovery document names."""
        url: str = self.discovery()["jwks_uri"]
        return url

    def discovery(self) -> dict[str, Any]:
        response = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=10)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document

    def published_kids(self) -> list[str]:
        response = requests.get(self.jwks_url, timeout=10)
        response.raise_for_status()
        return [key["kid"] for key in response.json()["keys"]]

    def start(self) -> None:
        self.process = start(
            [node(), str(SCRIPT), str(self.config)],
            cwd=self.directory,
            env=dict(os.environ),
            log=self.log,
        )
        wait_for(f"{self.issuer}/.well-known/openid-configuration", 30, self.process, self.log)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def rotate(self, kid: str) -> None:
        """Withdraw every key and sign with a new one (the JWKS publishes only it)."""
        assert self.process is not None
        self._write_keys([kid])
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while self.published_kids() != [kid]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"JWKS still {self.published_kids()}: {self.log.read_text()}")
            time.sleep(0.05)

    def change_users(self, users: list[IdpUser]) -> None:
        """An administrator's change at the provider (groups, names): from the next login."""
        assert self.process is not None
        self._write_config(users)
        mark = self.log.read_text().count("keys: ")
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while self.log.read_text().count("keys: ") == mark:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the provider did not reload: {self.log.read_text()}")
            time.sleep(0.05)

    def revoke(self, token: str, hint: str = "refresh_token") -> None:
        """Revoke one of the hub client's tokens (RFC 7009 2.1, the client authenticated as
        at the token endpoint), as an administrator or the person does at the provider."""
        endpoint = self.discovery()["revocation_endpoint"]
        response = requests.post(
            endpoint,
            data={"token": token, "token_type_hint": hint},
            auth=(CLIENT_ID, CLIENT_SECRET),
            timeout=10,
        )
        # RFC 7009 2.2: 200 whether or not the token was valid.
        assert response.status_code == 200, (response.status_code, response.text[:300])

    def id_token(self, user: IdpUser) -> str:
        """An ID token for ``user``, through the provider's authorization-code flow (with
        PKCE), driven as a browser and oauth2-proxy would."""
        browser = requests.Session()
        verifier = secrets.token_urlsafe(48)
        state = secrets.token_urlsafe(16)
        response = browser.get(
            f"{self.issuer}/auth",
            params={
                "client_id": CLIENT_ID,
                "response_type": "code",
                "scope": SCOPE,
                "redirect_uri": REDIRECT_URI,
                "state": state,
                "nonce": secrets.token_urlsafe(16),
                "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
                "code_challenge_method": "S256",
            },
            allow_redirects=False,
            timeout=10,
        )
        for _ in range(12):
            location = response.headers.get("location")
            if response.status_code in (302, 303) and location is not None:
                if location.startswith(REDIRECT_URI):
                    return self._redeem(location, state, verifier)
                response = browser.get(
                    urljoin(self.issuer, location), allow_redirects=False, timeout=10
                )
                continue
            form = re.search(r'<form method="post" action="([^"]+)"', response.text)
            if response.status_code != 200 or form is None:
                break
            fields = {"username": user.username, "password": user.password}
            response = browser.post(
                urljoin(self.issuer, form.group(1)),
                data=fields if "/login" in form.group(1) else {},
                allow_redirects=False,
                timeout=10,
            )
        raise AssertionError(
            f"the flow stopped at {response.status_code} {response.url}: {response.text[:500]}"
            f"\n{self.log.read_text()[-2000:]}"
        )

    def _redeem(self, location: str, state: str, verifier: str) -> str:
        query = parse_qs(urlsplit(location).query)
        assert query.get("state") == [state], query
        assert "code" in query, query
        response = requests.post(
            f"{self.issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
            auth=(CLIENT_ID, CLIENT_SECRET),
            timeout=10,
        )
        assert response.status_code == 200, (response.status_code, response.text[:500])
        token: str = response.json()["id_token"]
        return token


@contextmanager
def oidc_provider(
    directory: Path,
    users: list[IdpUser],
    redirect_uris: tuple[str, ...] = (REDIRECT_URI,),
    other_clients: tuple[str, ...] = (),
    scope_claims: dict[str, list[str]] | None = None,
    access_token_seconds: int | None = None,
) -> Iterator[OidcProvider]:
    provider = OidcProvider(
        directory, users, redirect_uris, other_clients, scope_claims, access_token_seconds
    )
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()
