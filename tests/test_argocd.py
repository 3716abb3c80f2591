"""ArgoCdApplication: the Application (checked against Argo CD's vendored CRD), the sync waves
on the objects it delivers, and its refusals; the apps' ``argocd`` site key."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import cdk8s
import pytest
import yaml
from syrupy.assertion import SnapshotAssertion

from apps.__main__ import main
from constructs_lib import (
    ArgoCdApplication,
    GatewayApiIngress,
    GatewayRef,
    GitSource,
    HubNamespace,
    SyncWave,
)
from tests.support.argocd_diff import CONTROLLER_FIELDS
from tests.support.argocd_prune import (
    applied,
    deleted_with_application,
    failed_sync_retried,
    pruned,
)
from tests.support.builders import find, make_jupyterhub, synth, value_error
from tests.support.commands import run
from tests.support.crd_schemas import validate_custom
from tests.support.docs import example
from tests.support.manifests import ROOT, read_manifests

SOURCE = GitSource(repo_url="https://git.example.org/platform/hub.git", path="dist/dev")
WAVE = "argocd.argoproj.io/sync-wave"


def _app(**props: Any) -> tuple[cdk8s.Chart, cdk8s.Chart, cdk8s.Chart]:
    """(namespace chart, app chart, Application chart), the Application made last."""
    app = cdk8s.Testing.app()
    namespace = cdk8s.Chart(app, "namespace")
    chart = cdk8s.Chart(app, "test", namespace="jupyterhub")
    jupyterhub = make_jupyterhub(chart, mesh=None)
    GatewayApiIngress(
        chart,
        "Routes",
        jupyterhub=jupyterhub,
        gateway=GatewayRef(name="edge", namespace="gateways"),
    )
    HubNamespace.for_jupyterhub(namespace, "Namespace", jupyterhub, name="jupyterhub")
    delivery = cdk8s.Chart(cdk8s.Testing.app(), "delivery")
    props.setdefault("source", SOURCE)
    props.setdefault("delivers", [namespace, chart])
    ArgoCdApplication(delivery, "Application", **props)
    return namespace, chart, delivery


def _waves(*charts: cdk8s.Chart) -> dict[str, str]:
    return {
        f"{m['kind']}/{m['metadata']['name']}": m["metadata"].get("annotations", {}).get(WAVE)
        for chart in charts
        for m in synth(chart)
    }


def test_defaults(snapshot_yaml: SnapshotAssertion) -> None:
    *_, delivery = _app()
    assert synth(delivery) == snapshot_yaml


def test_application_matches_the_argo_cd_crd() -> None:
    *_, delivery = _app(name="hub", project="research", namespace="gitops")
    (application,) = synth(delivery)
    validate_custom(application)
    assert application["metadata"] == {"name": "hub", "namespace": "gitops"}


def test_prunes_and_heals_and_prunes_last() -> None:
    *_, delivery = _app()
    policy = find(synth(delivery), "Application")["spec"]["syncPolicy"]
    assert policy == {
        "automated": {"prune": True, "selfHeal": True},
        "syncOptions": ["PruneLast=true", "RespectIgnoreDifferences=true"],
        "retry": {
            "limit": -1,
            "refresh": True,
            "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"},
        },
    }


def test_a_first_sync_that_fails_is_retried() -> None:
    """On an empty cluster an ExternalSecret is Degraded until its store is ready, which
    fails the sync; automated sync alone would never try that commit again."""
    *_, delivery = _app()
    assert failed_sync_retried(find(synth(delivery), "Application"))


def test_ignores_what_reloader_writes_into_the_workloads_it_rolls() -> None:
    _, chart, delivery = _app()
    (reloader,) = [
        f
        for f in CONTROLLER_FIELDS
        if "last-reloaded-from" in f.pointer and "StatefulSet" in f.kind
    ]
    rolled = sorted(
        (m["kind"], m["metadata"]["name"])
        for m in synth(chart)
        if "secret.reloader.stakater.com/reload" in m["metadata"].get("annotations", {})
    )
    assert rolled == [("Deployment", "jupyterhub-proxy"), ("StatefulSet", "jupyterhub-hub")]
    assert find(synth(delivery), "Application")["spec"]["ignoreDifferences"] == [
        {
            "group": "apps",
            "kind": kind,
            "name": name,
            "namespace": "jupyterhub",
            "jsonPointers": [reloader.pointer],
        }
        for kind, name in rolled
    ]


def test_ignores_nothing_without_reloader() -> None:
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "test", namespace="web")
    cdk8s.ApiObject(chart, "Web", api_version="apps/v1", kind="Deployment")
    delivery = cdk8s.Chart(app, "delivery")
    ArgoCdApplication(delivery, "App", source=SOURCE, delivers=[chart])
    spec = find(synth(delivery), "Application")["spec"]
    assert "ignoreDifferences" not in spec
    assert spec["syncPolicy"]["syncOptions"] == ["PruneLast=true"]


def test_source_and_destination() -> None:
    source = GitSource(repo_url="git@git.example.org:platform/hub.git", path="a/b", revision="v2")
    *_, delivery = _app(source=source, destination_server="https://10.0.0.1:6443")
    spec = find(synth(delivery), "Application")["spec"]
    assert spec["source"] == {
        "repoURL": "git@git.example.org:platform/hub.git",
        "path": "a/b",
        "targetRevision": "v2",
    }
    assert spec["destination"] == {"server": "https://10.0.0.1:6443", "namespace": "jupyterhub"}


def test_waves_namespace_prerequisites_workloads_routes() -> None:
    namespace, chart, _ = _app()
    waves = _waves(namespace, chart)
    assert waves["Namespace/jupyterhub"] == str(SyncWave.NAMESPACE.value) == "-2"
    assert waves["ConfigMap/" + _configmap(chart)] == waves["Role/jupyterhub-hub"] == "-1"
    assert waves["ServiceAccount/jupyterhub-singleuser-server"] == "-1"
    assert waves["PriorityClass/jupyterhub-singleuser-server"] == "-1"
    assert waves["StatefulSet/jupyterhub-hub"] == waves["Deployment/jupyterhub-proxy"] == "0"
    assert waves["Service/jupyterhub-hub"] == waves["Service/jupyterhub-proxy"] == "0"
    assert waves["HTTPRoute/jupyterhub"] == "1"
    # Every object has one, and they rise in the order Argo CD applies them.
    assert None not in waves.values()
    assert [w.value for w in SyncWave] == sorted(w.value for w in SyncWave)


def _configmap(chart: cdk8s.Chart) -> str:
    return str(find(synth(chart), "ConfigMap")["metadata"]["name"])


def test_a_wave_set_by_hand_is_kept() -> None:
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "test", namespace="jupyterhub")
    jupyterhub = make_jupyterhub(chart, mesh=None)
    jupyterhub.proxy.service.metadata.add_annotation(WAVE, "5")
    ArgoCdApplication(cdk8s.Chart(app, "delivery"), "App", source=SOURCE, delivers=[chart])
    assert _waves(chart)["Service/jupyterhub-proxy"] == "5"


def test_fails_an_object_made_after_the_application() -> None:
    app = cdk8s.Testing.app()
    chart = cdk8s.Chart(app, "test", namespace="jupyterhub")
    make_jupyterhub(chart, mesh=None)
    ArgoCdApplication(cdk8s.Chart(app, "delivery"), "App", source=SOURCE, delivers=[chart])
    cdk8s.ApiObject(chart, "Late", api_version="v1", kind="ConfigMap")
    with pytest.raises(RuntimeError) as error:
        chart.to_json()
    assert (
        "delivery/App: made before test/Late, which has no argocd.argoproj.io/sync-wave "
        "(make the Application after every object it delivers)"
    ) in str(error.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("git.example.org/hub", "must be a Git URL"),
        ("https://git example.org/hub", "must be a Git URL"),
        ("ftp://git.example.org/hub", "must be a Git URL"),
        # Options to ssh, and to git on the server, in the host or the path.
        ("git@-oProxyCommand=touch:hub.git", "must be a Git URL"),
        ("ssh://git@-oProxyCommand=touch/hub.git", "must be a Git URL"),
        ("git@git.example.org:--upload-pack=touch", "must be a Git URL"),
        ("https://-evil.example.org/hub.git", "must be a Git URL"),
    ],
)
def test_fails_repo_url_that_is_no_git_url(url: str, message: str) -> None:
    error = value_error(lambda: _app(source=GitSource(repo_url=url, path="dist/dev")))
    assert error == (
        "delivery/Application: source.repo_url must be a Git URL (https://host/org/repo.git, "
        f"ssh://git@host/org/repo.git or git@host:org/repo.git), got {url!r}"
    )
    assert message in error


@pytest.mark.parametrize(
    "url",
    [
        "https://bot:s3cret-token@git.example.org/platform/hub.git",
        "ssh://git:s3cret@git.example.org/platform/hub.git",
        "https://bot:s3cret token@git.example.org/hub.git",
        "https://s3cret@git.example.org/platform/hub.git",
    ],
)
def test_fails_repo_url_with_credentials_without_echoing_them(url: str) -> None:
    error = value_error(lambda: _app(source=GitSource(repo_url=url, path="dist/dev")))
    assert error == (
        "delivery/Application: source.repo_url must not hold credentials (user or password "
        "before '@'): give them to Argo CD as a repository Secret"
    )
    assert "s3cret" not in error


@pytest.mark.parametrize("path", ["", "/dist/dev", "dist/../etc", "dist//dev", "dist/./dev"])
def test_fails_path_outside_the_repository(path: str) -> None:
    source = GitSource(repo_url=SOURCE.repo_url, path=path)
    assert value_error(lambda: _app(source=source)) == (
        "delivery/Application: source.path must be a relative path inside the repository, "
        "such as 'dist/dev' (no leading '/', no '.' or '..' segments), got " + repr(path)
    )


@pytest.mark.parametrize("revision", ["", "main branch", "-x", "a..b", "refs/", "v1~1"])
def test_fails_revision_that_is_no_ref(revision: str) -> None:
    source = GitSource(repo_url=SOURCE.repo_url, path="dist/dev", revision=revision)
    assert value_error(lambda: _app(source=source)) == (
        "delivery/Application: source.revision must be a branch, tag or commit (such as "
        f"'main', 'v1.2.0' or 'HEAD'), got {revision!r}"
    )


def test_fails_source_field_of_the_wrong_type() -> None:
    source = GitSource(repo_url=SOURCE.repo_url, path="dist/dev", revision=3)  # type: ignore[arg-type]
    assert value_error(lambda: _app(source=source)) == (
        "delivery/Application: source.revision must be a string, got 3"
    )


def test_fails_name_that_is_no_dns_label() -> None:
    assert value_error(lambda: _app(name="Hub_1")).startswith(
        "delivery/Application: name must be a DNS label"
    )


def test_fails_no_chart_delivered() -> None:
    assert value_error(lambda: _app(delivers=[])) == (
        "delivery/Application: delivers must name at least one chart, got []"
    )


def test_fails_charts_of_two_namespaces() -> None:
    app = cdk8s.Testing.app()
    one, other = (cdk8s.Chart(app, n, namespace=n) for n in ("one", "two"))
    assert value_error(
        lambda: ArgoCdApplication(
            cdk8s.Chart(app, "delivery"), "App", source=SOURCE, delivers=[one, other]
        )
    ) == (
        "delivery/App: delivers must be charts of one namespace (the Application's "
        "destination), not of ['one', 'two'], got ['one', 'two']"
    )


def test_fails_no_chart_with_a_namespace() -> None:
    app = cdk8s.Testing.app()
    cluster = cdk8s.Chart(app, "cluster")
    assert value_error(
        lambda: ArgoCdApplication(
            cdk8s.Chart(app, "delivery"), "App", source=SOURCE, delivers=[cluster]
        )
    ) == (
        "delivery/App: delivers must include a chart with a namespace (the Application's "
        "destination), got ['cluster']"
    )


@pytest.mark.parametrize(
    "server",
    ["kubernetes.default.svc", "http://kubernetes.default.svc", "https://admin@k8s.example.org"],
)
def test_fails_destination_server_not_https(server: str) -> None:
    assert value_error(lambda: _app(destination_server=server)) == (
        f"delivery/Application: destination_server must be an https:// URL, got '{server}'"
    )


@pytest.mark.parametrize(
    "server", ["https://admin:s3cret@k8s.example.org", "https://admin:s3cret@k8s example"]
)
def test_fails_destination_server_with_a_password_without_echoing_it(server: str) -> None:
    message = value_error(lambda: _app(destination_server=server))
    assert "s3cret" not in message
    assert message == (
        "delivery/Application: destination_server must not hold credentials (user or "
        "password before '@'): Argo CD keeps them in its cluster Secret"
    )


# The apps: a site file's argocd key.

# dev's (the auth proxy's issuer and the ID token's audience) and minimal's (the hub's OpenID
# Connect client).
IDENTITY_PROVIDER = {
    "issuer": "https://login.uni.edu/realms/hub",
    "audience": "hub",
    "jwks_url": "https://login.uni.edu/realms/hub/certs",
}
MINIMAL_IDENTITY_PROVIDER = {"issuer": "https://login.uni.edu/realms/hub", "client_id": "hub"}


def _site(tmp_path: Path, argocd: Any) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump({"identity_provider": IDENTITY_PROVIDER, "argocd": argocd}))
    return path


def test_site_argocd_writes_the_application_beside_the_app(tmp_path: Path) -> None:
    argocd = {"repo_url": SOURCE.repo_url, "path": "site-dist/dev", "revision": "main"}
    outdir = tmp_path / "out"
    assert (
        main(["--app", "dev", "--site", str(_site(tmp_path, argocd)), "--outdir", str(outdir)]) == 0
    )
    assert sorted(p.name for p in outdir.iterdir()) == ["dev", "dev-argocd"]
    (application,) = read_manifests(outdir / "dev-argocd")
    validate_custom(application)
    assert application["spec"]["source"] == {
        "repoURL": SOURCE.repo_url,
        "path": "site-dist/dev",
        "targetRevision": "main",
    }
    manifests = read_manifests(outdir / "dev")
    waves = {
        f"{m['kind']}/{m['metadata']['name']}": m["metadata"]["annotations"][WAVE]
        for m in manifests
    }
    assert waves["Namespace/jupyterhub"] == "-2"
    assert waves["ExternalSecret/jupyterhub-proxy-token"] == "-1"
    assert waves["StatefulSet/jupyterhub-redis"] == waves["StatefulSet/jupyterhub-hub"] == "0"
    assert waves["Gateway/jupyterhub"] == waves["VirtualService/jupyterhub"] == "1"


def test_site_argocd_without_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = _site(tmp_path, {"repo_url": SOURCE.repo_url})
    outdir = tmp_path / "out"
    assert main(["--app", "minimal", "--site", str(site), "--outdir", str(outdir)]) == 2
    assert capsys.readouterr().err == f"error: {site}: argocd.path is required, got None\n"
    assert not outdir.exists()


def test_site_argocd_unknown_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = _site(tmp_path, {"repo_url": SOURCE.repo_url, "path": "x", "branch": "main"})
    assert main(["--app", "minimal", "--site", str(site), "--outdir", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == (
        f"error: {site}: argocd.branch is not a setting of minimal (allowed: repo_url, path, "
        "revision), got 'main'\n"
    )


@pytest.mark.slow
def test_guide_example_writes_the_app_and_its_application(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(example("## In your own cdk8s app"))
    run([sys.executable, "main.py"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    (application,) = read_manifests(tmp_path / "dist" / "hub-argocd")
    validate_custom(application)
    assert application["spec"]["source"]["path"] == "dist/hub"
    waves = {
        m["kind"]: m["metadata"]["annotations"][WAVE]
        for m in read_manifests(tmp_path / "dist" / "hub")
    }
    assert (waves["Namespace"], waves["ConfigMap"], waves["StatefulSet"], waves["Ingress"]) == (
        "-2",
        "-1",
        "0",
        "1",
    )


def test_site_argocd_credentials_never_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://bot:s3cret@git.uni.edu/hub.git"
    site = _site(tmp_path, {"repo_url": url, "path": "site-dist/minimal"})
    assert main(["--app", "minimal", "--site", str(site), "--outdir", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {site}: argocd.repo_url must not hold credentials (user or password before "
        "'@'): give them to Argo CD as a repository Secret\n"
    )
    assert not (tmp_path / "o").exists()


def test_a_new_configuration_leaves_git_without_the_old_config_map(tmp_path: Path) -> None:
    """What prune acts on: the directory Argo CD syncs holds only the current ConfigMap, so the
    previous one (its name the hash of the old content) is deleted, not left behind."""
    outdir = tmp_path / "site-dist"
    names = []
    for host in ("hub.uni.edu", "notebooks.uni.edu"):
        site = tmp_path / f"{host}.yaml"
        argocd = {"repo_url": SOURCE.repo_url, "path": "site-dist/minimal"}
        site.write_text(
            yaml.safe_dump(
                {"hosts": [host], "identity_provider": MINIMAL_IDENTITY_PROVIDER, "argocd": argocd}
            )
        )
        assert main(["--app", "minimal", "--site", str(site), "--outdir", str(outdir)]) == 0
        (config_map,) = [m for m in read_manifests(outdir / "minimal") if m["kind"] == "ConfigMap"]
        names.append(config_map["metadata"]["name"])
    assert names[0] != names[1]
    (application,) = read_manifests(outdir / "minimal-argocd")
    assert application["spec"]["syncPolicy"]["automated"]["prune"] is True


def _made_by_the_cluster(namespace: str) -> list[dict[str, Any]]:
    """What no Git holds: the hub's database claim (its StatefulSet's), a user's claim
    (KubeSpawner's), the Secret an ExternalSecret writes (owned by it)."""

    def claim(name: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": namespace},
        }

    owner = {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "name": "hub"}
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "hub", "namespace": namespace, "ownerReferences": [owner]},
    }
    return [claim("hub-db-jupyterhub-hub-0"), claim("claim-alice"), secret]


def test_prune_and_delete_never_take_the_namespace_or_what_the_cluster_made() -> None:
    """Deleting the Namespace would delete every claim in it: Argo CD neither prunes it (the
    app moved to another namespace) nor deletes it with the Application."""
    namespace, chart, _ = _app()
    git = synth(namespace) + synth(chart)
    live = applied(git, "jupyterhub") + _made_by_the_cluster("jupyterhub")
    config_map = _configmap(chart)
    without = [m for m in git if m["kind"] not in {"Namespace", "ConfigMap"}]
    assert pruned(live, without, "jupyterhub") == {("v1", "ConfigMap", "jupyterhub", config_map)}
    deleted = deleted_with_application(live, "jupyterhub")
    assert ("v1", "Namespace", "", "jupyterhub") not in deleted
    assert {kind for _, kind, _, _ in deleted} >= {"StatefulSet", "Deployment", "ConfigMap"}
    assert not {kind for _, kind, _, _ in deleted} & {"PersistentVolumeClaim", "Secret"}


def test_namespace_keeps_its_own_sync_options() -> None:
    app = cdk8s.Testing.app()
    namespace = cdk8s.Chart(app, "namespace")
    chart = cdk8s.Chart(app, "test", namespace="jupyterhub")
    jupyterhub = make_jupyterhub(chart, mesh=None)
    made = HubNamespace.for_jupyterhub(namespace, "Namespace", jupyterhub, name="jupyterhub")
    cdk8s.ApiObject.of(made).metadata.add_annotation(
        "argocd.argoproj.io/sync-options", "Prune=confirm,ServerSideApply=true"
    )
    ArgoCdApplication(
        cdk8s.Chart(app, "delivery"), "App", source=SOURCE, delivers=[namespace, chart]
    )
    annotations = find(synth(namespace), "Namespace")["metadata"]["annotations"]
    assert annotations["argocd.argoproj.io/sync-options"] == (
        "Prune=confirm,ServerSideApply=true,Delete=false"
    )
