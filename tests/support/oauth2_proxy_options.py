"""oauth2-proxy's command line at v7.15.3 (commit 66b3a17), the version the deploy guide runs
(its Helm chart 10.7.0 has appVersion 7.15.3): every flag with its type, its default and the
config-file keys bound to it, and the headers its ``/auth`` answer can carry.

Taken from the flag definitions, not from this project's docs:
- ``FLAGS``: ``flagSet.<Type>("name", default, ...)`` and the ``flag:"..." cfg:"..."`` struct
  tags of ``pkg/apis/options/options.go`` (``NewFlagSet``), ``cookie.go`` (``cookieFlagSet``),
  ``sessions.go``, ``logging.go`` (``loggingFlagSet``), ``app.go`` (``templatesFlagSet``) and
  ``legacy_options.go`` (``legacyUpstreamsFlagSet``, ``legacyHeadersFlagSet``,
  ``legacyServerFlagset``, ``legacyProviderFlagSet``, ``legacyGoogleFlagSet``): the set
  ``NewLegacyFlagSet`` parses (``main.go`` ``loadLegacyOptions``). Named constants are
  resolved (``DefaultUpstreamFlushInterval`` 1s, ``OIDCEmailClaim`` "email"...); durations
  are written as Go prints them.
- ``CONFIG_FLAGS``: the flags ``main.go`` ``main`` parses first (``configFlagSet``).
- ``RESPONSE_HEADERS``: ``legacy_options.go`` ``LegacyHeaders.getResponseHeaders`` and the
  functions it calls (``getXAuthRequestHeaders``, ``getXAuthRequestAccessTokenHeader``,
  ``getAuthorizationHeader``, ``getBasicAuthHeader``): header name -> (the flag that adds it,
  the session claim it carries, its prefix).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CONFIG_FLAGS", "DEPRECATED", "FLAGS", "RESPONSE_HEADERS", "VERSION", "Flag"]

VERSION = "v7.15.3"


class Flag(NamedTuple):
    """A flag's pflag type (``bool``, ``string``, ``strings`` for a StringSlice,
    ``duration``, ``int``), its default, and the config-file keys bound to it."""

    kind: str
    default: object
    cfg: tuple[str, ...]


FLAGS: dict[str, Flag] = {
    "reverse-proxy": Flag("bool", False, ("reverse_proxy",)),
    "real-client-ip-header": Flag("string", "X-Real-IP", ("real_client_ip_header",)),
    "trusted-proxy-ip": Flag("strings", (), ("trusted_proxy_ips",)),
    "trusted-ip": Flag("strings", (), ("trusted_ips",)),
    "force-https": Flag("bool", False, ("force_https",)),
    "redirect-url": Flag("string", "", ("redirect_url",)),
    "relative-redirect-url": Flag("bool", False, ("relative_redirect_url",)),
    "skip-auth-regex": Flag("strings", (), ("skip_auth_regex",)),
    "skip-auth-route": Flag("strings", (), ("skip_auth_routes",)),
    "api-route": Flag("strings", (), ("api_routes",)),
    "skip-provider-button": Flag("bool", False, ("skip_provider_button",)),
    "skip-auth-preflight": Flag("bool", False, ("skip_auth_preflight",)),
    "ssl-insecure-skip-verify": Flag("bool", False, ("ssl_insecure_skip_verify",)),
    "skip-jwt-bearer-tokens": Flag("bool", False, ("skip_jwt_bearer_tokens",)),
    "bearer-token-login-fallback": Flag("bool", True, ("bearer_token_login_fallback",)),
    "force-json-errors": Flag("bool", False, ("force_json_errors",)),
    "encode-state": Flag("bool", False, ("encode_state",)),
    "allow-query-semicolons": Flag("bool", False, ("allow_query_semicolons",)),
    "extra-jwt-issuers": Flag("strings", (), ("extra_jwt_issuers",)),
    "email-domain": Flag("strings", (), ("email_domains",)),
    "whitelist-domain": Flag("strings", (), ("whitelist_domains",)),
    "authenticated-emails-file": Flag("string", "", ("authenticated_emails_file",)),
    "htpasswd-file": Flag("string", "", ("htpasswd_file",)),
    "htpasswd-user-group": Flag("strings", (), ("htpasswd_user_groups",)),
    "proxy-prefix": Flag("string", "/oauth2", ("proxy_prefix",)),
    "ping-path": Flag("string", "/ping", ("ping_path",)),
    "ping-user-agent": Flag("string", "", ("ping_user_agent",)),
    "ready-path": Flag("string", "/ready", ("ready_path",)),
    "session-store-type": Flag("string", "cookie", ("session_store_type",)),
    "session-cookie-minimal": Flag("bool", False, ("session_cookie_minimal",)),
    "redis-connection-url": Flag("string", "", ("redis_connection_url",)),
    "redis-username": Flag("string", "", ("redis_username",)),
    "redis-password": Flag("string", "", ("redis_password",)),
    "redis-use-sentinel": Flag("bool", False, ("redis_use_sentinel",)),
    "redis-sentinel-password": Flag("string", "", ("redis_sentinel_password",)),
    "redis-sentinel-master-name": Flag("string", "", ("redis_sentinel_master_name",)),
    "redis-ca-path": Flag("string", "", ("redis_ca_path",)),
    "redis-insecure-skip-tls-verify": Flag("bool", False, ("redis_insecure_skip_tls_verify",)),
    "redis-sentinel-connection-urls": Flag("strings", (), ("redis_sentinel_connection_urls",)),
    "redis-use-cluster": Flag("bool", False, ("redis_use_cluster",)),
    "redis-cluster-connection-urls": Flag("strings", (), ("redis_cluster_connection_urls",)),
    "redis-connection-idle-timeout": Flag("int", 0, ("redis_connection_idle_timeout",)),
    "signature-key": Flag("string", "", ("signature_key",)),
    "gcp-healthchecks": Flag("bool", False, ("gcp_healthchecks",)),
    "cookie-name": Flag("string", "_oauth2_proxy", ("cookie_name",)),
    "cookie-secret": Flag("string", "", ("cookie_secret",)),
    "cookie-secret-file": Flag("string", "", ("cookie_secret_file",)),
    "cookie-domain": Flag("strings", (), ("cookie_domains",)),
    "cookie-path": Flag("string", "/", ("cookie_path",)),
    "cookie-expire": Flag("duration", "168h0m0s", ("cookie_expire",)),
    "cookie-refresh": Flag("duration", "0s", ("cookie_refresh",)),
    "cookie-secure": Flag("bool", True, ("cookie_secure",)),
    "cookie-httponly": Flag("bool", True, ("cookie_httponly",)),
    "cookie-samesite": Flag("string", "", ("cookie_samesite",)),
    "cookie-csrf-per-request": Flag("bool", False, ("cookie_csrf_per_request",)),
    "cookie-csrf-per-request-limit": Flag("int", 0, ("cookie_csrf_per_request_limit",)),
    "cookie-csrf-expire": Flag("duration", "15m0s", ("cookie_csrf_expire",)),
    "cookie-csrf-samesite": Flag("string", "", ("cookie_csrf_samesite",)),
    "auth-logging": Flag("bool", True, ("auth_logging",)),
    "auth-logging-format": Flag(
        "string",
        "{{.Client}} - {{.RequestID}} - {{.Username}} [{{.Timestamp}}] [{{.Status}}] {{.Message}}",
        ("auth_logging_format",),
    ),
    "standard-logging": Flag("bool", True, ("standard_logging",)),
    "standard-logging-format": Flag(
        "string", "[{{.Timestamp}}] [{{.File}}] {{.Message}}", ("standard_logging_format",)
    ),
    "request-logging": Flag("bool", True, ("request_logging",)),
    "request-logging-format": Flag(
        "string",
        "{{.Client}} - {{.RequestID}} - {{.Username}} [{{.Timestamp}}] {{.Host}} "
        "{{.RequestMethod}} {{.Upstream}} {{.RequestURI}} {{.Protocol}} {{.UserAgent}} "
        "{{.StatusCode}} {{.ResponseSize}} {{.RequestDuration}}",
        ("request_logging_format",),
    ),
    "errors-to-info-log": Flag("bool", False, ("errors_to_info_log",)),
    "exclude-logging-path": Flag("strings", (), ("exclude_logging_paths",)),
    "logging-local-time": Flag("bool", True, ("logging_local_time",)),
    "silence-ping-logging": Flag("bool", False, ("silence_ping_logging",)),
    "request-id-header": Flag("string", "X-Request-Id", ("request_id_header",)),
    "logging-filename": Flag("string", "", ("logging_filename",)),
    "logging-max-size": Flag("int", 100, ("logging_max_size",)),
    "logging-max-age": Flag("int", 7, ("logging_max_age",)),
    "logging-max-backups": Flag("int", 0, ("logging_max_backups",)),
    "logging-compress": Flag("bool", False, ("logging_compress",)),
    "custom-templates-dir": Flag("string", "", ("custom_templates_dir",)),
    "custom-sign-in-logo": Flag("string", "", ("custom_sign_in_logo",)),
    "banner": Flag("string", "", ("banner",)),
    "footer": Flag("string", "", ("footer",)),
    "display-htpasswd-form": Flag("bool", True, ("display_htpasswd_form",)),
    "show-debug-on-error": Flag("bool", False, ("show_debug_on_error",)),
    "flush-interval": Flag("duration", "1s", ("flush_interval",)),
    "pass-host-header": Flag("bool", True, ("pass_host_header",)),
    "proxy-websockets": Flag("bool", True, ("proxy_websockets",)),
    "ssl-upstream-insecure-skip-verify": Flag(
        "bool", False, ("ssl_upstream_insecure_skip_verify",)
    ),
    "upstream": Flag("strings", (), ("upstreams",)),
    "upstream-timeout": Flag("duration", "30s", ("upstream_timeout",)),
    "disable-keep-alives": Flag("bool", False, ("disable_keep_alives",)),
    "pass-basic-auth": Flag("bool", True, ("pass_basic_auth",)),
    "pass-access-token": Flag("bool", False, ("pass_access_token",)),
    "pass-user-headers": Flag("bool", True, ("pass_user_headers",)),
    "pass-authorization-header": Flag("bool", False, ("pass_authorization_header",)),
    "set-basic-auth": Flag("bool", False, ("set_basic_auth",)),
    "set-xauthrequest": Flag("bool", False, ("set_xauthrequest",)),
    "set-authorization-header": Flag("bool", False, ("set_authorization_header",)),
    "prefer-email-to-user": Flag("bool", False, ("prefer_email_to_user",)),
    "basic-auth-password": Flag("string", "", ("basic_auth_password",)),
    "skip-auth-strip-headers": Flag("bool", True, ("skip_auth_strip_headers",)),
    "metrics-address": Flag("string", "", ("metrics_address",)),
    "metrics-secure-address": Flag("string", "", ("metrics_secure_address",)),
    "metrics-tls-cert-file": Flag("string", "", ("metrics_tls_cert_file",)),
    "metrics-tls-key-file": Flag("string", "", ("metrics_tls_key_file",)),
    "http-address": Flag("string", "127.0.0.1:4180", ("http_address",)),
    "https-address": Flag("string", ":443", ("https_address",)),
    "tls-cert-file": Flag("string", "", ("tls_cert_file",)),
    "tls-key-file": Flag("string", "", ("tls_key_file",)),
    "tls-min-version": Flag("string", "", ("tls_min_version",)),
    "tls-cipher-suite": Flag("strings", (), ("tls_cipher_suites",)),
    "keycloak-group": Flag("strings", (), ("keycloak_groups",)),
    "azure-tenant": Flag("string", "common", ("azure_tenant",)),
    "azure-graph-group-field": Flag("string", "", ("azure_graph_group_field",)),
    "entra-id-allowed-tenant": Flag("strings", (), ("entra_id_allowed_tenants",)),
    "entra-id-federated-token-auth": Flag("bool", False, ("entra_id_federated_token_auth",)),
    "bitbucket-team": Flag("string", "", ("bitbucket_team",)),
    "bitbucket-repository": Flag("string", "", ("bitbucket_repository",)),
    "github-org": Flag("string", "", ("github_org",)),
    "github-team": Flag("string", "", ("github_team",)),
    "github-repo": Flag("string", "", ("github_repo",)),
    "github-token": Flag("string", "", ("github_token",)),
    "github-user": Flag("strings", (), ("github_users",)),
    "gitlab-group": Flag("strings", (), ("gitlab_groups",)),
    "gitlab-project": Flag("strings", (), ("gitlab_projects",)),
    "client-id": Flag("string", "", ("client_id",)),
    "client-secret": Flag("string", "", ("client_secret",)),
    "client-secret-file": Flag("string", "", ("client_secret_file",)),
    "provider": Flag("string", "google", ("provider",)),
    "provider-display-name": Flag("string", "", ("provider_display_name",)),
    "provider-ca-file": Flag("strings", (), ("provider_ca_files",)),
    "use-system-trust-store": Flag("bool", False, ("use_system_trust_store",)),
    "oidc-issuer-url": Flag("string", "", ("oidc_issuer_url",)),
    "insecure-oidc-allow-unverified-email": Flag(
        "bool", False, ("insecure_oidc_allow_unverified_email",)
    ),
    "insecure-oidc-skip-issuer-verification": Flag(
        "bool", False, ("insecure_oidc_skip_issuer_verification",)
    ),
    "insecure-oidc-skip-nonce": Flag("bool", True, ("insecure_oidc_skip_nonce",)),
    "skip-oidc-discovery": Flag("bool", False, ("skip_oidc_discovery",)),
    "oidc-jwks-url": Flag("string", "", ("oidc_jwks_url",)),
    "oidc-groups-claim": Flag("string", "groups", ("oidc_groups_claim",)),
    "oidc-email-claim": Flag("string", "email", ("oidc_email_claim",)),
    "oidc-audience-claim": Flag("strings", ("aud",), ("oidc_audience_claims",)),
    "oidc-extra-audience": Flag("strings", (), ("oidc_extra_audiences",)),
    "oidc-public-key-file": Flag("strings", (), ("oidc_public_key_files",)),
    "oidc-enabled-signing-alg": Flag("strings", (), ("oidc_enabled_signing_algs",)),
    "login-url": Flag("string", "", ("login_url",)),
    "redeem-url": Flag("string", "", ("redeem_url",)),
    "profile-url": Flag("string", "", ("profile_url",)),
    "auth-request-response-mode": Flag("string", "", ("auth_request_response_mode",)),
    "skip-claims-from-profile-url": Flag("bool", False, ("skip_claims_from_profile_url",)),
    "resource": Flag("string", "", ("resource",)),
    "validate-url": Flag("string", "", ("validate_url",)),
    "scope": Flag("string", "", ("scope",)),
    "prompt": Flag("string", "", ("prompt",)),
    "approval-prompt": Flag("string", "force", ("approval_prompt",)),
    "code-challenge-method": Flag("string", "", ("code_challenge_method",)),
    "force-code-challenge-method": Flag("string", "", ("force_code_challenge_method",)),
    "acr-values": Flag("string", "", ("acr_values",)),
    "jwt-key": Flag("string", "", ("jwt_key",)),
    "jwt-key-file": Flag("string", "", ("jwt_key_file",)),
    "pubjwk-url": Flag("string", "", ("pubjwk_url",)),
    "user-id-claim": Flag("string", "email", ("user_id_claim",)),
    "allowed-group": Flag("strings", (), ("allowed_groups",)),
    "allowed-role": Flag("strings", (), ("allowed_roles",)),
    "backend-logout-url": Flag("string", "", ("backend_logout_url",)),
    "google-group": Flag("strings", (), ("google_group", "google_groups")),
    "google-admin-email": Flag("string", "", ("google_admin_email",)),
    "google-service-account-json": Flag("string", "", ("google_service_account_json",)),
    "google-use-application-default-credentials": Flag(
        "string", "", ("google_use_application_default_credentials",)
    ),
    "google-target-principal": Flag("string", "", ("google_target_principal",)),
    "google-use-organization-id": Flag("string", "", ("google_use_organization_id",)),
    "google-admin-api-user-scope": Flag("string", "", ("google_admin_api_user_scope",)),
}

# main.go main: parsed before the rest (unknown flags allowed there).
CONFIG_FLAGS: dict[str, Flag] = {
    "config": Flag("string", "", ()),
    "alpha-config": Flag("string", "", ()),
    "convert-config-to-alpha": Flag("bool", False, ()),
    "version": Flag("bool", False, ()),
    "config-test": Flag("bool", False, ()),
}

# Flags whose help text says "(DEPRECATED for ...)" at this version, with what replaces them.
DEPRECATED: dict[str, str] = {
    "user-id-claim": "oidc-email-claim",
    "skip-auth-regex": "skip-auth-route",
    "force-code-challenge-method": "code-challenge-method",
}

# name -> (flag that adds it, session claim, prefix); X-Auth-Request-Access-Token needs
# --pass-access-token besides --set-xauthrequest.
RESPONSE_HEADERS: dict[str, tuple[str, str, str]] = {
    "X-Auth-Request-User": ("set-xauthrequest", "user", ""),
    "X-Auth-Request-Email": ("set-xauthrequest", "email", ""),
    "X-Auth-Request-Preferred-Username": ("set-xauthrequest", "preferred_username", ""),
    "X-Auth-Request-Groups": ("set-xauthrequest", "groups", ""),
    "X-Auth-Request-Access-Token": ("pass-access-token", "access_token", ""),
    "Authorization": ("set-authorization-header", "id_token", "Bearer "),
}
