"""What makes the hub believe the user header the auth proxy sets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from constructs import Construct, IValidation

import jsii
from constructs_lib._core._checks import check_instance
from constructs_lib._core._errors import invalid
from constructs_lib._core._placement import others_in_app
from hub_runtime.frozen import frozen
from hub_runtime.settings import JwtSettings

__all__ = ["HeaderTrust", "refuse_unenforced", "require_enforcing_edge", "trusts_header_as_is"]

# What to use instead, in every refusal.
_INSTEAD = "use HeaderTrust.jwt_proof(...), or IstioIngress with ext_authz_provider"


@frozen
class HeaderTrust:
    """How the hub decides to believe ``X-Auth-Request-User``. Use the factory methods.

    User servers can reach the hub (they need its API) and the proxy passes client headers
    through, so a bare header proves nothing unless the mesh stops everyone but the proxy from
    reaching the hub's login path.
    """

    mode: Literal["jwt", "header"]
    jwt: JwtSettings | None = None
    # Whether the identity provider treats "Ann" and "ann" as one person (see the factories).
    case_insensitive_names: bool = False

    @staticmethod
    def jwt_proof(
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        public_key: str | None = None,
        user_claim: str = "preferred_username",
        algorithms: Sequence[str] = ("RS256", "ES256"),
        leeway: int = 30,
        # Google, Microsoft Entra ID and Okta issue ID tokens valid for one hour; a token
        # that claims longer (Dex's default is 24 h) is refused, so a leaked one is soon void.
        max_token_lifetime: int = 3600,
        case_insensitive_names: bool = False,
        # Dex, Okta and Keycloak's group mapper call it "groups".
        groups_claim: str = "groups",
        # A withdrawn key verifies for at most 5 minutes, at one JWKS fetch per 5 minutes.
        jwks_max_age_seconds: int = 300,
    ) -> HeaderTrust:
        """Believe the header only with the auth proxy's ID token (``Authorization: Bearer``),
        signed by a key from ``jwks_url`` (or ``public_key``) for one of ``algorithms`` (a
        key that names its ``alg`` verifies only that one), from ``issuer`` for
        ``audience``, unexpired, valid for at most ``max_token_lifetime`` seconds
        (``exp - iat``), that names the header's person: the header must equal its ``sub``
        (what oauth2-proxy sends for OIDC) or its ``user_claim``. The account name is the
        token's ``user_claim`` (default ``preferred_username``: a readable name; see
        docs/design/security.md for each identity provider); the account is bound to the
        token's issuer and ``sub`` at its first login, and another person's token for it is refused.
        ``groups_claim`` names the claim listing the person's groups (for the hub's
        ``admin_groups`` and ``allowed_groups``). Keys from ``jwks_url`` are used for at most
        ``jwks_max_age_seconds``, then fetched again: a key the identity provider withdraws
        verifies no token after that; while the JWKS cannot be fetched, no token verifies.

        ``case_insensitive_names``: off, a name that JupyterHub would lower-case is refused
        (the identity provider may tell ``Ann`` from ``ann``: they must not share an account);
        on, for identity providers whose names are case-insensitive, ``Ann`` logs in as
        ``ann`` and the claim is compared in lower case too."""
        return HeaderTrust(
            "jwt",
            JwtSettings(
                issuer=issuer,
                audience=audience,
                user_claim=user_claim,
                jwks_url=jwks_url,
                public_key=public_key,
                # Anything else is kept as given, for check() to name (no scope here).
                algorithms=(
                    tuple(algorithms) if isinstance(algorithms, (list, tuple)) else algorithms  # type: ignore[arg-type]
                ),
                leeway=leeway,
                max_lifetime=max_token_lifetime,
                groups_claim=groups_claim,
                jwks_max_age_seconds=jwks_max_age_seconds,
            ),
            case_insensitive_names,
        )

    @staticmethod
    def mesh_enforced(*, case_insensitive_names: bool = False) -> HeaderTrust:
        """Believe the header as is. Only safe where mesh policy lets nothing but the proxy
        (behind the gateway's external auth) reach the hub's login path: ``IstioIngress``
        with ``ext_authz_provider``, whose per-component AuthorizationPolicies keep user
        servers to the hub's API, in front of a hub with its Istio sidecar. The edges and
        policies that cannot enforce it (``AuthProxyIngress``, ``GatewayApiIngress``,
        ``plus.proxy_backend``, ``IstioIngress`` without ext-authz) refuse a hub that trusts
        the header so when they are made, and synthesis fails for such a hub whose app has
        no ``IstioIngress`` with ``ext_authz_provider`` for its proxy (made before or after
        the hub's other constructs).
        ``case_insensitive_names`` as for :meth:`jwt_proof`."""
        return HeaderTrust("header", None, case_insensitive_names)

    def check(self, scope: Construct, field: str = "header_trust") -> None:
        jwt = self.jwt
        if self.mode != "jwt" or jwt is None:
            return
        _check_types(scope, field, jwt)
        if not jwt.issuer.startswith("https://"):
            raise invalid(scope, f"{field}.issuer", jwt.issuer, "must be an https:// URL")
        if not jwt.audience:
            raise invalid(scope, f"{field}.audience", jwt.audience, "must not be empty")
        if (jwt.jwks_url is None) == (jwt.public_key is None):
            raise invalid(
                scope, f"{field}.jwks_url", jwt.jwks_url, "or public_key must be given, not both"
            )
        if jwt.jwks_url is not None and not jwt.jwks_url.startswith(("https://", "http://")):
            raise invalid(scope, f"{field}.jwks_url", jwt.jwks_url, "must be an http(s) URL")
        if not jwt.algorithms or any(a.startswith("HS") or a == "none" for a in jwt.algorithms):
            raise invalid(
                scope,
                f"{field}.algorithms",
                list(jwt.algorithms),
                "must list public-key algorithms (RS*, ES*, PS*, EdDSA)",
            )
        for name, claim in (("user_claim", jwt.user_claim), ("groups_claim", jwt.groups_claim)):
            if not isinstance(claim, str) or not claim:
                raise invalid(scope, f"{field}.{name}", claim, "must be a claim name")
        if (
            isinstance(jwt.jwks_max_age_seconds, bool)
            or not isinstance(jwt.jwks_max_age_seconds, int)
            or jwt.jwks_max_age_seconds < 1
        ):
            raise invalid(
                scope,
                f"{field}.jwks_max_age_seconds",
                jwt.jwks_max_age_seconds,
                "must be a positive number of seconds",
            )
        if jwt.max_lifetime < 1:
            raise invalid(
                scope,
                f"{field}.max_token_lifetime",
                jwt.max_lifetime,
                "must be a positive number of seconds",
            )


def _check_types(scope: Construct, field: str, jwt: JwtSettings) -> None:
    """What the checks of the values read (``startswith``, ``< 1``) is of their type."""
    for name, value, expected in (
        ("issuer", jwt.issuer, str),
        ("audience", jwt.audience, str),
        ("jwks_url", jwt.jwks_url, (str, type(None))),
        ("public_key", jwt.public_key, (str, type(None))),
        ("max_token_lifetime", jwt.max_lifetime, int),
        ("leeway", jwt.leeway, int),
    ):
        check_instance(scope, f"{field}.{name}", value, expected)
    algorithms = jwt.algorithms
    if not isinstance(algorithms, tuple) or not all(isinstance(a, str) for a in algorithms):
        raise invalid(scope, f"{field}.algorithms", algorithms, "must be a list of strings")


def trusts_header_as_is(hub: object) -> bool:
    """Whether ``hub`` (a ``HubStatefulSet``, or any hub that says) believes its user header
    without proof (``HeaderTrust.mesh_enforced()``)."""
    trust = getattr(hub, "header_trust", None)
    return isinstance(trust, HeaderTrust) and trust.mode == "header"


def _refusal(hub: object, why: str) -> str:
    header = getattr(hub, "user_header", "X-Auth-Request-User")
    return (
        "must not trust the user header as is (HeaderTrust.mesh_enforced()) here: "
        f"{why}, so anyone could send {header}: admin; {_INSTEAD}"
    )


def refuse_unenforced(scope: Construct | str, hub: object, why: str) -> None:
    """Raise if ``hub`` (the proxy's) believes its user header as is behind ``scope`` (a
    construct, or the name of a function), which cannot enforce that only the gateway's
    external auth sets it (``why`` says what lets a forged one in)."""
    if not trusts_header_as_is(hub):
        return
    where = hub.node.path if isinstance(hub, Construct) else getattr(hub, "release", hub)
    if isinstance(scope, str):
        raise ValueError(f"{scope}: proxy.hub {_refusal(hub, why)}, got {where!r}")
    raise invalid(scope, "proxy.hub", where, _refusal(hub, why))


# Why a hub with no enforcing edge in its app is refused.
_NO_EDGE = (
    "no IstioIngress with ext_authz_provider for this hub's proxy is in the app, and nothing "
    "else sets the header or keeps user servers off the hub's login path"
)


@jsii.implements(IValidation)
class _EnforcedByAnEdge:
    """That ``hub`` (which believes its user header as is) has, somewhere in its app, an edge
    that enforces it for one of its proxies. Asked at synthesis (cdk8s 2.x ``App.synth()``,
    ``synthYaml()`` and ``Chart.toJson()`` run every construct's validations before they
    write or return anything: ``validate()`` in lib/app.js), when the whole app is built, so
    the order the constructs were made in does not matter."""

    def __init__(self, hub: Construct, release: str) -> None:
        self._hub = hub
        self._release = release

    def validate(self) -> list[str]:
        members = list(others_in_app(self._hub, Construct, self._release))
        proxies = [m for m in members if getattr(m, "hub", None) is self._hub]
        if any(
            getattr(edge, "enforces_user_header", lambda _: False)(proxy)
            for edge in members
            for proxy in proxies
        ):
            return []
        return [f"header_trust {_refusal(self._hub, _NO_EDGE)}"]


def require_enforcing_edge(hub: Construct, release: str) -> None:
    """Fail synthesis of ``hub``'s app if ``hub`` believes its user header as is and no
    ``IstioIngress`` with ext-authz in the app enforces it (the edges that cannot enforce it
    refuse the hub when they are made; this catches a hub with no edge at all)."""
    if trusts_header_as_is(hub):
        hub.node.add_validation(_EnforcedByAnEdge(hub, release))
