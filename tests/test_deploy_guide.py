"""The deploy guides, walked in order (``tests.support.deploy_guide``): every namespace,
Secret, chart repository and values file exists before a step uses it; the oauth2-proxy
they install (chart 10.7.0, oauth2-proxy v7.15.3, modelled from their sources) starts, its
Service is where the edges send requests, its pods meet the namespace's Pod Security level,
and it answers with exactly the headers the edges pass on. Every oauth2-proxy flag and
header name the project uses is one that version has."""

from __future__ import annotations

import inspect
import json
import re
import time
from typing import Any

import pytest

from apps.dev import DevChart
from apps.minimal import MinimalChart
from constructs_lib import AUTH_PROXY_FLAGS, HubOptions
from tests.adversarial.kit import KeyPair, sign
from tests.support.builders import auth_proxy_ingresses
from tests.support.deploy_guide import (
    GuideError,
    guide_steps,
    mesh_provider,
    shell_value,
    value_files,
    walk,
)
from tests.support.docs import all_text
from tests.support.manifests import ROOT, read_manifests
from tests.support.oauth2_proxy import OAuth2Proxy, TokenResponse, parse_duration
from tests.support.oauth2_proxy_chart import ChartError, ChartRelease
from tests.support.oauth2_proxy_options import DEPRECATED, FLAGS, RESPONSE_HEADERS
from tests.support.pod_security import restricted_problems

# The guides' commands run (openssl makes the cookie secret).
pytestmark = pytest.mark.slow

NGINX = "nginx.ingress.kubernetes.io"
KEY = KeyPair("guide")
# Where each guide installs oauth2-proxy (namespace, release): dev's; minimal runs none.
INSTALLED = {"dev": ("oauth2-proxy", "oauth2-proxy")}


def auth_proxy_hub_ingress() -> dict[str, Any]:
    """The hub's Ingress of an AuthProxyIngress (ingress-nginx asking oauth2-proxy)."""
    (ingress,) = [m for m in auth_proxy_ingresses() if m["metadata"]["name"].endswith("-hub")]
    return ingress


def _dist(app: str) -> list[dict[str, Any]]:
    return read_manifests(ROOT / "dist" / app)


def _one(app: str, kind: str, name: str) -> dict[str, Any]:
    (found,) = [m for m in _dist(app) if m["kind"] == kind and m["metadata"]["name"] == name]
    return found


def _release(app: str) -> ChartRelease:
    return walk(app).releases[INSTALLED[app]]


def _proxy(app: str, **model: Any) -> OAuth2Proxy:
    cluster = walk(app)
    release = cluster.releases[INSTALLED[app]]
    namespace = INSTALLED[app][0]
    secrets = {name: data for (ns, name), data in cluster.secrets.items() if ns == namespace}
    return release.proxy(secrets, **model)


def _tokens(proxy: OAuth2Proxy, **claims: Any) -> TokenResponse:
    """Tokens shaped like a real provider's: ``sub`` an opaque id, unlike the name."""
    now = int(time.time())
    payload = {
        "iss": proxy.flag("oidc-issuer-url"),
        "aud": proxy.flag("client-id"),
        "sub": "248289761001",
        "preferred_username": "alice",
        "email": "alice@example.org",
        "email_verified": True,
        "groups": ["staff", "gpu"],
        "iat": now,
        "exp": now + 3600,
        **claims,
    }
    raw = sign(KEY.private, payload, "RS256", kid="guide")
    return TokenResponse(raw, access_token="at-1", refresh_token="rt-1", expires_in_seconds=3600)


@pytest.mark.parametrize("app", ["minimal", "dev"])
def test_guide_runs_in_order(app: str) -> None:
    cluster = walk(app)
    assert set(cluster.proxies) == ({INSTALLED[app]} if app in INSTALLED else set())
    assert "jupyterhub" in cluster.namespaces


def test_minimal_guide_makes_the_logins_secret_with_its_keys() -> None:
    """The Secret step gives exactly the keys the hub's login reads, before the apply (the
    walk refuses an applied file whose Secret does not exist yet)."""
    chart = inspect.signature(MinimalChart.__init__).parameters["authenticator"].default
    needed: dict[str, set[str]] = {}
    for ref in chart.secrets().values():
        needed.setdefault(ref.name, set()).add(ref.key)
    cluster = walk("minimal")
    for name, keys in needed.items():
        assert set(cluster.secrets[("jupyterhub", name)]) == keys
    # The auth-state key is 32 random bytes in hex, as JupyterHub's CryptKeeper takes it.
    key = cluster.secrets[("jupyterhub", chart.auth_state_key.name)][chart.auth_state_key.key]
    assert len(bytes.fromhex(key)) == 32


def test_minimal_guide_registers_the_hubs_callback() -> None:
    """The redirect URI the guide registers is the callback the hub's login sends."""
    (config_map,) = [
        m
        for m in _dist("minimal")
        if m["kind"] == "ConfigMap" and "settings.json" in m.get("data", {})
    ]
    settings = json.loads(config_map["data"]["settings.json"])
    callback = settings["login"]["traits"]["oauth_callback_url"]
    host = _one("minimal", "Ingress", "jupyterhub")["spec"]["rules"][0]["host"]
    assert callback == f"https://{host}/hub/oauth_callback"
    guide = next(s for s in guide_steps("minimal") if s.title.startswith("The hub's client"))
    assert guide.text.count("`https://<host>/hub/oauth_callback`") == 4  # Keycloak, Entra, Google


def test_walk_refuses_a_secret_before_its_namespace() -> None:
    """The control: the guide as it was (TLS Secret and oauth2-proxy before the namespace)."""
    steps = guide_steps("minimal")
    namespace = next(s for s in steps if s.title == "Namespace")
    reordered = [s for s in steps if s is not namespace]
    reordered.insert(reordered.index(next(s for s in steps if s.title == "Apply")), namespace)
    with pytest.raises(GuideError) as error:
        walk("minimal", reordered)
    assert "namespace 'jupyterhub' does not exist yet" in str(error.value)
    assert "step 3 (TLS certificate)" in str(error.value)


def test_walk_refuses_an_app_before_its_secrets() -> None:
    steps = guide_steps("minimal")
    apply = next(s for s in steps if s.title == "Apply")
    token = next(s for s in steps if s.title == "The proxy token")
    reordered = [s for s in steps if s is not apply]
    reordered.insert(reordered.index(token), apply)
    with pytest.raises(GuideError) as error:
        walk("minimal", reordered)
    assert "reads Secret 'jupyterhub-proxy-token', which does not exist" in str(error.value)


def test_walk_fails_a_command_that_fails() -> None:
    """A guide's $(...) that fails (a missing openssl, say) fails the walk, not an empty
    secret."""
    with pytest.raises(GuideError) as error:
        shell_value("$(openssl-missing rand -base64 32 | tr -- '+/' '-_')")
    assert "failed (127)" in str(error.value)


def test_chart_refuses_the_old_service_port_value() -> None:
    """Setting the Service's port to 4180 the obvious way fails the install at 10.7.0."""
    with pytest.raises(ChartError) as error:
        ChartRelease.install("oauth2-proxy", "jupyterhub", {"service": {"port": 4180}})
    assert "renamed to `service.portNumber`" in str(error.value)
    moved = ChartRelease.install("oauth2-proxy", "jupyterhub", {"service": {"portNumber": 4180}})
    assert moved.service()["spec"]["ports"][0]["port"] == 4180


def test_dev_provider_targets_the_chart_service() -> None:
    release = _release("dev")
    service = release.service()
    (http,) = [p for p in service["spec"]["ports"] if p["name"] == "http"]
    provider = mesh_provider()
    name = service["metadata"]["name"]
    assert provider["service"] == f"{name}.{release.namespace}.svc.cluster.local"
    assert provider["port"] == http["port"]


def test_restricted_check_sees_a_chart_without_its_security_context() -> None:
    release = ChartRelease.install(
        "oauth2-proxy",
        "jupyterhub",
        *value_files().values(),
        {"securityContext": {"enabled": False}},
    )
    assert "oauth2-proxy: allowPrivilegeEscalation" in restricted_problems(release.pod())


@pytest.mark.parametrize("edge", ["ingress-nginx", "istio"])
def test_guide_flags_produce_the_headers_the_edge_passes(edge: str) -> None:
    proxy = _proxy("dev")
    tokens = _tokens(proxy)
    headers = {k.lower(): v for k, v in proxy.headers_for(tokens).items()}
    if edge == "ingress-nginx":
        annotations = auth_proxy_hub_ingress()["metadata"]["annotations"]
        passed = annotations[f"{NGINX}/auth-response-headers"].split(",")
    else:
        passed = mesh_provider()["headersToUpstreamOnAllow"]
    assert {name.lower() for name in passed} <= set(headers), (passed, headers)
    # For --provider=oidc the user header is the ID token's sub, not its name.
    assert headers["x-auth-request-user"] == "248289761001"
    assert headers["x-auth-request-preferred-username"] == "alice"
    assert headers["authorization"] == f"Bearer {tokens.id_token}"


def test_guide_session_never_passes_an_expired_id_token() -> None:
    """With the guide's --cookie-refresh, a session whose ID token has expired is refreshed
    (or dropped, without a refresh token); it is never passed on with the stale token."""
    now = [time.time()]
    proxy = _proxy("dev", clock=lambda: now[0])
    session = proxy.session_from(_tokens(proxy, exp=int(now[0]) + 300))
    now[0] += 301
    assert proxy.check(session).status == 401  # no refresh token answer: dropped
    fresh = _tokens(proxy, exp=int(now[0]) + 300)
    answer = proxy.check(session, refresh=lambda _: fresh)
    assert answer.status == 202
    assert answer.headers["Authorization"] == f"Bearer {fresh.id_token}"


# Each app's hub whose default header_trust names the identity provider oauth2-proxy uses.
APP_CHARTS: dict[str, Any] = {"dev": DevChart.__init__}


@pytest.mark.parametrize("app", ["dev"])
def test_guide_oauth2_proxy_is_the_hubs_identity_provider_client(app: str) -> None:
    """The issuer and client id oauth2-proxy signs in with are the issuer and audience the
    app's hub checks its ID token for; its refresh comes before the longest token the hub
    takes expires."""
    trust = inspect.signature(APP_CHARTS[app]).parameters["header_trust"].default
    proxy = _proxy(app)
    assert proxy.flag("oidc-issuer-url") == trust.jwt.issuer
    assert proxy.flag("client-id") == trust.jwt.audience
    assert 0 < parse_duration(proxy.flag("cookie-refresh")) < trust.jwt.max_lifetime


def _project_flags() -> set[str]:
    """oauth2-proxy flags the project names: AUTH_PROXY_FLAGS, the guides' values files'
    extraArgs, and every ``--flag`` in the documentation's sentences about oauth2-proxy."""
    names = {flag.split("=", 1)[0].lstrip("-") for flag in AUTH_PROXY_FLAGS}
    for values in value_files().values():
        names |= set(values.get("extraArgs") or {})
    text = all_text()
    for paragraph in re.split(r"\n\s*\n", text):
        if "oauth2-proxy" in paragraph:
            names |= set(re.findall(r"`--([a-z][a-z0-9-]*)", paragraph))
    return names


def test_every_flag_the_project_names_is_oauth2_proxys() -> None:
    names = _project_flags()
    assert {"proxy-prefix", "cookie-path", "cookie-refresh", "set-xauthrequest"} <= names
    assert sorted(names - set(FLAGS)) == []


def test_the_guides_use_no_deprecated_flag() -> None:
    used = {flag.split("=", 1)[0].lstrip("-") for flag in AUTH_PROXY_FLAGS}
    for values in value_files().values():
        used |= set(values.get("extraArgs") or {})
    assert sorted(used & set(DEPRECATED)) == []


def test_every_header_the_edges_take_from_it_is_oauth2_proxys() -> None:
    annotations = auth_proxy_hub_ingress()["metadata"]["annotations"]
    names = set(annotations[f"{NGINX}/auth-response-headers"].split(","))
    names.add(HubOptions().user_header)
    names |= set(mesh_provider()["headersToUpstreamOnAllow"])
    known = {name.lower() for name in RESPONSE_HEADERS}
    assert sorted(n for n in names if n.lower() not in known) == []
