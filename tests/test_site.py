"""A site's settings file (``python -m apps --app <app> --site site.yaml``): its values reach the
synthesized app, and every bad file is an error naming the file, the key and the value, with
nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import apps
from apps.__main__ import main
from constructs_lib import KubernetesVersion, TlsSecret, check_references
from tests.support.manifests import ROOT, read_manifests

# minimal's: the hub's own login (its issuer and client id).
SITE: dict[str, Any] = {
    "hosts": ["hub.uni.edu"],
    "identity_provider": {"issuer": "https://login.uni.edu/realms/hub", "client_id": "hub-client"},
    "tls_secret": "hub-uni-tls",
}
# dev's: the ID tokens of oauth2-proxy's provider (HeaderTrust.jwt_proof).
DEV_SITE: dict[str, Any] = {
    **SITE,
    # dev gives each user's server a host of its own: the certificate names their wildcard.
    "tls_hosts": ["hub.uni.edu", "*.users.hub.uni.edu"],
    "identity_provider": {
        "issuer": "https://login.uni.edu/realms/hub",
        "audience": "hub-client",
        "jwks_url": "https://login.uni.edu/realms/hub/certs",
    },
}
MINIMAL_IMAGES = {
    "hub": "registry.uni.edu/mirror/k8s-hub:4.4.0",
    "proxy": "registry.uni.edu/mirror/configurable-http-proxy:5.3.0",
}


def _site_file(tmp_path: Path, site: Any) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(site if isinstance(site, str) else yaml.safe_dump(site))
    return path


def _find(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    return found


def _settings(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    (config,) = [m for m in manifests if m["kind"] == "ConfigMap" and "settings.json" in m["data"]]
    settings: dict[str, Any] = json.loads(config["data"]["settings.json"])
    return settings


def _images(manifests: list[dict[str, Any]]) -> dict[str, str]:
    return {
        m["metadata"]["name"]: c["image"]
        for m in manifests
        if m["kind"] in ("Deployment", "StatefulSet")
        for c in m["spec"]["template"]["spec"]["containers"]
    }


def test_minimal_for_a_site(tmp_path: Path) -> None:
    site = _site_file(tmp_path, {**SITE, "images": MINIMAL_IMAGES})
    outdir = tmp_path / "out"
    assert main(["--app", "minimal", "--site", str(site), "--outdir", str(outdir)]) == 0
    manifests = read_manifests(outdir / "minimal")
    text = "".join(p.read_text() for p in (outdir / "minimal").iterdir())
    # The placeholders are gone (a code comment of the delivered runtime may say example.org).
    assert "jupyterhub.example.org" not in text and "auth.example.org" not in text
    ingress = _find(manifests, "Ingress", "jupyterhub")
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == ["hub.uni.edu"]
    assert ingress["spec"]["tls"] == [{"hosts": ["hub.uni.edu"], "secretName": "hub-uni-tls"}]
    login = _settings(manifests)["login"]
    assert (login["discovery_issuer"], login["traits"]["client_id"]) == (
        "https://login.uni.edu/realms/hub",
        "hub-client",
    )
    assert login["traits"]["oauth_callback_url"] == "https://hub.uni.edu/hub/oauth_callback"
    assert _images(manifests) == {
        "jupyterhub-hub": MINIMAL_IMAGES["hub"],
        "jupyterhub-proxy": MINIMAL_IMAGES["proxy"],
    }
    # The site's TLS Secret is the prerequisite, and every reference lands.
    built = apps.APPS["minimal"](
        str(tmp_path / "check"), KubernetesVersion.DEFAULT, {"tls_secret": "hub-uni-tls"}
    )
    assert ("Secret", "hub-uni-tls") in built.external.objects
    check_references(manifests, built.external)


def test_dev_for_a_site(tmp_path: Path) -> None:
    """dev's proxy image is pushed to the site's registry: the prerequisite names it."""
    registry = "registry.uni.edu/jupyterhub"
    site = _site_file(tmp_path, {**DEV_SITE, "images": {"registry": registry}})
    outdir = tmp_path / "out"
    assert main(["--app", "dev", "--site", str(site), "--outdir", str(outdir)]) == 0
    manifests = read_manifests(outdir / "dev")
    # The users' hosts follow the site's host.
    assert _find(manifests, "Gateway", "jupyterhub")["spec"]["servers"][0]["hosts"] == [
        "./hub.uni.edu",
        "./*.users.hub.uni.edu",
    ]
    (gateway,) = [m for m in manifests if m["kind"] == "Gateway"]
    assert gateway["spec"]["servers"][0]["tls"]["credentialName"] == "hub-uni-tls"
    # The prerequisite names the hosts the Secret's certificate must list.
    built = apps.APPS["dev"](
        str(tmp_path / "check"),
        KubernetesVersion.DEFAULT,
        {
            "hosts": ("hub.uni.edu",),
            "tls_credential": TlsSecret("hub-uni-tls", hosts=tuple(DEV_SITE["tls_hosts"])),
        },
    )
    (note,) = [p.reason for p in built.external.prerequisites if p.name == "hub-uni-tls"]
    assert note.endswith(
        "its certificate naming hub.uni.edu, *.users.hub.uni.edu (a wildcard covers one "
        "label; e.g. a HubCertificate from cert-manager, issued with DNS-01)"
    ), note
    assert _settings(manifests)["auth"]["jwt"]["issuer"] == "https://login.uni.edu/realms/hub"
    assert _images(manifests)["jupyterhub-proxy"] == f"{registry}/proxy-redis:5.3.0"
    assert sorted(outdir.iterdir()) == [outdir / "dev"]


def test_a_site_sets_only_what_it_names(tmp_path: Path) -> None:
    site = _site_file(tmp_path, {"identity_provider": SITE["identity_provider"]})
    outdir = tmp_path / "out"
    assert main(["--app", "minimal", "--site", str(site), "--outdir", str(outdir)]) == 0
    manifests = read_manifests(outdir / "minimal")
    assert _settings(manifests)["login"]["discovery_issuer"] == "https://login.uni.edu/realms/hub"
    assert _find(manifests, "Ingress", "jupyterhub")["spec"]["tls"][0]["secretName"] == (
        "jupyterhub-tls"
    )


# Each bad site file and the error it gets (after "<file>: ").
BAD: list[tuple[str, Any, str]] = [
    (
        "not a mapping",
        ["hub.uni.edu"],
        "the file must be a mapping of hosts, user_hosts, identity_provider, "
        "tls_secret, tls_hosts, images, argocd, got ['hub.uni.edu']",
    ),
    (
        "empty",
        "",
        "the file must be a mapping of hosts, user_hosts, identity_provider, tls_secret, "
        "tls_hosts, images, argocd, got None",
    ),
    (
        "unknown key",
        {"host": "hub.uni.edu"},
        "host is not a setting of minimal (allowed: hosts, user_hosts, "
        "identity_provider, tls_secret, tls_hosts, images, argocd), got 'hub.uni.edu'",
    ),
    (
        "hosts not a list",
        {"hosts": "hub.uni.edu"},
        "hosts must be a non-empty list of host names, got 'hub.uni.edu'",
    ),
    (
        "bad host",
        {"hosts": ["Hub.uni.edu:443"]},
        "hosts[0] must be a lower-case DNS host name "
        "such as 'hub.example.org', got 'Hub.uni.edu:443'",
    ),
    (
        "unknown provider key",
        {"identity_provider": {**SITE["identity_provider"], "audience": "x"}},
        "identity_provider.audience is not a setting of minimal (allowed: issuer, client_id), "
        "got 'x'",
    ),
    (
        "missing client_id",
        {"identity_provider": {"issuer": "https://login.uni.edu"}},
        "identity_provider.client_id must be a non-empty string, got None",
    ),
    (
        "issuer not https",
        {"identity_provider": {**SITE["identity_provider"], "issuer": "http://login.uni.edu"}},
        "identity_provider.issuer must be an https:// URL with no query or fragment (OpenID "
        "Connect Core 2: the issuer is an https URL), got 'http://login.uni.edu'",
    ),
    (
        "no identity provider",
        {"hosts": ["hub.uni.edu"]},
        "identity_provider is required (a mapping of issuer, client_id: the site's identity "
        "provider), got None",
    ),
    (
        "bad secret name",
        {"tls_secret": "Hub_TLS"},
        "tls_secret must be a DNS subdomain "
        "(dot-separated DNS labels, at most 253 characters), got 'Hub_TLS'",
    ),
    (
        "user hosts, a TLS Secret of unknown hosts",
        {**SITE, "user_hosts": "*.users.hub.uni.edu"},
        "tls_hosts is required with user_hosts: the DNS names the certificate of "
        "'hub-uni-tls' lists, covering the hosts and '*.users.hub.uni.edu', got None",
    ),
    (
        "TLS hosts without the Secret",
        {"tls_hosts": ["hub.uni.edu"]},
        "tls_hosts needs tls_secret, the Secret they are of, got ['hub.uni.edu']",
    ),
    (
        "TLS hosts not a list",
        {**SITE, "tls_hosts": "hub.uni.edu"},
        "tls_hosts must be a non-empty list of host names, got 'hub.uni.edu'",
    ),
    (
        "TLS host with a port",
        {**SITE, "tls_hosts": ["hub.uni.edu:443"]},
        "tls_hosts[0] must be a lower-case DNS host name such as 'hub.example.org', "
        "got 'hub.uni.edu:443'",
    ),
    (
        "TLS wildcard over two labels",
        {**SITE, "tls_hosts": ["hub.uni.edu", "*.*.uni.edu"]},
        "tls_hosts[1] must be a lower-case DNS host name such as 'hub.example.org', "
        "got '*.*.uni.edu'",
    ),
    (
        "TLS wildcard over a top-level domain",
        {**SITE, "tls_hosts": ["hub.uni.edu", "*.edu"]},
        "tls_hosts[1] must have its wildcard as the whole first label over at least two "
        "labels, such as '*.users.example.org', got '*.edu'",
    ),
    (
        "TLS hosts missing the wildcard's label",
        {**SITE, "user_hosts": "*.users.hub.uni.edu", "tls_hosts": ["hub.uni.edu", "*.uni.edu"]},
        "tls_hosts must cover every host served, '*.users.hub.uni.edu' included (a wildcard "
        "covers exactly one label: '*.example.org' covers 'a.example.org', not "
        "'a.users.example.org'), got TlsSecret(name='hub-uni-tls', hosts=('hub.uni.edu', "
        "'*.uni.edu'))",
    ),
    (
        "TLS hosts missing the hub's host",
        {**SITE, "tls_hosts": ["other.uni.edu"]},
        "tls_hosts must cover every host served, 'hub.uni.edu' included (a wildcard "
        "covers exactly one label: '*.example.org' covers 'a.example.org', not "
        "'a.users.example.org'), got TlsSecret(name='hub-uni-tls', hosts=('other.uni.edu',))",
    ),
    (
        "image of another app",
        {"images": {"registry": "registry.uni.edu"}},
        "images.registry is not a setting of minimal (allowed: hub, proxy), got 'registry.uni.edu'",
    ),
    (
        "bad image",
        {"images": {"hub": "Registry/Hub"}},
        "images.hub must be an image reference "
        "like 'registry.example.org/repo/name:tag' (lower-case repository path, optional tag and "
        "@sha256 digest), got 'Registry/Hub'",
    ),
]


@pytest.mark.parametrize(("site", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_fails_a_bad_site_file_writing_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], site: Any, message: str
) -> None:
    path = _site_file(tmp_path, site)
    outdir = tmp_path / "out"
    assert main(["--app", "minimal", "--site", str(path), "--outdir", str(outdir)]) == 2
    assert capsys.readouterr().err == f"error: {path}: {message}\n"
    assert sorted(tmp_path.iterdir()) == [path]


# dev's identity provider: HeaderTrust.jwt_proof's keys.
BAD_DEV: list[tuple[str, Any, str]] = [
    (
        "missing jwks_url",
        {"identity_provider": {"issuer": "https://login.uni.edu", "audience": "hub"}},
        "identity_provider.jwks_url must be a non-empty string, got None",
    ),
    (
        "jwks not a URL",
        {"identity_provider": {**DEV_SITE["identity_provider"], "jwks_url": "certs"}},
        "identity_provider.jwks_url must be an http(s) URL, got 'certs'",
    ),
    (
        "client_id of minimal",
        {"identity_provider": {**DEV_SITE["identity_provider"], "client_id": "hub"}},
        "identity_provider.client_id is not a setting of dev (allowed: issuer, audience, "
        "jwks_url), got 'hub'",
    ),
]


@pytest.mark.parametrize(("site", "message"), [b[1:] for b in BAD_DEV], ids=[b[0] for b in BAD_DEV])
def test_fails_a_bad_dev_site_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], site: Any, message: str
) -> None:
    path = _site_file(tmp_path, site)
    outdir = tmp_path / "out"
    assert main(["--app", "dev", "--site", str(path), "--outdir", str(outdir)]) == 2
    assert capsys.readouterr().err == f"error: {path}: {message}\n"
    assert sorted(tmp_path.iterdir()) == [path]


def test_fails_a_site_file_that_is_not_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _site_file(tmp_path, "hosts: [hub.uni.edu\n")
    assert main(["--app", "minimal", "--site", str(path), "--outdir", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {path}: not YAML: ")
    assert sorted(tmp_path.iterdir()) == [path]


def test_fails_a_missing_site_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "site.yaml"
    assert main(["--app", "minimal", "--site", str(path), "--outdir", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == (
        f"error: {path}: cannot read the site file: No such file or directory\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_fails_a_site_without_one_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _site_file(tmp_path, SITE)
    with pytest.raises(SystemExit) as exited:
        main(["--site", str(path), "--outdir", str(tmp_path / "o")])
    assert exited.value.code == 2
    assert capsys.readouterr().err.endswith(
        "error: --site sets one app: give exactly one --app (got 0)\n"
    )
    assert sorted(tmp_path.iterdir()) == [path]


def test_a_bad_site_leaves_existing_output_as_it_was(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    good = _site_file(tmp_path, SITE)
    assert main(["--app", "minimal", "--site", str(good), "--outdir", str(outdir)]) == 0
    before = {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()}
    # Valid in shape, refused by the construct: two hosts the same.
    bad = _site_file(tmp_path, {**SITE, "hosts": ["hub.uni.edu", "hub.uni.edu"]})
    assert main(["--app", "minimal", "--site", str(bad), "--outdir", str(outdir)]) == 2
    assert {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()} == before


def test_the_quick_starts_site_file_synthesizes(tmp_path: Path) -> None:
    """The README's example, as written, with its commands."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("  ```yaml\n", 1)[1].split("  ```", 1)[0]
    assert block.startswith("  # site.yaml")
    site = yaml.safe_load("\n".join(line.removeprefix("  ") for line in block.splitlines()))
    assert "  python -m apps --app minimal --site site.yaml --outdir site-dist\n" in readme
    path = _site_file(tmp_path, site)
    outdir = tmp_path / "site-dist"
    assert main(["--app", "minimal", "--site", str(path), "--outdir", str(outdir)]) == 0
    ingress = _find(read_manifests(outdir / "minimal"), "Ingress", "jupyterhub")
    assert ingress["spec"]["rules"][0]["host"] == site["hosts"][0]


def test_fails_an_outdir_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outdir = tmp_path / "out"
    outdir.write_text("not a directory")
    assert main(["--app", "minimal", "--outdir", str(outdir)]) == 2
    assert capsys.readouterr().err == (
        f"error: {outdir}: outdir must be a directory (or not exist yet), got a file\n"
    )
    assert sorted(tmp_path.iterdir()) == [outdir]
