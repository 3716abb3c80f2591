"""The hub's own logins (OidcLogin, GitHubLogin, GoogleLogin, EntraIdLogin, LdapLogin): their
checks at construct time, the settings they write, and those settings as the traits of the
real authenticator classes the hub image ships (oauthenticator 17.4.0,
jupyterhub-ldapauthenticator 2.0.2), loaded and validated by those classes themselves."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any
from urllib.parse import urlsplit

import cdk8s
import pytest
from traitlets import TraitError
from traitlets.config import Config

from constructs_lib import (
    EntraIdLogin,
    GitHubLogin,
    GoogleLogin,
    HeaderTrust,
    HubLogin,
    IstioIngress,
    LdapLogin,
    NginxIngress,
    OidcLogin,
    SecretKeyRef,
)
from hub_runtime.login_settings import LoginSettings
from hub_runtime.logins import authenticator_class
from hub_runtime.settings import dump_settings, parse_settings
from tests.support.builders import find, make_jupyterhub, synth
from tests.support.crd_schemas import validate_custom
from tests.support.manifests import ROOT, read_manifests
from tests.support.network_policy import Destination, allowed, egress_allowed

SECRET = SecretKeyRef("hub-login", "client-secret")
OIDC = OidcLogin(
    issuer="https://auth.example.org/realms/staff",
    client_id="jupyterhub",
    client_secret=SECRET,
    allowed_groups=["staff"],
    admin_groups=["hub-admins"],
)
# Tokens kept (auth state) and refreshed.
OIDC_KEPT = dataclasses.replace(OIDC, auth_state_key=SecretKeyRef("hub-login", "auth-state-key"))
GITHUB = GitHubLogin(
    client_id="Iv1.0123456789abcdef",
    client_secret=SECRET,
    organizations=["example-org"],
    teams=["example-org:data-science"],
)
GOOGLE = GoogleLogin(
    client_id="1234-abc.apps.googleusercontent.com",
    client_secret=SECRET,
    hosted_domains=["example.org"],
    allow_all=True,
)
# Groups of the Workspace, read with a service account's key acting as an administrator.
SERVICE_KEY = SecretKeyRef("hub-google", "service-account.json")
GOOGLE_GROUPS = GoogleLogin(
    client_id="1234-abc.apps.googleusercontent.com",
    client_secret=SECRET,
    hosted_domains=["example.org"],
    allowed_google_groups=["staff@example.org", "data@example.org"],
    admin_google_groups=["hub-admins@example.org"],
    service_account_key=SERVICE_KEY,
    gsuite_administrator="it-admin@example.org",
)
ENTRA = EntraIdLogin(
    tenant_id="8a6f1c7e-0d0b-4c9a-9f0e-1f2a3b4c5d6e",
    client_id="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    client_secret=SECRET,
    allowed_groups=["5e1f0c9a-0000-4000-8000-000000000001"],
    admin_groups=["5e1f0c9a-0000-4000-8000-000000000002"],
)
LDAP = LdapLogin(
    server_url="ldaps://ldap.example.org",
    user_search_base="ou=people,dc=example,dc=org",
    bind_dn="cn=hub,ou=services,dc=example,dc=org",
    bind_password=SecretKeyRef("hub-ldap", "password"),
    allowed_groups=["cn=staff,ou=groups,dc=example,dc=org"],
)
CALLBACK = "https://hub.example.org/hub/oauth_callback"


def _login(chart: cdk8s.Chart, login: HubLogin, **props: Any) -> LoginSettings:
    jupyterhub = make_jupyterhub(chart, header_trust=None, authenticator=login, mesh=None, **props)
    settings = jupyterhub.hub.settings
    assert settings.auth.trust == "hub"
    # What the hub reads back from the ConfigMap is what was written.
    assert parse_settings(dump_settings(settings)) == settings
    assert settings.login is not None
    return settings.login


def _error(chart: cdk8s.Chart, login: object, **props: Any) -> str:
    with pytest.raises(ValueError) as caught:
        make_jupyterhub(chart, header_trust=None, authenticator=login, mesh=None, **props)
    return str(caught.value)


def _real(login: LoginSettings, secret: str = "s3cret") -> Any:
    """The hub's class for ``login`` made as JupyterHub makes it: from the config section of
    the real class (oauthenticator's, ldapauthenticator's), the secrets as the environment
    gives them."""
    klass = authenticator_class(login.authenticator_class)
    base = klass.__mro__[1]
    module, _, name = login.authenticator_class.partition(":")
    assert base is getattr(importlib.import_module(module), name)
    config = Config()
    for trait, value in login.traits.items():
        config[base.__name__][trait] = value
    for trait in login.secret_traits:
        config[base.__name__][trait] = secret
    return klass(config=config)


def test_oidc_traits(chart: cdk8s.Chart) -> None:
    login = _login(chart, OIDC)
    assert login.authenticator_class == "oauthenticator.generic:GenericOAuthenticator"
    assert login.discovery_issuer == "https://auth.example.org/realms/staff"
    assert login.secret_traits == {"client_secret": "HUB_LOGIN_CLIENT_SECRET"}
    assert login.traits == {
        "admin_groups": ["hub-admins"],
        "allow_all": False,
        "allowed_groups": ["staff"],
        "allowed_users": [],
        "auth_state_groups_key": "oauth_user.groups",
        "client_id": "jupyterhub",
        "enable_auth_state": False,
        "login_service": "OpenID Connect",
        "manage_groups": True,
        "oauth_callback_url": CALLBACK,
        "scope": ["openid", "profile", "email"],
        "userdata_from_id_token": False,
        "username_claim": "preferred_username",
    }
    real = _real(login)
    assert real.client_secret == "s3cret"
    assert real.admin_groups == {"hub-admins"} and real.allowed_groups == {"staff"}
    assert real.get_callback_url() == CALLBACK


def test_oidc_with_auth_state_is_refreshed(chart: cdk8s.Chart) -> None:
    """With kept tokens the hub asks the provider again every 300 s (JupyterHub's default
    written out) and before every spawn; refresh_seconds says how often."""
    login = _login(chart, OIDC_KEPT)
    assert {k: login.traits[k] for k in ("enable_auth_state", "auth_refresh_age")} == {
        "enable_auth_state": True,
        "auth_refresh_age": 300,
    }
    real = _real(login)
    assert real.enable_auth_state is True
    assert real.auth_refresh_age == 300 and real.refresh_pre_spawn is True
    other = _real(
        _login(
            cdk8s.Chart(cdk8s.App(), "other"), dataclasses.replace(OIDC_KEPT, refresh_seconds=60)
        )
    )
    assert other.auth_refresh_age == 60
    # Without kept tokens there is nothing to refresh: JupyterHub's defaults stay.
    assert "auth_refresh_age" not in _login(cdk8s.Chart(cdk8s.App(), "plain"), OIDC).traits


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        (dataclasses.replace(OIDC_KEPT, refresh_seconds=0), "must be 1 to 86400"),
        (dataclasses.replace(OIDC, refresh_seconds=60), "needs an auth_state_key"),
    ],
)
def test_fails_bad_refresh_seconds(chart: cdk8s.Chart, login: HubLogin, reason: str) -> None:
    message = _error(chart, login)
    assert message.startswith(f"test/JupyterHub/Hub: authenticator.refresh_seconds {reason}")


def test_github_traits_are_the_classes(chart: cdk8s.Chart) -> None:
    login = _login(chart, GITHUB)
    real = _real(login)
    assert type(real).__mro__[1].__name__ == "GitHubOAuthenticator"
    assert real.allowed_organizations == {"example-org", "example-org:data-science"}
    assert real.scope == ["read:org"]
    assert real.client_id == GITHUB.client_id and real.client_secret == "s3cret"
    assert real.oauth_callback_url == CALLBACK
    assert real.allow_all is False
    # The class's own endpoints, which the hub's egress must reach.
    assert real.authorize_url.startswith("https://github.com/")
    assert real.github_api == "https://api.github.com"


def test_google_traits_are_the_classes(chart: cdk8s.Chart) -> None:
    real = _real(_login(chart, GOOGLE))
    assert type(real).__mro__[1].__name__ == "GoogleOAuthenticator"
    assert real.hosted_domain == ["example.org"]
    assert real.allow_all is True


def test_google_groups_traits_are_the_classes(chart: cdk8s.Chart) -> None:
    """The four groups traits as GoogleOAuthenticator 17.4 reads them: keyed by the
    person's email domain, groups by their email's local part (``_fetch_member_groups``
    keeps ``email.split('@')[0]``), the administrator as the local part it joins to the
    domain (``_service_client_credentials``), the key as a file path."""
    login = _login(chart, GOOGLE_GROUPS)
    assert login.secret_traits == {"client_secret": "HUB_LOGIN_CLIENT_SECRET"}
    path = "/etc/jupyterhub/google/service-account.json"
    assert {k: v for k, v in login.traits.items() if "google" in k or "gsuite" in k} == {
        "google_service_account_keys": {"example.org": path},
        "gsuite_administrator": {"example.org": "it-admin"},
        "allowed_google_groups": {"example.org": ["data", "staff"]},
        "admin_google_groups": {"example.org": ["hub-admins"]},
    }
    real = _real(login)
    assert real.google_service_account_keys == {"example.org": path}
    assert real.gsuite_administrator == {"example.org": "it-admin"}
    assert real.allowed_google_groups == {"example.org": {"staff", "data"}}
    assert real.admin_google_groups == {"example.org": {"hub-admins"}}
    # The class's own impersonation: "<administrator>@<the person's domain>".
    assert "{}@{}".format(real.gsuite_administrator["example.org"], "example.org") == (
        GOOGLE_GROUPS.gsuite_administrator
    )


def test_google_groups_decide_admin_and_access_in_the_real_class(chart: cdk8s.Chart) -> None:
    """The real class's update_auth_model and check_allowed with the settings' traits; the
    Directory API's answer (its groups list, as _fetch_member_groups requests it) comes
    from a local fetch in place of Google's, the one call that leaves the hub."""
    import asyncio

    real = _real(_login(chart, GOOGLE_GROUPS))
    answers = {
        "ann@example.org": [{"email": "staff@example.org"}, {"email": "hub-admins@example.org"}],
        "bob@example.org": [{"email": "data@example.org"}],
        "cy@example.org": [{"email": "other@example.org"}],
    }

    async def fetch(url: str, **kwargs: Any) -> dict[str, Any]:
        # https://www.googleapis.com/admin/directory/v1/groups?userKey=<email>
        assert url.startswith("https://www.googleapis.com/admin/directory/v1/groups?userKey=")
        return {"groups": answers[url.rpartition("=")[2]]}

    real.httpfetch = fetch
    real._get_service_credentials = lambda domain: {domain: type("C", (), {"token": "t"})()}

    async def decide(email: str) -> tuple[bool | None, bool]:
        user: dict[str, Any] = {"email": email, "domain": "example.org", "hd": "example.org"}
        user["verified_email"] = True
        model: dict[str, Any] = {"name": email, "admin": None, "auth_state": {"google_user": user}}
        model = await real.update_auth_model(model)
        return model["admin"], await real.check_allowed(model["name"], model)

    assert asyncio.run(decide("ann@example.org")) == (True, True)
    assert asyncio.run(decide("bob@example.org")) == (False, True)
    assert asyncio.run(decide("cy@example.org")) == (False, False)


def test_google_key_is_mounted_where_the_trait_says(chart: cdk8s.Chart) -> None:
    """The hub's pod has the Secret's key, read-only, at the path the settings name; the
    upgrade step made from the hub's container does not."""
    jupyterhub = make_jupyterhub(chart, header_trust=None, authenticator=GOOGLE_GROUPS, mesh=None)
    assert jupyterhub.hub.settings.login is not None
    (path,) = jupyterhub.hub.settings.login.traits["google_service_account_keys"].values()
    (stateful_set,) = [m for m in synth(chart) if m["kind"] == "StatefulSet"]
    pod = stateful_set["spec"]["template"]["spec"]
    (hub,) = pod["containers"]
    mounts = [m for m in hub["volumeMounts"] if path.startswith(m["mountPath"] + "/")]
    assert len(mounts) == 1 and mounts[0]["readOnly"] is True, hub["volumeMounts"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mounts[0]["name"]]
    file = path[len(mounts[0]["mountPath"]) + 1 :]
    assert volume["secret"]["secretName"] == SERVICE_KEY.name
    assert volume["secret"]["items"] == [{"key": SERVICE_KEY.key, "path": file}]
    assert volume["secret"]["defaultMode"] == 0o440
    assert pod["securityContext"]["fsGroup"] is not None  # the hub's gid reads the file
    (upgrade,) = pod["initContainers"]
    assert all(m["name"] != volume["name"] for m in upgrade["volumeMounts"])


def test_google_without_groups_mounts_nothing(chart: cdk8s.Chart) -> None:
    make_jupyterhub(chart, header_trust=None, authenticator=GOOGLE, mesh=None)
    (stateful_set,) = [m for m in synth(chart) if m["kind"] == "StatefulSet"]
    assert all("secret" not in v for v in stateful_set["spec"]["template"]["spec"]["volumes"])


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"service_account_key": None}, "service_account_key", "must be given with Google"),
        ({"gsuite_administrator": None}, "gsuite_administrator", "must be given with Google"),
        ({"gsuite_administrator": "it-admin"}, "gsuite_administrator", "must be an admin"),
        (
            {"allowed_google_groups": ["staff@other.org"]},
            "allowed_google_groups[0]",
            "must be of gsuite_administrator's domain, example.org",
        ),
        ({"admin_google_groups": ["hub-admins"]}, "admin_google_groups[0]", "must be a Goo"),
        (
            {"allowed_google_groups": [], "admin_google_groups": [], "allow_all": True},
            "service_account_key",
            "is only read for allowed_google_groups or admin_google_groups",
        ),
    ],
)
def test_fails_google_groups_badly_given(
    chart: cdk8s.Chart, change: dict[str, Any], field: str, reason: str
) -> None:
    message = _error(chart, dataclasses.replace(GOOGLE_GROUPS, **change))
    assert message.startswith(f"test/JupyterHub/Hub: authenticator.{field} {reason}"), message


def test_entra_id_traits_are_the_classes(chart: cdk8s.Chart) -> None:
    real = _real(_login(chart, ENTRA))
    assert type(real).__mro__[1].__name__ == "AzureAdOAuthenticator"
    assert real.tenant_id == ENTRA.tenant_id
    assert real.authorize_url == (
        f"https://login.microsoftonline.com/{ENTRA.tenant_id}/oauth2/authorize"
    )
    assert real.username_claim == "preferred_username"
    assert real.manage_groups is True and real.auth_state_groups_key == "user.groups"
    assert real.admin_groups == set(ENTRA.admin_groups)


def test_ldap_traits_are_the_classes(chart: cdk8s.Chart) -> None:
    login = _login(chart, LDAP)
    assert login.secret_traits == {"lookup_dn_search_password": "HUB_LOGIN_BIND_PASSWORD"}
    real = _real(login)
    assert type(real).__mro__[1].__name__ == "LDAPAuthenticator"
    assert (real.server_address, real.server_port) == ("ldap.example.org", 636)
    assert real.tls_strategy.name == "on_connect"
    assert real.lookup_dn is True
    assert real.lookup_dn_search_user == LDAP.bind_dn
    assert real.lookup_dn_search_password == "s3cret"
    assert real.allowed_groups == list(LDAP.allowed_groups)


def test_ldap_dn_templates(chart: cdk8s.Chart) -> None:
    login = LdapLogin(
        server_url="ldap://ldap.example.org",
        user_search_base="ou=people,dc=example,dc=org",
        dn_templates=["uid={username},ou=people,dc=example,dc=org"],
        allow_all=True,
    )
    real = _real(_login(chart, login))
    assert real.tls_strategy.name == "before_bind" and real.server_port == 389
    assert real.bind_dn_template == ["uid={username},ou=people,dc=example,dc=org"]
    assert real.lookup_dn is False


def test_secret_reaches_the_hub_from_its_secret(chart: cdk8s.Chart) -> None:
    make_jupyterhub(chart, header_trust=None, authenticator=OIDC, mesh=None)
    hub = find(synth(chart), "StatefulSet", "jupyterhub-hub")
    env = hub["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {
        "name": "HUB_LOGIN_CLIENT_SECRET",
        "valueFrom": {"secretKeyRef": {"name": "hub-login", "key": "client-secret"}},
    } in env


def test_header_trust_as_authenticator(chart: cdk8s.Chart) -> None:
    """The header login is one of the authenticators: the same settings either way."""
    trust = HeaderTrust.mesh_enforced()
    jupyterhub = make_jupyterhub(chart, header_trust=None, authenticator=trust, mesh=None)
    assert jupyterhub.hub.settings.login is None
    assert jupyterhub.hub.settings.auth.trust == "header"


@pytest.mark.parametrize(
    "login",
    [GITHUB, GOOGLE, GOOGLE_GROUPS, ENTRA],
    ids=["github", "google", "google-groups", "entra"],
)
def test_endpoints_are_the_classes(chart: cdk8s.Chart, login: HubLogin) -> None:
    """Every host the real class calls from the hub (token, user info, GitHub's API) is
    among the endpoints its egress is made for."""
    real = _real(_login(chart, login))
    # Entra ID's user info is its ID token: no userdata_url.
    called = {real.token_url, real.userdata_url, getattr(real, "github_api", "")} - {""}
    reached = {urlsplit(url).hostname for url in login.endpoints}
    assert {urlsplit(url).hostname for url in called} <= reached, (called, reached)


def test_outbound_urls_name_the_provider(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart, header_trust=None, authenticator=OIDC, mesh=None)
    assert OIDC.issuer in jupyterhub.hub.outbound_urls


def test_fails_issuer_not_https(chart: cdk8s.Chart) -> None:
    login = dataclasses.replace(OIDC, issuer="http://auth.example.org")
    assert _error(chart, login) == (
        "test/JupyterHub/Hub: authenticator.issuer must be an https:// URL with no query or "
        "fragment (OpenID Connect Core 2: the issuer is an https URL), "
        "got 'http://auth.example.org'"
    )


def test_fails_secret_as_string(chart: cdk8s.Chart) -> None:
    login = dataclasses.replace(OIDC, client_secret="hunter2")  # type: ignore[arg-type]
    message = _error(chart, login)
    assert message == (
        "test/JupyterHub/Hub: authenticator.client_secret must be a SecretKeyRef(name, key), "
        "a key of a Secret the hub reads (never the secret itself), got <a string, not shown>"
    )
    assert "hunter2" not in message


def test_fails_bind_password_as_string(chart: cdk8s.Chart) -> None:
    login = dataclasses.replace(LDAP, bind_password="hunter2")  # type: ignore[arg-type]
    assert "authenticator.bind_password must be a SecretKeyRef" in _error(chart, login)


def test_fails_group_rule_without_groups_claim(chart: cdk8s.Chart) -> None:
    login = dataclasses.replace(OIDC, groups_claim=None)
    assert _error(chart, login) == (
        "test/JupyterHub/Hub: authenticator.allowed_groups needs a groups_claim: the groups "
        "are read from it, got ['staff']"
    )


@pytest.mark.parametrize("claim", ["", "groups list", 7, "a/b"])
def test_fails_unknown_claim_type(chart: cdk8s.Chart, claim: object) -> None:
    login = dataclasses.replace(OIDC, username_claim=claim)  # type: ignore[arg-type]
    assert "authenticator.username_claim must be" in _error(chart, login)


def test_fails_nobody_in(chart: cdk8s.Chart) -> None:
    login = dataclasses.replace(OIDC, allowed_groups=(), admin_groups=())
    assert _error(chart, login) == (
        "test/JupyterHub/Hub: authenticator would let nobody in: name allowed_users or "
        "allowed_groups or admin_groups, or pass allow_all=True (everyone the identity "
        "provider signs in), got 'OidcLogin'"
    )


def test_admin_users_alone_let_someone_in(chart: cdk8s.Chart) -> None:
    login = dataclasses.replace(OIDC, allowed_groups=(), admin_groups=())
    assert _login(chart, login, admin_users=["ann"]).traits["allow_all"] is False


def test_fails_google_domain_alone(chart: cdk8s.Chart) -> None:
    """GoogleOAuthenticator 17's hosted_domain refuses the others but allows no one."""
    login = dataclasses.replace(GOOGLE, allow_all=False)
    assert (
        "authenticator would let nobody in: name allowed_users or allowed_google_groups or "
        "admin_google_groups, or pass allow_all=True"
    ) in _error(chart, login)


def test_fails_everyone_in_beside_a_rule(chart: cdk8s.Chart) -> None:
    login = dataclasses.replace(GITHUB, allow_all=True)
    assert _error(chart, login) == (
        "test/JupyterHub/Hub: authenticator.allow_all lets everyone in, whatever "
        "organizations says: pass one or the other, got True"
    )


def test_fails_wildcard_first_host(chart: cdk8s.Chart) -> None:
    assert "public_hosts[0] must be a host name, not a wildcard" in (
        _error(chart, OIDC, hosts=["*.example.org"])
    )


def test_fails_both_logins(chart: cdk8s.Chart) -> None:
    with pytest.raises(ValueError) as caught:
        make_jupyterhub(chart, authenticator=OIDC, mesh=None)
    assert "authenticator must be given" in str(caught.value)
    assert "once: not beside header_trust" in str(caught.value)


def test_fails_hub_groups_with_own_login(chart: cdk8s.Chart) -> None:
    assert _error(chart, OIDC, admin_groups=["x"]) == (
        "test/JupyterHub/Hub: admin_groups is the header login's: give OidcLogin its own "
        "admin_groups, got ['x']"
    )


@pytest.mark.parametrize(
    ("login", "field"),
    [
        (dataclasses.replace(GITHUB, organizations=["bad org"]), "organizations[0]"),
        (dataclasses.replace(GITHUB, teams=["no-team"]), "teams[0]"),
        (dataclasses.replace(GOOGLE, hosted_domains=["not a domain"]), "hosted_domains[0]"),
        (dataclasses.replace(ENTRA, tenant_id="tenant"), "tenant_id"),
        (dataclasses.replace(LDAP, server_url="https://ldap.example.org"), "server_url"),
        (dataclasses.replace(LDAP, bind_dn="not a dn"), "bind_dn"),
        (dataclasses.replace(LDAP, allowed_groups=["staff"]), "allowed_groups[0]"),
        (dataclasses.replace(LDAP, dn_templates=["uid=x,dc=org"]), "dn_templates"),
        (dataclasses.replace(OIDC, scopes=["profile"]), "scopes"),
        (dataclasses.replace(OIDC, scopes="openid"), "scopes"),
        (
            dataclasses.replace(OIDC, client_secret=SecretKeyRef("Bad_Name", "k")),
            "client_secret.name",
        ),
    ],
)
def test_fails_bad_value(chart: cdk8s.Chart, login: HubLogin, field: str) -> None:
    assert _error(chart, login).startswith(f"test/JupyterHub/Hub: authenticator.{field} ")


def test_nginx_ingress_sends_every_path_to_the_proxy(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart, header_trust=None, authenticator=OIDC, mesh=None)
    ingress = NginxIngress(chart, "Ingress", proxy=jupyterhub.proxy, tls_secret="hub-tls")
    manifest = find(synth(chart), "Ingress")
    assert ingress.hosts == tuple(jupyterhub.hub.public_hosts)
    assert not manifest["metadata"].get("annotations")
    assert manifest["spec"]["tls"] == [{"hosts": list(ingress.hosts), "secretName": "hub-tls"}]
    (path,) = manifest["spec"]["rules"][0]["http"]["paths"]
    assert path["path"] == "/"
    target = jupyterhub.proxy.ingress_target
    assert target is not None
    assert path["backend"]["service"] == {
        "name": target.service_name,
        "port": {"name": target.port_name},
    }


def test_fails_nginx_ingress_before_a_header_login_hub(chart: cdk8s.Chart) -> None:
    jupyterhub = make_jupyterhub(chart, mesh=None)
    with pytest.raises(ValueError) as caught:
        NginxIngress(chart, "Ingress", proxy=jupyterhub.proxy)
    assert str(caught.value) == (
        "test/Ingress: proxy.hub must log people in itself (authenticator=OidcLogin(...), "
        "GitHubLogin, GoogleLogin, EntraIdLogin or LdapLogin): no auth proxy is in front of it "
        "here, so anyone could send a user header (use AuthProxyIngress for one), "
        "got 'test/JupyterHub/Hub'"
    )


def _service_entries(chart: cdk8s.Chart, login: HubLogin) -> dict[int, dict[str, Any]]:
    """The hub's ServiceEntries by port, for ``login`` in the mesh behind IstioIngress."""
    jupyterhub = make_jupyterhub(chart, header_trust=None, authenticator=login)
    IstioIngress(chart, "Istio", jupyterhub=jupyterhub)
    entries = [m for m in synth(chart) if m["kind"] == "ServiceEntry"]
    for entry in entries:
        validate_custom(entry)
    return {entry["spec"]["ports"][0]["number"]: entry["spec"] for entry in entries}


@pytest.mark.parametrize(
    ("login", "hosts"),
    [
        (OIDC, ["auth.example.org"]),
        (GITHUB, ["api.github.com", "github.com"]),
        (GOOGLE, ["www.googleapis.com"]),
        (ENTRA, ["login.microsoftonline.com"]),
    ],
    ids=["oidc", "github", "google", "entra"],
)
def test_mesh_egress_to_the_provider(chart: cdk8s.Chart, login: HubLogin, hosts: list[str]) -> None:
    """A REGISTRY_ONLY sidecar reaches the provider through a ServiceEntry made from the
    login; the hub speaks TLS itself (routed by SNI)."""
    assert _service_entries(chart, login) == {
        443: {
            "hosts": hosts,
            "exportTo": ["."],
            "location": "MESH_EXTERNAL",
            "resolution": "DNS",
            "ports": [{"number": 443, "name": "tls-443", "protocol": "TLS"}],
        }
    }


@pytest.mark.parametrize(
    ("url", "port", "protocol"),
    [("ldaps://ldap.example.org", 636, "TLS"), ("ldap://ldap.example.org:1389", 1389, "TCP")],
)
def test_mesh_egress_to_the_ldap_server(
    chart: cdk8s.Chart, url: str, port: int, protocol: str
) -> None:
    entry = _service_entries(chart, dataclasses.replace(LDAP, server_url=url))[port]
    assert entry["hosts"] == ["ldap.example.org"]
    assert entry["ports"] == [
        {"number": port, "name": f"{protocol.lower()}-{port}", "protocol": protocol}
    ]


def test_network_policies_leave_the_hub_its_way_to_the_provider() -> None:
    """minimal's NetworkPolicies: the hub's egress admits its provider (the issuer's port,
    443, on public addresses: NetworkPolicy names no host), which the proxy's does not, and
    the provider's callback reaches the proxy from the ingress controller."""
    manifests = read_manifests(ROOT / "dist" / "minimal")
    policies = [m for m in manifests if m["kind"] == "NetworkPolicy"]
    services = {m["metadata"]["name"]: m["spec"] for m in manifests if m["kind"] == "Service"}
    hub_pods = services["jupyterhub-hub"]["selector"]
    provider = Destination("203.0.113.7")  # a public address (TEST-NET-3) for the issuer's host
    assert egress_allowed(policies, hub_pods, provider, 443)
    assert not egress_allowed(policies, services["jupyterhub-proxy"]["selector"], provider, 443)
    (ingress,) = [m for m in manifests if m["kind"] == "Ingress"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    proxy = services[backend["name"]]
    (port,) = [p for p in proxy["ports"] if p["name"] == backend["port"]["name"]]
    controller = (
        {"kubernetes.io/metadata.name": "ingress-nginx"},
        {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
    )
    target_port = port["targetPort"]
    pod_port = next(
        c["containerPort"]
        for m in manifests
        if m["kind"] == "Deployment" and m["metadata"]["name"] == backend["name"]
        for container in m["spec"]["template"]["spec"]["containers"]
        for c in container.get("ports", [])
        if c["name"] == target_port or c["containerPort"] == target_port
    )
    assert allowed(policies, controller, proxy["selector"], pod_port)


@pytest.mark.parametrize(
    "login",
    [OIDC, OIDC_KEPT, GITHUB, GOOGLE, GOOGLE_GROUPS, ENTRA, LDAP],
    ids=["oidc", "oidc-kept", "github", "google", "google-groups", "entra", "ldap"],
)
def test_every_trait_is_a_configurable_trait_of_the_class(
    chart: cdk8s.Chart, login: HubLogin
) -> None:
    """Each setting is one of the real class's configurable traits (none silently ignored)
    and the class keeps it as written: the traitlets validation of the shipped version."""
    settings = _login(chart, login)
    real = _real(settings)
    known = type(real).class_traits(config=True)
    for trait, value in {**settings.traits, **dict.fromkeys(settings.secret_traits)}.items():
        assert trait in known, trait
        if value is None:
            continue
        kept = getattr(real, trait)
        kept = getattr(kept, "name", kept)  # an enum trait (LDAP's tls_strategy)
        assert _sorted_sets(kept) == value, trait


def _sorted_sets(value: Any) -> Any:
    """A trait's value with its sets (Set traits, Google's Dict of Set) as sorted lists."""
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, dict):
        return {key: _sorted_sets(item) for key, item in value.items()}
    return value


def test_the_class_refuses_what_the_value_cannot_say(chart: cdk8s.Chart) -> None:
    """The control: a trait value of the wrong type is the class's error, so the test above
    would see one."""
    settings = _login(chart, OIDC)
    bad = dataclasses.replace(settings, traits={**settings.traits, "allow_all": "yes"})
    with pytest.raises(TraitError, match="allow_all"):
        _real(bad)


@pytest.mark.parametrize(
    ("login", "field"),
    [
        (dataclasses.replace(OIDC, auth_state_key="0123abcd"), "auth_state_key"),  # type: ignore[arg-type]
        (dataclasses.replace(LDAP, bind_dn=None, bind_password="hunter2"), "bind_password"),  # type: ignore[arg-type]
        (dataclasses.replace(GITHUB, client_secret=b"hunter2"), "client_secret"),  # type: ignore[arg-type]
        (
            dataclasses.replace(GOOGLE_GROUPS, service_account_key='{"private_key": "hunter2"}'),  # type: ignore[arg-type]
            "service_account_key",
        ),
    ],
)
def test_fails_any_secret_not_a_secret_ref_unshown(
    chart: cdk8s.Chart, login: HubLogin, field: str
) -> None:
    message = _error(chart, login)
    assert message.startswith(f"test/JupyterHub/Hub: authenticator.{field} must be a SecretKeyRef")
    assert "hunter2" not in message and "0123abcd" not in message
