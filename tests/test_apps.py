"""Every app: snapshot, referential integrity, strict schemas for 1.28-1.37, dist/ drift."""

from __future__ import annotations

import copy
import filecmp
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cdk8s
import jsonschema
import kubernetes_validate
import pytest
from syrupy.assertion import SnapshotAssertion

import apps
from apps.__main__ import main, synthesize
from apps.previews import PREVIEW_SUFFIX, write_previews
from constructs_lib import External, HeaderTrust, KubernetesVersion, check_references
from scripts.connectivity import APPS as CONNECTIVITY_APPS
from tests.support.builders import make_jupyterhub
from tests.support.commands import run
from tests.support.constants import VERSIONS
from tests.support.crd_schemas import is_custom, validate_custom
from tests.support.kube_schemas import validate_strictly
from tests.support.manifests import ROOT, read_documents, read_manifests

APP_NAMES = sorted(apps.APPS)
DEFAULT = str(KubernetesVersion.DEFAULT)


@pytest.mark.parametrize("name", APP_NAMES)
def test_snapshot(name: str, synthesized: dict[Any, Any], snapshot_yaml: SnapshotAssertion) -> None:
    _, manifests = synthesized[(name, DEFAULT)]
    assert manifests == snapshot_yaml


@pytest.mark.parametrize("version", [str(v) for v in VERSIONS])
@pytest.mark.parametrize("name", APP_NAMES)
def test_references_resolve(name: str, version: str, synthesized: dict[Any, Any]) -> None:
    built, manifests = synthesized[(name, version)]
    check_references(manifests, built.external)


@pytest.mark.parametrize("version", [str(v) for v in VERSIONS])
@pytest.mark.parametrize("name", APP_NAMES)
def test_validates_strictly(name: str, version: str, synthesized: dict[Any, Any]) -> None:
    _, manifests = synthesized[(name, version)]
    errors = []
    for manifest in manifests:
        if is_custom(manifest):
            continue  # checked against its CRD below
        try:
            validate_strictly(manifest, version)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{manifest['kind']}/{manifest['metadata']['name']}: {error.message}")
    assert errors == []


@pytest.mark.parametrize("name", APP_NAMES)
def test_custom_resources_match_their_crds(name: str, synthesized: dict[Any, Any]) -> None:
    _, manifests = synthesized[(name, DEFAULT)]
    errors = []
    for manifest in filter(is_custom, manifests):
        try:
            validate_custom(manifest)
        except jsonschema.ValidationError as error:
            errors.append(f"{manifest['kind']}/{manifest['metadata']['name']}: {error.message}")
    assert errors == []


def test_crd_check_can_fail(synthesized: dict[Any, Any]) -> None:
    _, manifests = synthesized[("dev", DEFAULT)]
    sidecar = copy.deepcopy(next(m for m in manifests if m["kind"] == "Sidecar"))
    sidecar["spec"]["outboundTrafficPolicy"]["mode"] = "DENY_ALL"
    with pytest.raises(jsonschema.ValidationError, match="DENY_ALL"):
        validate_custom(sidecar)
    sidecar["spec"]["outboundTrafficPolicy"] = {"mode": "ALLOW_ANY", "egresProxy": {}}
    with pytest.raises(jsonschema.ValidationError, match="egresProxy"):
        validate_custom(sidecar)


def test_no_secret_values_in_dist() -> None:
    for path in (ROOT / "dist").rglob("*.yaml"):
        for manifest in read_documents(path):
            if manifest["kind"] == "Secret":
                assert not manifest.get("data") and not manifest.get("stringData"), path


@pytest.mark.parametrize("name", APP_NAMES)
def test_namespace_applies_first(name: str) -> None:
    first = sorted((ROOT / "dist" / name).glob("*.yaml"))[0]
    assert first.read_text().startswith("apiVersion: v1\nkind: Namespace\n")


def _same_tree(left: Path, right: Path) -> list[str]:
    compare = filecmp.dircmp(left, right)
    differences = [*compare.left_only, *compare.right_only]
    differences += [
        f for f in compare.common_files if (left / f).read_bytes() != (right / f).read_bytes()
    ]
    for sub in compare.common_dirs:
        differences += [f"{sub}/{d}" for d in _same_tree(left / sub, right / sub)]
    return differences


def _apps_differ(left: Path, right: Path, suffix: str = "") -> list[str]:
    return [
        f"{name}{suffix}/{d}"
        for name in APP_NAMES
        for d in _same_tree(left / f"{name}{suffix}", right / f"{name}{suffix}")
    ]


def test_dist_is_a_fresh_synth(tmp_path: Path) -> None:
    """dist/ is committed; regenerate it with `make synth` after a change."""
    synthesize(tmp_path / "dist", KubernetesVersion.DEFAULT, APP_NAMES)
    assert _apps_differ(ROOT / "dist", tmp_path / "dist") == []
    assert sorted(p.name for p in (ROOT / "dist").iterdir()) == sorted(
        [
            *APP_NAMES,
            *(f"{name}{PREVIEW_SUFFIX}" for name in APP_NAMES),
            *(f"{name}-connectivity.txt" for name in CONNECTIVITY_APPS),
        ]
    )


def test_previews_are_fresh(tmp_path: Path) -> None:
    synthesize(tmp_path / "dist", KubernetesVersion.DEFAULT, APP_NAMES)
    write_previews(tmp_path / "dist", APP_NAMES)
    assert _apps_differ(ROOT / "dist", tmp_path / "dist", PREVIEW_SUFFIX) == []


@pytest.mark.parametrize("name", APP_NAMES)
def test_previews_validate_strictly(name: str) -> None:
    files = sorted((ROOT / "dist" / f"{name}{PREVIEW_SUFFIX}").glob("*.yaml"))
    # Two profiles, an admin and a non-admin user; and minimal's second image choice.
    assert len(files) == {"minimal": 5, "dev": 4}[name]
    for manifest in read_manifests(ROOT / "dist" / f"{name}{PREVIEW_SUFFIX}"):
        validate_strictly(manifest, DEFAULT)
        assert manifest["metadata"]["namespace"] == "jupyterhub"


@pytest.mark.slow
def test_cdk8s_cli_synth_matches(tmp_path: Path) -> None:
    cli = ROOT / "node_modules" / ".bin" / "cdk8s"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CDK8S_CHECK_UPGRADE": "false",
    }
    run([str(cli), "synth", "--output", str(tmp_path / "out")], cwd=ROOT, env=env)
    assert _apps_differ(ROOT / "dist", tmp_path / "out") == []


def test_bad_input_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outdir = tmp_path / "dist"
    synthesize(outdir, KubernetesVersion.DEFAULT, APP_NAMES)
    before = {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()}

    def broken(
        outdir: str, version: KubernetesVersion, props: Mapping[str, Any] | None = None
    ) -> apps.BuiltApp:
        raise ValueError("jupyterhub/Hub: replicas must be 1 (JupyterHub runs one hub), got 3")

    monkeypatch.setitem(apps.APPS, "broken", broken)
    with pytest.raises(ValueError, match="replicas must be 1"):
        synthesize(outdir, KubernetesVersion.DEFAULT, [*APP_NAMES, "broken"])
    after = {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_a_failed_validation_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An app refused only at synthesis (a hub that believes its user header as is, with no
    edge that enforces it), synthesized after the others were written to the staging area."""
    outdir = tmp_path / "dist"
    synthesize(outdir, KubernetesVersion.DEFAULT, APP_NAMES)
    before = {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()}

    def unenforced(
        outdir: str, version: KubernetesVersion, props: Mapping[str, Any] | None = None
    ) -> apps.BuiltApp:
        app = cdk8s.App(outdir=outdir)
        chart = cdk8s.Chart(app, "jupyterhub", namespace="jupyterhub")
        make_jupyterhub(chart, header_trust=HeaderTrust.mesh_enforced())
        return apps.BuiltApp("unenforced", app, External())

    monkeypatch.setitem(apps.APPS, "unenforced", unenforced)
    assert main(["--outdir", str(outdir)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(
        "error: Validation failed with the following errors:\n"
        "  [jupyterhub/JupyterHub/Hub] header_trust must not trust the user header as is "
    )
    after = {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_stale_files_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / "dist" / APP_NAMES[0] / "9999-stale.k8s.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("kind: Stale\n")
    synthesize(tmp_path / "dist", KubernetesVersion.DEFAULT, APP_NAMES)
    assert not stale.exists()


def test_cli_rejects_old_kubernetes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--outdir", str(tmp_path / "dist"), "--kubernetes-version", "1.27"]) == 2
    assert capsys.readouterr().err == (
        "error: kubernetes_version must be 1.28 or newer, got '1.27'\n"
    )
    assert not (tmp_path / "dist").exists()


def test_cli_targets_a_version(tmp_path: Path) -> None:
    assert main(["--outdir", str(tmp_path / "dist"), "--kubernetes-version", "1.29"]) == 0
    text = "".join(p.read_text() for p in (tmp_path / "dist").rglob("*.yaml"))
    assert "trafficDistribution" not in text
    assert "sleep:" not in text


def test_strict_validation_catches_fields_newer_than_the_target(
    synthesized: dict[Any, Any],
) -> None:
    """The schema check can fail: a 1.33 Service (trafficDistribution) is invalid for 1.29."""
    _, manifests = synthesized[(APP_NAMES[0], DEFAULT)]
    service = next(
        m for m in manifests if m["kind"] == "Service" and m["metadata"]["name"] == "jupyterhub-hub"
    )
    with pytest.raises(kubernetes_validate.ValidationError, match="trafficDistribution"):
        validate_strictly(service, "1.29")
